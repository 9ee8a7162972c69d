//! AVX2 builds of the interleaved dot products behind the FIR kernel and the
//! resampler. The portable loops in those modules define the arithmetic: lane
//! `i` of `LANES` accumulates `a[i] * b[i]` (a multiply, then an add: no fused
//! multiply-add), then the lanes are summed pairwise by halving the width. These
//! functions perform exactly those operations, eight lanes per instruction, so
//! their results are bit-identical to the portable ones. (The compiler does not
//! find this vectorisation by itself: it spills the accumulators.)

#![cfg(target_arch = "x86_64")]

use num_complex::Complex32;
use std::arch::x86_64::*;

/// `LANES = 32`: four 8-lane accumulators. `a.len() == b.len()`, a multiple of 32.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn dot32(a: &[f32], b: &[f32]) -> Complex32 {
    assert_eq!(a.len(), b.len());
    let n = a.len() / 32 * 32;
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s0 = _mm256_setzero_ps();
    let mut s1 = _mm256_setzero_ps();
    let mut s2 = _mm256_setzero_ps();
    let mut s3 = _mm256_setzero_ps();
    let mut i = 0;
    while i < n {
        // SAFETY: i + 32 <= n <= len of both slices.
        unsafe {
            s0 = _mm256_add_ps(
                s0,
                _mm256_mul_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))),
            );
            s1 = _mm256_add_ps(
                s1,
                _mm256_mul_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                ),
            );
            s2 = _mm256_add_ps(
                s2,
                _mm256_mul_ps(
                    _mm256_loadu_ps(pa.add(i + 16)),
                    _mm256_loadu_ps(pb.add(i + 16)),
                ),
            );
            s3 = _mm256_add_ps(
                s3,
                _mm256_mul_ps(
                    _mm256_loadu_ps(pa.add(i + 24)),
                    _mm256_loadu_ps(pb.add(i + 24)),
                ),
            );
        }
        i += 32;
    }
    // Width 32 → 16: lanes i += i + 16.
    let s0 = _mm256_add_ps(s0, s2);
    let s1 = _mm256_add_ps(s1, s3);
    reduce16(s0, s1)
}

/// `LANES = 16`: two 8-lane accumulators. `a.len() == b.len()`, a multiple of 16.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn dot16(a: &[f32], b: &[f32]) -> Complex32 {
    assert_eq!(a.len(), b.len());
    let n = a.len() / 16 * 16;
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut s0 = _mm256_setzero_ps();
    let mut s1 = _mm256_setzero_ps();
    let mut i = 0;
    while i < n {
        // SAFETY: i + 16 <= n <= len of both slices.
        unsafe {
            s0 = _mm256_add_ps(
                s0,
                _mm256_mul_ps(_mm256_loadu_ps(pa.add(i)), _mm256_loadu_ps(pb.add(i))),
            );
            s1 = _mm256_add_ps(
                s1,
                _mm256_mul_ps(
                    _mm256_loadu_ps(pa.add(i + 8)),
                    _mm256_loadu_ps(pb.add(i + 8)),
                ),
            );
        }
        i += 16;
    }
    reduce16(s0, s1)
}

/// Lanes 0–7 in `lo`, 8–15 in `hi`: the pairwise halving down to lanes 0 and 1.
#[target_feature(enable = "avx2")]
#[inline]
fn reduce16(lo: __m256, hi: __m256) -> Complex32 {
    // 16 → 8.
    let s = _mm256_add_ps(lo, hi);
    // 8 → 4.
    let q = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps::<1>(s));
    // 4 → 2.
    let r = _mm_add_ps(q, _mm_movehl_ps(q, q));
    let mut out = [0.0f32; 4];
    // SAFETY: `out` holds four f32.
    unsafe { _mm_storeu_ps(out.as_mut_ptr(), r) };
    Complex32::new(out[0], out[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data(n: usize, k: f32) -> Vec<f32> {
        (0..n)
            .map(|i| ((i as f32 * k).sin() * 1e3).fract() * 7.3)
            .collect()
    }

    /// The portable definition, spelled out lane by lane.
    fn portable<const L: usize>(a: &[f32], b: &[f32]) -> Complex32 {
        let mut acc = [0.0f32; L];
        for (x, y) in a.chunks_exact(L).zip(b.chunks_exact(L)) {
            for i in 0..L {
                acc[i] += x[i] * y[i];
            }
        }
        let mut w = L;
        while w > 2 {
            w /= 2;
            for i in 0..w {
                acc[i] += acc[i + w];
            }
        }
        Complex32::new(acc[0], acc[1])
    }

    #[test]
    fn bit_identical_to_the_portable_sums() {
        if !std::arch::is_x86_feature_detected!("avx2") {
            return;
        }
        for n in [32usize, 64, 96, 128, 512] {
            let (a, b) = (data(n, 0.37), data(n, 0.113));
            // SAFETY: AVX2 checked above.
            let (d32, d16) = unsafe { (dot32(&a, &b), dot16(&a, &b)) };
            assert_eq!(d32.re.to_bits(), portable::<32>(&a, &b).re.to_bits());
            assert_eq!(d32.im.to_bits(), portable::<32>(&a, &b).im.to_bits());
            assert_eq!(d16.re.to_bits(), portable::<16>(&a, &b).re.to_bits());
            assert_eq!(d16.im.to_bits(), portable::<16>(&a, &b).im.to_bits());
        }
    }
}
