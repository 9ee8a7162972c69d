//! CCSDS transfer frames with Reed–Solomon only (no convolutional code), as sent over
//! plain FSK: the attached sync marker 0x1ACFFC1D, then 255·I bytes pseudo-randomised
//! (CCSDS 131.0-B-2 §9) forming I interleaved RS (255, 223) codewords (§4), optionally
//! with a CRC-16/IBM-3740 (big-endian) closing the data part. Astrocast's 9k6 beacon is
//! the case in hand: I = 5, dual basis, CRC; the whole 1115-byte data part (CRC
//! included, as jradio returns it) comes out.

use super::crc::Crc16;
use super::sync_frames::{soft_to_bytes, FrameFormat, Look, SyncPattern};
use crate::demod::fsk_decoder::FrameCheck;
use crate::fec::{Randomizer, ReedSolomon, ReedSolomonConfig, RsBasis};

/// The CCSDS attached sync marker, 4 wrong bits allowed (as jradio for Astrocast).
pub const SYNC_ASM: SyncPattern = SyncPattern {
    pattern: 0x1ACF_FC1D,
    len_bits: 32,
    max_errors: 4,
};

/// Options of [`CcsdsRsFrame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcsdsRsFrameConfig {
    /// RS interleave depth I (1..=8).
    pub interleave: usize,
    /// Symbols in Berlekamp's dual basis (CCSDS) rather than the conventional one.
    pub dual_basis: bool,
    /// The data part ends in a CRC-16/IBM-3740 of the bytes before it.
    pub crc16: bool,
}

/// The frame format after the ASM (see the module documentation).
#[derive(Debug)]
pub struct CcsdsRsFrame {
    config: CcsdsRsFrameConfig,
    rs: ReedSolomon,
    crc: Crc16,
}

impl CcsdsRsFrame {
    pub fn new(config: CcsdsRsFrameConfig) -> Result<Self, String> {
        let rs = ReedSolomon::new(Self::rs_config(&config)).map_err(|e| e.to_string())?;
        Ok(Self {
            config,
            rs,
            crc: Crc16::new(Crc16::CCITT_FALSE),
        })
    }

    fn rs_config(config: &CcsdsRsFrameConfig) -> ReedSolomonConfig {
        let mut c = ReedSolomonConfig::ccsds(config.interleave);
        if !config.dual_basis {
            c.basis = RsBasis::Conventional;
        }
        c
    }

    /// Bytes of the data part (223·I).
    pub fn data_len(&self) -> usize {
        self.rs.data_len()
    }

    /// The on-air bytes after the ASM for a data part of [`data_len`](Self::data_len)
    /// bytes (with `crc16`, its last two bytes are overwritten by the CRC).
    pub fn encode(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() != self.data_len() {
            return Err(format!(
                "data part must be {} bytes, got {}",
                self.data_len(),
                data.len()
            ));
        }
        let mut block = vec![0u8; self.rs.codeblock_len()];
        block[..data.len()].copy_from_slice(data);
        if self.config.crc16 {
            let n = data.len();
            let crc = self.crc.checksum(&block[..n - 2]);
            block[n - 2..n].copy_from_slice(&crc.to_be_bytes());
        }
        self.rs.encode(&mut block).map_err(|e| e.to_string())?;
        Randomizer::apply(&mut block);
        Ok(block)
    }
}

impl FrameFormat for CcsdsRsFrame {
    fn first_look(&self) -> usize {
        8 * self.rs.codeblock_len()
    }

    fn look(&mut self, soft: &[f32]) -> Look {
        let mut block = soft_to_bytes(soft);
        Randomizer::apply(&mut block);
        let Ok(corrected) = self.rs.decode(&mut block) else {
            return Look::Done(None);
        };
        let data = &block[..self.rs.data_len()];
        // A constant block passes RS (see `fec::reed_solomon`) but is no frame.
        if data.iter().all(|&b| b == data[0]) {
            return Look::Done(None);
        }
        let check = if self.config.crc16 {
            let n = data.len();
            if self.crc.checksum(&data[..n - 2]) != u16::from_be_bytes([data[n - 2], data[n - 1]]) {
                return Look::Done(None);
            }
            FrameCheck::ReedSolomonCrc16 { corrected }
        } else {
            FrameCheck::ReedSolomon { corrected }
        };
        Look::Done(Some((data.to_vec(), check)))
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_frames::{bytes_to_soft, hex, sync_to_soft, SoftDeframer, SyncFrames};
    use super::*;

    const ASTROCAST: CcsdsRsFrameConfig = CcsdsRsFrameConfig {
        interleave: 5,
        dual_basis: true,
        crc16: true,
    };

    /// The reference frame of astrocast_9k6.wav (jradio): 44 header bytes, zeros, and
    /// 01 04 02 00 before its CRC 0xCE74.
    fn astrocast_reference() -> Vec<u8> {
        let head = hex(
            "001917431ffe0807e01900191003190005b2b105075f0047173563493f0000000300010050a507ffc0000428",
        );
        let mut data = vec![0u8; 1115];
        data[..head.len()].copy_from_slice(&head);
        data[1109..].copy_from_slice(&[0x01, 0x04, 0x02, 0x00, 0xce, 0x74]);
        data
    }

    /// Golden vector: the reference frame's CRC is CRC-16/IBM-3740 of the rest; the frame
    /// re-encoded, sent inverted with 40 byte errors, decodes back byte-exact.
    #[test]
    fn astrocast_frame_round_trip() {
        let data = astrocast_reference();
        assert_eq!(
            Crc16::new(Crc16::CCITT_FALSE).checksum(&data[..1113]),
            0xCE74
        );
        let f = CcsdsRsFrame::new(ASTROCAST).unwrap();
        let body = f.encode(&data).unwrap();
        let mut soft = bytes_to_soft(&[0x55; 4]);
        soft.extend(sync_to_soft(&SYNC_ASM));
        let start = soft.len();
        soft.extend(bytes_to_soft(&body));
        for k in 0..40 {
            // byte 7k: 8 errors in each of the 5 codewords
            soft[start + 3 + 56 * k] *= -1.0;
        }
        soft.iter_mut().for_each(|s| *s = -*s);
        let mut d = SyncFrames::new(SYNC_ASM, CcsdsRsFrame::new(ASTROCAST).unwrap()).unwrap();
        let mut out = Vec::new();
        d.process(&soft, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, data);
        assert_eq!(out[0].inverted, Some(true));
        assert_eq!(out[0].check, FrameCheck::ReedSolomonCrc16 { corrected: 40 });
    }
}
