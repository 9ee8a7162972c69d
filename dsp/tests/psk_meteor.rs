//! The demodulator on a real Meteor-M N2 recording (QPSK 72 kBd, 150 kS/s,
//! carrier about +3.7 kHz off centre), with default settings.

use std::path::PathBuf;

use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;

fn recordings() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/recordings");
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "{} is missing: the real recordings live in the project's shared/recordings \
             folder, beside the checkout (see its README.md)",
            dir.display()
        );
    }
    eprintln!(
        "notice: {} not found, skipping the real-recording test",
        dir.display()
    );
    None
}

/// Minimal WAV reader for 8-bit unsigned 2-channel PCM: walks the RIFF
/// chunks, checks the format, returns the sample rate and the I/Q samples
/// scaled to ±1.
fn read_cu8_wav(path: &std::path::Path) -> (u32, Vec<Complex32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "not a WAV file"
    );
    let mut pos = 12;
    let mut rate = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + len).min(bytes.len())];
        match id {
            b"fmt " => {
                let format = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                assert_eq!(
                    (format, channels, bits),
                    (1, 2, 8),
                    "expected 8-bit 2-channel PCM"
                );
                rate = Some(u32::from_le_bytes(body[4..8].try_into().unwrap()));
            }
            b"data" => {
                let iq = body
                    .chunks_exact(2)
                    .map(|p| {
                        Complex32::new((p[0] as f32 - 127.5) / 127.5, (p[1] as f32 - 127.5) / 127.5)
                    })
                    .collect();
                return (rate.expect("fmt chunk before data"), iq);
            }
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

#[test]
fn meteor_m2_recording_locks_with_defaults() {
    let Some(dir) = recordings() else { return };
    let (rate, iq) = read_cu8_wav(&dir.join("lrpt-m2-iq-wav/meteor.wav"));
    assert_eq!(rate, 150_000);
    let config = PskDemodConfig::new(rate as f64, 72e3, PskModulation::Qpsk, 0.6);
    let mut demod = PskDemod::new(config).unwrap();
    let mut soft = Vec::new();
    // Feed it as a file source would, in 64 Ki-sample chunks.
    for chunk in iq.chunks(1 << 16) {
        demod.process(chunk, &mut soft);
    }
    demod.flush(&mut soft);
    let st = demod.status();
    let out = std::env::temp_dir().join("downlink-psk-meteor-m2.s");
    std::fs::write(&out, soft.iter().map(|&v| v as u8).collect::<Vec<u8>>()).unwrap();
    let lock_s = st.locked_since_symbol.map(|s| s as f64 / 72e3);
    eprintln!(
        "meteor.wav: {} symbols to {}; carrier {:+.1} Hz (search confidence {:.0}, detected {}); \
         locked {} since symbol {:?} ({:?} s), {} lock losses, {} searches; \
         Es/N0 {:.2} dB, lock metric {:.3}, clock {:+.1} ppm",
        st.symbols_out,
        out.display(),
        st.carrier_offset_hz,
        st.carrier_confidence,
        st.carrier_detected,
        st.locked,
        st.locked_since_symbol,
        lock_s,
        st.lock_losses,
        st.carrier_searches,
        st.snr_db,
        st.lock_metric,
        st.clock_offset_ppm
    );
    assert!(st.locked, "not locked at the end: {st:?}");
    assert!(
        (st.carrier_offset_hz - 3700.0).abs() < 500.0,
        "carrier {}",
        st.carrier_offset_hz
    );
    // 10 s of 72 kBd.
    assert!(
        st.symbols_out.abs_diff(720_000) < 1000,
        "{} symbols",
        st.symbols_out
    );
    assert_eq!(soft.len() as u64, 2 * st.symbols_out);
}
