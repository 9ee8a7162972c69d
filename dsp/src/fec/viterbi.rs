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

use super::{clamp_soft, CONV_G1_REG, CONV_G2_REG};

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
        c1[j] = if (reg & CONV_G1_REG).count_ones() & 1 == 1 {
            1
        } else {
            -1
        };
        c2[j] = if (reg & CONV_G2_REG).count_ones() & 1 == 1 {
            1
        } else {
            -1
        };
        j += 1;
    }
    BranchSigns { c1, c2 }
}

static SIGNS: BranchSigns = branch_signs();

/// Expected (C1 << 1 | C2) for each 7-bit encoder register (newest bit in bit 0).
const ENCODE_TABLE: [u8; 128] = {
    let mut t = [0u8; 128];
    let mut r = 0;
    while r < 128 {
        let c1 = ((r as u8 & CONV_G1_REG).count_ones() & 1) as u8;
        let c2 = ((r as u8 & CONV_G2_REG).count_ones() & 1) as u8;
        t[r] = (c1 << 1) | c2;
        r += 1;
    }
    t
};

/// The soft-decision Viterbi decoder. See the module documentation.
#[derive(Clone)]
pub struct Viterbi {
    config: ViterbiConfig,
    metrics: [i16; 64],
    /// Survivor decisions per step: bit s set when state s was reached from its
    /// predecessor with oldest bit 1, i.e. from (s >> 1) | 32.
    decisions: Vec<u64>,
    /// Hard decisions of the received pair per step (C1 in bit 1, C2 in bit 0), for BER.
    received: Vec<u8>,
    /// Per step, the branch correlations a+b and a−b packed as two i16 in a u32, in
    /// both orders (see `acs_avx2`).
    correlations: Vec<[u32; 2]>,
    filled: usize,
    pending: Option<i8>,
    steps: u64,
    stats: ViterbiStats,
    kernel: Kernel,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kernel {
    Generic,
    #[cfg(target_arch = "x86_64")]
    Avx2,
}

impl fmt::Debug for Viterbi {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Viterbi")
            .field("config", &self.config)
            .field("steps", &self.steps)
            .field("stats", &self.stats)
            .field("kernel", &self.kernel)
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
            decisions: vec![0u64; capacity],
            received: vec![0u8; capacity],
            correlations: vec![[0u32; 2]; capacity],
            filled: 0,
            pending: None,
            steps: 0,
            stats: ViterbiStats::default(),
            kernel: best_kernel(),
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
    /// input) and resets the decoder, keeping the counters. An unpaired trailing symbol
    /// is dropped.
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
        let received = &mut self.received[start..start + steps];
        let correlations = &mut self.correlations[start..start + steps];
        prepare_pairs(pairs, self.config.invert_g2, received, correlations);
        let decisions = &mut self.decisions[start..start + steps];
        match self.kernel {
            Kernel::Generic => acs_generic(&mut self.metrics, correlations, decisions, self.steps),
            #[cfg(target_arch = "x86_64")]
            // SAFETY: Kernel::Avx2 is chosen only when the CPU reported AVX2 support.
            Kernel::Avx2 => unsafe {
                acs_avx2(&mut self.metrics, correlations, decisions, self.steps)
            },
        }
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
    /// steps `0..count`, which must all lie before `end`. The encoder register of each
    /// released step is read off the survivor path (state | oldest bit << 6): that is the
    /// re-encoding of the decided bits, compared here with the received hard decisions.
    fn release(&mut self, mut state: usize, end: usize, count: usize, output: &mut Vec<u8>) {
        for &word in self.decisions[count..end].iter().rev() {
            let d = ((word >> state) & 1) as usize;
            state = (state >> 1) | (d << 5);
        }
        // The registers of the first six steps after a reset hold bits from before the
        // start, which the path merely guesses: leave them out of the estimate.
        let skip = 6u64
            .saturating_sub(self.stats.decoded_bits)
            .min(count as u64) as usize;
        let base = output.len();
        output.resize(base + count, 0);
        let (head_bits, tail_bits) = output[base..].split_at_mut(skip);
        let (head_dec, tail_dec) = self.decisions[..count].split_at(skip);
        let (head_rx, tail_rx) = self.received[..count].split_at(skip);
        let mut errors = 0u32;
        for ((bit, &word), &rx) in tail_bits.iter_mut().zip(tail_dec).zip(tail_rx).rev() {
            let d = ((word >> state) & 1) as usize;
            *bit = (state & 1) as u8;
            let diff = ENCODE_TABLE[state | (d << 6)] ^ rx;
            errors += ((diff & 1) + (diff >> 1)) as u32;
            state = (state >> 1) | (d << 5);
        }
        for ((bit, &word), _) in head_bits.iter_mut().zip(head_dec).zip(head_rx).rev() {
            let d = ((word >> state) & 1) as usize;
            *bit = (state & 1) as u8;
            state = (state >> 1) | (d << 5);
        }
        let errors = errors as u64;
        let compared = 2 * (count - skip) as u64;
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

fn best_kernel() -> Kernel {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            return Kernel::Avx2;
        }
    }
    Kernel::Generic
}

/// Per step: undo the optional G2 inversion, store the hard decisions (C1 << 1 | C2)
/// for the BER estimate and the correlations P = a+b, Q = a−b as [P | Q<<16, Q | P<<16].
fn prepare_pairs(
    pairs: &[i8],
    invert_g2: bool,
    received: &mut [u8],
    correlations: &mut [[u32; 2]],
) {
    let flip: i16 = if invert_g2 { -1 } else { 1 };
    for ((pair, rx), pq) in pairs
        .chunks_exact(2)
        .zip(received.iter_mut())
        .zip(correlations.iter_mut())
    {
        let a = clamp_soft(pair[0]) as i16;
        let b = clamp_soft(pair[1]) as i16 * flip;
        *rx = (((a > 0) as u8) << 1) | (b > 0) as u8;
        let p = (a + b) as u16 as u32;
        let q = (a - b) as u16 as u32;
        *pq = [p | (q << 16), q | (p << 16)];
    }
}

/// The two correlations (a+b, a−b) back from their packed form.
#[inline(always)]
fn unpack_correlations(pq: &[u32; 2]) -> (i16, i16) {
    (pq[0] as u16 as i16, (pq[0] >> 16) as u16 as i16)
}

/// Portable add-compare-select over `pairs.len() / 2` steps (maximises correlation).
fn acs_generic(
    metrics: &mut [i16; 64],
    correlations: &[[u32; 2]],
    decisions: &mut [u64],
    first_step: u64,
) {
    let mut m = *metrics;
    for (t, (pq, dec)) in correlations.iter().zip(decisions.iter_mut()).enumerate() {
        let (p, q) = unpack_correlations(pq);
        let mut next = [0i16; 64];
        let mut word = 0u64;
        for j in 0..32 {
            // c1·a + c2·b = c1·(a+b) when c1 = c2, c1·(a−b) otherwise.
            let c = SIGNS.c1[j] * if SIGNS.c1[j] == SIGNS.c2[j] { p } else { q };
            let m0 = m[j];
            let m1 = m[j + 32];
            // Into 2j: from j (input 0 in the oldest slot) with C, from j+32 with −C;
            // into 2j+1 the other way round (the newest bit flips both symbols too).
            let (e0, e1, o0, o1) = (m0 + c, m1 - c, m0 - c, m1 + c);
            next[2 * j] = e0.max(e1);
            next[2 * j + 1] = o0.max(o1);
            word |= ((e1 > e0) as u64) << (2 * j);
            word |= ((o1 > o0) as u64) << (2 * j + 1);
        }
        m = next;
        *dec = word;
        if (first_step + t as u64) % RENORM_INTERVAL == RENORM_INTERVAL - 1 {
            let reference = m[0];
            for v in m.iter_mut() {
                *v -= reference;
            }
        }
    }
    *metrics = m;
}

/// Turns the decision word the AVX2 kernel assembles (per 16-bit group: byte 0 = the
/// "even" decisions of 8 butterflies, byte 1 = the "odd" ones) into state order by
/// interleaving the two bytes of every 16-bit group (an outer perfect shuffle,
/// Hacker's Delight §7-2, done on four groups at once).
#[inline(always)]
fn interleave_byte_pairs(mut x: u64) -> u64 {
    let t = (x ^ (x >> 4)) & 0x00F0_00F0_00F0_00F0;
    x ^= t ^ (t << 4);
    let t = (x ^ (x >> 2)) & 0x0C0C_0C0C_0C0C_0C0C;
    x ^= t ^ (t << 2);
    let t = (x ^ (x >> 1)) & 0x2222_2222_2222_2222;
    x ^ t ^ (t << 1)
}

/// AVX2 add-compare-select, same arithmetic as [`acs_generic`]. 64 metrics in four
/// registers of 16 × i16 in state order. The branch correlation of butterfly j is
/// ±(a+b) when C1 and C2 agree for it and ±(a−b) otherwise; that pattern alternates
/// with j (G1 ^ G2 taps bits 1 and 5), so one broadcast of the pair (a+b, a−b) and one
/// `vpsignw` give all 16 correlations of a register.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn acs_avx2(
    metrics: &mut [i16; 64],
    correlations: &[[u32; 2]],
    decisions: &mut [u64],
    first_step: u64,
) {
    use std::arch::x86_64::*;

    // Sign (of the a+b or a−b term) per butterfly, and which term each lane takes.
    let mut sign_lo = [0i16; 16];
    let mut sign_hi = [0i16; 16];
    sign_lo.copy_from_slice(&SIGNS.c1[..16]);
    sign_hi.copy_from_slice(&SIGNS.c1[16..]);
    // SAFETY (all loads/stores below): pointers come from arrays of exactly 16 i16.
    let (sign_lo, sign_hi) = unsafe {
        (
            _mm256_loadu_si256(sign_lo.as_ptr().cast()),
            _mm256_loadu_si256(sign_hi.as_ptr().cast()),
        )
    };
    let mut m = [_mm256_setzero_si256(); 4];
    for (k, reg) in m.iter_mut().enumerate() {
        // SAFETY: metrics has 64 i16, k*16 .. k*16+16 is in bounds.
        *reg = unsafe { _mm256_loadu_si256(metrics.as_ptr().add(16 * k).cast()) };
    }
    for (t, (pq, dec)) in correlations.iter().zip(decisions.iter_mut()).enumerate() {
        // Butterflies 0..15: a+b on even j; 16..31: a+b on odd j.
        let c_lo = _mm256_sign_epi16(_mm256_set1_epi32(pq[0] as i32), sign_lo);
        let c_hi = _mm256_sign_epi16(_mm256_set1_epi32(pq[1] as i32), sign_hi);

        let butterfly = |lo: __m256i, hi: __m256i, c: __m256i| {
            let e0 = _mm256_add_epi16(lo, c);
            let e1 = _mm256_sub_epi16(hi, c);
            let o0 = _mm256_sub_epi16(lo, c);
            let o1 = _mm256_add_epi16(hi, c);
            let even = _mm256_max_epi16(e0, e1);
            let odd = _mm256_max_epi16(o0, o1);
            let d = _mm256_packs_epi16(_mm256_cmpgt_epi16(e1, e0), _mm256_cmpgt_epi16(o1, o0));
            let bits = _mm256_movemask_epi8(d) as u32;
            let il = _mm256_unpacklo_epi16(even, odd);
            let ih = _mm256_unpackhi_epi16(even, odd);
            (
                _mm256_permute2x128_si256(il, ih, 0x20),
                _mm256_permute2x128_si256(il, ih, 0x31),
                bits,
            )
        };
        let (n0, n1, bits_lo) = butterfly(m[0], m[2], c_lo);
        let (n2, n3, bits_hi) = butterfly(m[1], m[3], c_hi);
        m = [n0, n1, n2, n3];
        *dec = bits_lo as u64 | ((bits_hi as u64) << 32);

        if (first_step + t as u64) % RENORM_INTERVAL == RENORM_INTERVAL - 1 {
            let reference = _mm256_broadcastw_epi16(_mm256_castsi256_si128(m[0]));
            for reg in m.iter_mut() {
                *reg = _mm256_sub_epi16(*reg, reference);
            }
        }
    }
    for (k, reg) in m.iter().enumerate() {
        // SAFETY: as above.
        unsafe { _mm256_storeu_si256(metrics.as_mut_ptr().add(16 * k).cast(), *reg) };
    }
    // Into state order in a separate pass, where the bit shuffles vectorise.
    for word in decisions.iter_mut() {
        *word = interleave_byte_pairs(*word);
    }
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
        symbols
            .iter()
            .map(|&s| if s == 1 { amplitude } else { -amplitude })
            .collect()
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
        b.kernel = Kernel::Generic;
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
