//! Recordings above the baseband level: soft symbols, packed hard bits, CADUs and
//! VCDUs, read in fixed blocks like the sample sources (constant memory).
//!
//! `baseband (I/Q) → soft (i8 per bit) → cadu (1024 B) → products`: a run can start at
//! any level, and `--dump` writes each one.

use crate::io::InputError;
use flate2::read::MultiGzDecoder;
use std::fs::File;
use std::io::{BufReader, Read};

/// Where a recording sits on the ladder.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, clap::ValueEnum)]
pub enum Level {
    /// I/Q samples (any format `downlink info` reads).
    Baseband,
    /// Soft symbols: one signed byte per encoded bit, I then Q (`.s`, as meteor_demod
    /// and SatDump write them); the sign is the hard decision.
    Soft,
    /// Hard decisions packed 8 per byte, most significant bit first.
    Hard,
    /// 1024-byte CADUs: the 4-byte sync marker and 1020 derandomised bytes with RS parity.
    Cadu,
    /// 892-byte VCDUs (CADU data without marker and parity), as goesrecv writes them.
    Vcdu,
}

impl Level {
    /// The level a file name suggests, if any.
    pub fn from_path(path: &str) -> Option<Level> {
        let name = path.to_ascii_lowercase();
        let name = name.strip_suffix(".gz").unwrap_or(&name);
        if name.ends_with(".s") || name.ends_with(".soft") {
            Some(Level::Soft)
        } else if name.ends_with(".hard") || name.ends_with(".bits") {
            Some(Level::Hard)
        } else if name.ends_with(".cadu") {
            Some(Level::Cadu)
        } else if name.ends_with(".vcdu") || name.ends_with(".vcdu892.bin") {
            Some(Level::Vcdu)
        } else {
            None
        }
    }
}

/// A byte stream from a file, a gzip file, or standard input (`-`).
pub struct ByteSource {
    path: String,
    reader: Box<dyn Read + Send>,
    pub bytes_read: u64,
}

impl ByteSource {
    pub fn open(path: &str) -> Result<Self, InputError> {
        let err = |problem: String| InputError {
            path: path.to_string(),
            problem,
        };
        let reader: Box<dyn Read + Send> = if path == "-" {
            Box::new(std::io::stdin())
        } else {
            let file = File::open(path).map_err(|e| err(e.to_string()))?;
            if file.metadata().map(|m| m.is_dir()).unwrap_or(false) {
                return Err(err("is a folder, not a recording".into()));
            }
            if path.to_ascii_lowercase().ends_with(".gz") {
                Box::new(MultiGzDecoder::new(BufReader::with_capacity(1 << 18, file)))
            } else {
                Box::new(BufReader::with_capacity(1 << 18, file))
            }
        };
        Ok(ByteSource {
            path: path.to_string(),
            reader,
            bytes_read: 0,
        })
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// Appends up to `max` bytes; Ok(0) at the end.
    pub fn read(&mut self, out: &mut Vec<u8>, max: usize) -> Result<usize, InputError> {
        let start = out.len();
        out.resize(start + max, 0);
        let mut filled = 0;
        while filled < max {
            match self.reader.read(&mut out[start + filled..]) {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    out.truncate(start);
                    return Err(InputError {
                        path: self.path.clone(),
                        problem: format!("read failed after {} bytes: {e}", self.bytes_read),
                    });
                }
            }
        }
        out.truncate(start + filled);
        self.bytes_read += filled as u64;
        Ok(filled)
    }
}

/// Unpacks hard bits (MSB first) into soft symbols: 1 → +127, 0 → −127.
pub fn unpack_hard(bytes: &[u8], out: &mut Vec<i8>) {
    out.reserve(bytes.len() * 8);
    for &b in bytes {
        for k in (0..8).rev() {
            out.push(if b >> k & 1 == 1 { 127 } else { -127 });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_from_names() {
        assert_eq!(Level::from_path("pass.s"), Some(Level::Soft));
        assert_eq!(Level::from_path("x/meteormn22_72k.hard"), Some(Level::Hard));
        assert_eq!(Level::from_path("fy3.cadu"), Some(Level::Cadu));
        assert_eq!(Level::from_path("a.vcdu892.bin"), Some(Level::Vcdu));
        assert_eq!(Level::from_path("a.s.gz"), Some(Level::Soft));
        assert_eq!(Level::from_path("pass.wav"), None);
    }

    #[test]
    fn hard_bits_unpack_msb_first() {
        let mut v = Vec::new();
        unpack_hard(&[0b1000_0001], &mut v);
        assert_eq!(v, vec![127, -127, -127, -127, -127, -127, -127, 127]);
    }

    #[test]
    fn byte_source_reads_in_blocks_and_names_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("a.s");
        std::fs::write(&p, (0..1000u32).map(|i| i as u8).collect::<Vec<_>>()).unwrap();
        let mut src = ByteSource::open(p.to_str().unwrap()).unwrap();
        let mut buf = Vec::new();
        assert_eq!(src.read(&mut buf, 600).unwrap(), 600);
        assert_eq!(src.read(&mut buf, 600).unwrap(), 400);
        assert_eq!(src.read(&mut buf, 600).unwrap(), 0);
        assert_eq!(buf[999], (999u32 % 256) as u8);
        let e = ByteSource::open(dir.path().join("none.s").to_str().unwrap())
            .err()
            .unwrap();
        assert!(e.to_string().contains("none.s"));
    }
}
