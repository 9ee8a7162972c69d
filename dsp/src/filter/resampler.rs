//! Arbitrary-ratio resampler: a polyphase FIR bank with linear interpolation
//! between adjacent phases.

use num_complex::Complex32;

use super::as_f32;

use super::design::{invalid, lowpass_taps, DesignError};

/// Phases of the prototype filter. Linear interpolation between neighbouring
/// phases errs by about (2π·f_c/L)²/8 relative to the taps, f_c ≤ 0.5 cycles
/// per input sample: with L = 64 that is ≤ 3·10⁻⁴ (−70 dB), below the
/// stopbands this resampler is designed for.
const PHASES: usize = 64;

/// Complex samples per SIMD step of the dot product (16 f32 lanes).
const STEP: usize = 8;

/// One turn of the fixed-point fractional time (2⁶⁴).
const FRAC_ONE: f64 = 18_446_744_073_709_551_616.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ResamplerConfig {
    pub input_rate_hz: f64,
    pub output_rate_hz: f64,
    /// One-sided band kept flat (`|f| <= passband_hz`). Must be below
    /// `min(input, output) / 2`.
    pub passband_hz: f64,
    /// Attenuation of everything that would alias or image into the passband.
    pub stopband_db: f64,
}

/// Converts a stream sampled at `input_rate_hz` to `output_rate_hz`, any
/// ratio (rational or not, up or down).
///
/// Output sample `m` is the band-limited input evaluated at input time
/// `m · input_rate / output_rate`: the filter's group delay is compensated,
/// so the output is time-aligned with the input (the first outputs see the
/// zeros assumed before the first input). The output time is kept as an exact
/// 64.64-bit fixed-point number, so the ratio never drifts and the output is
/// bit-identical whatever the chunking.
///
/// Filter: Kaiser lowpass flat to `passband_hz`, stopband from
/// `min(input, output) - passband_hz` (the lowest frequency that folds into
/// the passband after decimation, or the lowest image after interpolation),
/// designed on a grid of [`PHASES`] phases per input sample.
#[derive(Debug, Clone)]
pub struct Resampler {
    config: ResamplerConfig,
    /// `PHASES + 1` phases of `taps_per_phase` taps, each reversed (oldest
    /// input first) and duplicated (`h, h`) for an interleaved re/im dot.
    bank: Vec<f32>,
    taps_per_phase: usize,
    /// Inputs from absolute index `hist_start` on.
    hist: Vec<Complex32>,
    hist_start: i64,
    /// Time of the next output, in input samples: `t_int + t_frac / 2⁶⁴`.
    t_int: i64,
    t_frac: u64,
    step_int: i64,
    step_frac: u64,
    /// Initial value of the time, for `reset`.
    t0_int: i64,
    t0_frac: u64,
}

fn to_fixed(x: f64) -> (i64, u64) {
    let int = x.floor();
    let frac = ((x - int) * FRAC_ONE).round();
    // Rounding can reach exactly one turn.
    if frac >= FRAC_ONE {
        (int as i64 + 1, 0)
    } else {
        (int as i64, frac as u64)
    }
}

impl Resampler {
    pub fn new(config: ResamplerConfig) -> Result<Self, DesignError> {
        let ResamplerConfig {
            input_rate_hz: fs_in,
            output_rate_hz: fs_out,
            passband_hz: pass,
            stopband_db,
        } = config;
        if !(fs_in > 0.0 && fs_in.is_finite()) {
            return Err(invalid("input_rate_hz", fs_in, "a finite rate > 0 Hz"));
        }
        if !(fs_out > 0.0 && fs_out.is_finite()) {
            return Err(invalid("output_rate_hz", fs_out, "a finite rate > 0 Hz"));
        }
        // A ratio beyond this would need an absurdly long filter per output
        // (or produce absurdly many outputs per input).
        if !(fs_in / fs_out <= 4096.0 && fs_out / fs_in <= 4096.0) {
            return Err(invalid(
                "output_rate_hz",
                fs_out,
                "a rate within a factor 4096 of input_rate_hz",
            ));
        }
        let narrow = fs_in.min(fs_out);
        if !(pass > 0.0 && pass < narrow / 2.0) {
            return Err(invalid(
                "passband_hz",
                pass,
                "a width > 0 and < min(input_rate_hz, output_rate_hz) / 2",
            ));
        }
        if !(stopband_db > 0.0 && stopband_db <= 120.0) {
            return Err(invalid(
                "stopband_db",
                stopband_db,
                "a value in (0, 120] dB",
            ));
        }
        let stop = narrow - pass;
        let grid = fs_in * PHASES as f64;
        let proto = lowpass_taps(
            (pass + stop) / 2.0 / grid,
            (stop - pass) / grid,
            stopband_db,
        )?;
        let delay = (proto.len() - 1) as f64 / 2.0 / PHASES as f64;

        // Phase p, tap j is proto[j·L + p]; phase L is phase 0 one input
        // later, which the interpolation between phases L-1 and L needs.
        let taps_needed = proto.len().div_ceil(PHASES) + 1;
        let taps_per_phase = taps_needed.div_ceil(STEP) * STEP;
        let mut bank = vec![0.0f32; (PHASES + 1) * taps_per_phase * 2];
        let gain = PHASES as f32;
        for p in 0..=PHASES {
            let row = &mut bank[p * taps_per_phase * 2..(p + 1) * taps_per_phase * 2];
            for j in 0..taps_per_phase {
                let idx = j * PHASES + p;
                let h = proto.get(idx).copied().unwrap_or(0.0) * gain;
                // Tap j multiplies input n_max - j: reversed, so slot
                // taps_per_phase-1-j faces the oldest-first window.
                let slot = taps_per_phase - 1 - j;
                row[2 * slot] = h;
                row[2 * slot + 1] = h;
            }
        }
        let (step_int, step_frac) = to_fixed(fs_in / fs_out);
        let (t0_int, t0_frac) = to_fixed(delay);
        let mut r = Resampler {
            config,
            bank,
            taps_per_phase,
            hist: Vec::new(),
            hist_start: 0,
            t_int: t0_int,
            t_frac: t0_frac,
            step_int,
            step_frac,
            t0_int,
            t0_frac,
        };
        r.reset();
        Ok(r)
    }

    pub fn config(&self) -> &ResamplerConfig {
        &self.config
    }

    /// `input_rate_hz / output_rate_hz`: input samples per output sample.
    pub fn ratio(&self) -> f64 {
        self.config.input_rate_hz / self.config.output_rate_hz
    }

    /// Filter taps per output (one phase), after padding.
    pub fn taps_per_phase(&self) -> usize {
        self.taps_per_phase
    }

    /// Back to the state just after `new`.
    pub fn reset(&mut self) {
        let keep = self.taps_per_phase - 1;
        self.hist.clear();
        self.hist.resize(keep, Complex32::new(0.0, 0.0));
        self.hist_start = -(keep as i64);
        self.t_int = self.t0_int;
        self.t_frac = self.t0_frac;
    }

    /// Consumes all of `input`, appending about `input.len() / ratio()` samples.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let j = self.taps_per_phase;
        self.hist.extend_from_slice(input);
        let last = self.hist_start + self.hist.len() as i64 - 1;
        output.reserve(((input.len() as f64 / self.ratio()) as usize).saturating_add(1));
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { self.outputs_avx2(last, output) };
        } else {
            self.outputs(last, output);
        }
        #[cfg(not(target_arch = "x86_64"))]
        self.outputs(last, output);
        // Keep only what the next output's window can reach.
        let first_needed = self.t_int - (j as i64 - 1);
        let drop = (first_needed - self.hist_start).clamp(0, self.hist.len() as i64) as usize;
        if drop > 0 {
            self.hist.drain(..drop);
            self.hist_start += drop as i64;
        }
    }
}

impl Resampler {
    /// The AVX2 build of [`Resampler::outputs`]: wider lanes, no FMA contraction and
    /// the same summation order, so bit-identical output on every x86-64 CPU.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn outputs_avx2(&mut self, last: i64, output: &mut Vec<Complex32>) {
        self.outputs_with(last, output, |a, b| super::simd::dot16(a, b))
    }

    /// Appends every output whose time is at or before input `last`.
    fn outputs(&mut self, last: i64, output: &mut Vec<Complex32>) {
        self.outputs_with(last, output, dot)
    }

    #[inline(always)]
    fn outputs_with(
        &mut self,
        last: i64,
        output: &mut Vec<Complex32>,
        dot: impl Fn(&[f32], &[f32]) -> Complex32,
    ) {
        let j = self.taps_per_phase;
        let row_len = 2 * j;
        while self.t_int <= last {
            let end = (self.t_int - self.hist_start) as usize;
            let window = as_f32(&self.hist[end + 1 - j..=end]);
            // Top 6 bits of the fraction pick the phase, the rest weight the
            // interpolation between it and the next.
            let pos = self.t_frac >> (64 - PHASES.trailing_zeros());
            let p = pos as usize;
            let a = ((self.t_frac << PHASES.trailing_zeros()) as f64 / FRAC_ONE) as f32;
            let lo = dot(&self.bank[p * row_len..(p + 1) * row_len], window);
            let hi = dot(&self.bank[(p + 1) * row_len..(p + 2) * row_len], window);
            output.push(lo + (hi - lo) * a);
            let (frac, carry) = self.t_frac.overflowing_add(self.step_frac);
            self.t_frac = frac;
            self.t_int += self.step_int + carry as i64;
        }
    }
}

/// Interleaved dot product with 16 independent lanes (SIMD-friendly, and a
/// fixed summation order so results do not depend on anything but the data).
#[inline(always)]
fn dot(taps: &[f32], x: &[f32]) -> Complex32 {
    const LANES: usize = 2 * STEP;
    let (tc, _) = taps.as_chunks::<LANES>();
    let (xc, _) = x.as_chunks::<LANES>();
    let mut acc = [0.0f32; LANES];
    for (t, v) in tc.iter().zip(xc) {
        for i in 0..LANES {
            acc[i] += t[i] * v[i];
        }
    }
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
    use crate::filter::test_rng::TestRng;
    use std::f64::consts::TAU;

    fn tone(f_norm: f64, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * ((f_norm * i as f64) % 1.0);
                Complex32::new(p.cos() as f32, p.sin() as f32)
            })
            .collect()
    }

    fn config(fs_in: f64, fs_out: f64, pass: f64) -> ResamplerConfig {
        ResamplerConfig {
            input_rate_hz: fs_in,
            output_rate_hz: fs_out,
            passband_hz: pass,
            stopband_db: 70.0,
        }
    }

    #[test]
    fn tone_comes_out_at_the_same_frequency_and_time() {
        // Up, down, near 1 and irrational ratios.
        let cases = [
            (150e3, 288e3, 60e3, 41e3),
            (1.024e6, 288e3, 70e3, -63e3),
            (2.4e6, 288e3, 70e3, 12.5e3),
            (288e3, 150e3, 67e3, -55e3),
            (100e3, 100e3 * (1.0 + 1e-4), 40e3, 30e3),
            (48e3, 48e3 * std::f64::consts::SQRT_2, 20e3, -7e3),
        ];
        for (fs_in, fs_out, pass, f) in cases {
            let mut r = Resampler::new(config(fs_in, fs_out, pass)).unwrap();
            let n = 40_000;
            let x = tone(f / fs_in, n);
            let mut y = Vec::new();
            r.process(&x, &mut y);
            let expect_len = (n as f64 * fs_out / fs_in) as usize;
            assert!(
                y.len().abs_diff(expect_len) <= 1 + r.taps_per_phase(),
                "{fs_in}->{fs_out}: {} outputs, expected about {expect_len}",
                y.len()
            );
            // Zero delay: output m is the tone at input time m·fs_in/fs_out.
            let settle = 2 * r.taps_per_phase() + (r.taps_per_phase() as f64 / r.ratio()) as usize;
            let stop = y.len() - settle;
            let mut worst = 0.0f64;
            for (m, v) in y.iter().enumerate().take(stop).skip(settle) {
                let p = TAU * ((f / fs_out * m as f64) % 1.0);
                let e = Complex32::new(p.cos() as f32, p.sin() as f32);
                worst = worst.max((v - e).norm() as f64);
            }
            let db = 20.0 * worst.log10();
            assert!(db < -60.0, "{fs_in}->{fs_out} at {f} Hz: error {db:.1} dB");
        }
    }

    #[test]
    fn rejects_what_would_alias() {
        // 1.024 MS/s → 288 kS/s: a tone at 250 kHz would alias to -38 kHz,
        // inside the 70 kHz passband; it must be attenuated by the stopband.
        let mut r = Resampler::new(config(1.024e6, 288e3, 70e3)).unwrap();
        let x = tone(250e3 / 1.024e6, 100_000);
        let mut y = Vec::new();
        r.process(&x, &mut y);
        let tail = &y[200..];
        let p = tail.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / tail.len() as f64;
        assert!(10.0 * p.log10() < -69.0, "alias at {} dB", 10.0 * p.log10());
    }

    #[test]
    fn chunking_does_not_change_output() {
        let mut rng = TestRng::new(3);
        let x = rng.complex_noise(20_011, 1.0);
        for (fs_in, fs_out) in [(150e3f64, 288e3f64), (1.024e6, 288e3), (1.0, 1.0 - 3e-5)] {
            let pass = 0.4 * fs_in.min(fs_out);
            let mut whole = Vec::new();
            Resampler::new(config(fs_in, fs_out, pass))
                .unwrap()
                .process(&x, &mut whole);
            for chunk in [1, 17, 4096] {
                let mut r = Resampler::new(config(fs_in, fs_out, pass)).unwrap();
                let mut y = Vec::new();
                for c in x.chunks(chunk) {
                    r.process(c, &mut y);
                }
                assert!(y == whole, "{fs_in}->{fs_out} chunk {chunk}");
            }
        }
    }

    #[test]
    fn reset_restarts_and_bad_configs_are_errors() {
        let mut rng = TestRng::new(4);
        let x = rng.complex_noise(5000, 1.0);
        let mut r = Resampler::new(config(150e3, 288e3, 60e3)).unwrap();
        let (mut a, mut b) = (Vec::new(), Vec::new());
        r.process(&x, &mut a);
        r.reset();
        r.process(&x, &mut b);
        assert_eq!(a, b);
        assert!(Resampler::new(config(0.0, 1.0, 0.1)).is_err());
        assert!(Resampler::new(config(1.0, f64::NAN, 0.1)).is_err());
        assert!(Resampler::new(config(150e3, 288e3, 75e3)).is_err());
        assert!(Resampler::new(config(150e3, 288e3, 0.0)).is_err());
        assert!(Resampler::new(config(1e6, 1.0, 0.1)).is_err());
        let mut c = config(150e3, 288e3, 60e3);
        c.stopband_db = 0.0;
        let e = Resampler::new(c).unwrap_err();
        assert!(e.to_string().contains("stopband_db"));
    }
}
