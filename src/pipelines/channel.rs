//! `channel`: shift one channel to 0 Hz, filter it and decimate it, written as SigMF
//! with the channel's own centre frequency and the recording's start time.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::io::{
    create_sink, create_sink_to_writer, Container, RecordingInfo, SampleFormat, SampleSink,
    SinkSpec,
};
use crate::status::StageStatus;
use downlink_dsp::filter::channelizer::{Channelizer, ChannelizerConfig};
use num_complex::Complex32;
use std::path::PathBuf;

#[derive(Clone, Debug)]
pub struct ChannelConfig {
    /// Channel centre relative to the recording's centre.
    pub offset_hz: f64,
    /// Two-sided bandwidth kept.
    pub bandwidth_hz: f64,
    /// Output rate asked for; the actual one is input / floor(input / asked).
    pub output_rate_hz: f64,
    pub format: SampleFormat,
}

pub struct ChannelStage {
    channelizer: Channelizer,
    sink: Option<Box<dyn SampleSink>>,
    out: Vec<Complex32>,
    spec: SinkSpec,
    samples_in: u64,
    samples_out: u64,
    output_rate_hz: f64,
}

impl ChannelStage {
    /// Builds the stage writing to `out_path` (a `.sigmf-meta` path).
    pub fn new(cfg: &ChannelConfig, info: &RecordingInfo, out_path: PathBuf) -> Result<Self> {
        let mut stage = Self::unopened(cfg, info, out_path)?;
        stage.sink = Some(create_sink(&stage.spec)?);
        Ok(stage)
    }

    /// A stage writing the samples into any writer instead of a file (long-run tests, pipes).
    pub fn to_writer(
        cfg: &ChannelConfig,
        info: &RecordingInfo,
        writer: Box<dyn std::io::Write + Send>,
    ) -> Result<Self> {
        let mut stage = Self::unopened(cfg, info, PathBuf::from("channel.sigmf-meta"))?;
        stage.sink = Some(create_sink_to_writer(&stage.spec, writer)?);
        Ok(stage)
    }

    fn unopened(cfg: &ChannelConfig, info: &RecordingInfo, out_path: PathBuf) -> Result<Self> {
        let rate = info.sample_rate_hz;
        if cfg.offset_hz.abs() + cfg.bandwidth_hz / 2.0 > rate / 2.0 {
            return Err(Error::Usage(format!(
                "channel {:+.0} Hz ± {:.0} Hz lies outside the recording's band (± {:.0} Hz)",
                cfg.offset_hz,
                cfg.bandwidth_hz / 2.0,
                rate / 2.0
            )));
        }
        let channelizer = Channelizer::new(ChannelizerConfig {
            input_rate_hz: rate,
            offset_hz: cfg.offset_hz,
            output_rate_hz: cfg.output_rate_hz,
            bandwidth_hz: cfg.bandwidth_hz,
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        let output_rate_hz = channelizer.actual_output_rate_hz();
        let mut spec = SinkSpec::from_path(&out_path, Some(cfg.format), info)?;
        spec.container = Container::SigMf;
        spec.sample_rate_hz = output_rate_hz;
        spec.center_freq_hz = info.center_freq_hz.map(|f| f + cfg.offset_hz);
        spec.start_time = info.start_time;
        spec.annotations = Vec::new();
        spec.description = Some(format!(
            "channel of {} at {:+.1} Hz, {:.1} Hz wide, {:.3} S/s",
            info.path, cfg.offset_hz, cfg.bandwidth_hz, output_rate_hz
        ));
        Ok(ChannelStage {
            channelizer,
            sink: None,
            out: Vec::new(),
            spec,
            samples_in: 0,
            samples_out: 0,
            output_rate_hz,
        })
    }

    pub fn output_rate_hz(&self) -> f64 {
        self.output_rate_hz
    }
}

impl SampleStage for ChannelStage {
    fn name(&self) -> &'static str {
        "channel"
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        self.out.clear();
        self.channelizer.process(&chunk.samples, &mut self.out);
        self.samples_in += chunk.samples.len() as u64;
        self.samples_out += self.out.len() as u64;
        if let Some(sink) = self.sink.as_mut() {
            sink.write(&self.out)?;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        let sink = self.sink.take().expect("sink present until finish");
        sink.finish()?;
        Ok(vec![Product {
            kind: "channel".into(),
            path: self.spec.path.clone(),
            description: format!(
                "{} samples at {:.3} S/s ({})",
                self.samples_out,
                self.output_rate_hz,
                self.spec.format.name()
            ),
        }])
    }

    fn status(&self) -> StageStatus {
        StageStatus::new("channel", "running")
            .with("samples_in", self.samples_in as f64)
            .with("samples_out", self.samples_out as f64)
            .with("output_rate_hz", self.output_rate_hz)
    }
}
