//! Tuning during a run: what the TUI's frequency and gain keys act on.
//!
//! A live device is retuned in hardware (`io::soapy::DeviceTuner`). A recording cannot
//! be retuned, but the band it holds can be explored: a [`SoftwareTuner`] moves the
//! decoder's channel within the recorded band, by mixing the samples before the
//! pipeline ([`ShiftStage`]) — what an SDR program does when you click beside the
//! centre. A recording has no gain to set; the tuner says so.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::status::StageStatus;
use downlink_dsp::nco::Nco;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What the UI's keys act on. Answers are one line for the status line.
pub trait Tuner: Send {
    /// The frequency the decoder is tuned to, Hz; `None` when not known (a recording
    /// without a centre frequency is tuned by offset: then this is the offset).
    fn frequency_hz(&self) -> Option<f64>;
    /// The gain setting, for the status line (`None`: nothing to set).
    fn gain(&self) -> Option<String>;
    fn tune_hz(&mut self, hz: f64) -> std::result::Result<String, String>;
    fn step_gain_db(&mut self, step_db: f64) -> std::result::Result<String, String>;
    fn toggle_agc(&mut self) -> std::result::Result<String, String>;
}

/// The shift a [`ShiftStage`] applies, set from another thread (f64 bits; Hz).
#[derive(Clone, Debug, Default)]
pub struct ShiftControl(Arc<AtomicU64>);

impl ShiftControl {
    /// A control that starts at `offset_hz` (a channel chosen before the run).
    pub fn at(offset_hz: f64) -> Self {
        let c = ShiftControl::default();
        c.set_offset_hz(offset_hz);
        c
    }

    pub fn offset_hz(&self) -> f64 {
        f64::from_bits(self.0.load(Ordering::Relaxed))
    }
    fn set_offset_hz(&self, hz: f64) {
        self.0.store(hz.to_bits(), Ordering::Relaxed)
    }
}

/// Moves the signal at `offset_hz` (relative to the recording's centre) to 0 Hz before
/// the pipeline, from the next chunk on. At offset 0 the samples pass untouched, so
/// an untuned run is bit-identical to one without this stage.
pub struct ShiftStage {
    inner: Box<dyn SampleStage>,
    control: ShiftControl,
    sample_rate_hz: f64,
    /// The offset the NCO is set to now.
    offset_hz: f64,
    nco: Nco,
    shifted: Chunk,
}

impl ShiftStage {
    pub fn new(inner: Box<dyn SampleStage>, sample_rate_hz: f64, control: ShiftControl) -> Self {
        ShiftStage {
            inner,
            control,
            sample_rate_hz,
            offset_hz: 0.0,
            nco: Nco::new(0.0).expect("0 is a finite frequency"),
            shifted: Chunk::default(),
        }
    }
}

impl SampleStage for ShiftStage {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        let want = self.control.offset_hz();
        if want != self.offset_hz {
            self.offset_hz = want;
            self.nco
                .set_freq_norm(-want / self.sample_rate_hz)
                .map_err(|e| Error::Internal(format!("tuning to {want} Hz: {e}")))?;
        }
        if self.offset_hz == 0.0 {
            return self.inner.process(chunk);
        }
        self.shifted.first_sample = chunk.first_sample;
        self.shifted.center_freq_hz = chunk.center_freq_hz.map(|c| c + self.offset_hz);
        let shifted = self.shifted.samples.to_mut();
        shifted.clear();
        self.nco.mix(&chunk.samples, shifted);
        self.inner.process(&self.shifted)
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    fn finish(self: Box<Self>) -> Result<Vec<Product>> {
        self.inner.finish()
    }

    fn status(&self) -> StageStatus {
        self.inner.status().with("tune_offset_hz", self.offset_hz)
    }
}

/// Tunes within a recording: the channel moves, the recorded band stays.
pub struct SoftwareTuner {
    /// `None`: the recording's centre is unknown, frequencies are offsets.
    center_freq_hz: Option<f64>,
    sample_rate_hz: f64,
    control: ShiftControl,
}

impl SoftwareTuner {
    pub fn new(center_freq_hz: Option<f64>, sample_rate_hz: f64, control: ShiftControl) -> Self {
        SoftwareTuner {
            center_freq_hz,
            sample_rate_hz,
            control,
        }
    }
}

/// `137.9125` in MHz, or an offset in kHz when the centre is unknown.
pub fn describe_hz(hz: f64, relative: bool) -> String {
    if relative {
        format!("{:+.3} kHz", hz / 1e3)
    } else {
        format!("{:.4} MHz", hz / 1e6)
    }
}

impl Tuner for SoftwareTuner {
    fn frequency_hz(&self) -> Option<f64> {
        let offset = self.control.offset_hz();
        Some(self.center_freq_hz.unwrap_or(0.0) + offset)
    }

    fn gain(&self) -> Option<String> {
        None
    }

    fn tune_hz(&mut self, hz: f64) -> std::result::Result<String, String> {
        let centre = self.center_freq_hz.unwrap_or(0.0);
        let relative = self.center_freq_hz.is_none();
        let offset = hz - centre;
        let half = self.sample_rate_hz / 2.0;
        if !offset.is_finite() || offset.abs() > half {
            return Err(format!(
                "{} is outside the recorded band {} to {}: a recording cannot be retuned",
                describe_hz(hz, relative),
                describe_hz(centre - half, relative),
                describe_hz(centre + half, relative)
            ));
        }
        self.control.set_offset_hz(offset);
        Ok(format!(
            "channel at {} ({:+.3} kHz from the recording's centre)",
            describe_hz(hz, relative),
            offset / 1e3
        ))
    }

    fn step_gain_db(&mut self, _step_db: f64) -> std::result::Result<String, String> {
        Err("a recording has no gain to set".into())
    }

    fn toggle_agc(&mut self) -> std::result::Result<String, String> {
        Err("a recording has no gain to set".into())
    }
}

/// A frequency typed by the user: `137.9` (MHz, as SDR programs take it), or with a
/// unit: `137.9M`, `137900k`, `137900000Hz`, `-25k` (an offset when the centre is
/// unknown).
pub fn parse_frequency(text: &str) -> std::result::Result<f64, String> {
    let t = text.trim().trim_end_matches(['H', 'h', 'z', 'Z']);
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'm' | 'M')) => (&t[..i], 1e6),
        Some((i, 'g' | 'G')) => (&t[..i], 1e9),
        // A bare number is MHz; "Hz" alone means Hz.
        _ if text.trim().to_ascii_lowercase().ends_with("hz") => (t, 1.0),
        _ => (t, 1e6),
    };
    let v: f64 = num
        .trim()
        .parse()
        .map_err(|_| format!("'{text}' is not a frequency (e.g. 137.9, 137.9M, 137900k)"))?;
    let hz = v * mult;
    if hz.is_finite() {
        Ok(hz)
    } else {
        Err(format!("'{text}' is not a finite frequency"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use num_complex::Complex32;
    use std::sync::Mutex;

    /// Records what reaches the pipeline.
    struct Capture(Arc<Mutex<Vec<Complex32>>>);
    impl SampleStage for Capture {
        fn name(&self) -> &'static str {
            "capture"
        }
        fn process(&mut self, chunk: &Chunk) -> Result<()> {
            self.0.lock().unwrap().extend_from_slice(&chunk.samples);
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<Vec<Product>> {
            Ok(Vec::new())
        }
        fn status(&self) -> StageStatus {
            StageStatus::new("capture", "running")
        }
    }

    fn tone(hz: f64, rate: f64, from: usize, n: usize) -> Vec<Complex32> {
        (from..from + n)
            .map(|k| {
                let ph = 2.0 * std::f64::consts::PI * hz * k as f64 / rate;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn frequencies_as_users_type_them() {
        assert_eq!(parse_frequency("137.9").unwrap(), 137.9e6);
        assert_eq!(parse_frequency("137.9M").unwrap(), 137.9e6);
        assert_eq!(parse_frequency(" 137900k ").unwrap(), 137.9e6);
        assert_eq!(parse_frequency("145800000Hz").unwrap(), 145.8e6);
        assert_eq!(parse_frequency("-25k").unwrap(), -25e3);
        assert_eq!(parse_frequency("1.2G").unwrap(), 1.2e9);
        assert!(parse_frequency("fast")
            .unwrap_err()
            .contains("not a frequency"));
        assert!(parse_frequency("").is_err());
    }

    #[test]
    fn the_software_tuner_moves_the_channel_within_the_band_only() {
        let control = ShiftControl::default();
        let mut t = SoftwareTuner::new(Some(137.9e6), 150e3, control.clone());
        assert_eq!(t.frequency_hz(), Some(137.9e6));
        let m = t.tune_hz(137.925e6).unwrap();
        assert_eq!(
            m,
            "channel at 137.9250 MHz (+25.000 kHz from the recording's centre)"
        );
        assert!((control.offset_hz() - 25e3).abs() < 1e-6);
        let e = t.tune_hz(138.0e6).unwrap_err();
        assert_eq!(
            e,
            "138.0000 MHz is outside the recorded band 137.8250 MHz to 137.9750 MHz: a recording cannot be retuned"
        );
        assert!((control.offset_hz() - 25e3).abs() < 1e-6, "unchanged");
        assert_eq!(
            t.step_gain_db(1.0).unwrap_err(),
            "a recording has no gain to set"
        );
        assert!(t.toggle_agc().is_err());
        assert_eq!(t.gain(), None);
        // Without a centre: offsets.
        let mut t = SoftwareTuner::new(None, 48e3, ShiftControl::default());
        assert_eq!(
            t.tune_hz(-10e3).unwrap(),
            "channel at -10.000 kHz (-10.000 kHz from the recording's centre)"
        );
        assert_eq!(t.frequency_hz(), Some(-10e3));
    }

    #[test]
    fn the_shift_stage_brings_the_tuned_signal_to_zero_and_is_transparent_at_zero() {
        let rate = 48e3;
        let got = Arc::new(Mutex::new(Vec::new()));
        let control = ShiftControl::default();
        let mut stage = ShiftStage::new(Box::new(Capture(got.clone())), rate, control.clone());
        let input = tone(6e3, rate, 0, 2000);
        let chunk = |from: usize, n: usize| Chunk {
            first_sample: from as u64,
            samples: input[from..from + n].to_vec().into(),
            center_freq_hz: Some(100e6),
        };
        stage.process(&chunk(0, 1000)).unwrap();
        assert_eq!(got.lock().unwrap()[..], input[..1000], "untouched at 0 Hz");
        let mut t = SoftwareTuner::new(Some(100e6), rate, control);
        t.tune_hz(100.006e6).unwrap();
        stage.process(&chunk(1000, 1000)).unwrap();
        assert_eq!(stage.status().value("tune_offset_hz"), Some(6e3));
        // The 6 kHz tone is now at 0 Hz: a constant phasor.
        let out = got.lock().unwrap();
        let first = out[1000];
        for s in &out[1000..] {
            assert!((s - first).norm() < 1e-3, "{s} vs {first}");
        }
        assert!((first.norm() - 1.0).abs() < 1e-3);
    }
}
