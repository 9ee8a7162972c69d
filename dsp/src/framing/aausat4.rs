//! AAUSAT-4 long frames (as jradio decodes them): a 48-bit sync word, an 8-bit frame
//! state marker (0x59 for a long frame), then 2000 symbols of the CCSDS (7, 1/2)
//! convolutional code (G2 inverted) carrying 125 bytes: a CCSDS Reed–Solomon (255,223)
//! codeword in the conventional basis (not the dual basis CCSDS specifies: the received
//! beacon is a codeword only in the conventional one) shortened to 124 bytes (92 data +
//! 32 parity) and one tail
//! byte, all XORed with the CCSDS pseudo-random sequence. The 92 RS-decoded bytes (CSP
//! header and beacon) are returned.

use super::soft_sync::{SoftHit, SoftSync};
use super::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::fsk_demod::soft_to_i8;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};
use crate::fec::conv_encoder::{ConvEncoder, ConvEncoderConfig};
use crate::fec::randomizer::Randomizer;
use crate::fec::reed_solomon::{ReedSolomon, ReedSolomonConfig, RsBasis};
use crate::fec::viterbi::{Viterbi, ViterbiConfig};

/// The 48-bit sync word.
pub const AAUSAT4_SYNC: u64 = 0x4F5A_3443_5542;
/// Frame state marker of a long frame.
pub const AAUSAT4_LONG_FSM: u8 = 0x59;
/// Data bytes of a long frame.
pub const AAUSAT4_DATA_BYTES: usize = 92;
const PARITY: usize = 32;
/// Coded bytes: RS codeword plus one tail byte flushing the encoder.
const CODED_BYTES: usize = AAUSAT4_DATA_BYTES + PARITY + 1;
const CODED_SYMBOLS: usize = CODED_BYTES * 8 * 2;
/// Sync-word bit errors tolerated (jradio's threshold; RS rejects false hits).
const SYNC_MAX_ERRORS: u32 = 10;
/// Bit errors tolerated in the frame state marker.
const FSM_MAX_ERRORS: u32 = 2;

fn rs() -> ReedSolomon {
    ReedSolomon::new(ReedSolomonConfig {
        interleave_depth: 1,
        basis: RsBasis::Conventional,
        correctable_symbols: PARITY / 2,
        virtual_fill_symbols: 255 - AAUSAT4_DATA_BYTES - PARITY,
    })
    .expect("constant parameters are valid")
}

/// Streaming AAUSAT-4 deframer.
#[derive(Debug)]
pub struct Aausat4 {
    sync: SoftSync,
    hits: Vec<SoftHit>,
    viterbi: Viterbi,
    rs: ReedSolomon,
}

impl Default for Aausat4 {
    fn default() -> Self {
        Self::new()
    }
}

impl Aausat4 {
    /// A deframer accepting either polarity.
    pub fn new() -> Self {
        Self {
            sync: SoftSync::new(AAUSAT4_SYNC, 48, SYNC_MAX_ERRORS, 8 + CODED_SYMBOLS, true)
                .expect("constant parameters are valid"),
            hits: Vec::new(),
            viterbi: Viterbi::new(ViterbiConfig::CCSDS).expect("constant depth is valid"),
            rs: rs(),
        }
    }

    /// Decodes the soft symbols after one sync word: data and RS corrections.
    pub fn check(&mut self, symbols: &[f32]) -> Option<(Vec<u8>, usize)> {
        if symbols.len() != 8 + CODED_SYMBOLS {
            return None;
        }
        let fsm = symbols[..8]
            .iter()
            .fold(0u8, |acc, &s| (acc << 1) | u8::from(s > 0.0));
        if (fsm ^ AAUSAT4_LONG_FSM).count_ones() > FSM_MAX_ERRORS {
            return None;
        }
        let soft: Vec<i8> = symbols[8..].iter().map(|&s| soft_to_i8(s)).collect();
        let mut bits = Vec::with_capacity(CODED_BYTES * 8);
        self.viterbi.reset();
        self.viterbi.process(&soft, &mut bits);
        self.viterbi.flush(&mut bits);
        let mut bytes = bits_to_bytes_msb(&bits);
        bytes.truncate(AAUSAT4_DATA_BYTES + PARITY);
        if bytes.len() != AAUSAT4_DATA_BYTES + PARITY {
            return None;
        }
        Randomizer::apply(&mut bytes);
        let corrected = self.rs.decode(&mut bytes).ok()?;
        // A constant block is a codeword of every RS code: all-zero or all-one input
        // after the randomizer is not a frame.
        if bytes.iter().all(|&b| b == bytes[0]) {
            return None;
        }
        bytes.truncate(AAUSAT4_DATA_BYTES);
        Some((bytes, corrected))
    }

    /// On-air bits (sync, marker, coded frame) for 92 data bytes, for tests and synthesis.
    pub fn encode(data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() != AAUSAT4_DATA_BYTES {
            return Err(format!(
                "AAUSAT-4 data must be {AAUSAT4_DATA_BYTES} bytes, got {}",
                data.len()
            ));
        }
        let mut cw = data.to_vec();
        cw.resize(AAUSAT4_DATA_BYTES + PARITY, 0);
        rs().encode(&mut cw).map_err(|e| e.to_string())?;
        cw.push(0);
        Randomizer::apply(&mut cw);
        // The tail byte flushes the encoder to the zero state, so it is sent as zeros
        // whatever the randomizer says.
        *cw.last_mut().expect("non-empty") = 0;
        let mut bits = Vec::new();
        bytes_to_bits_msb(&AAUSAT4_SYNC.to_be_bytes()[2..], &mut bits);
        bytes_to_bits_msb(&[AAUSAT4_LONG_FSM], &mut bits);
        ConvEncoder::new(ConvEncoderConfig::CCSDS).encode_bytes(&cw, &mut bits);
        Ok(bits)
    }
}

impl SoftDeframer for Aausat4 {
    fn push(&mut self, soft: f32, output: &mut Vec<SoftFrame>) {
        self.sync.push(soft, &mut self.hits);
        while let Some(hit) = self.hits.pop() {
            if let Some((data, corrected)) = self.check(&hit.symbols) {
                output.push(SoftFrame {
                    data,
                    check: FrameCheck::ReedSolomon { corrected },
                    inverted: Some(hit.inverted),
                });
            }
        }
    }

    fn reset(&mut self) {
        self.sync.reset();
        self.hits.clear();
        self.viterbi.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex;

    /// The beacon AAUSAT-4 sent in jradio's aausat-4.wav (AAUSAT4Beacon.json).
    const BEACON: &str = "005600b1924827000300005414571f01266e0edbc7fef87f1011a30004003e0238ffa51800113b0343f71a000000000000000000000000000000000000000000000000000000015700000000ffff0000000000000000000000003b00";

    /// The codeword as received in aausat-4.wav (after Viterbi and de-randomising).
    const RECEIVED: &str = "005600b1924827000300005414571f01266e0edbc7fef87f1011a30004003e0238ffa51800113b0343f71a000000000000000000000000000000000000000000000000000000015700000000ffff0000000000000000000000003b00cf7e504e871488bd5d3fd9f269fdd6a237f07030e1058ce61d3685875ea5f479";

    #[test]
    fn the_received_codeword_is_a_conventional_basis_codeword() {
        let mut cw = hex(RECEIVED);
        assert_eq!(rs().decode(&mut cw), Ok(0));
        assert_eq!(cw[..AAUSAT4_DATA_BYTES], hex(BEACON)[..]);
    }

    fn run(bits: &[u8], invert: bool, flip: &[usize]) -> Vec<SoftFrame> {
        let mut d = Aausat4::new();
        let mut out = Vec::new();
        let pre = [0u8, 1].repeat(16);
        for (i, &b) in pre.iter().chain(bits).chain(&[0u8; 8]).enumerate() {
            let mut s = if (b == 1) != invert { 0.9 } else { -0.9 };
            if flip.contains(&i) {
                s = -s * 0.3;
            }
            d.push(s, &mut out);
        }
        out
    }

    #[test]
    fn golden_beacon_round_trip_in_both_polarities_and_through_symbol_errors() {
        let beacon = hex(BEACON);
        let bits = Aausat4::encode(&beacon).unwrap();
        assert_eq!(bits.len(), 48 + 8 + CODED_SYMBOLS);
        for invert in [false, true] {
            let out = run(&bits, invert, &[]);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data, beacon);
            assert_eq!(out[0].check, FrameCheck::ReedSolomon { corrected: 0 });
        }
        // Scattered weak wrong symbols (every 40th coded symbol) are the Viterbi's job.
        let flips: Vec<usize> = (0..CODED_SYMBOLS / 40)
            .map(|k| 32 + 56 + 40 * k + 7)
            .collect();
        let out = run(&bits, false, &flips);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, beacon);
    }
}
