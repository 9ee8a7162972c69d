//! Doppler: the carrier loop (with its hand-over to the mixer) follows a
//! LEO pass's frequency ramp without losing lock or slipping cycles.

mod psk_common;

use downlink_dsp::sync::PskModulation;
use psk_common::*;

/// Meteor at 137.9 MHz: ±3 kHz of Doppler, at most ~31 Hz/s overhead
/// (signals.md). A full ±3 kHz sweep at 31 Hz/s lasts 194 s; the first test
/// covers the same ±3 kHz 32 times faster (a second-order loop's
/// tracking error grows with the ramp rate, so this is the harder case), the
/// second runs the real rate with oscillator phase noise.
#[test]
fn holds_lock_through_a_fast_sweep_over_plus_minus_3_khz() {
    let mut s = Scenario::lrpt(PskModulation::Qpsk, 150e3, 5.0);
    s.carrier_offset_hz = -3000.0;
    s.doppler_rate_hz_per_s = 1000.0;
    s.clock_offset_ppm = 30.0;
    s.seed = 21;
    // 6 s: −3000 Hz → +3000 Hz.
    let n_sym = 432_000;
    let bits = random_bits(2 * n_sym, s.seed);
    let x = transmit(&s, &bits);
    let (soft, st) = demodulate(s.demod_config(), &x, 1 << 16);
    eprintln!("sweep: {st:?}");
    let since = st.locked_since_symbol.expect("never locked") as usize;
    assert!(since <= 5000 && st.locked && st.lock_losses == 0, "{st:?}");
    // The carrier at the end: −3000 + 1000·6 Hz.
    assert!((st.carrier_offset_hz - 3000.0).abs() < 20.0, "{st:?}");
    assert_eq!(count_slips(s.modulation, &bits, &soft, since, 20_000), 0);
    let (e, n) = count_errors(s.modulation, &bits, &soft, since);
    let ber = e as f64 / n as f64;
    let loss = (s.es_n0_db - 3.0103) - eb_n0_for_ber(ber);
    eprintln!("sweep: BER {ber:.3e}, {loss:.2} dB from theory");
    assert!(loss.abs() < 0.5, "BER {ber:.3e}, {loss:.2} dB from theory");
}

#[test]
fn holds_lock_at_31_hz_per_s_with_phase_noise() {
    // 288 kS/s: 4 samples per symbol, the demodulator's native path.
    let mut s = Scenario::lrpt(PskModulation::Qpsk, 288e3, 5.0);
    s.carrier_offset_hz = 2900.0;
    s.doppler_rate_hz_per_s = -31.0;
    s.clock_offset_ppm = -80.0;
    // A 1 Hz Lorentzian linewidth is −65 dBc/Hz at 1 kHz offset, worse than
    // an RTL-SDR's tuner.
    s.phase_noise_linewidth_hz = 1.0;
    s.seed = 22;
    let n_sym = 360_000;
    let bits = random_bits(2 * n_sym, s.seed);
    let x = transmit(&s, &bits);
    let (soft, st) = demodulate(s.demod_config(), &x, 1 << 16);
    eprintln!("31 Hz/s: {st:?}");
    let since = st.locked_since_symbol.expect("never locked") as usize;
    assert!(since <= 5000 && st.locked && st.lock_losses == 0, "{st:?}");
    assert!(
        (st.carrier_offset_hz - (2900.0 - 31.0 * 5.0)).abs() < 20.0,
        "{st:?}"
    );
    assert_eq!(count_slips(s.modulation, &bits, &soft, since, 20_000), 0);
    let (e, n) = count_errors(s.modulation, &bits, &soft, since);
    let ber = e as f64 / n as f64;
    let loss = (s.es_n0_db - 3.0103) - eb_n0_for_ber(ber);
    eprintln!("31 Hz/s: BER {ber:.3e}, {loss:.2} dB from theory");
    assert!(loss.abs() < 0.5, "BER {ber:.3e}, {loss:.2} dB from theory");
}
