//! One windowed FFT of one block: a waterfall row.

use std::sync::Arc;

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::power_to_db;
use crate::filter::design::{invalid, DesignError, Window};

/// Largest FFT accepted (16 M points): beyond any useful spectrum display and
/// a guard against a size that would exhaust memory.
pub const MAX_FFT_SIZE: usize = 1 << 24;

/// Windowed power spectrum of single blocks of `fft_size` samples.
///
/// Scaling: `|X[k]|² / (Σw)²`, FFT-shifted (index 0 = -fs/2, index
/// `fft_size/2` = DC), so a complex tone of amplitude 1 centred on a bin reads
/// 1.0 (0 dB) there for every window. Allocates only in `new`.
pub struct Periodogram {
    window_kind: Window,
    window: Vec<f32>,
    scale: f32,
    fft: Arc<dyn Fft<f32>>,
    buf: Vec<Complex32>,
    scratch: Vec<Complex32>,
}

impl std::fmt::Debug for Periodogram {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Periodogram")
            .field("fft_size", &self.window.len())
            .field("window", &self.window_kind)
            .finish()
    }
}

impl Periodogram {
    /// `fft_size` in 2 ..= [`MAX_FFT_SIZE`] (any size works; powers of two
    /// and small-prime products are fastest).
    pub fn new(fft_size: usize, window: Window) -> Result<Self, DesignError> {
        if !(2..=MAX_FFT_SIZE).contains(&fft_size) {
            return Err(invalid(
                "fft_size",
                fft_size as f64,
                "a size in 2 ..= 16777216",
            ));
        }
        let coefficients = window.coefficients(fft_size);
        let sum: f64 = coefficients.iter().map(|&w| w as f64).sum();
        let fft = FftPlanner::new().plan_fft_forward(fft_size);
        let scratch = vec![Complex32::new(0.0, 0.0); fft.get_inplace_scratch_len()];
        Ok(Periodogram {
            window_kind: window,
            window: coefficients,
            scale: (1.0 / (sum * sum)) as f32,
            fft,
            buf: vec![Complex32::new(0.0, 0.0); fft_size],
            scratch,
        })
    }

    pub fn fft_size(&self) -> usize {
        self.window.len()
    }

    pub fn window(&self) -> Window {
        self.window_kind
    }

    /// Equivalent noise bandwidth of the window, in bins.
    pub fn enbw_bins(&self) -> f64 {
        self.window_kind.enbw_bins(self.fft_size())
    }

    /// Windows and transforms `block` (exactly `fft_size` samples), leaving
    /// the unshifted, scaled power `|X[k]|²/(Σw)²` for bin k available to `f`.
    pub(crate) fn transform<F: FnMut(usize, f32)>(
        &mut self,
        block: &[Complex32],
        mut f: F,
    ) -> Result<(), DesignError> {
        if block.len() != self.fft_size() {
            return Err(invalid(
                "block length",
                block.len() as f64,
                "exactly fft_size samples",
            ));
        }
        for ((b, &x), &w) in self.buf.iter_mut().zip(block).zip(&self.window) {
            *b = x * w;
        }
        self.fft
            .process_with_scratch(&mut self.buf, &mut self.scratch);
        for (k, c) in self.buf.iter().enumerate() {
            f(k, c.norm_sqr() * self.scale);
        }
        Ok(())
    }

    /// Appends the linear power of `block` (FFT-shifted, `fft_size` values).
    /// Errors if `block.len() != fft_size`.
    pub fn power(&mut self, block: &[Complex32], out: &mut Vec<f32>) -> Result<(), DesignError> {
        let n = self.fft_size();
        let start = out.len();
        out.resize(start + n, 0.0);
        let half = n / 2;
        let dst = &mut out[start..];
        let result = self.transform(block, |k, p| dst[(k + half) % n] = p);
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// As [`Periodogram::power`], in dB (floored at -200 dB).
    pub fn power_db(&mut self, block: &[Complex32], out: &mut Vec<f32>) -> Result<(), DesignError> {
        let start = out.len();
        self.power(block, out)?;
        for p in &mut out[start..] {
            *p = power_to_db(*p);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;
    use std::f64::consts::TAU;

    fn tone(bin: f64, n: usize, amp: f64) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * bin * i as f64 / n as f64;
                Complex32::new((amp * p.cos()) as f32, (amp * p.sin()) as f32)
            })
            .collect()
    }

    #[test]
    fn unit_tone_reads_zero_db_in_its_bin_for_every_window() {
        for window in Window::ALL {
            for &n in &[64usize, 1000, 4096] {
                let mut p = Periodogram::new(n, window).unwrap();
                for &bin in &[0i64, 5, -7, (n / 2 - 1) as i64] {
                    let mut out = Vec::new();
                    p.power_db(&tone(bin as f64, n, 1.0), &mut out).unwrap();
                    let idx = (n as i64 / 2 + bin) as usize;
                    assert!(
                        out[idx].abs() < 1e-3,
                        "{window} n {n} bin {bin}: {} dB",
                        out[idx]
                    );
                    let max = out.iter().cloned().fold(f32::MIN, f32::max);
                    assert_eq!(max, out[idx]);
                }
            }
        }
    }

    #[test]
    fn flat_top_reads_amplitude_between_bins() {
        let n = 1024;
        let mut p = Periodogram::new(n, Window::FlatTop).unwrap();
        let mut out = Vec::new();
        p.power_db(&tone(100.5, n, 0.5), &mut out).unwrap();
        let max = out.iter().cloned().fold(f32::MIN, f32::max);
        // 20·log10(0.5) = -6.02 dB; flat-top scalloping is < 0.02 dB.
        assert!((max + 6.0206).abs() < 0.02, "{max}");
    }

    #[test]
    fn white_noise_reads_power_times_enbw_over_n() {
        let n = 512;
        let mut rng = TestRng::new(3);
        for window in Window::ALL {
            let mut p = Periodogram::new(n, window).unwrap();
            let mut mean = 0.0f64;
            let blocks = 400;
            let mut out = Vec::new();
            for _ in 0..blocks {
                out.clear();
                p.power(&rng.complex_noise(n, 2.0), &mut out).unwrap();
                mean += out.iter().map(|&v| v as f64).sum::<f64>() / n as f64;
            }
            mean /= blocks as f64;
            let expected = 2.0 * p.enbw_bins() / n as f64;
            assert!(
                (mean / expected - 1.0).abs() < 0.02,
                "{window}: {mean} vs {expected}"
            );
        }
    }

    #[test]
    fn rejects_bad_sizes() {
        assert!(Periodogram::new(1, Window::Hann).is_err());
        assert!(Periodogram::new(0, Window::Hann).is_err());
        let mut p = Periodogram::new(16, Window::Hann).unwrap();
        let mut out = vec![1.0];
        assert!(p.power(&[Complex32::new(0.0, 0.0); 15], &mut out).is_err());
        assert_eq!(out, vec![1.0]);
        out.clear();
        p.power_db(&[Complex32::new(0.0, 0.0); 16], &mut out)
            .unwrap();
        assert!(out.iter().all(|&v| v == -200.0));
    }
}
