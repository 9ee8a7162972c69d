//! Encoder for the CCSDS (7, 1/2) convolutional code, CCSDS 131.0-B-2 §3.3: G1 = 171₈,
//! G2 = 133₈, output order C1, C2 (§3.3.2), and per the standard an inverter on the G2
//! output (§3.3.1 (5)). Meteor-M LRPT sends G2 *without* the inverter (its encoded ASM is
//! 0x035D49C24FF2686B, which only the non-inverted code produces), hence the flag.

use super::{parity7, CONV_G1_REG, CONV_G2_REG};

/// Options of [`ConvEncoder`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConvEncoderConfig {
    /// Invert every C2 symbol, as CCSDS 131.0-B-2 §3.3.1 specifies. `false` for Meteor-M.
    pub invert_g2: bool,
}

impl ConvEncoderConfig {
    /// The code exactly as CCSDS specifies it (G2 inverted).
    pub const CCSDS: Self = Self { invert_g2: true };
    /// The variant Meteor-M LRPT transmits (G2 not inverted).
    pub const METEOR: Self = Self { invert_g2: false };
}

/// Streaming convolutional encoder: bits (0/1) in, two code symbols (0/1) per bit out.
/// Starts from the all-zero register; the register carries over between calls.
#[derive(Debug, Clone)]
pub struct ConvEncoder {
    config: ConvEncoderConfig,
    register: u8,
}

impl ConvEncoder {
    /// New encoder with an all-zero register.
    pub fn new(config: ConvEncoderConfig) -> Self {
        Self {
            config,
            register: 0,
        }
    }

    /// Encodes one bit, returning (C1, C2).
    #[inline]
    pub fn encode_bit(&mut self, bit: u8) -> (u8, u8) {
        self.register = ((self.register << 1) | (bit & 1)) & 0x7F;
        (
            parity7(self.register & CONV_G1_REG),
            parity7(self.register & CONV_G2_REG) ^ self.config.invert_g2 as u8,
        )
    }

    /// Encodes bits (0/1), appending 2 symbols per bit.
    pub fn process(&mut self, bits: &[u8], output: &mut Vec<u8>) {
        output.reserve(bits.len() * 2);
        for &b in bits {
            let (c1, c2) = self.encode_bit(b);
            output.push(c1);
            output.push(c2);
        }
    }

    /// Encodes bytes (MSB first), appending 16 symbols per byte.
    pub fn encode_bytes(&mut self, bytes: &[u8], output: &mut Vec<u8>) {
        output.reserve(bytes.len() * 16);
        for &byte in bytes {
            for k in (0..8).rev() {
                let (c1, c2) = self.encode_bit((byte >> k) & 1);
                output.push(c1);
                output.push(c2);
            }
        }
    }

    /// The last six input bits, newest in bit 0.
    pub fn state(&self) -> u8 {
        self.register & 0x3F
    }

    /// Sets the last six input bits (newest in bit 0), e.g. to continue another encoder.
    pub fn set_state(&mut self, state: u8) {
        self.register = state & 0x3F;
    }

    /// Back to the all-zero register.
    pub fn reset(&mut self) {
        self.register = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asm_bits() -> Vec<u8> {
        (0..32)
            .rev()
            .map(|k| ((0x1ACF_FC1Du32 >> k) & 1) as u8)
            .collect()
    }

    fn to_u64(symbols: &[u8]) -> u64 {
        symbols.iter().fold(0u64, |acc, &s| (acc << 1) | s as u64)
    }

    #[test]
    fn meteor_encoded_asm() {
        // jradio's LRPT sync table: the ASM encoded from the zero state, no G2 inversion.
        let mut enc = ConvEncoder::new(ConvEncoderConfig::METEOR);
        let mut out = Vec::new();
        enc.process(&asm_bits(), &mut out);
        assert_eq!(to_u64(&out), 0x035D_49C2_4FF2_686B);
    }

    #[test]
    fn ccsds_inversion_flips_every_second_symbol() {
        let mut plain = Vec::new();
        ConvEncoder::new(ConvEncoderConfig::METEOR)
            .encode_bytes(&[0x1A, 0xCF, 0xFC, 0x1D], &mut plain);
        let mut inverted = Vec::new();
        ConvEncoder::new(ConvEncoderConfig::CCSDS)
            .encode_bytes(&[0x1A, 0xCF, 0xFC, 0x1D], &mut inverted);
        for (i, (a, b)) in plain.iter().zip(&inverted).enumerate() {
            assert_eq!(a ^ b, (i % 2) as u8);
        }
    }

    #[test]
    fn impulse_response_is_the_generators() {
        // A single 1 followed by zeros walks through the taps of G1 and G2 (MSB = delay 0).
        let mut enc = ConvEncoder::new(ConvEncoderConfig::METEOR);
        let mut out = Vec::new();
        enc.process(&[1, 0, 0, 0, 0, 0, 0], &mut out);
        let c1: Vec<u8> = out.iter().step_by(2).copied().collect();
        let c2: Vec<u8> = out.iter().skip(1).step_by(2).copied().collect();
        assert_eq!(c1, vec![1, 1, 1, 1, 0, 0, 1]); // 171 octal
        assert_eq!(c2, vec![1, 0, 1, 1, 0, 1, 1]); // 133 octal
        assert_eq!(enc.state(), 0);
    }
}
