//! Recovery after a dropout.

/// A second of lost signal (a dropout: the receiver gets nothing) in the middle of a
/// pass: frames must come back within a second of the signal's return.
#[test]
fn a_lost_second_of_signal_is_recovered_within_a_second() {
    use downlink::io::SampleSource;
    use downlink::synth::lrpt::{LrptSource, LrptSynthConfig};
    use downlink_dsp::demod::{PskDemod, PskDemodConfig};
    use downlink_dsp::framing::{CcsdsDecoder, CcsdsDecoderConfig};
    use downlink_dsp::sync::PskModulation;

    let rate = 150_000.0;
    let mut src = LrptSource::new(LrptSynthConfig {
        seconds: 6.0,
        seed: 77,
        ..LrptSynthConfig::default()
    })
    .unwrap();
    let mut iq = Vec::new();
    while src.read(&mut iq, 1 << 16).unwrap() > 0 {}
    let (gap_start, gap_end) = (2.5, 3.5);
    for s in &mut iq[(gap_start * rate) as usize..(gap_end * rate) as usize] {
        *s = num_complex::Complex32::new(0.0, 0.0);
    }
    let mut demod = PskDemod::new(PskDemodConfig::new(
        rate,
        72_000.0,
        PskModulation::Oqpsk,
        0.6,
    ))
    .unwrap();
    let mut decoder = CcsdsDecoder::new(CcsdsDecoderConfig::meteor_lrpt_differential()).unwrap();
    let (mut soft, mut cadus) = (Vec::new(), Vec::new());
    for chunk in iq.chunks(8192) {
        soft.clear();
        demod.process(chunk, &mut soft);
        decoder.process(&soft, &mut cadus);
    }
    soft.clear();
    demod.flush(&mut soft);
    decoder.process(&soft, &mut cadus);
    decoder.flush(&mut cadus);
    // Soft symbols run at 2 × 72 000 per second of signal.
    let times: Vec<f64> = cadus
        .iter()
        .filter(|c| c.rs_ok)
        .map(|c| c.symbol_index as f64 / 144_000.0)
        .collect();
    let before = times.iter().filter(|&&t| t < gap_start).count();
    let first_after = times.iter().copied().find(|&t| t >= gap_end);
    eprintln!("RS-valid CADUs at {times:.2?}");
    assert!(before >= 15, "only {before} frames before the gap");
    let back = first_after.expect("no frame after the gap") - gap_end;
    // A frame lasts 0.114 s: the first whole frame after the gap starts within that.
    assert!(
        back < 1.0,
        "first frame {back:.2} s after the signal returned"
    );
    let after = times.iter().filter(|&&t| t >= gap_end + 1.0).count();
    assert!(after >= 12, "only {after} frames in the last 1.5 s");
}
