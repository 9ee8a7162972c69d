//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod tmux;

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

/// The ground-station I/Q recordings (`cubesat-iq-*` with their JSON beside them): the
/// folder, the recording, and its manifest entry.
pub fn ground_station_iq(root: &Path) -> Vec<(String, PathBuf, serde_json::Value)> {
    let m = manifest(root);
    let mut v = Vec::new();
    for e in m["entries"].as_array().expect("entries") {
        let dir = e["dir"].as_str().unwrap_or_default();
        if !dir.starts_with("cubesat-iq-") {
            continue;
        }
        let path = root.join(dir).join(e["file"].as_str().expect("file"));
        let mut json = path.clone().into_os_string();
        json.push(".json");
        if PathBuf::from(json).is_file() {
            v.push((dir.to_string(), path, e.clone()));
        }
    }
    v
}

/// Runs `downlink decode --satellite SAT --json FILE -o TEMP EXTRA…`: its output, and
/// the JSON Lines frame records it wrote (None when it wrote no frames file, i.e. it
/// failed). No `.part` file may be left behind either way.
pub fn decode_satellite(
    file: &Path,
    sat: &str,
    extra: &[&str],
) -> (Output, Option<Vec<serde_json::Value>>) {
    let o = tempfile::tempdir().expect("temp dir");
    let mut args = vec![
        "decode",
        "--satellite",
        sat,
        "--json",
        file.to_str().expect("UTF-8 path"),
        "-o",
        o.path().to_str().expect("UTF-8 path"),
    ];
    args.extend_from_slice(extra);
    let out = downlink(&args);
    let listing = listing(o.path());
    assert!(
        listing.iter().all(|n| !n.ends_with(".part")),
        "no .part left behind: {listing:?}"
    );
    let frames = listing
        .iter()
        .find(|n| n.ends_with(".frames.jsonl"))
        .map(|jsonl| {
            std::fs::read_to_string(o.path().join(jsonl))
                .expect("frames file readable")
                .lines()
                .map(|l| serde_json::from_str(l).expect("a JSON line"))
                .collect()
        });
    (out, frames)
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

/// A shared recording's bytes, by path below `../shared/recordings`; None (with a
/// notice) when missing outside CI, a loud failure under `CI=true`.
pub fn recording(rel: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/recordings")
        .join(rel);
    match std::fs::read(&path) {
        Ok(b) => Some(b),
        Err(e) => {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!(
                    "recording {} is missing ({e}): it lives in the project's shared/recordings \
                     folder beside the checkout",
                    path.display()
                );
            }
            eprintln!("skipping: recording {} not found ({e})", path.display());
            None
        }
    }
}

/// Decodes a PNG into 8-bit RGB.
pub fn read_png_rgb(bytes: &[u8]) -> (usize, usize, Vec<u8>) {
    let dec = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = dec.read_info().expect("png header");
    let mut buf = vec![0; reader.output_buffer_size().expect("png size")];
    let info = reader.next_frame(&mut buf).expect("png data");
    let (w, h) = (info.width as usize, info.height as usize);
    let rgb = match info.color_type {
        png::ColorType::Rgb => buf[..w * h * 3].to_vec(),
        png::ColorType::Rgba => buf[..w * h * 4]
            .chunks(4)
            .flat_map(|p| [p[0], p[1], p[2]])
            .collect(),
        other => panic!("unexpected PNG colour type {other:?}"),
    };
    (w, h, rgb)
}
