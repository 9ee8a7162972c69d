//! `SoapySource` through Debian's SoapySDR Red Pitaya module, against a fake Red Pitaya
//! on 127.0.0.1 (needs `soapysdr-module-redpitaya`; run with `--features soapy`).
//! Devices are only ever opened with explicit arguments: enumerating with empty ones
//! would send network discovery packets.
#![cfg(feature = "soapy")]

use downlink::io::soapy::{SoapyConfig, SoapySource};
use downlink::io::SampleSource;
use num_complex::Complex32;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Sample `k` of the fake device: exact in f32, so the receiver can check continuity.
fn pattern(k: u64) -> Complex32 {
    Complex32::new((k % 65536) as f32, -((k / 65536) as f32))
}

struct FakeRedPitaya {
    port: u16,
    commands: Arc<Mutex<Vec<u32>>>,
    stop: Arc<AtomicBool>,
}

impl Drop for FakeRedPitaya {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

fn read_u32(s: &mut TcpStream) -> Option<u32> {
    let mut b = [0u8; 4];
    s.read_exact(&mut b).ok()?;
    Some(u32::from_le_bytes(b))
}

/// Serves the Red Pitaya SDR protocol: each connection's first u32 says what it is
/// (0 control, 1 data); control carries u32 commands, data raw little-endian CF32,
/// written 8 KiB at a time at twice `rate_hz`.
fn fake_red_pitaya(rate_hz: f64) -> FakeRedPitaya {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let commands = Arc::new(Mutex::new(Vec::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let (cmds, stop2) = (commands.clone(), stop.clone());
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
                    std::thread::spawn(move || {
                        let start = Instant::now();
                        let mut k = 0u64;
                        let mut bytes = Vec::with_capacity(8192);
                        while !stop.load(Ordering::Relaxed) {
                            bytes.clear();
                            for _ in 0..1024 {
                                let c = pattern(k);
                                bytes.extend_from_slice(&c.re.to_le_bytes());
                                bytes.extend_from_slice(&c.im.to_le_bytes());
                                k += 1;
                            }
                            if s.write_all(&bytes).is_err() {
                                return;
                            }
                            let due = Duration::from_secs_f64(k as f64 / (2.0 * rate_hz));
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
        stop,
    }
}

fn open(port: u16, queue_blocks: usize) -> SoapySource {
    SoapySource::open(&SoapyConfig {
        args: format!("driver=redpitaya,addr=127.0.0.1,port={port}"),
        center_freq_hz: 14.1e6,
        sample_rate_hz: 100e3,
        queue_blocks,
    })
    .unwrap()
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
