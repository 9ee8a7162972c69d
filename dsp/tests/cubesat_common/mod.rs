//! Shared helpers for the cubesat integration tests: locating and reading the shared
//! recordings (used in place, never copied into the repository).
#![allow(dead_code)]

use std::path::PathBuf;

/// The project's shared recordings folder, beside the checkout.
pub fn recordings_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/recordings")
}

/// Path of a recording, or `None` (after a notice) when the folder is absent outside CI.
/// In CI (env `CI=true`) a missing folder is an error.
pub fn recording(rel: &str) -> Option<PathBuf> {
    let p = recordings_dir().join(rel);
    if p.exists() {
        return Some(p);
    }
    let msg = format!(
        "recording {} not found: these tests read the project's shared/recordings folder \
         (placed beside the checkout, i.e. ../shared/recordings from the workspace root)",
        p.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("notice: skipping, {msg}");
    None
}

/// First channel of a 16-bit PCM WAV as f32 in [-1, 1), and its sample rate.
pub fn read_wav_mono(path: &PathBuf) -> (Vec<f32>, f64) {
    let mut r = hound::WavReader::open(path)
        .unwrap_or_else(|e| panic!("cannot open {}: {e}", path.display()));
    let spec = r.spec();
    assert_eq!(
        spec.bits_per_sample,
        16,
        "{}: expected 16-bit PCM",
        path.display()
    );
    let ch = spec.channels as usize;
    let all: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.expect("WAV sample") as f32 / 32768.0)
        .collect();
    (
        all.chunks(ch).map(|c| c[0]).collect(),
        spec.sample_rate as f64,
    )
}

/// Hex lines of an `expected/frames.hex` file (comment lines start with '#').
pub fn read_frames_hex(path: &PathBuf) -> Vec<Vec<u8>> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            (0..l.len())
                .step_by(2)
                .map(|i| u8::from_str_radix(&l[i..i + 2], 16).expect("hex"))
                .collect()
        })
        .collect()
}

/// The `rawData` array of a jradio expected-beacon JSON (signed bytes), as bytes.
pub fn read_json_raw_data(path: &PathBuf) -> Vec<u8> {
    let text = std::fs::read_to_string(path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let start = text.find("\"rawData\"").expect("rawData key");
    let open = start + text[start..].find('[').expect("rawData array");
    let close = open + text[open..].find(']').expect("rawData end");
    text[open + 1..close]
        .split(',')
        .map(|v| v.trim().parse::<i16>().expect("integer") as i8 as u8)
        .collect()
}

/// Lower-case hex of bytes.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}
