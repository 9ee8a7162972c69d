//! Recovery after a dropout: "a lost second of signal is recovered within 1 s".
//!
//! Each case loses one second of a Meteor-M LRPT pass in a different way a real
//! receiver sees it, and checks that RS-valid frames come back within a second of the
//! signal's return, and that no more frames are lost than the gap itself covers plus a
//! stated allowance for re-acquisition (counted against the same pass without the gap).

mod common;

use common::*;
use downlink::io::{decode_samples, SampleFormat, SampleSource};
use downlink::synth::lrpt::{LrptSource, LrptSynthConfig};
use downlink_dsp::demod::{PskDemod, PskDemodConfig};
use downlink_dsp::framing::{CcsdsDecoder, CcsdsDecoderConfig};
use downlink_dsp::modulate::GaussianNoise;
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;
use std::f64::consts::TAU;

const RATE_HZ: f64 = 150_000.0;
const BAUD: f64 = 72_000.0;
/// A CADU is 1024 bytes = 16 384 code bits = 8192 QPSK symbols.
const FRAME_S: f64 = 8192.0 / BAUD;
/// Frames a 1 s gap can touch: every frame that overlaps it is lost.
const FRAMES_IN_GAP: usize = (1.0 / FRAME_S) as usize + 2;
/// Frames each case may lose to re-acquisition after the signal returns, beyond those
/// the gap touches (the requirement allows 1 s, ~8.8 frames); what each case measures.
mod reacquire_frames {
    /// Measured −1.
    pub const ZEROS: usize = 0;
    /// Measured +1: the CCSDS decoder first locks on the OQPSK pairing the timing loop
    /// passes through while it settles, and the loop slips back within that frame. The
    /// next marker, at the other pairing, is searched for at once (+3 when the decoder
    /// waited two frame periods before searching again).
    pub const FADE_IN_NOISE: usize = 1;
    /// Measured +2: the carrier loop is still finding the moved carrier.
    pub const CARRIER_MOVED: usize = 2;
    /// Measured 0.
    pub const CU8_SILENCE: usize = 0;
}

/// RS-valid CADUs: (time in s from the start of the signal, VCDU counter).
fn decode_iq(iq: &[Complex32]) -> Vec<(f64, u32)> {
    let mut demod = PskDemod::new(PskDemodConfig::new(
        RATE_HZ,
        BAUD,
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
    let status = demod.status();
    eprintln!(
        "  demod: {} searches, {} lock losses of which {} false locks, carrier {:+.0} Hz",
        status.carrier_searches, status.lock_losses, status.false_locks, status.carrier_offset_hz
    );
    cadus
        .iter()
        .filter(|c| c.rs_ok)
        // Two soft values per symbol, at the symbol rate (the clock error is ppm).
        .map(|c| {
            let v = c.vcdu();
            (
                c.symbol_index as f64 / (2.0 * BAUD),
                u32::from_be_bytes([0, v[2], v[3], v[4]]),
            )
        })
        .collect()
}

/// Checks the frames of a pass with a gap over `[gap_start_s, gap_end_s)` against the
/// same pass without it, allowing `reacquire_frames` lost beyond those the gap touches;
/// returns (frames with the gap, frames without).
fn check_recovery(
    name: &str,
    with_gap: &[(f64, u32)],
    without: &[(f64, u32)],
    gap_start_s: f64,
    gap_end_s: f64,
    reacquire_frames: usize,
) -> (usize, usize) {
    let times: Vec<f64> = with_gap.iter().map(|f| f.0).collect();
    eprintln!("{name}: RS-valid CADUs at {times:.2?}");
    let mut counters: Vec<u32> = with_gap.iter().map(|f| f.1).collect();
    counters.sort_unstable();
    counters.dedup();
    assert_eq!(counters.len(), with_gap.len(), "{name}: a frame came twice");
    let before = times.iter().filter(|&&t| t < gap_start_s).count();
    let before_ref = without
        .iter()
        .filter(|f| f.0 < gap_start_s - FRAME_S)
        .count();
    assert!(
        before >= before_ref,
        "{name}: {before} frames before the gap, {before_ref} without it"
    );
    let back = times
        .iter()
        .copied()
        .find(|&t| t >= gap_end_s)
        .unwrap_or_else(|| panic!("{name}: no frame after the gap"))
        - gap_end_s;
    // The first frame that starts after the return ends within FRAME_S of it; "within
    // 1 s" is the requirement.
    assert!(
        back < 1.0,
        "{name}: first frame {back:.2} s after the signal returned"
    );
    let lost = without.len().saturating_sub(with_gap.len());
    eprintln!(
        "{name}: {} RS-valid CADUs with the gap, {} without; first frame {back:.3} s after \
         the return; {lost} lost (the gap touches at most {FRAMES_IN_GAP})",
        with_gap.len(),
        without.len()
    );
    assert!(
        lost <= FRAMES_IN_GAP + reacquire_frames,
        "{name}: {lost} frames lost, more than the {FRAMES_IN_GAP} the gap touches + \
         {reacquire_frames}"
    );
    (with_gap.len(), without.len())
}

/// A noise-free synthetic pass (the shipped pass's carrier, Doppler, clock error and
/// phase noise) and the complex noise power per sample that makes it `es_n0_db`.
fn clean_pass(seconds: f64, seed: u64, es_n0_db: f64) -> (Vec<Complex32>, f64) {
    let mut src = LrptSource::new(LrptSynthConfig {
        seconds,
        seed,
        es_n0_db: f64::INFINITY,
        ..LrptSynthConfig::default()
    })
    .unwrap();
    let mut iq = Vec::new();
    while src.read(&mut iq, 1 << 16).unwrap() > 0 {}
    let power = iq.iter().map(|s| s.norm_sqr() as f64).sum::<f64>() / iq.len() as f64;
    let es = power * RATE_HZ / BAUD;
    (iq, es / 10f64.powf(es_n0_db / 10.0))
}

/// Signal gain over time: 1, fading out over `fade_s` before `gap_start_s`, 0 in the
/// gap, fading back in over `fade_s` from `gap_end_s` (a pass behind a building, not
/// a switch).
fn fade(t: f64, gap_start_s: f64, gap_end_s: f64, fade_s: f64) -> f32 {
    let ramp = |x: f64| (0.5 - 0.5 * (std::f64::consts::PI * x.clamp(0.0, 1.0)).cos()) as f32;
    if t < gap_start_s {
        ramp((gap_start_s - t) / fade_s)
    } else if t < gap_end_s {
        0.0
    } else {
        ramp((t - gap_end_s) / fade_s)
    }
}

/// Signal (gated by `gain`, and shifted by `shift_hz` after `shift_from_s`) plus
/// seeded noise of `noise_power` throughout.
fn receive(
    clean: &[Complex32],
    noise_power: f64,
    seed: u64,
    gain: impl Fn(f64) -> f32,
    shift_hz: f64,
    shift_from_s: f64,
) -> Vec<Complex32> {
    let mut noise = GaussianNoise::new(seed);
    clean
        .iter()
        .enumerate()
        .map(|(n, &s)| {
            let t = n as f64 / RATE_HZ;
            let s = if t >= shift_from_s {
                let cycles = shift_hz * (t - shift_from_s);
                s * Complex32::from_polar(1.0, (TAU * cycles.fract()) as f32)
            } else {
                s
            };
            s * gain(t) + noise.complex(noise_power)
        })
        .collect()
}

/// The oldest case: exact zeros (a receiver whose samples are blanked), carrier 2.5 kHz
/// off.
#[test]
fn a_second_of_zeros_is_recovered_within_a_second() {
    let (gap_start, gap_end) = (2.5, 3.5);
    let mut src = LrptSource::new(LrptSynthConfig {
        seconds: 6.0,
        seed: 77,
        ..LrptSynthConfig::default()
    })
    .unwrap();
    let mut iq = Vec::new();
    while src.read(&mut iq, 1 << 16).unwrap() > 0 {}
    let without = decode_iq(&iq);
    for s in &mut iq[(gap_start * RATE_HZ) as usize..(gap_end * RATE_HZ) as usize] {
        *s = Complex32::new(0.0, 0.0);
    }
    let with_gap = decode_iq(&iq);
    check_recovery(
        "zeros",
        &with_gap,
        &without,
        gap_start,
        gap_end,
        reacquire_frames::ZEROS,
    );
}

/// The realistic dropout: the signal fades out and back, the receiver's noise goes on
/// through the lost second. Es/N0 6 dB, the shipped pass's impairments.
#[test]
fn a_faded_second_with_noise_going_on_is_recovered_within_a_second() {
    let (gap_start, gap_end) = (3.0, 4.0);
    let (clean, noise_power) = clean_pass(7.0, 78, 6.0);
    let without = decode_iq(&receive(&clean, noise_power, 5, |_| 1.0, 0.0, 0.0));
    let with_gap = decode_iq(&receive(
        &clean,
        noise_power,
        5,
        |t| fade(t, gap_start, gap_end, 0.05),
        0.0,
        0.0,
    ));
    check_recovery(
        "fade in noise",
        &with_gap,
        &without,
        gap_start,
        gap_end,
        reacquire_frames::FADE_IN_NOISE,
    );
}

/// After the lost second the carrier is somewhere else (a longer outage's Doppler, or
/// the receiver's LO stepped): 2.5 kHz → −1.5 kHz. Noise goes on through the gap.
#[test]
fn a_lost_second_after_which_the_carrier_moved_is_recovered_within_a_second() {
    let (gap_start, gap_end) = (3.0, 4.0);
    let shift_hz = -4000.0;
    let (clean, noise_power) = clean_pass(7.0, 79, 6.0);
    // Reference: the pass without the gap and without the move (what the receiver
    // would get at best).
    let without = decode_iq(&receive(&clean, noise_power, 6, |_| 1.0, 0.0, 0.0));
    let with_gap = decode_iq(&receive(
        &clean,
        noise_power,
        6,
        |t| fade(t, gap_start, gap_end, 0.05),
        shift_hz,
        gap_start,
    ));
    check_recovery(
        "carrier moved",
        &with_gap,
        &without,
        gap_start,
        gap_end,
        reacquire_frames::CARRIER_MOVED,
    );
}

/// The shipped cu8 pass with 1.0–2.0 s replaced by an idle 8-bit receiver's output:
/// bytes 127 and 128 at random (±½ LSB around zero). That quantisation noise is a
/// 4-point constellation whose 4th power is a line at 0 Hz, which a carrier search
/// may take for QPSK. Decoded in process (frame times) and by `decode` (the count the
/// user sees).
#[test]
fn cu8_quantised_silence_in_the_shipped_pass_is_recovered_within_a_second() {
    let (gap_start, gap_end) = (1.0, 2.0);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings");
    let bytes = std::fs::read(dir.join("meteor-lrpt-synth.sigmf-data")).unwrap();
    let mut gapped = bytes.clone();
    let mut rng = GaussianNoise::new(127);
    for b in &mut gapped[(gap_start * RATE_HZ) as usize * 2..(gap_end * RATE_HZ) as usize * 2] {
        *b = 127 + (rng.next_u64() & 1) as u8;
    }
    let to_iq = |b: &[u8]| {
        let mut iq = Vec::new();
        decode_samples(SampleFormat::Cu8, b, &mut iq);
        iq
    };
    let without = decode_iq(&to_iq(&bytes));
    let with_gap = decode_iq(&to_iq(&gapped));
    let (got, _) = check_recovery(
        "cu8 silence",
        &with_gap,
        &without,
        gap_start,
        gap_end,
        reacquire_frames::CU8_SILENCE,
    );

    // The same file through the CLI (its three demodulators and the mode choice).
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("gap.sigmf-data"), &gapped).unwrap();
    std::fs::copy(
        dir.join("meteor-lrpt-synth.sigmf-meta"),
        tmp.path().join("gap.sigmf-meta"),
    )
    .unwrap();
    let meta = tmp.path().join("gap.sigmf-meta");
    let out = tmp.path().join("out");
    let o = downlink(&[
        "decode",
        "-p",
        "meteor-lrpt",
        "--json",
        meta.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let last: serde_json::Value = serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    let value = |key: &str| {
        last["stages"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["stage"] == "meteor-lrpt")
            .and_then(|s| s["values"][key].as_f64())
            .unwrap_or_else(|| panic!("no {key} in {last}"))
    };
    let ok = value("cadus_rs_ok");
    eprintln!(
        "cu8 silence: decode --pipeline meteor-lrpt gives {ok} RS-valid CADUs, {} lock \
         losses, {} false locks",
        value("lock_losses"),
        value("false_locks")
    );
    assert!(ok as usize >= got, "CLI {ok} vs {got} in process");
    // The status says what happened: the lock was lost in the gap (and found again).
    assert!(value("lock_losses") >= 1.0, "{last}");
    assert_eq!(value("locked"), 1.0, "{last}");
}
