//! Cubesat FSK receive chain throughput: `FskDemod` on 48 kHz audio, and the whole
//! `FskDecoder` (demodulator + G3RUH/NRZI/HDLC) on the real us01 recording. Elements are
//! audio samples, so elements/s ÷ 48 000 is the speed in multiples of real time.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use downlink_dsp::demod::fsk_decoder::{FskDecoder, FskDecoderConfig, FskFraming};
use downlink_dsp::demod::fsk_demod::{FskDemod, FskDemodConfig};
use downlink_dsp::modulate::fsk_mod::{FskMod, FskModConfig};
use std::hint::black_box;
use std::path::PathBuf;

const FS: f64 = 48_000.0;

fn synthetic_audio(baud: f64, seconds: f64) -> Vec<f32> {
    let n_bits = (baud * seconds) as usize;
    let mut s = 0x2545_F491u32;
    let bits: Vec<u8> = (0..n_bits)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            (s & 1) as u8
        })
        .collect();
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

criterion_group!(benches, bench_demod, bench_us01);
criterion_main!(benches);
