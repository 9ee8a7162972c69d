//! Bad input through the command line: one line naming the file and the problem,
//! exit code 2, no panic, and nothing left in the output folder.

mod common;

use common::*;
use std::io::Write;
use std::path::Path;

fn write(path: &Path, bytes: &[u8]) {
    std::fs::File::create(path)
        .unwrap()
        .write_all(bytes)
        .unwrap();
}

/// Runs `decode --pipeline waterfall` (and `info`) on `file` and checks the failure.
fn assert_rejected(file: &Path, extra: &[&str], words: &[&str]) {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec!["decode", "--pipeline", "waterfall", "--fft", "64"];
    args.extend_from_slice(extra);
    args.extend_from_slice(&[file.to_str().unwrap(), "-o", out.path().to_str().unwrap()]);
    for argv in [args.clone(), {
        let mut a = vec!["info"];
        a.extend_from_slice(extra);
        a.push(file.to_str().unwrap());
        a
    }] {
        let o = downlink(&argv);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{argv:?}: {err}");
        assert!(!err.contains("panicked"), "{err}");
        let line = err.lines().last().unwrap_or("");
        let name = file.file_name().unwrap().to_str().unwrap();
        assert!(line.contains(name), "error does not name the file: {err}");
        for w in words {
            assert!(
                line.to_lowercase().contains(&w.to_lowercase()),
                "error lacks '{w}': {err}"
            );
        }
    }
    assert_eq!(
        listing(out.path()),
        Vec::<String>::new(),
        "output left behind"
    );
}

#[test]
fn missing_file() {
    let dir = tempfile::tempdir().unwrap();
    assert_rejected(
        &dir.path().join("nothere.cu8"),
        &["--rate", "1M"],
        &["no such file"],
    );
}

#[test]
fn unknown_extension_without_format() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("capture.xyz");
    write(&f, &[0u8; 4096]);
    assert_rejected(&f, &["--rate", "1M"], &["--format"]);
}

#[test]
fn random_bytes_named_wav() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("noise.wav");
    let bytes: Vec<u8> = (0..10_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    write(&f, &bytes);
    assert_rejected(&f, &[], &["wav"]);
}

#[test]
fn truncated_last_sample() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cut.cs16");
    write(&f, &[0u8; 4 * 1000 + 3]);
    assert_rejected(&f, &["--rate", "1M"], &["sample"]);
}

#[test]
fn truncated_last_sample_in_gzip() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("cut.cf32.gz");
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&[0u8; 8 * 5000 + 5]).unwrap();
    write(&f, &gz.finish().unwrap());
    assert_rejected(&f, &["--rate", "1M"], &["sample"]);
}

#[test]
fn wav_header_lying_about_its_length() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("liar.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 48_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&f, spec).unwrap();
    for i in 0..20_000 {
        w.write_sample((i % 1000) as i16).unwrap();
    }
    w.finalize().unwrap();
    // Cut the file: the header still claims 40 000 bytes of data.
    let bytes = std::fs::read(&f).unwrap();
    write(&f, &bytes[..bytes.len() / 2]);
    assert_rejected(&f, &[], &["header"]);
}

#[test]
fn malformed_sigmf_json() {
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join("broken.sigmf-meta");
    write(
        &meta,
        br#"{"global": {"core:datatype": "cf32_le", "core:sample_rate": 1e6,"#,
    );
    write(&dir.path().join("broken.sigmf-data"), &[0u8; 8000]);
    assert_rejected(&meta, &[], &["json"]);
}

#[test]
fn corrupt_gzip_stream() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("corrupt.cu8.gz");
    let data: Vec<u8> = (0..400_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(&data).unwrap();
    let mut bytes = gz.finish().unwrap();
    let mid = bytes.len() / 2;
    for b in &mut bytes[mid..mid + 64] {
        *b ^= 0x5A;
    }
    write(&f, &bytes);
    assert_rejected(&f, &["--rate", "1M"], &["gzip"]);
}

#[test]
fn sample_rate_of_zero() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("zero.cu8");
    write(&f, &[128u8; 8192]);
    assert_rejected(&f, &["--rate", "0"], &["rate"]);
}

#[test]
fn sample_rate_unknown_asks_for_it() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("plain.cu8");
    write(&f, &[128u8; 8192]);
    assert_rejected(&f, &[], &["--rate"]);
}

#[test]
fn output_error_is_reported_and_leaves_no_half_file() {
    // An output folder that is a file: the product cannot be written.
    let dir = tempfile::tempdir().unwrap();
    let blocker = dir.path().join("out");
    write(&blocker, b"not a folder");
    let o = downlink(&[
        "decode",
        "--pipeline",
        "waterfall",
        scene_recording().to_str().unwrap(),
        "-o",
        blocker.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("out"), "{}", stderr(&o));
}
