//! Metadata that other tools leave in file names and side files.
//!
//! Recognised file names (the directory part is ignored):
//!
//! | tool | example | gives |
//! |---|---|---|
//! | SDR++ | `baseband_137900000Hz_10-42-13_26-11-2026.wav` | centre frequency; start time in the **recording machine's local time** (SDR++ uses `localtime`), converted with this machine's time zone |
//! | SDR# | `SDRSharp_20170830_073907Z_145825000Hz_IQ.wav` | centre frequency, start time (UTC) |
//! | HDSDR | `HDSDR_20190120_164512Z_137100kHz_RF.wav` | LO frequency, start time (UTC) |
//! | gqrx | `gqrx_20191110_143527_137100000_2400000_fc.raw` | cf32, centre frequency, sample rate, start time (UTC) |
//! | SatDump | `2023-05-12_10-23-45_2400000SPS_137900000Hz.cs16`, with milliseconds `2023-05-12_10-23-45-123_2400000SPS_137900000Hz.cf32` | sample rate, centre frequency, start time (UTC), and the format from the extension (`.cu8 .cs8 .cs16 .cf32`, older `.u8 .s8 .s16 .f32`, `.wav`) |
//!
//! For SDR#/HDSDR the audio variants (`_AF.wav`) give only the start time: their
//! frequency is the tuned channel, not the centre of the samples.
//!
//! A ground-station JSON beside the file (`X.raw.gz` → `X.raw.gz.json`, as
//! r2cloud writes them) gives the format (`dataFormat`), the file's sample rate
//! (`inputSampleRate`, not `sampleRate`, which is the demodulator's), the SDR
//! centre (`actualFrequency`), the start (`start`, ms since the Unix epoch), the
//! TLE (`tle.line1` = name, `line2`, `line3`), the station and the satellite.

use std::path::Path;

use chrono::{DateTime, Local, NaiveDate, NaiveDateTime, TimeZone, Utc};
use serde::Deserialize;

use super::{
    Annotation, Container, InputError, Overrides, RecordingInfo, SampleFormat, Station, Tle,
};

/// What a file name says about its recording.
#[derive(Debug, Clone, PartialEq)]
pub struct NameFacts {
    /// The tool whose naming matched, e.g. "SDR++".
    pub tool: &'static str,
    pub format: Option<SampleFormat>,
    pub sample_rate_hz: Option<f64>,
    pub center_freq_hz: Option<f64>,
    pub start_time: Option<DateTime<Utc>>,
    /// True when `start_time` was written in local time (SDR++).
    pub local_time: bool,
}

/// The sample format implied by a file extension alone (`"cu8"`, `"s16"`, `"fc32"` …).
/// `None` for extensions that say nothing (`raw`, `bin`, `iq`, `dat`) or are unknown.
pub fn format_from_extension(ext: &str) -> Option<SampleFormat> {
    let e = ext.to_ascii_lowercase();
    match e.as_str() {
        "cu8" | "cs8" | "cs16" | "cf32" | "fc32" | "cfile" | "u8" | "s8" | "s16" | "f32"
        | "ci8" | "ci16" | "ru8" | "ri16" | "rf32" => SampleFormat::from_name(&e),
        _ => None,
    }
}

/// Extensions of headerless sample files whose format must come from elsewhere.
pub(crate) fn is_formatless_raw_extension(ext: &str) -> bool {
    matches!(
        ext.to_ascii_lowercase().as_str(),
        "raw" | "bin" | "iq" | "dat" | "data"
    )
}

fn parse_freq(s: &str) -> Option<f64> {
    let lower = s.to_ascii_lowercase();
    let (num, mult) = if let Some(n) = lower.strip_suffix("mhz") {
        (n, 1e6)
    } else if let Some(n) = lower.strip_suffix("khz") {
        (n, 1e3)
    } else if let Some(n) = lower.strip_suffix("hz") {
        (n, 1.0)
    } else {
        return None;
    };
    let v: f64 = num.parse().ok()?;
    (v.is_finite() && v >= 0.0).then_some(v * mult)
}

fn num<T: std::str::FromStr>(s: &str, len: usize) -> Option<T> {
    (s.len() == len && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

fn naive(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32, ms: u32) -> Option<NaiveDateTime> {
    NaiveDate::from_ymd_opt(y, mo, d)?.and_hms_milli_opt(h, mi, s, ms)
}

/// `YYYYMMDD`, `HHMMSS`
fn compact_date_time(date: &str, time: &str) -> Option<NaiveDateTime> {
    if date.len() != 8 || time.len() != 6 {
        return None;
    }
    naive(
        num(date.get(..4)?, 4)?,
        num(date.get(4..6)?, 2)?,
        num(date.get(6..)?, 2)?,
        num(time.get(..2)?, 2)?,
        num(time.get(2..4)?, 2)?,
        num(time.get(4..)?, 2)?,
        0,
    )
}

/// Splits `name` into (stem, extension) at the last dot.
fn split_ext(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i + 1..]),
        _ => (name, ""),
    }
}

/// SDR++: `baseband_137900000Hz_10-42-13_26-11-2026.wav` (`$t_$f_$h-$m-$s_$d-$M-$y`, local time).
fn sdrpp(stem: &str, ext: &str) -> Option<NameFacts> {
    let p: Vec<&str> = stem.split('_').collect();
    if p.len() != 4 || !ext.eq_ignore_ascii_case("wav") {
        return None;
    }
    let baseband = match p[0] {
        "baseband" => true,
        "audio" => false,
        _ => return None,
    };
    let freq = parse_freq(p[1])?;
    let t: Vec<&str> = p[2].split('-').collect();
    let d: Vec<&str> = p[3].split('-').collect();
    if t.len() != 3 || d.len() != 3 {
        return None;
    }
    let local = naive(
        num(d[2], 4)?,
        num(d[1], 2)?,
        num(d[0], 2)?,
        num(t[0], 2)?,
        num(t[1], 2)?,
        num(t[2], 2)?,
        0,
    )?;
    // A local time that falls in a DST gap has no instant; take none rather than guess.
    let start = Local
        .from_local_datetime(&local)
        .earliest()
        .map(|t| t.with_timezone(&Utc));
    Some(NameFacts {
        tool: "SDR++",
        format: None,
        sample_rate_hz: None,
        center_freq_hz: baseband.then_some(freq),
        start_time: start,
        local_time: true,
    })
}

/// SDR# `SDRSharp_20170830_073907Z_145825000Hz_IQ.wav` and
/// HDSDR `HDSDR_20190120_164512Z_137100kHz_RF.wav` (both UTC).
fn sdrsharp_hdsdr(stem: &str, ext: &str) -> Option<NameFacts> {
    let p: Vec<&str> = stem.split('_').collect();
    if p.len() != 5 || !ext.eq_ignore_ascii_case("wav") {
        return None;
    }
    let (tool, rf_tag) = match p[0] {
        "SDRSharp" => ("SDR#", "IQ"),
        "HDSDR" => ("HDSDR", "RF"),
        _ => return None,
    };
    let time = p[2].strip_suffix('Z').or_else(|| p[2].strip_suffix('z'))?;
    let start = compact_date_time(p[1], time)?.and_utc();
    let freq = parse_freq(p[3])?;
    let is_rf = p[4].eq_ignore_ascii_case(rf_tag);
    if !is_rf && !p[4].eq_ignore_ascii_case("AF") {
        return None;
    }
    Some(NameFacts {
        tool,
        format: None,
        sample_rate_hz: None,
        center_freq_hz: is_rf.then_some(freq),
        start_time: Some(start),
        local_time: false,
    })
}

/// gqrx: `gqrx_20191110_143527_137100000_2400000_fc.raw` (UTC, cf32).
fn gqrx(stem: &str, ext: &str) -> Option<NameFacts> {
    let p: Vec<&str> = stem.split('_').collect();
    if p.len() != 6 || p[0] != "gqrx" || p[5] != "fc" || !ext.eq_ignore_ascii_case("raw") {
        return None;
    }
    let start = compact_date_time(p[1], p[2])?.and_utc();
    let freq: f64 = p[3].parse().ok().filter(|f: &f64| f.is_finite())?;
    let rate: f64 = p[4].parse().ok().filter(|f: &f64| f.is_finite())?;
    Some(NameFacts {
        tool: "gqrx",
        format: Some(SampleFormat::Cf32),
        sample_rate_hz: Some(rate),
        center_freq_hz: Some(freq),
        start_time: Some(start),
        local_time: false,
    })
}

/// SatDump: `2023-05-12_10-23-45_2400000SPS_137900000Hz.cs16`, optionally with
/// milliseconds `2023-05-12_10-23-45-123_…` (SatDump's `prepareBasebandFileName`, UTC).
fn satdump(stem: &str, ext: &str) -> Option<NameFacts> {
    let p: Vec<&str> = stem.split('_').collect();
    if p.len() != 4 {
        return None;
    }
    let d: Vec<&str> = p[0].split('-').collect();
    let t: Vec<&str> = p[1].split('-').collect();
    if d.len() != 3 || !(t.len() == 3 || t.len() == 4) {
        return None;
    }
    let ms = if t.len() == 4 { num(t[3], 3)? } else { 0 };
    let start = naive(
        num(d[0], 4)?,
        num(d[1], 2)?,
        num(d[2], 2)?,
        num(t[0], 2)?,
        num(t[1], 2)?,
        num(t[2], 2)?,
        ms,
    )?
    .and_utc();
    let rate: f64 = p[2].strip_suffix("SPS")?.parse().ok()?;
    let freq = parse_freq(p[3])?;
    let format = if ext.eq_ignore_ascii_case("wav") {
        None
    } else {
        Some(format_from_extension(ext)?)
    };
    Some(NameFacts {
        tool: "SatDump",
        format,
        sample_rate_hz: Some(rate),
        center_freq_hz: Some(freq),
        start_time: Some(start),
        local_time: false,
    })
}

/// Recognises the naming of SDR++, SDR#, HDSDR, gqrx and SatDump (see the module docs).
/// `file_name` may include directories; a trailing `.gz` is looked through.
pub fn parse_file_name(file_name: &str) -> Option<NameFacts> {
    let base = Path::new(file_name).file_name()?.to_str()?;
    let base = base.strip_suffix(".gz").unwrap_or(base);
    let (stem, ext) = split_ext(base);
    sdrpp(stem, ext)
        .or_else(|| sdrsharp_hdsdr(stem, ext))
        .or_else(|| gqrx(stem, ext))
        .or_else(|| satdump(stem, ext))
}

/// The r2cloud ground-station observation JSON (only the fields we use).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GroundStationJson {
    id: Option<serde_json::Value>,
    start: Option<i64>,
    input_sample_rate: Option<f64>,
    actual_frequency: Option<f64>,
    satellite: Option<serde_json::Value>,
    tle: Option<GsTle>,
    ground_station: Option<GsStation>,
    data_format: Option<String>,
}

#[derive(Deserialize)]
struct GsTle {
    line1: String,
    line2: String,
    line3: String,
}

#[derive(Deserialize)]
struct GsStation {
    lat: f64,
    lon: f64,
    #[serde(default)]
    alt: Option<f64>,
}

/// Facts about a recording, each with its origin, merged in priority order.
#[derive(Default, Debug)]
pub(crate) struct Facts {
    pub format: Option<(SampleFormat, String)>,
    pub rate: Option<(f64, String)>,
    pub freq: Option<(f64, String)>,
    pub start: Option<(DateTime<Utc>, String)>,
    pub tle: Option<Tle>,
    pub station: Option<Station>,
    pub satellite: Option<String>,
    pub description: Option<String>,
    pub annotations: Vec<Annotation>,
    /// Origins of facts that have no slot above (TLE, station …).
    pub other_sources: Vec<String>,
}

impl Facts {
    /// Facts from the file name and, for headerless files, the side JSON.
    pub fn from_name(path: &str) -> Facts {
        let mut f = Facts::default();
        if let Some(n) = parse_file_name(path) {
            let origin = if n.local_time {
                format!("file name ({}, local time)", n.tool)
            } else {
                format!("file name ({})", n.tool)
            };
            if let Some(v) = n.format {
                f.format = Some((v, origin.clone()));
            }
            if let Some(v) = n.sample_rate_hz {
                f.rate = Some((v, origin.clone()));
            }
            if let Some(v) = n.center_freq_hz {
                f.freq = Some((v, origin.clone()));
            }
            if let Some(v) = n.start_time {
                f.start = Some((v, origin));
            }
        }
        f
    }

    /// Reads `<path>.json` if it exists (r2cloud ground-station format).
    pub fn add_side_json(&mut self, path: &str) -> Result<(), InputError> {
        let json_path = format!("{path}.json");
        let meta = match std::fs::metadata(&json_path) {
            Ok(m) => m,
            Err(_) => return Ok(()),
        };
        if meta.len() > 16 << 20 {
            return Err(InputError::new(
                &json_path,
                "ground-station JSON is larger than 16 MiB; not a metadata file?",
            ));
        }
        let text = std::fs::read(&json_path)
            .map_err(|e| InputError::new(&json_path, format!("cannot read: {e}")))?;
        let j: GroundStationJson = serde_json::from_slice(&text).map_err(|e| {
            InputError::new(&json_path, format!("malformed ground-station JSON: {e}"))
        })?;
        const ORIGIN: &str = "ground-station JSON";
        if let Some(df) = &j.data_format {
            let fmt = match df.as_str() {
                "COMPLEX_UNSIGNED_BYTE" => SampleFormat::Cu8,
                "COMPLEX_SIGNED_SHORT" => SampleFormat::Cs16,
                "COMPLEX_FLOAT" => SampleFormat::Cf32,
                other => {
                    return Err(InputError::new(
                        &json_path,
                        format!("unsupported dataFormat \"{other}\" (known: COMPLEX_UNSIGNED_BYTE, COMPLEX_SIGNED_SHORT, COMPLEX_FLOAT)"),
                    ))
                }
            };
            self.format = Some((fmt, ORIGIN.into()));
        }
        if let Some(r) = j.input_sample_rate {
            self.rate = Some((r, format!("{ORIGIN} (inputSampleRate)")));
        }
        if let Some(f) = j.actual_frequency {
            self.freq = Some((f, format!("{ORIGIN} (actualFrequency)")));
        }
        if let Some(ms) = j.start {
            let t = DateTime::<Utc>::from_timestamp_millis(ms).ok_or_else(|| {
                InputError::new(&json_path, format!("start {ms} ms is out of range"))
            })?;
            self.start = Some((t, ORIGIN.into()));
        }
        if let Some(t) = j.tle {
            self.tle = Some(Tle {
                name: t.line1.trim().into(),
                line1: t.line2,
                line2: t.line3,
            });
            self.other_sources.push(format!("tle: {ORIGIN}"));
        }
        if let Some(s) = j.ground_station {
            self.station = Some(Station {
                lat_deg: s.lat,
                lon_deg: s.lon,
                alt_m: s.alt.unwrap_or(0.0),
            });
            self.other_sources.push(format!("station: {ORIGIN}"));
        }
        if let Some(s) = j.satellite {
            self.satellite = Some(match s {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            });
            self.other_sources.push(format!("satellite: {ORIGIN}"));
        }
        if let Some(id) = j.id {
            let id = match id {
                serde_json::Value::String(s) => s,
                other => other.to_string(),
            };
            self.description = Some(format!("r2cloud observation {id}"));
        }
        Ok(())
    }

    pub fn apply_overrides(&mut self, ov: &Overrides) {
        if let Some(v) = ov.format {
            self.format = Some((v, "--format".into()));
        }
        if let Some(v) = ov.sample_rate_hz {
            self.rate = Some((v, "--rate".into()));
        }
        if let Some(v) = ov.center_freq_hz {
            self.freq = Some((v, "--freq".into()));
        }
        if let Some(v) = ov.start_time {
            self.start = Some((v, "--start".into()));
        }
    }

    /// The format, or the error that asks for `--format`.
    pub fn require_format(&self, err_path: &str, why: &str) -> Result<SampleFormat, InputError> {
        self.format.as_ref().map(|f| f.0).ok_or_else(|| {
            InputError::new(err_path, format!("sample format unknown ({why}): pass --format (cu8, cs8, cs16, cf32, ru8, ri16, rf32)"))
        })
    }

    /// Validates the rate and assembles the info. `total_samples` is computed
    /// from the final format by the caller's closure.
    pub fn into_info(
        self,
        path: &str,
        err_path: &str,
        container: Container,
        total_samples: impl FnOnce(SampleFormat) -> Result<Option<u64>, InputError>,
    ) -> Result<RecordingInfo, InputError> {
        let (format, format_origin) = self
            .format
            .ok_or_else(|| InputError::new(err_path, "sample format unknown: pass --format"))?;
        let (rate, rate_origin) = self
            .rate
            .ok_or_else(|| InputError::new(err_path, "sample rate unknown: pass --rate"))?;
        if !(rate.is_finite() && rate > 0.0) {
            return Err(InputError::new(
                err_path,
                format!("sample rate {rate} Hz (from {rate_origin}) is not valid: it must be positive and finite"),
            ));
        }
        if let Some((f, origin)) = &self.freq {
            if !f.is_finite() {
                return Err(InputError::new(
                    err_path,
                    format!("centre frequency {f} (from {origin}) is not finite"),
                ));
            }
        }
        let mut sources = vec![
            format!("format: {format_origin}"),
            format!("sample_rate_hz: {rate_origin}"),
        ];
        if let Some((_, o)) = &self.freq {
            sources.push(format!("center_freq_hz: {o}"));
        }
        if let Some((_, o)) = &self.start {
            sources.push(format!("start_time: {o}"));
        }
        sources.extend(self.other_sources);
        Ok(RecordingInfo {
            path: path.to_string(),
            container,
            format,
            sample_rate_hz: rate,
            center_freq_hz: self.freq.map(|f| f.0),
            start_time: self.start.map(|s| s.0),
            total_samples: total_samples(format)?,
            sources,
            annotations: self.annotations,
            tle: self.tle,
            station: self.station,
            satellite: self.satellite,
            description: self.description,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn sdrpp_baseband_local_time() {
        let n = parse_file_name("/rec/baseband_137900000Hz_10-42-13_26-11-2026.wav").unwrap();
        assert_eq!(n.tool, "SDR++");
        assert_eq!(n.center_freq_hz, Some(137_900_000.0));
        assert!(n.local_time);
        let local = NaiveDate::from_ymd_opt(2026, 11, 26)
            .unwrap()
            .and_hms_opt(10, 42, 13)
            .unwrap();
        let expect = Local
            .from_local_datetime(&local)
            .earliest()
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(n.start_time, Some(expect));
        assert_eq!(n.format, None);
        assert_eq!(n.sample_rate_hz, None);
        // Audio recordings carry the channel frequency, not a centre.
        let a = parse_file_name("audio_137100000Hz_10-42-13_26-11-2026.wav").unwrap();
        assert_eq!(a.center_freq_hz, None);
        assert!(a.start_time.is_some());
        assert!(
            parse_file_name("baseband_137900000Hz_10-42-13_32-11-2026.wav").is_none(),
            "day 32"
        );
    }

    #[test]
    fn sdrsharp() {
        let n = parse_file_name("SDRSharp_20170830_073907Z_145825000Hz_IQ.wav").unwrap();
        assert_eq!(n.tool, "SDR#");
        assert_eq!(n.center_freq_hz, Some(145_825_000.0));
        assert_eq!(n.start_time, Some(utc("2017-08-30T07:39:07Z")));
        let af = parse_file_name("SDRSharp_20170830_073907Z_145825000Hz_AF.wav").unwrap();
        assert_eq!(af.center_freq_hz, None);
    }

    #[test]
    fn hdsdr_khz() {
        let n = parse_file_name("HDSDR_20190120_164512Z_137100kHz_RF.wav").unwrap();
        assert_eq!(n.tool, "HDSDR");
        assert_eq!(n.center_freq_hz, Some(137_100_000.0));
        assert_eq!(n.start_time, Some(utc("2019-01-20T16:45:12Z")));
    }

    #[test]
    fn gqrx_name_gives_rate_and_format() {
        let n = parse_file_name("gqrx_20191110_143527_137100000_2400000_fc.raw").unwrap();
        assert_eq!(n.tool, "gqrx");
        assert_eq!(n.format, Some(SampleFormat::Cf32));
        assert_eq!(n.sample_rate_hz, Some(2_400_000.0));
        assert_eq!(n.center_freq_hz, Some(137_100_000.0));
        assert_eq!(n.start_time, Some(utc("2019-11-10T14:35:27Z")));
    }

    #[test]
    fn satdump_with_and_without_millis() {
        let n = parse_file_name("2023-05-12_10-23-45_2400000SPS_137900000Hz.cs16").unwrap();
        assert_eq!(n.tool, "SatDump");
        assert_eq!(n.format, Some(SampleFormat::Cs16));
        assert_eq!(n.sample_rate_hz, Some(2_400_000.0));
        assert_eq!(n.center_freq_hz, Some(137_900_000.0));
        assert_eq!(n.start_time, Some(utc("2023-05-12T10:23:45Z")));
        let m = parse_file_name("2023-05-12_10-23-45-123_6000000SPS_1700000000Hz.cf32").unwrap();
        assert_eq!(m.start_time, Some(utc("2023-05-12T10:23:45.123Z")));
        assert_eq!(m.format, Some(SampleFormat::Cf32));
        assert_eq!(m.sample_rate_hz, Some(6_000_000.0));
        for (ext, f) in [
            ("cu8", SampleFormat::Cu8),
            ("cs8", SampleFormat::Cs8),
            ("s8", SampleFormat::Cs8),
            ("f32", SampleFormat::Cf32),
        ] {
            let n = parse_file_name(&format!("2023-05-12_10-23-45_2400000SPS_137900000Hz.{ext}"))
                .unwrap();
            assert_eq!(n.format, Some(f), "{ext}");
        }
        let w = parse_file_name("2023-05-12_10-23-45_2400000SPS_137900000Hz.wav").unwrap();
        assert_eq!(w.format, None);
        assert_eq!(w.sample_rate_hz, Some(2_400_000.0));
        assert!(parse_file_name("2023-05-12_10-23-45_2400000SPS_137900000Hz.ziq").is_none());
    }

    #[test]
    fn unrelated_names_give_nothing() {
        for n in [
            "ao73.wav",
            "dstar1.raw.gz",
            "meteor.wav",
            "x_y_z_w.cu8",
            "gqrx_2019_1_2_3_fc.raw",
        ] {
            assert_eq!(parse_file_name(n), None, "{n}");
        }
    }

    #[test]
    fn extension_formats() {
        assert_eq!(format_from_extension("CU8"), Some(SampleFormat::Cu8));
        assert_eq!(format_from_extension("fc32"), Some(SampleFormat::Cf32));
        assert_eq!(format_from_extension("raw"), None);
        assert!(is_formatless_raw_extension("raw"));
        assert_eq!(format_from_extension("png"), None);
    }

    #[test]
    fn side_json_fields() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("obs.raw.gz");
        std::fs::write(
            dir.path().join("obs.raw.gz.json"),
            r#"{"id":"1580157614013","start":1580157836189,"sampleRate":48000,"inputSampleRate":240000,
               "actualFrequency":435719985,"satellite":"43881","dataFormat":"COMPLEX_FLOAT",
               "tle":{"line1":"D-STAR ONE (SPARROW)","line2":"1 43881U","line3":"2 43881"},
               "groundStation":{"lat":53.72,"lon":47.57}}"#,
        )
        .unwrap();
        let mut f = Facts::default();
        f.add_side_json(p.to_str().unwrap()).unwrap();
        assert_eq!(f.format.as_ref().unwrap().0, SampleFormat::Cf32);
        assert_eq!(f.rate.as_ref().unwrap().0, 240000.0);
        assert_eq!(f.freq.as_ref().unwrap().0, 435719985.0);
        assert_eq!(f.start.as_ref().unwrap().0, utc("2020-01-27T20:43:56.189Z"));
        assert_eq!(f.tle.as_ref().unwrap().name, "D-STAR ONE (SPARROW)");
        assert_eq!(f.tle.as_ref().unwrap().line2, "2 43881");
        assert_eq!(
            f.station,
            Some(Station {
                lat_deg: 53.72,
                lon_deg: 47.57,
                alt_m: 0.0
            })
        );
        assert_eq!(f.satellite.as_deref(), Some("43881"));
    }
}
