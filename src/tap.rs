//! The spectrum tap: the source thread publishes the latest FFT frame of what it reads,
//! a live front end (the TUI) picks it up. One slot, overwritten: the feed is bounded
//! (one frame) and the writer never waits for the reader — if the reader holds the
//! lock at that instant, the frame is simply skipped.

use downlink_dsp::filter::design::Window;
use downlink_dsp::spectrum::Periodogram;
use num_complex::Complex32;
use std::sync::{Arc, Mutex, TryLockError};
use std::time::{Duration, Instant};

/// One spectrum frame: FFT-shifted power in dB (index 0 is −fs/2, `n/2` is the centre).
#[derive(Clone, Debug, PartialEq)]
pub struct SpectrumFrame {
    pub bins_db: Vec<f32>,
    pub sample_rate_hz: f64,
    pub center_freq_hz: Option<f64>,
    /// Index of the first sample the frame was computed from.
    pub first_sample: u64,
    /// Counts frames published, so a reader can tell a new frame from the last one.
    pub seq: u64,
}

/// The shared slot. Cloning shares it.
#[derive(Clone, Default, Debug)]
pub struct SpectrumTap {
    slot: Arc<Mutex<Option<SpectrumFrame>>>,
}

impl SpectrumTap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `frame` unless the slot is busy; never blocks. Returns whether it was stored.
    pub fn offer(&self, frame: SpectrumFrame) -> bool {
        match self.slot.try_lock() {
            Ok(mut slot) => {
                *slot = Some(frame);
                true
            }
            Err(TryLockError::Poisoned(p)) => {
                *p.into_inner() = Some(frame);
                true
            }
            Err(TryLockError::WouldBlock) => false,
        }
    }

    /// A copy of the latest frame (the reader's side).
    pub fn latest(&self) -> Option<SpectrumFrame> {
        self.slot.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What the source thread needs to feed a tap.
#[derive(Clone, Debug)]
pub struct TapConfig {
    pub tap: SpectrumTap,
    pub fft_size: usize,
    /// Least time between two frames (a display needs ≈10–25 per second).
    pub interval: Duration,
}

/// Computes frames from the samples passing by, at most one per `interval`.
pub struct SpectrumFeeder {
    config: TapConfig,
    periodogram: Periodogram,
    sample_rate_hz: f64,
    sum: Vec<f32>,
    scratch: Vec<f32>,
    last: Option<Instant>,
    seq: u64,
}

/// Periodograms averaged per frame, so that noise does not flicker.
const AVERAGE_BLOCKS: usize = 4;

impl SpectrumFeeder {
    pub fn new(config: TapConfig, sample_rate_hz: f64) -> Result<Self, String> {
        let periodogram = Periodogram::new(config.fft_size, Window::Hann)
            .map_err(|e| format!("spectrum tap: {e}"))?;
        Ok(SpectrumFeeder {
            config,
            periodogram,
            sample_rate_hz,
            sum: Vec::new(),
            scratch: Vec::new(),
            last: None,
            seq: 0,
        })
    }

    /// Publishes a frame from the start of `samples` (received at `center_freq_hz`) if
    /// one is due and there are enough.
    pub fn feed(&mut self, samples: &[Complex32], first_sample: u64, center_freq_hz: Option<f64>) {
        let n = self.config.fft_size;
        if samples.len() < n
            || self
                .last
                .is_some_and(|t| t.elapsed() < self.config.interval)
        {
            return;
        }
        self.sum.clear();
        self.sum.resize(n, 0.0);
        let blocks = (samples.len() / n).min(AVERAGE_BLOCKS);
        for block in samples.chunks_exact(n).take(blocks) {
            self.scratch.clear();
            if self.periodogram.power(block, &mut self.scratch).is_err() {
                return;
            }
            for (s, p) in self.sum.iter_mut().zip(&self.scratch) {
                *s += p;
            }
        }
        let bins_db = self
            .sum
            .iter()
            .map(|p| downlink_dsp::spectrum::power_to_db(p / blocks as f32))
            .collect();
        self.last = Some(Instant::now());
        self.seq += 1;
        self.config.tap.offer(SpectrumFrame {
            bins_db,
            sample_rate_hz: self.sample_rate_hz,
            center_freq_hz,
            first_sample,
            seq: self.seq,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tone(n: usize, bin: i64, fft: usize) -> Vec<Complex32> {
        (0..n)
            .map(|i| {
                let ph = 2.0 * std::f64::consts::PI * bin as f64 * i as f64 / fft as f64;
                Complex32::new(ph.cos() as f32, ph.sin() as f32)
            })
            .collect()
    }

    #[test]
    fn feeder_publishes_shifted_tone_and_rate_limits() {
        let tap = SpectrumTap::new();
        let cfg = TapConfig {
            tap: tap.clone(),
            fft_size: 64,
            interval: Duration::from_secs(3600),
        };
        let mut f = SpectrumFeeder::new(cfg, 6400.0).unwrap();
        assert!(tap.latest().is_none());
        f.feed(&tone(32, 8, 64), 0, Some(100e6));
        assert!(tap.latest().is_none(), "fewer samples than one FFT");
        f.feed(&tone(256, 8, 64), 10, Some(100e6));
        let frame = tap.latest().unwrap();
        assert_eq!(frame.seq, 1);
        assert_eq!(frame.first_sample, 10);
        assert_eq!(frame.bins_db.len(), 64);
        let peak = (0..64)
            .max_by(|&a, &b| frame.bins_db[a].total_cmp(&frame.bins_db[b]))
            .unwrap();
        assert_eq!(peak, 32 + 8);
        assert!(frame.bins_db[peak].abs() < 0.1, "{}", frame.bins_db[peak]);
        // Within the interval: nothing new.
        f.feed(&tone(256, -8, 64), 20, Some(100e6));
        assert_eq!(tap.latest().unwrap().seq, 1);
    }

    #[test]
    fn offer_never_waits_for_a_held_lock() {
        let tap = SpectrumTap::new();
        let frame = SpectrumFrame {
            bins_db: vec![0.0],
            sample_rate_hz: 1.0,
            center_freq_hz: None,
            first_sample: 0,
            seq: 1,
        };
        let held = tap.slot.lock().unwrap();
        assert!(!tap.offer(frame.clone()));
        drop(held);
        assert!(tap.offer(frame.clone()));
        assert_eq!(tap.latest(), Some(frame));
    }
}
