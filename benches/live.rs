//! The live path's cost, as a fraction of one core:
//!
//! * `live_path_20msps`: what the chain does with every sample of a 20 MS/s device
//!   (HackRF rate) — the spectrum tap (a frame per chunk here, more than the 25 a second
//!   a display takes) and a decimating channel filter to 250 kS/s. % of one core at
//!   20 MS/s = 20 M / throughput × 100.
//! * `tui_redraw`: one UI tick (new status and spectrum frame) and a full redraw into a
//!   `TestBackend` at 80×24 and 160×48. % of one core at 25 fps = 25 × time × 100.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use downlink::status::{Preview, StageStatus};
use downlink::tap::{SpectrumFeeder, SpectrumFrame, SpectrumTap, TapConfig};
use downlink::tui::App;
use downlink_dsp::filter::channelizer::{Channelizer, ChannelizerConfig};
use num_complex::Complex32;
use ratatui::backend::TestBackend;
use ratatui::Terminal;
use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

const RATE_HZ: f64 = 20e6;
const CHUNK: usize = 65536;

/// Seeded noise with a carrier: what a receiver sees.
fn input(n: usize) -> Vec<Complex32> {
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 40) as f32 / (1u64 << 24) as f32 - 0.5
    };
    (0..n)
        .map(|i| {
            let ph = 2.0 * std::f32::consts::PI * 0.013 * i as f32;
            Complex32::new(0.2 * ph.cos() + next(), 0.2 * ph.sin() + next())
        })
        .collect()
}

fn live_path(c: &mut Criterion) {
    let samples = input(CHUNK * 32);
    let mut group = c.benchmark_group("live");
    group.sample_size(10);
    group.throughput(Throughput::Elements(samples.len() as u64));
    group.bench_function("live_path_20msps", |b| {
        let tap = SpectrumTap::new();
        let mut feeder = SpectrumFeeder::new(
            TapConfig {
                tap: tap.clone(),
                fft_size: 1024,
                interval: Duration::ZERO,
            },
            RATE_HZ,
        )
        .expect("feeder");
        let mut channel = Channelizer::new(ChannelizerConfig {
            input_rate_hz: RATE_HZ,
            offset_hz: 1.2e6,
            output_rate_hz: 250e3,
            bandwidth_hz: 150e3,
        })
        .expect("channelizer");
        let mut out = Vec::with_capacity(CHUNK);
        b.iter(|| {
            for (i, chunk) in samples.chunks(CHUNK).enumerate() {
                feeder.feed(black_box(chunk), (i * CHUNK) as u64, Some(437e6));
                out.clear();
                channel.process(black_box(chunk), &mut out);
                black_box(&out);
            }
        })
    });
    group.finish();
}

/// The screen at its busiest: a 256-row image preview and 256 constellation points.
fn stages(position_s: f64, ok: f64, preview: &Arc<Preview>) -> Vec<StageStatus> {
    let mut meteor = StageStatus::new("meteor-lrpt", "SYNCED")
        .with("carrier_offset_hz", 2500.0)
        .with("snr_db", 8.5)
        .with("locked", 1.0)
        .with("cadus", ok + 2.0)
        .with("cadus_rs_ok", ok)
        .with("cadus_rs_failed", 2.0)
        .with("viterbi_ber", 0.012)
        .with("lines_apid_64", 40.0)
        .with_text("mode", "72k differential")
        .with_points(
            (0..256)
                .map(|k| {
                    let s = |b: usize| if k >> b & 1 == 0 { 0.7 } else { -0.7 };
                    (s(0), s(1))
                })
                .collect(),
        );
    meteor.preview = Some(preview.clone());
    vec![
        StageStatus::new("source", "running")
            .with("samples", position_s * 150e3)
            .with("position_s", position_s)
            .with("dropped_samples", 0.0),
        meteor,
    ]
}

fn spectrum(seq: u64) -> SpectrumFrame {
    let n = 1024;
    SpectrumFrame {
        bins_db: (0..n)
            .map(|i| -70.0 + ((i * 7 + seq as usize * 3) % 5) as f32)
            .collect(),
        sample_rate_hz: 150e3,
        center_freq_hz: Some(137.9e6),
        first_sample: seq * 7500,
        seq,
    }
}

fn tui_redraw(c: &mut Criterion) {
    let mut group = c.benchmark_group("tui_redraw");
    for (w, h) in [(80u16, 24u16), (160, 48)] {
        group.bench_function(format!("{w}x{h}"), |b| {
            let mut app = App::new("downlink live meteor-lrpt · driver=rtlsdr");
            let mut terminal = Terminal::new(TestBackend::new(w, h)).expect("terminal");
            let mut seq = 0u64;
            let preview = Arc::new(Preview {
                width: 196,
                height: 256,
                rgb: (0..196 * 256 * 3).map(|i| (i % 251) as u8).collect(),
                label: "RGB 64,65,66".into(),
                lines: 2048,
            });
            b.iter(|| {
                seq += 1;
                app.on_tick(
                    stages(seq as f64 * 0.04, seq as f64, &preview),
                    Some(spectrum(seq)),
                    Duration::from_millis(seq * 40),
                );
                terminal.draw(|f| app.render(f)).expect("draw");
            })
        });
    }
    group.finish();
}

criterion_group!(benches, live_path, tui_redraw);
criterion_main!(benches);
