//! Frames from I/Q at the edge of the code: Eb/N0 = 3.0 dB (Es/N0 = 3.0 dB for QPSK
//! with the rate-1/2 code), carrier and timing recovered from the signal, Doppler,
//! clock error and phase noise included. The concatenated code (k = 7 Viterbi +
//! RS(255,223) × 4) should still deliver at least 99.9 % of the frames.

use downlink::io::SampleSource;
use downlink::synth::lrpt::{LrptSource, LrptSynthConfig};
use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::framing::{CcsdsDecoder, CcsdsDecoderConfig};
use downlink_dsp::sync::PskModulation;

#[test]
fn at_3db_from_iq_at_least_999_of_1000_cadus_pass_rs() {
    let rate = 150_000.0;
    let mut src = LrptSource::new(LrptSynthConfig {
        // 1 000 frames of 0.114 s, plus the first search.
        seconds: 116.0,
        es_n0_db: 3.0,
        seed: 3003,
        ..LrptSynthConfig::default()
    })
    .unwrap();
    let mut demod = PskDemod::new(PskDemodConfig::new(
        rate,
        72_000.0,
        PskModulation::Oqpsk,
        0.6,
    ))
    .unwrap();
    let mut decoder = CcsdsDecoder::new(CcsdsDecoderConfig::meteor_lrpt_differential()).unwrap();
    let (mut iq, mut soft, mut cadus) = (Vec::new(), Vec::new(), Vec::new());
    loop {
        iq.clear();
        if src.read(&mut iq, 1 << 16).unwrap() == 0 {
            break;
        }
        soft.clear();
        demod.process(&iq, &mut soft);
        decoder.process(&soft, &mut cadus);
    }
    soft.clear();
    demod.flush(&mut soft);
    decoder.process(&soft, &mut cadus);
    decoder.flush(&mut cadus);

    let sent = src.frames();
    // The VCDU counter (bytes 2..5 of the VCDU) numbers the frames sent: every valid
    // one is distinct, so duplicates or miscorrections cannot inflate the count.
    let mut counters: Vec<u32> = cadus
        .iter()
        .filter(|c| c.rs_ok)
        .map(|c| {
            let v = c.vcdu();
            u32::from_be_bytes([0, v[2], v[3], v[4]])
        })
        .collect();
    let valid = counters.len();
    counters.sort_unstable();
    counters.dedup();
    let stats = decoder.stats();
    eprintln!(
        "Es/N0 3.0 dB: {valid} of {sent} CADUs pass RS ({} RS-failed, {} with corrections), {} locks",
        stats.rs_failed, stats.rs_corrected_cadus, stats.locks
    );
    assert_eq!(counters.len(), valid, "a frame was delivered twice");
    assert!(sent >= 1000, "only {sent} frames sent");
    // The last frame may be cut by the end of the recording.
    assert!(
        valid as f64 >= 0.999 * (sent - 1) as f64,
        "only {valid} of {sent} CADUs passed RS; {stats:?}"
    );
    assert!(
        stats.rs_corrected_cadus > 50,
        "3 dB must need Reed–Solomon often: {stats:?}"
    );
}
