//! OPS-SAT UHF framing (frames as jradio decodes them): an AX.25-looking HDLC frame over
//! G3RUH-scrambled NRZI whose FCS is not relied on. After a 16-byte AX.25 address header
//! (not protected, so not checked) the rest of the frame is a shortened CCSDS
//! Reed–Solomon (255,223) codeword in the conventional basis (32 parity bytes; the
//! received beacon is not a dual-basis codeword), randomised with
//! the CCSDS pseudo-random sequence; the decoded data ends in a CRC-32C of what precedes
//! it, big-endian. The decoded data, CRC included, is returned (62 bytes for a beacon).

use super::g3ruh::{G3ruh, Nrzi};
use super::hdlc::{Hdlc, HdlcConfig, HdlcFrame};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};
use crate::fec::randomizer::Randomizer;
use crate::fec::reed_solomon::{ReedSolomon, ReedSolomonConfig, RsBasis};

/// AX.25 address header before the codeword.
pub const OPS_SAT_HEADER_BYTES: usize = 16;
/// RS parity bytes.
const PARITY: usize = 32;
/// Shortest frame jradio accepts: header + 62-byte beacon + parity.
pub const OPS_SAT_MIN_FRAME_BYTES: usize = 110;

/// CRC-32C (Castagnoli): reflected 0x1EDC6F41, init and final XOR 0xFFFFFFFF.
pub fn crc32c(data: &[u8]) -> u32 {
    let mut crc = 0xFFFF_FFFFu32;
    for &b in data {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 != 0 {
                (crc >> 1) ^ 0x82F6_3B78
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn rs_for(codeword_len: usize) -> Option<ReedSolomon> {
    if !(PARITY + 1..=255).contains(&codeword_len) {
        return None;
    }
    ReedSolomon::new(ReedSolomonConfig {
        interleave_depth: 1,
        basis: RsBasis::Conventional,
        correctable_symbols: PARITY / 2,
        virtual_fill_symbols: 255 - codeword_len,
    })
    .ok()
}

/// Streaming OPS-SAT deframer on line bits.
#[derive(Clone, Debug)]
pub struct OpsSat {
    g3ruh: G3ruh,
    nrzi: Nrzi,
    hdlc: Hdlc,
    nrzi_out: Vec<u8>,
    frames: Vec<HdlcFrame>,
}

impl Default for OpsSat {
    fn default() -> Self {
        Self::new()
    }
}

impl OpsSat {
    /// A deframer (NRZI makes it insensitive to polarity).
    pub fn new() -> Self {
        let config = HdlcConfig {
            min_len_bytes: OPS_SAT_MIN_FRAME_BYTES,
            max_len_bytes: OPS_SAT_HEADER_BYTES + 255,
        };
        Self {
            g3ruh: G3ruh::new(),
            nrzi: Nrzi::new(),
            hdlc: Hdlc::new(config).expect("constant limits are valid"),
            nrzi_out: Vec::with_capacity(1),
            frames: Vec::new(),
        }
    }

    /// Checks one HDLC frame (without its FCS): the data and RS corrections if the
    /// codeword decodes and the CRC-32C matches.
    pub fn check(frame: &[u8]) -> Option<(Vec<u8>, usize)> {
        if frame.len() < OPS_SAT_MIN_FRAME_BYTES {
            return None;
        }
        let mut cw = frame[OPS_SAT_HEADER_BYTES..].to_vec();
        let rs = rs_for(cw.len())?;
        Randomizer::apply(&mut cw);
        let corrected = rs.decode(&mut cw).ok()?;
        cw.truncate(cw.len() - PARITY);
        let (body, crc) = cw.split_at(cw.len().checked_sub(4)?);
        if crc32c(body) != u32::from_be_bytes(crc.try_into().ok()?) {
            return None;
        }
        Some((cw, corrected))
    }

    /// The HDLC frame bytes (without FCS) carrying `data` (CRC-32C included) behind
    /// `header`, for tests and synthesis.
    pub fn encode_frame(
        header: &[u8; OPS_SAT_HEADER_BYTES],
        data: &[u8],
    ) -> Result<Vec<u8>, String> {
        let rs = rs_for(data.len() + PARITY)
            .ok_or_else(|| format!("OPS-SAT data of {} bytes does not fit", data.len()))?;
        let mut cw = data.to_vec();
        cw.resize(data.len() + PARITY, 0);
        rs.encode(&mut cw).map_err(|e| e.to_string())?;
        Randomizer::apply(&mut cw);
        let mut frame = header.to_vec();
        frame.extend_from_slice(&cw);
        Ok(frame)
    }

    /// On-air line bits of a frame carrying `data` (CRC-32C included) behind `header`.
    pub fn encode(header: &[u8; OPS_SAT_HEADER_BYTES], data: &[u8]) -> Result<Vec<u8>, String> {
        let frame = Self::encode_frame(header, data)?;
        let mut hdlc = Vec::new();
        Hdlc::encode(&frame, 8, 2, &mut hdlc);
        let mut nrzi = Vec::new();
        Nrzi::new().encode(&hdlc, &mut nrzi);
        let mut line = Vec::new();
        G3ruh::new().scramble(&nrzi, &mut line);
        Ok(line)
    }
}

impl SoftDeframer for OpsSat {
    fn push(&mut self, soft: f32, output: &mut Vec<SoftFrame>) {
        let b = self.g3ruh.descramble_bit(u8::from(soft > 0.0));
        self.nrzi_out.clear();
        self.nrzi.decode(&[b], &mut self.nrzi_out);
        self.hdlc.process(&self.nrzi_out, &mut self.frames);
        for f in self.frames.drain(..) {
            if let Some((data, corrected)) = Self::check(&f.data) {
                output.push(SoftFrame {
                    data,
                    check: FrameCheck::ReedSolomonCrc32 { corrected },
                    inverted: None,
                });
            }
        }
    }

    fn reset(&mut self) {
        self.g3ruh.reset();
        self.nrzi.reset();
        self.hdlc.reset();
        self.frames.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex;

    /// The beacon OPS-SAT sent in jradio's ops_sat.wav (OpsSatBeacon.json): CSP header,
    /// telemetry, CRC-32C.
    const BEACON: &str = "caa7c00001220123000000000000003500000000000013760000000001117300000001b9fcba2aff8a0000116f84000002550e0ae842000252bff21ac0aa";
    /// Its AX.25 header as received.
    const HEADER: [u8; 16] = [
        0x88, 0x98, 0x60, 0x8a, 0xa6, 0x82, 0x60, 0x88, 0xa0, 0x60, 0x9e, 0xa0, 0xa6, 0x61, 0x03,
        0xf0,
    ];

    #[test]
    fn crc32c_check_value_and_the_real_beacon() {
        assert_eq!(crc32c(b"123456789"), 0xE306_9283);
        let b = hex(BEACON);
        let n = b.len();
        assert_eq!(
            crc32c(&b[..n - 4]),
            u32::from_be_bytes([b[n - 4], b[n - 3], b[n - 2], b[n - 1]])
        );
    }

    /// The frame as received in ops_sat.wav (HDLC bytes without FCS).
    const RECEIVED: &str = "8898608aa6826088a0609ea0a66103f035efcec09b2f719f8e2c93ada7b746fb5a977dcc32a2ac480a10f18895dc99b1fe901c38c8a0cb869659274a20ea8d9cb77bf5928d077e7e469e110be931383a13e10934c808e6435966961981a9a9a91727280fa66dc26a224fbf0c5842";

    #[test]
    fn the_received_frame_decodes_to_the_beacon() {
        let frame = hex(RECEIVED);
        assert_eq!(
            OpsSat::check(&frame[..OPS_SAT_MIN_FRAME_BYTES]),
            Some((hex(BEACON), 0))
        );
    }

    fn run(line: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut d = OpsSat::new();
        let mut out = Vec::new();
        for &b in line {
            d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn golden_beacon_round_trip_in_both_polarities_and_with_byte_errors() {
        let beacon = hex(BEACON);
        let line = OpsSat::encode(&HEADER, &beacon).unwrap();
        for invert in [false, true] {
            let out = run(&line, invert);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data, beacon);
            assert_eq!(out[0].check, FrameCheck::ReedSolomonCrc32 { corrected: 0 });
        }
        // Byte errors in the codeword are repaired, up to 16.
        let mut frame = OpsSat::encode_frame(&HEADER, &beacon).unwrap();
        assert_eq!(frame.len(), OPS_SAT_MIN_FRAME_BYTES);
        for i in 0..16 {
            frame[20 + 5 * i] ^= 0xA5;
        }
        assert_eq!(OpsSat::check(&frame), Some((beacon.clone(), 16)));
        frame[21] ^= 1;
        assert_eq!(OpsSat::check(&frame), None);
    }

    #[test]
    fn short_or_corrupt_frames_are_rejected() {
        assert_eq!(OpsSat::check(&[0u8; 100]), None);
        let mut frame = HEADER.to_vec();
        frame.extend_from_slice(&[0x55; 94]);
        assert_eq!(OpsSat::check(&frame), None);
    }
}
