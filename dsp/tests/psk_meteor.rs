//! The demodulator on a real Meteor-M N2 recording (QPSK 72 kBd, 150 kS/s,
//! carrier about +3.7 kHz off centre), with default settings.

use std::path::PathBuf;

use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::framing::{CcsdsDecoder, CcsdsDecoderConfig};
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

/// Minimal WAV reader for 2-channel PCM I/Q, 8-bit unsigned or 16-bit
/// signed: walks the RIFF chunks, checks the format, returns the sample rate
/// and the samples scaled to ±1.
fn read_iq_wav(path: &std::path::Path) -> (u32, Vec<Complex32>) {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WAVE",
        "not a WAV file"
    );
    let mut pos = 12;
    let mut format = None;
    while pos + 8 <= bytes.len() {
        let id = &bytes[pos..pos + 4];
        let len = u32::from_le_bytes(bytes[pos + 4..pos + 8].try_into().unwrap()) as usize;
        let body = &bytes[pos + 8..(pos + 8 + len).min(bytes.len())];
        match id {
            b"fmt " => {
                let tag = u16::from_le_bytes([body[0], body[1]]);
                let channels = u16::from_le_bytes([body[2], body[3]]);
                let bits = u16::from_le_bytes([body[14], body[15]]);
                assert!(tag == 1 && channels == 2, "expected 2-channel PCM");
                let rate = u32::from_le_bytes(body[4..8].try_into().unwrap());
                format = Some((rate, bits));
            }
            b"data" => {
                let (rate, bits) = format.expect("fmt chunk before data");
                let iq = match bits {
                    8 => body
                        .chunks_exact(2)
                        .map(|p| {
                            Complex32::new(
                                (p[0] as f32 - 127.5) / 127.5,
                                (p[1] as f32 - 127.5) / 127.5,
                            )
                        })
                        .collect(),
                    16 => body
                        .chunks_exact(4)
                        .map(|p| {
                            let v = |a: u8, b: u8| i16::from_le_bytes([a, b]) as f32 / 32768.0;
                            Complex32::new(v(p[0], p[1]), v(p[2], p[3]))
                        })
                        .collect(),
                    _ => panic!("{bits}-bit samples not handled here"),
                };
                return (rate, iq);
            }
            _ => {}
        }
        pos += 8 + len + (len & 1);
    }
    panic!("no data chunk");
}

/// Soft symbols and final status of a run over the whole recording, fed in
/// 64 Ki-sample chunks as a file source would.
fn demodulate(
    config: PskDemodConfig,
    iq: &[Complex32],
) -> (Vec<i8>, downlink_dsp::demod::PskDemodStatus) {
    let mut demod = PskDemod::new(config).unwrap();
    let mut soft = Vec::new();
    for chunk in iq.chunks(1 << 16) {
        demod.process(chunk, &mut soft);
    }
    demod.flush(&mut soft);
    (soft, demod.status())
}

/// Reed–Solomon-valid CADUs in Meteor LRPT 72k soft symbols.
fn valid_cadus(soft: &[i8]) -> u64 {
    let mut dec = CcsdsDecoder::new(CcsdsDecoderConfig::meteor_lrpt()).unwrap();
    let mut out = Vec::new();
    dec.process(soft, &mut out);
    dec.flush(&mut out);
    dec.stats().rs_ok
}

/// The best peer result on this file is 61 RS-valid CADUs, and only with a
/// hand-set carrier offset (docs/peers.md); 10 s hold at most 87.
const MIN_CADUS: u64 = 70;

#[test]
fn meteor_m2_recording_locks_with_defaults() {
    let Some(dir) = recordings() else { return };
    let (rate, iq) = read_iq_wav(&dir.join("lrpt-m2-iq-wav/meteor.wav"));
    assert_eq!(rate, 150_000);
    let config = PskDemodConfig::new(rate as f64, 72e3, PskModulation::Qpsk, 0.6);
    let (soft, st) = demodulate(config, &iq);
    let out = std::env::temp_dir().join("downlink-psk-meteor-m2.s");
    std::fs::write(&out, soft.iter().map(|&v| v as u8).collect::<Vec<u8>>()).unwrap();
    let cadus = valid_cadus(&soft);
    let lock_s = st.locked_since_symbol.map(|s| s as f64 / 72e3);
    eprintln!(
        "meteor.wav: {} symbols to {}; {cadus} RS-valid CADUs; carrier {:+.1} Hz (search \
         confidence {:.1}, detected {}); locked {} since symbol {:?} ({:?} s), {} lock losses, \
         {} searches; Es/N0 {:.2} dB, lock metric {:.3}, clock {:+.1} ppm",
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
    // The signal fades in: the lock must come within the first 2 s.
    assert!(lock_s.unwrap() < 2.0, "{st:?}");
    assert!(cadus >= MIN_CADUS, "{cadus} RS-valid CADUs");
}

/// No magic loop bandwidth: halving or doubling either loop's bandwidth
/// still decodes the recording (a peer's demodulator is known to fail at
/// one exact PLL bandwidth and work at its neighbours).
#[test]
fn meteor_m2_recording_does_not_depend_on_loop_bandwidths() {
    let Some(dir) = recordings() else { return };
    let (rate, iq) = read_iq_wav(&dir.join("lrpt-m2-iq-wav/meteor.wav"));
    let base = PskDemodConfig::new(rate as f64, 72e3, PskModulation::Qpsk, 0.6);
    for (carrier, timing) in [(0.5, 1.0), (2.0, 1.0), (1.0, 0.5), (1.0, 2.0)] {
        let mut config = base;
        config.carrier_loop_bandwidth_norm *= carrier;
        config.timing_loop_bandwidth_norm *= timing;
        let (soft, st) = demodulate(config, &iq);
        let cadus = valid_cadus(&soft);
        eprintln!("carrier loop ×{carrier}, timing loop ×{timing}: {cadus} RS-valid CADUs");
        assert!(st.locked, "×{carrier}/×{timing}: {st:?}");
        assert!(
            cadus >= MIN_CADUS,
            "×{carrier}/×{timing}: {cadus} RS-valid CADUs"
        );
    }
}

/// A 0.14 s clip (jradio's test resource, 16-bit I/Q at 222.222 kS/s):
/// shorter than the carrier search's window, so it goes through `flush`. A
/// clean signal must come out clean and scaled as documented (noise-free
/// symbols at ±64, nothing clipped).
#[test]
fn short_clean_clip_is_demodulated_on_flush() {
    let Some(dir) = recordings() else { return };
    let (rate, iq) = read_iq_wav(&dir.join("lrpt-m2-iq-jradio-small/meteor_small.wav"));
    assert_eq!(rate, 222_222);
    let config = PskDemodConfig::new(rate as f64, 72e3, PskModulation::Qpsk, 0.6);
    let mut demod = PskDemod::new(config).unwrap();
    let mut soft = Vec::new();
    demod.process(&iq, &mut soft);
    assert!(soft.is_empty(), "output before the search window filled");
    demod.flush(&mut soft);
    let st = demod.status();
    eprintln!("meteor_small.wav: {st:?}");
    assert!(st.locked && st.lock_losses == 0, "{st:?}");
    assert!(st.snr_db > 15.0 && st.lock_metric > 0.9, "{st:?}");
    assert!(st.symbols_out.abs_diff(10_180) < 20, "{st:?}");
    // After lock: |soft| centred near 64, essentially no clipping.
    let tail = &soft[2 * 2000..];
    let mean = tail.iter().map(|&v| (v as f64).abs()).sum::<f64>() / tail.len() as f64;
    let clipped = tail.iter().filter(|&&v| v.unsigned_abs() >= 127).count();
    assert!((mean - 64.0).abs() < 8.0, "mean |soft| {mean}");
    assert!(
        clipped * 1000 < tail.len(),
        "{clipped} of {} clipped",
        tail.len()
    );
}
