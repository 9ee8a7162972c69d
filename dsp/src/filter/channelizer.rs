//! Channel selection: frequency shift, lowpass and integer decimation in one.

use num_complex::Complex32;

use super::design::{invalid, lowpass_taps, DesignError};
use super::fir_decimator::FirDecimator;
use crate::nco::Nco;

/// Attenuation of everything outside the kept band. Out-of-band signals in a
/// wide RTL-SDR capture can be 50 dB above the wanted one; 70 dB keeps them
/// well under the noise after decimation.
pub const STOPBAND_DB: f64 = 70.0;

/// The narrowest transition band the channelizer will design, as a fraction
/// of the output rate, used when `bandwidth_hz` is (nearly) the whole output
/// band. Below this the filter length explodes for no practical gain.
const MIN_TRANSITION_OF_OUTPUT: f64 = 0.05;

/// Passband edge (as a fraction of the input rate) above which, at decimation
/// 1, no filter is needed at all: the channel is the whole band.
const WHOLE_BAND: f64 = 0.45;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelizerConfig {
    /// Sample rate of the input.
    pub input_rate_hz: f64,
    /// Centre of the wanted channel relative to the input's centre (may be
    /// negative); it ends up at DC.
    pub offset_hz: f64,
    /// Wanted output rate; the actual one is `input / floor(input / output)`.
    pub output_rate_hz: f64,
    /// Two-sided width of the band to keep, centred on `offset_hz`.
    pub bandwidth_hz: f64,
}

/// Moves `offset_hz` to DC with an [`Nco`], lowpasses to `±bandwidth_hz/2`
/// and decimates by `floor(input_rate / output_rate)`.
///
/// Filter: passband edge `bandwidth/2` (flat to ~0.003 dB), stopband from
/// `actual_output_rate - bandwidth/2`, the lowest frequency that aliases into
/// the passband after decimation, with [`STOPBAND_DB`] attenuation. So
/// nothing aliases into the kept band by more than -70 dB; the region
/// between `bandwidth/2` and the output Nyquist may hold attenuated aliases.
/// (When `bandwidth` is within 5 % of the output rate the transition band is
/// widened to 5 % of the output rate, letting aliases reach the band edges.)
///
/// Output is bit-identical whatever the chunking, and processing allocates
/// nothing once the output vector has grown.
#[derive(Debug, Clone)]
pub struct Channelizer {
    config: ChannelizerConfig,
    nco: Nco,
    decimator: FirDecimator,
}

impl Channelizer {
    pub fn new(config: ChannelizerConfig) -> Result<Self, DesignError> {
        let ChannelizerConfig {
            input_rate_hz: fs_in,
            offset_hz,
            output_rate_hz: fs_out_wanted,
            bandwidth_hz: bw,
        } = config;
        if !(fs_in > 0.0 && fs_in.is_finite()) {
            return Err(invalid("input_rate_hz", fs_in, "a finite rate > 0 Hz"));
        }
        if !(fs_out_wanted > 0.0 && fs_out_wanted <= fs_in) {
            return Err(invalid(
                "output_rate_hz",
                fs_out_wanted,
                "a rate > 0 and <= input_rate_hz",
            ));
        }
        if !(offset_hz.is_finite() && offset_hz.abs() <= fs_in / 2.0) {
            return Err(invalid(
                "offset_hz",
                offset_hz,
                "an offset within ±input_rate_hz/2",
            ));
        }
        // floor(), with a relative tolerance so 2.4e6/48e3 = 49.999… still gives 50.
        let ratio = fs_in / fs_out_wanted;
        let decimation = ((ratio * (1.0 + 1e-12)).floor() as usize).max(1);
        let fs_out = fs_in / decimation as f64;
        if !(bw > 0.0 && bw <= fs_out) {
            return Err(invalid(
                "bandwidth_hz",
                bw,
                "a width > 0 and <= the actual output rate",
            ));
        }
        let pass = bw / 2.0 / fs_in;
        let taps = if decimation == 1 && pass >= WHOLE_BAND {
            vec![1.0]
        } else {
            let stop = ((fs_out - bw / 2.0) / fs_in).min(0.5);
            let min_tw = MIN_TRANSITION_OF_OUTPUT * fs_out / fs_in;
            let tw = (stop - pass).max(min_tw).min(2.0 * (0.5 - pass));
            lowpass_taps(pass + tw / 2.0, tw, STOPBAND_DB)?
        };
        Ok(Channelizer {
            config,
            nco: Nco::new(-offset_hz / fs_in)?,
            decimator: FirDecimator::new(&taps, decimation)?,
        })
    }

    /// Shifts, filters and decimates all of `input`, appending the result.
    pub fn process(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        let nco = &mut self.nco;
        self.decimator
            .process_mapped(input, output, |src, dst| nco.mix_into(src, dst));
    }

    /// Moves the channel centre (Doppler tracking) from the next input sample on. The
    /// mixer's phase stays continuous and the filter is unchanged, so a track that
    /// moves a few hundred Hz inside the kept band costs nothing in the passband.
    /// Errors (leaving the channelizer unchanged) outside ±input_rate_hz/2.
    pub fn set_offset_hz(&mut self, offset_hz: f64) -> Result<(), DesignError> {
        let fs_in = self.config.input_rate_hz;
        if !(offset_hz.is_finite() && offset_hz.abs() <= fs_in / 2.0) {
            return Err(invalid(
                "offset_hz",
                offset_hz,
                "an offset within ±input_rate_hz/2",
            ));
        }
        self.nco.set_freq_norm(-offset_hz / fs_in)?;
        self.config.offset_hz = offset_hz;
        Ok(())
    }

    /// Back to the state just after `new` (NCO phase 0, empty history).
    pub fn reset(&mut self) {
        self.nco.reset();
        self.decimator.reset();
    }

    pub fn config(&self) -> &ChannelizerConfig {
        &self.config
    }

    pub fn decimation(&self) -> usize {
        self.decimator.decimation()
    }

    /// `input_rate_hz / decimation()`.
    pub fn actual_output_rate_hz(&self) -> f64 {
        self.config.input_rate_hz / self.decimation() as f64
    }

    pub fn taps(&self) -> &[f32] {
        self.decimator.taps()
    }

    /// Group delay of the filter in input samples.
    pub fn delay_samples(&self) -> f64 {
        self.decimator.delay_samples()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::f64::consts::TAU;

    fn tone(freq_hz: f64, fs: f64, n: usize, amp: f64) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let p = TAU * ((freq_hz / fs * i as f64) % 1.0);
                Complex32::new((amp * p.cos()) as f32, (amp * p.sin()) as f32)
            })
            .collect()
    }

    /// Power of the output after the filter has settled.
    fn settled_power(c: &Channelizer, y: &[Complex32]) -> f64 {
        let skip = (c.taps().len() / c.decimation()) + 2;
        let tail = &y[skip..];
        tail.iter().map(|s| s.norm_sqr() as f64).sum::<f64>() / tail.len() as f64
    }

    fn config(offset_hz: f64, bw: f64) -> ChannelizerConfig {
        ChannelizerConfig {
            input_rate_hz: 2.4e6,
            offset_hz,
            output_rate_hz: 48e3,
            bandwidth_hz: bw,
        }
    }

    #[test]
    fn passes_in_band_tone_at_shifted_frequency() {
        let fs = 2.4e6;
        let offset = 310e3;
        let mut c = Channelizer::new(config(offset, 30e3)).unwrap();
        assert_eq!(c.decimation(), 50);
        assert_eq!(c.actual_output_rate_hz(), 48e3);
        for df in [0.0, 5e3, -14e3, 14.9e3] {
            c.reset();
            let x = tone(offset + df, fs, 240_000, 1.0);
            let mut y = Vec::new();
            c.process(&x, &mut y);
            assert_eq!(y.len(), 4800);
            let p = settled_power(&c, &y);
            let loss_db = -10.0 * p.log10();
            assert!(loss_db.abs() < 0.1, "df {df}: loss {loss_db} dB");
            // Frequency at the output: mean phase step between samples.
            let skip = c.taps().len() / 50 + 2;
            let mut acc = num_complex::Complex64::new(0.0, 0.0);
            for w in y[skip..].windows(2) {
                let d = w[1] * w[0].conj();
                acc += num_complex::Complex64::new(d.re as f64, d.im as f64);
            }
            let f_out = acc.arg() / TAU * 48e3;
            assert!((f_out - df).abs() < 1.0, "df {df}: measured {f_out} Hz");
        }
    }

    /// A carrier that moves (Doppler) stays at DC when the offset follows it, and
    /// the output has no phase jump where the offset changes.
    #[test]
    fn set_offset_follows_a_moving_carrier_with_continuous_phase() {
        let fs = 2.4e6;
        let mut c = Channelizer::new(config(100e3, 20e3)).unwrap();
        assert!(c.set_offset_hz(1.3e6).is_err());
        assert!(c.set_offset_hz(f64::NAN).is_err());
        assert_eq!(c.config().offset_hz, 100e3);
        // Two segments of a continuous-phase tone: 100 kHz, then 100.4 kHz.
        let n = 120_000;
        let mut x = tone(100e3, fs, n, 1.0);
        let end_phase = TAU * ((100e3 / fs * n as f64) % 1.0);
        let rot = Complex32::new(end_phase.cos() as f32, end_phase.sin() as f32);
        x.extend(tone(100.4e3, fs, n, 1.0).into_iter().map(|s| s * rot));
        let mut y = Vec::new();
        c.process(&x[..n], &mut y);
        c.set_offset_hz(100.4e3).unwrap();
        assert_eq!(c.config().offset_hz, 100.4e3);
        c.process(&x[n..], &mut y);
        let skip = c.taps().len() / c.decimation() + 2;
        // Both halves at DC: the phase step between output samples is ~0 everywhere
        // (the filter spreads the switch over its length, nothing larger).
        let max_step = y[skip..]
            .windows(2)
            .map(|w| (w[1] * w[0].conj()).arg().abs())
            .fold(0.0f32, f32::max);
        assert!(max_step < 0.01, "largest phase step {max_step} rad");
    }

    #[test]
    fn rejects_out_of_band_and_aliasing_tones() {
        let fs = 2.4e6;
        let offset = -200e3;
        let mut c = Channelizer::new(config(offset, 30e3)).unwrap();
        // Just past the stopband edge (48k - 15k = 33k), a tone that would alias
        // onto DC (+48k), far away, and at the mirror image of the offset.
        for df in [33.5e3, -40e3, 48e3, -96e3, 500e3, -2.0 * offset] {
            c.reset();
            let x = tone(offset + df, fs, 240_000, 1.0);
            let mut y = Vec::new();
            c.process(&x, &mut y);
            let rej_db = -10.0 * settled_power(&c, &y).log10();
            assert!(rej_db >= 60.0, "df {df}: rejection {rej_db:.1} dB");
        }
    }

    #[test]
    fn rates_and_errors() {
        let ok = |i: f64, o: f64, bw: f64| {
            Channelizer::new(ChannelizerConfig {
                input_rate_hz: i,
                offset_hz: 0.0,
                output_rate_hz: o,
                bandwidth_hz: bw,
            })
        };
        let c = ok(2.4e6, 50e3, 30e3).unwrap();
        assert_eq!(c.decimation(), 48);
        assert_eq!(c.actual_output_rate_hz(), 50e3);
        let c = ok(240e3, 100e3, 50e3).unwrap();
        assert_eq!(c.decimation(), 2);
        assert_eq!(c.actual_output_rate_hz(), 120e3);
        // Whole band at decimation 1: passes everything unchanged.
        let mut c = ok(48e3, 48e3, 48e3).unwrap();
        assert_eq!(c.taps(), &[1.0]);
        let x = tone(1e3, 48e3, 100, 0.5);
        let mut y = Vec::new();
        c.process(&x, &mut y);
        assert_eq!(x, y);
        // Bandwidth equal to the output rate is allowed (wider transition).
        assert!(ok(2.4e6, 48e3, 48e3).is_ok());
        for (i, o, bw) in [
            (0.0, 1.0, 1.0),
            (-1.0, 1.0, 1.0),
            (f64::NAN, 1.0, 1.0),
            (1e6, 2e6, 1e3),
            (1e6, 0.0, 1e3),
            (1e6, f64::NAN, 1e3),
            (1e6, 1e5, 0.0),
            (1e6, 1e5, 2e5),
            (1e6, 1e5, f64::NAN),
        ] {
            let e = ok(i, o, bw).unwrap_err();
            assert!(e.to_string().contains("invalid"), "{e}");
        }
        let e = Channelizer::new(ChannelizerConfig {
            input_rate_hz: 1e6,
            offset_hz: 6e5,
            output_rate_hz: 1e5,
            bandwidth_hz: 1e4,
        })
        .unwrap_err();
        assert!(e.to_string().contains("offset_hz"));
    }
}
