//! The transmit side of the CCSDS concatenated chain, for tests and signal synthesis:
//! data → Reed–Solomon (§4) → pseudo-randomizer (§9) → ASM (§8) → NRZ-M (optional,
//! §3.3.3) → convolutional encoder (§3). Output: code symbols (0/1), C1 first, in the
//! order they go on the air (QPSK: I = C1, Q = C2).

use crate::fec::{
    ConvEncoder, ConvEncoderConfig, NrzM, Randomizer, ReedSolomon, ReedSolomonConfig,
};

use super::ccsds_decoder::CcsdsDecoderConfig;

/// Options of [`CcsdsEncoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CcsdsEncoderConfig {
    /// Invert C2 (CCSDS) or not (Meteor-M).
    pub invert_g2: bool,
    /// NRZ-M before the convolutional encoder.
    pub nrz_m: bool,
    /// Apply the pseudo-randomizer to each frame after its ASM.
    pub randomize: bool,
    /// Reed–Solomon code, or none.
    pub reed_solomon: Option<ReedSolomonConfig>,
    /// Bytes after each ASM (the RS codeblock length when RS is used).
    pub frame_bytes: usize,
    /// The attached sync marker.
    pub asm: u32,
}

impl CcsdsEncoderConfig {
    /// The transmitter matching a decoder configuration.
    pub fn matching(decoder: &CcsdsDecoderConfig) -> Self {
        Self {
            invert_g2: decoder.invert_g2,
            nrz_m: decoder.nrz_m,
            randomize: decoder.derandomize,
            reed_solomon: decoder.reed_solomon,
            frame_bytes: decoder.deframer.frame_bytes,
            asm: decoder.deframer.asm,
        }
    }
}

/// Streaming CCSDS encoder; the NRZ-M level and the convolutional register run on from
/// one call to the next.
pub struct CcsdsEncoder {
    config: CcsdsEncoderConfig,
    rs: Option<ReedSolomon>,
    nrz_m: NrzM,
    conv: ConvEncoder,
    bits: Vec<u8>,
    levels: Vec<u8>,
}

impl std::fmt::Debug for CcsdsEncoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CcsdsEncoder")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl CcsdsEncoder {
    /// Fails when the RS codeblock and the frame length disagree.
    pub fn new(config: CcsdsEncoderConfig) -> Result<Self, String> {
        let rs = match config.reed_solomon {
            Some(c) => {
                let rs = ReedSolomon::new(c).map_err(|e| e.to_string())?;
                if rs.codeblock_len() != config.frame_bytes {
                    return Err(format!(
                        "Reed-Solomon codeblock is {} bytes but frames are {} bytes",
                        rs.codeblock_len(),
                        config.frame_bytes
                    ));
                }
                Some(rs)
            }
            None => None,
        };
        if config.frame_bytes == 0 {
            return Err("frame_bytes must be positive".into());
        }
        Ok(Self {
            config,
            rs,
            nrz_m: NrzM::new(),
            conv: ConvEncoder::new(ConvEncoderConfig {
                invert_g2: config.invert_g2,
            }),
            bits: Vec::new(),
            levels: Vec::new(),
        })
    }

    /// Payload bytes per frame: the RS data part, or the whole frame without RS.
    pub fn data_len(&self) -> usize {
        self.rs
            .as_ref()
            .map_or(self.config.frame_bytes, |rs| rs.data_len())
    }

    /// The bytes that follow the ASM on the wire for `data`: RS parity added, randomised.
    pub fn codeblock(&self, data: &[u8]) -> Result<Vec<u8>, String> {
        if data.len() != self.data_len() {
            return Err(format!(
                "frame data must be {} bytes, got {}",
                self.data_len(),
                data.len()
            ));
        }
        let mut block = vec![0u8; self.config.frame_bytes];
        block[..data.len()].copy_from_slice(data);
        if let Some(rs) = &self.rs {
            rs.encode(&mut block).map_err(|e| e.to_string())?;
        }
        if self.config.randomize {
            Randomizer::apply(&mut block);
        }
        Ok(block)
    }

    /// Encodes one frame (ASM + codeblock), appending 2 code symbols per bit.
    pub fn encode_frame(&mut self, data: &[u8], symbols: &mut Vec<u8>) -> Result<(), String> {
        let block = self.codeblock(data)?;
        let mut wire = self.config.asm.to_be_bytes().to_vec();
        wire.extend_from_slice(&block);
        self.encode_wire_bytes(&wire, symbols);
        Ok(())
    }

    /// Encodes bytes exactly as given (no RS, no randomizer, no ASM), e.g. idle fill or
    /// hand-made frames; NRZ-M and the convolutional code still apply.
    pub fn encode_wire_bytes(&mut self, bytes: &[u8], symbols: &mut Vec<u8>) {
        self.bits.clear();
        for &b in bytes {
            self.bits.extend((0..8).rev().map(|k| (b >> k) & 1));
        }
        let input = if self.config.nrz_m {
            self.levels.clear();
            self.nrz_m.encode(&self.bits, &mut self.levels);
            &self.levels
        } else {
            &self.bits
        };
        self.conv.process(input, symbols);
    }

    /// Back to NRZ-M level 0 and an all-zero register.
    pub fn reset(&mut self) {
        self.nrz_m.reset();
        self.conv.reset();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fec::{Viterbi, ViterbiConfig};

    #[test]
    fn frame_round_trips_through_viterbi_and_rs() {
        let cfg = CcsdsDecoderConfig::meteor_lrpt();
        let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&cfg)).unwrap();
        let data: Vec<u8> = (0..enc.data_len()).map(|i| (i * 7) as u8).collect();
        let mut symbols = Vec::new();
        enc.encode_frame(&data, &mut symbols).unwrap();
        assert_eq!(symbols.len(), 1024 * 16);
        let soft: Vec<i8> = symbols
            .iter()
            .map(|&s| if s == 1 { 64 } else { -64 })
            .collect();
        let mut vit = Viterbi::new(ViterbiConfig::METEOR).unwrap();
        let mut bits = Vec::new();
        vit.process(&soft, &mut bits);
        vit.flush(&mut bits);
        let bytes: Vec<u8> = bits
            .chunks(8)
            .map(|c| c.iter().fold(0, |a, b| (a << 1) | b))
            .collect();
        assert_eq!(&bytes[..4], &[0x1A, 0xCF, 0xFC, 0x1D]);
        assert_eq!(&bytes[4..], &enc.codeblock(&data).unwrap()[..]);
        assert!(enc.encode_frame(&data[1..], &mut symbols).is_err());
    }
}
