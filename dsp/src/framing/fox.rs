//! AMSAT Fox-1 telemetry framing (FoxTelem; as decoded by jradio, the reference for the
//! frames). Both modes send 8b10b-coded bytes after the K28.5 comma character
//! (0011111010 or its running-disparity twin 1100000101):
//!
//! * **slow** (200 Bd "data under voice"): 96 bytes forming one shortened Reed–Solomon
//!   (255,223) codeword (CCSDS generator, conventional basis, 32 parity bytes last); the
//!   frame is its 64 data bytes.
//! * **high speed** (9600 Bd): 5272 bytes = 4600 data bytes spread round-robin over 21
//!   codewords (byte n into codeword n mod 21; codeword 0 gets 220 data bytes, the others
//!   219, each shortened to fit) followed by the 21·32 parity bytes, again round-robin.
//!   The frame is the 4600 data bytes, in transmission order.
//!
//! A 10-bit word that is not an 8b10b data character becomes a zero byte for
//! Reed–Solomon to correct. Candidate frames are dropped early once more words are
//! invalid than RS could repair, so noise before a frame (where K28.5 patterns occur
//! by chance) does not pile up candidates.

use super::shortened_rs::{RsParams, ShortenedRs};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// K28.5 with negative running disparity, first bit in bit 9.
pub const K28_5_NEG: u16 = 0b00_1111_1010;
/// K28.5 with positive running disparity.
pub const K28_5_POS: u16 = 0b11_0000_0101;

/// 5b/6b sub-block codes (abcdei, `a` in bit 5) for D.0 … D.31: (RD−, RD+).
const CODE_6B: [(u8, u8); 32] = [
    (0b100111, 0b011000),
    (0b011101, 0b100010),
    (0b101101, 0b010010),
    (0b110001, 0b110001),
    (0b110101, 0b001010),
    (0b101001, 0b101001),
    (0b011001, 0b011001),
    (0b111000, 0b000111),
    (0b111001, 0b000110),
    (0b100101, 0b100101),
    (0b010101, 0b010101),
    (0b110100, 0b110100),
    (0b001101, 0b001101),
    (0b101100, 0b101100),
    (0b011100, 0b011100),
    (0b010111, 0b101000),
    (0b011011, 0b100100),
    (0b100011, 0b100011),
    (0b010011, 0b010011),
    (0b110010, 0b110010),
    (0b001011, 0b001011),
    (0b101010, 0b101010),
    (0b011010, 0b011010),
    (0b111010, 0b000101),
    (0b110011, 0b001100),
    (0b100110, 0b100110),
    (0b010110, 0b010110),
    (0b110110, 0b001001),
    (0b001110, 0b001110),
    (0b101110, 0b010001),
    (0b011110, 0b100001),
    (0b101011, 0b010100),
];

/// 3b/4b sub-block codes (fghj, `f` in bit 3) for D.x.0 … D.x.7, both disparities,
/// with the alternate D.x.A7 forms.
const CODE_4B: [(u8, u8); 10] = [
    (0b1011, 0),
    (0b0100, 0),
    (0b1001, 1),
    (0b0101, 2),
    (0b1100, 3),
    (0b0011, 3),
    (0b1101, 4),
    (0b0010, 4),
    (0b1010, 5),
    (0b0110, 6),
];
const CODE_4B_7: [u8; 4] = [0b1110, 0b0001, 0b0111, 0b1000];

/// 8b10b data-character decoder (running disparity is not enforced: Reed–Solomon
/// catches what a disparity error would have flagged).
#[derive(Clone, Debug)]
pub struct Code8b10b {
    /// 10-bit word (first bit in bit 9) → byte.
    table: Vec<Option<u8>>,
}

impl Code8b10b {
    /// Builds the 1024-entry table.
    pub fn new() -> Self {
        let mut six: [Option<u8>; 64] = [None; 64];
        for (v, &(n, p)) in CODE_6B.iter().enumerate() {
            six[n as usize] = Some(v as u8);
            six[p as usize] = Some(v as u8);
        }
        let mut four: [Option<u8>; 16] = [None; 16];
        for &(c, v) in &CODE_4B {
            four[c as usize] = Some(v);
        }
        for c in CODE_4B_7 {
            four[c as usize] = Some(7);
        }
        let table = (0..1024usize)
            .map(|w| {
                let lo = six[w >> 4]?;
                let hi = four[w & 0xF]?;
                Some(hi << 5 | lo)
            })
            .collect();
        Self { table }
    }

    /// The byte a 10-bit word encodes, if it is a data character.
    pub fn decode(&self, word: u16) -> Option<u8> {
        self.table[(word & 0x3FF) as usize]
    }

    /// Encodes `bytes` with running disparity starting negative (for tests and
    /// synthesis); 10 bits per byte, first bit first.
    pub fn encode(bytes: &[u8], out: &mut Vec<u8>) {
        let mut rd_neg = true;
        let disparity = |code: u8, bits: u32| 2 * code.count_ones() as i32 - bits as i32;
        for &b in bytes {
            let (n6, p6) = CODE_6B[(b & 0x1F) as usize];
            let six = if rd_neg { n6 } else { p6 };
            if disparity(six, 6) != 0 {
                rd_neg = !rd_neg;
            }
            let x = b & 0x1F;
            let y = b >> 5;
            let four = match y {
                7 => {
                    // A7 avoids a run of five equal bits across the sub-blocks.
                    let alt = if rd_neg {
                        x == 17 || x == 18 || x == 20
                    } else {
                        x == 11 || x == 13 || x == 14
                    };
                    match (alt, rd_neg) {
                        (false, true) => 0b1110,
                        (false, false) => 0b0001,
                        (true, true) => 0b0111,
                        (true, false) => 0b1000,
                    }
                }
                _ => {
                    let forms: Vec<u8> = CODE_4B
                        .iter()
                        .filter(|&&(_, v)| v == y)
                        .map(|&(c, _)| c)
                        .collect();
                    if forms.len() == 1 || rd_neg {
                        forms[0]
                    } else {
                        forms[1]
                    }
                }
            };
            if disparity(four, 4) != 0 {
                rd_neg = !rd_neg;
            }
            let word = (six as u16) << 4 | four as u16;
            out.extend((0..10).rev().map(|i| (word >> i & 1) as u8));
        }
    }
}

impl Default for Code8b10b {
    fn default() -> Self {
        Self::new()
    }
}

/// Which Fox frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FoxMode {
    /// 200 Bd DUV: 96 coded bytes, 64 data bytes.
    Slow,
    /// 9600 Bd: 5272 coded bytes, 4600 data bytes.
    HighSpeed,
}

const SLOW_BYTES: usize = 96;
const HS_BYTES: usize = 5272;
const HS_DATA: usize = 4600;
const HS_CODEWORDS: usize = 21;
const RS_PARITY: usize = 32;

impl FoxMode {
    fn coded_bytes(self) -> usize {
        match self {
            FoxMode::Slow => SLOW_BYTES,
            FoxMode::HighSpeed => HS_BYTES,
        }
    }

    /// Invalid words beyond which RS cannot repair the frame.
    fn max_invalid(self) -> usize {
        match self {
            FoxMode::Slow => RS_PARITY / 2,
            FoxMode::HighSpeed => HS_CODEWORDS * RS_PARITY / 2,
        }
    }
}

#[derive(Clone, Debug)]
struct Candidate {
    bytes: Vec<u8>,
    word: u16,
    nbits: u8,
    invalid: usize,
}

/// Streaming Fox deframer.
#[derive(Clone, Debug)]
pub struct Fox {
    mode: FoxMode,
    code: Code8b10b,
    rs: ShortenedRs,
    reg: u16,
    candidates: Vec<Candidate>,
}

/// Candidates followed at once, at most.
const MAX_CANDIDATES: usize = 32;

impl Fox {
    /// Builds the deframer for `mode`.
    pub fn new(mode: FoxMode) -> Self {
        Self {
            mode,
            code: Code8b10b::new(),
            rs: ShortenedRs::new(RsParams::CCSDS).expect("CCSDS parameters are valid"),
            reg: 0,
            candidates: Vec::new(),
        }
    }

    /// Decodes one frame's coded bytes: (data, RS symbols corrected).
    pub fn decode(&mut self, coded: &[u8]) -> Option<(Vec<u8>, usize)> {
        match self.mode {
            FoxMode::Slow => self.rs.decode(coded).ok(),
            FoxMode::HighSpeed => {
                if coded.len() != HS_BYTES {
                    return None;
                }
                let (data, parity) = coded.split_at(HS_DATA);
                let mut out = vec![0u8; HS_DATA];
                let mut corrected = 0;
                for i in 0..HS_CODEWORDS {
                    let mut cw: Vec<u8> =
                        data.iter().skip(i).step_by(HS_CODEWORDS).copied().collect();
                    cw.extend(parity.iter().skip(i).step_by(HS_CODEWORDS));
                    let (msg, n) = self.rs.decode(&cw).ok()?;
                    corrected += n;
                    for (k, b) in msg.into_iter().enumerate() {
                        out[k * HS_CODEWORDS + i] = b;
                    }
                }
                Some((out, corrected))
            }
        }
    }
}

impl SoftDeframer for Fox {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let bit = u16::from(soft > 0.0);
        let want = self.mode.coded_bytes();
        let max_invalid = self.mode.max_invalid();
        let mut done = Vec::new();
        let code = &self.code;
        self.candidates.retain_mut(|c| {
            c.word = (c.word << 1) | bit;
            c.nbits += 1;
            if c.nbits < 10 {
                return true;
            }
            let byte = code.decode(c.word);
            c.invalid += usize::from(byte.is_none());
            c.bytes.push(byte.unwrap_or(0));
            c.word = 0;
            c.nbits = 0;
            if c.invalid > max_invalid {
                return false;
            }
            if c.bytes.len() == want {
                done.push(std::mem::take(&mut c.bytes));
                return false;
            }
            true
        });
        self.reg = ((self.reg << 1) | bit) & 0x3FF;
        if (self.reg == K28_5_NEG || self.reg == K28_5_POS)
            && self.candidates.len() < MAX_CANDIDATES
        {
            self.candidates.push(Candidate {
                bytes: Vec::with_capacity(want),
                word: 0,
                nbits: 0,
                invalid: 0,
            });
        }
        for coded in done {
            if let Some((data, corrected)) = self.decode(&coded) {
                out.push(SoftFrame {
                    data,
                    check: FrameCheck::ReedSolomon { corrected },
                    inverted: Some(false),
                });
            }
        }
    }

    fn reset(&mut self) {
        self.reg = 0;
        self.candidates.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex as unhex;

    #[test]
    fn every_byte_round_trips_through_8b10b_and_k28_5_is_not_data() {
        let code = Code8b10b::new();
        let bytes: Vec<u8> = (0..=255u8).chain((0..=255u8).rev()).collect();
        let mut bits = Vec::new();
        Code8b10b::encode(&bytes, &mut bits);
        let back: Vec<u8> = bits
            .chunks(10)
            .map(|w| {
                let word = w.iter().fold(0u16, |v, &b| (v << 1) | b as u16);
                code.decode(word).unwrap()
            })
            .collect();
        assert_eq!(back, bytes);
        assert_eq!(code.decode(K28_5_NEG), None);
        assert_eq!(code.decode(K28_5_POS), None);
        // Two words of the standard table: D.0 (RD−) and D.3 (RD−).
        assert_eq!(code.decode(0x274), Some(0x00));
        assert_eq!(code.decode(0x31B), Some(0x03));
    }

    /// K28.5, then the 8b10b-coded bytes.
    fn line_bits(coded: &[u8]) -> Vec<u8> {
        let mut bits: Vec<u8> = (0..10).rev().map(|i| (K28_5_NEG >> i & 1) as u8).collect();
        Code8b10b::encode(coded, &mut bits);
        bits
    }

    fn run(mode: FoxMode, bits: &[u8]) -> Vec<SoftFrame> {
        let mut d = Fox::new(mode);
        let mut out = Vec::new();
        // Noise-like lead-in with chance K28.5 patterns in it.
        let lead: Vec<u8> = (0..400u32)
            .map(|i| ((i * 7 + i / 5) % 3 == 0) as u8)
            .collect();
        for &b in lead.iter().chain(bits) {
            d.push(if b == 1 { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn golden_slow_frame_round_trips_with_corrupted_words() {
        // The Fox-1A frame jradio decodes from the DUV recording (its Fox1ABeacon.json).
        let msg = unhex("610120080010000000000000000000000000011000012000012000488ff4477ff4477ff4ff0700b8744bed1746cfb2821a087ff98e0108010000161858020000");
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        let mut coded = Vec::new();
        rs.encode(&msg, &mut coded).unwrap();
        assert_eq!(coded.len(), SLOW_BYTES);
        let mut bits = line_bits(&coded);
        // Three 10-bit words hit (invalid characters or wrong bytes).
        for w in [5usize, 40, 90] {
            bits[10 + w * 10 + 3] ^= 1;
            bits[10 + w * 10 + 4] ^= 1;
        }
        let out = run(FoxMode::Slow, &bits);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, msg);
    }

    #[test]
    fn high_speed_frame_spreads_over_21_codewords() {
        let data: Vec<u8> = (0..HS_DATA).map(|i| (i * 31 % 251) as u8).collect();
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        let mut parity = vec![0u8; HS_CODEWORDS * RS_PARITY];
        for i in 0..HS_CODEWORDS {
            let msg: Vec<u8> = data.iter().skip(i).step_by(HS_CODEWORDS).copied().collect();
            let mut cw = Vec::new();
            rs.encode(&msg, &mut cw).unwrap();
            for (k, &p) in cw[msg.len()..].iter().enumerate() {
                parity[k * HS_CODEWORDS + i] = p;
            }
        }
        let mut coded = data.clone();
        coded.extend_from_slice(&parity);
        assert_eq!(coded.len(), HS_BYTES);
        // A burst of 30 consecutive bad bytes: spread over 21 codewords, 2 each at most.
        coded[1000..1030].iter_mut().for_each(|b| *b ^= 0x5A);
        let out = run(FoxMode::HighSpeed, &line_bits(&coded));
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, data);
    }
}
