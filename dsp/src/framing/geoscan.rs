//! GEOSCAN-EDELVEIS framing (CC11xx-style packet radio, frames as jradio decodes them):
//! sync word 0x930B51DE, then 66 bytes whitened with the CC11xx PN9 sequence (DN509, from
//! 0x1FF, mask bytes FF E1 1D 9A …), the last two a CRC-16/CC11XX of the first 64 sent
//! big-endian. The 64 bytes before the CRC are returned.

use super::crc::Crc16;
use super::pn9::Pn9;
use super::soft_sync::{SoftHit, SoftSync};
use super::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// The sync word.
pub const GEOSCAN_SYNC: u32 = 0x930B_51DE;
/// Bytes after the sync word, CRC included.
pub const GEOSCAN_FRAME_BYTES: usize = 66;
/// Sync-word bit errors tolerated (jradio allows 4 of 32; the CRC rejects false hits).
const SYNC_MAX_ERRORS: u32 = 4;

/// The PN9 mask as bytes: each byte takes 8 register steps, first step in bit 0.
fn pn9_mask(len: usize) -> Vec<u8> {
    let mut pn = Pn9::new(Pn9::SEED_CC11XX).expect("0x1FF is a valid seed");
    (0..len)
        .map(|_| (0..8).fold(0u8, |acc, i| acc | (pn.next_bit() << i)))
        .collect()
}

/// Streaming GEOSCAN deframer.
#[derive(Clone, Debug)]
pub struct Geoscan {
    sync: SoftSync,
    hits: Vec<SoftHit>,
    mask: Vec<u8>,
    crc: Crc16,
}

impl Default for Geoscan {
    fn default() -> Self {
        Self::new()
    }
}

impl Geoscan {
    /// A deframer accepting either polarity.
    pub fn new() -> Self {
        Self {
            sync: SoftSync::new(
                GEOSCAN_SYNC.into(),
                32,
                SYNC_MAX_ERRORS,
                GEOSCAN_FRAME_BYTES * 8,
                true,
            )
            .expect("constant parameters are valid"),
            hits: Vec::new(),
            mask: pn9_mask(GEOSCAN_FRAME_BYTES),
            crc: Crc16::new(Crc16::CC11XX),
        }
    }

    /// Checks the bytes after one sync word; the payload if the CRC matches.
    pub fn check(&self, frame_bits: &[u8]) -> Option<Vec<u8>> {
        let mut bytes = bits_to_bytes_msb(frame_bits);
        if bytes.len() != GEOSCAN_FRAME_BYTES {
            return None;
        }
        bytes.iter_mut().zip(&self.mask).for_each(|(b, m)| *b ^= m);
        if self.crc.checksum(&bytes) != 0 {
            return None;
        }
        bytes.truncate(GEOSCAN_FRAME_BYTES - 2);
        Some(bytes)
    }

    /// On-air bits (sync word + frame) for a 64-byte payload, for tests and synthesis.
    pub fn encode(payload: &[u8]) -> Result<Vec<u8>, String> {
        if payload.len() != GEOSCAN_FRAME_BYTES - 2 {
            return Err(format!(
                "GEOSCAN payload must be {} bytes, got {}",
                GEOSCAN_FRAME_BYTES - 2,
                payload.len()
            ));
        }
        let mut body = payload.to_vec();
        let crc = Crc16::new(Crc16::CC11XX).checksum(&body);
        body.extend_from_slice(&crc.to_be_bytes());
        body.iter_mut()
            .zip(pn9_mask(GEOSCAN_FRAME_BYTES))
            .for_each(|(b, m)| *b ^= m);
        let mut bits = Vec::new();
        bytes_to_bits_msb(&GEOSCAN_SYNC.to_be_bytes(), &mut bits);
        bytes_to_bits_msb(&body, &mut bits);
        Ok(bits)
    }
}

impl SoftDeframer for Geoscan {
    fn push(&mut self, soft: f32, output: &mut Vec<SoftFrame>) {
        self.sync.push(soft, &mut self.hits);
        while let Some(hit) = self.hits.pop() {
            if let Some(data) = self.check(&hit.bits()) {
                output.push(SoftFrame {
                    data,
                    check: FrameCheck::Crc16,
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

    /// The beacon GEOSCAN-EDELVEIS sent in jradio's geoscan.wav (GeoscanBeacon.json).
    const BEACON: &str = "0100260420848a82869e9c60a4a66460a6406003f00c00e105bd051b000900589ec709e6eb00fb01000000000000000000000000000000000000000000000000";

    #[test]
    fn mask_is_the_dn509_sequence() {
        assert_eq!(pn9_mask(4), vec![0xFF, 0xE1, 0x1D, 0x9A]);
    }

    #[test]
    fn golden_beacon_round_trip_in_both_polarities() {
        let payload = hex(BEACON);
        let bits = Geoscan::encode(&payload).unwrap();
        // On-air bytes after the sync word start with the whitened first bytes: 01^FF,
        // 00^E1, 26^1D, 04^9A.
        assert_eq!(
            bits_to_bytes_msb(&bits[32..64]),
            vec![0xFE, 0xE1, 0x3B, 0x9E]
        );
        for invert in [false, true] {
            let mut d = Geoscan::new();
            let mut out = Vec::new();
            for &b in [0u8, 1, 0, 1, 0, 1].iter().chain(&bits).chain(&[0u8; 8]) {
                let s = if (b == 1) != invert { 1.0 } else { -1.0 };
                d.push(s, &mut out);
            }
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].data, payload);
            assert_eq!(out[0].inverted, Some(invert));
        }
    }

    #[test]
    fn a_flipped_bit_fails_the_crc() {
        let mut bits = Geoscan::encode(&hex(BEACON)).unwrap();
        bits[100] ^= 1;
        let d = Geoscan::new();
        assert_eq!(d.check(&bits[32..]), None);
    }
}
