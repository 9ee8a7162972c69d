//! Complex FIR filter with real taps, one output per input.

use num_complex::Complex32;

use super::design::DesignError;
use super::kernel::FirKernel;

/// `y[n] = Σ h[k] · x[n-k]`, with `x` taken as zero before the first input
/// (or the last `reset`). Each output sums its terms from 0.0 in a fixed
/// order (the kernel's phased order: `k ≡ L-1 (mod 4)` descending first),
/// each a multiply then an add, so output is bit-identical whatever the
/// chunking and on every CPU.
#[derive(Debug, Clone)]
pub struct FirFilter {
    kernel: FirKernel,
}

impl FirFilter {
    /// Errors on empty or non-finite taps, or more than
    /// [`super::design::MAX_TAPS`].
    pub fn new(taps: &[f32]) -> Result<Self, DesignError> {
        Ok(FirFilter {
            kernel: FirKernel::new(taps, 1)?,
        })
    }

    /// Filters all of `input`, appending `input.len()` samples to `output`.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        self.kernel.process(input, output);
    }

    /// Clears the history (back to the state just after `new`).
    pub fn reset(&mut self) {
        self.kernel.reset();
    }

    pub fn taps(&self) -> &[f32] {
        self.kernel.taps()
    }

    /// Group delay in samples for symmetric (linear-phase) taps: `(len-1)/2`.
    pub fn delay_samples(&self) -> f64 {
        (self.kernel.taps().len() - 1) as f64 / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;

    fn naive(taps: &[f32], x: &[Complex32]) -> Vec<Complex32> {
        (0..x.len())
            .map(|n| {
                let mut acc = num_complex::Complex64::new(0.0, 0.0);
                for (k, &h) in taps.iter().enumerate() {
                    if n >= k {
                        let s = x[n - k];
                        acc += num_complex::Complex64::new(s.re as f64, s.im as f64) * h as f64;
                    }
                }
                Complex32::new(acc.re as f32, acc.im as f32)
            })
            .collect()
    }

    #[test]
    fn matches_direct_convolution() {
        let mut rng = TestRng::new(1);
        for &ntaps in &[1usize, 2, 15, 16, 17, 33, 101] {
            let taps: Vec<f32> = (0..ntaps).map(|_| rng.gaussian() as f32).collect();
            let x = rng.complex_noise(20_000, 1.0);
            let mut f = FirFilter::new(&taps).unwrap();
            let mut y = Vec::new();
            f.process(&x, &mut y);
            let r = naive(&taps, &x);
            assert_eq!(y.len(), x.len());
            for (n, (a, b)) in y.iter().zip(&r).enumerate() {
                assert!((a - b).norm() < 1e-4, "taps {ntaps} n {n}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn impulse_response_is_the_taps_and_reset_clears_history() {
        let taps = [0.5f32, -1.0, 2.0, 0.25];
        let mut f = FirFilter::new(&taps).unwrap();
        let mut x = vec![Complex32::new(0.0, 0.0); 6];
        x[0] = Complex32::new(1.0, 0.0);
        let mut y = Vec::new();
        f.process(&[Complex32::new(9.0, 9.0)], &mut y);
        f.reset();
        y.clear();
        f.process(&x, &mut y);
        let re: Vec<f32> = y.iter().map(|c| c.re).collect();
        assert_eq!(re, vec![0.5, -1.0, 2.0, 0.25, 0.0, 0.0]);
        assert!(y.iter().all(|c| c.im == 0.0));
        assert_eq!(f.delay_samples(), 1.5);
    }

    #[test]
    fn bit_identical_for_any_chunking() {
        let mut rng = TestRng::new(5);
        let x = rng.complex_noise(40_000, 1.0);
        for &ntaps in &[1usize, 7, 51, 80] {
            let taps: Vec<f32> = (0..ntaps).map(|_| rng.gaussian() as f32).collect();
            let mut whole = Vec::new();
            FirFilter::new(&taps).unwrap().process(&x, &mut whole);
            let sizes = [0usize, 1, 2, ntaps - 1, ntaps, ntaps + 1, 33, 5000, 9000];
            let mut f = FirFilter::new(&taps).unwrap();
            let mut y = Vec::new();
            let mut rest = &x[..];
            while !rest.is_empty() {
                let n = sizes[(rng.next_u64() % sizes.len() as u64) as usize].min(rest.len());
                f.process(&rest[..n], &mut y);
                rest = &rest[n..];
            }
            assert_eq!(y.len(), whole.len());
            for (n, (a, b)) in y.iter().zip(&whole).enumerate() {
                assert!(
                    a.re.to_bits() == b.re.to_bits() && a.im.to_bits() == b.im.to_bits(),
                    "{ntaps} taps, output {n}: {a} vs {b}"
                );
            }
        }
    }

    #[test]
    fn appends_to_existing_output() {
        let mut f = FirFilter::new(&[1.0]).unwrap();
        let mut y = vec![Complex32::new(7.0, 7.0)];
        f.process(&[Complex32::new(1.0, 2.0)], &mut y);
        assert_eq!(y, vec![Complex32::new(7.0, 7.0), Complex32::new(1.0, 2.0)]);
    }
}
