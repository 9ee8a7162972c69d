//! `--record FILE`: the raw samples written to a recording while any pipeline decodes
//! them (SigMF keeps the rate, centre frequency, start time and device).
//!
//! A wrapper stage, so the recording sees exactly the chunks the pipeline sees and
//! shares its end: complete on EOF and on Ctrl-C, removed on error.
//!
//! With a [`RecordSwitch`] (the TUI's `r` key) recording starts and stops during the
//! run: each stretch is its own complete file (`FILE`, then `FILE-2`, `FILE-3` …) whose
//! start time is that of its first sample.
//!
//! A live device retuned mid-run (the TUI's tuning keys) starts a new file the same
//! way: a SigMF recording has one centre frequency, so each file keeps the truth.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::Result;
use crate::io::{create_sink, SampleSink, SinkSpec};
use crate::status::StageStatus;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Whether recording is wanted; the UI flips it, the stage follows at the next chunk.
#[derive(Clone, Debug, Default)]
pub struct RecordSwitch(Arc<AtomicBool>);

impl RecordSwitch {
    pub fn new(on: bool) -> Self {
        RecordSwitch(Arc::new(AtomicBool::new(on)))
    }
    pub fn is_on(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
    pub fn set(&self, on: bool) {
        self.0.store(on, Ordering::Relaxed)
    }
    pub fn toggle(&self) {
        self.0.fetch_xor(true, Ordering::Relaxed);
    }
}

pub struct RecordingStage {
    inner: Box<dyn SampleStage>,
    sink: Option<Box<dyn SampleSink>>,
    /// The first file's spec; later files are numbered after it.
    spec: SinkSpec,
    /// The file being written now.
    current: PathBuf,
    /// Samples in the current file.
    samples: u64,
    /// The centre frequency of the latest chunk (of the file being written).
    center_freq_hz: Option<f64>,
    switch: Option<RecordSwitch>,
    files: usize,
    done: Vec<Product>,
}

/// `pass.sigmf-meta` → `pass-2.sigmf-meta`, `x.cf32.gz` → `x-2.cf32.gz`.
fn numbered(path: &Path, n: usize) -> PathBuf {
    if n <= 1 {
        return path.to_path_buf();
    }
    let name = path
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    // The extensions start at the first dot after a leading one.
    let at = name
        .char_indices()
        .skip(1)
        .find(|&(_, c)| c == '.')
        .map_or(name.len(), |(i, _)| i);
    path.with_file_name(format!("{}-{n}{}", &name[..at], &name[at..]))
}

impl RecordingStage {
    pub fn wrap(inner: Box<dyn SampleStage>, spec: SinkSpec) -> Result<Self> {
        let mut stage = Self::switched(inner, spec, RecordSwitch::new(true))?;
        // Without a UI nobody switches: recording follows the run.
        stage.switch = None;
        Ok(stage)
    }

    /// Records while `switch` is on (it may start off).
    pub fn switched(
        inner: Box<dyn SampleStage>,
        spec: SinkSpec,
        switch: RecordSwitch,
    ) -> Result<Self> {
        let mut stage = RecordingStage {
            inner,
            sink: None,
            current: spec.path.clone(),
            center_freq_hz: spec.center_freq_hz,
            spec,
            samples: 0,
            switch: Some(switch.clone()),
            files: 0,
            done: Vec::new(),
        };
        if switch.is_on() {
            stage.open(0)?;
        }
        Ok(stage)
    }

    fn open(&mut self, first_sample: u64) -> Result<()> {
        self.files += 1;
        let mut spec = self.spec.clone();
        spec.path = numbered(&self.spec.path, self.files);
        spec.center_freq_hz = self.center_freq_hz;
        let offset_s = first_sample as f64 / spec.sample_rate_hz;
        spec.start_time = spec
            .start_time
            .map(|t| t + chrono::Duration::microseconds((offset_s * 1e6).round() as i64));
        self.sink = Some(create_sink(&spec)?);
        self.current = spec.path;
        self.samples = 0;
        Ok(())
    }

    fn close(&mut self) -> Result<()> {
        if let Some(sink) = self.sink.take() {
            sink.finish()?;
            self.done.push(Product {
                kind: "recording".into(),
                path: self.current.clone(),
                description: format!(
                    "{} samples, {} at {} S/s",
                    self.samples,
                    self.spec.format.name(),
                    self.spec.sample_rate_hz
                ),
            });
        }
        Ok(())
    }
}

impl SampleStage for RecordingStage {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        if let Some(hz) = chunk.center_freq_hz {
            if self.center_freq_hz != Some(hz) {
                self.center_freq_hz = Some(hz);
                if self.sink.is_some() {
                    self.close()?;
                    self.open(chunk.first_sample)?;
                }
            }
        }
        if let Some(on) = self.switch.as_ref().map(RecordSwitch::is_on) {
            if on && self.sink.is_none() {
                self.open(chunk.first_sample)?;
            } else if !on && self.sink.is_some() {
                self.close()?;
            }
        }
        if let Some(sink) = self.sink.as_mut() {
            sink.write(&chunk.samples)?;
            self.samples += chunk.samples.len() as u64;
        }
        self.inner.process(chunk)
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        self.close()?;
        let mut products = self.inner.finish()?;
        products.append(&mut self.done);
        Ok(products)
    }

    fn status(&self) -> StageStatus {
        let s = self.inner.status();
        if self.sink.is_none() {
            return s.with_text("recording", "off");
        }
        s.with("recorded_samples", self.samples as f64)
            .with(
                "recorded_bytes",
                (self.samples * self.spec.format.bytes_per_sample() as u64) as f64,
            )
            .with_text("recording", &self.current.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::{Container, SampleFormat};
    use num_complex::Complex32;

    struct Count(u64);
    impl SampleStage for Count {
        fn name(&self) -> &'static str {
            "count"
        }
        fn process(&mut self, chunk: &Chunk) -> Result<()> {
            self.0 += chunk.samples.len() as u64;
            Ok(())
        }
        fn finish(self: Box<Self>) -> Result<Vec<Product>> {
            Ok(Vec::new())
        }
        fn status(&self) -> StageStatus {
            StageStatus::new("count", "running").with("samples", self.0 as f64)
        }
    }

    fn chunk(first: u64, n: usize) -> Chunk {
        Chunk {
            first_sample: first,
            samples: (0..n)
                .map(|i| Complex32::new((first + i as u64) as f32, 0.0))
                .collect(),
            center_freq_hz: Some(137.9e6),
        }
    }

    #[test]
    fn a_retuned_device_starts_a_new_file_at_its_new_frequency() {
        let dir = tempfile::tempdir().unwrap();
        let spec = SinkSpec {
            path: dir.path().join("rec.sigmf-meta"),
            container: Container::SigMf,
            format: SampleFormat::Cf32,
            sample_rate_hz: 1000.0,
            center_freq_hz: Some(137.9e6),
            start_time: None,
            annotations: Vec::new(),
            description: None,
            hw: None,
        };
        let mut stage = Box::new(RecordingStage::wrap(Box::new(Count(0)), spec).unwrap());
        stage.process(&chunk(0, 300)).unwrap();
        let mut retuned = chunk(300, 200);
        retuned.center_freq_hz = Some(137.1e6);
        stage.process(&retuned).unwrap();
        let products = stage.finish().unwrap();
        let read = |p: &Path| {
            let mut src = crate::io::open_source(p.to_str().unwrap(), &Default::default()).unwrap();
            let mut v = Vec::new();
            while src.read(&mut v, 4096).unwrap() > 0 {}
            (src.info().center_freq_hz, v)
        };
        assert_eq!(products.len(), 2);
        assert_eq!(
            read(&products[0].path),
            (Some(137.9e6), chunk(0, 300).samples.to_vec())
        );
        assert_eq!(
            read(&products[1].path),
            (Some(137.1e6), retuned.samples.to_vec())
        );
        assert_eq!(products[1].path, dir.path().join("rec-2.sigmf-meta"));
    }

    #[test]
    fn numbered_names_keep_the_extensions() {
        let p = Path::new("/x/pass.sigmf-meta");
        assert_eq!(numbered(p, 1), PathBuf::from("/x/pass.sigmf-meta"));
        assert_eq!(numbered(p, 2), PathBuf::from("/x/pass-2.sigmf-meta"));
        assert_eq!(
            numbered(Path::new("a/x.cf32.gz"), 3),
            PathBuf::from("a/x-3.cf32.gz")
        );
    }

    #[test]
    fn the_switch_starts_and_stops_files_at_chunk_boundaries() {
        let dir = tempfile::tempdir().unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2026-11-26T07:42:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let spec = SinkSpec {
            path: dir.path().join("rec.sigmf-meta"),
            container: Container::SigMf,
            format: SampleFormat::Cf32,
            sample_rate_hz: 1000.0,
            center_freq_hz: Some(137.9e6),
            start_time: Some(start),
            annotations: Vec::new(),
            description: None,
            hw: None,
        };
        let switch = RecordSwitch::new(false);
        let mut stage =
            Box::new(RecordingStage::switched(Box::new(Count(0)), spec, switch.clone()).unwrap());
        stage.process(&chunk(0, 500)).unwrap();
        assert_eq!(stage.status().text["recording"], "off");
        switch.toggle();
        stage.process(&chunk(500, 500)).unwrap();
        stage.process(&chunk(1000, 250)).unwrap();
        assert_eq!(stage.status().value("recorded_bytes"), Some(750.0 * 8.0));
        switch.toggle();
        stage.process(&chunk(1250, 1000)).unwrap();
        switch.toggle();
        stage.process(&chunk(2250, 100)).unwrap();
        let products = stage.finish().unwrap();
        let paths: Vec<_> = products.iter().map(|p| p.path.clone()).collect();
        assert_eq!(
            paths,
            vec![
                dir.path().join("rec.sigmf-meta"),
                dir.path().join("rec-2.sigmf-meta")
            ]
        );
        let read = |p: &Path| {
            let mut src = crate::io::open_source(p.to_str().unwrap(), &Default::default()).unwrap();
            let mut v = Vec::new();
            while src.read(&mut v, 4096).unwrap() > 0 {}
            (src.info().start_time.unwrap(), v)
        };
        let (t1, s1) = read(&paths[0]);
        assert_eq!(t1, start + chrono::Duration::milliseconds(500));
        assert_eq!(s1, chunk(500, 750).samples.to_vec());
        let (t2, s2) = read(&paths[1]);
        assert_eq!(t2, start + chrono::Duration::milliseconds(2250));
        assert_eq!(s2, chunk(2250, 100).samples.to_vec());
    }
}
