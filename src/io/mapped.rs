//! Sample files read through memory maps, and the [`Samples`] a chunk carries.
//!
//! A cf32 file's bytes already are `Complex32` samples (little-endian hosts), so for
//! plain files, SigMF data files and WAV data chunks the chunks handed to the stage
//! borrow the map ([`Samples::Mapped`]): no `read` copy by the kernel, no decode copy.
//! Other formats are converted straight from the map into the chunk buffer, which
//! still saves the kernel's copy into a bounce buffer.
//!
//! The file is mapped in windows of [`WINDOW_BYTES`], advised `SEQUENTIAL`, and a window
//! is unmapped when the last chunk borrowing it is dropped, so what is mapped stays
//! bounded whatever the file's length. No `WILLNEED`: measured on a cold 491 MB cf32
//! file, the kernel's own read-ahead on faults (Linux 6.18, ext4) streamed it as fast
//! (1.2 s for the 60 s Meteor pass), and `WILLNEED` fills the page cache with 4 KiB
//! pages, where fault read-ahead uses large folios: every later mapped read of the
//! file then cost ~0.1 s more CPU in page faults and unmapping.
//!
//! Hazard of any memory map: if another process truncates the file during the run,
//! touching a page past the new end raises SIGBUS and the process dies. A file still
//! being appended to is fine: the source stops at the length it had when opened.

use std::fs::File;
use std::sync::Arc;

use memmap2::{Mmap, MmapOptions};
use num_complex::Complex32;

use super::{decode_samples, InputError, RecordingInfo, SampleFormat, SampleSource};

/// Bytes per mapped window: a multiple of every sample size (1, 2, 4, 8) and of the
/// 256 KiB conversion block, so chunks fall evenly into windows.
const WINDOW_BYTES: u64 = 16 << 20;

/// Most bytes one call hands out or converts, as the streaming reader's block does:
/// the stage's working set per chunk stays as it was.
const CHUNK_MAX_BYTES: usize = super::raw::BLOCK_BYTES;

/// A run of samples a chunk carries: its own buffer (recycled by the chain), or a view
/// into a memory-mapped cf32 file. Either way it reads as a `[Complex32]`.
#[derive(Clone)]
pub enum Samples {
    Owned(Vec<Complex32>),
    Mapped(MappedSamples),
}

/// Samples borrowed from a mapped window of a file; the window stays mapped as long
/// as one of these refers to it.
#[derive(Clone)]
pub struct MappedSamples {
    window: Arc<Mmap>,
    /// Byte offset of the first sample in the window.
    start: usize,
    len: usize,
}

impl MappedSamples {
    /// `None` unless `start..start + len` samples lie in the window and the window's
    /// bytes there are aligned for `Complex32` (a map is page-aligned, but a SigMF or WAV
    /// data chunk may start at any byte of the file).
    fn new(window: Arc<Mmap>, start: usize, len: usize) -> Option<Self> {
        let bytes = len.checked_mul(std::mem::size_of::<Complex32>())?;
        let end = start.checked_add(bytes)?;
        let ptr = window.get(start..end)?.as_ptr();
        if !cfg!(target_endian = "little") || !ptr.cast::<Complex32>().is_aligned() {
            return None;
        }
        Some(MappedSamples { window, start, len })
    }

    pub fn as_slice(&self) -> &[Complex32] {
        // SAFETY: `new` checked that the `len` samples from `start` lie inside the
        // window and are aligned for `Complex32`, and that the host is little-endian, so
        // the file's cf32 bytes are `Complex32` values (`#[repr(C)]` pair of `f32`, any
        // bit pattern valid). The map is read-only and lives as long as `self.window`.
        unsafe {
            std::slice::from_raw_parts(
                self.window.as_ptr().add(self.start) as *const Complex32,
                self.len,
            )
        }
    }
}

impl Samples {
    /// The owned buffer to write into; a mapped view is copied into one first.
    pub fn to_mut(&mut self) -> &mut Vec<Complex32> {
        if let Samples::Mapped(m) = self {
            *self = Samples::Owned(m.as_slice().to_vec());
        }
        match self {
            Samples::Owned(v) => v,
            Samples::Mapped(_) => unreachable!("replaced by an owned copy above"),
        }
    }

    /// The owned buffer, for reuse; a mapped view has none.
    pub fn into_buffer(self) -> Option<Vec<Complex32>> {
        match self {
            Samples::Owned(v) => Some(v),
            Samples::Mapped(_) => None,
        }
    }
}

impl std::ops::Deref for Samples {
    type Target = [Complex32];
    fn deref(&self) -> &[Complex32] {
        match self {
            Samples::Owned(v) => v,
            Samples::Mapped(m) => m.as_slice(),
        }
    }
}

impl Default for Samples {
    fn default() -> Self {
        Samples::Owned(Vec::new())
    }
}

impl From<Vec<Complex32>> for Samples {
    fn from(v: Vec<Complex32>) -> Self {
        Samples::Owned(v)
    }
}

impl FromIterator<Complex32> for Samples {
    fn from_iter<I: IntoIterator<Item = Complex32>>(iter: I) -> Self {
        Samples::Owned(iter.into_iter().collect())
    }
}

impl PartialEq for Samples {
    fn eq(&self, other: &Self) -> bool {
        self[..] == other[..]
    }
}

impl std::fmt::Debug for Samples {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self[..].fmt(f)
    }
}

/// One mapped window: file bytes `data_off + start .. data_off + start + map.len()`.
struct Window {
    map: Arc<Mmap>,
    /// Offset of the window's first byte in the data.
    start: u64,
}

impl Window {
    fn end(&self) -> u64 {
        self.start + self.map.len() as u64
    }
}

/// A file of headerless samples at `data_off..data_off + data_len`, read through maps.
pub(crate) struct MappedSource {
    info: RecordingInfo,
    err_path: String,
    fmt: SampleFormat,
    file: File,
    data_off: u64,
    /// Whole samples only (the openers reject a partial last sample).
    data_len: u64,
    /// A multiple of every sample size ([`WINDOW_BYTES`]; smaller in tests).
    window_bytes: u64,
    /// Data bytes handed out so far.
    pos: u64,
    /// The window `pos` is in (the first is mapped at open, so a file that cannot be
    /// mapped is streamed instead).
    current: Option<Window>,
    failed: Option<InputError>,
}

impl MappedSource {
    /// Maps the data of a regular file, or `None` when it cannot be (not a regular
    /// file, empty, or the OS refuses to map it): the caller then reads it as a stream.
    pub(crate) fn try_new(
        info: &RecordingInfo,
        err_path: &str,
        file: &File,
        data_off: u64,
        data_len: u64,
    ) -> Option<Self> {
        Self::with_window(info, err_path, file, data_off, data_len, WINDOW_BYTES)
    }

    fn with_window(
        info: &RecordingInfo,
        err_path: &str,
        file: &File,
        data_off: u64,
        data_len: u64,
        window_bytes: u64,
    ) -> Option<Self> {
        let regular = file.metadata().map(|m| m.is_file()).unwrap_or(false);
        if !regular || data_len == 0 {
            return None;
        }
        let mut s = MappedSource {
            fmt: info.format,
            info: info.clone(),
            err_path: err_path.to_string(),
            file: file.try_clone().ok()?,
            data_off,
            data_len,
            window_bytes,
            pos: 0,
            current: None,
            failed: None,
        };
        s.current = s.map_window(0).ok()?;
        Some(s)
    }

    /// Maps the window of the data starting at `start`; `Ok(None)` past the end.
    fn map_window(&self, start: u64) -> std::io::Result<Option<Window>> {
        if start >= self.data_len {
            return Ok(None);
        }
        let len = self.window_bytes.min(self.data_len - start);
        // SAFETY: the map is read-only and its bytes are only read as plain data.
        // Another process truncating the file meanwhile is the SIGBUS hazard of any
        // map (module docs, ARCHITECTURE.md).
        let map = unsafe {
            MmapOptions::new()
                .offset(self.data_off + start)
                .len(len as usize)
                .map(&self.file)?
        };
        // Doubles the read-ahead on faults; advice only steers the page cache, so a
        // kernel that ignores it changes nothing.
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(Some(Window {
            map: Arc::new(map),
            start,
        }))
    }

    fn fail(&mut self, problem: String) -> InputError {
        let e = InputError::new(&self.err_path, problem);
        self.failed = Some(e.clone());
        e
    }

    /// The window holding the next bytes to hand out and the byte range in it of at
    /// most `max` whole samples (and at most one 256 KiB block); `None` at the end.
    fn next_span(&mut self, max: usize) -> Result<Option<(Arc<Mmap>, usize, usize)>, InputError> {
        if let Some(e) = &self.failed {
            return Err(e.clone());
        }
        if max == 0 || self.pos >= self.data_len {
            return Ok(None);
        }
        let pos = self.pos;
        if self.current.as_ref().is_none_or(|w| w.end() <= pos) {
            // Dropping the old window here unmaps it unless chunks still borrow it.
            self.current = match self.map_window(pos) {
                Ok(w) => w,
                Err(e) => {
                    let at = self.data_off + pos;
                    return Err(self.fail(format!("cannot map the file at byte {at}: {e}")));
                }
            };
        }
        let Some(w) = self.current.as_ref() else {
            return Ok(None);
        };
        let bps = self.fmt.bytes_per_sample();
        let start = (pos - w.start) as usize;
        // Windows and positions are whole samples, so the window holds at least one.
        let n = max
            .min(CHUNK_MAX_BYTES / bps)
            .min((w.map.len() - start) / bps);
        let bytes = n * bps;
        self.pos += bytes as u64;
        Ok(Some((Arc::clone(&w.map), start, bytes)))
    }
}

impl SampleSource for MappedSource {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        let Some((map, start, bytes)) = self.next_span(max)? else {
            return Ok(0);
        };
        decode_samples(self.fmt, &map[start..start + bytes], out);
        Ok(bytes / self.fmt.bytes_per_sample())
    }

    fn read_samples(&mut self, mut buf: Vec<Complex32>, max: usize) -> Result<Samples, InputError> {
        buf.clear();
        let Some((map, start, bytes)) = self.next_span(max)? else {
            return Ok(Samples::Owned(buf));
        };
        if self.fmt == SampleFormat::Cf32 {
            if let Some(m) = MappedSamples::new(map.clone(), start, bytes / 8) {
                return Ok(Samples::Mapped(m));
            }
        }
        // Misaligned cf32 data (a SigMF or WAV data chunk at an odd offset) or another
        // format: converted into the chunk's own buffer.
        decode_samples(self.fmt, &map[start..start + bytes], &mut buf);
        Ok(Samples::Owned(buf))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::io::meta::Facts;
    use crate::io::Container;
    use std::io::Write;

    fn info(fmt: SampleFormat) -> RecordingInfo {
        let f = Facts {
            format: Some((fmt, "test".into())),
            rate: Some((1.0, "test".into())),
            ..Default::default()
        };
        f.into_info("t", "t", Container::Raw, |_| Ok(None)).unwrap()
    }

    /// Bit patterns: random bytes as cf32 include NaNs, which `==` never matches.
    fn bits(s: &[Complex32]) -> Vec<(u32, u32)> {
        s.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect()
    }

    /// Windows of any size (not page multiples either) and data at any offset in the
    /// file give the bytes decoded as the copying reader decodes them; cf32 chunks are
    /// views of the map exactly when the data is aligned for `Complex32`.
    #[test]
    fn any_window_and_data_offset_give_the_copying_readers_samples() {
        let data: Vec<u8> = (0..8 * 1_500u32)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        for data_off in [0u64, 3, 4, 4097] {
            let mut f = tempfile::tempfile().unwrap();
            f.write_all(&vec![0xee; data_off as usize]).unwrap();
            f.write_all(&data).unwrap();
            f.write_all(&[0xee; 5]).unwrap();
            for fmt in [SampleFormat::Cf32, SampleFormat::Cs16, SampleFormat::Cu8] {
                let mut expect = Vec::new();
                decode_samples(fmt, &data, &mut expect);
                for window in [8u64, 24, 4104, WINDOW_BYTES] {
                    for max in [1usize, 5, 1000, usize::MAX] {
                        let what = format!("{fmt} at {data_off}, window {window}, max {max}");
                        let open = || {
                            MappedSource::with_window(
                                &info(fmt),
                                "t",
                                &f,
                                data_off,
                                data.len() as u64,
                                window,
                            )
                            .unwrap()
                        };
                        let mut s = open();
                        let mut got = Vec::new();
                        loop {
                            let chunk = s.read_samples(Vec::new(), max).unwrap();
                            if chunk.is_empty() {
                                break;
                            }
                            assert!(chunk.len() <= max, "{what}");
                            let mapped = matches!(chunk, Samples::Mapped(_));
                            let aligned = fmt == SampleFormat::Cf32 && data_off % 4 == 0;
                            assert_eq!(mapped, aligned, "{what}");
                            got.extend_from_slice(&chunk);
                        }
                        assert_eq!(bits(&got), bits(&expect), "{what}");
                        assert_eq!(s.read_samples(Vec::new(), max).unwrap().len(), 0);
                        let mut s = open();
                        let mut got = Vec::new();
                        while s.read(&mut got, max).unwrap() > 0 {}
                        assert_eq!(bits(&got), bits(&expect), "read: {what}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_mapped_view_outlives_its_source_and_copies_on_write() {
        let mut f = tempfile::tempfile().unwrap();
        let bytes: Vec<u8> = [1.5f32, -2.0, 3.25, 0.5]
            .iter()
            .flat_map(|v| v.to_le_bytes())
            .collect();
        f.write_all(&bytes).unwrap();
        let mut s =
            MappedSource::with_window(&info(SampleFormat::Cf32), "t", &f, 0, 16, 8).unwrap();
        let first = s.read_samples(Vec::new(), 10).unwrap();
        let second = s.read_samples(Vec::new(), 10).unwrap();
        drop(s);
        assert_eq!(first[..], [Complex32::new(1.5, -2.0)]);
        let mut second = second;
        assert!(matches!(second, Samples::Mapped(_)));
        second.to_mut().push(Complex32::new(9.0, 9.0));
        assert!(matches!(second, Samples::Owned(_)));
        assert_eq!(
            second[..],
            [Complex32::new(3.25, 0.5), Complex32::new(9.0, 9.0)]
        );
        assert_eq!(second.clone().into_buffer().map(|v| v.len()), Some(2));
        assert_eq!(first.into_buffer(), None);
    }

    #[test]
    fn an_empty_file_or_a_pipe_is_not_mapped() {
        let f = tempfile::tempfile().unwrap();
        assert!(MappedSource::try_new(&info(SampleFormat::Cf32), "t", &f, 0, 0).is_none());
        #[cfg(unix)]
        {
            let (r, _w) = std::io::pipe().unwrap();
            let f = File::from(std::os::fd::OwnedFd::from(r));
            assert!(MappedSource::try_new(&info(SampleFormat::Cf32), "t", &f, 0, 80).is_none());
        }
    }
}
