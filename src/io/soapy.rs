//! Live samples from a SoapySDR device (cargo feature `soapy`).
//!
//! A reader thread owns the device and its stream and reads at most one `mtu()` per
//! call. It never waits for the chain: when the queue to [`SoapySource::read`] is full,
//! the block is dropped and counted (`dropped_samples`), so a slow consumer loses
//! samples instead of overflowing the device's own buffers silently.
//!
//! A device that fails (a stream error, or no samples for [`SoapyConfig::stall`]) ends
//! the stream with an error naming the device — or, with `reconnect`, is reopened with
//! the same settings until it answers again (the gap is counted as `reconnects`).

use crate::io::device::{configure, Applied, DeviceSettings, RadioControl};
use crate::io::{Container, InputError, RecordingInfo, SampleFormat, SampleSource};
use crossbeam_channel::{bounded, Receiver, RecvTimeoutError, Sender, TrySendError};
use num_complex::Complex32;
use soapysdr::{Device, Direction, ErrorCode, RxStream};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// What to open and how to tune it.
#[derive(Clone, Debug)]
pub struct SoapyConfig {
    /// SoapySDR device arguments, e.g. `driver=rtlsdr` or
    /// `driver=redpitaya,addr=192.168.1.100,port=1001`.
    pub args: String,
    pub settings: DeviceSettings,
    /// Blocks of up to `mtu()` samples queued between the reader thread and `read`…
    pub queue_blocks: usize,
    /// …or more, to hold this many seconds of signal (a device with a small `mtu()`
    /// otherwise leaves little room for a stage's slow start).
    pub queue_s: f64,
    /// Reopen a failed device instead of ending the stream.
    pub reconnect: bool,
    /// A device that delivers nothing for this long has failed.
    pub stall: Duration,
    /// The run's stop flag (Ctrl-C): `read` returns the end of the stream when it is set
    /// while waiting for samples, so a silent or reconnecting device never holds a stop.
    pub interrupt: Option<Arc<AtomicBool>>,
}

impl SoapyConfig {
    pub fn new(args: &str, settings: DeviceSettings) -> Self {
        SoapyConfig {
            args: args.to_string(),
            settings,
            queue_blocks: 64,
            queue_s: 0.5,
            reconnect: false,
            stall: Duration::from_secs(3),
            interrupt: None,
        }
    }
}

type Block = Result<Vec<Complex32>, String>;

/// A device as a [`SampleSource`].
pub struct SoapySource {
    info: RecordingInfo,
    applied: Applied,
    rx: Receiver<Block>,
    dropped: Arc<AtomicU64>,
    reconnects: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    pending: Vec<Complex32>,
    pos: usize,
    error: Option<InputError>,
    interrupt: Option<Arc<AtomicBool>>,
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

/// A SoapySDR device's first receive channel behind [`RadioControl`].
pub struct SoapyRadio {
    pub dev: Device,
}

const RX: Direction = Direction::Rx;

fn msg(e: soapysdr::Error) -> String {
    e.to_string()
}

impl RadioControl for SoapyRadio {
    fn driver(&self) -> String {
        self.dev.driver_key().unwrap_or_default()
    }
    fn set_sample_rate_hz(&mut self, hz: f64) -> Result<(), String> {
        self.dev.set_sample_rate(RX, 0, hz).map_err(msg)
    }
    fn sample_rate_hz(&self) -> Result<f64, String> {
        self.dev.sample_rate(RX, 0).map_err(msg)
    }
    fn set_frequency_hz(&mut self, hz: f64) -> Result<(), String> {
        self.dev.set_frequency(RX, 0, hz, ()).map_err(msg)
    }
    fn frequency_hz(&self) -> Result<f64, String> {
        self.dev.frequency(RX, 0).map_err(msg)
    }
    fn frequency_components(&self) -> Result<Vec<String>, String> {
        self.dev.list_frequencies(RX, 0).map_err(msg)
    }
    fn set_component_frequency(&mut self, component: &str, value: f64) -> Result<(), String> {
        self.dev
            .set_component_frequency(RX, 0, component, value, ())
            .map_err(msg)
    }
    fn antennas(&self) -> Result<Vec<String>, String> {
        self.dev.antennas(RX, 0).map_err(msg)
    }
    fn set_antenna(&mut self, name: &str) -> Result<(), String> {
        self.dev.set_antenna(RX, 0, name).map_err(msg)
    }
    fn gain_elements(&self) -> Result<Vec<String>, String> {
        self.dev.list_gains(RX, 0).map_err(msg)
    }
    fn gain_range_db(&self, element: Option<&str>) -> Result<(f64, f64), String> {
        let r = match element {
            Some(e) => self.dev.gain_element_range(RX, 0, e),
            None => self.dev.gain_range(RX, 0),
        }
        .map_err(msg)?;
        Ok((r.minimum, r.maximum))
    }
    fn set_gain_db(&mut self, element: Option<&str>, db: f64) -> Result<(), String> {
        match element {
            Some(e) => self.dev.set_gain_element(RX, 0, e, db),
            None => self.dev.set_gain(RX, 0, db),
        }
        .map_err(msg)
    }
    fn has_agc(&self) -> Result<bool, String> {
        self.dev.has_gain_mode(RX, 0).map_err(msg)
    }
    fn set_agc(&mut self, on: bool) -> Result<(), String> {
        self.dev.set_gain_mode(RX, 0, on).map_err(msg)
    }
    fn write_setting(&mut self, key: &str, value: &str) -> Result<(), String> {
        self.dev.write_setting(key, value).map_err(msg)
    }
}

struct Opened {
    /// The device must outlive its stream.
    _dev: Device,
    stream: RxStream<Complex32>,
    mtu: usize,
    applied: Applied,
}

/// Opens, configures and starts the device.
fn open_device(config: &SoapyConfig) -> Result<Opened, String> {
    let dev = Device::new(config.args.as_str()).map_err(|e| format!("opening the device: {e}"))?;
    let mut radio = SoapyRadio { dev };
    let applied = configure(&mut radio, &config.settings)?;
    let dev = radio.dev;
    let mut stream = dev
        .rx_stream::<Complex32>(&[0])
        .map_err(|e| format!("opening the RX stream: {e}"))?;
    let mtu = stream.mtu().map_err(|e| format!("stream MTU: {e}"))?.max(1);
    stream
        .activate(None)
        .map_err(|e| format!("starting the stream: {e}"))?;
    Ok(Opened {
        _dev: dev,
        stream,
        mtu,
        applied,
    })
}

impl SoapySource {
    pub fn open(config: &SoapyConfig) -> Result<Self, InputError> {
        let path = format!("soapy:{}", config.args);
        let opened = open_device(config).map_err(|problem| InputError {
            path: path.clone(),
            problem,
        })?;
        let applied = opened.applied.clone();
        let blocks_for_time = (applied.sample_rate_hz * config.queue_s / opened.mtu as f64).ceil();
        let queue = config.queue_blocks.max(blocks_for_time as usize).max(1);
        let (tx, rx) = bounded::<Block>(queue);
        let dropped = Arc::new(AtomicU64::new(0));
        let reconnects = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            config: config.clone(),
            tx,
            dropped: dropped.clone(),
            reconnects: reconnects.clone(),
            stop: stop.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("soapy".into())
            .spawn(move || reader.run(opened))
            .map_err(|e| InputError {
                path: path.clone(),
                problem: format!("starting the reader thread: {e}"),
            })?;
        let driver = applied.driver.clone();
        let info = RecordingInfo {
            path: path.clone(),
            container: Container::Device,
            format: SampleFormat::Cf32,
            sample_rate_hz: applied.sample_rate_hz,
            center_freq_hz: Some(applied.center_freq_hz),
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
            applied,
            rx,
            dropped,
            reconnects,
            stop,
            thread: Some(thread),
            pending: Vec::new(),
            pos: 0,
            error: None,
            interrupt: config.interrupt.clone(),
        })
    }

    /// What the device was set to (for the log and the recording's `core:hw`).
    pub fn applied(&self) -> &Applied {
        &self.applied
    }
}

/// The reader thread's state.
struct Reader {
    config: SoapyConfig,
    tx: Sender<Block>,
    dropped: Arc<AtomicU64>,
    reconnects: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

enum ReadEnd {
    Stopped,
    Failed(String),
}

impl Reader {
    fn run(self, first: Opened) {
        let mut opened = first;
        loop {
            let end = self.pump(&mut opened);
            let _ = opened.stream.deactivate(None);
            drop(opened);
            let problem = match end {
                ReadEnd::Stopped => return,
                ReadEnd::Failed(p) => p,
            };
            if !self.config.reconnect {
                self.send_error(problem);
                return;
            }
            eprintln!(
                "downlink: soapy:{}: {problem}; reconnecting",
                self.config.args
            );
            match self.reopen() {
                Some(o) => {
                    self.reconnects.fetch_add(1, Ordering::Relaxed);
                    eprintln!("downlink: soapy:{}: reconnected", self.config.args);
                    opened = o;
                }
                None => return,
            }
        }
    }

    /// Queues the error that ends the stream, unless the run stops first.
    fn send_error(&self, problem: String) {
        let mut block: Block = Err(problem);
        while !self.stop.load(Ordering::Relaxed) {
            match self.tx.send_timeout(block, Duration::from_millis(100)) {
                Err(crossbeam_channel::SendTimeoutError::Timeout(b)) => block = b,
                _ => return,
            }
        }
    }

    /// Reads until stopped or the device fails.
    fn pump(&self, o: &mut Opened) -> ReadEnd {
        let mut last_data = Instant::now();
        while !self.stop.load(Ordering::Relaxed) {
            let mut buf = vec![Complex32::default(); o.mtu];
            match o.stream.read(&mut [&mut buf[..]], 100_000) {
                Ok(0) => {}
                Ok(n) => {
                    last_data = Instant::now();
                    buf.truncate(n);
                    match self.tx.try_send(Ok(buf)) {
                        Ok(()) => {}
                        Err(TrySendError::Full(_)) => {
                            self.dropped.fetch_add(n as u64, Ordering::Relaxed);
                        }
                        Err(TrySendError::Disconnected(_)) => return ReadEnd::Stopped,
                    }
                    continue;
                }
                Err(e) if e.code == ErrorCode::Timeout => {}
                // An overflow inside the driver: samples were lost there.
                Err(e) if e.code == ErrorCode::Overflow => {
                    last_data = Instant::now();
                    continue;
                }
                Err(e) => return ReadEnd::Failed(format!("reading the stream: {e}")),
            }
            if last_data.elapsed() >= self.config.stall {
                return ReadEnd::Failed(format!(
                    "no samples for {:.1} s: the device stopped sending",
                    self.config.stall.as_secs_f64()
                ));
            }
        }
        ReadEnd::Stopped
    }

    /// Tries to open the device again every half second until it answers or the run stops.
    fn reopen(&self) -> Option<Opened> {
        while !self.stop.load(Ordering::Relaxed) {
            match open_device(&self.config) {
                Ok(o) => return Some(o),
                Err(_) => std::thread::sleep(Duration::from_millis(500)),
            }
        }
        None
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
            let problem = match self.rx.recv_timeout(Duration::from_millis(100)) {
                Ok(Ok(block)) => {
                    self.pending = block;
                    self.pos = 0;
                    continue;
                }
                Ok(Err(problem)) => problem,
                Err(RecvTimeoutError::Timeout) => {
                    if self
                        .interrupt
                        .as_ref()
                        .is_some_and(|f| f.load(Ordering::Relaxed))
                    {
                        return Ok(0);
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => "the device reader stopped".into(),
            };
            let e = InputError {
                path: self.info.path.clone(),
                problem,
            };
            self.error = Some(e.clone());
            return Err(e);
        }
        let n = max.min(self.pending.len() - self.pos);
        out.extend_from_slice(&self.pending[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }

    fn dropped_samples(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    fn reconnects(&self) -> u64 {
        self.reconnects.load(Ordering::Relaxed)
    }
}

impl Drop for SoapySource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The reader never blocks on the queue (try_send, and a final error is sent
        // with a timeout), so it sees the flag within one read timeout.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
