//! The CCSDS chain end to end on synthetic signals with a seeded AWGN channel:
//! CcsdsEncoder → code symbols → ±1 + Gaussian noise at a given Eb/N0 → 8-bit soft
//! symbols → (phase ambiguity) → CcsdsDecoder.

use downlink_dsp::fec::{ConvEncoder, ConvEncoderConfig, Viterbi, ViterbiConfig};
use downlink_dsp::framing::{
    Cadu, CcsdsDecoder, CcsdsDecoderConfig, CcsdsEncoder, CcsdsEncoderConfig, CcsdsStats,
    PhaseAmbiguity, SoftMapping,
};

/// SplitMix64 uniform generator with Box–Muller Gaussians: small, seeded, portable.
struct Channel {
    state: u64,
    spare: Option<f64>,
}

impl Channel {
    fn new(seed: u64) -> Self {
        Self {
            state: seed,
            spare: None,
        }
    }

    fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    }

    fn gaussian(&mut self) -> f64 {
        if let Some(g) = self.spare.take() {
            return g;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let t = std::f64::consts::TAU * self.uniform();
        self.spare = Some(r * t.sin());
        r * t.cos()
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| self.next_u64() as u8).collect()
    }

    /// Code symbols (0/1) → soft i8 at `eb_n0_db` for a rate-1/2 code: each symbol is one
    /// real dimension, ±1 plus noise of variance 1 / (2 Es/N0), scaled by 32.
    fn soft(&mut self, symbols: &[u8], eb_n0_db: f64) -> Vec<i8> {
        let es_n0 = 10f64.powf(eb_n0_db / 10.0) * 0.5;
        let sigma = (1.0 / (2.0 * es_n0)).sqrt();
        symbols
            .iter()
            .map(|&s| {
                let x = if s == 1 { 1.0 } else { -1.0 } + sigma * self.gaussian();
                (x * 32.0).round().clamp(-127.0, 127.0) as i8
            })
            .collect()
    }
}

/// Q(x) = erfc(x/√2)/2 with the Numerical Recipes erfc (relative error < 1.2e-7).
fn q_function(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.5 * z.abs());
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let erfc = t * poly.exp();
    0.5 * if z >= 0.0 { erfc } else { 2.0 - erfc }
}

/// Applies, to each I/Q pair, the channel rotation that `correction` undoes.
fn apply_channel(soft: &mut [i8], correction: PhaseAmbiguity) {
    let channel = correction.inverse();
    for p in soft.chunks_exact_mut(2) {
        let (i, q) = channel.correct_pair(p[0], p[1]);
        p[0] = i;
        p[1] = q;
    }
}

/// A frame payload that looks like a VCDU (version 01 header) so it is never constant.
fn payload(ch: &mut Channel, len: usize, index: u32) -> Vec<u8> {
    let mut d = ch.bytes(len);
    d[0] = 0x40;
    d[1] = 0x05;
    d[2..6].copy_from_slice(&index.to_be_bytes());
    d
}

struct Burst {
    symbols: Vec<u8>,
    sent: Vec<Vec<u8>>,
}

/// `frames` frames of random data after `lead_bytes` of random wire bytes, followed by
/// `tail_bytes` more, all as code symbols.
fn burst(
    config: &CcsdsDecoderConfig,
    ch: &mut Channel,
    frames: u32,
    lead_bytes: usize,
    tail_bytes: usize,
) -> Burst {
    let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(config)).unwrap();
    let mut symbols = Vec::new();
    enc.encode_wire_bytes(&ch.bytes(lead_bytes), &mut symbols);
    let mut sent = Vec::new();
    for k in 0..frames {
        let data = payload(ch, enc.data_len(), k);
        enc.encode_frame(&data, &mut symbols).unwrap();
        sent.push(data);
    }
    enc.encode_wire_bytes(&ch.bytes(tail_bytes), &mut symbols);
    Burst { symbols, sent }
}

fn run(config: CcsdsDecoderConfig, soft: &[i8], chunk: usize) -> (Vec<Cadu>, CcsdsStats) {
    let mut dec = CcsdsDecoder::new(config).unwrap();
    let mut out = Vec::new();
    for c in soft.chunks(chunk.max(1)) {
        dec.process(c, &mut out);
    }
    dec.flush(&mut out);
    (out, dec.stats())
}

/// Every RS-valid CADU must carry a payload that was sent; returns how many did.
fn count_valid(cadus: &[Cadu], sent: &[Vec<u8>]) -> usize {
    let valid: Vec<&Cadu> = cadus.iter().filter(|c| c.rs_ok).collect();
    for c in &valid {
        let index = u32::from_be_bytes(c.vcdu()[2..6].try_into().unwrap()) as usize;
        assert!(index < sent.len(), "frame index {index} out of range");
        assert_eq!(c.vcdu(), &sent[index][..], "miscorrected frame {index}");
    }
    valid.len()
}

#[test]
fn qpsk_at_3db_passes_at_least_999_of_1000_frames() {
    let config = CcsdsDecoderConfig::meteor_lrpt();
    let mut ch = Channel::new(0x5EED_0003);
    let b = burst(&config, &mut ch, 1000, 100, 64);
    let mut soft = ch.soft(&b.symbols, 3.0);
    apply_channel(
        &mut soft,
        PhaseAmbiguity {
            swap_iq: true,
            rotation_quarters: 3,
            symbol_offset: 0,
        },
    );
    let (cadus, stats) = run(config, &soft, 1 << 16);
    let valid = count_valid(&cadus, &b.sent);
    assert!(valid >= 999, "only {valid}/1000 CADUs passed RS; {stats:?}");
    assert_eq!(stats.rs_ok as usize, valid);
    assert_eq!(stats.locks, 1, "{stats:?}");
    assert!(
        stats.rs_corrected_cadus > 100,
        "3 dB should need RS often: {stats:?}"
    );
}

#[test]
fn resolves_all_eight_qpsk_ambiguities() {
    let config = CcsdsDecoderConfig::ccsds(SoftMapping::Qpsk, 4);
    for (k, case) in PhaseAmbiguity::qpsk_cases().into_iter().enumerate() {
        let mut ch = Channel::new(100 + k as u64);
        let b = burst(&config, &mut ch, 3, 37 * k + 8, 64);
        let mut soft = ch.soft(&b.symbols, 5.0);
        apply_channel(&mut soft, case);
        let (cadus, stats) = run(config, &soft, 5000);
        assert_eq!(stats.ambiguity, Some(case), "case {k}");
        assert_eq!(count_valid(&cadus, &b.sent), 3, "case {k}: {stats:?}");
        assert!(cadus.iter().all(|c| c.ambiguity == case && !c.inverted));
    }
}

#[test]
fn resolves_bpsk_inversion_and_pair_alignment() {
    let config = CcsdsDecoderConfig::ccsds(SoftMapping::Bpsk, 1);
    for offset in 0..2u8 {
        for inverted in [false, true] {
            let mut ch = Channel::new(7 + offset as u64 * 2 + inverted as u64);
            let b = burst(&config, &mut ch, 4, 20, 64);
            let mut soft = ch.soft(&b.symbols, 5.0);
            if inverted {
                soft.iter_mut().for_each(|s| *s = -(*s).max(-127));
            }
            if offset == 1 {
                soft.insert(0, 55);
            }
            let (cadus, stats) = run(config, &soft, 999);
            let found = stats.ambiguity.unwrap();
            assert_eq!(found.symbol_offset, offset);
            assert_eq!(found.rotation_quarters, if inverted { 2 } else { 0 });
            assert_eq!(
                count_valid(&cadus, &b.sent),
                4,
                "offset {offset} inverted {inverted}"
            );
        }
    }
}

#[test]
fn differential_mode_survives_phase_flip() {
    let config = CcsdsDecoderConfig::meteor_lrpt_differential();
    let mut ch = Channel::new(42);
    let b = burst(&config, &mut ch, 6, 50, 64);
    let mut soft = ch.soft(&b.symbols, 4.0);
    apply_channel(
        &mut soft,
        PhaseAmbiguity {
            swap_iq: false,
            rotation_quarters: 2,
            symbol_offset: 0,
        },
    );
    let (cadus, stats) = run(config, &soft, 4096);
    assert_eq!(count_valid(&cadus, &b.sent), 6, "{stats:?}");
}

#[test]
fn chunking_never_changes_cadus_or_stats() {
    // Two bursts with different phases and noise in between, so the decoder locks, loses
    // lock, searches and locks again: every decision point must be chunk-independent.
    let config = CcsdsDecoderConfig::meteor_lrpt();
    let mut ch = Channel::new(2024);
    let first = burst(&config, &mut ch, 5, 30, 0);
    let second = burst(&config, &mut ch, 5, 40, 64);
    let mut soft = ch.soft(&first.symbols, 3.5);
    apply_channel(
        &mut soft,
        PhaseAmbiguity {
            swap_iq: false,
            rotation_quarters: 1,
            symbol_offset: 0,
        },
    );
    // 3 frame periods of pure noise.
    soft.extend((0..3 * 16384).map(|_| (ch.gaussian() * 40.0).clamp(-127.0, 127.0) as i8));
    let mut tail = ch.soft(&second.symbols, 3.5);
    apply_channel(
        &mut tail,
        PhaseAmbiguity {
            swap_iq: true,
            rotation_quarters: 0,
            symbol_offset: 0,
        },
    );
    soft.extend(tail);
    let (reference, stats) = run(config, &soft, soft.len());
    assert_eq!(stats.locks, 2, "{stats:?}");
    assert_eq!(stats.unlocks, 1, "{stats:?}");
    // The first lock flywheels through the noise for max_misses (4) frame periods, the
    // last of which covers the first frame of the second burst: that one is lost; the
    // four flywheel frames fail RS; everything else decodes.
    assert_eq!(
        (stats.cadus, stats.rs_ok, stats.rs_failed),
        (13, 9, 4),
        "{stats:?}"
    );
    let first_ok: Vec<bool> = reference.iter().take(5).map(|c| c.rs_ok).collect();
    assert_eq!(first_ok, vec![true; 5]);
    assert_eq!(count_valid(&reference[..5], &first.sent), 5);
    assert_eq!(count_valid(&reference[9..], &second.sent), 4);
    for chunk in [1usize, 13, 4096] {
        let (cadus, s) = run(config, &soft, chunk);
        assert_eq!(s, stats, "chunk {chunk}");
        assert_eq!(cadus, reference, "chunk {chunk}");
    }
}

/// Six frames after half a frame period of noise, delivered one soft symbol late (the
/// odd pair alignment) until the middle of frame `slip_frame`, where one soft symbol is
/// dropped (the even alignment from there on): what an OQPSK receiver whose timing loop
/// is settling, or slips, does. Returns the decoded CADUs and statistics after checking
/// that chunking changes neither, and that every RS-valid CADU is one that was sent.
fn slip_case(slip_frame: usize) -> (Vec<Cadu>, CcsdsStats) {
    let config = CcsdsDecoderConfig::meteor_lrpt_differential();
    let mut ch = Channel::new(0xFADE);
    let lead_bytes = 20;
    let b = burst(&config, &mut ch, 6, lead_bytes, 64);
    // The noise has an odd length: it puts the signal's pairs at the odd alignment.
    let mut soft: Vec<i8> = (0..8193)
        .map(|_| (ch.gaussian() * 40.0).clamp(-127.0, 127.0) as i8)
        .collect();
    let mut signal = ch.soft(&b.symbols, 4.0);
    apply_channel(
        &mut signal,
        PhaseAmbiguity {
            swap_iq: false,
            rotation_quarters: 2,
            symbol_offset: 0,
        },
    );
    signal.remove(lead_bytes * 16 + slip_frame * 16_384 + 8_000);
    soft.extend(signal);
    let (reference, stats) = run(config, &soft, soft.len());
    let valid = reference.iter().filter(|c| c.rs_ok).count();
    assert_eq!(count_valid(&reference, &b.sent), valid);
    for chunk in [1usize, 13, 4096] {
        let (cadus, s) = run(config, &soft, chunk);
        assert_eq!(s, stats, "chunk {chunk}");
        assert_eq!(cadus, reference, "chunk {chunk}");
    }
    (reference, stats)
}

fn frame_indices(cadus: &[Cadu]) -> Vec<u32> {
    cadus
        .iter()
        .filter(|c| c.rs_ok)
        .map(|c| u32::from_be_bytes(c.vcdu()[2..6].try_into().unwrap()))
        .collect()
}

#[test]
fn pair_alignment_slip_after_a_fade_loses_only_the_slipped_frame() {
    // After a fade the decoder locks on the first marker at the odd alignment, then the
    // timing slips within that frame: it is lost, and the next marker, one soft symbol
    // off the grid at the even alignment, must be searched for at once (waiting for the
    // lock to time out lost the next two frames).
    let (cadus, stats) = slip_case(0);
    assert_eq!(frame_indices(&cadus), vec![1, 2, 3, 4, 5], "{stats:?}");
    let offsets: Vec<u8> = cadus.iter().map(|c| c.ambiguity.symbol_offset).collect();
    assert_eq!(offsets, vec![1, 0, 0, 0, 0, 0]);
    // Frame 0 was cut and failed RS; nothing else was cut.
    assert_eq!((stats.locks, stats.unlocks), (2, 1), "{stats:?}");
    assert_eq!((stats.cadus, stats.rs_failed), (6, 1), "{stats:?}");
}

#[test]
fn pair_alignment_slip_in_a_confirmed_lock_loses_only_the_slipped_frame() {
    // The slip comes in frame 2, after two markers confirmed the lock: the missed
    // marker 3 is found one soft symbol early at the other alignment and the decoder
    // relocks there, instead of cutting four flywheel frames on the old grid.
    let (cadus, stats) = slip_case(2);
    assert_eq!(frame_indices(&cadus), vec![0, 1, 3, 4, 5], "{stats:?}");
    let offsets: Vec<u8> = cadus.iter().map(|c| c.ambiguity.symbol_offset).collect();
    assert_eq!(offsets, vec![1, 1, 1, 0, 0, 0]);
    assert_eq!((stats.locks, stats.unlocks), (2, 1), "{stats:?}");
    assert_eq!((stats.cadus, stats.rs_failed), (6, 1), "{stats:?}");
}

#[test]
fn constant_frames_are_never_counted_valid() {
    // All-zero and all-0xFF codeblocks are RS codewords. Sent properly (randomised), they
    // decode and pass RS, and must be rejected as constant. Sent raw after the ASM (a dead
    // modulator), they de-randomise to the PN sequence or its complement, which are RS
    // codewords too at interleave 4: also rejected.
    let config = CcsdsDecoderConfig::meteor_lrpt();
    let mut ch = Channel::new(9);
    let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&config)).unwrap();
    let n = enc.data_len();
    let mut symbols = Vec::new();
    enc.encode_wire_bytes(&ch.bytes(80), &mut symbols);
    let mut sent = Vec::new();
    let mut normal = |enc: &mut CcsdsEncoder, symbols: &mut Vec<u8>, ch: &mut Channel| {
        let d = payload(ch, n, sent.len() as u32);
        enc.encode_frame(&d, symbols).unwrap();
        sent.push(d);
    };
    normal(&mut enc, &mut symbols, &mut ch);
    enc.encode_frame(&vec![0x00; n], &mut symbols).unwrap();
    normal(&mut enc, &mut symbols, &mut ch);
    enc.encode_frame(&vec![0xFF; n], &mut symbols).unwrap();
    normal(&mut enc, &mut symbols, &mut ch);
    for fill in [0x00u8, 0xFF] {
        let mut raw = 0x1ACF_FC1Du32.to_be_bytes().to_vec();
        raw.extend(std::iter::repeat_n(fill, 1020));
        enc.encode_wire_bytes(&raw, &mut symbols);
        normal(&mut enc, &mut symbols, &mut ch);
    }
    enc.encode_wire_bytes(&ch.bytes(64), &mut symbols);
    let soft = ch.soft(&symbols, 6.0);
    let (cadus, stats) = run(config, &soft, soft.len());
    assert_eq!(stats.cadus, 9, "{stats:?}");
    assert_eq!(stats.rs_ok, 5, "{stats:?}");
    assert_eq!(stats.constant_rejected, 4, "{stats:?}");
    assert_eq!(stats.rs_failed, 0, "{stats:?}");
    assert_eq!(count_valid(&cadus, &sent), 5);
    assert!(cadus
        .iter()
        .filter(|c| c.rs_ok)
        .all(|c| c.data.iter().any(|&b| b != c.data[0])));

    // Without the randomizer the all-zero frame is the zero codeword on the wire.
    let mut plain = config;
    plain.derandomize = false;
    let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&plain)).unwrap();
    let mut symbols = Vec::new();
    enc.encode_wire_bytes(&ch.bytes(80), &mut symbols);
    let good = payload(&mut ch, n, 0);
    enc.encode_frame(&good, &mut symbols).unwrap();
    enc.encode_frame(&vec![0x00; n], &mut symbols).unwrap();
    enc.encode_frame(&vec![0xFF; n], &mut symbols).unwrap();
    enc.encode_frame(&good, &mut symbols).unwrap();
    enc.encode_wire_bytes(&ch.bytes(64), &mut symbols);
    let soft = ch.soft(&symbols, 6.0);
    let (_, stats) = run(plain, &soft, 10_000);
    assert_eq!(
        (stats.cadus, stats.rs_ok, stats.constant_rejected),
        (4, 2, 2),
        "{stats:?}"
    );
}

#[test]
fn viterbi_ber_at_4db_is_below_1e4_and_channel_estimate_matches_theory() {
    let eb_n0_db = 4.0;
    let bits_total = 2_000_000;
    let mut ch = Channel::new(0xB17);
    let bits: Vec<u8> = (0..bits_total).map(|_| (ch.next_u64() & 1) as u8).collect();
    let mut symbols = Vec::new();
    ConvEncoder::new(ConvEncoderConfig::CCSDS).process(&bits, &mut symbols);
    let soft = ch.soft(&symbols, eb_n0_db);
    let mut vit = Viterbi::new(ViterbiConfig::CCSDS).unwrap();
    let mut out = Vec::new();
    vit.process(&soft, &mut out);
    vit.flush(&mut out);
    assert_eq!(out.len(), bits.len());
    let errors = out.iter().zip(&bits).filter(|(a, b)| a != b).count();
    let ber = errors as f64 / bits_total as f64;
    // Soft-decision K=7 r=1/2 decoding reaches 1e-5 near 4.4 dB; at 4 dB it is a few 1e-5.
    assert!(ber < 1e-4, "BER {ber} at {eb_n0_db} dB");
    assert!(errors > 0, "a 2 Mbit run at 4 dB should show some errors");
    // The re-encoding estimate must match the raw channel error rate Q(√(2Es/N0)).
    let es_n0 = 10f64.powf(eb_n0_db / 10.0) * 0.5;
    let theory = q_function((2.0 * es_n0).sqrt());
    let measured = vit.stats().ber();
    assert!(
        (measured / theory - 1.0).abs() < 0.03,
        "channel BER {measured} vs theory {theory}"
    );
}
