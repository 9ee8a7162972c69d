//! The CCSDS concatenated decoder (CCSDS 131.0-B-2): soft symbols in, CADUs out.
//!
//! ```text
//! i8 soft symbols ─▶ phase-ambiguity search on the encoded ASM (AsmSync, 8 QPSK cases)
//!   ─▶ candidate verified by a short Viterbi run ─▶ lock: correct pairs ─▶ Viterbi
//!   ─▶ NRZ-M decode (optional) ─▶ CaduDeframer ─▶ de-randomise (§9) ─▶ Reed–Solomon (§4)
//!   ─▶ Cadu { data, rs_ok, rs_corrected, … } + running CcsdsStats
//! ```
//!
//! Two modes. *Search*: every position is tested against the encoded ASM under every
//! ambiguity (cheap hard-decision popcounts); a candidate is only believed after a fresh
//! Viterbi decode of its neighbourhood returns the marker itself. *Locked*: the decoder
//! restarts its main Viterbi a little before the verified marker (replaying the buffered
//! symbols), and the deframer takes over. When the deframer drops its lock (a missed
//! marker while confirming a new lock, or too many in a row once locked), the decoder
//! goes back to Search at once, replaying the symbols from just before the missed
//! marker: after a fade, the lock is often first taken on the OQPSK pair alignment the
//! settling timing loop passes through, and the next marker then comes at the other
//! alignment, where only the ambiguity search finds it. A marker missed in a confirmed
//! lock is first looked for within `SLIP_SYMBOLS` of where it was due, under every
//! ambiguity: if a verified one is there (the timing slipped), the decoder relocks on
//! it the same way instead of cutting flywheel frames on the old grid. If the deframer
//! never finds the verified marker, the decoder goes back to Search after
//! `unlock_after_frames` frame periods.
//!
//! Chunk invariance: every decision is taken at a position fixed by the data (candidate
//! positions, Viterbi output batches, frame boundaries), so any chunking of the input
//! produces the same CADUs and statistics.
//!
//! False-positive guard: a Reed–Solomon codeblock whose bytes are all equal (all 0x00,
//! all 0xFF, …) is a valid codeword of the unshortened code, yet never a real frame (a
//! CCSDS transfer frame starts with a non-zero version/spacecraft header). Worse, with the
//! randomizer on, an all-zero or all-one frame *on the wire* (a dead modulator or an idle
//! bit stream after a marker) de-randomises into the pseudo-random sequence, which is also
//! a valid codeblock for interleave depths 1, 2, 4 and 8. CADUs that are constant on either
//! side of the randomizer are reported with `rs_ok = false` and counted in
//! `constant_rejected`, never as valid.

use std::collections::VecDeque;
use std::fmt;

use crate::fec::randomizer::RANDOMIZER_TABLE;
use crate::fec::{
    NrzM, Randomizer, ReedSolomon, ReedSolomonConfig, RsError, Viterbi, ViterbiConfig,
};

use super::ambiguity::PhaseAmbiguity;
use super::asm_sync::{AsmHit, AsmSync, AsmSyncConfig, SoftMapping, ENCODED_ASM_SPAN};
use super::cadu_deframer::{CaduDeframer, CaduDeframerConfig, DeframedFrame, DeframerState};

/// Code-symbol pairs decoded ahead of a candidate marker, both when verifying it and
/// when the main Viterbi restarts: enough for the survivor paths to merge.
const LEAD_PAIRS: u64 = 48;
/// Pairs decoded after a candidate marker when verifying it.
const TAIL_PAIRS: u64 = 48;
/// Symbols the search keeps behind its newest input: a candidate reported later starts
/// at most one encoded-ASM span back and needs `LEAD_PAIRS` before that.
const SEARCH_KEEP: usize = (2 * LEAD_PAIRS as usize) + ENCODED_ASM_SPAN + 2;
/// Symbols scanned between checks for a verifiable candidate while searching.
const SEARCH_PIECE: usize = 2048;
/// How far (soft symbols) before a missed marker the search restarts when the deframer
/// loses the lock: a staggered (OQPSK) receiver whose timing slips by half a symbol
/// brings the marker one soft symbol earlier or later, at the other pair alignment.
const SLIP_SYMBOLS: u64 = 32;
/// Soft symbols kept while locked, for that restart: the lock loss is noticed at most a
/// marker, the Viterbi traceback and one output batch (≈ 704 symbols) after the marker's
/// start, and the restart needs `SLIP_SYMBOLS` and a Viterbi lead before it.
const LOCKED_KEEP: usize = 4096;

/// Options of [`CcsdsDecoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcsdsDecoderConfig {
    /// How soft symbols carry the code-symbol pairs.
    pub mapping: SoftMapping,
    /// The transmitter inverts G2 (CCSDS 131.0-B-2 §3.3.1); `false` for Meteor-M.
    pub invert_g2: bool,
    /// NRZ-M before the convolutional encoder ("differential" Meteor modes).
    pub nrz_m: bool,
    /// Frames after the ASM are pseudo-randomised (§9).
    pub derandomize: bool,
    /// The Reed–Solomon code; its codeblock length must equal `deframer.frame_bytes`.
    pub reed_solomon: Option<ReedSolomonConfig>,
    /// Frame length and marker tolerances. `deframer.search_max_errors` is also the
    /// tolerance when a pre-Viterbi candidate is verified.
    pub deframer: CaduDeframerConfig,
    /// Viterbi traceback depth (35..=1024).
    pub traceback_depth_bits: usize,
    /// Hard-decision errors tolerated on the 52 encoded-marker symbols while searching.
    pub soft_asm_max_errors: u32,
    /// Frame periods after a lock without the deframer finding any marker, after which
    /// the ambiguity search starts again (≥ 1). A lock the deframer had and lost is
    /// given up at once.
    pub unlock_after_frames: u32,
}

impl CcsdsDecoderConfig {
    /// Meteor-M LRPT 72k: QPSK, G2 not inverted, no NRZ-M, randomised 1024-byte CADUs,
    /// RS (255, 223) interleave 4 in the conventional basis.
    pub const fn meteor_lrpt() -> Self {
        Self {
            mapping: SoftMapping::Qpsk,
            invert_g2: false,
            nrz_m: false,
            derandomize: true,
            reed_solomon: Some(ReedSolomonConfig::METEOR),
            deframer: CaduDeframerConfig::CADU_1024,
            traceback_depth_bits: 64,
            soft_asm_max_errors: 12,
            unlock_after_frames: 2,
        }
    }

    /// Meteor-M LRPT 72k in the "differential" mode (NRZ-M before the encoder).
    pub const fn meteor_lrpt_differential() -> Self {
        let mut c = Self::meteor_lrpt();
        c.nrz_m = true;
        c
    }

    /// Standard CCSDS: G2 inverted, randomised, RS (255, 223) dual basis with the given
    /// interleave depth, frames of 255·I bytes after the ASM.
    pub const fn ccsds(mapping: SoftMapping, interleave_depth: usize) -> Self {
        let mut c = Self::meteor_lrpt();
        c.mapping = mapping;
        c.invert_g2 = true;
        c.reed_solomon = Some(ReedSolomonConfig::ccsds(interleave_depth));
        c.deframer.frame_bytes = 255 * interleave_depth;
        c
    }
}

/// Configuration errors of [`CcsdsDecoder`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcsdsDecoderError(pub String);

impl fmt::Display for CcsdsDecoderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CCSDS decoder configuration: {}", self.0)
    }
}

impl std::error::Error for CcsdsDecoderError {}

/// One channel access data unit: the frame after its ASM, de-randomised and corrected.
#[derive(Debug, Clone, PartialEq)]
pub struct Cadu {
    /// The codeblock (e.g. 1020 bytes: 892 data + 128 parity), after de-randomisation and
    /// Reed–Solomon correction (codewords that could be corrected are).
    pub data: Vec<u8>,
    /// Length of the data part before the RS parity (the whole frame without RS).
    pub data_len: usize,
    /// Symbols Reed–Solomon corrected (in the codewords that decoded).
    pub rs_corrected: usize,
    /// Every codeword passed Reed–Solomon and the frame is not a constant pattern.
    /// Always `false` when no Reed–Solomon code is configured.
    pub rs_ok: bool,
    /// Wrong bits in the decoded ASM (may exceed the tolerance on flywheel frames).
    pub asm_bit_errors: u32,
    /// The decoded stream was inverted and has been inverted back.
    pub inverted: bool,
    /// Phase-ambiguity correction in force.
    pub ambiguity: PhaseAmbiguity,
    /// Index of the soft symbol carrying the ASM's first code symbol.
    pub symbol_index: u64,
    /// Viterbi's recent symbol error rate when the frame was cut.
    pub viterbi_ber: f32,
    /// Deframer state when the frame was cut.
    pub deframer_state: DeframerState,
}

impl Cadu {
    /// The data part without RS parity (a VCDU / transfer frame: 892 bytes for Meteor).
    pub fn vcdu(&self) -> &[u8] {
        &self.data[..self.data_len]
    }
}

/// Running counters of a [`CcsdsDecoder`] since its last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct CcsdsStats {
    /// Soft symbols consumed.
    pub symbols: u64,
    /// Currently locked to a phase ambiguity.
    pub locked: bool,
    /// The ambiguity locked to (or last locked to).
    pub ambiguity: Option<PhaseAmbiguity>,
    /// Times a candidate was verified and the decoder locked.
    pub locks: u64,
    /// Times the decoder gave up a lock.
    pub unlocks: u64,
    /// Pre-Viterbi candidates that failed verification.
    pub rejected_candidates: u64,
    /// CADUs cut.
    pub cadus: u64,
    /// CADUs that passed Reed–Solomon (including corrected ones).
    pub rs_ok: u64,
    /// Of those, CADUs that needed corrections.
    pub rs_corrected_cadus: u64,
    /// Symbols corrected in valid CADUs.
    pub rs_corrected_symbols: u64,
    /// CADUs with at least one uncorrectable codeword.
    pub rs_failed: u64,
    /// CADUs that passed Reed–Solomon but are one repeated byte (never counted valid).
    pub constant_rejected: u64,
    /// Viterbi's recent symbol error rate (0 when unlocked).
    pub viterbi_ber: f32,
    /// Deframer state.
    pub deframer_state: DeframerState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Search,
    Locked,
}

/// The assembled decoder. See the module documentation.
pub struct CcsdsDecoder {
    config: CcsdsDecoderConfig,
    rs: Option<ReedSolomon>,
    asm_sync: AsmSync,
    viterbi: Viterbi,
    verifier: Viterbi,
    nrz_m: NrzM,
    deframer: CaduDeframer,
    mode: Mode,
    /// Search: buffered symbols, `history[0]` has absolute index `history_start`.
    history: Vec<i8>,
    history_start: u64,
    /// Absolute index where the current search began (nothing older is available).
    search_origin: u64,
    candidates: VecDeque<AsmHit>,
    hits: Vec<AsmHit>,
    /// Locked: correction, absolute index of the first symbol fed to Viterbi, next index.
    ambiguity: PhaseAmbiguity,
    viterbi_origin: u64,
    next_symbol: u64,
    pending: Option<i8>,
    /// Locked: the latest soft symbols consumed, `locked_history[0]` at absolute index
    /// `locked_history_start`, for the search to replay when the lock is lost.
    locked_history: Vec<i8>,
    locked_history_start: u64,
    /// Symbols the search must go over again after an unlock, taken by `feed`.
    unlock_replay: Option<Vec<i8>>,
    /// Locked: looks for a slipped marker around one the deframer missed.
    probe_sync: AsmSync,
    probe_hits: Vec<AsmHit>,
    /// The deframer's last missed marker already looked around.
    probed_miss: Option<u64>,
    pairs: Vec<i8>,
    bits: Vec<u8>,
    frames: Vec<DeframedFrame>,
    stats: CcsdsStats,
}

impl fmt::Debug for CcsdsDecoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CcsdsDecoder")
            .field("config", &self.config)
            .field("mode", &self.mode)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

/// First symbol decoded before a candidate: `LEAD_PAIRS` pairs back, not before
/// `origin` (where the symbols available begin), same pair parity as the marker.
fn lead_start(hit: &AsmHit, origin: u64) -> u64 {
    let wanted = hit.start_symbol.saturating_sub(2 * LEAD_PAIRS);
    let mut from = wanted.max(origin);
    if (hit.start_symbol - from) % 2 == 1 {
        from += 1;
    }
    from
}

impl CcsdsDecoder {
    /// Builds the chain; fails on inconsistent settings.
    pub fn new(config: CcsdsDecoderConfig) -> Result<Self, CcsdsDecoderError> {
        let err = |m: String| CcsdsDecoderError(m);
        let rs = match config.reed_solomon {
            Some(c) => {
                let rs = ReedSolomon::new(c).map_err(|e| err(e.to_string()))?;
                if rs.codeblock_len() != config.deframer.frame_bytes {
                    return Err(err(format!(
                        "Reed-Solomon codeblock is {} bytes but frames are {} bytes",
                        rs.codeblock_len(),
                        config.deframer.frame_bytes
                    )));
                }
                Some(rs)
            }
            None => None,
        };
        if config.unlock_after_frames == 0 {
            return Err(err("unlock_after_frames must be at least 1".into()));
        }
        let asm_sync = AsmSync::new(AsmSyncConfig {
            mapping: config.mapping,
            invert_g2: config.invert_g2,
            nrz_m: config.nrz_m,
            max_bit_errors: config.soft_asm_max_errors,
        })
        .map_err(err)?;
        let viterbi_config = ViterbiConfig {
            invert_g2: config.invert_g2,
            traceback_depth_bits: config.traceback_depth_bits,
        };
        let viterbi = Viterbi::new(viterbi_config).map_err(|e| err(e.to_string()))?;
        let deframer = CaduDeframer::new(config.deframer).map_err(err)?;
        Ok(Self {
            config,
            rs,
            asm_sync: asm_sync.clone(),
            verifier: viterbi.clone(),
            viterbi,
            nrz_m: NrzM::new(),
            deframer,
            mode: Mode::Search,
            history: Vec::new(),
            history_start: 0,
            search_origin: 0,
            candidates: VecDeque::new(),
            hits: Vec::new(),
            ambiguity: PhaseAmbiguity::NONE,
            viterbi_origin: 0,
            next_symbol: 0,
            pending: None,
            locked_history: Vec::new(),
            locked_history_start: 0,
            unlock_replay: None,
            probe_sync: asm_sync.clone(),
            probe_hits: Vec::new(),
            probed_miss: None,
            pairs: Vec::new(),
            bits: Vec::new(),
            frames: Vec::new(),
            stats: CcsdsStats::default(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &CcsdsDecoderConfig {
        &self.config
    }

    /// Counters since the last reset.
    pub fn stats(&self) -> CcsdsStats {
        let mut s = self.stats;
        s.locked = self.mode == Mode::Locked;
        s.deframer_state = self.deframer.state();
        s.viterbi_ber = if s.locked {
            self.viterbi.stats().recent_ber
        } else {
            0.0
        };
        s
    }

    /// Consumes soft symbols (i8, positive = 1; QPSK as I, Q, I, Q …), appending every
    /// CADU completed.
    pub fn process(&mut self, soft: &[i8], output: &mut Vec<Cadu>) {
        self.stats.symbols += soft.len() as u64;
        let mut replay = self.feed(soft, output);
        while let Some(symbols) = replay {
            replay = self.feed(&symbols, output);
        }
    }

    /// End of stream: decodes the symbols the Viterbi still holds (traceback from the
    /// best final state), emits any CADU they complete, then starts over as after
    /// [`reset`](Self::reset) but keeps the counters.
    pub fn flush(&mut self, output: &mut Vec<Cadu>) {
        if self.mode == Mode::Locked {
            self.bits.clear();
            self.viterbi.flush(&mut self.bits);
            if !self.bits.is_empty() {
                self.handle_bits(output);
            }
        }
        let stats = self.stats;
        self.reset();
        self.stats = stats;
    }

    /// Back to the initial state, counters cleared.
    pub fn reset(&mut self) {
        self.asm_sync.reset();
        self.viterbi.reset();
        self.nrz_m.reset();
        self.deframer.reset();
        self.mode = Mode::Search;
        self.history.clear();
        self.history_start = 0;
        self.search_origin = 0;
        self.candidates.clear();
        self.ambiguity = PhaseAmbiguity::NONE;
        self.viterbi_origin = 0;
        self.next_symbol = 0;
        self.pending = None;
        self.locked_history.clear();
        self.locked_history_start = 0;
        self.unlock_replay = None;
        self.probed_miss = None;
        self.stats = CcsdsStats::default();
    }

    /// Runs `symbols` through the current mode. Returns symbols to run again when the
    /// search locked and the Viterbi must restart before the marker.
    fn feed(&mut self, symbols: &[i8], output: &mut Vec<Cadu>) -> Option<Vec<i8>> {
        let mut rest = symbols;
        while !rest.is_empty() {
            match self.mode {
                Mode::Locked => {
                    let used = self.run_locked(rest, output);
                    rest = &rest[used..];
                    if let Some(mut replay) = self.unlock_replay.take() {
                        replay.extend_from_slice(rest);
                        return Some(replay);
                    }
                }
                Mode::Search => return self.run_search(rest),
            }
        }
        None
    }

    /// Scans `symbols` in pieces, so that a lock stops the (costlier) search early; the
    /// result does not depend on the piece size since candidates are taken in stream order.
    fn run_search(&mut self, symbols: &[i8]) -> Option<Vec<i8>> {
        let mut rest = symbols;
        while !rest.is_empty() {
            let (piece, later) = rest.split_at(rest.len().min(SEARCH_PIECE));
            rest = later;
            if let Some(mut replay) = self.search_piece(piece) {
                replay.extend_from_slice(rest);
                return Some(replay);
            }
        }
        None
    }

    fn search_piece(&mut self, symbols: &[i8]) -> Option<Vec<i8>> {
        self.history.extend_from_slice(symbols);
        self.hits.clear();
        self.asm_sync.process(symbols, &mut self.hits);
        self.candidates.extend(self.hits.drain(..));
        let history_end = self.history_start + self.history.len() as u64;
        while let Some(&hit) = self.candidates.front() {
            let needed = hit.start_symbol + ENCODED_ASM_SPAN as u64 + 2 * TAIL_PAIRS;
            if needed > history_end {
                break;
            }
            self.candidates.pop_front();
            if self.verify(&hit) {
                return Some(self.lock(&hit));
            }
            self.stats.rejected_candidates += 1;
        }
        // Trim what no present or future candidate can need.
        let keep_from = match self.candidates.front() {
            Some(h) => self.lead_start(h),
            None => history_end.saturating_sub(SEARCH_KEEP as u64),
        }
        .max(self.history_start);
        let drop = (keep_from - self.history_start) as usize;
        if drop > SEARCH_KEEP.max(self.history.len() / 2) {
            self.history.drain(..drop);
            self.history_start = keep_from;
        }
        None
    }

    /// First symbol decoded before a candidate: `LEAD_PAIRS` pairs back, not before the
    /// search began, same pair parity as the marker.
    fn lead_start(&self, hit: &AsmHit) -> u64 {
        lead_start(hit, self.search_origin)
    }

    fn verify(&mut self, hit: &AsmHit) -> bool {
        let history = std::mem::take(&mut self.history);
        let ok = self.verify_in(hit, &history, self.history_start, self.search_origin);
        self.history = history;
        ok
    }

    /// Whether a fresh Viterbi decode around `hit` returns the marker, reading the
    /// symbols from `symbols` (whose first has absolute index `symbols_start`), decoding
    /// from no earlier than `origin`.
    fn verify_in(&mut self, hit: &AsmHit, symbols: &[i8], symbols_start: u64, origin: u64) -> bool {
        let from = lead_start(hit, origin);
        let to = hit.start_symbol + ENCODED_ASM_SPAN as u64 + 2 * TAIL_PAIRS;
        let a = (from - symbols_start) as usize;
        let b = (to - symbols_start) as usize;
        self.pairs.clear();
        hit.ambiguity.correct(&symbols[a..b], &mut self.pairs);
        self.bits.clear();
        self.verifier.reset();
        self.verifier.process(&self.pairs, &mut self.bits);
        self.verifier.flush(&mut self.bits);
        if self.config.nrz_m {
            NrzM::new().decode_in_place(&mut self.bits);
        }
        let first = ((hit.start_symbol - from) / 2) as usize;
        // With NRZ-M the marker's first bit depends on the bit before it; skip it when
        // that bit was not decoded.
        let skip = usize::from(self.config.nrz_m && first == 0);
        let mut errors = 0u32;
        for k in skip..32 {
            let expected = ((self.config.deframer.asm >> (31 - k)) & 1) as u8;
            errors += (self.bits[first + k] != expected) as u32;
        }
        let tolerance = self.config.deframer.search_max_errors;
        errors <= tolerance || (32 - skip as u32 - errors) <= tolerance
    }

    /// Switches to Locked at a verified candidate and returns the symbols to replay.
    fn lock(&mut self, hit: &AsmHit) -> Vec<i8> {
        let from = self.lead_start(hit);
        let replay = self.history.split_off((from - self.history_start) as usize);
        self.history.clear();
        self.candidates.clear();
        self.mode = Mode::Locked;
        self.ambiguity = hit.ambiguity;
        self.viterbi.reset();
        self.nrz_m.reset();
        self.deframer.reset();
        self.viterbi_origin = from;
        self.next_symbol = from;
        self.pending = None;
        self.locked_history.clear();
        self.locked_history_start = from;
        self.probed_miss = None;
        self.stats.locks += 1;
        self.stats.ambiguity = Some(hit.ambiguity);
        replay
    }

    /// Back to Search from absolute symbol `from` (at most `next_symbol`, at least the
    /// oldest symbol kept): the symbols from there on are replayed through the search.
    fn unlock(&mut self, from: u64) {
        self.mode = Mode::Search;
        self.stats.unlocks += 1;
        self.history.clear();
        self.candidates.clear();
        self.pending = None;
        let from = from.clamp(self.locked_history_start, self.next_symbol);
        self.history_start = from;
        self.search_origin = from;
        self.asm_sync.reset_at(from);
        let skip = (from - self.locked_history_start) as usize;
        self.unlock_replay = Some(self.locked_history[skip..].to_vec());
        self.locked_history.clear();
        self.viterbi.reset();
        self.deframer.reset();
    }

    /// Feeds symbols to the Viterbi, stopping at each batch of output so that a loss of
    /// lock takes effect at a reproducible position. Returns symbols consumed.
    fn run_locked(&mut self, symbols: &[i8], output: &mut Vec<Cadu>) -> usize {
        let base = self.next_symbol;
        let mut used = 0;
        while used < symbols.len() {
            let wanted = self.viterbi.pairs_until_output();
            self.pairs.clear();
            if let Some(first) = self.pending.take() {
                let (i, q) = self.ambiguity.correct_pair(first, symbols[used]);
                self.pairs.extend_from_slice(&[i, q]);
                used += 1;
            }
            let have = self.pairs.len() / 2;
            let more = ((symbols.len() - used) / 2).min(wanted - have);
            self.ambiguity
                .correct(&symbols[used..used + 2 * more], &mut self.pairs);
            used += 2 * more;
            if have + more < wanted && used + 1 == symbols.len() {
                // A lone symbol left: hold it until its partner arrives.
                self.pending = Some(symbols[used]);
                used += 1;
            }
            self.locked_history
                .extend_from_slice(&symbols[(self.next_symbol - base) as usize..used]);
            self.next_symbol = base + used as u64;
            self.bits.clear();
            self.viterbi.process(&self.pairs, &mut self.bits);
            if !self.bits.is_empty() {
                self.handle_bits(output);
                if let Some(from) = self.unlock_from() {
                    self.unlock(from);
                    return used;
                }
            }
            if self.locked_history.len() > 2 * LOCKED_KEEP {
                let drop = self.locked_history.len() - LOCKED_KEEP;
                self.locked_history.drain(..drop);
                self.locked_history_start += drop as u64;
            }
        }
        used
    }

    /// The deframer missed the marker at decoded bit `bit` and flywheels on: if the
    /// ambiguity search finds a verified marker within `SLIP_SYMBOLS` of where it was
    /// expected, at another position or ambiguity (the timing slipped, e.g. by half an
    /// OQPSK symbol), returns where the search should start again to lock on it;
    /// otherwise the flywheel goes on.
    fn slipped_marker(&mut self, bit: u64) -> Option<u64> {
        let expected = self.viterbi_origin + 2 * bit;
        let start = self.locked_history_start;
        let from = expected
            .saturating_sub(SLIP_SYMBOLS + 2 * LEAD_PAIRS)
            .max(start);
        let history = std::mem::take(&mut self.locked_history);
        let end = start + history.len() as u64;
        let mut hits = std::mem::take(&mut self.probe_hits);
        hits.clear();
        self.probe_sync.reset_at(from);
        self.probe_sync
            .process(&history[(from - start) as usize..], &mut hits);
        let current = self.ambiguity;
        let found = hits.iter().any(|h| {
            h.start_symbol.abs_diff(expected) <= SLIP_SYMBOLS
                && (h.start_symbol, h.ambiguity) != (expected, current)
                && h.start_symbol + ENCODED_ASM_SPAN as u64 + 2 * TAIL_PAIRS <= end
                && self.verify_in(h, &history, start, from)
        });
        self.probe_hits = hits;
        self.locked_history = history;
        found.then_some(from)
    }

    /// Where the search should start again, if the lock is to be given up: just before
    /// a missed marker that a slipped one replaces, or the marker whose miss dropped
    /// the deframer to NOSYNC, or (the deframer never found the verified marker) at the
    /// newest symbol after `unlock_after_frames` periods. (The Viterbi BER estimate cannot tell a lost phase from a weak signal:
    /// on pure noise the re-encoding agreement of the survivor path still reads ≈ 0.17,
    /// close to a real signal at 1 dB Eb/N0, ≈ 0.13.)
    fn unlock_from(&mut self) -> Option<u64> {
        if self.deframer.state() != DeframerState::NoSync {
            let missed = self.deframer.last_missed_marker();
            if missed.is_none() || missed == self.probed_miss {
                return None;
            }
            self.probed_miss = missed;
            return missed.and_then(|bit| self.slipped_marker(bit));
        }
        if let Some(bit) = self.deframer.lock_lost_at() {
            let marker_symbol = self.viterbi_origin + 2 * bit;
            return Some(marker_symbol.saturating_sub(SLIP_SYMBOLS + 2 * LEAD_PAIRS));
        }
        let period = (self.config.deframer.frame_bytes * 8 + 32) as u64;
        (self.deframer.bits_since_marker() > self.config.unlock_after_frames as u64 * period)
            .then_some(self.next_symbol - self.pending.is_some() as u64)
    }

    fn handle_bits(&mut self, output: &mut Vec<Cadu>) {
        if self.config.nrz_m {
            self.nrz_m.decode_in_place(&mut self.bits);
        }
        self.frames.clear();
        self.deframer.process(&self.bits, &mut self.frames);
        let ber = self.viterbi.stats().recent_ber;
        for frame in self.frames.drain(..) {
            let cadu = Self::finish_frame(
                &self.config,
                self.rs.as_ref(),
                frame,
                self.ambiguity,
                self.viterbi_origin,
                ber,
                &mut self.stats,
            );
            output.push(cadu);
        }
    }

    /// The codeblock is one repeated byte, or was one before de-randomisation.
    fn constant_on_either_side(data: &[u8], derandomized: bool) -> bool {
        let first = data[0];
        if data.iter().all(|&b| b == first) {
            return true;
        }
        if derandomized {
            let wire0 = first ^ RANDOMIZER_TABLE[0];
            return data
                .iter()
                .zip(RANDOMIZER_TABLE.iter().cycle())
                .all(|(&b, &pn)| b ^ pn == wire0);
        }
        false
    }

    fn finish_frame(
        config: &CcsdsDecoderConfig,
        rs: Option<&ReedSolomon>,
        frame: DeframedFrame,
        ambiguity: PhaseAmbiguity,
        viterbi_origin: u64,
        viterbi_ber: f32,
        stats: &mut CcsdsStats,
    ) -> Cadu {
        let mut data = frame.data;
        if config.derandomize {
            Randomizer::apply(&mut data);
        }
        let (mut rs_ok, rs_corrected, data_len) = match rs {
            Some(rs) => match rs.decode(&mut data) {
                Ok(n) => (true, n, rs.data_len()),
                Err(RsError::Uncorrectable {
                    corrected_symbols, ..
                }) => (false, corrected_symbols, rs.data_len()),
                Err(_) => (false, 0, rs.data_len()),
            },
            None => (false, 0, data.len()),
        };
        stats.cadus += 1;
        if rs.is_some() {
            if rs_ok && Self::constant_on_either_side(&data, config.derandomize) {
                rs_ok = false;
                stats.constant_rejected += 1;
            } else if rs_ok {
                stats.rs_ok += 1;
                stats.rs_corrected_symbols += rs_corrected as u64;
                if rs_corrected > 0 {
                    stats.rs_corrected_cadus += 1;
                }
            } else {
                stats.rs_failed += 1;
            }
        }
        Cadu {
            data,
            data_len,
            rs_corrected,
            rs_ok,
            asm_bit_errors: frame.asm_bit_errors,
            inverted: frame.inverted,
            ambiguity,
            symbol_index: viterbi_origin + 2 * frame.asm_bit_index,
            viterbi_ber,
            deframer_state: frame.state,
        }
    }
}
