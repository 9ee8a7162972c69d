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
    let m = common::manifest(root);
    let mut v = Vec::new();
    for e in m["entries"].as_array().expect("entries") {
        let dir = e["dir"].as_str().unwrap_or_default();
        if !dir.starts_with("cubesat-iq-") {
            continue;
        }
        let path = root.join(dir).join(e["file"].as_str().expect("file"));
        let mut json = path.clone().into_os_string();
        json.push(".json");
        if !PathBuf::from(json).is_file() {
            continue;
        }
        v.push(Rec {
            dir: dir.to_string(),
            path,
            freq_hz: e["downlink_mhz"].as_f64().expect("downlink_mhz") * 1e6,
        });
    }
    v
}

/// Strongest narrow signal's peak offset (Hz) in each `slice_s` slice.
fn carrier_track(
    samples: &[num_complex::Complex32],
    rate: f64,
    slice_s: f64,
    near_hz: f64,
) -> Vec<f64> {
    let n = (slice_s * rate) as usize;
    samples
        .chunks_exact(n)
        .map(|s| {
            let mut w = Welch::new(WelchConfig {
                fft_size: 4096,
                ..Default::default()
            })
            .unwrap();
            w.push(s);
            let sigs = find_signals(&w.psd_db(), rate, &FindOptions::default());
            sigs.iter()
                .filter(|g| (g.peak_offset_hz - near_hz).abs() < 5000.0)
                .max_by(|a, b| a.peak_db.total_cmp(&b.peak_db))
                .map(|g| g.peak_offset_hz)
                .unwrap_or(f64::NAN)
        })
        .collect()
}

#[test]
fn explore() {
    let Some(root) = common::shared_recordings() else {
        return;
    };
    for r in iq_recordings(&root) {
        let (info, samples) = common::read_all(r.path.to_str().unwrap());
        let orbit = Orbit::from_tle(info.tle.as_ref().unwrap()).unwrap();
        let st = info.station.unwrap();
        let dur = samples.len() as f64 / info.sample_rate_hz;
        let curve = orbit
            .doppler_curve(&st, info.start_time.unwrap(), dur, 0.5, r.freq_hz)
            .unwrap();
        let track = carrier_track(&samples, info.sample_rate_hz, 0.5, 0.0);
        eprintln!(
            "{} rate {} cf {:?} dur {dur} start {:?}",
            r.dir, info.sample_rate_hz, info.center_freq_hz, info.start_time
        );
        for (i, p) in curve.iter().enumerate() {
            eprintln!(
                "  t {:5.1} dop {:9.1} el {:5.1} carrier {:9.1}",
                p.t_s,
                p.doppler_hz,
                p.elevation_deg,
                track.get(i).copied().unwrap_or(f64::NAN)
            );
        }
    }
}
