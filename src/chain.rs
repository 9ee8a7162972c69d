//! The streaming chain: a source thread feeding a stage thread through a bounded
//! channel, with the caller's thread free to watch the status board.
//!
//! ```text
//!  source thread ──Chunk──▶ bounded channel ──▶ stage thread ──▶ products
//!        │                                           │
//!        └──────── StatusBoard (≈10 Hz snapshots) ───┴──▶ progress bar / JSON / TUI
//! ```
//!
//! Files: a full channel blocks the reader (back-pressure), so decoding runs as fast as
//! the CPU allows. Chunk buffers go back to the source through a second channel, so the
//! steady state allocates nothing and memory does not grow with the recording's length.
//! A memory-mapped cf32 file needs no buffers: its chunks borrow the map
//! ([`Samples::Mapped`]).

pub use crate::io::Samples;

use crate::error::{Error, Result};
use crate::io::{InputError, SampleSource};
use crate::status::{StageStatus, StatusBoard, StatusPublisher};
use crate::tap::{SpectrumFeeder, TapConfig};
use crossbeam_channel::{bounded, Receiver, Sender};
use num_complex::Complex32;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// A run of consecutive samples. `first_sample` is the index of `samples[0]` in the
/// whole stream: time in this crate is a sample index.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Chunk {
    pub first_sample: u64,
    /// Reads as `[Complex32]`; its own buffer, or a view of a mapped file.
    pub samples: Samples,
    /// The centre frequency the samples were received at, when known (a live device
    /// may be retuned mid-run; a recording's is fixed).
    pub center_freq_hz: Option<f64>,
}

/// A file a stage wrote, reported when it is complete and under its final name.
#[derive(Clone, Debug, serde::Serialize, PartialEq)]
pub struct Product {
    pub kind: String,
    pub path: PathBuf,
    pub description: String,
}

/// The consuming end of a chain. Implementations are plain structs holding their DSP
/// blocks and sinks.
pub trait SampleStage: Send {
    fn name(&self) -> &'static str;
    /// Consumes one chunk.
    fn process(&mut self, chunk: &Chunk) -> Result<()>;
    /// End of stream, before the last status snapshot: decode what is still buffered.
    fn flush(&mut self) -> Result<()> {
        Ok(())
    }
    /// End of stream: close, rename the products into place.
    fn finish(self: Box<Self>) -> Result<Vec<Product>>;
    /// The stage's current snapshot for the status board.
    fn status(&self) -> StageStatus;
}

/// How the chain runs.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Samples per chunk (the result does not depend on it).
    pub chunk_samples: usize,
    /// Chunks in flight between source and stage.
    pub queue_chunks: usize,
    /// Pace the source at the recording's sample rate.
    pub realtime: bool,
    /// Set (by Ctrl-C) to end the run cleanly: the source stops, the stage finishes.
    pub stop: Arc<AtomicBool>,
    /// Stop after this many samples.
    pub max_samples: Option<u64>,
    /// Publish the latest spectrum of the input here (live front ends).
    pub spectrum: Option<TapConfig>,
    /// An input error ends the stream like its end would: the stage finishes and its
    /// products are complete; the error is in [`RunReport::input_error`]. For live
    /// devices, where everything received before a failure is worth keeping.
    pub keep_products_on_input_error: bool,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            chunk_samples: 65536,
            queue_chunks: 8,
            realtime: false,
            stop: Arc::new(AtomicBool::new(false)),
            max_samples: None,
            spectrum: None,
            keep_products_on_input_error: false,
        }
    }
}

/// What a finished run reports.
#[derive(Clone, Debug, serde::Serialize)]
pub struct RunReport {
    pub samples: u64,
    pub sample_rate_hz: f64,
    /// The run was stopped (Ctrl-C) before the end of the input; products are complete
    /// up to that point.
    pub interrupted: bool,
    pub elapsed_s: f64,
    pub products: Vec<Product>,
    /// Final snapshot of every stage.
    pub stages: Vec<StageStatus>,
    /// The input failed (with `keep_products_on_input_error`): the products are
    /// complete up to the failure, but the run did not end as asked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub input_error: Option<String>,
}

impl RunReport {
    pub fn speed_x_realtime(&self) -> f64 {
        if self.elapsed_s > 0.0 && self.sample_rate_hz > 0.0 {
            self.samples as f64 / self.sample_rate_hz / self.elapsed_s
        } else {
            0.0
        }
    }
}

enum Msg {
    Data(Chunk),
    /// End of stream: Ok(interrupted) or the input error that ended it.
    End(std::result::Result<bool, InputError>),
}

/// A chain in flight.
pub struct Running {
    board: StatusBoard,
    source: JoinHandle<()>,
    stage: JoinHandle<Result<StageEnd>>,
    started: Instant,
    sample_rate_hz: f64,
}

/// Starts the source and stage threads.
pub fn start(
    mut source: Box<dyn SampleSource>,
    stage: Box<dyn SampleStage>,
    opts: RunOptions,
    board: StatusBoard,
) -> Running {
    let sample_rate_hz = source.info().sample_rate_hz;
    let queue = opts.queue_chunks.max(1);
    let (tx, rx) = bounded::<Msg>(queue);
    // The recycle channel holds every buffer not in flight, so it never blocks.
    let (recycle_tx, recycle_rx) = bounded::<Vec<Complex32>>(queue + 2);
    let mut source_status = board.publisher("source");
    let mut stage_status = board.publisher(stage.name());
    let keep_products = opts.keep_products_on_input_error;
    let source_thread = std::thread::Builder::new()
        .name("source".into())
        .spawn(move || {
            run_source(
                source.as_mut(),
                &opts,
                tx,
                recycle_rx,
                &mut source_status,
                sample_rate_hz,
            )
        })
        .expect("spawning the source thread");
    let stage_thread = std::thread::Builder::new()
        .name("stage".into())
        .spawn(move || run_stage(stage, rx, recycle_tx, &mut stage_status, keep_products))
        .expect("spawning the stage thread");
    Running {
        board,
        source: source_thread,
        stage: stage_thread,
        started: Instant::now(),
        sample_rate_hz,
    }
}

impl Running {
    pub fn board(&self) -> &StatusBoard {
        &self.board
    }

    pub fn is_finished(&self) -> bool {
        self.stage.is_finished() && self.source.is_finished()
    }

    pub fn elapsed(&self) -> Duration {
        self.started.elapsed()
    }

    /// Waits for the end; the products are complete when this returns Ok.
    pub fn join(self) -> Result<RunReport> {
        let stage_result = self.stage.join().unwrap_or_else(|panic| {
            std::panic::resume_unwind(panic);
        });
        if let Err(panic) = self.source.join() {
            std::panic::resume_unwind(panic);
        }
        let end = stage_result?;
        Ok(RunReport {
            samples: end.samples,
            sample_rate_hz: self.sample_rate_hz,
            interrupted: end.interrupted,
            elapsed_s: self.started.elapsed().as_secs_f64(),
            products: end.products,
            stages: self.board.snapshot(),
            input_error: end.input_error,
        })
    }
}

/// Runs a chain to the end on the calling thread's behalf (no front end).
pub fn run(
    source: Box<dyn SampleSource>,
    stage: Box<dyn SampleStage>,
    opts: RunOptions,
) -> Result<RunReport> {
    start(source, stage, opts, StatusBoard::new()).join()
}

fn source_snapshot(
    source: &dyn SampleSource,
    samples: u64,
    rate_hz: f64,
    state: &str,
) -> StageStatus {
    let s = StageStatus::new("source", state)
        .with("samples", samples as f64)
        .with("position_s", samples as f64 / rate_hz)
        .with("dropped_samples", source.dropped_samples() as f64)
        .with("reconnects", source.reconnects() as f64);
    match source.center_freq_hz() {
        Some(hz) => s.with("center_freq_hz", hz),
        None => s,
    }
}

fn run_source(
    source: &mut dyn SampleSource,
    opts: &RunOptions,
    tx: Sender<Msg>,
    recycle: Receiver<Vec<Complex32>>,
    status: &mut StatusPublisher,
    rate_hz: f64,
) {
    let chunk = opts.chunk_samples.max(1);
    let started = Instant::now();
    let mut next_sample = 0u64;
    let mut feeder = opts
        .spectrum
        .clone()
        .and_then(|cfg| SpectrumFeeder::new(cfg, rate_hz).ok());
    let end = loop {
        if opts.stop.load(Ordering::Relaxed) {
            break Ok(true);
        }
        let want = match opts.max_samples {
            Some(max) if next_sample >= max => break Ok(false),
            Some(max) => chunk.min((max - next_sample) as usize),
            None => chunk,
        };
        let buf = recycle.try_recv().unwrap_or_default();
        match source.read_samples(buf, want) {
            // A live source ends its stream when the stop flag interrupts a wait.
            Ok(samples) if samples.is_empty() => break Ok(opts.stop.load(Ordering::Relaxed)),
            Ok(samples) => {
                let n = samples.len();
                let center_hz = source.center_freq_hz();
                if let Some(f) = &mut feeder {
                    f.feed(&samples, next_sample, center_hz);
                }
                if opts.realtime {
                    let due = Duration::from_secs_f64((next_sample + n as u64) as f64 / rate_hz);
                    if let Some(wait) = due.checked_sub(started.elapsed()) {
                        std::thread::sleep(wait);
                    }
                }
                let msg = Msg::Data(Chunk {
                    first_sample: next_sample,
                    samples,
                    center_freq_hz: center_hz,
                });
                next_sample += n as u64;
                if status.due() {
                    status.publish(source_snapshot(source, next_sample, rate_hz, "running"));
                }
                if tx.send(msg).is_err() {
                    // The stage ended (with an error it reports itself).
                    return;
                }
            }
            Err(e) => break Err(e),
        }
    };
    let state = match &end {
        Ok(true) => "interrupted",
        Ok(false) => "done",
        Err(_) => "error",
    };
    status.force(source_snapshot(source, next_sample, rate_hz, state));
    let _ = tx.send(Msg::End(end));
}

/// How the stage thread ended.
struct StageEnd {
    products: Vec<Product>,
    samples: u64,
    interrupted: bool,
    input_error: Option<String>,
}

fn run_stage(
    mut stage: Box<dyn SampleStage>,
    rx: Receiver<Msg>,
    recycle: Sender<Vec<Complex32>>,
    status: &mut StatusPublisher,
    keep_products_on_input_error: bool,
) -> Result<StageEnd> {
    let mut samples = 0u64;
    let fail = |stage: &dyn SampleStage, status: &mut StatusPublisher, e: Error| {
        let mut s = stage.status();
        s.state = "error".into();
        status.force(s);
        Err(e)
    };
    loop {
        match rx.recv() {
            Ok(Msg::Data(chunk)) => {
                samples += chunk.samples.len() as u64;
                if let Err(e) = stage.process(&chunk) {
                    // Dropping the stage (not finishing it) removes its unfinished products.
                    return fail(stage.as_ref(), status, e);
                }
                if status.due() {
                    status.publish(stage.status());
                }
                if let Some(buf) = chunk.samples.into_buffer() {
                    let _ = recycle.try_send(buf);
                }
            }
            Ok(Msg::End(end)) => {
                let (interrupted, input_error) = match end {
                    Ok(interrupted) => (interrupted, None),
                    Err(e) if keep_products_on_input_error => (false, Some(e.to_string())),
                    Err(e) => return fail(stage.as_ref(), status, e.into()),
                };
                if let Err(e) = stage.flush() {
                    return fail(stage.as_ref(), status, e);
                }
                let mut last = stage.status();
                let products = stage.finish()?;
                last.state = match (&input_error, interrupted) {
                    (Some(_), _) => "input error",
                    (None, true) => "interrupted",
                    (None, false) => "done",
                }
                .into();
                status.force(last);
                return Ok(StageEnd {
                    products,
                    samples,
                    interrupted,
                    input_error,
                });
            }
            // The source thread died without a word: only a panic does that.
            Err(_) => {
                return fail(
                    stage.as_ref(),
                    status,
                    Error::Internal("the source thread stopped unexpectedly".into()),
                )
            }
        }
    }
}
