//! Writing recordings: raw, gzip, WAV and SigMF.
//!
//! Every file is written as `<final>.part` and renamed to its final name only by
//! [`SampleSink::finish`] (after an fsync), so a final name never holds a half
//! file. A sink dropped without `finish` deletes its `.part` files.

use std::ffi::OsString;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use flate2::write::GzEncoder;
use flate2::Compression;
use num_complex::Complex32;

use super::meta::{format_from_extension, is_formatless_raw_extension};
use super::wav::{wav_spec, WavSink};
use super::{
    encode_samples, sigmf, Annotation, Container, OutputError, RecordingInfo, SampleFormat,
};

/// A consumer of complex samples.
pub trait SampleSink: Send {
    fn write(&mut self, samples: &[Complex32]) -> Result<(), OutputError>;
    /// Completes the output and moves it to its final name(s).
    fn finish(self: Box<Self>) -> Result<(), OutputError>;
}

/// What to write and where.
#[derive(Debug, Clone)]
pub struct SinkSpec {
    /// For SigMF any of `X.sigmf-meta`, `X.sigmf-data`, `X.sigmf`: the pair
    /// `X.sigmf-meta` + `X.sigmf-data` is written.
    pub path: PathBuf,
    /// Raw, Gzip, Wav or SigMf.
    pub container: Container,
    pub format: SampleFormat,
    pub sample_rate_hz: f64,
    pub center_freq_hz: Option<f64>,
    pub start_time: Option<DateTime<Utc>>,
    pub annotations: Vec<Annotation>,
    pub description: Option<String>,
    /// SigMF `core:hw`.
    pub hw: Option<String>,
}

fn lower_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default()
}

fn ext_of(name: &str) -> &str {
    match name.rfind('.') {
        Some(i) if i > 0 => &name[i + 1..],
        _ => "",
    }
}

/// Checks an explicit format against the one an extension names.
fn agree(
    path: &Path,
    ext_fmt: SampleFormat,
    asked: Option<SampleFormat>,
) -> Result<SampleFormat, OutputError> {
    match asked {
        Some(a) if a != ext_fmt => Err(OutputError::new(
            path,
            format!("the file extension says {ext_fmt} but the format asked for is {a}: rename the file or change the format"),
        )),
        _ => Ok(ext_fmt),
    }
}

impl SinkSpec {
    /// Infers container and format from the file name:
    /// `.cu8 .cs8 .cs16 .cf32` (and `.fc32 .cfile .u8 .s8 .s16 .f32 .ru8 .ri16 .rf32`) name the
    /// format; `.raw .bin .iq .dat` take `format` or the input's; `.gz` compresses
    /// what the inner extension says; `.wav` writes 2-channel I/Q (or mono for real
    /// formats; a cs8 input defaults to cs16, which holds it exactly);
    /// `.sigmf-meta`/`.sigmf-data`/`.sigmf` write a SigMF pair. Rate, centre,
    /// start time, annotations and description are copied from `info`.
    pub fn from_path(
        path: impl AsRef<Path>,
        format: Option<SampleFormat>,
        info: &RecordingInfo,
    ) -> Result<SinkSpec, OutputError> {
        let path = path.as_ref();
        let name = lower_name(path);
        let ext = ext_of(&name);
        let (container, fmt) = if name.ends_with(".sigmf-meta")
            || name.ends_with(".sigmf-data")
            || name.ends_with(".sigmf")
        {
            (Container::SigMf, format.unwrap_or(info.format))
        } else if ext == "wav" {
            let fmt = match format {
                Some(f) => f,
                None if info.format == SampleFormat::Cs8 => SampleFormat::Cs16,
                None => info.format,
            };
            wav_spec(fmt, info.sample_rate_hz).map_err(|p| OutputError::new(path, p))?;
            (Container::Wav, fmt)
        } else if ext == "gz" {
            let inner = ext_of(&name[..name.len() - 3]);
            match format_from_extension(inner) {
                Some(f) => (Container::Gzip, agree(path, f, format)?),
                None => (Container::Gzip, format.unwrap_or(info.format)),
            }
        } else if let Some(f) = format_from_extension(ext) {
            (Container::Raw, agree(path, f, format)?)
        } else if is_formatless_raw_extension(ext) {
            (Container::Raw, format.unwrap_or(info.format))
        } else {
            return Err(OutputError::new(
                path,
                format!(
                    "cannot tell the output format from the extension '.{ext}': use .cu8 .cs8 .cs16 .cf32 .raw .gz .wav or .sigmf-meta"
                ),
            ));
        };
        Ok(SinkSpec {
            path: path.to_path_buf(),
            container,
            format: fmt,
            sample_rate_hz: info.sample_rate_hz,
            center_freq_hz: info.center_freq_hz,
            start_time: info.start_time,
            annotations: info.annotations.clone(),
            description: info.description.clone(),
            hw: None,
        })
    }

    fn check(&self) -> Result<(), OutputError> {
        if !(self.sample_rate_hz.is_finite() && self.sample_rate_hz > 0.0) {
            return Err(OutputError::new(
                &self.path,
                format!(
                    "sample rate {} Hz is not valid: it must be positive and finite",
                    self.sample_rate_hz
                ),
            ));
        }
        Ok(())
    }
}

/// A `<final>.part` file that becomes `<final>` on `commit` and is deleted if dropped first.
pub(crate) struct PartFile {
    part: PathBuf,
    final_path: PathBuf,
    file_for_sync: Option<File>,
    armed: bool,
}

impl PartFile {
    pub(crate) fn create(final_path: &Path) -> Result<(PartFile, File), OutputError> {
        let mut p = OsString::from(final_path.as_os_str());
        p.push(".part");
        let part = PathBuf::from(p);
        let file = File::create(&part)
            .map_err(|e| OutputError::new(&part, format!("cannot create: {e}")))?;
        let sync = file
            .try_clone()
            .map_err(|e| OutputError::new(&part, format!("cannot open: {e}")))?;
        Ok((
            PartFile {
                part,
                final_path: final_path.to_path_buf(),
                file_for_sync: Some(sync),
                armed: true,
            },
            file,
        ))
    }

    pub(crate) fn part_path(&self) -> &Path {
        &self.part
    }

    /// Makes the written bytes durable before the rename publishes them.
    pub(crate) fn sync(&self) -> io::Result<()> {
        match &self.file_for_sync {
            Some(f) => f.sync_all(),
            None => Ok(()),
        }
    }

    pub(crate) fn commit(mut self) -> Result<(), OutputError> {
        self.file_for_sync = None;
        std::fs::rename(&self.part, &self.final_path).map_err(|e| {
            OutputError::new(
                &self.final_path,
                format!("cannot rename {} into place: {e}", self.part.display()),
            )
        })?;
        self.armed = false;
        Ok(())
    }
}

impl Drop for PartFile {
    fn drop(&mut self) {
        if self.armed {
            let _ = std::fs::remove_file(&self.part);
        }
    }
}

/// A byte sink that can be completed (gzip trailer, flush).
trait DataWriter: Write + Send {
    fn complete(self: Box<Self>) -> io::Result<()>;
}

impl DataWriter for BufWriter<File> {
    fn complete(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

impl DataWriter for Box<dyn Write + Send> {
    fn complete(mut self: Box<Self>) -> io::Result<()> {
        self.flush()
    }
}

impl<W: DataWriter> DataWriter for GzEncoder<W> {
    fn complete(self: Box<Self>) -> io::Result<()> {
        let inner = (*self).finish()?;
        Box::new(inner).complete()
    }
}

/// Samples per encode batch, so the scratch buffer stays small whatever the caller passes.
const BATCH: usize = 32 * 1024;

/// Headerless samples (optionally gzip), plus the SigMF metadata when asked.
struct DataSink {
    w: Option<Box<dyn DataWriter>>,
    fmt: SampleFormat,
    scratch: Vec<u8>,
    /// Shown in errors: the `.part` path, or the spec's path for writers.
    err_path: PathBuf,
    data_part: Option<PartFile>,
    /// SigMF: the metadata `.part` file and the JSON to put in it at the end.
    meta: Option<(PartFile, File, Vec<u8>)>,
}

impl SampleSink for DataSink {
    fn write(&mut self, samples: &[Complex32]) -> Result<(), OutputError> {
        let Some(w) = self.w.as_mut() else {
            return Err(OutputError::new(
                &self.err_path,
                "write after a failed write",
            ));
        };
        for chunk in samples.chunks(BATCH) {
            self.scratch.clear();
            encode_samples(self.fmt, chunk, &mut self.scratch);
            if let Err(e) = w.write_all(&self.scratch) {
                self.w = None;
                return Err(OutputError::new(
                    &self.err_path,
                    format!("write failed: {e}"),
                ));
            }
        }
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), OutputError> {
        let mut me = *self;
        let err_path = me.err_path.clone();
        let fail = |what: &str, e: io::Error| OutputError::new(&err_path, format!("{what}: {e}"));
        let w =
            me.w.take()
                .ok_or_else(|| OutputError::new(&err_path, "cannot finish after a failed write"))?;
        w.complete().map_err(|e| fail("write failed", e))?;
        if let Some(part) = &me.data_part {
            part.sync().map_err(|e| fail("cannot sync", e))?;
        }
        if let Some((meta_part, mut file, json)) = me.meta.take() {
            let p = meta_part.part_path().to_path_buf();
            file.write_all(&json)
                .and_then(|_| file.sync_all())
                .map_err(|e| OutputError::new(&p, format!("cannot write SigMF metadata: {e}")))?;
            drop(file);
            // Data first: a metadata file only ever appears next to complete data.
            if let Some(part) = me.data_part.take() {
                part.commit()?;
            }
            meta_part.commit()?;
        } else if let Some(part) = me.data_part.take() {
            part.commit()?;
        }
        Ok(())
    }
}

fn boxed_writer<W: DataWriter + 'static>(w: W, gzip: bool) -> Box<dyn DataWriter> {
    if gzip {
        Box::new(GzEncoder::new(w, Compression::fast()))
    } else {
        Box::new(w)
    }
}

/// Creates the output files (as `.part`) and returns a sink that writes them.
pub fn create_sink(spec: &SinkSpec) -> Result<Box<dyn SampleSink>, OutputError> {
    spec.check()?;
    match spec.container {
        Container::Wav => Ok(Box::new(WavSink::create(
            &spec.path,
            spec.format,
            spec.sample_rate_hz,
        )?)),
        Container::SigMf => {
            let (meta_path, data_path) = sigmf::pair_paths(&spec.path.to_string_lossy());
            let json = sigmf::meta_json(spec);
            let (data_part, data_file) = PartFile::create(Path::new(&data_path))?;
            let (meta_part, meta_file) = PartFile::create(Path::new(&meta_path))?;
            Ok(Box::new(DataSink {
                w: Some(boxed_writer(
                    BufWriter::with_capacity(256 * 1024, data_file),
                    false,
                )),
                fmt: spec.format,
                scratch: Vec::new(),
                err_path: data_part.part_path().to_path_buf(),
                data_part: Some(data_part),
                meta: Some((meta_part, meta_file, json)),
            }))
        }
        Container::Raw | Container::Gzip => {
            let (part, file) = PartFile::create(&spec.path)?;
            Ok(Box::new(DataSink {
                w: Some(boxed_writer(
                    BufWriter::with_capacity(256 * 1024, file),
                    spec.container == Container::Gzip,
                )),
                fmt: spec.format,
                scratch: Vec::new(),
                err_path: part.part_path().to_path_buf(),
                data_part: Some(part),
                meta: None,
            }))
        }
        Container::Stdin | Container::Device => Err(stdin_err(spec)),
    }
}

fn stdin_err(spec: &SinkSpec) -> OutputError {
    OutputError::new(
        &spec.path,
        "standard input and devices are inputs only: write Raw to stdout with create_sink_to_writer",
    )
}

/// Writes only the sample data to `w`: headerless samples for Raw and SigMF
/// (no metadata file), gzip-compressed for Gzip. WAV needs a seekable file and
/// is refused.
pub fn create_sink_to_writer(
    spec: &SinkSpec,
    w: Box<dyn Write + Send>,
) -> Result<Box<dyn SampleSink>, OutputError> {
    spec.check()?;
    match spec.container {
        Container::Raw | Container::Gzip | Container::SigMf => Ok(Box::new(DataSink {
            w: Some(boxed_writer(w, spec.container == Container::Gzip)),
            fmt: spec.format,
            scratch: Vec::new(),
            err_path: spec.path.clone(),
            data_part: None,
            meta: None,
        })),
        Container::Wav => Err(OutputError::new(
            &spec.path,
            "WAV output needs a seekable file (its header is written last); use create_sink",
        )),
        Container::Stdin | Container::Device => Err(stdin_err(spec)),
    }
}
