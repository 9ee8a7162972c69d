//! The command line: the only place that parses arguments.

use crate::chain::{self, Chunk, Product, RunOptions, SampleStage};
use crate::error::{Error, Result};
use crate::frontend::{print_json, watch, FrontEnd};
use crate::io::{self, Overrides, RecordingInfo, SampleFormat, SampleSink, SinkSpec};
use crate::levels::{unpack_hard, ByteSource, Level};
use crate::pipelines::channel::{ChannelConfig, ChannelStage};
use crate::pipelines::meteor_lrpt::{
    DumpTo, MeteorBackend, MeteorStage, MeteorSummary, CADU_BYTES, VCDU_BYTES,
};
use crate::pipelines::record::{RecordSwitch, RecordingStage};
use crate::pipelines::spectrum::{fft_size_for, SpectrumStage};
use crate::pipelines::waterfall::{Colormap, WaterfallConfig, WaterfallStage};
use crate::pipelines::{self, PIPELINES};
use crate::status::{StageStatus, StatusBoard};
use crate::tap::{SpectrumTap, TapConfig};
use crate::tui;
use crate::tune::{ShiftControl, ShiftStage, SoftwareTuner, Tuner};
use chrono::{DateTime, Utc};
use clap::{Args, Parser, Subcommand};
use downlink_dsp::filter::design::Window;
use serde_json::json;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

const EXAMPLES: &str = "\
Examples:
  downlink info recordings/meteor-synth.sigmf-meta
  downlink decode --pipeline waterfall pass.wav -o out/
  downlink decode --pipeline channel --offset 3.7k --bandwidth 120k --out-rate 144k pass.wav -o out/
  rtl_sdr -f 137.9M -s 1.024M - | downlink decode --pipeline waterfall --format cu8 --rate 1.024M - -o out/
  downlink convert capture.cu8 --rate 2.4M --freq 137.9M capture.sigmf-meta
  downlink pipelines";

#[derive(Parser, Debug)]
#[command(
    name = "downlink",
    version,
    about = "Satellite ground-station receiver: I/Q in, frames and images out",
    after_help = EXAMPLES
)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Describe recordings: format, rate, duration, centre, start, strongest signals.
    #[command(after_help = "Examples:
  downlink info pass.wav
  downlink info --json ../shared/recordings/cubesat-iq-*/*.raw.gz
  downlink info --rate 2.4M --freq 137.9M capture.cu8")]
    Info(InfoArgs),
    /// Run a pipeline over a recording (a file, or - for standard input).
    #[command(after_help = "Examples:
  downlink decode --pipeline waterfall pass.wav -o out/
  downlink decode --pipeline waterfall --fft 2048 --colormap turbo pass.sigmf-meta -o out/
  downlink decode --pipeline channel --offset -12.5k --bandwidth 20k --out-rate 48k sat.raw.gz -o out/
  downlink decode --pipeline channel --tune 137.9M --bandwidth 150k --out-rate 288k wide.sigmf -o out/
  rtl_sdr -f 137.9M -s 1.024M - | downlink decode --pipeline waterfall --format cu8 --rate 1.024M - -o out/
  downlink decode --tui --realtime --satellite 42784 pegasus.raw.gz -o out/")]
    Decode(Box<DecodeArgs>),
    /// Convert a recording between formats (raw cu8/cs8/cs16/cf32, .gz, WAV, SigMF).
    #[command(after_help = "Examples:
  downlink convert capture.cu8 --rate 2.4M --freq 137.9M capture.sigmf-meta
  downlink convert baseband_137900000Hz_10-42-13_26-11-2026.wav pass.cf32
  downlink convert pass.sigmf-meta --to-format cs16 pass.wav")]
    Convert(ConvertArgs),
    /// Write a synthetic recording (seeded, byte-identical on every run).
    #[command(after_help = "Examples:
  downlink synth scene -o recordings/scene-437m.sigmf-meta
  downlink synth scene --seconds 60 --rate 2.4M -o /tmp/long.cu8")]
    Synth(SynthArgs),
    /// Watch a Meteor-M LRPT recording being decoded live, in a terminal UI, paced at
    /// its sample rate (the same as `decode --tui --realtime --pipeline meteor-lrpt`).
    #[command(
        after_help = "Example:\n  downlink tui recordings/meteor-lrpt-synth.sigmf-meta -o out/\n\nKeys: q quit, left/right tune (moves the channel within the recording), s step, f type a frequency, space pause waterfall, +/- dB range, [/] dB reference, c colour map, z zoom, p peak hold, r record, h help"
    )]
    Tui(TuiArgs),
    /// Receive from a SoapySDR device and run a pipeline on it live, with a terminal UI
    /// (or JSON status lines with --headless); products are written as they complete.
    #[cfg(feature = "soapy")]
    #[command(after_help = "Examples:
  downlink live -p meteor-lrpt --device driver=rtlsdr --freq 137.9M --rate 1.024M --gain 40 -o out/
  downlink live -p waterfall --device driver=hackrf --freq 437M --gain LNA=32,VGA=20 --bias-tee --record pass.sigmf-meta -o out/
  downlink live -p meteor-lrpt --device driver=rtlsdr,serial=00000001 --freq 137.1M --ppm 1.5 --headless --reconnect --seconds 900 -o out/
  downlink live --satellite 42784 --device driver=rtlsdr --rate 250k --tle at03.tle --station 56.31,38.13 -o out/

Keys (TUI): q quit, space pause waterfall, +/- dB range, z zoom, p peak hold, h help.
Exit codes: 0 done (--seconds, q), 130 Ctrl-C when headless, 3 the device failed (products kept), 2 bad arguments.")]
    Live(Box<LiveArgs>),
    /// List SoapySDR devices (`--args ''` probes every module, which may send network
    /// discovery packets).
    #[cfg(feature = "soapy")]
    #[command(
        after_help = "Examples:\n  downlink devices --args driver=rtlsdr\n  downlink devices --args driver=redpitaya,addr=192.168.1.100,port=1001\n\nThen: downlink decode -p waterfall --rate 250k --freq 137.9M soapy:driver=rtlsdr -o out/"
    )]
    Devices(DevicesArgs),
    /// List the pipelines `decode` can run.
    #[command(after_help = "Example:\n  downlink pipelines")]
    Pipelines,
    /// List the known satellites (built in, user folder, --satellites-dir).
    #[command(after_help = "Examples:
  downlink satellites
  downlink satellites --json
  downlink satellites --satellites-dir my-sats/")]
    Satellites(SatellitesArgs),
    /// Predict the passes of a satellite over a ground station.
    #[command(after_help = "Examples:
  downlink passes --tle us01.tle --station 53.72,47.57,150
  downlink passes --tle us01.tle --station 53.72,47.57,150 --hours 48 --min-elevation 20 --start 2020-05-15T00:00:00Z")]
    Passes(PassesArgs),
}

/// What to assume about the input where its metadata is missing or wrong.
#[derive(Args, Debug, Clone, Default)]
struct SourceArgs {
    /// Sample rate in S/s (2.4M, 240k, 48000); overrides the file's metadata.
    #[arg(long, value_name = "S/s", value_parser = parse_si)]
    rate: Option<f64>,
    /// Centre frequency in Hz (137.9M); overrides the file's metadata.
    #[arg(long, value_name = "Hz", value_parser = parse_si, allow_negative_numbers = true)]
    freq: Option<f64>,
    /// Sample format of raw input: cu8, cs8, cs16, cf32, ri16, rf32.
    #[arg(long, value_name = "FORMAT", value_parser = parse_format)]
    format: Option<SampleFormat>,
    /// Start time of the recording (RFC 3339, e.g. 2026-11-26T09:41:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    start: Option<DateTime<Utc>>,
}

impl SourceArgs {
    fn overrides(&self) -> Overrides {
        Overrides {
            format: self.format,
            sample_rate_hz: self.rate,
            center_freq_hz: self.freq,
            start_time: self.start,
        }
    }
}

#[derive(Args, Debug, Clone)]
struct RunArgs {
    /// Print one JSON object per second on stdout and one at the end, instead of a progress bar.
    #[arg(long)]
    json: bool,
    /// Pace the input at its recorded sample rate (demos, testing live behaviour).
    #[arg(long)]
    realtime: bool,
    /// Samples per chunk between threads (the output does not depend on it).
    #[arg(long, default_value_t = 65536, value_name = "SAMPLES", value_parser = clap::value_parser!(u64).range(1..=16_777_216))]
    chunk: u64,
}

#[derive(Args, Debug)]
struct InfoArgs {
    /// Recordings to describe.
    #[arg(required = true, value_name = "FILE")]
    files: Vec<String>,
    #[command(flatten)]
    source: SourceArgs,
    /// One JSON object per file on stdout.
    #[arg(long)]
    json: bool,
    /// How many signals to list.
    #[arg(long, default_value_t = 5)]
    signals: usize,
    /// Analyse at most this many seconds from the start (default: the whole recording).
    #[arg(long, value_name = "S")]
    max_seconds: Option<f64>,
    /// FFT size of the spectrum (default: about 50 Hz per bin).
    #[arg(long, value_name = "N")]
    fft: Option<usize>,
}

#[derive(Args, Debug)]
struct DecodeArgs {
    /// Pipeline to run (see `downlink pipelines`).
    #[arg(
        long,
        short = 'p',
        value_name = "NAME",
        required_unless_present = "satellite",
        conflicts_with = "satellite"
    )]
    pipeline: Option<String>,
    /// Decode a satellite's telemetry (from receiver audio or I/Q) instead of naming a
    /// pipeline (name, alias or NORAD number; see `downlink satellites`); a Meteor-M
    /// satellite runs meteor-lrpt on its transmitter's channel.
    #[arg(long, short = 's', value_name = "NAME|NORAD")]
    satellite: Option<String>,
    /// Extra folder of satellite TOML files (adds to or overrides the built-in ones).
    #[arg(long, value_name = "DIR")]
    satellites_dir: Vec<PathBuf>,
    /// Recording to decode, or - for standard input (needs --format and --rate).
    #[arg(value_name = "FILE")]
    file: String,
    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR", default_value = ".")]
    output: PathBuf,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    run: RunArgs,
    /// Show a terminal UI (spectrum, waterfall, lock, frames) instead of a progress bar.
    /// Keys: q quit, left/right tune, f type a frequency, space pause, +/- dB range, z zoom,
    /// p peak hold, c colour map, h help (lists them all).
    #[arg(long, conflicts_with = "json")]
    tui: bool,

    #[command(flatten)]
    pipe: PipelineArgs,

    /// Also write the raw input samples to FILE while decoding (its extension picks the
    /// container; .sigmf-meta keeps rate, centre frequency, start time and device).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,

    /// meteor-lrpt: level of the input (default: from the extension — .s soft, .hard,
    /// .cadu, .vcdu — else baseband I/Q).
    #[arg(long, value_enum, help_heading = "meteor-lrpt")]
    from: Option<Level>,

    /// --satellite on I/Q: TLE file for the Doppler correction (two lines, or three with
    /// the name first), instead of the one in the recording's metadata.
    #[arg(
        long,
        value_name = "FILE",
        requires = "satellite",
        help_heading = "satellite"
    )]
    tle: Option<PathBuf>,
    /// --satellite on I/Q: ground station for the Doppler correction, latitude,
    /// longitude (degrees, north and east positive), altitude (m).
    #[arg(long, value_name = "LAT,LON[,ALT]", value_parser = parse_station,
          allow_hyphen_values = true, requires = "satellite", help_heading = "satellite")]
    station: Option<io::Station>,
    /// --satellite on I/Q: do not correct the Doppler shift (the channel stays on the
    /// transmitter's nominal frequency).
    #[arg(long, requires = "satellite", conflicts_with_all = ["tle", "station"],
          help_heading = "satellite")]
    no_doppler: bool,
    /// --satellite on I/Q: do not search for the carrier (by default each channel is
    /// tuned to the transmitter found within the Doppler and oscillator range of its
    /// nominal, or Doppler-corrected, frequency).
    #[arg(long, requires = "satellite", help_heading = "satellite")]
    no_afc: bool,
}

/// The options of the pipelines, shared by `decode` and `live`.
#[derive(Args, Debug, Clone)]
struct PipelineArgs {
    /// waterfall: FFT size (power of two).
    #[arg(long, default_value_t = 1024, help_heading = "waterfall")]
    fft: usize,
    /// waterfall: window.
    #[arg(long, default_value = "hann", value_parser = parse_window, help_heading = "waterfall")]
    window: Window,
    /// waterfall: rows aimed at (the image has up to twice as many for unknown lengths).
    #[arg(long, default_value_t = 600, help_heading = "waterfall")]
    rows: usize,
    /// waterfall: colour map.
    #[arg(long, value_enum, default_value_t = Colormap::Viridis, help_heading = "waterfall")]
    colormap: Colormap,
    /// waterfall: bottom of the colour range in dB (default: automatic).
    #[arg(
        long,
        allow_negative_numbers = true,
        requires = "db_max",
        help_heading = "waterfall"
    )]
    db_min: Option<f32>,
    /// waterfall: top of the colour range in dB (default: automatic).
    #[arg(
        long,
        allow_negative_numbers = true,
        requires = "db_min",
        help_heading = "waterfall"
    )]
    db_max: Option<f32>,

    /// meteor-lrpt: also write every intermediate level (soft symbols, CADUs) into DIR.
    #[arg(long, value_name = "DIR", help_heading = "meteor-lrpt")]
    dump: Option<PathBuf>,
    /// meteor-lrpt: search for the carrier within ± this many Hz of the centre.
    #[arg(long, value_parser = parse_si, default_value = "10k", help_heading = "meteor-lrpt")]
    carrier_search: f64,

    /// channel: centre of the channel relative to the recording's centre, in Hz.
    #[arg(long, value_parser = parse_si, allow_negative_numbers = true, conflicts_with = "tune", help_heading = "channel")]
    offset: Option<f64>,
    /// channel: absolute centre frequency of the channel in Hz (needs the recording's centre).
    #[arg(long, value_parser = parse_si, help_heading = "channel")]
    tune: Option<f64>,
    /// channel: bandwidth kept in Hz (default: 80 % of the output rate).
    #[arg(long, value_parser = parse_si, help_heading = "channel")]
    bandwidth: Option<f64>,
    /// channel: output sample rate asked for, S/s (the actual one divides the input rate).
    #[arg(long, value_parser = parse_si, default_value = "48k", help_heading = "channel")]
    out_rate: f64,
    /// channel: output sample format.
    #[arg(long, value_parser = parse_format, default_value = "cf32", help_heading = "channel")]
    out_format: SampleFormat,
}

#[cfg(feature = "soapy")]
#[derive(Args, Debug)]
struct LiveArgs {
    /// Pipeline to run (see `downlink pipelines`).
    #[arg(
        long,
        short = 'p',
        value_name = "NAME",
        required_unless_present = "satellite",
        conflicts_with = "satellite"
    )]
    pipeline: Option<String>,
    /// Decode a satellite's telemetry, as `decode --satellite` does (name, alias or NORAD
    /// number; see `downlink satellites`); frames go to the frame log, DIR/STEM.kiss and
    /// DIR/STEM.frames.jsonl as they arrive.
    #[arg(long, short = 's', value_name = "NAME|NORAD")]
    satellite: Option<String>,
    /// Extra folder of satellite TOML files (adds to or overrides the built-in ones).
    #[arg(long, value_name = "DIR", requires = "satellite")]
    satellites_dir: Vec<PathBuf>,
    /// --satellite: TLE file for the Doppler correction (with --station), which then
    /// follows the clock from the stream's start.
    #[arg(long, value_name = "FILE", requires_all = ["satellite", "station"])]
    tle: Option<PathBuf>,
    /// --satellite: ground station for the Doppler correction, latitude, longitude
    /// (degrees, north and east positive), altitude (m).
    #[arg(long, value_name = "LAT,LON[,ALT]", value_parser = parse_station,
          allow_hyphen_values = true, requires_all = ["satellite", "tle"])]
    station: Option<io::Station>,
    /// SoapySDR device arguments (see `downlink devices`), e.g. driver=rtlsdr,serial=00000001.
    #[arg(long, short = 'd', value_name = "ARGS")]
    device: String,
    /// Centre frequency in Hz (137.9M). With --satellite the default is its first
    /// decodable transmitter's frequency.
    #[arg(long, value_name = "Hz", value_parser = parse_si, required_unless_present = "satellite")]
    freq: Option<f64>,
    /// Sample rate in S/s (default per device: RTL-SDR 2.4M, HackRF 8M, Airspy 2.5M).
    #[arg(long, value_name = "S/s", value_parser = parse_si)]
    rate: Option<f64>,
    /// Gain: auto (the device's AGC), a total in dB (40), or per element (LNA=32,VGA=20).
    /// Default: the driver's.
    #[arg(long, value_name = "dB|auto|EL=dB,…", value_parser = io::device::Gain::parse)]
    gain: Option<io::device::Gain>,
    /// Frequency correction of the device's crystal, ppm.
    #[arg(long, default_value_t = 0.0, allow_negative_numbers = true)]
    ppm: f64,
    /// Power the antenna port (LNA on the mast); RTL-SDR, HackRF, Airspy, SDRplay.
    #[arg(long)]
    bias_tee: bool,
    /// Antenna port (the device lists its own; see SoapySDRUtil --probe).
    #[arg(long, value_name = "NAME")]
    antenna: Option<String>,
    /// Reopen the device when it fails (unplugged, server restarted) instead of ending.
    #[arg(long)]
    reconnect: bool,
    /// Seconds of signal held between the device and the decoder: a longer buffer rides
    /// out a busy machine (at 16 MB per second at 2 MS/s) before samples are dropped.
    #[arg(long, value_name = "S", default_value_t = 0.5)]
    buffer: f64,
    /// Also write the raw samples to FILE (.sigmf-meta keeps rate, centre frequency,
    /// start time and device).
    #[arg(long, value_name = "FILE")]
    record: Option<PathBuf>,
    /// No terminal UI: one JSON status line per second on stdout and a summary at the end.
    #[arg(long)]
    headless: bool,
    /// Stop after this many seconds of signal (default: until Ctrl-C or q).
    #[arg(long, value_name = "S")]
    seconds: Option<f64>,
    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR", default_value = ".")]
    output: PathBuf,
    #[command(flatten)]
    pipe: PipelineArgs,
}

#[cfg(feature = "soapy")]
#[derive(Args, Debug)]
struct DevicesArgs {
    /// SoapySDR arguments to filter on (key=value,…).
    #[arg(long, default_value = "")]
    args: String,
}

#[derive(Args, Debug)]
struct TuiArgs {
    /// Meteor-M LRPT I/Q recording.
    #[arg(value_name = "FILE")]
    file: String,
    /// Output folder (created if missing).
    #[arg(long, short = 'o', value_name = "DIR", default_value = ".")]
    output: PathBuf,
    #[command(flatten)]
    source: SourceArgs,
}

#[derive(Args, Debug)]
struct ConvertArgs {
    /// Input recording, or - for standard input.
    #[arg(value_name = "IN")]
    input: String,
    /// Output file; its extension picks the container (.cu8 .cs8 .cs16 .cf32 .gz .wav .sigmf-meta).
    #[arg(value_name = "OUT")]
    output: PathBuf,
    /// Sample format of the output where the extension does not say (e.g. WAV: cu8, cs16, cf32).
    #[arg(long, value_parser = parse_format)]
    to_format: Option<SampleFormat>,
    #[command(flatten)]
    source: SourceArgs,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Args, Debug)]
struct SynthArgs {
    /// What to synthesise: `scene` (a UHF band with an FSK beacon and two carriers) or
    /// `meteor-lrpt` (a Meteor-M LRPT pass through the whole transmit chain and a
    /// channel model).
    #[arg(value_parser = ["scene", "meteor-lrpt"])]
    what: String,
    /// Output file; its extension picks the container (default SigMF, ci16).
    #[arg(long, short = 'o', value_name = "FILE")]
    output: PathBuf,
    /// Length in seconds (default: the reference scene's 3 s).
    #[arg(long)]
    seconds: Option<f64>,
    /// Sample rate in S/s (default 240k).
    #[arg(long, value_parser = parse_si)]
    rate: Option<f64>,
    /// Sample format of the output (default cs16).
    #[arg(long, value_parser = parse_format, default_value = "cs16")]
    to_format: SampleFormat,
    /// meteor-lrpt: Es/N0 in dB (default 9).
    #[arg(long, allow_negative_numbers = true)]
    es_n0: Option<f64>,
    /// meteor-lrpt: carrier offset at the start, Hz (default +2.5k).
    #[arg(long, value_parser = parse_si, allow_negative_numbers = true)]
    carrier: Option<f64>,
    /// meteor-lrpt: Doppler rate, Hz/s (default −20).
    #[arg(long, allow_negative_numbers = true)]
    doppler: Option<f64>,
    /// meteor-lrpt: receiver sample-clock error, ppm (default +30).
    #[arg(long, allow_negative_numbers = true)]
    ppm: Option<f64>,
    /// meteor-lrpt: modulation and symbol rate: oqpsk72k (default), qpsk72k, oqpsk80k is not synthesised.
    #[arg(long, value_parser = ["oqpsk72k", "qpsk72k"])]
    mode: Option<String>,
    /// Seed of the noise (same seed, same bytes).
    #[arg(long)]
    seed: Option<u64>,
}

/// Parses "2.4M", "240k", "1.5G", "48000", "-12.5k", "1e6".
pub fn parse_si(s: &str) -> std::result::Result<f64, String> {
    let t = s.trim();
    let (num, mult) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1e3),
        Some((i, 'M')) => (&t[..i], 1e6),
        Some((i, 'G' | 'g')) => (&t[..i], 1e9),
        _ => (t, 1.0),
    };
    let v: f64 = num
        .parse()
        .map_err(|_| format!("'{s}' is not a number (e.g. 2.4M, 240k, 48000)"))?;
    let v = v * mult;
    if v.is_finite() {
        Ok(v)
    } else {
        Err(format!("'{s}' is not a finite number"))
    }
}

fn parse_format(s: &str) -> std::result::Result<SampleFormat, String> {
    SampleFormat::from_name(s).ok_or_else(|| {
        let names: Vec<_> = SampleFormat::ALL.iter().map(|f| f.name()).collect();
        format!("unknown sample format '{s}' (known: {})", names.join(", "))
    })
}

fn parse_window(s: &str) -> std::result::Result<Window, String> {
    s.parse::<Window>().map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> std::result::Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| format!("'{s}' is not an RFC 3339 time (2026-11-26T09:41:00Z): {e}"))
}

/// The flag Ctrl-C sets. The first press ends the run cleanly (products flushed and
/// complete); a second press exits at once.
fn stop_flag() -> Arc<AtomicBool> {
    static FLAG: OnceLock<Arc<AtomicBool>> = OnceLock::new();
    FLAG.get_or_init(|| {
        let flag = Arc::new(AtomicBool::new(false));
        let f = flag.clone();
        let _ = ctrlc::set_handler(move || {
            if f.swap(true, Ordering::SeqCst) {
                eprintln!("downlink: interrupted twice, exiting without flushing");
                std::process::exit(130);
            }
            eprintln!("downlink: interrupted, finishing the products (Ctrl-C again to abort)");
        });
        flag
    })
    .clone()
}

/// Entry point: runs the command and returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info(a) => info(a),
        Command::Decode(a) => decode(*a),
        Command::Tui(a) => tui_cmd(a),
        #[cfg(feature = "soapy")]
        Command::Devices(a) => devices_cmd(&a),
        #[cfg(feature = "soapy")]
        Command::Live(a) => live(*a),
        Command::Convert(a) => convert(a),
        Command::Synth(a) => synth(a),
        Command::Pipelines => {
            pipelines_cmd();
            Ok(false)
        }
        Command::Satellites(a) => satellites_cmd(a).map(|()| false),
        Command::Passes(a) => passes_cmd(a).map(|()| false),
    };
    match result {
        Ok(false) => 0,
        // Stopped by Ctrl-C: products are complete up to that point.
        Ok(true) => 130,
        Err(e) => {
            eprintln!("downlink: {e}");
            e.exit_code()
        }
    }
}

fn pipelines_cmd() {
    println!("{:<12} {:<28} products", "pipeline", "input");
    for p in PIPELINES {
        println!("{:<12} {:<28} {}", p.name, p.input, p.products);
    }
}

fn run_options(run: &RunArgs) -> RunOptions {
    RunOptions {
        chunk_samples: run.chunk as usize,
        realtime: run.realtime,
        stop: stop_flag(),
        ..RunOptions::default()
    }
}

fn front_end(run: &RunArgs) -> FrontEnd {
    if run.json {
        FrontEnd::Json
    } else {
        FrontEnd::Progress
    }
}

fn display_name(path: &str) -> String {
    if path == "-" {
        "stdin".into()
    } else {
        Path::new(path)
            .file_name()
            .map_or(path.to_string(), |n| n.to_string_lossy().into_owned())
    }
}

/// The stem product names start with: the input's name without its recording extensions.
fn product_stem(path: &str) -> String {
    // A device has no name worth a file name; the pass time follows the stem.
    if path.starts_with("soapy:") {
        return "live".into();
    }
    let mut name = display_name(path);
    if let Some(s) = name.strip_suffix(".gz") {
        name = s.to_string();
    }
    for ext in [
        ".vcdu892.bin",
        ".sigmf-meta",
        ".sigmf-data",
        ".sigmf",
        ".wav",
        ".raw",
        ".cu8",
        ".cs8",
        ".cs16",
        ".cf32",
        ".iq",
        ".bin",
        ".soft",
        ".hard",
        ".cadu",
        ".vcdu",
        ".s",
    ] {
        if let Some(s) = name.strip_suffix(ext) {
            name = s.to_string();
            break;
        }
    }
    if name.is_empty() {
        "recording".into()
    } else {
        name
    }
}

fn info(a: InfoArgs) -> Result<bool> {
    let mut first_error = None;
    let mut interrupted = false;
    for file in &a.files {
        match info_one(&a, file) {
            Ok(stopped) => interrupted |= stopped,
            Err(e) => {
                // Describe every file the user gave; report each bad one.
                if a.json {
                    print_json(&json!({"file": file, "error": e.to_string()}));
                }
                eprintln!("downlink: {e}");
                first_error.get_or_insert(e);
            }
        }
        if interrupted {
            break;
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(interrupted),
    }
}

fn info_one(a: &InfoArgs, file: &str) -> Result<bool> {
    let source = io::open_source(file, &a.source.overrides())?;
    let meta = source.info().clone();
    let fft_size = a.fft.unwrap_or_else(|| fft_size_for(meta.sample_rate_hz));
    let (stage, result) = SpectrumStage::new(meta.sample_rate_hz, fft_size, a.signals)?;
    let opts = RunOptions {
        stop: stop_flag(),
        max_samples: a.max_seconds.map(|s| (s * meta.sample_rate_hz) as u64),
        ..RunOptions::default()
    };
    let running = chain::start(source, Box::new(stage), opts, StatusBoard::new());
    let mode = if a.json {
        FrontEnd::Quiet
    } else {
        FrontEnd::Progress
    };
    let report = watch(
        running,
        mode,
        &display_name(file),
        meta.total_samples,
        meta.sample_rate_hz,
    )?;
    let spectrum = result
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .take()
        .unwrap_or_default();
    let analysed_s = report.samples as f64 / meta.sample_rate_hz;
    if a.json {
        print_json(&json!({
            "file": file,
            "recording": meta,
            "duration_s": meta.duration_s().unwrap_or(analysed_s),
            "analysed_s": analysed_s,
            "spectrum": spectrum,
        }));
    } else {
        print_info(&meta, analysed_s, &spectrum);
    }
    Ok(report.interrupted)
}

fn print_info(m: &RecordingInfo, analysed_s: f64, s: &crate::pipelines::spectrum::SpectrumSummary) {
    println!("{}", m.path);
    println!("  format      {} ({:?})", m.format.name(), m.container);
    println!("  rate        {} S/s", fmt_num(m.sample_rate_hz));
    let dur = m.duration_s().unwrap_or(analysed_s);
    println!("  duration    {:.3} s", dur);
    match m.center_freq_hz {
        Some(f) => println!("  centre      {:.6} MHz", f / 1e6),
        None => println!("  centre      unknown"),
    }
    match m.start_time {
        Some(t) => println!(
            "  start       {}",
            t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
        ),
        None => println!("  start       unknown"),
    }
    if let Some(sat) = &m.satellite {
        println!("  satellite   {sat}");
    }
    if !m.sources.is_empty() {
        println!("  metadata    {}", m.sources.join(", "));
    }
    println!(
        "  spectrum    FFT {} ({:.1} Hz bins), {} segments over {:.3} s",
        s.fft_size, s.bin_hz, s.segments, analysed_s
    );
    if s.signals.is_empty() {
        println!("  signals     none above the noise floor");
    }
    for (i, sig) in s.signals.iter().enumerate() {
        let abs = m
            .center_freq_hz
            .map(|f| format!("  = {:.6} MHz", (f + sig.center_offset_hz) / 1e6))
            .unwrap_or_default();
        println!(
            "  signal {}    offset {:+.0} Hz (peak {:+.0} Hz), {:.0} Hz wide, SNR {:.1} dB{}",
            i + 1,
            sig.center_offset_hz,
            sig.peak_offset_hz,
            sig.bandwidth_hz,
            sig.snr_db,
            abs
        );
    }
}

fn fmt_num(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.3}")
    }
}

fn decode(a: DecodeArgs) -> Result<bool> {
    // A satellite whose downlink is a pipeline's (Meteor-M LRPT) runs that pipeline on
    // the transmitter's channel; the others go to the telemetry decoders.
    let mut satellite_channel = None;
    let name = match &a.satellite {
        Some(sat) => match satellite_pipeline(&a, sat)? {
            Some((pipeline, channels)) => {
                satellite_channel = Some(channels);
                pipeline
            }
            None => return decode_satellite(&a, sat),
        },
        None => a.pipeline.as_deref().unwrap_or_default(),
    };
    let Some(pipeline) = pipelines::find(name) else {
        let names: Vec<_> = PIPELINES.iter().map(|p| p.name).collect();
        return Err(Error::Usage(format!(
            "unknown pipeline '{}' (known: {})",
            name,
            names.join(", ")
        )));
    };
    if pipeline.name == "meteor-lrpt" {
        let level = a
            .from
            .or_else(|| Level::from_path(&a.file))
            .unwrap_or(Level::Baseband);
        if level != Level::Baseband {
            return decode_meteor_frames(&a, level);
        }
    } else if let Some(level) = a.from.filter(|l| *l != Level::Baseband) {
        return Err(Error::Usage(format!(
            "the {} pipeline takes I/Q samples, not --from {level:?}",
            pipeline.name
        )));
    }
    let source = io::open_source(&a.file, &a.source.overrides())?;
    let meta = source.info().clone();
    std::fs::create_dir_all(&a.output).map_err(|e| Error::output(&a.output, e))?;
    let stem = timed_stem(&a.file, meta.start_time);
    let offset_hz = match &satellite_channel {
        Some(c) => c.offset_in(&meta)?,
        None => 0.0,
    };
    let stage = build_stage(pipeline.name, &a.pipe, &meta, &a.output, &stem)?;
    // In the UI, tuning moves the decoder's channel within the recorded band.
    let (stage, tuner): (Box<dyn SampleStage>, _) = if !a.tui && offset_hz == 0.0 {
        (stage, Err(String::new()))
    } else if !a.tui {
        let control = ShiftControl::at(offset_hz);
        let shifted = ShiftStage::new(stage, meta.sample_rate_hz, control);
        (
            Box::new(shifted) as Box<dyn SampleStage>,
            Err(String::new()),
        )
    } else if pipeline.name == "waterfall" {
        let why = "the waterfall pipeline keeps the whole band: there is no channel to tune";
        (stage, Err(why.to_string()))
    } else {
        let control = ShiftControl::at(offset_hz);
        let tuner: Box<dyn Tuner> = Box::new(SoftwareTuner::new(
            meta.center_freq_hz,
            meta.sample_rate_hz,
            control.clone(),
        ));
        (
            Box::new(ShiftStage::new(stage, meta.sample_rate_hz, control)),
            Ok(tuner),
        )
    };
    // In the UI, `r` stops and restarts the recording.
    let switch = (a.tui && a.record.is_some()).then(|| RecordSwitch::new(true));
    let stage: Box<dyn SampleStage> = match &a.record {
        Some(path) => {
            let mut spec = SinkSpec::from_path(path, None, &meta)?;
            spec.description = Some(format!("recorded by downlink from {}", meta.path));
            match &switch {
                Some(sw) => Box::new(RecordingStage::switched(stage, spec, sw.clone())?),
                None => Box::new(RecordingStage::wrap(stage, spec)?),
            }
        }
        None => stage,
    };
    if a.tui {
        return decode_tui(&a, source, stage, pipeline.name, switch, tuner);
    }
    let mut opts = run_options(&a.run);
    // A device that fails keeps what it delivered, as in `live`.
    opts.keep_products_on_input_error = meta.container == io::Container::Device;
    let running = chain::start(source, stage, opts, StatusBoard::new());
    let report = watch(
        running,
        front_end(&a.run),
        &display_name(&a.file),
        meta.total_samples,
        meta.sample_rate_hz,
    )?;
    if !a.run.json {
        print_summary(&report);
        if pipeline.name == "meteor-lrpt" {
            if let Some(st) = report.stages.iter().find(|s| s.stage == "meteor-lrpt") {
                print_meteor_status(st);
            }
        }
    }
    if let Some(problem) = &report.input_error {
        return Err(Error::DeviceLost(format!(
            "{problem} (products written up to the failure)"
        )));
    }
    Ok(report.interrupted)
}

/// The stage of pipeline `name` for an input described by `meta`; its products go
/// into `output`, named from `stem`.
fn build_stage(
    name: &str,
    p: &PipelineArgs,
    meta: &RecordingInfo,
    output: &Path,
    stem: &str,
) -> Result<Box<dyn SampleStage>> {
    Ok(match name {
        "waterfall" => {
            let cfg = WaterfallConfig {
                fft_size: p.fft,
                window: p.window,
                target_rows: p.rows,
                db_range: p.db_min.zip(p.db_max),
                colormap: p.colormap,
            };
            let path = output.join(format!("{stem}.waterfall.png"));
            Box::new(WaterfallStage::new(cfg, meta, path)?)
        }
        "channel" => {
            let offset_hz = match (p.offset, p.tune) {
                (Some(o), _) => o,
                (None, Some(f)) => {
                    let centre = meta.center_freq_hz.ok_or_else(|| {
                        Error::Usage(format!(
                            "{}: centre frequency unknown, so --tune cannot be used: pass --freq or use --offset",
                            meta.path
                        ))
                    })?;
                    f - centre
                }
                (None, None) => 0.0,
            };
            let out_rate = p.out_rate.min(meta.sample_rate_hz);
            let cfg = ChannelConfig {
                offset_hz,
                bandwidth_hz: p.bandwidth.unwrap_or(0.8 * out_rate),
                output_rate_hz: out_rate,
                format: p.out_format,
            };
            let path = output.join(format!("{stem}.channel.sigmf-meta"));
            Box::new(ChannelStage::new(&cfg, meta, path)?)
        }
        "meteor-lrpt" => {
            let dump = p.dump.clone().map(|dir| DumpTo {
                dir,
                stem: stem.to_string(),
            });
            Box::new(MeteorStage::new(
                meta.sample_rate_hz,
                p.carrier_search,
                output.to_path_buf(),
                stem.to_string(),
                dump,
            )?)
        }
        other => unreachable!("pipeline {other} is listed but not built"),
    })
}

/// `downlink live`: a device through a pipeline until Ctrl-C, q, `--seconds` or the
/// device fails (then the products are finished and the exit code is 3).
#[cfg(feature = "soapy")]
fn live(a: LiveArgs) -> Result<bool> {
    use crate::io::device::DeviceSettings;
    use crate::io::soapy::{SoapyConfig, SoapySource};
    use std::io::IsTerminal;
    let sats;
    let (pipeline_name, satellite) = match (&a.pipeline, &a.satellite) {
        (_, Some(query)) => {
            sats = crate::satellites::Satellites::load(&a.satellites_dir)?;
            ("cubesat", Some(find_satellite(&sats, query)?))
        }
        (Some(name), None) => match pipelines::find(name) {
            Some(p) => (p.name, None),
            None => {
                let names: Vec<_> = PIPELINES.iter().map(|p| p.name).collect();
                return Err(Error::Usage(format!(
                    "unknown pipeline '{}' (known: {})",
                    name,
                    names.join(", ")
                )));
            }
        },
        (None, None) => unreachable!("clap requires --pipeline or --satellite"),
    };
    let freq_hz = match (a.freq, satellite) {
        (Some(f), _) => f,
        (None, Some(sat)) => sat
            .transmitters
            .iter()
            .find(|t| crate::pipelines::cubesat::decoders::supported(t))
            .map(|t| t.frequency_hz)
            .ok_or_else(|| {
                Error::Usage(format!(
                    "{}: no decodable transmitter (see `downlink satellites`)",
                    sat.name
                ))
            })?,
        (None, None) => unreachable!("clap requires --freq without --satellite"),
    };
    let tle = a.tle.as_deref().map(read_checked_tle).transpose()?;
    if !a.headless && !std::io::stdout().is_terminal() {
        return Err(Error::Usage(
            "live shows a terminal UI, but standard output is not a terminal: add --headless"
                .into(),
        ));
    }
    if let Some(s) = a.seconds {
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::Usage(format!("--seconds {s} must be positive")));
        }
    }
    let stop = stop_flag();
    let mut cfg = SoapyConfig::new(
        &a.device,
        DeviceSettings {
            center_freq_hz: freq_hz,
            sample_rate_hz: a.rate,
            gain: a.gain.clone().unwrap_or_default(),
            ppm: a.ppm,
            bias_tee: a.bias_tee,
            antenna: a.antenna.clone(),
        },
    );
    cfg.reconnect = a.reconnect;
    cfg.interrupt = Some(stop.clone());
    if !(a.buffer > 0.0 && a.buffer.is_finite()) {
        return Err(Error::Usage(format!(
            "--buffer {} must be positive",
            a.buffer
        )));
    }
    cfg.queue_s = a.buffer;
    let source = SoapySource::open(&cfg)?;
    let tuner: Box<dyn Tuner> = Box::new(source.tuner());
    let applied = source.applied().clone();
    let mut meta = io::SampleSource::info(&source).clone();
    eprintln!(
        "soapy:{}: {} — {}",
        a.device,
        applied.driver,
        applied.notes.join(", ")
    );
    std::fs::create_dir_all(&a.output).map_err(|e| Error::output(&a.output, e))?;
    let device_name = format!("soapy:{}", a.device);
    let stem = timed_stem(&device_name, meta.start_time);
    let stage = match satellite {
        Some(sat) => {
            // The device's start time is the clock at stream start, so the Doppler
            // correction follows the wall clock (as long as no samples are dropped).
            meta.tle = tle;
            meta.station = a.station.clone();
            let out = crate::pipelines::cubesat::CubesatOutput {
                dir: a.output.clone(),
                stem: stem.clone(),
            };
            // Standard output holds the UI or the JSON lines: no hexdump there.
            let stage = crate::pipelines::cubesat::CubesatStage::new(sat, &meta, &out, None, true)?;
            eprintln!("{}: decoding {}", sat.name, stage.transmitters().join(", "));
            Box::new(stage)
        }
        None => build_stage(pipeline_name, &a.pipe, &meta, &a.output, &stem)?,
    };
    // The UI's `r` records to --record FILE, or beside the products without it.
    let switch = RecordSwitch::new(a.record.is_some());
    let record_path = match &a.record {
        Some(path) => path.clone(),
        None => a.output.join(format!("{stem}.sigmf-meta")),
    };
    let stage: Box<dyn SampleStage> = if a.record.is_some() || !a.headless {
        let mut spec = SinkSpec::from_path(&record_path, None, &meta)?;
        spec.description = Some(format!("recorded live by downlink from {device_name}"));
        spec.hw = Some(format!(
            "SoapySDR {} ({}): {}",
            applied.driver,
            a.device,
            applied.notes.join(", ")
        ));
        Box::new(RecordingStage::switched(stage, spec, switch.clone())?)
    } else {
        stage
    };
    let rate = meta.sample_rate_hz;
    let mut opts = RunOptions {
        // About 1/20 s per chunk keeps the screen and the products moving.
        chunk_samples: ((rate / 20.0) as usize).clamp(4096, 1 << 20),
        stop: stop.clone(),
        max_samples: a.seconds.map(|s| (s * rate).round() as u64),
        keep_products_on_input_error: true,
        ..RunOptions::default()
    };
    let report = if a.headless {
        let running = chain::start(Box::new(source), stage, opts, StatusBoard::new());
        watch(running, FrontEnd::Json, &device_name, None, rate)?
    } else {
        let tap = SpectrumTap::new();
        opts.spectrum = Some(TapConfig {
            tap: tap.clone(),
            fft_size: 1024,
            interval: Duration::from_millis(50),
        });
        let running = chain::start(Box::new(source), stage, opts, StatusBoard::new());
        let what = satellite.map_or(pipeline_name, |s| s.name.as_str());
        let title = format!("downlink live {what} · {}", a.device);
        let (report, _) = tui::run(running, &tap, &title, stop.clone(), Some(switch), Ok(tuner))?;
        print_summary(&report);
        report
    };
    if let Some(problem) = &report.input_error {
        return Err(Error::DeviceLost(format!(
            "{problem} (products written up to the failure)"
        )));
    }
    // Quitting the UI is its normal end; a headless run stopped by Ctrl-C says so.
    Ok(a.headless && report.interrupted)
}

#[cfg(feature = "soapy")]
fn devices_cmd(a: &DevicesArgs) -> Result<bool> {
    let found = io::soapy::enumerate(&a.args).map_err(Error::Usage)?;
    if found.is_empty() {
        eprintln!("no SoapySDR device found");
    }
    for d in found {
        println!("soapy:{d}");
    }
    Ok(false)
}

/// `downlink tui FILE`: `decode --tui --realtime --pipeline meteor-lrpt FILE`.
fn tui_cmd(a: TuiArgs) -> Result<bool> {
    let output = a.output.to_string_lossy().into_owned();
    let argv = [
        "downlink",
        "decode",
        "--tui",
        "--realtime",
        "--pipeline",
        "meteor-lrpt",
        "-o",
        output.as_str(),
        "--",
        a.file.as_str(),
    ];
    let Command::Decode(mut d) = Cli::try_parse_from(argv)
        .map_err(|e| Error::Usage(e.to_string()))?
        .command
    else {
        unreachable!("parsed as decode")
    };
    d.source = a.source;
    decode(*d)
}

/// Runs a chain under the terminal UI. Quitting with q is a normal end (exit code 0):
/// the chain is stopped cleanly and its products are complete up to that point.
fn decode_tui(
    a: &DecodeArgs,
    source: Box<dyn io::SampleSource>,
    stage: Box<dyn SampleStage>,
    pipeline: &str,
    record: Option<RecordSwitch>,
    tuner: std::result::Result<Box<dyn Tuner>, String>,
) -> Result<bool> {
    let rate = source.info().sample_rate_hz;
    let tap = SpectrumTap::new();
    let mut opts = run_options(&a.run);
    // Chunks of about 1/20 s keep the screen moving when paced at real time.
    opts.chunk_samples = opts.chunk_samples.min(((rate / 20.0) as usize).max(4096));
    opts.spectrum = Some(TapConfig {
        tap: tap.clone(),
        fft_size: 1024,
        interval: Duration::from_millis(50),
    });
    let stop = opts.stop.clone();
    let running = chain::start(source, stage, opts, StatusBoard::new());
    let title = format!("downlink {pipeline} · {}", display_name(&a.file));
    let (report, _ended) = tui::run(running, &tap, &title, stop, record, tuner)?;
    print_summary(&report);
    if pipeline == "meteor-lrpt" {
        if let Some(st) = report.stages.iter().find(|s| s.stage == "meteor-lrpt") {
            print_meteor_status(st);
        }
    }
    Ok(false)
}

/// The product name: the input's stem, plus the pass time when it is known.
fn timed_stem(path: &str, start: Option<DateTime<Utc>>) -> String {
    let stem = product_stem(path);
    match start {
        Some(t) => format!("{stem}.{}", t.format("%Y-%m-%dT%H%M%SZ")),
        None => stem,
    }
}

fn print_meteor_status(st: &StageStatus) {
    let v = |k: &str| st.value(k).unwrap_or(0.0);
    eprintln!(
        "meteor-lrpt: {} ({}), carrier {:+.0} Hz, SNR {:.1} dB",
        st.state,
        st.text.get("mode").map_or("no mode synced", String::as_str),
        v("carrier_offset_hz"),
        v("snr_db")
    );
    eprintln!(
        "  CADUs {} total, {} RS-valid ({} corrected), {} RS-failed; Viterbi BER {:.2e}",
        v("cadus"),
        v("cadus_rs_ok"),
        v("cadus_rs_corrected"),
        v("cadus_rs_failed"),
        v("viterbi_ber")
    );
    let lines: Vec<String> = st
        .values
        .iter()
        .filter_map(|(k, n)| {
            k.strip_prefix("lines_apid_")
                .map(|a| format!("APID {a}: {n} lines"))
        })
        .collect();
    if !lines.is_empty() {
        eprintln!("  {}", lines.join(", "));
    }
}

fn print_meteor_summary(s: &MeteorSummary) {
    eprintln!(
        "meteor-lrpt: {}; CADUs {} total, {} RS-valid ({} corrected), {} RS-failed; Viterbi BER {:.2e}",
        s.mode.as_deref().unwrap_or("no mode synced"),
        s.cadus_total,
        s.cadus_rs_ok,
        s.cadus_rs_corrected,
        s.cadus_rs_failed,
        s.viterbi_ber
    );
    if !s.image_lines.is_empty() {
        let lines: Vec<String> = s
            .image_lines
            .iter()
            .map(|(a, n)| format!("APID {a}: {n} lines"))
            .collect();
        eprintln!("  {}", lines.join(", "));
    }
}

/// `meteor-lrpt` above baseband: soft symbols, hard bits, CADUs or VCDUs. Decoding
/// these is fast, so it runs on this thread.
fn decode_meteor_frames(a: &DecodeArgs, level: Level) -> Result<bool> {
    let mut src = ByteSource::open(&a.file)?;
    let stem = timed_stem(&a.file, a.source.start);
    let dump = a.pipe.dump.clone().map(|dir| DumpTo {
        dir,
        stem: stem.clone(),
    });
    let streams: &[&str] = match level {
        Level::Soft | Level::Hard => &["input"],
        _ => &[],
    };
    let mut backend = MeteorBackend::new(streams, dump)?;
    let stop = stop_flag();
    let started = std::time::Instant::now();
    let (mut bytes, mut soft, mut carry) = (Vec::new(), Vec::new(), Vec::new());
    let frame = match level {
        Level::Cadu => CADU_BYTES,
        _ => VCDU_BYTES,
    };
    let mut interrupted = false;
    loop {
        if stop.load(Ordering::Relaxed) {
            interrupted = true;
            break;
        }
        bytes.clear();
        if src.read(&mut bytes, 1 << 16)? == 0 {
            break;
        }
        match level {
            Level::Soft => {
                soft.clear();
                soft.extend(bytes.iter().map(|&b| b as i8));
                backend.push_soft(0, &soft)?;
            }
            Level::Hard => {
                soft.clear();
                unpack_hard(&bytes, &mut soft);
                backend.push_soft(0, &soft)?;
            }
            Level::Cadu | Level::Vcdu => {
                carry.extend_from_slice(&bytes);
                let whole = carry.len() / frame * frame;
                for f in carry[..whole].chunks(frame) {
                    if level == Level::Cadu {
                        backend.push_cadu(f)?;
                    } else {
                        backend.push_vcdu(f);
                    }
                }
                carry.drain(..whole);
            }
            Level::Baseband => unreachable!("baseband goes through the sample chain"),
        }
    }
    if !carry.is_empty() && !interrupted {
        eprintln!(
            "downlink: {}: the last {} bytes are not a whole {}-byte frame; ignored",
            a.file,
            carry.len(),
            frame
        );
    }
    std::fs::create_dir_all(&a.output).map_err(|e| Error::output(&a.output, e))?;
    let (products, summary) = backend.finish(&a.output, &stem)?;
    if a.run.json {
        print_json(&json!({
            "type": "summary",
            "file": a.file,
            "level": level,
            "bytes": src.bytes_read,
            "elapsed_s": started.elapsed().as_secs_f64(),
            "interrupted": interrupted,
            "meteor": summary,
            "products": products,
        }));
    } else {
        print_meteor_summary(&summary);
        for p in &products {
            println!("{}  {}  {}", p.kind, p.path.display(), p.description);
        }
    }
    Ok(interrupted)
}

fn print_summary(r: &chain::RunReport) {
    eprintln!(
        "{} {:.3} s of signal in {:.2} s ({:.1}× real time)",
        if r.interrupted {
            "interrupted after"
        } else {
            "decoded"
        },
        r.samples as f64 / r.sample_rate_hz,
        r.elapsed_s,
        r.speed_x_realtime()
    );
    for p in &r.products {
        println!("{}  {}  {}", p.kind, p.path.display(), p.description);
    }
}

/// Streams samples into a sink: the body of `convert`.
struct ConvertStage {
    sink: Option<Box<dyn SampleSink>>,
    path: PathBuf,
    format: SampleFormat,
    samples: u64,
}

impl SampleStage for ConvertStage {
    fn name(&self) -> &'static str {
        "convert"
    }
    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        self.samples += chunk.samples.len() as u64;
        self.sink
            .as_mut()
            .expect("sink present until finish")
            .write(&chunk.samples)?;
        Ok(())
    }
    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        self.sink
            .take()
            .expect("sink present until finish")
            .finish()?;
        Ok(vec![Product {
            kind: "recording".into(),
            path: self.path.clone(),
            description: format!("{} samples, {}", self.samples, self.format.name()),
        }])
    }
    fn status(&self) -> StageStatus {
        StageStatus::new("convert", "running").with("samples", self.samples as f64)
    }
}

fn synth(a: SynthArgs) -> Result<bool> {
    if a.what == "meteor-lrpt" {
        return synth_lrpt(a);
    }
    let mut scene = crate::synth::reference_scene();
    if let Some(rate) = a.rate {
        scene.sample_rate_hz = rate;
    }
    if let Some(s) = a.seconds {
        if !(s > 0.0 && s.is_finite()) {
            return Err(Error::Usage(format!("--seconds {s} must be positive")));
        }
        scene.total_samples = Some((s * scene.sample_rate_hz).round() as u64);
    } else {
        scene.total_samples = Some((3.0 * scene.sample_rate_hz).round() as u64);
    }
    let source = crate::synth::SceneSource::new(scene)?;
    write_synth(Box::new(source), &a)
}

/// Writes a synthetic source where `synth` was told to.
fn write_synth(source: Box<dyn io::SampleSource>, a: &SynthArgs) -> Result<bool> {
    let run = RunArgs {
        json: false,
        realtime: false,
        chunk: 65536,
    };
    write_recording(source, &a.output, Some(a.to_format), &run, "synth")
}

fn synth_lrpt(a: SynthArgs) -> Result<bool> {
    use crate::synth::lrpt::{LrptSource, LrptSynthConfig};
    let mut cfg = LrptSynthConfig::default();
    if let Some(v) = a.rate {
        cfg.sample_rate_hz = v;
    }
    if let Some(v) = a.seconds {
        cfg.seconds = v;
    }
    if let Some(v) = a.es_n0 {
        cfg.es_n0_db = v;
    }
    if let Some(v) = a.carrier {
        cfg.carrier_offset_hz = v;
    }
    if let Some(v) = a.doppler {
        cfg.doppler_rate_hz_per_s = v;
    }
    if let Some(v) = a.ppm {
        cfg.clock_offset_ppm = v;
    }
    if let Some(v) = a.seed {
        cfg.seed = v;
    }
    if a.mode.as_deref() == Some("qpsk72k") {
        cfg.modulation = downlink_dsp::sync::PskModulation::Qpsk;
        cfg.differential = false;
    }
    let source = LrptSource::new(cfg)?;
    write_synth(Box::new(source), &a)
}

fn convert(a: ConvertArgs) -> Result<bool> {
    let source = io::open_source(&a.input, &a.source.overrides())?;
    write_recording(
        source,
        &a.output,
        a.to_format,
        &a.run,
        &display_name(&a.input),
    )
}

/// Streams a source into a recording file: the body of `convert` and `synth`.
fn write_recording(
    source: Box<dyn io::SampleSource>,
    output: &Path,
    format: Option<SampleFormat>,
    run: &RunArgs,
    label: &str,
) -> Result<bool> {
    let meta = source.info().clone();
    let spec = SinkSpec::from_path(output, format, &meta)?;
    if !spec.format.is_complex() && meta.format.is_complex() {
        return Err(Error::Usage(format!(
            "{}: {} holds real samples only; the input is complex I/Q ({}) — pick a complex format",
            output.display(),
            spec.format.name(),
            meta.format.name()
        )));
    }
    let sink = io::create_sink(&spec)?;
    let stage = ConvertStage {
        sink: Some(sink),
        path: spec.path.clone(),
        format: spec.format,
        samples: 0,
    };
    let running = chain::start(
        source,
        Box::new(stage),
        run_options(run),
        StatusBoard::new(),
    );
    let report = watch(
        running,
        front_end(run),
        label,
        meta.total_samples,
        meta.sample_rate_hz,
    )?;
    if !run.json {
        print_summary(&report);
    }
    Ok(report.interrupted)
}

#[derive(Args, Debug)]
struct SatellitesArgs {
    /// Extra folder of satellite TOML files (adds to or overrides the built-in ones).
    #[arg(long, value_name = "DIR")]
    satellites_dir: Vec<PathBuf>,
    /// One JSON array on stdout (every field of every satellite).
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct PassesArgs {
    /// TLE file (two lines, or three with the name first; the first set is used).
    #[arg(long, value_name = "FILE")]
    tle: PathBuf,
    /// Ground station: latitude, longitude (degrees, north and east positive), altitude (m).
    #[arg(long, value_name = "LAT,LON[,ALT]", value_parser = parse_station, allow_hyphen_values = true)]
    station: io::Station,
    /// Search span in hours.
    #[arg(long, default_value_t = 24.0)]
    hours: f64,
    /// Passes must rise above this elevation (degrees); AOS/LOS are taken there.
    #[arg(long, default_value_t = 10.0, allow_negative_numbers = true)]
    min_elevation: f64,
    /// Start of the search (RFC 3339; default: now).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    start: Option<DateTime<Utc>>,
    /// One JSON object per pass on stdout.
    #[arg(long)]
    json: bool,
}

fn parse_station(s: &str) -> std::result::Result<io::Station, String> {
    let v: Vec<&str> = s.split(',').map(str::trim).collect();
    if !(2..=3).contains(&v.len()) {
        return Err(format!("{s:?}: expected LAT,LON or LAT,LON,ALT"));
    }
    let num = |x: &str, what: &str| -> std::result::Result<f64, String> {
        x.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{what} {x:?} is not a number"))
    };
    let lat_deg = num(v[0], "latitude")?;
    let lon_deg = num(v[1], "longitude")?;
    let alt_m = v
        .get(2)
        .map(|a| num(a, "altitude"))
        .transpose()?
        .unwrap_or(0.0);
    if lat_deg.abs() > 90.0 || lon_deg.abs() > 360.0 {
        return Err(format!(
            "{s:?}: latitude must be within ±90°, longitude within ±360°"
        ));
    }
    Ok(io::Station {
        lat_deg,
        lon_deg,
        alt_m,
    })
}

fn satellites_cmd(a: SatellitesArgs) -> Result<()> {
    let sats = crate::satellites::Satellites::load(&a.satellites_dir)?;
    let all = sats.all();
    if a.json {
        let text =
            serde_json::to_string_pretty(&all).map_err(|e| Error::Internal(e.to_string()))?;
        print_out(&format!("{text}\n"));
        return Ok(());
    }
    let mut table = String::new();
    table += &format!(
        "{:<22} {:>6}  {:<22} {:>11}  {:<6} {:>7}  {:<20} decode\n",
        "satellite", "norad", "transmitter", "MHz", "mod", "baud", "framing"
    );
    for s in all {
        for (i, t) in s.transmitters.iter().enumerate() {
            let (name, norad) = if i == 0 {
                (
                    s.name.clone(),
                    s.norad.map(|n| n.to_string()).unwrap_or_else(|| "-".into()),
                )
            } else {
                (String::new(), String::new())
            };
            table += &format!(
                "{:<22} {:>6}  {:<22} {:>11.4}  {:<6} {:>7}  {:<20} {}\n",
                name,
                norad,
                t.name,
                t.frequency_hz / 1e6,
                t.modulation.kind(),
                t.modulation
                    .baud()
                    .map(|b| b.to_string())
                    .unwrap_or_else(|| "-".into()),
                t.framing.kind(),
                if crate::pipelines::cubesat::decoders::supported(t) {
                    "yes"
                } else if matches!(t.framing, crate::satellites::Framing::Lrpt { .. })
                    && matches!(t.modulation, crate::satellites::Modulation::Qpsk { .. })
                {
                    "meteor-lrpt"
                } else {
                    "not yet"
                }
            );
        }
    }
    print_out(&table);
    Ok(())
}

fn read_tle(path: &Path) -> Result<io::Tle> {
    let text = std::fs::read_to_string(path).map_err(|e| {
        Error::Input(io::InputError {
            path: path.display().to_string(),
            problem: e.to_string(),
        })
    })?;
    crate::doppler::Orbit::parse_tle_text(&text)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))
}

fn passes_cmd(a: PassesArgs) -> Result<()> {
    use crate::doppler::Orbit;
    let orbit = Orbit::from_tle(&read_tle(&a.tle)?)?;
    let start = a.start.unwrap_or_else(Utc::now);
    let passes = orbit.passes(&a.station, start, a.hours, a.min_elevation)?;
    if a.json {
        for p in &passes {
            print_json(&json!({
                "satellite": orbit.name(),
                "norad": orbit.norad(),
                "aos": p.aos.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "los": p.los.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "max_elevation_time": p.max_elevation_time.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                "max_elevation_deg": p.max_elevation_deg,
                "aos_azimuth_deg": p.aos_azimuth_deg,
                "los_azimuth_deg": p.los_azimuth_deg,
            }));
        }
        return Ok(());
    }
    let mut t = String::new();
    t += &format!(
        "{} (NORAD {}) from {:.4}, {:.4}, {:.0} m; {} h from {}; elevation ≥ {}°\n",
        if orbit.name().is_empty() {
            "satellite"
        } else {
            orbit.name()
        },
        orbit.norad(),
        a.station.lat_deg,
        a.station.lon_deg,
        a.station.alt_m,
        a.hours,
        start.format("%Y-%m-%d %H:%M:%S UTC"),
        a.min_elevation
    );
    t += &format!(
        "{:<20} {:<20} {:<9} {:>7} {:>7} {:>7}\n",
        "AOS (UTC)", "LOS (UTC)", "duration", "max el", "AOS az", "LOS az"
    );
    for p in &passes {
        let d = (p.los - p.aos).num_seconds();
        t += &format!(
            "{:<20} {:<20} {:>2}m{:02}s    {:>6.1}° {:>6.1}° {:>6.1}°\n",
            p.aos.format("%Y-%m-%d %H:%M:%S"),
            p.los.format("%Y-%m-%d %H:%M:%S"),
            d / 60,
            d % 60,
            p.max_elevation_deg,
            p.aos_azimuth_deg,
            p.los_azimuth_deg
        );
    }
    if passes.is_empty() {
        t += &format!(
            "no pass above {}° in the next {} h\n",
            a.min_elevation, a.hours
        );
    }
    print_out(&t);
    Ok(())
}

/// Writes to stdout, ignoring a closed pipe (`downlink satellites | head`).
fn print_out(text: &str) {
    use std::io::Write as _;
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// The frequencies of a satellite's transmitters that a pipeline decodes.
struct SatelliteChannels {
    satellite: String,
    frequencies_hz: Vec<f64>,
}

impl SatelliteChannels {
    /// The channel's offset from the recording's centre: the transmitter nearest the
    /// centre, which must lie inside the recorded band. A recording without a centre
    /// frequency is taken as centred on the transmitter (0).
    fn offset_in(&self, meta: &io::RecordingInfo) -> Result<f64> {
        let Some(centre) = meta.center_freq_hz else {
            return Ok(0.0);
        };
        let half = meta.sample_rate_hz / 2.0;
        let nearest = self
            .frequencies_hz
            .iter()
            .map(|f| f - centre)
            .min_by(|x, y| x.abs().total_cmp(&y.abs()))
            .unwrap_or(f64::INFINITY);
        // The carrier search needs its ±10 kHz inside the band too.
        if nearest.abs() + 10e3 > half {
            let list: Vec<String> = self
                .frequencies_hz
                .iter()
                .map(|f| format!("{:.4} MHz", f / 1e6))
                .collect();
            return Err(Error::Usage(format!(
                "{}: the recording covers {:.4} to {:.4} MHz, which does not hold {} ({})",
                meta.path,
                (centre - half) / 1e6,
                (centre + half) / 1e6,
                self.satellite,
                list.join(", ")
            )));
        }
        Ok(nearest)
    }
}

/// When `query` names a satellite whose downlink is a pipeline's rather than telemetry
/// (Meteor-M LRPT), that pipeline and the transmitters' frequencies.
fn satellite_pipeline(
    a: &DecodeArgs,
    query: &str,
) -> Result<Option<(&'static str, SatelliteChannels)>> {
    use crate::satellites::Framing;
    let sats = crate::satellites::Satellites::load(&a.satellites_dir)?;
    let Some(sat) = sats.find(query) else {
        return Ok(None);
    };
    let lrpt: Vec<f64> = sat
        .transmitters
        .iter()
        .filter(|t| {
            matches!(t.framing, Framing::Lrpt { .. })
                && matches!(t.modulation, crate::satellites::Modulation::Qpsk { .. })
        })
        .map(|t| t.frequency_hz)
        .collect();
    let telemetry = sat
        .transmitters
        .iter()
        .any(crate::pipelines::cubesat::decoders::supported);
    if lrpt.is_empty() || telemetry {
        return Ok(None);
    }
    if a.tle.is_some() || a.station.is_some() || a.no_doppler {
        return Err(Error::Usage(format!(
            "{}: --tle, --station and --no-doppler are for telemetry; the meteor-lrpt \
             pipeline finds the carrier itself within --carrier-search (±10 kHz, more than \
             the Doppler at 137 MHz)",
            sat.name
        )));
    }
    if !a.run.json {
        eprintln!("{}: decoding LRPT with the meteor-lrpt pipeline", sat.name);
    }
    Ok(Some((
        "meteor-lrpt",
        SatelliteChannels {
            satellite: sat.name.clone(),
            frequencies_hz: lrpt,
        },
    )))
}

fn find_satellite<'a>(
    sats: &'a crate::satellites::Satellites,
    query: &str,
) -> Result<&'a crate::satellites::Satellite> {
    sats.find(query).ok_or_else(|| {
        Error::Usage(format!(
            "unknown satellite {query:?} (see `downlink satellites`)"
        ))
    })
}

/// A TLE file that SGP4 can propagate; else an error naming the file, rather than
/// silently decoding uncorrected.
fn read_checked_tle(path: &Path) -> Result<io::Tle> {
    let tle = read_tle(path)?;
    crate::doppler::Orbit::from_tle(&tle)
        .map_err(|e| Error::Usage(format!("{}: {e}", path.display())))?;
    Ok(tle)
}

fn decode_satellite(a: &DecodeArgs, query: &str) -> Result<bool> {
    use crate::pipelines::cubesat::{CubesatOutput, CubesatStage};
    let sats = crate::satellites::Satellites::load(&a.satellites_dir)?;
    let sat = find_satellite(&sats, query)?;
    let source = io::open_source(&a.file, &a.source.overrides())?;
    let mut meta = source.info().clone();
    if crate::pipelines::cubesat::may_be_duplicated_mono(&meta) {
        let mut probe = io::open_source(&a.file, &a.source.overrides())?;
        crate::pipelines::cubesat::audio_if_duplicated_mono(&mut meta, probe.as_mut())?;
    }
    if let Some(p) = &a.tle {
        meta.tle = Some(read_checked_tle(p)?);
    }
    if let Some(st) = &a.station {
        meta.station = Some(st.clone());
    }
    let out = CubesatOutput {
        dir: a.output.clone(),
        stem: timed_stem(&a.file, meta.start_time),
    };
    // The TUI's frame log replaces the hexdump (standard output is the screen).
    let hexdump: Option<Box<dyn std::io::Write + Send>> = if a.run.json || a.tui {
        None
    } else {
        Some(Box::new(std::io::stdout()))
    };
    let tuning = crate::pipelines::cubesat::Tuning {
        doppler: !a.no_doppler,
        afc: !a.no_afc,
    };
    let stage = CubesatStage::new_tuned(sat, &meta, &out, hexdump, tuning)?;
    if a.tui {
        let why = "the satellite's channels sit on its transmitters: there is no channel to tune";
        return decode_tui(a, source, Box::new(stage), &sat.name, None, Err(why.into()));
    }
    if !a.run.json {
        eprintln!("{}: decoding {}", sat.name, stage.transmitters().join(", "));
    }
    let running = chain::start(
        source,
        Box::new(stage),
        run_options(&a.run),
        StatusBoard::new(),
    );
    let report = watch(
        running,
        front_end(&a.run),
        &display_name(&a.file),
        meta.total_samples,
        meta.sample_rate_hz,
    )?;
    if !a.run.json {
        print_summary(&report);
    }
    Ok(report.interrupted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn si_numbers() {
        assert_eq!(parse_si("2.4M").unwrap(), 2.4e6);
        assert_eq!(parse_si("240k").unwrap(), 240e3);
        assert_eq!(parse_si("-12.5k").unwrap(), -12.5e3);
        assert_eq!(parse_si("48000").unwrap(), 48000.0);
        assert_eq!(parse_si("1e6").unwrap(), 1e6);
        assert!(parse_si("fast").is_err());
        assert!(parse_si("inf").is_err());
    }

    #[test]
    fn stems_drop_recording_extensions() {
        assert_eq!(product_stem("/x/aausat.raw.gz"), "aausat");
        assert_eq!(product_stem("pass.sigmf-meta"), "pass");
        assert_eq!(product_stem("-"), "stdin");
        assert_eq!(
            product_stem("a/meteorDuplicates.vcdu892.bin"),
            "meteorDuplicates"
        );
        assert_eq!(product_stem("8bitsoft.s"), "8bitsoft");
        assert_eq!(product_stem("soapy:driver=rtlsdr,serial=00000001"), "live");
    }

    #[test]
    fn cli_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
