//! Carrier frequency and SNR of one signal in a channel, from a short stretch of
//! baseband (a decoded frame's samples): what a frame log reports next to each frame.
//!
//! Modulation-blind on purpose: the power centroid of a symmetric spectrum (FSK tone
//! pairs, PSK main lobes, FM with a symmetric message) is its carrier, so one estimate
//! serves every decoder and needs nothing from its loops.

use num_complex::Complex32;

use super::welch::{Welch, WelchConfig};
use crate::filter::design::Window;

/// Aimed resolution of the spectrum: fine enough to place a carrier to a few Hz by
/// its centroid, coarse enough to average several segments over one short frame.
const TARGET_BIN_HZ: f64 = 40.0;
/// Fewest Welch segments (50 % overlap) the window must give for a usable floor.
const MIN_SEGMENTS: usize = 4;
/// Bins more than this above the floor are the signal.
const SIGNAL_OVER_FLOOR_DB: f32 = 6.0;
/// Quantile of the in-band bins taken as the noise floor: below the signal even
/// when it fills half the channel.
const FLOOR_QUANTILE: f64 = 0.25;

/// The noise floor of a band of power bins: their [`FLOOR_QUANTILE`] quantile, under
/// the signal even when it fills half the band. None when it is not a positive finite
/// power (an all-zero or broken spectrum). `scratch` is reordered.
pub(crate) fn noise_floor(bins: &[f32], scratch: &mut Vec<f32>) -> Option<f32> {
    if bins.is_empty() {
        return None;
    }
    scratch.clear();
    scratch.extend_from_slice(bins);
    let k = ((scratch.len() - 1) as f64 * FLOOR_QUANTILE) as usize;
    let floor = *scratch.select_nth_unstable_by(k, f32::total_cmp).1;
    (floor > 0.0 && floor.is_finite()).then_some(floor)
}

/// One measurement.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CarrierEstimate {
    /// Power centroid of the bins above the floor, relative to the samples' 0 Hz.
    pub offset_hz: f64,
    /// Signal power over the noise power in the measured band (`band_hz`: the
    /// receiver's channel), dB. The noise floor is the 25 % quantile of the in-band
    /// bins, about 1 dB under their mean, so this reads high by about as much.
    pub snr_db: f64,
    /// Width of the bins above the floor, Hz.
    pub occupied_hz: f64,
}

/// Measures the signal within `±band_hz/2` of 0 Hz in `samples` (rate
/// `sample_rate_hz`). None when there are too few samples for a spectrum, or when no
/// bin stands above the noise floor.
pub fn measure_carrier(
    samples: &[Complex32],
    sample_rate_hz: f64,
    band_hz: f64,
) -> Option<CarrierEstimate> {
    if !(sample_rate_hz > 0.0 && band_hz > 0.0) {
        return None;
    }
    let mut fft_size = (sample_rate_hz / TARGET_BIN_HZ).max(64.0) as usize;
    fft_size = fft_size.next_power_of_two();
    // 50 % overlap: n samples give 2n/fft - 1 segments.
    while fft_size > 64 && 2 * samples.len() / fft_size < MIN_SEGMENTS + 1 {
        fft_size /= 2;
    }
    if 2 * samples.len() / fft_size < MIN_SEGMENTS + 1 {
        return None;
    }
    let mut welch = Welch::new(WelchConfig {
        fft_size,
        window: Window::Hann,
        overlap: 0.5,
    })
    .ok()?;
    welch.push(samples);
    let psd = welch.psd();
    let bin_hz = sample_rate_hz / fft_size as f64;
    let half = fft_size / 2;
    let in_band: Vec<(f64, f32)> = psd
        .iter()
        .enumerate()
        .map(|(i, &p)| ((i as f64 - half as f64) * bin_hz, p))
        .filter(|(f, _)| f.abs() <= band_hz / 2.0)
        .collect();
    if in_band.len() < 8 {
        return None;
    }
    let powers: Vec<f32> = in_band.iter().map(|b| b.1).collect();
    let floor = noise_floor(&powers, &mut Vec::new())?;
    let threshold = floor * 10f32.powf(SIGNAL_OVER_FLOOR_DB / 10.0);
    let (mut excess, mut moment, mut bins) = (0.0f64, 0.0f64, 0usize);
    for &(f, p) in &in_band {
        if p > threshold {
            let e = (p - floor) as f64;
            excess += e;
            moment += e * f;
            bins += 1;
        }
    }
    if bins == 0 {
        return None;
    }
    Some(CarrierEstimate {
        offset_hz: moment / excess,
        snr_db: 10.0 * (excess / (floor as f64 * in_band.len() as f64)).log10(),
        occupied_hz: bins as f64 * bin_hz,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulate::gaussian_noise::GaussianNoise;
    use std::f64::consts::TAU;

    const FS: f64 = 48_000.0;

    /// Continuous-phase 2-FSK, ±`dev_hz` around `carrier_hz`, random bits at `baud`;
    /// also the mean frequency it was sent at (ones and zeros are never quite
    /// balanced, and the centroid follows them).
    fn fsk(
        carrier_hz: f64,
        dev_hz: f64,
        baud: f64,
        n: usize,
        amp: f64,
        seed: u64,
    ) -> (Vec<Complex32>, f64) {
        let mut rng = GaussianNoise::new(seed);
        let sps = (FS / baud) as usize;
        let mut phase = 0.0f64;
        let mut sign = 1.0;
        let mut sum_hz = 0.0;
        let x = (0..n)
            .map(|i| {
                if i % sps == 0 {
                    sign = if rng.uniform() < 0.5 { -1.0 } else { 1.0 };
                }
                let f = carrier_hz + sign * dev_hz;
                sum_hz += f;
                phase = (phase + TAU * f / FS) % TAU;
                Complex32::new((amp * phase.cos()) as f32, (amp * phase.sin()) as f32)
            })
            .collect();
        (x, sum_hz / n as f64)
    }

    fn with_noise(mut x: Vec<Complex32>, power: f64, seed: u64) -> Vec<Complex32> {
        let mut rng = GaussianNoise::new(seed);
        for s in &mut x {
            *s += rng.complex(power);
        }
        x
    }

    #[test]
    fn finds_an_fsk_carrier_to_a_few_hz() {
        for carrier_hz in [-3_210.0, 0.0, 1_234.0, 5_500.0] {
            let (x, mean_hz) = fsk(carrier_hz, 2_400.0, 4_800.0, 9_600, 1.0, 1);
            let e = measure_carrier(&with_noise(x, 0.05, 2), FS, 24_000.0).expect("a signal");
            // The bins under the threshold (the far sidelobes) are left out, which
            // moves the centroid by up to ~3 % of the deviation from the mean
            // frequency (58 Hz of 2400 at worst here).
            assert!(
                (e.offset_hz - mean_hz).abs() < 75.0,
                "{carrier_hz} (sent at {mean_hz:.0} on average): measured {}",
                e.offset_hz
            );
            assert!(e.occupied_hz > 4_000.0 && e.occupied_hz < 16_000.0, "{e:?}");
        }
    }

    /// 10 dB more noise reads about 10 dB less SNR.
    #[test]
    fn snr_follows_the_noise_level() {
        let (clean, _) = fsk(800.0, 1_200.0, 1_200.0, 24_000, 1.0, 3);
        let a = measure_carrier(&with_noise(clean.clone(), 0.01, 4), FS, 20_000.0).unwrap();
        let b = measure_carrier(&with_noise(clean, 0.1, 4), FS, 20_000.0).unwrap();
        let drop_db = a.snr_db - b.snr_db;
        assert!((drop_db - 10.0).abs() < 1.0, "{a:?} {b:?}");
        // Power 1 against 0.1 spread over 48 kHz, of which 20 kHz measured: 13.8 dB
        // (+ about 1 dB for the floor's quantile).
        assert!((b.snr_db - 14.8).abs() < 1.5, "{b:?}");
    }

    #[test]
    fn noise_alone_or_too_little_gives_nothing_solid() {
        let noise = with_noise(vec![Complex32::new(0.0, 0.0); 9_600], 1.0, 5);
        // A Welch floor at its 25 % quantile has a few bins 6 dB above it by
        // chance: whatever comes out must read as no signal to speak of.
        if let Some(e) = measure_carrier(&noise, FS, 24_000.0) {
            assert!(e.snr_db < 3.0 && e.occupied_hz < 1_000.0, "{e:?}");
        }
        assert_eq!(measure_carrier(&noise[..100], FS, 24_000.0), None);
        assert_eq!(
            measure_carrier(&vec![Complex32::new(0.0, 0.0); 9_600], FS, 24_000.0),
            None
        );
        assert_eq!(measure_carrier(&noise, FS, 0.0), None);
    }
}
