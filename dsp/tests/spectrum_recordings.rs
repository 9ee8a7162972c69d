//! find_signals on real recordings (read in place from shared/recordings).

use std::io::Read;
use std::path::PathBuf;

use downlink_dsp::filter::Window;
use downlink_dsp::spectrum::{find_signals, FindOptions, Signal, Welch, WelchConfig};
use num_complex::Complex32;

fn recording(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/recordings")
        .join(rel)
}

/// Data chunk of a canonical RIFF/WAVE file, with (channels, bits).
fn wav_data(bytes: &[u8]) -> (u16, u16, &[u8]) {
    assert_eq!(&bytes[..4], b"RIFF");
    assert_eq!(&bytes[8..12], b"WAVE");
    let mut pos = 12;
    let mut fmt = (0u16, 0u16);
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + len).min(bytes.len())];
        if id == b"fmt " {
            fmt = (
                u16::from_le_bytes([body[2], body[3]]),
                u16::from_le_bytes([body[14], body[15]]),
            );
        } else if id == b"data" {
            return (fmt.0, fmt.1, body);
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

fn cu8(bytes: &[u8]) -> Vec<Complex32> {
    bytes
        .chunks_exact(2)
        .map(|p| Complex32::new((p[0] as f32 - 127.5) / 127.5, (p[1] as f32 - 127.5) / 127.5))
        .collect()
}

fn cs16(bytes: &[u8]) -> Vec<Complex32> {
    bytes
        .chunks_exact(4)
        .map(|p| {
            Complex32::new(
                i16::from_le_bytes([p[0], p[1]]) as f32 / 32768.0,
                i16::from_le_bytes([p[2], p[3]]) as f32 / 32768.0,
            )
        })
        .collect()
}

fn gunzip(path: PathBuf) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path).unwrap())
        .read_to_end(&mut out)
        .unwrap();
    out
}

fn psd(x: &[Complex32], n: usize) -> Vec<f32> {
    let mut w = Welch::new(WelchConfig {
        fft_size: n,
        window: Window::Hann,
        overlap: 0.5,
    })
    .unwrap();
    w.push(x);
    w.psd_db()
}

fn widest(signals: &[Signal]) -> Signal {
    *signals
        .iter()
        .max_by(|a, b| a.bandwidth_hz.total_cmp(&b.bandwidth_hz))
        .expect("no signal found")
}

/// Meteor-M2 LRPT (QPSK 72 kBd) centred in a 222 kS/s s16 recording. The
/// manifest measures a power centroid of -329 Hz and 90 % of the excess power
/// between -35.9 and +34.6 kHz.
#[test]
fn meteor_small_qpsk_hump_is_one_wide_signal() {
    let b = std::fs::read(recording("lrpt-m2-iq-jradio-small/meteor_small.wav")).unwrap();
    let (ch, bits, data) = wav_data(&b);
    assert_eq!((ch, bits), (2, 16));
    let x = cs16(data);
    for n in [1024, 4096] {
        let s = find_signals(&psd(&x, n), 222_222.0, &FindOptions::default());
        let hump = widest(&s);
        assert!(hump.center_offset_hz.abs() < 2_000.0, "n {n}: {hump:?}");
        assert!((60e3..80e3).contains(&hump.bandwidth_hz), "n {n}: {hump:?}");
        assert!(hump.snr_db > 20.0, "n {n}: {hump:?}");
        // Nothing else anywhere near as wide.
        assert!(
            s.iter().filter(|x| x.bandwidth_hz > 10e3).count() == 1,
            "{s:?}"
        );
    }
}

/// A weak LRPT pass (10 s of cu8 at 150 kS/s). Manifest: centroid +4023 Hz,
/// 90 % of the excess power between -23.7 and +31.2 kHz.
#[test]
fn meteor_weak_hump_is_found_with_its_centroid() {
    let b = std::fs::read(recording("lrpt-m2-iq-wav/meteor.wav")).unwrap();
    let (ch, bits, data) = wav_data(&b);
    assert_eq!((ch, bits), (2, 8));
    let x = cu8(data);
    for n in [1024, 4096] {
        let s = find_signals(&psd(&x, n), 150_000.0, &FindOptions::default());
        assert_eq!(s.len(), 1, "n {n}: {s:?}");
        assert!(
            (s[0].center_offset_hz - 4023.0).abs() < 2_000.0,
            "n {n}: {s:?}"
        );
        assert!((45e3..75e3).contains(&s[0].bandwidth_hz), "n {n}: {s:?}");
    }
}

/// RTL-SDR cu8 captures at 240 kS/s with the usual DC spike. Manifest:
/// fox1c strongest peak -14824 Hz (centroid -15471 Hz); swampsat2 peak
/// -20918 Hz, centroid -19631 Hz.
#[test]
fn rtl_sdr_recordings_find_the_satellite_and_not_the_dc_spike() {
    for (name, peak_hz, centroid_hz, count) in [
        ("fox1c", -14824.0, -15471.0, None),
        ("swampsat2", -20918.0, -19631.0, Some(1)),
    ] {
        let x = cu8(&gunzip(recording(&format!(
            "cubesat-iq-{name}/{name}.raw.gz"
        ))));
        let p = psd(&x, 4096);
        let bin_hz = 240_000.0 / 4096.0;
        let s = find_signals(&p, 240_000.0, &FindOptions::default());
        if let Some(c) = count {
            assert_eq!(s.len(), c, "{name}: {s:?}");
        }
        let strongest = s[0];
        assert!(
            (strongest.peak_offset_hz - peak_hz).abs() < 1_000.0,
            "{name}: {s:?}"
        );
        assert!(
            (strongest.center_offset_hz - centroid_hz).abs() < 1_500.0,
            "{name}: {s:?}"
        );
        assert!(
            s.iter().all(|x| x.peak_offset_hz.abs() > 2.0 * bin_hz),
            "{name}: DC reported: {s:?}"
        );
        // The spike is really there: without suppression it is found at DC.
        let raw = find_signals(
            &p,
            240_000.0,
            &FindOptions {
                dc_suppress_bins: 0,
                ..FindOptions::default()
            },
        );
        assert!(
            raw.iter().any(|x| x.peak_offset_hz == 0.0),
            "{name}: {raw:?}"
        );
    }
}
