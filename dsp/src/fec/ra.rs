//! The repeat–accumulate (RA) code of the BME cubesats (SMOG family, MRC-100), as their
//! ground software and jradio's `RaDecoder` use it. Data and code are 16-bit words; a
//! message of `k` words (k = bytes / 2) is coded by four accumulator chains, each
//! visiting the data words in its own pseudo-random order (an LFSR permutation of
//! 1..=k):
//!
//! * the state (16 bits, starting at 0) is XORed with the next data word;
//! * chain 0 emits the state after every word, chains 1–3 after every 3rd word
//!   (⌈k/3⌉ words each, the last one emitted at the end when k is not a multiple of 3);
//! * the state is rotated right by one bit after every word.
//!
//! So a codeword is k + 3·⌈k/3⌉ words. Words are sent little-endian, each byte MSB first.
//! Decoding is min-sum belief propagation: every pass runs a forward–backward sweep over
//! each chain, 20 passes.

/// LFSR taps per size class (index: highest state bit − 4), one per chain.
const LFSR_MASKS: [[u32; 4]; 9] = [
    [0x12, 0x17, 0x1B, 0x1E],
    [0x21, 0x2D, 0x30, 0x39],
    [0x41, 0x53, 0x69, 0x7B],
    [0x8E, 0xAF, 0xC3, 0xE7],
    [0x108, 0x13B, 0x168, 0x1DC],
    [0x204, 0x2E3, 0x369, 0x3AA],
    [0x415, 0x4BF, 0x553, 0x62B],
    [0x83E, 0x939, 0xAF5, 0xD70],
    [0x1013, 0x109D, 0x117D, 0x1271],
];
const PUNCTURE: usize = 3;
const BITS: usize = 16;
const PASSES: usize = 20;

/// A chain's visiting order of the data words.
fn permutation(k: usize, highbit: u32, seqno: usize) -> Vec<usize> {
    let mask = LFSR_MASKS[(highbit - 4) as usize][seqno];
    let offset = k >> (1 + seqno);
    let mut state = (1 + seqno + offset) as u32;
    (0..k)
        .map(|_| {
            loop {
                let out = state & 1;
                state >>= 1;
                if out == 1 {
                    state ^= mask;
                }
                if state as usize <= k {
                    break;
                }
            }
            let p = state as usize - 1;
            if p < offset {
                p + k - offset
            } else {
                p - offset
            }
        })
        .collect()
}

/// One RA code (a message length).
#[derive(Clone, Debug)]
pub struct RaCode {
    k: usize,
    check_words: usize,
    perms: [Vec<usize>; 4],
}

fn min_sum(a: f32, b: f32) -> f32 {
    let m = a.abs().min(b.abs());
    if (a < 0.0) != (b < 0.0) {
        -m
    } else {
        m
    }
}

impl RaCode {
    /// The code for messages of `message_bytes` bytes (even, 8..=4096).
    pub fn new(message_bytes: usize) -> Result<Self, String> {
        let k = message_bytes / 2;
        if !message_bytes.is_multiple_of(2) || !(4..=2048).contains(&k) {
            return Err(format!(
                "RA message of {message_bytes} bytes: must be even and 8..=4096"
            ));
        }
        let mut highbit = 4;
        let mut n = k;
        while n >= 32 {
            n /= 2;
            highbit += 1;
        }
        let perms = [0, 1, 2, 3].map(|s| permutation(k, highbit, s));
        Ok(Self {
            k,
            check_words: k.div_ceil(PUNCTURE),
            perms,
        })
    }

    /// Message length in bytes.
    pub fn message_bytes(&self) -> usize {
        self.k * 2
    }

    /// Codeword length in bytes.
    pub fn codeword_bytes(&self) -> usize {
        (self.k + 3 * self.check_words) * 2
    }

    /// Encodes a message (for tests and synthesis).
    pub fn encode(&self, message: &[u8]) -> Option<Vec<u8>> {
        if message.len() != self.message_bytes() {
            return None;
        }
        let data: Vec<u16> = message
            .chunks(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        let mut words = Vec::with_capacity(self.codeword_bytes() / 2);
        for (seqno, perm) in self.perms.iter().enumerate() {
            let p = if seqno == 0 { 1 } else { PUNCTURE };
            let mut state = 0u16;
            for (index, &pos) in perm.iter().enumerate() {
                state ^= data[pos];
                if (index + 1) % p == 0 {
                    words.push(state);
                }
                if index + 1 == self.k && !self.k.is_multiple_of(p) {
                    words.push(state);
                }
                state = state.rotate_right(1);
            }
        }
        Some(words.iter().flat_map(|w| w.to_le_bytes()).collect())
    }

    /// Decodes channel LLRs, one per code bit in transmission order (bytes MSB first),
    /// **positive meaning bit 0**, about ±1 when clean; returns the message bytes.
    pub fn decode(&self, llr: &[f32]) -> Option<Vec<u8>> {
        let n_bits = self.codeword_bytes() * 8;
        if llr.len() < n_bits {
            return None;
        }
        // Bit b of word w at index w·16 + b.
        let mut code = vec![0f32; n_bits];
        for (byte, chunk) in llr[..n_bits].chunks(8).enumerate() {
            for (i, &v) in chunk.iter().enumerate() {
                code[byte * 8 + 7 - i] = v.clamp(-1.0, 1.0);
            }
        }
        let mut data = vec![0f32; self.k * BITS];
        let mut forward = vec![0f32; self.k * BITS];
        for pass in 0..PASSES {
            let mut offset = 0;
            for (seqno, perm) in self.perms.iter().enumerate() {
                let p = if seqno == 0 { 1 } else { PUNCTURE };
                self.improve(perm, &code, offset, p, pass > 0, &mut data, &mut forward);
                offset += if seqno == 0 { self.k } else { self.check_words } * BITS;
            }
        }
        let mut out = vec![0u8; self.message_bytes()];
        for (i, v) in data.iter().enumerate() {
            if *v < 0.0 {
                out[i / 8] |= 1 << (i % 8);
            }
        }
        Some(out)
    }

    /// One forward–backward min-sum sweep over a chain, updating the data beliefs.
    #[allow(clippy::too_many_arguments)]
    fn improve(
        &self,
        perm: &[usize],
        code: &[f32],
        start: usize,
        p: usize,
        damp: bool,
        data: &mut [f32],
        forward: &mut [f32],
    ) {
        let k = self.k;
        // The state starts known (all zero): an infinitely reliable 0.
        let mut acc = [f32::MAX; BITS];
        let mut at = start;
        for (index, &pos) in perm.iter().enumerate() {
            for b in 0..BITS {
                forward[index * BITS + b] = acc[b];
                acc[b] = min_sum(acc[b], data[pos * BITS + b]);
            }
            if (index + 1) % p == 0 {
                for a in acc.iter_mut() {
                    *a += code[at];
                    at += 1;
                }
            }
            acc.rotate_left(1);
        }
        if !k.is_multiple_of(p) {
            // The final state, sent unrotated: bit b of the (rotated) accumulator is bit
            // b+1 of that word. Counted twice, as jradio does: it closes the chain.
            for (b, a) in acc.iter_mut().enumerate() {
                let v = code[at + (b + 1) % BITS];
                *a += 2.0 * v;
            }
        }
        for index in (0..k).rev() {
            acc.rotate_right(1);
            if (index + 1) % p == 0 {
                for b in (0..BITS).rev() {
                    at -= 1;
                    acc[b] += code[at];
                }
            }
            let pos = perm[index];
            for b in 0..BITS {
                let left = min_sum(forward[index * BITS + b], acc[b]);
                let mut d = data[pos * BITS + b];
                acc[b] = min_sum(acc[b], d);
                if damp {
                    d *= 0.5;
                }
                data[pos * BITS + b] = left + d;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_visit_every_word_once() {
        for bytes in [8, 62, 126, 256, 1000] {
            let code = RaCode::new(bytes).unwrap();
            for p in &code.perms {
                let mut seen = p.clone();
                seen.sort_unstable();
                assert_eq!(seen, (0..bytes / 2).collect::<Vec<_>>(), "{bytes} bytes");
            }
        }
    }

    fn llrs(codeword: &[u8]) -> Vec<f32> {
        codeword
            .iter()
            .flat_map(|&b| {
                (0..8)
                    .rev()
                    .map(move |i| if b >> i & 1 == 1 { -1.0 } else { 1.0 })
            })
            .collect()
    }

    #[test]
    fn round_trip_clean_and_with_flipped_bits() {
        for bytes in [126usize, 100] {
            let code = RaCode::new(bytes).unwrap();
            let msg: Vec<u8> = (0..bytes)
                .map(|i| (i as u8).wrapping_mul(73) ^ 0xA5)
                .collect();
            let cw = code.encode(&msg).unwrap();
            assert_eq!(cw.len(), code.codeword_bytes());
            assert_eq!(code.decode(&llrs(&cw)).unwrap(), msg);
            let mut noisy = llrs(&cw);
            for i in (0..noisy.len()).step_by(97) {
                noisy[i] *= -0.3;
            }
            assert_eq!(code.decode(&noisy).unwrap(), msg, "{bytes} bytes");
        }
    }
}
