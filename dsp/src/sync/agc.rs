//! Automatic gain control that tracks the signal's mean power.

use num_complex::Complex32;

use crate::filter::design::{invalid, DesignError};

/// Smallest power the AGC divides by: a run of exact zeros (digital silence)
/// stays zero instead of blowing up.
const MIN_POWER: f64 = 1e-30;

/// Samples per update of the estimate once warmed up (see `process_in_place`).
const GROUP: usize = 16;

/// A group's powers are summed as four runs of four consecutive samples,
/// then `(s0 + s1) + (s2 + s3)`: the order the AVX2 path adds them in, so
/// both paths give the same bits.
const RUN: usize = 4;

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
    /// Samples of the current group seen so far, and their summed power
    /// (per run, see [`RUN`]).
    group_fill: usize,
    group_sum: [f64; GROUP / RUN],
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
            group_sum: [0.0; GROUP / RUN],
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
        self.group_sum = [0.0; GROUP / RUN];
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
        // and a square root per sample, most of the AGC's cost; per group of
        // 16 it is under a cycle a sample (with groups of 4 it was still half
        // the AGC's time). With time constants of 50 and 200 symbols (at least
        // 100 and 400 samples) a gain up to 16 samples old changes nothing
        // measurable. Except where the input jumps
        // up (a signal returning after a dropout, the estimate near MIN_POWER):
        // there a sample whose power, weighted by one sample of attack, is
        // above the group's level lowers the gain from that sample on, as the
        // per-sample update would have (rarely taken, so nearly free). Groups
        // are counted from the end of the warm-up, which falls on a fixed
        // sample, and a group cut by the end of a call is finished by the next:
        // any chunking gives the same output.
        loop {
            if self.group_fill == 0 {
                // Whole groups.
                let whole = rest.len() / GROUP * GROUP;
                let (groups, tail) = rest.split_at_mut(whole);
                self.power = self.whole_groups(groups, self.power);
                rest = tail;
                if rest.is_empty() {
                    return;
                }
                self.level = self.power;
            }
            // A group cut by a call boundary.
            let take = (GROUP - self.group_fill).min(rest.len());
            let (head, tail) = rest.split_at_mut(take);
            let (mut level, mut g) = (self.level, gain(self.config.target_power, self.level));
            for (i, x) in (self.group_fill..).zip(head) {
                self.group_sum[i / RUN] += self.group_sample(x, &mut level, &mut g);
            }
            self.level = level;
            self.group_fill += take;
            rest = tail;
            if self.group_fill < GROUP {
                return;
            }
            self.power = self.group_update(self.power, self.group_sum);
            self.group_fill = 0;
            self.group_sum = [0.0; GROUP / RUN];
        }
    }

    /// Whole groups (`buf` a multiple of GROUP long) from the estimate
    /// `power`; returns the estimate after them.
    #[inline(always)]
    fn whole_groups(&self, buf: &mut [Complex32], power: f64) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            return unsafe { self.groups_avx2(buf, power) };
        }
        self.groups_scalar(buf, power)
    }

    #[inline(always)]
    fn groups_scalar(&self, buf: &mut [Complex32], mut power: f64) -> f64 {
        for group in buf.chunks_exact_mut(GROUP) {
            let (mut level, mut g) = (power, gain(self.config.target_power, power));
            let mut sums = [0.0; GROUP / RUN];
            for (i, x) in group.iter_mut().enumerate() {
                sums[i / RUN] += self.group_sample(x, &mut level, &mut g);
            }
            power = self.group_update(power, sums);
        }
        power
    }

    /// [`Agc::groups_scalar`] with AVX2, a group (four vectors of four
    /// samples) per step. The same operations on the same values, so the same
    /// bits: the samples' powers, their runs' sums (one run per vector lane)
    /// and the scaling are vector operations; the estimate's update (a
    /// serial chain of ~9 cycles a group, subtract, multiply, add) and the
    /// group's gain are scalar. A group where a sample would raise the level
    /// (the jump test, on the group's largest weighted power) is redone by
    /// the scalar `group_sample`, which then takes the same branches as the
    /// scalar loop.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx2")]
    fn groups_avx2(&self, buf: &mut [Complex32], mut power: f64) -> f64 {
        use std::arch::x86_64::*;
        debug_assert_eq!(buf.len() % GROUP, 0);
        let attack = _mm256_set1_pd(self.attack);
        for group in buf.chunks_exact_mut(GROUP) {
            let p = group.as_mut_ptr().cast::<f32>();
            // SAFETY: a group is 16 complex values, 32 floats: four vectors.
            let v: [__m256; 4] = std::array::from_fn(|k| unsafe { _mm256_loadu_ps(p.add(8 * k)) });
            let sq = v.map(|x| _mm256_mul_ps(x, x));
            // re² + im² per sample, in the order [0 1 4 5 | 2 3 6 7] and
            // [8 9 12 13 | 10 11 14 15]; the shuffles make lane k of pw[j]
            // sample 4k + j, so adding pw[0..4] in order sums run k in lane k.
            let (h01, h23) = (_mm256_hadd_ps(sq[0], sq[1]), _mm256_hadd_ps(sq[2], sq[3]));
            let p02 = _mm256_shuffle_ps::<0b10_00_10_00>(h01, h23);
            let p13 = _mm256_shuffle_ps::<0b11_01_11_01>(h01, h23);
            let pw: [__m256d; 4] = [
                _mm256_cvtps_pd(_mm256_castps256_ps128(p02)),
                _mm256_cvtps_pd(_mm256_castps256_ps128(p13)),
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(p02)),
                _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(p13)),
            ];
            let runs = _mm256_add_pd(_mm256_add_pd(_mm256_add_pd(pw[0], pw[1]), pw[2]), pw[3]);
            let peak = pw.iter().fold(_mm256_set1_pd(f64::NEG_INFINITY), |m, &x| {
                _mm256_max_pd(_mm256_mul_pd(attack, x), m)
            });
            let mut sums = [0.0f64; GROUP / RUN];
            // SAFETY: `sums` holds four f64.
            unsafe { _mm256_storeu_pd(sums.as_mut_ptr(), runs) };
            let level = power;
            let jump = _mm256_movemask_pd(_mm256_cmp_pd::<_CMP_GT_OQ>(peak, _mm256_set1_pd(level)));
            if jump == 0 {
                let g = _mm256_set1_ps(gain(self.config.target_power, level));
                for (k, &x) in v.iter().enumerate() {
                    // SAFETY: as the loads.
                    unsafe { _mm256_storeu_ps(p.add(8 * k), _mm256_mul_ps(x, g)) };
                }
            } else {
                let (mut level, mut g) = (level, gain(self.config.target_power, level));
                for x in group.iter_mut() {
                    self.group_sample(x, &mut level, &mut g);
                }
            }
            power = self.group_update(power, sums);
        }
        power
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

    /// The estimate after a group whose runs' powers sum to `runs`: the
    /// one-pole average run over GROUP samples of their mean (coefficient
    /// `1 − (1 − a)^GROUP`), attack or decay by the group's mean. The floor
    /// (MIN_POWER added to every sample's power) keeps the estimate from
    /// falling below MIN_POWER without a clamp, and is 10⁻³⁰ of any signal.
    #[inline(always)]
    fn group_update(&self, power: f64, runs: [f64; GROUP / RUN]) -> f64 {
        let [s0, s1, s2, s3] = runs;
        let mean = ((s0 + s1) + (s2 + s3)) * (1.0 / GROUP as f64);
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
        for offset in 0..GROUP {
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
    fn avx2_whole_groups_are_bit_identical_to_the_scalar_steps() {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::arch::is_x86_feature_detected!("avx2") {
                return;
            }
            let zero = Complex32::new(0.0, 0.0);
            let mut rng = TestRng::new(23);
            // Noise at three levels, silence, and loud single samples after
            // the silence at every position of a group (the jump test taken
            // in the first to the last sample of a group).
            let mut x = rng.complex_noise(4000, 1.0);
            x.extend(rng.complex_noise(2000, 1e-3));
            x.extend(rng.complex_noise(2000, 1e3));
            for at in 0..16 {
                x.extend(std::iter::repeat_n(zero, 3000 + at));
                x.push(Complex32::new(300.0, -400.0));
                x.extend(std::iter::repeat_n(zero, 16 - (3000 + at + 1) % 16));
            }
            x.extend(rng.complex_noise(1000, 1.0));
            let tail = (16 - x.len() % 16) % 16;
            x.extend(rng.complex_noise(tail, 1.0));
            // Non-finite samples (after them every output is NaN): the same
            // on both paths too.
            let mut bad = rng.complex_noise(64, 1.0);
            bad[21] = Complex32::new(f32::INFINITY, 0.0);
            bad[40] = Complex32::new(f32::NAN, 1.0);
            let same = |a: f32, b: f32| a.to_bits() == b.to_bits() || (a.is_nan() && b.is_nan());
            let agc = Agc::new(AgcConfig::for_sps(3.5)).unwrap();
            for (input, start) in [(&x, MIN_POWER), (&x, 1.0), (&x, 1e7), (&bad, 1.0)] {
                let (mut a, mut b) = (input.clone(), input.clone());
                let pa = agc.groups_scalar(&mut a, start);
                // SAFETY: AVX2 checked above.
                let pb = unsafe { agc.groups_avx2(&mut b, start) };
                assert!(same(pa as f32, pb as f32) && (pa.is_nan() || pa == pb));
                for (n, (u, v)) in a.iter().zip(&b).enumerate() {
                    assert!(
                        same(u.re, v.re) && same(u.im, v.im),
                        "start {start}, sample {n}: {u} vs {v}"
                    );
                }
            }
        }
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
