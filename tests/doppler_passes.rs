//! Pass prediction against a fixed TLE and time, checked by an independent sweep of
//! the elevation and by the r2cloud recording made during one of the passes.

mod common;

use chrono::{DateTime, Duration, TimeZone, Utc};
use downlink::doppler::Orbit;
use downlink::io::{Station, Tle};

// FOX-1CLIFF (AO-95) as in cubesat-iq-fox1c's ground-station JSON.
const L1: &str = "1 43770U 18099N   20135.90866749 -.00000158  00000-0 -92162-5 0  9999";
const L2: &str = "2 43770  97.7070 207.8710 0013399 313.3960  46.6144 14.94970573 78906";

fn setup() -> (Orbit, Station, DateTime<Utc>) {
    let orbit = Orbit::from_tle(&Tle {
        name: "FOX-1CLIFF (AO-95)".into(),
        line1: L1.into(),
        line2: L2.into(),
    })
    .unwrap();
    let st = Station {
        lat_deg: 53.72,
        lon_deg: 47.57,
        alt_m: 0.0,
    };
    (
        orbit,
        st,
        Utc.with_ymd_and_hms(2020, 5, 15, 12, 0, 0).unwrap(),
    )
}

fn el(o: &Orbit, st: &Station, t: DateTime<Utc>) -> f64 {
    o.look(st, t).unwrap().elevation_deg
}

#[test]
fn passes_agree_with_an_elevation_sweep() {
    let (orbit, st, start) = setup();
    for min_el in [0.0, 10.0] {
        let passes = orbit.passes(&st, start, 24.0, min_el).unwrap();
        // 14.95 revolutions a day in a polar orbit seen from 54° N: several passes.
        assert!((3..=10).contains(&passes.len()), "{} passes", passes.len());
        for p in &passes {
            let d = (p.los - p.aos).num_seconds();
            assert!((10..=20 * 60).contains(&d), "pass of {d} s");
            // AOS and LOS are where the elevation crosses the threshold.
            assert!((el(&orbit, &st, p.aos) - min_el).abs() < 0.05, "{p:?}");
            assert!((el(&orbit, &st, p.los) - min_el).abs() < 0.05, "{p:?}");
            // The maximum is a local maximum and above the threshold.
            let m = p.max_elevation_deg;
            assert!(m > min_el && m <= 90.0);
            for dt in [-30, -5, -1, 1, 5, 30] {
                let t = p.max_elevation_time + Duration::seconds(dt);
                assert!(el(&orbit, &st, t) <= m + 1e-6, "{p:?} at {dt:+} s");
            }
            assert!(p.aos < p.max_elevation_time && p.max_elevation_time < p.los);
        }
        // Independent sweep every 20 s: above the threshold exactly inside a pass.
        let mut t = start;
        while t < start + Duration::hours(24) {
            let e = el(&orbit, &st, t);
            let inside = passes.iter().any(|p| p.aos <= t && t <= p.los);
            if (e - min_el).abs() > 0.01 {
                assert_eq!(e > min_el, inside, "{t}: elevation {e}");
            }
            t += Duration::seconds(20);
        }
    }
}

#[test]
fn the_recorded_pass_is_found() {
    // cubesat-iq-fox1c was recorded from 2020-05-15 17:22:11.073 UTC for 14 s, from
    // this station: that interval lies inside a predicted pass.
    let (orbit, st, start) = setup();
    let rec = Utc.timestamp_millis_opt(1_589_563_331_073).unwrap();
    let passes = orbit.passes(&st, start, 12.0, 0.0).unwrap();
    let p = passes
        .iter()
        .find(|p| p.aos <= rec && rec + Duration::seconds(14) <= p.los)
        .unwrap_or_else(|| panic!("no pass covers {rec}: {passes:?}"));
    assert!(p.max_elevation_deg > 18.0, "{p:?}");
}

#[test]
fn cli_lists_passes() {
    let dir = tempfile::tempdir().unwrap();
    let tle = dir.path().join("fox1c.tle");
    std::fs::write(&tle, format!("FOX-1CLIFF\n{L1}\n{L2}\n")).unwrap();
    let o = common::downlink(&[
        "passes",
        "--tle",
        tle.to_str().unwrap(),
        "--station",
        "53.72,47.57,0",
        "--start",
        "2020-05-15T12:00:00Z",
        "--hours",
        "24",
        "--min-elevation",
        "10",
        "--json",
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let (orbit, st, start) = setup();
    let lib = orbit.passes(&st, start, 24.0, 10.0).unwrap();
    let lines: Vec<serde_json::Value> = common::stdout(&o)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), lib.len());
    for (j, p) in lines.iter().zip(&lib) {
        assert_eq!(
            j["aos"].as_str().unwrap(),
            p.aos.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        );
        assert_eq!(j["norad"], 43770);
    }
    let o = common::downlink(&[
        "passes",
        "--tle",
        tle.to_str().unwrap(),
        "--station",
        "95,0",
    ]);
    assert_eq!(o.status.code(), Some(2));
    std::fs::write(&tle, "not a tle\n").unwrap();
    let o = common::downlink(&[
        "passes",
        "--tle",
        tle.to_str().unwrap(),
        "--station",
        "53,47",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("fox1c.tle"),
        "{}",
        common::stderr(&o)
    );
}
