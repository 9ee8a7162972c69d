//! Two-tone energy detector for AFSK (Bell 202 and the like): receiver audio in, an NRZ
//! level out, one per audio sample, for [`super::fsk_demod::FskDemod`] to slice.
//!
//! [`super::afsk::AfskDemod`] measures the tone's instantaneous frequency with a second
//! discriminator; below the FM threshold the receiver's audio is full of clicks and that
//! second discriminator clicks again. Measuring the energy near each tone instead
//! (non-coherent FSK detection: mix each tone to 0 Hz, lowpass to about the symbol rate,
//! take the magnitude) degrades gracefully: a click spreads its energy over both tones
//! and mostly cancels in the difference. CHOMPTT's weak pass in `cubesat-iq-chomptt`
//! decodes through it.
//!
//! Output: `(|upper| − |lower|) / (|upper| + |lower|)`, so +1 on the upper tone, −1 on the
//! lower, whatever the audio level. Each tone's magnitude is first divided by its own
//! slow running peak, because FM transmitters pre-emphasise the audio and receivers
//! may de-emphasise it: one tone can arrive several dB louder than the other.

use num_complex::Complex32;

use crate::filter::design::lowpass_taps;
use crate::filter::fir_filter::FirFilter;
use crate::nco::Nco;

use super::afsk::{AfskDemodConfig, AfskDemodError};

/// Stopband of the per-tone filters: the other tone must be well under this one.
const STOPBAND_DB: f64 = 50.0;
/// Symbols over which a tone's running peak decays by 1/e.
const PEAK_DECAY_SYMBOLS: f64 = 64.0;

struct Tone {
    nco: Nco,
    filter: FirFilter,
    mixed: Vec<Complex32>,
    filtered: Vec<Complex32>,
    peak: f32,
}

/// Streaming two-tone energy detector (one output per input sample).
pub struct ToneEnergyDemod {
    config: AfskDemodConfig,
    upper: Tone,
    lower: Tone,
    /// Per-sample decay of the running peaks.
    decay: f32,
}

impl std::fmt::Debug for ToneEnergyDemod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ToneEnergyDemod")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ToneEnergyDemod {
    /// The tones are `centre ± deviation`; each filter keeps about ±baud/2 around its
    /// tone and stops before the other one.
    pub fn new(config: AfskDemodConfig) -> Result<Self, AfskDemodError> {
        let AfskDemodConfig {
            sample_rate_hz: fs,
            centre_hz,
            deviation_hz,
            baud,
        } = config;
        config.check_positive()?;
        if centre_hz + deviation_hz + baud >= fs / 2.0 || deviation_hz >= centre_hz {
            return Err(AfskDemodError(format!(
                "tones {:.0} Hz and {:.0} Hz must lie between 0 Hz and the Nyquist \
                 frequency {:.0} Hz with a symbol rate of room",
                centre_hz - deviation_hz,
                centre_hz + deviation_hz,
                fs / 2.0
            )));
        }
        // Passband to baud/2 (the NRZ main lobe's half width); stopband where the other
        // tone (2·deviation away) starts, less its own half lobe, but never a transition
        // narrower than a quarter of the baud (filter length).
        let pass_hz = 0.5 * baud;
        let stop_hz = (2.0 * deviation_hz - 0.5 * baud).max(pass_hz + 0.25 * baud);
        let transition_hz = stop_hz - pass_hz;
        let taps = lowpass_taps(
            (pass_hz + transition_hz / 2.0) / fs,
            transition_hz / fs,
            STOPBAND_DB,
        )
        .map_err(|e| AfskDemodError(e.to_string()))?;
        let tone = |f_hz: f64| -> Result<Tone, AfskDemodError> {
            Ok(Tone {
                nco: Nco::new(-f_hz / fs).map_err(|e| AfskDemodError(e.to_string()))?,
                filter: FirFilter::new(&taps).map_err(|e| AfskDemodError(e.to_string()))?,
                mixed: Vec::new(),
                filtered: Vec::new(),
                peak: 0.0,
            })
        };
        Ok(Self {
            config,
            upper: tone(centre_hz + deviation_hz)?,
            lower: tone(centre_hz - deviation_hz)?,
            decay: (-1.0 / (PEAK_DECAY_SYMBOLS * fs / baud)).exp() as f32,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &AfskDemodConfig {
        &self.config
    }

    /// Appends one level per audio sample to `output`: about +1 on the upper tone, −1
    /// on the lower.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) {
        for t in [&mut self.upper, &mut self.lower] {
            t.mixed.clear();
            t.mixed
                .extend(input.iter().map(|&x| Complex32::new(x, 0.0)));
            t.nco.mix_in_place(&mut t.mixed);
            t.filtered.clear();
            t.filter.process(&t.mixed, &mut t.filtered);
        }
        let decay = self.decay;
        for (u, l) in self.upper.filtered.iter().zip(&self.lower.filtered) {
            let level = |t_peak: &mut f32, m: f32| {
                *t_peak = (*t_peak * decay).max(m);
                if *t_peak > 0.0 {
                    m / *t_peak
                } else {
                    0.0
                }
            };
            let a = level(&mut self.upper.peak, u.norm());
            let b = level(&mut self.lower.peak, l.norm());
            let sum = a + b;
            output.push(if sum > 0.0 { (a - b) / sum } else { 0.0 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> AfskDemodConfig {
        AfskDemodConfig {
            sample_rate_hz: 48_000.0,
            centre_hz: 1_700.0,
            deviation_hz: 500.0,
            baud: 1_200.0,
        }
    }

    /// Bell 202 with the upper tone 6 dB louder (pre-emphasis): each symbol's middle
    /// comes out with the sign of its tone, in any chunking.
    #[test]
    fn tones_give_their_sign_whatever_their_levels() {
        let fs = 48_000.0;
        let sps = 40;
        let bits = [1u8, 0, 0, 1, 0, 1, 1, 1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 0];
        let mut phase = 0.0f64;
        let mut audio = Vec::new();
        for _ in 0..8 {
            for &b in &bits {
                let (f, a) = if b == 1 {
                    (2_200.0, 1.0)
                } else {
                    (1_200.0, 0.5)
                };
                for _ in 0..sps {
                    phase += 2.0 * std::f64::consts::PI * f / fs;
                    audio.push((a * phase.sin()) as f32);
                }
            }
        }
        let mut whole = Vec::new();
        ToneEnergyDemod::new(config())
            .unwrap()
            .process(&audio, &mut whole);
        let mut pieces = Vec::new();
        let mut d = ToneEnergyDemod::new(config()).unwrap();
        for c in audio.chunks(333) {
            d.process(c, &mut pieces);
        }
        assert_eq!(whole, pieces);
        let delay = d.upper.filter.delay_samples().round() as usize;
        let mut wrong = 0;
        // From the second repetition on (filters and peaks settled).
        for rep in 1..7 {
            for (k, &b) in bits.iter().enumerate() {
                let mid = (rep * bits.len() + k) * sps + sps / 2 + delay;
                let v = whole[mid];
                if (v > 0.0) != (b == 1) {
                    wrong += 1;
                }
            }
        }
        assert_eq!(wrong, 0);
    }

    #[test]
    fn rejects_tones_outside_the_band() {
        let mut c = config();
        c.centre_hz = 23_500.0;
        assert!(ToneEnergyDemod::new(c).is_err());
        let mut c = config();
        c.deviation_hz = 2_000.0;
        assert!(ToneEnergyDemod::new(c).is_err());
    }
}
