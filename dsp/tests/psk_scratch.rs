mod psk_common;
use downlink_dsp::sync::PskModulation;
use psk_common::*;
#[test]
fn scratch() {
    for (rate, ebn0) in [(288e3, 6.8), (150e3, 6.8), (1.024e6, 6.8)] {
        let mut s = Scenario::lrpt(PskModulation::Qpsk, rate, ebn0 + 3.0103);
        s.carrier_offset_hz = 2345.0;
        let bits = random_bits(400_000, 3);
        let t0 = std::time::Instant::now();
        let x = transmit(&s, &bits);
        let t1 = t0.elapsed();
        let (soft, st) = demodulate(s.demod_config(), &x, 1 << 16);
        let t2 = t0.elapsed();
        let (e, n) = count_errors(s.modulation, &bits, &soft, 20000);
        eprintln!(
            "rate {rate}: tx {:?} demod {:?} ber {} theory {} status {:?}",
            t1,
            t2 - t1,
            e as f64 / n as f64,
            ber_theory(ebn0),
            st
        );
    }
}
