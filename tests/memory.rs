//! Two hours of 2.4 MS/s (17.3 G samples, 138 GB as cf32) stream through the `channel`
//! pipeline with peak memory that does not grow with the length.
//!
//! This file holds one test on purpose: peak RSS is per process, and tests in one file
//! share a process.

use downlink::chain::{self, RunOptions};
use downlink::io::{InputError, RecordingInfo, SampleFormat, SampleSource};
use downlink::pipelines::channel::{ChannelConfig, ChannelStage};
use downlink::synth::{reference_scene, SceneSource};
use num_complex::Complex32;
use std::sync::{Arc, Mutex};

const RATE_HZ: f64 = 2_400_000.0;
const TWO_HOURS: u64 = 2 * 3600 * 2_400_000;

/// Peak resident memory of this process so far, in KiB (Linux `VmHWM`).
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmHWM in /proc/self/status")
}

/// (sample index at which to sample memory, recorded peak), shared with the test.
type Marks = Arc<Mutex<Vec<(u64, Option<u64>)>>>;

/// One second of the synthetic scene, played over and over: a generator, not a file,
/// cheap enough that the channel filter is what the test measures.
struct Looping {
    info: RecordingInfo,
    second: Vec<Complex32>,
    produced: u64,
    marks: Marks,
}

impl SampleSource for Looping {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }
    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        let n = max.min((TWO_HOURS - self.produced) as usize);
        let mut left = n;
        while left > 0 {
            let pos = (self.produced % self.second.len() as u64) as usize;
            let take = left.min(self.second.len() - pos);
            out.extend_from_slice(&self.second[pos..pos + take]);
            self.produced += take as u64;
            left -= take;
        }
        for mark in self.marks.lock().unwrap().iter_mut() {
            if mark.1.is_none() && self.produced >= mark.0 {
                mark.1 = Some(peak_rss_kib());
            }
        }
        Ok(n)
    }
}

#[test]
fn two_hours_at_2_4_msps_stream_in_constant_memory() {
    let mut scene = reference_scene();
    scene.sample_rate_hz = RATE_HZ;
    scene.total_samples = Some(RATE_HZ as u64);
    let mut gen = SceneSource::new(scene).unwrap();
    let mut second = Vec::new();
    while gen.read(&mut second, 1 << 20).unwrap() > 0 {}
    let mut info = gen.info().clone();
    info.total_samples = Some(TWO_HOURS);
    info.format = SampleFormat::Cf32;

    let marks = Arc::new(Mutex::new(vec![
        (600 * RATE_HZ as u64, None), // after 10 minutes: everything warmed up
        (TWO_HOURS - 1, None),        // at the very end
    ]));
    let source = Looping {
        info: info.clone(),
        second,
        produced: 0,
        marks: marks.clone(),
    };
    let cfg = ChannelConfig {
        offset_hz: -12_000.0,
        bandwidth_hz: 20_000.0,
        output_rate_hz: 48_000.0,
        format: SampleFormat::Cf32,
    };
    let counted = Arc::new(Mutex::new(0u64));
    let stage =
        ChannelStage::to_writer(&cfg, &info, Box::new(CountingWriter(counted.clone()))).unwrap();
    let report = chain::run(Box::new(source), Box::new(stage), RunOptions::default()).unwrap();

    assert_eq!(report.samples, TWO_HOURS);
    // 2.4 MS/s → 48 kS/s: 50× fewer samples out, 8 bytes each.
    assert_eq!(*counted.lock().unwrap(), TWO_HOURS / 50 * 8);
    let marks = marks.lock().unwrap();
    let warm = marks[0].1.expect("10-minute mark reached");
    let end = marks[1].1.expect("end mark reached");
    eprintln!(
        "peak RSS after 10 min: {warm} KiB, after 2 h: {end} KiB, speed {:.1}× real time",
        report.speed_x_realtime()
    );
    assert!(
        end <= warm + 2048,
        "peak memory grew from {warm} KiB to {end} KiB"
    );
    assert!(
        end < 256 * 1024,
        "peak memory {end} KiB is more than a streaming chain needs"
    );
}

struct CountingWriter(Arc<Mutex<u64>>);

impl std::io::Write for CountingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len() as u64;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
