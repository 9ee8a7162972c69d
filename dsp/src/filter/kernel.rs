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
//! * The summation order per output depends only on the taps and the window,
//!   never on how the input was chunked, so outputs are bit-exact across
//!   chunkings.

use num_complex::Complex32;

use super::design::{invalid, DesignError, MAX_TAPS};

/// f32 lanes per accumulator set: 32 floats = 16 complex samples per step,
/// enough independent add chains to hide FP add latency on SSE2/AVX.
const LANES: usize = 32;
/// Taps are padded to a multiple of this (half a step of `LANES` floats).
const TAPS_PER_STEP: usize = LANES / 4;

/// Inputs appended per compaction. Large enough that the `L-1` copy at each
/// compaction is small next to the filtering work, small enough to stay in L2.
const BLOCK: usize = 8192;

#[derive(Debug, Clone)]
pub(crate) struct FirKernel {
    /// Reversed, front-padded, each tap duplicated: length 2·padded_len.
    taps_dup: Vec<f32>,
    /// The caller's taps, as given.
    taps: Vec<f32>,
    /// Window length after padding (multiple of TAPS_PER_STEP).
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
        if taps.len() > MAX_TAPS {
            return Err(DesignError::TooManyTaps {
                needed: taps.len() as f64,
                max: MAX_TAPS,
            });
        }
        if let Some(bad) = taps.iter().find(|t| !t.is_finite()) {
            return Err(invalid("tap", *bad as f64, "finite tap values"));
        }
        if decimation == 0 {
            return Err(invalid("decimation", 0.0, "an integer >= 1"));
        }
        let padded_len = taps.len().div_ceil(TAPS_PER_STEP) * TAPS_PER_STEP;
        let pad = padded_len - taps.len();
        let mut taps_dup = vec![0.0f32; 2 * padded_len];
        for (i, &t) in taps.iter().rev().enumerate() {
            taps_dup[2 * (pad + i)] = t;
            taps_dup[2 * (pad + i) + 1] = t;
        }
        let mut hist = Vec::with_capacity(padded_len - 1 + BLOCK);
        hist.resize(padded_len - 1, Complex32::new(0.0, 0.0));
        Ok(FirKernel {
            taps_dup,
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
            &self.taps_dup,
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
                    &self.taps_dup,
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
                &self.taps_dup,
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

/// View complex samples as interleaved `[re, im, re, im, …]`.
fn as_f32(x: &[Complex32]) -> &[f32] {
    // SAFETY: `num_complex::Complex<T>` is `#[repr(C)]` with fields `re`, `im`
    // of type T, so it has the layout of `[T; 2]` (documented by num-complex);
    // the resulting slice covers exactly the same bytes with the same lifetime.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len() * 2) }
}

/// Appends the outputs for window starts `j, j + m, …` below `end` (window for
/// input `base + j` is `hist[j ..= j + padded_len - 1]`); returns the first `j`
/// not done. Runs the AVX2 build of the same code where the CPU has it: AVX2
/// only widens the lanes (no FMA contraction, same summation order), so the
/// output is bit-identical on every x86-64 CPU.
fn outputs(
    taps: &[f32],
    hist: &[Complex32],
    padded_len: usize,
    j: usize,
    end: usize,
    m: usize,
    output: &mut Vec<Complex32>,
) -> usize {
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
