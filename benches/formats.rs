//! Sample conversion and file reading throughput (samples per second).
//!
//! `decode/*`: `decode_samples` per format on a 256 KiB block (the reader's block size).
//! `cu8_variants/*`: the library's vectorised multiply against the alternatives it
//! was chosen over (true division, 256-entry table, 65536-entry pair table,
//! per-sample push), same input.
//! `read/cu8_64MiB`: a 64 MiB cu8 file from the page cache through `open_source`.

use std::hint::black_box;
use std::io::Write;

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink::io::{decode_samples, open_source, Overrides, SampleFormat};
use num_complex::Complex32;

const BLOCK: usize = 256 * 1024;

fn test_bytes(n: usize) -> Vec<u8> {
    let mut x = 0x9e37_79b9_7f4a_7c15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn decode(c: &mut Criterion) {
    let bytes = test_bytes(BLOCK);
    let mut g = c.benchmark_group("decode");
    for fmt in SampleFormat::ALL {
        let n = BLOCK / fmt.bytes_per_sample();
        let mut out: Vec<Complex32> = Vec::with_capacity(n);
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(fmt.name(), |b| {
            b.iter(|| {
                out.clear();
                decode_samples(fmt, black_box(&bytes), &mut out);
                black_box(out.as_ptr());
            })
        });
    }
    g.finish();
}

fn cu8_lut_extend(lut: &[f32; 256], bytes: &[u8], out: &mut Vec<Complex32>) {
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|p| Complex32::new(lut[p[0] as usize], lut[p[1] as usize])),
    );
}

fn cu8_arith_div(bytes: &[u8], out: &mut Vec<Complex32>) {
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|p| Complex32::new((p[0] as f32 - 127.5) / 127.5, (p[1] as f32 - 127.5) / 127.5)),
    );
}

fn cu8_pair_lut(lut: &[Complex32], bytes: &[u8], out: &mut Vec<Complex32>) {
    out.extend(
        bytes
            .chunks_exact(2)
            .map(|p| lut[u16::from_le_bytes([p[0], p[1]]) as usize]),
    );
}

fn cu8_push(lut: &[f32; 256], bytes: &[u8], out: &mut Vec<Complex32>) {
    for p in bytes.chunks_exact(2) {
        out.push(Complex32::new(lut[p[0] as usize], lut[p[1] as usize]));
    }
}

fn cu8_variants(c: &mut Criterion) {
    let bytes = test_bytes(BLOCK);
    let n = BLOCK / 2;
    let mut lut256 = [0f32; 256];
    for (i, v) in lut256.iter_mut().enumerate() {
        *v = (i as f32 - 127.5) / 127.5;
    }
    let pair: Vec<Complex32> = (0..65536usize)
        .map(|i| Complex32::new(lut256[i & 0xff], lut256[i >> 8]))
        .collect();
    let mut out: Vec<Complex32> = Vec::with_capacity(n);
    let mut g = c.benchmark_group("cu8_variants");
    g.throughput(Throughput::Elements(n as u64));
    g.bench_function("arith_mul_extend (library)", |b| {
        b.iter(|| {
            out.clear();
            decode_samples(SampleFormat::Cu8, black_box(&bytes), &mut out);
            black_box(out.as_ptr());
        })
    });
    g.bench_function("lut256_extend", |b| {
        b.iter(|| {
            out.clear();
            cu8_lut_extend(&lut256, black_box(&bytes), &mut out);
            black_box(out.as_ptr());
        })
    });
    g.bench_function("arith_div_extend", |b| {
        b.iter(|| {
            out.clear();
            cu8_arith_div(black_box(&bytes), &mut out);
            black_box(out.as_ptr());
        })
    });
    g.bench_function("lut65536_pairs", |b| {
        b.iter(|| {
            out.clear();
            cu8_pair_lut(&pair, black_box(&bytes), &mut out);
            black_box(out.as_ptr());
        })
    });
    g.bench_function("lut256_push", |b| {
        b.iter(|| {
            out.clear();
            cu8_push(&lut256, black_box(&bytes), &mut out);
            black_box(out.as_ptr());
        })
    });
    g.finish();
}

fn read_file(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("bench.cu8");
    let size = 64usize << 20;
    {
        let chunk = test_bytes(1 << 20);
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).expect("create"));
        for _ in 0..size >> 20 {
            f.write_all(&chunk).expect("write");
        }
    }
    let p = path.to_str().expect("utf-8 path").to_string();
    let ov = Overrides {
        sample_rate_hz: Some(2.4e6),
        ..Default::default()
    };
    let mut g = c.benchmark_group("read");
    g.throughput(Throughput::Elements((size / 2) as u64));
    g.sample_size(10);
    let mut buf: Vec<Complex32> = Vec::with_capacity(1 << 17);
    g.bench_function("cu8_64MiB_open_source", |b| {
        b.iter(|| {
            let mut src = open_source(&p, &ov).expect("open");
            let mut total = 0usize;
            loop {
                buf.clear();
                let n = src.read(&mut buf, 1 << 17).expect("read");
                if n == 0 {
                    break;
                }
                total += n;
            }
            assert_eq!(total, size / 2);
            black_box(total)
        })
    });
    g.finish();
}

criterion_group!(benches, decode, cu8_variants, read_file);
criterion_main!(benches);
