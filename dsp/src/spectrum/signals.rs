//! Finding signals in a power spectrum: noise floor, DC spike removal,
//! regions above the floor.

use super::bin_offset_hz;

/// Tuning for [`find_signals`]. `Default` gives the values documented on
/// each field.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FindOptions {
    /// How far above the noise floor the smoothed spectrum must rise (6 dB).
    /// Raised automatically where the spectrum's own bin-to-bin noise
    /// (`noise_sigmas` standard deviations) would cross it by chance, e.g. in
    /// a spectrum averaged over only a few segments.
    pub threshold_db: f32,
    /// Standard deviations of the spectrum's noise that a bin must exceed (5).
    pub noise_sigmas: f32,
    /// Width of the moving average (in bins) used to find wide signals; 0
    /// picks `max(3, n/512)` (made odd).
    pub smoothing_bins: usize,
    /// Regions separated by at most this many bins become one signal; 0 picks
    /// the smoothing width.
    pub merge_gap_bins: usize,
    /// Bins within ±this of DC are replaced by the mean of their outer
    /// neighbours before anything else (1): RTL-SDR recordings have a spike
    /// there from the I/Q offset. 0 keeps DC as it is (a real signal
    /// exactly at DC would otherwise be removed).
    pub dc_suppress_bins: usize,
    /// Quantile of the smoothed spectrum taken as the noise floor (0.25): a
    /// lower quantile than the median so that signals may cover up to about
    /// three quarters of the band without raising the floor.
    pub floor_quantile: f32,
}

impl Default for FindOptions {
    fn default() -> Self {
        FindOptions {
            threshold_db: 6.0,
            noise_sigmas: 5.0,
            smoothing_bins: 0,
            merge_gap_bins: 0,
            dc_suppress_bins: 1,
            floor_quantile: 0.25,
        }
    }
}

/// One signal found by [`find_signals`]. Offsets are from the spectrum's
/// centre frequency.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Signal {
    /// Centroid of the power above the noise floor across the region.
    pub center_offset_hz: f64,
    /// Frequency of the strongest bin.
    pub peak_offset_hz: f64,
    /// Occupied bandwidth: the span holding 90 % of the region's power above
    /// the floor (5 % cut off each side). A flat band of width B reads 0.9·B;
    /// a tone reads its window's main lobe (3 bins for Hann).
    pub bandwidth_hz: f64,
    /// Level of the strongest bin (same units as the input).
    pub peak_db: f32,
    /// `peak_db` minus the noise floor.
    pub snr_db: f32,
    /// Power above the noise floor summed over the region's bins, in dB of
    /// the input's units. A wide signal with a low peak can carry more power
    /// than a narrow spur: this is what signals are ranked by.
    pub power_db: f32,
}

/// Input levels below this (or non-finite) are clamped to it.
const MIN_DB: f32 = -300.0;

fn quantile(values: &[f32], q: f32) -> f32 {
    if values.is_empty() {
        return f32::NAN;
    }
    let mut v = values.to_vec();
    let k = ((q.clamp(0.0, 1.0) * (v.len() - 1) as f32).round() as usize).min(v.len() - 1);
    let (_, x, _) = v.select_nth_unstable_by(k, |a, b| a.total_cmp(b));
    *x
}

/// Robust standard deviation of the noise in `db` from differences of bins
/// `lag` apart (far enough apart to be independent; slow spectral shape
/// cancels): median |a-b| = 0.6745·√2·σ for Gaussian noise.
fn noise_sigma(db: &[f32], lag: usize) -> f32 {
    if db.len() <= lag {
        return 0.0;
    }
    let diffs: Vec<f32> = db
        .iter()
        .zip(&db[lag..])
        .map(|(a, b)| (a - b).abs())
        .collect();
    quantile(&diffs, 0.5) / (0.6745 * std::f32::consts::SQRT_2)
}

/// Centred moving average of width `w` (odd), truncated at the edges.
fn smooth(lin: &[f64], w: usize) -> Vec<f64> {
    let n = lin.len();
    let half = w / 2;
    let mut prefix = vec![0.0; n + 1];
    for (i, v) in lin.iter().enumerate() {
        prefix[i + 1] = prefix[i] + v;
    }
    (0..n)
        .map(|i| {
            let lo = i.saturating_sub(half);
            let hi = (i + half + 1).min(n);
            (prefix[hi] - prefix[lo]) / (hi - lo) as f64
        })
        .collect()
}

fn to_db(p: f64) -> f32 {
    (10.0 * p.max(1e-30).log10()) as f32
}

fn resolved_smoothing(opts: &FindOptions, n: usize) -> usize {
    let w = if opts.smoothing_bins == 0 {
        (n / 512).max(3)
    } else {
        opts.smoothing_bins
    };
    (w | 1).min(n.max(1) | 1)
}

/// The spectrum with the DC bins replaced by their neighbours' mean, in
/// linear power; non-finite or tiny values clamped to -300 dB.
fn prepare(psd_db: &[f32], dc_suppress_bins: usize) -> Vec<f64> {
    let n = psd_db.len();
    let mut lin: Vec<f64> = psd_db
        .iter()
        .map(|&d| {
            let d = if d.is_finite() { d.max(MIN_DB) } else { MIN_DB };
            10f64.powf(d as f64 / 10.0)
        })
        .collect();
    let c = n / 2;
    let d = dc_suppress_bins;
    if d > 0 && c > d && c + d + 1 < n {
        let fill = (lin[c - d - 1] + lin[c + d + 1]) / 2.0;
        for v in &mut lin[c - d..=c + d] {
            *v = fill;
        }
    }
    lin
}

/// Noise floor in dB as [`find_signals`] estimates it: the
/// `floor_quantile` of the DC-suppressed, smoothed spectrum.
pub fn noise_floor_db(psd_db: &[f32], opts: &FindOptions) -> f32 {
    let lin = prepare(psd_db, opts.dc_suppress_bins);
    let smoothed: Vec<f32> = smooth(&lin, resolved_smoothing(opts, lin.len()))
        .into_iter()
        .map(to_db)
        .collect();
    quantile(&smoothed, opts.floor_quantile)
}

/// Finds signals in an FFT-shifted power spectrum in dB (index 0 = -fs/2,
/// index `n/2` = DC), e.g. [`super::Welch::psd_db`]. Sorted strongest
/// (`power_db`, the power above the floor over the whole region) first.
///
/// 1. DC suppression (see [`FindOptions::dc_suppress_bins`]).
/// 2. Noise floor: a low quantile of the spectrum smoothed over a few bins.
/// 3. A signal starts where the smoothed spectrum is above the floor by
///    `threshold_db` (wide signals), or the raw spectrum is (narrow tones),
///    each threshold raised to `noise_sigmas` times that series' own noise
///    spread, so an un-averaged spectrum's noise is not taken for signals.
///    It extends on both sides while the smoothed spectrum stays above half
///    that threshold (hysteresis).
/// 4. Regions closer than `merge_gap_bins` are one signal.
pub fn find_signals(psd_db: &[f32], sample_rate_hz: f64, opts: &FindOptions) -> Vec<Signal> {
    let n = psd_db.len();
    if n < 3 {
        return Vec::new();
    }
    let w = resolved_smoothing(opts, n);
    let lin = prepare(psd_db, opts.dc_suppress_bins);
    let raw_db: Vec<f32> = lin.iter().map(|&p| to_db(p)).collect();
    let smoothed = smooth(&lin, w);
    let smooth_db: Vec<f32> = smoothed.iter().map(|&p| to_db(p)).collect();

    let floor_db = quantile(&smooth_db, opts.floor_quantile);
    let floor_lin = 10f64.powf(floor_db as f64 / 10.0);
    // Window leakage correlates neighbouring raw bins (up to ~4 apart for
    // the wider windows); a moving average correlates bins up to w apart.
    let raw_thr = opts
        .threshold_db
        .max(opts.noise_sigmas * noise_sigma(&raw_db, 4));
    let smooth_thr = opts
        .threshold_db
        .max(opts.noise_sigmas * noise_sigma(&smooth_db, w));

    // Hysteresis: a region needs one bin over the full threshold and then
    // extends while the smoothed level stays above half of it (in dB), so a
    // wide hump whose level wanders around the threshold stays one region.
    let strong = |i: usize| smooth_db[i] > floor_db + smooth_thr || raw_db[i] > floor_db + raw_thr;
    let weak = |i: usize| strong(i) || smooth_db[i] > floor_db + smooth_thr / 2.0;

    // Runs of weak bins holding at least one strong bin, merged across small
    // gaps.
    let gap = if opts.merge_gap_bins == 0 {
        w
    } else {
        opts.merge_gap_bins
    };
    let mut regions: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < n {
        if !weak(i) {
            i += 1;
            continue;
        }
        let start = i;
        let mut has_strong = false;
        while i < n && weak(i) {
            has_strong |= strong(i);
            i += 1;
        }
        if !has_strong {
            continue;
        }
        let end = i - 1;
        match regions.last_mut() {
            Some(last) if start - last.1 - 1 <= gap => last.1 = end,
            _ => regions.push((start, end)),
        }
    }

    let bin_hz = sample_rate_hz / n as f64;
    let mut signals: Vec<Signal> = regions
        .into_iter()
        .map(|(a, b)| {
            let region = a..=b;
            let peak = region
                .clone()
                .max_by(|&x, &y| lin[x].total_cmp(&lin[y]))
                .unwrap_or(a);
            let (mut wsum, mut fsum) = (0.0, 0.0);
            for k in region.clone() {
                let excess = (lin[k] - floor_lin).max(0.0);
                wsum += excess;
                fsum += excess * k as f64;
            }
            let centroid = if wsum > 0.0 { fsum / wsum } else { peak as f64 };
            // Occupied bandwidth: the span holding the middle 90 % of the
            // excess power (5 % cut from each side).
            let mut lo = a;
            let mut hi = b;
            let mut cum = 0.0;
            let mut found_lo = false;
            for (k, p) in (a..=b).zip(&lin[a..=b]) {
                cum += (p - floor_lin).max(0.0);
                if !found_lo && cum >= 0.05 * wsum {
                    lo = k;
                    found_lo = true;
                }
                if cum >= 0.95 * wsum {
                    hi = k;
                    break;
                }
            }
            let width_bins = (hi.max(lo) - lo + 1) as f64;
            Signal {
                center_offset_hz: (centroid - (n / 2) as f64) * bin_hz,
                peak_offset_hz: bin_offset_hz(peak, n, sample_rate_hz),
                bandwidth_hz: width_bins * bin_hz,
                peak_db: raw_db[peak],
                snr_db: raw_db[peak] - floor_db,
                power_db: to_db(wsum),
            }
        })
        .collect();
    signals.sort_by(|x, y| y.power_db.total_cmp(&x.power_db));
    signals
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::design::{lowpass_taps, Window};
    use crate::filter::test_rng::TestRng;
    use crate::filter::FirFilter;
    use crate::nco::Nco;
    use crate::spectrum::{Periodogram, Welch, WelchConfig};
    use num_complex::Complex32;
    use std::f64::consts::TAU;

    const FS: f64 = 240_000.0;
    const N: usize = 4096;

    fn add_tone(x: &mut [Complex32], freq_hz: f64, amp: f64) {
        for (i, s) in x.iter_mut().enumerate() {
            let p = TAU * ((freq_hz / FS * i as f64) % 1.0);
            *s += Complex32::new((amp * p.cos()) as f32, (amp * p.sin()) as f32);
        }
    }

    fn welch_db(x: &[Complex32]) -> Vec<f32> {
        let mut w = Welch::new(WelchConfig {
            fft_size: N,
            window: Window::Hann,
            overlap: 0.5,
        })
        .unwrap();
        w.push(x);
        w.psd_db()
    }

    fn bin_hz() -> f64 {
        FS / N as f64
    }

    #[test]
    fn finds_a_tone_within_one_bin() {
        let mut rng = TestRng::new(21);
        let mut x = rng.complex_noise(20 * N, 1e-3);
        add_tone(&mut x, 31_234.0, 0.05);
        let s = find_signals(&welch_db(&x), FS, &FindOptions::default());
        assert_eq!(s.len(), 1, "{s:?}");
        assert!((s[0].peak_offset_hz - 31_234.0).abs() <= bin_hz(), "{s:?}");
        assert!(
            (s[0].center_offset_hz - 31_234.0).abs() <= bin_hz(),
            "{s:?}"
        );
        // Tone power -26 dB (minus ≤1.5 dB scalloping); noise per bin is
        // 1e-3 · 1.5 / 4096 → -64.4 dB: SNR ≈ 37-38 dB.
        assert!(s[0].peak_db > -27.6 && s[0].peak_db < -25.9, "{s:?}");
        assert!((s[0].snr_db - 38.4).abs() < 2.0, "{s:?}");
    }

    #[test]
    fn finds_two_tones_strongest_first() {
        let mut rng = TestRng::new(22);
        let mut x = rng.complex_noise(20 * N, 1e-3);
        add_tone(&mut x, -50_000.0, 0.01);
        add_tone(&mut x, 70_000.0, 0.1);
        let s = find_signals(&welch_db(&x), FS, &FindOptions::default());
        assert_eq!(s.len(), 2, "{s:?}");
        assert!((s[0].peak_offset_hz - 70_000.0).abs() <= bin_hz());
        assert!((s[1].peak_offset_hz + 50_000.0).abs() <= bin_hz());
        assert!((s[0].center_offset_hz - 70_000.0).abs() <= bin_hz());
        assert!((s[1].center_offset_hz + 50_000.0).abs() <= bin_hz());
        assert!((s[0].peak_db - s[1].peak_db - 20.0).abs() < 2.0);
    }

    /// White noise lowpassed to ±bw/2 and moved to `centre_hz`: a flat band
    /// like a QPSK signal's.
    fn wide_band(
        rng: &mut TestRng,
        len: usize,
        centre_hz: f64,
        bw_hz: f64,
        power: f64,
    ) -> Vec<Complex32> {
        let taps = lowpass_taps(bw_hz / 2.0 / FS, 0.02, 70.0).unwrap();
        let mut band = Vec::new();
        FirFilter::new(&taps)
            .unwrap()
            .process(&rng.complex_noise(len, power * FS / bw_hz), &mut band);
        let mut out = Vec::new();
        Nco::new(centre_hz / FS).unwrap().mix(&band, &mut out);
        out
    }

    #[test]
    fn finds_a_wide_band_as_one_signal() {
        let mut rng = TestRng::new(23);
        for &(centre, bw, snr_db) in &[
            (-20_000.0, 60_000.0, 10.0),
            (35_000.0, 20_000.0, 8.0),
            (0.0, 100_000.0, 15.0),
        ] {
            let len = 40 * N;
            let noise_power = 1e-2;
            // SNR per Hz inside the band: band density / noise density.
            let band_power = noise_power * bw / FS * 10f64.powf(snr_db / 10.0);
            let mut x = wide_band(&mut rng, len, centre, bw, band_power);
            for (s, n) in x.iter_mut().zip(rng.complex_noise(len, noise_power)) {
                *s += n;
            }
            let s = find_signals(&welch_db(&x), FS, &FindOptions::default());
            assert_eq!(s.len(), 1, "centre {centre}: {s:?}");
            let sig = s[0];
            assert!(
                (sig.center_offset_hz - centre).abs() < 4.0 * bin_hz(),
                "{sig:?}"
            );
            // 90 % of the power of a band whose -6 dB edges are bw apart.
            assert!((sig.bandwidth_hz - 0.9 * bw).abs() < 0.01 * FS, "{sig:?}");
            // The peak bin is the highest of many noisy bins across the band,
            // so it reads above the band's mean SNR.
            let excess = sig.snr_db - snr_db as f32;
            assert!((-1.0..3.5).contains(&excess), "{sig:?}");
        }
    }

    #[test]
    fn pure_noise_has_no_signals() {
        for seed in 0..8 {
            let mut rng = TestRng::new(100 + seed);
            // Well averaged…
            let x = rng.complex_noise(30 * N, 1.0);
            let s = find_signals(&welch_db(&x), FS, &FindOptions::default());
            assert!(s.is_empty(), "seed {seed}: {s:?}");
            // …and a single raw periodogram for every window.
            for window in Window::ALL {
                let mut p = Periodogram::new(N, window).unwrap();
                let mut db = Vec::new();
                p.power_db(&x[..N], &mut db).unwrap();
                let s = find_signals(&db, FS, &FindOptions::default());
                assert!(s.is_empty(), "seed {seed} {window}: {s:?}");
            }
        }
    }

    #[test]
    fn dc_spike_is_suppressed_by_default_only() {
        let mut rng = TestRng::new(24);
        let mut x = rng.complex_noise(20 * N, 1e-3);
        for s in &mut x {
            *s += Complex32::new(0.02, -0.01);
        }
        add_tone(&mut x, -40_000.0, 0.01);
        let db = welch_db(&x);
        let s = find_signals(&db, FS, &FindOptions::default());
        assert_eq!(s.len(), 1, "{s:?}");
        assert!((s[0].peak_offset_hz + 40_000.0).abs() <= bin_hz());
        let keep_dc = FindOptions {
            dc_suppress_bins: 0,
            ..FindOptions::default()
        };
        let s = find_signals(&db, FS, &keep_dc);
        assert_eq!(s.len(), 2, "{s:?}");
        assert_eq!(s[0].peak_offset_hz, 0.0);
    }

    #[test]
    fn floor_estimate_and_degenerate_input() {
        let db = vec![-50.0f32; 1024];
        assert!((noise_floor_db(&db, &FindOptions::default()) + 50.0).abs() < 1e-3);
        assert!(find_signals(&db, FS, &FindOptions::default()).is_empty());
        assert!(find_signals(&[], FS, &FindOptions::default()).is_empty());
        let weird = vec![f32::NEG_INFINITY, f32::NAN, 0.0, 3.0];
        let _ = find_signals(&weird, FS, &FindOptions::default());
    }
}
