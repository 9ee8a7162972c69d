//! IL2P (Improved Layer 2 Protocol, as Nino TNC / Dire Wolf send it; SilverSat's
//! downlink): sync word 0xF15E48, a 13-byte header scrambled and protected by RS with 2
//! parity bytes, then the payload in RS blocks (at most 239 data bytes each with 16
//! parity bytes in "max FEC" mode, else at most 247 with 2–8), each block scrambled on
//! its own. RS over GF(2^8) with field 0x11D and roots alpha^0.. ; the scrambler is the
//! x^9 + x^4 + 1 LFSR, self-synchronising, receiver register starting at 0x1F0.
//!
//! Header bits 7 of its bytes carry the FEC level (byte 0), header type (byte 1) and the
//! 10-bit payload length (bytes 2–11, most significant first). The descrambled header
//! followed by the descrambled payload is returned, as jradio reports IL2P frames.

use super::shortened_rs::{RsParams, ShortenedRs};
use super::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// The sync word.
pub const IL2P_SYNC: u32 = 0xF1_5E48;
/// Header bytes (without parity).
pub const IL2P_HEADER_BYTES: usize = 13;
const HEADER_PARITY: usize = 2;
/// Longest payload the header can announce.
pub const IL2P_MAX_PAYLOAD_BYTES: usize = 1023;
/// Sync-word bit errors tolerated (Dire Wolf allows 1).
const SYNC_MAX_ERRORS: u32 = 1;
/// Frames being collected at once, at most.
const MAX_PENDING: usize = 16;

fn rs_params(nroots: usize) -> RsParams {
    RsParams {
        field_poly: 0x11D,
        first_root: 0,
        root_gap: 1,
        nroots,
    }
}

/// Receive-side descrambler over one block, bits most significant first.
pub fn descramble_block(data: &mut [u8]) {
    let mut state: u32 = 0x1F0;
    for byte in data.iter_mut() {
        let mut out = 0u8;
        for k in (0..8).rev() {
            let bit = u32::from((*byte >> k) & 1);
            out = (out << 1) | ((bit ^ state) & 1) as u8;
            state = ((state >> 1) | (bit << 8)) ^ (bit << 3);
        }
        *byte = out;
    }
}

/// Transmit-side scrambler: the inverse of [`descramble_block`] (the receiver's register
/// only ever holds past *received* bits, so the sender runs the same register on what it
/// sends).
pub fn scramble_block(data: &mut [u8]) {
    let mut state: u32 = 0x1F0;
    for byte in data.iter_mut() {
        let mut out = 0u8;
        for k in (0..8).rev() {
            let d = u32::from((*byte >> k) & 1);
            let bit = (d ^ state) & 1;
            out = (out << 1) | bit as u8;
            state = ((state >> 1) | (bit << 8)) ^ (bit << 3);
        }
        *byte = out;
    }
}

/// Payload block layout: (data bytes of each block in order, parity per block).
pub fn payload_blocks(len: usize, max_fec: bool) -> (Vec<usize>, usize) {
    if len == 0 {
        return (Vec::new(), 0);
    }
    let per = if max_fec { 239 } else { 247 };
    let count = len.div_ceil(per);
    let small = len / count;
    let large = len - count * small;
    let parity = if max_fec {
        16
    } else {
        match small {
            0..=61 => 2,
            62..=123 => 4,
            124..=185 => 6,
            _ => 8,
        }
    };
    let mut sizes = vec![small + 1; large];
    sizes.extend(std::iter::repeat_n(small, count - large));
    (sizes, parity)
}

/// (payload length, max FEC) announced by a descrambled header.
fn header_fields(h: &[u8]) -> (usize, bool) {
    let len = h[2..12]
        .iter()
        .fold(0usize, |acc, b| (acc << 1) | usize::from(b >> 7));
    (len, h[0] >> 7 == 1)
}

#[derive(Clone, Debug)]
struct Pending {
    bits: Vec<u8>,
    need: usize,
    inverted: bool,
    /// Descrambled header and its RS corrections once the header has been decoded.
    header: Option<(Vec<u8>, usize)>,
}

/// Streaming IL2P deframer.
#[derive(Clone, Debug)]
pub struct Il2p {
    reg: u32,
    seen: u32,
    pending: Vec<Pending>,
    header_rs: ShortenedRs,
    payload_rs: Vec<(usize, ShortenedRs)>,
}

impl Default for Il2p {
    fn default() -> Self {
        Self::new()
    }
}

impl Il2p {
    /// A deframer accepting either polarity.
    pub fn new() -> Self {
        Self {
            reg: 0,
            seen: 0,
            pending: Vec::new(),
            header_rs: ShortenedRs::new(rs_params(HEADER_PARITY)).expect("valid parameters"),
            payload_rs: [2, 4, 6, 8, 16]
                .iter()
                .map(|&n| (n, ShortenedRs::new(rs_params(n)).expect("valid parameters")))
                .collect(),
        }
    }

    /// Decodes a received header (15 bytes): descrambled header and corrections.
    fn decode_header(&mut self, raw: &[u8]) -> Option<(Vec<u8>, usize)> {
        let (mut h, corrected) = self.header_rs.decode(raw).ok()?;
        descramble_block(&mut h);
        Some((h, corrected))
    }

    /// Decodes the received payload blocks: payload and corrections.
    fn decode_payload(
        &mut self,
        raw: &[u8],
        len: usize,
        max_fec: bool,
    ) -> Option<(Vec<u8>, usize)> {
        let (sizes, parity) = payload_blocks(len, max_fec);
        let rs = &mut self.payload_rs.iter_mut().find(|(n, _)| *n == parity)?.1;
        let mut out = Vec::with_capacity(len);
        let mut corrected = 0;
        let mut at = 0;
        for size in sizes {
            let (mut block, c) = rs.decode(raw.get(at..at + size + parity)?).ok()?;
            descramble_block(&mut block);
            out.extend_from_slice(&block);
            corrected += c;
            at += size + parity;
        }
        Some((out, corrected))
    }

    /// On-air bits (sync word, header, payload blocks) for a 13-byte header (its FEC and
    /// length fields are set here) and a payload, for tests and synthesis.
    pub fn encode(
        header: &[u8; IL2P_HEADER_BYTES],
        payload: &[u8],
        max_fec: bool,
    ) -> Result<Vec<u8>, String> {
        if payload.len() > IL2P_MAX_PAYLOAD_BYTES {
            return Err(format!(
                "IL2P payload of {} bytes is too long",
                payload.len()
            ));
        }
        let mut h = *header;
        h[0] = (h[0] & 0x7F) | (u8::from(max_fec) << 7);
        for (i, b) in h[2..12].iter_mut().enumerate() {
            let bit = ((payload.len() >> (9 - i)) & 1) as u8;
            *b = (*b & 0x7F) | (bit << 7);
        }
        let mut bits = Vec::new();
        bytes_to_bits_msb(&IL2P_SYNC.to_be_bytes()[1..], &mut bits);
        scramble_block(&mut h);
        let mut cw = Vec::new();
        ShortenedRs::new(rs_params(HEADER_PARITY))
            .map_err(|e| e.to_string())?
            .encode(&h, &mut cw)
            .map_err(|e| e.to_string())?;
        bytes_to_bits_msb(&cw, &mut bits);
        let (sizes, parity) = payload_blocks(payload.len(), max_fec);
        let mut rs = ShortenedRs::new(rs_params(parity.max(2))).map_err(|e| e.to_string())?;
        let mut at = 0;
        for size in sizes {
            let mut block = payload[at..at + size].to_vec();
            scramble_block(&mut block);
            let mut cw = Vec::new();
            rs.encode(&block, &mut cw).map_err(|e| e.to_string())?;
            bytes_to_bits_msb(&cw, &mut bits);
            at += size;
        }
        Ok(bits)
    }
}

impl SoftDeframer for Il2p {
    fn push(&mut self, soft: f32, output: &mut Vec<SoftFrame>) {
        let bit = u8::from(soft > 0.0);
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            p.bits.push(bit ^ u8::from(p.inverted));
            if p.bits.len() < p.need {
                i += 1;
                continue;
            }
            let mut p = self.pending.remove(i);
            let bytes = bits_to_bytes_msb(&p.bits);
            match p.header.take() {
                None => {
                    let Some((h, c)) = self.decode_header(&bytes) else {
                        continue;
                    };
                    let (len, max_fec) = header_fields(&h);
                    let (sizes, parity) = payload_blocks(len, max_fec);
                    let encoded: usize = sizes.iter().map(|s| s + parity).sum();
                    if encoded == 0 {
                        output.push(SoftFrame {
                            data: h,
                            check: FrameCheck::ReedSolomon { corrected: c },
                            inverted: Some(p.inverted),
                        });
                        continue;
                    }
                    p.need += encoded * 8;
                    p.header = Some((h, c));
                    self.pending.insert(i, p);
                    i += 1;
                }
                Some((h, hc)) => {
                    let (len, max_fec) = header_fields(&h);
                    let start = IL2P_HEADER_BYTES + HEADER_PARITY;
                    if let Some((payload, pc)) = self.decode_payload(&bytes[start..], len, max_fec)
                    {
                        let mut data = h;
                        data.extend_from_slice(&payload);
                        output.push(SoftFrame {
                            data,
                            check: FrameCheck::ReedSolomon { corrected: hc + pc },
                            inverted: Some(p.inverted),
                        });
                    }
                }
            }
        }
        self.reg = ((self.reg << 1) | u32::from(bit)) & 0xFF_FFFF;
        self.seen = self.seen.saturating_add(1);
        if self.seen < 24 || self.pending.len() >= MAX_PENDING {
            return;
        }
        let d = (self.reg ^ IL2P_SYNC).count_ones();
        let inverted = if d <= SYNC_MAX_ERRORS {
            false
        } else if 24 - d <= SYNC_MAX_ERRORS {
            true
        } else {
            return;
        };
        self.pending.push(Pending {
            bits: Vec::with_capacity((IL2P_HEADER_BYTES + HEADER_PARITY) * 8),
            need: (IL2P_HEADER_BYTES + HEADER_PARITY) * 8,
            inverted,
            header: None,
        });
    }

    fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex;

    /// The frame SilverSat sent in jradio's silversat.wav (Silversat.json): descrambled
    /// header, then an SSDV packet.
    const FRAME: &str = "f7f05278e7f777305238e7f7105567deeb796c17000a140f0007003cd5d518d919b67fcda09cd18a5af6123844c528a2940e453113c2a1a270a42b0c924f4c544c4018e334a58630a300f5a6f5a490db12a6862321273800726a3c629cac7695c9c75c0a7e80894b18c9008040c5424f24e724f5a7721720673d69a01e783425602c24b0c687f745988c024f4f534d33031e003b89c75e00a8c8240c638a4039e46451641763839279e95335c8081514018e4e3151370318cd46460668b2617b0ac771cd211452aa339c2824776e75d8";

    fn run(bits: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut d = Il2p::new();
        let mut out = Vec::new();
        for &b in [0u8, 1].repeat(12).iter().chain(bits).chain(&[0u8; 16]) {
            d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn scrambler_inverts_descrambler() {
        let x: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(37)).collect();
        let mut y = x.clone();
        scramble_block(&mut y);
        assert_ne!(y, x);
        descramble_block(&mut y);
        assert_eq!(y, x);
    }

    #[test]
    fn block_layout_follows_the_spec() {
        assert_eq!(payload_blocks(195, true), (vec![195], 16));
        assert_eq!(payload_blocks(500, true), (vec![167, 167, 166], 16));
        assert_eq!(payload_blocks(100, false), (vec![100], 4));
        assert_eq!(payload_blocks(0, false), (vec![], 0));
    }

    #[test]
    fn golden_silversat_frame_round_trip_in_both_polarities_and_with_errors() {
        let frame = hex(FRAME);
        let header: [u8; 13] = frame[..13].try_into().unwrap();
        let mut bits = Il2p::encode(&header, &frame[13..], true).unwrap();
        // The header as sent already carries its FEC level and length: unchanged.
        for invert in [false, true] {
            let out = run(&bits, invert);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data, frame);
            assert_eq!(out[0].check, FrameCheck::ReedSolomon { corrected: 0 });
            assert_eq!(out[0].inverted, Some(invert));
        }
        // One header byte and eight payload bytes wrong: still decoded.
        bits[24 + 3] ^= 1;
        for k in 0..8 {
            bits[24 + 15 * 8 + 8 * (20 * k + 3)] ^= 1;
        }
        let out = run(&bits, false);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, frame);
        assert_eq!(out[0].check, FrameCheck::ReedSolomon { corrected: 9 });
    }
}
