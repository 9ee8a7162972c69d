//! Channel model: receiver clock error, carrier offset and Doppler ramp,
//! phase noise and white Gaussian noise.

use std::f64::consts::TAU;

use num_complex::Complex32;

use super::gaussian_noise::GaussianNoise;
use crate::filter::design::{invalid, DesignError};
use crate::filter::{Resampler, ResamplerConfig};

/// Stopband of the clock-error resampler: far below any noise level a test
/// would set, so the resampler itself is not a measurable impairment.
const RESAMPLER_STOPBAND_DB: f64 = 90.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelConfig {
    /// Rate of the clean input (e.g. the modulator's).
    pub input_rate_hz: f64,
    /// Nominal rate of the receiver that the output is for.
    pub output_rate_hz: f64,
    pub symbol_rate_baud: f64,
    /// Es/N0 of the output; `f64::INFINITY` for no noise.
    pub es_n0_db: f64,
    /// Carrier offset at the start.
    pub carrier_offset_hz: f64,
    /// Rate of change of the carrier offset (Doppler), Hz per second.
    pub doppler_rate_hz_per_s: f64,
    /// Receiver sample-clock error: positive means the receiver's clock runs
    /// fast, so it takes more samples per symbol than nominal.
    pub clock_offset_ppm: f64,
    /// Lorentzian linewidth of the oscillator phase noise (a Wiener phase
    /// with variance 2π·linewidth/fs per sample); 0 for none.
    pub phase_noise_linewidth_hz: f64,
    pub seed: u64,
}

impl ChannelConfig {
    /// A clean channel from `input_rate_hz` to `output_rate_hz`; set the
    /// impairments wanted on the result.
    pub fn clean(input_rate_hz: f64, output_rate_hz: f64, symbol_rate_baud: f64) -> Self {
        ChannelConfig {
            input_rate_hz,
            output_rate_hz,
            symbol_rate_baud,
            es_n0_db: f64::INFINITY,
            carrier_offset_hz: 0.0,
            doppler_rate_hz_per_s: 0.0,
            clock_offset_ppm: 0.0,
            phase_noise_linewidth_hz: 0.0,
            seed: 1,
        }
    }
}

/// Applies, in this order: resampling from `input_rate_hz` to the receiver's
/// true sampling rate `output_rate_hz · (1 + ppm·10⁻⁶)` (band-limited
/// interpolation, flat to 45 % of the lower rate); rotation by the carrier
/// phase `2π(f₀t + ½·ḟ·t²) + φ_pn(t)` with `t = n / output_rate_hz`
/// (receiver time); and complex white Gaussian noise.
///
/// Noise power: the input must carry energy Σ|x|² = 1 per symbol at its own
/// rate, as [`super::PskMod`] produces. After resampling the same symbol
/// spans `output/input` times as many samples of unchanged power, so the
/// per-sample noise variance is `N0 = (output/input) / (Es/N0)`; a matched
/// filter then sees exactly `es_n0_db`.
///
/// Output depends only on the input and the seed, never on the chunking.
#[derive(Debug, Clone)]
pub struct Channel {
    config: ChannelConfig,
    resampler: Option<Resampler>,
    noise: GaussianNoise,
    noise_power: f64,
    phase_step_sigma: f64,
    phase_noise: f64,
    /// Output samples produced so far.
    n: u64,
    scratch: Vec<Complex32>,
}

impl Channel {
    pub fn new(config: ChannelConfig) -> Result<Self, DesignError> {
        let c = config;
        for (name, v) in [
            ("input_rate_hz", c.input_rate_hz),
            ("output_rate_hz", c.output_rate_hz),
            ("symbol_rate_baud", c.symbol_rate_baud),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(invalid(name, v, "a finite rate > 0"));
            }
        }
        if c.es_n0_db.is_nan() || c.es_n0_db == f64::NEG_INFINITY {
            return Err(invalid(
                "es_n0_db",
                c.es_n0_db,
                "a number of dB (or +inf for no noise)",
            ));
        }
        for (name, v) in [
            ("carrier_offset_hz", c.carrier_offset_hz),
            ("doppler_rate_hz_per_s", c.doppler_rate_hz_per_s),
        ] {
            if !v.is_finite() {
                return Err(invalid(name, v, "a finite value"));
            }
        }
        if c.clock_offset_ppm.is_nan() || c.clock_offset_ppm.abs() >= 1e5 {
            return Err(invalid(
                "clock_offset_ppm",
                c.clock_offset_ppm,
                "a clock error within ±100 000 ppm",
            ));
        }
        if !(c.phase_noise_linewidth_hz >= 0.0 && c.phase_noise_linewidth_hz.is_finite()) {
            return Err(invalid(
                "phase_noise_linewidth_hz",
                c.phase_noise_linewidth_hz,
                "a finite linewidth >= 0",
            ));
        }
        let true_rate = c.output_rate_hz * (1.0 + c.clock_offset_ppm * 1e-6);
        let resampler = if true_rate == c.input_rate_hz {
            None
        } else {
            Some(Resampler::new(ResamplerConfig {
                input_rate_hz: c.input_rate_hz,
                output_rate_hz: true_rate,
                passband_hz: 0.45 * c.input_rate_hz.min(true_rate),
                stopband_db: RESAMPLER_STOPBAND_DB,
            })?)
        };
        let energy_per_symbol = true_rate / c.input_rate_hz;
        let noise_power = if c.es_n0_db == f64::INFINITY {
            0.0
        } else {
            energy_per_symbol / 10f64.powf(c.es_n0_db / 10.0)
        };
        Ok(Channel {
            config,
            resampler,
            noise: GaussianNoise::new(c.seed),
            noise_power,
            phase_step_sigma: (TAU * c.phase_noise_linewidth_hz / c.output_rate_hz).sqrt(),
            phase_noise: 0.0,
            n: 0,
            scratch: Vec::new(),
        })
    }

    pub fn config(&self) -> &ChannelConfig {
        &self.config
    }

    /// Complex noise variance added per output sample.
    pub fn noise_power(&self) -> f64 {
        self.noise_power
    }

    pub fn reset(&mut self) {
        if let Some(r) = &mut self.resampler {
            r.reset();
        }
        self.noise = GaussianNoise::new(self.config.seed);
        self.phase_noise = 0.0;
        self.n = 0;
    }

    /// Appends about `input.len() · output/input` samples.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let start = output.len();
        match &mut self.resampler {
            Some(r) => {
                self.scratch.clear();
                r.process(input, &mut self.scratch);
                output.extend_from_slice(&self.scratch);
            }
            None => output.extend_from_slice(input),
        }
        let fs = self.config.output_rate_hz;
        let f0 = self.config.carrier_offset_hz;
        let rate = self.config.doppler_rate_hz_per_s;
        let rotate = f0 != 0.0 || rate != 0.0 || self.phase_step_sigma > 0.0;
        for y in &mut output[start..] {
            if rotate {
                let t = self.n as f64 / fs;
                let cycles = f0 * t + 0.5 * rate * t * t;
                let phase = TAU * (cycles - cycles.floor()) + self.phase_noise;
                let (s, c) = phase.sin_cos();
                *y *= Complex32::new(c as f32, s as f32);
                if self.phase_step_sigma > 0.0 {
                    self.phase_noise = (self.phase_noise
                        + self.phase_step_sigma * self.noise.standard_normal())
                        % TAU;
                }
            }
            if self.noise_power > 0.0 {
                *y += self.noise.complex(self.noise_power);
            }
            self.n += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulate::{PskMod, PskModConfig};
    use crate::sync::PskModulation;

    fn tone(n: usize) -> Vec<Complex32> {
        vec![Complex32::new(1.0, 0.0); n]
    }

    #[test]
    fn carrier_and_doppler_follow_the_phase_law() {
        let mut c = ChannelConfig::clean(100e3, 100e3, 10e3);
        c.carrier_offset_hz = 1234.0;
        c.doppler_rate_hz_per_s = 500.0;
        let mut ch = Channel::new(c).unwrap();
        let mut y = Vec::new();
        ch.process(&tone(200_000), &mut y);
        // Instantaneous frequency from consecutive samples.
        for n in [1000usize, 100_000, 199_000] {
            let f = (y[n + 1] * y[n].conj()).arg() as f64 / TAU * 100e3;
            let expect = 1234.0 + 500.0 * n as f64 / 100e3;
            assert!((f - expect).abs() < 0.5, "n {n}: {f} vs {expect}");
        }
    }

    #[test]
    fn noise_power_gives_the_requested_es_n0() {
        // Es = 1 per symbol at 8 samples per symbol in, 2.5 out.
        let mut c = ChannelConfig::clean(80e3, 25e3, 10e3);
        c.es_n0_db = 7.0;
        let mut ch = Channel::new(c).unwrap();
        let expect = (25.0 / 80.0) / 10f64.powf(0.7);
        assert!((ch.noise_power() - expect).abs() < 1e-12);
        let mut y = Vec::new();
        ch.process(&vec![Complex32::new(0.0, 0.0); 400_000], &mut y);
        let p = y.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / y.len() as f64;
        assert!((p / expect - 1.0).abs() < 0.02, "{p} vs {expect}");
        // And the signal: the power per sample is unchanged (1/8), so a symbol
        // (2.5 output samples) holds 2.5/8 of energy: noise and signal scale
        // alike and the matched filter sees Es/N0 = 7 dB.
        let mut md = PskMod::new(PskModConfig {
            modulation: PskModulation::Qpsk,
            sps: 8,
            rrc_rolloff: 0.5,
            span_symbols: 16,
        })
        .unwrap();
        let bits: Vec<u8> = (0..100_000u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 31) as u8)
            .collect();
        let mut x = Vec::new();
        md.process(&bits, &mut x);
        let mut clean = Channel::new(ChannelConfig::clean(80e3, 25e3, 10e3)).unwrap();
        let mut y = Vec::new();
        clean.process(&x, &mut y);
        let es = y.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / (y.len() as f64 / 2.5);
        assert!((es / (25.0 / 80.0) - 1.0).abs() < 0.02, "Es {es}");
    }

    #[test]
    fn clock_error_changes_the_sample_count() {
        let mut c = ChannelConfig::clean(100e3, 100e3, 10e3);
        c.clock_offset_ppm = 1000.0;
        let mut ch = Channel::new(c).unwrap();
        let mut y = Vec::new();
        ch.process(&tone(1_000_000), &mut y);
        // A fast receiver clock takes 1000 ppm more samples.
        assert!(y.len().abs_diff(1_001_000) < 50, "{}", y.len());
    }

    #[test]
    fn phase_noise_spreads_the_phase_as_a_wiener_process() {
        let mut c = ChannelConfig::clean(100e3, 100e3, 10e3);
        c.phase_noise_linewidth_hz = 10.0;
        c.seed = 5;
        let mut ch = Channel::new(c).unwrap();
        let mut y = Vec::new();
        ch.process(&tone(400_000), &mut y);
        // Var[φ(n+d) − φ(n)] = 2π·Δν·d/fs: 0.0628 rad² for d = 100 samples.
        let d = 100;
        let v: f64 = (0..y.len() - d)
            .step_by(d)
            .map(|n| ((y[n + d] * y[n].conj()).arg() as f64).powi(2))
            .sum::<f64>()
            / ((y.len() - d) / d) as f64;
        let expect = TAU * 10.0 * d as f64 / 100e3;
        assert!((v / expect - 1.0).abs() < 0.1, "{v} vs {expect}");
    }

    #[test]
    fn chunk_invariant_and_errors() {
        let mut c = ChannelConfig::clean(288e3, 150e3, 72e3);
        c.es_n0_db = 3.0;
        c.carrier_offset_hz = -5e3;
        c.doppler_rate_hz_per_s = 31.0;
        c.clock_offset_ppm = -100.0;
        c.phase_noise_linewidth_hz = 1.0;
        let x: Vec<Complex32> = (0..20_011)
            .map(|i| Complex32::from_polar(1.0, i as f32 * 0.37))
            .collect();
        let mut whole = Vec::new();
        Channel::new(c).unwrap().process(&x, &mut whole);
        for chunk in [1, 17, 4096] {
            let mut ch = Channel::new(c).unwrap();
            let mut y = Vec::new();
            for p in x.chunks(chunk) {
                ch.process(p, &mut y);
            }
            assert!(y == whole, "chunk {chunk}");
        }
        assert!(Channel::new(ChannelConfig {
            es_n0_db: f64::NAN,
            ..c
        })
        .is_err());
        assert!(Channel::new(ChannelConfig {
            output_rate_hz: 0.0,
            ..c
        })
        .is_err());
        assert!(Channel::new(ChannelConfig {
            phase_noise_linewidth_hz: -1.0,
            ..c
        })
        .is_err());
        assert!(Channel::new(ChannelConfig {
            clock_offset_ppm: 2e5,
            ..c
        })
        .is_err());
    }
}
