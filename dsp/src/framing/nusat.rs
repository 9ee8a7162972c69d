//! NuSat (Satellogic Aleph-1) framing, as decoded by jradio: sync word 0x01E5AACC (32
//! bits, up to 4 errors), 64 bytes forming a Reed–Solomon (64,60) codeword over GF(2^8)
//! (field polynomial 0x11D, generator roots α^1…α^4, 4 parity bytes last); of its 60 data
//! bytes the first is a length (unused), the second a CRC-8 (poly 0x07, init 0) of the
//! other 58 after they are de-whitened with a fixed 64-byte sequence. The frame is those
//! 58 de-whitened bytes.

use super::shortened_rs::{RsParams, ShortenedRs};
use super::syncword::{bits_to_bytes_msb, SyncHit, SyncWord, SyncWordConfig};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// The NuSat sync word.
pub const NUSAT_SYNC: u64 = 0x01E5_AACC;
const FRAME_BYTES: usize = 64;
const RS_PARAMS: RsParams = RsParams {
    field_poly: 0x11D,
    first_root: 1,
    root_gap: 1,
    nroots: 4,
};

/// The satellite's whitening sequence (repeats every 64 bytes).
const WHITENING: [u8; 64] = [
    0x1D, 0x8B, 0x06, 0x0C, 0x54, 0xDF, 0x21, 0xCB, 0x5C, 0x74, 0xE3, 0x15, 0x68, 0x04, 0x41, 0x91,
    0x7A, 0x3D, 0x7A, 0x81, 0x30, 0x57, 0x1A, 0x0A, 0x09, 0xDB, 0x33, 0x57, 0x1F, 0x86, 0xEF, 0x58,
    0xE0, 0x16, 0xBD, 0x9B, 0xA6, 0x42, 0xFB, 0x09, 0xD6, 0xCB, 0xE1, 0x27, 0x8E, 0xE7, 0x95, 0x1B,
    0x46, 0x4C, 0xEE, 0xC3, 0x75, 0x7D, 0xA6, 0x1C, 0xF2, 0x45, 0x01, 0x00, 0xFE, 0xAF, 0xFD, 0x03,
];

/// CRC-8 (poly 0x07, init 0, no reflection: CRC-8/SMBUS).
pub fn crc8(data: &[u8]) -> u8 {
    data.iter().fold(0u8, |mut crc, &b| {
        crc ^= b;
        for _ in 0..8 {
            crc = if crc & 0x80 != 0 {
                (crc << 1) ^ 0x07
            } else {
                crc << 1
            };
        }
        crc
    })
}

/// Streaming NuSat deframer.
#[derive(Clone, Debug)]
pub struct Nusat {
    sync: SyncWord,
    rs: ShortenedRs,
    hits: Vec<SyncHit>,
}

impl Nusat {
    /// Builds the deframer.
    pub fn new() -> Self {
        let sync = SyncWord::new(SyncWordConfig {
            pattern: NUSAT_SYNC,
            len_bits: 32,
            max_errors: 4,
            frame_bits: FRAME_BYTES * 8,
            accept_inverted: true,
        })
        .expect("constant configuration is valid");
        Self {
            sync,
            rs: ShortenedRs::new(RS_PARAMS).expect("valid RS parameters"),
            hits: Vec::new(),
        }
    }

    /// Checks one 64-byte codeword: (de-whitened packet, RS symbols corrected).
    pub fn decode(&mut self, codeword: &[u8]) -> Option<(Vec<u8>, usize)> {
        let (data, corrected) = self.rs.decode(codeword).ok()?;
        let crc = *data.get(1)?;
        let mut packet: Vec<u8> = data[2..].to_vec();
        for (b, w) in packet.iter_mut().zip(WHITENING.iter().cycle()) {
            *b ^= w;
        }
        (crc8(&packet) == crc).then_some((packet, corrected))
    }
}

impl Default for Nusat {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftDeframer for Nusat {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        self.sync.process(&[u8::from(soft > 0.0)], &mut self.hits);
        let hits = std::mem::take(&mut self.hits);
        for h in &hits {
            if let Some((data, corrected)) = self.decode(&bits_to_bytes_msb(&h.bits)) {
                out.push(SoftFrame {
                    data,
                    check: FrameCheck::Named {
                        name: "reed_solomon+crc8",
                        corrected: Some(corrected),
                    },
                    inverted: Some(h.inverted),
                });
            }
        }
        self.hits = hits;
        self.hits.clear();
    }

    fn reset(&mut self) {
        self.sync.reset();
        self.hits.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::syncword::bytes_to_bits_msb;

    #[test]
    fn crc8_check_value() {
        // CRC-8/SMBUS check value for "123456789".
        assert_eq!(crc8(b"123456789"), 0xF4);
    }

    #[test]
    fn encoded_packet_round_trips_with_two_byte_errors_and_inversion() {
        let packet: Vec<u8> = (0..58u8).map(|i| i.wrapping_mul(37) ^ 0x5A).collect();
        let mut data = vec![58u8, crc8(&packet)];
        data.extend(packet.iter().zip(WHITENING.iter()).map(|(p, w)| p ^ w));
        let mut rs = ShortenedRs::new(RS_PARAMS).unwrap();
        let mut cw = Vec::new();
        rs.encode(&data, &mut cw).unwrap();
        assert_eq!(cw.len(), 64);
        cw[3] ^= 0xFF;
        cw[40] ^= 0x01;
        let mut tx = vec![0x55, 0x55, 0x01, 0xE5, 0xAA, 0xCC];
        tx.extend_from_slice(&cw);
        let mut bits = Vec::new();
        bytes_to_bits_msb(&tx, &mut bits);
        for invert in [false, true] {
            let mut d = Nusat::new();
            let mut out = Vec::new();
            for &b in &bits {
                d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
            }
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data, packet);
            assert_eq!(out[0].inverted, Some(invert));
        }
    }
}
