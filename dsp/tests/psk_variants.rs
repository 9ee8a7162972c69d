//! OQPSK and BPSK, and symbol rates other than Meteor's: each locks and
//! demodulates to within 0.5 dB of the theoretical uncoded BER.

mod psk_common;

use downlink_dsp::sync::PskModulation;
use psk_common::*;

fn check(name: &str, s: &Scenario, n_bits: usize, eb_n0: f64) {
    let (ber, loss, st, _, _) = run_ber(s, n_bits, 10_000);
    eprintln!(
        "{name}: BER {ber:.3e} (theory {:.3e}), {loss:.2} dB from theory; locked at {:?}, \
         carrier {:+.1} Hz, clock {:+.0} ppm, SNR {:.2} dB",
        ber_theory(eb_n0),
        st.locked_since_symbol,
        st.carrier_offset_hz,
        st.clock_offset_ppm,
        st.snr_db
    );
    assert!(st.locked && st.lock_losses == 0, "{name}: {st:?}");
    assert!(st.locked_since_symbol.unwrap() <= 5000, "{name}: {st:?}");
    assert!(
        (st.carrier_offset_hz - s.carrier_offset_hz).abs() < 20.0,
        "{name}: {st:?}"
    );
    assert!(
        loss.abs() < 0.5,
        "{name}: BER {ber:.3e} is {loss:.2} dB from theory"
    );
}

#[test]
fn oqpsk_meteor_m2_3_style() {
    // Meteor-M N2-3/N2-4: OQPSK 72 kBd, α = 0.6.
    let eb_n0 = 6.8;
    for (rate, offset, ppm, seed) in [(150e3, 7000.0, 50.0, 31), (1.024e6, -9000.0, -100.0, 32)] {
        let mut s = Scenario::lrpt(PskModulation::Oqpsk, rate, eb_n0 + 3.0103);
        s.carrier_offset_hz = offset;
        s.clock_offset_ppm = ppm;
        s.seed = seed;
        check(&format!("OQPSK {rate} S/s"), &s, 300_000, eb_n0);
    }
}

#[test]
fn bpsk_at_several_symbol_rates() {
    let eb_n0 = 6.8;
    let cases = [
        // (name, baud, sample rate, roll-off, offset, ppm)
        (
            "BPSK 72 kBd at 1.024 MS/s",
            72e3,
            1.024e6,
            0.6,
            -5000.0,
            100.0,
        ),
        (
            "BPSK 128 kBd at 1.024 MS/s (GK-2A LRIT-like)",
            128e3,
            1.024e6,
            0.5,
            8000.0,
            -60.0,
        ),
        (
            "BPSK 9600 Bd at 48 kS/s (cubesat-like)",
            9600.0,
            48e3,
            0.35,
            1500.0,
            40.0,
        ),
    ];
    for (i, (name, baud, rate, alpha, offset, ppm)) in cases.into_iter().enumerate() {
        let s = Scenario {
            modulation: PskModulation::Bpsk,
            symbol_rate_baud: baud,
            sample_rate_hz: rate,
            rolloff: alpha,
            es_n0_db: eb_n0,
            carrier_offset_hz: offset,
            doppler_rate_hz_per_s: 0.0,
            clock_offset_ppm: ppm,
            phase_noise_linewidth_hz: 0.0,
            seed: 40 + i as u64,
        };
        check(name, &s, 300_000, eb_n0);
    }
}
