//! PN9 data whitening of the TI CC11xx / Silicon Labs Si446x radios: the 9-bit LFSR
//! x^9 + x^5 + 1 (TI design note DN509), applied bit-serially.
//!
//! The register steps once per bit; the mask bit is the register's bit 0. Eight steps from
//! a state `s` therefore produce the low byte of `s` least significant bit first, and reach
//! the state the byte-wise CC11xx description reaches after one byte: from 0x1FF the
//! mask bytes (LSB first) are FF E1 1D 9A ED 85 33 24 ..., the DN509 sequence.

/// Bit-serial PN9 whitening sequence.
#[derive(Clone, Debug)]
pub struct Pn9 {
    seed: u16,
    reg: u16,
}

/// Error from [`Pn9::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pn9Error(pub String);

impl std::fmt::Display for Pn9Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PN9: {}", self.0)
    }
}

impl std::error::Error for Pn9Error {}

impl Pn9 {
    /// CC11xx/Si446x reset state (DN509).
    pub const SEED_CC11XX: u16 = 0x1FF;

    /// A generator starting at `seed` (9 bits, not zero).
    pub fn new(seed: u16) -> Result<Self, Pn9Error> {
        if seed == 0 || seed > 0x1FF {
            return Err(Pn9Error(format!(
                "seed 0x{seed:x} must be a non-zero 9-bit value"
            )));
        }
        Ok(Self { seed, reg: seed })
    }

    /// Next mask bit.
    #[inline]
    pub fn next_bit(&mut self) -> u8 {
        let out = (self.reg & 1) as u8;
        let fb = (self.reg ^ (self.reg >> 5)) & 1;
        self.reg = (self.reg >> 1) | (fb << 8);
        out
    }

    /// XORs the sequence into bits (one per `u8`) in place.
    pub fn apply(&mut self, bits: &mut [u8]) {
        for b in bits.iter_mut() {
            *b ^= self.next_bit();
        }
    }

    /// Restarts from the seed.
    pub fn reset(&mut self) {
        self.reg = self.seed;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dn509_sequence() {
        let mut p = Pn9::new(Pn9::SEED_CC11XX).unwrap();
        let bytes: Vec<u8> = (0..8)
            .map(|_| (0..8).fold(0u8, |acc, i| acc | (p.next_bit() << i)))
            .collect();
        assert_eq!(bytes, vec![0xFF, 0xE1, 0x1D, 0x9A, 0xED, 0x85, 0x33, 0x24]);
    }

    #[test]
    fn period_is_511_and_involution() {
        let mut p = Pn9::new(0x1E1).unwrap();
        let first: Vec<u8> = (0..511).map(|_| p.next_bit()).collect();
        let again: Vec<u8> = (0..511).map(|_| p.next_bit()).collect();
        assert_eq!(first, again);
        let mut bits = vec![1u8, 0, 1, 1, 0, 0, 1, 0, 1, 1];
        let orig = bits.clone();
        p.reset();
        p.apply(&mut bits);
        p.reset();
        p.apply(&mut bits);
        assert_eq!(bits, orig);
        assert!(Pn9::new(0).is_err());
        assert!(Pn9::new(0x200).is_err());
    }
}
