//! The carrier search on synthetic I/Q bursts (the project's own encoders and
//! modulators, seeded noise): a GFSK 9k6 G3RUH, a BPSK 1k2 and an AFSK-over-FM 1k2
//! AX.25 transmitter, each sent −12, −6, 0, +6 and +12 kHz off its nominal frequency,
//! in a SigMF recording with no TLE, decode to exactly the frame that was sent. With
//! the search off, the ±12 kHz ones decode nothing: the search is what finds them.

mod common;

use downlink_dsp::framing::ax25::{Ax25Address, Ax25Frame};
use downlink_dsp::framing::g3ruh::{G3ruh, Nrzi};
use downlink_dsp::framing::hdlc::Hdlc;
use downlink_dsp::modulate::fsk_mod::{FskMod, FskModConfig};
use downlink_dsp::modulate::gaussian_noise::GaussianNoise;
use downlink_dsp::modulate::psk_mod::{PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;
use std::f64::consts::TAU;
use std::path::{Path, PathBuf};

const RATE_HZ: f64 = 96_000.0;
const CENTRE_HZ: f64 = 437_000_000.0;
/// The transmitters' nominal frequency: 10 kHz below the recording's centre, so the
/// searched range (±14 kHz at 437 MHz) stays inside the band with room for the channel.
const NOMINAL_HZ: f64 = 436_990_000.0;
/// Where the burst starts and how long the recording is, s.
const BURST_START_S: f64 = 0.6;
const LENGTH_S: f64 = 2.0;
/// Complex noise power over the whole 96 kHz (signal amplitude 1): about 12 dB of SNR
/// in the 9k6 signal's 15 kHz.
const NOISE_POWER: f64 = 0.3;
const FM_DEVIATION_HZ: f64 = 3_000.0;

#[derive(Clone, Copy, Debug)]
enum Kind {
    Gfsk9k6,
    Bpsk1k2,
    Afsk1k2,
}

impl Kind {
    fn satellite_toml(self) -> String {
        let (name, modulation, framing) = match self {
            Kind::Gfsk9k6 => (
                "AFC-GFSK",
                format!("{{ type = \"gfsk\", baud = 9600, deviation_hz = {FM_DEVIATION_HZ} }}"),
                "ax25_g3ruh",
            ),
            Kind::Bpsk1k2 => (
                "AFC-BPSK",
                "{ type = \"bpsk\", baud = 1200 }".to_string(),
                "ax25_nrzi",
            ),
            Kind::Afsk1k2 => (
                "AFC-AFSK",
                format!(
                    "{{ type = \"afsk\", baud = 1200, mark_hz = 1200, space_hz = 2200, \
                     fm_deviation_hz = {FM_DEVIATION_HZ} }}"
                ),
                "ax25_nrzi",
            ),
        };
        format!(
            "name = \"{name}\"\n\n[[transmitters]]\nname = \"test\"\n\
             frequency_hz = {NOMINAL_HZ}\nmodulation = {modulation}\n\
             framing = {{ type = \"{framing}\" }}\n"
        )
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Gfsk9k6 => "AFC-GFSK",
            Kind::Bpsk1k2 => "AFC-BPSK",
            Kind::Afsk1k2 => "AFC-AFSK",
        }
    }

    /// Complex baseband of the line bits at 0 Hz, amplitude 1.
    fn modulate(self, line: &[u8]) -> Vec<Complex32> {
        match self {
            Kind::Gfsk9k6 => {
                let mut m = FskMod::new(FskModConfig {
                    sample_rate_hz: RATE_HZ,
                    baud: 9_600.0,
                    amplitude: 1.0,
                    gaussian_bt: Some(0.5),
                })
                .unwrap();
                let mut level = Vec::new();
                m.process(line, &mut level);
                m.process(&vec![0u8; m.delay_symbols()], &mut level);
                fm(level.iter().map(|&v| f64::from(v) * FM_DEVIATION_HZ))
            }
            Kind::Bpsk1k2 => {
                let sps = (RATE_HZ / 1_200.0) as usize;
                let mut m = PskMod::new(PskModConfig {
                    modulation: PskModulation::Bpsk,
                    sps,
                    rrc_rolloff: 0.5,
                    span_symbols: 8,
                })
                .unwrap();
                let mut x = Vec::new();
                m.process(line, &mut x);
                m.process(&[0u8; 16], &mut x);
                // Unit energy per symbol: amplitude ~1 per sample.
                let gain = (sps as f32).sqrt();
                x.iter().map(|v| v * gain).collect()
            }
            Kind::Afsk1k2 => {
                // Phase-continuous Bell 202 tones (1 → mark 1200 Hz), then FM.
                let sps = RATE_HZ / 1_200.0;
                let n = (line.len() as f64 * sps) as usize;
                let mut phase = 0.0f64;
                let audio = (0..n).map(|i| {
                    let bit = line[((i as f64 / sps) as usize).min(line.len() - 1)];
                    let tone_hz = if bit != 0 { 1_200.0 } else { 2_200.0 };
                    phase = (phase + TAU * tone_hz / RATE_HZ) % TAU;
                    phase.sin() * FM_DEVIATION_HZ
                });
                fm(audio)
            }
        }
    }

    /// The line bits of one AX.25 frame as this transmitter sends them.
    fn line_bits(self, frame: &[u8]) -> Vec<u8> {
        let mut hdlc = Vec::new();
        Hdlc::encode(frame, 48, 4, &mut hdlc);
        let mut nrzi = Vec::new();
        Nrzi::new().encode(&hdlc, &mut nrzi);
        match self {
            Kind::Gfsk9k6 => {
                let mut line = Vec::new();
                G3ruh::new().scramble(&nrzi, &mut line);
                line
            }
            Kind::Bpsk1k2 | Kind::Afsk1k2 => nrzi,
        }
    }
}

/// Unit-amplitude FM of an instantaneous frequency in Hz.
fn fm(freq_hz: impl Iterator<Item = f64>) -> Vec<Complex32> {
    let mut phase = 0.0f64;
    freq_hz
        .map(|f| {
            phase = (phase + TAU * f / RATE_HZ) % TAU;
            Complex32::new(phase.cos() as f32, phase.sin() as f32)
        })
        .collect()
}

fn frame_bytes(kind: Kind, offset_hz: f64) -> Vec<u8> {
    Ax25Frame {
        destination: Ax25Address::new("CQ", 0, false).unwrap(),
        source: Ax25Address::new("AFC1", 1, false).unwrap(),
        digipeaters: vec![],
        control: 0x03,
        pid: Some(0xf0),
        info: format!("{} burst {offset_hz:+.0} Hz off nominal", kind.name()).into_bytes(),
    }
    .to_bytes()
    .unwrap()
}

/// A SigMF recording (cf32, centre `CENTRE_HZ`, no TLE): noise, and the burst
/// `offset_hz` from the nominal frequency from `BURST_START_S` on. Returns the
/// `.sigmf-meta` path.
fn recording(dir: &Path, kind: Kind, offset_hz: f64, frame: &[u8], seed: u64) -> PathBuf {
    let burst = kind.modulate(&kind.line_bits(frame));
    let n = (LENGTH_S * RATE_HZ) as usize;
    let start = (BURST_START_S * RATE_HZ) as usize;
    assert!(start + burst.len() < n, "the burst fits");
    let carrier_hz = NOMINAL_HZ + offset_hz - CENTRE_HZ;
    let mut noise = GaussianNoise::new(seed);
    let mut data = Vec::with_capacity(n * 8);
    for i in 0..n {
        let mut s = noise.complex(NOISE_POWER);
        if let Some(b) = i.checked_sub(start).and_then(|k| burst.get(k)) {
            let ph = TAU * carrier_hz * i as f64 / RATE_HZ;
            s += b * Complex32::new(ph.cos() as f32, ph.sin() as f32);
        }
        data.extend_from_slice(&s.re.to_le_bytes());
        data.extend_from_slice(&s.im.to_le_bytes());
    }
    let stem = format!("{}_{offset_hz:+.0}", kind.name());
    std::fs::write(dir.join(format!("{stem}.sigmf-data")), data).unwrap();
    let meta = serde_json::json!({
        "global": {
            "core:datatype": "cf32_le",
            "core:sample_rate": RATE_HZ,
            "core:version": "1.0.0",
            "core:num_channels": 1,
        },
        "captures": [{ "core:sample_start": 0, "core:frequency": CENTRE_HZ }],
        "annotations": [],
    });
    let path = dir.join(format!("{stem}.sigmf-meta"));
    std::fs::write(&path, serde_json::to_string_pretty(&meta).unwrap()).unwrap();
    path
}

fn frames(file: &Path, sats: &Path, sat: &str, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["--satellites-dir", sats.to_str().unwrap()];
    args.extend_from_slice(extra);
    let (out, frames) = common::decode_satellite(file, sat, &args);
    assert!(
        out.status.success(),
        "{} {extra:?}: {}",
        file.display(),
        common::stderr(&out)
    );
    frames
        .expect("a frames file")
        .iter()
        .map(|v| v["frame"].as_str().unwrap().to_string())
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

#[test]
fn bursts_up_to_twelve_khz_off_decode_without_a_tle() {
    let dir = tempfile::tempdir().unwrap();
    let sats = dir.path().join("satellites");
    std::fs::create_dir(&sats).unwrap();
    let kinds = [Kind::Gfsk9k6, Kind::Bpsk1k2, Kind::Afsk1k2];
    for kind in kinds {
        std::fs::write(
            sats.join(format!("{}.toml", kind.name())),
            kind.satellite_toml(),
        )
        .unwrap();
    }
    let mut seed = 0;
    for kind in kinds {
        let mut decoded = 0;
        for offset_hz in [-12_000.0, -6_000.0, 0.0, 6_000.0, 12_000.0] {
            seed += 1;
            let frame = frame_bytes(kind, offset_hz);
            let file = recording(dir.path(), kind, offset_hz, &frame, seed);
            let got = frames(&file, &sats, kind.name(), &[]);
            eprintln!("{kind:?} {offset_hz:+} Hz: {} frame(s)", got.len());
            // Whatever decodes is the frame sent, never anything else.
            assert!(
                got.iter().all(|f| *f == hex(&frame)),
                "{kind:?} {offset_hz:+} Hz: {got:?}"
            );
            assert!(
                !got.is_empty(),
                "{kind:?} {offset_hz:+} Hz: nothing decoded"
            );
            decoded += 1;
            if offset_hz.abs() > 10_000.0 {
                let off = frames(&file, &sats, kind.name(), &["--no-afc"]);
                assert!(
                    off.is_empty(),
                    "{kind:?} {offset_hz:+} Hz decodes without the search: {off:?}"
                );
            }
            std::fs::remove_file(file.with_extension("sigmf-data")).unwrap();
        }
        assert_eq!(decoded, 5, "{kind:?}: {decoded} of 5 bursts decoded");
    }
}
