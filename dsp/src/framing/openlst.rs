//! OpenLST packets (the CC1110-based open radio; DORA): after the sync word 0xD391D391
//! the packet is coded with the CC11xx forward error correction of TI design notes
//! DN504/DN507 and whitened with PN9:
//!
//! * packet bytes: length L (the bytes after it, CRC included), L − 2 payload bytes,
//!   CRC-16/CC11XX of the length byte and payload, **little-endian** (OpenLST's
//!   difference from the CC11xx packet engine), then two 0x0B pad bytes;
//! * PN9 whitening (byte-wise from 0x1FF, see [`pn9_whiten`]) over all of it;
//! * a rate-1/2, K = 4 convolutional code from state 0, 2 code bits per data bit, given
//!   by the DN504 output table indexed by (3 previous bits, current bit);
//! * every 4 coded bytes (16 two-bit symbols) interleaved as a 4×4 matrix: the symbol
//!   sent in slot j is coded symbol 4·(3 − j mod 4) + (3 − j div 4).
//!
//! The coded length is 2·(2·(⌊(L+1)/2⌋ + 1)) bytes. Decoding here is soft-decision
//! Viterbi over the whole packet once the length byte is known (it is decoded first
//! from the first few coded bytes). The payload is returned.

use super::cc11xx::pn9_whiten;
use super::crc::Crc16;
use super::sync_frames::{FrameFormat, Look, SyncPattern};
use crate::demod::fsk_decoder::FrameCheck;

/// OpenLST's sync word (4 errors allowed, as jradio).
pub const SYNC_OPENLST: SyncPattern = super::cc11xx::SYNC_D391;

/// DN504 encoder output (two bits, first sent in bit 1) for index (state << 1) | bit, the
/// state being the previous three data bits, oldest in bit 2.
const FEC_TABLE: [u8; 16] = [0, 3, 1, 2, 3, 0, 2, 1, 3, 0, 2, 1, 0, 3, 1, 2];

/// Coded bytes read before the length byte is decided: three interleaver blocks give the
/// Viterbi decoder 40 bits of look-ahead past it.
const FIRST_LOOK_CODED_BYTES: usize = 12;

/// Coded bytes of a packet whose length byte is `len`.
fn coded_bytes(len: usize) -> usize {
    2 * (2 * (len.div_ceil(2) + 1))
}

/// Position, in a 32-bit interleaver block, of the first bit of coded symbol `k`.
fn slot_of_symbol(k: usize) -> usize {
    let (a, b) = (k / 4, k % 4);
    2 * (4 * (3 - b) + (3 - a))
}

/// The OpenLST packet format after the sync word.
#[derive(Clone, Debug)]
pub struct OpenLst {
    crc: Crc16,
}

impl Default for OpenLst {
    fn default() -> Self {
        Self::new()
    }
}

impl OpenLst {
    pub fn new() -> Self {
        Self {
            crc: Crc16::new(Crc16::CC11XX),
        }
    }

    /// The coded bytes sent after the sync word for `payload` (at most 253 bytes).
    pub fn encode(payload: &[u8]) -> Result<Vec<u8>, String> {
        if payload.len() > 253 {
            return Err(format!(
                "OpenLST payload of {} bytes exceeds 253",
                payload.len()
            ));
        }
        let len = payload.len() + 2;
        let mut packet = vec![len as u8];
        packet.extend_from_slice(payload);
        let crc = Crc16::new(Crc16::CC11XX).checksum(&packet);
        packet.extend_from_slice(&crc.to_le_bytes());
        packet.extend_from_slice(&[0x0B, 0x0B]);
        pn9_whiten(&mut packet);
        let data_bytes = coded_bytes(len) / 2;
        packet.resize(data_bytes, 0);
        let mut symbols = Vec::with_capacity(8 * data_bytes);
        let mut state = 0usize;
        for &byte in &packet[..data_bytes] {
            for i in (0..8).rev() {
                let idx = (state << 1) | usize::from((byte >> i) & 1);
                symbols.push(FEC_TABLE[idx]);
                state = idx & 7;
            }
        }
        let mut out = Vec::with_capacity(2 * data_bytes);
        for block in symbols.chunks(16) {
            let mut bits = [0u8; 32];
            for (k, &s) in block.iter().enumerate() {
                let p = slot_of_symbol(k);
                bits[p] = s >> 1;
                bits[p + 1] = s & 1;
            }
            for byte in bits.chunks(8) {
                out.push(byte.iter().fold(0, |a, &b| (a << 1) | b));
            }
        }
        Ok(out)
    }

    /// Soft Viterbi over whole interleaver blocks of `soft` (positive = 1), from state 0;
    /// returns the decided data bytes (two per block), traced back from the best state.
    fn viterbi(soft: &[f32]) -> Vec<u8> {
        let blocks = soft.len() / 32;
        let steps = blocks * 16;
        let mut metric = [f32::NEG_INFINITY; 8];
        metric[0] = 0.0;
        // decisions[t] bit s: state s was entered from predecessor (s >> 1) | 4.
        let mut decisions = vec![0u8; steps];
        for blk in 0..blocks {
            let b = &soft[32 * blk..32 * blk + 32];
            for k in 0..16 {
                let p = slot_of_symbol(k);
                let (hi, lo) = (b[p], b[p + 1]);
                let mut next = [f32::NEG_INFINITY; 8];
                let mut dec = 0u8;
                for (s, slot) in next.iter_mut().enumerate() {
                    let bit = s & 1;
                    for (n, pred) in [s >> 1, (s >> 1) | 4].into_iter().enumerate() {
                        let out = FEC_TABLE[(pred << 1) | bit];
                        let bm = if out & 2 != 0 { hi } else { -hi }
                            + if out & 1 != 0 { lo } else { -lo };
                        let m = metric[pred] + bm;
                        if m > *slot {
                            *slot = m;
                            if n == 1 {
                                dec |= 1 << s;
                            } else {
                                dec &= !(1 << s);
                            }
                        }
                    }
                }
                metric = next;
                decisions[16 * blk + k] = dec;
            }
        }
        let mut state = (0..8)
            .max_by(|&a, &b| metric[a].total_cmp(&metric[b]))
            .unwrap_or(0);
        let mut bits = vec![0u8; steps];
        for t in (0..steps).rev() {
            bits[t] = (state & 1) as u8;
            state = if decisions[t] & (1 << state) != 0 {
                (state >> 1) | 4
            } else {
                state >> 1
            };
        }
        bits.chunks_exact(8)
            .map(|c| c.iter().fold(0u8, |a, &b| (a << 1) | b))
            .collect()
    }
}

impl FrameFormat for OpenLst {
    fn first_look(&self) -> usize {
        8 * FIRST_LOOK_CODED_BYTES
    }

    fn look(&mut self, soft: &[f32]) -> Look {
        let mut first = Self::viterbi(&soft[..8 * FIRST_LOOK_CODED_BYTES]);
        pn9_whiten(&mut first[..1]);
        let len = first[0] as usize;
        // Length byte counts the CRC: at least the CRC and one payload byte.
        if len < 3 {
            return Look::Done(None);
        }
        let need = 8 * coded_bytes(len);
        if soft.len() < need {
            return Look::Need(need);
        }
        let mut bytes = Self::viterbi(&soft[..need]);
        pn9_whiten(&mut bytes);
        let n = len + 1;
        let crc = u16::from_le_bytes([bytes[n - 2], bytes[n - 1]]);
        if self.crc.checksum(&bytes[..n - 2]) != crc {
            return Look::Done(None);
        }
        Look::Done(Some((bytes[1..n - 2].to_vec(), FrameCheck::Crc16)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_frames::{
        bytes_to_soft, hex, sync_to_soft, SoftDeframer, SoftFrame, SyncFrames,
    };
    use super::*;

    /// DORA's second beacon type, as in jradio's DoraBeaconTest.
    const DORA_SHORT: &str = "400000004b4537444851352ef85300038001001bffffffffffffffffffffffffffffffffffffffffffffffffffffffff0d00";

    fn run(coded: &[u8], flips: &[usize], invert: bool) -> Vec<SoftFrame> {
        let mut soft = bytes_to_soft(&[0xAA; 6]);
        soft.extend(sync_to_soft(&SYNC_OPENLST));
        let start = soft.len();
        soft.extend(bytes_to_soft(coded));
        soft.extend(bytes_to_soft(&[0xAA; 6]));
        for &f in flips {
            soft[start + f] = -soft[start + f];
        }
        if invert {
            soft.iter_mut().for_each(|s| *s = -*s);
        }
        let mut d = SyncFrames::new(SYNC_OPENLST, OpenLst::new()).unwrap();
        let mut out = Vec::new();
        for c in soft.chunks(13) {
            d.process(c, &mut out);
        }
        out
    }

    #[test]
    fn encoder_layout() {
        // 1-byte payload: L = 3, 4 packet bytes + pad -> 6 data bytes -> 12 coded bytes.
        assert_eq!(OpenLst::encode(&[0x42]).unwrap().len(), 12);
        assert_eq!(coded_bytes(214), 432);
        // The interleaver slots are a permutation of the 16 symbol positions.
        let mut slots: Vec<usize> = (0..16).map(slot_of_symbol).collect();
        slots.sort();
        assert_eq!(slots, (0..32).step_by(2).collect::<Vec<_>>());
    }

    /// Golden vector: a DORA beacon payload re-encoded, with scattered bit errors the
    /// code corrects, in both polarities.
    #[test]
    fn dora_beacon_round_trip_with_errors() {
        let payload = hex(DORA_SHORT);
        let coded = OpenLst::encode(&payload).unwrap();
        for invert in [false, true] {
            let out = run(&coded, &[5, 70, 150, 300, 420], invert);
            assert_eq!(out.len(), 1, "inverted {invert}");
            assert_eq!(out[0].data, payload);
            assert_eq!(out[0].check, FrameCheck::Crc16);
            assert_eq!(out[0].inverted, Some(invert));
        }
    }

    #[test]
    fn crc_failure_gives_nothing() {
        let payload = hex(DORA_SHORT);
        let coded = OpenLst::encode(&payload).unwrap();
        // Every third coded bit wrong over 300 bits is far beyond the code.
        let burst: Vec<usize> = (400..700).step_by(3).collect();
        assert!(run(&coded, &burst, false).is_empty());
    }
}
