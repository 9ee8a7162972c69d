//! End to end on one core:
//! - `meteor_lrpt_1024k_cf32`: a synthetic Meteor-M LRPT pass at 1.024 MS/s cf32
//!   through the whole `meteor-lrpt` stage (demodulators, decoders, packets, images).
//!   Throughput is in input samples per second; divide by 1.024 M for "× real time".
//! - `cubesat_all_recordings`: every `cubesat-*` recording in `../shared/recordings`
//!   (audio and raw I/Q), one after the other, read from its file and decoded by
//!   `decode --satellite`'s stage with every transmitter of its satellite. Elements are
//!   milliseconds of recording, so elements/s ÷ 1000 is the speed in × real time.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink::chain::{Chunk, SampleStage};
use downlink::io::SampleSource;
use downlink::io::{open_source, Overrides};
use downlink::pipelines::cubesat::{audio_if_duplicated_mono, CubesatOutput, CubesatStage};
use downlink::pipelines::meteor_lrpt::MeteorStage;
use downlink::satellites::Satellites;
use downlink::synth::lrpt::{LrptSource, LrptSynthConfig};
use std::hint::black_box;
use std::path::{Path, PathBuf};

const RATE_HZ: f64 = 1_024_000.0;
/// Long enough that the first second, where every demodulator candidate runs
/// until one mode delivers frames, weighs as little as it does in a real pass
/// (a few percent here, 0.1 % of a 15-minute pass), short enough to hold in memory
/// (250 MB).
const SECONDS: f64 = 30.0;
/// Samples per chunk, as `decode` reads them.
const CHUNK: usize = 65536;

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
            // One chunk buffer, refilled (the pipeline's source recycles its
            // buffers too: a fresh 512 KiB allocation per chunk would bench the
            // allocator's page faults).
            let mut chunk = Chunk {
                first_sample: 0,
                samples: Vec::with_capacity(CHUNK).into(),
                center_freq_hz: None,
            };
            for (i, block) in samples.chunks(CHUNK).enumerate() {
                chunk.first_sample = (i * CHUNK) as u64;
                let buf = chunk.samples.to_mut();
                buf.clear();
                buf.extend_from_slice(block);
                stage.process(black_box(&chunk)).expect("process");
            }
            stage.flush().expect("flush");
            black_box(stage.status())
        })
    });
    group.finish();
}

/// (folder, file, `--satellite` query) of every cubesat recording: the satellite the
/// ground station's metadata names, else the manifest's NORAD number, else its name.
fn cubesat_recordings(root: &Path) -> Vec<(String, PathBuf, String)> {
    let text = std::fs::read_to_string(root.join("manifest.json")).expect("manifest");
    let m: serde_json::Value = serde_json::from_str(&text).expect("manifest JSON");
    let mut v = Vec::new();
    for e in m["entries"].as_array().expect("entries") {
        let dir = e["dir"].as_str().unwrap_or_default();
        if !dir.starts_with("cubesat-") {
            continue;
        }
        let file = root.join(dir).join(e["file"].as_str().expect("file"));
        let mut json = file.clone().into_os_string();
        json.push(".json");
        let station: Option<String> = std::fs::read_to_string(&json)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .and_then(|j| j["satellite"].as_str().map(String::from));
        let query = station
            .or_else(|| e["norad"].as_u64().map(|n| n.to_string()))
            .unwrap_or_else(|| {
                let name = e["satellite"].as_str().expect("satellite");
                name.split(" (").next().unwrap_or(name).to_string()
            });
        v.push((dir.to_string(), file, query));
    }
    v
}

/// Decodes one recording as `decode --satellite` does; returns (frames, seconds), or
/// None when its satellite has no decoder.
fn decode_cubesat(
    sats: &Satellites,
    file: &Path,
    query: &str,
    out: &CubesatOutput,
) -> Option<(u64, f64)> {
    let sat = sats.find(query)?;
    let path = file.to_str().expect("UTF-8 path");
    let mut source = open_source(path, &Overrides::default()).expect("recording");
    let mut meta = source.info().clone();
    let mut probe = open_source(path, &Overrides::default()).expect("recording");
    audio_if_duplicated_mono(&mut meta, probe.as_mut()).expect("probe");
    let mut stage = CubesatStage::new(sat, &meta, out, None, true).ok()?;
    let mut buf = Vec::new();
    let mut first = 0u64;
    loop {
        buf.clear();
        let n = source.read(&mut buf, 65536).expect("read");
        if n == 0 {
            break;
        }
        let chunk = Chunk {
            first_sample: first,
            samples: std::mem::take(&mut buf).into(),
            center_freq_hz: meta.center_freq_hz,
        };
        first += n as u64;
        stage.process(black_box(&chunk)).expect("process");
        buf = chunk.samples.into_buffer().unwrap_or_default();
    }
    let frames = stage.status().values.get("frames").copied().unwrap_or(0.0) as u64;
    Box::new(stage).finish().expect("finish");
    Some((frames, first as f64 / meta.sample_rate_hz))
}

fn bench_cubesat(c: &mut Criterion) {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/recordings");
    if !root.join("manifest.json").is_file() {
        eprintln!(
            "notice: {} not found, skipping the cubesat recordings bench",
            root.display()
        );
        return;
    }
    let sats = Satellites::load(&[]).expect("satellites");
    let recs = cubesat_recordings(&root);
    let out_dir = tempfile::tempdir().expect("temp dir");
    let out = CubesatOutput {
        dir: out_dir.path().to_path_buf(),
        stem: "bench".into(),
    };
    // One pass outside the timing: what is decoded, and how long it all lasts.
    let (mut seconds, mut frames, mut decoded) = (0.0, 0u64, 0usize);
    for (dir, file, query) in &recs {
        let t0 = std::time::Instant::now();
        match decode_cubesat(&sats, file, query, &out) {
            Some((f, s)) => {
                let took = t0.elapsed().as_secs_f64();
                eprintln!(
                    "{dir}: {s:.1} s in {took:.3} s ({:.0}x), {f} frames",
                    s / took
                );
                seconds += s;
                frames += f;
                decoded += 1;
            }
            None => eprintln!("{dir}: {query} has no decoder, left out"),
        }
    }
    eprintln!(
        "cubesat: {decoded} of {} recordings, {seconds:.1} s, {frames} checked frames",
        recs.len()
    );
    let mut group = c.benchmark_group("end_to_end");
    group.sample_size(10);
    group.throughput(Throughput::Elements((seconds * 1000.0) as u64));
    group.bench_function("cubesat_all_recordings", |b| {
        b.iter(|| {
            for (_, file, query) in &recs {
                black_box(decode_cubesat(&sats, file, query, &out));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, bench, bench_cubesat);
criterion_main!(benches);
