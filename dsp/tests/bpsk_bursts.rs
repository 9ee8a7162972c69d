//! Bursts of 1200 Bd BPSK at high SNR with a residual carrier offset anywhere in
//! ±1500 Hz: every burst must come out of `BpskDemod` without a symbol error (after the
//! 180° ambiguity, one polarity per burst, so a cycle slip inside a burst counts as
//! errors). Issue 4: about one burst in five was lost at certain offsets.

use downlink_dsp::demod::bpsk_demod::{BpskDemod, BpskDemodConfig, SoftSymbol};
use downlink_dsp::modulate::gaussian_noise::GaussianNoise;
use downlink_dsp::modulate::psk_mod::{PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;

const BAUD: f64 = 1200.0;
const SPS_IN: usize = 40;
const FS_IN: f64 = BAUD * SPS_IN as f64;
const BURSTS: usize = 4;
const BURST_SYMBOLS: usize = 1200;
/// Symbols at the start of each burst left to acquisition (an AX.25 preamble of
/// flags is longer).
const ACQUIRE_SYMBOLS: usize = 150;
const GAP_S: f64 = 0.35;
/// Es/N0 of the bursts: high, so any error is a tracking failure, not noise.
const ES_N0_DB: f64 = 20.0;
/// The cubesat pipeline's search range for complex baseband.
const SEARCH_HZ: f64 = 4_000.0;

struct Burst {
    bits: Vec<u8>,
    /// Input sample index of the first symbol's peak.
    start: usize,
}

fn signal(offset_hz: f64, seed: u64) -> (Vec<Complex32>, Vec<Burst>) {
    let mut rng = GaussianNoise::new(seed);
    let mut noise = GaussianNoise::new(seed ^ 0xb5b5);
    let n0 = 1.0 / 10f64.powf(ES_N0_DB / 10.0);
    let gap = (GAP_S * FS_IN) as usize;
    let mut x: Vec<Complex32> = Vec::new();
    let mut bursts = Vec::new();
    for _ in 0..BURSTS {
        x.resize(x.len() + gap, Complex32::new(0.0, 0.0));
        let bits: Vec<u8> = (0..BURST_SYMBOLS)
            .map(|_| (rng.next_u64() & 1) as u8)
            .collect();
        let mut m = PskMod::new(PskModConfig {
            modulation: PskModulation::Bpsk,
            sps: SPS_IN,
            rrc_rolloff: 0.5,
            span_symbols: 16,
        })
        .unwrap();
        let mut b = Vec::new();
        // The last symbols stay in the shaping filter: they are not compared.
        m.process(&bits, &mut b);
        let tail = m.delay_samples();
        let phase0 = rng.uniform() * std::f64::consts::TAU;
        bursts.push(Burst {
            bits,
            start: x.len() + tail,
        });
        let at = x.len();
        x.extend(b.iter().enumerate().map(|(i, &s)| {
            let ph = std::f64::consts::TAU * offset_hz * (at + i) as f64 / FS_IN + phase0;
            s * Complex32::from_polar(1.0, ph as f32)
        }));
    }
    x.resize(x.len() + gap, Complex32::new(0.0, 0.0));
    for s in x.iter_mut() {
        // PskMod: Es = Σ|x|² = 1 per symbol, so the noise per sample is N0 (white over
        // the sample rate).
        *s += noise.complex(n0);
    }
    (x, bursts)
}

/// Symbol errors of each burst (after acquisition) at the best alignment and polarity.
fn burst_errors(rx: &[SoftSymbol], bursts: &[Burst]) -> Vec<usize> {
    bursts
        .iter()
        .map(|b| {
            let first = b.start + ACQUIRE_SYMBOLS * SPS_IN;
            let Some(i0) = rx
                .iter()
                .position(|s| s.sample as usize + SPS_IN / 2 >= first)
            else {
                return b.bits.len();
            };
            let tx = &b.bits[ACQUIRE_SYMBOLS..b.bits.len() - 20];
            let mut best = tx.len();
            for lag in -6i64..=6 {
                let s = i0 as i64 + lag;
                if s < 0 || s as usize + tx.len() > rx.len() {
                    continue;
                }
                let hard = rx[s as usize..s as usize + tx.len()]
                    .iter()
                    .map(|r| u8::from(r.soft < 0.0));
                let e = hard.zip(tx).filter(|(h, &t)| *h != t).count();
                best = best.min(e).min(tx.len() - e);
            }
            best
        })
        .collect()
}

fn demodulate(x: &[Complex32]) -> Vec<SoftSymbol> {
    let mut d = BpskDemod::new(BpskDemodConfig::baseband(FS_IN, BAUD, SEARCH_HZ)).unwrap();
    let mut out = Vec::new();
    for c in x.chunks(4800) {
        d.process(c, &mut out);
    }
    d.flush(&mut out);
    out
}

#[test]
fn every_burst_is_error_free_at_any_residual_offset() {
    let mut failed = Vec::new();
    let mut total = 0;
    for (k, offset_hz) in (-15..=15).map(|i| i as f64 * 100.0).enumerate() {
        let (x, bursts) = signal(offset_hz, 100 + k as u64);
        let errors = burst_errors(&demodulate(&x), &bursts);
        let bad = errors.iter().filter(|&&e| e > 0).count();
        eprintln!("{offset_hz:+6.0} Hz: symbol errors per burst {errors:?}");
        total += BURSTS;
        if bad > 0 {
            failed.push((offset_hz, errors));
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {total} bursts with symbol errors: {failed:?}",
        failed
            .iter()
            .map(|f| f.1.iter().filter(|&&e| e > 0).count())
            .sum::<usize>()
    );
}
