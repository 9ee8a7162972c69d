//! CADU frame synchroniser on decoded bits (CCSDS 131.0-B-2 §8: the ASM precedes every
//! frame, so after one is found the next is expected exactly one frame later).
//!
//! States, after SatDump's deframers:
//! * NOSYNC: every bit position is tested for the ASM (either polarity, up to
//!   `search_max_errors` wrong bits).
//! * SYNCING: a marker was found; frames are cut and the marker is checked where the
//!   next one must be, with the looser `lock_max_errors`. `confirm_frames` consecutive
//!   good markers → SYNCED; one miss → NOSYNC.
//! * SYNCED: frames keep being cut on the grid even when a marker is missed (the
//!   Reed–Solomon check downstream decides whether they are good); after more than
//!   `max_misses` consecutive misses → NOSYNC.
//!
//! Fast relock: a marker found in NOSYNC exactly on the grid of the lock just lost goes
//! straight back to SYNCED.
//!
//! Every frame is emitted with its marker's bit errors and polarity; inverted streams are
//! inverted back.

use super::asm_correlator::AsmCorrelator;
use super::CCSDS_ASM;

/// Options of [`CaduDeframer`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaduDeframerConfig {
    /// Bytes after each 32-bit ASM (1020 for a 1024-byte CADU).
    pub frame_bytes: usize,
    /// The marker, first bit in the MSB.
    pub asm: u32,
    /// Wrong marker bits tolerated while searching (NOSYNC).
    pub search_max_errors: u32,
    /// Wrong marker bits tolerated where a marker is expected (SYNCING/SYNCED).
    pub lock_max_errors: u32,
    /// Consecutive good markers that take SYNCING to SYNCED.
    pub confirm_frames: u32,
    /// Consecutive missed markers tolerated in SYNCED before dropping to NOSYNC.
    pub max_misses: u32,
}

impl CaduDeframerConfig {
    /// 1024-byte CADUs with the CCSDS ASM, e.g. Meteor-M LRPT.
    pub const CADU_1024: Self = Self {
        frame_bytes: 1020,
        asm: CCSDS_ASM,
        search_max_errors: 3,
        lock_max_errors: 8,
        confirm_frames: 2,
        max_misses: 4,
    };
}

/// Synchroniser state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DeframerState {
    /// Searching for a marker anywhere.
    #[default]
    NoSync,
    /// Found one, confirming.
    Syncing,
    /// Locked on the frame grid.
    Synced,
}

/// One frame cut from the bit stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeframedFrame {
    /// The `frame_bytes` bytes after the marker, polarity corrected.
    pub data: Vec<u8>,
    /// Index (since reset) of the marker's first bit in the deframer's input.
    pub asm_bit_index: u64,
    /// Wrong bits in that marker (it may exceed the threshold for a flywheel frame).
    pub asm_bit_errors: u32,
    /// The stream was inverted (marker found complemented).
    pub inverted: bool,
    /// State the deframer was in when it cut this frame.
    pub state: DeframerState,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Searching,
    /// Collecting frame bits; `bits` so far.
    Frame,
    /// Collecting the 32 bits where the next marker should be.
    Marker,
}

/// The frame synchroniser. See the module documentation.
#[derive(Debug, Clone)]
pub struct CaduDeframer {
    config: CaduDeframerConfig,
    search: AsmCorrelator,
    state: DeframerState,
    phase: Phase,
    inverted: bool,
    good_markers: u32,
    misses: u32,
    /// Bits consumed since reset.
    position: u64,
    /// Frame under construction.
    frame: Vec<u8>,
    current_byte: u8,
    bits_in_frame: usize,
    marker_bits: u32,
    marker_start: u64,
    marker_errors: u32,
    /// (marker start of the last lock, period) for fast relock.
    last_grid: Option<u64>,
    /// Bit index of the last marker accepted.
    last_marker_at: Option<u64>,
    /// Bit index where the last expected marker that dropped the lock should have been.
    lost_at: Option<u64>,
    /// Bit index where the last expected marker missed (flywheel or loss) should have been.
    missed_at: Option<u64>,
}

impl CaduDeframer {
    /// New synchroniser in NOSYNC.
    pub fn new(config: CaduDeframerConfig) -> Result<Self, String> {
        if config.frame_bytes < 4 {
            return Err(format!(
                "CaduDeframer frame_bytes must be at least 4, got {}",
                config.frame_bytes
            ));
        }
        if config.search_max_errors > config.lock_max_errors || config.lock_max_errors >= 16 {
            return Err(format!(
                "CaduDeframer needs search_max_errors ({}) <= lock_max_errors ({}) < 16",
                config.search_max_errors, config.lock_max_errors
            ));
        }
        if config.confirm_frames == 0 {
            return Err("CaduDeframer confirm_frames must be at least 1".into());
        }
        let search = AsmCorrelator::new(config.asm as u64, 32, config.search_max_errors, true)
            .ok_or_else(|| "CaduDeframer search threshold too high".to_string())?;
        Ok(Self {
            config,
            search,
            state: DeframerState::NoSync,
            phase: Phase::Searching,
            inverted: false,
            good_markers: 0,
            misses: 0,
            position: 0,
            frame: Vec::with_capacity(config.frame_bytes),
            current_byte: 0,
            bits_in_frame: 0,
            marker_bits: 0,
            marker_start: 0,
            marker_errors: 0,
            last_grid: None,
            last_marker_at: None,
            lost_at: None,
            missed_at: None,
        })
    }

    /// Current state.
    pub fn state(&self) -> DeframerState {
        self.state
    }

    /// Consecutive expected markers missed (flywheel frames) in SYNCED.
    pub fn consecutive_misses(&self) -> u32 {
        self.misses
    }

    /// Bits consumed since reset.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Bit index (since reset) where the expected marker that last dropped the lock to
    /// NOSYNC should have started, if that has happened since the reset. A receiver
    /// whose symbol timing slipped finds the marker near there, not a period later.
    pub fn lock_lost_at(&self) -> Option<u64> {
        self.lost_at
    }

    /// Bit index (since reset) where the last expected marker that was missed should have
    /// started, whether the frame was then cut on the grid (flywheel) or the lock lost.
    pub fn last_missed_marker(&self) -> Option<u64> {
        self.missed_at
    }

    /// Bits consumed since the last accepted marker (or since reset if none).
    pub fn bits_since_marker(&self) -> u64 {
        self.position - self.last_marker_at.unwrap_or(0)
    }

    fn period_bits(&self) -> u64 {
        (self.config.frame_bytes * 8 + 32) as u64
    }

    /// Consumes bits (0/1), appending complete frames.
    pub fn process(&mut self, bits: &[u8], output: &mut Vec<DeframedFrame>) {
        let frame_bits = self.config.frame_bytes * 8;
        let mut i = 0;
        while i < bits.len() {
            match self.phase {
                Phase::Searching => {
                    // Tight loop: nothing but the correlator until a marker shows up.
                    while i < bits.len() {
                        let b = bits[i];
                        i += 1;
                        self.position += 1;
                        if let Some(m) = self.search.push(b) {
                            let start = self.position - 32;
                            self.on_found(start, m.bit_errors, m.inverted);
                            break;
                        }
                    }
                }
                Phase::Frame => {
                    let invert = self.inverted as u8;
                    let take = (frame_bits - self.bits_in_frame).min(bits.len() - i);
                    let mut run = &bits[i..i + take];
                    // Bit by bit up to a byte boundary, then whole bytes at once (nearly
                    // all of a locked stream), then the bits of a byte the chunk ends in.
                    while !run.is_empty() && !self.bits_in_frame.is_multiple_of(8) {
                        self.push_frame_bit(run[0] ^ invert);
                        run = &run[1..];
                    }
                    let whole = run.len() / 8 * 8;
                    let mask = 0u8.wrapping_sub(invert);
                    self.frame.extend(
                        run[..whole].chunks_exact(8).map(|byte| {
                            byte.iter().fold(0u8, |acc, &b| (acc << 1) | (b & 1)) ^ mask
                        }),
                    );
                    self.bits_in_frame += whole;
                    for &b in &run[whole..] {
                        self.push_frame_bit(b ^ invert);
                    }
                    i += take;
                    self.position += take as u64;
                    if self.bits_in_frame == frame_bits {
                        // The correlator window skipped the frame: refill it with the
                        // frame's last 32 bits as received.
                        let n = self.frame.len();
                        for &byte in &self.frame[n.saturating_sub(4)..] {
                            for k in (0..8).rev() {
                                self.search.shift(((byte >> k) & 1) ^ invert);
                            }
                        }
                        output.push(DeframedFrame {
                            data: std::mem::replace(
                                &mut self.frame,
                                Vec::with_capacity(self.config.frame_bytes),
                            ),
                            asm_bit_index: self.marker_start,
                            asm_bit_errors: self.marker_errors,
                            inverted: self.inverted,
                            state: self.state,
                        });
                        self.bits_in_frame = 0;
                        self.phase = Phase::Marker;
                        self.marker_bits = 0;
                    }
                }
                Phase::Marker => {
                    let b = bits[i];
                    i += 1;
                    self.position += 1;
                    self.search.push(b);
                    self.marker_bits += 1;
                    if self.marker_bits == 32 {
                        self.on_expected_marker();
                    }
                }
            }
        }
    }

    /// One frame bit (already polarity corrected); every eighth completes a byte.
    #[inline]
    fn push_frame_bit(&mut self, bit: u8) {
        self.current_byte = (self.current_byte << 1) | (bit & 1);
        self.bits_in_frame += 1;
        if self.bits_in_frame.is_multiple_of(8) {
            self.frame.push(self.current_byte);
        }
    }

    fn on_found(&mut self, start: u64, errors: u32, inverted: bool) {
        let relock = self
            .last_grid
            .is_some_and(|grid| start >= grid && (start - grid).is_multiple_of(self.period_bits()));
        self.state = if relock || self.config.confirm_frames <= 1 {
            DeframerState::Synced
        } else {
            DeframerState::Syncing
        };
        self.good_markers = 1;
        self.misses = 0;
        self.begin_frame(start, errors, inverted);
    }

    fn on_expected_marker(&mut self) {
        let window = self.search.window();
        let start = self.position - 32;
        let same = self.search.errors(window, self.inverted);
        let flipped = self.search.errors(window, !self.inverted);
        let (errors, inverted) = if flipped < same {
            (flipped, !self.inverted)
        } else {
            (same, self.inverted)
        };
        if errors <= self.config.lock_max_errors {
            self.good_markers += 1;
            self.misses = 0;
            if self.state == DeframerState::Syncing
                && self.good_markers >= self.config.confirm_frames
            {
                self.state = DeframerState::Synced;
            }
            self.begin_frame(start, errors, inverted);
            return;
        }
        self.missed_at = Some(start);
        match self.state {
            DeframerState::Synced if self.misses < self.config.max_misses => {
                // Flywheel: keep the grid, report the marker's errors.
                self.misses += 1;
                let keep = self.inverted;
                let last = self.last_marker_at;
                self.begin_frame(start, same, keep);
                self.last_marker_at = last;
            }
            _ => {
                self.lost_at = Some(start);
                self.lose_lock();
            }
        }
    }

    fn begin_frame(&mut self, start: u64, errors: u32, inverted: bool) {
        self.phase = Phase::Frame;
        self.inverted = inverted;
        self.marker_start = start;
        self.marker_errors = errors;
        self.bits_in_frame = 0;
        self.frame.clear();
        self.last_marker_at = Some(start);
        if self.state == DeframerState::Synced {
            self.last_grid = Some(start);
        }
    }

    fn lose_lock(&mut self) {
        self.state = DeframerState::NoSync;
        self.phase = Phase::Searching;
        self.good_markers = 0;
        self.misses = 0;
        // The window already holds the last 32 bits: a marker there is found on the
        // next pushed bit at the earliest, which is fine — this one just failed.
    }

    /// Back to NOSYNC with nothing buffered, positions restarting at 0.
    pub fn reset(&mut self) {
        self.search.reset();
        self.state = DeframerState::NoSync;
        self.phase = Phase::Searching;
        self.inverted = false;
        self.good_markers = 0;
        self.misses = 0;
        self.position = 0;
        self.frame.clear();
        self.bits_in_frame = 0;
        self.marker_bits = 0;
        self.last_grid = None;
        self.last_marker_at = None;
        self.lost_at = None;
        self.missed_at = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn push_word(bits: &mut Vec<u8>, word: u32) {
        bits.extend((0..32).rev().map(|k| ((word >> k) & 1) as u8));
    }

    fn push_bytes(bits: &mut Vec<u8>, bytes: &[u8]) {
        for &b in bytes {
            bits.extend((0..8).rev().map(|k| (b >> k) & 1));
        }
    }

    fn config(frame_bytes: usize) -> CaduDeframerConfig {
        CaduDeframerConfig {
            frame_bytes,
            ..CaduDeframerConfig::CADU_1024
        }
    }

    fn frame_payload(k: u8, n: usize) -> Vec<u8> {
        (0..n).map(|i| (i as u8).wrapping_mul(31) ^ k).collect()
    }

    #[test]
    fn locks_flywheels_and_loses_lock() {
        let n = 40;
        let mut bits = vec![1, 0, 1, 1, 0, 0, 0, 1, 1];
        for k in 0..4u8 {
            push_word(&mut bits, CCSDS_ASM ^ if k == 2 { 0x0000_0007 } else { 0 });
            push_bytes(&mut bits, &frame_payload(k, n));
        }
        // Markers now destroyed for 6 frames: 4 flywheel frames, then NOSYNC.
        for k in 4..10u8 {
            push_word(&mut bits, 0x5555_5555);
            push_bytes(&mut bits, &frame_payload(k, n));
        }
        let mut d = CaduDeframer::new(config(n)).unwrap();
        let mut frames = Vec::new();
        d.process(&bits, &mut frames);
        let states: Vec<DeframerState> = frames.iter().map(|f| f.state).collect();
        use DeframerState::*;
        assert_eq!(
            states,
            vec![Syncing, Synced, Synced, Synced, Synced, Synced, Synced, Synced]
        );
        for (k, f) in frames.iter().enumerate() {
            assert_eq!(f.data, frame_payload(k as u8, n), "frame {k}");
        }
        assert_eq!(frames[0].asm_bit_index, 9);
        assert_eq!(frames[2].asm_bit_errors, 3);
        assert_eq!(
            frames[4].asm_bit_errors,
            (0x5555_5555u32 ^ CCSDS_ASM).count_ones()
        );
        assert_eq!(d.state(), NoSync);
        // The fifth missed marker (frame 8) dropped the lock.
        assert_eq!(d.lock_lost_at(), Some(9 + 8 * (32 + 8 * n as u64)));
        assert_eq!(d.last_missed_marker(), d.lock_lost_at());
    }

    #[test]
    fn inverted_stream_and_chunking() {
        let n = 25;
        let mut bits = vec![0u8; 5];
        for k in 0..5u8 {
            push_word(&mut bits, CCSDS_ASM);
            push_bytes(&mut bits, &frame_payload(k, n));
        }
        let inverted: Vec<u8> = bits.iter().map(|b| b ^ 1).collect();
        let mut reference = Vec::new();
        CaduDeframer::new(config(n))
            .unwrap()
            .process(&inverted, &mut reference);
        assert_eq!(reference.len(), 5);
        assert!(reference.iter().all(|f| f.inverted));
        assert_eq!(reference[3].data, frame_payload(3, n));
        for chunk in [1usize, 7, 100] {
            let mut d = CaduDeframer::new(config(n)).unwrap();
            let mut out = Vec::new();
            for c in inverted.chunks(chunk) {
                d.process(c, &mut out);
            }
            assert_eq!(out, reference, "chunk {chunk}");
        }
    }

    #[test]
    fn frames_are_the_same_under_any_chunking_and_bit_alignment() {
        // Chunks that split bytes at every offset, and markers at every bit offset
        // from the start, in both polarities: the byte-wise path and the bit-wise one
        // must cut the same frames.
        let n = 33;
        for lead in 0..8usize {
            let mut bits = vec![1u8; lead];
            for k in 0..6u8 {
                push_word(&mut bits, CCSDS_ASM);
                push_bytes(&mut bits, &frame_payload(k, n));
            }
            for invert in [0u8, 1] {
                let input: Vec<u8> = bits.iter().map(|b| b ^ invert).collect();
                for chunk in [1usize, 3, 8, 9, 13, 64, 1000] {
                    let mut d = CaduDeframer::new(config(n)).unwrap();
                    let mut out = Vec::new();
                    for c in input.chunks(chunk) {
                        d.process(c, &mut out);
                    }
                    assert_eq!(out.len(), 6, "lead {lead} chunk {chunk}");
                    for (k, f) in out.iter().enumerate() {
                        assert_eq!(f.data, frame_payload(k as u8, n), "frame {k}");
                        assert_eq!(f.inverted, invert == 1);
                        assert_eq!(f.asm_bit_index, (lead + k * (32 + 8 * n)) as u64);
                    }
                }
            }
        }
    }

    #[test]
    fn fast_relock_on_old_grid() {
        let n = 20;
        let mut bits = Vec::new();
        for k in 0..3u8 {
            push_word(&mut bits, CCSDS_ASM);
            push_bytes(&mut bits, &frame_payload(k, n));
        }
        for k in 3..9u8 {
            push_word(&mut bits, 0);
            push_bytes(&mut bits, &frame_payload(k, n));
        }
        push_word(&mut bits, CCSDS_ASM);
        push_bytes(&mut bits, &frame_payload(9, n));
        let mut d = CaduDeframer::new(config(n)).unwrap();
        let mut frames = Vec::new();
        d.process(&bits, &mut frames);
        let last = frames.last().unwrap();
        assert_eq!(last.data, frame_payload(9, n));
        assert_eq!(last.state, DeframerState::Synced);
    }
}
