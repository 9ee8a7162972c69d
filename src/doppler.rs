//! Where a satellite is seen from a ground station, and the Doppler shift that follows:
//! SGP4 (the `sgp4` crate) gives position and velocity in TEME; the station is rotated
//! into TEME by the Greenwich mean sidereal time, and the range rate is the relative
//! velocity projected on the line of sight. Also the pass predictor behind
//! `downlink passes`.
//!
//! Sign convention: a positive range rate means the satellite moves away, and the
//! received frequency is `f · (1 − ṙ/c)`, so the Doppler shift is `−f·ṙ/c` (positive
//! while the satellite approaches).

use crate::io::{Station, Tle};
use chrono::{DateTime, Duration, Utc};

/// Speed of light, m/s (exact, SI definition).
pub const SPEED_OF_LIGHT_M_S: f64 = 299_792_458.0;

/// WGS-84 semi-major axis (km) and flattening (NIMA TR8350.2 §3).
const WGS84_A_KM: f64 = 6378.137;
const WGS84_F: f64 = 1.0 / 298.257_223_563;
/// Earth rotation rate, rad/s (WGS-84, TR8350.2 §3.2.4).
const EARTH_ROTATION_RAD_S: f64 = 7.292_115_146_7e-5;

/// A TLE that does not parse, or an orbit SGP4 cannot propagate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct DopplerError(pub String);

impl From<DopplerError> for crate::error::Error {
    fn from(e: DopplerError) -> Self {
        crate::error::Error::Usage(e.0)
    }
}

/// A satellite's orbit, ready to propagate.
#[derive(Clone, Debug)]
pub struct Orbit {
    name: String,
    elements: sgp4::Elements,
    constants: sgp4::Constants,
}

/// The satellite as seen from the station at one instant.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Look {
    pub azimuth_deg: f64,
    pub elevation_deg: f64,
    pub range_km: f64,
    /// Positive: moving away.
    pub range_rate_km_s: f64,
}

/// One point of a Doppler curve.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct DopplerPoint {
    /// Seconds since the start of the curve.
    pub t_s: f64,
    pub doppler_hz: f64,
    pub elevation_deg: f64,
}

/// A pass above the minimum elevation.
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct Pass {
    /// Acquisition of signal: the satellite rises through the minimum elevation
    /// (or the search start, when the pass is already under way).
    pub aos: DateTime<Utc>,
    /// Loss of signal: it sets through the minimum elevation (or the search end).
    pub los: DateTime<Utc>,
    pub max_elevation_time: DateTime<Utc>,
    pub max_elevation_deg: f64,
    pub aos_azimuth_deg: f64,
    pub los_azimuth_deg: f64,
}

impl Orbit {
    /// Parses a TLE (name line optional, may be empty).
    pub fn from_tle(tle: &Tle) -> Result<Self, DopplerError> {
        let elements = sgp4::Elements::from_tle(
            Some(tle.name.trim().to_string()).filter(|n| !n.is_empty()),
            tle.line1.trim().as_bytes(),
            tle.line2.trim().as_bytes(),
        )
        .map_err(|e| DopplerError(format!("TLE {:?}: {e}", tle.name)))?;
        let constants = sgp4::Constants::from_elements(&elements)
            .map_err(|e| DopplerError(format!("TLE {:?}: {e}", tle.name)))?;
        Ok(Orbit {
            name: tle.name.trim().to_string(),
            elements,
            constants,
        })
    }

    /// Reads the first element set of a TLE file: three lines (name, 1, 2) or two.
    pub fn parse_tle_text(text: &str) -> Result<Tle, DopplerError> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim_end)
            .filter(|l| !l.trim().is_empty())
            .collect();
        let i1 = lines
            .iter()
            .position(|l| l.starts_with("1 "))
            .ok_or_else(|| DopplerError("no TLE line 1 (starting with \"1 \") found".into()))?;
        let line2 = lines
            .get(i1 + 1)
            .filter(|l| l.starts_with("2 "))
            .ok_or_else(|| DopplerError("TLE line 1 is not followed by line 2".into()))?;
        let name = if i1 > 0 {
            lines[i1 - 1].trim().trim_start_matches("0 ").to_string()
        } else {
            String::new()
        };
        Ok(Tle {
            name,
            line1: lines[i1].to_string(),
            line2: line2.to_string(),
        })
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn norad(&self) -> u64 {
        self.elements.norad_id
    }

    /// Position and velocity (km, km/s) in TEME at `t`.
    fn teme(&self, t: DateTime<Utc>) -> Result<([f64; 3], [f64; 3]), DopplerError> {
        let minutes = self
            .elements
            .datetime_to_minutes_since_epoch(&t.naive_utc())
            .map_err(|e| DopplerError(format!("{}: time {t}: {e}", self.name)))?;
        let p = self
            .constants
            .propagate(minutes)
            .map_err(|e| DopplerError(format!("{}: SGP4 at {t}: {e}", self.name)))?;
        Ok((p.position, p.velocity))
    }

    /// Azimuth, elevation, range and range rate from `station` at `t`.
    pub fn look(&self, station: &Station, t: DateTime<Utc>) -> Result<Look, DopplerError> {
        let (r_sat, v_sat) = self.teme(t)?;
        let theta = gmst_rad(t);
        let (r_ecef, lat, lon) = station_ecef_km(station);
        // Station in TEME: rotate ECEF by GMST about z (polar motion and the
        // equation of the equinoxes are below a metre here and are left out).
        let (s, c) = theta.sin_cos();
        let r_stn = [
            c * r_ecef[0] - s * r_ecef[1],
            s * r_ecef[0] + c * r_ecef[1],
            r_ecef[2],
        ];
        let v_stn = [
            -EARTH_ROTATION_RAD_S * r_stn[1],
            EARTH_ROTATION_RAD_S * r_stn[0],
            0.0,
        ];
        let d = [
            r_sat[0] - r_stn[0],
            r_sat[1] - r_stn[1],
            r_sat[2] - r_stn[2],
        ];
        let dv = [
            v_sat[0] - v_stn[0],
            v_sat[1] - v_stn[1],
            v_sat[2] - v_stn[2],
        ];
        let range = (d[0] * d[0] + d[1] * d[1] + d[2] * d[2]).sqrt();
        let range_rate = (d[0] * dv[0] + d[1] * dv[1] + d[2] * dv[2]) / range;
        // Topocentric south-east-zenith frame at the station's local sidereal angle.
        let lst = theta + lon;
        let (sl, cl) = lst.sin_cos();
        let (sp, cp) = lat.sin_cos();
        let south = sp * cl * d[0] + sp * sl * d[1] - cp * d[2];
        let east = -sl * d[0] + cl * d[1];
        let zenith = cp * cl * d[0] + cp * sl * d[1] + sp * d[2];
        let elevation = (zenith / range).asin().to_degrees();
        let azimuth = (east.atan2(-south).to_degrees() + 360.0) % 360.0;
        Ok(Look {
            azimuth_deg: azimuth,
            elevation_deg: elevation,
            range_km: range,
            range_rate_km_s: range_rate,
        })
    }

    /// Doppler shift (Hz) at carrier `freq_hz` seen from `station` at `t`.
    pub fn doppler_hz(
        &self,
        station: &Station,
        t: DateTime<Utc>,
        freq_hz: f64,
    ) -> Result<f64, DopplerError> {
        Ok(doppler_from_range_rate(
            self.look(station, t)?.range_rate_km_s,
            freq_hz,
        ))
    }

    /// The Doppler curve from `start` over `duration_s`, one point every `step_s`
    /// (the last point is at `duration_s`).
    pub fn doppler_curve(
        &self,
        station: &Station,
        start: DateTime<Utc>,
        duration_s: f64,
        step_s: f64,
        freq_hz: f64,
    ) -> Result<Vec<DopplerPoint>, DopplerError> {
        if !(step_s > 0.0 && step_s.is_finite() && duration_s >= 0.0 && duration_s.is_finite()) {
            return Err(DopplerError(format!(
                "Doppler curve: step {step_s} s and duration {duration_s} s must be finite, step > 0"
            )));
        }
        let n = (duration_s / step_s).ceil() as usize;
        (0..=n)
            .map(|i| {
                let t_s = (i as f64 * step_s).min(duration_s);
                let look = self.look(station, start + secs(t_s))?;
                Ok(DopplerPoint {
                    t_s,
                    doppler_hz: doppler_from_range_rate(look.range_rate_km_s, freq_hz),
                    elevation_deg: look.elevation_deg,
                })
            })
            .collect()
    }

    /// Passes whose part above `min_elevation_deg` overlaps `[start, start + hours]`.
    pub fn passes(
        &self,
        station: &Station,
        start: DateTime<Utc>,
        hours: f64,
        min_elevation_deg: f64,
    ) -> Result<Vec<Pass>, DopplerError> {
        if !(hours > 0.0 && hours <= 24.0 * 31.0) {
            return Err(DopplerError(format!(
                "pass search span {hours} h: must be > 0 and at most 744 h (31 days)"
            )));
        }
        if !(-90.0..=90.0).contains(&min_elevation_deg) {
            return Err(DopplerError(format!(
                "minimum elevation {min_elevation_deg}°: must be within -90..90"
            )));
        }
        let end = start + secs(hours * 3600.0);
        let el = |t: DateTime<Utc>| -> Result<f64, DopplerError> {
            Ok(self.look(station, t)?.elevation_deg - min_elevation_deg)
        };
        // A LEO pass above any useful elevation lasts minutes: a 30 s scan cannot
        // step over one whose part above the threshold is longer than that.
        let step = 30.0;
        let mut passes = Vec::new();
        let mut t0 = start;
        let mut e0 = el(t0)?;
        let mut aos = if e0 >= 0.0 { Some(start) } else { None };
        while t0 < end {
            let t1 = (t0 + secs(step)).min(end);
            let e1 = el(t1)?;
            if e0 < 0.0 && e1 >= 0.0 {
                aos = Some(bisect(&el, t0, t1)?);
            } else if e0 >= 0.0 && e1 < 0.0 {
                if let Some(a) = aos.take() {
                    passes.push(self.finish_pass(station, a, bisect(&el, t0, t1)?)?);
                }
            }
            t0 = t1;
            e0 = e1;
        }
        if let Some(a) = aos {
            passes.push(self.finish_pass(station, a, end)?);
        }
        Ok(passes)
    }

    fn finish_pass(
        &self,
        station: &Station,
        aos: DateTime<Utc>,
        los: DateTime<Utc>,
    ) -> Result<Pass, DopplerError> {
        // Golden-section search: elevation is unimodal over one pass.
        let f = |t: DateTime<Utc>| self.look(station, t).map(|l| l.elevation_deg);
        let g = 0.618_033_988_749_895;
        let (mut a, mut b) = (0.0, (los - aos).num_milliseconds() as f64 / 1000.0);
        while b - a > 0.05 {
            let c = b - g * (b - a);
            let d = a + g * (b - a);
            if f(aos + secs(c))? > f(aos + secs(d))? {
                b = d;
            } else {
                a = c;
            }
        }
        let tmax = aos + secs((a + b) / 2.0);
        Ok(Pass {
            aos,
            los,
            max_elevation_time: tmax,
            max_elevation_deg: f(tmax)?,
            aos_azimuth_deg: self.look(station, aos)?.azimuth_deg,
            los_azimuth_deg: self.look(station, los)?.azimuth_deg,
        })
    }
}

/// The Doppler curve at `freq_hz` over a whole recording, from the TLE, station,
/// start time and length in its metadata (e.g. an r2cloud ground-station JSON).
pub fn recording_doppler_curve(
    info: &crate::io::RecordingInfo,
    freq_hz: f64,
    step_s: f64,
) -> Result<Vec<DopplerPoint>, DopplerError> {
    let missing = |what: &str| DopplerError(format!("{}: no {what} in its metadata", info.path));
    let tle = info.tle.as_ref().ok_or_else(|| missing("TLE"))?;
    let station = info
        .station
        .as_ref()
        .ok_or_else(|| missing("ground station"))?;
    let start = info.start_time.ok_or_else(|| missing("start time"))?;
    let duration = info.duration_s().ok_or_else(|| missing("length"))?;
    Orbit::from_tle(tle)?.doppler_curve(station, start, duration, step_s, freq_hz)
}

/// `−f·ṙ/c`: positive while the range shrinks.
pub fn doppler_from_range_rate(range_rate_km_s: f64, freq_hz: f64) -> f64 {
    -freq_hz * range_rate_km_s * 1000.0 / SPEED_OF_LIGHT_M_S
}

fn secs(s: f64) -> Duration {
    Duration::microseconds((s * 1e6).round() as i64)
}

/// Finds the sign change of `f` between `a` and `b` to 10 ms.
fn bisect(
    f: &dyn Fn(DateTime<Utc>) -> Result<f64, DopplerError>,
    mut a: DateTime<Utc>,
    mut b: DateTime<Utc>,
) -> Result<DateTime<Utc>, DopplerError> {
    let fa_neg = f(a)? < 0.0;
    while (b - a).num_milliseconds() > 10 {
        let m = a + (b - a) / 2;
        if (f(m)? < 0.0) == fa_neg {
            a = m;
        } else {
            b = m;
        }
    }
    Ok(a + (b - a) / 2)
}

/// Greenwich mean sidereal time (IAU 1982, Vallado "Fundamentals of Astrodynamics"
/// eq. 3-45), UTC standing in for UT1 (|UT1−UTC| < 0.9 s: < 4 mdeg).
pub fn gmst_rad(t: DateTime<Utc>) -> f64 {
    let jd = 2_440_587.5 + t.timestamp_micros() as f64 / 86_400e6;
    let tu = (jd - 2_451_545.0) / 36_525.0;
    let secs = 67_310.548_41 + (876_600.0 * 3600.0 + 8_640_184.812_866) * tu + 0.093_104 * tu * tu
        - 6.2e-6 * tu * tu * tu;
    (secs % 86_400.0 / 240.0)
        .to_radians()
        .rem_euclid(std::f64::consts::TAU)
}

/// Station position in ECEF (km), geodetic latitude and longitude (rad).
fn station_ecef_km(st: &Station) -> ([f64; 3], f64, f64) {
    let lat = st.lat_deg.to_radians();
    let lon = st.lon_deg.to_radians();
    let e2 = WGS84_F * (2.0 - WGS84_F);
    let n = WGS84_A_KM / (1.0 - e2 * lat.sin().powi(2)).sqrt();
    let h = st.alt_m / 1000.0;
    (
        [
            (n + h) * lat.cos() * lon.cos(),
            (n + h) * lat.cos() * lon.sin(),
            (n * (1.0 - e2) + h) * lat.sin(),
        ],
        lat,
        lon,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn gmst_matches_vallado_example_3_5() {
        // Vallado example 3-5: 1992-08-20 12:14:00 UT1 → GMST 152.578787886°.
        let t = Utc.with_ymd_and_hms(1992, 8, 20, 12, 14, 0).unwrap();
        let deg = gmst_rad(t).to_degrees();
        assert!((deg - 152.578_787_886).abs() < 1e-6, "{deg}");
    }

    #[test]
    fn doppler_sign_follows_range_rate() {
        assert!(doppler_from_range_rate(-7.0, 437e6) > 0.0);
        let d = doppler_from_range_rate(7.0, 437e6);
        assert!((d + 437e6 * 7000.0 / SPEED_OF_LIGHT_M_S).abs() < 1e-9);
    }

    #[test]
    fn parse_tle_text_reads_two_and_three_line_sets() {
        let l1 = "1 43770U 18099N   20135.90866749 -.00000158  00000-0 -92162-5 0  9999";
        let l2 = "2 43770  97.7070 207.8710 0013399 313.3960  46.6144 14.94970573 78906";
        let t = Orbit::parse_tle_text(&format!("FOX-1CLIFF\n{l1}\n{l2}\n")).unwrap();
        assert_eq!((t.name.as_str(), t.line1.as_str()), ("FOX-1CLIFF", l1));
        let t = Orbit::parse_tle_text(&format!("{l1}\n{l2}")).unwrap();
        assert_eq!((t.name.as_str(), t.line2.as_str()), ("", l2));
        assert!(Orbit::parse_tle_text("hello").is_err());
        assert!(Orbit::parse_tle_text(l1).is_err());
    }
}
