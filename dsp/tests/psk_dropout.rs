//! Dropouts at the demodulator: a lost second must not leave the carrier loop
//! on the wrong frequency when the signal comes back.

mod psk_common;

use downlink_dsp::demod::PskDemod;
use downlink_dsp::modulate::GaussianNoise;
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;
use psk_common::*;

const RATE_HZ: f64 = 150e3;
const BAUD: f64 = 72e3;
const ES_N0_DB: f64 = 6.0;

/// `seconds` of `m` at `carrier_hz` (Es/N0 6 dB, +40 ppm clock).
fn signal(
    m: PskModulation,
    carrier_hz: f64,
    seconds: f64,
    seed: u64,
) -> (Scenario, Vec<Complex32>) {
    let mut s = Scenario::lrpt(m, RATE_HZ, ES_N0_DB);
    s.carrier_offset_hz = carrier_hz;
    s.clock_offset_ppm = 40.0;
    s.seed = seed;
    let bits = random_bits((2.0 * BAUD * seconds) as usize, seed);
    let x = transmit(&s, &bits);
    (s, x)
}

/// Feeds `x` in 4096-sample chunks; returns the status after each sample index in
/// `at` (in order).
fn statuses_at(
    demod: &mut PskDemod,
    x: &[Complex32],
    at: &[usize],
) -> Vec<downlink_dsp::demod::PskDemodStatus> {
    let mut soft = Vec::new();
    let mut out = Vec::new();
    let mut from = 0;
    for &end in at {
        for c in x[from..end].chunks(4096) {
            demod.process(c, &mut soft);
        }
        from = end;
        out.push(demod.status());
    }
    out
}

/// An idle 8-bit receiver in the gap: every component ±½ LSB, the LSB set so the
/// signal sits at 0.35 of full scale like a receiver with sensible gain. Those four
/// values are a "QPSK constellation" at 0 Hz to the x⁴ carrier search; searching
/// there must not move the mixer, so the signal is picked up at once on its return.
#[test]
fn quantised_silence_does_not_move_the_carrier() {
    let (s, mut x) = signal(PskModulation::Qpsk, 2500.0, 3.0, 31);
    let rms = (x.iter().map(|v| v.norm_sqr() as f64).sum::<f64>() / x.len() as f64).sqrt();
    let half_lsb = (0.5 * rms / (0.35 * 127.5)) as f32;
    let (gap_start, gap_end) = (RATE_HZ as usize, 2 * RATE_HZ as usize);
    let mut g = GaussianNoise::new(5);
    for v in &mut x[gap_start..gap_end] {
        let b = g.next_u64();
        let sign = |bit: u64| if b & bit == 0 { half_lsb } else { -half_lsb };
        *v = Complex32::new(sign(1), sign(2));
    }
    let mut demod = PskDemod::new(s.demod_config()).unwrap();
    // 0.1 s after the return.
    let back = gap_end + RATE_HZ as usize / 10;
    let st = statuses_at(&mut demod, &x, &[gap_start, gap_end, back, x.len()]);
    eprintln!("before the gap: {:?}\nend of the gap: {:?}", st[0], st[1]);
    eprintln!("0.1 s after: {:?}\nend: {:?}", st[2], st[3]);
    assert!(st[0].locked, "{:?}", st[0]);
    // Searches ran in the gap (lock was lost), but none moved the mixer.
    assert!(st[1].lock_losses >= 1, "{:?}", st[1]);
    assert!(
        (st[1].carrier_offset_hz - 2500.0).abs() < 50.0,
        "the gap moved the carrier: {:?}",
        st[1]
    );
    let return_symbol = (gap_end as f64 * BAUD / RATE_HZ) as u64;
    assert!(
        st[2].locked && st[2].locked_since_symbol.unwrap() > return_symbol,
        "not locked again 0.1 s after the return: {:?}",
        st[2]
    );
    assert!(
        (st[3].carrier_offset_hz - 2500.0).abs() < 20.0 && st[3].false_locks == 0,
        "{:?}",
        st[3]
    );
}

/// The OQPSK signal comes back 4 kHz from where it left, after a second of noise: far
/// beyond the Costas loop's pull-in. The lock detector is fooled on the way (measured:
/// one false lock, at the old carrier), yet the demodulator must end up on the new
/// carrier, locked, within half a second.
#[test]
fn a_signal_back_at_another_carrier_is_found_within_half_a_second() {
    let (s, a) = signal(PskModulation::Oqpsk, 2500.0, 1.0, 41);
    let (_, b) = signal(PskModulation::Oqpsk, -1500.0, 2.0, 42);
    // The channel's noise: N0 = (fs / fs_tx) / (Es/N0) per sample.
    let n0 = (RATE_HZ / (BAUD * TX_SPS as f64)) / 10f64.powf(ES_N0_DB / 10.0);
    let mut g = GaussianNoise::new(43);
    let mut x = a;
    x.extend((0..RATE_HZ as usize).map(|_| g.complex(n0)));
    let gap_end = x.len();
    x.extend_from_slice(&b);
    let mut demod = PskDemod::new(s.demod_config()).unwrap();
    let half = gap_end + RATE_HZ as usize / 2;
    let st = statuses_at(&mut demod, &x, &[gap_end, half, x.len()]);
    eprintln!(
        "end of the gap: {:?}\n0.5 s after: {:?}\nend: {:?}",
        st[0], st[1], st[2]
    );
    for (tag, st) in [("0.5 s after the return", &st[1]), ("at the end", &st[2])] {
        assert!(
            st.locked && (st.carrier_offset_hz + 1500.0).abs() < 30.0,
            "{tag}: {st:?}"
        );
    }
    let return_symbol = (gap_end as f64 * BAUD / RATE_HZ) as u64;
    assert!(
        st[1].locked_since_symbol.unwrap() > return_symbol,
        "{:?}",
        st[1]
    );
    // The lock that lasts is the one on the right carrier: no loss after it.
    assert_eq!(st[2].lock_losses, st[1].lock_losses, "{:?}", st[2]);
}
