//! `SoapySource` through Debian's SoapySDR Red Pitaya module, against a fake Red Pitaya
//! on 127.0.0.1 (needs `soapysdr-module-redpitaya`; run with `--features soapy`).
//! Devices are only ever opened with explicit arguments: enumerating with empty ones
//! would send network discovery packets.
#![cfg(feature = "soapy")]

use downlink::io::device::DeviceSettings;
use downlink::io::soapy::{SoapyConfig, SoapySource};
use downlink::io::SampleSource;
use num_complex::Complex32;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

/// Sample `k` of the fake device: exact in f32, so the receiver can check continuity.
fn pattern(k: u64) -> Complex32 {
    Complex32::new((k % 65536) as f32, -((k / 65536) as f32))
}

struct FakeRedPitaya {
    port: u16,
    commands: Arc<Mutex<Vec<u32>>>,
    /// Samples written on all data connections so far.
    sent: Arc<AtomicU64>,
    /// Data connections accepted so far.
    data_connections: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeRedPitaya {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// What the fake streams.
#[derive(Clone)]
struct Feed {
    rate_hz: f64,
    /// Pace as a multiple of real time.
    speed_x: f64,
    /// These samples first, then zeros; `None`: [`pattern`] forever.
    samples: Option<Arc<Vec<Complex32>>>,
    /// The first data connection is closed after this many samples.
    close_first_after: Option<u64>,
}

impl Feed {
    fn pattern(rate_hz: f64) -> Self {
        Feed {
            rate_hz,
            speed_x: 2.0,
            samples: None,
            close_first_after: None,
        }
    }
}

/// The Red Pitaya module sleeps a whole read timeout whenever fewer bytes than it asked
/// for are readable; with unsent data piling up in the fake's socket, loopback then
/// stalls for seconds. At most one write in flight (TCP_NOTSENT_LOWAT = 1) keeps the
/// bytes flowing as they are written.
fn one_write_in_flight(s: &TcpStream) {
    use std::os::fd::AsRawFd;
    let one: libc::c_int = 1;
    // SAFETY: a valid socket descriptor and a c_int option of the right size.
    let rc = unsafe {
        libc::setsockopt(
            s.as_raw_fd(),
            libc::IPPROTO_TCP,
            libc::TCP_NOTSENT_LOWAT,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    assert_eq!(rc, 0, "setsockopt TCP_NOTSENT_LOWAT");
}

fn read_u32(s: &mut TcpStream) -> Option<u32> {
    let mut b = [0u8; 4];
    s.read_exact(&mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

/// Serves the Red Pitaya SDR protocol: each connection's first u32 says what it is
/// (0 control, 1 data); control carries u32 commands, data raw little-endian CF32,
/// written 8 KiB at a time at `speed_x` times the rate.
fn fake_red_pitaya(rate_hz: f64) -> FakeRedPitaya {
    fake_red_pitaya_with(Feed::pattern(rate_hz))
}

fn fake_red_pitaya_with(feed: Feed) -> FakeRedPitaya {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let commands = Arc::new(Mutex::new(Vec::new()));
    let sent = Arc::new(AtomicU64::new(0));
    let data_connections = Arc::new(AtomicU64::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let (cmds, stop2, sent2, conns) = (
        commands.clone(),
        stop.clone(),
        sent.clone(),
        data_connections.clone(),
    );
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let _ = s.set_nodelay(true);
            match read_u32(&mut s) {
                Some(0) => {
                    let cmds = cmds.clone();
                    std::thread::spawn(move || {
                        while let Some(c) = read_u32(&mut s) {
                            cmds.lock().unwrap().push(c);
                        }
                    });
                }
                Some(1) => {
                    let stop = stop2.clone();
                    let sent = sent2.clone();
                    let first = conns.fetch_add(1, Ordering::SeqCst) == 0;
                    let feed = feed.clone();
                    let close_after = if first { feed.close_first_after } else { None };
                    one_write_in_flight(&s);
                    std::thread::spawn(move || {
                        let start = Instant::now();
                        let mut k = 0u64;
                        let mut bytes = Vec::with_capacity(8192);
                        while !stop.load(Ordering::Relaxed) {
                            if close_after.is_some_and(|n| k >= n) {
                                // Dropping the socket closes the stream mid-flight.
                                return;
                            }
                            bytes.clear();
                            for _ in 0..1024 {
                                let c = match &feed.samples {
                                    None => pattern(k),
                                    Some(v) => v.get(k as usize).copied().unwrap_or_default(),
                                };
                                bytes.extend_from_slice(&c.re.to_le_bytes());
                                bytes.extend_from_slice(&c.im.to_le_bytes());
                                k += 1;
                            }
                            if s.write_all(&bytes).is_err() {
                                return;
                            }
                            sent.fetch_add(1024, Ordering::Relaxed);
                            let due =
                                Duration::from_secs_f64(k as f64 / (feed.speed_x * feed.rate_hz));
                            if let Some(w) = due.checked_sub(start.elapsed()) {
                                std::thread::sleep(w);
                            }
                        }
                    });
                }
                _ => {}
            }
        }
    });
    FakeRedPitaya {
        port,
        commands,
        sent,
        data_connections,
        stop,
    }
}

fn device_args(port: u16) -> String {
    format!("driver=redpitaya,addr=127.0.0.1,port={port}")
}

fn open(port: u16, queue_blocks: usize) -> SoapySource {
    let settings = DeviceSettings {
        center_freq_hz: 14.1e6,
        sample_rate_hz: Some(100e3),
        ..Default::default()
    };
    let mut cfg = SoapyConfig::new(&device_args(port), settings);
    cfg.queue_blocks = queue_blocks;
    cfg.queue_s = 0.0;
    SoapySource::open(&cfg).unwrap()
}

#[test]
fn samples_arrive_in_order_and_the_device_is_tuned() {
    let fake = fake_red_pitaya(100e3);
    let mut src = open(fake.port, 64);
    assert_eq!(src.info().sample_rate_hz, 100e3);
    assert_eq!(src.info().center_freq_hz, Some(14.1e6));
    let mut got = Vec::new();
    while got.len() < 50_000 {
        let n = src.read(&mut got, 4096).unwrap();
        assert!(n > 0 && n <= 4096);
    }
    assert_eq!(src.dropped_samples(), 0);
    let first = got[0].re as u64 + 65536 * (-got[0].im) as u64;
    for (i, s) in got.iter().enumerate() {
        assert_eq!(*s, pattern(first + i as u64), "sample {i}");
    }
    let cmds = fake.commands.lock().unwrap().clone();
    // Rate code 2 is 100 kS/s; a frequency is sent as plain Hz.
    assert!(cmds.contains(&((1 << 28) | 2)), "{cmds:?}");
    assert!(cmds.contains(&14_100_000), "{cmds:?}");
}

/// The TUI's tuning keys reach the device through `DeviceTuner`: the reader thread
/// applies the command between reads, the device gets the frequency, and samples read
/// afterwards carry the new centre frequency. What the device cannot do is refused
/// with the truth.
#[test]
fn the_tuner_retunes_the_running_device_and_labels_the_samples() {
    use downlink::tune::Tuner;
    let fake = fake_red_pitaya(100e3);
    let mut src = open(fake.port, 64);
    let mut tuner = src.tuner();
    assert_eq!(tuner.frequency_hz(), Some(14.1e6));
    let mut got = Vec::new();
    src.read(&mut got, 4096).unwrap();
    assert_eq!(src.center_freq_hz(), Some(14.1e6));

    assert_eq!(tuner.tune_hz(7.05e6).unwrap(), "tuned to 7.050000 MHz");
    assert_eq!(tuner.frequency_hz(), Some(7.05e6));
    let deadline = Instant::now() + Duration::from_secs(5);
    while !fake.commands.lock().unwrap().contains(&7_050_000) {
        assert!(
            Instant::now() < deadline,
            "the fake never got the frequency"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // Blocks queued before the command still say 14.1 MHz; later ones 7.05 MHz, and
    // the stream goes on in order across the change.
    let mut centres = Vec::new();
    while centres.last() != Some(&7.05e6) {
        assert!(got.len() < 2_000_000, "never relabelled: {centres:?}");
        src.read(&mut got, 4096).unwrap();
        let c = src.center_freq_hz().unwrap();
        if centres.last() != Some(&c) {
            centres.push(c);
        }
    }
    assert_eq!(centres, [14.1e6, 7.05e6]);
    let first = got[0].re as u64 + 65536 * (-got[0].im) as u64;
    for (i, s) in got.iter().enumerate() {
        assert_eq!(*s, pattern(first + i as u64), "sample {i}");
    }

    // The Red Pitaya module ignores frequencies above 60 MHz; the tuner says so.
    let e = tuner.tune_hz(137.9e6).unwrap_err();
    assert_eq!(
        e,
        "the device stayed at 7.050000 MHz: 137.900000 MHz is outside its range"
    );
    assert_eq!(tuner.frequency_hz(), Some(7.05e6));
    // It has no gain and no AGC.
    assert_eq!(
        tuner.step_gain_db(1.0).unwrap_err(),
        "this redpitaya device has no gain to set"
    );
    assert!(tuner
        .toggle_agc()
        .unwrap_err()
        .contains("no automatic gain"));
}

/// `--buffer`: the queue holds `queue_s` seconds of signal whatever the size of the
/// device's reads, so a consumer that stalls for less loses nothing.
#[test]
fn a_stall_shorter_than_the_buffer_loses_nothing() {
    let fake = fake_red_pitaya(100e3);
    let settings = DeviceSettings {
        center_freq_hz: 14.1e6,
        sample_rate_hz: Some(100e3),
        ..Default::default()
    };
    let mut cfg = SoapyConfig::new(&device_args(fake.port), settings);
    // One read of 2048 samples, or 1.5 s (150 000 samples): the time wins.
    cfg.queue_blocks = 1;
    cfg.queue_s = 1.5;
    let mut src = SoapySource::open(&cfg).unwrap();
    // The fake sends at twice real time: 0.4 s is 80 000 samples, all queued.
    std::thread::sleep(Duration::from_millis(400));
    assert!(fake.sent.load(Ordering::Relaxed) >= 40_000);
    let mut got = Vec::new();
    while got.len() < 100_000 {
        src.read(&mut got, 100_000).unwrap();
    }
    assert_eq!(src.dropped_samples(), 0);
    for (i, s) in got.iter().enumerate() {
        assert_eq!(*s, pattern(i as u64), "sample {i}");
    }
}

#[test]
fn a_stalled_reader_drops_and_counts_instead_of_blocking() {
    let fake = fake_red_pitaya(100e3);
    let mut src = open(fake.port, 1);
    std::thread::sleep(Duration::from_millis(600));
    let dropped = src.dropped_samples();
    assert!(dropped > 0, "nothing dropped while nobody read");
    // Reading resumes with whole, in-order blocks.
    let mut got = Vec::new();
    while got.len() < 10_000 {
        src.read(&mut got, 100_000).unwrap();
    }
    // The queue kept the oldest block; later ones were dropped: the samples still
    // come in order, with gaps that add up to no more than the count.
    let index = |c: &Complex32| c.re as u64 + 65536 * (-c.im) as u64;
    for w in got.windows(2) {
        assert!(index(&w[1]) > index(&w[0]), "out of order");
    }
    let skipped = index(&got[got.len() - 1]) - index(&got[0]) - (got.len() as u64 - 1);
    let dropped = src.dropped_samples();
    assert!(
        skipped > 0 && skipped <= dropped,
        "skipped {skipped}, dropped {dropped}"
    );
}

#[test]
fn decode_reads_a_device_until_ctrl_c() {
    use std::io::BufRead;
    let fake = fake_red_pitaya(100e3);
    let dir = tempfile::tempdir().unwrap();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_downlink"))
        .args([
            "decode",
            "-p",
            "waterfall",
            "--rate",
            "100k",
            "--freq",
            "14.1M",
            "--json",
        ])
        .arg(format!(
            "soapy:driver=redpitaya,addr=127.0.0.1,port={}",
            fake.port
        ))
        .arg("-o")
        .arg(dir.path())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut lines = stdout.lines();
    // Wait for a status line showing half a second of signal read from the device.
    loop {
        let line = lines.next().expect("status lines").unwrap();
        let v: serde_json::Value = serde_json::from_str(&line).unwrap();
        assert_eq!(v["type"], "status", "{line}");
        let source = &v["stages"][0];
        assert_eq!(source["stage"], "source");
        assert!(source["values"]["dropped_samples"].is_number(), "{line}");
        if v["samples"].as_u64().unwrap() >= 50_000 {
            break;
        }
    }
    let kill = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let summary: serde_json::Value =
        serde_json::from_str(&lines.last().expect("a summary line").unwrap()).unwrap();
    assert_eq!(child.wait().unwrap().code(), Some(130));
    assert_eq!(summary["type"], "summary");
    assert_eq!(summary["interrupted"], true);
    let png = summary["products"][0]["path"].as_str().unwrap();
    assert!(
        png.contains("/live.") && png.ends_with(".waterfall.png"),
        "{png}"
    );
    assert!(std::path::Path::new(png).is_file());
}

fn run_downlink(args: &[String]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_downlink"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("downlink runs")
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// The JSON lines of a headless run: every status line and the summary.
fn json_lines(o: &Output) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// The only file in `dir` whose name ends with `suffix`.
fn only_file(dir: &Path, suffix: &str) -> PathBuf {
    let found: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    assert_eq!(found.len(), 1, "{suffix} in {}: {found:?}", dir.display());
    found[0].clone()
}

fn meteor_value(summary: &serde_json::Value, key: &str) -> f64 {
    summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "meteor-lrpt")
        .unwrap_or_else(|| panic!("no meteor-lrpt stage: {summary}"))["values"][key]
        .as_f64()
        .unwrap_or_else(|| panic!("no {key}: {summary}"))
}

/// The shipped Meteor recording streamed through libSoapySDR and the Red Pitaya module
/// into `downlink live` decodes exactly the CADUs `decode` finds in the file, and
/// `--record` writes exactly the samples that came in, with the device's metadata.
#[test]
fn live_decodes_the_same_frames_as_decode_and_records_bit_exact() {
    let recording = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("recordings/meteor-lrpt-synth.sigmf-meta")
        .to_string_lossy()
        .into_owned();
    let (info, samples) = common::read_all(&recording);
    assert_eq!(info.sample_rate_hz, 150e3);
    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();

    let decoded = run_downlink(&strings(&[
        "decode",
        "-p",
        "meteor-lrpt",
        "--json",
        "--dump",
        &d("dump-file"),
        "-o",
        &d("out-file"),
        &recording,
    ]));
    assert!(decoded.status.success(), "{}", common::stderr(&decoded));
    let file_summary = json_lines(&decoded).pop().unwrap();

    let samples = Arc::new(samples);
    let fake = fake_red_pitaya_with(Feed {
        rate_hz: 150e3,
        speed_x: 2.0,
        samples: Some(samples.clone()),
        close_first_after: None,
    });
    let before = chrono::Utc::now();
    let live = run_downlink(&strings(&[
        "live",
        "-p",
        "meteor-lrpt",
        "--device",
        &device_args(fake.port),
        "--freq",
        "14.1M",
        "--rate",
        "150k",
        "--headless",
        "--seconds",
        "10",
        // More than the whole recording: however slowly a loaded machine runs the
        // decoder, nothing can be dropped, so the frames must match.
        "--buffer",
        "12",
        "--record",
        &d("live.sigmf-meta"),
        "--dump",
        &d("dump-live"),
        "-o",
        &d("out-live"),
    ]));
    let after = chrono::Utc::now();
    assert!(
        live.status.success(),
        "{}\n{}",
        common::stderr(&live),
        common::stdout(&live)
    );
    let lines = json_lines(&live);
    let summary = lines.last().unwrap();
    assert_eq!(summary["type"], "summary", "{summary}");
    assert_eq!(summary["samples"], samples.len() as u64, "{summary}");
    assert_eq!(summary["interrupted"], false);
    let source = &summary["stages"][0];
    assert_eq!(source["values"]["dropped_samples"], 0.0, "{summary}");
    // Status lines came while it ran.
    assert!(lines.iter().any(|l| l["type"] == "status"), "{lines:?}");

    // Same frames, byte for byte, as decoding the file.
    let ok = meteor_value(summary, "cadus_rs_ok");
    assert!(ok >= 86.0, "{summary}");
    assert_eq!(ok, meteor_value(&file_summary, "cadus_rs_ok"));
    let cadus_file = std::fs::read(only_file(&dir.path().join("dump-file"), ".cadu")).unwrap();
    let cadus_live = std::fs::read(only_file(&dir.path().join("dump-live"), ".cadu")).unwrap();
    assert!(!cadus_live.is_empty());
    assert!(cadus_file == cadus_live, "the CADUs differ");
    // The image products exist under their final names.
    let png = only_file(&dir.path().join("out-live"), ".msumr-64.png");
    assert!(png
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("live."));

    // The recording holds exactly the samples, with the device's metadata.
    let (rec, got) = common::read_all(&d("live.sigmf-meta"));
    assert_eq!(got.len(), samples.len());
    assert!(got == *samples, "recorded samples differ");
    assert_eq!(rec.sample_rate_hz, 150e3);
    assert_eq!(rec.center_freq_hz, Some(14.1e6));
    let start = rec.start_time.expect("start time");
    assert!(
        start >= before - chrono::Duration::seconds(1) && start <= after,
        "{start}"
    );
    let meta: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d("live.sigmf-meta")).unwrap()).unwrap();
    let hw = meta["global"]["core:hw"].as_str().unwrap();
    assert!(
        hw.contains("redpitaya") && hw.contains(&format!("port={}", fake.port)),
        "{hw}"
    );
    assert_eq!(meta["global"]["core:datatype"], "cf32_le");
}

/// A server that closes mid-stream: the run ends by itself with a message naming the
/// device and the problem, the products are complete, and the exit code is 3.
#[test]
fn a_server_that_closes_mid_stream_ends_live_with_complete_products() {
    let fake = fake_red_pitaya_with(Feed {
        close_first_after: Some(100 * 1024),
        ..Feed::pattern(100e3)
    });
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let rec = dir.path().join("rec.sigmf-meta");
    let started = Instant::now();
    let o = run_downlink(&strings(&[
        "live",
        "-p",
        "waterfall",
        "--device",
        &device_args(fake.port),
        "--freq",
        "14.1M",
        "--rate",
        "100k",
        "--headless",
        "--record",
        rec.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
    ]));
    assert!(started.elapsed() < Duration::from_secs(30));
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(
        err.contains(&format!("soapy:{}", device_args(fake.port)))
            && err.contains("products written up to the failure"),
        "{err}"
    );
    let summary = json_lines(&o).pop().unwrap();
    assert_eq!(summary["type"], "summary");
    assert!(summary["input_error"].is_string(), "{summary}");
    let samples = summary["samples"].as_u64().unwrap();
    // What was sent before the close arrived (the module may keep a last partial read).
    assert!((90_000..=102_400).contains(&samples), "{summary}");
    // Complete products under their final names, nothing left half-written.
    only_file(&out, ".waterfall.png");
    assert!(std::fs::read_dir(&out).unwrap().all(|e| !e
        .unwrap()
        .path()
        .to_string_lossy()
        .ends_with(".part")));
    let (_, got) = common::read_all(rec.to_str().unwrap());
    assert_eq!(got.len() as u64, samples);
    assert!(got.iter().enumerate().all(|(i, s)| *s == pattern(i as u64)));
}

/// `decode soapy:ARGS` treats a failing device the same way: products kept, exit 3.
#[test]
fn decode_from_a_device_that_fails_keeps_its_products() {
    let fake = fake_red_pitaya_with(Feed {
        close_first_after: Some(50 * 1024),
        ..Feed::pattern(100e3)
    });
    let dir = tempfile::tempdir().unwrap();
    let o = run_downlink(&strings(&[
        "decode",
        "-p",
        "waterfall",
        "--rate",
        "100k",
        "--freq",
        "14.1M",
        &format!("soapy:{}", device_args(fake.port)),
        "-o",
        dir.path().to_str().unwrap(),
    ]));
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(3), "{err}");
    assert!(err.contains("the device stopped sending"), "{err}");
    only_file(dir.path(), ".waterfall.png");
}

/// `--reconnect`: the same failure reopens the device and the run goes on to the end.
#[test]
fn reconnect_resumes_after_the_server_drops_the_stream() {
    let fake = fake_red_pitaya_with(Feed {
        close_first_after: Some(50_000),
        ..Feed::pattern(100e3)
    });
    let dir = tempfile::tempdir().unwrap();
    let o = run_downlink(&strings(&[
        "live",
        "-p",
        "waterfall",
        "--device",
        &device_args(fake.port),
        "--freq",
        "14.1M",
        "--rate",
        "100k",
        "--headless",
        "--reconnect",
        "--seconds",
        "2",
        "-o",
        dir.path().to_str().unwrap(),
    ]));
    let err = common::stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        err.contains("reconnecting") && err.contains("reconnected"),
        "{err}"
    );
    let summary = json_lines(&o).pop().unwrap();
    assert_eq!(summary["samples"], 200_000, "{summary}");
    assert_eq!(
        summary["stages"][0]["values"]["reconnects"], 1.0,
        "{summary}"
    );
    assert_eq!(fake.data_connections.load(Ordering::SeqCst), 2);
    only_file(dir.path(), ".waterfall.png");
}

/// A chain whose stage is slower than the device: the reader keeps taking everything
/// the device sends (nothing piles up in the socket), drops what the queue cannot hold,
/// and the count reaches the run's status.
#[test]
fn a_slow_consumer_drops_counted_and_reported_while_the_reader_keeps_pace() {
    use downlink::chain::{self, Chunk, Product, RunOptions, SampleStage};
    use downlink::status::StageStatus;

    struct Slow {
        samples: u64,
    }
    impl SampleStage for Slow {
        fn name(&self) -> &'static str {
            "slow"
        }
        fn process(&mut self, chunk: &Chunk) -> downlink::error::Result<()> {
            self.samples += chunk.samples.len() as u64;
            // 4096 samples per 80 ms: a quarter of the device's 200 kS/s.
            std::thread::sleep(Duration::from_millis(80));
            Ok(())
        }
        fn finish(self: Box<Self>) -> downlink::error::Result<Vec<Product>> {
            Ok(Vec::new())
        }
        fn status(&self) -> StageStatus {
            StageStatus::new("slow", "running").with("samples", self.samples as f64)
        }
    }

    let fake = fake_red_pitaya_with(Feed {
        speed_x: 1.0,
        ..Feed::pattern(200e3)
    });
    let settings = DeviceSettings {
        center_freq_hz: 14.1e6,
        sample_rate_hz: Some(250e3),
        ..Default::default()
    };
    let mut cfg = SoapyConfig::new(&device_args(fake.port), settings);
    cfg.queue_blocks = 4;
    cfg.queue_s = 0.0;
    let src = SoapySource::open(&cfg).unwrap();
    let opts = RunOptions {
        chunk_samples: 4096,
        queue_chunks: 2,
        max_samples: Some(4096 * 25),
        ..RunOptions::default()
    };
    let report = chain::run(Box::new(src), Box::new(Slow { samples: 0 }), opts).unwrap();
    let source = &report.stages[0];
    let dropped = source.value("dropped_samples").unwrap() as u64;
    let sent = fake.sent.load(Ordering::Relaxed);
    // Two seconds at 200 kS/s sent, a quarter of it processed, the rest dropped.
    assert!(report.elapsed_s >= 1.8, "{}", report.elapsed_s);
    assert!(dropped > sent / 2, "dropped {dropped} of {sent}");
    // The fake kept its schedule (give or take a loaded machine): a reader that stalled
    // would have blocked its writes once the socket's small initial window filled.
    assert!(
        sent as f64 >= 0.75 * 200e3 * report.elapsed_s,
        "sent {sent} in {} s",
        report.elapsed_s
    );
    // What reached the stage or was dropped is nearly all that was sent: nothing piled
    // up in the socket or the driver while the stage was busy.
    let taken = report.samples + dropped;
    assert!(
        taken + 8 * 8192 >= sent,
        "sent {sent}, taken {taken} ({} processed, {dropped} dropped)",
        report.samples
    );
}

/// Frames of a `.frames.jsonl` product as (seconds from the start, transmitter, check,
/// frame bytes): what a live run and a file decode of the same samples must share (the
/// UTC `time` differs, as the live start is the clock at stream start).
fn frame_records(dir: &Path) -> Vec<(f64, String, String, String)> {
    std::fs::read_to_string(only_file(dir, ".frames.jsonl"))
        .unwrap()
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            assert_eq!(v["check_passed"], true, "{v}");
            (
                v["t_s"].as_f64().unwrap(),
                v["transmitter"].as_str().unwrap().to_owned(),
                v["check"].as_str().unwrap().to_owned(),
                v["frame"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// A cubesat live: AT03 (Pegasus, 9k6 FSK with TT-64 Reed–Solomon frames) from the
/// ground station's raw I/Q (1 s at 240 kS/s, its two frames decode without Doppler
/// correction), resampled to 250 kS/s (a Red Pitaya rate), streamed through libSoapySDR
/// into `downlink live --satellite`, gives the same frames, at the same sample times,
/// as `decode --satellite` on a file of the same samples; the frames arrive in the
/// KISS and JSON Lines products. The fake only tunes below 60 MHz, so the test's
/// satellite folder moves AT03's transmitter (and the file's centre) to 14.1 MHz.
#[test]
fn live_satellite_decodes_the_same_frames_as_decode_satellite() {
    use downlink_dsp::filter::{Resampler, ResamplerConfig};
    let Some(root) = common::shared_recordings() else {
        return;
    };
    let recording = root.join("cubesat-iq-pegasus/pegasus.raw.gz");
    let (info, samples) = common::read_all(&recording.to_string_lossy());
    assert_eq!(info.sample_rate_hz, 240e3);
    eprintln!("pegasus: centre {:?} Hz", info.center_freq_hz);
    let mut r = Resampler::new(ResamplerConfig {
        input_rate_hz: 240e3,
        output_rate_hz: 250e3,
        passband_hz: 100e3,
        stopband_db: 70.0,
    })
    .unwrap();
    // The file's centre is the receiver's tuned frequency, beside the transmitter's:
    // move the transmitter to the centre, where the test's satellite file puts it.
    let offset_hz = 436.67e6 - info.center_freq_hz.unwrap();
    let centred: Vec<Complex32> = samples
        .iter()
        .enumerate()
        .map(|(n, &x)| {
            let phase = -std::f64::consts::TAU * offset_hz * n as f64 / 240e3;
            x * Complex32::new(phase.cos() as f32, phase.sin() as f32)
        })
        .collect();
    let mut resampled = Vec::new();
    r.process(&centred, &mut resampled);
    // Exactly one second, so `--seconds 1` takes every sample and nothing more.
    resampled.resize(250_000, Complex32::new(0.0, 0.0));

    let dir = tempfile::tempdir().unwrap();
    let d = |name: &str| dir.path().join(name).to_string_lossy().into_owned();
    let sats = dir.path().join("sats");
    std::fs::create_dir(&sats).unwrap();
    let toml =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("satellites/at03.toml"))
            .unwrap();
    assert!(toml.contains("frequency_hz = 436_670_000"), "{toml}");
    std::fs::write(
        sats.join("at03.toml"),
        toml.replace("frequency_hz = 436_670_000", "frequency_hz = 14_100_000"),
    )
    .unwrap();
    let mut bytes = Vec::with_capacity(resampled.len() * 8);
    for s in &resampled {
        bytes.extend_from_slice(&s.re.to_le_bytes());
        bytes.extend_from_slice(&s.im.to_le_bytes());
    }
    std::fs::write(d("pegasus250k.cf32"), bytes).unwrap();

    let decoded = run_downlink(&strings(&[
        "decode",
        "--satellite",
        "42784",
        "--satellites-dir",
        &d("sats"),
        "--format",
        "cf32",
        "--rate",
        "250k",
        "--freq",
        "14.1M",
        "--json",
        "-o",
        &d("out-file"),
        &d("pegasus250k.cf32"),
    ]));
    assert!(decoded.status.success(), "{}", common::stderr(&decoded));
    let from_file = frame_records(&dir.path().join("out-file"));
    assert_eq!(from_file.len(), 2, "{from_file:?}");

    let fake = fake_red_pitaya_with(Feed {
        rate_hz: 250e3,
        speed_x: 2.0,
        samples: Some(Arc::new(resampled.clone())),
        close_first_after: None,
    });
    let live = run_downlink(&strings(&[
        "live",
        "--satellite",
        "AT03",
        "--satellites-dir",
        &d("sats"),
        "--device",
        &device_args(fake.port),
        "--rate",
        "250k",
        "--headless",
        "--seconds",
        "1",
        "--buffer",
        "4",
        "-o",
        &d("out-live"),
    ]));
    assert!(
        live.status.success(),
        "{}\n{}",
        common::stderr(&live),
        common::stdout(&live)
    );
    // No --freq: the device was tuned to the transmitter.
    assert!(
        fake.commands.lock().unwrap().contains(&14_100_000),
        "{:?}",
        fake.commands.lock().unwrap()
    );
    let lines = json_lines(&live);
    let summary = lines.last().unwrap();
    assert_eq!(summary["samples"], 250_000, "{summary}");
    assert_eq!(summary["stages"][0]["values"]["dropped_samples"], 0.0);
    let cubesat = summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "cubesat")
        .unwrap_or_else(|| panic!("no cubesat stage: {summary}"));
    assert_eq!(cubesat["values"]["frames"], 2.0, "{summary}");
    let live_dir = dir.path().join("out-live");
    assert_eq!(frame_records(&live_dir), from_file);
    // KISS: the same frames, as in the file decode's product.
    let kiss_live = std::fs::read(only_file(&live_dir, ".kiss")).unwrap();
    let kiss_file = std::fs::read(only_file(&dir.path().join("out-file"), ".kiss")).unwrap();
    assert!(!kiss_live.is_empty() && kiss_live == kiss_file);
    // The device's clock dates the frames.
    let first: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(only_file(&live_dir, ".frames.jsonl"))
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert!(
        first["time"].as_str().is_some_and(|t| t.starts_with("20")),
        "{first}"
    );
}
