//! Attached-sync-marker search on soft symbols *before* the Viterbi decoder.
//!
//! The ASM (CCSDS 131.0-B-2 §8) goes through the convolutional encoder like any other
//! bits, so on the channel it appears as 64 code symbols. The first 12 depend on the six
//! bits sent before the marker; the last 52 depend on the marker alone, and those are the
//! pattern searched for (with NRZ-M before the encoder, on the marker's NRZ-M form, whose
//! two possible starting levels give complementary patterns, i.e. a 180° rotation).
//! Every phase ambiguity ([`PhaseAmbiguity`]) turns the pattern into a different received
//! pattern; all of them are compared at every candidate position, on hard decisions with
//! XOR + popcount, tolerating `max_bit_errors` of the 52.

use crate::fec::{ConvEncoder, ConvEncoderConfig, NrzM};

use super::ambiguity::PhaseAmbiguity;
use super::CCSDS_ASM;

/// Code symbols of the encoded ASM that depend only on the ASM (26 bit pairs).
pub const ENCODED_ASM_SYMBOLS: usize = 52;
/// All code symbols the 32-bit ASM produces.
pub const ENCODED_ASM_SPAN: usize = 64;

/// How soft symbols map onto the code-symbol pairs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SoftMapping {
    /// Soft symbols come as I, Q, I, Q …; each QPSK symbol carries (C1, C2). Eight
    /// ambiguities, at either pair alignment: pairs normally start at even indices, but
    /// an OQPSK receiver whose timing slips by half a symbol (e.g. through a dropout)
    /// comes back pairing each Q with the next symbol's I, i.e. one soft symbol later,
    /// and a soft-symbol file may start on a Q.
    Qpsk,
    /// One code symbol per soft symbol; 180° ambiguity and unknown pair alignment.
    Bpsk,
}

/// Options of [`AsmSync`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsmSyncConfig {
    /// Modulation of the incoming soft symbols.
    pub mapping: SoftMapping,
    /// The convolutional code inverts G2 (CCSDS) or not (Meteor-M).
    pub invert_g2: bool,
    /// NRZ-M was applied before the convolutional encoder.
    pub nrz_m: bool,
    /// Hard-decision disagreements tolerated out of the 52 pattern symbols (< 26).
    pub max_bit_errors: u32,
}

/// One encoded-ASM sighting.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsmHit {
    /// Absolute index (since the last reset) of the soft symbol carrying the first code
    /// symbol of the marker, i.e. where its 64-symbol span starts.
    pub start_symbol: u64,
    /// The correction that makes the received symbols match the encoded ASM.
    pub ambiguity: PhaseAmbiguity,
    /// Disagreeing hard decisions out of 52.
    pub bit_errors: u32,
}

/// Streaming pre-Viterbi ASM detector. See the module documentation.
#[derive(Debug, Clone)]
pub struct AsmSync {
    config: AsmSyncConfig,
    /// (received pattern, correction) per ambiguity case.
    patterns: Vec<(u64, PhaseAmbiguity)>,
    window: u64,
    /// Absolute index of the next symbol.
    position: u64,
    /// Symbols in the window since the last reset (saturates at the span).
    primed: usize,
}

const PATTERN_MASK: u64 = (1u64 << ENCODED_ASM_SYMBOLS) - 1;

impl AsmSync {
    /// Builds the received patterns for every ambiguity of `config.mapping`.
    pub fn new(config: AsmSyncConfig) -> Result<Self, String> {
        if config.max_bit_errors as usize * 2 >= ENCODED_ASM_SYMBOLS {
            return Err(format!(
                "AsmSync max_bit_errors must be below {}, got {}",
                ENCODED_ASM_SYMBOLS / 2,
                config.max_bit_errors
            ));
        }
        let transmitted = encoded_asm_tail(config.invert_g2, config.nrz_m);
        let cases: Vec<PhaseAmbiguity> = match config.mapping {
            SoftMapping::Qpsk => [0, 1]
                .into_iter()
                .flat_map(|offset| {
                    PhaseAmbiguity::qpsk_cases().map(|case| PhaseAmbiguity {
                        symbol_offset: offset,
                        ..case
                    })
                })
                .collect(),
            SoftMapping::Bpsk => PhaseAmbiguity::bpsk_cases().to_vec(),
        };
        let patterns = cases
            .into_iter()
            .map(|case| (received_pattern(transmitted, case), case))
            .collect();
        Ok(Self {
            config,
            patterns,
            window: 0,
            position: 0,
            primed: 0,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &AsmSyncConfig {
        &self.config
    }

    /// Absolute index of the next symbol to be consumed.
    pub fn position(&self) -> u64 {
        self.position
    }

    /// Scans `soft`, appending every sighting in stream order. Positions are absolute,
    /// so the result does not depend on how the stream is cut into calls.
    pub fn process(&mut self, soft: &[i8], output: &mut Vec<AsmHit>) {
        for &s in soft {
            self.window = (self.window << 1) | (s > 0) as u64;
            self.position += 1;
            if self.primed < ENCODED_ASM_SPAN {
                self.primed += 1;
                if self.primed < ENCODED_ASM_SPAN {
                    continue;
                }
            }
            let start = self.position - ENCODED_ASM_SPAN as u64;
            let window = self.window & PATTERN_MASK;
            for &(pattern, case) in &self.patterns {
                // Each case fixes the parity of the index a pair starts at.
                if start % 2 != case.symbol_offset as u64 {
                    continue;
                }
                let errors = (window ^ pattern).count_ones();
                if errors <= self.config.max_bit_errors {
                    output.push(AsmHit {
                        start_symbol: start,
                        ambiguity: case,
                        bit_errors: errors,
                    });
                }
            }
        }
    }

    /// Forgets the window and restarts the position count at 0.
    pub fn reset(&mut self) {
        self.reset_at(0);
    }

    /// Forgets the window; the next symbol will have absolute index `position` (pair
    /// alignments are parities of absolute indices).
    pub fn reset_at(&mut self, position: u64) {
        self.window = 0;
        self.position = position;
        self.primed = 0;
    }
}

/// The 52 code symbols that only the ASM determines, first in the MSB.
fn encoded_asm_tail(invert_g2: bool, nrz_m: bool) -> u64 {
    let mut bits: Vec<u8> = (0..32)
        .rev()
        .map(|k| ((CCSDS_ASM >> k) & 1) as u8)
        .collect();
    if nrz_m {
        let mut levels = Vec::new();
        NrzM::new().encode(&bits, &mut levels);
        bits = levels;
    }
    let mut symbols = Vec::new();
    ConvEncoder::new(ConvEncoderConfig { invert_g2 }).process(&bits, &mut symbols);
    symbols[ENCODED_ASM_SPAN - ENCODED_ASM_SYMBOLS..]
        .iter()
        .fold(0u64, |acc, &s| (acc << 1) | s as u64)
}

/// What the receiver sees when the channel applied the inverse of `case` to `tail`.
fn received_pattern(tail: u64, case: PhaseAmbiguity) -> u64 {
    let channel = case.inverse();
    let mut out = 0u64;
    for k in 0..ENCODED_ASM_SYMBOLS / 2 {
        let shift = ENCODED_ASM_SYMBOLS - 2 - 2 * k;
        let c1 = (tail >> (shift + 1)) & 1;
        let c2 = (tail >> shift) & 1;
        let to_soft = |b: u64| if b == 1 { 100i8 } else { -100 };
        let (r1, r2) = channel.correct_pair(to_soft(c1), to_soft(c2));
        out = (out << 2) | (((r1 > 0) as u64) << 1) | (r2 > 0) as u64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meteor_tail_matches_jradio_marker() {
        // jradio's encoded Meteor ASM is 0x035D49C24FF2686B; its last 52 bits:
        assert_eq!(
            encoded_asm_tail(false, false),
            0x035D_49C2_4FF2_686B & PATTERN_MASK
        );
    }

    #[test]
    fn finds_each_qpsk_case_at_its_position_and_pair_alignment() {
        let tail = encoded_asm_tail(true, false);
        // A lead of 41 soft symbols puts the pairs one symbol late (odd alignment).
        for (lead, case) in [40, 41].into_iter().flat_map(|lead| {
            PhaseAmbiguity::qpsk_cases().map(move |case| {
                (
                    lead,
                    PhaseAmbiguity {
                        symbol_offset: (lead % 2) as u8,
                        ..case
                    },
                )
            })
        }) {
            let channel = case.inverse();
            // 12 unknown symbols, then the 52-symbol tail, then noise-free filler.
            let mut soft: Vec<i8> = (0..lead)
                .map(|i| if i % 3 == 0 { 90 } else { -90 })
                .collect();
            let start = soft.len();
            for k in 0..ENCODED_ASM_SPAN / 2 {
                let (c1, c2) = if k < 6 {
                    (1, 0)
                } else {
                    let shift = ENCODED_ASM_SYMBOLS - 2 - 2 * (k - 6);
                    ((tail >> (shift + 1)) & 1, (tail >> shift) & 1)
                };
                let s = |b: u64| if b == 1 { 90i8 } else { -90 };
                let (i, q) = channel.correct_pair(s(c1), s(c2));
                soft.push(i);
                soft.push(q);
            }
            soft.extend(std::iter::repeat_n(5i8, 30));
            let mut sync = AsmSync::new(AsmSyncConfig {
                mapping: SoftMapping::Qpsk,
                invert_g2: true,
                nrz_m: false,
                max_bit_errors: 4,
            })
            .unwrap();
            let mut hits = Vec::new();
            for chunk in soft.chunks(7) {
                sync.process(chunk, &mut hits);
            }
            assert_eq!(
                hits,
                vec![AsmHit {
                    start_symbol: start as u64,
                    ambiguity: case,
                    bit_errors: 0
                }],
                "{case:?}"
            );
        }
    }

    #[test]
    fn bpsk_finds_odd_alignment_and_inversion() {
        let tail = encoded_asm_tail(false, false);
        let mut soft: Vec<i8> = vec![30; 13];
        let start = soft.len();
        soft.extend(std::iter::repeat_n(-40i8, 12));
        for k in (0..ENCODED_ASM_SYMBOLS).rev() {
            soft.push(if (tail >> k) & 1 == 1 { -70 } else { 70 }); // inverted
        }
        soft.extend([3i8; 9]);
        let mut sync = AsmSync::new(AsmSyncConfig {
            mapping: SoftMapping::Bpsk,
            invert_g2: false,
            nrz_m: false,
            max_bit_errors: 3,
        })
        .unwrap();
        let mut hits = Vec::new();
        sync.process(&soft, &mut hits);
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].start_symbol, start as u64);
        assert_eq!(hits[0].ambiguity.rotation_quarters, 2);
        assert_eq!(hits[0].ambiguity.symbol_offset, 1);
    }
}
