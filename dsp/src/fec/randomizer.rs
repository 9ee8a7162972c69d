//! CCSDS pseudo-randomizer (CCSDS 131.0-B-2 §9): the frame after the attached sync marker
//! is XORed with a fixed sequence from h(x) = x⁸ + x⁷ + x⁵ + x³ + 1, generator reset to all
//! ones at the first bit after every ASM (§9.3). The sequence has period 255 bits, so as
//! bytes it repeats every 255 bytes and one 255-byte table serves any frame length.
//! Randomising and de-randomising are the same XOR.

/// Length of the randomizer sequence in bytes before it repeats (255 bits × 8 = 255 bytes).
pub const RANDOMIZER_PERIOD_BYTES: usize = 255;

/// The pseudo-random sequence as bytes, MSB first. Starts FF 48 0E C0 9A, the first 40
/// bits quoted in CCSDS 130.1-G (§8.2) for this generator.
pub const RANDOMIZER_TABLE: [u8; RANDOMIZER_PERIOD_BYTES] = build_table();

const fn build_table() -> [u8; RANDOMIZER_PERIOD_BYTES] {
    let mut table = [0u8; RANDOMIZER_PERIOD_BYTES];
    // Fibonacci register, oldest stage in bit 7: taps 0x95 realise x^8+x^7+x^5+x^3+1.
    let mut state: u8 = 0xFF;
    let mut i = 0;
    while i < RANDOMIZER_PERIOD_BYTES * 8 {
        let out = state >> 7;
        let feedback = ((state & 0x95).count_ones() & 1) as u8;
        state = (state << 1) | feedback;
        table[i / 8] |= out << (7 - (i % 8));
        i += 1;
    }
    table
}

/// Applies (or removes — it is its own inverse) the CCSDS pseudo-random sequence to a
/// frame that starts right after its ASM. Stateless: every frame restarts the sequence.
#[derive(Debug, Clone, Copy, Default)]
pub struct Randomizer;

impl Randomizer {
    /// XOR `frame` (bytes following one ASM) with the sequence, in place.
    pub fn apply(frame: &mut [u8]) {
        for chunk in frame.chunks_mut(RANDOMIZER_PERIOD_BYTES) {
            for (byte, pn) in chunk.iter_mut().zip(RANDOMIZER_TABLE.iter()) {
                *byte ^= pn;
            }
        }
    }

    /// Same on unpacked bits (one 0/1 per `u8`), for streams not aligned to bytes.
    pub fn apply_bits(bits: &mut [u8]) {
        for (i, bit) in bits.iter_mut().enumerate() {
            let k = i % (RANDOMIZER_PERIOD_BYTES * 8);
            *bit ^= (RANDOMIZER_TABLE[k / 8] >> (7 - (k % 8))) & 1;
        }
    }

    /// Same on soft symbols (positive = 1): a sequence bit of 1 flips the sign.
    pub fn apply_soft(symbols: &mut [i8]) {
        for (i, s) in symbols.iter_mut().enumerate() {
            let k = i % (RANDOMIZER_PERIOD_BYTES * 8);
            if (RANDOMIZER_TABLE[k / 8] >> (7 - (k % 8))) & 1 == 1 {
                *s = -super::clamp_soft(*s);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_forty_bits_match_ccsds() {
        assert_eq!(&RANDOMIZER_TABLE[..5], &[0xFF, 0x48, 0x0E, 0xC0, 0x9A]);
    }

    #[test]
    fn period_is_255_bits() {
        // Bit k and bit k+255 agree everywhere, and no shorter period exists.
        let bit = |k: usize| (RANDOMIZER_TABLE[(k % 2040) / 8] >> (7 - (k % 8))) & 1;
        for k in 0..2040 {
            assert_eq!(bit(k), bit(k + 255));
        }
        for p in 1..255 {
            assert!((0..255).any(|k| bit(k) != bit(k + p)), "period {p}");
        }
    }

    #[test]
    fn involution_and_views_agree() {
        let original: Vec<u8> = (0..1020u32).map(|i| (i * 37 % 251) as u8).collect();
        let mut bytes = original.clone();
        Randomizer::apply(&mut bytes);
        assert_ne!(bytes, original);
        let mut bits: Vec<u8> = original
            .iter()
            .flat_map(|b| (0..8).rev().map(move |k| (b >> k) & 1))
            .collect();
        Randomizer::apply_bits(&mut bits);
        let packed: Vec<u8> = bits
            .chunks(8)
            .map(|c| c.iter().fold(0u8, |acc, b| (acc << 1) | b))
            .collect();
        assert_eq!(packed, bytes);
        let mut soft: Vec<i8> = bits
            .iter()
            .map(|&b| if b == 1 { 90 } else { -90 })
            .collect();
        Randomizer::apply_soft(&mut soft);
        let hard: Vec<u8> = soft.iter().map(|&s| (s > 0) as u8).collect();
        let unpacked: Vec<u8> = original
            .iter()
            .flat_map(|b| (0..8).rev().map(move |k| (b >> k) & 1))
            .collect();
        assert_eq!(hard, unpacked);
        Randomizer::apply(&mut bytes);
        assert_eq!(bytes, original);
    }
}
