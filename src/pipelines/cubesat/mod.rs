//! `decode --satellite`: receiver audio (FM discriminator output, or SSB audio with a
//! subcarrier) through one decoder per transmitter of the satellite that
//! [`decoders::build`] supports. Raw I/Q is taken too: each transmitter's channel is
//! shifted from its place in the recording (its frequency minus the recording's centre,
//! plus the Doppler shift the TLE in the metadata predicts), filtered and decimated,
//! then FM-demodulated into audio or handed over as baseband, as the decoder asks. Every
//! checked frame goes, as it arrives, to a hexdump (terminal), a KISS file and a JSON
//! Lines file; both files are written under `.part` names and renamed at the end.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::io::RecordingInfo;
use crate::satellites::Satellite;
use crate::status::StageStatus;
use chrono::{DateTime, Utc};
pub mod afc;
pub mod ao40_fsk;
pub mod bpsk;
pub mod decoders;
pub mod soft_fsk;
mod symbols;

use decoders::{Decoder, Input, Samples};
use downlink_dsp::demod::fsk_decoder::{DecodedFrame, FrameCheck};
use downlink_dsp::filter::channelizer::{Channelizer, ChannelizerConfig};
use downlink_dsp::filter::design::lowpass_taps;
use downlink_dsp::filter::fir_filter::FirFilter;
use downlink_dsp::framing::kiss::Kiss;
use downlink_dsp::spectrum::measure_carrier;
use num_complex::Complex32;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

/// Where the products go: `{dir}/{stem}.kiss` and `{dir}/{stem}.frames.jsonl`.
#[derive(Clone, Debug)]
pub struct CubesatOutput {
    pub dir: PathBuf,
    pub stem: String,
}

struct Channel {
    transmitter: String,
    decoder: Box<dyn Decoder>,
    frames: u64,
    /// I/Q input: the receiver in front of the decoder.
    front: Option<IqFront>,
    /// Rate of the audio the decoder sees.
    audio_rate_hz: f64,
    baud: f64,
}

/// Audio rate the I/Q front end decimates to (enough for 9600 Bd FSK with deviation).
const FRONT_AUDIO_HZ: f64 = 48_000.0;
/// Frequency uncertainty left after the Doppler correction (LO error, TLE age), Hz.
const FRONT_MARGIN_HZ: f64 = 4_000.0;
/// Transition width of the lowpass applied when the transmitter's deviation is known,
/// Hz. Its cutoff is Carson's half-width (deviation + baud/2 for FSK, + the highest tone
/// for AFSK: `Modulation::fm_half_width_hz`): a channel just wide enough
/// for the signal keeps the discriminator above its threshold on weak passes (AAUSAT-4's
/// 2k4 GFSK in `cubesat-iq-aausat` decodes through it, and not with the cutoff 500 Hz
/// higher).
const FRONT_NARROW_TRANSITION_HZ: f64 = 1_000.0;

/// Input time between two updates of the Doppler correction. The fastest a LEO
/// satellite's Doppler moves is ~0.2 km/s² of range acceleration, 290 Hz/s at 437 MHz:
/// under 6 Hz per step, far inside any channel's margin.
const DOPPLER_STEP_S: f64 = 0.02;
/// Longest stretch of a frame's baseband its carrier and SNR are measured over.
const MEASURE_S: f64 = 1.0;
/// Frame summaries kept for the status (the TUI's frame log shows the newest).
const RECENT_FRAMES: usize = 16;

/// The Doppler correction of one transmitter: the predicted shift, recomputed every
/// [`DOPPLER_STEP_S`] of input from the orbit, moves the channel so that the carrier
/// stays where a satellite at rest would put it.
struct DopplerTrack {
    orbit: crate::doppler::Orbit,
    station: crate::io::Station,
    start: DateTime<Utc>,
    freq_hz: f64,
    /// Transmitter frequency minus the recording's centre.
    nominal_offset_hz: f64,
    step_samples: u64,
    rate_hz: f64,
    /// Correction applied over the current step.
    current_hz: f64,
}

impl DopplerTrack {
    /// None when the metadata lacks a TLE, station or start time, or when the orbit
    /// cannot be propagated to the recording's start.
    fn new(info: &RecordingInfo, freq_hz: f64, nominal_offset_hz: f64) -> Option<Self> {
        let orbit = crate::doppler::Orbit::from_tle(info.tle.as_ref()?).ok()?;
        let station = info.station.clone()?;
        let start = info.start_time?;
        let rate_hz = info.sample_rate_hz;
        let mut d = DopplerTrack {
            orbit,
            station,
            start,
            freq_hz,
            nominal_offset_hz,
            step_samples: ((DOPPLER_STEP_S * rate_hz).round() as u64).max(1),
            rate_hz,
            current_hz: 0.0,
        };
        d.current_hz = d.at_step(0)?;
        Some(d)
    }

    /// The Doppler shift at the middle of the step starting at input sample `first`.
    fn at_step(&self, first: u64) -> Option<f64> {
        let t_s = (first as f64 + self.step_samples as f64 / 2.0) / self.rate_hz;
        let t = self.start + chrono::Duration::microseconds((t_s * 1e6).round() as i64);
        self.orbit.doppler_hz(&self.station, t, self.freq_hz).ok()
    }
}

/// Channel filter and FM discriminator for one transmitter in an I/Q recording.
struct IqFront {
    channelizer: Channelizer,
    /// With a known deviation: a sharp lowpass to the signal's band at the output rate
    /// (the channelizer's transition band runs from the kept band up to where aliases
    /// start, so without it the discriminator sees noise up to the output Nyquist).
    narrow: Option<FirFilter>,
    narrowed: Vec<Complex32>,
    baseband: Vec<Complex32>,
    audio: Vec<f32>,
    last: Complex32,
    doppler: Option<DopplerTrack>,
    /// Carrier search: holds the input back a block and tunes the channel to the
    /// transmitter found in it (None: the channel stays on the predicted frequency).
    afc: Option<afc::Afc>,
    /// Transmitter frequency minus the recording's centre.
    nominal_offset_hz: f64,
    /// Input samples taken so far.
    input_samples: u64,
    /// The channelizer's latest output (before the narrow filter, whose stopband
    /// would read as a noise floor): at least the last chunk and [`MEASURE_S`] before
    /// it, ending at output sample `produced`.
    history: Vec<Complex32>,
    produced: u64,
}

/// What the receiver saw of one frame.
#[derive(Clone, Copy, Debug, PartialEq)]
struct FrameSignal {
    /// Carrier offset from the transmitter's nominal frequency (Doppler included).
    freq_offset_hz: Option<f64>,
    snr_db: Option<f64>,
    /// Doppler correction applied when the frame ended.
    doppler_hz: Option<f64>,
    /// Carrier search's correction (beyond nominal + Doppler) when the frame ended.
    afc_hz: Option<f64>,
}

/// How the I/Q front end follows the transmitter.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuning {
    /// Follow the Doppler shift the TLE, station and start time predict (when the
    /// recording's metadata, or the command line, gives all three).
    pub doppler: bool,
    /// Search for the carrier around the nominal (or Doppler-corrected) frequency and
    /// tune to it ([`afc`]).
    pub afc: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            doppler: true,
            afc: true,
        }
    }
}

impl IqFront {
    fn new(
        info: &RecordingInfo,
        freq_hz: f64,
        modulation: &crate::satellites::Modulation,
        tuning: Tuning,
    ) -> Result<Self> {
        let baud = modulation.baud().unwrap_or(0.0);
        let half_width_hz = modulation.fm_half_width_hz();
        // A complex recording that does not say its centre frequency (a 2-channel I/Q
        // WAV, L = I and R = Q) is taken as centred on the transmitter, without Doppler:
        // such files are cut around the signal already.
        let nominal_offset_hz = info.center_freq_hz.map_or(0.0, |c| freq_hz - c);
        let doppler = match info.center_freq_hz {
            Some(_) if tuning.doppler => DopplerTrack::new(info, freq_hz, nominal_offset_hz),
            _ => None,
        };
        let offset_hz = nominal_offset_hz + doppler.as_ref().map_or(0.0, |d| d.current_hz);
        let rate = info.sample_rate_hz;
        // Fast links (NuSat: 40 kBd) need more than the usual audio rate.
        let out_rate = FRONT_AUDIO_HZ.max(4.0 * baud).min(rate);
        // Wide enough for the FM signal's own band when that is known (AFSK on a wide
        // FM deviation is wider than the rule of thumb for the baud rate).
        let bandwidth_hz = (2.0 * (baud + 3_000.0) + FRONT_MARGIN_HZ)
            .max(half_width_hz.map_or(0.0, |h| 2.0 * h + FRONT_MARGIN_HZ))
            .min(0.9 * out_rate);
        if offset_hz.abs() + bandwidth_hz / 2.0 > rate / 2.0 {
            return Err(Error::Usage(format!(
                "{}: the transmitter at {:.3} MHz ({:+.0} Hz from the centre, Doppler included) \
                 is outside the recording's band",
                info.path,
                freq_hz / 1e6,
                offset_hz
            )));
        }
        let channelizer = Channelizer::new(ChannelizerConfig {
            input_rate_hz: rate,
            offset_hz,
            output_rate_hz: out_rate,
            bandwidth_hz,
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        let narrow = match half_width_hz {
            Some(cutoff_hz) => {
                let rate = channelizer.actual_output_rate_hz();
                let transition_hz = FRONT_NARROW_TRANSITION_HZ;
                if cutoff_hz + transition_hz / 2.0 < bandwidth_hz / 2.0 {
                    let taps = lowpass_taps(cutoff_hz / rate, transition_hz / rate, 60.0)
                        .map_err(|e| Error::Usage(e.to_string()))?;
                    Some(FirFilter::new(&taps).map_err(|e| Error::Usage(e.to_string()))?)
                } else {
                    None
                }
            }
            None => None,
        };
        // Without a centre frequency the file is cut around the signal already.
        let afc = match info.center_freq_hz {
            Some(_) if tuning.afc => {
                // Only as far as the channel can be tuned within the recording's band.
                let room_hz = rate / 2.0 - bandwidth_hz / 2.0 - offset_hz.abs();
                let span_hz = afc::search_span_hz(freq_hz, doppler.is_some()).min(room_hz.max(0.0));
                Some(
                    afc::Afc::new(
                        rate,
                        offset_hz,
                        span_hz,
                        afc::signal_width_hz(modulation),
                        afc::deadband_hz(modulation),
                    )
                    .map_err(|e| Error::Usage(format!("{}: carrier search: {e}", info.path)))?,
                )
            }
            _ => None,
        };
        Ok(IqFront {
            channelizer,
            narrow,
            narrowed: Vec::new(),
            baseband: Vec::new(),
            audio: Vec::new(),
            last: Complex32::new(0.0, 0.0),
            doppler,
            afc,
            nominal_offset_hz,
            input_samples: 0,
            history: Vec::new(),
            produced: 0,
        })
    }

    /// I/Q in, the channel's baseband out in `self.baseband` and, for `Input::Audio`,
    /// discriminator audio (radians per sample) in `self.audio`. With the carrier
    /// search on, the output lags the input by up to two AFC blocks; `finish` gives
    /// the rest.
    fn process(&mut self, iq: &[Complex32], input: Input) {
        self.baseband.clear();
        match self.afc.take() {
            None => self.tune(iq, 0.0),
            Some(mut afc) => {
                afc.push(iq);
                self.release(&mut afc, false);
                self.afc = Some(afc);
            }
        }
        self.after_channel(input);
    }

    /// The input still held back by the carrier search, through the channel.
    fn finish(&mut self, input: Input) {
        self.baseband.clear();
        if let Some(mut afc) = self.afc.take() {
            self.release(&mut afc, true);
            self.afc = Some(afc);
        }
        self.after_channel(input);
    }

    /// Every block the carrier search has decided on, through the channel.
    fn release(&mut self, afc: &mut afc::Afc, finish: bool) {
        loop {
            let doppler = self.doppler.as_ref();
            let nominal = self.nominal_offset_hz;
            let decided = afc.ready(finish, |first, n| {
                nominal
                    + doppler
                        .and_then(|d| {
                            d.at_step((first + n as u64 / 2).saturating_sub(d.step_samples / 2))
                        })
                        .unwrap_or(0.0)
            });
            let Some((afc_hz, n)) = decided else {
                break;
            };
            self.tune(afc.block(n), afc_hz);
            afc.release(n);
        }
    }

    /// The channel at nominal + Doppler + `afc_hz` over `iq`.
    fn tune(&mut self, iq: &[Complex32], afc_hz: f64) {
        match self.doppler.as_mut() {
            None => {
                let want = self.nominal_offset_hz + afc_hz;
                if want != self.channelizer.config().offset_hz {
                    // Out of the band: the last tuning holds.
                    let _ = self.channelizer.set_offset_hz(want);
                }
                self.channelizer.process(iq, &mut self.baseband);
                self.input_samples += iq.len() as u64;
            }
            Some(d) => {
                // Steps start at fixed input samples, so the output does not depend on
                // how the input is chunked.
                let mut rest = iq;
                let mut first = true;
                while !rest.is_empty() {
                    let into_step = self.input_samples % d.step_samples;
                    if into_step == 0 || first {
                        // Past the orbit's valid span the last correction holds.
                        let step = self.input_samples - into_step;
                        let hz = d.at_step(step).unwrap_or(d.current_hz);
                        if self
                            .channelizer
                            .set_offset_hz(d.nominal_offset_hz + hz + afc_hz)
                            .is_ok()
                        {
                            d.current_hz = hz;
                        }
                    }
                    first = false;
                    let n = ((d.step_samples - into_step) as usize).min(rest.len());
                    self.channelizer.process(&rest[..n], &mut self.baseband);
                    self.input_samples += n as u64;
                    rest = &rest[n..];
                }
            }
        }
    }

    fn after_channel(&mut self, input: Input) {
        self.remember();
        if let Some(f) = self.narrow.as_mut() {
            self.narrowed.clear();
            f.process(&self.baseband, &mut self.narrowed);
            std::mem::swap(&mut self.baseband, &mut self.narrowed);
        }
        self.audio.clear();
        if input == Input::Baseband {
            return;
        }
        for &x in &self.baseband {
            self.audio.push((x * self.last.conj()).arg());
            self.last = x;
        }
    }

    fn remember(&mut self) {
        // Frames end inside the chunk just processed, so their whole window is held
        // whatever the chunking: the measurement does not depend on it.
        let keep =
            (MEASURE_S * self.channelizer.actual_output_rate_hz()) as usize + self.baseband.len();
        self.history.extend_from_slice(&self.baseband);
        self.produced += self.baseband.len() as u64;
        if self.history.len() > 2 * keep {
            self.history.drain(..self.history.len() - keep);
        }
    }

    /// Carrier and SNR over the `seconds` of channel output that end at output sample
    /// `end_sample` (as much of it as is still held).
    fn measure(&self, end_sample: u64, seconds: f64) -> FrameSignal {
        let rate = self.channelizer.actual_output_rate_hz();
        let held_from = self.produced - self.history.len() as u64;
        let end = end_sample.clamp(held_from, self.produced);
        let want = (seconds * rate) as u64;
        let begin = end.saturating_sub(want).max(held_from);
        let window = &self.history[(begin - held_from) as usize..(end - held_from) as usize];
        // The correction that was applied when the frame's last sample went in.
        let doppler_hz = self.doppler.as_ref().and_then(|d| {
            let input = end * self.channelizer.decimation() as u64;
            d.at_step(input - input % d.step_samples)
        });
        let afc_hz = self
            .afc
            .as_ref()
            .map(|a| a.at_input(end * self.channelizer.decimation() as u64));
        let e = measure_carrier(window, rate, self.channelizer.config().bandwidth_hz);
        FrameSignal {
            freq_offset_hz: e
                .map(|e| e.offset_hz + doppler_hz.unwrap_or(0.0) + afc_hz.unwrap_or(0.0)),
            snr_db: e.map(|e| e.snr_db),
            doppler_hz,
            afc_hz,
        }
    }
}

/// Samples read to tell duplicated mono from I/Q: one second at the highest WAV rate
/// used here, enough for any signal to show in both channels.
const DUAL_MONO_PROBE_SAMPLES: usize = 192_000;
/// Channels whose difference is this far below their sum (30 dB: identical up to
/// dither and rounding) carry the same audio.
const DUAL_MONO_DIFF_RATIO: f64 = 1e-3;

/// Whether [`audio_if_duplicated_mono`] would look at this recording: a complex file
/// (which can be opened a second time to probe it) without a centre frequency.
pub fn may_be_duplicated_mono(info: &RecordingInfo) -> bool {
    use crate::io::Container;
    info.format.is_complex()
        && info.center_freq_hz.is_none()
        && !matches!(info.container, Container::Stdin | Container::Device)
}

/// Some recorders store mono receiver audio as two identical channels, which reads like
/// I/Q. For a complex recording that does not say its centre frequency (the only kind
/// that cannot be tuned anyway, see `IqFront::new`), reads the start of it through
/// `probe` (a second opening of the same file) and, when both channels carry the same
/// samples, marks `info` as the real audio it is, so the stage decodes the first channel
/// as audio. Genuine I/Q (OrbiCraft-Z, NuSat: channels unrelated) is left as it is.
/// Returns whether `info` was changed.
pub fn audio_if_duplicated_mono(
    info: &mut RecordingInfo,
    probe: &mut dyn crate::io::SampleSource,
) -> Result<bool> {
    use crate::io::SampleFormat;
    if !may_be_duplicated_mono(info) {
        return Ok(false);
    }
    let real = match info.format {
        SampleFormat::Cu8 => SampleFormat::Ru8,
        SampleFormat::Cs16 => SampleFormat::Ri16,
        SampleFormat::Cf32 => SampleFormat::Rf32,
        _ => return Ok(false),
    };
    let mut samples = Vec::with_capacity(DUAL_MONO_PROBE_SAMPLES);
    while samples.len() < DUAL_MONO_PROBE_SAMPLES {
        let want = DUAL_MONO_PROBE_SAMPLES - samples.len();
        if probe.read(&mut samples, want)? == 0 {
            break;
        }
    }
    let (diff, sum) = samples.iter().fold((0.0f64, 0.0f64), |(d, a), s| {
        (
            d + f64::from(s.re - s.im).powi(2),
            a + f64::from(s.re + s.im).powi(2),
        )
    });
    // Silence is no evidence either way: keep the I/Q reading.
    if sum == 0.0 || diff > DUAL_MONO_DIFF_RATIO * sum {
        return Ok(false);
    }
    info.format = real;
    info.sources
        .push("format: two identical channels, read as mono audio".to_string());
    Ok(true)
}

/// A frame as written to the JSON Lines file.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq)]
pub struct FrameRecord {
    /// UTC time of the frame's last symbol, when the recording's start is known.
    pub time: Option<String>,
    /// Seconds from the start of the recording to the frame's last symbol.
    pub t_s: f64,
    pub satellite: String,
    pub norad: Option<u32>,
    pub transmitter: String,
    pub framing: String,
    /// Frame bytes as lower-case hex (see `DecodedFrame::data` for what they hold).
    pub frame: String,
    /// "crc16", "reed_solomon", "reed_solomon+crc16", or a framing's own check
    /// (e.g. "bch+crc13+crc5", "ra+crc16", "reed_solomon+crc8").
    pub check: String,
    /// Always true: only frames whose check passed are emitted.
    pub check_passed: bool,
    /// Reed–Solomon symbols corrected (None for CRC-only framings).
    pub corrected_errors: Option<usize>,
    pub inverted: Option<bool>,
    /// I/Q input: the carrier's offset from the transmitter's nominal frequency over
    /// the frame, measured (the power centroid of the channel's spectrum, Doppler
    /// included), Hz. None for receiver audio.
    #[serde(default)]
    pub freq_offset_hz: Option<f64>,
    /// I/Q input: signal over noise in the receiver's channel over the frame, dB.
    #[serde(default)]
    pub snr_db: Option<f64>,
    /// The Doppler correction applied at the frame's end (None without one).
    #[serde(default)]
    pub doppler_hz: Option<f64>,
    /// I/Q input: the carrier search's correction at the frame's end, Hz beyond the
    /// nominal frequency and the Doppler correction (the oscillators' error, or the
    /// Doppler itself without a TLE); None with `--no-afc`.
    #[serde(default)]
    pub afc_hz: Option<f64>,
}

/// The `SampleStage` behind `decode --satellite`.
pub struct CubesatStage {
    satellite: String,
    norad: Option<u32>,
    start_time: Option<DateTime<Utc>>,
    channels: Vec<Channel>,
    audio: Vec<f32>,
    found: Vec<DecodedFrame>,
    kiss: BufWriter<File>,
    jsonl: BufWriter<File>,
    kiss_path: PathBuf,
    jsonl_path: PathBuf,
    hexdump: Option<Box<dyn Write + Send>>,
    samples: u64,
    frames: u64,
    /// One line per frame, newest last: time, transmitter, length, check.
    recent: std::collections::VecDeque<String>,
}

fn part(p: &Path) -> PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(".part");
    PathBuf::from(s)
}

impl CubesatStage {
    /// Builds a decoder for every transmitter of `sat` that [`decoders::build`] supports.
    /// `hexdump` receives a hexdump of each frame (None: silent). With
    /// `correct_doppler`, I/Q channels follow the Doppler shift that the TLE, station
    /// and start time in `info` predict (when all three are there); the carrier search
    /// is on.
    pub fn new(
        sat: &Satellite,
        info: &RecordingInfo,
        out: &CubesatOutput,
        hexdump: Option<Box<dyn Write + Send>>,
        correct_doppler: bool,
    ) -> Result<Self> {
        let tuning = Tuning {
            doppler: correct_doppler,
            afc: true,
        };
        Self::new_tuned(sat, info, out, hexdump, tuning)
    }

    /// [`CubesatStage::new`] with the I/Q front end's tuning chosen.
    pub fn new_tuned(
        sat: &Satellite,
        info: &RecordingInfo,
        out: &CubesatOutput,
        hexdump: Option<Box<dyn Write + Send>>,
        tuning: Tuning,
    ) -> Result<Self> {
        let mut channels = Vec::new();
        for t in &sat.transmitters {
            if !decoders::supported(t) {
                continue;
            }
            let baud = t.modulation.baud().unwrap_or(0.0);
            let front = if info.format.is_complex() {
                Some(IqFront::new(info, t.frequency_hz, &t.modulation, tuning)?)
            } else {
                None
            };
            let audio_rate_hz = front.as_ref().map_or(info.sample_rate_hz, |f| {
                f.channelizer.actual_output_rate_hz()
            });
            let decoder = match decoders::build(t, audio_rate_hz) {
                Some(Ok(d)) => d,
                Some(Err(e)) => {
                    return Err(Error::Usage(format!("{} / {}: {e}", sat.name, t.name)));
                }
                None => continue,
            };
            if decoder.input() == Input::Baseband && front.is_none() && !decoder.audio_too() {
                // Needs complex baseband; receiver audio cannot give it.
                continue;
            }
            channels.push(Channel {
                transmitter: t.name.clone(),
                decoder,
                frames: 0,
                front,
                audio_rate_hz,
                baud,
            });
        }
        if channels.is_empty() {
            let what: Vec<String> = sat
                .transmitters
                .iter()
                .map(|t| {
                    format!(
                        "{} ({} / {})",
                        t.name,
                        t.modulation.kind(),
                        t.framing.kind()
                    )
                })
                .collect();
            return Err(Error::Usage(format!(
                "{}: no transmitter can be decoded yet from this recording (`downlink \
                 satellites` lists what is decodable); it has {}",
                sat.name,
                what.join(", ")
            )));
        }
        std::fs::create_dir_all(&out.dir).map_err(|e| Error::output(&out.dir, e))?;
        let kiss_path = out.dir.join(format!("{}.kiss", out.stem));
        let jsonl_path = out.dir.join(format!("{}.frames.jsonl", out.stem));
        let open = |p: &Path| -> Result<BufWriter<File>> {
            let pp = part(p);
            File::create(&pp)
                .map(BufWriter::new)
                .map_err(|e| Error::output(&pp, e))
        };
        Ok(CubesatStage {
            satellite: sat.name.clone(),
            norad: sat.norad,
            start_time: info.start_time,
            channels,
            audio: Vec::new(),
            found: Vec::new(),
            kiss: open(&kiss_path)?,
            jsonl: open(&jsonl_path)?,
            kiss_path,
            jsonl_path,
            hexdump,
            samples: 0,
            frames: 0,
            recent: std::collections::VecDeque::new(),
        })
    }

    /// Transmitter names that are being decoded.
    pub fn transmitters(&self) -> Vec<&str> {
        self.channels
            .iter()
            .map(|c| c.transmitter.as_str())
            .collect()
    }

    fn emit(&mut self, ch: usize, f: &DecodedFrame) -> Result<()> {
        let c = &self.channels[ch];
        let t_s = f.end_sample as f64 / c.audio_rate_hz;
        let signal = c.front.as_ref().map(|front| {
            // The frame's bits at the symbol rate: a lower bound on its time on air,
            // so the window holds signal only.
            let on_air_s = if c.baud > 0.0 {
                f.data.len() as f64 * 8.0 / c.baud
            } else {
                0.1
            };
            front.measure(f.end_sample, on_air_s.clamp(0.05, MEASURE_S))
        });
        let round = |v: Option<f64>, scale: f64| v.map(|v| (v * scale).round() / scale);
        let time = self.start_time.map(|s| {
            (s + chrono::Duration::microseconds((t_s * 1e6).round() as i64))
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        });
        let (check, corrected) = match f.check {
            FrameCheck::Crc16 => ("crc16", None),
            FrameCheck::Crc16Repaired { flipped_bits } => {
                ("crc16 (repaired)", Some(flipped_bits as usize))
            }
            FrameCheck::ReedSolomon { corrected } => ("reed_solomon", Some(corrected)),
            FrameCheck::ReedSolomonCrc16 { corrected } => ("reed_solomon+crc16", Some(corrected)),
            FrameCheck::ReedSolomonCrc32 { corrected } => ("reed_solomon+crc32", Some(corrected)),
            FrameCheck::Named { name, corrected } => (name, corrected),
        };
        let rec = FrameRecord {
            time: time.clone(),
            t_s,
            satellite: self.satellite.clone(),
            norad: self.norad,
            transmitter: c.transmitter.clone(),
            framing: c.decoder.framing(),
            frame: hex(&f.data),
            check: check.to_string(),
            check_passed: true,
            corrected_errors: corrected,
            inverted: f.inverted,
            freq_offset_hz: round(signal.and_then(|s| s.freq_offset_hz), 1.0),
            snr_db: round(signal.and_then(|s| s.snr_db), 10.0),
            doppler_hz: round(signal.and_then(|s| s.doppler_hz), 1.0),
            afc_hz: round(signal.and_then(|s| s.afc_hz), 1.0),
        };
        let line = serde_json::to_string(&rec).map_err(|e| Error::Internal(e.to_string()))?;
        writeln!(self.jsonl, "{line}")
            .and_then(|_| self.jsonl.flush())
            .map_err(|e| Error::output(&part(&self.jsonl_path), e))?;
        let mut k = Vec::with_capacity(f.data.len() + 4);
        Kiss::encode(0, 0, &f.data, &mut k);
        self.kiss
            .write_all(&k)
            .and_then(|_| self.kiss.flush())
            .map_err(|e| Error::output(&part(&self.kiss_path), e))?;
        if let Some(h) = self.hexdump.as_mut() {
            let when = match &time {
                Some(t) => format!("{t} ({t_s:.3} s)"),
                None => format!("{t_s:.3} s"),
            };
            let fixed = corrected
                .map(|n| format!(", {n} corrected"))
                .unwrap_or_default();
            let seen = match (rec.freq_offset_hz, rec.snr_db) {
                (Some(hz), Some(db)) => format!(", {hz:+.0} Hz, SNR {db:.1} dB"),
                _ => String::new(),
            };
            let head = format!(
                "{} / {} at {when}: {} bytes, {check}{fixed}{seen}",
                rec.satellite,
                rec.transmitter,
                f.data.len()
            );
            // The terminal is a convenience: a closed stdout must not stop the decode.
            let _ = writeln!(h, "{head}\n{}", hexdump(&f.data));
            let _ = h.flush();
        }
        // UTC time of day when the start is known (a live device), else the offset.
        let at = match self.start_time {
            Some(s) => (s + chrono::Duration::microseconds((t_s * 1e6).round() as i64))
                .format("%H:%M:%S")
                .to_string(),
            None => format!("{t_s:.1}s"),
        };
        // Most telling first: a narrow log panel cuts the line's end.
        self.recent.push_back(format!(
            "{at} {} B ok {} ({check})",
            f.data.len(),
            rec.transmitter
        ));
        if self.recent.len() > RECENT_FRAMES {
            self.recent.pop_front();
        }
        self.frames += 1;
        self.channels[ch].frames += 1;
        Ok(())
    }
}

impl SampleStage for CubesatStage {
    fn name(&self) -> &'static str {
        "cubesat"
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        self.audio.clear();
        self.audio.extend(chunk.samples.iter().map(|s| s.re));
        self.samples += chunk.samples.len() as u64;
        for ch in 0..self.channels.len() {
            let mut found = std::mem::take(&mut self.found);
            found.clear();
            let c = &mut self.channels[ch];
            match c.front.as_mut() {
                Some(front) => {
                    let input = c.decoder.input();
                    front.process(&chunk.samples, input);
                    let samples = match input {
                        Input::Audio => Samples::Audio(&front.audio),
                        Input::Baseband => Samples::Baseband(&front.baseband),
                    };
                    c.decoder.process(samples, &mut found);
                }
                None => c.decoder.process(Samples::Audio(&self.audio), &mut found),
            }
            for f in &found {
                self.emit(ch, f)?;
            }
            self.found = found;
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        for ch in 0..self.channels.len() {
            let mut found = Vec::new();
            let c = &mut self.channels[ch];
            if let Some(front) = c.front.as_mut() {
                // What the carrier search still holds back.
                let input = c.decoder.input();
                front.finish(input);
                let samples = match input {
                    Input::Audio => Samples::Audio(&front.audio),
                    Input::Baseband => Samples::Baseband(&front.baseband),
                };
                c.decoder.process(samples, &mut found);
            }
            self.channels[ch].decoder.flush(&mut found);
            for f in &found {
                self.emit(ch, f)?;
            }
        }
        let mut products = Vec::new();
        for (path, w, kind) in [
            (self.kiss_path.clone(), &mut self.kiss, "kiss"),
            (self.jsonl_path.clone(), &mut self.jsonl, "frames"),
        ] {
            w.flush().map_err(|e| Error::output(&part(&path), e))?;
            std::fs::rename(part(&path), &path).map_err(|e| Error::output(&path, e))?;
            products.push(Product {
                kind: kind.into(),
                description: format!(
                    "{} frame(s) of {} ({})",
                    self.frames,
                    self.satellite,
                    if kind == "kiss" {
                        "KISS, port 0"
                    } else {
                        "JSON Lines"
                    }
                ),
                path,
            });
        }
        Ok(products)
    }

    fn status(&self) -> StageStatus {
        let mut s = StageStatus::new(
            "cubesat",
            if self.frames > 0 {
                "frames"
            } else {
                "searching"
            },
        )
        .with("samples", self.samples as f64)
        .with("frames", self.frames as f64)
        .with_text("satellite", &self.satellite);
        for c in &self.channels {
            s = s.with(&format!("frames[{}]", c.transmitter), c.frames as f64);
        }
        // The correction applied now (the first channel that has one): on a live
        // device it follows the wall clock from the stream's start.
        if let Some(d) = self
            .channels
            .iter()
            .find_map(|c| c.front.as_ref().and_then(|f| f.doppler.as_ref()))
        {
            s = s.with("doppler_hz", d.current_hz);
        }
        s.with_recent(self.recent.iter().cloned().collect())
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// 16 bytes a line: offset, hex, printable ASCII.
pub fn hexdump(b: &[u8]) -> String {
    let mut out = String::new();
    for (i, row) in b.chunks(16).enumerate() {
        let hexes: Vec<String> = row.iter().map(|x| format!("{x:02x}")).collect();
        let ascii: String = row
            .iter()
            .map(|&x| {
                if (0x20..0x7f).contains(&x) {
                    x as char
                } else {
                    '.'
                }
            })
            .collect();
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&format!("{:04x}  {:<47}  {ascii}", i * 16, hexes.join(" ")));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::hexdump;

    /// A 2-channel 16-bit WAV of `n` frames, (left, right) from `frame(i)`.
    fn wav(path: &std::path::Path, n: usize, frame: impl Fn(usize) -> (i16, i16)) {
        let spec = hound::WavSpec {
            channels: 2,
            sample_rate: 22_050,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        let mut w = hound::WavWriter::create(path, spec).unwrap();
        for i in 0..n {
            let (l, r) = frame(i);
            w.write_sample(l).unwrap();
            w.write_sample(r).unwrap();
        }
        w.finalize().unwrap();
    }

    fn probed(path: &std::path::Path) -> (bool, crate::io::SampleFormat) {
        let p = path.to_str().unwrap();
        let ov = crate::io::Overrides::default();
        let mut info = crate::io::open_source(p, &ov).unwrap().info().clone();
        let mut probe = crate::io::open_source(p, &ov).unwrap();
        let changed = super::audio_if_duplicated_mono(&mut info, probe.as_mut()).unwrap();
        (changed, info.format)
    }

    #[test]
    fn identical_channels_are_audio_and_iq_stays_iq() {
        use crate::io::SampleFormat;
        let dir = tempfile::tempdir().unwrap();
        let tone = |i: usize, phase: f64| {
            (8_000.0 * (2.0 * std::f64::consts::PI * 1_400.0 * i as f64 / 22_050.0 + phase).sin())
                as i16
        };
        // The same audio in both channels, one LSB of dither apart.
        let mono = dir.path().join("mono.wav");
        wav(&mono, 30_000, |i| {
            let a = tone(i, 0.0);
            (a, a.saturating_add((i % 2) as i16))
        });
        assert_eq!(probed(&mono), (true, SampleFormat::Ri16));
        // A complex tone: I and Q a quarter period apart.
        let iq = dir.path().join("iq.wav");
        wav(&iq, 30_000, |i| {
            (tone(i, 0.0), tone(i, std::f64::consts::FRAC_PI_2))
        });
        assert_eq!(probed(&iq), (false, SampleFormat::Cs16));
        // Silence proves nothing: it stays I/Q.
        let quiet = dir.path().join("quiet.wav");
        wav(&quiet, 1_000, |_| (0, 0));
        assert_eq!(probed(&quiet), (false, SampleFormat::Cs16));
    }

    #[test]
    fn hexdump_layout() {
        let d: Vec<u8> = (0x41..0x52).collect();
        assert_eq!(
            hexdump(&d),
            "0000  41 42 43 44 45 46 47 48 49 4a 4b 4c 4d 4e 4f 50  ABCDEFGHIJKLMNOP\n\
             0010  51                                               Q"
        );
    }
}
