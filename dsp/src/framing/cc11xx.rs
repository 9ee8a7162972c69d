//! Frames of TI CC11xx-style packet radios after their sync word (formats as decoded by
//! jradio, which provides the reference frames):
//!
//! * **CC11xx packet** (Reaktor Hello World: sync 0x352E352E): PN9 whitening (TI DN509,
//!   byte-wise from 0x1FF), a length byte L, L bytes of payload, CRC-16/CC11XX of the
//!   length byte and payload, big-endian. The payload is returned.
//! * **3CAT-1** (sync 0xD391D391): 255 bytes whitened with PN9 as above, forming a
//!   Reed–Solomon (255, 223) codeword over GF(2^8) with field polynomial 0x11D and
//!   generator roots alpha^1..alpha^32. The 223 data bytes are returned.

use super::crc::Crc16;
use super::pn9::Pn9;
use super::shortened_rs::{RsParams, ShortenedRs};
use super::sync_frames::{soft_to_bytes, FrameFormat, Look, SyncPattern};
use crate::demod::fsk_decoder::FrameCheck;

/// Sync word of Reaktor Hello World (4 errors allowed, as jradio).
pub const SYNC_RHW: SyncPattern = SyncPattern {
    pattern: 0x352E_352E,
    len_bits: 32,
    max_errors: 4,
};

/// Sync word of 3CAT-1 (and of the CC1101 default, 0xD391 twice).
pub const SYNC_D391: SyncPattern = SyncPattern {
    pattern: 0xD391_D391,
    len_bits: 32,
    max_errors: 4,
};

/// XORs the CC11xx PN9 whitening sequence into bytes, byte-wise from the reset state:
/// the register's low bits give each byte least significant bit first (FF E1 1D 9A …).
pub fn pn9_whiten(bytes: &mut [u8]) {
    let mut pn = Pn9::new(Pn9::SEED_CC11XX).expect("0x1FF is a valid seed");
    for b in bytes.iter_mut() {
        let mut mask = 0u8;
        for i in 0..8 {
            mask |= pn.next_bit() << i;
        }
        *b ^= mask;
    }
}

/// CC11xx variable-length packet with CRC (see the module documentation).
#[derive(Clone, Debug)]
pub struct Cc11xxPacket {
    crc: Crc16,
}

impl Default for Cc11xxPacket {
    fn default() -> Self {
        Self::new()
    }
}

impl Cc11xxPacket {
    pub fn new() -> Self {
        Self {
            crc: Crc16::new(Crc16::CC11XX),
        }
    }

    /// The on-air bytes after the sync word carrying `payload` (at most 255 bytes).
    pub fn encode(payload: &[u8]) -> Result<Vec<u8>, String> {
        let len = u8::try_from(payload.len())
            .map_err(|_| format!("payload of {} bytes exceeds 255", payload.len()))?;
        let mut out = vec![len];
        out.extend_from_slice(payload);
        let crc = Crc16::new(Crc16::CC11XX).checksum(&out);
        out.extend_from_slice(&crc.to_be_bytes());
        pn9_whiten(&mut out);
        Ok(out)
    }
}

impl FrameFormat for Cc11xxPacket {
    fn first_look(&self) -> usize {
        8
    }

    fn look(&mut self, soft: &[f32]) -> Look {
        let mut bytes = soft_to_bytes(soft);
        pn9_whiten(&mut bytes);
        let total = bytes[0] as usize + 3;
        if bytes.len() < total {
            return Look::Need(8 * total);
        }
        if bytes[0] == 0 || self.crc.checksum(&bytes[..total]) != 0 {
            return Look::Done(None);
        }
        Look::Done(Some((bytes[1..total - 2].to_vec(), FrameCheck::Crc16)))
    }
}

const SAT3CAT1_BYTES: usize = 255;
const SAT3CAT1_RS: RsParams = RsParams {
    field_poly: 0x11D,
    first_root: 1,
    root_gap: 1,
    nroots: 32,
};

/// 3CAT-1 frame (see the module documentation).
#[derive(Clone, Debug)]
pub struct Sat3Cat1 {
    rs: ShortenedRs,
}

impl Sat3Cat1 {
    pub fn new() -> Result<Self, String> {
        Ok(Self {
            rs: ShortenedRs::new(SAT3CAT1_RS).map_err(|e| e.to_string())?,
        })
    }

    /// The on-air bytes after the sync word carrying 223 data bytes.
    pub fn encode(data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() != SAT3CAT1_BYTES - 32 {
            return Err(format!("3CAT-1 data must be 223 bytes, got {}", data.len()));
        }
        let mut cw = Vec::new();
        ShortenedRs::new(SAT3CAT1_RS)
            .map_err(|e| e.to_string())?
            .encode(data, &mut cw)
            .map_err(|e| e.to_string())?;
        pn9_whiten(&mut cw);
        Ok(cw)
    }
}

impl FrameFormat for Sat3Cat1 {
    fn first_look(&self) -> usize {
        8 * SAT3CAT1_BYTES
    }

    fn look(&mut self, soft: &[f32]) -> Look {
        let mut bytes = soft_to_bytes(soft);
        pn9_whiten(&mut bytes);
        match self.rs.decode(&bytes) {
            // An all-zero codeword is valid yet never a beacon (a dead carrier).
            Ok((msg, _)) if msg.iter().all(|&b| b == msg[0]) => Look::Done(None),
            Ok((msg, corrected)) => Look::Done(Some((msg, FrameCheck::ReedSolomon { corrected }))),
            Err(_) => Look::Done(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::sync_frames::{
        bytes_to_soft, hex, sync_to_soft, SoftDeframer, SoftFrame, SyncFrames,
    };
    use super::*;

    #[test]
    fn pn9_bytes_are_the_dn509_sequence() {
        let mut b = [0u8; 8];
        pn9_whiten(&mut b);
        assert_eq!(b, [0xFF, 0xE1, 0x1D, 0x9A, 0xED, 0x85, 0x33, 0x24]);
    }

    fn run<F: FrameFormat>(
        sync: SyncPattern,
        format: F,
        body: &[u8],
        flips: &[usize],
    ) -> Vec<SoftFrame> {
        let mut soft = bytes_to_soft(&[0xAA; 8]);
        soft.extend(sync_to_soft(&sync));
        let start = soft.len();
        soft.extend(bytes_to_soft(body));
        soft.extend(bytes_to_soft(&[0x55; 4]));
        for &f in flips {
            soft[start + f] = -soft[start + f];
        }
        let mut d = SyncFrames::new(sync, format).unwrap();
        let mut out = Vec::new();
        d.process(&soft, &mut out);
        out
    }

    /// Golden vector: the Reaktor Hello World beacon of the rhw.wav recording (jradio's
    /// reference frame), re-encoded, comes back byte-exact; a flipped bit fails the CRC.
    #[test]
    fn rhw_beacon_round_trip() {
        let beacon = hex("01070186000062f62e005cfe480300c50c34008f0000005d0000000a0002060202020202020202020202e4a9000072a9000000feff03000400030003008602d4056008aa0d2f00050000000000000000007808bc0c00000000450b910b0d062209c006c0060004003f6f7304d95db3bdff");
        let body = Cc11xxPacket::encode(&beacon).unwrap();
        assert_eq!(body.len(), 113 + 3);
        let out = run(SYNC_RHW, Cc11xxPacket::new(), &body, &[]);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, beacon);
        assert_eq!(out[0].check, FrameCheck::Crc16);
        assert!(run(SYNC_RHW, Cc11xxPacket::new(), &body, &[100]).is_empty());
    }

    /// Golden vector: the 3CAT-1 beacon of sat_3cat_1.wav, re-encoded with 16 byte
    /// errors, is corrected back to the reference bytes.
    #[test]
    fn sat3cat1_beacon_round_trip_with_errors() {
        let beacon = hex("00b35c025b76580013011c1a01191a01191801060801100901085600fd1a00fe0801000801011901040a010554010919010b07010d0a010e1901124501160801191801130a012545012c09012219012d07012e47012b17012c0a01294401250a01272b011b9501232d0127c4011f19011a5b011c47011827011723011355010d6401044d00fc0900fe27010055010309010418010716010809010a45010e1801111c011518011a1b012009012945012c09012f18012d38012d7b012dda01280002a5aa01090000000000000000000000000000000000000000000000000000");
        let body = Sat3Cat1::encode(&beacon).unwrap();
        let flips: Vec<usize> = (0..16).map(|k| 3 + 120 * k).collect();
        let out = run(SYNC_D391, Sat3Cat1::new().unwrap(), &body, &flips);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, beacon);
        assert_eq!(out[0].check, FrameCheck::ReedSolomon { corrected: 16 });
    }
}
