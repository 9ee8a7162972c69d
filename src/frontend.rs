//! Headless front ends: a progress bar on a terminal, or JSON lines for scripts.
//! Both only read the status board; neither can slow the chain down.

use crate::chain::{RunReport, Running};
use crate::error::Result;
use crate::status::StageStatus;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrontEnd {
    /// A progress bar on stderr when it is a terminal, nothing otherwise.
    Progress,
    /// One JSON object per second on stdout, and one at the end.
    Json,
    /// Nothing while running.
    Quiet,
}

fn source_samples(stages: &[StageStatus]) -> u64 {
    stages
        .iter()
        .find(|s| s.stage == "source")
        .and_then(|s| s.value("samples"))
        .unwrap_or(0.0) as u64
}

/// Watches a running chain until it ends and returns its report.
pub fn watch(
    running: Running,
    mode: FrontEnd,
    label: &str,
    total_samples: Option<u64>,
    sample_rate_hz: f64,
) -> Result<RunReport> {
    let bar = (mode == FrontEnd::Progress && std::io::stderr().is_terminal()).then(|| {
        let bar = match total_samples {
            Some(n) => ProgressBar::new(n).with_style(
                ProgressStyle::with_template("{prefix} [{bar:30}] {percent:>3}% {msg} (eta {eta})")
                    .expect("valid template")
                    .progress_chars("=> "),
            ),
            None => ProgressBar::new_spinner().with_style(
                ProgressStyle::with_template("{prefix} {spinner} {msg}").expect("valid template"),
            ),
        };
        bar.set_draw_target(ProgressDrawTarget::stderr_with_hz(10));
        bar.set_prefix(label.to_string());
        bar
    });
    let mut last_json = Instant::now();
    while !running.is_finished() {
        std::thread::sleep(Duration::from_millis(50));
        let stages = running.board().snapshot();
        let samples = source_samples(&stages);
        let elapsed = running.elapsed().as_secs_f64();
        let speed = if elapsed > 0.0 {
            samples as f64 / sample_rate_hz / elapsed
        } else {
            0.0
        };
        if let Some(bar) = &bar {
            bar.set_position(samples);
            bar.set_message(format!(
                "{:.1} s of signal, {:.1}× real time",
                samples as f64 / sample_rate_hz,
                speed
            ));
        }
        if mode == FrontEnd::Json && last_json.elapsed() >= Duration::from_secs(1) {
            last_json = Instant::now();
            print_json(&json!({
                "type": "status",
                "file": label,
                "position_s": samples as f64 / sample_rate_hz,
                "samples": samples,
                "elapsed_s": elapsed,
                "speed_x_realtime": speed,
                "stages": stages,
            }));
        }
    }
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    let report = running.join();
    if mode == FrontEnd::Json {
        match &report {
            Ok(r) => print_json(&json!({
                "type": "summary",
                "file": label,
                "samples": r.samples,
                "duration_s": r.samples as f64 / r.sample_rate_hz,
                "elapsed_s": r.elapsed_s,
                "speed_x_realtime": r.speed_x_realtime(),
                "interrupted": r.interrupted,
                "input_error": r.input_error,
                "products": r.products,
                "stages": r.stages,
            })),
            Err(e) => print_json(&json!({
                "type": "error",
                "file": label,
                "error": e.to_string(),
            })),
        }
    }
    report
}

/// One JSON object on one line of stdout, flushed so a reading script sees it at once.
pub fn print_json(v: &serde_json::Value) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{v}");
    let _ = out.flush();
}
