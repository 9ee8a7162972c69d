//! Chunk-size invariance of the PSK blocks: one long slice or many small
//! ones must give bit-identical output (`==`).

mod psk_common;

use downlink_dsp::demod::PskDemod;
use downlink_dsp::filter::{Resampler, ResamplerConfig};
use downlink_dsp::modulate::{Channel, ChannelConfig, GaussianNoise, PskMod, PskModConfig};
use downlink_dsp::sync::{
    Agc, AgcConfig, Costas, CostasConfig, PskModulation, SymbolSync, SymbolSyncConfig,
};
use num_complex::Complex32;
use psk_common::*;

const CHUNKS: [usize; 4] = [1, 17, 4096, usize::MAX];

/// Runs a fresh block per chunk size; all outputs (and the final state
/// summary `state`) must be equal.
fn check<B, T: PartialEq + std::fmt::Debug, U: Clone, S: PartialEq + std::fmt::Debug>(
    name: &str,
    input: &[U],
    make: impl Fn() -> B,
    run: impl Fn(&mut B, &[U], &mut Vec<T>),
    state: impl Fn(&mut B, &mut Vec<T>) -> S,
) {
    let mut reference: Option<(Vec<T>, S)> = None;
    for chunk in CHUNKS {
        let mut block = make();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.min(input.len())) {
            run(&mut block, piece, &mut out);
        }
        let st = state(&mut block, &mut out);
        match &reference {
            None => {
                assert!(!out.is_empty(), "{name}: no output");
                reference = Some((out, st));
            }
            Some((r, rs)) => {
                assert_eq!(
                    r.len(),
                    out.len(),
                    "{name}: length differs at chunk {chunk}"
                );
                assert!(*r == out, "{name}: output differs at chunk {chunk}");
                assert_eq!(*rs, st, "{name}: state differs at chunk {chunk}");
            }
        }
    }
}

fn qpsk_at(rate: f64, n_sym: usize, es_n0_db: f64, offset: f64, seed: u64) -> Vec<Complex32> {
    let mut s = Scenario::lrpt(PskModulation::Qpsk, rate, es_n0_db);
    s.carrier_offset_hz = offset;
    s.clock_offset_ppm = 70.0;
    s.seed = seed;
    transmit(&s, &random_bits(2 * n_sym, seed))
}

#[test]
fn resampler_agc_and_channel() {
    let x = qpsk_at(150e3, 5000, 6.0, 2000.0, 1);
    for (fs_out, pass) in [(288e3, 67.5e3), (72e3 * 2.0 * 1.0001, 60e3)] {
        let cfg = ResamplerConfig {
            input_rate_hz: 150e3,
            output_rate_hz: fs_out,
            passband_hz: pass,
            stopband_db: 60.0,
        };
        check(
            "Resampler",
            &x,
            || Resampler::new(cfg).unwrap(),
            |b, i, o| b.process(i, o),
            |_, _| (),
        );
    }
    check(
        "Agc",
        &x,
        || Agc::new(AgcConfig::for_sps(2.08)).unwrap(),
        |b, i, o| b.process(i, o),
        |b, _| b.power().to_bits(),
    );
    let mut c = ChannelConfig::clean(288e3, 150e3, 72e3);
    c.es_n0_db = 4.0;
    c.carrier_offset_hz = 1234.0;
    c.doppler_rate_hz_per_s = -31.0;
    c.clock_offset_ppm = 100.0;
    c.phase_noise_linewidth_hz = 1.0;
    check(
        "Channel",
        &x,
        || Channel::new(c).unwrap(),
        |b, i, o| b.process(i, o),
        |_, _| (),
    );
    let bits = random_bits(30_001, 2);
    for m in PskModulation::ALL {
        let cfg = PskModConfig {
            modulation: m,
            sps: 4,
            rrc_rolloff: 0.6,
            span_symbols: 16,
        };
        check(
            "PskMod",
            &bits,
            || PskMod::new(cfg).unwrap(),
            |b, i, o| b.process(i, o),
            |_, _| (),
        );
    }
}

#[test]
fn symbol_sync_and_costas() {
    // Timing on raw channel output at 4 sps; Costas on the timed symbols.
    let x = qpsk_at(288e3, 20_000, 5.0, 150.0, 3);
    for m in PskModulation::ALL {
        let cfg = SymbolSyncConfig::new(4.0, m, 0.6);
        check(
            "SymbolSync",
            &x,
            || SymbolSync::new(cfg).unwrap(),
            |b, i, o| b.process(i, o),
            |b, _| (b.symbols(), b.clock_offset_ppm().to_bits()),
        );
    }
    let mut sync = SymbolSync::new(SymbolSyncConfig::new(4.0, PskModulation::Qpsk, 0.6)).unwrap();
    let mut symbols = Vec::new();
    sync.process(&x, &mut symbols);
    for m in PskModulation::ALL {
        check(
            "Costas",
            &symbols,
            || Costas::new(CostasConfig::for_modulation(m)).unwrap(),
            |b, i, o| b.process(i, o),
            |b, _| {
                (
                    b.phase_rad().to_bits(),
                    b.frequency_norm().to_bits(),
                    b.locked(),
                )
            },
        );
    }
}

#[test]
fn psk_demod_including_reacquisition_and_flush() {
    // Noise, then a QPSK signal: exercises the first search, a repeated one,
    // the mixer hand-over, and the final partial block.
    let mut g = GaussianNoise::new(4);
    let signal = qpsk_at(150e3, 40_000, 4.0, -6000.0, 5);
    let n0 = (150e3 / (72e3 * TX_SPS as f64)) / 10f64.powf(0.4);
    let mut x: Vec<Complex32> = (0..40_000).map(|_| g.complex(n0)).collect();
    x.extend_from_slice(&signal);
    for m in [
        PskModulation::Qpsk,
        PskModulation::Oqpsk,
        PskModulation::Bpsk,
    ] {
        let s = Scenario::lrpt(m, 150e3, 4.0);
        check(
            "PskDemod",
            &x,
            || PskDemod::new(s.demod_config()).unwrap(),
            |b, i, o| b.process(i, o),
            |b, o| {
                b.flush(o);
                format!("{:?}", b.status())
            },
        );
    }
}
