//! Coded BER from I/Q, carrier and timing recovery included, against theory.
//!
//! Theory for the k = 7, r = 1/2 code with soft-decision Viterbi on AWGN (CCSDS 130.1-G,
//! `../shared/docs/signals.md`): BER 1e-4 at about 3.7 dB and 1e-5 at about 4.2 dB
//! Eb/N0. A receiver from raw I/Q should lose under 0.5 dB: so BER ≤ 1e-4 at 4.2 dB
//! and ≤ 1e-5 at 4.7 dB, with a carrier 3 kHz off and a 50 ppm clock error.

use downlink::synth::ber::{measure, BerLink};

const LINK: BerLink = BerLink {
    carrier_offset_hz: 3_000.0,
    clock_offset_ppm: 50.0,
    seed: 2026,
};

#[test]
fn ber_within_half_a_db_of_theory_at_1e_4() {
    let p = measure(4.2, 400_000, LINK).unwrap();
    eprintln!(
        "Eb/N0 4.2 dB: {} errors in {} bits, BER {:.2e}",
        p.errors,
        p.bits,
        p.ber()
    );
    assert!(p.bits > 350_000);
    assert!(p.ber() <= 1e-4, "BER {:.2e}", p.ber());
}

#[test]
fn ber_within_half_a_db_of_theory_at_1e_5() {
    let p = measure(4.7, 1_500_000, LINK).unwrap();
    eprintln!(
        "Eb/N0 4.7 dB: {} errors in {} bits, BER {:.2e}",
        p.errors,
        p.bits,
        p.ber()
    );
    assert!(p.bits > 1_400_000);
    assert!(p.ber() <= 1e-5, "BER {:.2e}", p.ber());
}

#[test]
fn ber_falls_with_eb_n0() {
    // The measurement itself must be able to fail: at 1 dB the code cannot work.
    let low = measure(1.0, 100_000, LINK).unwrap();
    let high = measure(3.0, 100_000, LINK).unwrap();
    eprintln!("1 dB: {:.2e}, 3 dB: {:.2e}", low.ber(), high.ber());
    assert!(low.ber() > 1e-2, "BER at 1 dB is {:.2e}", low.ber());
    assert!(high.ber() < low.ber() / 10.0);
}
