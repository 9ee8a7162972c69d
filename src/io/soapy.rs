//! Live samples from a SoapySDR device (cargo feature `soapy`).
//!
//! A reader thread owns the device and its stream and reads at most one `mtu()` per
//! call. It never waits for the chain: when the queue to [`SoapySource::read`] is full,
//! the block is dropped and counted (`dropped_samples`), so a slow consumer loses
//! samples instead of overflowing the device's own buffers silently.
//!
//! The queue is bounded in samples (`queue_s` seconds of signal, at least
//! `queue_blocks` reads), not in reads, so it holds the time it promises whatever the
//! size of the device's reads.
//!
//! The TUI's tuning and gain keys reach the device through a [`DeviceTuner`]: the reader
//! thread applies each [`RadioCommand`] between two reads, and every block carries the
//! centre frequency it was received at.
//!
//! A device that fails (a stream error, or no samples for [`SoapyConfig::stall`]) ends
//! the stream with an error naming the device — or, with `reconnect`, is reopened with
//! the same settings until it answers again (the gap is counted as `reconnects`).

use crate::io::device::{
    apply, configure, Applied, DeviceSettings, Gain, RadioChange, RadioCommand, RadioControl,
};
use crate::io::{Container, InputError, RecordingInfo, SampleFormat, SampleSource};
use crossbeam_channel::{bounded, unbounded, Receiver, RecvTimeoutError, Sender};
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
    /// The queue between the reader thread and `read` holds this many reads of
    /// `mtu()` samples…
    pub queue_blocks: usize,
    /// …or this many seconds of signal, whichever is more (a device with a small
    /// `mtu()` otherwise leaves little room for a stage's slow start). `live --buffer`.
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

/// Samples as read, with the centre frequency they were received at.
struct Samples {
    data: Vec<Complex32>,
    center_freq_hz: f64,
}

type Block = Result<Samples, String>;

/// A command for the reader thread and where its answer goes.
type Command = (RadioCommand, Sender<Result<RadioChange, String>>);

/// A device as a [`SampleSource`].
pub struct SoapySource {
    info: RecordingInfo,
    applied: Applied,
    rx: Receiver<Block>,
    /// Samples in the queue (the reader's bound).
    queued: Arc<AtomicU64>,
    commands: Sender<Command>,
    /// The centre frequency of the samples `read` returns now.
    center_freq_hz: f64,
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
    fn gain_db(&self) -> Result<f64, String> {
        self.dev.gain(RX, 0).map_err(msg)
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
    /// The device's controls; the device must outlive its stream.
    radio: SoapyRadio,
    stream: RxStream<Complex32>,
    mtu: usize,
    applied: Applied,
    /// Where the device is tuned now (changed by [`RadioCommand::Tune`]).
    center_freq_hz: f64,
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
        radio: SoapyRadio { dev },
        stream,
        mtu,
        center_freq_hz: applied.center_freq_hz,
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
        let for_time = (applied.sample_rate_hz * config.queue_s).ceil() as u64;
        let capacity = (config.queue_blocks.max(1) as u64 * opened.mtu as u64).max(for_time);
        // Unbounded as a channel, bounded by the sample count the reader keeps.
        let (tx, rx) = unbounded::<Block>();
        let (commands, command_rx) = unbounded::<Command>();
        let queued = Arc::new(AtomicU64::new(0));
        let dropped = Arc::new(AtomicU64::new(0));
        let reconnects = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let reader = Reader {
            config: config.clone(),
            tx,
            capacity,
            queued: queued.clone(),
            commands: command_rx,
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
            center_freq_hz: applied.center_freq_hz,
            applied,
            rx,
            queued,
            commands,
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

    /// A handle the UI tunes the device with (any thread).
    pub fn tuner(&self) -> DeviceTuner {
        DeviceTuner {
            commands: self.commands.clone(),
            center_freq_hz: self.applied.center_freq_hz,
            gain: self
                .applied
                .notes
                .iter()
                .find_map(|n| n.strip_prefix("gain ").map(str::to_string))
                .unwrap_or_else(|| Gain::DeviceDefault.to_string()),
        }
    }
}

/// Tunes a running [`SoapySource`]'s device: the reader thread applies each command
/// between two reads (within one read timeout, 0.1 s) and answers.
pub struct DeviceTuner {
    commands: Sender<Command>,
    center_freq_hz: f64,
    gain: String,
}

impl DeviceTuner {
    fn ask(&mut self, cmd: RadioCommand) -> Result<String, String> {
        let (reply, answer) = bounded(1);
        self.commands
            .send((cmd, reply))
            .map_err(|_| "the device is closed".to_string())?;
        // A device being reopened (--reconnect) answers once it is back.
        match answer.recv_timeout(Duration::from_secs(2)) {
            Ok(Ok(change)) => {
                self.center_freq_hz = change.center_freq_hz;
                self.gain = change.gain.to_string();
                if change.refused {
                    Err(change.message)
                } else {
                    Ok(change.message)
                }
            }
            Ok(Err(e)) => Err(e),
            Err(_) => Err("the device did not answer within 2 s".into()),
        }
    }
}

impl crate::tune::Tuner for DeviceTuner {
    fn frequency_hz(&self) -> Option<f64> {
        Some(self.center_freq_hz)
    }
    fn gain(&self) -> Option<String> {
        Some(self.gain.clone())
    }
    fn tune_hz(&mut self, hz: f64) -> Result<String, String> {
        self.ask(RadioCommand::Tune(hz))
    }
    fn step_gain_db(&mut self, step_db: f64) -> Result<String, String> {
        self.ask(RadioCommand::StepGain(step_db))
    }
    fn toggle_agc(&mut self) -> Result<String, String> {
        self.ask(RadioCommand::ToggleAgc)
    }
}

/// Fewest samples a read asks for after timeouts (see `Reader::pump`).
const MIN_READ: usize = 64;

/// The reader thread's state.
struct Reader {
    /// Its settings follow the UI's commands, so a reopened device comes back as left.
    config: SoapyConfig,
    tx: Sender<Block>,
    /// Most samples queued at once.
    capacity: u64,
    queued: Arc<AtomicU64>,
    commands: Receiver<Command>,
    dropped: Arc<AtomicU64>,
    reconnects: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
}

enum ReadEnd {
    Stopped,
    Failed(String),
}

impl Reader {
    fn run(mut self, first: Opened) {
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

    /// Queues the error that ends the stream (after the samples before it).
    fn send_error(&self, problem: String) {
        let _ = self.tx.send(Err(problem));
    }

    /// Reads until stopped or the device fails; applies the UI's commands between reads.
    fn pump(&mut self, o: &mut Opened) -> ReadEnd {
        let mut last_data = Instant::now();
        // Samples asked for per read: the MTU, halved after each timeout. Some
        // drivers (Red Pitaya's) return nothing until a whole request is readable,
        // so a remainder smaller than the MTU stays unread; when the sender waits on
        // that receiver, the stream stalls for seconds. Smaller requests drain it.
        let mut want = o.mtu;
        while !self.stop.load(Ordering::Relaxed) {
            while let Ok((cmd, reply)) = self.commands.try_recv() {
                let result = apply(&mut o.radio, &mut self.config.settings, &o.applied, &cmd);
                if let Ok(change) = &result {
                    // Samples the driver already buffered are labelled with the new
                    // frequency too: a few milliseconds at most.
                    o.center_freq_hz = change.center_freq_hz;
                }
                let _ = reply.send(result);
            }
            let mut buf = vec![Complex32::default(); want];
            match o.stream.read(&mut [&mut buf[..]], 100_000) {
                Ok(0) => {}
                Ok(n) => {
                    last_data = Instant::now();
                    want = (want * 2).min(o.mtu);
                    buf.truncate(n);
                    if self.queued.load(Ordering::Relaxed) + n as u64 > self.capacity {
                        self.dropped.fetch_add(n as u64, Ordering::Relaxed);
                        continue;
                    }
                    self.queued.fetch_add(n as u64, Ordering::Relaxed);
                    let block = Samples {
                        data: buf,
                        center_freq_hz: o.center_freq_hz,
                    };
                    if self.tx.send(Ok(block)).is_err() {
                        return ReadEnd::Stopped;
                    }
                    continue;
                }
                Err(e) if e.code == ErrorCode::Timeout => {
                    want = (want / 2).max(MIN_READ.min(o.mtu))
                }
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
                    self.queued
                        .fetch_sub(block.data.len() as u64, Ordering::Relaxed);
                    self.pending = block.data;
                    self.center_freq_hz = block.center_freq_hz;
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

    fn center_freq_hz(&self) -> Option<f64> {
        Some(self.center_freq_hz)
    }
}

impl Drop for SoapySource {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        // The reader never blocks on the queue (it is bounded by the sample count the
        // reader keeps), so it sees the flag within one read timeout.
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
