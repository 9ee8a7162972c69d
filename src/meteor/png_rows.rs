//! PNG writing for pass-sized images, one row at a time.
//!
//! A 15-minute pass makes 27 MB channel images and 81 MB composites. Encoding them
//! whole (the `png` crate's `write_image_data`) needs the image in memory, deflates it
//! into one buffer and copies that into another before the file sees a byte. Here rows
//! are Paeth-filtered and deflated (fdeflate's fast mode, what the PNG writer used
//! before) as they come and leave in IDAT chunks of [`IDAT_CHUNK_BYTES`]: the caller
//! paints rows into a small band and nothing image-sized is allocated. The `png`
//! crate's own streaming writer was measured first: it hands fdeflate's 8-byte writes
//! to its chunk writer through a call each, which cost more than it saved.
//!
//! The rows are filtered and compressed exactly as `write_image_data` does with
//! `Filter::Paeth` and `FdeflateUltraFast` (one `write_data` per filter byte and row),
//! so the deflate stream is the same; only the IDAT chunking differs. The fallback of
//! `write_image_data` to stored blocks when compression does not pay is not made (it
//! needs the whole stream first): an image of noise is written a little larger than raw.

use std::io::{self, Write};

/// Compressed bytes per IDAT chunk: chunk framing (12 bytes each) stays negligible, and
/// the buffer stays in cache on its way to the file.
pub const IDAT_CHUNK_BYTES: usize = 256 * 1024;

/// Collects the deflate stream and writes it out as IDAT chunks.
struct IdatSink<'w, W: Write> {
    writer: &'w mut png::Writer<W>,
    buf: Vec<u8>,
}

impl<W: Write> IdatSink<'_, W> {
    fn flush_chunk(&mut self) -> io::Result<()> {
        if !self.buf.is_empty() {
            self.writer
                .write_chunk(png::chunk::IDAT, &self.buf)
                .map_err(into_io)?;
            self.buf.clear();
        }
        Ok(())
    }
}

impl<W: Write> Write for IdatSink<'_, W> {
    // fdeflate writes 8 bytes at a time: these inline into it.
    #[inline]
    fn write(&mut self, data: &[u8]) -> io::Result<usize> {
        self.write_all(data)?;
        Ok(data.len())
    }

    #[inline]
    fn write_all(&mut self, data: &[u8]) -> io::Result<()> {
        self.buf.extend_from_slice(data);
        if self.buf.len() >= IDAT_CHUNK_BYTES {
            self.flush_chunk()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn into_io(e: png::EncodingError) -> io::Error {
    match e {
        png::EncodingError::IoError(e) => e,
        other => io::Error::other(other),
    }
}

/// Where the rows of an image go: see [`write_png_rows`].
pub struct RowSink<'w, W: Write> {
    deflate: fdeflate::Compressor<IdatSink<'w, W>>,
    /// The previous row (zeros above the first), what Paeth predicts from.
    prev: Vec<u8>,
    /// Filter type byte, then the filtered row.
    line: Vec<u8>,
    bytes_per_pixel: usize,
    rows_left: usize,
}

impl<W: Write> RowSink<'_, W> {
    /// Filters and compresses whole rows (`rows.len()` a multiple of the row length).
    pub fn write_rows(&mut self, rows: &[u8]) -> io::Result<()> {
        let row_bytes = self.prev.len();
        if row_bytes == 0
            || !rows.len().is_multiple_of(row_bytes)
            || rows.len() / row_bytes > self.rows_left
        {
            return Err(io::Error::other(format!(
                "{} bytes are not whole rows of {row_bytes} within the {} rows left",
                rows.len(),
                self.rows_left
            )));
        }
        for row in rows.chunks_exact(row_bytes) {
            paeth(self.bytes_per_pixel, &self.prev, row, &mut self.line[1..]);
            self.line[0] = PAETH;
            self.deflate.write_data(&self.line)?;
            self.prev.copy_from_slice(row);
            self.rows_left -= 1;
        }
        Ok(())
    }
}

/// PNG filter type 4.
const PAETH: u8 = 4;

/// The Paeth filter (PNG §9.2) of row `cur` below row `prev`: each byte minus the one of
/// its left (a), upper (b) and upper-left (c) neighbours closest to p = a + b − c, ties
/// to a, then b. Every input is a raw byte, so the rows run 32 bytes at a time.
fn paeth(bpp: usize, prev: &[u8], cur: &[u8], out: &mut [u8]) {
    let n = cur.len();
    // Left of the first pixel a = c = 0, so the predictor is b.
    for i in 0..bpp.min(n) {
        out[i] = cur[i].wrapping_sub(prev[i]);
    }
    if n <= bpp {
        return;
    }
    const LANES: usize = 32;
    let mut out = out[bpp..].chunks_exact_mut(LANES);
    let mut x = cur[bpp..].chunks_exact(LANES);
    let mut a = cur[..n - bpp].chunks_exact(LANES);
    let mut b = prev[bpp..].chunks_exact(LANES);
    let mut c = prev[..n - bpp].chunks_exact(LANES);
    for ((((o, x), a), b), c) in (&mut out).zip(&mut x).zip(&mut a).zip(&mut b).zip(&mut c) {
        for i in 0..LANES {
            o[i] = x[i].wrapping_sub(paeth_predictor(a[i], b[i], c[i]));
        }
    }
    let rest = out.into_remainder().iter_mut();
    for ((((o, &x), &a), &b), &c) in rest
        .zip(x.remainder())
        .zip(a.remainder())
        .zip(b.remainder())
        .zip(c.remainder())
    {
        *o = x.wrapping_sub(paeth_predictor(a, b, c));
    }
}

/// The Paeth predictor in bytes only, without branches (so it vectorises 32 lanes
/// wide; with `&&` and a chain of `if`s it took three times as long): pa = |p − a| =
/// |b − c| and pb = |p − b| = |a − c| directly; pc = |p − c| = |(a − c) + (b − c)| is
/// |pa − pb| unless a and b lie on the same side of c, where it is pa + pb, at least
/// pa and pb, and 255 decides the same.
#[inline(always)]
fn paeth_predictor(a: u8, b: u8, c: u8) -> u8 {
    // max − min rather than abs_diff, which widened to 32 bits here.
    let pa = b.max(c) - b.min(c);
    let pb = a.max(c) - a.min(c);
    let same_side = ((a > c) & (b > c)) | ((a < c) & (b < c));
    let pc = if same_side {
        255
    } else {
        pa.max(pb) - pa.min(pb)
    };
    let b_or_c = if pb <= pc { b } else { c };
    if (pa <= pb) & (pa <= pc) {
        a
    } else {
        b_or_c
    }
}

/// Writes an 8-bit PNG of `width` × `height` pixels to `out`: `rows` hands all `height`
/// rows, top to bottom, to the [`RowSink`]; then the end chunk is written and `out`
/// flushed. Missing rows are an error.
pub fn write_png_rows<W: Write>(
    out: W,
    width: usize,
    height: usize,
    color: png::ColorType,
    rows: impl FnOnce(&mut RowSink<'_, W>) -> io::Result<()>,
) -> Result<(), png::EncodingError> {
    let mut enc = png::Encoder::new(out, width as u32, height as u32);
    enc.set_color(color);
    enc.set_depth(png::BitDepth::Eight);
    let bytes_per_pixel = color.samples();
    let row_bytes = width * bytes_per_pixel;
    let mut writer = enc.write_header()?;
    {
        let sink = IdatSink {
            writer: &mut writer,
            buf: Vec::with_capacity(IDAT_CHUNK_BYTES + 64),
        };
        let mut sink = RowSink {
            deflate: fdeflate::Compressor::new(sink)?,
            prev: vec![0; row_bytes],
            line: vec![0; row_bytes + 1],
            bytes_per_pixel,
            rows_left: height,
        };
        rows(&mut sink)?;
        if sink.rows_left > 0 {
            return Err(io::Error::other(format!(
                "{} of {height} rows were not written",
                sink.rows_left
            ))
            .into());
        }
        sink.deflate.finish()?.flush_chunk()?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The IDAT payloads of a PNG file, joined: its zlib stream.
    fn idat(bytes: &[u8]) -> Vec<u8> {
        let mut at = 8;
        let mut out = Vec::new();
        while at + 12 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            if &bytes[at + 4..at + 8] == b"IDAT" {
                out.extend_from_slice(&bytes[at + 8..at + 8 + len]);
            }
            at += 12 + len;
        }
        out
    }

    fn decode(bytes: &[u8]) -> (png::OutputInfo, Vec<u8>) {
        let mut reader = png::Decoder::new(io::Cursor::new(bytes))
            .read_info()
            .unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        buf.truncate(info.buffer_size());
        (info, buf)
    }

    /// Pixels with every Paeth case: noise, repeating steps, noisy ramps, both colour types, and
    /// images spanning several IDAT chunks; rows handed over in uneven bands.
    #[test]
    fn every_pixel_survives_and_matches_the_whole_image_encoder() {
        let mut seed = 7u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut idat_chunks = 0;
        for (color, width, height) in [
            (png::ColorType::Grayscale, 1, 1),
            (png::ColorType::Grayscale, 1568, 400),
            (png::ColorType::Rgb, 2, 3),
            (png::ColorType::Rgb, 1568, 200),
        ] {
            let row = width * color.samples();
            let data: Vec<u8> = (0..row * height)
                .map(|i| match (i / row) % 3 {
                    0 => (next() % 4) as u8,
                    1 => (i % 7) as u8 * 30,
                    _ => (((i % row) / 3) as u8 & 0xF0) + (next() % 2) as u8,
                })
                .collect();
            let mut streamed = Vec::new();
            write_png_rows(&mut streamed, width, height, color, |s| {
                for band in data.chunks(row * 7) {
                    s.write_rows(band)?;
                }
                Ok(())
            })
            .unwrap();
            idat_chunks += streamed.windows(4).filter(|w| w == b"IDAT").count();
            let (info, pixels) = decode(&streamed);
            assert_eq!((info.width, info.height), (width as u32, height as u32));
            assert_eq!(info.color_type, color);
            assert!(pixels == data, "{color:?} {width}x{height}");

            // The deflate stream is the one the whole-image encoder makes (same filter,
            // same compressor calls); only its cut into IDAT chunks differs. (Tiny images
            // are left out: that encoder stores them uncompressed.)
            if height > 3 {
                let mut whole = Vec::new();
                let mut enc = png::Encoder::new(&mut whole, width as u32, height as u32);
                enc.set_color(color);
                enc.set_depth(png::BitDepth::Eight);
                enc.set_deflate_compression(png::DeflateCompression::FdeflateUltraFast);
                enc.set_filter(png::Filter::Paeth);
                let mut w = enc.write_header().unwrap();
                w.write_image_data(&data).unwrap();
                w.finish().unwrap();
                assert!(
                    idat(&streamed) == idat(&whole),
                    "{color:?} {width}x{height}"
                );
            }
        }
        assert!(idat_chunks > 2, "no image spanned several chunks");
    }

    #[test]
    fn paeth_predictor_is_the_specification_for_every_input() {
        // PNG §9.4, written out in wide integers.
        let spec = |a: u8, b: u8, c: u8| {
            let p = i32::from(a) + i32::from(b) - i32::from(c);
            let (pa, pb, pc) = (
                (p - i32::from(a)).abs(),
                (p - i32::from(b)).abs(),
                (p - i32::from(c)).abs(),
            );
            if pa <= pb && pa <= pc {
                a
            } else if pb <= pc {
                b
            } else {
                c
            }
        };
        for a in 0..=255u8 {
            for b in 0..=255u8 {
                for c in 0..=255u8 {
                    assert_eq!(paeth_predictor(a, b, c), spec(a, b, c), "{a} {b} {c}");
                }
            }
        }
    }

    #[test]
    fn missing_or_ragged_rows_are_errors() {
        let mut out = Vec::new();
        let short = write_png_rows(&mut out, 4, 2, png::ColorType::Rgb, |s| {
            s.write_rows(&[0; 12])
        });
        assert!(short.unwrap_err().to_string().contains("1 of 2 rows"));
        let mut out = Vec::new();
        let ragged = write_png_rows(&mut out, 4, 2, png::ColorType::Rgb, |s| {
            s.write_rows(&[0; 13])
        });
        assert!(ragged.is_err());
        let mut out = Vec::new();
        let extra = write_png_rows(&mut out, 4, 1, png::ColorType::Grayscale, |s| {
            s.write_rows(&[0; 8])
        });
        assert!(extra.is_err());
    }
}
