//! An RGB canvas with an 8×8 bitmap font, enough to label the axes of plots and
//! waterfalls without shipping a font file.

use crate::error::Result;
use crate::products::atomic::AtomicFile;
use std::path::{Path, PathBuf};

pub type Rgb = [u8; 3];

pub const WHITE: Rgb = [255, 255, 255];
pub const GREY: Rgb = [150, 150, 150];
pub const BLACK: Rgb = [0, 0, 0];

/// Height of one text line in pixels (8×8 glyphs plus spacing).
pub const LINE_PX: usize = 10;
/// Width of one glyph in pixels.
pub const GLYPH_PX: usize = 8;

pub struct Canvas {
    pub width: usize,
    pub height: usize,
    pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: usize, height: usize, background: Rgb) -> Self {
        let mut pixels = Vec::with_capacity(width * height * 3);
        for _ in 0..width * height {
            pixels.extend_from_slice(&background);
        }
        Canvas {
            width,
            height,
            pixels,
        }
    }

    pub fn set(&mut self, x: usize, y: usize, c: Rgb) {
        if x < self.width && y < self.height {
            let i = (y * self.width + x) * 3;
            self.pixels[i..i + 3].copy_from_slice(&c);
        }
    }

    pub fn get(&self, x: usize, y: usize) -> Rgb {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    pub fn hline(&mut self, x0: usize, x1: usize, y: usize, c: Rgb) {
        for x in x0..x1 {
            self.set(x, y, c);
        }
    }

    pub fn vline(&mut self, x: usize, y0: usize, y1: usize, c: Rgb) {
        for y in y0..y1 {
            self.set(x, y, c);
        }
    }

    /// Draws ASCII text with its top-left corner at (x, y); other characters show as '?'.
    pub fn text(&mut self, x: usize, y: usize, s: &str, c: Rgb) {
        for (i, ch) in s.chars().enumerate() {
            let code = if ch.is_ascii() && !ch.is_ascii_control() {
                ch as usize
            } else {
                b'?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY[code];
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    // The font stores the leftmost pixel in the least significant bit.
                    if bits & (1 << col) != 0 {
                        self.set(x + i * GLYPH_PX + col, y + row, c);
                    }
                }
            }
        }
    }

    /// Pixel width of `s` drawn with [`Canvas::text`].
    pub fn text_width(s: &str) -> usize {
        s.chars().count() * GLYPH_PX
    }

    pub fn pixels(&self) -> &[u8] {
        &self.pixels
    }

    /// Encodes the canvas as an 8-bit RGB PNG, atomically.
    pub fn write_png(&self, path: &Path) -> Result<PathBuf> {
        let mut file = AtomicFile::create(path)?;
        {
            let mut encoder =
                png::Encoder::new(file.writer(), self.width as u32, self.height as u32);
            encoder.set_color(png::ColorType::Rgb);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder
                .write_header()
                .map_err(|e| crate::error::Error::output(path, e))?;
            writer
                .write_image_data(&self.pixels)
                .map_err(|e| crate::error::Error::output(path, e))?;
            writer
                .finish()
                .map_err(|e| crate::error::Error::output(path, e))?;
        }
        file.commit()
    }
}

/// A "nice" tick step (1, 2 or 5 × 10^k) giving about `target` ticks over `span`.
pub fn nice_step(span: f64, target: usize) -> f64 {
    if span <= 0.0 || !span.is_finite() {
        return 1.0;
    }
    let raw = span / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let norm = raw / mag;
    let nice = if norm < 1.5 {
        1.0
    } else if norm < 3.5 {
        2.0
    } else if norm < 7.5 {
        5.0
    } else {
        10.0
    };
    nice * mag
}

/// Decimal places needed to print multiples of `step` without losing digits.
pub fn decimals_for(step: f64) -> usize {
    let mut d = 0;
    let mut s = step.abs();
    while d < 9 && (s - s.round()).abs() > 1e-9 * s.max(1.0) {
        s *= 10.0;
        d += 1;
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_steps() {
        assert_eq!(nice_step(240_000.0, 8), 20_000.0);
        assert_eq!(nice_step(10.0, 10), 1.0);
        assert_eq!(nice_step(0.9, 3), 0.2);
        assert_eq!(decimals_for(0.02), 2);
        assert_eq!(decimals_for(20_000.0), 0);
    }

    #[test]
    fn text_draws_glyph_pixels_and_png_round_trips() {
        let mut c = Canvas::new(40, 12, BLACK);
        c.text(1, 1, "1", WHITE);
        let lit = (0..12)
            .flat_map(|y| (0..40).map(move |x| (x, y)))
            .filter(|&(x, y)| c.get(x, y) == WHITE)
            .count();
        assert!(lit > 5 && lit < 40, "glyph '1' lit {lit} pixels");
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.png");
        c.write_png(&path).unwrap();
        let decoder =
            png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = decoder.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (40, 12));
        assert_eq!(&buf[..info.buffer_size()], c.pixels());
    }
}
