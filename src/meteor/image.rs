//! Per-channel MSU-MR image assembly.
//!
//! Placement never depends on arrival order or on how many packets were lost:
//! every pixel's line comes from the packet's own sequence count. On Meteor-M
//! one 14-bit packet counter runs across all APIDs of the virtual channel, and
//! each 8-line image row is sent as 14 packets of each of the three active
//! channels, in ascending APID order, followed by one APID 70 telemetry packet:
//! 3 × 14 + 1 = 43 packets per row (LRPT format description; the
//! `meteorDuplicates` recording shows exactly this: APID 64 with MCU numbers
//! 0..182, then 65, then 66, then 70, counts advancing by 43 per row).
//!
//! So for a packet with unwrapped count U and first MCU m, q = U − m/14 is the
//! count of that channel's first packet in the same row, and
//! row = ⌊(q − b) / 43⌋ where b is the count at which rows start: one after an
//! APID 70 packet when one has been seen, otherwise the q of the
//! lowest-numbered channel (which opens each row). Counts are unwrapped modulo
//! 2^14 against the previous packet, so a gap shorter than 16384 packets
//! (≈ 6 minutes of imagery) leaves black lines of the right height instead of
//! shifting what follows. Rows count from the first row any image channel
//! reached, so all channels of a pass line up.

use std::collections::{btree_map, BTreeMap};
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde::Serialize;

use super::error::MeteorError;
use super::msumr::{
    MsuMrPacket, FIRST_IMAGE_APID, LAST_IMAGE_APID, MCUS_PER_LINE, MCUS_PER_PACKET, TELEMETRY_APID,
};
use super::png_rows::{self, RowSink};
use super::telemetry::TelemetryRecord;
use crate::ccsds::space_packet::SEQUENCE_COUNT_MODULO;
use crate::ccsds::SpacePacket;
use crate::products::atomic::AtomicFile;

/// Image width in pixels: 196 MCUs of 8 pixels.
pub const WIDTH: usize = MCUS_PER_LINE * 8;
const ROW_PIXELS: usize = WIDTH * 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MeteorImageConfig {
    /// Packets sent per 8-line image row, all APIDs included (43 on Meteor-M:
    /// three channels of 14 packets and one telemetry packet).
    pub packets_per_row: u32,
}

impl Default for MeteorImageConfig {
    fn default() -> Self {
        MeteorImageConfig {
            packets_per_row: 43,
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImageStats {
    pub image_packets: u64,
    pub telemetry_packets: u64,
    /// Image packets whose headers could not be parsed.
    pub rejected_packets: u64,
    /// Image packets whose 14 MCUs did not all decode (corrupt or truncated).
    pub partly_decoded_packets: u64,
    pub mcus: u64,
}

/// One channel's row: pixels and which MCUs hold data.
#[derive(Debug, Clone)]
struct Strip {
    pixels: Vec<u8>,
    filled: Vec<bool>,
    /// Each MCU's mean, for the live preview.
    means: Vec<u8>,
}

impl Strip {
    /// Copies the MCUs that hold data into `band` (one 8-line row, [`ROW_PIXELS`]).
    fn paint(&self, band: &mut [u8]) {
        for (mcu, &filled) in self.filled.iter().enumerate() {
            if !filled {
                continue;
            }
            for y in 0..8 {
                let at = y * WIDTH + mcu * 8;
                band[at..at + 8].copy_from_slice(&self.pixels[at..at + 8]);
            }
        }
    }
}

/// One channel's 8-line rows in image order (see [`MeteorImage::rows`]).
struct ChannelRows<'a> {
    image: &'a MeteorImage,
    /// The channel's strips not yet painted, in ascending row key (so ascending row).
    strips: std::iter::Peekable<btree_map::Iter<'a, i64, Strip>>,
    phase: i64,
    /// The row the next call paints.
    next: i64,
}

impl ChannelRows<'_> {
    /// Paints the next row into `band`: black, then every strip of that row in ascending
    /// row key, as [`MeteorImage::paint`] does (a later key's MCUs overwrite an earlier one's).
    fn paint_next(&mut self, band: &mut [u8]) {
        band.fill(0);
        while let Some(&(&q, strip)) = self.strips.peek() {
            let row = self.image.row_of(q, self.phase);
            if row > self.next {
                break;
            }
            if row == self.next {
                strip.paint(band);
            }
            self.strips.next();
        }
        self.next += 1;
    }
}

/// An 8-bit single-channel image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrayImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

/// An 8-bit RGB image, interleaved.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RgbImage {
    pub width: usize,
    pub height: usize,
    pub data: Vec<u8>,
}

impl GrayImage {
    /// Writes the image as an 8-bit grey PNG (atomically: `path.part`, then rename).
    pub fn write_png(&self, path: &Path) -> Result<(), MeteorError> {
        write_png_rows(
            path,
            self.width,
            self.height,
            png::ColorType::Grayscale,
            |w| w.write_rows(&self.data),
        )
    }
}

impl RgbImage {
    /// Three channel images of one pass as red, green, blue; a missing one stays black.
    /// The channel images of a pass all begin at the same row and are [`WIDTH`] wide
    /// (see [`MeteorImage::channel_image`]); they differ only in where they end, so the
    /// composite is as high as the highest and a shorter channel is black below its
    /// end. `None` when all three are missing or their widths differ.
    pub fn from_channels(channels: [Option<&GrayImage>; 3]) -> Option<RgbImage> {
        let mut img = RgbImage::default();
        img.set_channels(channels).then_some(img)
    }

    /// [`from_channels`](Self::from_channels) into this image's buffer (a pass's
    /// composites are all the same size: one allocation serves them all). Returns false,
    /// leaving the image empty, where `from_channels` gives `None`.
    pub fn set_channels(&mut self, channels: [Option<&GrayImage>; 3]) -> bool {
        self.width = 0;
        self.height = 0;
        self.data.clear();
        let Some(width) = channels.iter().flatten().map(|c| c.width).next() else {
            return false;
        };
        if channels.iter().flatten().any(|c| c.width != width) {
            return false;
        }
        let height = channels
            .iter()
            .flatten()
            .map(|c| c.height)
            .max()
            .unwrap_or(0);
        self.width = width;
        self.height = height;
        if width == 0 {
            return true;
        }
        self.data.reserve(width * height * 3);
        let black = vec![0u8; width];
        // One row of one channel, black past its end or when the channel is missing.
        let row = |c: usize, y: usize| match channels[c] {
            Some(p) if y < p.height => &p.data[y * width..(y + 1) * width],
            _ => &black[..],
        };
        // One pass writing each byte once (no zero-fill first): painting the channels
        // one after the other went over the whole buffer three times.
        for y in 0..height {
            let (r, g, b) = (row(0, y), row(1, y), row(2, y));
            self.data
                .extend(r.iter().zip(g).zip(b).flat_map(|((&r, &g), &b)| [r, g, b]));
        }
        true
    }

    /// Writes the image as an 8-bit RGB PNG (atomically).
    pub fn write_png(&self, path: &Path) -> Result<(), MeteorError> {
        write_png_rows(path, self.width, self.height, png::ColorType::Rgb, |w| {
            w.write_rows(&self.data)
        })
    }
}

/// Collects MSU-MR packets of one pass into channel images.
#[derive(Debug, Clone)]
pub struct MeteorImage {
    config: MeteorImageConfig,
    /// Last raw sequence count and its unwrapped value.
    last_count: Option<(u16, i64)>,
    /// Per APID: row key q → strip.
    channels: BTreeMap<u16, BTreeMap<i64, Strip>>,
    first_telemetry_count: Option<i64>,
    telemetry: Vec<TelemetryRecord>,
    stats: ImageStats,
}

impl MeteorImage {
    pub fn new(config: MeteorImageConfig) -> Result<Self, MeteorError> {
        let min = 1 + MCUS_PER_LINE.div_ceil(MCUS_PER_PACKET) as u32;
        if config.packets_per_row < min {
            return Err(MeteorError::Config(format!(
                "packets_per_row {} is less than one channel's {} packets plus telemetry",
                config.packets_per_row,
                min - 1
            )));
        }
        Ok(MeteorImage {
            config,
            last_count: None,
            channels: BTreeMap::new(),
            first_telemetry_count: None,
            telemetry: Vec::new(),
            stats: ImageStats::default(),
        })
    }

    pub fn reset(&mut self) {
        *self = MeteorImage {
            config: self.config,
            last_count: None,
            channels: BTreeMap::new(),
            first_telemetry_count: None,
            telemetry: Vec::new(),
            stats: ImageStats::default(),
        };
    }

    pub fn stats(&self) -> &ImageStats {
        &self.stats
    }

    pub fn telemetry(&self) -> &[TelemetryRecord] {
        &self.telemetry
    }

    /// Image APIDs that produced at least one MCU, ascending.
    pub fn channels(&self) -> Vec<u16> {
        self.channels.keys().copied().collect()
    }

    /// Consumes packets of one virtual channel, in order.
    pub fn process(&mut self, packets: &[SpacePacket]) {
        for p in packets {
            self.push(p);
        }
    }

    /// Consumes one packet. Packets of other APIDs only advance the counter.
    pub fn push(&mut self, packet: &SpacePacket) {
        let count = self.unwrap_count(packet.sequence_count());
        let apid = packet.apid();
        if apid == TELEMETRY_APID {
            self.stats.telemetry_packets += 1;
            self.first_telemetry_count.get_or_insert(count);
            self.telemetry.push(TelemetryRecord::from_packet(packet));
            return;
        }
        if !(FIRST_IMAGE_APID..=LAST_IMAGE_APID).contains(&apid) {
            return;
        }
        self.stats.image_packets += 1;
        let Ok(msumr) = MsuMrPacket::parse(packet) else {
            self.stats.rejected_packets += 1;
            return;
        };
        let decoded = msumr.decode();
        if decoded.stop.is_some() {
            self.stats.partly_decoded_packets += 1;
        }
        if decoded.blocks.is_empty() {
            return;
        }
        self.stats.mcus += decoded.blocks.len() as u64;
        let q = count - (decoded.first_mcu / MCUS_PER_PACKET) as i64;
        let strip = self
            .channels
            .entry(apid)
            .or_default()
            .entry(q)
            .or_insert_with(|| Strip {
                pixels: vec![0; ROW_PIXELS],
                filled: vec![false; MCUS_PER_LINE],
                means: vec![0; MCUS_PER_LINE],
            });
        for (i, block) in decoded.blocks.iter().enumerate() {
            let mcu = decoded.first_mcu + i;
            strip.filled[mcu] = true;
            let sum: u32 = block.iter().map(|&v| u32::from(v)).sum();
            strip.means[mcu] = ((sum + 32) / 64) as u8;
            for y in 0..8 {
                let at = y * WIDTH + mcu * 8;
                strip.pixels[at..at + 8].copy_from_slice(&block[y * 8..y * 8 + 8]);
            }
        }
    }

    fn unwrap_count(&mut self, raw: u16) -> i64 {
        let m = i64::from(SEQUENCE_COUNT_MODULO);
        let u = match self.last_count {
            None => i64::from(raw),
            Some((last_raw, last_u)) => {
                last_u + (i64::from(raw) - i64::from(last_raw)).rem_euclid(m)
            }
        };
        self.last_count = Some((raw, u));
        u
    }

    /// The count at which image rows begin (see module docs).
    fn row_phase(&self) -> Option<i64> {
        if let Some(t) = self.first_telemetry_count {
            return Some(t + 1);
        }
        let (_, rows) = self.channels.iter().next()?;
        rows.keys().next().copied()
    }

    fn row_of(&self, q: i64, phase: i64) -> i64 {
        (q - phase).div_euclid(i64::from(self.config.packets_per_row))
    }

    /// First and last row (inclusive) reached by any image channel.
    fn row_span(&self, apids: &[u16], phase: i64) -> Option<(i64, i64)> {
        let first = self
            .channels
            .values()
            .filter_map(|rows| rows.keys().next())
            .map(|&q| self.row_of(q, phase))
            .min()?;
        let last = apids
            .iter()
            .filter_map(|a| self.channels.get(a))
            .filter_map(|rows| rows.keys().next_back())
            .map(|&q| self.row_of(q, phase))
            .max()?;
        Some((first, last.max(first)))
    }

    /// Image height in pixels covering the given channels.
    pub fn height(&self, apids: &[u16]) -> usize {
        let Some(phase) = self.row_phase() else {
            return 0;
        };
        match self.row_span(apids, phase) {
            Some((first, last)) => ((last - first + 1) as usize) * 8,
            None => 0,
        }
    }

    /// Writes `apid`'s pixels into `plane` (WIDTH × height), rows from `first`.
    fn paint(&self, apid: u16, phase: i64, first: i64, height: usize, plane: &mut [u8]) {
        let Some(rows) = self.channels.get(&apid) else {
            return;
        };
        for (&q, strip) in rows {
            let row = self.row_of(q, phase) - first;
            if row < 0 || (row as usize) * 8 >= height {
                continue;
            }
            let base = row as usize * ROW_PIXELS;
            strip.paint(&mut plane[base..base + ROW_PIXELS]);
        }
    }

    /// `apid`'s 8-line rows one after the other from row `first` on, black where no
    /// packet landed and past the channel's end: what [`paint`](Self::paint) puts in
    /// the plane, without the plane.
    fn rows(&self, apid: u16, phase: i64, first: i64) -> ChannelRows<'_> {
        ChannelRows {
            image: self,
            strips: self
                .channels
                .get(&apid)
                .map(|rows| rows.iter())
                .unwrap_or_default()
                .peekable(),
            phase,
            next: first,
        }
    }

    /// One channel as a grey image, or `None` when the channel has no data.
    pub fn channel_image(&self, apid: u16) -> Option<GrayImage> {
        if !self.channels.contains_key(&apid) {
            return None;
        }
        let phase = self.row_phase()?;
        let (first, last) = self.row_span(&[apid], phase)?;
        let height = ((last - first + 1) as usize) * 8;
        let mut data = vec![0u8; WIDTH * height];
        self.paint(apid, phase, first, height, &mut data);
        Some(GrayImage {
            width: WIDTH,
            height,
            data,
        })
    }

    /// Three channels as red, green, blue (a channel may repeat; a missing one
    /// stays black). `None` when none of them has data.
    pub fn composite(&self, r: u16, g: u16, b: u16) -> Option<RgbImage> {
        let apids = [r, g, b];
        // Each distinct channel is painted once (rgb221 repeats one).
        let mut planes: Vec<(u16, GrayImage)> = Vec::new();
        for &apid in &apids {
            if planes.iter().all(|(a, _)| *a != apid) {
                if let Some(img) = self.channel_image(apid) {
                    planes.push((apid, img));
                }
            }
        }
        let find = |apid: u16| planes.iter().find(|(a, _)| *a == apid).map(|(_, i)| i);
        RgbImage::from_channels([find(r), find(g), find(b)])
    }

    /// The latest `rows` 8-line rows of three channels (red, green, blue; a channel may
    /// repeat, a missing one stays black), one pixel per 8×8 block (its mean), newest row
    /// last: the live preview, cheap enough to build ten times a second. `None` before
    /// any image data.
    pub fn preview(&self, apids: [u16; 3], rows: usize) -> Option<RgbImage> {
        let phase = self.row_phase()?;
        let (first, last) = self.row_span(&apids, phase)?;
        let from = (last + 1 - rows as i64).max(first);
        let height = (last - from + 1) as usize;
        let mut data = vec![0u8; MCUS_PER_LINE * height * 3];
        let per_row = i64::from(self.config.packets_per_row);
        for (c, apid) in apids.iter().enumerate() {
            let Some(strips) = self.channels.get(apid) else {
                continue;
            };
            for (&q, strip) in strips.range(phase + from * per_row..) {
                let row = self.row_of(q, phase) - from;
                if row < 0 || row as usize >= height {
                    continue;
                }
                let base = row as usize * MCUS_PER_LINE;
                for (mcu, (&filled, &mean)) in strip.filled.iter().zip(&strip.means).enumerate() {
                    if filled {
                        data[(base + mcu) * 3 + c] = mean;
                    }
                }
            }
        }
        Some(RgbImage {
            width: MCUS_PER_LINE,
            height,
            data,
        })
    }

    /// The row phase, first row and height in lines of the image that `apids` make
    /// together; `NoChannel` (naming the first) when none of them has data.
    fn png_extent(&self, apids: &[u16]) -> Result<(i64, i64, usize), MeteorError> {
        let no_channel = || MeteorError::NoChannel { apid: apids[0] };
        if !apids.iter().any(|a| self.channels.contains_key(a)) {
            return Err(no_channel());
        }
        let phase = self.row_phase().ok_or_else(no_channel)?;
        let (first, last) = self.row_span(apids, phase).ok_or_else(no_channel)?;
        Ok((phase, first, ((last - first + 1) as usize) * 8))
    }

    /// Writes one channel as an 8-bit grey PNG (atomically: `path.part`, then rename),
    /// the same pixels as [`channel_image`](Self::channel_image) but painted one 8-line
    /// row at a time into the encoder: a pass's image is never held whole. Returns its
    /// height in lines.
    pub fn to_png(&self, apid: u16, path: &Path) -> Result<usize, MeteorError> {
        let (phase, first, height) = self.png_extent(&[apid])?;
        let mut rows = self.rows(apid, phase, first);
        let mut band = vec![0u8; ROW_PIXELS];
        write_png_rows(path, WIDTH, height, png::ColorType::Grayscale, |w| {
            for _ in 0..height / 8 {
                rows.paint_next(&mut band);
                w.write_rows(&band)?;
            }
            Ok(())
        })?;
        Ok(height)
    }

    /// Writes an RGB composite PNG (atomically), the pixels of
    /// [`composite`](Self::composite) streamed one 8-line row at a time like
    /// [`to_png`](Self::to_png).
    pub fn composite_png(&self, r: u16, g: u16, b: u16, path: &Path) -> Result<(), MeteorError> {
        let apids = [r, g, b];
        let (phase, first, height) = self.png_extent(&apids)?;
        // A repeated channel (rgb221) is painted once per row.
        let mut sources: Vec<(u16, ChannelRows, Vec<u8>)> = Vec::new();
        for &apid in &apids {
            if sources.iter().all(|(a, _, _)| *a != apid) {
                sources.push((apid, self.rows(apid, phase, first), vec![0u8; ROW_PIXELS]));
            }
        }
        let slot = apids.map(|a| sources.iter().position(|(s, _, _)| *s == a).unwrap_or(0));
        let mut rgb = vec![0u8; ROW_PIXELS * 3];
        write_png_rows(path, WIDTH, height, png::ColorType::Rgb, |w| {
            for _ in 0..height / 8 {
                for (_, rows, band) in &mut sources {
                    rows.paint_next(band);
                }
                let (red, green, blue) = (
                    &sources[slot[0]].2,
                    &sources[slot[1]].2,
                    &sources[slot[2]].2,
                );
                for (px, ((&r, &g), &b)) in
                    rgb.chunks_exact_mut(3).zip(red.iter().zip(green).zip(blue))
                {
                    px.copy_from_slice(&[r, g, b]);
                }
                w.write_rows(&rgb)?;
            }
            Ok(())
        })
    }

    /// Writes the APID 70 records as JSON lines (atomically).
    pub fn write_telemetry(&self, path: &Path) -> Result<(), MeteorError> {
        let mut out = Vec::new();
        for r in &self.telemetry {
            out.extend_from_slice(serde_json::to_string(r)?.as_bytes());
            out.push(b'\n');
        }
        write_atomic(path, &out)
    }
}

/// Writes an 8-bit PNG to `path` atomically (an [`AtomicFile`]): `rows` hands the
/// `height` rows of pixels, top to bottom, to the encoder (see [`super::png_rows`]:
/// nothing image-sized is held in memory).
fn write_png_rows(
    path: &Path,
    width: usize,
    height: usize,
    color: png::ColorType,
    rows: impl FnOnce(&mut RowSink<'_, &mut BufWriter<File>>) -> std::io::Result<()>,
) -> Result<(), MeteorError> {
    let mut file = AtomicFile::create(path)?;
    png_rows::write_png_rows(file.writer(), width, height, color, rows).map_err(|e| match e {
        png::EncodingError::IoError(source) => MeteorError::Io {
            path: path.display().to_string(),
            source,
        },
        e => MeteorError::Png {
            path: path.display().to_string(),
            message: e.to_string(),
        },
    })?;
    file.commit()?;
    Ok(())
}

/// Writes `bytes` to `path` so that readers never see a partial file.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), MeteorError> {
    let mut file = AtomicFile::create(path)?;
    file.write_all(bytes).map_err(|source| MeteorError::Io {
        path: path.display().to_string(),
        source,
    })?;
    file.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccsds::SequenceFlags;

    /// A packet whose 14 MCUs are flat blocks: DC category 0 then EOB, at
    /// Q = 100, so every pixel is 128 + dc/8 with dc set by the first MCU.
    fn flat_packet(apid: u16, count: u16, mcu: u8, first_dc_bits: &str) -> SpacePacket {
        let mut bits = String::from(first_dc_bits);
        bits.push_str(&"00 1010 ".repeat(13));
        let v: Vec<u8> = bits
            .bytes()
            .filter(|b| *b != b' ')
            .map(|b| b - b'0')
            .collect();
        let payload: Vec<u8> = v
            .chunks(8)
            .map(|c| (0..8).fold(0u8, |acc, i| (acc << 1) | c.get(i).copied().unwrap_or(0)))
            .collect();
        let mut d = vec![0, 0, 0, 0, 0, 0, 0, 0, mcu, 0, 0, 0xFF, 0xF0, 100];
        d.extend_from_slice(&payload);
        SpacePacket::build(apid, SequenceFlags::Continuation, count, true, &d).unwrap()
    }

    // DC category 7 (11110), bits 1010000 = 80: pixels 128 + 10 = 138.
    const DC80: &str = "11110 1010000 1010";
    // DC category 0: pixels 128.
    const DC0: &str = "00 1010";

    fn row(image: &mut MeteorImage, start: u16, apids: &[u16], dcs: &[&str], skip: &[u16]) {
        let mut c = start;
        for (k, &apid) in apids.iter().enumerate() {
            for p in 0..14u16 {
                if !skip.contains(&c) {
                    image.push(&flat_packet(apid, c % 16384, (p * 14) as u8, dcs[k]));
                }
                c += 1;
            }
        }
        if !skip.contains(&c) {
            let t = SpacePacket::build(70, SequenceFlags::Unsegmented, c % 16384, true, &[0; 20])
                .unwrap();
            image.push(&t);
        }
    }

    #[test]
    fn lost_packets_leave_black_at_their_place() {
        let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        // Three rows across a counter wrap; row 1 loses APID 65's packets 3..=5
        // and the whole of APID 66; row 2 is complete.
        let start = 16384 - 50;
        row(&mut img, start, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        let skip: Vec<u16> = (0..14)
            .map(|i| start + 43 + 14 + 3 + (i % 3))
            .chain(start + 43 + 28..start + 43 + 42)
            .collect();
        row(
            &mut img,
            start + 43,
            &[64, 65, 66],
            &[DC80, DC0, DC80],
            &skip,
        );
        row(&mut img, start + 86, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        assert_eq!(img.channels(), vec![64, 65, 66]);
        let g = img.channel_image(65).unwrap();
        assert_eq!((g.width, g.height), (1568, 24));
        let px = |x: usize, y: usize| g.data[y * 1568 + x];
        assert_eq!(px(0, 0), 128);
        assert_eq!(px(3 * 112, 8), 0); // packet 3 of row 1 lost
        assert_eq!(px(6 * 112 - 1, 15), 0); // through packet 5
        assert_eq!(px(6 * 112, 8), 128);
        assert_eq!(px(1567, 23), 128);
        let b = img.channel_image(66).unwrap();
        assert_eq!(b.height, 24);
        assert!(b.data[1568 * 8..1568 * 16].iter().all(|&v| v == 0));
        assert!(b.data[1568 * 16..].iter().all(|&v| v == 138));
        let c = img.composite(66, 65, 64).unwrap();
        assert_eq!(&c.data[..3], &[138, 128, 138]);
        assert_eq!(img.telemetry().len(), 3);
        assert_eq!(img.stats().image_packets, 3 * 42 - 3 - 14);
    }

    #[test]
    fn channel_starting_late_is_aligned_by_count() {
        // A pass that starts inside a row, at APID 65's 8th packet.
        let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        let start = 1000;
        let skip: Vec<u16> = (start..start + 14 + 7).collect();
        row(&mut img, start, &[64, 65, 66], &[DC80, DC0, DC80], &skip);
        row(&mut img, start + 43, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        // APID 64 appears first in row 1; 65 and 66 begin in row 0.
        let blue = img.channel_image(64).unwrap();
        assert_eq!(blue.height, 16);
        assert!(blue.data[..1568 * 8].iter().all(|&v| v == 0));
        assert!(blue.data[1568 * 8..].iter().all(|&v| v == 138));
        let green = img.channel_image(65).unwrap();
        assert_eq!(green.data[0], 0);
        assert_eq!(green.data[7 * 112], 128);
    }

    #[test]
    fn the_preview_holds_the_latest_rows_one_pixel_per_block() {
        let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        assert!(img.preview([64, 65, 66], 2).is_none());
        row(&mut img, 100, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        // Row 1 loses APID 65's third packet (MCUs 28..42).
        row(
            &mut img,
            143,
            &[64, 65, 66],
            &[DC0, DC80, DC0],
            &[143 + 14 + 2],
        );
        row(&mut img, 186, &[64, 65, 66], &[DC80, DC80, DC80], &[]);
        let p = img.preview([64, 65, 66], 2).unwrap();
        assert_eq!((p.width, p.height), (196, 2));
        let px = |x: usize, y: usize| &p.data[(y * 196 + x) * 3..(y * 196 + x) * 3 + 3];
        assert_eq!(px(0, 0), [128, 138, 128]);
        assert_eq!(px(27, 0), [128, 138, 128]);
        assert_eq!(px(28, 0), [128, 0, 128], "lost packet: black in green");
        assert_eq!(px(41, 0), [128, 0, 128]);
        assert_eq!(px(42, 0), [128, 138, 128]);
        assert_eq!(px(195, 1), [138, 138, 138]);
        // More rows asked than there are: all of them; a repeated channel is grey.
        let g = img.preview([64, 64, 64], 10).unwrap();
        assert_eq!(g.height, 3);
        assert_eq!(&g.data[..3], [138, 138, 138]);
        assert_eq!(&g.data[196 * 3..196 * 3 + 3], [128, 128, 128]);
    }

    #[test]
    fn composite_takes_each_channel_image_and_blackens_shorter_or_missing_ones() {
        let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        row(&mut img, 500, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        row(
            &mut img,
            543,
            &[64, 65, 66],
            &[DC0, DC80, DC0],
            &[543 + 14 + 4],
        );
        // The last row has no APID 66: that channel ends a row before the others.
        let skip: Vec<u16> = (586 + 28..586 + 42).collect();
        row(&mut img, 586, &[64, 65, 66], &[DC80, DC80, DC80], &skip);
        let ch = |a| img.channel_image(a).unwrap();
        assert_eq!((ch(64).height, ch(66).height), (24, 16));
        for apids in [[66, 65, 64], [65, 65, 64], [64, 67, 66]] {
            let c = img.composite(apids[0], apids[1], apids[2]).unwrap();
            assert_eq!((c.width, c.height), (WIDTH, 24));
            // Against the composite's definition: each channel painted on its own over
            // the rows the three span, from the first row any channel reached.
            let phase = img.row_phase().unwrap();
            let (first, _) = img.row_span(&apids, phase).unwrap();
            for (k, &apid) in apids.iter().enumerate() {
                let mut plane = vec![0u8; WIDTH * 24];
                img.paint(apid, phase, first, 24, &mut plane);
                let got: Vec<u8> = c.data.iter().skip(k).step_by(3).copied().collect();
                assert!(got == plane, "{apids:?} channel {k}");
            }
        }
        let (g, short) = (ch(65), ch(66));
        let mut reused = RgbImage::from_channels([Some(&short), None, Some(&g)]).unwrap();
        assert!(reused.set_channels([Some(&g), Some(&g), Some(&short)]));
        assert_eq!(reused, img.composite(65, 65, 66).unwrap());
        assert!(RgbImage::from_channels([None, None, None]).is_none());
        let narrow = GrayImage {
            width: 8,
            height: 8,
            data: vec![1; 64],
        };
        assert!(RgbImage::from_channels([Some(&g), Some(&narrow), None]).is_none());
        assert!(!reused.set_channels([None, None, None]));
        assert_eq!((reused.width, reused.height, reused.data.len()), (0, 0, 0));
    }

    #[test]
    fn no_data_means_no_image() {
        let img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        assert!(img.channel_image(64).is_none());
        assert!(img.composite(1, 2, 3).is_none());
        assert_eq!(img.height(&[64]), 0);
        assert!(MeteorImage::new(MeteorImageConfig {
            packets_per_row: 10
        })
        .is_err());
    }

    #[test]
    fn png_written_atomically() {
        let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
        row(&mut img, 0, &[64, 65, 66], &[DC80, DC0, DC80], &[]);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.png");
        img.composite_png(66, 65, 64, &path).unwrap();
        img.to_png(65, &dir.path().join("g.png")).unwrap();
        img.write_telemetry(&dir.path().join("t.jsonl")).unwrap();
        assert!(!dir.path().join("x.png.part").exists());
        let dec = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(&path).unwrap()));
        let mut reader = dec.read_info().unwrap();
        let mut buf = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut buf).unwrap();
        assert_eq!((info.width, info.height), (1568, 8));
        assert_eq!(&buf[..3], &[138, 128, 138]);
        // Every pixel, not just the first, survives the encoder (filter, compression).
        assert_eq!(buf, img.composite(66, 65, 64).unwrap().data);
        let dec = png::Decoder::new(std::io::BufReader::new(
            std::fs::File::open(dir.path().join("g.png")).unwrap(),
        ));
        let mut reader = dec.read_info().unwrap();
        let mut grey = vec![0; reader.output_buffer_size().unwrap()];
        let info = reader.next_frame(&mut grey).unwrap();
        assert_eq!(info.color_type, png::ColorType::Grayscale);
        assert_eq!(grey, img.channel_image(65).unwrap().data);
        let t = std::fs::read_to_string(dir.path().join("t.jsonl")).unwrap();
        assert_eq!(t.lines().count(), 1);
        assert!(matches!(
            img.to_png(67, &path),
            Err(MeteorError::NoChannel { apid: 67 })
        ));
    }
}
