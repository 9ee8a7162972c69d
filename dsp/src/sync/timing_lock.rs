//! Symbol-timing lock, judged apart from carrier lock.

use num_complex::Complex32;

use super::psk_modulation::PskModulation;
use super::symbol_sync::Strobe;
use crate::filter::design::{invalid, DesignError};

/// Standard deviation of the metric on noise alone that the averaging window
/// is sized for (see [`TimingLockConfig::new`]): the lock threshold sits 5σ
/// above it.
const NOISE_STD: f64 = 0.06;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TimingLockConfig {
    pub modulation: PskModulation,
    /// Roll-off of the overall (transmit × receive) raised-cosine pulse.
    pub rolloff: f64,
    /// Averaging time constant in symbols.
    pub window_symbols: f64,
    /// Lock is declared when the metric rises above this…
    pub lock_threshold: f64,
    /// …and lost when it falls below this (hysteresis).
    pub unlock_threshold: f64,
}

impl TimingLockConfig {
    /// Lock at 0.3, unlock at 0.15, and a window long enough that noise alone
    /// gives a metric of 0 ± 0.06 whatever the roll-off: the contrast between
    /// on-time and mid-symbol energy shrinks with the roll-off (see
    /// [`contrast`]), so smaller roll-offs average longer (2 230 symbols at
    /// 0.6, 7 553 at 0.35). At perfect timing the metric is
    /// `1 / (1 + 2 / ((2 − α/2)·Es/N0))`: 0.63 at Es/N0 = 3 dB, 0.46 at
    /// 0 dB, so lock holds down to about −3 dB, below where any PSK frame
    /// decodes.
    pub fn new(modulation: PskModulation, rolloff: f64) -> Self {
        let c = contrast(rolloff).max(1e-3);
        // Noise alone: on-time and mid energies are each a mean of |n|² with
        // relative variance 1 per symbol, an exponential average over W
        // symbols has variance 1/(2W), so (on − mid)/(on + mid) has a
        // standard deviation of about 1/(2√W); divided by the contrast.
        let window = (1.0 / (2.0 * NOISE_STD * c)).powi(2).clamp(256.0, 65_536.0);
        TimingLockConfig {
            modulation,
            rolloff,
            window_symbols: window.ceil(),
            lock_threshold: 0.3,
            unlock_threshold: 0.15,
        }
    }
}

/// `(E_on − E_mid) / (E_on + E_mid)` for noise-free unit symbols with a
/// raised-cosine pulse of roll-off `a`, sampled at the right instants. The
/// on-time energy is Σ p(m)² = 1 (Nyquist), the mid-symbol energy
/// Σ p(m + ½)² = 1 − a/2 (the pulse's spectrum folded at half the symbol
/// rate), so the contrast is `a / (4 − a)`: 1/3 at roll-off 1, 0.176 at 0.6,
/// 0 for a sinc pulse (which carries no timing information in its energy).
pub fn contrast(a: f64) -> f64 {
    a / (4.0 - a)
}

/// Says whether the symbol timing loop samples the symbols at their peaks,
/// independently of the carrier loop.
///
/// Metric: the energy at the on-time strobes against the energy at the mid-
/// symbol strobes, `(E_on − E_mid) / (E_on + E_mid)`, divided by the same
/// ratio for a noise-free signal at perfect timing ([`contrast`]). A ratio of
/// energies, so it does not depend on the signal level or the AGC.
/// * ≈ 1: timing right and a strong signal; lower with noise (the noise adds
///   the same energy to both strobes).
/// * ≈ 0: noise alone (no instant differs from another), or a clock that
///   drifts through all phases.
/// * ≈ −1: strobes half a symbol off (on-time and mid swapped).
///
/// BPSK/QPSK use `|y|²`, which does not depend on the carrier phase, so timing
/// lock can be judged before or without carrier lock. OQPSK's rails are
/// staggered by half a symbol, so `|y|²` is the same at both strobes; each
/// rail is taken at its own peak instead (I on time, Q at mid), on the
/// carrier-derotated strobes: for OQPSK timing lock needs the carrier phase,
/// as its timing detector does.
///
/// Averages are cumulative for the first window and exponential after it;
/// lock is declared no earlier than one window in.
#[derive(Debug, Clone)]
pub struct TimingLock {
    config: TimingLockConfig,
    /// The contrast expected at perfect timing.
    contrast: f64,
    inv_window: f64,
    /// `count as f64 >= window_symbols` as an integer compare (see
    /// `LockDetector`).
    full_at: u64,
    on_energy: f64,
    mid_energy: f64,
    count: u64,
    locked: bool,
    locked_since: Option<u64>,
}

impl TimingLock {
    pub fn new(config: TimingLockConfig) -> Result<Self, DesignError> {
        if !(config.rolloff > 0.0 && config.rolloff <= 1.0) {
            return Err(invalid("rolloff", config.rolloff, "a roll-off in (0, 1]"));
        }
        super::lock_detector::check_averaged_hysteresis(
            config.window_symbols,
            config.lock_threshold,
            config.unlock_threshold,
        )?;
        Ok(TimingLock {
            config,
            contrast: contrast(config.rolloff),
            inv_window: 1.0 / config.window_symbols,
            full_at: config.window_symbols.ceil() as u64,
            on_energy: 0.0,
            mid_energy: 0.0,
            count: 0,
            locked: false,
            locked_since: None,
        })
    }

    pub fn config(&self) -> &TimingLockConfig {
        &self.config
    }

    pub fn reset(&mut self) {
        self.on_energy = 0.0;
        self.mid_energy = 0.0;
        self.count = 0;
        self.locked = false;
        self.locked_since = None;
    }

    /// Takes one symbol's strobes. `derotation` is the carrier correction
    /// `exp(−jφ)` at that symbol; only OQPSK uses it (pass 1 otherwise).
    #[inline(always)]
    pub fn update(&mut self, strobe: Strobe, derotation: Complex32) {
        let (on, mid) = match self.config.modulation {
            PskModulation::Bpsk | PskModulation::Qpsk => {
                (strobe.on_time.norm_sqr(), strobe.mid.norm_sqr())
            }
            PskModulation::Oqpsk => {
                return self
                    .update_oqpsk_derotated(strobe.on_time * derotation, strobe.mid * derotation);
            }
        };
        self.update_energies(on, mid);
    }

    /// [`TimingLock::update`] for OQPSK, given the on-time and mid strobes
    /// already multiplied by the derotation.
    #[inline(always)]
    pub fn update_oqpsk_derotated(&mut self, z: Complex32, m: Complex32) {
        self.update_energies(z.re * z.re + m.im * m.im, m.re * m.re + z.im * z.im);
    }

    #[inline(always)]
    fn update_energies(&mut self, on: f32, mid: f32) {
        self.count += 1;
        let w = if self.count < self.full_at {
            1.0 / self.count as f64
        } else {
            self.inv_window
        };
        self.on_energy += (on as f64 - self.on_energy) * w;
        self.mid_energy += (mid as f64 - self.mid_energy) * w;
        // metric ≥ t ⇔ (on − mid) ≥ t·contrast·(on + mid): no division per symbol.
        let diff = self.on_energy - self.mid_energy;
        let scale = self.contrast * (self.on_energy + self.mid_energy);
        if self.locked {
            if diff < self.config.unlock_threshold * scale {
                self.locked = false;
                self.locked_since = None;
            }
        } else if self.count >= self.full_at
            && diff >= self.config.lock_threshold * scale
            && scale > 0.0
        {
            self.locked = true;
            self.locked_since = Some(self.count);
        }
    }

    /// The normalised contrast (see the type's docs); 0 before any energy.
    pub fn metric(&self) -> f64 {
        let sum = self.on_energy + self.mid_energy;
        if sum > 0.0 && self.contrast > 0.0 {
            (self.on_energy - self.mid_energy) / (sum * self.contrast)
        } else {
            0.0
        }
    }

    pub fn locked(&self) -> bool {
        self.locked
    }

    /// Symbols taken (by [`TimingLock::update`]) when the current lock was
    /// declared.
    pub fn locked_since(&self) -> Option<u64> {
        self.locked_since
    }

    /// Symbols taken since construction or `reset`.
    pub fn symbols(&self) -> u64 {
        self.count
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::design::rrc_taps;
    use crate::filter::test_rng::TestRng;
    use crate::filter::FirFilter;
    use crate::modulate::{PskMod, PskModConfig};
    use crate::sync::{SymbolSync, SymbolSyncConfig};

    const SPS: usize = 4;
    const ROLLOFF: f64 = 0.6;

    fn raised_cosine(t: f64, a: f64) -> f64 {
        let sinc = if t == 0.0 {
            1.0
        } else {
            (std::f64::consts::PI * t).sin() / (std::f64::consts::PI * t)
        };
        let x = 2.0 * a * t;
        if (1.0 - x * x).abs() < 1e-9 {
            let h = std::f64::consts::PI / (2.0 * a);
            std::f64::consts::PI / 4.0 * h.sin() / h
        } else {
            sinc * (std::f64::consts::PI * a * t).cos() / (1.0 - x * x)
        }
    }

    #[test]
    fn contrast_matches_the_raised_cosine_sums() {
        for a in [0.2, 0.35, 0.5, 0.6, 0.8, 1.0] {
            let on: f64 = (-400..=400)
                .map(|m| raised_cosine(m as f64, a).powi(2))
                .sum();
            let mid: f64 = (-400..=400)
                .map(|m| raised_cosine(m as f64 + 0.5, a).powi(2))
                .sum();
            let c = (on - mid) / (on + mid);
            assert!(
                (c - contrast(a)).abs() < 1e-6,
                "{a}: {c} vs {}",
                contrast(a)
            );
        }
    }

    /// Seeded QPSK (or BPSK/OQPSK) at 4 samples per symbol through the
    /// matched filter, with complex noise at `es_n0_db` before it, and
    /// `delay` samples of nothing in front (a timing phase the loop must find).
    fn received(m: PskModulation, n_sym: usize, es_n0_db: f64, delay: usize) -> Vec<Complex32> {
        let mut rng = TestRng::new(77);
        let bits: Vec<u8> = (0..n_sym * 2).map(|_| (rng.next_u64() & 1) as u8).collect();
        let mut md = PskMod::new(PskModConfig {
            modulation: m,
            sps: SPS,
            rrc_rolloff: ROLLOFF,
            span_symbols: 16,
        })
        .unwrap();
        let mut tx = vec![Complex32::new(0.0, 0.0); delay];
        md.process(&bits, &mut tx);
        // Es = 1 per symbol: N0 per sample gives that Es/N0 after the filter.
        let noise = rng.complex_noise(tx.len(), 10f64.powf(-es_n0_db / 10.0));
        for (t, n) in tx.iter_mut().zip(noise) {
            *t += n;
        }
        matched(&tx)
    }

    fn matched(x: &[Complex32]) -> Vec<Complex32> {
        let mut y = Vec::new();
        FirFilter::new(&rrc_taps(SPS as f64, ROLLOFF, 16).unwrap())
            .unwrap()
            .process(x, &mut y);
        y
    }

    /// Runs the timing loop over `x` and the detector beside it; returns the
    /// detector and the metric after every 1000 symbols.
    fn run(m: PskModulation, x: &[Complex32]) -> (TimingLock, Vec<f64>) {
        let mut sync = SymbolSync::new(SymbolSyncConfig::new(SPS as f64, m, ROLLOFF)).unwrap();
        let mut lock = TimingLock::new(TimingLockConfig::new(m, ROLLOFF)).unwrap();
        let one = Complex32::new(1.0, 0.0);
        let mut pos = 0;
        let mut trace = Vec::new();
        while let Some(s) = sync.next_strobe(x, &mut pos) {
            sync.update(one);
            lock.update(s, one);
            if lock.symbols().is_multiple_of(1000) {
                trace.push(lock.metric());
            }
        }
        (lock, trace)
    }

    #[test]
    fn window_is_sized_by_the_roll_off() {
        let w = |a| TimingLockConfig::new(PskModulation::Qpsk, a).window_symbols;
        assert_eq!(w(0.6), 2230.0);
        assert_eq!(w(0.35), 7553.0);
        assert!(w(1.0) < w(0.6));
    }

    #[test]
    fn locks_on_a_clean_signal_within_3000_symbols() {
        for m in [PskModulation::Bpsk, PskModulation::Qpsk] {
            for delay in [0, 1, 2, 3] {
                let x = received(m, 20_000, 30.0, delay);
                let (lock, trace) = run(m, &x);
                let since = lock
                    .locked_since()
                    .unwrap_or_else(|| panic!("{m} delay {delay}: never locked {trace:?}"));
                assert!(lock.locked(), "{m} delay {delay}");
                // The first window (2 230 symbols) must pass before lock is declared.
                assert!(
                    (2230..=3000).contains(&since),
                    "{m} delay {delay}: locked at {since}"
                );
                // At 30 dB the metric is close to its noise-free value of 1 (the mid-
                // symbol energy of 2 230 random symbols varies by a few per cent).
                let metric = lock.metric();
                assert!(metric > 0.9 && metric < 1.1, "{m} delay {delay}: {metric}");
            }
        }
    }

    #[test]
    fn locks_at_3_db_with_the_predicted_metric() {
        let x = received(PskModulation::Qpsk, 30_000, 3.0, 2);
        let (lock, trace) = run(PskModulation::Qpsk, &x);
        assert!(lock.locked(), "{trace:?}");
        assert!(
            lock.locked_since().unwrap() <= 5000,
            "{:?}",
            lock.locked_since()
        );
        // 1 / (1 + 2 / (1.7 · 10^0.3)) = 0.63, less the loop's timing jitter.
        let metric = lock.metric();
        eprintln!(
            "3 dB: locked at {:?}, metric {metric:.3}",
            lock.locked_since()
        );
        assert!(metric > 0.5 && metric < 0.7, "{metric} {trace:?}");
    }

    #[test]
    fn noise_alone_never_locks() {
        let mut rng = TestRng::new(5);
        for level in [1e-4, 1.0, 1e4] {
            let x = matched(&rng.complex_noise(200_000, level));
            let (lock, trace) = run(PskModulation::Qpsk, &x);
            assert!(!lock.locked() && lock.locked_since().is_none(), "{trace:?}");
            // 5σ below the threshold at every point after the first window.
            let worst = trace[3..].iter().fold(0f64, |a, &b| a.max(b.abs()));
            eprintln!("noise at {level}: |metric| up to {worst:.3}");
            assert!(worst < 0.2, "noise at {level}: |metric| up to {worst}");
        }
    }

    #[test]
    fn strobes_half_a_symbol_off_read_as_unlocked() {
        // The signal is there and strong, but sampled at its transitions.
        let x = received(PskModulation::Qpsk, 10_000, 30.0, 0);
        let mut right =
            TimingLock::new(TimingLockConfig::new(PskModulation::Qpsk, ROLLOFF)).unwrap();
        let mut wrong = right.clone();
        let one = Complex32::new(1.0, 0.0);
        // The matched filter and modulator delays put symbol peaks at
        // multiples of SPS (both filters are symmetric with span 16).
        for k in 1..x.len() / SPS - 1 {
            let peak = x[k * SPS];
            let edge = x[k * SPS - SPS / 2];
            right.update(
                Strobe {
                    mid: edge,
                    on_time: peak,
                },
                one,
            );
            wrong.update(
                Strobe {
                    mid: peak,
                    on_time: edge,
                },
                one,
            );
        }
        assert!(
            right.locked() && right.metric() > 0.95,
            "{}",
            right.metric()
        );
        assert!(
            !wrong.locked() && wrong.metric() < -0.9,
            "{}",
            wrong.metric()
        );
    }

    #[test]
    fn oqpsk_rails_are_judged_each_at_its_peak() {
        let x = received(PskModulation::Oqpsk, 20_000, 30.0, 1);
        // |y|² cannot tell OQPSK's instants apart; the rail-wise energies can.
        let (lock, trace) = run(PskModulation::Oqpsk, &x);
        assert!(lock.locked() && lock.metric() > 0.9, "{trace:?}");
        let mut qpsk_view =
            TimingLock::new(TimingLockConfig::new(PskModulation::Qpsk, ROLLOFF)).unwrap();
        let mut sync = SymbolSync::new(SymbolSyncConfig::new(
            SPS as f64,
            PskModulation::Oqpsk,
            ROLLOFF,
        ))
        .unwrap();
        let one = Complex32::new(1.0, 0.0);
        let mut pos = 0;
        while let Some(s) = sync.next_strobe(&x, &mut pos) {
            sync.update(one);
            qpsk_view.update(s, one);
        }
        assert!(qpsk_view.metric().abs() < 0.1, "{}", qpsk_view.metric());
    }

    #[test]
    fn rejects_bad_config() {
        let ok = TimingLockConfig::new(PskModulation::Qpsk, 0.5);
        assert!(TimingLock::new(ok).is_ok());
        for bad in [
            TimingLockConfig { rolloff: 0.0, ..ok },
            TimingLockConfig {
                window_symbols: 0.0,
                ..ok
            },
            TimingLockConfig {
                lock_threshold: 1.5,
                ..ok
            },
            TimingLockConfig {
                unlock_threshold: 0.5,
                ..ok
            },
        ] {
            assert!(TimingLock::new(bad).is_err(), "{bad:?}");
        }
    }
}
