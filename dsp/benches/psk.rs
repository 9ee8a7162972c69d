//! Throughput of the PSK demodulator and its loops, in input samples per
//! second (symbols per second for the Costas loop).

use std::hint::black_box;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::modulate::{Channel, ChannelConfig, PskMod, PskModConfig};
use downlink_dsp::sync::{Costas, CostasConfig, PskModulation, SymbolSync, SymbolSyncConfig};
use num_complex::Complex32;

const BAUD: f64 = 72e3;

/// QPSK at 72 kBd, Es/N0 8 dB, +3.7 kHz, received at `rate`: real signal, so
/// the loops do their real work.
fn signal(rate: f64, n_sym: usize) -> Vec<Complex32> {
    let mut md = PskMod::new(PskModConfig {
        modulation: PskModulation::Qpsk,
        sps: 4,
        rrc_rolloff: 0.6,
        span_symbols: 16,
    })
    .unwrap();
    let mut s = 0x1234_5678_9abc_def0u64;
    let bits: Vec<u8> = (0..2 * n_sym)
        .map(|_| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            (s >> 63) as u8
        })
        .collect();
    let mut x = Vec::new();
    md.process(&bits, &mut x);
    let mut c = ChannelConfig::clean(4.0 * BAUD, rate, BAUD);
    c.es_n0_db = 8.0;
    c.carrier_offset_hz = 3700.0;
    let mut y = Vec::new();
    Channel::new(c).unwrap().process(&x, &mut y);
    y
}

fn bench_psk(c: &mut Criterion) {
    let mut group = c.benchmark_group("psk");
    for rate in [150e3, 1.024e6] {
        // 0.5 s of signal per iteration, demodulated from a reset (so the
        // initial carrier search is included; the filter design in `new`,
        // done once per pass, is not).
        let x = signal(rate, 36_000);
        let config = PskDemodConfig::new(rate, BAUD, PskModulation::Qpsk, 0.6);
        group.throughput(Throughput::Elements(x.len() as u64));
        let mut out = Vec::with_capacity(100_000);
        let mut d = PskDemod::new(config).unwrap();
        group.bench_function(format!("psk_demod_qpsk_72k_at_{}k", rate / 1e3), |b| {
            b.iter(|| {
                d.reset();
                out.clear();
                for chunk in x.chunks(1 << 16) {
                    d.process(black_box(chunk), &mut out);
                }
                d.flush(&mut out);
                black_box(out.len())
            })
        });
    }

    // The loops alone, at 4 samples per symbol.
    let x = signal(4.0 * BAUD, 16_384);
    group.throughput(Throughput::Elements(x.len() as u64));
    let mut sync = SymbolSync::new(SymbolSyncConfig::new(4.0, PskModulation::Qpsk, 0.6)).unwrap();
    let mut symbols = Vec::with_capacity(x.len() / 4 + 16);
    group.bench_function("symbol_sync_4sps", |b| {
        b.iter(|| {
            symbols.clear();
            sync.process(black_box(&x), &mut symbols);
            black_box(symbols.len())
        })
    });

    group.throughput(Throughput::Elements(symbols.len() as u64));
    let mut costas = Costas::new(CostasConfig::for_modulation(PskModulation::Qpsk)).unwrap();
    let mut out = Vec::with_capacity(symbols.len());
    group.bench_function("costas_qpsk_per_symbol", |b| {
        b.iter(|| {
            out.clear();
            costas.process(black_box(&symbols), &mut out);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_psk);
criterion_main!(benches);
