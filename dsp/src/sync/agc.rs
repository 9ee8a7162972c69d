//! Automatic gain control that tracks the signal's mean power.

use num_complex::Complex32;

use crate::filter::design::{invalid, DesignError};

/// Smallest power the AGC divides by: a run of exact zeros (digital silence)
/// stays zero instead of blowing up.
const MIN_POWER: f64 = 1e-30;

/// Samples per update of the estimate once warmed up (see `process_in_place`).
const GROUP: usize = 4;

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
    /// Per-group coefficients (see `group_update`).
    group_attack: f64,
    group_decay: f64,
    /// The current group's level: the estimate, or raised by a jump (see
    /// `process_in_place`); its gain follows from it.
    level: f64,
    /// Samples of the current group seen so far, and their summed power.
    group_fill: usize,
    group_sum: f64,
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
        let per_group = |a: f64| 1.0 - (1.0 - a).powi(GROUP as i32);
        let mut agc = Agc {
            attack,
            decay,
            warmup: 1.0 / attack.min(decay),
            group_attack: per_group(attack),
            group_decay: per_group(decay),
            config,
            power: MIN_POWER,
            count: 0.0,
            level: MIN_POWER,
            group_fill: 0,
            group_sum: 0.0,
        };
        agc.reset();
        Ok(agc)
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
        self.level = MIN_POWER;
        self.group_fill = 0;
        self.group_sum = 0.0;
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
            *x *= gain(self.config.target_power, self.power);
            rest = tail;
        }
        // After the warm-up the estimate moves once per group of GROUP
        // samples, by their mean power, and a group's samples share the gain
        // the groups before it left. A per-sample update is a serial chain
        // (multiply, add, compare, select: ~10 cycles a sample) plus a division
        // and a square root per sample, most of the AGC's cost; with time
        // constants of 50 and 200 symbols (hundreds of samples) a gain a few
        // samples old changes nothing measurable. Except where the input jumps
        // up (a signal returning after a dropout, the estimate near MIN_POWER):
        // there a sample whose power, weighted by one sample of attack, is
        // above the group's level lowers the gain from that sample on, as the
        // per-sample update would have (rarely taken, so nearly free). Groups
        // are counted from the end of the warm-up, which falls on a fixed
        // sample, and a group cut by the end of a call is finished by the next:
        // any chunking gives the same output.
        loop {
            if self.group_fill == 0 {
                // Whole groups, the state in locals.
                let mut groups = rest.chunks_exact_mut(GROUP);
                let mut power = self.power;
                for group in &mut groups {
                    let (mut level, mut g) = (power, gain(self.config.target_power, power));
                    let mut sum = 0.0;
                    for x in group.iter_mut() {
                        sum += self.group_sample(x, &mut level, &mut g);
                    }
                    power = self.group_update(power, sum);
                }
                self.power = power;
                rest = groups.into_remainder();
                if rest.is_empty() {
                    return;
                }
                self.level = power;
            }
            // A group cut by a call boundary.
            let take = (GROUP - self.group_fill).min(rest.len());
            let (head, tail) = rest.split_at_mut(take);
            let (mut level, mut g) = (self.level, gain(self.config.target_power, self.level));
            for x in head {
                self.group_sum += self.group_sample(x, &mut level, &mut g);
            }
            self.level = level;
            self.group_fill += take;
            rest = tail;
            if self.group_fill < GROUP {
                return;
            }
            self.power = self.group_update(self.power, self.group_sum);
            self.group_fill = 0;
            self.group_sum = 0.0;
        }
    }

    /// Scales one sample of a group by the group's gain `g`, first raising
    /// the group's `level` (and `g` with it) if the sample's power, weighted
    /// by one sample of attack, is above it; returns the sample's power.
    #[inline(always)]
    fn group_sample(&self, x: &mut Complex32, level: &mut f64, g: &mut f32) -> f64 {
        let p = x.norm_sqr() as f64;
        if self.attack * p > *level {
            *level = self.attack * p;
            *g = gain(self.config.target_power, *level);
        }
        *x *= *g;
        p
    }

    /// The estimate after a group whose powers sum to `sum`: the one-pole
    /// average run over GROUP samples of that mean (coefficient
    /// `1 − (1 − a)^GROUP`), attack or decay by the group's mean. The floor
    /// (MIN_POWER added to every sample's power) keeps the estimate from
    /// falling below MIN_POWER without a clamp, and is 10⁻³⁰ of any signal.
    #[inline(always)]
    fn group_update(&self, power: f64, sum: f64) -> f64 {
        let mean = sum * (1.0 / GROUP as f64);
        let a = if mean > power {
            self.group_attack
        } else {
            self.group_decay
        };
        power + a * (mean + MIN_POWER - power)
    }
}

/// `sqrt(target / power)`; the square root in f32 (the gain needs no more
/// precision, and the f64 one costs twice as much).
#[inline(always)]
fn gain(target: f64, power: f64) -> f32 {
    ((target / power) as f32).sqrt()
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
    fn a_signal_returning_after_silence_is_not_blown_up() {
        // Warmed up, then 100 000 exact zeros (the estimate decays to the
        // floor), then the signal again: the first samples get at most the
        // gain one sample of attack allows (amplitude sqrt(1/a) ≈ 13 at
        // sps 4: 50 symbols = 200 samples), not the floor's 10¹⁵, whatever
        // sample of a group the return falls on.
        for offset in 0..4 {
            let mut rng = TestRng::new(11);
            let mut x = rng.complex_noise(10_000 + offset, 1.0);
            x.extend(std::iter::repeat_n(Complex32::new(0.0, 0.0), 100_000));
            let back = x.len();
            x.extend_from_slice(&rng.complex_noise(20_000, 1.0));
            let mut agc = Agc::new(AgcConfig::for_sps(4.0)).unwrap();
            let mut y = Vec::new();
            agc.process(&x, &mut y);
            let peak = y[back..].iter().map(|v| v.norm()).fold(0.0f32, f32::max);
            assert!(peak < 14.5, "offset {offset}: peak {peak}");
            let p = mean_power(&y[back + 2000..]);
            assert!((10.0 * p.log10()).abs() < 3.0, "offset {offset}: {p}");
        }
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
