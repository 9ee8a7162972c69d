//! `--record FILE`: the raw samples written to a recording while any pipeline decodes
//! them (SigMF keeps the rate, centre frequency, start time and device).
//!
//! A wrapper stage, so the recording sees exactly the chunks the pipeline sees and
//! shares its end: complete on EOF and on Ctrl-C, removed on error.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::Result;
use crate::io::{create_sink, SampleSink, SinkSpec};
use crate::status::StageStatus;

pub struct RecordingStage {
    inner: Box<dyn SampleStage>,
    sink: Option<Box<dyn SampleSink>>,
    spec: SinkSpec,
    samples: u64,
}

impl RecordingStage {
    pub fn wrap(inner: Box<dyn SampleStage>, spec: SinkSpec) -> Result<Self> {
        let sink = create_sink(&spec)?;
        Ok(RecordingStage {
            inner,
            sink: Some(sink),
            spec,
            samples: 0,
        })
    }
}

impl SampleStage for RecordingStage {
    fn name(&self) -> &'static str {
        self.inner.name()
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        if let Some(sink) = self.sink.as_mut() {
            sink.write(&chunk.samples)?;
        }
        self.samples += chunk.samples.len() as u64;
        self.inner.process(chunk)
    }

    fn flush(&mut self) -> Result<()> {
        self.inner.flush()
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        if let Some(sink) = self.sink.take() {
            sink.finish()?;
        }
        let mut products = self.inner.finish()?;
        products.push(Product {
            kind: "recording".into(),
            path: self.spec.path.clone(),
            description: format!(
                "{} samples, {} at {} S/s",
                self.samples,
                self.spec.format.name(),
                self.spec.sample_rate_hz
            ),
        });
        Ok(products)
    }

    fn status(&self) -> StageStatus {
        self.inner
            .status()
            .with("recorded_samples", self.samples as f64)
            .with(
                "recorded_bytes",
                (self.samples * self.spec.format.bytes_per_sample() as u64) as f64,
            )
            .with_text("recording", &self.spec.path.display().to_string())
    }
}
