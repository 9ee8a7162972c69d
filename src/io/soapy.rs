//! Live samples from a SoapySDR device (cargo feature `soapy`).
//!
//! A reader thread owns the device and its stream and reads at most one `mtu()` per
//! call. It never waits for the chain: when the queue to [`SoapySource::read`] is full,
//! the block is dropped and counted (`dropped_samples`), so a slow consumer loses
//! samples instead of overflowing the device's own buffers silently.

use crate::io::{Container, InputError, RecordingInfo, SampleFormat, SampleSource};
use crossbeam_channel::{bounded, Receiver, TrySendError};
use num_complex::Complex32;
use soapysdr::{Device, Direction, ErrorCode};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;

/// What to open and how to tune it.
#[derive(Clone, Debug)]
pub struct SoapyConfig {
    /// SoapySDR device arguments, e.g. `driver=rtlsdr` or
    /// `driver=redpitaya,addr=192.168.1.100,port=1001`.
    pub args: String,
    pub center_freq_hz: f64,
    pub sample_rate_hz: f64,
    /// Blocks of up to `mtu()` samples queued between the reader thread and `read`.
    pub queue_blocks: usize,
}

type Block = Result<Vec<Complex32>, String>;

/// A device as a [`SampleSource`].
pub struct SoapySource {
    info: RecordingInfo,
    rx: Receiver<Block>,
    dropped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pending: Vec<Complex32>,
    pos: usize,
    error: Option<InputError>,
}

/// Lists the devices SoapySDR finds for `args` (`""` probes every module, which may
/// send network discovery packets).
pub fn enumerate(args: &str) -> Result<Vec<String>, String> {
    let found = soapysdr::enumerate(args).map_err(|e| format!("SoapySDR enumerate: {e}"))?;
    Ok(found
        .iter()
        .map(|a| {
            a.iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect())
}

impl SoapySource {
    pub fn open(config: &SoapyConfig) -> Result<Self, InputError> {
        let fail = |what: &str, e: &dyn std::fmt::Display| InputError {
            path: format!("soapy:{}", config.args),
            problem: format!("{what}: {e}"),
        };
        if !(config.sample_rate_hz > 0.0 && config.sample_rate_hz.is_finite()) {
            return Err(fail("sample rate", &config.sample_rate_hz));
        }
        let dev = Device::new(config.args.as_str()).map_err(|e| fail("opening the device", &e))?;
        dev.set_sample_rate(Direction::Rx, 0, config.sample_rate_hz)
            .map_err(|e| fail("setting the sample rate", &e))?;
        dev.set_frequency(Direction::Rx, 0, config.center_freq_hz, ())
            .map_err(|e| fail("tuning", &e))?;
        let rate = dev
            .sample_rate(Direction::Rx, 0)
            .unwrap_or(config.sample_rate_hz);
        let freq = dev
            .frequency(Direction::Rx, 0)
            .unwrap_or(config.center_freq_hz);
        let driver = dev.driver_key().unwrap_or_default();
        let mut stream = dev
            .rx_stream::<Complex32>(&[0])
            .map_err(|e| fail("opening the RX stream", &e))?;
        let mtu = stream.mtu().map_err(|e| fail("stream MTU", &e))?.max(1);
        stream
            .activate(None)
            .map_err(|e| fail("starting the stream", &e))?;
        let (tx, rx) = bounded::<Block>(config.queue_blocks.max(1));
        let dropped = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (t_dropped, t_stop) = (dropped.clone(), stop.clone());
        let thread = std::thread::Builder::new()
            .name("soapy".into())
            .spawn(move || {
                // The device lives as long as its stream.
                let _dev = dev;
                while !t_stop.load(Ordering::Relaxed) {
                    let mut buf = vec![Complex32::default(); mtu];
                    match stream.read(&mut [&mut buf[..]], 100_000) {
                        Ok(n) => {
                            buf.truncate(n);
                            match tx.try_send(Ok(buf)) {
                                Ok(()) => {}
                                Err(TrySendError::Full(_)) => {
                                    t_dropped.fetch_add(n as u64, Ordering::Relaxed);
                                }
                                Err(TrySendError::Disconnected(_)) => break,
                            }
                        }
                        Err(e) if e.code == ErrorCode::Timeout => {}
                        // An overflow inside the driver: samples were lost there.
                        Err(e) if e.code == ErrorCode::Overflow => {}
                        Err(e) => {
                            let _ = tx.send(Err(format!("reading the stream: {e}")));
                            break;
                        }
                    }
                }
                let _ = stream.deactivate(None);
            })
            .map_err(|e| fail("starting the reader thread", &e))?;
        let info = RecordingInfo {
            path: format!("soapy:{}", config.args),
            container: Container::Device,
            format: SampleFormat::Cf32,
            sample_rate_hz: rate,
            center_freq_hz: Some(freq),
            start_time: Some(chrono::Utc::now()),
            total_samples: None,
            sources: vec![
                format!("sample_rate_hz: SoapySDR {driver}"),
                format!("center_freq_hz: SoapySDR {driver}"),
                "start_time: clock at stream start".into(),
            ],
            annotations: Vec::new(),
            tle: None,
            station: None,
            satellite: None,
            description: Some(format!("SoapySDR device {}", config.args)),
        };
        Ok(SoapySource {
            info,
            rx,
            dropped,
            stop,
            thread: Some(thread),
            pending: Vec::new(),
            pos: 0,
            error: None,
        })
    }
}

impl SampleSource for SoapySource {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        if let Some(e) = &self.error {
            return Err(e.clone());
        }
        if max == 0 {
            return Ok(0);
        }
        while self.pos >= self.pending.len() {
            match self.rx.recv() {
                Ok(Ok(block)) => {
                    self.pending = block;
                    self.pos = 0;
                }
                Ok(Err(problem)) => {
                    let e = InputError {
                        path: self.info.path.clone(),
                        problem,
                    };
                    self.error = Some(e.clone());
                    return Err(e);
                }
                Err(_) => {
                    let e = InputError {
                        path: self.info.path.clone(),
                        problem: "the device reader stopped".into(),
                    };
                    self.error = Some(e.clone());
                    return Err(e);
                }
            }
        }
        let n = max.min(self.pending.len() - self.pos);
        out.extend_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for SoapySource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The reader never blocks on the queue (try_send), so it sees the flag within
        // one read timeout.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
