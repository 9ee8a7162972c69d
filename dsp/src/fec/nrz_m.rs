//! NRZ-M (differential) line code, CCSDS 131.0-B-2 §3.3.3: a 1 is sent as a change of
//! level, a 0 as no change. CCSDS puts the conversion before the convolutional encoder,
//! so the receiver undoes it on the Viterbi output. Because it only looks at changes, the
//! decoded stream is immune to a data inversion (a 180° phase ambiguity).

/// Streaming NRZ-M encoder/decoder. One instance is either an encoder or a decoder: it
/// keeps the previous line level (encoder) or the previous received level (decoder), so
/// chunks may be split anywhere.
#[derive(Debug, Clone, Default)]
pub struct NrzM {
    level: u8,
    soft_level: i8,
}

impl NrzM {
    /// Starts at level 0 (and, for soft decoding, with a "level 0" reference of full
    /// confidence, so the first decoded soft bit carries the first symbol's confidence).
    pub fn new() -> Self {
        Self {
            level: 0,
            soft_level: -127,
        }
    }

    /// NRZ-L bits → NRZ-M levels: `level ^= bit`.
    pub fn encode(&mut self, bits: &[u8], output: &mut Vec<u8>) {
        output.reserve(bits.len());
        for &b in bits {
            self.level ^= b & 1;
            output.push(self.level);
        }
    }

    /// NRZ-M levels → NRZ-L bits: `bit = level[n] ^ level[n-1]`.
    pub fn decode(&mut self, levels: &[u8], output: &mut Vec<u8>) {
        output.reserve(levels.len());
        for &l in levels {
            let l = l & 1;
            output.push(l ^ self.level);
            self.level = l;
        }
    }

    /// In-place variant of [`NrzM::decode`], for the decoder's hot path.
    pub fn decode_in_place(&mut self, levels: &mut [u8]) {
        let mut prev = self.level;
        for l in levels.iter_mut() {
            let cur = *l & 1;
            *l = cur ^ prev;
            prev = cur;
        }
        self.level = prev;
    }

    /// NRZ-M decoding of soft symbols (positive = 1). The XOR of two uncertain bits is
    /// 1 when their signs differ, with the confidence of the weaker one (the min-sum
    /// approximation of the log-likelihood of an XOR).
    pub fn decode_soft(&mut self, levels: &[i8], output: &mut Vec<i8>) {
        output.reserve(levels.len());
        for &l in levels {
            let l = super::clamp_soft(l);
            let magnitude = l.unsigned_abs().min(self.soft_level.unsigned_abs()) as i8;
            let differ = (l > 0) != (self.soft_level > 0);
            output.push(if differ { magnitude } else { -magnitude });
            self.soft_level = l;
        }
    }

    /// Back to level 0.
    pub fn reset(&mut self) {
        *self = Self::new();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_sequence() {
        let mut enc = NrzM::new();
        let mut levels = Vec::new();
        enc.encode(&[1, 0, 1, 1, 0, 0, 1], &mut levels);
        assert_eq!(levels, vec![1, 1, 0, 1, 1, 1, 0]);
        let mut dec = NrzM::new();
        let mut bits = Vec::new();
        dec.decode(&levels, &mut bits);
        assert_eq!(bits, vec![1, 0, 1, 1, 0, 0, 1]);
    }

    #[test]
    fn inversion_only_hits_first_bit_and_chunking_is_invisible() {
        let bits: Vec<u8> = (0..500u32).map(|i| ((i * 7919) >> 3 & 1) as u8).collect();
        let mut levels = Vec::new();
        NrzM::new().encode(&bits, &mut levels);
        let inverted: Vec<u8> = levels.iter().map(|l| l ^ 1).collect();
        let mut dec = NrzM::new();
        let mut out = Vec::new();
        for chunk in inverted.chunks(13) {
            dec.decode(chunk, &mut out);
        }
        assert_eq!(&out[1..], &bits[1..]);
        let mut in_place = inverted.clone();
        let mut dec2 = NrzM::new();
        for chunk in in_place.chunks_mut(7) {
            dec2.decode_in_place(chunk);
        }
        assert_eq!(in_place, out);
    }

    #[test]
    fn soft_decode_matches_hard_decode_and_weakest_confidence() {
        let levels: Vec<i8> = vec![100, 20, -50, -127, 5, -128];
        let mut out = Vec::new();
        NrzM::new().decode_soft(&levels, &mut out);
        assert_eq!(out, vec![100, -20, 20, -50, 5, 5]);
        let hard: Vec<u8> = levels.iter().map(|&s| (s > 0) as u8).collect();
        let mut hard_out = Vec::new();
        NrzM::new().decode(&hard, &mut hard_out);
        let soft_hard: Vec<u8> = out.iter().map(|&s| (s > 0) as u8).collect();
        assert_eq!(soft_hard, hard_out);
    }
}
