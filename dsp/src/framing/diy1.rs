//! DIY-1 (ArduiQube) framing, as decoded by jradio (the reference for the frames): sync
//! word 0x2DD4 (up to 2 bit errors), then a 5-byte header whose last byte is the payload
//! length L, L payload bytes (an ASCII telemetry line) and a CRC-16/XMODEM of header and
//! payload, big-endian. No whitening. The whole 5 + L + 2 bytes are the frame.

use super::crc::Crc16;
use super::syncword::bits_to_bytes_msb;
use super::var_sync::{VarHit, VarSync, VarSyncConfig};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

const HEADER_BYTES: usize = 5;
const CRC_BYTES: usize = 2;

/// Streaming DIY-1 deframer.
#[derive(Clone, Debug)]
pub struct Diy1 {
    sync: VarSync,
    crc: Crc16,
    hits: Vec<VarHit>,
}

impl Diy1 {
    /// Builds the deframer.
    pub fn new() -> Self {
        let sync = VarSync::new(VarSyncConfig {
            pattern: 0x2DD4,
            len_bits: 16,
            max_errors: 2,
            accept_inverted: true,
            header_bits: HEADER_BYTES * 8,
            max_frame_bits: (HEADER_BYTES + 255 + CRC_BYTES) * 8,
        })
        .expect("constant configuration is valid");
        Self {
            sync,
            crc: Crc16::new(Crc16::XMODEM),
            hits: Vec::new(),
        }
    }
}

impl Default for Diy1 {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftDeframer for Diy1 {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let frame_bits = |h: &[u8]| {
            let len = bits_to_bytes_msb(h)[HEADER_BYTES - 1] as usize;
            Some((HEADER_BYTES + len + CRC_BYTES) * 8)
        };
        self.sync
            .push(u8::from(soft > 0.0), frame_bits, &mut self.hits);
        for h in self.hits.drain(..) {
            let bytes = bits_to_bytes_msb(&h.bits);
            // A CRC appended big-endian makes the register of the whole frame zero.
            if self.crc.checksum(&bytes) == 0 {
                out.push(SoftFrame {
                    data: bytes,
                    check: FrameCheck::Crc16,
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

    /// The frame jradio decodes from the DIY-1 recording (its Diy1Beacon.json).
    const GOLDEN: &str = "243500002e243030323935322c30302c30362c31372c3034372c3336362c2d3132342c2d332c2020302c36312c32302a0a0000bb33";

    fn run(bytes: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut bits = Vec::new();
        bytes_to_bits_msb(bytes, &mut bits);
        let mut d = Diy1::new();
        let mut out = Vec::new();
        for b in bits {
            let s = if (b == 1) != invert { 1.0 } else { -1.0 };
            d.push(s, &mut out);
        }
        out
    }

    #[test]
    fn golden_frame_after_preamble_and_sync_either_polarity() {
        let frame = unhex(GOLDEN);
        let mut tx = vec![0xAA; 4];
        tx.extend_from_slice(&[0x2D, 0xD4]);
        tx.extend_from_slice(&frame);
        for invert in [false, true] {
            let out = run(&tx, invert);
            assert_eq!(out.len(), 1, "invert {invert}");
            assert_eq!(out[0].data, frame);
            assert_eq!(out[0].inverted, Some(invert));
        }
    }

    #[test]
    fn a_flipped_payload_bit_fails_the_crc() {
        let mut frame = unhex(GOLDEN);
        frame[20] ^= 0x04;
        let mut tx = vec![0xAA, 0x2D, 0xD4];
        tx.extend_from_slice(&frame);
        assert!(run(&tx, false).is_empty());
    }
}
