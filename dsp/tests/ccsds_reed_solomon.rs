//! Reed–Solomon (CCSDS 131.0-B-2 §4) against an independent implementation, the `fec`
//! crate (libfec-compatible), and property tests of the correction limit.

use downlink_dsp::fec::{ReedSolomon, ReedSolomonConfig, RsBasis, RsError};
use proptest::prelude::*;

fn config(depth: usize, basis: RsBasis) -> ReedSolomonConfig {
    ReedSolomonConfig {
        interleave_depth: depth,
        basis,
        correctable_symbols: 16,
        virtual_fill_symbols: 0,
    }
}

#[test]
fn parity_matches_the_fec_crate_in_both_bases() {
    let ours_conv = ReedSolomon::new(config(1, RsBasis::Conventional)).unwrap();
    let ours_dual = ReedSolomon::new(config(1, RsBasis::Dual)).unwrap();
    let mut theirs = fec::RsEncoder::new_ccsds();
    for seed in 0..20u32 {
        let msg: Vec<u8> = (0..223u32)
            .map(|i| (i.wrapping_mul(2654435761).wrapping_add(seed * 977) >> 13) as u8)
            .collect();
        let mut expected = vec![0u8; 255];
        theirs.encode(&msg, &mut expected).unwrap();
        let mut block = msg.clone();
        block.resize(255, 0);
        ours_conv.encode(&mut block).unwrap();
        assert_eq!(block, expected, "conventional, seed {seed}");

        let mut parity_dual = [0u8; 32];
        theirs.encode_ccsds_dual(&msg, &mut parity_dual).unwrap();
        let mut block = msg.clone();
        block.resize(255, 0);
        ours_dual.encode(&mut block).unwrap();
        assert_eq!(&block[..223], &msg[..], "dual, seed {seed}");
        assert_eq!(&block[223..], &parity_dual[..], "dual, seed {seed}");
    }
}

#[test]
fn shortened_codes_match_the_fec_crate_with_explicit_fill() {
    // Virtual fill q: our n = 255 − q bytes equal the full codeword minus its q leading zeros.
    let fill = 95;
    let ours = ReedSolomon::new(ReedSolomonConfig {
        virtual_fill_symbols: fill,
        ..config(1, RsBasis::Conventional)
    })
    .unwrap();
    let mut theirs = fec::RsEncoder::new_ccsds();
    let msg: Vec<u8> = (0..223 - fill).map(|i| (i * 13 + 1) as u8).collect();
    let mut full_msg = vec![0u8; fill];
    full_msg.extend_from_slice(&msg);
    let mut full = vec![0u8; 255];
    theirs.encode(&full_msg, &mut full).unwrap();
    let mut block = msg.clone();
    block.resize(255 - fill, 0);
    ours.encode(&mut block).unwrap();
    assert_eq!(block, full[fill..]);
}

fn lcg(state: &mut u64) -> u64 {
    *state = state
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    *state >> 33
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn corrects_up_to_16_errors_per_codeword_and_flags_17(
        depth in 1usize..=8,
        dual in any::<bool>(),
        errors in 0usize..=16,
        seed in any::<u64>(),
    ) {
        let basis = if dual { RsBasis::Dual } else { RsBasis::Conventional };
        let rs = ReedSolomon::new(config(depth, basis)).unwrap();
        let mut s = seed;
        let mut block: Vec<u8> = (0..rs.codeblock_len()).map(|_| lcg(&mut s) as u8).collect();
        rs.encode(&mut block).unwrap();
        let clean = block.clone();
        let mut damaged = clean.clone();
        for cw in 0..depth {
            let mut positions = Vec::new();
            while positions.len() < errors {
                let p = (lcg(&mut s) % 255) as usize;
                if !positions.contains(&p) {
                    positions.push(p);
                }
            }
            for p in positions {
                damaged[cw + p * depth] ^= (lcg(&mut s) % 255 + 1) as u8;
            }
        }
        let mut fixed = damaged.clone();
        prop_assert_eq!(rs.decode(&mut fixed), Ok(errors * depth));
        prop_assert_eq!(&fixed, &clean);

        // 17 errors in the first codeword: never silently "fixed" back to the original.
        let mut over = clean.clone();
        for k in 0..17 {
            over[(k * 15) * depth] ^= 0xA5;
        }
        match rs.decode(&mut over) {
            Err(RsError::Uncorrectable { failed_codewords, .. }) => prop_assert_eq!(failed_codewords, 1),
            Ok(_) => prop_assert_ne!(&over, &clean),
            Err(e) => prop_assert!(false, "unexpected {:?}", e),
        }
    }
}
