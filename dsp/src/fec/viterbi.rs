//! Streaming soft-decision Viterbi decoder for the CCSDS (7, 1/2) convolutional code
//! (CCSDS 131.0-B-2 §3.3; generators and register layout in [`super::conv_encoder`]).
//!
//! Input: soft symbols (`i8`, positive = 1) in pairs C1, C2. Output: decoded bits (0/1).
//!
//! How it is fast: 64 states, path metrics in `i16`, the add-compare-select written over
//! fixed-size arrays of the 32 butterflies so the compiler turns it into SIMD (and the
//! same code is compiled a second time for AVX2, picked at run time). Branch metrics are
//! ±C1 ± C2 correlations: a state's two incoming branches carry complementary symbols,
//! because both generators tap the oldest and the newest bit, so one correlation per
//! butterfly serves all four branches. Survivor decisions are bytes; traceback runs once
//! per block of [`BLOCK_BITS`] decoded bits, from the best state, over the configured
//! depth.
//!
//! Chunk invariance: output boundaries, metric renormalisation and traceback are keyed to
//! the absolute count of symbol pairs, never to the chunking of the input.
//!
//! BER estimate: every decoded bit is re-encoded and the result compared with the hard
//! decisions of the received symbols; the fraction that differ estimates the channel
//! symbol error rate (exact when the decoded bits are right).

use std::fmt;

use super::{clamp_soft, parity7, CONV_G1_REG, CONV_G2_REG};

/// Decoded bits released per traceback.
pub const BLOCK_BITS: usize = 256;
/// Smallest accepted traceback depth: 5 constraint lengths, the usual rule for K = 7.
pub const MIN_TRACEBACK_BITS: usize = 35;
/// Largest accepted traceback depth.
pub const MAX_TRACEBACK_BITS: usize = 1024;
/// Metrics are renormalised every this many steps. A step raises a metric by at most
/// 2·127, so 16 steps add < 4100 on top of a spread of a few thousand: far inside i16.
const RENORM_INTERVAL: u64 = 16;

/// Options of [`Viterbi`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ViterbiConfig {
    /// The transmitter inverted C2 (CCSDS 131.0-B-2 §3.3.1 (5)); `false` for Meteor-M.
    pub invert_g2: bool,
    /// Steps traced back before a bit is decided, 35..=1024; 64 is a sound default for
    /// soft decisions at K = 7.
    pub traceback_depth_bits: usize,
}

impl ViterbiConfig {
    /// Standard CCSDS code (G2 inverted), traceback 64.
    pub const CCSDS: Self = Self {
        invert_g2: true,
        traceback_depth_bits: 64,
    };
    /// Meteor-M LRPT (G2 not inverted), traceback 64.
    pub const METEOR: Self = Self {
        invert_g2: false,
        traceback_depth_bits: 64,
    };
}

/// Configuration errors of [`Viterbi`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ViterbiError {
    /// The traceback depth is outside 35..=1024.
    TracebackDepth(usize),
}

impl fmt::Display for ViterbiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ViterbiError::TracebackDepth(d) => write!(
                f,
                "Viterbi traceback_depth_bits must be {MIN_TRACEBACK_BITS}..={MAX_TRACEBACK_BITS}, got {d}"
            ),
        }
    }
}

impl std::error::Error for ViterbiError {}

/// Running counters of a [`Viterbi`] decoder since the last reset.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ViterbiStats {
    /// Bits released so far.
    pub decoded_bits: u64,
    /// Received symbols compared with the re-encoded output.
    pub compared_symbols: u64,
    /// Of those, how many differed.
    pub symbol_errors: u64,
    /// Exponentially smoothed symbol error rate of the last few blocks (≈ 8 blocks).
    pub recent_ber: f32,
}

impl ViterbiStats {
    /// Symbol error rate over everything compared since the reset.
    pub fn ber(&self) -> f64 {
        if self.compared_symbols == 0 {
            0.0
        } else {
            self.symbol_errors as f64 / self.compared_symbols as f64
        }
    }
}

/// Correlation signs of the branch into state 2j from predecessor j (oldest bit 0):
/// +1 where the expected symbol is 1.
struct BranchSigns {
    c1: [i16; 32],
    c2: [i16; 32],
}

const fn branch_signs() -> BranchSigns {
    let mut c1 = [0i16; 32];
    let mut c2 = [0i16; 32];
    let mut j = 0;
    while j < 32 {
        // Register for "from j with input 0 into 2j": oldest bit (bit 6) 0, state 2j.
        let reg = (2 * j) as u8;
        c1[j] = if (reg & CONV_G1_REG).count_ones() & 1 == 1 { 1 } else { -1 };
        c2[j] = if (reg & CONV_G2_REG).count_ones() & 1 == 1 { 1 } else { -1 };
        j += 1;
    }
    BranchSigns { c1, c2 }
}

static SIGNS: BranchSigns = branch_signs();

/// The soft-decision Viterbi decoder. See the module documentation.
#[derive(Clone)]
pub struct Viterbi {
    config: ViterbiConfig,
    metrics: [i16; 64],
    /// Survivor decisions per step; entry [t][k]: k < 32 is state 2k, k ≥ 32 state 2(k−32)+1.
    decisions: Vec<[u8; 64]>,
    /// Hard decisions of the received pair per step (C1 in bit 1, C2 in bit 0), for BER.
    received: Vec<u8>,
    filled: usize,
    pending: Option<i8>,
    steps: u64,
    reencoder: u8,
    stats: ViterbiStats,
    use_avx2: bool,
}

impl fmt::Debug for Viterbi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Viterbi")
            .field("config", &self.config)
            .field("steps", &self.steps)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl Viterbi {
    /// New decoder; start state unknown (all metrics equal).
    pub fn new(config: ViterbiConfig) -> Result<Self, ViterbiError> {
        let depth = config.traceback_depth_bits;
        if !(MIN_TRACEBACK_BITS..=MAX_TRACEBACK_BITS).contains(&depth) {
            return Err(ViterbiError::TracebackDepth(depth));
        }
        let capacity = depth + BLOCK_BITS;
        Ok(Self {
            config,
            metrics: [0; 64],
            decisions: vec![[0u8; 64]; capacity],
            received: vec![0u8; capacity],
            filled: 0,
            pending: None,
            steps: 0,
            reencoder: 0,
            stats: ViterbiStats::default(),
            use_avx2: detect_avx2(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &ViterbiConfig {
        &self.config
    }

    /// Counters since the last reset.
    pub fn stats(&self) -> ViterbiStats {
        self.stats
    }

    /// Symbol pairs still to be fed before the next batch of bits is released. Callers
    /// that must react to output at a reproducible input position feed at most this many.
    pub fn pairs_until_output(&self) -> usize {
        self.decisions.len() - self.filled
    }

    /// Whether an odd symbol is waiting for its partner.
    pub fn has_pending_symbol(&self) -> bool {
        self.pending.is_some()
    }

    /// Decodes soft symbols (C1, C2, C1, C2 …), appending decided bits. An odd trailing
    /// symbol is kept for the next call. Bits come out in batches of [`BLOCK_BITS`], the
    /// last `traceback_depth_bits` + up to a block being held back until more input or
    /// [`flush`](Self::flush).
    pub fn process(&mut self, soft: &[i8], output: &mut Vec<u8>) {
        let mut input = soft;
        if let Some(first) = self.pending.take() {
            match input.split_first() {
                Some((&second, rest)) => {
                    self.run(&[first, second], output);
                    input = rest;
                }
                None => {
                    self.pending = Some(first);
                    return;
                }
            }
        }
        let even = input.len() & !1;
        self.run(&input[..even], output);
        if even < input.len() {
            self.pending = Some(input[even]);
        }
    }

    /// Releases every bit still held (traceback from the best state at the end of the
    /// input) and resets the decoder. An unpaired trailing symbol is dropped.
    pub fn flush(&mut self, output: &mut Vec<u8>) {
        if self.filled > 0 {
            let start = self.best_state();
            self.release(start, self.filled, self.filled, output);
        }
        let stats = self.stats;
        self.reset();
        self.stats = stats;
    }

    /// Forgets all state and counters.
    pub fn reset(&mut self) {
        self.metrics = [0; 64];
        self.filled = 0;
        self.pending = None;
        self.steps = 0;
        self.reencoder = 0;
        self.stats = ViterbiStats::default();
    }

    fn run(&mut self, pairs: &[i8], output: &mut Vec<u8>) {
        let mut rest = pairs;
        while rest.len() >= 2 {
            let room = self.decisions.len() - self.filled;
            let take = room.min(rest.len() / 2);
            let (now, later) = rest.split_at(take * 2);
            self.acs_block(now);
            rest = later;
            if self.filled == self.decisions.len() {
                let start = self.best_state();
                let depth = self.config.traceback_depth_bits;
                self.release(start, self.filled, self.filled - depth, output);
                // Keep the last `depth` steps for the next traceback.
                let total = self.filled;
                self.decisions.copy_within(total - depth..total, 0);
                self.received.copy_within(total - depth..total, 0);
                self.filled = depth;
            }
        }
    }

    fn acs_block(&mut self, pairs: &[i8]) {
        let start = self.filled;
        let steps = pairs.len() / 2;
        let decisions = &mut self.decisions[start..start + steps];
        let received = &mut self.received[start..start + steps];
        let invert = self.config.invert_g2;
        #[cfg(target_arch = "x86_64")]
        {
            if self.use_avx2 {
                // SAFETY: use_avx2 is true only when the CPU reported AVX2 support.
                unsafe {
                    acs_avx2(&mut self.metrics, pairs, decisions, received, invert, self.steps);
                }
            } else {
                acs_generic(&mut self.metrics, pairs, decisions, received, invert, self.steps);
            }
        }
        #[cfg(not(target_arch = "x86_64"))]
        acs_generic(&mut self.metrics, pairs, decisions, received, invert, self.steps);
        self.filled += steps;
        self.steps += steps as u64;
    }

    fn best_state(&self) -> usize {
        let mut best = 0;
        for s in 1..64 {
            if self.metrics[s] > self.metrics[best] {
                best = s;
            }
        }
        best
    }

    /// Traces back from `state` (the state after step `end − 1`) and appends the bits of
    /// steps `0..count`, which must all lie before `end`.
    fn release(&mut self, mut state: usize, end: usize, count: usize, output: &mut Vec<u8>) {
        for t in (count..end).rev() {
            state = predecessor(state, &self.decisions[t]);
        }
        let base = output.len();
        output.resize(base + count, 0);
        let bits = &mut output[base..];
        for t in (0..count).rev() {
            bits[t] = (state & 1) as u8;
            state = predecessor(state, &self.decisions[t]);
        }
        // Re-encode the released bits and compare with what was received.
        let mut reg = self.reencoder;
        let mut errors = 0u64;
        for (t, &b) in bits.iter().enumerate() {
            reg = ((reg << 1) | b) & 0x7F;
            let expected = (parity7(reg & CONV_G1_REG) << 1) | parity7(reg & CONV_G2_REG);
            errors += (expected ^ self.received[t]).count_ones() as u64;
        }
        // The first six bits after a reset are re-encoded from an unknown register.
        let skip = 6u64.saturating_sub(self.stats.decoded_bits).min(count as u64);
        if skip > 0 {
            let mut head_reg = self.reencoder;
            for (t, &b) in bits.iter().enumerate().take(skip as usize) {
                head_reg = ((head_reg << 1) | b) & 0x7F;
                let expected =
                    (parity7(head_reg & CONV_G1_REG) << 1) | parity7(head_reg & CONV_G2_REG);
                errors -= (expected ^ self.received[t]).count_ones() as u64;
            }
        }
        self.reencoder = reg & 0x3F;
        let compared = 2 * (count as u64 - skip);
        self.stats.decoded_bits += count as u64;
        self.stats.compared_symbols += compared;
        self.stats.symbol_errors += errors;
        if compared > 0 {
            let block_ber = errors as f32 / compared as f32;
            self.stats.recent_ber = if self.stats.compared_symbols == compared {
                block_ber
            } else {
                self.stats.recent_ber + (block_ber - self.stats.recent_ber) / 8.0
            };
        }
    }
}

#[inline(always)]
fn predecessor(state: usize, decisions: &[u8; 64]) -> usize {
    let index = (state & 1) * 32 + (state >> 1);
    (state >> 1) | ((decisions[index] as usize) << 5)
}

#[cfg(target_arch = "x86_64")]
fn detect_avx2() -> bool {
    std::arch::is_x86_feature_detected!("avx2")
}

#[cfg(not(target_arch = "x86_64"))]
fn detect_avx2() -> bool {
    false
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn acs_avx2(
    metrics: &mut [i16; 64],
    pairs: &[i8],
    decisions: &mut [[u8; 64]],
    received: &mut [u8],
    invert_g2: bool,
    first_step: u64,
) {
    acs_generic(metrics, pairs, decisions, received, invert_g2, first_step);
}

/// Add-compare-select over `pairs.len() / 2` steps. Maximises correlation.
#[inline(always)]
fn acs_generic(
    metrics: &mut [i16; 64],
    pairs: &[i8],
    decisions: &mut [[u8; 64]],
    received: &mut [u8],
    invert_g2: bool,
    first_step: u64,
) {
    let mut m = *metrics;
    for (t, ((pair, dec), rx)) in pairs
        .chunks_exact(2)
        .zip(decisions.iter_mut())
        .zip(received.iter_mut())
        .enumerate()
    {
        let a = clamp_soft(pair[0]);
        let mut b = clamp_soft(pair[1]);
        if invert_g2 {
            b = -b;
        }
        *rx = (((a > 0) as u8) << 1) | (b > 0) as u8;
        let a = a as i16;
        let b = b as i16;
        let mut even = [0i16; 32];
        let mut odd = [0i16; 32];
        for j in 0..32 {
            let c = SIGNS.c1[j] * a + SIGNS.c2[j] * b;
            let m0 = m[j];
            let m1 = m[j + 32];
            let e0 = m0 + c;
            let e1 = m1 - c;
            let o0 = m0 - c;
            let o1 = m1 + c;
            even[j] = e0.max(e1);
            odd[j] = o0.max(o1);
            dec[j] = (e1 > e0) as u8;
            dec[j + 32] = (o1 > o0) as u8;
        }
        for j in 0..32 {
            m[2 * j] = even[j];
            m[2 * j + 1] = odd[j];
        }
        if (first_step + t as u64) % RENORM_INTERVAL == RENORM_INTERVAL - 1 {
            let top = m.iter().copied().max().unwrap_or(0);
            for v in m.iter_mut() {
                *v -= top;
            }
        }
    }
    *metrics = m;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::{ConvEncoder, ConvEncoderConfig};

    fn random_bits(n: usize, seed: u64) -> Vec<u8> {
        let mut s = seed;
        (0..n)
            .map(|_| {
                s ^= s << 13;
                s ^= s >> 7;
                s ^= s << 17;
                (s & 1) as u8
            })
            .collect()
    }

    fn to_soft(symbols: &[u8], amplitude: i8) -> Vec<i8> {
        symbols.iter().map(|&s| if s == 1 { amplitude } else { -amplitude }).collect()
    }

    #[test]
    fn clean_round_trip_both_conventions() {
        for cfg in [ViterbiConfig::CCSDS, ViterbiConfig::METEOR] {
            let bits = random_bits(5000, 3);
            let mut symbols = Vec::new();
            ConvEncoder::new(ConvEncoderConfig {
                invert_g2: cfg.invert_g2,
            })
            .process(&bits, &mut symbols);
            let mut dec = Viterbi::new(cfg).unwrap();
            let mut out = Vec::new();
            dec.process(&to_soft(&symbols, 100), &mut out);
            dec.flush(&mut out);
            assert_eq!(out, bits);
            let stats = dec.stats();
            assert_eq!(stats.symbol_errors, 0);
            assert_eq!(stats.decoded_bits, 5000);
        }
    }

    #[test]
    fn corrects_scattered_symbol_errors_and_counts_them() {
        let bits = random_bits(4000, 11);
        let mut symbols = Vec::new();
        ConvEncoder::new(ConvEncoderConfig::METEOR).process(&bits, &mut symbols);
        let mut soft = to_soft(&symbols, 60);
        // One flipped symbol every 40: far apart enough for d_free = 10.
        let mut flipped = 0;
        for i in (20..soft.len() - 200).step_by(40) {
            soft[i] = -soft[i];
            flipped += 1;
        }
        let mut dec = Viterbi::new(ViterbiConfig::METEOR).unwrap();
        let mut out = Vec::new();
        dec.process(&soft, &mut out);
        dec.flush(&mut out);
        assert_eq!(out, bits);
        assert_eq!(dec.stats().symbol_errors, flipped);
    }

    #[test]
    fn chunking_does_not_change_output() {
        let bits = random_bits(3000, 5);
        let mut symbols = Vec::new();
        ConvEncoder::new(ConvEncoderConfig::CCSDS).process(&bits, &mut symbols);
        let mut soft = to_soft(&symbols, 40);
        for (i, s) in soft.iter_mut().enumerate() {
            // Deterministic "noise" that leaves some symbols wrong.
            *s = s.saturating_add(((i * 7919 % 97) as i8) - 48);
        }
        let mut reference = Vec::new();
        let mut dec = Viterbi::new(ViterbiConfig::CCSDS).unwrap();
        dec.process(&soft, &mut reference);
        let ref_stats = dec.stats();
        for chunk in [1usize, 3, 13, 257, 4096] {
            let mut d = Viterbi::new(ViterbiConfig::CCSDS).unwrap();
            let mut out = Vec::new();
            for c in soft.chunks(chunk) {
                d.process(c, &mut out);
            }
            assert_eq!(out, reference, "chunk {chunk}");
            assert_eq!(d.stats(), ref_stats);
        }
    }

    #[test]
    fn generic_and_dispatched_kernels_agree() {
        let bits = random_bits(2000, 9);
        let mut symbols = Vec::new();
        ConvEncoder::new(ConvEncoderConfig::METEOR).process(&bits, &mut symbols);
        let soft: Vec<i8> = to_soft(&symbols, 30)
            .iter()
            .enumerate()
            .map(|(i, &s)| s.saturating_add(((i * 31 % 61) as i8) - 30))
            .collect();
        let mut a = Viterbi::new(ViterbiConfig::METEOR).unwrap();
        let mut b = Viterbi::new(ViterbiConfig::METEOR).unwrap();
        b.use_avx2 = false;
        let (mut oa, mut ob) = (Vec::new(), Vec::new());
        a.process(&soft, &mut oa);
        b.process(&soft, &mut ob);
        assert_eq!(oa, ob);
        assert_eq!(a.metrics, b.metrics);
    }

    #[test]
    fn rejects_short_traceback() {
        assert_eq!(
            Viterbi::new(ViterbiConfig {
                invert_g2: false,
                traceback_depth_bits: 20
            })
            .unwrap_err(),
            ViterbiError::TracebackDepth(20)
        );
    }
}
