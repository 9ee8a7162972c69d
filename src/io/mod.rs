//! Recordings in and out: raw I/Q (`cu8`, `cs8`, `cs16`, `cf32`, real `ru8`/`ri16`/`rf32`),
//! the same gzip-compressed, WAV, SigMF, and stdin.
//!
//! Plain files, SigMF data and WAV data are memory-mapped in bounded windows
//! ([`mapped`]: cf32 chunks borrow the map, other formats convert from it); gzip,
//! stdin and anything that cannot be mapped stream through one reused 256 KiB byte
//! block. Either way memory does not grow with the recording (a 20 GB file is never
//! read whole).
//!
//! Facts about a recording are gathered from, in increasing priority: the file
//! name ([`meta`] documents the recognised tools), a ground-station JSON beside
//! the file (`X.raw.gz.json`), the container's own header (WAV, SigMF), and the
//! caller's [`Overrides`]. [`RecordingInfo::sources`] records where each fact came from.

pub mod device;
mod format;
mod mapped;
pub mod meta;
mod raw;
mod sigmf;
mod sink;
#[cfg(feature = "soapy")]
pub mod soapy;
mod wav;

use std::path::Path;

use chrono::{DateTime, Utc};
use num_complex::Complex32;
use serde::Serialize;

pub use format::{decode_samples, encode_samples, SampleFormat};
pub use mapped::{MappedSamples, Samples};
pub use sink::{create_sink, create_sink_to_writer, SampleSink, SinkSpec};

/// How the samples are packaged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Container {
    /// Headerless samples in a plain file.
    Raw,
    /// Headerless samples inside gzip (one or more members).
    Gzip,
    /// RIFF WAVE: 2 channels = I/Q, 1 channel = real.
    Wav,
    /// `.sigmf-meta` + `.sigmf-data` pair.
    SigMf,
    /// Headerless samples on standard input.
    Stdin,
    /// A live SoapySDR device.
    Device,
}

/// Ground-station position (WGS-84).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Station {
    pub lat_deg: f64,
    pub lon_deg: f64,
    pub alt_m: f64,
}

/// A two-line element set with its name line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Tle {
    pub name: String,
    pub line1: String,
    pub line2: String,
}

/// A SigMF-style annotation: a span of samples, optionally a band and a label.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Annotation {
    pub sample_start: u64,
    pub sample_count: Option<u64>,
    pub freq_lower_edge_hz: Option<f64>,
    pub freq_upper_edge_hz: Option<f64>,
    pub label: Option<String>,
    pub comment: Option<String>,
}

/// Everything known about a recording before reading its samples.
#[derive(Debug, Clone, Serialize)]
pub struct RecordingInfo {
    pub path: String,
    pub container: Container,
    pub format: SampleFormat,
    pub sample_rate_hz: f64,
    pub center_freq_hz: Option<f64>,
    #[serde(serialize_with = "ser_time")]
    pub start_time: Option<DateTime<Utc>>,
    /// Known up front for raw, WAV and SigMF files. For `.gz` it comes from the
    /// gzip ISIZE trailer (uncompressed size mod 2^32) only when that must be
    /// exact: compressed file ≤ 4 GiB / 1032 (≈4.16 MB; DEFLATE's maximum ratio
    /// is 1032:1), taking the file to be one member; larger `.gz` give `None`. For
    /// `.gz` and stdin the source sets it in its own `info()` at the end of the
    /// stream (correcting a multi-member file, whose trailer holds only the last
    /// member's size).
    pub total_samples: Option<u64>,
    /// Where each fact came from, as `"<fact>: <origin>"`, e.g.
    /// `"sample_rate_hz: WAV header"`, `"center_freq_hz: file name (SDR++)"`,
    /// `"start_time: ground-station JSON"`, `"sample_rate_hz: --rate"`.
    pub sources: Vec<String>,
    pub annotations: Vec<Annotation>,
    pub tle: Option<Tle>,
    pub station: Option<Station>,
    pub satellite: Option<String>,
    pub description: Option<String>,
}

fn ser_time<S: serde::Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_some(&t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)),
        None => s.serialize_none(),
    }
}

impl RecordingInfo {
    /// `total_samples / sample_rate_hz`, when the total is known.
    pub fn duration_s(&self) -> Option<f64> {
        self.total_samples.map(|n| n as f64 / self.sample_rate_hz)
    }
}

/// Facts given by the user; they win over everything read from files.
#[derive(Default, Clone, Debug)]
pub struct Overrides {
    pub format: Option<SampleFormat>,
    pub sample_rate_hz: Option<f64>,
    pub center_freq_hz: Option<f64>,
    pub start_time: Option<DateTime<Utc>>,
}

/// A stream of complex samples.
pub trait SampleSource: Send {
    fn info(&self) -> &RecordingInfo;
    /// Appends at most `max` samples to `out`; returns how many; Ok(0) = end of stream.
    ///
    /// `max` must be at least 1 (0 returns Ok(0) without reading). A call may
    /// return fewer than `max` samples before the end; at most one 256 KiB block
    /// is decoded per call. After an error every further call returns that error.
    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError>;
    /// The next at most `max` samples as a chunk carries them (empty = end of stream):
    /// read into `buf` (cleared first), or, for a memory-mapped cf32 file, a view of
    /// the map that leaves `buf` unused. Same stream, limits and errors as `read`.
    fn read_samples(&mut self, mut buf: Vec<Complex32>, max: usize) -> Result<Samples, InputError> {
        buf.clear();
        self.read(&mut buf, max)?;
        Ok(Samples::Owned(buf))
    }
    /// Samples lost before they reached `read` (a live device whose reader fell
    /// behind). Files never drop any.
    fn dropped_samples(&self) -> u64 {
        0
    }
    /// Times a live device failed and was reopened (`--reconnect`). Files: 0.
    fn reconnects(&self) -> u64 {
        0
    }
    /// The centre frequency of the samples the last `read` returned: a live device
    /// may be retuned during the run. Files: the recording's.
    fn center_freq_hz(&self) -> Option<f64> {
        self.info().center_freq_hz
    }
}

/// A problem with an input, one line: `"<path>: <problem>"`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct InputError {
    pub path: String,
    pub problem: String,
}

impl InputError {
    pub(crate) fn new(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        InputError {
            path: path.as_ref().display().to_string(),
            problem: problem.into(),
        }
    }
}

/// A problem with an output, one line: `"<path>: <problem>"`.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{path}: {problem}")]
pub struct OutputError {
    pub path: String,
    pub problem: String,
}

impl OutputError {
    pub(crate) fn new(path: impl AsRef<Path>, problem: impl Into<String>) -> Self {
        OutputError {
            path: path.as_ref().display().to_string(),
            problem: problem.into(),
        }
    }
}

/// The path shown in errors about standard input.
pub(crate) const STDIN_NAME: &str = "<stdin>";

enum Kind {
    SigMf,
    Wav,
    Gzip,
    Raw,
}

fn classify(path: &str) -> Kind {
    let lower = path.to_ascii_lowercase();
    if lower.ends_with(".sigmf-meta") || lower.ends_with(".sigmf-data") || lower.ends_with(".sigmf")
    {
        Kind::SigMf
    } else if lower.ends_with(".wav") {
        Kind::Wav
    } else if lower.ends_with(".gz") {
        Kind::Gzip
    } else {
        Kind::Raw
    }
}

/// Opens a recording for streaming. `"-"` reads headerless samples from stdin
/// and needs both `ov.format` and `ov.sample_rate_hz`.
///
/// The container comes from the name: `.sigmf-meta`/`.sigmf-data`/`.sigmf` →
/// SigMF pair, `.wav` → WAV, `.gz` → gzip, anything else → headerless samples
/// whose format comes from the extension (`.cu8 .cs8 .cs16 .cf32`, `.fc32`,
/// `.cfile`, SatDump's `.u8 .s8 .s16 .f32`, `.ru8 .ri16 .rf32`), the file-name
/// conventions in [`meta`], a ground-station JSON beside it, or `ov.format`.
/// Overrides win over everything, including a WAV or SigMF header (a
/// `format` override reinterprets the data bytes).
pub fn open_source(path: &str, ov: &Overrides) -> Result<Box<dyn SampleSource>, InputError> {
    if path == "-" {
        return Ok(Box::new(raw::open_stdin(ov)?));
    }
    if let Some(args) = path.strip_prefix("soapy:") {
        return open_device(path, args, ov);
    }
    Ok(match classify(path) {
        Kind::SigMf => sigmf::open(path, ov)?,
        Kind::Wav => wav::open(path, ov)?,
        Kind::Gzip => Box::new(raw::open_gzip(path, ov)?),
        Kind::Raw => raw::open_plain(path, ov)?,
    })
}

/// `soapy:ARGS`: a live SoapySDR device, tuned to `--freq` at `--rate`.
#[cfg(feature = "soapy")]
fn open_device(
    path: &str,
    args: &str,
    ov: &Overrides,
) -> Result<Box<dyn SampleSource>, InputError> {
    let (Some(rate), Some(freq)) = (ov.sample_rate_hz, ov.center_freq_hz) else {
        return Err(InputError {
            path: path.into(),
            problem: "a device needs --rate and --freq".into(),
        });
    };
    let settings = device::DeviceSettings {
        center_freq_hz: freq,
        sample_rate_hz: Some(rate),
        ..Default::default()
    };
    Ok(Box::new(soapy::SoapySource::open(
        &soapy::SoapyConfig::new(args, settings),
    )?))
}

#[cfg(not(feature = "soapy"))]
fn open_device(
    path: &str,
    _args: &str,
    _ov: &Overrides,
) -> Result<Box<dyn SampleSource>, InputError> {
    Err(InputError {
        path: path.into(),
        problem: "this downlink was built without SoapySDR support (cargo feature `soapy`)".into(),
    })
}

/// Opens a recording and returns its metadata without reading samples.
pub fn probe(path: &str, ov: &Overrides) -> Result<RecordingInfo, InputError> {
    if path == "-" {
        return Err(InputError::new(
            STDIN_NAME,
            "cannot probe standard input: it can only be read once",
        ));
    }
    Ok(open_source(path, ov)?.info().clone())
}
