//! Automatic gain control that tracks the signal's mean power.

use num_complex::Complex32;

use crate::filter::design::{invalid, DesignError};

/// Smallest power the AGC divides by: a run of exact zeros (digital silence)
/// stays zero instead of blowing up.
const MIN_POWER: f64 = 1e-30;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AgcConfig {
    /// Samples per symbol of the input (sets the time scale below).
    pub sps: f64,
    /// Time constant, in symbols, with which the power estimate rises.
    pub attack_symbols: f64,
    /// Time constant, in symbols, with which it falls.
    pub decay_symbols: f64,
    /// Mean power `E|y|²` the output is scaled to.
    pub target_power: f64,
}

impl AgcConfig {
    /// Defaults for a PSK demodulator: the gain follows fades over about a
    /// hundred symbols but does not ride on the modulation (attack 50
    /// symbols, decay 200 symbols, unit output power).
    pub fn for_sps(sps: f64) -> Self {
        AgcConfig {
            sps,
            attack_symbols: 50.0,
            decay_symbols: 200.0,
            target_power: 1.0,
        }
    }
}

/// `y = x · sqrt(target / P)`, with `P` a one-pole average of `|x|²` that uses
/// the attack time constant while `|x|²` is above it and the decay time
/// constant below. Until as many samples as the longer time constant have
/// been seen, `P` is at least as fast as their plain mean, so there is no
/// seed value and no long start-up error. Bit-identical output for any
/// chunking.
#[derive(Debug, Clone)]
pub struct Agc {
    config: AgcConfig,
    attack: f64,
    decay: f64,
    power: f64,
    /// Samples seen, up to `warmup`.
    count: f64,
    /// The slower time constant, in samples.
    warmup: f64,
}

impl Agc {
    pub fn new(config: AgcConfig) -> Result<Self, DesignError> {
        if !(config.sps >= 1.0 && config.sps.is_finite()) {
            return Err(invalid(
                "sps",
                config.sps,
                "a finite samples-per-symbol >= 1",
            ));
        }
        for (name, v) in [
            ("attack_symbols", config.attack_symbols),
            ("decay_symbols", config.decay_symbols),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(invalid(name, v, "a finite time constant > 0 symbols"));
            }
        }
        if !(config.target_power > 0.0 && config.target_power.is_finite()) {
            return Err(invalid(
                "target_power",
                config.target_power,
                "a finite power > 0",
            ));
        }
        // One-pole coefficient for a time constant of n samples; at least one
        // sample, so the coefficient never exceeds 1.
        let coeff = |symbols: f64| 1.0 / (symbols * config.sps).max(1.0);
        let (attack, decay) = (coeff(config.attack_symbols), coeff(config.decay_symbols));
        Ok(Agc {
            attack,
            decay,
            warmup: 1.0 / attack.min(decay),
            config,
            power: MIN_POWER,
            count: 0.0,
        })
    }

    pub fn config(&self) -> &AgcConfig {
        &self.config
    }

    /// Current gain applied to the input.
    pub fn gain(&self) -> f64 {
        (self.config.target_power / self.power).sqrt()
    }

    /// Current estimate of the input's mean power.
    pub fn power(&self) -> f64 {
        self.power
    }

    pub fn reset(&mut self) {
        self.power = MIN_POWER;
        self.count = 0.0;
    }

    /// Appends one output per input.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let start = output.len();
        output.extend_from_slice(input);
        self.process_in_place(&mut output[start..]);
    }

    /// Same as [`Agc::process`], in place.
    #[inline]
    pub fn process_in_place(&mut self, buf: &mut [Complex32]) {
        let mut rest = buf;
        while self.count < self.warmup {
            let Some((x, tail)) = rest.split_first_mut() else {
                return;
            };
            let p = x.norm_sqr() as f64;
            let a = if p > self.power {
                self.attack
            } else {
                self.decay
            };
            // Plain mean of everything so far until the time constant takes
            // over: no seed value, and a start that ramps up from zero (a
            // filter's transient) cannot leave the gain far too high.
            self.count += 1.0;
            let a = a.max(1.0 / self.count);
            self.power = (self.power + a * (p - self.power)).max(MIN_POWER);
            *x *= ((self.config.target_power / self.power) as f32).sqrt();
            rest = tail;
        }
        // After the warm-up the estimate is a serial chain through every
        // sample, so it is written for a short one: both candidate updates
        // `(1 − a)·P + a·(p + floor)` are formed from products that do not wait
        // for P's previous value to be compared, and one is selected. The
        // floor (MIN_POWER added to every sample's power) keeps P from falling
        // below MIN_POWER (to within rounding) without a clamp in the chain, and
        // is 10⁻³⁰ of any signal.
        let (attack, decay, target) = (self.attack, self.decay, self.config.target_power);
        let (keep_attack, keep_decay) = (1.0 - attack, 1.0 - decay);
        let mut power = self.power;
        for x in rest {
            let p = x.norm_sqr() as f64;
            let floored = p + MIN_POWER;
            let up = keep_attack * power + attack * floored;
            let down = keep_decay * power + decay * floored;
            power = if p > power { up } else { down };
            // Square root in f32 (the gain needs no more precision): the f64 one
            // per sample was most of the AGC's cost.
            *x *= ((target / power) as f32).sqrt();
        }
        self.power = power;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;

    fn mean_power(x: &[Complex32]) -> f64 {
        x.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / x.len() as f64
    }

    #[test]
    fn normalises_power_and_follows_a_step() {
        let mut rng = TestRng::new(9);
        let mut agc = Agc::new(AgcConfig::for_sps(4.0)).unwrap();
        let mut x = rng.complex_noise(40_000, 1e-4);
        let loud = rng.complex_noise(40_000, 100.0);
        x.extend_from_slice(&loud);
        let mut y = Vec::new();
        agc.process(&x, &mut y);
        // Settled (a few time constants) before and after the 60 dB step.
        for (range, name) in [(20_000..40_000, "quiet"), (60_000..80_000, "loud")] {
            let p = mean_power(&y[range]);
            // The asymmetric average sits above the mean of |x|² (attack 4×
            // faster than decay): output power ~2 dB below target for noise.
            assert!((10.0 * p.log10()).abs() < 3.0, "{name}: {p}");
        }
        // The attack catches the step within ~5 time constants (1000 samples).
        let p = mean_power(&y[41_000..42_000]);
        assert!((10.0 * p.log10()).abs() < 3.0, "after step: {p}");
    }

    #[test]
    fn a_start_ramping_up_from_zero_does_not_overshoot() {
        // A filter's start-up transient: the power grows by 80 dB over the
        // first 40 samples. Seeding the estimate from the first sample alone
        // would leave the gain ~10⁴ too high for hundreds of samples.
        let x: Vec<Complex32> = (0..4000)
            .map(|i| {
                Complex32::from_polar((10f32).powf(-4.0 + (i.min(40) as f32) / 10.0), i as f32)
            })
            .collect();
        let mut agc = Agc::new(AgcConfig::for_sps(4.0)).unwrap();
        let mut y = Vec::new();
        agc.process(&x, &mut y);
        let peak = y.iter().map(|v| v.norm()).fold(0.0f32, f32::max);
        assert!(peak < 5.0, "peak {peak}");
        assert!((y[3999].norm() - 1.0).abs() < 0.01);
    }

    #[test]
    fn constant_envelope_is_exact_and_zeros_stay_zero() {
        let mut agc = Agc::new(AgcConfig::for_sps(2.0)).unwrap();
        let x: Vec<Complex32> = (0..1000)
            .map(|i| Complex32::from_polar(3.0, i as f32 * 0.1))
            .collect();
        let mut y = Vec::new();
        agc.process(&x, &mut y);
        for v in &y {
            assert!((v.norm() - 1.0).abs() < 1e-5);
        }
        let mut agc = Agc::new(AgcConfig::for_sps(2.0)).unwrap();
        let mut z = vec![Complex32::new(0.0, 0.0); 100];
        agc.process_in_place(&mut z);
        assert!(z.iter().all(|c| *c == Complex32::new(0.0, 0.0)));
    }

    #[test]
    fn chunk_invariant_reset_and_errors() {
        let mut rng = TestRng::new(10);
        let x = rng.complex_noise(10_001, 2.0);
        let mut whole = Vec::new();
        let mut agc = Agc::new(AgcConfig::for_sps(3.3)).unwrap();
        agc.process(&x, &mut whole);
        for chunk in [1, 17, 4096] {
            agc.reset();
            let mut y = Vec::new();
            for c in x.chunks(chunk) {
                agc.process(c, &mut y);
            }
            assert!(y == whole, "chunk {chunk}");
        }
        let mut c = AgcConfig::for_sps(2.0);
        c.attack_symbols = 0.0;
        assert!(Agc::new(c).is_err());
        assert!(Agc::new(AgcConfig::for_sps(0.5)).is_err());
        let mut c = AgcConfig::for_sps(2.0);
        c.target_power = f64::NAN;
        assert!(Agc::new(c).is_err());
    }
}
