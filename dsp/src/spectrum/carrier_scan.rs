//! Carrier search over a stretch of wideband I/Q: where, within `±span_hz` of where it
//! is expected, a transmitter of known occupied width is, if it is there at all. The
//! search half of an AFC for bursty signals (cubesat telemetry): the caller looks ahead
//! over a block, scans it, and retunes its channel to the hit, or holds its last
//! estimate when nothing stands out.
//!
//! Modulation-blind like [`super::measure_carrier`]: the window of the signal's width
//! that holds the most power above the noise floor is the candidate, and its power
//! centroid (a symmetric spectrum's centre: FSK tone pairs, PSK lobes, FM) the carrier.
//! A burst shorter than the block is not diluted by the quiet around it: the block is
//! cut into short slices, each with its own spectrum, and the strongest slice wins.

use num_complex::Complex32;

use super::carrier::noise_floor;
use super::welch::{Welch, WelchConfig};
use crate::filter::design::{invalid, DesignError, Window};

/// Spectrum bins across the signal's width: enough for a centroid to a small fraction
/// of the width, few enough that a short slice still averages many segments.
const BINS_PER_WIDTH: f64 = 48.0;
/// Fewest Welch segments (50 % overlap) per slice: the noise floor and the window sums
/// must be averages, not single periodograms.
const MIN_SEGMENTS: usize = 16;
/// Shortest slice, s: about a 9k6 frame's preamble and header; shorter bursts than a
/// slice are still found, diluted by the quiet in the rest of their slice.
const MIN_SLICE_S: f64 = 0.1;
/// Power above the floor in the best window, over the floor's power in that window,
/// that counts as a signal (−2 dB of SNR in the signal's width). Noise alone stays
/// under it: with ≥ 16 segments the 25 % quantile sits ~0.17 under the mean (that much
/// "excess" everywhere) and the best of the windows adds a few standard deviations of
/// a ≥ 16·(48/1.5)-sample average, ~0.2 more.
const DETECT_EXCESS: f64 = 0.63;
/// Bins either side of 0 Hz left out (set to the floor): the DC offset of 8-bit
/// receivers is a spike there, not a transmitter.
const DC_NOTCH_BINS: usize = 2;
/// Centroid passes, each over the signal's width around the last centre: from the best
/// window's centre (within a window of the truth when the signal is narrower than the
/// window) to the centre of the spectrum's mass.
const CENTROID_PASSES: usize = 4;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarrierScanConfig {
    pub sample_rate_hz: f64,
    /// Where the carrier should be, Hz from the samples' 0 Hz.
    pub expected_hz: f64,
    /// How far from `expected_hz` it may be (Doppler, oscillator errors), Hz.
    pub span_hz: f64,
    /// Width holding most of the signal's power (Carson's bandwidth for FM and FSK,
    /// about 1.5 × the baud rate for PSK), Hz.
    pub signal_width_hz: f64,
}

/// A signal found in one slice.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarrierHit {
    /// Carrier (power centroid), Hz from the samples' 0 Hz.
    pub offset_hz: f64,
    /// Power over the noise floor within the signal's width, dB.
    pub snr_db: f64,
    /// Index of the sample where the slice that held it starts.
    pub slice_start: usize,
}

/// See the module documentation. Holds its spectrum buffers between calls.
#[derive(Debug)]
pub struct CarrierScan {
    config: CarrierScanConfig,
    welch: Welch,
    slice_samples: usize,
    bin_hz: f64,
    /// Scratch for the noise floor's quantile.
    sorted: Vec<f32>,
    excess: Vec<f64>,
    prefix: Vec<f64>,
}

impl CarrierScan {
    pub fn new(config: CarrierScanConfig) -> Result<Self, DesignError> {
        let fs = config.sample_rate_hz;
        if !(fs.is_finite() && fs > 0.0) {
            return Err(invalid("sample_rate_hz", fs, "a positive rate"));
        }
        if !(config.signal_width_hz > 0.0 && config.signal_width_hz < fs) {
            return Err(invalid(
                "signal_width_hz",
                config.signal_width_hz,
                "a width between 0 and the sample rate",
            ));
        }
        if !(config.span_hz.is_finite() && config.span_hz >= 0.0) {
            return Err(invalid("span_hz", config.span_hz, "a span ≥ 0"));
        }
        if !config.expected_hz.is_finite() {
            return Err(invalid("expected_hz", config.expected_hz, "a frequency"));
        }
        let fft_size = ((fs * BINS_PER_WIDTH / config.signal_width_hz) as usize)
            .next_power_of_two()
            .clamp(64, 1 << 16);
        let slice_samples = ((MIN_SLICE_S * fs) as usize).max((MIN_SEGMENTS + 1) * fft_size / 2);
        let welch = Welch::new(WelchConfig {
            fft_size,
            window: Window::Hann,
            overlap: 0.5,
        })?;
        Ok(CarrierScan {
            config,
            welch,
            slice_samples,
            bin_hz: fs / fft_size as f64,
            sorted: Vec::new(),
            excess: Vec::new(),
            prefix: Vec::new(),
        })
    }

    pub fn config(&self) -> &CarrierScanConfig {
        &self.config
    }

    /// Samples in one slice: `scan` looks at whole slices, and at a shorter last one
    /// when it still makes [`MIN_SEGMENTS`] segments.
    pub fn slice_samples(&self) -> usize {
        self.slice_samples
    }

    /// Moves the search to a new expected frequency (a Doppler prediction).
    pub fn set_expected_hz(&mut self, expected_hz: f64) {
        self.config.expected_hz = expected_hz;
    }

    /// The strongest signal of the block, slice by slice; None when no slice has one
    /// standing out of its noise floor. Its carrier is the average of the slices that
    /// agree with the strongest (within a quarter of the signal's width: the same
    /// burst), weighted by their power above the floor, so a long burst is placed
    /// from all of it.
    pub fn scan(&mut self, block: &[Complex32]) -> Option<CarrierHit> {
        let min_tail = (MIN_SEGMENTS + 1) * self.welch.fft_size() / 2;
        let mut hits: Vec<(CarrierHit, f64)> = Vec::new();
        let mut start = 0;
        while start < block.len() {
            let mut end = (start + self.slice_samples).min(block.len());
            // A short remainder joins the slice before it rather than stand alone.
            if block.len() - end < min_tail {
                end = block.len();
            }
            if end - start >= min_tail {
                if let Some(hit) = self.scan_slice(&block[start..end], start) {
                    let weight = 10f64.powf(hit.snr_db / 10.0) * (end - start) as f64;
                    hits.push((hit, weight));
                }
            }
            start = end;
        }
        let best = hits
            .iter()
            .max_by(|a, b| a.0.snr_db.total_cmp(&b.0.snr_db))?
            .0;
        let (sum, weights) = hits
            .iter()
            .filter(|(h, _)| {
                (h.offset_hz - best.offset_hz).abs() <= self.config.signal_width_hz / 4.0
            })
            .fold((0.0, 0.0), |(s, w), (h, wt)| (s + h.offset_hz * wt, w + wt));
        Some(CarrierHit {
            offset_hz: sum / weights,
            ..best
        })
    }

    fn scan_slice(&mut self, slice: &[Complex32], slice_start: usize) -> Option<CarrierHit> {
        self.welch.reset();
        self.welch.push(slice);
        let psd = self.welch.psd();
        let n = psd.len();
        let half = (n / 2) as f64;
        let bin_of = |hz: f64| hz / self.bin_hz + half;
        let c = &self.config;
        let width_bins = (c.signal_width_hz / self.bin_hz).round().max(1.0) as usize;
        // The band searched: every place the window can sit, its edges included.
        let lo = bin_of(c.expected_hz - c.span_hz - c.signal_width_hz / 2.0)
            .floor()
            .max(0.0) as usize;
        let hi = (bin_of(c.expected_hz + c.span_hz + c.signal_width_hz / 2.0).ceil() as usize)
            .min(n - 1);
        if hi <= lo + width_bins {
            return None;
        }
        let band = &psd[lo..=hi];
        let floor = f64::from(noise_floor(band, &mut self.sorted)?);
        let dc = n / 2;
        self.excess.clear();
        self.excess.extend(band.iter().enumerate().map(|(i, &p)| {
            if (lo + i).abs_diff(dc) <= DC_NOTCH_BINS {
                0.0
            } else {
                f64::from(p) - floor
            }
        }));
        self.prefix.clear();
        self.prefix.push(0.0);
        let mut acc = 0.0;
        for &e in &self.excess {
            acc += e;
            self.prefix.push(acc);
        }
        // Best window of the signal's width among those centred within the span.
        let centre_lo = bin_of(c.expected_hz - c.span_hz).round().max(lo as f64) as usize;
        let centre_hi = (bin_of(c.expected_hz + c.span_hz).round() as usize).min(hi);
        let h = width_bins / 2;
        let mut best: Option<(usize, f64)> = None;
        for centre in centre_lo..=centre_hi {
            let a = centre.saturating_sub(h).max(lo) - lo;
            let b = (centre + h).min(hi) - lo + 1;
            let sum = self.prefix[b] - self.prefix[a];
            if best.is_none_or(|(_, s)| sum > s) {
                best = Some((centre, sum));
            }
        }
        let (centre, sum) = best?;
        let ratio = sum / (floor * (2 * h + 1) as f64);
        if ratio < DETECT_EXCESS {
            return None;
        }
        let mut centre_bin = centre as f64;
        for _ in 0..CENTROID_PASSES {
            let a = (centre_bin - h as f64).round().max(lo as f64) as usize;
            let b = ((centre_bin + h as f64).round() as usize).min(hi);
            let (mut mass, mut moment) = (0.0, 0.0);
            for i in a..=b {
                let e = self.excess[i - lo].max(0.0);
                mass += e;
                moment += e * i as f64;
            }
            if mass <= 0.0 {
                break;
            }
            centre_bin = moment / mass;
        }
        Some(CarrierHit {
            offset_hz: (centre_bin - half) * self.bin_hz,
            snr_db: 10.0 * ratio.log10(),
            slice_start,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulate::gaussian_noise::GaussianNoise;
    use std::f64::consts::TAU;

    const FS: f64 = 240_000.0;

    /// Continuous-phase 2-FSK (random bits) at `carrier_hz` ± `dev_hz`, amplitude 1,
    /// from sample `from` to `to` of `n`, in complex noise of power `noise`; and the
    /// mean frequency sent (ones and zeros are never quite balanced, and the centroid
    /// follows them: ±170 Hz for 0.2 s of 9k6 at ±2.4 kHz).
    #[allow(clippy::too_many_arguments)]
    fn burst(
        n: usize,
        from: usize,
        to: usize,
        carrier_hz: f64,
        dev_hz: f64,
        baud: f64,
        noise: f64,
        seed: u64,
    ) -> (Vec<Complex32>, f64) {
        let mut rng = GaussianNoise::new(seed);
        let sps = (FS / baud) as usize;
        let mut phase = 0.0f64;
        let mut sign = 1.0;
        let mut sum_hz = 0.0;
        let x = (0..n)
            .map(|i| {
                let mut s = rng.complex(noise);
                if (from..to).contains(&i) {
                    if (i - from).is_multiple_of(sps) {
                        sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                    }
                    let f = carrier_hz + sign * dev_hz;
                    sum_hz += f;
                    phase = (phase + TAU * f / FS) % TAU;
                    s += Complex32::new(phase.cos() as f32, phase.sin() as f32);
                }
                s
            })
            .collect();
        (x, sum_hz / (to - from).max(1) as f64)
    }

    fn scan_for(expected_hz: f64, span_hz: f64, width_hz: f64) -> CarrierScan {
        CarrierScan::new(CarrierScanConfig {
            sample_rate_hz: FS,
            expected_hz,
            span_hz,
            signal_width_hz: width_hz,
        })
        .unwrap()
    }

    /// 9k6 GFSK-like bursts, 0.2 s in a 0.5 s block, anywhere within ±12 kHz of the
    /// expected frequency, at 0 dB SNR in a 20 kHz channel: found to within 200 Hz
    /// (Carson's lowpass in the receiver keeps a few hundred Hz of margin).
    #[test]
    fn finds_a_short_burst_within_twelve_khz() {
        let expected = -20_000.0;
        for (k, off) in [-12_000.0, -6_000.0, 0.0, 6_000.0, 12_000.0]
            .into_iter()
            .enumerate()
        {
            // Noise power over the full 240 kHz: 12 × the signal → 0 dB in 20 kHz.
            let (x, sent_hz) = burst(
                120_000,
                50_000,
                98_000,
                expected + off,
                2_400.0,
                9_600.0,
                12.0,
                k as u64,
            );
            let mut s = scan_for(expected, 14_000.0, 2.0 * (2_400.0 + 4_800.0));
            let hit = s.scan(&x).unwrap_or_else(|| panic!("{off}: nothing found"));
            assert!(
                (hit.offset_hz - sent_hz).abs() < 200.0,
                "{off} (sent at {sent_hz:.0}): found {hit:?}"
            );
            assert!(hit.snr_db > 0.0, "{hit:?}");
            // One of the two slices that the burst fills (almost) won.
            assert!([48_000, 72_000].contains(&hit.slice_start), "{hit:?}");
        }
    }

    /// A slow 1k2 signal with a narrow width, and the DC spike of an 8-bit receiver
    /// inside the span (ignored).
    #[test]
    fn narrow_signal_beside_a_dc_spike() {
        let (mut x, sent_hz) = burst(120_000, 0, 120_000, 3_000.0, 600.0, 1_200.0, 4.0, 7);
        for s in &mut x {
            *s += Complex32::new(3.0, 0.0);
        }
        let mut s = scan_for(1_000.0, 4_000.0, 1_800.0);
        let hit = s.scan(&x).expect("a signal");
        assert!((hit.offset_hz - sent_hz).abs() < 40.0, "{sent_hz}: {hit:?}");
    }

    /// Noise alone, white or with the DC spike, never gives a hit (seeded, many
    /// blocks), nor do too few samples or silence.
    #[test]
    fn noise_alone_gives_nothing() {
        let mut s = scan_for(-20_000.0, 14_000.0, 14_400.0);
        let mut narrow = scan_for(0.0, 4_000.0, 1_800.0);
        for seed in 0..20 {
            let (mut x, _) = burst(120_000, 0, 0, 0.0, 0.0, 9_600.0, 1.0, 100 + seed);
            assert_eq!(s.scan(&x), None, "seed {seed}");
            for v in &mut x {
                *v += Complex32::new(0.5, 0.0);
            }
            assert_eq!(narrow.scan(&x), None, "seed {seed}");
        }
        let (x, _) = burst(1_000, 0, 0, 0.0, 0.0, 9_600.0, 1.0, 1);
        assert_eq!(s.scan(&x), None);
        assert_eq!(s.scan(&vec![Complex32::new(0.0, 0.0); 120_000]), None);
    }

    #[test]
    fn bad_configuration_is_an_error() {
        let good = CarrierScanConfig {
            sample_rate_hz: FS,
            expected_hz: 0.0,
            span_hz: 1_000.0,
            signal_width_hz: 1_000.0,
        };
        assert!(CarrierScan::new(good).is_ok());
        for bad in [
            CarrierScanConfig {
                sample_rate_hz: 0.0,
                ..good
            },
            CarrierScanConfig {
                signal_width_hz: FS,
                ..good
            },
            CarrierScanConfig {
                span_hz: f64::NAN,
                ..good
            },
        ] {
            assert!(CarrierScan::new(bad).is_err(), "{bad:?}");
        }
    }
}
