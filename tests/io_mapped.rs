//! Plain files, SigMF data and WAV data are read through memory maps: cf32 chunks
//! borrow the map, other formats (and cf32 data at an offset that is not a multiple of
//! 4) are converted from it. Whatever the path, the samples are the file's bytes
//! decoded as the copying reader decodes them, bit for bit, and bad sizes give the
//! same errors as before.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use downlink::chain::{self, Chunk, Product, RunOptions, SampleStage, Samples};
use downlink::io::{decode_samples, open_source, Overrides, SampleFormat, SampleSource};
use downlink::status::StageStatus;
use num_complex::Complex32;

/// cf32 bytes of `n` samples, with the awkward values a copy must keep bit for bit:
/// -0.0, subnormals, infinities and a NaN with a payload.
fn cf32_bytes(n: usize) -> Vec<u8> {
    let special = [
        -0.0f32,
        f32::from_bits(1),
        f32::INFINITY,
        f32::NEG_INFINITY,
        f32::from_bits(0x7fc0_1234),
    ];
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..2 * n)
        .flat_map(|i| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let v = if i % 997 < special.len() {
                special[i % 997]
            } else {
                (x >> 40) as f32 / (1u64 << 23) as f32 - 1.0
            };
            v.to_le_bytes()
        })
        .collect()
}

fn bits(s: &[Complex32]) -> Vec<(u32, u32)> {
    s.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect()
}

/// What the copying reader gives for these bytes.
fn decoded(fmt: SampleFormat, bytes: &[u8]) -> Vec<(u32, u32)> {
    let mut v = Vec::new();
    decode_samples(fmt, bytes, &mut v);
    bits(&v)
}

fn rate() -> Overrides {
    Overrides {
        sample_rate_hz: Some(1.024e6),
        ..Default::default()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Reads the whole source through `read_samples` (as the chain does); returns the
/// samples and how many chunks were views of the map.
fn read_chunks(src: &mut dyn SampleSource, max: usize) -> (Vec<(u32, u32)>, usize, usize) {
    let (mut all, mut mapped, mut chunks) = (Vec::new(), 0, 0);
    loop {
        let got = src.read_samples(Vec::new(), max).unwrap();
        if got.is_empty() {
            return (all, mapped, chunks);
        }
        assert!(got.len() <= max, "{} > max {max}", got.len());
        chunks += 1;
        if matches!(got, Samples::Mapped(_)) {
            mapped += 1;
        }
        all.extend(bits(&got));
    }
}

/// Reads the whole source through the copying `read`.
fn read_copied(src: &mut dyn SampleSource, max: usize) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    while src.read(&mut out, max).unwrap() > 0 {}
    bits(&out)
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

fn sigmf_meta(datatype: &str) -> String {
    format!(
        r#"{{"global":{{"core:datatype":"{datatype}","core:sample_rate":1024000,"core:version":"1.0.0"}},"captures":[{{"core:sample_start":0}}]}}"#
    )
}

/// A stereo 32-bit float WAV; `junk` bytes of an unknown chunk before the data move
/// the data's offset in the file (44 without one).
fn wav_cf32(data: &[u8], junk: usize) -> (Vec<u8>, usize) {
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    let riff_len = 4 + 24 + if junk > 0 { 8 + junk + junk % 2 } else { 0 } + 8 + data.len();
    h.extend_from_slice(&(riff_len as u32).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&3u16.to_le_bytes()); // IEEE float
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&1_024_000u32.to_le_bytes());
    h.extend_from_slice(&(1_024_000u32 * 8).to_le_bytes());
    h.extend_from_slice(&8u16.to_le_bytes());
    h.extend_from_slice(&32u16.to_le_bytes());
    if junk > 0 {
        h.extend_from_slice(b"junk");
        h.extend_from_slice(&(junk as u32).to_le_bytes());
        h.extend(std::iter::repeat_n(0xa5u8, junk + junk % 2));
    }
    h.extend_from_slice(b"data");
    h.extend_from_slice(&(data.len() as u32).to_le_bytes());
    let off = h.len();
    h.extend_from_slice(data);
    (h, off)
}

#[test]
fn mapped_cf32_raw_and_sigmf_give_the_file_bytes_without_a_copy() {
    let dir = tempfile::tempdir().unwrap();
    let n = 100_003;
    let bytes = cf32_bytes(n);
    let expect = decoded(SampleFormat::Cf32, &bytes);
    let raw = write(dir.path(), "pass.cf32", &bytes);
    write(dir.path(), "pass.sigmf-data", &bytes);
    let meta = write(
        dir.path(),
        "pass.sigmf-meta",
        sigmf_meta("cf32_le").as_bytes(),
    );
    for (path, ov) in [(&raw, rate()), (&meta, Overrides::default())] {
        for max in [1, 777, 65_536, usize::MAX] {
            let mut src = open_source(s(path), &ov).unwrap();
            assert_eq!(src.info().total_samples, Some(n as u64));
            let (got, mapped, chunks) = read_chunks(src.as_mut(), max);
            assert_eq!(got, expect, "{} max {max}", path.display());
            assert_eq!(mapped, chunks, "every cf32 chunk is a view of the map");
            // At most one 256 KiB block per call, as the streaming reader.
            assert_eq!(chunks, n.div_ceil(max.min(32_768)), "max {max}");
            let mut src = open_source(s(path), &ov).unwrap();
            assert_eq!(read_copied(src.as_mut(), max), expect, "read, max {max}");
        }
    }
}

#[test]
fn other_formats_convert_from_the_map_as_the_stream_reader_did() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..300_001u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    for fmt in [
        SampleFormat::Cu8,
        SampleFormat::Cs8,
        SampleFormat::Cs16,
        SampleFormat::Ri16,
        SampleFormat::Rf32,
    ] {
        let whole = &bytes[..bytes.len() / fmt.bytes_per_sample() * fmt.bytes_per_sample()];
        let p = write(dir.path(), &format!("x.{}", fmt.name()), whole);
        let expect = decoded(fmt, whole);
        let mut src = open_source(s(&p), &rate()).unwrap();
        let (got, mapped, _) = read_chunks(src.as_mut(), 50_000);
        assert_eq!(got, expect, "{fmt}");
        assert_eq!(mapped, 0, "{fmt}: converted into owned buffers");
        let mut src = open_source(s(&p), &rate()).unwrap();
        assert_eq!(read_copied(src.as_mut(), 4_099), expect, "{fmt} read");
    }
}

#[test]
fn wav_cf32_data_at_a_misaligned_offset_is_copied_with_the_same_samples() {
    let dir = tempfile::tempdir().unwrap();
    let data = cf32_bytes(40_000);
    let expect = decoded(SampleFormat::Cf32, &data);
    for (junk, aligned) in [(0, true), (2, false), (6, false), (4, true)] {
        let (file, off) = wav_cf32(&data, junk);
        assert_eq!(off % 4 == 0, aligned, "junk {junk}: data at {off}");
        let p = write(dir.path(), &format!("j{junk}.wav"), &file);
        let mut src = open_source(s(&p), &Overrides::default()).unwrap();
        assert_eq!(src.info().format, SampleFormat::Cf32);
        assert_eq!(src.info().total_samples, Some(40_000));
        let (got, mapped, chunks) = read_chunks(src.as_mut(), 9_000);
        assert_eq!(got, expect, "junk {junk}");
        assert_eq!(
            mapped,
            if aligned { chunks } else { 0 },
            "data at byte {off}: mapped only when aligned for Complex32"
        );
    }
}

#[test]
fn odd_sized_cf32_files_keep_their_errors_and_empty_ones_read_empty() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = cf32_bytes(11);
    let cut = &bytes[..85];
    let raw = write(dir.path(), "cut.cf32", cut);
    let e = open_source(s(&raw), &rate()).err().expect("an error");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: file size 85 bytes is not a multiple of the 8-byte cf32 sample: truncated last sample (or wrong --format)",
            raw.display()
        )
    );
    let data = write(dir.path(), "cut.sigmf-data", cut);
    let meta = write(
        dir.path(),
        "cut.sigmf-meta",
        sigmf_meta("cf32_le").as_bytes(),
    );
    let e = open_source(s(&meta), &Overrides::default())
        .err()
        .expect("an error");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: file size 85 bytes is not a multiple of the 8-byte cf32 sample: truncated last sample",
            data.display()
        )
    );
    let (file, _) = wav_cf32(cut, 0);
    let wav = write(dir.path(), "cut.wav", &file);
    let e = open_source(s(&wav), &Overrides::default())
        .err()
        .expect("an error");
    assert_eq!(
        e.to_string(),
        format!(
            "{}: not a valid WAV file: Ill-formed WAVE file: data chunk length is not a multiple of sample size",
            wav.display()
        )
    );
    for name in ["empty.cf32", "empty.cu8"] {
        let p = write(dir.path(), name, &[]);
        let mut src = open_source(s(&p), &rate()).unwrap();
        assert_eq!(src.info().total_samples, Some(0));
        assert_eq!(read_chunks(src.as_mut(), 100).0, vec![]);
        assert_eq!(src.read_samples(Vec::new(), 100).unwrap().len(), 0);
    }
}

/// What the stage was given: (first sample, a view of the map?, sample bits) per chunk.
type Seen = Arc<Mutex<Vec<(u64, bool, Vec<(u32, u32)>)>>>;

struct Capture(Seen);

impl SampleStage for Capture {
    fn name(&self) -> &'static str {
        "capture"
    }
    fn process(&mut self, chunk: &Chunk) -> downlink::error::Result<()> {
        let mapped = matches!(chunk.samples, Samples::Mapped(_));
        self.0
            .lock()
            .unwrap()
            .push((chunk.first_sample, mapped, bits(&chunk.samples)));
        Ok(())
    }
    fn finish(self: Box<Self>) -> downlink::error::Result<Vec<Product>> {
        Ok(vec![])
    }
    fn status(&self) -> StageStatus {
        StageStatus::new("capture", "running")
    }
}

#[test]
fn the_chain_hands_mapped_chunks_in_order_and_stops_at_max_samples() {
    let dir = tempfile::tempdir().unwrap();
    let bytes = cf32_bytes(200_000);
    let expect = decoded(SampleFormat::Cf32, &bytes);
    let p = write(dir.path(), "x.cf32", &bytes);
    for (chunk_samples, max_samples) in [(10_000, None), (65_536, Some(123_457))] {
        let got = Arc::new(Mutex::new(Vec::new()));
        let opts = RunOptions {
            chunk_samples,
            max_samples,
            ..Default::default()
        };
        let report = chain::run(
            open_source(s(&p), &rate()).unwrap(),
            Box::new(Capture(got.clone())),
            opts,
        )
        .unwrap();
        let n = max_samples.unwrap_or(200_000) as usize;
        assert_eq!(report.samples, n as u64);
        let chunks = got.lock().unwrap();
        let mut next = 0u64;
        let mut all = Vec::new();
        for (first, mapped, samples) in chunks.iter() {
            assert_eq!(*first, next, "chunks follow each other");
            assert!(*mapped, "a cf32 file reaches the stage as views of the map");
            assert!(samples.len() <= chunk_samples);
            next += samples.len() as u64;
            all.extend_from_slice(samples);
        }
        assert_eq!(
            all,
            expect[..n],
            "chunk {chunk_samples} max {max_samples:?}"
        );
    }
}
