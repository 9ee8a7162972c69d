use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::sync::*;
use num_complex::Complex32;
#[test]
fn scratch_meteor() {
    let bytes = std::fs::read("/work/shared/recordings/lrpt-m2-iq-wav/meteor.wav").unwrap();
    let iq: Vec<Complex32> = bytes[44..]
        .chunks_exact(2)
        .map(|p| Complex32::new((p[0] as f32 - 127.5) / 127.5, (p[1] as f32 - 127.5) / 127.5))
        .collect();
    let mut d = PskDemod::new(PskDemodConfig::new(150e3, 72e3, PskModulation::Qpsk, 0.6)).unwrap();
    let mut soft = Vec::new();
    for (i, c) in iq.chunks(3750).enumerate().take(80) {
        d.process(c, &mut soft);
        let st = d.status();
        eprintln!("t {:.3}: f {:.1} locked {} metric {:.3} snr {:.2} searches {} losses {} conf {:.1} {} ppm {:.0}", (i+1) as f64 * 0.025, st.carrier_offset_hz, st.locked, st.lock_metric, st.snr_db, st.carrier_searches, st.lock_losses, st.carrier_confidence, st.carrier_detected, st.clock_offset_ppm);
    }
}
