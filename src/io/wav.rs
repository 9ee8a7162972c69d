//! RIFF WAVE in and out: 2 channels are I/Q, 1 channel is real audio.
//!
//! Reading: a short chunk walk finds the data chunk and checks its claimed size
//! against the file, hound parses the format, and the data bytes go through the
//! shared block decoder (not hound's per-sample iterator).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, SeekFrom};

use super::meta::Facts;
use super::raw::{file_source, open_file};
use super::sink::PartFile;
use super::{
    encode_samples, Container, InputError, OutputError, Overrides, SampleFormat, SampleSource,
};
use num_complex::Complex32;

/// The largest file a 32-bit RIFF size field can describe.
const RIFF_MAX_FILE: u64 = u32::MAX as u64 + 8;

/// Finds the data chunk: returns (offset of its first byte, claimed length).
fn find_data_chunk(file: &mut File, len: u64, path: &str) -> Result<(u64, u64), InputError> {
    let err = |p: String| InputError::new(path, p);
    let mut head = [0u8; 12];
    let n = read_full(file, &mut head).map_err(|e| err(format!("cannot read: {e}")))?;
    if n >= 4 && (&head[..4] == b"RF64" || &head[..4] == b"BW64") {
        return Err(err(format!(
            "RF64 WAV is not supported: this is a {} file (64-bit sizes, used for recordings over 4 GiB); convert it to raw or SigMF",
            String::from_utf8_lossy(&head[..4])
        )));
    }
    if n < 12 || &head[..4] != b"RIFF" || &head[8..12] != b"WAVE" {
        return Err(err("not a WAV file (no RIFF/WAVE header)".into()));
    }
    if len > RIFF_MAX_FILE {
        return Err(err(format!(
            "RF64 WAV is not supported, and this RIFF WAV is {len} bytes, more than the 4 GiB a RIFF header can describe: convert it to raw or SigMF"
        )));
    }
    let mut pos = 12u64;
    loop {
        let mut ch = [0u8; 8];
        file.seek(SeekFrom::Start(pos))
            .map_err(|e| err(format!("cannot seek: {e}")))?;
        if read_full(file, &mut ch).map_err(|e| err(format!("cannot read: {e}")))? < 8 {
            return Err(err("not a usable WAV file: no data chunk".into()));
        }
        let size = u32::from_le_bytes([ch[4], ch[5], ch[6], ch[7]]) as u64;
        if &ch[..4] == b"data" {
            let data_off = pos + 8;
            let actual = len - data_off;
            if size > actual {
                return Err(err(format!(
                    "WAV header claims a {size}-byte data chunk but only {actual} bytes follow the header (file is {len} bytes): the header lies about the length, or the file is truncated"
                )));
            }
            return Ok((data_off, size));
        }
        // RIFF pads every chunk to an even length.
        pos += 8 + size + (size & 1);
    }
}

fn read_full(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn format_of(spec: &hound::WavSpec) -> Option<SampleFormat> {
    use hound::SampleFormat::{Float, Int};
    Some(
        match (spec.channels, spec.bits_per_sample, spec.sample_format) {
            (2, 8, Int) => SampleFormat::Cu8,
            (2, 16, Int) => SampleFormat::Cs16,
            (2, 32, Float) => SampleFormat::Cf32,
            (1, 8, Int) => SampleFormat::Ru8,
            (1, 16, Int) => SampleFormat::Ri16,
            (1, 32, Float) => SampleFormat::Rf32,
            _ => return None,
        },
    )
}

pub(crate) fn open(path: &str, ov: &Overrides) -> Result<Box<dyn SampleSource>, InputError> {
    let (mut file, len) = open_file(path)?;
    let (data_off, data_len) = find_data_chunk(&mut file, len, path)?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| InputError::new(path, format!("cannot seek: {e}")))?;
    let reader = hound::WavReader::new(BufReader::with_capacity(64 * 1024, file))
        .map_err(|e| InputError::new(path, format!("not a valid WAV file: {e}")))?;
    let spec = reader.spec();
    let mut inner = reader.into_inner();
    let at = inner
        .stream_position()
        .map_err(|e| InputError::new(path, format!("cannot seek: {e}")))?;
    if at != data_off {
        return Err(InputError::new(
            path,
            format!("WAV chunk layout not understood (data found at byte {data_off}, hound stopped at {at})"),
        ));
    }
    let header_fmt = format_of(&spec);
    let mut facts = Facts::from_name(path);
    if let Some(f) = header_fmt {
        facts.format = Some((f, "WAV header".into()));
    }
    facts.rate = Some((spec.sample_rate as f64, "WAV header".into()));
    facts.apply_overrides(ov);
    if header_fmt.is_none() && ov.format.is_none() {
        let kind = match spec.sample_format {
            hound::SampleFormat::Int => "PCM",
            hound::SampleFormat::Float => "float",
        };
        return Err(InputError::new(
            path,
            format!(
                "unsupported WAV sample format: {} channel(s) of {}-bit {kind} (supported: 1 or 2 channels of 8/16-bit PCM or 32-bit float)",
                spec.channels, spec.bits_per_sample
            ),
        ));
    }
    let info = facts.into_info(path, path, Container::Wav, |fmt| {
        let bps = fmt.bytes_per_sample() as u64;
        if data_len % bps != 0 {
            return Err(InputError::new(
                path,
                format!("WAV data chunk of {data_len} bytes is not a whole number of {bps}-byte {fmt} samples: truncated last sample"),
            ));
        }
        Ok(Some(data_len / bps))
    })?;
    let file = inner.get_ref();
    let file = file
        .try_clone()
        .map_err(|e| InputError::new(path, format!("cannot open: {e}")))?;
    Ok(file_source(
        info,
        path.to_string(),
        &file,
        data_off,
        data_len,
        || Box::new(inner.take(data_len)),
    ))
}

/// WAV layout for a sample format, or why it cannot be written.
pub(crate) fn wav_spec(fmt: SampleFormat, rate_hz: f64) -> Result<hound::WavSpec, String> {
    let (channels, bits, sample_format) = match fmt {
        SampleFormat::Cu8 => (2, 8, hound::SampleFormat::Int),
        SampleFormat::Cs16 => (2, 16, hound::SampleFormat::Int),
        SampleFormat::Cf32 => (2, 32, hound::SampleFormat::Float),
        SampleFormat::Ru8 => (1, 8, hound::SampleFormat::Int),
        SampleFormat::Ri16 => (1, 16, hound::SampleFormat::Int),
        SampleFormat::Rf32 => (1, 32, hound::SampleFormat::Float),
        SampleFormat::Cs8 => {
            return Err(
                "cs8 cannot be stored in WAV (8-bit WAV samples are unsigned): use cu8 or cs16"
                    .into(),
            )
        }
    };
    let rate = rate_hz.round();
    if !(rate >= 1.0 && rate <= u32::MAX as f64) || (rate - rate_hz).abs() > 1e-6 * rate_hz {
        return Err(format!(
            "WAV needs a whole-number sample rate; {rate_hz} Hz is not (use SigMF or raw)"
        ));
    }
    Ok(hound::WavSpec {
        channels,
        sample_rate: rate as u32,
        bits_per_sample: bits,
        sample_format,
    })
}

/// Samples per `write` batch: bounds the scratch buffer whatever the caller passes.
const BATCH: usize = 32 * 1024;

/// Writes a WAV through hound into `<final>.part`, renamed by `finish`.
pub(crate) struct WavSink {
    // Declared before `part` so hound's drop-time header update runs before the
    // guard removes an unfinished file.
    writer: Option<hound::WavWriter<BufWriter<File>>>,
    part: PartFile,
    fmt: SampleFormat,
    scratch: Vec<u8>,
    data_bytes: u64,
}

/// hound keeps 32-bit sizes and adds the header length to the data length;
/// stay clear of both overflowing.
const WAV_MAX_DATA: u64 = u32::MAX as u64 - 1024;

impl WavSink {
    pub(crate) fn create(
        final_path: &std::path::Path,
        fmt: SampleFormat,
        rate_hz: f64,
    ) -> Result<Self, OutputError> {
        let spec = wav_spec(fmt, rate_hz).map_err(|p| OutputError::new(final_path, p))?;
        let (part, file) = PartFile::create(final_path)?;
        let writer = hound::WavWriter::new(BufWriter::with_capacity(256 * 1024, file), spec)
            .map_err(|e| {
                OutputError::new(part.part_path(), format!("cannot write WAV header: {e}"))
            })?;
        Ok(WavSink {
            writer: Some(writer),
            part,
            fmt,
            scratch: Vec::new(),
            data_bytes: 0,
        })
    }

    fn err(&self, problem: String) -> OutputError {
        OutputError::new(self.part.part_path(), problem)
    }
}

impl super::SampleSink for WavSink {
    fn write(&mut self, samples: &[Complex32]) -> Result<(), OutputError> {
        let bps = self.fmt.bytes_per_sample() as u64;
        if self.data_bytes + samples.len() as u64 * bps > WAV_MAX_DATA {
            return Err(self.err(
                "WAV cannot hold more than 4 GiB of samples: write .cu8/.cs16/.cf32, .gz or SigMF instead".into(),
            ));
        }
        let Some(w) = self.writer.as_mut() else {
            return Err(OutputError::new(
                self.part.part_path(),
                "write after a failed write",
            ));
        };
        let mut result = Ok(());
        for chunk in samples.chunks(BATCH) {
            self.scratch.clear();
            encode_samples(self.fmt, chunk, &mut self.scratch);
            result = match self.fmt {
                SampleFormat::Cs16 | SampleFormat::Ri16 => {
                    let mut s16 = w.get_i16_writer((self.scratch.len() / 2) as u32);
                    for b in self.scratch.chunks_exact(2) {
                        s16.write_sample(i16::from_le_bytes([b[0], b[1]]));
                    }
                    s16.flush()
                }
                // hound takes 8-bit WAV samples as i8 and stores them offset by 128.
                SampleFormat::Cu8 | SampleFormat::Ru8 => self
                    .scratch
                    .iter()
                    .try_for_each(|&b| w.write_sample((b as i16 - 128) as i8)),
                _ => self
                    .scratch
                    .chunks_exact(4)
                    .try_for_each(|b| w.write_sample(f32::from_le_bytes([b[0], b[1], b[2], b[3]]))),
            };
            if result.is_err() {
                break;
            }
        }
        if let Err(e) = result {
            self.writer = None;
            return Err(self.err(format!("write failed: {e}")));
        }
        self.data_bytes += samples.len() as u64 * bps;
        Ok(())
    }

    fn finish(self: Box<Self>) -> Result<(), OutputError> {
        let mut me = *self;
        let Some(w) = me.writer.take() else {
            return Err(me.err("cannot finish after a failed write".into()));
        };
        w.finalize()
            .map_err(|e| me.err(format!("cannot finalise WAV: {e}")))?;
        me.part
            .sync()
            .map_err(|e| me.err(format!("cannot sync: {e}")))?;
        me.part.commit()
    }
}
