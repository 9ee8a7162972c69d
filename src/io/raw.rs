//! Headerless sample streams (plain files, gzip, stdin) and the block reader that
//! every container shares.

use std::fs::File;
use std::io::{BufReader, ErrorKind, Read, Seek, SeekFrom};
use std::path::Path;

use flate2::read::MultiGzDecoder;
use num_complex::Complex32;

use super::mapped::MappedSource;
use super::meta::{format_from_extension, is_formatless_raw_extension, Facts};
use super::{
    decode_samples, Container, InputError, Overrides, RecordingInfo, SampleFormat, SampleSource,
    STDIN_NAME,
};

/// Bytes read and decoded per call: large enough to amortise system calls and
/// decoder overhead, small enough to stay in L2 next to its decoded output.
pub(crate) const BLOCK_BYTES: usize = 256 * 1024;

/// What the bytes are, for error messages.
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum StreamKind {
    Plain,
    Gzip,
    Stdin,
}

/// Decodes samples from any byte stream through one reused block.
pub(crate) struct StreamSource {
    info: RecordingInfo,
    err_path: String,
    fmt: SampleFormat,
    kind: StreamKind,
    reader: Box<dyn Read + Send>,
    buf: Vec<u8>,
    /// Bytes of a partial sample kept at the start of `buf` for the next call.
    pending: usize,
    samples_read: u64,
    /// Set the info's total at the end (gzip, stdin: not known up front).
    count_at_eof: bool,
    done: bool,
    failed: Option<InputError>,
}

impl StreamSource {
    pub(crate) fn new(
        info: RecordingInfo,
        err_path: String,
        kind: StreamKind,
        reader: Box<dyn Read + Send>,
        count_at_eof: bool,
    ) -> Self {
        StreamSource {
            fmt: info.format,
            info,
            err_path,
            kind,
            reader,
            buf: vec![0; BLOCK_BYTES],
            pending: 0,
            samples_read: 0,
            count_at_eof,
            done: false,
            failed: None,
        }
    }

    fn fail(&mut self, problem: String) -> InputError {
        let e = InputError::new(&self.err_path, problem);
        self.failed = Some(e.clone());
        e
    }
}

impl SampleSource for StreamSource {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if max == 0 || self.done {
            return Ok(0);
        }
        let bps = self.fmt.bytes_per_sample();
        let want = max.min(BLOCK_BYTES / bps) * bps;
        loop {
            let n = match self.reader.read(&mut self.buf[self.pending..want]) {
                Ok(n) => n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => {
                    let at = self.samples_read * bps as u64 + self.pending as u64;
                    let problem = match self.kind {
                        StreamKind::Gzip => {
                            format!("corrupt gzip data after {at} decompressed bytes: {e}")
                        }
                        StreamKind::Plain => format!("read failed after {at} bytes: {e}"),
                        StreamKind::Stdin => format!("read failed after {at} bytes: {e}"),
                    };
                    return Err(self.fail(problem));
                }
            };
            if n == 0 {
                if self.pending > 0 {
                    let problem = format!(
                        "truncated last sample: the data ends {} byte(s) into a {bps}-byte {} sample (after {} complete samples)",
                        self.pending, self.fmt, self.samples_read
                    );
                    return Err(self.fail(problem));
                }
                self.done = true;
                if self.count_at_eof {
                    self.info.total_samples = Some(self.samples_read);
                }
                return Ok(0);
            }
            let have = self.pending + n;
            let full = have / bps * bps;
            if full == 0 {
                self.pending = have;
                continue;
            }
            decode_samples(self.fmt, &self.buf[..full], out);
            self.buf.copy_within(full..have, 0);
            self.pending = have - full;
            let got = full / bps;
            self.samples_read += got as u64;
            return Ok(got);
        }
    }
}

pub(crate) fn open_file(path: &str) -> Result<(File, u64), InputError> {
    let file = File::open(path).map_err(|e| InputError::new(path, format!("cannot open: {e}")))?;
    let meta = file
        .metadata()
        .map_err(|e| InputError::new(path, format!("cannot stat: {e}")))?;
    if meta.is_dir() {
        return Err(InputError::new(path, "is a directory, not a recording"));
    }
    Ok((file, meta.len()))
}

/// The extension that names the sample format: `x.cu8` → `cu8`, `x.cu8.gz` → `cu8`.
fn inner_extension(path: &str) -> String {
    let name = Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("");
    let name = name
        .strip_suffix(".gz")
        .or_else(|| name.strip_suffix(".GZ"))
        .unwrap_or(name);
    match name.rfind('.') {
        Some(i) if i > 0 => name[i + 1..].to_string(),
        _ => String::new(),
    }
}

/// Name pattern, extension and side JSON, in that priority order, then overrides.
fn headerless_facts(path: &str, ov: &Overrides) -> Result<Facts, InputError> {
    let mut facts = Facts::from_name(path);
    let ext = inner_extension(path);
    if let Some(f) = format_from_extension(&ext) {
        facts.format = Some((f, format!("file extension (.{ext})")));
    }
    facts.add_side_json(path)?;
    facts.apply_overrides(ov);
    if facts.format.is_none() {
        let why = if ext.is_empty() {
            "no file extension".to_string()
        } else if is_formatless_raw_extension(&ext) {
            format!(".{ext} files carry no format and no metadata was found")
        } else {
            format!("unknown file type .{ext}")
        };
        facts.require_format(path, &why)?;
    }
    Ok(facts)
}

/// A file's samples at `data_off..data_off + data_len` (whole samples): memory-mapped
/// when the file can be, else streamed from `reader` (positioned at the data).
pub(crate) fn file_source(
    info: RecordingInfo,
    err_path: String,
    file: &File,
    data_off: u64,
    data_len: u64,
    reader: impl FnOnce() -> Box<dyn Read + Send>,
) -> Box<dyn SampleSource> {
    match MappedSource::try_new(&info, &err_path, file, data_off, data_len) {
        Some(m) => Box::new(m),
        None => Box::new(StreamSource::new(
            info,
            err_path,
            StreamKind::Plain,
            reader(),
            false,
        )),
    }
}

/// A headerless file of samples (`.cu8`, `.cs16`, `.raw` …).
pub(crate) fn open_plain(path: &str, ov: &Overrides) -> Result<Box<dyn SampleSource>, InputError> {
    let (file, len) = open_file(path)?;
    let facts = headerless_facts(path, ov)?;
    let info = facts.into_info(path, path, Container::Raw, |fmt| {
        let bps = fmt.bytes_per_sample() as u64;
        if len % bps != 0 {
            return Err(InputError::new(
                path,
                format!(
                    "file size {len} bytes is not a multiple of the {bps}-byte {fmt} sample: truncated last sample (or wrong --format)"
                ),
            ));
        }
        Ok(Some(len / bps))
    })?;
    let reader = file
        .try_clone()
        .map_err(|e| InputError::new(path, format!("cannot open: {e}")))?;
    Ok(file_source(info, path.to_string(), &file, 0, len, || {
        Box::new(reader)
    }))
}

/// The largest compressed size whose uncompressed size must be below 4 GiB,
/// so that the 32-bit ISIZE trailer is exact: DEFLATE expands at most 1032:1
/// (RFC 1951 coding limit: a 258-byte match per ≥1-bit code, ~2 bits per match).
const GZIP_EXACT_ISIZE_MAX: u64 = (1u64 << 32) / 1032;

/// Uncompressed size from the gzip trailer, when that is exact: the file is
/// small enough that it cannot exceed 4 GiB uncompressed. Assumes one member
/// (gzip, r2cloud and most tools write one); a file of concatenated members
/// still reads fully, and the source corrects the total when it reaches the end.
fn gzip_total_bytes(file: &mut File, len: u64) -> std::io::Result<Option<u64>> {
    if !(20..=GZIP_EXACT_ISIZE_MAX).contains(&len) {
        return Ok(None);
    }
    file.seek(SeekFrom::End(-4))?;
    let mut t = [0u8; 4];
    file.read_exact(&mut t)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(Some(u32::from_le_bytes(t) as u64))
}

/// Gzip-compressed headerless samples (`X.cu8.gz`, `X.raw.gz` + `X.raw.gz.json`).
pub(crate) fn open_gzip(path: &str, ov: &Overrides) -> Result<StreamSource, InputError> {
    let (mut file, len) = open_file(path)?;
    let mut magic = [0u8; 2];
    let n = file
        .read(&mut magic)
        .map_err(|e| InputError::new(path, format!("cannot read: {e}")))?;
    if n < 2 || magic != [0x1f, 0x8b] {
        return Err(InputError::new(
            path,
            "not a gzip file (missing the 1f 8b magic bytes)",
        ));
    }
    let isize = gzip_total_bytes(&mut file, len)
        .map_err(|e| InputError::new(path, format!("cannot read: {e}")))?;
    file.seek(SeekFrom::Start(0))
        .map_err(|e| InputError::new(path, format!("cannot seek: {e}")))?;
    let facts = headerless_facts(path, ov)?;
    let info = facts.into_info(path, path, Container::Gzip, |fmt| {
        let bps = fmt.bytes_per_sample() as u64;
        // A size that is not whole samples is reported at the end of the stream.
        Ok(isize.filter(|b| b % bps == 0).map(|b| b / bps))
    })?;
    let reader = MultiGzDecoder::new(BufReader::with_capacity(64 * 1024, file));
    Ok(StreamSource::new(
        info,
        path.to_string(),
        StreamKind::Gzip,
        Box::new(reader),
        true,
    ))
}

/// Headerless samples on standard input; format and rate must be given.
pub(crate) fn open_stdin(ov: &Overrides) -> Result<StreamSource, InputError> {
    let missing: Vec<&str> = [
        ov.format.is_none().then_some("--format"),
        ov.sample_rate_hz.is_none().then_some("--rate"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !missing.is_empty() {
        return Err(InputError::new(
            STDIN_NAME,
            format!(
                "reading samples from stdin needs {} (stdin has no header)",
                missing.join(" and ")
            ),
        ));
    }
    let mut facts = Facts::default();
    facts.apply_overrides(ov);
    let info = facts.into_info("-", STDIN_NAME, Container::Stdin, |_| Ok(None))?;
    Ok(StreamSource::new(
        info,
        STDIN_NAME.to_string(),
        StreamKind::Stdin,
        Box::new(std::io::stdin()),
        true,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader that hands out at most `step` bytes per call.
    struct Dribble {
        data: Vec<u8>,
        pos: usize,
        step: usize,
    }
    impl Read for Dribble {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            let n = self.step.min(b.len()).min(self.data.len() - self.pos);
            b[..n].copy_from_slice(&self.data[self.pos..self.pos + n]);
            self.pos += n;
            Ok(n)
        }
    }

    fn info(fmt: SampleFormat) -> RecordingInfo {
        let f = Facts {
            format: Some((fmt, "test".into())),
            rate: Some((1.0, "test".into())),
            ..Default::default()
        };
        f.into_info("t", "t", Container::Stdin, |_| Ok(None))
            .unwrap()
    }

    #[test]
    fn partial_reads_and_small_max_are_invariant() {
        let data: Vec<u8> = (0..10_007u32).map(|i| (i * 7919 % 251) as u8).collect();
        let data = data[..10_000].to_vec();
        let mut expect = Vec::new();
        decode_samples(SampleFormat::Cs16, &data, &mut expect);
        for (step, max) in [
            (1, 1),
            (3, 7),
            (5, 2500),
            (4096, 1000),
            (usize::MAX, usize::MAX),
        ] {
            let r = Dribble {
                data: data.clone(),
                pos: 0,
                step,
            };
            let mut s = StreamSource::new(
                info(SampleFormat::Cs16),
                "t".into(),
                StreamKind::Stdin,
                Box::new(r),
                true,
            );
            let mut got = Vec::new();
            loop {
                let before = got.len();
                let n = s.read(&mut got, max).unwrap();
                assert_eq!(got.len() - before, n);
                assert!(n <= max);
                if n == 0 {
                    break;
                }
            }
            assert_eq!(got, expect, "step {step} max {max}");
            assert_eq!(s.info().total_samples, Some(2500));
        }
    }

    #[test]
    fn trailing_partial_sample_is_an_error_at_eof_and_sticks() {
        let r = Dribble {
            data: vec![1, 2, 3, 4, 5],
            pos: 0,
            step: 2,
        };
        let mut s = StreamSource::new(
            info(SampleFormat::Cs16),
            "x.gz".into(),
            StreamKind::Gzip,
            Box::new(r),
            true,
        );
        let mut out = Vec::new();
        assert_eq!(s.read(&mut out, 100).unwrap(), 1);
        let e = s.read(&mut out, 100).unwrap_err();
        assert!(
            e.to_string().starts_with("x.gz: truncated last sample"),
            "{e}"
        );
        assert!(
            e.problem.contains("1 byte(s) into a 4-byte cs16 sample"),
            "{e}"
        );
        assert_eq!(
            s.read(&mut out, 100).unwrap_err().to_string(),
            e.to_string()
        );
    }

    #[test]
    fn inner_extension_looks_through_gz() {
        assert_eq!(inner_extension("/a/b.c/x.cu8.gz"), "cu8");
        assert_eq!(inner_extension("x.raw.gz"), "raw");
        assert_eq!(inner_extension("x"), "");
    }
}
