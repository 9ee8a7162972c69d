//! The spectrum behind `info`: a Welch average over the recording and the strongest
//! signals found in it.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::status::StageStatus;
use downlink_dsp::filter::design::Window;
use downlink_dsp::spectrum::signals::{find_signals, FindOptions, Signal};
use downlink_dsp::spectrum::welch::{Welch, WelchConfig};
use std::sync::{Arc, Mutex};

/// FFT size giving roughly 50 Hz bins, within 1024..=65536, so that narrow cubesat
/// carriers and wide LRPT humps both resolve.
pub fn fft_size_for(sample_rate_hz: f64) -> usize {
    let want = (sample_rate_hz / 50.0).max(1.0) as usize;
    want.next_power_of_two().clamp(1024, 65536)
}

/// The result of analysing a recording.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct SpectrumSummary {
    pub fft_size: usize,
    pub segments: u64,
    pub bin_hz: f64,
    /// Power per bin in dB, FFT-shifted (index 0 is −fs/2).
    #[serde(skip)]
    pub psd_db: Vec<f32>,
    pub signals: Vec<SignalReport>,
}

#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct SignalReport {
    pub center_offset_hz: f64,
    pub peak_offset_hz: f64,
    pub bandwidth_hz: f64,
    pub snr_db: f64,
    pub peak_db: f64,
    /// Power above the floor over the whole signal (what signals are ranked by).
    pub power_db: f64,
}

impl From<&Signal> for SignalReport {
    fn from(s: &Signal) -> Self {
        SignalReport {
            center_offset_hz: s.center_offset_hz,
            peak_offset_hz: s.peak_offset_hz,
            bandwidth_hz: s.bandwidth_hz,
            snr_db: s.snr_db as f64,
            peak_db: s.peak_db as f64,
            power_db: s.power_db as f64,
        }
    }
}

/// Accumulates the spectrum; the summary is handed back through a shared slot because
/// the stage itself is consumed by `finish`.
pub struct SpectrumStage {
    welch: Welch,
    sample_rate_hz: f64,
    fft_size: usize,
    max_signals: usize,
    result: Arc<Mutex<Option<SpectrumSummary>>>,
}

impl SpectrumStage {
    pub fn new(
        sample_rate_hz: f64,
        fft_size: usize,
        max_signals: usize,
    ) -> Result<(Self, Arc<Mutex<Option<SpectrumSummary>>>)> {
        let welch = Welch::new(WelchConfig {
            fft_size,
            window: Window::BlackmanHarris,
            overlap: 0.5,
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        let result = Arc::new(Mutex::new(None));
        Ok((
            SpectrumStage {
                welch,
                sample_rate_hz,
                fft_size,
                max_signals,
                result: result.clone(),
            },
            result,
        ))
    }
}

impl SampleStage for SpectrumStage {
    fn name(&self) -> &'static str {
        "spectrum"
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        self.welch.push(&chunk.samples);
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<Vec<Product>> {
        let psd_db = self.welch.psd_db();
        let mut signals: Vec<SignalReport> = if self.welch.segments() > 0 {
            // The Blackman–Harris main lobe is ±4 bins: suppress that much around DC,
            // where SDR recordings carry their I/Q-offset spike.
            let opts = FindOptions {
                dc_suppress_bins: 4,
                ..FindOptions::default()
            };
            find_signals(&psd_db, self.sample_rate_hz, &opts)
                .iter()
                .map(SignalReport::from)
                .collect()
        } else {
            Vec::new()
        };
        signals.truncate(self.max_signals);
        let summary = SpectrumSummary {
            fft_size: self.fft_size,
            segments: self.welch.segments(),
            bin_hz: self.sample_rate_hz / self.fft_size as f64,
            psd_db,
            signals,
        };
        *self.result.lock().unwrap_or_else(|e| e.into_inner()) = Some(summary);
        Ok(Vec::new())
    }

    fn status(&self) -> StageStatus {
        StageStatus::new("spectrum", "running").with("segments", self.welch.segments() as f64)
    }
}
