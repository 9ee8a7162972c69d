//! Doppler from TLE + station + start time against the real r2cloud I/Q recordings.

mod common;

use downlink::doppler::Orbit;
use downlink_dsp::spectrum::{find_signals, FindOptions, Welch, WelchConfig};
use std::path::PathBuf;

struct Rec {
    dir: String,
    path: PathBuf,
    freq_hz: f64,
}

fn iq_recordings(root: &std::path::Path) -> Vec<Rec> {
    common::ground_station_iq(root)
        .into_iter()
        .map(|(dir, path, e)| Rec {
            dir,
            path,
            freq_hz: e["downlink_mhz"].as_f64().expect("downlink_mhz") * 1e6,
        })
        .collect()
}

/// Centre (power centroid above the floor, from `find_signals`) of the strongest
/// signal within 3 kHz of `near_hz`, per 0.5 s slice from `first` on.
fn carrier_track(
    samples: &[num_complex::Complex32],
    rate: f64,
    near_hz: impl Fn(f64) -> f64,
) -> Vec<Option<f64>> {
    let n = (0.5 * rate) as usize;
    samples
        .chunks_exact(n)
        .enumerate()
        .map(|(i, s)| {
            // 32768 bins: 7.3 Hz at 240 kS/s, several segments per slice.
            let mut w = Welch::new(WelchConfig {
                fft_size: 32768,
                ..Default::default()
            })
            .unwrap();
            w.push(s);
            let near = near_hz(i as f64 * 0.5 + 0.25);
            find_signals(&w.psd_db(), rate, &FindOptions::default())
                .into_iter()
                .filter(|g| (g.center_offset_hz - near).abs() < 3000.0)
                .max_by(|a, b| a.peak_db.total_cmp(&b.peak_db))
                .map(|g| g.center_offset_hz)
        })
        .collect()
}

struct Loaded {
    rec: Rec,
    info: downlink::io::RecordingInfo,
    samples: Vec<num_complex::Complex32>,
    orbit: Orbit,
}

fn load(rec: Rec) -> Loaded {
    let (info, samples) = common::read_all(rec.path.to_str().unwrap());
    let tle = info
        .tle
        .as_ref()
        .unwrap_or_else(|| panic!("{}: no TLE", rec.dir));
    let orbit = Orbit::from_tle(tle).unwrap_or_else(|e| panic!("{}: {e}", rec.dir));
    Loaded {
        rec,
        info,
        samples,
        orbit,
    }
}

#[test]
fn doppler_curves_are_physical_and_smooth() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let recs = iq_recordings(&root);
    assert!(recs.len() >= 14, "{} I/Q recordings with JSON", recs.len());
    for rec in recs {
        let dir = rec.dir.clone();
        let freq = rec.freq_hz;
        let (info, _) = {
            let mut src =
                downlink::io::open_source(rec.path.to_str().unwrap(), &Default::default()).unwrap();
            let mut v = Vec::new();
            while src.read(&mut v, 1 << 18).unwrap() > 0 {}
            (src.info().clone(), v.len())
        };
        let orbit = Orbit::from_tle(info.tle.as_ref().unwrap()).unwrap();
        let st = info.station.clone().unwrap();
        let start = info.start_time.unwrap();
        let dur = info.duration_s().unwrap();
        assert!((0.9..=14.5).contains(&dur), "{dir}: {dur} s");
        let coarse = downlink::doppler::recording_doppler_curve(&info, freq, 0.5).unwrap();
        let fine = orbit.doppler_curve(&st, start, dur, 0.05, freq).unwrap();
        // |v_r| < 8.2 km/s for any LEO seen from the ground: 12 kHz at 437 MHz.
        let limit = 12e3 * freq / 437e6;
        // Fastest possible change: v²/r_min ≈ (7.7 km/s)² / 300 km ≈ 0.2 km/s².
        let max_rate = freq * 200.0 / downlink::doppler::SPEED_OF_LIGHT_M_S;
        for w in fine.windows(2) {
            assert!(
                w[1].doppler_hz.abs() < limit,
                "{dir}: {} Hz",
                w[1].doppler_hz
            );
            // The satellite was above the horizon while it was being recorded: this
            // checks the time base (ms since the epoch, UTC) and the station.
            assert!(
                w[1].elevation_deg > 0.0,
                "{dir}: elevation {}",
                w[1].elevation_deg
            );
            let rate = (w[1].doppler_hz - w[0].doppler_hz) / (w[1].t_s - w[0].t_s);
            // Range rate only grows during a pass (the Doppler only falls).
            assert!(rate <= 0.0 && -rate < max_rate, "{dir}: {rate} Hz/s");
        }
        // Smooth: the 0.5 s curve interpolated linearly stays within 0.5 Hz of the
        // 0.05 s one.
        for p in &fine {
            let i = ((p.t_s / 0.5) as usize).min(coarse.len() - 2);
            let (a, b) = (coarse[i], coarse[i + 1]);
            let lin =
                a.doppler_hz + (b.doppler_hz - a.doppler_hz) * (p.t_s - a.t_s) / (b.t_s - a.t_s);
            assert!((lin - p.doppler_hz).abs() < 0.5, "{dir} at {} s", p.t_s);
        }
    }
}

/// The strong narrow signals: their measured carrier follows the computed Doppler.
#[test]
fn measured_carrier_follows_the_doppler() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for rec in iq_recordings(&root) {
        if ![
            "cubesat-iq-fox1c",
            "cubesat-iq-jy1sat",
            "cubesat-iq-itasat1",
        ]
        .contains(&rec.dir.as_str())
        {
            continue;
        }
        let Loaded {
            rec,
            info,
            samples,
            orbit,
        } = load(rec);
        let dir = &rec.dir;
        let st = info.station.clone().unwrap();
        let start = info.start_time.unwrap();
        let centre = info.center_freq_hz.unwrap();
        let rate = info.sample_rate_hz;
        let doppler = |t: f64| {
            orbit
                .doppler_hz(
                    &st,
                    start + chrono::Duration::milliseconds((t * 1e3) as i64),
                    rec.freq_hz,
                )
                .unwrap()
        };
        // Where the carrier should be in the recording: transmitter + Doppler − centre.
        let predicted = |t: f64| rec.freq_hz + doppler(t) - centre;
        let track = carrier_track(&samples, rate, predicted);
        let found: Vec<(f64, f64)> = track
            .iter()
            .enumerate()
            .filter_map(|(i, c)| c.map(|c| (i as f64 * 0.5 + 0.25, c)))
            .collect();
        assert!(
            found.len() >= 6 && found.len() * 4 >= track.len() * 3,
            "{dir}: carrier in {} of {} slices",
            found.len(),
            track.len()
        );
        // Absolute: the carrier is within 1 kHz of the prediction (transmitter and
        // receiver oscillator errors), and the opposite sign convention would put it
        // 2·|Doppler| away.
        let mean_err =
            found.iter().map(|(t, c)| c - predicted(*t)).sum::<f64>() / found.len() as f64;
        assert!(
            mean_err.abs() < 1000.0,
            "{dir}: carrier {mean_err:+.0} Hz from the prediction"
        );
        // Relative: after subtracting the Doppler the carrier stays within ±200 Hz of its
        // median in at least 85 % of the slices (fox1c is FM voice; its first second
        // holds a wide transient).
        let mut resid: Vec<f64> = found.iter().map(|(t, c)| c - doppler(*t)).collect();
        resid.sort_by(f64::total_cmp);
        let median = resid[resid.len() / 2];
        let within = resid
            .iter()
            .filter(|r| (*r - median).abs() <= 200.0)
            .count();
        assert!(
            within * 100 >= found.len() * 85,
            "{dir}: {within} of {} slices within ±200 Hz: {resid:?}",
            found.len()
        );
        eprintln!(
            "{dir}: carrier {mean_err:+.0} Hz from prediction, {within}/{} slices within ±200 Hz of {median:.0} Hz after Doppler",
            found.len()
        );
        if dir == "cubesat-iq-jy1sat" {
            // Least-squares slope of the carrier before and after the correction: the
            // Doppler (−28 Hz/s here) accounts for the drift.
            let slope = |pts: &[(f64, f64)]| {
                let n = pts.len() as f64;
                let mt = pts.iter().map(|p| p.0).sum::<f64>() / n;
                let mc = pts.iter().map(|p| p.1).sum::<f64>() / n;
                pts.iter().map(|p| (p.0 - mt) * (p.1 - mc)).sum::<f64>()
                    / pts.iter().map(|p| (p.0 - mt).powi(2)).sum::<f64>()
            };
            let raw = slope(&found);
            let corrected: Vec<(f64, f64)> =
                found.iter().map(|(t, c)| (*t, c - doppler(*t))).collect();
            let fixed = slope(&corrected);
            let predicted_slope = (doppler(5.0) - doppler(0.0)) / 5.0;
            assert!(
                (raw - predicted_slope).abs() < 0.35 * predicted_slope.abs(),
                "{dir}: measured {raw} Hz/s, Doppler {predicted_slope} Hz/s"
            );
            assert!(
                fixed.abs() < 0.35 * predicted_slope.abs(),
                "{dir}: {fixed} Hz/s left after correction"
            );
        }
    }
}
