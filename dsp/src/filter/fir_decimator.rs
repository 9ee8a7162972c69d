//! FIR filter and integer decimator in one: only the kept outputs are computed.

use num_complex::Complex32;

use super::design::DesignError;
use super::kernel::FirKernel;

/// Filters with real taps and keeps every `M`-th output: equal to running
/// [`super::FirFilter`] and keeping the outputs at input indices 0, M, 2M, …
/// (counted from construction or `reset`), at 1/M of its cost. The history
/// is kept across calls, so output is bit-identical whatever the chunking.
#[derive(Debug, Clone)]
pub struct FirDecimator {
    kernel: FirKernel,
}

impl FirDecimator {
    /// Errors on empty or non-finite taps, or `decimation == 0`.
    pub fn new(taps: &[f32], decimation: usize) -> Result<Self, DesignError> {
        Ok(FirDecimator {
            kernel: FirKernel::new(taps, decimation)?,
        })
    }

    /// Consumes all of `input`, appending about `input.len() / M` samples.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        self.kernel.process(input, output);
    }

    /// As `process`, but passes the input through `map` first (one output per
    /// input, written into the filter's own history buffer), which saves a
    /// copy when a mixer precedes the filter.
    pub(crate) fn process_mapped<F>(
        &mut self,
        input: &[Complex32],
        output: &mut Vec<Complex32>,
        map: F,
    ) where
        F: FnMut(&[Complex32], &mut [Complex32]),
    {
        self.kernel.process_with(input, output, map);
    }

    /// Clears the history and the decimation phase.
    pub fn reset(&mut self) {
        self.kernel.reset();
    }

    pub fn decimation(&self) -> usize {
        self.kernel.decimation()
    }

    pub fn taps(&self) -> &[f32] {
        self.kernel.taps()
    }

    /// Group delay at the input rate, `(len-1)/2` samples for symmetric taps.
    pub fn delay_samples(&self) -> f64 {
        (self.kernel.taps().len() - 1) as f64 / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::design::lowpass_taps;
    use crate::filter::test_rng::TestRng;

    #[test]
    fn equals_filter_then_drop() {
        let mut rng = TestRng::new(7);
        let x = rng.complex_noise(50_003, 1.0);
        for &(m, ntaps) in &[
            (1usize, 31usize),
            (2, 31),
            (3, 64),
            (5, 7),
            (50, 577),
            (7, 1),
        ] {
            let taps: Vec<f32> = (0..ntaps).map(|_| rng.gaussian() as f32 * 0.1).collect();
            // Naive reference in f64: full-rate convolution, keep every M-th.
            let expected: Vec<Complex32> = (0..x.len())
                .step_by(m)
                .map(|n| {
                    let (mut re, mut im) = (0.0f64, 0.0f64);
                    for (k, &h) in taps.iter().enumerate().take(n + 1) {
                        re += h as f64 * x[n - k].re as f64;
                        im += h as f64 * x[n - k].im as f64;
                    }
                    Complex32::new(re as f32, im as f32)
                })
                .collect();
            let mut d = FirDecimator::new(&taps, m).unwrap();
            let mut y = Vec::new();
            d.process(&x, &mut y);
            assert_eq!(y.len(), x.len().div_ceil(m));
            for (a, b) in y.iter().zip(&expected) {
                assert!((a - b).norm() < 1e-5, "M {m}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn lowpass_decimation_keeps_in_band_tone() {
        let taps = lowpass_taps(0.05, 0.04, 60.0).unwrap();
        let mut d = FirDecimator::new(&taps, 8).unwrap();
        assert_eq!(d.decimation(), 8);
        let f = 0.02;
        let x: Vec<Complex32> = (0..8000)
            .map(|n| Complex32::from_polar(1.0, (2.0 * std::f64::consts::PI * f * n as f64) as f32))
            .collect();
        let mut y = Vec::new();
        d.process(&x, &mut y);
        let settle = (taps.len() / 8) + 1;
        for c in &y[settle..] {
            assert!((c.norm() - 1.0).abs() < 2e-3, "{}", c.norm());
        }
        d.reset();
        let mut y2 = Vec::new();
        d.process(&x, &mut y2);
        assert_eq!(y, y2);
    }

    #[test]
    fn rejects_zero_decimation() {
        let e = FirDecimator::new(&[1.0], 0).unwrap_err();
        assert!(e.to_string().contains("decimation"));
    }
}
