//! AVX2 builds of the interleaved dot products behind the FIR kernel and the
//! resampler, and of the FIR kernel's output-parallel form (decimation 1). The portable loops in those modules define the arithmetic: lane
//! `i` of `LANES` accumulates `a[i] * b[i]` (a multiply, then an add: no fused
//! multiply-add), then the lanes are summed pairwise by halving the width. These
//! functions perform exactly those operations, eight lanes per instruction, so
//! their results are bit-identical to the portable ones. (The compiler does not
//! find this vectorisation by itself: it spills the accumulators.)

#![cfg(target_arch = "x86_64")]

use num_complex::Complex32;
use std::arch::x86_64::*;

/// `LANES = 32`: four 8-lane accumulators. `a.len() == b.len()`, a multiple of
/// 16: a last half step of 16 goes into lanes 0–15 (the first two accumulators).
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn dot32(a: &[f32], b: &[f32]) -> Complex32 {
    let [mut s0, mut s1, s2, s3] = accumulate::<4>(a, b);
    let n = a.len() / 32 * 32;
    if a.len() - n == 16 && b.len() == a.len() {
        // SAFETY: n + 16 == len of both slices.
        unsafe {
            let (pa, pb) = (a.as_ptr().add(n), b.as_ptr().add(n));
            s0 = _mm256_add_ps(s0, _mm256_mul_ps(_mm256_loadu_ps(pa), _mm256_loadu_ps(pb)));
            s1 = _mm256_add_ps(
                s1,
                _mm256_mul_ps(_mm256_loadu_ps(pa.add(8)), _mm256_loadu_ps(pb.add(8))),
            );
        }
    }
    // Width 32 → 16: lanes i += i + 16.
    reduce16(_mm256_add_ps(s0, s2), _mm256_add_ps(s1, s3))
}

/// `LANES = 16`: two 8-lane accumulators. `a.len() == b.len()`, a multiple of 16.
#[target_feature(enable = "avx2")]
#[inline]
pub(crate) fn dot16(a: &[f32], b: &[f32]) -> Complex32 {
    let [s0, s1] = accumulate::<2>(a, b);
    reduce16(s0, s1)
}

/// The output-parallel FIR (`kernel::fir_parallel`, which defines the
/// arithmetic): each 8-lane register holds 4 complex outputs and adds the
/// broadcast tap times the 8 floats under it, taps in the kernel's phased
/// order: the same multiply and add per output as the portable loop, so the
/// same bits. Groups of 7 registers (28 outputs: 7 accumulators, 7 input
/// registers and the tap fill the 16 AVX registers) keep enough add chains
/// in flight to hide the add latency; then single registers, then one output
/// at a time.
#[target_feature(enable = "avx2")]
pub(crate) fn fir_parallel(taps: &[f32], x: &[f32], y: &mut [f32]) {
    assert!(!taps.is_empty());
    assert_eq!(x.len(), y.len() + 2 * (taps.len() - 1));
    let i = parallel_groups::<7>(taps, x, y, 0);
    let i = parallel_groups::<1>(taps, x, y, i);
    super::kernel::fir_one_by_one(taps, &x[i..], &mut y[i..]);
}

/// Outputs from float `i` on, `8 · R` floats at a time while they fit;
/// returns the first float not written. Within one phase `p`, tap step `q`
/// (window offset `j = 4q + p`) needs, for output register `r`, the input
/// register `X[q + r]` (floats from `i + 2p + 8(q + r)`): a ring of `R`
/// registers slides along `X`, one load per tap.
#[target_feature(enable = "avx2")]
#[inline]
fn parallel_groups<const R: usize>(taps: &[f32], x: &[f32], y: &mut [f32], mut i: usize) -> usize {
    let len = taps.len();
    let last = len - 1;
    // Checked by the caller; restated because the loads below rely on it.
    assert_eq!(x.len(), y.len() + 2 * last);
    let (px, py) = (x.as_ptr(), y.as_mut_ptr());
    while i + 8 * R <= y.len() {
        let mut acc = [_mm256_setzero_ps(); R];
        for p in 0..len.min(4) {
            let steps = (len - p).div_ceil(4);
            let base = i + 2 * p;
            // The ring: X[m] in slot m % R.
            let mut ring = [_mm256_setzero_ps(); R];
            for (m, w) in ring.iter_mut().enumerate().take(R - 1) {
                // SAFETY: X[m] for m < R - 1, as the load below for q = 0.
                *w = unsafe { _mm256_loadu_ps(px.add(base + 8 * m)) };
            }
            let mut q0 = 0;
            while q0 < steps {
                // Unrolled by R so that every slot index is a constant.
                for s in 0..R {
                    let q = q0 + s;
                    if q < steps {
                        // SAFETY: j = 4q + p <= last, so X[q + R - 1] ends at
                        // float i + 8R + 2j <= y.len() + 2·last == x.len().
                        ring[(s + R - 1) % R] =
                            unsafe { _mm256_loadu_ps(px.add(base + 8 * (q + R - 1))) };
                        let h = _mm256_set1_ps(taps[last - 4 * q - p]);
                        for (r, a) in acc.iter_mut().enumerate() {
                            *a = _mm256_add_ps(*a, _mm256_mul_ps(h, ring[(s + r) % R]));
                        }
                    }
                }
                q0 += R;
            }
        }
        for (r, a) in acc.iter().enumerate() {
            // SAFETY: i + 8r + 8 <= i + 8R <= y.len().
            unsafe { _mm256_storeu_ps(py.add(i + 8 * r), *a) };
        }
        i += 8 * R;
    }
    i
}

/// Lane `i` of the `8 · N` lanes sums `a[k] * b[k]` over every `k ≡ i` (mod `8 · N`).
#[target_feature(enable = "avx2")]
#[inline]
fn accumulate<const N: usize>(a: &[f32], b: &[f32]) -> [__m256; N] {
    assert_eq!(a.len(), b.len());
    let step = 8 * N;
    let n = a.len() / step * step;
    let (pa, pb) = (a.as_ptr(), b.as_ptr());
    let mut acc = [_mm256_setzero_ps(); N];
    let mut i = 0;
    while i < n {
        for (k, s) in acc.iter_mut().enumerate() {
            // SAFETY: i + 8k + 8 <= i + step <= n <= len of both slices.
            unsafe {
                let j = i + 8 * k;
                *s = _mm256_add_ps(
                    *s,
                    _mm256_mul_ps(_mm256_loadu_ps(pa.add(j)), _mm256_loadu_ps(pb.add(j))),
                );
            }
        }
        i += step;
    }
    acc
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

    /// The portable definition, spelled out lane by lane (a last partial step
    /// goes into the first lanes).
    fn portable<const L: usize>(a: &[f32], b: &[f32]) -> Complex32 {
        let mut acc = [0.0f32; L];
        for (x, y) in a.chunks(L).zip(b.chunks(L)) {
            for i in 0..x.len() {
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
        for n in [16usize, 48, 80, 112] {
            let (a, b) = (data(n, 0.29), data(n, 0.71));
            // SAFETY: AVX2 checked above.
            let d32 = unsafe { dot32(&a, &b) };
            assert_eq!(d32.re.to_bits(), portable::<32>(&a, &b).re.to_bits());
            assert_eq!(d32.im.to_bits(), portable::<32>(&a, &b).im.to_bits());
        }
    }
}
