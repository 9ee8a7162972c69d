//! Extended binary Golay code (24,12), minimum distance 8: corrects every pattern of up to
//! 3 bit errors in a 24-bit word. The layout is the one of the GOMspace AX100 length field:
//! codeword = parity (bits 23..12) followed by the 12 data bits (bits 11..0), with
//! parity = B·data for the symmetric matrix `B` below (B·B = I, checked in the tests).

/// Rows of B: parity bit (11 - i) is the parity of `B[i] & data`.
const B: [u16; 12] = [
    0x8ED, 0x1DB, 0x3B5, 0x769, 0xED1, 0xDA3, 0xB47, 0x68F, 0xD1D, 0xA3B, 0x477, 0xFFE,
];

const NO_PATTERN: u32 = u32::MAX;

/// Error from [`Golay::decode`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GolayError(pub String);

impl std::fmt::Display for GolayError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Golay(24,12): {}", self.0)
    }
}

impl std::error::Error for GolayError {}

/// Syndrome-table decoder: the 2325 error patterns of weight <= 3 have distinct syndromes
/// (the code's covering radius is 4), so one table lookup finds the correction.
#[derive(Clone, Debug)]
pub struct Golay {
    table: Vec<u32>,
}

impl Default for Golay {
    fn default() -> Self {
        Self::new()
    }
}

fn mul_b(v: u16) -> u16 {
    B.iter().fold(0u16, |acc, &row| {
        (acc << 1) | ((row & v & 0xFFF).count_ones() & 1) as u16
    })
}

fn syndrome(word: u32) -> u16 {
    let parity = ((word >> 12) & 0xFFF) as u16;
    let data = (word & 0xFFF) as u16;
    parity ^ mul_b(data)
}

impl Golay {
    /// Builds the 4096-entry syndrome table.
    pub fn new() -> Self {
        let mut table = vec![NO_PATTERN; 4096];
        table[0] = 0;
        for a in 0..24 {
            for b in a..24 {
                for c in b..24 {
                    let e = (1u32 << a) | (1u32 << b) | (1u32 << c);
                    let s = syndrome(e) as usize;
                    if table[s] == NO_PATTERN || table[s].count_ones() > e.count_ones() {
                        table[s] = e;
                    }
                }
            }
        }
        Self { table }
    }

    /// Encodes the low 12 bits of `data` into a 24-bit codeword.
    pub fn encode(data: u16) -> u32 {
        let d = data & 0xFFF;
        ((mul_b(d) as u32) << 12) | d as u32
    }

    /// Decodes the low 24 bits of `word`, returning the 12 data bits and the number of bit
    /// errors corrected, or an error when more than 3 bits are wrong (detected up to 4).
    pub fn decode(&self, word: u32) -> Result<(u16, u32), GolayError> {
        let w = word & 0xFF_FFFF;
        let e = self.table[syndrome(w) as usize];
        if e == NO_PATTERN {
            return Err(GolayError(format!(
                "word 0x{w:06x} has more than 3 bit errors"
            )));
        }
        Ok((((w ^ e) & 0xFFF) as u16, e.count_ones()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn b_is_symmetric_and_self_inverse() {
        for (i, row_i) in B.iter().enumerate() {
            for (j, row_j) in B.iter().enumerate() {
                let bij = (row_i >> (11 - j)) & 1;
                let bji = (row_j >> (11 - i)) & 1;
                assert_eq!(bij, bji);
            }
            // B·B·e_i = e_i
            let e = 1u16 << (11 - i);
            assert_eq!(mul_b(mul_b(e)), e);
        }
    }

    #[test]
    fn minimum_distance_is_8() {
        let min = (1u16..4096)
            .map(|d| Golay::encode(d).count_ones())
            .min()
            .unwrap();
        assert_eq!(min, 8);
    }

    #[test]
    fn table_covers_all_weight_le3_patterns() {
        let g = Golay::new();
        let filled = g.table.iter().filter(|&&e| e != NO_PATTERN).count();
        assert_eq!(filled, 1 + 24 + 276 + 2024);
    }

    #[test]
    fn decodes_clean_and_rejects_four_errors() {
        let g = Golay::new();
        let cw = Golay::encode(0x5A3);
        assert_eq!(g.decode(cw).unwrap(), (0x5A3, 0));
        assert!(g.decode(cw ^ 0b1111).is_err());
    }
}
