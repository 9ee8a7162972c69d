//! The shared FIR engine behind `FirFilter`, `FirDecimator` and `Channelizer`.
//!
//! Layout chosen for speed:
//! * The history is one contiguous buffer: the last `L-1` inputs followed by the
//!   block being processed ("append and compact"), so every output's window is a
//!   plain slice and there is no ring-buffer wrap in the inner loop. Unmapped
//!   input (`FirFilter`, `FirDecimator`) is not even copied: windows that lie
//!   wholly in the input are slices of it, and only the first `L-1` inputs are
//!   joined to the history.
//! * Taps are stored reversed, zero-padded at the old end to a multiple of
//!   `LANES / 4` (8 taps: the padding is work done on zeros, and a 33-tap
//!   decimator padded to 48 did a third more of it than needed), and
//!   duplicated (`h, h`) so that a complex×real dot product is a real dot
//!   product of two equally long `f32` slices (re/im interleaved). That loop is
//!   written with `LANES` independent accumulators, which the compiler turns
//!   into SIMD multiply/adds without needing to reassociate; a remaining half
//!   step of `LANES / 2` floats goes into the first half of them.
//! * Decimation 1 (`FirFilter`) computes outputs in parallel instead: for each
//!   tap, a group of consecutive outputs adds that tap times its own input
//!   (`y[n..n+G] += h[k] · x[n-k..n-k+G]`, the tap broadcast), so one vector
//!   register holds several outputs, there is no horizontal sum, and the taps
//!   need no padding. Each output sums its terms from 0.0, a multiply then an
//!   add (no FMA), in *phased* order: by window offset `j` (term
//!   `h[L-1-j] · x[n-L+1+j]`) taken `j ≡ 0 (mod 4)` ascending, then
//!   `j ≡ 1`, 2, 3. One register holds 4 complex outputs, so for a fixed
//!   phase the input registers of consecutive taps are consecutive registers
//!   of one stream: the AVX2 build keeps a ring of them and loads one per tap
//!   instead of one per tap and output register (the plain tap order was
//!   bound by those loads: 190 µs per 65 536 inputs for the 51-tap RRC,
//!   phased 145 µs). The AVX2 build does exactly the portable operations.
//! * The summation order per output depends only on the taps and the window,
//!   never on how the input was chunked, so outputs are bit-exact across
//!   chunkings.

use num_complex::Complex32;

use super::{as_f32, as_f32_mut};

use super::design::{check_taps, invalid, DesignError};

/// f32 lanes per accumulator set: 32 floats = 16 complex samples per step,
/// enough independent add chains to hide FP add latency on SSE2/AVX.
const LANES: usize = 32;
/// Taps are padded to a multiple of this (half a step of `LANES` floats).
const TAPS_PER_STEP: usize = LANES / 4;

/// Complex outputs per group in the portable output-parallel loop (enough
/// independent add chains to hide latency; the grouping does not change the
/// result, every output is summed on its own).
const PAR_OUTPUTS: usize = 16;
/// The same in floats (re/im interleaved).
const PAR_F32: usize = 2 * PAR_OUTPUTS;

/// Inputs appended per compaction. Large enough that the `L-1` copy at each
/// compaction is small next to the filtering work, small enough to stay in L2.
const BLOCK: usize = 8192;

#[derive(Debug, Clone)]
pub(crate) struct FirKernel {
    /// Decimation 1: the taps as given (output-parallel form). Otherwise
    /// reversed, front-padded, each tap duplicated: length 2·padded_len.
    coeffs: Vec<f32>,
    /// The caller's taps, as given.
    taps: Vec<f32>,
    /// Window length: the tap count for decimation 1, otherwise padded to a
    /// multiple of TAPS_PER_STEP.
    padded_len: usize,
    /// `padded_len - 1` samples of history, then the current block.
    hist: Vec<Complex32>,
    decimation: usize,
    /// Inputs still to consume before the next kept output (0: next one is kept).
    skip: usize,
}

impl FirKernel {
    pub(crate) fn new(taps: &[f32], decimation: usize) -> Result<Self, DesignError> {
        if taps.is_empty() {
            return Err(invalid("taps", 0.0, "at least one tap"));
        }
        check_taps(taps)?;
        if decimation == 0 {
            return Err(invalid("decimation", 0.0, "an integer >= 1"));
        }
        let (padded_len, coeffs) = if decimation == 1 {
            (taps.len(), taps.to_vec())
        } else {
            let padded_len = taps.len().div_ceil(TAPS_PER_STEP) * TAPS_PER_STEP;
            let pad = padded_len - taps.len();
            let mut taps_dup = vec![0.0f32; 2 * padded_len];
            for (i, &t) in taps.iter().rev().enumerate() {
                taps_dup[2 * (pad + i)] = t;
                taps_dup[2 * (pad + i) + 1] = t;
            }
            (padded_len, taps_dup)
        };
        let mut hist = Vec::with_capacity(padded_len - 1 + BLOCK);
        hist.resize(padded_len - 1, Complex32::new(0.0, 0.0));
        Ok(FirKernel {
            coeffs,
            taps: taps.to_vec(),
            padded_len,
            hist,
            decimation,
            skip: 0,
        })
    }

    pub(crate) fn taps(&self) -> &[f32] {
        &self.taps
    }

    pub(crate) fn decimation(&self) -> usize {
        self.decimation
    }

    pub(crate) fn reset(&mut self) {
        self.hist.clear();
        self.hist
            .resize(self.padded_len - 1, Complex32::new(0.0, 0.0));
        self.skip = 0;
    }

    /// Filters `input` as it is (no mapping). Same outputs, bit for bit, as
    /// `process_with` and a copying `fill`, without copying every input into
    /// the history first: only the windows that reach back into the history
    /// (the first `L-1` inputs) are read from a joined copy; every later window
    /// is a slice of `input` itself, and only the last `L-1` inputs are kept.
    pub(crate) fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let keep = self.padded_len - 1;
        let m = self.decimation;
        let n = input.len();
        if n == 0 {
            return;
        }
        output.reserve(n.div_ceil(m).min(n));
        // Windows starting in the history: `hist ++ input[..keep]` covers them.
        let head = n.min(keep);
        self.hist.extend_from_slice(&input[..head]);
        let mut j = outputs(
            &self.coeffs,
            &self.hist,
            self.padded_len,
            self.skip,
            head,
            m,
            output,
        );
        self.hist.truncate(keep);
        if j < n {
            // Window j (counted in `hist ++ input`) is `input[j - keep ..]`.
            j = keep
                + outputs(
                    &self.coeffs,
                    input,
                    self.padded_len,
                    j - keep,
                    n - keep,
                    m,
                    output,
                );
        }
        self.skip = j - n;
        if n >= keep {
            self.hist.clear();
            self.hist.extend_from_slice(&input[n - keep..]);
        } else {
            self.hist.drain(..n);
            self.hist.extend_from_slice(input);
        }
    }

    /// Filters `input` after passing it through `fill`, which must write one
    /// output sample per input sample (`dst.len() == src.len()`). Keeps outputs
    /// at input indices 0, M, 2M, … (counted from construction or `reset`).
    pub(crate) fn process_with<F>(
        &mut self,
        input: &[Complex32],
        output: &mut Vec<Complex32>,
        mut fill: F,
    ) where
        F: FnMut(&[Complex32], &mut [Complex32]),
    {
        let keep = self.padded_len - 1;
        let m = self.decimation;
        output.reserve(input.len().div_ceil(m).min(input.len()));
        for chunk in input.chunks(BLOCK) {
            let base = self.hist.len();
            debug_assert_eq!(base, keep);
            self.hist
                .resize(base + chunk.len(), Complex32::new(0.0, 0.0));
            fill(chunk, &mut self.hist[base..]);
            let j = outputs(
                &self.coeffs,
                &self.hist,
                self.padded_len,
                self.skip,
                chunk.len(),
                m,
                output,
            );
            self.skip = j - chunk.len();
            let len = self.hist.len();
            self.hist.copy_within(len - keep.., 0);
            self.hist.truncate(keep);
        }
    }
}

/// Appends the outputs for window starts `j, j + m, …` below `end` (window for
/// input `base + j` is `hist[j ..= j + padded_len - 1]`); returns the first `j`
/// not done. `taps` is the kernel's `coeffs`. Runs the AVX2 build of the same
/// code where the CPU has it: AVX2 only widens the lanes (no FMA contraction,
/// same summation order), so the output is bit-identical on every x86-64 CPU.
fn outputs(
    taps: &[f32],
    hist: &[Complex32],
    padded_len: usize,
    j: usize,
    end: usize,
    m: usize,
    output: &mut Vec<Complex32>,
) -> usize {
    if m == 1 {
        return outputs_parallel(taps, hist, j, end, output);
    }
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { outputs_avx2(taps, hist, padded_len, j, end, m, output) };
    }
    outputs_with(taps, hist, padded_len, j, end, m, output, dot)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn outputs_avx2(
    taps: &[f32],
    hist: &[Complex32],
    padded_len: usize,
    j: usize,
    end: usize,
    m: usize,
    output: &mut Vec<Complex32>,
) -> usize {
    outputs_with(taps, hist, padded_len, j, end, m, output, |a, b| {
        super::simd::dot32(a, b)
    })
}

#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn outputs_with(
    taps: &[f32],
    hist: &[Complex32],
    padded_len: usize,
    mut j: usize,
    end: usize,
    m: usize,
    output: &mut Vec<Complex32>,
    dot: impl Fn(&[f32], &[f32]) -> Complex32,
) -> usize {
    while j < end {
        output.push(dot(taps, as_f32(&hist[j..j + padded_len])));
        j += m;
    }
    j
}

/// Decimation 1: appends the outputs for window starts `j..end` (window `j` is
/// `hist[j ..= j + taps.len() - 1]`), returns `max(j, end)`.
fn outputs_parallel(
    taps: &[f32],
    hist: &[Complex32],
    j: usize,
    end: usize,
    output: &mut Vec<Complex32>,
) -> usize {
    if j >= end {
        return j;
    }
    let start = output.len();
    output.resize(start + (end - j), Complex32::new(0.0, 0.0));
    let x = as_f32(&hist[j..end + taps.len() - 1]);
    let y = as_f32_mut(&mut output[start..]);
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { super::simd::fir_parallel(taps, x, y) };
        return end;
    }
    fir_parallel(taps, x, y);
    end
}

/// The output-parallel FIR on interleaved complex samples: for each output
/// `n` (floats `y[2n]`, `y[2n + 1]`), `Σ_j taps[L-1-j] · x[n + j]` on re and
/// im alike, from 0.0, each term a multiply then an add, in phased order: for
/// `p` in 0..4, `j = p, p + 4, p + 8, …` below `L`.
/// `x.len() == y.len() + 2 (L - 1)`. This defines the arithmetic that
/// `simd::fir_parallel` reproduces bit for bit.
pub(crate) fn fir_parallel(taps: &[f32], x: &[f32], y: &mut [f32]) {
    let len = taps.len();
    let last = len - 1;
    assert_eq!(x.len(), y.len() + 2 * last);
    let (groups, tail) = y.as_chunks_mut::<PAR_F32>();
    for (g, out) in groups.iter_mut().enumerate() {
        let base = g * PAR_F32;
        let mut acc = [0.0f32; PAR_F32];
        for p in 0..len.min(4) {
            for j in (p..len).step_by(4) {
                let t = taps[last - j];
                let xs: &[f32; PAR_F32] = x[base + 2 * j..][..PAR_F32]
                    .try_into()
                    .expect("PAR_F32 floats");
                for i in 0..PAR_F32 {
                    acc[i] += t * xs[i];
                }
            }
        }
        *out = acc;
    }
    let done = groups.len() * PAR_F32;
    fir_one_by_one(taps, &x[done..], tail);
}

/// `fir_parallel` one output at a time: the same operations per output.
#[inline(always)]
pub(crate) fn fir_one_by_one(taps: &[f32], x: &[f32], y: &mut [f32]) {
    let len = taps.len();
    let last = len - 1;
    for (n, out) in y.chunks_exact_mut(2).enumerate() {
        let (mut re, mut im) = (0.0f32, 0.0f32);
        for p in 0..len.min(4) {
            for j in (p..len).step_by(4) {
                let t = taps[last - j];
                let i = 2 * (n + j);
                re += t * x[i];
                im += t * x[i + 1];
            }
        }
        out[0] = re;
        out[1] = im;
    }
}

/// Interleaved dot product: returns (Σ even products, Σ odd products) as a
/// complex number. `a.len() == b.len()` and a multiple of LANES / 2; a last
/// half step goes into lanes 0 to LANES / 2 - 1.
#[inline(always)]
fn dot(a: &[f32], b: &[f32]) -> Complex32 {
    debug_assert_eq!(a.len(), b.len());
    debug_assert_eq!(a.len() % (LANES / 2), 0);
    let (ac, at) = a.as_chunks::<LANES>();
    let (bc, bt) = b.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (x, y) in ac.iter().zip(bc) {
        for i in 0..LANES {
            acc[i] += x[i] * y[i];
        }
    }
    for (i, (x, y)) in at.iter().zip(bt).enumerate() {
        acc[i] += x * y;
    }
    // Fixed pairwise reduction: deterministic, and keeps rounding balanced.
    let mut width = LANES;
    while width > 2 {
        width /= 2;
        for i in 0..width {
            acc[i] += acc[i + width];
        }
    }
    Complex32::new(acc[0], acc[1])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;

    /// The definition, written out independently of the kernel's loops: the
    /// window offsets `j` sorted by (`j mod 4`, `j`), term `taps[L-1-j] · x[n+j]`.
    fn by_definition(taps: &[f32], x: &[Complex32], n_out: usize) -> Vec<Complex32> {
        let len = taps.len();
        let mut order: Vec<usize> = (0..len).collect();
        order.sort_by_key(|&j| (j % 4, j));
        (0..n_out)
            .map(|n| {
                let mut acc = Complex32::new(0.0, 0.0);
                for &j in &order {
                    let (t, s) = (taps[len - 1 - j], x[n + j]);
                    acc.re += t * s.re;
                    acc.im += t * s.im;
                }
                acc
            })
            .collect()
    }

    fn bits(y: &[f32]) -> Vec<u32> {
        y.iter().map(|v| v.to_bits()).collect()
    }

    #[test]
    fn output_parallel_paths_are_bit_identical_to_the_definition() {
        let mut rng = TestRng::new(11);
        for len in 1..=80usize {
            // Taps and samples over a wide range of magnitudes, so any other
            // summation order or a fused multiply-add changes low bits.
            let taps: Vec<f32> = (0..len)
                .map(|_| (rng.gaussian() * 10f64.powf(2.0 * rng.uniform() - 1.0)) as f32)
                .collect();
            for n_out in [
                0usize, 1, 3, 4, 5, 15, 16, 17, 27, 28, 29, 31, 32, 33, 36, 56, 57, 67, 203,
            ] {
                let x = rng.complex_noise(n_out + len - 1, 1.0);
                let want = by_definition(&taps, &x, n_out);
                let mut y = vec![0.0f32; 2 * n_out];
                fir_parallel(&taps, as_f32(&x), &mut y);
                assert_eq!(
                    bits(&y),
                    bits(as_f32(&want)),
                    "portable, {len} taps, {n_out} outputs"
                );
                #[cfg(target_arch = "x86_64")]
                if std::arch::is_x86_feature_detected!("avx2") {
                    let mut y = vec![0.0f32; 2 * n_out];
                    // SAFETY: the CPU has AVX2.
                    unsafe { super::super::simd::fir_parallel(&taps, as_f32(&x), &mut y) };
                    assert_eq!(
                        bits(&y),
                        bits(as_f32(&want)),
                        "AVX2, {len} taps, {n_out} outputs"
                    );
                }
            }
        }
    }

    #[test]
    fn dot_matches_naive_sum() {
        let n = 3 * LANES;
        let a: Vec<f32> = (0..n).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..n).map(|i| (i as f32 * 0.11).cos()).collect();
        let d = dot(&a, &b);
        let re: f64 = (0..n).step_by(2).map(|i| a[i] as f64 * b[i] as f64).sum();
        let im: f64 = (1..n).step_by(2).map(|i| a[i] as f64 * b[i] as f64).sum();
        assert!((d.re as f64 - re).abs() < 1e-5);
        assert!((d.im as f64 - im).abs() < 1e-5);
    }

    #[test]
    fn rejects_bad_taps_and_decimation() {
        assert!(FirKernel::new(&[], 1).is_err());
        assert!(FirKernel::new(&[1.0, f32::NAN], 1).is_err());
        assert!(FirKernel::new(&[1.0], 0).is_err());
    }
}
