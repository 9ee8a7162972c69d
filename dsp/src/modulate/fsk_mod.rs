//! Binary FSK as it leaves an FM receiver's discriminator: an NRZ audio waveform, level
//! +amplitude for a 1 and −amplitude for a 0, optionally Gaussian-shaped (GFSK, as the
//! G3RUH modem and most cubesat radios filter it). Used to synthesise test signals.

/// Configuration of [`FskMod`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FskModConfig {
    /// Output sample rate.
    pub sample_rate_hz: f64,
    /// Symbol rate; sample_rate_hz / baud must be at least 2.
    pub baud: f64,
    /// Peak level of a long run of equal bits.
    pub amplitude: f32,
    /// Gaussian filter bandwidth-time product, or `None` for rectangular NRZ.
    pub gaussian_bt: Option<f64>,
}

/// Error from [`FskMod::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FskModError(pub String);

impl std::fmt::Display for FskModError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FSK modulator: {}", self.0)
    }
}

impl std::error::Error for FskModError {}

/// Streaming NRZ/GFSK audio modulator: bits in, samples out.
///
/// The waveform is evaluated in continuous time at each sample instant (symbol k occupies
/// [k, k+1) symbol periods), so any ratio of sample rate to baud gives an exact signal:
/// the Gaussian-filtered rectangle is a difference of two error functions.
#[derive(Clone, Debug)]
pub struct FskMod {
    config: FskModConfig,
    sps: f64,
    /// Gaussian sigma in symbol periods (0 for rectangular).
    sigma: f64,
    /// Symbols of look-ahead the pulse needs.
    delay_symbols: usize,
    /// Recent levels (±amplitude), newest last; 0 before the first bit.
    levels: Vec<f32>,
    /// Index of the next input bit.
    bits_in: u64,
    /// Index of the next output sample.
    samples_out: u64,
}

/// Error function, Abramowitz & Stegun 7.1.26 (absolute error below 1.5e-7).
fn erf(x: f64) -> f64 {
    let t = 1.0 / (1.0 + 0.327_591_1 * x.abs());
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    if x >= 0.0 {
        y
    } else {
        -y
    }
}

impl FskMod {
    /// Builds the modulator.
    pub fn new(config: FskModConfig) -> Result<Self, FskModError> {
        if !(config.sample_rate_hz > 0.0 && config.baud > 0.0) {
            return Err(FskModError(format!(
                "sample_rate_hz {} and baud {} must be positive",
                config.sample_rate_hz, config.baud
            )));
        }
        let sps = config.sample_rate_hz / config.baud;
        if !(2.0..=10_000.0).contains(&sps) {
            return Err(FskModError(format!(
                "{sps} samples per symbol outside 2..=10000"
            )));
        }
        if !config.amplitude.is_finite() {
            return Err(FskModError("amplitude must be finite".into()));
        }
        let sigma = match config.gaussian_bt {
            None => 0.0,
            // Gaussian filter with -3 dB bandwidth B = bt / T: sigma = sqrt(ln 2) / (2 pi B).
            Some(bt) if bt > 0.05 && bt <= 10.0 => {
                (2f64.ln()).sqrt() / (2.0 * std::f64::consts::PI * bt)
            }
            Some(bt) => return Err(FskModError(format!("gaussian_bt {bt} outside (0.05, 10]"))),
        };
        // The pulse is negligible (< 1e-6) beyond 0.5 + 5 sigma symbols from its centre.
        let delay_symbols = (0.5 + 5.0 * sigma).ceil() as usize;
        Ok(Self {
            config,
            sps,
            sigma,
            delay_symbols,
            levels: vec![0.0; 2 * delay_symbols + 1],
            bits_in: 0,
            samples_out: 0,
        })
    }

    /// Output lag: the first sample of bit k is emitted after bit k + this many bits.
    pub fn delay_symbols(&self) -> usize {
        self.delay_symbols
    }

    fn pulse(&self, u: f64) -> f64 {
        if self.sigma == 0.0 {
            f64::from(u8::from((-0.5..0.5).contains(&u)))
        } else {
            let k = 1.0 / (std::f64::consts::SQRT_2 * self.sigma);
            0.5 * (erf((u + 0.5) * k) - erf((u - 0.5) * k))
        }
    }

    /// Appends the samples of `bits` (one per `u8`, 0 or 1) to `output`.
    pub fn process(&mut self, bits: &[u8], output: &mut Vec<f32>) {
        let d = self.delay_symbols as i64;
        let n = self.levels.len();
        for &b in bits {
            self.levels.rotate_left(1);
            self.levels[n - 1] = if b & 1 == 1 {
                self.config.amplitude
            } else {
                -self.config.amplitude
            };
            // Emit the samples falling in symbol c = (newest - d); levels[n-1-j] is
            // symbol newest - j.
            let newest = self.bits_in as i64;
            let c = newest - d;
            self.bits_in += 1;
            if c < 0 {
                continue;
            }
            loop {
                let t = self.samples_out as f64 / self.sps;
                if t >= (c + 1) as f64 {
                    break;
                }
                let mut v = 0.0f64;
                for (j, &lvl) in self.levels.iter().rev().enumerate() {
                    let k = newest - j as i64;
                    if lvl != 0.0 {
                        v += lvl as f64 * self.pulse(t - (k as f64 + 0.5));
                    }
                }
                output.push(v as f32);
                self.samples_out += 1;
            }
        }
    }

    /// Back to time zero with an idle history.
    pub fn reset(&mut self) {
        self.levels.iter_mut().for_each(|l| *l = 0.0);
        self.bits_in = 0;
        self.samples_out = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(bt: Option<f64>) -> FskModConfig {
        FskModConfig {
            sample_rate_hz: 48_000.0,
            baud: 9600.0,
            amplitude: 0.5,
            gaussian_bt: bt,
        }
    }

    #[test]
    fn rectangular_levels_and_length() {
        let mut m = FskMod::new(cfg(None)).unwrap();
        let mut out = Vec::new();
        m.process(&[1, 0, 1, 1], &mut out);
        // Rectangular pulses need one symbol of look-ahead.
        assert_eq!(m.delay_symbols(), 1);
        assert_eq!(out.len(), 15);
        assert_eq!(&out[..5], &[0.5; 5]);
        assert_eq!(&out[5..10], &[-0.5; 5]);
    }

    #[test]
    fn fractional_sps_keeps_average_rate() {
        let mut m = FskMod::new(FskModConfig {
            baud: 9766.0,
            ..cfg(None)
        })
        .unwrap();
        let mut out = Vec::new();
        m.process(&vec![1; 9766 + m.delay_symbols()], &mut out);
        assert!((out.len() as i64 - 48_000).abs() <= 1, "{}", out.len());
    }

    #[test]
    fn gaussian_shaping_is_smooth_and_reaches_level() {
        let mut m = FskMod::new(cfg(Some(0.5))).unwrap();
        let mut out = Vec::new();
        m.process(&[0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], &mut out);
        let max_step = out
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(0.0, f32::max);
        assert!(max_step < 0.5, "steps of {max_step} for a swing of 1.0");
        // Symbols 0..4 are 0s (from -0.5); the crossing is at t = 4 symbols = 20 samples,
        // odd-symmetric about it; well inside runs the level is reached.
        assert!((out[10] + 0.5).abs() < 1e-3);
        assert!(out[20].abs() < 1e-6 && (out[19] + out[21]).abs() < 1e-6);
        assert!((out[out.len() - 1] - 0.5).abs() < 1e-3);
        assert!(FskMod::new(cfg(Some(0.0))).is_err());
    }

    #[test]
    fn chunk_invariance() {
        let bits: Vec<u8> = (0..200u32).map(|i| ((i * 7919) >> 3 & 1) as u8).collect();
        let mut whole = Vec::new();
        FskMod::new(FskModConfig {
            baud: 4321.0,
            ..cfg(Some(0.5))
        })
        .unwrap()
        .process(&bits, &mut whole);
        let mut chunked = Vec::new();
        let mut m = FskMod::new(FskModConfig {
            baud: 4321.0,
            ..cfg(Some(0.5))
        })
        .unwrap();
        for c in bits.chunks(3) {
            m.process(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
    }
}
