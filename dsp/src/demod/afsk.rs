//! Audio subcarrier FSK (AFSK, and GMSK/FSK riding on an audio tone) to baseband NRZ:
//! receiver audio in, a frequency-discriminator signal out, at the same sample rate, for
//! [`super::fsk_demod::FskDemod`] to slice and clock.
//!
//! AFSK over FM is FSK twice over: the radio's discriminator turns RF into audio, and the
//! data lives in the audio tone's frequency (Bell 202: 1200 Hz / 2200 Hz around 1700 Hz;
//! GOMX-1: 4800 Bd GMSK around 3600 Hz). So the same again in audio: shift the tone
//! centre to 0 Hz (complex mixer), keep ±(deviation + symbol rate) with a lowpass that
//! also removes the mixer's image at −2·centre, then a quadrature discriminator. The
//! output is the instantaneous tone offset from the centre in units of the deviation:
//! +1 at `centre + deviation`, −1 at `centre − deviation`. A filter-bank (mark/space
//! energy) detector would serve Bell 202 alike, but the discriminator also serves GMSK
//! subcarriers, whose tones are not resolvable at one symbol's integration time.

use num_complex::Complex32;

use crate::filter::design::lowpass_taps;
use crate::filter::fir_filter::FirFilter;
use crate::nco::Nco;

/// Configuration of [`AfskDemod`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AfskDemodConfig {
    /// Audio sample rate.
    pub sample_rate_hz: f64,
    /// Audio frequency half-way between the two tones.
    pub centre_hz: f64,
    /// Tone offset from the centre (half the tone spacing), > 0.
    pub deviation_hz: f64,
    /// Symbol rate.
    pub baud: f64,
}

impl AfskDemodConfig {
    /// Every field finite and positive (shared by the demodulators that take it).
    pub(crate) fn check_positive(&self) -> Result<(), AfskDemodError> {
        let AfskDemodConfig {
            sample_rate_hz: fs,
            centre_hz,
            deviation_hz,
            baud,
        } = *self;
        let finite_pos = |v: f64| v.is_finite() && v > 0.0;
        if finite_pos(fs) && finite_pos(centre_hz) && finite_pos(deviation_hz) && finite_pos(baud) {
            Ok(())
        } else {
            Err(AfskDemodError(format!(
                "rate {fs} Hz, centre {centre_hz} Hz, deviation {deviation_hz} Hz and {baud} Bd \
                 must all be positive"
            )))
        }
    }
}

/// Error from [`AfskDemod::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AfskDemodError(pub String);

impl std::fmt::Display for AfskDemodError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AFSK demodulator: {}", self.0)
    }
}

impl std::error::Error for AfskDemodError {}

/// Stopband of the tone filter: the image and voice/noise outside the tone band need
/// only be well under the tones, not under the noise floor of an SDR capture.
const STOPBAND_DB: f64 = 50.0;

/// Streaming AFSK/subcarrier discriminator (one output per input sample).
#[derive(Clone, Debug)]
pub struct AfskDemod {
    config: AfskDemodConfig,
    nco: Nco,
    filter: FirFilter,
    mixed: Vec<Complex32>,
    filtered: Vec<Complex32>,
    last: Complex32,
    /// Radians per sample at the full deviation, inverted.
    scale: f32,
}

impl AfskDemod {
    /// Designs the tone filter; the tone band must fit below Nyquist.
    pub fn new(config: AfskDemodConfig) -> Result<Self, AfskDemodError> {
        let AfskDemodConfig {
            sample_rate_hz: fs,
            centre_hz,
            deviation_hz,
            baud,
        } = config;
        config.check_positive()?;
        // Carson's rule for the tone band (deviation plus the NRZ main lobe's half width).
        let half_band_hz = deviation_hz + 0.5 * baud;
        if centre_hz + half_band_hz >= fs / 2.0 {
            return Err(AfskDemodError(format!(
                "tones up to {:.0} Hz do not fit below the Nyquist frequency {:.0} Hz",
                centre_hz + half_band_hz,
                fs / 2.0
            )));
        }
        // The transition band ends before the image's nearest edge (2·centre − band) and
        // before Nyquist.
        let image_edge_hz = 2.0 * centre_hz - half_band_hz;
        let stop_hz = image_edge_hz.min(fs / 2.0).max(half_band_hz * 1.25);
        let transition_hz = (stop_hz - half_band_hz).max(half_band_hz * 0.25);
        let cutoff = (half_band_hz + transition_hz / 2.0) / fs;
        let taps = lowpass_taps(cutoff, transition_hz / fs, STOPBAND_DB)
            .map_err(|e| AfskDemodError(e.to_string()))?;
        let nco = Nco::new(-centre_hz / fs).map_err(|e| AfskDemodError(e.to_string()))?;
        let filter = FirFilter::new(&taps).map_err(|e| AfskDemodError(e.to_string()))?;
        let scale = (fs / (2.0 * std::f64::consts::PI * deviation_hz)) as f32;
        Ok(Self {
            config,
            nco,
            filter,
            mixed: Vec::new(),
            filtered: Vec::new(),
            last: Complex32::new(0.0, 0.0),
            scale,
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &AfskDemodConfig {
        &self.config
    }

    /// Group delay of the tone filter, in samples.
    pub fn delay_samples(&self) -> f64 {
        self.filter.delay_samples()
    }

    /// Appends one discriminator sample per audio sample to `output`: about +1 at the
    /// upper tone, −1 at the lower.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<f32>) {
        self.mixed.clear();
        self.mixed
            .extend(input.iter().map(|&x| Complex32::new(x, 0.0)));
        self.nco.mix_in_place(&mut self.mixed);
        self.filtered.clear();
        self.filter.process(&self.mixed, &mut self.filtered);
        for &z in &self.filtered {
            let d = (z * self.last.conj()).arg();
            self.last = z;
            output.push(d * self.scale);
        }
    }

    /// Back to the state just after `new`.
    pub fn reset(&mut self) {
        self.nco.reset();
        self.filter.reset();
        self.last = Complex32::new(0.0, 0.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Continuous-phase two-tone audio for `bits` (1 = upper tone).
    fn afsk(bits: &[u8], fs: f64, centre: f64, dev: f64, baud: f64) -> Vec<f32> {
        let sps = fs / baud;
        let n = (bits.len() as f64 * sps) as usize;
        let mut phase = 0.0f64;
        (0..n)
            .map(|i| {
                let b = bits[((i as f64) / sps) as usize];
                let f = centre + if b == 1 { dev } else { -dev };
                phase += 2.0 * std::f64::consts::PI * f / fs;
                (0.5 * phase.cos()) as f32
            })
            .collect()
    }

    #[test]
    fn bell202_tones_come_out_as_plus_minus_one() {
        let bits: Vec<u8> = (0..200u32).map(|i| ((i * 7 + i / 3) % 2) as u8).collect();
        let fs = 48_000.0;
        let audio = afsk(&bits, fs, 1700.0, 500.0, 1200.0);
        let mut d = AfskDemod::new(AfskDemodConfig {
            sample_rate_hz: fs,
            centre_hz: 1700.0,
            deviation_hz: 500.0,
            baud: 1200.0,
        })
        .unwrap();
        let mut out = Vec::new();
        d.process(&audio, &mut out);
        assert_eq!(out.len(), audio.len());
        // Sample each symbol's middle, after the filter delay.
        let delay = d.delay_samples();
        let sps = fs / 1200.0;
        let mut wrong = 0;
        let mut level = 0.0f32;
        for (k, &b) in bits.iter().enumerate().skip(2) {
            let i = ((k as f64 + 0.5) * sps + delay) as usize;
            if i >= out.len() {
                break;
            }
            if (out[i] > 0.0) != (b == 1) {
                wrong += 1;
            }
            level += out[i].abs();
        }
        assert_eq!(wrong, 0);
        let mean = level / (bits.len() - 2) as f32;
        assert!((0.6..1.3).contains(&mean), "mean |level| {mean}");
    }

    #[test]
    fn chunking_does_not_change_the_output() {
        let bits: Vec<u8> = (0..64u32).map(|i| (i.count_ones() % 2) as u8).collect();
        let audio = afsk(&bits, 48_000.0, 3600.0, 1200.0, 4800.0);
        let cfg = AfskDemodConfig {
            sample_rate_hz: 48_000.0,
            centre_hz: 3600.0,
            deviation_hz: 1200.0,
            baud: 4800.0,
        };
        let mut a = AfskDemod::new(cfg).unwrap();
        let mut whole = Vec::new();
        a.process(&audio, &mut whole);
        let mut b = AfskDemod::new(cfg).unwrap();
        let mut parts = Vec::new();
        for c in audio.chunks(333) {
            b.process(c, &mut parts);
        }
        assert_eq!(whole, parts);
    }

    #[test]
    fn rejects_tones_above_nyquist() {
        let e = AfskDemod::new(AfskDemodConfig {
            sample_rate_hz: 8_000.0,
            centre_hz: 3_600.0,
            deviation_hz: 1_200.0,
            baud: 4_800.0,
        })
        .unwrap_err();
        assert!(e.0.contains("Nyquist"), "{e}");
    }
}
