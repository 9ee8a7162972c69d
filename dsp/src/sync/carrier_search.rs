//! Coarse carrier acquisition: the spectral line of the signal raised to the
//! power that strips its modulation.

use std::sync::Arc;

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use super::psk_modulation::PskModulation;
use crate::filter::design::{invalid, lowpass_taps, DesignError, Window};
use crate::filter::FirFilter;

/// Symbols per FFT segment. The line is then `M·Rs/2048` wide per bin
/// (35 Hz at 4× for 72 kBd, i.e. 8.8 Hz of carrier), well inside any
/// carrier loop's pull-in range, and short enough that a 31 Hz/s Doppler ramp
/// moves the line by under one bin per segment.
const SEGMENT_SYMBOLS: f64 = 2048.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarrierSearchConfig {
    pub sample_rate_hz: f64,
    pub symbol_rate_baud: f64,
    pub modulation: PskModulation,
    /// Roll-off of the signal's pulse (sets its bandwidth).
    pub rrc_rolloff: f64,
    /// The carrier is searched for within `±max_offset_hz` of 0.
    pub max_offset_hz: f64,
}

/// Result of a search.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CarrierEstimate {
    /// Carrier frequency relative to the centre of the samples.
    pub offset_hz: f64,
    /// Height of the spectral line over the median of the searched band
    /// (power ratio).
    pub confidence: f64,
    /// `confidence` exceeds what noise alone reaches with probability
    /// [`CarrierSearch::FALSE_ALARM`] (the threshold depends on how many
    /// segments were averaged and how many bins searched).
    pub detected: bool,
}

/// Finds the carrier of a PSK signal within ±`max_offset_hz`.
///
/// Raising BPSK to the 2nd power (QPSK/OQPSK to the 4th) removes the data
/// phases and leaves a spectral line at `M` times the carrier offset. The
/// samples lose their mean (an SDR's DC spike would otherwise give a line at
/// 0 Hz), are lowpassed to the signal's band plus the search range (noise
/// outside it only adds to the power's noise floor), raised to `M`, and the
/// Hann-windowed power spectra of consecutive segments of [`SEGMENT_SYMBOLS`]
/// symbols are averaged. The peak within `±M·max_offset_hz` is refined by a
/// parabola through the log powers of its neighbours.
///
/// Detection: for noise, each bin of an average of `K` periodograms is
/// Gamma(K)-distributed; the threshold on peak/median is where the chance
/// that any of the searched bins exceeds it is [`CarrierSearch::FALSE_ALARM`]
/// (bins are treated as independent, which Hann leakage makes conservative).
pub struct CarrierSearch {
    config: CarrierSearchConfig,
    segment: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    prefilter: Option<FirFilter>,
    /// Sum of periodograms kept by `search_more`, and how many it weighs.
    memory: Vec<f64>,
    memory_segments: f64,
}

impl std::fmt::Debug for CarrierSearch {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CarrierSearch")
            .field("config", &self.config)
            .field("segment", &self.segment)
            .finish()
    }
}

impl Clone for CarrierSearch {
    fn clone(&self) -> Self {
        CarrierSearch {
            config: self.config,
            segment: self.segment,
            fft: Arc::clone(&self.fft),
            window: self.window.clone(),
            prefilter: self.prefilter.clone(),
            memory: self.memory.clone(),
            memory_segments: self.memory_segments,
        }
    }
}

impl CarrierSearch {
    /// Probability that noise alone is reported as `detected`.
    pub const FALSE_ALARM: f64 = 1e-3;

    /// Most segments averaged per search; later samples are ignored.
    pub const MAX_SEGMENTS: usize = 64;

    pub fn new(config: CarrierSearchConfig) -> Result<Self, DesignError> {
        let fs = config.sample_rate_hz;
        if !(fs > 0.0 && fs.is_finite()) {
            return Err(invalid("sample_rate_hz", fs, "a finite rate > 0 Hz"));
        }
        let rs = config.symbol_rate_baud;
        if !(rs > 0.0 && rs <= fs) {
            return Err(invalid(
                "symbol_rate_baud",
                rs,
                "a rate > 0 and <= sample_rate_hz",
            ));
        }
        if !(0.0..=1.0).contains(&config.rrc_rolloff) {
            return Err(invalid(
                "rrc_rolloff",
                config.rrc_rolloff,
                "a roll-off in [0, 1]",
            ));
        }
        let m = config.modulation.order() as f64;
        if !(config.max_offset_hz >= 0.0 && m * config.max_offset_hz < fs / 2.0) {
            return Err(invalid(
                "max_offset_hz",
                config.max_offset_hz,
                "an offset >= 0 whose M-th multiple (M = 2 BPSK, 4 QPSK) is below sample_rate_hz / 2",
            ));
        }
        let segment = ((SEGMENT_SYMBOLS * fs / rs).ceil() as usize)
            .next_power_of_two()
            .clamp(1024, 1 << 20);
        let pass = (rs * (1.0 + config.rrc_rolloff) / 2.0 + config.max_offset_hz) / fs;
        // Only worth filtering when a useful part of the band is noise.
        let prefilter = if pass <= 0.38 {
            Some(FirFilter::new(&lowpass_taps(pass + 0.05, 0.1, 40.0)?)?)
        } else {
            None
        };
        Ok(CarrierSearch {
            config,
            segment,
            fft: FftPlanner::new().plan_fft_forward(segment),
            window: Window::Hann.coefficients(segment),
            prefilter,
            memory: vec![0.0; segment],
            memory_segments: 0.0,
        })
    }

    pub fn config(&self) -> &CarrierSearchConfig {
        &self.config
    }

    /// FFT length; a search needs at least [`CarrierSearch::min_samples`]
    /// samples and averages every further whole segment.
    pub fn segment_len(&self) -> usize {
        self.segment
    }

    pub fn min_samples(&self) -> usize {
        self.segment + self.prefilter_len()
    }

    fn prefilter_len(&self) -> usize {
        self.prefilter.as_ref().map_or(0, |f| f.taps().len())
    }

    /// Estimates the carrier offset of `samples` alone (and makes them the
    /// memory that [`CarrierSearch::search_more`] builds on).
    pub fn search(&mut self, samples: &[Complex32]) -> Result<CarrierEstimate, DesignError> {
        self.search_more(samples, 0.0)
    }

    /// Forgets the spectra kept from earlier searches.
    pub fn forget(&mut self) {
        self.memory.iter_mut().for_each(|p| *p = 0.0);
        self.memory_segments = 0.0;
    }

    /// Like [`CarrierSearch::search`], but adds the new spectra to those of
    /// earlier searches weighted by `keep` (in [0, 1]; 0 = forget them):
    /// integrating longer pulls a weak line out of the noise, as long as the
    /// carrier drifts by less than a bin (`M·Rs/2048`) over the memory. The
    /// spectra are of the samples as given, so the memory stays valid when a
    /// mixer after the search is retuned.
    pub fn search_more(
        &mut self,
        samples: &[Complex32],
        keep: f64,
    ) -> Result<CarrierEstimate, DesignError> {
        if !(0.0..=1.0).contains(&keep) {
            return Err(invalid("keep", keep, "a weight in [0, 1]"));
        }
        if samples.len() < self.min_samples() {
            return Err(invalid(
                "samples",
                samples.len() as f64,
                "at least min_samples() samples",
            ));
        }
        let n = samples.len() as f64;
        let mean = samples
            .iter()
            .fold(num_complex::Complex64::new(0.0, 0.0), |a, s| {
                a + num_complex::Complex64::new(s.re as f64, s.im as f64)
            })
            / n;
        let mean = Complex32::new(mean.re as f32, mean.im as f32);
        let centred: Vec<Complex32> = samples.iter().map(|s| s - mean).collect();
        let filtered = match &mut self.prefilter {
            Some(f) => {
                f.reset();
                let mut y = Vec::with_capacity(centred.len());
                f.process(&centred, &mut y);
                y.drain(..f.taps().len());
                y
            }
            None => centred,
        };
        let seg = self.segment;
        let order = self.config.modulation.order();
        let mut power = std::mem::take(&mut self.memory);
        power.iter_mut().for_each(|p| *p *= keep);
        let mut buf = vec![Complex32::new(0.0, 0.0); seg];
        let mut segments = 0;
        for chunk in filtered.chunks_exact(seg).take(Self::MAX_SEGMENTS) {
            segments += 1;
            for ((b, &x), &w) in buf.iter_mut().zip(chunk).zip(&self.window) {
                let x2 = x * x;
                let xm = if order == 4 { x2 * x2 } else { x2 };
                *b = xm * w;
            }
            self.fft.process(&mut buf);
            for (p, b) in power.iter_mut().zip(&buf) {
                *p += b.norm_sqr() as f64;
            }
        }
        let segments = self.memory_segments * keep + segments as f64;
        self.memory_segments = segments;
        let fs = self.config.sample_rate_hz;
        let bin_hz = fs / seg as f64;
        // One bin of margin: a carrier right at the limit still has its peak
        // (and both neighbours for the interpolation) inside.
        let reach = ((order as f64 * self.config.max_offset_hz / bin_hz).ceil() as i64 + 1)
            .min(seg as i64 / 2 - 2);
        let at = |k: i64| power[k.rem_euclid(seg as i64) as usize];
        let mut best = 0i64;
        let mut in_range = Vec::with_capacity((2 * reach + 1) as usize);
        for k in -reach..=reach {
            let p = at(k);
            in_range.push(p);
            if p > at(best) {
                best = k;
            }
        }
        in_range.sort_by(f64::total_cmp);
        let median = in_range[in_range.len() / 2];
        let (l, c, r) = (at(best - 1), at(best), at(best + 1));
        let delta = if l > 0.0 && c > 0.0 && r > 0.0 {
            let (l, c, r) = (l.ln(), c.ln(), r.ln());
            let d = l - 2.0 * c + r;
            if d < 0.0 {
                (0.5 * (l - r) / d).clamp(-0.5, 0.5)
            } else {
                0.0
            }
        } else {
            0.0
        };
        let confidence = if median > 0.0 { c / median } else { 0.0 };
        // An exponentially weighted sum is not exactly Gamma-distributed;
        // rounding its weight down keeps the threshold on the safe side.
        let threshold =
            noise_threshold(segments.floor() as usize, in_range.len(), Self::FALSE_ALARM);
        self.memory = power;
        Ok(CarrierEstimate {
            offset_hz: (best as f64 + delta) * bin_hz / order as f64,
            confidence,
            detected: confidence > threshold,
        })
    }
}

/// P(X > y) for X ~ Gamma(k, scale 1/k) (mean 1), integer k: the upper
/// tail of an average of k exponential variables, e^{−ky}·Σ_{i<k} (ky)^i/i!,
/// summed in the log domain so large k·y does not underflow.
fn gamma_tail(k: usize, y: f64) -> f64 {
    let ky = k as f64 * y;
    if ky <= 0.0 {
        return 1.0;
    }
    let mut log_term = -ky;
    let mut sum = 0.0;
    for i in 0..k {
        if i > 0 {
            log_term += ky.ln() - (i as f64).ln();
        }
        sum += log_term.exp();
    }
    sum.min(1.0)
}

/// Peak-over-median ratio that noise in `bins` bins, each an average of `k`
/// periodograms, exceeds with probability `p_false`.
fn noise_threshold(k: usize, bins: usize, p_false: f64) -> f64 {
    let k = k.max(1);
    let solve = |target: f64| {
        let (mut lo, mut hi) = (0.0f64, 1000.0f64);
        for _ in 0..200 {
            let mid = 0.5 * (lo + hi);
            if gamma_tail(k, mid) > target {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    };
    solve(p_false / bins.max(1) as f64) / solve(0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::design::rrc_taps;
    use crate::filter::test_rng::TestRng;
    use std::f64::consts::TAU;

    /// PSK at 4 samples per symbol, RRC α = 0.6, carrier at `offset_norm`
    /// cycles/sample, noise at Es/N0 `es_n0_db`, plus a DC spike.
    fn signal(
        rng: &mut TestRng,
        m: PskModulation,
        n_sym: usize,
        offset_norm: f64,
        es_n0_db: f64,
        dc: f32,
    ) -> Vec<Complex32> {
        let sps = 4;
        let mut x = vec![Complex32::new(0.0, 0.0); n_sym * sps];
        for k in 0..n_sym {
            let b = rng.next_u64();
            let r = std::f32::consts::FRAC_1_SQRT_2;
            let i = if b & 1 == 0 { r } else { -r };
            let q = if b & 2 == 0 { r } else { -r };
            match m {
                PskModulation::Bpsk => x[k * sps].re = 1.0,
                PskModulation::Qpsk => x[k * sps] = Complex32::new(i, q),
                PskModulation::Oqpsk => {
                    x[k * sps].re = i;
                    x[k * sps + sps / 2].im = q;
                }
            }
            if m == PskModulation::Bpsk && b & 4 != 0 {
                x[k * sps].re = -1.0;
            }
        }
        let mut y = Vec::new();
        FirFilter::new(&rrc_taps(sps as f64, 0.6, 16).unwrap())
            .unwrap()
            .process(&x, &mut y);
        // Σ|s|² = 1 per symbol (unit-energy taps): N0 = 1 / (Es/N0) per sample.
        let noise = rng.complex_noise(y.len(), 10f64.powf(-es_n0_db / 10.0));
        y.iter()
            .zip(noise)
            .enumerate()
            .map(|(n, (s, nz))| {
                let p = TAU * ((offset_norm * n as f64) % 1.0);
                s * Complex32::from_polar(1.0, p as f32) + nz + Complex32::new(dc, -dc)
            })
            .collect()
    }

    fn config(m: PskModulation) -> CarrierSearchConfig {
        CarrierSearchConfig {
            sample_rate_hz: 288e3,
            symbol_rate_baud: 72e3,
            modulation: m,
            rrc_rolloff: 0.6,
            max_offset_hz: 10e3,
        }
    }

    #[test]
    fn finds_the_carrier_of_each_modulation_at_low_snr() {
        let mut rng = TestRng::new(51);
        for m in PskModulation::ALL {
            for offset in [-10e3, -4321.0, 0.0, 3700.0, 9900.0] {
                let x = signal(&mut rng, m, 16_384, offset / 288e3, 3.0, 0.3);
                let mut s = CarrierSearch::new(config(m)).unwrap();
                let e = s.search(&x).unwrap();
                assert!(
                    (e.offset_hz - offset).abs() < 5.0,
                    "{m} {offset}: found {} Hz",
                    e.offset_hz
                );
                assert!(e.detected, "{m} {offset}: confidence {}", e.confidence);
            }
        }
    }

    #[test]
    fn memory_pulls_a_weak_line_out_of_the_noise() {
        let mut rng = TestRng::new(53);
        let offset = 2500.0;
        let mut s = CarrierSearch::new(config(PskModulation::Qpsk)).unwrap();
        let mut single = Vec::new();
        let mut last = None;
        for _ in 0..6 {
            let x = signal(
                &mut rng,
                PskModulation::Qpsk,
                16_384,
                offset / 288e3,
                0.0,
                0.0,
            );
            single.push(
                CarrierSearch::new(config(PskModulation::Qpsk))
                    .unwrap()
                    .search(&x)
                    .unwrap(),
            );
            last = Some(s.search_more(&x, 0.75).unwrap());
        }
        let last = last.unwrap();
        assert!(
            last.detected && (last.offset_hz - offset).abs() < 5.0,
            "{last:?}"
        );
        // At 0 dB one batch alone is a coin toss.
        let right = single
            .iter()
            .filter(|e| (e.offset_hz - offset).abs() < 5.0)
            .count();
        assert!(right < single.len(), "{single:?}");
        assert!(s.search_more(&[], 2.0).is_err());
        s.forget();
        let x = rng.complex_noise(70_000, 1.0);
        assert!(!s.search_more(&x, 0.75).unwrap().detected);
    }

    #[test]
    fn noise_alone_is_not_detected() {
        let mut rng = TestRng::new(52);
        for m in PskModulation::ALL {
            for n in [9000, 40_000, 140_000] {
                let x = rng.complex_noise(n, 1.0);
                let e = CarrierSearch::new(config(m)).unwrap().search(&x).unwrap();
                assert!(!e.detected, "{m} {n}: confidence {}", e.confidence);
                assert!(e.confidence > 1.5, "{m} {n}: confidence {}", e.confidence);
            }
        }
    }

    #[test]
    fn noise_threshold_matches_the_gamma_statistics() {
        // One periodogram: exponential bins, median ln 2, P(max of B > y) = p
        // at y = ln(B/p).
        let t = noise_threshold(1, 1000, 1e-3);
        assert!((t - (1e6f64).ln() / 2f64.ln()).abs() < 1e-6, "{t}");
        // Averaging lowers it towards 1.
        assert!(noise_threshold(4, 1000, 1e-3) < t);
        assert!(noise_threshold(64, 1000, 1e-3) < 2.0);
        assert!((gamma_tail(3, 0.0) - 1.0).abs() < 1e-12);
        assert!(gamma_tail(200, 10.0) < 1e-300);
    }

    #[test]
    fn too_few_samples_and_bad_config_are_errors() {
        let mut s = CarrierSearch::new(config(PskModulation::Qpsk)).unwrap();
        assert_eq!(s.segment_len(), 8192);
        let e = s.search(&vec![Complex32::new(0.0, 0.0); 100]).unwrap_err();
        assert!(e.to_string().contains("samples"));
        let mut c = config(PskModulation::Qpsk);
        c.max_offset_hz = 40e3;
        assert!(CarrierSearch::new(c).is_err());
        c.modulation = PskModulation::Bpsk;
        assert!(CarrierSearch::new(c).is_ok());
        let mut c = config(PskModulation::Qpsk);
        c.symbol_rate_baud = 0.0;
        assert!(CarrierSearch::new(c).is_err());
    }
}
