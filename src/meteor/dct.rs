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

/// Inverse DCT: coefficients to samples (before the +128 level shift).
pub fn inverse(coeffs: &[f64; 64]) -> [f64; 64] {
    let b = basis();
    // Quantisation leaves most rows of a block all zero: such a row adds only
    // zeros (+0 + ±0 = +0, and s + ±0 = s for any other s), so skipping it
    // gives the same bits as summing it.
    let mut nonzero = [false; 8];
    let mut tmp = [0f64; 64];
    for v in 0..8 {
        let row = &coeffs[v * 8..v * 8 + 8];
        if row.iter().all(|&c| c == 0.0) {
            continue;
        }
        nonzero[v] = true;
        for x in 0..8 {
            let mut s = 0.0;
            for u in 0..8 {
                s += b[x][u] * row[u];
            }
            tmp[v * 8 + x] = s;
        }
    }
    let mut out = [0f64; 64];
    for y in 0..8 {
        for x in 0..8 {
            let mut s = 0.0;
            for v in 0..8 {
                if nonzero[v] {
                    s += b[y][v] * tmp[v * 8 + x];
                }
            }
            out[y * 8 + x] = s;
        }
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
