//! Cubesat receive chain throughput, one benchmark per demodulator: `FskDemod`,
//! `AfskDemod` and `ToneEnergyDemod` on 48 kHz audio, `BpskDemod` on audio with a 12 kHz
//! subcarrier and on 48 kS/s baseband, and the whole `FskDecoder` (demodulator +
//! G3RUH/NRZI/HDLC) on the real us01 recording. Elements are input samples, so
//! elements/s ÷ 48 000 is the speed in multiples of real time.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use downlink_dsp::demod::afsk::{AfskDemod, AfskDemodConfig};
use downlink_dsp::demod::bpsk_demod::{BpskDemod, BpskDemodConfig};
use downlink_dsp::demod::fsk_decoder::{FskDecoder, FskDecoderConfig, FskFraming};
use downlink_dsp::demod::fsk_demod::{FskDemod, FskDemodConfig};
use downlink_dsp::demod::tone_energy::ToneEnergyDemod;
use downlink_dsp::modulate::fsk_mod::{FskMod, FskModConfig};
use downlink_dsp::modulate::psk_mod::{PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;
use std::hint::black_box;
use std::path::PathBuf;

const FS: f64 = 48_000.0;

fn random_bits(n_bits: usize) -> Vec<u8> {
    let mut s = 0x2545_F491u32;
    (0..n_bits)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s & 1) as u8
        })
        .collect()
}

fn synthetic_audio(baud: f64, seconds: f64) -> Vec<f32> {
    let bits = random_bits((baud * seconds) as usize);
    let mut m = FskMod::new(FskModConfig {
        sample_rate_hz: FS,
        baud,
        amplitude: 0.3,
        gaussian_bt: Some(0.5),
    })
    .expect("modulator");
    let mut out = Vec::new();
    m.process(&bits, &mut out);
    out
}

fn bench_demod(c: &mut Criterion) {
    let mut g = c.benchmark_group("fsk_demod_48k");
    for baud in [1200.0, 9600.0] {
        let audio = synthetic_audio(baud, 1.0);
        g.throughput(Throughput::Elements(audio.len() as u64));
        g.bench_with_input(
            BenchmarkId::from_parameter(baud as u32),
            &audio,
            |b, audio| {
                let mut d = FskDemod::new(FskDemodConfig {
                    sample_rate_hz: FS,
                    baud,
                    invert: false,
                })
                .expect("demod");
                let mut out = Vec::with_capacity(audio.len());
                b.iter(|| {
                    out.clear();
                    d.process(black_box(audio), &mut out);
                    black_box(out.len())
                })
            },
        );
    }
    g.finish();
}

/// Bell 202: 1200 Bd, tones 1200 / 2200 Hz, phase continuous.
const BELL202: AfskDemodConfig = AfskDemodConfig {
    sample_rate_hz: FS,
    centre_hz: 1700.0,
    deviation_hz: 500.0,
    baud: 1200.0,
};

fn afsk_audio(seconds: f64) -> Vec<f32> {
    let c = BELL202;
    let sps = (c.sample_rate_hz / c.baud) as usize;
    let mut phase = 0.0f64;
    let mut out = Vec::new();
    for b in random_bits((c.baud * seconds) as usize) {
        let f = c.centre_hz
            + if b == 1 {
                c.deviation_hz
            } else {
                -c.deviation_hz
            };
        for _ in 0..sps {
            phase += 2.0 * std::f64::consts::PI * f / c.sample_rate_hz;
            out.push(0.3 * phase.sin() as f32);
        }
    }
    out
}

fn bench_afsk(c: &mut Criterion) {
    let audio = afsk_audio(1.0);
    let mut g = c.benchmark_group("afsk_48k_bell202");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.bench_function("afsk_demod", |b| {
        let mut d = AfskDemod::new(BELL202).expect("demod");
        let mut out = Vec::with_capacity(audio.len());
        b.iter(|| {
            out.clear();
            d.process(black_box(&audio), &mut out);
            black_box(out.len())
        })
    });
    g.bench_function("tone_energy_demod", |b| {
        let mut d = ToneEnergyDemod::new(BELL202).expect("demod");
        let mut out = Vec::with_capacity(audio.len());
        b.iter(|| {
            out.clear();
            d.process(black_box(&audio), &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

/// 9600 Bd BPSK at 48 kS/s (5 samples per symbol), RRC 0.5: complex baseband, and the
/// same moved to a 12 kHz audio subcarrier (the real part, as an SSB receiver gives it).
fn bpsk_signals(seconds: f64) -> (Vec<Complex32>, Vec<f32>) {
    let mut m = PskMod::new(PskModConfig {
        modulation: PskModulation::Bpsk,
        sps: 5,
        rrc_rolloff: 0.5,
        span_symbols: 16,
    })
    .expect("modulator");
    let mut baseband = Vec::new();
    m.process(&random_bits((9600.0 * seconds) as usize), &mut baseband);
    let audio = baseband
        .iter()
        .enumerate()
        .map(|(n, z)| {
            let w = 2.0 * std::f64::consts::PI * 12_000.0 * n as f64 / FS;
            (z * Complex32::new(w.cos() as f32, w.sin() as f32)).re
        })
        .collect();
    (baseband, audio)
}

fn bench_bpsk(c: &mut Criterion) {
    let (baseband, audio) = bpsk_signals(1.0);
    let mut g = c.benchmark_group("bpsk_demod_9600_48k");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.bench_function("audio_subcarrier_12k", |b| {
        let mut d =
            BpskDemod::new(BpskDemodConfig::audio(FS, 9600.0, 12_000.0, 3_000.0)).expect("demod");
        let mut out = Vec::with_capacity(10_000);
        b.iter(|| {
            out.clear();
            d.process_audio(black_box(&audio), &mut out);
            black_box(out.len())
        })
    });
    g.throughput(Throughput::Elements(baseband.len() as u64));
    g.bench_function("baseband", |b| {
        let mut d = BpskDemod::new(BpskDemodConfig::baseband(FS, 9600.0, 4_000.0)).expect("demod");
        let mut out = Vec::with_capacity(10_000);
        b.iter(|| {
            out.clear();
            d.process(black_box(&baseband), &mut out);
            black_box(out.len())
        })
    });
    g.finish();
}

fn bench_us01(c: &mut Criterion) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/recordings/cubesat-us01-grsat/us01.wav");
    let Ok(mut r) = hound::WavReader::open(&path) else {
        eprintln!(
            "notice: {} not found, skipping the us01 decode bench",
            path.display()
        );
        return;
    };
    let audio: Vec<f32> = r
        .samples::<i16>()
        .map(|s| s.expect("sample") as f32 / 32768.0)
        .collect();
    let mut g = c.benchmark_group("fsk_decoder_us01_ax25_g3ruh");
    g.throughput(Throughput::Elements(audio.len() as u64));
    g.bench_function("whole_file", |b| {
        b.iter(|| {
            let mut d = FskDecoder::new(FskDecoderConfig {
                sample_rate_hz: FS,
                baud: 9600.0,
                framing: FskFraming::Ax25G3ruh,
            })
            .expect("decoder");
            let mut frames = Vec::new();
            d.process(black_box(&audio), &mut frames);
            assert_eq!(frames.len(), 1);
            frames.len()
        })
    });
    g.finish();
}

criterion_group!(benches, bench_demod, bench_afsk, bench_bpsk, bench_us01);
criterion_main!(benches);
