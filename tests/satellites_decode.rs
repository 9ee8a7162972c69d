//! `downlink decode --satellite` on real receiver audio: frames equal the ones the
//! reference decoders published, KISS and JSON Lines agree, chunking changes nothing.

mod common;

use downlink::pipelines::cubesat::FrameRecord;
use downlink_dsp::framing::kiss::{Kiss, KissFrame};
use std::path::{Path, PathBuf};

fn wav(root: &Path, dir: &str) -> PathBuf {
    let d = root.join(dir);
    std::fs::read_dir(&d)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|x| x == "wav"))
        .unwrap_or_else(|| panic!("no WAV in {}", d.display()))
}

/// First hex line of `expected/frames.hex`.
fn expected_frame(root: &Path, dir: &str) -> String {
    std::fs::read_to_string(root.join(dir).join("expected/frames.hex"))
        .unwrap()
        .lines()
        .find(|l| !l.starts_with('#') && !l.trim().is_empty())
        .unwrap()
        .trim()
        .to_lowercase()
}

struct Run {
    frames: Vec<FrameRecord>,
    kiss: Vec<KissFrame>,
    stdout: String,
}

fn run(file: &Path, sat: &str, extra: &[&str]) -> Run {
    let out = tempfile::tempdir().unwrap();
    let mut args = vec![
        "decode",
        "--satellite",
        sat,
        file.to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let o = common::downlink(&args);
    assert!(o.status.success(), "{args:?}: {}", common::stderr(&o));
    let stem = file.file_stem().unwrap().to_str().unwrap().to_string();
    let listing = common::listing(out.path());
    assert_eq!(
        listing,
        vec![format!("{stem}.frames.jsonl"), format!("{stem}.kiss")],
        "no .part left behind"
    );
    let text = std::fs::read_to_string(out.path().join(format!("{stem}.frames.jsonl"))).unwrap();
    let frames: Vec<FrameRecord> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let bytes = std::fs::read(out.path().join(format!("{stem}.kiss"))).unwrap();
    let mut kiss = Vec::new();
    Kiss::new().process(&bytes, &mut kiss);
    Run {
        frames,
        kiss,
        stdout: common::stdout(&o),
    }
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

fn check_consistent(r: &Run, sat: &str) {
    assert_eq!(r.kiss.len(), r.frames.len());
    for (k, f) in r.kiss.iter().zip(&r.frames) {
        assert_eq!(
            k.data,
            unhex(&f.frame),
            "KISS and JSON Lines carry the same bytes"
        );
        assert_eq!(f.satellite, sat);
        assert!(f.check_passed);
        assert!(f.time.is_none(), "WAV without start time");
    }
    assert_eq!(
        r.stdout.matches("\n0000  ").count() + usize::from(r.stdout.starts_with("0000  ")),
        r.frames.len(),
        "one hexdump per frame: {}",
        r.stdout
    );
}

/// (recording dir, satellite query, satellite name, framing, frames decoded)
const REFERENCE: &[(&str, &str, &str, &str, usize)] = &[
    ("cubesat-1kuns_pf", "43466", "1KUNS-PF", "Ax100AsmGolay", 1),
    ("cubesat-ca03_9k6", "CA03", "Ex-Alta 1", "Ax100Rs", 1),
    ("cubesat-lucky_7", "lucky-7", "Lucky-7", "Lucky7", 9),
    ("cubesat-at03", "PEGASUS", "AT03", "Tt64", 1),
];

#[test]
fn decodes_the_reference_frames() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for &(dir, query, name, framing, count) in REFERENCE {
        let r = run(&wav(&root, dir), query, &[]);
        check_consistent(&r, name);
        assert_eq!(r.frames.len(), count, "{dir}");
        assert_eq!(r.frames[0].framing, framing, "{dir}");
        let want = expected_frame(&root, dir);
        assert!(
            r.frames.iter().any(|f| f.frame == want),
            "{dir}: expected frame {want} not among {:?}",
            r.frames.iter().map(|f| &f.frame).collect::<Vec<_>>()
        );
    }
}

#[test]
fn decodes_ax25_g3ruh_audio() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for (dir, sat, name, callsign_prefix) in [
        // AX.25 destination address bytes are ASCII shifted left by one.
        ("cubesat-us01-grsat", "us01", "US01", "a284aaa6606260"),
        (
            "cubesat-quetzal1-grsat",
            "45598",
            "Quetzal-1",
            "40404040404060",
        ),
    ] {
        let r = run(&wav(&root, dir), sat, &[]);
        check_consistent(&r, name);
        assert_eq!(r.frames.len(), 1, "{dir}");
        assert_eq!(r.frames[0].check, "crc16");
        assert!(
            r.frames[0].frame.starts_with(callsign_prefix),
            "{dir}: {}",
            r.frames[0].frame
        );
    }
}

#[test]
fn chunk_size_and_start_time() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let file = wav(&root, "cubesat-lucky_7");
    let a = run(&file, "44406", &[]);
    let b = run(&file, "44406", &["--chunk", "777"]);
    assert_eq!(a.frames, b.frames);
    let o = tempfile::tempdir().unwrap();
    let out = common::downlink(&[
        "decode",
        "--json",
        "-s",
        "44406",
        file.to_str().unwrap(),
        "--start",
        "2020-01-02T03:04:05Z",
        "-o",
        o.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    assert!(
        !common::stdout(&out).contains("0000  "),
        "--json: no hexdump on stdout"
    );
    // With a start time the products are named after the pass time too.
    let listing = common::listing(o.path());
    let jsonl = listing
        .iter()
        .find(|n| n.ends_with(".frames.jsonl"))
        .unwrap();
    let text = std::fs::read_to_string(o.path().join(jsonl)).unwrap();
    let f: FrameRecord = serde_json::from_str(text.lines().next().unwrap()).unwrap();
    let t = chrono::DateTime::parse_from_rfc3339(f.time.as_deref().unwrap()).unwrap();
    let start = chrono::DateTime::parse_from_rfc3339("2020-01-02T03:04:05Z").unwrap();
    let dt = (t - start).num_milliseconds() as f64 / 1e3;
    assert!((dt - f.t_s).abs() < 0.0015, "{dt} vs {}", f.t_s);
}

#[test]
fn refuses_what_it_cannot_decode() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let o = tempfile::tempdir().unwrap();
    let od = o.path().to_str().unwrap();
    // A satellite file naming a pair no decoder handles (LRPT framing over GFSK).
    let sats = tempfile::tempdir().unwrap();
    std::fs::write(
        sats.path().join("odd.toml"),
        "name = \"ODDSAT\"\nnorad = 99901\n\n[[transmitters]]\nname = \"odd\"\n\
         frequency_hz = 437_000_000\nmodulation = { type = \"gfsk\", baud = 4800 }\n\
         framing = { type = \"lrpt\" }\n",
    )
    .unwrap();
    let dstar = wav(&root, "cubesat-dstar_one");
    let out = common::downlink(&[
        "decode",
        "--satellites-dir",
        sats.path().to_str().unwrap(),
        "-s",
        "ODDSAT",
        dstar.to_str().unwrap(),
        "-o",
        od,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        common::stderr(&out).contains("no transmitter can be decoded yet"),
        "{}",
        common::stderr(&out)
    );
    let out = common::downlink(&[
        "decode",
        "-s",
        "nosuchsat",
        dstar.to_str().unwrap(),
        "-o",
        od,
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("unknown satellite"));
    assert!(common::listing(o.path()).is_empty());
}

/// Raw ground-station I/Q: each transmitter's channel is cut out at its frequency plus
/// the Doppler shift from the TLE in the recording's JSON, FM-demodulated and decoded.
/// The counts are the frames the station itself logged (manifest `expected`).
#[test]
fn decodes_raw_iq_with_doppler_from_the_metadata() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for (dir, norad, want) in [
        ("cubesat-iq-strand1/strand1.raw.gz", "39090", 1),
        ("cubesat-iq-swampsat2/swampsat2.raw.gz", "45115", 1),
        ("cubesat-iq-pegasus/pegasus.raw.gz", "42784", 1),
    ] {
        let o = tempfile::tempdir().unwrap();
        let iq = root.join(dir);
        let out = common::downlink(&[
            "decode",
            "-s",
            norad,
            "--json",
            iq.to_str().unwrap(),
            "-o",
            o.path().to_str().unwrap(),
        ]);
        assert!(out.status.success(), "{dir}: {}", common::stderr(&out));
        let jsonl = common::listing(o.path())
            .into_iter()
            .find(|f| f.ends_with(".frames.jsonl"))
            .expect("frames file");
        let frames: Vec<serde_json::Value> = std::fs::read_to_string(o.path().join(jsonl))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        eprintln!("{dir}: {} frames", frames.len());
        assert!(
            frames.len() >= want,
            "{dir}: {} frames, the station logged {want}",
            frames.len()
        );
        assert!(frames.iter().all(|f| f["check_passed"] == true));
    }
}
