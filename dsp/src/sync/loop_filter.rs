//! Proportional-plus-integral loop filter for second-order tracking loops.

use crate::filter::design::{invalid, DesignError};

/// `v = Kp·e + Σ Ki·e`, the loop filter of a second-order PLL/DLL that is
/// updated once per symbol.
///
/// Gains follow from the normalised noise bandwidth `B_n·T` and damping `ζ`
/// (M. Rice, *Digital Communications: A Discrete-Time Approach*, 2009,
/// appendix C): with `θ = B_n·T / (ζ + 1/(4ζ))` and `d = 1 + 2ζθ + θ²`,
/// `Kp·Kd = 4ζθ/d` and `Ki·Kd = 4θ²/d`, where `Kd` is the detector gain
/// (error per unit of the tracked quantity) and the oscillator gain is 1.
/// The integrator holds the tracked rate (frequency, or clock error) and is
/// clamped to `±integrator_limit`, so noise cannot run it away.
#[derive(Debug, Clone)]
pub struct LoopFilter {
    kp: f64,
    ki: f64,
    integrator: f64,
    limit: f64,
}

impl LoopFilter {
    pub fn new(
        bandwidth_norm: f64,
        damping: f64,
        detector_gain: f64,
        integrator_limit: f64,
    ) -> Result<Self, DesignError> {
        if !(bandwidth_norm > 0.0 && bandwidth_norm < 0.25) {
            return Err(invalid(
                "loop_bandwidth_norm",
                bandwidth_norm,
                "a loop noise bandwidth in (0, 0.25) of the update rate",
            ));
        }
        if !(damping > 0.0 && damping.is_finite()) {
            return Err(invalid("damping", damping, "a finite damping factor > 0"));
        }
        if !(detector_gain.is_finite() && detector_gain != 0.0) {
            return Err(invalid(
                "detector_gain",
                detector_gain,
                "a finite, non-zero gain",
            ));
        }
        if !(integrator_limit >= 0.0 && integrator_limit.is_finite()) {
            return Err(invalid(
                "integrator_limit",
                integrator_limit,
                "a finite limit >= 0",
            ));
        }
        let theta = bandwidth_norm / (damping + 1.0 / (4.0 * damping));
        let d = 1.0 + 2.0 * damping * theta + theta * theta;
        Ok(LoopFilter {
            kp: 4.0 * damping * theta / d / detector_gain,
            ki: 4.0 * theta * theta / d / detector_gain,
            integrator: 0.0,
            limit: integrator_limit,
        })
    }

    /// Feeds one detector output, returns the correction for the oscillator.
    #[inline(always)]
    pub fn update(&mut self, error: f64) -> f64 {
        self.integrator = (self.integrator + self.ki * error).clamp(-self.limit, self.limit);
        self.kp * error + self.integrator
    }

    /// The tracked rate (e.g. frequency in radians per update).
    pub fn integrator(&self) -> f64 {
        self.integrator
    }

    /// Sets the tracked rate (clamped to the limit), e.g. after a coarse
    /// estimate from elsewhere.
    pub fn set_integrator(&mut self, value: f64) {
        self.integrator = if value.is_finite() {
            value.clamp(-self.limit, self.limit)
        } else {
            0.0
        };
    }

    pub fn reset(&mut self) {
        self.integrator = 0.0;
    }

    pub fn gains(&self) -> (f64, f64) {
        (self.kp, self.ki)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A first-order tracking problem closed through the filter: the phase
    /// of an oscillator follows a frequency step with zero steady-state error
    /// (type-2 loop) and the integrator ends at the step's frequency.
    #[test]
    fn tracks_a_frequency_step_without_steady_state_error() {
        let mut f = LoopFilter::new(0.01, 0.707, 1.0, 1.0).unwrap();
        let (mut true_phase, mut est, mut e) = (0.0f64, 0.0f64, 1.0f64);
        let w = 0.02;
        for _ in 0..5000 {
            true_phase += w;
            e = true_phase - est;
            est += f.update(e);
        }
        assert!(e.abs() < 1e-9, "phase error {e}");
        assert!((f.integrator() - w).abs() < 1e-9);
    }

    #[test]
    fn noise_bandwidth_matches_the_request() {
        // Sum of the squared impulse response of the closed loop (error →
        // estimate) equals 2·Bn·T for a loop of noise bandwidth Bn·T.
        for bn in [0.002, 0.005, 0.02] {
            let mut f = LoopFilter::new(bn, 0.707, 1.0, 10.0).unwrap();
            let mut est = 0.0;
            let mut sum = 0.0;
            for k in 0..200_000 {
                let input = if k == 0 { 1.0 } else { 0.0 };
                let out = est;
                est += f.update(input - est);
                if k > 0 {
                    sum += out * out;
                }
            }
            // The discrete loop with the bilinear design lands within 10 %.
            let ratio = sum / (2.0 * bn);
            assert!((ratio - 1.0).abs() < 0.1, "Bn·T {bn}: ratio {ratio}");
        }
    }

    #[test]
    fn clamps_and_rejects() {
        let mut f = LoopFilter::new(0.01, 1.0, 2.0, 0.1).unwrap();
        for _ in 0..100_000 {
            f.update(1.0);
        }
        assert_eq!(f.integrator(), 0.1);
        f.set_integrator(f64::NAN);
        assert_eq!(f.integrator(), 0.0);
        assert!(LoopFilter::new(0.0, 1.0, 1.0, 1.0).is_err());
        assert!(LoopFilter::new(0.3, 1.0, 1.0, 1.0).is_err());
        assert!(LoopFilter::new(0.01, 0.0, 1.0, 1.0).is_err());
        assert!(LoopFilter::new(0.01, 1.0, 0.0, 1.0).is_err());
        assert!(LoopFilter::new(0.01, 1.0, 1.0, -1.0).is_err());
    }
}
