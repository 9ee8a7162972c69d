//! The carrier search (AFC) of `decode --satellite` on the ground-station I/Q
//! recordings (`cubesat-iq-*`), without their TLE (`--no-doppler`): the channel finds
//! each transmitter within the Doppler range of its nominal frequency by itself, so
//! every recording that decodes with the Doppler correction decodes without it too,
//! and the ones whose Doppler pushes them off a nominal channel decode only thanks to
//! the search. Chunking changes nothing.

mod common;

use std::path::Path;

#[derive(Debug)]
struct Frame {
    bytes: String,
    freq_offset_hz: f64,
    doppler_hz: Option<f64>,
    afc_hz: Option<f64>,
    snr_db: f64,
}

fn decode(file: &Path, sat: &str, extra: &[&str]) -> Vec<Frame> {
    let (out, frames) = common::decode_satellite(file, sat, extra);
    assert!(
        out.status.success(),
        "{} {extra:?}: {}",
        file.display(),
        common::stderr(&out)
    );
    frames
        .expect("a frames file, even if empty")
        .iter()
        .map(|v| {
            assert_eq!(v["check_passed"], true);
            Frame {
                bytes: v["frame"].as_str().unwrap().to_string(),
                freq_offset_hz: v["freq_offset_hz"].as_f64().expect("I/Q: carrier measured"),
                doppler_hz: v["doppler_hz"].as_f64(),
                afc_hz: v["afc_hz"].as_f64(),
                snr_db: v["snr_db"].as_f64().expect("I/Q: SNR measured"),
            }
        })
        .collect()
}

/// Checked frames from each recording without a TLE, carrier search on (measured
/// when this was written; RHW gives one of its two, see below).
const WITHOUT_TLE: [(&str, usize); 14] = [
    ("cubesat-iq-aausat", 1),
    ("cubesat-iq-chomptt", 2),
    ("cubesat-iq-delfic3", 1),
    ("cubesat-iq-delphini1", 2),
    ("cubesat-iq-dstar1", 2),
    ("cubesat-iq-fox1c", 2),
    ("cubesat-iq-itasat1", 1),
    ("cubesat-iq-jy1sat", 1),
    ("cubesat-iq-meznsat", 2),
    ("cubesat-iq-pegasus", 2),
    ("cubesat-iq-rhw", 1),
    ("cubesat-iq-strand1", 1),
    ("cubesat-iq-swampsat2", 1),
    ("cubesat-iq-tubin", 1),
];

/// Recordings whose Doppler (5–10 kHz at 437 MHz) puts the signal off a channel cut
/// for the nominal frequency: nothing decodes from them without a TLE unless the
/// carrier is searched for.
const NEED_THE_SEARCH: [&str; 7] = [
    "cubesat-iq-aausat",
    "cubesat-iq-chomptt",
    "cubesat-iq-delphini1",
    "cubesat-iq-dstar1",
    "cubesat-iq-meznsat",
    "cubesat-iq-rhw",
    "cubesat-iq-tubin",
];

#[test]
fn without_a_tle_the_carrier_search_finds_every_transmitter() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let recs = common::ground_station_iq(&root);
    assert_eq!(recs.len(), WITHOUT_TLE.len(), "a row per I/Q recording");
    for (dir, path, entry) in recs {
        let want = WITHOUT_TLE
            .iter()
            .find(|(d, _)| *d == dir)
            .unwrap_or_else(|| panic!("{dir}: no row in WITHOUT_TLE"))
            .1;
        let sat = entry["norad"].as_str().expect("norad");
        let with_tle = decode(&path, sat, &[]);
        let searched = decode(&path, sat, &["--no-doppler"]);
        let neither = decode(&path, sat, &["--no-doppler", "--no-afc"]);
        // Where the channel was tuned without the TLE, against the carrier measured
        // over the frames decoded with it (the TLE's Doppler plus the oscillators').
        let tuned: Vec<String> = searched
            .iter()
            .map(|f| format!("{:+.0}", f.afc_hz.unwrap()))
            .collect();
        let with: Vec<String> = with_tle
            .iter()
            .map(|f| {
                format!(
                    "{:+.0} (Doppler {:+.0})",
                    f.freq_offset_hz,
                    f.doppler_hz.unwrap()
                )
            })
            .collect();
        eprintln!(
            "{dir}: {} frames with the TLE, {} without it (search on), {} with neither; \
             tuned to {tuned:?} Hz without the TLE, carrier {with:?} Hz with it",
            with_tle.len(),
            searched.len(),
            neither.len()
        );
        assert!(
            searched.len() >= want,
            "{dir}: {} frames without a TLE, {want} expected",
            searched.len()
        );
        assert!(!with_tle.is_empty(), "{dir}");
        for f in &searched {
            assert_eq!(f.doppler_hz, None, "{dir}: --no-doppler");
            assert!(f.snr_db.is_finite());
        }
        if NEED_THE_SEARCH.contains(&dir.as_str()) {
            assert!(neither.is_empty(), "{dir}: decodes without any tuning now");
            // The search moved the channel onto the carrier that the TLE's Doppler
            // (plus the oscillators' error) puts it at, from ±14 kHz of search.
            let carrier = with_tle[0].freq_offset_hz;
            for f in &searched {
                let afc = f.afc_hz.expect("I/Q with a centre frequency: AFC on");
                assert!(
                    (afc - carrier).abs() < 1_000.0,
                    "{dir}: tuned to {afc} Hz, carrier at {carrier} Hz"
                );
            }
        }
        for f in &neither {
            assert_eq!(f.afc_hz, None, "{dir}: --no-afc");
        }
    }
}

/// Decisions are taken per block of input at fixed sample counts: `--chunk` changes
/// nothing, with or without the TLE.
#[test]
fn the_search_does_not_depend_on_chunking() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for (dir, sat) in [
        ("cubesat-iq-rhw/rhw.raw.gz", "43743"),
        ("cubesat-iq-aausat/aausat.raw.gz", "41460"),
        ("cubesat-iq-tubin/tubin.raw.gz", "48900"),
    ] {
        let file = root.join(dir);
        for tle in [&[][..], &["--no-doppler"][..]] {
            let base = decode(&file, sat, tle);
            assert!(!base.is_empty(), "{dir} {tle:?}");
            for chunk in ["1000", "65536", "300000"] {
                let mut args = tle.to_vec();
                args.extend(["--chunk", chunk]);
                let other = decode(&file, sat, &args);
                assert_eq!(other.len(), base.len(), "{dir} {args:?}");
                for (a, b) in base.iter().zip(&other) {
                    assert_eq!(
                        (&a.bytes, a.afc_hz, a.freq_offset_hz, a.snr_db),
                        (&b.bytes, b.afc_hz, b.freq_offset_hz, b.snr_db),
                        "{dir} {args:?}"
                    );
                }
            }
        }
    }
}
