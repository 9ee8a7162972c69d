//! Radio settings (rate, frequency, gain, frequency correction, bias-tee, antenna) applied
//! to a device behind the small [`RadioControl`] trait.
//!
//! The trait is what `io/soapy.rs` implements for a SoapySDR device; the rules of what to
//! set, in which order, and what to refuse live here so they are tested against a mock
//! (no hardware, no SoapySDR needed).

use std::fmt;

/// The controls of one receive channel, as SoapySDR exposes them. Errors are plain
/// messages; [`configure`] adds what it was doing.
pub trait RadioControl {
    /// The driver key (`rtlsdr`, `hackrf`, `redpitaya`, …).
    fn driver(&self) -> String;
    fn set_sample_rate_hz(&mut self, hz: f64) -> Result<(), String>;
    fn sample_rate_hz(&self) -> Result<f64, String>;
    fn set_frequency_hz(&mut self, hz: f64) -> Result<(), String>;
    fn frequency_hz(&self) -> Result<f64, String>;
    /// Tunable components (`RF`, `CORR`, …): a `CORR` component takes a correction in ppm.
    fn frequency_components(&self) -> Result<Vec<String>, String>;
    fn set_component_frequency(&mut self, component: &str, value: f64) -> Result<(), String>;
    fn antennas(&self) -> Result<Vec<String>, String>;
    fn set_antenna(&mut self, name: &str) -> Result<(), String>;
    /// Gain elements in signal order (`LNA`, `VGA`, `TUNER`, …).
    fn gain_elements(&self) -> Result<Vec<String>, String>;
    /// Range of one element, or of the overall gain (`None`), in dB.
    fn gain_range_db(&self, element: Option<&str>) -> Result<(f64, f64), String>;
    /// Sets one element, or the overall gain (`None`, distributed by the driver).
    fn set_gain_db(&mut self, element: Option<&str>, db: f64) -> Result<(), String>;
    /// The overall gain now, in dB.
    fn gain_db(&self) -> Result<f64, String>;
    fn has_agc(&self) -> Result<bool, String>;
    fn set_agc(&mut self, on: bool) -> Result<(), String>;
    fn write_setting(&mut self, key: &str, value: &str) -> Result<(), String>;
}

/// How to set the gain.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum Gain {
    /// Leave it as the driver starts (manual, driver's default level).
    #[default]
    DeviceDefault,
    /// The device's automatic gain control.
    Agc,
    /// One overall figure, distributed over the elements by the driver.
    Total(f64),
    /// Element by element, e.g. `LNA=32,VGA=20` on a HackRF.
    Elements(Vec<(String, f64)>),
}

impl Gain {
    /// Parses `auto`, `40`, `40.5` or `LNA=32,VGA=20,AMP=0`.
    pub fn parse(s: &str) -> Result<Gain, String> {
        let t = s.trim();
        if t.eq_ignore_ascii_case("auto") || t.eq_ignore_ascii_case("agc") {
            return Ok(Gain::Agc);
        }
        let number = |v: &str| {
            v.trim()
                .parse::<f64>()
                .ok()
                .filter(|g| g.is_finite())
                .ok_or_else(|| format!("gain '{v}' is not a number of dB"))
        };
        if !t.contains('=') {
            return number(t).map(Gain::Total);
        }
        let mut elements = Vec::new();
        for part in t.split(',') {
            let (name, db) = part.split_once('=').ok_or_else(|| {
                format!("'{part}': expected ELEMENT=dB (e.g. LNA=32,VGA=20), a number or auto")
            })?;
            if name.trim().is_empty() {
                return Err(format!("'{part}': the gain element has no name"));
            }
            elements.push((name.trim().to_string(), number(db)?));
        }
        Ok(Gain::Elements(elements))
    }
}

impl fmt::Display for Gain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Gain::DeviceDefault => write!(f, "device default"),
            Gain::Agc => write!(f, "AGC"),
            Gain::Total(db) => write!(f, "{db} dB"),
            Gain::Elements(e) => {
                let parts: Vec<String> = e.iter().map(|(n, db)| format!("{n}={db}")).collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

/// What the user asked of the radio.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct DeviceSettings {
    pub center_freq_hz: f64,
    /// `None`: the driver's default from [`default_sample_rate_hz`].
    pub sample_rate_hz: Option<f64>,
    pub gain: Gain,
    /// Crystal error in ppm (positive: the device's clock runs fast).
    pub ppm: f64,
    pub bias_tee: bool,
    pub antenna: Option<String>,
}

/// What the device ended up at: the truth the recording metadata and pipelines use.
#[derive(Clone, Debug, PartialEq)]
pub struct Applied {
    pub driver: String,
    pub sample_rate_hz: f64,
    /// The centre frequency received, with a software ppm correction accounted for.
    pub center_freq_hz: f64,
    /// The ppm correction applied as a tuning offset (0 when the driver corrects):
    /// a retune must ask for the same offset.
    pub software_ppm: f64,
    /// One line per setting, for the log and SigMF `core:hw`.
    pub notes: Vec<String>,
}

/// Per-driver default sample rates: what a receiver of that kind streams reliably.
pub fn default_sample_rate_hz(driver: &str) -> Option<f64> {
    match driver.to_ascii_lowercase().as_str() {
        // The highest rate an RTL2832U delivers without dropping samples on most hosts.
        "rtlsdr" => Some(2.4e6),
        // HackRF's baseband filter and USB 2 are comfortable at 8–10 MS/s; below 8 MS/s
        // its anti-aliasing is poor.
        "hackrf" => Some(8e6),
        "airspy" => Some(2.5e6),
        _ => None,
    }
}

/// The setting key a driver uses to power its antenna port (bias-tee).
fn bias_tee_key(driver: &str) -> Option<&'static str> {
    match driver.to_ascii_lowercase().as_str() {
        "rtlsdr" | "airspy" => Some("biastee"),
        "hackrf" => Some("bias_tx"),
        "sdrplay" => Some("biasT_ctrl"),
        _ => None,
    }
}

/// Applies `s` to `dev`. Order matters: antenna and rate first (some drivers retune on
/// a rate change), then correction and frequency, then gain, then bias-tee. Anything the
/// device cannot do is an error naming the setting and what the device offers, never a
/// silent no-op: a pass recorded at the wrong gain is lost.
pub fn configure(dev: &mut dyn RadioControl, s: &DeviceSettings) -> Result<Applied, String> {
    let driver = dev.driver();
    let mut notes = Vec::new();
    if let Some(ant) = &s.antenna {
        let offered = dev
            .antennas()
            .map_err(|e| format!("listing antennas: {e}"))?;
        if !offered.iter().any(|a| a == ant) {
            return Err(format!(
                "antenna '{ant}' is not one of this {driver} device's: {}",
                list_or_none(&offered)
            ));
        }
        dev.set_antenna(ant)
            .map_err(|e| format!("selecting antenna {ant}: {e}"))?;
        notes.push(format!("antenna {ant}"));
    }
    let rate = match s.sample_rate_hz {
        Some(r) => r,
        None => default_sample_rate_hz(&driver)
            .ok_or_else(|| format!("no default sample rate for a {driver} device: pass --rate"))?,
    };
    if !(rate > 0.0 && rate.is_finite()) {
        return Err(format!("sample rate {rate} S/s must be positive"));
    }
    dev.set_sample_rate_hz(rate)
        .map_err(|e| format!("setting the sample rate to {rate} S/s: {e}"))?;
    let rate = dev.sample_rate_hz().unwrap_or(rate);
    notes.push(format!("rate {rate} S/s"));

    // A correction in the driver (`CORR`) fixes the LO and the sample clock together.
    // Without one, the LO is corrected here by asking for the frequency that the fast or
    // slow crystal turns into the wanted one; the sample clock stays off by `ppm`, which
    // every demodulator here tracks anyway.
    let mut software_ppm = 0.0;
    if s.ppm != 0.0 {
        let components = dev
            .frequency_components()
            .map_err(|e| format!("listing frequency components: {e}"))?;
        if components.iter().any(|c| c == "CORR") {
            dev.set_component_frequency("CORR", s.ppm)
                .map_err(|e| format!("setting the frequency correction to {} ppm: {e}", s.ppm))?;
            notes.push(format!("correction {} ppm (driver)", s.ppm));
        } else {
            software_ppm = s.ppm;
            notes.push(format!("correction {} ppm (tuning offset)", s.ppm));
        }
    }
    let ask_hz = s.center_freq_hz / (1.0 + software_ppm * 1e-6);
    dev.set_frequency_hz(ask_hz)
        .map_err(|e| format!("tuning to {} Hz: {e}", s.center_freq_hz))?;
    let got_hz = dev.frequency_hz().unwrap_or(ask_hz) * (1.0 + software_ppm * 1e-6);
    notes.push(format!("centre {got_hz} Hz"));

    match &s.gain {
        Gain::DeviceDefault => {}
        Gain::Agc => {
            if !dev.has_agc().map_err(|e| format!("asking for AGC: {e}"))? {
                return Err(format!(
                    "this {driver} device has no automatic gain: give --gain in dB"
                ));
            }
            dev.set_agc(true)
                .map_err(|e| format!("turning AGC on: {e}"))?;
            notes.push("gain AGC".into());
        }
        Gain::Total(db) => {
            manual(dev)?;
            let (lo, hi) = dev
                .gain_range_db(None)
                .map_err(|e| format!("reading the gain range: {e}"))?;
            check_range("gain", *db, lo, hi)?;
            dev.set_gain_db(None, *db)
                .map_err(|e| format!("setting the gain to {db} dB: {e}"))?;
            notes.push(format!("gain {db} dB"));
        }
        Gain::Elements(elements) => {
            manual(dev)?;
            let offered = dev
                .gain_elements()
                .map_err(|e| format!("listing gain elements: {e}"))?;
            for (name, db) in elements {
                // Element names are case-insensitive for the user, exact for the driver.
                let Some(real) = offered.iter().find(|o| o.eq_ignore_ascii_case(name)) else {
                    return Err(format!(
                        "gain element '{name}' is not one of this {driver} device's: {}",
                        list_or_none(&offered)
                    ));
                };
                let (lo, hi) = dev
                    .gain_range_db(Some(real))
                    .map_err(|e| format!("reading the {real} gain range: {e}"))?;
                check_range(&format!("{real} gain"), *db, lo, hi)?;
                dev.set_gain_db(Some(real), *db)
                    .map_err(|e| format!("setting {real} to {db} dB: {e}"))?;
            }
            notes.push(format!("gain {}", s.gain));
        }
    }

    if s.bias_tee {
        let key = bias_tee_key(&driver)
            .ok_or_else(|| format!("no bias-tee known for a {driver} device"))?;
        dev.write_setting(key, "true")
            .map_err(|e| format!("turning the bias-tee on: {e}"))?;
        notes.push("bias-tee on".into());
    }
    Ok(Applied {
        driver,
        sample_rate_hz: rate,
        center_freq_hz: got_hz,
        software_ppm,
        notes,
    })
}

/// A change asked of a running device (the TUI's keys).
#[derive(Clone, Debug, PartialEq)]
pub enum RadioCommand {
    /// Centre frequency, Hz.
    Tune(f64),
    /// Overall gain up (positive) or down by this many dB; leaves AGC.
    StepGain(f64),
    /// Automatic gain on if off, off (back to a manual gain) if on.
    ToggleAgc,
}

/// What a command did.
#[derive(Clone, Debug, PartialEq)]
pub struct RadioChange {
    /// The centre frequency received now, Hz (after a software ppm correction).
    pub center_freq_hz: f64,
    /// The gain setting now.
    pub gain: Gain,
    /// For the status line.
    pub message: String,
    /// The device did not do what was asked (and `message` says what it did instead).
    pub refused: bool,
}

/// Applies `cmd` to a running device, and records it in `settings` so that a device
/// reopened after a failure (`--reconnect`) comes back as the user left it.
/// `applied` is what [`configure`] returned (for the software ppm offset).
pub fn apply(
    dev: &mut dyn RadioControl,
    settings: &mut DeviceSettings,
    applied: &Applied,
    cmd: &RadioCommand,
) -> Result<RadioChange, String> {
    let driver = dev.driver();
    let scale = 1.0 + applied.software_ppm * 1e-6;
    let centre =
        |dev: &dyn RadioControl, fallback: f64| dev.frequency_hz().unwrap_or(fallback) * scale;
    match cmd {
        RadioCommand::Tune(hz) => {
            if !(hz.is_finite() && *hz > 0.0) {
                return Err(format!("cannot tune to {hz} Hz"));
            }
            dev.set_frequency_hz(hz / scale)
                .map_err(|e| format!("tuning to {} MHz: {e}", hz / 1e6))?;
            let got = centre(dev, hz / scale);
            // Some drivers ignore a frequency outside their range without an error;
            // the samples are labelled with where the device really is.
            let refused = (got - hz).abs() > 1e3;
            let message = if refused {
                format!(
                    "the device stayed at {:.6} MHz: {:.6} MHz is outside its range",
                    got / 1e6,
                    hz / 1e6
                )
            } else {
                settings.center_freq_hz = *hz;
                format!("tuned to {:.6} MHz", got / 1e6)
            };
            Ok(RadioChange {
                center_freq_hz: got,
                gain: settings.gain.clone(),
                message,
                refused,
            })
        }
        RadioCommand::StepGain(step_db) => {
            let (lo, hi) = dev
                .gain_range_db(None)
                .map_err(|e| format!("reading the gain range: {e}"))?;
            if hi <= lo {
                return Err(format!("this {driver} device has no gain to set"));
            }
            // Steps add to the gain asked for, not to what the device reports: a
            // device with coarse steps (RTL-SDR) rounds each request to its nearest,
            // and adding to that would never move past it.
            let from = match &settings.gain {
                Gain::Total(db) => *db,
                _ => dev
                    .gain_db()
                    .map_err(|e| format!("reading the gain: {e}"))?,
            };
            manual(dev)?;
            let db = (from + step_db).clamp(lo, hi);
            dev.set_gain_db(None, db)
                .map_err(|e| format!("setting the gain to {db} dB: {e}"))?;
            settings.gain = Gain::Total(db);
            let limit = if db >= hi {
                " (maximum)"
            } else if db <= lo {
                " (minimum)"
            } else {
                ""
            };
            Ok(RadioChange {
                center_freq_hz: centre(dev, settings.center_freq_hz / scale),
                gain: settings.gain.clone(),
                message: format!("gain {db:.1} dB{limit}"),
                refused: false,
            })
        }
        RadioCommand::ToggleAgc => {
            if !dev.has_agc().map_err(|e| format!("asking for AGC: {e}"))? {
                return Err(format!(
                    "this {driver} device has no automatic gain: set it with the arrow keys"
                ));
            }
            let message = if settings.gain == Gain::Agc {
                dev.set_agc(false)
                    .map_err(|e| format!("turning AGC off: {e}"))?;
                // Manual from where the AGC left it.
                let db = dev
                    .gain_db()
                    .map_err(|e| format!("reading the gain: {e}"))?;
                settings.gain = Gain::Total(db);
                format!("AGC off, gain {db:.1} dB")
            } else {
                dev.set_agc(true)
                    .map_err(|e| format!("turning AGC on: {e}"))?;
                settings.gain = Gain::Agc;
                "AGC on".to_string()
            };
            Ok(RadioChange {
                center_freq_hz: centre(dev, settings.center_freq_hz / scale),
                gain: settings.gain.clone(),
                message,
                refused: false,
            })
        }
    }
}

/// Manual gain needs AGC off where the device has one (else the AGC overrides it).
fn manual(dev: &mut dyn RadioControl) -> Result<(), String> {
    if dev.has_agc().unwrap_or(false) {
        dev.set_agc(false)
            .map_err(|e| format!("turning AGC off: {e}"))?;
    }
    Ok(())
}

fn check_range(what: &str, db: f64, lo: f64, hi: f64) -> Result<(), String> {
    if db < lo || db > hi {
        return Err(format!("{what} {db} dB is outside {lo}–{hi} dB"));
    }
    Ok(())
}

fn list_or_none(v: &[String]) -> String {
    if v.is_empty() {
        "none".into()
    } else {
        v.join(", ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A device that records every call and knows a few elements, like an RTL-SDR or
    /// HackRF would.
    struct Mock {
        driver: &'static str,
        rate: f64,
        freq: f64,
        components: Vec<String>,
        antennas: Vec<String>,
        elements: Vec<(String, f64, f64)>,
        agc: Option<bool>,
        gain_db: f64,
        /// Ignores frequency changes (as the Red Pitaya module does above 60 MHz).
        stuck: bool,
        calls: Vec<String>,
    }

    impl Mock {
        fn rtlsdr() -> Self {
            Mock {
                driver: "rtlsdr",
                rate: 0.0,
                freq: 0.0,
                components: vec!["RF".into(), "CORR".into()],
                antennas: vec!["RX".into()],
                elements: vec![("TUNER".into(), 0.0, 49.6)],
                agc: Some(false),
                gain_db: 0.0,
                stuck: false,
                calls: Vec::new(),
            }
        }

        fn hackrf() -> Self {
            Mock {
                driver: "hackrf",
                rate: 0.0,
                freq: 0.0,
                components: vec!["RF".into()],
                antennas: vec!["TX/RX".into()],
                elements: vec![
                    ("AMP".into(), 0.0, 14.0),
                    ("LNA".into(), 0.0, 40.0),
                    ("VGA".into(), 0.0, 62.0),
                ],
                agc: None,
                gain_db: 0.0,
                stuck: false,
                calls: Vec::new(),
            }
        }
    }

    impl RadioControl for Mock {
        fn driver(&self) -> String {
            self.driver.into()
        }
        fn set_sample_rate_hz(&mut self, hz: f64) -> Result<(), String> {
            self.calls.push(format!("rate {hz}"));
            // Like real hardware: the rate actually set is the nearest the clock makes.
            self.rate = (hz / 1000.0).round() * 1000.0;
            Ok(())
        }
        fn sample_rate_hz(&self) -> Result<f64, String> {
            Ok(self.rate)
        }
        fn set_frequency_hz(&mut self, hz: f64) -> Result<(), String> {
            self.calls.push(format!("freq {hz:.1}"));
            if !self.stuck {
                self.freq = hz;
            }
            Ok(())
        }
        fn frequency_hz(&self) -> Result<f64, String> {
            Ok(self.freq)
        }
        fn frequency_components(&self) -> Result<Vec<String>, String> {
            Ok(self.components.clone())
        }
        fn set_component_frequency(&mut self, c: &str, v: f64) -> Result<(), String> {
            self.calls.push(format!("{c} {v}"));
            Ok(())
        }
        fn antennas(&self) -> Result<Vec<String>, String> {
            Ok(self.antennas.clone())
        }
        fn set_antenna(&mut self, name: &str) -> Result<(), String> {
            self.calls.push(format!("antenna {name}"));
            Ok(())
        }
        fn gain_elements(&self) -> Result<Vec<String>, String> {
            Ok(self.elements.iter().map(|e| e.0.clone()).collect())
        }
        fn gain_range_db(&self, element: Option<&str>) -> Result<(f64, f64), String> {
            match element {
                None => Ok((0.0, self.elements.iter().map(|e| e.2).sum())),
                Some(n) => self
                    .elements
                    .iter()
                    .find(|e| e.0 == n)
                    .map(|e| (e.1, e.2))
                    .ok_or_else(|| format!("no element {n}")),
            }
        }
        fn set_gain_db(&mut self, element: Option<&str>, db: f64) -> Result<(), String> {
            self.calls
                .push(format!("gain {} {db}", element.unwrap_or("overall")));
            if element.is_none() {
                // Like an RTL-SDR: the nearest of its steps (here every 2.5 dB).
                self.gain_db = (db / 2.5).round() * 2.5;
            }
            Ok(())
        }
        fn gain_db(&self) -> Result<f64, String> {
            Ok(self.gain_db)
        }
        fn has_agc(&self) -> Result<bool, String> {
            Ok(self.agc.is_some())
        }
        fn set_agc(&mut self, on: bool) -> Result<(), String> {
            self.calls.push(format!("agc {on}"));
            self.agc = Some(on);
            Ok(())
        }
        fn write_setting(&mut self, key: &str, value: &str) -> Result<(), String> {
            self.calls.push(format!("setting {key}={value}"));
            Ok(())
        }
    }

    fn settings(freq: f64) -> DeviceSettings {
        DeviceSettings {
            center_freq_hz: freq,
            ..DeviceSettings::default()
        }
    }

    #[test]
    fn gain_strings() {
        assert_eq!(Gain::parse("auto").unwrap(), Gain::Agc);
        assert_eq!(Gain::parse("40.2").unwrap(), Gain::Total(40.2));
        assert_eq!(
            Gain::parse("LNA=32, VGA=20").unwrap(),
            Gain::Elements(vec![("LNA".into(), 32.0), ("VGA".into(), 20.0)])
        );
        assert!(Gain::parse("LNA=loud")
            .unwrap_err()
            .contains("not a number"));
        assert!(Gain::parse("=3").unwrap_err().contains("no name"));
        assert!(Gain::parse("LNA=3,VGA").unwrap_err().contains("ELEMENT=dB"));
        assert!(Gain::parse("inf").is_err());
    }

    #[test]
    fn per_device_default_rates() {
        let mut rtl = Mock::rtlsdr();
        let a = configure(&mut rtl, &settings(137.9e6)).unwrap();
        assert_eq!(a.sample_rate_hz, 2.4e6);
        assert_eq!(rtl.calls, vec!["rate 2400000", "freq 137900000.0"]);
        let mut hackrf = Mock::hackrf();
        let a = configure(&mut hackrf, &settings(437e6)).unwrap();
        assert!((8e6..=10e6).contains(&a.sample_rate_hz));
        let mut other = Mock::rtlsdr();
        other.driver = "redpitaya";
        let e = configure(&mut other, &settings(14e6)).unwrap_err();
        assert_eq!(
            e,
            "no default sample rate for a redpitaya device: pass --rate"
        );
        // An explicit rate wins, and the device's actual rate is reported.
        let mut rtl = Mock::rtlsdr();
        let s = DeviceSettings {
            sample_rate_hz: Some(1_024_000.4),
            ..settings(137.9e6)
        };
        assert_eq!(configure(&mut rtl, &s).unwrap().sample_rate_hz, 1_024_000.0);
    }

    #[test]
    fn ppm_goes_to_the_driver_when_it_corrects() {
        let mut rtl = Mock::rtlsdr();
        let s = DeviceSettings {
            ppm: 42.0,
            ..settings(137.9e6)
        };
        let a = configure(&mut rtl, &s).unwrap();
        assert_eq!(
            rtl.calls,
            vec!["rate 2400000", "CORR 42", "freq 137900000.0"]
        );
        assert_eq!(a.center_freq_hz, 137.9e6);
    }

    #[test]
    fn ppm_without_driver_support_offsets_the_tuning() {
        let mut hackrf = Mock::hackrf();
        let s = DeviceSettings {
            ppm: 10.0,
            ..settings(100e6)
        };
        let a = configure(&mut hackrf, &s).unwrap();
        // A crystal 10 ppm fast turns 99 999 000.01 Hz asked into 100 MHz received.
        assert_eq!(hackrf.calls[1], "freq 99999000.0");
        assert!(
            (a.center_freq_hz - 100e6).abs() < 1e-3,
            "{}",
            a.center_freq_hz
        );
        assert!(a.notes.iter().any(|n| n.contains("tuning offset")));
    }

    #[test]
    fn manual_gain_turns_agc_off_and_checks_the_range() {
        let mut rtl = Mock::rtlsdr();
        rtl.agc = Some(true);
        let s = DeviceSettings {
            gain: Gain::Total(40.0),
            ..settings(137.9e6)
        };
        configure(&mut rtl, &s).unwrap();
        assert_eq!(&rtl.calls[2..], ["agc false", "gain overall 40"]);
        let s = DeviceSettings {
            gain: Gain::Total(60.0),
            ..settings(137.9e6)
        };
        let e = configure(&mut Mock::rtlsdr(), &s).unwrap_err();
        assert_eq!(e, "gain 60 dB is outside 0–49.6 dB");
    }

    #[test]
    fn gain_per_element_by_name() {
        let mut hackrf = Mock::hackrf();
        let s = DeviceSettings {
            gain: Gain::parse("lna=32,VGA=20,AMP=0").unwrap(),
            ..settings(437e6)
        };
        let a = configure(&mut hackrf, &s).unwrap();
        assert_eq!(
            &hackrf.calls[2..],
            ["gain LNA 32", "gain VGA 20", "gain AMP 0"]
        );
        assert!(a.notes.contains(&"gain lna=32,VGA=20,AMP=0".to_string()));
        let s = DeviceSettings {
            gain: Gain::parse("IF=10").unwrap(),
            ..settings(437e6)
        };
        let e = configure(&mut Mock::hackrf(), &s).unwrap_err();
        assert_eq!(
            e,
            "gain element 'IF' is not one of this hackrf device's: AMP, LNA, VGA"
        );
        let s = DeviceSettings {
            gain: Gain::parse("VGA=63").unwrap(),
            ..settings(437e6)
        };
        let e = configure(&mut Mock::hackrf(), &s).unwrap_err();
        assert_eq!(e, "VGA gain 63 dB is outside 0–62 dB");
    }

    #[test]
    fn agc_only_where_the_device_has_it() {
        let mut rtl = Mock::rtlsdr();
        let s = DeviceSettings {
            gain: Gain::Agc,
            ..settings(137.9e6)
        };
        configure(&mut rtl, &s).unwrap();
        assert_eq!(rtl.calls.last().unwrap(), "agc true");
        let e = configure(&mut Mock::hackrf(), &s).unwrap_err();
        assert_eq!(
            e,
            "this hackrf device has no automatic gain: give --gain in dB"
        );
    }

    #[test]
    fn bias_tee_and_antenna() {
        let mut rtl = Mock::rtlsdr();
        let s = DeviceSettings {
            bias_tee: true,
            antenna: Some("RX".into()),
            ..settings(137.9e6)
        };
        configure(&mut rtl, &s).unwrap();
        assert_eq!(rtl.calls.first().unwrap(), "antenna RX");
        assert_eq!(rtl.calls.last().unwrap(), "setting biastee=true");
        let mut hackrf = Mock::hackrf();
        let s = DeviceSettings {
            bias_tee: true,
            ..settings(437e6)
        };
        configure(&mut hackrf, &s).unwrap();
        assert_eq!(hackrf.calls.last().unwrap(), "setting bias_tx=true");
        let s = DeviceSettings {
            antenna: Some("ANT2".into()),
            ..settings(437e6)
        };
        let e = configure(&mut Mock::hackrf(), &s).unwrap_err();
        assert_eq!(
            e,
            "antenna 'ANT2' is not one of this hackrf device's: TX/RX"
        );
        let mut pitaya = Mock::rtlsdr();
        pitaya.driver = "redpitaya";
        let s = DeviceSettings {
            bias_tee: true,
            sample_rate_hz: Some(100e3),
            ..settings(14e6)
        };
        let e = configure(&mut pitaya, &s).unwrap_err();
        assert_eq!(e, "no bias-tee known for a redpitaya device");
    }

    #[test]
    fn retune_keeps_the_software_ppm_offset_and_the_settings() {
        let mut hackrf = Mock::hackrf();
        let mut s = DeviceSettings {
            ppm: 10.0,
            ..settings(100e6)
        };
        let applied = configure(&mut hackrf, &s).unwrap();
        assert_eq!(applied.software_ppm, 10.0);
        hackrf.calls.clear();
        let c = apply(&mut hackrf, &mut s, &applied, &RadioCommand::Tune(137.1e6)).unwrap();
        // The same 10 ppm fast crystal: ask 137 098 629.0 Hz to receive 137.1 MHz.
        assert_eq!(hackrf.calls, ["freq 137098629.0"]);
        assert!((c.center_freq_hz - 137.1e6).abs() < 1e-3, "{c:?}");
        assert_eq!(c.message, "tuned to 137.100000 MHz");
        // A reconnect reopens the device at the new frequency.
        assert_eq!(s.center_freq_hz, 137.1e6);
        let e = apply(&mut hackrf, &mut s, &applied, &RadioCommand::Tune(f64::NAN)).unwrap_err();
        assert!(e.contains("cannot tune"), "{e}");
        // A driver that ignores a frequency it cannot reach: the truth, flagged.
        let mut stuck = Mock::hackrf();
        stuck.freq = 137.098_629e6;
        stuck.stuck = true;
        let c = apply(&mut stuck, &mut s, &applied, &RadioCommand::Tune(7.2e9)).unwrap();
        assert!(c.refused);
        assert_eq!(
            c.message,
            "the device stayed at 137.100000 MHz: 7200.000000 MHz is outside its range"
        );
        assert_eq!(
            s.center_freq_hz, 137.1e6,
            "settings keep the last good tuning"
        );
        // A driver that corrects ppm itself is asked for the plain frequency.
        let mut rtl = Mock::rtlsdr();
        let mut s = DeviceSettings {
            ppm: 10.0,
            ..settings(100e6)
        };
        let applied = configure(&mut rtl, &s).unwrap();
        assert_eq!(applied.software_ppm, 0.0);
        rtl.calls.clear();
        apply(&mut rtl, &mut s, &applied, &RadioCommand::Tune(137.1e6)).unwrap();
        assert_eq!(rtl.calls, ["freq 137100000.0"]);
    }

    #[test]
    fn gain_steps_add_to_the_gain_asked_for_and_stop_at_the_range() {
        let mut rtl = Mock::rtlsdr();
        rtl.agc = Some(true);
        let mut s = DeviceSettings {
            gain: Gain::Agc,
            ..settings(137.9e6)
        };
        let applied = configure(&mut rtl, &s).unwrap();
        rtl.gain_db = 30.0;
        rtl.calls.clear();
        // From AGC: manual, one step above where the AGC left the gain.
        let c = apply(&mut rtl, &mut s, &applied, &RadioCommand::StepGain(1.0)).unwrap();
        assert_eq!(rtl.calls, ["agc false", "gain overall 31"]);
        assert_eq!(c.message, "gain 31.0 dB");
        assert_eq!(s.gain, Gain::Total(31.0));
        // The device rounds 31 to 30; the next step still moves on (32 → 32.5).
        assert_eq!(rtl.gain_db, 30.0);
        apply(&mut rtl, &mut s, &applied, &RadioCommand::StepGain(1.0)).unwrap();
        assert_eq!(rtl.calls.last().unwrap(), "gain overall 32");
        assert_eq!(rtl.gain_db, 32.5);
        for _ in 0..30 {
            apply(&mut rtl, &mut s, &applied, &RadioCommand::StepGain(1.0)).unwrap();
        }
        let c = apply(&mut rtl, &mut s, &applied, &RadioCommand::StepGain(1.0)).unwrap();
        assert_eq!(c.message, "gain 49.6 dB (maximum)");
        assert_eq!(s.gain, Gain::Total(49.6));
        for _ in 0..60 {
            apply(&mut rtl, &mut s, &applied, &RadioCommand::StepGain(-1.0)).unwrap();
        }
        assert_eq!(s.gain, Gain::Total(0.0));
        // The frequency is untouched by gain changes.
        assert!(!rtl.calls.iter().any(|c| c.starts_with("freq")));
    }

    #[test]
    fn agc_toggles_where_the_device_has_it() {
        let mut rtl = Mock::rtlsdr();
        let mut s = DeviceSettings {
            gain: Gain::Total(20.0),
            ..settings(137.9e6)
        };
        let applied = configure(&mut rtl, &s).unwrap();
        rtl.calls.clear();
        let c = apply(&mut rtl, &mut s, &applied, &RadioCommand::ToggleAgc).unwrap();
        assert_eq!(c.message, "AGC on");
        assert_eq!(s.gain, Gain::Agc);
        assert_eq!(rtl.calls, ["agc true"]);
        rtl.gain_db = 42.5;
        let c = apply(&mut rtl, &mut s, &applied, &RadioCommand::ToggleAgc).unwrap();
        assert_eq!(c.message, "AGC off, gain 42.5 dB");
        assert_eq!(s.gain, Gain::Total(42.5));
        assert_eq!(rtl.calls.last().unwrap(), "agc false");
        let mut hackrf = Mock::hackrf();
        let mut s = settings(437e6);
        s.sample_rate_hz = Some(8e6);
        let applied = configure(&mut hackrf, &s).unwrap();
        let e = apply(&mut hackrf, &mut s, &applied, &RadioCommand::ToggleAgc).unwrap_err();
        assert_eq!(
            e,
            "this hackrf device has no automatic gain: set it with the arrow keys"
        );
        assert_eq!(s.gain, Gain::DeviceDefault);
    }
}
