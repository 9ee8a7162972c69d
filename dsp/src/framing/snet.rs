//! S-NET (TU Berlin) LTU framing, as decoded by jradio (the reference for the frames):
//!
//! * sync word 0x04CF5FC8 (32 bits, up to 4 errors), either polarity;
//! * header: 14 BCH(15,5,7) codewords, bit-interleaved (bit i of codeword j is sent at
//!   position i·14 + j); each carries 5 data bits in its top positions, highest first,
//!   giving 70 header bits: source 7, destination 7, frame counters 4+4, SNR 4, the
//!   source's and destination's FEC type 4+4, DFC id 2, six flags, PDU length 10 (bytes),
//!   CRC-13 of the PDU, CRC-5 of the header;
//! * PDU: FEC type 0 sends it as is; types 1/2/3 as blocks of 16 BCH(15,11/7/5)
//!   codewords interleaved the same way (bit i of codeword j at i·16 + j), each codeword's
//!   data bits in its top positions, lowest first; every 8 data bits are one byte sent
//!   LSB first.
//!
//! The CRCs run over the bytes last-to-first (the satellite's convention): CRC-5 (poly
//! 0x15, init 0x1F) over the header with its last 7 bits set to 1011011, retried with the
//! 5th-last byte replaced by the 4th-last (a known satellite bug); CRC-13 (poly 0x1CF5,
//! init 0x1FFF) with the satellite's feedback bug (it XORs when either the register's top
//! bit or the data bit is set). The frame is the PDU (or the 9 header bytes when the PDU
//! is empty).

use super::var_sync::{VarHit, VarSync, VarSyncConfig};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};
use crate::fec::bch15::Bch15;

/// The S-NET sync word.
pub const SNET_SYNC: u64 = 0x04CF_5FC8;
const HEADER_CODEWORDS: usize = 14;
const HEADER_BITS: usize = HEADER_CODEWORDS * 15;
const BLOCK_CODEWORDS: usize = 16;
const BLOCK_BITS: usize = BLOCK_CODEWORDS * 15;
const MAX_PDU_BYTES: usize = 1023;

/// The parsed header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LtuHeader {
    /// FEC type of the PDU (0: none; 1, 2, 3: BCH d = 3, 5, 7).
    pub fec_type: u8,
    /// PDU length in bytes.
    pub pdu_bytes: usize,
    /// CRC-13 of the PDU.
    pub crc13: u16,
    /// CRC-5 of the header.
    pub crc5: u8,
}

/// S-NET header and PDU decoding (stateless apart from its BCH tables).
#[derive(Clone, Debug)]
pub struct SnetCodec {
    bch: [Bch15; 3],
}

fn read_bits(bits: &[u8], from: usize, n: usize) -> u32 {
    bits[from..from + n]
        .iter()
        .fold(0u32, |v, &b| (v << 1) | u32::from(b))
}

fn pack_msb(bits: &[u8]) -> Vec<u8> {
    bits.chunks(8)
        .map(|c| c.iter().fold(0u8, |v, &b| (v << 1) | b))
        .collect()
}

/// CRC-5 over bytes last-to-first, bits of each byte MSB first.
fn crc5(bits: &[u8]) -> u8 {
    let mut crc: u8 = 0x1F;
    for byte in bits.chunks(8).rev() {
        for &b in byte {
            let top = (crc >> 4) & 1;
            crc = (crc << 1) & 0x1F;
            if top != b {
                crc ^= 0x15;
            }
        }
    }
    crc
}

/// The satellite's CRC-13 (with its feedback bug), bytes last-to-first.
fn crc13(bits: &[u8]) -> u16 {
    let mut crc: u16 = 0x1FFF;
    for byte in bits.chunks(8).rev() {
        for &b in byte {
            let top = crc & 0x1000 != 0;
            crc = (crc << 1) & 0x1FFF;
            if top || b == 1 {
                crc ^= 0x1CF5;
            }
        }
    }
    crc
}

/// Undoes the column-wise bit interleaving: codeword j's bit i is `bits[i·rows + j]`.
fn deinterleave(bits: &[u8], rows: usize) -> Vec<u8> {
    let mut out = vec![0u8; rows * 15];
    for i in 0..15 {
        for j in 0..rows {
            out[j * 15 + i] = bits[i * rows + j];
        }
    }
    out
}

impl SnetCodec {
    /// Builds the BCH tables.
    pub fn new() -> Self {
        let code = |d| Bch15::new(d).expect("3, 5 and 7 are supported");
        Self {
            bch: [code(3), code(5), code(7)],
        }
    }

    /// Header data bits (72: 70 + two zero pad bits) from the first 210 frame bits.
    fn header_bits(&self, frame: &[u8]) -> Option<(Vec<u8>, u32)> {
        let mut cw = deinterleave(frame.get(..HEADER_BITS)?, HEADER_CODEWORDS);
        let mut out = Vec::with_capacity(72);
        let mut fixed = 0;
        for c in cw.chunks_mut(15) {
            fixed += self.bch[2].decode(c)?;
            out.extend((10..15).rev().map(|i| c[i]));
        }
        out.extend([0, 0]);
        Some((out, fixed))
    }

    /// Decodes and checks the header (CRC-5).
    pub fn header(&self, frame: &[u8]) -> Option<(LtuHeader, Vec<u8>, u32)> {
        let (mut bits, fixed) = self.header_bits(frame)?;
        let h = LtuHeader {
            fec_type: read_bits(&bits, 26, 4) as u8,
            pdu_bytes: read_bits(&bits, 42, 10) as usize,
            crc13: read_bits(&bits, 52, 13) as u16,
            crc5: read_bits(&bits, 65, 5) as u8,
        };
        let raw = pack_msb(&bits);
        bits[65..72].copy_from_slice(&[1, 0, 1, 1, 0, 1, 1]);
        if crc5(&bits) != h.crc5 {
            let (a, b) = ((9 - 1 - 4) * 8, (9 - 1 - 3) * 8);
            let src: Vec<u8> = bits[b..b + 8].to_vec();
            bits[a..a + 8].copy_from_slice(&src);
            if crc5(&bits) != h.crc5 {
                return None;
            }
        }
        Some((h, raw, fixed))
    }

    /// Frame bits after the sync word that a frame with this header occupies.
    pub fn frame_bits(&self, h: &LtuHeader) -> Option<usize> {
        let pdu = match h.fec_type {
            0 => h.pdu_bytes * 8,
            1..=3 => {
                let k = self.bch[h.fec_type as usize - 1].k();
                let per_block = BLOCK_CODEWORDS * k / 8;
                h.pdu_bytes.div_ceil(per_block) * BLOCK_BITS
            }
            _ => return None,
        };
        Some(HEADER_BITS + pdu)
    }

    /// Decodes a whole frame (bits after the sync word): the PDU bytes (or the header
    /// bytes for an empty PDU) and the bits BCH corrected.
    pub fn decode(&self, frame: &[u8]) -> Option<(Vec<u8>, u32)> {
        let (h, raw_header, mut fixed) = self.header(frame)?;
        if h.pdu_bytes == 0 {
            return Some((raw_header, fixed));
        }
        if h.pdu_bytes > MAX_PDU_BYTES || frame.len() < self.frame_bits(&h)? {
            return None;
        }
        let mut pdu: Vec<u8> = match h.fec_type {
            0 => frame[HEADER_BITS..HEADER_BITS + h.pdu_bytes * 8].to_vec(),
            t => {
                let code = &self.bch[t as usize - 1];
                let k = code.k();
                let mut bits = Vec::new();
                for block in frame[HEADER_BITS..self.frame_bits(&h)?].chunks(BLOCK_BITS) {
                    let mut cw = deinterleave(block, BLOCK_CODEWORDS);
                    for c in cw.chunks_mut(15) {
                        fixed += code.decode(c)?;
                        bits.extend_from_slice(&c[15 - k..]);
                    }
                }
                bits.truncate(h.pdu_bytes * 8);
                bits
            }
        };
        for byte in pdu.chunks_mut(8) {
            byte.reverse();
        }
        if crc13(&pdu) != h.crc13 {
            return None;
        }
        Some((pack_msb(&pdu), fixed))
    }
}

impl Default for SnetCodec {
    fn default() -> Self {
        Self::new()
    }
}

/// Streaming S-NET deframer.
#[derive(Clone, Debug)]
pub struct Snet {
    sync: VarSync,
    codec: SnetCodec,
    hits: Vec<VarHit>,
}

impl Snet {
    /// Builds the deframer.
    pub fn new() -> Self {
        let sync = VarSync::new(VarSyncConfig {
            pattern: SNET_SYNC,
            len_bits: 32,
            max_errors: 4,
            accept_inverted: true,
            header_bits: HEADER_BITS,
            max_frame_bits: HEADER_BITS + MAX_PDU_BYTES.div_ceil(10) * BLOCK_BITS,
        })
        .expect("constant configuration is valid");
        Self {
            sync,
            codec: SnetCodec::new(),
            hits: Vec::new(),
        }
    }
}

impl Default for Snet {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftDeframer for Snet {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let codec = &self.codec;
        let frame_bits = |h: &[u8]| {
            let (h, _, _) = codec.header(h)?;
            codec.frame_bits(&h)
        };
        self.sync
            .push(u8::from(soft > 0.0), frame_bits, &mut self.hits);
        for h in self.hits.drain(..) {
            if let Some((data, fixed)) = self.codec.decode(&h.bits) {
                out.push(SoftFrame {
                    data,
                    check: FrameCheck::Named {
                        name: "bch+crc13+crc5",
                        corrected: Some(fixed as usize),
                    },
                    inverted: Some(h.inverted),
                });
            }
        }
    }

    fn reset(&mut self) {
        self.sync.reset();
        self.hits.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex as unhex;
    use crate::framing::syncword::bytes_to_bits_msb;

    /// The S-NET A beacon PDU jradio decodes from the recording (its SnetBeacon.json).
    const GOLDEN_PDU: &str = "f3500700240a2c6612873a444c0963006806b85a2e009d084e4c5c001700140011008b00290d1161e5070007510016004b0516003300000f065f00146f607500ed07b914000e1d00ac09000708005c00fe02250300003e006600000026058b004e0000000d64f8651c5f6303000000000000";

    fn put(bits: &mut [u8], from: usize, n: usize, v: u32) {
        for i in 0..n {
            bits[from + i] = (v >> (n - 1 - i) & 1) as u8;
        }
    }

    /// The transmit side: sync word, header and PDU for `pdu` with FEC type `fec`.
    fn encode(pdu: &[u8], fec: u8) -> Vec<u8> {
        let bch = [
            Bch15::new(3).unwrap(),
            Bch15::new(5).unwrap(),
            Bch15::new(7).unwrap(),
        ];
        // PDU bits: each byte LSB first.
        let pdu_bits: Vec<u8> = pdu
            .iter()
            .flat_map(|&b| (0..8).map(move |i| b >> i & 1))
            .collect();
        let mut msb = Vec::new();
        bytes_to_bits_msb(pdu, &mut msb);
        let mut h = vec![0u8; 72];
        put(&mut h, 0, 7, 0x2A);
        put(&mut h, 26, 4, fec as u32);
        put(&mut h, 42, 10, pdu.len() as u32);
        put(&mut h, 52, 13, crc13(&msb) as u32);
        let mut for_crc = h.clone();
        for_crc[65..72].copy_from_slice(&[1, 0, 1, 1, 0, 1, 1]);
        put(&mut h, 65, 5, crc5(&for_crc) as u32);
        let interleave = |cws: &[Vec<u8>]| -> Vec<u8> {
            let rows = cws.len();
            let mut out = vec![0u8; rows * 15];
            for (j, c) in cws.iter().enumerate() {
                for i in 0..15 {
                    out[i * rows + j] = c[i];
                }
            }
            out
        };
        let header_cws: Vec<Vec<u8>> = (0..14)
            .map(|i| {
                let mut d: Vec<u8> = h[i * 5..i * 5 + 5].to_vec();
                d.reverse();
                bch[2].encode(&d).unwrap()
            })
            .collect();
        let mut bits = Vec::new();
        bytes_to_bits_msb(&[0xAA, 0xAA, 0x04, 0xCF, 0x5F, 0xC8], &mut bits);
        bits.extend(interleave(&header_cws));
        let code = &bch[fec as usize - 1];
        let k = code.k();
        let per_block = 16 * k;
        let mut padded = pdu_bits.clone();
        padded.resize(pdu_bits.len().div_ceil(per_block) * per_block, 0);
        for block in padded.chunks(per_block) {
            let cws: Vec<Vec<u8>> = block.chunks(k).map(|d| code.encode(d).unwrap()).collect();
            bits.extend(interleave(&cws));
        }
        bits
    }

    fn run(bits: &[u8], flip: &[usize]) -> Vec<SoftFrame> {
        let mut d = Snet::new();
        let mut out = Vec::new();
        for (i, &b) in bits.iter().enumerate() {
            let b = b ^ u8::from(flip.contains(&i));
            d.push(if b == 1 { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn golden_pdu_round_trips_for_every_fec_type() {
        let pdu = unhex(GOLDEN_PDU);
        assert_eq!(pdu.len(), 114);
        for fec in 1..=3u8 {
            let out = run(&encode(&pdu, fec), &[]);
            assert_eq!(out.len(), 1, "fec type {fec}");
            assert_eq!(out[0].data, pdu);
        }
    }

    #[test]
    fn bch_repairs_scattered_bit_errors() {
        let pdu = unhex(GOLDEN_PDU);
        let bits = encode(&pdu, 2);
        // One error in each of several header and PDU codewords (48 sync/preamble bits
        // come first; header codeword j's bit i sits at i·14 + j).
        let flips = [48 + 3, 48 + 14 * 9 + 5, 48 + 210 + 17, 48 + 210 + 240 + 100];
        let out = run(&bits, &flips);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, pdu);
        assert_eq!(
            out[0].check,
            FrameCheck::Named {
                name: "bch+crc13+crc5",
                corrected: Some(4)
            }
        );
    }

    #[test]
    fn a_wrong_pdu_crc_is_rejected() {
        let mut pdu = unhex(GOLDEN_PDU);
        let mut bits = encode(&pdu, 1);
        // The satellite's CRC-13 ignores a data bit whenever the register's top bit is
        // set (its feedback bug), so pick an alteration it does see.
        let crc_of = |p: &[u8]| {
            let mut b = Vec::new();
            bytes_to_bits_msb(p, &mut b);
            crc13(&b)
        };
        let before = crc_of(&pdu);
        pdu[5] ^= 0x10;
        assert_ne!(crc_of(&pdu), before);
        // Re-encode the PDU part only with the altered byte: header CRC-13 no longer fits.
        let altered = encode(&pdu, 1);
        bits.truncate(48 + 210);
        bits.extend_from_slice(&altered[48 + 210..]);
        assert!(run(&bits, &[]).is_empty());
    }
}
