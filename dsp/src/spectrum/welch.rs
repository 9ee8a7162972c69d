//! Streaming Welch power spectral density.

use num_complex::Complex32;

use super::periodogram::Periodogram;
use super::power_to_db;
use crate::filter::design::{invalid, DesignError, Window};

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchConfig {
    /// Segment and FFT length.
    pub fft_size: usize,
    pub window: Window,
    /// Fraction of each segment shared with the next, in [0, 1).
    pub overlap: f32,
}

impl Default for WelchConfig {
    /// 4096 bins, Hann, 50 % overlap (Hann at 50 % overlap weights every
    /// sample almost equally).
    fn default() -> Self {
        WelchConfig {
            fft_size: 4096,
            window: Window::Hann,
            overlap: 0.5,
        }
    }
}

/// Averages the periodograms of overlapping windowed segments.
///
/// Segments start every `hop = round(fft_size · (1 - overlap))` samples
/// (at least 1), counted from the first sample pushed, and are formed across
/// `push` boundaries, so the result is bit-identical whatever the chunking.
/// Scaling as in [`super`]: a complex tone of amplitude 1 centred on a bin
/// reads 1.0 (0 dB) in that bin; white noise of power σ² reads
/// `σ²·enbw_bins/fft_size` per bin ([`Welch::psd_density`] divides that out).
/// Allocates only in `new` and in the `psd*` getters.
#[derive(Debug)]
pub struct Welch {
    config: WelchConfig,
    hop: usize,
    periodogram: Periodogram,
    /// Samples of the segment being gathered (fewer than `fft_size`).
    pending: Vec<Complex32>,
    /// Σ of unshifted per-bin power over all segments.
    sum: Vec<f64>,
    segments: u64,
}

impl Welch {
    pub fn new(config: WelchConfig) -> Result<Self, DesignError> {
        if !(0.0..1.0).contains(&config.overlap) {
            return Err(invalid(
                "overlap",
                config.overlap as f64,
                "a fraction in [0, 1)",
            ));
        }
        let periodogram = Periodogram::new(config.fft_size, config.window)?;
        let n = config.fft_size;
        let hop = ((n as f64 * (1.0 - config.overlap as f64)).round() as usize).clamp(1, n);
        Ok(Welch {
            config,
            hop,
            periodogram,
            pending: Vec::with_capacity(n),
            sum: vec![0.0; n],
            segments: 0,
        })
    }

    pub fn config(&self) -> &WelchConfig {
        &self.config
    }

    pub fn fft_size(&self) -> usize {
        self.config.fft_size
    }

    /// Samples between segment starts.
    pub fn hop(&self) -> usize {
        self.hop
    }

    /// Adds samples; every completed segment is transformed and accumulated.
    pub fn push(&mut self, samples: &[Complex32]) {
        let n = self.config.fft_size;
        let mut rest = samples;
        while !rest.is_empty() {
            let take = (n - self.pending.len()).min(rest.len());
            self.pending.extend_from_slice(&rest[..take]);
            rest = &rest[take..];
            if self.pending.len() == n {
                let sum = &mut self.sum;
                // Length is fft_size by construction, so this cannot fail.
                if self
                    .periodogram
                    .transform(&self.pending, |k, p| sum[k] += p as f64)
                    .is_ok()
                {
                    self.segments += 1;
                }
                self.pending.copy_within(self.hop.., 0);
                self.pending.truncate(n - self.hop);
            }
        }
    }

    /// Number of segments averaged so far.
    pub fn segments(&self) -> u64 {
        self.segments
    }

    /// Average power per bin (linear), FFT-shifted: index 0 is -fs/2, index
    /// `fft_size/2` is DC. All zeros before the first complete segment.
    pub fn psd(&self) -> Vec<f32> {
        let n = self.config.fft_size;
        let half = n / 2;
        let div = self.segments.max(1) as f64;
        (0..n)
            .map(|i| (self.sum[(i + n - half) % n] / div) as f32)
            .collect()
    }

    /// [`Welch::psd`] in dB (floored at -200 dB).
    pub fn psd_db(&self) -> Vec<f32> {
        self.psd().into_iter().map(power_to_db).collect()
    }

    /// Power spectral density per Hz (linear, FFT-shifted): [`Welch::psd`]
    /// divided by the window's noise bandwidth `enbw_bins · bin_hz`. For
    /// samples in full-scale units, 10·log10 of this is dBFS/Hz.
    pub fn psd_density(&self, sample_rate_hz: f64) -> Vec<f32> {
        let div = (self.periodogram.enbw_bins() * self.bin_hz(sample_rate_hz)) as f32;
        self.psd().into_iter().map(|p| p / div).collect()
    }

    /// Equivalent noise bandwidth of the window, in bins.
    pub fn enbw_bins(&self) -> f64 {
        self.periodogram.enbw_bins()
    }

    /// Width of one bin.
    pub fn bin_hz(&self, sample_rate_hz: f64) -> f64 {
        sample_rate_hz / self.config.fft_size as f64
    }

    /// Forgets all samples and segments.
    pub fn reset(&mut self) {
        self.pending.clear();
        self.sum.iter_mut().for_each(|s| *s = 0.0);
        self.segments = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;
    use std::f64::consts::TAU;

    fn tone(freq_norm: f64, n: usize, amp: f64) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * ((freq_norm * i as f64) % 1.0);
                Complex32::new((amp * p.cos()) as f32, (amp * p.sin()) as f32)
            })
            .collect()
    }

    #[test]
    fn tone_reads_zero_db_at_its_bin_for_each_window() {
        let n = 1024;
        for window in Window::ALL {
            let mut w = Welch::new(WelchConfig {
                fft_size: n,
                window,
                overlap: 0.5,
            })
            .unwrap();
            // Bin-centred tone at -100 bins, i.e. index 412 after the shift.
            w.push(&tone(-100.0 / n as f64, 20 * n, 1.0));
            assert_eq!(w.segments(), 39);
            let db = w.psd_db();
            let peak = db
                .iter()
                .enumerate()
                .max_by(|a, b| a.1.total_cmp(b.1))
                .unwrap();
            assert_eq!(peak.0, 412, "{window}");
            assert!(peak.1.abs() < 1e-3, "{window}: {} dB", peak.1);
        }
    }

    #[test]
    fn noise_density_is_calibrated() {
        let fs = 48_000.0;
        let mut w = Welch::new(WelchConfig {
            fft_size: 256,
            window: Window::BlackmanHarris,
            overlap: 0.75,
        })
        .unwrap();
        let mut rng = TestRng::new(9);
        // Complex noise of power 0.5 over 48 kHz: 0.5/48000 per Hz.
        w.push(&rng.complex_noise(400_000, 0.5));
        let d = w.psd_density(fs);
        let mean: f64 = d.iter().map(|&v| v as f64).sum::<f64>() / d.len() as f64;
        assert!((mean / (0.5 / fs) - 1.0).abs() < 0.02, "{mean}");
        assert_eq!(w.bin_hz(fs), 187.5);
    }

    #[test]
    fn segment_count_follows_hop_and_reset_clears() {
        let mut w = Welch::new(WelchConfig {
            fft_size: 100,
            window: Window::Hann,
            overlap: 0.25,
        })
        .unwrap();
        assert_eq!(w.hop(), 75);
        w.push(&vec![Complex32::new(1.0, 0.0); 99]);
        assert_eq!(w.segments(), 0);
        assert!(w.psd().iter().all(|&p| p == 0.0));
        w.push(&[Complex32::new(1.0, 0.0)]);
        assert_eq!(w.segments(), 1);
        // Segments start at 0, 75, 150, …: 400 samples complete 0,75,…,300.
        w.push(&vec![Complex32::new(1.0, 0.0); 300]);
        assert_eq!(w.segments(), 5);
        // DC of amplitude 1 reads 0 dB at the centre index.
        assert!(w.psd_db()[50].abs() < 1e-4);
        w.reset();
        assert_eq!(w.segments(), 0);
        assert!(w.psd().iter().all(|&p| p == 0.0));
    }

    #[test]
    fn rejects_bad_config() {
        for overlap in [-0.1f32, 1.0, f32::NAN] {
            let c = WelchConfig {
                overlap,
                ..WelchConfig::default()
            };
            assert!(Welch::new(c).unwrap_err().to_string().contains("overlap"));
        }
        let c = WelchConfig {
            fft_size: 0,
            ..WelchConfig::default()
        };
        assert!(Welch::new(c).is_err());
    }
}
