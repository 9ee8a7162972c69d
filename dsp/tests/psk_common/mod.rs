//! Shared helpers for the PSK tests: a transmitter (modulator + channel), a
//! demodulator run, and BER counting that resolves the phase ambiguity.
#![allow(dead_code)]

use downlink_dsp::demod::{PskDemod, PskDemodConfig, PskDemodStatus};
use downlink_dsp::modulate::{Channel, ChannelConfig, GaussianNoise, PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;

/// The modulator's samples per symbol (the channel resamples to the
/// receiver's rate).
pub const TX_SPS: usize = 4;

#[derive(Debug, Clone, Copy)]
pub struct Scenario {
    pub modulation: PskModulation,
    pub symbol_rate_baud: f64,
    pub sample_rate_hz: f64,
    pub rolloff: f64,
    pub es_n0_db: f64,
    pub carrier_offset_hz: f64,
    pub doppler_rate_hz_per_s: f64,
    pub clock_offset_ppm: f64,
    pub phase_noise_linewidth_hz: f64,
    pub seed: u64,
}

impl Scenario {
    /// Meteor-M LRPT-like: 72 kBd, roll-off 0.6, received at `sample_rate_hz`.
    pub fn lrpt(modulation: PskModulation, sample_rate_hz: f64, es_n0_db: f64) -> Self {
        Scenario {
            modulation,
            symbol_rate_baud: 72e3,
            sample_rate_hz,
            rolloff: 0.6,
            es_n0_db,
            carrier_offset_hz: 0.0,
            doppler_rate_hz_per_s: 0.0,
            clock_offset_ppm: 0.0,
            phase_noise_linewidth_hz: 0.0,
            seed: 1,
        }
    }

    pub fn demod_config(&self) -> PskDemodConfig {
        PskDemodConfig::new(
            self.sample_rate_hz,
            self.symbol_rate_baud,
            self.modulation,
            self.rolloff,
        )
    }
}

pub fn random_bits(n: usize, seed: u64) -> Vec<u8> {
    let mut g = GaussianNoise::new(seed ^ 0x5EED_B175);
    let mut bits = Vec::with_capacity(n);
    while bits.len() < n {
        let w = g.next_u64();
        for i in 0..64 {
            if bits.len() < n {
                bits.push(((w >> i) & 1) as u8);
            }
        }
    }
    bits
}

/// Modulates `bits` and passes them through the scenario's channel.
pub fn transmit(s: &Scenario, bits: &[u8]) -> Vec<Complex32> {
    let mut md = PskMod::new(PskModConfig {
        modulation: s.modulation,
        sps: TX_SPS,
        rrc_rolloff: s.rolloff,
        span_symbols: 24,
    })
    .unwrap();
    let mut ch = Channel::new(ChannelConfig {
        input_rate_hz: s.symbol_rate_baud * TX_SPS as f64,
        output_rate_hz: s.sample_rate_hz,
        symbol_rate_baud: s.symbol_rate_baud,
        es_n0_db: s.es_n0_db,
        carrier_offset_hz: s.carrier_offset_hz,
        doppler_rate_hz_per_s: s.doppler_rate_hz_per_s,
        clock_offset_ppm: s.clock_offset_ppm,
        phase_noise_linewidth_hz: s.phase_noise_linewidth_hz,
        seed: s.seed,
    })
    .unwrap();
    // In pieces, to keep the intermediate buffers small.
    let mut out = Vec::new();
    let mut tx = Vec::new();
    for chunk in bits.chunks(1 << 16) {
        tx.clear();
        md.process(chunk, &mut tx);
        ch.process(&tx, &mut out);
    }
    out
}

/// Demodulates `input` in chunks of `chunk` samples, then flushes.
pub fn demodulate(
    config: PskDemodConfig,
    input: &[Complex32],
    chunk: usize,
) -> (Vec<i8>, PskDemodStatus) {
    let mut d = PskDemod::new(config).unwrap();
    let mut soft = Vec::new();
    for c in input.chunks(chunk.max(1)) {
        d.process(c, &mut soft);
    }
    d.flush(&mut soft);
    (soft, d.status())
}

/// Splits transmitted bits and received soft values into rails.
fn rails(m: PskModulation, bits: &[u8], soft: &[i8]) -> (Vec<Vec<u8>>, Vec<Vec<u8>>) {
    let n = m.bits_per_symbol();
    let tx = (0..n)
        .map(|r| bits.iter().skip(r).step_by(n).copied().collect())
        .collect();
    let rx = (0..n)
        .map(|r| {
            soft.iter()
                .skip(r)
                .step_by(n)
                .map(|&v| (v < 0) as u8)
                .collect()
        })
        .collect();
    (tx, rx)
}

/// Bit errors after resolving the ambiguity: each received rail is matched
/// to the transmitted rail, delay (in symbols) and polarity that agree best
/// over a window starting at symbol `skip`, then compared from `skip` to the
/// end. Returns (errors, bits compared).
pub fn count_errors(m: PskModulation, bits: &[u8], soft: &[i8], skip: usize) -> (u64, u64) {
    let (tx, rx) = rails(m, bits, soft);
    let mut errors = 0;
    let mut total = 0;
    for r in &rx {
        let (t, d, inv) = best_alignment(&tx, r, skip, 4000);
        for (j, &b) in r.iter().enumerate().skip(skip) {
            let k = j as i64 - d;
            if k < 0 {
                continue;
            }
            let Some(&tb) = tx[t].get(k as usize) else {
                break;
            };
            errors += ((b ^ inv) != tb) as u64;
            total += 1;
        }
    }
    (errors, total)
}

/// Received symbol `j` is compared with transmitted symbol `j - d` for `d`
/// in this range.
const DELAYS: std::ops::Range<i64> = -400..400;

/// (tx rail, delay, inversion) that best matches `r` over `len` symbols from `skip`.
fn best_alignment(tx: &[Vec<u8>], r: &[u8], skip: usize, len: usize) -> (usize, i64, u8) {
    let mut best = (0, 0, 0, 0usize);
    for (t, rail) in tx.iter().enumerate() {
        for d in DELAYS {
            let mut agree = 0;
            let mut n = 0;
            for (j, &rb) in r.iter().enumerate().take(skip + len).skip(skip) {
                let k = j as i64 - d;
                if k < 0 {
                    continue;
                }
                if let Some(&tb) = rail.get(k as usize) {
                    agree += (rb == tb) as usize;
                    n += 1;
                }
            }
            let score = agree.max(n - agree);
            if score > best.3 {
                best = (t, d, (agree < n - agree) as u8, score);
            }
        }
    }
    (best.0, best.1, best.2)
}

/// Counts changes of the best alignment between consecutive windows of
/// `window` symbols after `skip`: each is a cycle slip (or a loss of lock).
pub fn count_slips(
    m: PskModulation,
    bits: &[u8],
    soft: &[i8],
    skip: usize,
    window: usize,
) -> usize {
    let (tx, rx) = rails(m, bits, soft);
    let mut slips = 0;
    for r in &rx {
        let mut last = None;
        let mut start = skip;
        while start + window <= r.len() {
            let a = best_alignment(&tx, r, start, window);
            if last.is_some_and(|l| l != a) {
                slips += 1;
            }
            last = Some(a);
            start += window;
        }
    }
    slips
}

/// Complementary error function (Numerical Recipes' Chebyshev fit,
/// fractional error below 1.2e-7 everywhere).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let ans = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 {
        ans
    } else {
        2.0 - ans
    }
}

/// Uncoded BPSK/QPSK (Gray) bit error rate at `eb_n0_db`: Q(√(2·Eb/N0)).
pub fn ber_theory(eb_n0_db: f64) -> f64 {
    0.5 * erfc(10f64.powf(eb_n0_db / 10.0).sqrt())
}

/// The Eb/N0 (dB) at which the theoretical BER equals `ber` (bisection).
pub fn eb_n0_for_ber(ber: f64) -> f64 {
    let (mut lo, mut hi) = (-10.0f64, 20.0f64);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if ber_theory(mid) > ber {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    0.5 * (lo + hi)
}

/// Runs a scenario with `n_bits` random bits and returns the BER counted
/// from symbol `skip` on, the implementation loss against theory in dB, and
/// the demodulator's final status.
pub fn run_ber(
    s: &Scenario,
    n_bits: usize,
    skip: usize,
) -> (f64, f64, PskDemodStatus, Vec<u8>, Vec<i8>) {
    let bits = random_bits(n_bits, s.seed);
    let x = transmit(s, &bits);
    let (soft, status) = demodulate(s.demod_config(), &x, 1 << 16);
    let (e, n) = count_errors(s.modulation, &bits, &soft, skip);
    assert!(n > (n_bits as u64) / 2, "only {n} bits compared");
    let ber = e as f64 / n as f64;
    let eb_n0 = s.es_n0_db - 10.0 * (s.modulation.bits_per_symbol() as f64).log10();
    let loss = eb_n0 - eb_n0_for_ber(ber);
    (ber, loss, status, bits, soft)
}
