//! The MSU-MR encoder side, for synthesis and round-trip tests: 8×8 blocks →
//! forward DCT → quantisation with the packet's quality factor → baseline
//! JPEG Huffman coding with the standard luminance tables → MSU-MR packets,
//! sent in the Meteor row order (APIDs ascending, 14 packets each, then one
//! APID 70 packet). The inverse of [`super::msumr`]; sources as there.

use super::dct;
use super::error::MeteorError;
use super::huffman::HuffmanTable;
use super::image::GrayImage;
use super::msumr::{
    FIRST_IMAGE_APID, LAST_IMAGE_APID, MCUS_PER_LINE, MCUS_PER_PACKET, QUALITY_MARKER,
    TELEMETRY_APID, ZIGZAG,
};
use super::quant;
use crate::ccsds::{SequenceFlags, SpacePacket};

/// Appends bits MSB first; the last byte is padded with 1s (T.81 F.1.2.3).
#[derive(Debug, Default)]
struct BitWriter {
    bytes: Vec<u8>,
    acc: u32,
    n: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, bits: u32) {
        for i in (0..bits).rev() {
            self.acc = (self.acc << 1) | ((value >> i) & 1);
            self.n += 1;
            if self.n == 8 {
                self.bytes.push(self.acc as u8);
                self.acc = 0;
                self.n = 0;
            }
        }
    }

    fn finish(mut self) -> Vec<u8> {
        if self.n > 0 {
            let pad = 8 - self.n;
            self.put((1 << pad) - 1, pad);
        }
        self.bytes
    }
}

/// Size category and value bits of a coefficient (T.81 F.1.2.1: the inverse of EXTEND).
fn category(v: i32) -> (u32, u32) {
    let size = 32 - v.unsigned_abs().leading_zeros();
    let bits = if v >= 0 {
        v as u32
    } else {
        (v - 1) as u32 & ((1 << size) - 1)
    };
    (size, bits)
}

fn put_symbol(w: &mut BitWriter, table: &HuffmanTable, symbol: u8) -> Result<(), MeteorError> {
    let (code, len) = table
        .code_of(symbol)
        .ok_or_else(|| MeteorError::Config(format!("symbol {symbol:#04x} has no Huffman code")))?;
    w.put(u32::from(code), u32::from(len));
    Ok(())
}

/// Quantises one block of pixels to zig-zag coefficients.
pub fn quantise_block(pixels: &[u8; 64], qt: &[u16; 64]) -> [i32; 64] {
    let mut s = [0f64; 64];
    for (o, &p) in s.iter_mut().zip(pixels.iter()) {
        *o = f64::from(p) - 128.0;
    }
    let c = dct::forward(&s);
    let mut zz = [0i32; 64];
    for (k, z) in zz.iter_mut().enumerate() {
        let n = ZIGZAG[k];
        // Baseline 8-bit ranges: DC within ±2047 (category 11), AC within
        // ±1023 (category 10, the largest size in Table K.5).
        let limit = if k == 0 { 2047.0 } else { 1023.0 };
        *z = (c[n] / f64::from(qt[n])).round().clamp(-limit, limit) as i32;
    }
    zz
}

/// Huffman-codes one block of zig-zag coefficients with DC prediction (T.81 F.1.2).
pub fn encode_block(
    w_bits: &mut Vec<(u32, u32)>,
    zz: &[i32; 64],
    pred: &mut i32,
    dc: &HuffmanTable,
    ac: &HuffmanTable,
) -> Result<(), MeteorError> {
    let mut w = BitWriter::default();
    let diff = zz[0] - *pred;
    *pred = zz[0];
    let (size, bits) = category(diff);
    if size > 11 {
        return Err(MeteorError::Config(format!(
            "DC difference {diff} exceeds category 11"
        )));
    }
    put_symbol(&mut w, dc, size as u8)?;
    w.put(bits, size);
    let mut run = 0u32;
    for &v in &zz[1..] {
        if v == 0 {
            run += 1;
            continue;
        }
        while run > 15 {
            put_symbol(&mut w, ac, 0xF0)?;
            run -= 16;
        }
        let (size, bits) = category(v);
        put_symbol(&mut w, ac, ((run << 4) | size) as u8)?;
        w.put(bits, size);
        run = 0;
    }
    if run > 0 {
        put_symbol(&mut w, ac, 0x00)?;
    }
    // Hand the exact bits over (no padding between blocks).
    let tail_bits = w.n;
    let tail = w.acc;
    for b in w.bytes {
        w_bits.push((u32::from(b), 8));
    }
    if tail_bits > 0 {
        w_bits.push((tail, tail_bits));
    }
    Ok(())
}

/// Time stamp for a packet's secondary header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PacketTime {
    pub day: u16,
    pub ms_of_day: u32,
    pub us_of_ms: u16,
}

impl PacketTime {
    fn bytes(&self) -> [u8; 8] {
        let mut b = [0u8; 8];
        b[..2].copy_from_slice(&self.day.to_be_bytes());
        b[2..6].copy_from_slice(&self.ms_of_day.to_be_bytes());
        b[6..].copy_from_slice(&self.us_of_ms.to_be_bytes());
        b
    }
}

/// Builds one MSU-MR packet from an 8-row strip of 1568 pixels (row-major),
/// covering MCUs `mcu_number..mcu_number + 14`.
pub fn encode_packet(
    strip: &[u8],
    apid: u16,
    sequence_count: u16,
    mcu_number: u8,
    quality: u8,
    time: PacketTime,
) -> Result<SpacePacket, MeteorError> {
    let width = MCUS_PER_LINE * 8;
    if strip.len() != width * 8 {
        return Err(MeteorError::Config(format!(
            "strip of {} pixels, expected {}",
            strip.len(),
            width * 8
        )));
    }
    if !(FIRST_IMAGE_APID..=LAST_IMAGE_APID).contains(&apid) {
        return Err(MeteorError::NotImageApid { apid });
    }
    let first = usize::from(mcu_number);
    if first >= MCUS_PER_LINE || first % MCUS_PER_PACKET != 0 {
        return Err(MeteorError::BadMcuNumber { mcu: mcu_number });
    }
    let qt = quant::table(quality);
    let dc = HuffmanTable::dc_luminance();
    let ac = HuffmanTable::ac_luminance();
    let mut pieces = Vec::new();
    let mut pred = 0;
    for m in first..first + MCUS_PER_PACKET {
        let mut block = [0u8; 64];
        for y in 0..8 {
            block[y * 8..y * 8 + 8]
                .copy_from_slice(&strip[y * width + m * 8..y * width + m * 8 + 8]);
        }
        let zz = quantise_block(&block, &qt);
        encode_block(&mut pieces, &zz, &mut pred, &dc, &ac)?;
    }
    let mut w = BitWriter::default();
    for (v, n) in pieces {
        w.put(v, n);
    }
    let mut data = Vec::new();
    data.extend_from_slice(&time.bytes());
    data.push(mcu_number);
    data.extend_from_slice(&[0, 0]);
    data.extend_from_slice(&QUALITY_MARKER.to_be_bytes());
    data.push(quality);
    data.extend_from_slice(&w.finish());
    let flags = match first {
        0 => SequenceFlags::First,
        f if f + MCUS_PER_PACKET >= MCUS_PER_LINE => SequenceFlags::Last,
        _ => SequenceFlags::Continuation,
    };
    Ok(SpacePacket::build(
        apid,
        flags,
        sequence_count,
        true,
        &data,
    )?)
}

/// Encodes whole channel images (all the same height, a multiple of 8) into
/// the packet sequence Meteor-M sends: for each 8-line row, each channel's 14
/// packets in ascending APID order, then one APID 70 packet (whose payload
/// here is a fixed placeholder of `telemetry_bytes` zeros). Returns the
/// packets and the next sequence count.
pub fn encode_image(
    channels: &[(u16, &GrayImage)],
    quality: u8,
    first_count: u16,
    telemetry_bytes: usize,
) -> Result<(Vec<SpacePacket>, u16), MeteorError> {
    let mut chans: Vec<(u16, &GrayImage)> = channels.to_vec();
    chans.sort_by_key(|(a, _)| *a);
    let Some((_, first)) = chans.first() else {
        return Ok((Vec::new(), first_count));
    };
    let height = first.height;
    for (apid, img) in &chans {
        if img.width != MCUS_PER_LINE * 8 || img.height != height || height % 8 != 0 {
            return Err(MeteorError::Config(format!(
                "APID {apid}: image {}x{} must be 1568 wide and share a height that is a multiple of 8",
                img.width, img.height
            )));
        }
    }
    let mut out = Vec::new();
    let mut count = first_count;
    let row_px = MCUS_PER_LINE * 8 * 8;
    for row in 0..height / 8 {
        let time = PacketTime {
            day: 0,
            ms_of_day: row as u32 * 1231,
            us_of_ms: 0,
        };
        for (apid, img) in &chans {
            let strip = &img.data[row * row_px..(row + 1) * row_px];
            for p in 0..MCUS_PER_LINE / MCUS_PER_PACKET {
                out.push(encode_packet(
                    strip,
                    *apid,
                    count,
                    (p * MCUS_PER_PACKET) as u8,
                    quality,
                    time,
                )?);
                count = (count + 1) % 16384;
            }
        }
        let mut t = time.bytes().to_vec();
        t.resize(8 + telemetry_bytes.max(1), 0);
        out.push(SpacePacket::build(
            TELEMETRY_APID,
            SequenceFlags::Unsegmented,
            count,
            true,
            &t,
        )?);
        count = (count + 1) % 16384;
    }
    Ok((out, count))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::meteor::huffman::BitReader;
    use crate::meteor::msumr::{decode_block, MsuMrPacket};

    #[test]
    fn category_is_the_inverse_of_extend() {
        for v in -2047..=2047 {
            let (size, bits) = category(v);
            assert_eq!(crate::meteor::huffman::extend(bits, size), v, "{v}");
        }
        assert_eq!(category(0), (0, 0));
        assert_eq!(category(-1), (1, 0));
        assert_eq!(category(5), (3, 5));
    }

    #[test]
    fn coefficients_round_trip_exactly() {
        let dc = HuffmanTable::dc_luminance();
        let ac = HuffmanTable::ac_luminance();
        let mut blocks = Vec::new();
        let mut zz = [0i32; 64];
        zz[0] = 300;
        zz[1] = -7;
        zz[20] = 1000;
        zz[63] = -1;
        blocks.push(zz);
        blocks.push([0i32; 64]);
        let mut z2 = [0i32; 64];
        z2[0] = -1024;
        z2[17] = 3; // after a run of 16 zeros: ZRL then 0/2
        blocks.push(z2);
        let mut pieces = Vec::new();
        let mut pred = 0;
        for b in &blocks {
            encode_block(&mut pieces, b, &mut pred, &dc, &ac).unwrap();
        }
        let mut w = BitWriter::default();
        for (v, n) in pieces {
            w.put(v, n);
        }
        let bytes = w.finish();
        let mut r = BitReader::new(&bytes);
        let mut pred = 0;
        for b in &blocks {
            assert_eq!(&decode_block(&mut r, &dc, &ac, &mut pred).unwrap(), b);
        }
    }

    #[test]
    fn packet_header_fields() {
        let strip = vec![100u8; 1568 * 8];
        let t = PacketTime {
            day: 3,
            ms_of_day: 4000,
            us_of_ms: 5,
        };
        let p = encode_packet(&strip, 66, 77, 182, 80, t).unwrap();
        assert_eq!(p.sequence_flags(), SequenceFlags::Last);
        let m = MsuMrPacket::parse(&p).unwrap();
        assert_eq!(
            (m.apid, m.sequence_count, m.mcu_number, m.quality),
            (66, 77, 182, 80)
        );
        assert_eq!((m.day, m.ms_of_day, m.us_of_ms), (3, 4000, 5));
        let d = m.decode();
        assert_eq!(d.blocks.len(), 14);
        assert!(d.blocks.iter().all(|b| *b == [100u8; 64]));
        assert!(encode_packet(&strip, 70, 0, 0, 80, t).is_err());
        assert!(encode_packet(&strip, 64, 0, 13, 80, t).is_err());
        assert!(encode_packet(&strip[1..], 64, 0, 0, 80, t).is_err());
    }
}
