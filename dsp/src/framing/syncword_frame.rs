//! Fixed-length frames after a 16-bit sync word, as sent by CC11xx/Si446x-style packet
//! radios on cubesats (frame layouts as decoded by jradio, which provides the reference
//! frames):
//!
//! * **Lucky-7** (Si4463): sync word 0x2DD4, 37 bytes whitened with PN9 from register state
//!   0x1E1 (the DN509 sequence without its first byte), ending in a CRC-16/CC11XX of the
//!   first 35 bytes (big-endian). The whole 37-byte frame is returned.
//! * **TT-64** (AT03/PEGASUS): sync word 0x2DD4, 64 bytes forming a shortened RS(64,48)
//!   codeword over GF(2^8) with field polynomial 0x11D and generator roots alpha^1..alpha^16;
//!   the 48 data bytes end in a CRC-16/ARC (little-endian). The first 46 bytes are returned.

use super::crc::Crc16;
use super::pn9::Pn9;
use super::shortened_rs::{RsParams, ShortenedRs};
use super::syncword::{bits_to_bytes_msb, SyncHit, SyncWord, SyncWordConfig};

/// Which sync-word frame layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncWordFrameFormat {
    /// Lucky-7: PN9 whitening + CRC-16/CC11XX, 37 bytes.
    Lucky7,
    /// TT-64: RS(64,48) + CRC-16/ARC.
    Tt64,
}

/// Configuration of [`SyncWordFrame`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncWordFrameConfig {
    /// Frame layout.
    pub format: SyncWordFrameFormat,
    /// Bit errors allowed in the 16-bit sync word.
    pub sync_max_errors: u32,
}

impl SyncWordFrameConfig {
    /// Allows 3 sync-word errors (jradio's Lucky-7 setting; the CRC and RS reject the
    /// extra false syncs this admits).
    pub fn new(format: SyncWordFrameFormat) -> Self {
        Self {
            format,
            sync_max_errors: 3,
        }
    }
}

/// A frame that passed its checks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckedFrame {
    /// Frame bytes (see the module documentation for what each format returns).
    pub data: Vec<u8>,
    /// Reed–Solomon symbols corrected, for RS-coded formats.
    pub rs_corrected: Option<usize>,
    /// Bit errors in the sync word.
    pub sync_errors: u32,
    /// Whether the bit stream was inverted.
    pub inverted: bool,
    /// Input bit index of the frame's last bit.
    pub end_bit: u64,
}

/// Error from [`SyncWordFrame::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncWordFrameError(pub String);

impl std::fmt::Display for SyncWordFrameError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sync-word frame: {}", self.0)
    }
}

impl std::error::Error for SyncWordFrameError {}

/// Streaming deframer and checker for [`SyncWordFrameFormat`] frames.
#[derive(Clone, Debug)]
pub struct SyncWordFrame {
    format: SyncWordFrameFormat,
    sync: SyncWord,
    hits: Vec<SyncHit>,
    rs: Option<ShortenedRs>,
    crc: Crc16,
    pn9: Pn9,
    bit_index: u64,
}

const SYNC_2DD4: u64 = 0x2DD4;
const LUCKY7_BYTES: usize = 37;
const LUCKY7_PN9_STATE: u16 = 0x1E1;
const TT64_BYTES: usize = 64;
const TT64_PARAMS: RsParams = RsParams {
    field_poly: 0x11D,
    first_root: 1,
    root_gap: 1,
    nroots: 16,
};

impl SyncWordFrame {
    /// Builds the deframer.
    pub fn new(config: SyncWordFrameConfig) -> Result<Self, SyncWordFrameError> {
        let err = |e: String| SyncWordFrameError(e);
        let (frame_bytes, rs, crc) = match config.format {
            SyncWordFrameFormat::Lucky7 => (LUCKY7_BYTES, None, Crc16::new(Crc16::CC11XX)),
            SyncWordFrameFormat::Tt64 => (
                TT64_BYTES,
                Some(ShortenedRs::new(TT64_PARAMS).map_err(|e| err(e.to_string()))?),
                Crc16::new(Crc16::ARC),
            ),
        };
        let sync = SyncWord::new(SyncWordConfig {
            pattern: SYNC_2DD4,
            len_bits: 16,
            max_errors: config.sync_max_errors,
            frame_bits: frame_bytes * 8,
            accept_inverted: true,
        })
        .map_err(|e| err(e.to_string()))?;
        Ok(Self {
            format: config.format,
            sync,
            hits: Vec::new(),
            rs,
            crc,
            pn9: Pn9::new(LUCKY7_PN9_STATE).map_err(|e| err(e.to_string()))?,
            bit_index: 0,
        })
    }

    fn check(&mut self, mut hit: SyncHit, end_bit: u64) -> Option<CheckedFrame> {
        let (data, rs_corrected) = match self.format {
            SyncWordFrameFormat::Lucky7 => {
                self.pn9.reset();
                self.pn9.apply(&mut hit.bits);
                let bytes = bits_to_bytes_msb(&hit.bits);
                if self.crc.checksum(&bytes) != 0 {
                    return None;
                }
                (bytes, None)
            }
            SyncWordFrameFormat::Tt64 => {
                let bytes = bits_to_bytes_msb(&hit.bits);
                let (mut msg, fixed) = self.rs.as_mut()?.decode(&bytes).ok()?;
                if self.crc.checksum(&msg) != 0 {
                    return None;
                }
                msg.truncate(msg.len() - 2);
                (msg, Some(fixed))
            }
        };
        Some(CheckedFrame {
            data,
            rs_corrected,
            sync_errors: hit.errors,
            inverted: hit.inverted,
            end_bit,
        })
    }

    /// Consumes hard bits, appending frames that pass their checks to `output`.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<CheckedFrame>) {
        for &b in input {
            self.sync.process(&[b], &mut self.hits);
            let end_bit = self.bit_index;
            while let Some(hit) = self.hits.pop() {
                if let Some(f) = self.check(hit, end_bit) {
                    output.push(f);
                }
            }
            self.bit_index += 1;
        }
    }

    /// Drops frames in progress.
    pub fn reset(&mut self) {
        self.sync.reset();
        self.hits.clear();
        self.bit_index = 0;
    }

    /// Builds the on-air bits (sync word + frame) carrying `payload` (35 bytes for
    /// Lucky-7, 46 for TT-64), for tests and signal synthesis.
    pub fn encode(
        format: SyncWordFrameFormat,
        payload: &[u8],
        output: &mut Vec<u8>,
    ) -> Result<(), SyncWordFrameError> {
        let err = |e: String| SyncWordFrameError(e);
        let mut body = payload.to_vec();
        let mut bits = Vec::new();
        super::syncword::bytes_to_bits_msb(&[0x2D, 0xD4], output);
        match format {
            SyncWordFrameFormat::Lucky7 => {
                if payload.len() != LUCKY7_BYTES - 2 {
                    return Err(err(format!(
                        "Lucky-7 payload must be 35 bytes, got {}",
                        payload.len()
                    )));
                }
                let crc = Crc16::new(Crc16::CC11XX).checksum(&body);
                body.extend_from_slice(&crc.to_be_bytes());
                super::syncword::bytes_to_bits_msb(&body, &mut bits);
                Pn9::new(LUCKY7_PN9_STATE)
                    .map_err(|e| err(e.to_string()))?
                    .apply(&mut bits);
            }
            SyncWordFrameFormat::Tt64 => {
                if payload.len() != 46 {
                    return Err(err(format!(
                        "TT-64 payload must be 46 bytes, got {}",
                        payload.len()
                    )));
                }
                let crc = Crc16::new(Crc16::ARC).checksum(&body);
                body.extend_from_slice(&crc.to_le_bytes());
                let mut cw = Vec::new();
                ShortenedRs::new(TT64_PARAMS)
                    .map_err(|e| err(e.to_string()))?
                    .encode(&body, &mut cw)
                    .map_err(|e| err(e.to_string()))?;
                super::syncword::bytes_to_bits_msb(&cw, &mut bits);
            }
        }
        output.extend_from_slice(&bits);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(
        format: SyncWordFrameFormat,
        payload: &[u8],
        flips: &[usize],
        invert: bool,
    ) -> Vec<CheckedFrame> {
        let mut bits = [0u8, 1].repeat(40);
        SyncWordFrame::encode(format, payload, &mut bits).unwrap();
        bits.extend([1u8, 0].repeat(20));
        for &f in flips {
            bits[f] ^= 1;
        }
        if invert {
            bits.iter_mut().for_each(|b| *b ^= 1);
        }
        let mut out = Vec::new();
        let mut d = SyncWordFrame::new(SyncWordFrameConfig::new(format)).unwrap();
        for c in bits.chunks(11) {
            d.process(c, &mut out);
        }
        out
    }

    #[test]
    fn lucky7_round_trip_and_crc_rejection() {
        let payload: Vec<u8> = (0..35u8).collect();
        for inv in [false, true] {
            let out = round_trip(SyncWordFrameFormat::Lucky7, &payload, &[81], inv);
            assert_eq!(out.len(), 1);
            assert_eq!(&out[0].data[..35], &payload[..]);
            assert_eq!((out[0].sync_errors, out[0].inverted), (1, inv));
        }
        // one flipped payload bit: CRC fails, nothing out
        assert!(round_trip(SyncWordFrameFormat::Lucky7, &payload, &[120], false).is_empty());
    }

    #[test]
    fn tt64_corrects_byte_errors() {
        let payload: Vec<u8> = (0..46u8).map(|i| i ^ 0xA5).collect();
        let flips: Vec<usize> = (0..8).map(|k| 96 + k * 60).collect(); // 8 bytes hit
        let out = round_trip(SyncWordFrameFormat::Tt64, &payload, &flips, true);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, payload);
        assert_eq!(out[0].rs_corrected, Some(8));
    }
}
