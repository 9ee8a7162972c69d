//! G3RUH self-synchronising scrambler 1 + x^12 + x^17 (J. Miller G3RUH, "9600 baud packet
//! radio modem design", 1988; the polynomial AX.25 9k6 FSK and GOMspace AX100 RS mode use),
//! and the NRZI line code AX.25 puts under it.
//!
//! Bits are one per `u8` (0 or 1) in transmission order.

/// Multiplicative (self-synchronising) scrambler/descrambler for 1 + x^12 + x^17.
///
/// Both directions keep the last 17 *line* bits (scrambled bits): the descrambler
/// resynchronises by itself after 17 correct bits, whatever its starting state.
#[derive(Clone, Debug, Default)]
pub struct G3ruh {
    /// Past line bits, bit 0 = most recent.
    reg: u32,
}

impl G3ruh {
    /// A scrambler/descrambler with an all-zero history.
    pub fn new() -> Self {
        Self::default()
    }

    #[inline]
    fn taps(&self) -> u8 {
        (((self.reg >> 11) ^ (self.reg >> 16)) & 1) as u8
    }

    /// Descrambles one line bit.
    #[inline]
    pub fn descramble_bit(&mut self, line: u8) -> u8 {
        let line = line & 1;
        let out = line ^ self.taps();
        self.reg = ((self.reg << 1) | line as u32) & 0x1_FFFF;
        out
    }

    /// Scrambles one data bit into a line bit.
    #[inline]
    pub fn scramble_bit(&mut self, data: u8) -> u8 {
        let line = (data & 1) ^ self.taps();
        self.reg = ((self.reg << 1) | line as u32) & 0x1_FFFF;
        line
    }

    /// Descrambles `input` line bits, appending data bits to `output`.
    pub fn descramble(&mut self, input: &[u8], output: &mut Vec<u8>) {
        output.reserve(input.len());
        for &b in input {
            let d = self.descramble_bit(b);
            output.push(d);
        }
    }

    /// Scrambles `input` data bits, appending line bits to `output`.
    pub fn scramble(&mut self, input: &[u8], output: &mut Vec<u8>) {
        output.reserve(input.len());
        for &b in input {
            let l = self.scramble_bit(b);
            output.push(l);
        }
    }

    /// Clears the history.
    pub fn reset(&mut self) {
        self.reg = 0;
    }
}

/// NRZI as AX.25 uses it (AX.25 v2.2 §3.4 / HDLC): a 0 is sent as a change of level,
/// a 1 as no change. Decoding is therefore insensitive to the polarity of the line.
#[derive(Clone, Debug, Default)]
pub struct Nrzi {
    last: u8,
}

impl Nrzi {
    /// Codec whose previous line level is 0.
    pub fn new() -> Self {
        Self::default()
    }

    /// Decodes line levels into data bits.
    pub fn decode(&mut self, input: &[u8], output: &mut Vec<u8>) {
        output.reserve(input.len());
        for &b in input {
            let b = b & 1;
            output.push((b == self.last) as u8);
            self.last = b;
        }
    }

    /// Encodes data bits into line levels.
    pub fn encode(&mut self, input: &[u8], output: &mut Vec<u8>) {
        output.reserve(input.len());
        for &b in input {
            if b & 1 == 0 {
                self.last ^= 1;
            }
            output.push(self.last);
        }
    }

    /// Forgets the previous level.
    pub fn reset(&mut self) {
        self.last = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_bits(n: usize, mut seed: u32) -> Vec<u8> {
        (0..n)
            .map(|_| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                (seed >> 31) as u8
            })
            .collect()
    }

    #[test]
    fn scramble_then_descramble_is_identity() {
        let data = lcg_bits(2000, 7);
        let mut line = Vec::new();
        G3ruh::new().scramble(&data, &mut line);
        let mut back = Vec::new();
        G3ruh::new().descramble(&line, &mut back);
        assert_eq!(back, data);
    }

    #[test]
    fn descrambler_self_synchronises_after_17_bits() {
        let data = lcg_bits(500, 3);
        let mut line = Vec::new();
        let mut s = G3ruh::new();
        // Scrambler state unknown to the receiver: prime it with other bits.
        s.scramble(&lcg_bits(40, 99), &mut Vec::new());
        s.scramble(&data, &mut line);
        let mut back = Vec::new();
        G3ruh::new().descramble(&line, &mut back);
        assert_eq!(&back[17..], &data[17..]);
    }

    #[test]
    fn known_sequence_from_all_zero_input() {
        // With a lone 1 in the history, zeros scramble to the impulse response of
        // 1/(1 + x^12 + x^17): s[n] = s[n-12] ^ s[n-17], so s[29] = s[17] ^ s[12] = 0.
        let mut s = G3ruh::new();
        let mut line = Vec::new();
        s.scramble(&[1], &mut line);
        s.scramble(&[0; 30], &mut line);
        let ones: Vec<usize> = line
            .iter()
            .enumerate()
            .filter(|(_, &b)| b == 1)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(ones, vec![0, 12, 17, 24]);
    }

    #[test]
    fn nrzi_round_trip_and_polarity_invariance() {
        let data = lcg_bits(300, 11);
        let mut line = Vec::new();
        Nrzi::new().encode(&data, &mut line);
        let mut back = Vec::new();
        Nrzi::new().decode(&line, &mut back);
        assert_eq!(back, data);
        let inverted: Vec<u8> = line.iter().map(|b| b ^ 1).collect();
        let mut back_inv = Vec::new();
        Nrzi::new().decode(&inverted, &mut back_inv);
        // Only the first bit depends on the unknown initial level.
        assert_eq!(&back_inv[1..], &data[1..]);
    }

    #[test]
    fn chunked_equals_whole() {
        let line = lcg_bits(1000, 5);
        let mut whole = Vec::new();
        G3ruh::new().descramble(&line, &mut whole);
        let mut chunked = Vec::new();
        let mut d = G3ruh::new();
        for c in line.chunks(7) {
            d.descramble(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
    }
}
