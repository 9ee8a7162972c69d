//! `decode --satellite` on a Meteor-M satellite runs the meteor-lrpt pipeline on the
//! transmitter's channel: a wide recording whose centre is not the transmitter's
//! frequency decodes with the channel moved there, where the bare pipeline (which
//! searches ±10 kHz around the centre) finds nothing.

mod common;

use common::*;
use std::path::Path;

/// A 3 s synthetic pass at 1.024 MS/s whose carrier sits 300 kHz above the centre the
/// file states; decoded with `--freq 137.6M` the carrier is at 137.9 MHz, one of
/// Meteor-M N2-3's two frequencies (the other, 137.1 MHz, is also in the band but
/// farther from the centre).
fn wide_pass(dir: &Path) -> String {
    let path = dir.join("wide.sigmf-meta");
    let p = path.to_str().unwrap().to_string();
    let o = downlink(&[
        "synth",
        "meteor-lrpt",
        "--seconds",
        "3",
        "--rate",
        "1.024M",
        "--carrier",
        "300k",
        "--to-format",
        "cu8",
        "-o",
        &p,
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    p
}

/// The final `--json` summary of a decode.
fn summary(args: &[&str]) -> serde_json::Value {
    let o = downlink(args);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    let last = stdout(&o).lines().last().unwrap().to_string();
    serde_json::from_str(&last).unwrap()
}

/// A value the meteor-lrpt stage reported in the summary.
fn meteor_value(v: &serde_json::Value, key: &str) -> Option<f64> {
    v["stages"]
        .as_array()?
        .iter()
        .find(|s| s["stage"] == "meteor-lrpt")
        .and_then(|s| s["values"][key].as_f64())
}

fn rs_ok(v: &serde_json::Value) -> f64 {
    meteor_value(v, "cadus_rs_ok").unwrap_or_else(|| panic!("no meteor counters in {v}"))
}

#[test]
fn meteor_satellite_decodes_on_its_channel() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = wide_pass(tmp.path());
    let out = tmp.path().join("out");
    let out = out.to_str().unwrap();
    for query in ["Meteor-M N2-3", "57166"] {
        let v = summary(&[
            "decode",
            "--satellite",
            query,
            "--freq",
            "137.6M",
            "--json",
            &pass,
            "-o",
            out,
        ]);
        // 3 s of 72 kBd carry 26 whole CADUs (26 decode at this Es/N0 of 9 dB).
        assert!(rs_ok(&v) >= 25.0, "{query}: {v}");
        assert_eq!(meteor_value(&v, "tune_offset_hz"), Some(300e3), "{v}");
    }
    let files = listing(Path::new(out));
    assert!(
        files.iter().any(|f| f.ends_with(".msumr-64.png")),
        "{files:?}"
    );
    // The pipeline alone stays on the centre, 300 kHz from the signal.
    let v = summary(&[
        "decode",
        "-p",
        "meteor-lrpt",
        "--freq",
        "137.6M",
        "--json",
        &pass,
        "-o",
        out,
    ]);
    assert_eq!(rs_ok(&v), 0.0, "{v}");
}

#[test]
fn meteor_satellite_outside_the_recorded_band_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let pass = wide_pass(tmp.path());
    let out = tmp.path().join("out");
    // 137.0 MHz ± 512 kHz does not reach Meteor-M N2 at 137.9 MHz.
    let o = downlink(&[
        "decode",
        "--satellite",
        "Meteor-M N2",
        "--freq",
        "137.0M",
        &pass,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let e = stderr(&o);
    assert!(
        e.contains("wide.sigmf-meta") && e.contains("137.9000 MHz"),
        "{e}"
    );
    assert!(!out.exists() || listing(&out).is_empty());
    // The Doppler options belong to telemetry decoding.
    let o = downlink(&[
        "decode",
        "--satellite",
        "Meteor-M N2-3",
        "--no-doppler",
        &pass,
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("carrier"), "{}", stderr(&o));
}

#[test]
fn satellites_lists_meteor_as_decoded_by_its_pipeline() {
    let o = downlink(&["satellites"]);
    assert!(o.status.success());
    let text = stdout(&o);
    let line = text
        .lines()
        .find(|l| l.starts_with("Meteor-M N2-3"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(line.trim_end().ends_with("meteor-lrpt"), "{line}");
}
