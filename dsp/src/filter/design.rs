//! Filter tap design: Kaiser-windowed sinc lowpass, root-raised-cosine, and the
//! classic spectral-analysis windows.
//!
//! Frequencies ending in `_norm` are in cycles/sample (0 … 0.5 is DC … Nyquist).
//! Taps are computed in `f64` and rounded to `f32` once at the end.

use std::collections::HashMap;
use std::f64::consts::PI;
use std::fmt;

use num_complex::Complex;
use rustfft::FftPlanner;

pub use super::window::Window;

/// Longest filter any design function will return. Far beyond any sensible
/// single-stage design here (it is ~1 MB of taps); asking for more means the
/// parameters are wrong or a multi-stage design is needed.
pub const MAX_TAPS: usize = 1 << 18;

/// A filter, window or block could not be built from the given parameters.
#[derive(Debug, Clone, PartialEq)]
pub enum DesignError {
    /// `name` = `value` is outside what the design can use.
    InvalidParameter {
        name: &'static str,
        value: f64,
        expected: &'static str,
    },
    /// The specification needs more than [`MAX_TAPS`] taps.
    TooManyTaps { needed: f64, max: usize },
    /// A name (e.g. of a window) was not recognised.
    UnknownName { what: &'static str, name: String },
}

impl fmt::Display for DesignError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DesignError::InvalidParameter {
                name,
                value,
                expected,
            } => write!(f, "invalid {name} = {value}: expected {expected}"),
            DesignError::TooManyTaps { needed, max } => write!(
                f,
                "filter would need {needed:.0} taps, more than the limit of {max} \
                 (widen the transition band or decimate in stages)"
            ),
            DesignError::UnknownName { what, name } => write!(f, "unknown {what} {name:?}"),
        }
    }
}

impl std::error::Error for DesignError {}

pub(crate) fn invalid(name: &'static str, value: f64, expected: &'static str) -> DesignError {
    DesignError::InvalidParameter {
        name,
        value,
        expected,
    }
}

/// Modified Bessel function of the first kind, order 0, by its power series.
/// The series converges for all x; the loop stops once terms no longer change
/// the sum in f64.
fn bessel_i0(x: f64) -> f64 {
    let half = x / 2.0;
    let mut term = 1.0;
    let mut sum = 1.0;
    let mut k = 1.0;
    loop {
        term *= (half / k) * (half / k);
        sum += term;
        if term < sum * 1e-17 {
            return sum;
        }
        k += 1.0;
    }
}

/// Kaiser window of `len` points (symmetric), shape `beta` (0 = rectangular).
///
/// Returns an empty vector for `len == 0` and `[1.0]` for `len == 1`.
/// A negative or non-finite `beta` is an error.
pub fn kaiser_window(len: usize, beta: f64) -> Result<Vec<f32>, DesignError> {
    Ok(kaiser_window_f64(len, beta)?
        .into_iter()
        .map(|v| v as f32)
        .collect())
}

pub(crate) fn kaiser_window_f64(len: usize, beta: f64) -> Result<Vec<f64>, DesignError> {
    if !beta.is_finite() || beta < 0.0 {
        return Err(invalid("beta", beta, "a finite value >= 0"));
    }
    if len > MAX_TAPS {
        return Err(DesignError::TooManyTaps {
            needed: len as f64,
            max: MAX_TAPS,
        });
    }
    if len <= 1 {
        return Ok(vec![1.0; len]);
    }
    let denom = bessel_i0(beta);
    // Distance from the centre, so both halves are computed from identical
    // values and the window is exactly symmetric.
    let c = (len - 1) as f64 / 2.0;
    Ok((0..len)
        .map(|n| {
            let r = (n as f64 - c).abs() / c;
            bessel_i0(beta * (1.0 - r * r).max(0.0).sqrt()) / denom
        })
        .collect())
}

/// Kaiser's empirical shape parameter for a stopband attenuation of `a` dB
/// (Kaiser 1974; Oppenheim & Schafer, Discrete-Time Signal Processing, eq. 7.62).
pub fn kaiser_beta(stopband_db: f64) -> f64 {
    let a = stopband_db;
    if a > 50.0 {
        0.1102 * (a - 8.7)
    } else if a >= 21.0 {
        0.5842 * (a - 21.0).powf(0.4) + 0.07886 * (a - 21.0)
    } else {
        0.0
    }
}

/// Kaiser's length estimate for attenuation `a` dB and transition width
/// `transition_norm` cycles/sample (Oppenheim & Schafer eq. 7.63:
/// M = (A - 8) / (2.285 Δω), N = M + 1), rounded up to an odd count so the
/// filter has an integer group delay.
pub fn kaiser_length(stopband_db: f64, transition_norm: f64) -> Result<usize, DesignError> {
    if !stopband_db.is_finite() {
        return Err(invalid("stopband_db", stopband_db, "a finite value in dB"));
    }
    if !(transition_norm > 0.0 && transition_norm.is_finite()) {
        return Err(invalid(
            "transition_norm",
            transition_norm,
            "a finite width > 0 cycles/sample",
        ));
    }
    let order = ((stopband_db - 8.0) / (2.285 * 2.0 * PI * transition_norm)).max(0.0);
    let needed = order.ceil() + 1.0;
    if needed > MAX_TAPS as f64 {
        return Err(DesignError::TooManyTaps {
            needed,
            max: MAX_TAPS,
        });
    }
    let n = needed as usize;
    Ok(if n.is_multiple_of(2) { n + 1 } else { n })
}

/// Lowpass FIR taps: a Kaiser-windowed sinc.
///
/// * `cutoff_norm`: the -6 dB point, centre of the transition band, in (0, 0.5).
/// * `transition_norm`: width of the transition band; the passband ends at
///   `cutoff - transition/2` and the stopband starts at `cutoff + transition/2`,
///   which must not pass Nyquist.
/// * `stopband_db`: attenuation wanted beyond the stopband edge, in (0, 120]
///   (f32 taps cannot hold much more).
///
/// The length starts at Kaiser's estimate (always odd, so the delay is
/// `(len - 1) / 2` samples). That estimate is up to about 1 dB optimistic,
/// so the stopband of the rounded f32 taps is then measured on a dense
/// frequency grid and the filter lengthened in small steps until it meets
/// `stopband_db`. The taps are scaled to a DC gain of exactly 1 (in f64,
/// before rounding to f32).
pub fn lowpass_taps(
    cutoff_norm: f64,
    transition_norm: f64,
    stopband_db: f64,
) -> Result<Vec<f32>, DesignError> {
    if !(cutoff_norm > 0.0 && cutoff_norm < 0.5) {
        return Err(invalid(
            "cutoff_norm",
            cutoff_norm,
            "a frequency in (0, 0.5) cycles/sample",
        ));
    }
    if !(transition_norm > 0.0 && cutoff_norm + transition_norm / 2.0 <= 0.5) {
        return Err(invalid(
            "transition_norm",
            transition_norm,
            "a width > 0 whose stopband edge (cutoff + transition/2) is <= 0.5",
        ));
    }
    if !(stopband_db > 0.0 && stopband_db <= 120.0) {
        return Err(invalid(
            "stopband_db",
            stopband_db,
            "a value in (0, 120] dB",
        ));
    }
    let beta = kaiser_beta(stopband_db);
    let stop_edge = cutoff_norm + transition_norm / 2.0;
    let mut len = kaiser_length(stopband_db, transition_norm)?;
    // Each retry adds ~1.5 %; 64 retries reach 2.6x the estimate, far past
    // the formula's worst error.
    for _ in 0..64 {
        let taps = windowed_sinc(len, cutoff_norm, beta)?;
        // The measuring grid's own error (sampling between sidelobe peaks)
        // is covered by a small margin.
        if stopband_peak_db(&taps, stop_edge) <= -stopband_db - 0.05 {
            return Ok(taps);
        }
        let step = (len / 64).max(2);
        len += step + step % 2;
        if len > MAX_TAPS {
            break;
        }
    }
    Err(DesignError::TooManyTaps {
        needed: len as f64,
        max: MAX_TAPS,
    })
}

fn windowed_sinc(len: usize, cutoff_norm: f64, beta: f64) -> Result<Vec<f32>, DesignError> {
    let window = kaiser_window_f64(len, beta)?;
    let centre = (len - 1) as f64 / 2.0;
    let mut taps: Vec<f64> = window
        .iter()
        .enumerate()
        .map(|(n, w)| {
            let t = (n as f64 - centre).abs();
            2.0 * cutoff_norm * sinc(2.0 * cutoff_norm * t) * w
        })
        .collect();
    let sum: f64 = taps.iter().sum();
    for t in &mut taps {
        *t /= sum;
    }
    Ok(taps.into_iter().map(|t| t as f32).collect())
}

/// Taps any filter can run: at most [`MAX_TAPS`] of them, all finite.
pub(crate) fn check_taps(taps: &[f32]) -> Result<(), DesignError> {
    if taps.len() > MAX_TAPS {
        return Err(DesignError::TooManyTaps {
            needed: taps.len() as f64,
            max: MAX_TAPS,
        });
    }
    if let Some(bad) = taps.iter().find(|t| !t.is_finite()) {
        return Err(invalid("tap", *bad as f64, "finite tap values"));
    }
    Ok(())
}

/// Highest |H(f)| in dB for f in [stop_edge, 0.5], sampled 32 points per
/// 1/len (the width of a sidelobe is about 1/len) by a zero-padded FFT.
pub(crate) fn stopband_peak_db(taps: &[f32], stop_edge: f64) -> f64 {
    // A receiver builds several demodulators with the same filters (Meteor's 72 kBd
    // QPSK and OQPSK share their decimation cascade), each design measuring dozens of
    // candidates: a measurement is kept per thread, keyed by the exact taps and edge,
    // so the same candidate is measured once. Bounded: cleared when full.
    thread_local! {
        static MEASURED: std::cell::RefCell<HashMap<(Vec<u32>, u64), f64>> =
            std::cell::RefCell::new(HashMap::new());
    }
    const MAX_MEASURED: usize = 4096;
    let key = (
        taps.iter().map(|t| t.to_bits()).collect::<Vec<u32>>(),
        stop_edge.to_bits(),
    );
    if let Some(db) = MEASURED.with_borrow(|m| m.get(&key).copied()) {
        return db;
    }
    let db = measure_stopband_peak_db(taps, stop_edge);
    MEASURED.with_borrow_mut(|m| {
        if m.len() >= MAX_MEASURED {
            m.clear();
        }
        m.insert(key, db);
    });
    db
}

/// [`stopband_peak_db`] without the cache.
fn measure_stopband_peak_db(taps: &[f32], stop_edge: f64) -> f64 {
    // Designs try many candidate lengths, each checked here: one planner per
    // thread keeps the FFT plans (a fresh planner recomputed the twiddles every
    // time, most of a demodulator's construction time), and one buffer.
    thread_local! {
        static FFT: std::cell::RefCell<(FftPlanner<f64>, Vec<Complex<f64>>)> =
            std::cell::RefCell::new((FftPlanner::new(), Vec::new()));
    }
    let n = (taps.len() * 32).next_power_of_two().max(4096);
    FFT.with_borrow_mut(|(planner, buf)| {
        buf.clear();
        buf.resize(n, Complex::new(0.0, 0.0));
        for (b, &t) in buf.iter_mut().zip(taps) {
            b.re = t as f64;
        }
        planner.plan_fft_forward(n).process(buf);
        let first = (stop_edge * n as f64).ceil() as usize;
        let peak = buf[first..=n / 2]
            .iter()
            .map(|c| c.norm_sqr())
            .fold(0.0, f64::max);
        10.0 * peak.max(1e-300).log10()
    })
}

/// sin(πx)/(πx).
fn sinc(x: f64) -> f64 {
    if x == 0.0 {
        1.0
    } else {
        (PI * x).sin() / (PI * x)
    }
}

/// Root-raised-cosine taps for `sps` samples per symbol, excess bandwidth
/// `rolloff` (α in [0, 1]) and a length of `span_symbols` symbols.
///
/// The length is `2 * round(span_symbols * sps / 2) + 1` (odd, centred on the
/// peak). The taps are scaled to **unit energy** (Σh² = 1), so a matched pair
/// (this filter convolved with itself) has a peak of 1 and, at integer `sps`,
/// zeros at every other multiple of `sps` (Nyquist), up to truncation.
pub fn rrc_taps(sps: f64, rolloff: f64, span_symbols: usize) -> Result<Vec<f32>, DesignError> {
    if !(sps >= 1.0 && sps.is_finite()) {
        return Err(invalid("sps", sps, "a finite samples-per-symbol >= 1"));
    }
    if !(0.0..=1.0).contains(&rolloff) {
        return Err(invalid("rolloff", rolloff, "a roll-off factor in [0, 1]"));
    }
    if span_symbols == 0 {
        return Err(invalid("span_symbols", 0.0, "at least 1 symbol"));
    }
    let half_f = (span_symbols as f64 * sps / 2.0).round();
    if 2.0 * half_f >= MAX_TAPS as f64 {
        return Err(DesignError::TooManyTaps {
            needed: 2.0 * half_f + 1.0,
            max: MAX_TAPS,
        });
    }
    let half = half_f as usize;
    let len = 2 * half + 1;
    let a = rolloff;
    let mut taps: Vec<f64> = (0..len)
        .map(|n| {
            let t = (n as f64 - half as f64).abs() / sps;
            rrc_value(t, a)
        })
        .collect();
    let energy: f64 = taps.iter().map(|t| t * t).sum();
    let scale = 1.0 / energy.sqrt();
    for t in &mut taps {
        *t *= scale;
    }
    Ok(taps.into_iter().map(|t| t as f32).collect())
}

/// Continuous RRC impulse response at `t` symbols (unnormalised), including
/// its limits at t = 0 and at the removable singularities t = ±1/(4α).
fn rrc_value(t: f64, a: f64) -> f64 {
    // Close enough to the singular points that the general formula loses
    // precision; the limits are exact there.
    const EPS: f64 = 1e-8;
    if t.abs() < EPS {
        return 1.0 - a + 4.0 * a / PI;
    }
    if a > 0.0 && (t.abs() - 1.0 / (4.0 * a)).abs() < EPS {
        let arg = PI / (4.0 * a);
        return a / 2f64.sqrt() * ((1.0 + 2.0 / PI) * arg.sin() + (1.0 - 2.0 / PI) * arg.cos());
    }
    let num = (PI * t * (1.0 - a)).sin() + 4.0 * a * t * (PI * t * (1.0 + a)).cos();
    let den = PI * t * (1.0 - (4.0 * a * t) * (4.0 * a * t));
    num / den
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex64;
    use rustfft::FftPlanner;

    /// |H(f)| in dB on a dense grid (zero-padded FFT), bins 0..=n/2.
    fn magnitude_db(taps: &[f32], fft_len: usize) -> Vec<f64> {
        let mut buf: Vec<Complex64> = (0..fft_len)
            .map(|i| Complex64::new(taps.get(i).map_or(0.0, |&t| t as f64), 0.0))
            .collect();
        FftPlanner::new()
            .plan_fft_forward(fft_len)
            .process(&mut buf);
        buf[..=fft_len / 2]
            .iter()
            .map(|c| 20.0 * c.norm().max(1e-300).log10())
            .collect()
    }

    fn assert_symmetric(taps: &[f32]) {
        let n = taps.len();
        for i in 0..n / 2 {
            assert_eq!(taps[i], taps[n - 1 - i], "tap {i} of {n}");
        }
    }

    #[test]
    fn bessel_i0_matches_known_values() {
        // Abramowitz & Stegun table 9.8 values.
        assert!((bessel_i0(0.0) - 1.0).abs() < 1e-15);
        assert!((bessel_i0(1.0) - 1.266_065_877_752_008_4).abs() < 1e-14);
        assert!((bessel_i0(5.0) - 27.239_871_823_604_45).abs() < 1e-11);
    }

    #[test]
    fn lowpass_is_odd_symmetric_with_unit_dc_gain() {
        for &(fc, tw, a) in &[(0.1, 0.05, 60.0), (0.25, 0.1, 40.0), (0.02, 0.01, 80.0)] {
            let taps = lowpass_taps(fc, tw, a).unwrap();
            assert_eq!(taps.len() % 2, 1);
            assert_symmetric(&taps);
            let dc: f64 = taps.iter().map(|&t| t as f64).sum();
            assert!((dc - 1.0).abs() < 1e-6, "dc gain {dc}");
        }
    }

    #[test]
    fn lowpass_meets_stopband_and_passband() {
        let fft_len = 1 << 16;
        for &(fc, tw, a) in &[
            (0.1, 0.05, 60.0),
            (0.2, 0.04, 80.0),
            (0.05, 0.02, 40.0),
            (0.3, 0.1, 100.0),
            (0.1, 0.02, 120.0),
            (0.45, 0.02, 50.0),
            (0.01, 0.004, 70.0),
            (0.4, 0.2, 30.0),
        ] {
            let taps = lowpass_taps(fc, tw, a).unwrap();
            let mag = magnitude_db(&taps, fft_len);
            let bin = |f: f64| (f * fft_len as f64).round() as usize;
            let stop_start = bin(fc + tw / 2.0) + 1;
            let worst_stop = mag[stop_start..]
                .iter()
                .cloned()
                .fold(f64::NEG_INFINITY, f64::max);
            assert!(
                worst_stop <= -a,
                "fc {fc} tw {tw}: stopband peak {worst_stop:.2} dB, wanted <= -{a}"
            );
            // Passband ripple of a Kaiser design is about the stopband
            // ripple δ: 20log10(1+δ).
            let delta = 10f64.powf(-a / 20.0);
            let ripple_db = 20.0 * (1.0 + 1.5 * delta).log10() + 1e-4;
            let pass_end = bin(fc - tw / 2.0).saturating_sub(1);
            for (k, m) in mag[..=pass_end].iter().enumerate() {
                assert!(m.abs() <= ripple_db, "fc {fc}: bin {k} at {m} dB");
            }
            // -6 dB at the cutoff.
            assert!(
                (mag[bin(fc)] + 6.02).abs() < 0.2,
                "cutoff at {}",
                mag[bin(fc)]
            );
        }
    }

    #[test]
    fn lowpass_rejects_impossible_parameters() {
        assert!(lowpass_taps(0.0, 0.1, 60.0).is_err());
        assert!(lowpass_taps(0.5, 0.1, 60.0).is_err());
        assert!(lowpass_taps(f64::NAN, 0.1, 60.0).is_err());
        assert!(lowpass_taps(0.1, 0.0, 60.0).is_err());
        assert!(lowpass_taps(0.4, 0.3, 60.0).is_err());
        assert!(lowpass_taps(0.1, 0.1, -3.0).is_err());
        assert!(lowpass_taps(0.1, 0.1, f64::INFINITY).is_err());
        let err = lowpass_taps(0.1, 1e-9, 60.0).unwrap_err();
        assert!(matches!(err, DesignError::TooManyTaps { .. }), "{err}");
        assert!(err.to_string().contains("taps"));
    }

    #[test]
    fn rrc_is_symmetric_unit_energy_and_nyquist() {
        for &(sps, alpha) in &[(4.0, 0.35), (8.0, 0.5), (2.0, 0.6), (5.0, 0.25), (4.0, 1.0)] {
            // α = 0.25 at sps 4/8 puts taps exactly on t = ±1/(4α) = ±1 symbol;
            // α = 0.5 puts them on ±0.5 symbol.
            let span = 64;
            let taps = rrc_taps(sps, alpha, span).unwrap();
            assert_eq!(
                taps.len(),
                2 * (span as f64 * sps / 2.0).round() as usize + 1
            );
            assert_symmetric(&taps);
            assert!(taps.iter().all(|t| t.is_finite()));
            let energy: f64 = taps.iter().map(|&t| (t as f64).powi(2)).sum();
            assert!((energy - 1.0).abs() < 1e-6);
            // Matched pair: h * h sampled at symbol spacing.
            let n = taps.len();
            let conv = |lag: usize| -> f64 {
                (0..n - lag)
                    .map(|i| taps[i] as f64 * taps[i + lag] as f64)
                    .sum()
            };
            assert!((conv(0) - 1.0).abs() < 1e-6);
            let s = sps as usize;
            for k in 1..(span / 2) {
                let isi = conv(k * s);
                assert!(
                    isi.abs() < 1e-3,
                    "sps {sps} α {alpha}: ISI {isi} at {k} symbols"
                );
            }
        }
    }

    #[test]
    fn rrc_limit_points_are_continuous() {
        // The value at t = 1/(4α) must equal the general formula just beside it.
        for &a in &[0.2, 0.35, 0.5, 1.0] {
            let t0 = 1.0 / (4.0 * a);
            let at = rrc_value(t0, a);
            let near = (rrc_value(t0 - 1e-5, a) + rrc_value(t0 + 1e-5, a)) / 2.0;
            assert!((at - near).abs() < 1e-6, "α {a}: {at} vs {near}");
            let z = rrc_value(0.0, a);
            let z_near = rrc_value(1e-6, a);
            assert!((z - z_near).abs() < 1e-6, "α {a} at 0: {z} vs {z_near}");
        }
    }

    #[test]
    fn rrc_rejects_impossible_parameters() {
        assert!(rrc_taps(0.5, 0.35, 8).is_err());
        assert!(rrc_taps(4.0, -0.1, 8).is_err());
        assert!(rrc_taps(4.0, 1.1, 8).is_err());
        assert!(rrc_taps(4.0, f64::NAN, 8).is_err());
        assert!(rrc_taps(4.0, 0.35, 0).is_err());
        assert!(rrc_taps(f64::INFINITY, 0.35, 8).is_err());
    }

    #[test]
    fn cached_stopband_measurement_is_the_measurement() {
        // Same taps and edge: the kept value, bit for bit; another edge or one tap's
        // last bit changed: measured afresh.
        let taps = lowpass_taps(0.1, 0.05, 60.0).unwrap();
        for edge in [0.15, 0.2, 0.3] {
            let fresh = measure_stopband_peak_db(&taps, edge);
            for _ in 0..2 {
                assert_eq!(stopband_peak_db(&taps, edge).to_bits(), fresh.to_bits());
            }
        }
        let mut nudged = taps.clone();
        nudged[3] = f32::from_bits(nudged[3].to_bits() + 1);
        assert_eq!(
            stopband_peak_db(&nudged, 0.15).to_bits(),
            measure_stopband_peak_db(&nudged, 0.15).to_bits()
        );
        assert_eq!(lowpass_taps(0.1, 0.05, 60.0).unwrap(), taps);
    }

    #[test]
    fn kaiser_window_shape() {
        let w = kaiser_window(9, 5.0).unwrap();
        assert_symmetric(&w);
        assert!((w[4] - 1.0).abs() < 1e-7);
        // Edge value is 1/I0(β).
        assert!((w[0] as f64 - 1.0 / bessel_i0(5.0)).abs() < 1e-7);
        assert_eq!(kaiser_window(1, 3.0).unwrap(), vec![1.0]);
        assert!(kaiser_window(0, 3.0).unwrap().is_empty());
        assert!(kaiser_window(5, 0.0).unwrap().iter().all(|&v| v == 1.0));
        assert!(kaiser_window(5, -1.0).is_err());
        assert!(kaiser_window(5, f64::NAN).is_err());
    }
}
