//! Narrow-sense binary BCH codes of length 15 over GF(16) (field polynomial x^4 + x + 1),
//! designed distance 3, 5 or 7: (15,11), (15,7) and (15,5). A codeword c(x) = Σ c_i x^i
//! has α^1 … α^(d−1) as roots; it is systematic with the k data bits in the highest
//! positions (c_{15−k} … c_14). Decoding is bounded-distance through a table of all 2^15
//! received words (every word within t = (d−1)/2 of a codeword maps to it), built once
//! per code: 32768 entries, so no Berlekamp–Massey for 15-bit words.

/// One code's decoding table.
#[derive(Clone, Debug)]
pub struct Bch15 {
    k: usize,
    t: u32,
    /// Received word → (codeword, bits corrected), or none beyond t errors.
    table: Vec<Option<(u16, u8)>>,
}

fn gf16_exp() -> [u8; 15] {
    let mut e = [0u8; 15];
    let mut x = 1u8;
    for v in e.iter_mut() {
        *v = x;
        x <<= 1;
        if x & 0x10 != 0 {
            x ^= 0x13;
        }
    }
    e
}

impl Bch15 {
    /// The code with designed distance `d` (3, 5 or 7).
    pub fn new(d: u32) -> Result<Self, String> {
        let k = match d {
            3 => 11,
            5 => 7,
            7 => 5,
            _ => return Err(format!("BCH(15): designed distance {d} is not 3, 5 or 7")),
        };
        let exp = gf16_exp();
        let is_codeword = |w: u16| {
            (1..d as usize).all(|j| {
                (0..15)
                    .filter(|i| w >> i & 1 == 1)
                    .fold(0u8, |s, i| s ^ exp[(i * j) % 15])
                    == 0
            })
        };
        let codewords: Vec<u16> = (0..1u16 << 15).filter(|&w| is_codeword(w)).collect();
        debug_assert_eq!(codewords.len(), 1 << k);
        let t = (d - 1) / 2;
        let mut table = vec![None; 1 << 15];
        let patterns: Vec<u16> = (0..1u16 << 15).filter(|e| e.count_ones() <= t).collect();
        for &c in &codewords {
            for &e in &patterns {
                table[(c ^ e) as usize] = Some((c, e.count_ones() as u8));
            }
        }
        Ok(Self { k, t, table })
    }

    /// Data bits per codeword.
    pub fn k(&self) -> usize {
        self.k
    }

    /// Errors corrected at most.
    pub fn t(&self) -> u32 {
        self.t
    }

    /// Corrects `bits` (15 bits, `bits[i]` = c_i) in place; the number of bits flipped,
    /// or None when the word is farther than t from every codeword.
    pub fn decode(&self, bits: &mut [u8]) -> Option<u32> {
        if bits.len() != 15 {
            return None;
        }
        let w = bits
            .iter()
            .enumerate()
            .fold(0u16, |w, (i, &b)| w | (u16::from(b & 1) << i));
        let (c, n) = self.table[w as usize]?;
        for (i, b) in bits.iter_mut().enumerate() {
            *b = (c >> i & 1) as u8;
        }
        Some(n as u32)
    }

    /// The codeword for `data` (k bits, data[j] = c_{15−k+j}), bits as in [`Self::decode`].
    pub fn encode(&self, data: &[u8]) -> Option<Vec<u8>> {
        if data.len() != self.k {
            return None;
        }
        let high = data.iter().enumerate().fold(0u16, |w, (j, &b)| {
            w | (u16::from(b & 1) << (15 - self.k + j))
        });
        // The one codeword with these high bits: the table maps high+parity to itself.
        let mask: u16 = (1 << (15 - self.k)) - 1;
        (0..=mask)
            .map(|p| high | p)
            .find(|&w| self.table[w as usize] == Some((w, 0)))
            .map(|c| (0..15).map(|i| (c >> i & 1) as u8).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corrects_up_to_t_errors_in_every_code() {
        for d in [3, 5, 7] {
            let code = Bch15::new(d).unwrap();
            let k = code.k();
            for m in [0u16, 1, 0b10110, (1 << k) - 1] {
                let data: Vec<u8> = (0..k).map(|j| (m >> (j % 11) & 1) as u8).collect();
                let cw = code.encode(&data).unwrap();
                assert_eq!(&cw[15 - k..], &data[..]);
                let mut rx = cw.clone();
                for e in 0..code.t() as usize {
                    rx[(e * 4 + 1) % 15] ^= 1;
                }
                assert_eq!(code.decode(&mut rx), Some(code.t()), "d {d}");
                assert_eq!(rx, cw);
            }
        }
    }

    #[test]
    fn hamming_15_11_generator_is_x4_x_1() {
        // g(x) = x^4 + x + 1 is itself the codeword of data 1 shifted to the top: the
        // codeword with data bit 0 (c_4) alone set must be g(x) = 1 + x + x^4.
        let code = Bch15::new(3).unwrap();
        let mut data = vec![0u8; 11];
        data[0] = 1;
        let cw = code.encode(&data).unwrap();
        assert_eq!(cw[..5], [1, 1, 0, 0, 1]);
        assert!(cw[5..].iter().all(|&b| b == 0));
    }
}
