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

/// CPU time this process has used, from `/proc/self/stat` (Linux); None elsewhere.
pub fn process_cpu_s() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) may hold spaces and parentheses: count from its end.
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    // utime and stime are fields 14 and 15, the 12th and 13th after the name; in
    // USER_HZ ticks, which Linux fixes at 100 for /proc.
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// This process's CPU use in % of one core, averaged over about a second.
pub struct CpuMeter {
    last: Option<(Instant, f64)>,
    percent: Option<f64>,
}

impl Default for CpuMeter {
    fn default() -> Self {
        CpuMeter {
            last: process_cpu_s().map(|c| (Instant::now(), c)),
            percent: None,
        }
    }
}

impl CpuMeter {
    /// The latest figure; measures again when a second has passed.
    pub fn percent(&mut self) -> Option<f64> {
        let (t0, c0) = self.last?;
        let dt = t0.elapsed().as_secs_f64();
        if dt >= 1.0 {
            let c1 = process_cpu_s()?;
            self.percent = Some(100.0 * (c1 - c0) / dt);
            self.last = Some((Instant::now(), c1));
        }
        self.percent
    }
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
    let mut cpu = CpuMeter::default();
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
                "cpu_percent": cpu.percent(),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work() {
        let Some(before) = process_cpu_s() else {
            // Not Linux: no /proc, no figure (the UI then shows none).
            return;
        };
        // Spin until 0.05 s of CPU is counted: on a loaded machine this thread may get
        // only a slice of a core, but the count must move.
        let start = Instant::now();
        let mut x = 0u64;
        let mut after = before;
        while after - before < 0.05 && start.elapsed() < Duration::from_secs(20) {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            after = process_cpu_s().unwrap();
        }
        assert!(after - before >= 0.05, "{before} -> {after}");
        // And not more than the wall time on the cores there are.
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
        assert!(after - before <= start.elapsed().as_secs_f64() * cores + 0.02);
    }
}
