//! End to end: a synthetic Meteor-M LRPT pass at 1.024 MS/s cf32 through the whole
//! `meteor-lrpt` stage (demodulators, decoders, packets, images) on one core.
//! Throughput is in input samples per second; divide by 1.024 M for "× real time".

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink::chain::{Chunk, SampleStage};
use downlink::io::SampleSource;
use downlink::pipelines::meteor_lrpt::MeteorStage;
use downlink::synth::lrpt::{LrptSource, LrptSynthConfig};
use std::hint::black_box;

const RATE_HZ: f64 = 1_024_000.0;
const SECONDS: f64 = 8.0;

fn pass() -> Vec<num_complex::Complex32> {
    let mut src = LrptSource::new(LrptSynthConfig {
        sample_rate_hz: RATE_HZ,
        seconds: SECONDS,
        ..LrptSynthConfig::default()
    })
    .expect("synthetic pass");
    let mut v = Vec::new();
    while src.read(&mut v, 1 << 20).expect("synthesis") > 0 {}
    v
}

fn bench(c: &mut Criterion) {
    let samples = pass();
    let out = tempfile::tempdir().expect("temp dir");
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("meteor_lrpt_1024k_cf32", |b| {
        b.iter(|| {
            let mut stage = MeteorStage::new(
                RATE_HZ,
                10_000.0,
                out.path().to_path_buf(),
                "bench".into(),
                None,
            )
            .expect("stage");
            for (i, block) in samples.chunks(65536).enumerate() {
                let chunk = Chunk {
                    first_sample: (i * 65536) as u64,
                    samples: block.to_vec(),
                    center_freq_hz: None,
                };
                stage.process(black_box(&chunk)).expect("process");
            }
            stage.flush().expect("flush");
            black_box(stage.status())
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
