//! 8×8 type-II DCT and its inverse, orthonormal, in double precision
//! (T.81 A.3.3 with its 1/4 C(u) C(v) normalisation, written separably).
//!
//! Blocks are row-major: index `v * 8 + u` holds vertical frequency v and
//! horizontal frequency u; for pixels, row y and column x.

use std::sync::OnceLock;

/// `basis()[x][u] = C(u)/2 · cos((2x+1)uπ/16)`, C(0) = 1/√2, else 1.
fn basis() -> &'static [[f64; 8]; 8] {
    static BASIS: OnceLock<[[f64; 8]; 8]> = OnceLock::new();
    BASIS.get_or_init(|| {
        let mut b = [[0f64; 8]; 8];
        for (x, row) in b.iter_mut().enumerate() {
            for (u, c) in row.iter_mut().enumerate() {
                let cu = if u == 0 {
                    std::f64::consts::FRAC_1_SQRT_2
                } else {
                    1.0
                };
                *c = cu / 2.0 * ((2 * x + 1) as f64 * u as f64 * std::f64::consts::PI / 16.0).cos();
            }
        }
        b
    })
}

/// `basis_by_frequency()[u][x] = basis()[x][u]`: one frequency's weights for the eight
/// samples side by side, so the inverse transform runs eight sums at once.
fn basis_by_frequency() -> &'static [[f64; 8]; 8] {
    static BASIS_T: OnceLock<[[f64; 8]; 8]> = OnceLock::new();
    BASIS_T.get_or_init(|| {
        let b = basis();
        let mut t = [[0f64; 8]; 8];
        for (u, row) in t.iter_mut().enumerate() {
            for (x, v) in row.iter_mut().enumerate() {
                *v = b[x][u];
            }
        }
        t
    })
}

/// Inverse DCT: coefficients to samples (before the +128 level shift).
///
/// Each sample is the sum, in ascending frequency order starting from +0, of basis ×
/// coefficient products, first along the rows then down the columns. Quantisation
/// leaves most coefficients zero, and a zero term changes no bit of such a sum (+0 + ±0
/// = +0, s + ±0 = s, and the sum is never −0), so zero coefficients and all-zero rows
/// are skipped; the eight sums of a row or column run side by side (vectorised), each
/// in the same order as written out one by one.
pub fn inverse(coeffs: &[f64; 64]) -> [f64; 64] {
    let b = basis();
    let bt = basis_by_frequency();
    // Rows with a non-zero coefficient: their vertical frequency and 1-D transform.
    let mut rows = [(0usize, [0f64; 8]); 8];
    let mut nonzero = 0;
    for v in 0..8 {
        let mut acc = [0f64; 8];
        let mut any = false;
        for (u, &c) in coeffs[v * 8..v * 8 + 8].iter().enumerate() {
            if c != 0.0 {
                any = true;
                for (a, &w) in acc.iter_mut().zip(&bt[u]) {
                    *a += w * c;
                }
            }
        }
        if any {
            rows[nonzero] = (v, acc);
            nonzero += 1;
        }
    }
    let mut out = [0f64; 64];
    for (y, out_row) in out.chunks_exact_mut(8).enumerate() {
        let mut acc = [0f64; 8];
        for (v, tmp) in &rows[..nonzero] {
            let w = b[y][*v];
            for (a, &t) in acc.iter_mut().zip(tmp) {
                *a += w * t;
            }
        }
        out_row.copy_from_slice(&acc);
    }
    out
}

/// Forward DCT: samples (already level-shifted) to coefficients.
pub fn forward(samples: &[f64; 64]) -> [f64; 64] {
    let b = basis();
    let mut tmp = [0f64; 64];
    for y in 0..8 {
        for u in 0..8 {
            let mut s = 0.0;
            for x in 0..8 {
                s += b[x][u] * samples[y * 8 + x];
            }
            tmp[y * 8 + u] = s;
        }
    }
    let mut out = [0f64; 64];
    for v in 0..8 {
        for u in 0..8 {
            let mut s = 0.0;
            for y in 0..8 {
                s += b[y][v] * tmp[y * 8 + u];
            }
            out[v * 8 + u] = s;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The transform written out term by term, zeros included, in the documented order.
    fn inverse_written_out(c: &[f64; 64]) -> [f64; 64] {
        let b = basis();
        let mut tmp = [0f64; 64];
        for v in 0..8 {
            for x in 0..8 {
                let mut s = 0.0;
                for u in 0..8 {
                    s += b[x][u] * c[v * 8 + u];
                }
                tmp[v * 8 + x] = s;
            }
        }
        let mut out = [0f64; 64];
        for y in 0..8 {
            for x in 0..8 {
                let mut s = 0.0;
                for v in 0..8 {
                    s += b[y][v] * tmp[v * 8 + x];
                }
                out[y * 8 + x] = s;
            }
        }
        out
    }

    #[test]
    fn inverse_is_bit_identical_to_the_written_out_sums() {
        // Quantised-looking blocks: integer coefficients times a step, from all zero
        // through sparse (the usual case) to dense, both signs.
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (seed >> 33) as u32
        };
        for case in 0..3000 {
            let density = case % 65;
            let mut c = [0f64; 64];
            for v in c.iter_mut() {
                if (next() % 64) < density {
                    let level = (next() % 255) as f64 - 127.0;
                    *v = level * f64::from(1 + next() % 40);
                }
            }
            let (got, want) = (inverse(&c), inverse_written_out(&c));
            for k in 0..64 {
                assert_eq!(
                    got[k].to_bits(),
                    want[k].to_bits(),
                    "case {case} sample {k}"
                );
            }
        }
    }

    #[test]
    fn dc_only_block_is_flat_at_dc_over_8() {
        let mut c = [0f64; 64];
        c[0] = 80.0;
        let p = inverse(&c);
        for v in p {
            assert!((v - 10.0).abs() < 1e-12, "{v}");
        }
        c[0] = -1024.0;
        for v in inverse(&c) {
            assert!((v + 128.0).abs() < 1e-12);
        }
    }

    #[test]
    fn first_horizontal_harmonic() {
        // F(0,1) = 8: samples = 8 · (1/2)(1/√2) · (1/2) cos((2x+1)π/16) · 2... computed directly.
        let mut c = [0f64; 64];
        c[1] = 8.0;
        let p = inverse(&c);
        for y in 0..8 {
            for x in 0..8 {
                let want = 8.0
                    * (0.5 * std::f64::consts::FRAC_1_SQRT_2)
                    * (0.5 * ((2 * x + 1) as f64 * std::f64::consts::PI / 16.0).cos());
                assert!((p[y * 8 + x] - want).abs() < 1e-12);
            }
        }
        // Antisymmetric left to right, constant down the columns.
        assert!((p[0] + p[7]).abs() < 1e-12);
        assert!((p[0] - p[56]).abs() < 1e-12);
    }

    #[test]
    fn forward_then_inverse_is_identity() {
        let mut s = [0f64; 64];
        for (i, v) in s.iter_mut().enumerate() {
            *v = ((i * 37 + 11) % 255) as f64 - 128.0;
        }
        let back = inverse(&forward(&s));
        for (a, b) in s.iter().zip(back.iter()) {
            assert!((a - b).abs() < 1e-9);
        }
    }
}
