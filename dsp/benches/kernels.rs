//! Throughput of the streaming kernels, in input samples per second.

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink_dsp::filter::design::{lowpass_taps, rrc_taps};
use downlink_dsp::filter::{
    Channelizer, ChannelizerConfig, FirDecimator, FirFilter, HalfbandDecimator,
};
use downlink_dsp::nco::Nco;
use downlink_dsp::spectrum::{Welch, WelchConfig};
use num_complex::Complex32;

/// Deterministic pseudo-noise input (the values do not matter for speed, but
/// denormals or constant data could flatter the numbers).
fn input(n: usize) -> Vec<Complex32> {
    let mut s = 0x1234_5678_9abc_def0u64;
    (0..n)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            let a = (s >> 40) as f32 / (1u64 << 24) as f32 - 0.5;
            let b = (s & 0xff_ffff) as f32 / (1u64 << 24) as f32 - 0.5;
            Complex32::new(a, b)
        })
        .collect()
}

/// One chunk the size a file source would deliver.
const CHUNK: usize = 1 << 16;

fn bench_kernels(c: &mut Criterion) {
    let x = input(CHUNK);
    let mut group = c.benchmark_group("kernels");
    group.throughput(Throughput::Elements(CHUNK as u64));

    // The Channelizer's filter for 2.4 MHz → 48 kHz, 30 kHz wide.
    let taps = lowpass_taps(15e3 / 2.4e6, 18e3 / 2.4e6, 70.0).unwrap();
    let mut dec = FirDecimator::new(&taps, 50).unwrap();
    let mut out = Vec::with_capacity(CHUNK);
    group.bench_function(format!("fir_decimator_{}taps_m50", taps.len()), |b| {
        b.iter(|| {
            out.clear();
            dec.process(black_box(&x), &mut out);
            black_box(out.len())
        })
    });

    let taps = lowpass_taps(0.2, 0.1, 60.0).unwrap();
    let mut dec = FirDecimator::new(&taps, 2).unwrap();
    group.bench_function(format!("fir_decimator_{}taps_m2", taps.len()), |b| {
        b.iter(|| {
            out.clear();
            dec.process(black_box(&x), &mut out);
            black_box(out.len())
        })
    });

    // PskDemod's front for Meteor LRPT at 1.024 MS/s (band ±67.6 kHz kept):
    // the single FIR decimator by 4 it had, and the two half-band stages
    // (1.024M → 512k → 256k) that replace it.
    let pass_hz = 72e3 * 1.6 / 2.0 + 10e3;
    let taps = lowpass_taps(
        0.5 * 256e3 / 1.024e6,
        (256e3 - 2.0 * pass_hz) / 1.024e6,
        60.0,
    )
    .unwrap();
    let mut dec = FirDecimator::new(&taps, 4).unwrap();
    group.bench_function(format!("fir_decimator_{}taps_m4", taps.len()), |b| {
        b.iter(|| {
            out.clear();
            dec.process(black_box(&x), &mut out);
            black_box(out.len())
        })
    });
    for fs_in in [1.024e6, 512e3] {
        let mut hb = HalfbandDecimator::design(pass_hz / fs_in, 60.0).unwrap();
        group.bench_function(format!("halfband_decimator_{}taps", hb.taps().len()), |b| {
            b.iter(|| {
                out.clear();
                hb.process(black_box(&x), &mut out);
                black_box(out.len())
            })
        });
    }

    // The first stage as the decoder runs it: every chunk is new to the cache
    // (a file source hands over fresh 256 KiB buffers), so reading the input
    // costs what a memory stream costs, not an L2 hit.
    let stream = input(CHUNK * 128);
    let mut hb = HalfbandDecimator::design(pass_hz / 1.024e6, 60.0).unwrap();
    let mut at = 0;
    group.bench_function(
        format!("halfband_decimator_{}taps_uncached_input", hb.taps().len()),
        |b| {
            b.iter(|| {
                out.clear();
                hb.process(black_box(&stream[at..at + CHUNK]), &mut out);
                at = (at + CHUNK) % stream.len();
                black_box(out.len())
            })
        },
    );

    // PskDemod's matched filter for Meteor LRPT at 256 kS/s: 72 kBd, 3.56
    // samples/symbol, roll-off 0.6, 51 taps.
    let taps = rrc_taps(256e3 / 72e3, 0.6, 14).unwrap();
    let mut fir = FirFilter::new(&taps).unwrap();
    group.bench_function(format!("fir_filter_{}taps", taps.len()), |b| {
        b.iter(|| {
            out.clear();
            fir.process(black_box(&x), &mut out);
            black_box(out.len())
        })
    });

    let mut nco = Nco::new(0.123_456).unwrap();
    group.bench_function("nco_mix", |b| {
        b.iter(|| {
            out.clear();
            nco.mix(black_box(&x), &mut out);
            black_box(out.len())
        })
    });

    let mut ch = Channelizer::new(ChannelizerConfig {
        input_rate_hz: 2.4e6,
        offset_hz: 310e3,
        output_rate_hz: 48e3,
        bandwidth_hz: 30e3,
    })
    .unwrap();
    group.bench_function("channelizer_2m4_to_48k", |b| {
        b.iter(|| {
            out.clear();
            ch.process(black_box(&x), &mut out);
            black_box(out.len())
        })
    });

    let mut welch = Welch::new(WelchConfig {
        fft_size: 4096,
        ..WelchConfig::default()
    })
    .unwrap();
    group.bench_function("welch_push_fft4096_hann_50pct", |b| {
        b.iter(|| {
            welch.push(black_box(&x));
            black_box(welch.segments())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_kernels);
criterion_main!(benches);
