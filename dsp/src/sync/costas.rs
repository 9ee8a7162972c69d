//! Decision-directed Costas loop at the symbol rate (BPSK, QPSK, OQPSK).

use std::f64::consts::{PI, TAU};

use num_complex::Complex32;

use super::lock_detector::{LockDetector, LockDetectorConfig};
use super::loop_filter::LoopFilter;
use super::psk_modulation::PskModulation;
use crate::filter::design::{invalid, DesignError};

/// Time constant, in symbols, of the mean symbol magnitude that normalises
/// the phase detector (long next to a symbol, short next to the loop).
const AMPLITUDE_SYMBOLS: f64 = 64.0;

/// A symbol this many times the mean amplitude is normalised by the updated
/// mean rather than the previous one (see [`Costas::step`]).
const JUMP_RATIO: f64 = 8.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CostasConfig {
    pub modulation: PskModulation,
    /// Loop noise bandwidth as a fraction of the symbol rate (`B_n·T`).
    pub loop_bandwidth_norm: f64,
    pub damping: f64,
    /// Largest frequency the loop may track, in cycles per symbol.
    pub max_freq_norm: f64,
}

impl CostasConfig {
    /// `B_n·T` = 0.0025 (180 Hz at 72 kBd), ζ = 0.707, frequency range ±5 %
    /// of the symbol rate.
    ///
    /// Why this narrow: at the low SNR where frames are marginal, cycle slips
    /// (each one costs a frame) become exponentially rarer as the loop
    /// narrows, while the jitter, about `B_n·T / (Es/N0)` rad² (0.05 rad at
    /// 0 dB), is already negligible. What the loop must still follow is
    /// small next to it: the carrier search leaves under ~10 Hz (1.4·10⁻⁴ of
    /// 72 kBd), a 31 Hz/s Doppler ramp costs 2π·ḟ/ω_n² ≈ 0.1° of tracking
    /// error (ω_n ≈ 340 rad/s), and the demodulator tests hold lock through
    /// 1000 Hz/s. It pulls in offsets up to ~10⁻³ cycles/symbol by itself
    /// within a few thousand symbols; larger ones are the carrier search's
    /// job. Very low symbol rates with fast Doppler (1200 Bd at
    /// 437 MHz) would need a floor in Hz, which this default does not have.
    pub fn for_modulation(modulation: PskModulation) -> Self {
        CostasConfig {
            modulation,
            loop_bandwidth_norm: 0.0025,
            damping: std::f64::consts::FRAC_1_SQRT_2,
            max_freq_norm: 0.05,
        }
    }
}

/// Second-order carrier loop, updated once per symbol on timed symbols.
///
/// Each symbol is derotated by the loop's phase `φ`, a decision-directed
/// phase error is formed, and `φ` advances by the loop filter's output, one
/// symbol late (a pipelined loop: see `step_derotated`). The loop filter's
/// integrator is the frequency (radians per symbol).
///
/// Phase detectors, normalised by the running mean symbol magnitude so the
/// loop gain does not depend on the signal level (`z` = derotated on-time
/// sample, `m` = derotated sample half a symbol later):
/// * BPSK: `sgn(Re z)·Im z`
/// * QPSK: `sgn(Re z)·Im z − sgn(Im z)·Re z`
/// * OQPSK: `sgn(Re z)·Im z − sgn(Im m)·Re m`: the I decision is taken on the
///   on-time sample, the Q decision half a symbol later where the delayed Q
///   rail peaks; the symbol out is `Re z + j·Im m`.
///
/// A [`LockDetector`] watches the output symbols.
#[derive(Debug, Clone)]
pub struct Costas {
    config: CostasConfig,
    filter: LoopFilter,
    phase: f64,
    /// `exp(−jφ)`, kept with the phase: the timing loop and the next symbol both
    /// read it, and the sine and cosine are the dearest part of a symbol.
    rotation: Complex32,
    amplitude: f64,
    /// `1 / amplitude` (0 while the amplitude is 0).
    inv_amplitude: f64,
    amplitude_started: bool,
    /// The last symbol's phase error: it moves the phase one symbol late
    /// (see `step_derotated`).
    delayed_error: f64,
    lock: LockDetector,
    /// OQPSK in `process`: the on-time sample waiting for its half-symbol partner.
    pending_on: Option<Complex32>,
}

impl Costas {
    pub fn new(config: CostasConfig) -> Result<Self, DesignError> {
        Self::with_lock_detector(
            config,
            LockDetectorConfig::for_modulation(config.modulation),
        )
    }

    pub fn with_lock_detector(
        config: CostasConfig,
        lock: LockDetectorConfig,
    ) -> Result<Self, DesignError> {
        if !(config.max_freq_norm > 0.0 && config.max_freq_norm <= 0.5) {
            return Err(invalid(
                "max_freq_norm",
                config.max_freq_norm,
                "a frequency in (0, 0.5] cycles/symbol",
            ));
        }
        if lock.modulation != config.modulation {
            return Err(DesignError::UnknownName {
                what: "lock detector modulation (must match the loop's)",
                name: lock.modulation.to_string(),
            });
        }
        // Small-error slope of the normalised detectors (error per radian):
        // BPSK A·sinθ / A = 1; QPSK (|I| + |Q|)·sinθ / |z| = √2; OQPSK the
        // same with |z| the mean magnitude of (I, Q-delayed) pairs.
        let detector_gain = match config.modulation {
            PskModulation::Bpsk => 1.0,
            PskModulation::Qpsk | PskModulation::Oqpsk => std::f64::consts::SQRT_2,
        };
        let filter = LoopFilter::new(
            config.loop_bandwidth_norm,
            config.damping,
            detector_gain,
            TAU * config.max_freq_norm,
        )?;
        Ok(Costas {
            config,
            filter,
            phase: 0.0,
            rotation: Complex32::new(1.0, 0.0),
            amplitude: 1.0,
            inv_amplitude: 1.0,
            amplitude_started: false,
            delayed_error: 0.0,
            lock: LockDetector::new(lock)?,
            pending_on: None,
        })
    }

    pub fn config(&self) -> &CostasConfig {
        &self.config
    }

    pub fn reset(&mut self) {
        self.filter.reset();
        self.phase = 0.0;
        self.rotation = Complex32::new(1.0, 0.0);
        self.amplitude = 1.0;
        self.inv_amplitude = 1.0;
        self.amplitude_started = false;
        self.delayed_error = 0.0;
        self.lock.reset();
        self.pending_on = None;
    }

    /// `exp(−jφ)`: multiply a sample by this to remove the tracked phase.
    #[inline]
    pub fn derotation(&self) -> Complex32 {
        self.rotation
    }

    /// Tracked phase in radians, in [−π, π).
    pub fn phase_rad(&self) -> f64 {
        self.phase
    }

    /// Tracked frequency in cycles per symbol.
    pub fn frequency_norm(&self) -> f64 {
        self.filter.integrator() / TAU
    }

    /// Sets the tracked frequency (cycles per symbol), e.g. from a coarse
    /// search or when a frequency shift upstream takes it over.
    pub fn set_frequency_norm(&mut self, freq_norm: f64) {
        self.filter.set_integrator(TAU * freq_norm);
    }

    pub fn locked(&self) -> bool {
        self.lock.locked()
    }

    pub fn lock_detector(&self) -> &LockDetector {
        &self.lock
    }

    /// One symbol: `on` is the on-time sample, `half` the sample half a
    /// symbol later (used by OQPSK only). Returns the derotated symbol and
    /// advances the loop.
    #[inline(always)]
    pub fn step(&mut self, on: Complex32, half: Complex32) -> Complex32 {
        let r = self.derotation();
        let m = match self.config.modulation {
            PskModulation::Oqpsk => half * r,
            PskModulation::Bpsk | PskModulation::Qpsk => half,
        };
        self.step_derotated(on * r, m)
    }

    /// [`Costas::step`] given `on` and `half` already multiplied by
    /// [`Costas::derotation`] (only OQPSK's `half` is used).
    #[inline(always)]
    pub fn step_derotated(&mut self, z: Complex32, m: Complex32) -> Complex32 {
        let (sym, err) = match self.config.modulation {
            PskModulation::Bpsk => (z, flip(z.im, z.re)),
            PskModulation::Qpsk => (z, flip(z.im, z.re) - flip(z.re, z.im)),
            PskModulation::Oqpsk => (
                Complex32::new(z.re, m.im),
                flip(z.im, z.re) - flip(m.re, m.im),
            ),
        };
        // Not `norm()`: hypot's overflow care costs more than the rest of the
        // symbol, and these values are far from overflow.
        let mag = (sym.re * sym.re + sym.im * sym.im).sqrt() as f64;
        // Normalised by the amplitude known before this symbol when that is
        // close to the amplitude after it (it moves by 1/64 of the difference
        // per symbol): its reciprocal is then ready a symbol ahead, which keeps a
        // square root and a division out of the loop's serial path from one
        // symbol's phase to the next. A symbol 8 times the mean (the start of a
        // signal) is normalised exactly, as the two would differ by over 11 %.
        let e = if self.amplitude_started {
            let before = self.inv_amplitude;
            self.amplitude += (mag - self.amplitude) / AMPLITUDE_SYMBOLS;
            if mag * before > JUMP_RATIO || before == 0.0 {
                if self.amplitude > 0.0 {
                    err as f64 / self.amplitude
                } else {
                    0.0
                }
            } else {
                err as f64 * before
            }
        } else {
            if mag > 0.0 {
                self.amplitude = mag;
                self.amplitude_started = true;
            }
            err as f64 / self.amplitude
        };
        // 0 (take the exact path) where the reciprocal would overflow: after a
        // long silence the amplitude decays into subnormals, and ∞·0 is NaN.
        self.inv_amplitude = if self.amplitude >= f64::MIN_POSITIVE {
            1.0 / self.amplitude
        } else {
            0.0
        };
        // Applied one symbol late: the phase (and the sine and cosine) for the
        // next symbol then no longer waits for this symbol's error, so the
        // CPU works on two symbols at once; the symbol loop was bound by that
        // chain's latency (this and the timing loop's delay: the demodulator's
        // symbol loop ~12 % faster). A loop this narrow (B_n·T = 0.0025, so
        // ~400 symbols to respond) does not notice one symbol of delay: the
        // BER and lock tests give the same figures.
        let e = std::mem::replace(&mut self.delayed_error, e);
        self.phase += self.filter.update(e);
        // Wrap into [−π, π): keeps sin/cos accurate however long the run.
        if !(-PI..PI).contains(&self.phase) {
            self.phase -= TAU * ((self.phase + PI) / TAU).floor();
        }
        let (s, c) = sin_cos_f32(self.phase);
        self.rotation = Complex32::new(c, -s);
        self.lock.update(sym);
        sym
    }

    /// Derotates timed symbols and appends one output per symbol.
    ///
    /// BPSK/QPSK: one input sample per symbol. OQPSK: two per symbol, the
    /// on-time sample then the one half a symbol later (an odd trailing
    /// sample waits for the next call).
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        match self.config.modulation {
            PskModulation::Bpsk | PskModulation::Qpsk => {
                output.reserve(input.len());
                for &x in input {
                    let s = self.step(x, x);
                    output.push(s);
                }
            }
            PskModulation::Oqpsk => {
                for &x in input {
                    match self.pending_on.take() {
                        None => self.pending_on = Some(x),
                        Some(on) => {
                            let s = self.step(on, x);
                            output.push(s);
                        }
                    }
                }
            }
        }
    }
}

/// sin and cos of `x` ∈ [−π, π] rounded to f32. The argument is reduced to
/// the nearest quadrant (|r| ≤ π/4) and sin, cos evaluated there by
/// polynomials in r² fitted over that interval (Chebyshev interpolation at
/// 40 digits: error < 3·10⁻⁹ for sin, < 3·10⁻⁸ for cos, below f32's
/// 6·10⁻⁸). It runs once per symbol on the loop's serial path, so its
/// latency matters: the quadrant is found by the 1.5·2⁵² rounding trick (an
/// add and a subtract, instead of two conversions), the fit needs one term
/// fewer than the Taylor series, and the quadrant's swap and signs are bit
/// operations rather than branches.
#[inline(always)]
fn sin_cos_f32(x: f64) -> (f32, f32) {
    use std::f64::consts::{FRAC_2_PI, FRAC_PI_2};
    // Adding and subtracting 1.5·2⁵² rounds |y| ≤ 2 to the nearest integer
    // (ties to even; either quadrant is exact at a tie); the low bits of the
    // sum hold that integer.
    const ROUND: f64 = 6_755_399_441_055_744.0;
    let shifted = x * FRAC_2_PI + ROUND;
    let k = shifted.to_bits();
    let r = x - (shifted - ROUND) * FRAC_PI_2;
    let r2 = r * r;
    const S1: f64 = 0.999_999_996_917_703_6;
    const S3: f64 = -0.166_666_506_739_967_75;
    const S5: f64 = 0.008_332_035_785_597_31;
    const S7: f64 = -0.000_195_039_042_508_408;
    const C0: f64 = 0.999_999_972_328_494_4;
    const C2: f64 = -0.499_998_564_191_821_8;
    const C4: f64 = 0.041_655_014_924_883_76;
    const C6: f64 = -0.001_358_577_926_484_240_8;
    let s = (r * (S1 + r2 * (S3 + r2 * (S5 + r2 * S7)))) as f32;
    let c = (C0 + r2 * (C2 + r2 * (C4 + r2 * C6))) as f32;
    // Quadrant k: (sin, cos) = (s, c), (c, −s), (−s, −c), (−c, s).
    let swap = 0u32.wrapping_sub((k & 1) as u32);
    let (sb, cb) = (s.to_bits(), c.to_bits());
    let sin_bits = (sb & !swap) | (cb & swap);
    let cos_bits = (cb & !swap) | (sb & swap);
    let sin_sign = ((k & 2) as u32) << 30;
    let cos_sign = (((k + 1) & 2) as u32) << 30;
    (
        f32::from_bits(sin_bits ^ sin_sign),
        f32::from_bits(cos_bits ^ cos_sign),
    )
}

/// `y · sgn(x)` for the hard decision `sgn(x)` = ±1 of one rail: a flip of
/// the sign bit rather than a select and a multiply, as it sits on the loop's
/// serial path (−0 counts as negative, +0 as positive).
#[inline(always)]
fn flip(y: f32, x: f32) -> f32 {
    f32::from_bits(y.to_bits() ^ (x.to_bits() & 0x8000_0000))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fast_sin_cos_matches_libm_to_f32_precision() {
        let n = 100_000;
        for i in 0..=n {
            let x = -PI + TAU * i as f64 / n as f64;
            let (s, c) = sin_cos_f32(x);
            assert!((s as f64 - x.sin()).abs() < 1.2e-7, "sin {x}");
            assert!((c as f64 - x.cos()).abs() < 1.2e-7, "cos {x}");
        }
    }
    use crate::filter::test_rng::TestRng;

    /// QPSK (or BPSK) symbols with a carrier offset of `freq` cycles/symbol
    /// and initial phase `phase0`, plus complex noise at Es/N0 `es_n0_db`.
    fn symbols(
        rng: &mut TestRng,
        m: PskModulation,
        n: usize,
        freq: f64,
        phase0: f64,
        es_n0_db: f64,
    ) -> (Vec<Complex32>, Vec<Complex32>) {
        let noise = rng.complex_noise(n, 10f64.powf(-es_n0_db / 10.0));
        let mut clean = Vec::new();
        let mut rx = Vec::new();
        for (k, nz) in noise.iter().enumerate() {
            let b = rng.next_u64();
            let s = match m {
                PskModulation::Bpsk => Complex32::new(if b & 1 == 0 { 1.0 } else { -1.0 }, 0.0),
                _ => {
                    Complex32::new(
                        if b & 1 == 0 { 1.0 } else { -1.0 },
                        if b & 2 == 0 { 1.0 } else { -1.0 },
                    ) * std::f32::consts::FRAC_1_SQRT_2
                }
            };
            let ph = TAU * ((freq * k as f64 + phase0 / TAU) % 1.0);
            clean.push(s);
            rx.push(s * Complex32::from_polar(1.0, ph as f32) + nz);
        }
        (clean, rx)
    }

    /// Fraction of symbols (after `skip`) whose decisions match `clean`
    /// under the best of the `order` phase rotations.
    fn symbol_error_rate(clean: &[Complex32], out: &[Complex32], order: u32, skip: usize) -> f64 {
        let mut best = f64::MAX;
        for k in 0..order {
            let r = Complex32::from_polar(1.0, (TAU * k as f64 / order as f64) as f32);
            let errors = clean[skip..]
                .iter()
                .zip(&out[skip..])
                .filter(|(c, o)| {
                    let d = **o * r;
                    (d.re < 0.0) != (c.re < 0.0) || (order == 4 && (d.im < 0.0) != (c.im < 0.0))
                })
                .count();
            best = best.min(errors as f64 / (clean.len() - skip) as f64);
        }
        best
    }

    #[test]
    fn acquires_offset_and_phase_and_reports_frequency() {
        let mut rng = TestRng::new(31);
        for m in [PskModulation::Bpsk, PskModulation::Qpsk] {
            for (freq, phase0) in [(0.0, 0.7), (0.0008, -2.0), (-0.0012, 3.0)] {
                let (clean, rx) = symbols(&mut rng, m, 20_000, freq, phase0, 15.0);
                let mut c = Costas::new(CostasConfig::for_modulation(m)).unwrap();
                let mut out = Vec::new();
                c.process(&rx, &mut out);
                assert_eq!(out.len(), rx.len());
                assert!(
                    (c.frequency_norm() - freq).abs() < 1e-4,
                    "{m} {freq}: {}",
                    c.frequency_norm()
                );
                assert!(c.locked(), "{m} {freq}");
                // Es/N0 15 dB: essentially error-free once locked.
                let ser = symbol_error_rate(&clean, &out, m.order(), 5000);
                assert!(ser < 1e-3, "{m} {freq}: SER {ser}");
            }
        }
    }

    #[test]
    fn oqpsk_uses_the_half_symbol_sample_for_q() {
        // Pairs (on, half): I on the on-time sample, Q half a symbol later;
        // the other component of each is the other rail's transition value.
        let mut rng = TestRng::new(32);
        let n = 20_000;
        let rot = Complex32::from_polar(1.0, 1.1);
        let mut input = Vec::new();
        let mut clean = Vec::new();
        let mut prev_q = 1.0f32;
        let mut i_next = 1.0f32;
        for _ in 0..n {
            let b = rng.next_u64();
            let i = i_next;
            i_next = if b & 1 == 0 { 1.0 } else { -1.0 };
            let q = if b & 2 == 0 { 1.0 } else { -1.0 };
            // On-time: I at its peak, Q halfway between its last two values.
            let on = Complex32::new(i, (prev_q + q) / 2.0);
            let half = Complex32::new((i + i_next) / 2.0, q);
            input.push(on * rot);
            input.push(half * rot);
            clean.push(Complex32::new(i, q));
            prev_q = q;
        }
        let mut c = Costas::new(CostasConfig::for_modulation(PskModulation::Oqpsk)).unwrap();
        let mut out = Vec::new();
        c.process(&input, &mut out);
        assert_eq!(out.len(), n);
        assert!(c.locked());
        let ser = symbol_error_rate(&clean, &out, 4, 2000);
        assert_eq!(ser, 0.0);
    }

    #[test]
    fn chunk_invariant_and_reset() {
        let mut rng = TestRng::new(33);
        let (_, rx) = symbols(&mut rng, PskModulation::Qpsk, 10_007, 0.001, 0.5, 5.0);
        for m in PskModulation::ALL {
            let mut c = Costas::new(CostasConfig::for_modulation(m)).unwrap();
            let mut whole = Vec::new();
            c.process(&rx, &mut whole);
            for chunk in [1, 17, 4096] {
                c.reset();
                let mut y = Vec::new();
                for p in rx.chunks(chunk) {
                    c.process(p, &mut y);
                }
                assert!(y == whole, "{m} chunk {chunk}");
            }
        }
    }

    #[test]
    fn rejects_bad_config() {
        let mut c = CostasConfig::for_modulation(PskModulation::Qpsk);
        c.loop_bandwidth_norm = 0.0;
        assert!(Costas::new(c).is_err());
        let mut c = CostasConfig::for_modulation(PskModulation::Qpsk);
        c.max_freq_norm = 0.0;
        assert!(Costas::new(c).is_err());
        let c = CostasConfig::for_modulation(PskModulation::Qpsk);
        let l = LockDetectorConfig::for_modulation(PskModulation::Bpsk);
        assert!(Costas::with_lock_detector(c, l).is_err());
    }
}
