//! Satellites as data: one TOML file per satellite (name, NORAD number, aliases and
//! transmitters with modulation and framing). The files in the repository's
//! `satellites/` folder are compiled into the binary (see `build.rs`); the user's
//! config folder and `--satellites-dir` add satellites or override built-in ones
//! (same NORAD number, or same name when either has none).
//!
//! ```toml
//! name = "US01"
//! norad = 42721
//! aliases = ["Challenger"]
//!
//! [[transmitters]]
//! name = "9k6 FSK AX.25"
//! frequency_hz = 437_505_000
//! modulation = { type = "fsk", baud = 9600 }
//! framing = { type = "ax25_g3ruh" }
//! ```

mod model;

pub use model::{Framing, Modulation, Satellite, Transmitter};

use std::path::{Path, PathBuf};

/// The satellite files compiled into the binary: (file name, contents).
pub const BUILTIN: &[(&str, &str)] = include!(concat!(env!("OUT_DIR"), "/satellites.rs"));

/// A satellite file that cannot be read or parsed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SatelliteError(pub String);

impl From<SatelliteError> for crate::error::Error {
    fn from(e: SatelliteError) -> Self {
        crate::error::Error::Usage(e.0)
    }
}

/// Parses one satellite file. `source` names it in errors; the error gives the line
/// and column of the offending value.
pub fn parse(text: &str, source: &str) -> Result<Satellite, SatelliteError> {
    let mut sat: Satellite = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        let msg = e.message().trim_end().to_string();
        if line > 0 {
            SatelliteError(format!("{source}:{line}:{col}: {msg}"))
        } else {
            SatelliteError(format!("{source}: {msg}"))
        }
    })?;
    sat.validate()
        .map_err(|m| SatelliteError(format!("{source}: {m}")))?;
    sat.source = source.to_string();
    Ok(sat)
}

/// 1-based line and column of byte offset `at`.
fn line_col(text: &str, at: usize) -> (usize, usize) {
    let before = &text[..at.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map(|i| i + 1).unwrap_or(0) + 1;
    (line, col)
}

/// The user's satellite folder: `$XDG_CONFIG_HOME/downlink/satellites`, else
/// `~/.config/downlink/satellites` (on every platform, so the README's path holds).
pub fn user_dir() -> Option<PathBuf> {
    if let Some(x) = std::env::var_os("XDG_CONFIG_HOME").filter(|x| !x.is_empty()) {
        return Some(PathBuf::from(x).join("downlink/satellites"));
    }
    dirs::home_dir().map(|h| h.join(".config/downlink/satellites"))
}

/// A set of satellites, later additions overriding earlier ones.
#[derive(Clone, Debug, Default)]
pub struct Satellites {
    list: Vec<Satellite>,
}

impl Satellites {
    /// The built-in satellites only.
    pub fn builtin() -> Result<Self, SatelliteError> {
        let mut s = Satellites::default();
        for (file, text) in BUILTIN {
            s.insert(parse(text, &format!("satellites/{file} (built in)"))?);
        }
        Ok(s)
    }

    /// Built-in, then the user folder (when it exists), then each of `dirs` (which
    /// must exist).
    pub fn load(dirs: &[PathBuf]) -> Result<Self, SatelliteError> {
        let mut s = Self::builtin()?;
        if let Some(u) = user_dir().filter(|u| u.is_dir()) {
            s.add_dir(&u)?;
        }
        for d in dirs {
            s.add_dir(d)?;
        }
        Ok(s)
    }

    /// Adds every `*.toml` in `dir` (sorted by name).
    pub fn add_dir(&mut self, dir: &Path) -> Result<(), SatelliteError> {
        let rd = std::fs::read_dir(dir)
            .map_err(|e| SatelliteError(format!("satellites folder {}: {e}", dir.display())))?;
        let mut files: Vec<PathBuf> = rd
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "toml") && p.is_file())
            .collect();
        files.sort();
        for f in files {
            let text = std::fs::read_to_string(&f)
                .map_err(|e| SatelliteError(format!("{}: {e}", f.display())))?;
            self.insert(parse(&text, &f.display().to_string())?);
        }
        Ok(())
    }

    /// Adds `sat`, replacing one with the same NORAD number (or, when either has
    /// none, the same name).
    pub fn insert(&mut self, sat: Satellite) {
        let same = |o: &Satellite| match (o.norad, sat.norad) {
            (Some(a), Some(b)) => a == b,
            _ => o.name.eq_ignore_ascii_case(&sat.name),
        };
        match self.list.iter_mut().find(|o| same(o)) {
            Some(o) => *o = sat,
            None => self.list.push(sat),
        }
    }

    /// By NORAD number, name or alias (case and punctuation insensitive).
    pub fn find(&self, query: &str) -> Option<&Satellite> {
        if let Ok(n) = query.trim().parse::<u32>() {
            if let Some(s) = self.list.iter().find(|s| s.norad == Some(n)) {
                return Some(s);
            }
        }
        let q = normalize(query);
        self.list
            .iter()
            .find(|s| normalize(&s.name) == q || s.aliases.iter().any(|a| normalize(a) == q))
    }

    /// Sorted by name.
    pub fn all(&self) -> Vec<&Satellite> {
        let mut v: Vec<&Satellite> = self.list.iter().collect();
        v.sort_by_key(|s| s.name.to_lowercase());
        v
    }
}

/// Lower case, letters and digits only: "AO-73", "ao73" and "AO 73" are one name.
fn normalize(s: &str) -> String {
    s.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("ab\ncd", 0), (1, 1));
        assert_eq!(line_col("ab\ncd", 4), (2, 2));
    }

    #[test]
    fn normalize_ignores_case_and_punctuation() {
        assert_eq!(normalize("AO-73 (FUNcube-1)"), "ao73funcube1");
    }
}
