//! USP, the "unified S-band protocol" of Russian cubesats (OrbiCraft-Zorkiy), as decoded
//! by jradio:
//!
//! * the 64-bit sync word 0x5072F64B2D90B1F5 (13 wrong bits allowed);
//! * a 64-bit PLS code in the DVB-S2 style telling the frame length: codeword 0 is the
//!   scrambling sequence 0x719D83C953422DFA itself (long frame, 223 data bytes),
//!   codeword 1 the sequence XOR 0x5555555555555555 (short frame, 48 data bytes); the
//!   nearer in soft correlation wins;
//! * the frame: data + 32 RS parity bytes + one tail byte, CCSDS convolutionally coded
//!   (r = 1/2, k = 7, G2 inverted), the data and parity pseudo-randomised (CCSDS §9),
//!   Reed–Solomon (255, 223) in the dual basis (the short frame shortened by 175);
//! * a frame starting 0x08 0xFF carries an AX.25 frame whose length is the next two
//!   bytes (little-endian); that frame is returned, else the whole data part.

use super::sync_frames::{FrameFormat, Look, SyncPattern};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::fsk_demod::soft_to_i8;
use crate::fec::{Randomizer, ReedSolomon, ReedSolomonConfig, Viterbi, ViterbiConfig};

/// USP's sync word.
pub const SYNC_USP: SyncPattern = SyncPattern {
    pattern: 0x5072_F64B_2D90_B1F5,
    len_bits: 64,
    max_errors: 13,
};

const PLS_BITS: usize = 64;
const PLS_SCRAMBLE: u64 = 0x719D_83C9_5342_2DFA;
const PLS_SHORT_FLIP: u64 = 0x5555_5555_5555_5555;
const LONG_DATA: usize = 223;
const SHORT_DATA: usize = 48;
const PARITY: usize = 32;

/// Coded symbols of a frame with `data` bytes: data, parity and the tail byte, two
/// symbols per bit.
fn coded_symbols(data: usize) -> usize {
    (data + PARITY + 1) * 16
}

/// The USP frame format after the sync word.
pub struct Usp {
    long: ReedSolomon,
    short: ReedSolomon,
    viterbi: Viterbi,
}

impl Usp {
    pub fn new() -> Result<Self, String> {
        let mut short = ReedSolomonConfig::ccsds(1);
        short.virtual_fill_symbols = LONG_DATA - SHORT_DATA;
        Ok(Self {
            long: ReedSolomon::new(ReedSolomonConfig::ccsds(1)).map_err(|e| e.to_string())?,
            short: ReedSolomon::new(short).map_err(|e| e.to_string())?,
            viterbi: Viterbi::new(ViterbiConfig::CCSDS).map_err(|e| e.to_string())?,
        })
    }

    /// Data bytes announced by the PLS code in the first 64 symbols.
    fn pls_data_bytes(soft: &[f32]) -> usize {
        let corr = |word: u64| -> f32 {
            soft[..PLS_BITS]
                .iter()
                .enumerate()
                .map(|(i, &s)| if (word >> (63 - i)) & 1 == 1 { s } else { -s })
                .sum()
        };
        if corr(PLS_SCRAMBLE) >= corr(PLS_SCRAMBLE ^ PLS_SHORT_FLIP) {
            LONG_DATA
        } else {
            SHORT_DATA
        }
    }

    /// The bits sent after the sync word for `data` (223 or 48 bytes), as 0/1.
    pub fn encode(data: &[u8]) -> Result<Vec<u8>, String> {
        let (pls, rs) = match data.len() {
            LONG_DATA => (PLS_SCRAMBLE, ReedSolomonConfig::ccsds(1)),
            SHORT_DATA => {
                let mut c = ReedSolomonConfig::ccsds(1);
                c.virtual_fill_symbols = LONG_DATA - SHORT_DATA;
                (PLS_SCRAMBLE ^ PLS_SHORT_FLIP, c)
            }
            n => return Err(format!("USP data must be 223 or 48 bytes, got {n}")),
        };
        let rs = ReedSolomon::new(rs).map_err(|e| e.to_string())?;
        let mut block = vec![0u8; rs.codeblock_len()];
        block[..data.len()].copy_from_slice(data);
        rs.encode(&mut block).map_err(|e| e.to_string())?;
        Randomizer::apply(&mut block);
        block.push(0);
        let mut out: Vec<u8> = (0..64).rev().map(|i| ((pls >> i) & 1) as u8).collect();
        crate::fec::ConvEncoder::new(crate::fec::ConvEncoderConfig::CCSDS)
            .encode_bytes(&block, &mut out);
        Ok(out)
    }
}

impl Usp {
    /// Decodes the frame as one of `data_bytes`, from the symbols after the PLS code.
    fn decode(&mut self, coded: &[f32], data_bytes: usize) -> Option<(Vec<u8>, FrameCheck)> {
        let symbols: Vec<i8> = coded[..coded_symbols(data_bytes)]
            .iter()
            .map(|&s| soft_to_i8(s))
            .collect();
        let mut bits = Vec::with_capacity(symbols.len() / 2);
        self.viterbi.reset();
        self.viterbi.process(&symbols, &mut bits);
        self.viterbi.flush(&mut bits);
        let rs = if data_bytes == LONG_DATA {
            &self.long
        } else {
            &self.short
        };
        let n = rs.codeblock_len();
        if bits.len() < 8 * n {
            return None;
        }
        let mut block: Vec<u8> = bits[..8 * n]
            .chunks_exact(8)
            .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | b))
            .collect();
        Randomizer::apply(&mut block);
        let corrected = rs.decode(&mut block).ok()?;
        let data = &block[..data_bytes];
        if data.iter().all(|&b| b == data[0]) {
            return None;
        }
        let frame = if data[0] == 0x08 && data[1] == 0xFF {
            let len = usize::from(u16::from_le_bytes([data[2], data[3]]));
            if len <= data.len() - 4 {
                data[4..4 + len].to_vec()
            } else {
                data.to_vec()
            }
        } else {
            data.to_vec()
        };
        Some((frame, FrameCheck::ReedSolomon { corrected }))
    }
}

impl FrameFormat for Usp {
    fn first_look(&self) -> usize {
        PLS_BITS
    }

    /// The PLS code picks the length tried first; when its Reed–Solomon check fails the
    /// other length is tried too (a PLS code hit by noise must not lose a good frame).
    fn look(&mut self, soft: &[f32]) -> Look {
        let first = Self::pls_data_bytes(soft);
        let other = if first == LONG_DATA {
            SHORT_DATA
        } else {
            LONG_DATA
        };
        let need = PLS_BITS + coded_symbols(first);
        if soft.len() < need {
            return Look::Need(need);
        }
        let coded = &soft[PLS_BITS..];
        if let Some(f) = self.decode(coded, first) {
            return Look::Done(Some(f));
        }
        let need_other = PLS_BITS + coded_symbols(other);
        if soft.len() < need_other {
            return Look::Need(need_other);
        }
        if other == SHORT_DATA || soft.len() == need_other {
            return Look::Done(self.decode(coded, other));
        }
        Look::Done(None)
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_frames::{hex, sync_to_soft, SoftDeframer, SyncFrames};
    use super::*;

    /// OrbiCraft-Zorkiy's short frame of orbicraft-z.wav (jradio's reference), wrapped in
    /// the 0x08 0xFF length header.
    const ORBICRAFT_SHORT: &str = "a464829c8c4060a4a66060a6406f00f0e1ff020001000300002606";

    fn wrap(ax25: &[u8], data_bytes: usize) -> Vec<u8> {
        let mut d = vec![0x08, 0xFF];
        d.extend_from_slice(&(ax25.len() as u16).to_le_bytes());
        d.extend_from_slice(ax25);
        d.resize(data_bytes, 0);
        d
    }

    fn run(bits: &[u8], flips: &[usize]) -> Vec<super::super::sync_frames::SoftFrame> {
        let mut soft: Vec<f32> = [1.0f32, -1.0].repeat(40);
        soft.extend(sync_to_soft(&SYNC_USP));
        let start = soft.len();
        soft.extend(bits.iter().map(|&b| if b == 1 { 0.9 } else { -0.9 }));
        soft.extend([1.0f32, -1.0].repeat(40));
        for &f in flips {
            soft[start + f] = -soft[start + f];
        }
        let mut d = SyncFrames::new(SYNC_USP, Usp::new().unwrap()).unwrap();
        let mut out = Vec::new();
        for c in soft.chunks(500) {
            d.process(c, &mut out);
        }
        out
    }

    /// Golden vector: the reference short and long frames re-encoded, with PLS and
    /// channel errors, come back as the AX.25 frames.
    #[test]
    fn orbicraft_frames_round_trip() {
        let short = hex(ORBICRAFT_SHORT);
        let long = hex("a464829c8c4060a4a66060a6406f00f01642020001004200000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000001b1bff671f20250eaab14060f43c01002400f01c");
        for (ax25, n) in [(short, SHORT_DATA), (long, LONG_DATA)] {
            let bits = Usp::encode(&wrap(&ax25, n)).unwrap();
            assert_eq!(bits.len(), 64 + coded_symbols(n));
            let flips = [1, 9, 30, 100, 333, 700, 1201];
            let out = run(&bits, &flips);
            assert_eq!(out.len(), 1, "{n}");
            assert_eq!(out[0].data, ax25);
        }
    }
}
