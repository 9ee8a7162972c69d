//! Every kind of bad input gives a one-line `InputError` naming the file and the problem.

use std::io::Write;
use std::path::{Path, PathBuf};

use downlink::io::{open_source, probe, InputError, Overrides, SampleFormat, SampleSource};
use num_complex::Complex32;

fn rate(r: f64) -> Overrides {
    Overrides {
        sample_rate_hz: Some(r),
        ..Default::default()
    }
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// The error of opening `path`, checked to be one line that names `names`.
fn open_err(path: &str, ov: &Overrides, names: &str) -> InputError {
    let e = match open_source(path, ov) {
        Ok(_) => panic!("{path} opened without error"),
        Err(e) => e,
    };
    check(&e, names);
    e
}

fn check(e: &InputError, names: &str) {
    let msg = e.to_string();
    assert_eq!(e.path, names, "{msg}");
    assert!(msg.starts_with(&format!("{names}: ")), "{msg}");
    assert!(!msg.contains('\n'), "one line: {msg}");
}

/// Reads to the end, returning the first error.
fn read_err(src: &mut dyn SampleSource) -> InputError {
    let mut out: Vec<Complex32> = Vec::new();
    loop {
        match src.read(&mut out, 1 << 16) {
            Ok(0) => panic!("reached the end without error after {} samples", out.len()),
            Ok(_) => out.clear(),
            Err(e) => return e,
        }
    }
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    p
}

/// A minimal PCM WAV header (44 bytes) claiming `data_len` bytes of data.
fn wav_header(channels: u16, rate: u32, bits: u16, data_len: u32) -> Vec<u8> {
    let block = channels * bits / 8;
    let mut h = Vec::new();
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&36u32.wrapping_add(data_len).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&channels.to_le_bytes());
    h.extend_from_slice(&rate.to_le_bytes());
    h.extend_from_slice(&(rate * block as u32).to_le_bytes());
    h.extend_from_slice(&block.to_le_bytes());
    h.extend_from_slice(&bits.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&data_len.to_le_bytes());
    h
}

#[test]
fn missing_file() {
    let e = open_err(
        "/nonexistent/dir/rec.cu8",
        &rate(1e6),
        "/nonexistent/dir/rec.cu8",
    );
    assert!(e.problem.starts_with("cannot open: No such file"), "{e}");
    let e = open_err("/nonexistent/rec.wav", &rate(1e6), "/nonexistent/rec.wav");
    assert!(e.problem.contains("No such file"), "{e}");
    let e = open_err(
        "/nonexistent/rec.sigmf-data",
        &rate(1e6),
        "/nonexistent/rec.sigmf-meta",
    );
    assert!(
        e.problem
            .starts_with("cannot open SigMF metadata: No such file"),
        "{e}"
    );
}

#[test]
fn missing_sigmf_data_file_names_it() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "x.sigmf-meta",
        br#"{"global":{"core:datatype":"cu8","core:sample_rate":1e6},"captures":[]}"#,
    );
    let data = dir.path().join("x.sigmf-data");
    let e = open_err(
        s(&dir.path().join("x.sigmf-meta")),
        &Overrides::default(),
        s(&data),
    );
    assert!(e.problem.contains("No such file"), "{e}");
}

#[test]
fn random_bytes_named_wav() {
    let dir = tempfile::tempdir().unwrap();
    let bytes: Vec<u8> = (0..4000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    let p = write(dir.path(), "noise.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert_eq!(e.problem, "not a WAV file (no RIFF/WAVE header)");
    let p = write(dir.path(), "empty.wav", b"");
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert_eq!(e.problem, "not a WAV file (no RIFF/WAVE header)");
}

#[test]
fn png_named_sigmf_meta() {
    let dir = tempfile::tempdir().unwrap();
    let png = [
        0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d, b'I', b'H', b'D', b'R', 0,
        0, 1, 0,
    ];
    let p = write(dir.path(), "image.sigmf-meta", &png);
    write(dir.path(), "image.sigmf-data", &[0; 16]);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem.starts_with("malformed SigMF metadata JSON: "),
        "{e}"
    );
}

#[test]
fn unknown_extension_and_formatless_raw_ask_for_format() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "capture.xyz", &[0; 64]);
    let e = open_err(s(&p), &rate(1e6), s(&p));
    assert!(e.problem.contains("unknown file type .xyz"), "{e}");
    assert!(e.problem.contains("pass --format"), "{e}");
    let p = write(dir.path(), "capture.raw", &[0; 64]);
    let e = open_err(s(&p), &rate(1e6), s(&p));
    assert!(e.problem.contains(".raw files carry no format"), "{e}");
    assert!(e.problem.contains("pass --format"), "{e}");
    // With --format it opens.
    let ov = Overrides {
        format: Some(SampleFormat::Cs8),
        ..rate(1e6)
    };
    assert_eq!(probe(s(&p), &ov).unwrap().total_samples, Some(32));
}

#[test]
fn rate_unknown_for_plain_cu8() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "rtl.cu8", &[127; 1024]);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert_eq!(e.problem, "sample rate unknown: pass --rate");
}

#[test]
fn truncated_last_sample_plain_is_caught_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "cut.cs16", &[0; 4 * 100 + 3]);
    let e = open_err(s(&p), &rate(1e6), s(&p));
    assert!(
        e.problem
            .contains("file size 403 bytes is not a multiple of the 4-byte cs16 sample"),
        "{e}"
    );
    assert!(e.problem.contains("truncated last sample"), "{e}");
    let e = probe(s(&p), &rate(1e6)).unwrap_err();
    check(&e, s(&p));
}

#[test]
fn truncated_last_sample_gzip_is_caught_at_the_end() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("cut.cu8.gz");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&p).unwrap(),
        flate2::Compression::default(),
    );
    gz.write_all(&vec![100u8; 2 * 70_000 + 1]).unwrap();
    gz.finish().unwrap();
    let info = probe(s(&p), &rate(1e6)).unwrap();
    assert_eq!(info.total_samples, None, "size is not whole samples");
    let mut src = open_source(s(&p), &rate(1e6)).unwrap();
    let e = read_err(src.as_mut());
    check(&e, s(&p));
    assert!(e.problem.contains("truncated last sample: the data ends 1 byte(s) into a 2-byte cu8 sample (after 70000 complete samples)"), "{e}");
}

#[test]
fn wav_header_that_lies_about_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = wav_header(2, 48_000, 16, 400_000);
    bytes.extend(vec![0u8; 4000]);
    let p = write(dir.path(), "liar.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(e.problem.contains("claims a 400000-byte data chunk but only 4000 bytes follow the header (file is 4044 bytes)"), "{e}");
    // A writer that never finalised its header (0xFFFFFFFF) is the same lie.
    let mut bytes = wav_header(2, 48_000, 16, u32::MAX);
    bytes.extend(vec![0u8; 4000]);
    let p = write(dir.path(), "streamed.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem
            .contains("claims a 4294967295-byte data chunk but only 4000 bytes"),
        "{e}"
    );
}

#[test]
fn rf64_and_unsupported_wav_layouts() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = wav_header(2, 48_000, 16, 16);
    bytes[..4].copy_from_slice(b"RF64");
    bytes.extend([0; 16]);
    let p = write(dir.path(), "big.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(e.problem.starts_with("RF64 WAV is not supported: "), "{e}");
    bytes[..4].copy_from_slice(b"BW64");
    let p = write(dir.path(), "big2.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(e.problem.starts_with("RF64 WAV is not supported: "), "{e}");

    // A RIFF WAV over 4 GiB (sparse: takes no disk space).
    let mut bytes = wav_header(2, 48_000, 16, u32::MAX - 1);
    bytes.extend([0; 16]);
    let p = write(dir.path(), "huge.wav", &bytes);
    std::fs::OpenOptions::new()
        .write(true)
        .open(&p)
        .unwrap()
        .set_len(5 << 30)
        .unwrap();
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem
            .starts_with("RF64 WAV is not supported, and this RIFF WAV is 5368709120 bytes"),
        "{e}"
    );

    let mut bytes = wav_header(2, 48_000, 24, 60);
    bytes.extend([0; 60]);
    let p = write(dir.path(), "pcm24.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem
            .starts_with("unsupported WAV sample format: 2 channel(s) of 24-bit PCM"),
        "{e}"
    );

    let mut bytes = wav_header(4, 48_000, 16, 80);
    bytes.extend([0; 80]);
    let p = write(dir.path(), "quad.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem
            .starts_with("unsupported WAV sample format: 4 channel(s)"),
        "{e}"
    );

    // A data chunk that is not whole frames (hound's own check).
    let mut bytes = wav_header(2, 48_000, 16, 6);
    bytes.extend([0; 6]);
    let p = write(dir.path(), "odd.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(e.problem.starts_with("not a valid WAV file: "), "{e}");
}

#[test]
fn malformed_sigmf() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "m.sigmf-data", &[0; 64]);
    let cases: [(&str, &str); 8] = [
        (
            r#"{"global": {"core:datatype": "cu8", "core:sample_rate": 1e-9}, "captures": [{"core:sample_start": 18446744073709551615, "core:datetime": "0001-01-01T00:00:00Z"}]}"#,
            "core:datetime \"0001-01-01T00:00:00Z\" minus core:sample_start 18446744073709551615 is out of range",
        ),
        (
            r#"{"global": {"core:datatype": "cu8", "core:sample_rate": 1e6"#,
            "malformed SigMF metadata JSON: EOF while parsing",
        ),
        (
            r#"[1, 2, 3]"#,
            "malformed SigMF metadata: the top level is not a JSON object",
        ),
        (
            r#"{"captures": []}"#,
            "malformed SigMF metadata: no \"global\" object",
        ),
        (
            r#"{"global": {"core:datatype": "cu8"}}"#,
            "SigMF metadata has no core:sample_rate",
        ),
        (
            r#"{"global": {"core:datatype": "ci16_be", "core:sample_rate": 1e6}}"#,
            "big-endian SigMF datatype \"ci16_be\" is not supported",
        ),
        (
            r#"{"global": {"core:datatype": "cu16_le", "core:sample_rate": 1e6}}"#,
            "unsupported SigMF datatype \"cu16_le\"",
        ),
        (
            r#"{"global": {"core:datatype": "cu8", "core:sample_rate": 1e6}, "captures": [{"core:sample_start": 0, "core:datetime": "yesterday"}]}"#,
            "core:datetime \"yesterday\" is not ISO 8601",
        ),
    ];
    for (json, want) in cases {
        let p = write(dir.path(), "m.sigmf-meta", json.as_bytes());
        let e = open_err(s(&p), &Overrides::default(), s(&p));
        assert!(e.problem.starts_with(want), "{json}: {e}");
    }
}

#[test]
fn sigmf_archive_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "bundle.sigmf", &[0; 1024]);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert!(
        e.problem
            .starts_with("SigMF archives (.sigmf, tar) are not supported"),
        "{e}"
    );
}

/// Flips bytes in the middle of a gzip stream and checks the read fails with the file named.
fn corrupt_and_read(gz_bytes: &[u8], dir: &Path, name: &str, ov: &Overrides) {
    let mut bytes = gz_bytes.to_vec();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 8] {
        *b ^= 0x5a;
    }
    let p = write(dir, name, &bytes);
    let mut src = open_source(s(&p), ov).unwrap();
    let e = read_err(src.as_mut());
    check(&e, s(&p));
    assert!(e.problem.starts_with("corrupt gzip data after "), "{e}");
}

#[test]
fn corrupt_gzip_stream() {
    let dir = tempfile::tempdir().unwrap();
    // Noise-like cu8 so that deflate uses Huffman blocks throughout.
    let data: Vec<u8> = (0..600_000u32)
        .map(|i| (127.0 + 40.0 * ((i as f32) * 0.37).sin()) as u8 ^ (i as u8 & 3))
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let gz = gz.finish().unwrap();
    corrupt_and_read(&gz, dir.path(), "flipped.cu8.gz", &rate(1e6));

    // And a real recording, when the shared folder is present.
    let real = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings/cubesat-iq-aausat/aausat.raw.gz");
    if let Ok(bytes) = std::fs::read(&real) {
        let ov = Overrides {
            format: Some(SampleFormat::Cu8),
            ..rate(240_000.0)
        };
        corrupt_and_read(&bytes, dir.path(), "aausat-flipped.raw.gz", &ov);
    }

    let p = write(dir.path(), "plain.cu8.gz", &data[..1000]);
    let e = open_err(s(&p), &rate(1e6), s(&p));
    assert_eq!(e.problem, "not a gzip file (missing the 1f 8b magic bytes)");
}

#[test]
fn sample_rate_zero_or_nan_from_anywhere() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "z.cu8", &[0; 64]);
    let e = open_err(s(&p), &rate(0.0), s(&p));
    assert_eq!(
        e.problem,
        "sample rate 0 Hz (from --rate) is not valid: it must be positive and finite"
    );
    let e = open_err(s(&p), &rate(f64::NAN), s(&p));
    assert!(
        e.problem
            .starts_with("sample rate NaN Hz (from --rate) is not valid"),
        "{e}"
    );
    let e = open_err(s(&p), &rate(-48_000.0), s(&p));
    assert!(
        e.problem
            .starts_with("sample rate -48000 Hz (from --rate) is not valid"),
        "{e}"
    );

    let mut bytes = wav_header(2, 0, 16, 16);
    bytes.extend([0; 16]);
    let p = write(dir.path(), "z.wav", &bytes);
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert_eq!(
        e.problem,
        "sample rate 0 Hz (from WAV header) is not valid: it must be positive and finite"
    );
    // An explicit rate rescues it.
    assert_eq!(
        probe(s(&p), &rate(48_000.0)).unwrap().sample_rate_hz,
        48_000.0
    );

    write(dir.path(), "z.sigmf-data", &[0; 16]);
    let p = write(
        dir.path(),
        "z.sigmf-meta",
        br#"{"global":{"core:datatype":"cu8","core:sample_rate":0}}"#,
    );
    let e = open_err(s(&p), &Overrides::default(), s(&p));
    assert_eq!(
        e.problem,
        "sample rate 0 Hz (from SigMF metadata) is not valid: it must be positive and finite"
    );

    let gz = dir.path().join("z.raw.gz");
    write(
        dir.path(),
        "z.raw.gz",
        &[
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    write(
        dir.path(),
        "z.raw.gz.json",
        br#"{"inputSampleRate":0,"dataFormat":"COMPLEX_UNSIGNED_BYTE"}"#,
    );
    let e = open_err(s(&gz), &Overrides::default(), s(&gz));
    assert_eq!(e.problem, "sample rate 0 Hz (from ground-station JSON (inputSampleRate)) is not valid: it must be positive and finite");
}

#[test]
fn malformed_ground_station_json_names_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        "obs.raw.gz",
        &[
            0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 3, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
    );
    let j = write(dir.path(), "obs.raw.gz.json", b"{\"start\": 12,");
    let e = open_err(s(&p), &Overrides::default(), s(&j));
    assert!(
        e.problem.starts_with("malformed ground-station JSON: "),
        "{e}"
    );
    let j = write(
        dir.path(),
        "obs.raw.gz.json",
        br#"{"dataFormat": "ZIQ", "inputSampleRate": 48000}"#,
    );
    let e = open_err(s(&p), &Overrides::default(), s(&j));
    assert!(
        e.problem.starts_with("unsupported dataFormat \"ZIQ\""),
        "{e}"
    );
}

#[test]
fn stdin_needs_format_and_rate() {
    let e = open_err("-", &Overrides::default(), "<stdin>");
    assert_eq!(
        e.problem,
        "reading samples from stdin needs --format and --rate (stdin has no header)"
    );
    let e = open_err("-", &rate(1e6), "<stdin>");
    assert_eq!(
        e.problem,
        "reading samples from stdin needs --format (stdin has no header)"
    );
    let ov = Overrides {
        format: Some(SampleFormat::Cu8),
        ..Default::default()
    };
    let e = open_err("-", &ov, "<stdin>");
    assert_eq!(
        e.problem,
        "reading samples from stdin needs --rate (stdin has no header)"
    );
    let e = probe("-", &Overrides::default()).unwrap_err();
    check(&e, "<stdin>");
}

#[test]
fn directory_is_not_a_recording() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("d.cu8");
    std::fs::create_dir(&d).unwrap();
    let e = open_err(s(&d), &rate(1e6), s(&d));
    assert_eq!(e.problem, "is a directory, not a recording");
}
