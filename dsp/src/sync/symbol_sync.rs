//! Symbol timing recovery: Gardner detector, cubic Farrow interpolator.

use std::f64::consts::PI;

use num_complex::Complex32;

use super::loop_filter::LoopFilter;
use super::psk_modulation::PskModulation;
use crate::filter::design::{invalid, DesignError};

/// Time constant, in symbols, of the mean symbol power that normalises the
/// timing detector.
const POWER_SYMBOLS: f64 = 64.0;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SymbolSyncConfig {
    /// Nominal samples per symbol of the input, at least 2.
    pub sps: f64,
    /// OQPSK selects the staggered detector (see [`SymbolSync`]).
    pub modulation: PskModulation,
    /// Roll-off of the overall (transmit × receive) raised-cosine pulse,
    /// used to compute the detector gain.
    pub rolloff: f64,
    /// Loop noise bandwidth as a fraction of the symbol rate (`B_n·T`).
    pub loop_bandwidth_norm: f64,
    pub damping: f64,
    /// Largest relative clock error tracked (0.01 = 1 % = 10 000 ppm).
    pub max_deviation_norm: f64,
}

impl SymbolSyncConfig {
    /// `B_n·T` = 0.002, ζ = 1, clock range ±0.2 % (20× the ±100 ppm of real
    /// receivers, while limiting how far noise alone can drag the clock).
    /// Narrow for the same reason as the Costas loop's: less timing jitter
    /// and fewer slips at low SNR; a clock error is a constant rate the
    /// integrator holds with no steady-state error.
    pub fn new(sps: f64, modulation: PskModulation, rolloff: f64) -> Self {
        SymbolSyncConfig {
            sps,
            modulation,
            rolloff,
            loop_bandwidth_norm: 0.002,
            damping: 1.0,
            max_deviation_norm: 0.002,
        }
    }
}

/// The two interpolated samples of one symbol period.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Strobe {
    /// Half a symbol before `on_time` (the transition between symbols).
    pub mid: Complex32,
    /// The symbol's on-time sample.
    pub on_time: Complex32,
}

/// Recovers symbol timing from matched-filtered samples at `sps` ≥ 2 samples
/// per symbol (any real value, e.g. 2.083 or 4.0).
///
/// Interpolation: cubic Lagrange in Farrow form, at two instants per symbol
/// (mid and on-time). Timing error (Gardner, IEEE Trans. Commun. 34(5), 1986),
/// normalised by the running mean symbol power:
/// * BPSK/QPSK: `Re{(y_k − y_{k−1})·conj(y_{k−½})}`, insensitive to the
///   carrier phase, so it can run before carrier recovery.
/// * OQPSK: the complex detector cancels between the staggered rails, so each
///   rail gets its own: `Re(z_k − z_{k−1})·Re(m_{k−½}) + Im(m_{k−½} −
///   m_{k−3/2})·Im(z_{k−1})`, on carrier-derotated samples (`z` on-time,
///   `m` mid): pass the carrier loop's derotation to [`SymbolSync::update`].
///
/// The detector's slope is computed from the raised-cosine pulse, so the loop
/// bandwidth is what was asked for at any roll-off. A proportional-integral
/// loop tracks the clock, with zero steady-state error for a constant
/// clock offset. Each error moves the strobes one symbol late (a pipelined
/// loop: see `advance`).
///
/// Two ways to drive it: [`SymbolSync::process`] (self-contained, derotation
/// 1), or [`SymbolSync::next_strobe`] + [`SymbolSync::update`] when a carrier
/// loop runs symbol by symbol alongside (as in the PSK demodulator).
#[derive(Debug, Clone)]
pub struct SymbolSync {
    config: SymbolSyncConfig,
    filter: LoopFilter,
    /// Last four input samples, oldest first; strobes fall between [1] and [2].
    buf: [Complex32; 4],
    /// Position of the next strobe relative to `buf[1]`, in samples.
    next: f64,
    /// The next strobe is the on-time one (else mid).
    next_is_on: bool,
    /// Mid strobe computed while waiting for the on-time one.
    mid: Complex32,
    /// Raw strobes: current and previous on-time, current and previous mid.
    on: Complex32,
    prev_on: Complex32,
    prev_mid: Complex32,
    /// `update` has not yet been called for the last strobe.
    awaiting_update: bool,
    /// Half-period until the next strobe, set by the last update.
    half_step: f64,
    power: f64,
    power_started: bool,
    /// The last symbol's timing error: it moves the strobes one symbol late
    /// (see `advance`).
    delayed_error: f64,
    strobes: u64,
    /// OQPSK `process`: skip output until a previous on-time sample exists.
    have_prev: bool,
}

/// Raised-cosine pulse (t in symbols, roll-off a), with its limit at the
/// removable singularities t = ±1/(2a).
fn raised_cosine(t: f64, a: f64) -> f64 {
    let sinc = if t == 0.0 {
        1.0
    } else {
        (PI * t).sin() / (PI * t)
    };
    let x = 2.0 * a * t;
    if (1.0 - x * x).abs() < 1e-9 {
        PI / 4.0
            * if a > 0.0 {
                (PI / (2.0 * a)).sin() / (PI / (2.0 * a))
            } else {
                1.0
            }
    } else {
        sinc * (PI * a * t).cos() / (1.0 - x * x)
    }
}

/// Slope, per symbol of timing error, of the mean Gardner error for unit-
/// power symbols with a raised-cosine overall pulse of roll-off `a`.
fn gardner_slope(a: f64) -> f64 {
    let s = |tau: f64| -> f64 {
        (-60..=60)
            .map(|m| {
                let m = m as f64;
                (raised_cosine(m + tau, a) - raised_cosine(m - 1.0 + tau, a))
                    * raised_cosine(m - 0.5 + tau, a)
            })
            .sum()
    };
    let h = 1e-4;
    (s(h) - s(-h)) / (2.0 * h)
}

impl SymbolSync {
    pub fn new(config: SymbolSyncConfig) -> Result<Self, DesignError> {
        if !(config.sps >= 2.0 && config.sps <= 1e6) {
            return Err(invalid(
                "sps",
                config.sps,
                "at least 2 samples per symbol (and at most 10⁶)",
            ));
        }
        if !(config.rolloff > 0.0 && config.rolloff <= 1.0) {
            return Err(invalid("rolloff", config.rolloff, "a roll-off in (0, 1]"));
        }
        if !(config.max_deviation_norm > 0.0 && config.max_deviation_norm <= 0.1) {
            return Err(invalid(
                "max_deviation_norm",
                config.max_deviation_norm,
                "a relative clock error in (0, 0.1]",
            ));
        }
        // Detector output per sample of lateness.
        let gain = gardner_slope(config.rolloff) / config.sps;
        let filter = LoopFilter::new(
            config.loop_bandwidth_norm,
            config.damping,
            gain,
            config.max_deviation_norm * config.sps,
        )?;
        let mut s = SymbolSync {
            config,
            filter,
            buf: [Complex32::new(0.0, 0.0); 4],
            next: 0.0,
            next_is_on: false,
            mid: Complex32::new(0.0, 0.0),
            on: Complex32::new(0.0, 0.0),
            prev_on: Complex32::new(0.0, 0.0),
            prev_mid: Complex32::new(0.0, 0.0),
            awaiting_update: false,
            half_step: config.sps / 2.0,
            power: 0.0,
            power_started: false,
            delayed_error: 0.0,
            strobes: 0,
            have_prev: false,
        };
        s.reset();
        Ok(s)
    }

    pub fn config(&self) -> &SymbolSyncConfig {
        &self.config
    }

    pub fn reset(&mut self) {
        self.filter.reset();
        self.buf = [Complex32::new(0.0, 0.0); 4];
        // First (mid) strobe once three real samples are in: buf[1] is then
        // the first input.
        self.next = 3.0;
        self.next_is_on = false;
        self.mid = Complex32::new(0.0, 0.0);
        self.on = Complex32::new(0.0, 0.0);
        self.prev_on = Complex32::new(0.0, 0.0);
        self.prev_mid = Complex32::new(0.0, 0.0);
        self.awaiting_update = false;
        self.half_step = self.config.sps / 2.0;
        self.power = 0.0;
        self.power_started = false;
        self.delayed_error = 0.0;
        self.strobes = 0;
        self.have_prev = false;
    }

    /// Current symbol period estimate, in input samples.
    pub fn period_samples(&self) -> f64 {
        self.config.sps - self.filter.integrator()
    }

    /// Sample-clock error against the nominal `sps`, in ppm: positive when
    /// the sampling clock runs fast relative to the symbol clock (more
    /// samples per symbol than nominal).
    pub fn clock_offset_ppm(&self) -> f64 {
        -self.filter.integrator() / self.config.sps * 1e6
    }

    /// Symbols (on-time strobes) produced since construction or `reset`.
    pub fn symbols(&self) -> u64 {
        self.strobes
    }

    #[inline(always)]
    fn interpolate(&self, mu: f32) -> Complex32 {
        let [x0, x1, x2, x3] = self.buf;
        // Cubic Lagrange through samples at −1, 0, 1, 2, evaluated at mu.
        let c1 = x2 - x0 * (1.0 / 3.0) - x1 * 0.5 - x3 * (1.0 / 6.0);
        let c2 = (x0 + x2) * 0.5 - x1;
        let c3 = (x3 - x0) * (1.0 / 6.0) + (x1 - x2) * 0.5;
        ((c3 * mu + c2) * mu + c1) * mu + x1
    }

    /// Consumes input from `*pos` on until the next on-time strobe and
    /// returns it (with its preceding mid strobe); `None` once the input is
    /// used up (the state carries over to the next call, so any chunking
    /// gives the same strobes). Call [`SymbolSync::update`] after each strobe;
    /// if that is skipped the loop runs open (no correction).
    #[inline(always)]
    pub fn next_strobe(&mut self, input: &[Complex32], pos: &mut usize) -> Option<Strobe> {
        if self.awaiting_update {
            self.advance(0.0);
        }
        loop {
            if self.next < 1.0 {
                let y = self.interpolate(self.next as f32);
                if self.next_is_on {
                    // `next` moves on in `advance`, once the error is known.
                    self.next_is_on = false;
                    self.prev_on = self.on;
                    self.on = y;
                    self.strobes += 1;
                    self.awaiting_update = true;
                    return Some(Strobe {
                        mid: self.mid,
                        on_time: y,
                    });
                }
                self.prev_mid = self.mid;
                self.mid = y;
                self.next_is_on = true;
                self.next += self.half_step;
            } else {
                let x = *input.get(*pos)?;
                *pos += 1;
                self.buf = [self.buf[1], self.buf[2], self.buf[3], x];
                self.next -= 1.0;
            }
        }
    }

    /// Runs the timing loop on the last strobe. `derotation` is the carrier
    /// correction `exp(−jφ)` at that strobe; only OQPSK's detector needs it
    /// (pass 1 otherwise).
    #[inline(always)]
    pub fn update(&mut self, derotation: Complex32) {
        if !self.awaiting_update {
            return;
        }
        let (e, p) = match self.config.modulation {
            PskModulation::Bpsk | PskModulation::Qpsk => {
                let d = self.on - self.prev_on;
                let e = d.re * self.mid.re + d.im * self.mid.im;
                (e, self.on.norm_sqr())
            }
            PskModulation::Oqpsk => {
                let [z, zp, m, mp] = self.strobes_derotated(derotation);
                return self.update_oqpsk_derotated(z, zp, m, mp);
            }
        };
        self.finish_update(e, p);
    }

    /// The OQPSK strobes the next [`SymbolSync::update`] works on, multiplied
    /// by `derotation`: `[on, previous on, mid, previous mid]`.
    #[inline(always)]
    pub fn strobes_derotated(&self, derotation: Complex32) -> [Complex32; 4] {
        [
            self.on * derotation,
            self.prev_on * derotation,
            self.mid * derotation,
            self.prev_mid * derotation,
        ]
    }

    /// [`SymbolSync::update`] for OQPSK, given [`SymbolSync::strobes_derotated`]
    /// (a caller that derotates them anyway saves doing it twice).
    #[inline(always)]
    pub fn update_oqpsk_derotated(
        &mut self,
        z: Complex32,
        zp: Complex32,
        m: Complex32,
        mp: Complex32,
    ) {
        if !self.awaiting_update {
            return;
        }
        let e = (z.re - zp.re) * m.re + (m.im - mp.im) * zp.im;
        self.finish_update(e, zp.re * zp.re + m.im * m.im);
    }

    /// The loop step from a detector output `e` and the power `p` that
    /// normalises it.
    #[inline(always)]
    fn finish_update(&mut self, e: f32, p: f32) {
        let p = p as f64;
        if self.power_started {
            self.power += (p - self.power) / POWER_SYMBOLS;
        } else if p > 0.0 {
            self.power = p;
            self.power_started = true;
        }
        let e = if self.power > 0.0 {
            e as f64 / self.power
        } else {
            0.0
        };
        self.advance(e);
    }

    #[inline(always)]
    fn advance(&mut self, e: f64) {
        self.awaiting_update = false;
        // Lateness → positive error → shorter step to the next strobes.
        // Applied one symbol late, like the carrier loop's error (see
        // `Costas::step_derotated`): the next strobes' positions then do not
        // wait for this symbol's interpolation, error and division, and the
        // CPU overlaps two symbols. Nothing measurable for a loop with
        // B_n·T = 0.002.
        let e = std::mem::replace(&mut self.delayed_error, e);
        let v = self.filter.update(e);
        // The proportional part moves this one symbol; the integral part
        // (the clock error) stays in every following step.
        self.half_step = (self.config.sps - v).max(1.0) / 2.0;
        self.next += self.half_step;
    }

    /// Self-contained use: appends one sample per symbol. BPSK/QPSK: the
    /// on-time sample. OQPSK: `Re(on-time) + j·Im(half a symbol later)`, the
    /// staggered rails realigned (the input must already be carrier-
    /// derotated; the first symbol is dropped as its Q is not known yet).
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let mut pos = 0;
        let one = Complex32::new(1.0, 0.0);
        while let Some(s) = self.next_strobe(input, &mut pos) {
            self.update(one);
            match self.config.modulation {
                PskModulation::Bpsk | PskModulation::Qpsk => output.push(s.on_time),
                PskModulation::Oqpsk => {
                    if self.have_prev {
                        output.push(Complex32::new(self.prev_on.re, s.mid.im));
                    }
                    self.have_prev = true;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::design::rrc_taps;
    use crate::filter::test_rng::TestRng;
    use crate::filter::{FirFilter, Resampler, ResamplerConfig};

    /// Matched-filtered QPSK/OQPSK/BPSK at 8 samples per symbol, resampled to
    /// `sps · (1 + ppm·10⁻⁶)` (a receiver clock `ppm` fast), with noise at
    /// Es/N0 `es_n0_db` added before the matched filter.
    fn signal(
        rng: &mut TestRng,
        m: PskModulation,
        n_sym: usize,
        sps: f64,
        ppm: f64,
        es_n0_db: f64,
    ) -> (Vec<Complex32>, Vec<Complex32>) {
        let up = 8;
        let taps = rrc_taps(up as f64, 0.6, 16).unwrap();
        let mut symbols = Vec::new();
        let mut x = vec![Complex32::new(0.0, 0.0); n_sym * up];
        for k in 0..n_sym {
            let b = rng.next_u64();
            let i = if b & 1 == 0 { 1.0 } else { -1.0 };
            let q = if b & 2 == 0 { 1.0 } else { -1.0 };
            match m {
                PskModulation::Bpsk => x[k * up].re = i,
                PskModulation::Qpsk => {
                    x[k * up] = Complex32::new(i, q) * std::f32::consts::FRAC_1_SQRT_2
                }
                PskModulation::Oqpsk => {
                    x[k * up].re = i * std::f32::consts::FRAC_1_SQRT_2;
                    x[k * up + up / 2].im = q * std::f32::consts::FRAC_1_SQRT_2;
                }
            }
            symbols.push(match m {
                PskModulation::Bpsk => Complex32::new(i, 0.0),
                _ => Complex32::new(i, q),
            });
        }
        let mut tx = Vec::new();
        FirFilter::new(&taps).unwrap().process(&x, &mut tx);
        // Unit-energy taps: Σ|x|² = Es = 1 per symbol, so a per-sample noise
        // variance of N0 = 1 / (Es/N0) gives that Es/N0 after the matched filter.
        let noise = rng.complex_noise(tx.len(), 10f64.powf(-es_n0_db / 10.0));
        for (t, nz) in tx.iter_mut().zip(noise) {
            *t += nz;
        }
        let mut mf = Vec::new();
        FirFilter::new(&taps).unwrap().process(&tx, &mut mf);
        let fs_in = up as f64;
        let fs_out = sps * (1.0 + ppm * 1e-6);
        let mut r = Resampler::new(ResamplerConfig {
            input_rate_hz: fs_in,
            output_rate_hz: fs_out,
            passband_hz: 0.8,
            stopband_db: 70.0,
        })
        .unwrap();
        let mut out = Vec::new();
        r.process(&mf, &mut out);
        (symbols, out)
    }

    /// Mean |error|² of the symbols after `skip`, against the nearest
    /// constellation point (scaled to the mean amplitude).
    fn evm(symbols: &[Complex32], m: PskModulation, skip: usize) -> f64 {
        let s = &symbols[skip..];
        let amp_i = s.iter().map(|z| z.re.abs() as f64).sum::<f64>() / s.len() as f64;
        let amp_q = if m == PskModulation::Bpsk {
            0.0
        } else {
            s.iter().map(|z| z.im.abs() as f64).sum::<f64>() / s.len() as f64
        };
        s.iter()
            .map(|z| {
                let ei = z.re.abs() as f64 - amp_i;
                let eq = z.im.abs() as f64 - amp_q;
                (ei * ei + eq * eq) / (amp_i * amp_i + amp_q * amp_q)
            })
            .sum::<f64>()
            / s.len() as f64
    }

    #[test]
    fn detector_slope_is_positive_and_known() {
        // Gardner's S-curve slope for raised-cosine pulses grows with roll-off.
        let s35 = gardner_slope(0.35);
        let s60 = gardner_slope(0.6);
        let s100 = gardner_slope(1.0);
        assert!(s35 > 0.0 && s35 < s60 && s60 < s100, "{s35} {s60} {s100}");
    }

    #[test]
    fn locks_timing_at_several_rates_and_clock_errors() {
        let mut rng = TestRng::new(41);
        for m in [PskModulation::Bpsk, PskModulation::Qpsk] {
            for (sps, ppm) in [(4.0, 0.0), (4.0, 100.0), (2.0833, -100.0), (3.1, 1000.0)] {
                let (_, x) = signal(&mut rng, m, 20_000, sps, ppm, 30.0);
                let mut s = SymbolSync::new(SymbolSyncConfig::new(sps, m, 0.6)).unwrap();
                let mut y = Vec::new();
                s.process(&x, &mut y);
                assert!(
                    y.len().abs_diff(20_000) < 20,
                    "{m} {sps} {ppm}: {} symbols",
                    y.len()
                );
                let e = evm(&y, m, 5000);
                // Cubic interpolation at 2 sps costs more than at 4.
                let limit = if sps < 3.0 { 0.02 } else { 0.005 };
                assert!(e < limit, "{m} sps {sps} ppm {ppm}: EVM² {e}");
                assert!(
                    (s.clock_offset_ppm() - ppm).abs() < 30.0,
                    "{m} sps {sps}: clock {} ppm vs {ppm}",
                    s.clock_offset_ppm()
                );
            }
        }
    }

    #[test]
    fn staggered_detector_locks_oqpsk() {
        let mut rng = TestRng::new(42);
        let (_, x) = signal(&mut rng, PskModulation::Oqpsk, 20_000, 4.0, 100.0, 30.0);
        // The complex detector's rails cancel on OQPSK; the staggered one locks.
        let mut s = SymbolSync::new(SymbolSyncConfig::new(4.0, PskModulation::Oqpsk, 0.6)).unwrap();
        let mut y = Vec::new();
        s.process(&x, &mut y);
        let e = evm(&y, PskModulation::Oqpsk, 5000);
        assert!(e < 0.005, "EVM² {e}");
        assert!(
            (s.clock_offset_ppm() - 100.0).abs() < 30.0,
            "{}",
            s.clock_offset_ppm()
        );
    }

    #[test]
    fn chunk_invariant_and_reset() {
        let mut rng = TestRng::new(43);
        let (_, x) = signal(&mut rng, PskModulation::Qpsk, 3000, 2.5, 300.0, 10.0);
        for m in PskModulation::ALL {
            let mut s = SymbolSync::new(SymbolSyncConfig::new(2.5, m, 0.6)).unwrap();
            let mut whole = Vec::new();
            s.process(&x, &mut whole);
            for chunk in [1, 17, 4096] {
                s.reset();
                let mut y = Vec::new();
                for c in x.chunks(chunk) {
                    s.process(c, &mut y);
                }
                assert!(y == whole, "{m} chunk {chunk}");
            }
        }
    }

    #[test]
    fn rejects_bad_config() {
        assert!(SymbolSync::new(SymbolSyncConfig::new(1.5, PskModulation::Qpsk, 0.5)).is_err());
        assert!(SymbolSync::new(SymbolSyncConfig::new(4.0, PskModulation::Qpsk, 0.0)).is_err());
        let mut c = SymbolSyncConfig::new(4.0, PskModulation::Qpsk, 0.5);
        c.max_deviation_norm = 0.5;
        assert!(SymbolSync::new(c).is_err());
        c.max_deviation_norm = 0.01;
        c.loop_bandwidth_norm = -1.0;
        assert!(SymbolSync::new(c).is_err());
    }
}
