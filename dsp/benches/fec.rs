//! Throughput of the CCSDS FEC chain, in decoded (information) bits per second.
//! Run: `cargo bench -p downlink-dsp --bench fec -- --quick`.
//! The `fec` crate (0.2.2, scalar decoder on stable Rust) is benched beside ours on the
//! same work as the reference point the choice was made against.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use downlink_dsp::fec::{
    ConvEncoder, ConvEncoderConfig, ReedSolomon, ReedSolomonConfig, Viterbi, ViterbiConfig,
};
use downlink_dsp::framing::{CcsdsDecoder, CcsdsDecoderConfig, CcsdsEncoder, CcsdsEncoderConfig};
use std::hint::black_box;

fn xorshift(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// Soft symbols of `bits` random bits through the Meteor code with light noise.
fn noisy_soft(bits: usize) -> (Vec<u8>, Vec<i8>) {
    let mut s = 0x1234_5678_9abc_def0u64;
    let data: Vec<u8> = (0..bits).map(|_| (xorshift(&mut s) & 1) as u8).collect();
    let mut symbols = Vec::new();
    ConvEncoder::new(ConvEncoderConfig::METEOR).process(&data, &mut symbols);
    let soft = symbols
        .iter()
        .map(|&c| {
            let noise = (xorshift(&mut s) % 81) as i16 - 40;
            ((if c == 1 { 50i16 } else { -50 }) + noise).clamp(-127, 127) as i8
        })
        .collect();
    (data, soft)
}

fn bench_viterbi(c: &mut Criterion) {
    let bits = 1 << 16;
    let (_, soft) = noisy_soft(bits);
    let mut group = c.benchmark_group("viterbi_k7");
    group.throughput(Throughput::Elements(bits as u64));
    group.bench_function(BenchmarkId::new("downlink", bits), |b| {
        let mut dec = Viterbi::new(ViterbiConfig::METEOR).unwrap();
        let mut out = Vec::with_capacity(bits + 512);
        b.iter(|| {
            out.clear();
            dec.process(black_box(&soft), &mut out);
            black_box(out.len())
        })
    });
    // The fec crate decodes terminated blocks with 0..255 soft values.
    let polys = [0o171u16, 0o133];
    let enc = fec::ConvEncoder::new(2, 7, &polys);
    let msg = vec![0x5Au8; bits / 8];
    let mut encoded = vec![0u8; enc.encode_len(msg.len()).div_ceil(8)];
    let mut enc = enc;
    let nbits = enc.encode(&msg, &mut encoded).unwrap();
    let soft_u8: Vec<u8> = (0..nbits)
        .map(|i| {
            if (encoded[i / 8] >> (7 - i % 8)) & 1 == 1 {
                200
            } else {
                55
            }
        })
        .collect();
    group.bench_function(BenchmarkId::new("fec_crate_scalar", bits), |b| {
        let mut dec = fec::ConvDecoder::new(2, 7, &polys);
        let mut out = vec![0u8; msg.len() + 16];
        b.iter(|| black_box(dec.decode_soft(black_box(&soft_u8), &mut out).unwrap()))
    });
    group.finish();
}

fn bench_rs(c: &mut Criterion) {
    let rs = ReedSolomon::new(ReedSolomonConfig::METEOR).unwrap();
    let mut s = 42u64;
    let mut clean: Vec<u8> = (0..1020).map(|_| xorshift(&mut s) as u8).collect();
    rs.encode(&mut clean).unwrap();
    let mut damaged = clean.clone();
    for cw in 0..4 {
        damaged[cw + 4 * 10] ^= 0x21;
        damaged[cw + 4 * 200] ^= 0x80;
    }
    let mut group = c.benchmark_group("rs_255_223_i4");
    group.throughput(Throughput::Elements(1020 * 8));
    group.bench_function("downlink_2_errors_per_codeword", |b| {
        let mut work = damaged.clone();
        b.iter(|| {
            work.copy_from_slice(&damaged);
            black_box(rs.decode(black_box(&mut work)).unwrap())
        })
    });
    group.bench_function("downlink_clean", |b| {
        let mut work = clean.clone();
        b.iter(|| {
            work.copy_from_slice(&clean);
            black_box(rs.decode(black_box(&mut work)).unwrap())
        })
    });
    // Same four codewords through the fec crate (conventional basis, one at a time).
    let codewords: Vec<Vec<u8>> = (0..4)
        .map(|cw| (0..255).map(|j| damaged[cw + 4 * j]).collect())
        .collect();
    group.bench_function("fec_crate_2_errors_per_codeword", |b| {
        let mut dec = fec::RsDecoder::new_ccsds();
        let mut msg = [0u8; 223];
        b.iter(|| {
            let mut total = 0;
            for cw in &codewords {
                total += dec.decode(black_box(cw), &mut msg).unwrap();
            }
            black_box(total)
        })
    });
    group.finish();
}

fn bench_ccsds_decoder(c: &mut Criterion) {
    // 32 Meteor CADUs with light noise (a few RS corrections), QPSK soft symbols.
    let config = CcsdsDecoderConfig::meteor_lrpt();
    let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&config)).unwrap();
    let mut s = 7u64;
    let mut symbols = Vec::new();
    enc.encode_wire_bytes(&[0x55; 64], &mut symbols);
    for k in 0..32u32 {
        let mut data: Vec<u8> = (0..enc.data_len())
            .map(|_| xorshift(&mut s) as u8)
            .collect();
        data[0] = 0x40;
        data[2..6].copy_from_slice(&k.to_be_bytes());
        enc.encode_frame(&data, &mut symbols).unwrap();
    }
    enc.encode_wire_bytes(&[0x55; 64], &mut symbols);
    let soft: Vec<i8> = symbols
        .iter()
        .map(|&b| {
            let noise = (xorshift(&mut s) % 97) as i16 - 48;
            ((if b == 1 { 40i16 } else { -40 }) + noise).clamp(-127, 127) as i8
        })
        .collect();
    let decoded_bits = (soft.len() / 2) as u64;
    let mut group = c.benchmark_group("ccsds_decoder");
    group.throughput(Throughput::Elements(decoded_bits));
    group.bench_function("meteor_lrpt_32_cadus", |b| {
        let mut dec = CcsdsDecoder::new(config).unwrap();
        let mut out = Vec::with_capacity(40);
        b.iter(|| {
            dec.reset();
            out.clear();
            dec.process(black_box(&soft), &mut out);
            dec.flush(&mut out);
            assert_eq!(out.iter().filter(|c| c.rs_ok).count(), 32);
            black_box(out.len())
        })
    });
    group.finish();
}

criterion_group!(benches, bench_viterbi, bench_rs, bench_ccsds_decoder);
criterion_main!(benches);
