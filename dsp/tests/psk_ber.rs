//! Uncoded bit error rate of the PSK demodulator against theory, through a
//! seeded AWGN channel with a carrier offset and a sample-clock error.

mod psk_common;

use downlink_dsp::sync::PskModulation;
use psk_common::*;

const QPSK_ES_OVER_EB_DB: f64 = 3.010_299_956_639_812;

#[test]
fn qpsk_ber_within_half_a_db_of_theory_at_1e_minus_3() {
    // Meteor's rate and roll-off at the rate its recordings come in.
    let eb_n0 = 6.8;
    let mut s = Scenario::lrpt(PskModulation::Qpsk, 150e3, eb_n0 + QPSK_ES_OVER_EB_DB);
    s.carrier_offset_hz = 3700.0;
    s.clock_offset_ppm = 40.0;
    s.seed = 11;
    let (ber, loss, st, _, _) = run_ber(&s, 600_000, 10_000);
    eprintln!(
        "QPSK 150 kS/s, Eb/N0 {eb_n0} dB: BER {ber:.3e} (theory {:.3e}), loss {loss:.2} dB, {st:?}",
        ber_theory(eb_n0)
    );
    assert!(st.locked && st.lock_losses == 0, "{st:?}");
    assert!(st.locked_since_symbol.unwrap() < 5000, "{st:?}");
    assert!(
        loss.abs() < 0.5,
        "BER {ber:.3e} is {loss:.2} dB from theory"
    );
}

#[test]
fn qpsk_ber_within_one_db_of_theory_at_1e_minus_4() {
    let eb_n0 = 8.4;
    let mut s = Scenario::lrpt(PskModulation::Qpsk, 1.024e6, eb_n0 + QPSK_ES_OVER_EB_DB);
    s.carrier_offset_hz = -5000.0;
    s.clock_offset_ppm = -100.0;
    s.seed = 12;
    let (ber, loss, st, _, _) = run_ber(&s, 1_000_000, 10_000);
    eprintln!("QPSK 1.024 MS/s, Eb/N0 {eb_n0} dB: BER {ber:.3e} (theory {:.3e}), loss {loss:.2} dB, {st:?}", ber_theory(eb_n0));
    assert!(st.locked && st.lock_losses == 0, "{st:?}");
    assert!(
        loss.abs() < 1.0,
        "BER {ber:.3e} is {loss:.2} dB from theory"
    );
    // Enough errors that the comparison means something.
    assert!(ber * 1e6 > 30.0, "BER {ber:.3e}");
}

#[test]
fn theory_helpers_match_known_values() {
    // Q(√(2·Eb/N0)): 9.6 dB → 1e-5 (signals.md table, rounded), 6.8 dB → 1e-3.
    assert!(
        (ber_theory(9.6) / 1.0e-5 - 1.0).abs() < 0.05,
        "{}",
        ber_theory(9.6)
    );
    assert!(
        (ber_theory(6.79) / 1.0e-3 - 1.0).abs() < 0.03,
        "{}",
        ber_theory(6.79)
    );
    assert!((eb_n0_for_ber(ber_theory(4.2)) - 4.2).abs() < 1e-9);
    assert!((erfc(0.0) - 1.0).abs() < 1e-7 && (erfc(-1.0) - 1.842_700_79).abs() < 1e-6);
}
