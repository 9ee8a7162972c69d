//! Golden tests of the CCSDS concatenated decoder on real recordings from the project's
//! shared/recordings folder (used in place through CARGO_MANIFEST_DIR, never copied).

use std::path::PathBuf;

use downlink_dsp::fec::{ReedSolomon, ReedSolomonConfig, RsBasis, RsError};
use downlink_dsp::framing::{Cadu, CcsdsDecoder, CcsdsDecoderConfig, CcsdsStats, PhaseAmbiguity};

/// Reads a recording, or explains where to get it: under CI (CI=true) a missing file is
/// a failure, elsewhere the test prints a notice and returns.
fn recording(relative: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/recordings")
        .join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            let msg = format!(
                "recording {} not readable ({e}); get it from the project's shared/recordings \
                 folder, which sits beside the checkout",
                path.display()
            );
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("{msg}");
            }
            eprintln!("skipping: {msg}");
            None
        }
    }
}

fn as_soft(bytes: &[u8]) -> Vec<i8> {
    bytes.iter().map(|&b| b as i8).collect()
}

/// Packed hard decisions, MSB first, as soft symbols: bit 1 → +127, bit 0 → −127 (the
/// mapping of jradio's HardToSoft, up to its −128).
fn unpack_hard(bytes: &[u8]) -> Vec<i8> {
    bytes
        .iter()
        .flat_map(|&b| {
            (0..8)
                .rev()
                .map(move |k| if (b >> k) & 1 == 1 { 127i8 } else { -127 })
        })
        .collect()
}

fn decode(config: CcsdsDecoderConfig, soft: &[i8], chunk: usize) -> (Vec<Cadu>, CcsdsStats) {
    let mut dec = CcsdsDecoder::new(config).unwrap();
    let mut out = Vec::new();
    for c in soft.chunks(chunk.max(1)) {
        dec.process(c, &mut out);
    }
    dec.flush(&mut out);
    (out, dec.stats())
}

/// The second line of an expected/frames.hex file as bytes.
fn hex_line(text: &str) -> Vec<u8> {
    let line = text.lines().find(|l| !l.starts_with('#')).unwrap().trim();
    (0..line.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&line[i..i + 2], 16).unwrap())
        .collect()
}

/// The `rawData` array (signed bytes) of a jradio VCDU JSON file.
fn json_raw_data(text: &str) -> Vec<u8> {
    let start = text.find("\"rawData\"").expect("rawData key");
    let open = start + text[start..].find('[').unwrap();
    let close = open + text[open..].find(']').unwrap();
    text[open + 1..close]
        .split(',')
        .map(|v| v.trim().parse::<i16>().unwrap() as u8)
        .collect()
}

#[test]
fn lrpt_8bitsoft_first_vcdu_matches_jradio() {
    let (Some(raw), Some(expected)) = (
        recording("lrpt-m2-soft-8bitsoft/8bitsoft.s"),
        recording("lrpt-m2-soft-8bitsoft/expected/vcdu.bin"),
    ) else {
        return;
    };
    let soft = as_soft(&raw);
    let (cadus, stats) = decode(CcsdsDecoderConfig::meteor_lrpt(), &soft, soft.len());
    // One CADU fits in the 32640 symbols: ASM at symbol 2790, data from 2854 (jradio's
    // beginSample), the next ASM at 19174 with too few symbols after it.
    assert_eq!(cadus.len(), 1);
    let cadu = &cadus[0];
    assert!(cadu.rs_ok);
    assert_eq!(cadu.rs_corrected, 0);
    assert_eq!(cadu.symbol_index, 2790);
    assert_eq!(cadu.vcdu(), &expected[..]);
    assert_eq!(stats.rs_ok, 1);
    assert_eq!(stats.rs_failed, 0);
    // The recording's phase: a 180° rotation of I+jQ relative to "positive = 1".
    assert_eq!(
        stats.ambiguity,
        Some(PhaseAmbiguity {
            swap_iq: false,
            rotation_quarters: 2,
            symbol_offset: 0
        })
    );
    // Clean recording: the Viterbi's channel error estimate is small.
    assert!(cadu.viterbi_ber < 0.01, "ber {}", cadu.viterbi_ber);
    // Same result whatever the chunking.
    for chunk in [1usize, 13, 4096] {
        let (c, s) = decode(CcsdsDecoderConfig::meteor_lrpt(), &soft, chunk);
        assert_eq!(c, cadus, "chunk {chunk}");
        assert_eq!(s, stats, "chunk {chunk}");
    }
}

#[test]
fn lrpt_m22_hard_differential_matches_jradio() {
    let (Some(raw), Some(json), Some(hex)) = (
        recording("lrpt-m22-hard-72k/meteormn22_72k.hard"),
        recording("lrpt-m22-hard-72k/expected/MeteorMN22_72k.json"),
        recording("lrpt-m22-hard-72k/expected/frames.hex"),
    ) else {
        return;
    };
    let expected = json_raw_data(&String::from_utf8(json).unwrap());
    assert_eq!(expected.len(), 892);
    assert_eq!(hex_line(&String::from_utf8(hex).unwrap()), expected);
    let soft = unpack_hard(&raw);
    let (cadus, stats) = decode(
        CcsdsDecoderConfig::meteor_lrpt_differential(),
        &soft,
        1 << 14,
    );
    let first = cadus.iter().find(|c| c.rs_ok).expect("an RS-valid CADU");
    assert_eq!(first.vcdu(), &expected[..]);
    // 152000 hard symbols hold 8 whole CADUs; every one passes Reed-Solomon.
    assert_eq!(stats.cadus, 8);
    assert_eq!(stats.rs_ok, 8);
    assert_eq!(stats.rs_failed, 0);
    // VCDU counters (bytes 2..5) run on by one.
    let counters: Vec<u32> = cadus
        .iter()
        .map(|c| u32::from_be_bytes([0, c.data[2], c.data[3], c.data[4]]))
        .collect();
    assert!(
        counters.windows(2).all(|w| w[1] == w[0] + 1),
        "{counters:?}"
    );
    // Without NRZ-M decoding nothing decodes: the mode matters.
    let (plain, plain_stats) = decode(CcsdsDecoderConfig::meteor_lrpt(), &soft, soft.len());
    assert!(plain.iter().all(|c| !c.rs_ok));
    assert_eq!(plain_stats.rs_ok, 0);
}

#[test]
fn fy3g_cadu_fails_reed_solomon_in_every_ccsds_layout() {
    // SatDump's FengYun-3 AHRPT decoder de-randomises the 1020 bytes and corrects them with
    // RS (255,223), dual basis, interleave 4, then writes the CADU whether or not the
    // correction succeeded. This one is an idle frame (version 1, VCID 63), and none of its
    // four codewords decodes, in either basis, with or without re-randomising: it is not an
    // RS-valid CADU and must not be counted as one.
    let Some(raw) = recording("cadu-fy3g/fy3.cadu") else {
        return;
    };
    assert_eq!(raw.len(), 1024);
    assert_eq!(&raw[..4], &[0x1A, 0xCF, 0xFC, 0x1D]);
    let version = raw[4] >> 6;
    let vcid = raw[5] & 0x3F;
    assert_eq!((version, vcid), (1, 63));
    for basis in [RsBasis::Dual, RsBasis::Conventional] {
        for rerandomize in [false, true] {
            let rs = ReedSolomon::new(ReedSolomonConfig {
                basis,
                ..ReedSolomonConfig::METEOR
            })
            .unwrap();
            let mut block = raw[4..].to_vec();
            if rerandomize {
                downlink_dsp::fec::Randomizer::apply(&mut block);
            }
            let result = rs.decode(&mut block);
            assert_eq!(
                result,
                Err(RsError::Uncorrectable {
                    failed_codewords: 4,
                    corrected_symbols: 0
                }),
                "{basis:?} rerandomize={rerandomize}"
            );
        }
    }
    // The independent `fec` crate (libfec-compatible) agrees on the dual-basis codewords.
    let mut fec_rs = fec::RsDecoder::new_ccsds();
    for cw in 0..4 {
        let codeword: Vec<u8> = (0..255).map(|j| raw[4 + cw + 4 * j]).collect();
        let mut msg = [0u8; 223];
        assert!(
            fec_rs.decode_ccsds_dual(&codeword, &mut msg).is_err(),
            "codeword {cw}"
        );
        assert!(fec_rs.decode(&codeword, &mut msg).is_err(), "codeword {cw}");
    }
}
