//! Every sample-holding recording in the shared folder opens with the manifest's
//! rate and duration, and reads to exactly that many samples.

use std::path::PathBuf;

use chrono::DateTime;
use downlink::io::{open_source, probe, Container, Overrides, SampleFormat};
use serde::Deserialize;

#[derive(Deserialize)]
struct Manifest {
    entries: Vec<Entry>,
}

#[derive(Deserialize)]
struct Entry {
    dir: String,
    file: String,
    category: String,
    rate: serde_json::Value,
    dur: serde_json::Value,
}

fn recordings_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    if dir.join("manifest.json").is_file() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} is missing: the recordings live in the project's shared/recordings folder, which must sit beside this checkout (../shared/recordings)",
            dir.display()
        );
    }
    eprintln!(
        "notice: {} not found; skipping the real-recording tests",
        dir.display()
    );
    None
}

/// Recordings that hold samples: the cubesat audio/IQ WAVs, the ground-station
/// `.raw.gz` I/Q and the LRPT I/Q WAVs (not symbol, frame or image files).
fn sample_entries(m: &Manifest) -> Vec<&Entry> {
    m.entries
        .iter()
        .filter(|e| {
            (e.dir.starts_with("cubesat-")
                && (e.file.ends_with(".wav") || e.file.ends_with(".raw.gz")))
                || (e.dir.starts_with("lrpt-m2-iq-") && e.file.ends_with(".wav"))
        })
        .collect()
}

#[test]
fn every_recording_probes_and_reads_to_its_duration() {
    let Some(dir) = recordings_dir() else { return };
    let m: Manifest =
        serde_json::from_slice(&std::fs::read(dir.join("manifest.json")).unwrap()).unwrap();
    let entries = sample_entries(&m);
    let by_category = m
        .entries
        .iter()
        .filter(|e| {
            ["cubesat-audio", "cubesat-iq-wav", "cubesat-iq", "lrpt-iq"]
                .contains(&e.category.as_str())
        })
        .count();
    assert_eq!(
        entries.len(),
        by_category,
        "file filter and manifest categories disagree"
    );
    assert!(
        entries.len() >= 40,
        "only {} sample recordings",
        entries.len()
    );
    let mut saw = [0usize; 3];
    for e in entries {
        let path = dir.join(&e.dir).join(&e.file);
        let p = path.to_str().unwrap();
        let rate = e
            .rate
            .as_f64()
            .unwrap_or_else(|| panic!("{}: rate {}", e.file, e.rate));
        let dur = e
            .dur
            .as_f64()
            .unwrap_or_else(|| panic!("{}: dur {}", e.file, e.dur));
        let info = probe(p, &Overrides::default()).unwrap_or_else(|err| panic!("{err}"));
        assert_eq!(info.sample_rate_hz, rate, "{p}");
        // The manifest rounds durations to the millisecond, hence the extra 0.5 ms.
        let tol = 2.0 / rate + 0.0005;
        let got = info
            .duration_s()
            .unwrap_or_else(|| panic!("{p}: duration unknown"));
        assert!(
            (got - dur).abs() <= tol,
            "{p}: duration {got} s, manifest {dur} s"
        );
        match info.container {
            Container::Wav => {
                saw[0] += 1;
                // Audio is mono 16-bit, except Delfi-C3's 2-channel file (L ≈ R),
                // which reads as I/Q like any 2-channel WAV.
                let want = match (e.category.as_str(), e.dir.as_str()) {
                    ("cubesat-audio", "cubesat-delfic3") => SampleFormat::Cs16,
                    ("cubesat-audio", _) => SampleFormat::Ri16,
                    ("lrpt-iq", _) | ("cubesat-iq-wav", _) => info.format,
                    (c, _) => panic!("{p}: category {c}"),
                };
                assert_eq!(info.format, want, "{p}");
            }
            Container::Gzip => saw[1] += 1,
            other => panic!("{p}: unexpected container {other:?}"),
        }
        let mut src = open_source(p, &Overrides::default()).unwrap();
        let mut buf = Vec::new();
        let mut count = 0u64;
        loop {
            buf.clear();
            let n = src
                .read(&mut buf, 65_536)
                .unwrap_or_else(|err| panic!("{err}"));
            if n == 0 {
                break;
            }
            assert!(
                buf.iter().all(|s| s.re.is_finite() && s.im.is_finite()),
                "{p}"
            );
            if e.dir == "cubesat-delfic3" {
                // The two channels carry the same audio to within a few LSB
                // (max 23 of 32768 measured): proves the channel interleave.
                assert!(
                    buf.iter().all(|s| (s.re - s.im).abs() <= 32.0 / 32768.0),
                    "{p}: L ≈ R"
                );
            }
            if info.format == SampleFormat::Ri16 {
                assert!(buf.iter().all(|s| s.im == 0.0), "{p}: real audio");
            }
            count += n as u64;
        }
        assert_eq!(Some(count), info.total_samples, "{p}");
        assert_eq!(src.info().total_samples, Some(count), "{p}");
        assert!(
            ((count as f64 / rate) - dur).abs() <= tol,
            "{p}: {count} samples"
        );
        saw[2] += 1;
    }
    assert!(saw[0] >= 35 && saw[1] == 14, "wav {} gz {}", saw[0], saw[1]);
}

#[test]
fn ground_station_json_metadata() {
    let Some(dir) = recordings_dir() else { return };
    let p = dir.join("cubesat-iq-dstar1/dstar1.raw.gz");
    let i = probe(p.to_str().unwrap(), &Overrides::default()).unwrap();
    assert_eq!(i.format, SampleFormat::Cu8);
    assert_eq!(
        i.sample_rate_hz, 240_000.0,
        "inputSampleRate, not sampleRate"
    );
    assert_eq!(i.center_freq_hz, Some(435_719_985.0), "actualFrequency");
    assert_eq!(
        i.start_time,
        DateTime::from_timestamp_millis(1_580_157_836_189)
    );
    // The JSON's start/end span 2 s; the data holds 4 s, and the data wins.
    assert_eq!(i.total_samples, Some(960_000));
    assert_eq!(i.duration_s(), Some(4.0));
    let tle = i.tle.as_ref().unwrap();
    assert_eq!(tle.name, "D-STAR ONE (SPARROW)");
    assert!(tle.line1.starts_with("1 43881U") && tle.line2.starts_with("2 43881 "));
    let st = i.station.as_ref().unwrap();
    assert_eq!((st.lat_deg, st.lon_deg), (53.72, 47.57));
    assert_eq!(i.satellite.as_deref(), Some("43881"));
    assert!(
        i.sources
            .contains(&"sample_rate_hz: ground-station JSON (inputSampleRate)".to_string()),
        "{:?}",
        i.sources
    );

    let t = probe(
        dir.join("cubesat-iq-tubin/tubin.raw.gz").to_str().unwrap(),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(t.format, SampleFormat::Cf32, "COMPLEX_FLOAT");
    assert_eq!(t.sample_rate_hz, 48_000.0);
    assert_eq!(t.center_freq_hz, Some(435_951_000.0));
    assert_eq!(t.total_samples, Some(96_000));
}

#[test]
fn lrpt_wavs_are_iq() {
    let Some(dir) = recordings_dir() else { return };
    let m = probe(
        dir.join("lrpt-m2-iq-wav/meteor.wav").to_str().unwrap(),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        (m.format, m.sample_rate_hz, m.total_samples),
        (SampleFormat::Cu8, 150_000.0, Some(1_500_000))
    );
    let s = probe(
        dir.join("lrpt-m2-iq-jradio-small/meteor_small.wav")
            .to_str()
            .unwrap(),
        &Overrides::default(),
    )
    .unwrap();
    assert_eq!(
        (s.format, s.sample_rate_hz, s.total_samples),
        (SampleFormat::Cs16, 222_222.0, Some(31_430))
    );
}
