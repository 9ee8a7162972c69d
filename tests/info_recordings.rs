//! `info`'s spectrum on the real ground-station recordings: the strongest signal it
//! finds must sit where the manifest measured the peak.

mod common;

use common::*;
use downlink::chain::{self, RunOptions};
use downlink::pipelines::spectrum::{fft_size_for, SpectrumStage};

#[test]
fn info_finds_the_signal_in_every_iq_recording() {
    let Some(dir) = shared_recordings() else { return };
    let manifest = manifest(&dir);
    let mut checked = 0;
    let mut report = Vec::new();
    for entry in manifest["entries"].as_array().unwrap() {
        let name = entry["dir"].as_str().unwrap();
        if !(name.starts_with("cubesat-iq-") || (name.starts_with("lrpt-") && name.contains("-iq-"))) {
            continue;
        }
        let peak_hz = entry["spectrum"]["peak_offset_hz"]
            .as_f64()
            .unwrap_or_else(|| panic!("{name}: manifest has no peak_offset_hz"));
        let path = dir.join(name).join(entry["file"].as_str().unwrap());
        let source = downlink::io::open_source(path.to_str().unwrap(), &Default::default())
            .unwrap_or_else(|e| panic!("{e}"));
        let rate = source.info().sample_rate_hz;
        let (stage, result) = SpectrumStage::new(rate, fft_size_for(rate), 5).unwrap();
        chain::run(source, Box::new(stage), RunOptions::default()).unwrap();
        let summary = result.lock().unwrap().take().unwrap();
        let found = summary
            .signals
            .iter()
            .map(|s| s.peak_offset_hz)
            .collect::<Vec<_>>();
        let ok = found.iter().any(|f| (f - peak_hz).abs() <= 2000.0);
        report.push(format!("{name}: manifest peak {peak_hz:+.0} Hz, found {found:?}"));
        assert!(ok, "{}", report.join("\n"));
        // The strongest signal reported should be that one, not the DC spike or a spur.
        let strongest = summary.signals[0].peak_offset_hz;
        assert!(
            (strongest - peak_hz).abs() <= 2000.0,
            "{name}: strongest signal at {strongest:+.0} Hz, manifest peak {peak_hz:+.0} Hz\n{}",
            report.join("\n")
        );
        checked += 1;
    }
    eprintln!("{}", report.join("\n"));
    assert_eq!(checked, 16, "expected 14 cubesat-iq and 2 lrpt iq recordings");
}
