//! MRC-100 framing, as decoded by jradio (the reference for the frames): sync word
//! 0xE31C9DAE (32 bits, up to 4 errors), then a repeat–accumulate codeword
//! ([`crate::fec::ra`]) of a 126-byte message, decoded from the soft symbols. The message's
//! bytes 1–2 hold a CRC-16/CCITT-FALSE, placed in the satellite's order: the CRC runs over
//! byte 0, bytes 3…125, then bytes 2 and 1 must make the register zero. Sync packets
//! (first byte 0xC5) are not telemetry and are skipped. The frame is the 126-byte message.

use super::crc::Crc16;
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};
use crate::fec::ra::RaCode;

/// The MRC-100 sync word.
pub const MRC100_SYNC: u32 = 0xE31C_9DAE;
const MESSAGE_BYTES: usize = 126;
const SYNC_MAX_ERRORS: u32 = 4;
const SYNC_PACKET: u8 = 0xC5;

#[derive(Clone, Debug, Default)]
struct Candidate {
    soft: Vec<f32>,
    inverted: bool,
}

/// Streaming MRC-100 deframer.
#[derive(Clone, Debug)]
pub struct Mrc100 {
    code: RaCode,
    crc: Crc16,
    reg: u32,
    seen: u32,
    candidates: Vec<Candidate>,
}

/// Candidates followed at once, at most.
const MAX_CANDIDATES: usize = 16;

impl Mrc100 {
    /// Builds the deframer.
    pub fn new() -> Self {
        Self {
            code: RaCode::new(MESSAGE_BYTES).expect("126 bytes is a valid RA length"),
            crc: Crc16::new(Crc16::CCITT_FALSE),
            reg: 0,
            seen: 0,
            candidates: Vec::new(),
        }
    }

    /// Checks a decoded message's CRC.
    pub fn crc_ok(&self, m: &[u8]) -> bool {
        if m.len() != MESSAGE_BYTES {
            return false;
        }
        let mut reg = self.crc.start();
        reg = self.crc.update(reg, &m[..1]);
        reg = self.crc.update(reg, &m[3..]);
        reg = self.crc.update(reg, &[m[2], m[1]]);
        self.crc.finish(reg) == 0
    }

    /// Decodes a codeword's soft symbols (positive = bit 1) to a checked message.
    pub fn decode(&self, soft: &[f32]) -> Option<Vec<u8>> {
        let llr: Vec<f32> = soft.iter().map(|s| -s).collect();
        let m = self.code.decode(&llr)?;
        (self.crc_ok(&m) && m[0] != SYNC_PACKET).then_some(m)
    }
}

impl Default for Mrc100 {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftDeframer for Mrc100 {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let n = self.code.codeword_bytes() * 8;
        let mut done = Vec::new();
        self.candidates.retain_mut(|c| {
            c.soft.push(if c.inverted { -soft } else { soft });
            if c.soft.len() == n {
                done.push(std::mem::take(c));
                return false;
            }
            true
        });
        self.reg = (self.reg << 1) | u32::from(soft > 0.0);
        self.seen = self.seen.saturating_add(1);
        let d = (self.reg ^ MRC100_SYNC).count_ones();
        let hit = if d <= SYNC_MAX_ERRORS {
            Some(false)
        } else if 32 - d <= SYNC_MAX_ERRORS {
            Some(true)
        } else {
            None
        };
        if let Some(inverted) = hit {
            if self.seen >= 32 && self.candidates.len() < MAX_CANDIDATES {
                self.candidates.push(Candidate {
                    soft: Vec::with_capacity(n),
                    inverted,
                });
            }
        }
        for c in done {
            if let Some(data) = self.decode(&c.soft) {
                out.push(SoftFrame {
                    data,
                    check: FrameCheck::Named {
                        name: "ra+crc16",
                        corrected: None,
                    },
                    inverted: Some(c.inverted),
                });
            }
        }
    }

    fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.candidates.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex as unhex;
    use crate::framing::syncword::bytes_to_bits_msb;

    /// The MRC-100 beacon jradio decodes from the recording (its Mrc100Beacon.json).
    const GOLDEN: &str = "1251cc84000000016864001158be64007f2d802fbf2d80ab3f2ea0b10e7f2ea0ab0ebf2ea0b10ec22c3300ff2da0990e022d34007f2d8030bf2d80ad3f2ea0b10e7f2ea0ab0ebf2ea0b10ec22c36003f2d007f2d8030bf2d80aeff2da0990e3f2ea0b60e7f2ea0ab0ebf2ea0b10ec22c38003f2d007f2d28df0577d87f34";

    #[test]
    fn golden_message_passes_its_crc_and_round_trips_through_the_ra_code() {
        let msg = unhex(GOLDEN);
        let d = Mrc100::new();
        assert!(d.crc_ok(&msg));
        let mut bad = msg.clone();
        bad[40] ^= 0x08;
        assert!(!d.crc_ok(&bad));

        let cw = RaCode::new(MESSAGE_BYTES).unwrap().encode(&msg).unwrap();
        let mut tx = vec![0x55, 0x55, 0xE3, 0x1C, 0x9D, 0xAE];
        tx.extend_from_slice(&cw);
        let mut bits = Vec::new();
        bytes_to_bits_msb(&tx, &mut bits);
        for invert in [false, true] {
            let mut d = Mrc100::new();
            let mut out = Vec::new();
            for (i, &b) in bits.iter().enumerate() {
                // Every 50th code bit weak and wrong: the RA code repairs them.
                let mut s = if b == 1 { 1.0 } else { -1.0 };
                if i > 48 && i % 50 == 0 {
                    s *= -0.3;
                }
                d.push(if invert { -s } else { s }, &mut out);
            }
            assert_eq!(out.len(), 1, "invert {invert}");
            assert_eq!(out[0].data, msg);
        }
    }
}
