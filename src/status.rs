//! Status snapshots: every stage publishes a small, plain snapshot of how it is doing
//! (≈10 Hz); front ends (progress bar, `--json` printer, TUI) only read them. Stages never
//! know who is watching, so a slow terminal can never slow the DSP down.

use serde::Serialize;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// What one stage says about itself at one moment.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct StageStatus {
    /// Stage name, e.g. "source", "channel", "waterfall".
    pub stage: String,
    /// Short state word ("running", "done", "NOSYNC", "SYNCED" …).
    pub state: String,
    /// Numeric measurements with units in their names (`samples`, `snr_db`, `offset_hz`).
    pub values: BTreeMap<String, f64>,
    /// Free-text facts (`product`, `format`).
    pub text: BTreeMap<String, String>,
    /// Recent constellation points (I, Q), scaled to ±1, for the TUI's constellation
    /// plot; left out of the JSON lines.
    #[serde(skip)]
    pub points: Vec<(f32, f32)>,
    /// The latest lines of an image being received (imaging pipelines), for the TUI;
    /// shared, not copied, by every snapshot; left out of the JSON lines.
    #[serde(skip)]
    pub preview: Option<Arc<Preview>>,
    /// One-line summaries of the latest frames, newest last (at most a few; the
    /// stage's `frames` value counts them all), for the TUI's frame log; left out of
    /// the JSON lines, which have the frames in the stage's own products.
    #[serde(skip)]
    pub recent: Vec<String>,
}

/// A small RGB picture: the newest rows of an image as it arrives.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Preview {
    pub width: usize,
    pub height: usize,
    /// Row-major RGB, the newest row last.
    pub rgb: Vec<u8>,
    /// What it shows (`RGB 64,65,66`, `APID 68`).
    pub label: String,
    /// Image lines received so far (the preview holds the latest of them).
    pub lines: usize,
}

impl StageStatus {
    pub fn new(stage: &str, state: &str) -> Self {
        StageStatus {
            stage: stage.to_string(),
            state: state.to_string(),
            ..Default::default()
        }
    }

    pub fn with(mut self, key: &str, value: f64) -> Self {
        self.values.insert(key.to_string(), value);
        self
    }

    pub fn with_text(mut self, key: &str, value: &str) -> Self {
        self.text.insert(key.to_string(), value.to_string());
        self
    }

    pub fn with_points(mut self, points: Vec<(f32, f32)>) -> Self {
        self.points = points;
        self
    }

    pub fn with_recent(mut self, recent: Vec<String>) -> Self {
        self.recent = recent;
        self
    }

    pub fn with_preview(mut self, preview: Preview) -> Self {
        self.preview = Some(Arc::new(preview));
        self
    }

    pub fn value(&self, key: &str) -> Option<f64> {
        self.values.get(key).copied()
    }
}

/// The shared board: one slot per stage, in chain order.
#[derive(Clone, Default)]
pub struct StatusBoard {
    slots: Arc<Mutex<Vec<StageStatus>>>,
}

impl StatusBoard {
    pub fn new() -> Self {
        Self::default()
    }

    /// Reserves a slot and returns the publisher a stage keeps.
    pub fn publisher(&self, stage: &str) -> StatusPublisher {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        slots.push(StageStatus::new(stage, "starting"));
        StatusPublisher {
            board: self.clone(),
            index: slots.len() - 1,
            last: None,
        }
    }

    /// A copy of every stage's latest snapshot, in chain order.
    pub fn snapshot(&self) -> Vec<StageStatus> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn store(&self, index: usize, status: StageStatus) {
        let mut slots = self.slots.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(slot) = slots.get_mut(index) {
            *slot = status;
        }
    }
}

/// A stage's handle on its slot. `publish` is rate-limited so that a stage may call it
/// once per chunk without taking the lock thousands of times a second.
pub struct StatusPublisher {
    board: StatusBoard,
    index: usize,
    last: Option<Instant>,
}

/// How often a snapshot is stored at most.
pub const PUBLISH_INTERVAL: Duration = Duration::from_millis(100);

impl StatusPublisher {
    /// True when a new snapshot would be stored now; lets a stage skip building one.
    pub fn due(&self) -> bool {
        self.last.is_none_or(|t| t.elapsed() >= PUBLISH_INTERVAL)
    }

    /// Stores the snapshot if the last one is older than [`PUBLISH_INTERVAL`].
    pub fn publish(&mut self, status: StageStatus) {
        if self.due() {
            self.force(status);
        }
    }

    /// Stores the snapshot now (state changes, the final snapshot).
    pub fn force(&mut self, status: StageStatus) {
        self.last = Some(Instant::now());
        self.board.store(self.index, status);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn board_keeps_latest_snapshot_per_stage_in_order() {
        let board = StatusBoard::new();
        let mut a = board.publisher("source");
        let mut b = board.publisher("channel");
        a.force(StageStatus::new("source", "running").with("samples", 10.0));
        b.force(StageStatus::new("channel", "running"));
        a.force(StageStatus::new("source", "done").with("samples", 20.0));
        let snap = board.snapshot();
        assert_eq!(snap.len(), 2);
        assert_eq!(snap[0].state, "done");
        assert_eq!(snap[0].value("samples"), Some(20.0));
        assert_eq!(snap[1].stage, "channel");
    }

    #[test]
    fn publish_is_rate_limited_but_force_is_not() {
        let board = StatusBoard::new();
        let mut p = board.publisher("x");
        p.publish(StageStatus::new("x", "one"));
        p.publish(StageStatus::new("x", "two"));
        assert_eq!(board.snapshot()[0].state, "one");
        p.force(StageStatus::new("x", "three"));
        assert_eq!(board.snapshot()[0].state, "three");
    }
}
