//! Helpers shared by the integration tests.
#![allow(dead_code)]

use num_complex::Complex32;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// `../shared/recordings`, or None (with a notice) when it is missing outside CI.
/// Under `CI=true` a missing folder fails loudly: the tests that need it must run there.
pub fn shared_recordings() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    if dir.join("manifest.json").is_file() {
        return Some(dir);
    }
    let msg = format!(
        "the shared recordings are missing at {}: they are the project's shared/recordings \
         folder, checked out beside this repository (see README, 'Tests')",
        dir.display()
    );
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

pub fn manifest(dir: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(dir.join("manifest.json")).expect("manifest.json readable");
    serde_json::from_str(&text).expect("manifest.json parses")
}

pub fn downlink(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_downlink"))
        .args(args)
        .output()
        .expect("downlink runs")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The shipped synthetic recording.
pub fn scene_recording() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/scene-437m.sigmf-meta")
}

/// Reads every sample of a recording through the library.
pub fn read_all(path: &str) -> (downlink::io::RecordingInfo, Vec<Complex32>) {
    read_all_with(path, &Default::default())
}

/// Reads every sample with metadata overrides (e.g. the rate of a raw file).
pub fn read_all_with(
    path: &str,
    overrides: &downlink::io::Overrides,
) -> (downlink::io::RecordingInfo, Vec<Complex32>) {
    let mut src = downlink::io::open_source(path, overrides)
        .unwrap_or_else(|e| panic!("opening {path}: {e}"));
    let mut out = Vec::new();
    while src
        .read(&mut out, 1 << 16)
        .unwrap_or_else(|e| panic!("reading {path}: {e}"))
        > 0
    {}
    (src.info().clone(), out)
}

/// Every file in a folder, sorted.
pub fn listing(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}
