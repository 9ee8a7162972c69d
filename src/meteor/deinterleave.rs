//! The Meteor-M LRPT 80 kBd mode's symbol interleaver, undone.
//!
//! In this mode the satellite inserts an 8-bit marker (0x27) before every 72 encoded
//! bits (so 80 soft bits per block) and spreads the encoded bits over 36 branches of
//! a convolutional interleaver whose branch delay grows by 36 × 2048 bits per branch.
//! Receivers undo it as: find the markers, drop them, and delay data bit `k` (counted
//! from a marker, so that its branch is `k mod 36`) by `(35 − k mod 36) · 73 728` bits.
//! The layout (marker 0x27, 80-bit stride, 36 branches × 2048) is as documented by the
//! Meteor-M N2-2 community decoders (meteor_decode's `deinterleave.h`, jradio's
//! `MeteorMN22`) and confirmed here on the shared 80k recording: the first VCDU
//! decodes only with this delay law.
//!
//! The total delay is 35 × 73 728 = 2 580 480 bits (16 s at 160 000 soft bits/s):
//! nothing decodes before that, which is why the first CADU in the shared 80k
//! recording appears 14 s in.

/// The marker inserted every [`STRIDE`] soft bits.
pub const MARKER: u8 = 0x27;
/// Soft bits from one marker to the next.
pub const STRIDE: usize = 80;
/// Data bits between markers.
pub const DATA_PER_BLOCK: usize = STRIDE - 8;
pub const BRANCHES: usize = 36;
pub const BRANCH_DELAY: usize = 2048;
/// Delay added per branch, in data bits.
const STEP: usize = BRANCHES * BRANCH_DELAY;
/// Ring length: the longest delay plus one block of slack.
const RING: usize = BRANCHES * STEP;
/// Markers correlated to choose the block alignment.
const SEARCH_BLOCKS: usize = 32;

/// The eight forms the marker takes under the QPSK phase ambiguity (four rotations,
/// with and without I/Q swap), as ±1 per soft bit with bit 1 → +1.
fn marker_patterns() -> [[i8; 8]; 8] {
    let bits: [i8; 8] = std::array::from_fn(|i| if MARKER >> (7 - i) & 1 == 1 { 1 } else { -1 });
    let mut out = [[0i8; 8]; 8];
    for (v, pattern) in out.iter_mut().enumerate() {
        for s in 0..4 {
            let (mut i, mut q) = (bits[2 * s], bits[2 * s + 1]);
            if v >= 4 {
                std::mem::swap(&mut i, &mut q);
            }
            for _ in 0..(v % 4) {
                // One quarter turn: (I, Q) → (−Q, I).
                let t = i;
                i = -q;
                q = t;
            }
            pattern[2 * s] = i;
            pattern[2 * s + 1] = q;
        }
    }
    out
}

/// Streaming de-interleaver for 80 kBd LRPT soft bits.
pub struct Deinterleaver {
    patterns: [[i8; 8]; 8],
    /// Soft bits waiting for an alignment decision or a whole block.
    pending: Vec<i8>,
    /// Offset of the next marker in `pending` once aligned.
    aligned: bool,
    ring: Vec<i8>,
    /// Data bits written so far (the global index `k`).
    written: u64,
    markers_seen: u64,
    markers_missed: u64,
}

impl Default for Deinterleaver {
    fn default() -> Self {
        Self::new()
    }
}

impl Deinterleaver {
    pub fn new() -> Self {
        Deinterleaver {
            patterns: marker_patterns(),
            pending: Vec::new(),
            aligned: false,
            ring: vec![0; RING],
            written: 0,
            markers_seen: 0,
            markers_missed: 0,
        }
    }

    fn marker_score(&self, block: &[i8]) -> i32 {
        self.patterns
            .iter()
            .map(|p| {
                p.iter()
                    .zip(block)
                    .map(|(&a, &b)| a as i32 * b as i32)
                    .sum::<i32>()
            })
            .max()
            .unwrap_or(0)
    }

    /// Chooses the block phase (0..80) whose marker correlation, summed over the
    /// pending blocks, is highest.
    fn align(&mut self) {
        let blocks = self.pending.len() / STRIDE - 1;
        let best = (0..STRIDE)
            .max_by_key(|&phase| {
                (0..blocks)
                    .map(|b| self.marker_score(&self.pending[phase + b * STRIDE..]))
                    .sum::<i32>()
            })
            .unwrap_or(0);
        self.pending.drain(..best);
        self.aligned = true;
    }

    /// Consumes soft bits; appends de-interleaved data soft bits (72 per 80 in).
    pub fn process(&mut self, input: &[i8], output: &mut Vec<i8>) {
        self.pending.extend_from_slice(input);
        if !self.aligned {
            if self.pending.len() < (SEARCH_BLOCKS + 1) * STRIDE {
                return;
            }
            self.align();
        }
        let blocks = self.pending.len() / STRIDE;
        for b in 0..blocks {
            let block = &self.pending[b * STRIDE..(b + 1) * STRIDE];
            // A marker that no longer correlates means the demodulator slipped: count
            // it (the deframer above will lose sync and find it again).
            if self.marker_score(&block[..8]) > 0 {
                self.markers_seen += 1;
            } else {
                self.markers_missed += 1;
            }
            for &s in &block[8..] {
                let k = self.written;
                self.ring[(k % RING as u64) as usize] = s;
                // Output j = k: the bit written (35 − k mod 36) · STEP data bits ago.
                let lag = (BRANCHES - 1 - (k % BRANCHES as u64) as usize) * STEP;
                let out = if (lag as u64) <= k {
                    self.ring[((k - lag as u64) % RING as u64) as usize]
                } else {
                    0
                };
                output.push(out);
                self.written += 1;
            }
        }
        self.pending.drain(..blocks * STRIDE);
    }

    /// Markers that correlated / did not since the start.
    pub fn marker_counts(&self) -> (u64, u64) {
        (self.markers_seen, self.markers_missed)
    }

    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

/// The matching interleaver (for synthesis and tests): inserts the marker and delays
/// data bit `k` by `(k mod 36) · 73 728` bits so that the de-interleaver's complementary
/// delay makes every bit's total delay the same.
pub struct Interleaver {
    ring: Vec<i8>,
    written: u64,
}

impl Default for Interleaver {
    fn default() -> Self {
        Self::new()
    }
}

impl Interleaver {
    pub fn new() -> Self {
        Interleaver {
            ring: vec![0; RING],
            written: 0,
        }
    }

    /// Consumes soft bits (a multiple of 72 per call is not required) and appends the
    /// interleaved stream with markers (as ±100 soft bits).
    pub fn process(&mut self, input: &[i8], output: &mut Vec<i8>) {
        for &s in input {
            let k = self.written;
            if k.is_multiple_of(DATA_PER_BLOCK as u64) {
                for i in 0..8 {
                    output.push(if MARKER >> (7 - i) & 1 == 1 {
                        100
                    } else {
                        -100
                    });
                }
            }
            self.ring[(k % RING as u64) as usize] = s;
            let lag = (k % BRANCHES as u64) as usize * STEP;
            let out = if lag as u64 <= k {
                self.ring[((k - lag as u64) % RING as u64) as usize]
            } else {
                0
            };
            output.push(out);
            self.written += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_cover_rotations_and_inversion() {
        let p = marker_patterns();
        // 180° is the inversion of the plain marker.
        let inverted: Vec<i8> = p[0].iter().map(|x| -x).collect();
        assert_eq!(p[2].to_vec(), inverted);
        // All eight differ.
        for a in 0..8 {
            for b in a + 1..8 {
                assert_ne!(p[a], p[b], "{a} {b}");
            }
        }
    }

    #[test]
    fn interleave_then_deinterleave_delays_every_bit_equally() {
        let total_delay = (BRANCHES - 1) * STEP;
        let n = total_delay + 20_000;
        let data: Vec<i8> = (0..n)
            .map(|i| ((i * 7919 % 251) as i32 - 125) as i8)
            .collect();
        let mut tx = Interleaver::new();
        let mut on_air = vec![13i8, -50, 90]; // arbitrary leading junk: alignment must skip it
        tx.process(&data, &mut on_air);
        let mut rx = Deinterleaver::new();
        let mut out = Vec::new();
        for chunk in on_air.chunks(4099) {
            rx.process(chunk, &mut out);
        }
        assert!(out.len() + DATA_PER_BLOCK >= n, "{} of {n}", out.len());
        for j in total_delay..out.len() {
            assert_eq!(out[j], data[j - total_delay], "bit {j}");
        }
        let (seen, missed) = rx.marker_counts();
        assert!(missed == 0 && seen > 0);
    }

    #[test]
    fn output_does_not_depend_on_chunking() {
        let data: Vec<i8> = (0..300_000)
            .map(|i: i32| (i * 31 % 255 - 127) as i8)
            .collect();
        let mut tx = Interleaver::new();
        let mut on_air = Vec::new();
        tx.process(&data, &mut on_air);
        let run = |size: usize| {
            let mut rx = Deinterleaver::new();
            let mut out = Vec::new();
            for c in on_air.chunks(size) {
                rx.process(c, &mut out);
            }
            out
        };
        let whole = run(on_air.len());
        assert_eq!(whole, run(1));
        assert_eq!(whole, run(777));
    }
}
