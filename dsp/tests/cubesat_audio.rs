//! Real cubesat receiver-audio recordings decoded with default settings only (no per-file
//! tuning): frame bytes must equal the source's reference where one exists, otherwise
//! frames must pass their CRC. Recordings come from the shared folder; see
//! `cubesat_common::recording` for what happens when it is missing.

mod cubesat_common;

use cubesat_common::{hex, read_frames_hex, read_json_raw_data, read_wav_mono, recording};
use downlink_dsp::demod::fsk_decoder::{
    DecodedFrame, FrameCheck, FskDecoder, FskDecoderConfig, FskFraming,
};
use downlink_dsp::framing::ax25::Ax25Frame;
use downlink_dsp::framing::crc::Crc16;

fn decode(
    samples: &[f32],
    fs: f64,
    baud: f64,
    framing: FskFraming,
    chunk: usize,
) -> Vec<DecodedFrame> {
    let mut d = FskDecoder::new(FskDecoderConfig {
        sample_rate_hz: fs,
        baud,
        framing,
    })
    .expect("decoder config");
    let mut out = Vec::new();
    for c in samples.chunks(chunk) {
        d.process(c, &mut out);
    }
    out
}

/// Decodes a recording; `None` if the recording folder is missing (outside CI).
fn decode_file(rel: &str, baud: f64, framing: FskFraming) -> Option<Vec<DecodedFrame>> {
    let path = recording(rel)?;
    let (x, fs) = read_wav_mono(&path);
    assert_eq!(fs, 48_000.0, "{rel}");
    let frames = decode(&x, fs, baud, framing, 4096);
    for f in &frames {
        println!(
            "{rel}: end sample {} {:?} inverted {:?}: {}",
            f.end_sample,
            f.check,
            f.inverted,
            hex(&f.data)
        );
    }
    Some(frames)
}

fn expected(dir: &str, json: &str) -> Vec<u8> {
    let base = cubesat_common::recordings_dir().join(dir).join("expected");
    let frames = read_frames_hex(&base.join("frames.hex"));
    assert_eq!(frames.len(), 1, "{dir}: one reference frame");
    // frames.hex is derived from the JSON's rawData; check they agree.
    assert_eq!(
        read_json_raw_data(&base.join(json)),
        frames[0],
        "{dir}: frames.hex vs {json}"
    );
    frames[0].clone()
}

/// Every frame passed the HDLC FCS (CRC-16/X.25) and parses as AX.25.
fn ax25_frames(rel: &str, frames: &[DecodedFrame], min: usize) -> Vec<Ax25Frame> {
    assert!(
        frames.len() >= min,
        "{rel}: {} frames, expected at least {min}",
        frames.len()
    );
    frames
        .iter()
        .map(|f| {
            assert_eq!(f.check, FrameCheck::Crc16);
            let ax = Ax25Frame::parse(&f.data).unwrap_or_else(|e| panic!("{rel}: {e}"));
            println!("{rel}: AX.25 {ax}");
            ax
        })
        .collect()
}

#[test]
fn us01_ax25_g3ruh_9k6() {
    let rel = "cubesat-us01-grsat/us01.wav";
    let Some(frames) = decode_file(rel, 9600.0, FskFraming::Ax25G3ruh) else {
        return;
    };
    println!("{rel}: {} frame(s) with good CRC", frames.len());
    let ax = ax25_frames(rel, &frames, 1);
    assert_eq!(ax[0].destination.callsign, "QBUS01");
    assert_eq!(ax[0].source.callsign, "CQ");
    assert_eq!(ax[0].info.len(), 186 - 16);
}

#[test]
fn quetzal1_ax25_g3ruh_4k8() {
    let rel = "cubesat-quetzal1-grsat/quetzal1.wav";
    let Some(frames) = decode_file(rel, 4800.0, FskFraming::Ax25G3ruh) else {
        return;
    };
    println!("{rel}: {} frame(s) with good CRC", frames.len());
    let ax = ax25_frames(rel, &frames, 1);
    // Quetzal-1 sends blank address fields and names itself in the information field.
    assert_eq!(ax[0].source.callsign, "");
    assert!(ax[0].info.windows(8).any(|w| w == b"QUETZAL1"));
}

#[test]
fn kuns_pf_ax100_asm_golay_1k2() {
    let Some(frames) = decode_file(
        "cubesat-1kuns_pf/1kuns_pf.wav",
        1200.0,
        FskFraming::Ax100AsmGolay,
    ) else {
        return;
    };
    // The reference is jradio's rawData: the RS-decoded frame (CSP header + payload),
    // i.e. what follows ASM and Golay length field, de-randomised, parity removed.
    let want = expected("cubesat-1kuns_pf", "KunsPfBeacon.json");
    assert_eq!(frames.len(), 1);
    assert_eq!(hex(&frames[0].data), hex(&want));
    assert!(matches!(frames[0].check, FrameCheck::ReedSolomon { .. }));
}

#[test]
fn ca03_ax100_rs_mode_9k6() {
    let Some(frames) = decode_file("cubesat-ca03_9k6/ca03_9k6.wav", 9600.0, FskFraming::Ax100Rs)
    else {
        return;
    };
    // Reference: the RS-decoded bytes after the length byte (145 = 177-byte codeword - 32).
    let want = expected("cubesat-ca03_9k6", "Ca03Beacon.json");
    assert_eq!(frames.len(), 1);
    assert_eq!(hex(&frames[0].data), hex(&want));
}

#[test]
fn lucky7_syncword_pn9_crc_4k8() {
    let Some(frames) = decode_file("cubesat-lucky_7/lucky_7.wav", 4800.0, FskFraming::Lucky7)
    else {
        return;
    };
    // The reference holds the first beacon (all 37 bytes including the CRC); the
    // recording carries more, each CRC-checked.
    let want = expected("cubesat-lucky_7", "Lucky7Beacon.json");
    println!("lucky_7: {} frame(s) with good CRC", frames.len());
    assert!(frames.len() >= 9, "{} frames", frames.len());
    assert_eq!(hex(&frames[0].data), hex(&want));
    let crc = Crc16::new(Crc16::CC11XX);
    assert!(frames
        .iter()
        .all(|f| f.data.len() == 37 && crc.checksum(&f.data) == 0));
}

#[test]
fn at03_tt64_9k6() {
    let Some(frames) = decode_file("cubesat-at03/at03.wav", 9600.0, FskFraming::Tt64) else {
        return;
    };
    // Reference: the first 46 of the 48 RS-decoded bytes (the last two are the CRC).
    let want = expected("cubesat-at03", "At03Beacon.json");
    assert_eq!(frames.len(), 1);
    assert_eq!(hex(&frames[0].data), hex(&want));
    assert!(matches!(
        frames[0].check,
        FrameCheck::ReedSolomonCrc16 { .. }
    ));
}

/// Sample index and value to a distorted value.
type Distortion = dyn Fn(usize, f32) -> f32;

/// The same frames come out whatever the chunking, audio level or (constant or drifting)
/// DC offset — the latter standing for a carrier frequency error at the FM discriminator.
#[test]
fn defaults_are_robust_to_chunking_level_and_dc() {
    let cases = [
        ("cubesat-us01-grsat/us01.wav", 9600.0, FskFraming::Ax25G3ruh),
        (
            "cubesat-quetzal1-grsat/quetzal1.wav",
            4800.0,
            FskFraming::Ax25G3ruh,
        ),
        (
            "cubesat-1kuns_pf/1kuns_pf.wav",
            1200.0,
            FskFraming::Ax100AsmGolay,
        ),
        ("cubesat-ca03_9k6/ca03_9k6.wav", 9600.0, FskFraming::Ax100Rs),
        ("cubesat-lucky_7/lucky_7.wav", 4800.0, FskFraming::Lucky7),
        ("cubesat-at03/at03.wav", 9600.0, FskFraming::Tt64),
    ];
    for (rel, baud, framing) in cases {
        let Some(path) = recording(rel) else {
            return;
        };
        let (x, fs) = read_wav_mono(&path);
        let reference = decode(&x, fs, baud, framing, x.len());
        assert!(!reference.is_empty(), "{rel}");
        assert_eq!(
            decode(&x, fs, baud, framing, 7),
            reference,
            "{rel}: chunks of 7"
        );
        let rms = (x.iter().map(|v| v * v).sum::<f32>() / x.len() as f32).sqrt();
        let n = x.len() as f32;
        let variants: [(&str, Box<Distortion>); 5] = [
            ("x0.05", Box::new(|_, v| v * 0.05)),
            ("x20", Box::new(|_, v| v * 20.0)),
            ("dc +2rms", Box::new(move |_, v| v + 2.0 * rms)),
            ("dc -2rms", Box::new(move |_, v| v - 2.0 * rms)),
            (
                "dc ramp ±1rms",
                Box::new(move |i, v| v + rms * (2.0 * i as f32 / n - 1.0)),
            ),
        ];
        for (name, f) in variants {
            let y: Vec<f32> = x.iter().enumerate().map(|(i, &v)| f(i, v)).collect();
            let got = decode(&y, fs, baud, framing, 4096);
            let data = |v: &[DecodedFrame]| v.iter().map(|f| f.data.clone()).collect::<Vec<_>>();
            assert_eq!(data(&got), data(&reference), "{rel}: {name}");
        }
    }
}
