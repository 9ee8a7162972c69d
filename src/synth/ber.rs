//! Bit error rate after Viterbi, measured from I/Q: the whole receive chain (resampler,
//! carrier search, matched filter, Costas and Gardner loops, soft symbols, phase
//! ambiguity, Viterbi) against a seeded transmitter and channel.
//!
//! Used by the BER tests and by `examples/ber_curve.rs`, which plots the curve.

use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::fec::{ConvEncoder, ConvEncoderConfig, Viterbi, ViterbiConfig};
use downlink_dsp::framing::PhaseAmbiguity;
use downlink_dsp::modulate::{Channel, ChannelConfig, PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;

/// One measured point.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct BerPoint {
    pub eb_n0_db: f64,
    pub bits: u64,
    pub errors: u64,
}

impl BerPoint {
    pub fn ber(&self) -> f64 {
        self.errors as f64 / self.bits.max(1) as f64
    }
}

/// The link measured: Meteor-like QPSK at 72 kBd, RRC 0.6, received at 150 kS/s.
#[derive(Clone, Copy, Debug)]
pub struct BerLink {
    pub carrier_offset_hz: f64,
    pub clock_offset_ppm: f64,
    pub seed: u64,
}

const BAUD: f64 = 72_000.0;
const RX_RATE_HZ: f64 = 150_000.0;
const MOD_SPS: usize = 4;
/// Symbols left to the loops before counting (acquisition).
const SETTLE_SYMBOLS: usize = 20_000;
/// Decoded bits dropped after the Viterbi start (its start state is unknown).
const VITERBI_WARMUP_BITS: usize = 100;

fn xorshift(state: &mut u64) -> u8 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    (*state >> 63) as u8
}

/// Sends `info_bits` random bits through the link at `eb_n0_db` and counts the
/// decoded bit errors. Rate-1/2 coding on QPSK carries one information bit per
/// symbol, so Es/N0 = Eb/N0.
pub fn measure(eb_n0_db: f64, info_bits: usize, link: BerLink) -> Result<BerPoint, String> {
    let mut state = link.seed | 1;
    let bits: Vec<u8> = (0..info_bits).map(|_| xorshift(&mut state)).collect();
    let mut code = Vec::with_capacity(2 * info_bits);
    ConvEncoder::new(ConvEncoderConfig::METEOR).process(&bits, &mut code);

    let mut modulator = PskMod::new(PskModConfig {
        modulation: PskModulation::Qpsk,
        sps: MOD_SPS,
        rrc_rolloff: 0.6,
        span_symbols: 16,
    })
    .map_err(|e| e.to_string())?;
    let mut ch = ChannelConfig::clean(BAUD * MOD_SPS as f64, RX_RATE_HZ, BAUD);
    ch.es_n0_db = eb_n0_db;
    ch.carrier_offset_hz = link.carrier_offset_hz;
    ch.clock_offset_ppm = link.clock_offset_ppm;
    ch.seed = link.seed;
    let mut channel = Channel::new(ch).map_err(|e| e.to_string())?;
    let mut demod = PskDemod::new(PskDemodConfig::new(
        RX_RATE_HZ,
        BAUD,
        PskModulation::Qpsk,
        0.6,
    ))
    .map_err(|e| e.to_string())?;

    let mut soft = Vec::with_capacity(2 * info_bits);
    let (mut tx, mut rx) = (Vec::new(), Vec::new());
    for block in code.chunks(1 << 15) {
        tx.clear();
        rx.clear();
        modulator.process(block, &mut tx);
        channel.process(&tx, &mut rx);
        demod.process(&rx, &mut soft);
    }
    demod.flush(&mut soft);

    // Align: which ambiguity and which pair offset make the hard decisions agree
    // with the transmitted code symbols (bit 1 ↔ positive soft value)?
    let start = 2 * SETTLE_SYMBOLS;
    if soft.len() < start + 40_000 {
        return Err(format!("only {} soft symbols came out", soft.len()));
    }
    let probe = &soft[start..start + 20_000];
    let mut best = (0usize, PhaseAmbiguity::NONE, 0usize);
    let mut corrected = Vec::with_capacity(probe.len());
    for amb in PhaseAmbiguity::qpsk_cases() {
        corrected.clear();
        amb.correct(probe, &mut corrected);
        for lag in 0..2000usize {
            // Soft pair p corresponds to code pair p + shift, shift = lag − 1000.
            let agree = corrected
                .chunks(2)
                .enumerate()
                .take(2000)
                .filter(|(p, pair)| {
                    let c = (start / 2 + p + lag).checked_sub(1000).map(|k| 2 * k);
                    match c {
                        Some(k) if k + 1 < code.len() => {
                            (pair[0] > 0) == (code[k] == 1) && (pair[1] > 0) == (code[k + 1] == 1)
                        }
                        _ => false,
                    }
                })
                .count();
            if agree > best.0 {
                best = (agree, amb, lag);
            }
        }
    }
    let (agree, amb, lag) = best;
    // Random alignment agrees on a quarter of the pairs.
    if agree < 1000 {
        return Err(format!(
            "no alignment found (best {agree} of 2000 pairs agree)"
        ));
    }
    let mut aligned = Vec::with_capacity(soft.len() - start);
    amb.correct(&soft[start..], &mut aligned);
    let mut viterbi = Viterbi::new(ViterbiConfig::METEOR).map_err(|e| e.to_string())?;
    let mut decoded = Vec::with_capacity(aligned.len() / 2);
    viterbi.process(&aligned, &mut decoded);
    viterbi.flush(&mut decoded);
    // Decoded bit j is information bit start/2 + j + lag − 1000.
    let first_info = (start / 2 + lag) as isize - 1000;
    let mut errors = 0u64;
    let mut counted = 0u64;
    for (j, &b) in decoded.iter().enumerate().skip(VITERBI_WARMUP_BITS) {
        let i = first_info + j as isize;
        // The last bits have no tail to end the trellis on: leave them out.
        if i < 0 || i as usize + 64 >= bits.len() {
            continue;
        }
        counted += 1;
        errors += u64::from(b != bits[i as usize]);
    }
    Ok(BerPoint {
        eb_n0_db,
        bits: counted,
        errors,
    })
}
