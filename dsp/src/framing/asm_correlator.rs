//! Hard-decision attached-sync-marker correlator for decoded bits (after Viterbi): a
//! sliding window compared with the marker by XOR + popcount, accepting a few bit errors
//! and either polarity (an inverted stream matches the complemented marker).

/// A marker found by [`AsmCorrelator`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsmMatch {
    /// Bits that differ from the marker (from its complement when `inverted`).
    pub bit_errors: u32,
    /// The stream carries the complemented marker, so its data is inverted too.
    pub inverted: bool,
}

/// Sliding-window correlator over bits (0/1 per `u8`).
#[derive(Debug, Clone)]
pub struct AsmCorrelator {
    marker: u64,
    mask: u64,
    length_bits: u32,
    max_errors: u32,
    allow_inverted: bool,
    window: u64,
    seen: u32,
}

impl AsmCorrelator {
    /// `marker` holds `length_bits` (1..=64) bits, first transmitted in the MSB of that
    /// width. A window matches with at most `max_errors` differing bits. `None` when the
    /// length is out of range or the threshold is at least half the length (every
    /// window would then match one of the polarities).
    pub fn new(
        marker: u64,
        length_bits: u32,
        max_errors: u32,
        allow_inverted: bool,
    ) -> Option<Self> {
        if !(1..=64).contains(&length_bits) || 2 * max_errors >= length_bits {
            return None;
        }
        let mask = if length_bits == 64 {
            u64::MAX
        } else {
            (1u64 << length_bits) - 1
        };
        Some(Self {
            marker: marker & mask,
            mask,
            length_bits,
            max_errors,
            allow_inverted,
            window: 0,
            seen: 0,
        })
    }

    /// Marker length in bits.
    pub fn length_bits(&self) -> u32 {
        self.length_bits
    }

    /// Compares a whole window (last bit in bit 0) with the marker.
    #[inline]
    pub fn check(&self, window: u64) -> Option<AsmMatch> {
        let errors = ((window ^ self.marker) & self.mask).count_ones();
        if errors <= self.max_errors {
            return Some(AsmMatch {
                bit_errors: errors,
                inverted: false,
            });
        }
        let inverted_errors = self.length_bits - errors;
        if self.allow_inverted && inverted_errors <= self.max_errors {
            return Some(AsmMatch {
                bit_errors: inverted_errors,
                inverted: true,
            });
        }
        None
    }

    /// Bit errors of a window against the marker in a given polarity.
    #[inline]
    pub fn errors(&self, window: u64, inverted: bool) -> u32 {
        let e = ((window ^ self.marker) & self.mask).count_ones();
        if inverted {
            self.length_bits - e
        } else {
            e
        }
    }

    /// Shifts one bit in; reports a match once a full window has been seen.
    #[inline]
    pub fn push(&mut self, bit: u8) -> Option<AsmMatch> {
        self.window = (self.window << 1) | (bit & 1) as u64;
        if self.seen < self.length_bits {
            self.seen += 1;
            if self.seen < self.length_bits {
                return None;
            }
        }
        self.check(self.window)
    }

    /// Shifts one bit in without testing the window.
    #[inline]
    pub fn shift(&mut self, bit: u8) {
        self.window = (self.window << 1) | (bit & 1) as u64;
        if self.seen < self.length_bits {
            self.seen += 1;
        }
    }

    /// The last `length_bits` bits (last in bit 0).
    pub fn window(&self) -> u64 {
        self.window & self.mask
    }

    /// Whether a full window has been seen since the last reset.
    pub fn is_primed(&self) -> bool {
        self.seen >= self.length_bits
    }

    /// Finds every match in `bits`; `output` gets (index of the bit completing the
    /// marker, match).
    pub fn process(&mut self, bits: &[u8], output: &mut Vec<(usize, AsmMatch)>) {
        for (i, &b) in bits.iter().enumerate() {
            if let Some(m) = self.push(b) {
                output.push((i, m));
            }
        }
    }

    /// Empties the window.
    pub fn reset(&mut self) {
        self.window = 0;
        self.seen = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::CCSDS_ASM;

    fn bits_of(word: u32) -> Vec<u8> {
        (0..32).rev().map(|k| ((word >> k) & 1) as u8).collect()
    }

    #[test]
    fn finds_marker_with_errors_and_inverted() {
        let mut c = AsmCorrelator::new(CCSDS_ASM as u64, 32, 3, true).unwrap();
        let mut stream = vec![0u8, 1, 1, 0, 1];
        stream.extend(bits_of(CCSDS_ASM ^ 0x0100_0101)); // 3 errors
        stream.extend([1, 0, 0]);
        stream.extend(bits_of(!CCSDS_ASM ^ 0x8000_0000)); // inverted, 1 error
        stream.extend(bits_of(CCSDS_ASM ^ 0x0F00_0000)); // 4 errors: no match
        let mut hits = Vec::new();
        c.process(&stream, &mut hits);
        assert_eq!(
            hits,
            vec![
                (
                    36,
                    AsmMatch {
                        bit_errors: 3,
                        inverted: false
                    }
                ),
                (
                    71,
                    AsmMatch {
                        bit_errors: 1,
                        inverted: true
                    }
                ),
            ]
        );
    }

    #[test]
    fn rejects_degenerate_thresholds() {
        assert!(AsmCorrelator::new(1, 32, 16, true).is_none());
        assert!(AsmCorrelator::new(1, 0, 0, true).is_none());
        assert!(AsmCorrelator::new(1, 65, 0, true).is_none());
    }
}
