//! ESEO framing (frames as jradio decodes them). On air, after two HDLC flags
//! (0x7E 0x7E): a shortened Reed–Solomon codeword over GF(2^8) (field 0x11D, roots
//! alpha^1..alpha^16, 16 parity bytes) whose bytes are sent least significant bit first,
//! then closing flags. Inside the codeword's data: a bit-stuffed (a 0 after five 1s),
//! G3RUH-scrambled, NRZI-coded bit stream of an AX.25 frame sent least significant bit
//! first, ending in a CRC-16/XMODEM over the frame. The frame without the CRC is
//! returned.
//!
//! The codeword's length is not sent: the receiver collects a fixed 257 bytes after the
//! opening flags and tries each closing-flag position, latest first (parity bytes can
//! look like flags).

use super::crc::Crc16;
use super::shortened_rs::{RsParams, ShortenedRs};
use super::soft_sync::{SoftHit, SoftSync};
use super::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// The two flags before a frame.
pub const ESEO_SYNC: u16 = 0x7E7E;
/// Bytes collected after the opening flags.
pub const ESEO_COLLECT_BYTES: usize = 257;
/// RS parameters.
pub const ESEO_RS: RsParams = RsParams {
    field_poly: 0x11D,
    first_root: 1,
    root_gap: 1,
    nroots: 16,
};
/// Shortest codeword jradio tries (bytes before the closing flags).
const MIN_CODEWORD_BYTES: usize = 33;
/// Bit errors tolerated in the closing flags.
const END_FLAG_MAX_ERRORS: u32 = 2;
/// Bit errors tolerated in the opening flags (jradio's threshold).
const SYNC_MAX_ERRORS: u32 = 1;

/// Removes the 0 after every run of five 1s.
fn destuff(bits: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bits.len());
    let mut ones = 0;
    for &b in bits {
        if ones == 5 {
            ones = 0;
            if b == 0 {
                continue;
            }
        }
        out.push(b);
        ones = if b == 1 { ones + 1 } else { 0 };
    }
    out
}

/// Inserts a 0 after every run of five 1s.
fn stuff(bits: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bits.len() * 6 / 5 + 1);
    let mut ones = 0;
    for &b in bits {
        out.push(b);
        ones = if b == 1 { ones + 1 } else { 0 };
        if ones == 5 {
            out.push(0);
            ones = 0;
        }
    }
    out
}

/// G3RUH (x^17 + x^12 + 1) multiplicative descrambler from a zero register.
fn descramble(bits: &mut [u8]) {
    let mut reg: u32 = 0;
    for b in bits.iter_mut() {
        let x = *b;
        *b = x ^ ((reg >> 11) & 1) as u8 ^ ((reg >> 16) & 1) as u8;
        reg = ((reg << 1) | u32::from(x)) & 0x1FFFF;
    }
}

fn scramble(bits: &mut [u8]) {
    let mut reg: u32 = 0;
    for b in bits.iter_mut() {
        let y = *b ^ ((reg >> 11) & 1) as u8 ^ ((reg >> 16) & 1) as u8;
        *b = y;
        reg = ((reg << 1) | u32::from(y)) & 0x1FFFF;
    }
}

/// Streaming ESEO deframer.
#[derive(Clone, Debug)]
pub struct Eseo {
    sync: SoftSync,
    hits: Vec<SoftHit>,
    rs: ShortenedRs,
    crc: Crc16,
}

impl Default for Eseo {
    fn default() -> Self {
        Self::new()
    }
}

impl Eseo {
    /// A deframer accepting either polarity.
    pub fn new() -> Self {
        Self {
            sync: SoftSync::new(
                ESEO_SYNC.into(),
                16,
                SYNC_MAX_ERRORS,
                ESEO_COLLECT_BYTES * 8,
                true,
            )
            .expect("constant parameters are valid"),
            hits: Vec::new(),
            rs: ShortenedRs::new(ESEO_RS).expect("constant parameters are valid"),
            crc: Crc16::new(Crc16::XMODEM),
        }
    }

    /// Checks the bits collected after the opening flags: the frame and the RS
    /// corrections for the latest closing-flag position that decodes.
    pub fn check(&mut self, bits: &[u8]) -> Option<(Vec<u8>, usize)> {
        let raw = bits_to_bytes_msb(bits);
        let max_end = raw.len().saturating_sub(2).min(255);
        for end in (MIN_CODEWORD_BYTES..=max_end).rev() {
            let flag = u16::from_be_bytes([raw[end], raw[end + 1]]);
            if (flag ^ ESEO_SYNC).count_ones() > END_FLAG_MAX_ERRORS {
                continue;
            }
            let cw: Vec<u8> = raw[..end].iter().map(|b| b.reverse_bits()).collect();
            let Ok((msg, corrected)) = self.rs.decode(&cw) else {
                continue;
            };
            let mut stream = Vec::with_capacity(msg.len() * 8);
            bytes_to_bits_msb(&msg, &mut stream);
            let mut data = destuff(&stream);
            descramble(&mut data);
            // NRZI: a 1 is no change of level.
            let mut last = 0;
            for b in data.iter_mut() {
                let level = *b;
                *b = u8::from(level == last);
                last = level;
            }
            let frame: Vec<u8> = bits_to_bytes_msb(&data)
                .into_iter()
                .map(u8::reverse_bits)
                .collect();
            if frame.len() < 3 || self.crc.checksum(&frame) != 0 {
                continue;
            }
            return Some((frame[..frame.len() - 2].to_vec(), corrected));
        }
        None
    }

    /// On-air bits (opening flags, codeword, closing flags) of `frame`, for tests and
    /// synthesis.
    pub fn encode(frame: &[u8]) -> Result<Vec<u8>, String> {
        let mut body = frame.to_vec();
        body.extend_from_slice(&Crc16::new(Crc16::XMODEM).checksum(frame).to_be_bytes());
        let rev: Vec<u8> = body.iter().map(|b| b.reverse_bits()).collect();
        let mut bits = Vec::new();
        bytes_to_bits_msb(&rev, &mut bits);
        // NRZI: a 0 is a change of level.
        let mut level = 0;
        for b in bits.iter_mut() {
            if *b == 0 {
                level ^= 1;
            }
            *b = level;
        }
        scramble(&mut bits);
        let mut stuffed = stuff(&bits);
        while !stuffed.len().is_multiple_of(8) {
            stuffed.push(0);
        }
        let msg = bits_to_bytes_msb(&stuffed);
        if msg.len() + ESEO_RS.nroots > 255 {
            return Err(format!("ESEO frame of {} bytes is too long", frame.len()));
        }
        let mut cw = Vec::new();
        ShortenedRs::new(ESEO_RS)
            .map_err(|e| e.to_string())?
            .encode(&msg, &mut cw)
            .map_err(|e| e.to_string())?;
        let mut out = Vec::new();
        bytes_to_bits_msb(&[0x7E, 0x7E], &mut out);
        let rev: Vec<u8> = cw.iter().map(|b| b.reverse_bits()).collect();
        bytes_to_bits_msb(&rev, &mut out);
        bytes_to_bits_msb(&[0x7E, 0x7E], &mut out);
        Ok(out)
    }
}

impl SoftDeframer for Eseo {
    fn push(&mut self, soft: f32, output: &mut Vec<SoftFrame>) {
        self.sync.push(soft, &mut self.hits);
        while let Some(hit) = self.hits.pop() {
            if let Some((data, corrected)) = self.check(&hit.bits()) {
                output.push(SoftFrame {
                    data,
                    check: FrameCheck::ReedSolomonCrc16 { corrected },
                    inverted: Some(hit.inverted),
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
    use crate::framing::sync_frames::hex;

    /// The type-1 beacon ESEO sent in jradio's eseo.wav (Eseo.json), without its CRC.
    const BEACON: &str = "8aa68a9e40406092ae6888aa986194fff0037af20f34d0000000000000000000000000000000000000000000000000000b003f00000000000300000000000000ffffbf1101e002c23c0db17fbd50e919bf6a006d006200630065005f006c5f0000000000b30000420c0000b20000420c000050550f0050540f0000000000000000000000000070107000000000";

    fn run(bits: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut d = Eseo::new();
        let mut out = Vec::new();
        // Idle ones before, filler after (the receiver collects 257 bytes).
        let filler: Vec<u8> = (0..ESEO_COLLECT_BYTES * 8)
            .map(|i| (i % 3 == 0) as u8)
            .collect();
        for &b in [1u8; 20].iter().chain(bits).chain(&filler) {
            d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn stuffing_round_trip() {
        let bits = [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0];
        let s = stuff(&bits);
        assert_eq!(s, vec![1, 1, 1, 1, 1, 0, 1, 1, 0, 1, 1, 1, 1, 1, 0, 0, 0]);
        assert_eq!(destuff(&s), bits.to_vec());
    }

    #[test]
    fn golden_beacon_round_trip_in_both_polarities_and_with_byte_errors() {
        let beacon = hex(BEACON);
        let mut bits = Eseo::encode(&beacon).unwrap();
        for invert in [false, true] {
            let out = run(&bits, invert);
            assert_eq!(out.len(), 1, "inverted {invert}");
            assert_eq!(out[0].data, beacon);
            assert_eq!(out[0].check, FrameCheck::ReedSolomonCrc16 { corrected: 0 });
        }
        for i in 0..8 {
            bits[16 + 8 * (10 + 15 * i)] ^= 1;
        }
        let out = run(&bits, false);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, beacon);
        assert_eq!(out[0].check, FrameCheck::ReedSolomonCrc16 { corrected: 8 });
    }
}
