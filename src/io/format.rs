//! Sample formats and the fast byte ⇄ `Complex32` converters.
//!
//! Scaling (decoding; encoding is the exact inverse, rounded half away from
//! zero and saturated to the format's range):
//!
//! | format | bytes/sample | value |
//! |---|---|---|
//! | `cu8`, `ru8` | 2, 1 | `(x - 127.5) / 127.5` for `x` in 0..=255 (so ±1 at the ends, no DC bias) |
//! | `cs8` | 2 | `x / 128` for `x` in -128..=127 |
//! | `cs16`, `ri16` | 4, 2 | `x / 32768`, little-endian |
//! | `cf32`, `rf32` | 8, 4 | IEEE-754 binary32, little-endian, unscaled |
//!
//! Complex formats interleave I then Q. Real (`r*`) formats carry one channel:
//! it decodes to the real part, the imaginary part is 0; encoding takes `.re`.

use num_complex::Complex32;
use serde::Serialize;
use std::mem::MaybeUninit;

/// The layout of one sample in a file or stream. `R*` formats are real (one channel).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(into = "&'static str")]
pub enum SampleFormat {
    /// Complex unsigned 8-bit (RTL-SDR).
    Cu8,
    /// Complex signed 8-bit (HackRF).
    Cs8,
    /// Complex signed 16-bit little-endian (Airspy, PlutoSDR, SDRplay, WAV I/Q).
    Cs16,
    /// Complex 32-bit float little-endian (GNU Radio `gr_complex`, gqrx).
    Cf32,
    /// Real unsigned 8-bit (8-bit WAV audio).
    Ru8,
    /// Real signed 16-bit little-endian (16-bit WAV audio).
    Ri16,
    /// Real 32-bit float little-endian.
    Rf32,
}

impl From<SampleFormat> for &'static str {
    fn from(f: SampleFormat) -> &'static str {
        f.name()
    }
}

impl std::fmt::Display for SampleFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl SampleFormat {
    pub const ALL: [SampleFormat; 7] = [
        SampleFormat::Cu8,
        SampleFormat::Cs8,
        SampleFormat::Cs16,
        SampleFormat::Cf32,
        SampleFormat::Ru8,
        SampleFormat::Ri16,
        SampleFormat::Rf32,
    ];

    /// Bytes per (complex or real) sample.
    pub fn bytes_per_sample(self) -> usize {
        match self {
            SampleFormat::Cu8 | SampleFormat::Cs8 => 2,
            SampleFormat::Cs16 => 4,
            SampleFormat::Cf32 => 8,
            SampleFormat::Ru8 => 1,
            SampleFormat::Ri16 => 2,
            SampleFormat::Rf32 => 4,
        }
    }

    pub fn is_complex(self) -> bool {
        matches!(
            self,
            SampleFormat::Cu8 | SampleFormat::Cs8 | SampleFormat::Cs16 | SampleFormat::Cf32
        )
    }

    /// Canonical short name: "cu8", "cs8", "cs16", "cf32", "ru8", "ri16", "rf32".
    pub fn name(self) -> &'static str {
        match self {
            SampleFormat::Cu8 => "cu8",
            SampleFormat::Cs8 => "cs8",
            SampleFormat::Cs16 => "cs16",
            SampleFormat::Cf32 => "cf32",
            SampleFormat::Ru8 => "ru8",
            SampleFormat::Ri16 => "ri16",
            SampleFormat::Rf32 => "rf32",
        }
    }

    /// Parses a format name as other tools spell it (case-insensitive).
    ///
    /// Besides the canonical names this accepts the SigMF spellings (`ci8`, `ci16_le`,
    /// `cf32_le`, `ri16_le`, `rf32_le`), GNU Radio / gqrx `fc32`, and SatDump's
    /// `--baseband_format` values `u8`, `s8`, `s16`, `f32`, which are all complex.
    pub fn from_name(s: &str) -> Option<Self> {
        let s = s.trim().to_ascii_lowercase();
        Some(match s.as_str() {
            "cu8" | "u8" | "cu8_le" => SampleFormat::Cu8,
            "cs8" | "ci8" | "s8" | "i8" | "cs8_le" | "ci8_le" => SampleFormat::Cs8,
            "cs16" | "ci16" | "ci16_le" | "cs16_le" | "s16" | "i16" | "sc16" => SampleFormat::Cs16,
            "cf32" | "cf32_le" | "fc32" | "f32" | "cfile" | "complex64" => SampleFormat::Cf32,
            "ru8" | "ru8_le" => SampleFormat::Ru8,
            "ri16" | "ri16_le" | "rs16" | "rs16_le" => SampleFormat::Ri16,
            "rf32" | "rf32_le" => SampleFormat::Rf32,
            _ => return None,
        })
    }

    /// The SigMF `core:datatype` string (SigMF spec v1.x, "Dataset Format").
    pub fn sigmf_datatype(self) -> &'static str {
        match self {
            SampleFormat::Cu8 => "cu8",
            SampleFormat::Cs8 => "ci8",
            SampleFormat::Cs16 => "ci16_le",
            SampleFormat::Cf32 => "cf32_le",
            SampleFormat::Ru8 => "ru8",
            SampleFormat::Ri16 => "ri16_le",
            SampleFormat::Rf32 => "rf32_le",
        }
    }
}

/// cu8 scale: `(x - 127.5) / 127.5`, no DC offset, exactly ±1 at 0 and 255.
///
/// Computed as a multiply by the reciprocal (within 1 ulp of the division, exact
/// at the extremes; `encode_samples` still inverts every code exactly): the
/// vectorised multiply measured ~2× faster than a 256-entry table (gathers do
/// not vectorise), than a 65536-entry pair table (512 KiB, misses L2) and than a
/// true division on the project machine; see `cu8_variants` in benches/formats.rs.
const U8_SCALE: f32 = 1.0 / 127.5;
const CS8_SCALE: f32 = 1.0 / 128.0;
const CS16_SCALE: f32 = 1.0 / 32768.0;

#[inline(always)]
fn u8v(b: u8) -> f32 {
    (b as f32 - 127.5) * U8_SCALE
}

#[inline(always)]
fn i16v(lo: u8, hi: u8) -> f32 {
    i16::from_le_bytes([lo, hi]) as f32 * CS16_SCALE
}

#[inline(always)]
fn f32v(b: &[u8]) -> f32 {
    f32::from_le_bytes([b[0], b[1], b[2], b[3]])
}

/// Decodes the complete samples in `bytes` and appends them to `out`.
///
/// Appends `bytes.len() / fmt.bytes_per_sample()` samples; a trailing partial
/// sample is ignored (the readers carry it over to the next block). Real
/// formats give an imaginary part of 0. Scaling: `cu8`/`ru8` `(x - 127.5) / 127.5`
/// (±1 at 0 and 255, no DC offset); `cs8` `x / 128`; `cs16`/`ri16` `x / 32768`;
/// `cf32`/`rf32` unscaled. Multi-byte formats are little-endian.
pub fn decode_samples(fmt: SampleFormat, bytes: &[u8], out: &mut Vec<Complex32>) {
    let n = bytes.len() / fmt.bytes_per_sample();
    let bytes = &bytes[..n * fmt.bytes_per_sample()];
    match fmt {
        // Measured: for u8 input `extend` vectorises better than the flat loop.
        SampleFormat::Cu8 => out.extend(
            bytes
                .chunks_exact(2)
                .map(|p| Complex32::new(u8v(p[0]), u8v(p[1]))),
        ),
        SampleFormat::Cs8 => append_flat(out, n, |f| {
            for (o, &b) in f.iter_mut().zip(bytes) {
                o.write(b as i8 as f32 * CS8_SCALE);
            }
        }),
        SampleFormat::Cs16 => append_flat(out, n, |f| {
            for (o, p) in f.iter_mut().zip(bytes.chunks_exact(2)) {
                o.write(i16v(p[0], p[1]));
            }
        }),
        SampleFormat::Cf32 => append_flat(out, n, |f| {
            for (o, p) in f.iter_mut().zip(bytes.chunks_exact(4)) {
                o.write(f32v(p));
            }
        }),
        SampleFormat::Ru8 => out.extend(bytes.iter().map(|&b| Complex32::new(u8v(b), 0.0))),
        SampleFormat::Ri16 => append_flat(out, n, |f| {
            for (o, p) in f.chunks_exact_mut(2).zip(bytes.chunks_exact(2)) {
                o[0].write(i16v(p[0], p[1]));
                o[1].write(0.0);
            }
        }),
        SampleFormat::Rf32 => append_flat(out, n, |f| {
            for (o, p) in f.chunks_exact_mut(2).zip(bytes.chunks_exact(4)) {
                o[0].write(f32v(p));
                o[1].write(0.0);
            }
        }),
    }
}

/// Appends `n` complex samples to `out`; `fill` must write every one of the `2n`
/// `f32` slots it is given (re, im, re, im, …).
///
/// Writing the spare capacity as a flat `f32` slice lets LLVM vectorise the
/// per-component conversion; `extend` with `Complex32::new` pairs does not for
/// cs8/cs16 (measured ~3× slower there, while for u8 input `extend` was faster).
#[inline(always)]
fn append_flat(out: &mut Vec<Complex32>, n: usize, fill: impl FnOnce(&mut [MaybeUninit<f32>])) {
    out.reserve(n);
    let len = out.len();
    let spare = &mut out.spare_capacity_mut()[..n];
    // SAFETY: `Complex<f32>` is `#[repr(C)]` with exactly two `f32` fields
    // (documented by num-complex), so `n` complex slots are `2n` f32 slots with
    // the same alignment, and `MaybeUninit` needs no initialisation.
    let flat: &mut [MaybeUninit<f32>] = unsafe {
        std::slice::from_raw_parts_mut(spare.as_mut_ptr() as *mut MaybeUninit<f32>, 2 * n)
    };
    fill(flat);
    // SAFETY: each caller's `fill` zips the 2n slots with exactly enough input
    // (`bytes` trimmed to n whole samples) to write every slot once.
    unsafe { out.set_len(len + n) };
}

#[inline(always)]
fn enc_u8(v: f32) -> u8 {
    // `as` saturates (and maps NaN to 0), which is the clipping we want.
    (v * 127.5 + 127.5).round() as u8
}

#[inline(always)]
fn enc_i8(v: f32) -> u8 {
    ((v * 128.0).round() as i8) as u8
}

#[inline(always)]
fn enc_i16(v: f32) -> [u8; 2] {
    ((v * 32768.0).round() as i16).to_le_bytes()
}

/// Encodes `samples` in `fmt` and appends the bytes to `out`.
///
/// The exact inverse of [`decode_samples`]'s scaling. Integer formats round to
/// nearest (half away from zero) and saturate at the
/// format's limits; NaN encodes as raw code 0 (Rust's saturating cast). Real
/// formats store `.re` only.
pub fn encode_samples(fmt: SampleFormat, samples: &[Complex32], out: &mut Vec<u8>) {
    out.reserve(samples.len() * fmt.bytes_per_sample());
    match fmt {
        SampleFormat::Cu8 => out.extend(samples.iter().flat_map(|s| [enc_u8(s.re), enc_u8(s.im)])),
        SampleFormat::Cs8 => out.extend(samples.iter().flat_map(|s| [enc_i8(s.re), enc_i8(s.im)])),
        SampleFormat::Cs16 => {
            for s in samples {
                out.extend_from_slice(&enc_i16(s.re));
                out.extend_from_slice(&enc_i16(s.im));
            }
        }
        SampleFormat::Cf32 => {
            for s in samples {
                out.extend_from_slice(&s.re.to_le_bytes());
                out.extend_from_slice(&s.im.to_le_bytes());
            }
        }
        SampleFormat::Ru8 => out.extend(samples.iter().map(|s| enc_u8(s.re))),
        SampleFormat::Ri16 => {
            for s in samples {
                out.extend_from_slice(&enc_i16(s.re));
            }
        }
        SampleFormat::Rf32 => {
            for s in samples {
                out.extend_from_slice(&s.re.to_le_bytes());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_aliases() {
        for f in SampleFormat::ALL {
            assert_eq!(SampleFormat::from_name(f.name()), Some(f));
            assert_eq!(SampleFormat::from_name(f.sigmf_datatype()), Some(f));
            assert_eq!(f.bytes_per_sample() % if f.is_complex() { 2 } else { 1 }, 0);
        }
        assert_eq!(SampleFormat::from_name("ci16_le"), Some(SampleFormat::Cs16));
        assert_eq!(SampleFormat::from_name("FC32"), Some(SampleFormat::Cf32));
        assert_eq!(SampleFormat::from_name("s8"), Some(SampleFormat::Cs8));
        assert_eq!(SampleFormat::from_name("u8"), Some(SampleFormat::Cu8));
        assert_eq!(SampleFormat::from_name("f32"), Some(SampleFormat::Cf32));
        assert_eq!(SampleFormat::from_name("s16"), Some(SampleFormat::Cs16));
        assert_eq!(SampleFormat::from_name("ri16_le"), Some(SampleFormat::Ri16));
        assert_eq!(SampleFormat::from_name("rf32_le"), Some(SampleFormat::Rf32));
        assert_eq!(SampleFormat::from_name("ci16_be"), None);
        assert_eq!(SampleFormat::from_name("cu16"), None);
    }

    #[test]
    fn decode_scaling_endpoints() {
        let mut out = Vec::new();
        decode_samples(SampleFormat::Cu8, &[0, 255, 127, 128], &mut out);
        assert_eq!(
            out,
            vec![
                Complex32::new(-1.0, 1.0),
                Complex32::new(-0.5 / 127.5, 0.5 / 127.5)
            ]
        );
        out.clear();
        decode_samples(SampleFormat::Cs8, &[0x80, 0x7f], &mut out);
        assert_eq!(out, vec![Complex32::new(-1.0, 127.0 / 128.0)]);
        out.clear();
        decode_samples(SampleFormat::Cs16, &[0x00, 0x80, 0x00, 0x40], &mut out);
        assert_eq!(out, vec![Complex32::new(-1.0, 0.5)]);
        out.clear();
        decode_samples(SampleFormat::Ri16, &[0x00, 0x40, 0x01], &mut out);
        assert_eq!(
            out,
            vec![Complex32::new(0.5, 0.0)],
            "trailing partial sample is ignored"
        );
        out.clear();
        let mut b = Vec::new();
        b.extend_from_slice(&1.25f32.to_le_bytes());
        b.extend_from_slice(&(-3.5f32).to_le_bytes());
        decode_samples(SampleFormat::Cf32, &b, &mut out);
        decode_samples(SampleFormat::Rf32, &b, &mut out);
        assert_eq!(
            out,
            vec![
                Complex32::new(1.25, -3.5),
                Complex32::new(1.25, 0.0),
                Complex32::new(-3.5, 0.0)
            ]
        );
    }

    #[test]
    fn decode_appends() {
        let mut out = vec![Complex32::new(9.0, 9.0)];
        decode_samples(SampleFormat::Ru8, &[255], &mut out);
        assert_eq!(
            out,
            vec![Complex32::new(9.0, 9.0), Complex32::new(1.0, 0.0)]
        );
    }

    #[test]
    fn every_integer_code_round_trips() {
        for fmt in [SampleFormat::Cu8, SampleFormat::Cs8, SampleFormat::Ru8] {
            let bytes: Vec<u8> = (0..=255u8).collect();
            let bytes = &bytes[..bytes.len() / fmt.bytes_per_sample() * fmt.bytes_per_sample()];
            let mut s = Vec::new();
            decode_samples(fmt, bytes, &mut s);
            let mut back = Vec::new();
            encode_samples(fmt, &s, &mut back);
            assert_eq!(back, bytes, "{fmt}");
        }
        for fmt in [SampleFormat::Cs16, SampleFormat::Ri16] {
            let bytes: Vec<u8> = (i16::MIN..=i16::MAX)
                .flat_map(|v| v.to_le_bytes())
                .collect();
            let mut s = Vec::new();
            decode_samples(fmt, &bytes, &mut s);
            let mut back = Vec::new();
            encode_samples(fmt, &s, &mut back);
            assert_eq!(back, bytes, "{fmt}");
        }
    }

    #[test]
    fn encode_saturates_and_rounds() {
        let s = [
            Complex32::new(2.0, -2.0),
            Complex32::new(1.0 / 256.0, -1.0 / 256.0),
        ];
        let mut out = Vec::new();
        encode_samples(SampleFormat::Cs8, &s, &mut out);
        // 0.5 LSB rounds away from zero.
        assert_eq!(out, vec![127, 0x80, 1, 0xff]);
        out.clear();
        encode_samples(SampleFormat::Cu8, &s, &mut out);
        assert_eq!(&out[..2], &[255, 0]);
        out.clear();
        encode_samples(SampleFormat::Cs16, &s[..1], &mut out);
        assert_eq!(
            out,
            [i16::MAX.to_le_bytes(), i16::MIN.to_le_bytes()].concat()
        );
        out.clear();
        encode_samples(SampleFormat::Ri16, &s[..1], &mut out);
        assert_eq!(out, i16::MAX.to_le_bytes());
    }
}
