//! Doppler correction in `decode --satellite` on the ground-station I/Q recordings
//! (`cubesat-iq-*`, TLE + station + start time in their JSON): decoding with the
//! correction gets at least as many frames as without, it is what makes the weak
//! 9k6 and 2k4 ones decode at all, and the carrier it leaves stays within ±200 Hz.

mod common;

use std::path::{Path, PathBuf};

struct Frame {
    bytes: String,
    freq_offset_hz: Option<f64>,
    doppler_hz: Option<f64>,
    snr_db: Option<f64>,
}

/// The frames, or None when the satellite has no decoder yet.
fn try_decode(file: &Path, sat: &str, extra: &[&str]) -> Option<Vec<Frame>> {
    let (out, frames) = common::decode_satellite(file, sat, extra);
    if common::stderr(&out).contains("can be decoded yet") {
        return None;
    }
    assert!(
        out.status.success(),
        "{} {extra:?}: {}",
        file.display(),
        common::stderr(&out)
    );
    let frames = frames.expect("a frames file, even if empty");
    Some(
        frames
            .iter()
            .map(|v| {
                assert_eq!(v["check_passed"], true);
                Frame {
                    bytes: v["frame"].as_str().unwrap().to_string(),
                    freq_offset_hz: v["freq_offset_hz"].as_f64(),
                    doppler_hz: v["doppler_hz"].as_f64(),
                    snr_db: v["snr_db"].as_f64(),
                }
            })
            .collect(),
    )
}

fn decode(file: &Path, sat: &str, extra: &[&str]) -> Vec<Frame> {
    try_decode(file, sat, extra).expect("a satellite with a decoder")
}

/// (folder, recording, satellite) of every ground-station I/Q recording; the
/// station's own metadata names the satellite it was pointed at.
fn iq_recordings(root: &Path) -> Vec<(String, PathBuf, String)> {
    common::ground_station_iq(root)
        .into_iter()
        .map(|(dir, path, _)| {
            let mut json = path.clone().into_os_string();
            json.push(".json");
            let meta: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&json).expect("metadata"))
                    .expect("metadata JSON");
            let sat = meta["satellite"].as_str().expect("satellite").to_string();
            (dir, path, sat)
        })
        .collect()
}

#[test]
fn correction_never_loses_frames_and_keeps_the_carrier_still() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let mut gained = Vec::new();
    let mut steady = 0;
    for (dir, path, sat) in iq_recordings(&root) {
        let Some(with) = try_decode(&path, &sat, &[]) else {
            eprintln!("{dir}: no decoder for {sat} yet");
            continue;
        };
        // The carrier search would find the signal without a TLE too (tests/afc_iq.rs):
        // this compares the Doppler correction with no tuning at all.
        let without = decode(&path, &sat, &["--no-doppler", "--no-afc"]);
        eprintln!(
            "{dir}: {} frames with the correction, {} without",
            with.len(),
            without.len()
        );
        assert!(
            with.len() >= without.len(),
            "{dir}: {} frames with the Doppler correction, {} without",
            with.len(),
            without.len()
        );
        if with.len() > without.len() {
            gained.push(dir.clone());
        }
        for f in &with {
            // I/Q in: every frame says where its carrier was and how strong.
            assert!(f.freq_offset_hz.is_some() && f.snr_db.is_some(), "{dir}");
            assert!(
                f.doppler_hz.is_some(),
                "{dir}: metadata has TLE and station"
            );
        }
        for f in &without {
            assert_eq!(f.doppler_hz, None, "{dir}: --no-doppler");
        }
        // What the correction leaves (the measured carrier minus the Doppler: the
        // transmitter's and receiver's oscillator errors) stays within ±200 Hz of its
        // mean over the recording.
        let resid: Vec<f64> = with
            .iter()
            .filter_map(|f| Some(f.freq_offset_hz? - f.doppler_hz?))
            .collect();
        if resid.len() >= 2 {
            let mean = resid.iter().sum::<f64>() / resid.len() as f64;
            assert!(
                resid.iter().all(|r| (r - mean).abs() <= 200.0),
                "{dir}: residual carrier {resid:?} Hz"
            );
            steady += 1;
        }
    }
    // Measured when this was written: RHW (9k6 GFSK), Delphini-1 (9k6 AX100) and
    // AAUSAT-4 (2k4 GFSK) decode nothing without the correction: at 437 MHz their
    // Doppler (5–10 kHz) pushes them off a channel cut for the nominal frequency.
    for must in [
        "cubesat-iq-rhw",
        "cubesat-iq-delphini1",
        "cubesat-iq-aausat",
    ] {
        assert!(gained.contains(&must.to_string()), "{must}: {gained:?}");
    }
    assert!(steady >= 4, "{steady} recordings with two frames or more");
}

/// `--tle` and `--station` stand in for the metadata's: the same orbit and station
/// given on the command line decode the same frames with the same correction, and
/// another station changes the correction.
#[test]
fn tle_and_station_from_the_command_line() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let file = root.join("cubesat-iq-rhw/rhw.raw.gz");
    let meta: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(root.join("cubesat-iq-rhw/rhw.raw.gz.json")).unwrap(),
    )
    .unwrap();
    let t = tempfile::tempdir().unwrap();
    let tle = t.path().join("rhw.tle");
    std::fs::write(
        &tle,
        format!(
            "{}\n{}\n{}\n",
            meta["tle"]["line1"].as_str().unwrap(),
            meta["tle"]["line2"].as_str().unwrap(),
            meta["tle"]["line3"].as_str().unwrap()
        ),
    )
    .unwrap();
    let station = format!(
        "{},{}",
        meta["groundStation"]["lat"], meta["groundStation"]["lon"]
    );
    let from_meta = decode(&file, "43743", &[]);
    let given = decode(
        &file,
        "43743",
        &["--tle", tle.to_str().unwrap(), "--station", &station],
    );
    assert!(from_meta.len() >= 2);
    assert_eq!(from_meta.len(), given.len());
    for (a, b) in from_meta.iter().zip(&given) {
        assert_eq!(a.bytes, b.bytes);
        assert_eq!(a.doppler_hz, b.doppler_hz);
    }
    // The correction moves at fixed sample counts and the measurement window is
    // always held: the chunk size changes nothing.
    for chunk in ["1000", "300000"] {
        let other = decode(&file, "43743", &["--chunk", chunk]);
        assert_eq!(other.len(), from_meta.len(), "--chunk {chunk}");
        for (a, b) in from_meta.iter().zip(&other) {
            assert_eq!(
                (&a.bytes, a.doppler_hz, a.freq_offset_hz, a.snr_db),
                (&b.bytes, b.doppler_hz, b.freq_offset_hz, b.snr_db),
                "--chunk {chunk}"
            );
        }
    }
    // From the other side of the Earth's curve the range rate differs: so does the
    // correction (decoding may then fail, which is the point of the correction).
    let elsewhere = decode(&file, "43743", &["--station", "40.0,80.0,100"]);
    assert!(
        elsewhere.len() < from_meta.len()
            || elsewhere
                .iter()
                .zip(&from_meta)
                .all(|(a, b)| (a.doppler_hz.unwrap() - b.doppler_hz.unwrap()).abs() > 100.0),
        "another station, the same correction"
    );

    // A TLE file that is not one: the error names it.
    let bad = t.path().join("bad.tle");
    std::fs::write(&bad, "not a TLE\n").unwrap();
    let out = common::downlink(&[
        "decode",
        "--satellite",
        "43743",
        file.to_str().unwrap(),
        "--tle",
        bad.to_str().unwrap(),
        "-o",
        t.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(
        common::stderr(&out).contains("bad.tle"),
        "{}",
        common::stderr(&out)
    );
    // --no-doppler with --tle is a contradiction.
    let out = common::downlink(&[
        "decode",
        "--satellite",
        "43743",
        file.to_str().unwrap(),
        "--no-doppler",
        "--tle",
        tle.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
}
