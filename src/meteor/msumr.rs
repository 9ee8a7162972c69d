//! MSU-MR image packets (APIDs 64–69) and their JPEG-like payload.
//!
//! Data field layout (after the 6-byte primary header), per the Meteor-M N2
//! LRPT format description and as found in the recordings:
//!
//! ```text
//! 0..8    secondary header (time stamp): day (16 bits), millisecond of day
//!         (32 bits), microsecond of millisecond (16 bits)
//! 8       MCU number: index of the first 8×8 block of this packet in the
//!         196-block line (0, 14, ..., 182)
//! 9..11   scan header: quantisation table id, Huffman table ids (DC<<4 | AC); always 0
//! 11..14  segment header: quality-factor marker 0xFFF0, quality factor Q
//! 14..    entropy-coded data of 14 MCUs
//! ```
//!
//! Each MCU is one 8×8 luminance block coded as in baseline JPEG (T.81 F.1.2):
//! a DC difference (category via Table K.3, then that many bits) and AC
//! coefficients as zero-run/size symbols (Table K.5) with EOB and ZRL, in
//! zig-zag order. The DC predictor starts at 0 in every packet, so a packet
//! decodes on its own. Coefficients are multiplied by the quantisation table
//! for Q ([`super::quant::table`]), inverse-DCT'd, shifted by +128, rounded
//! half up and clamped to 0..=255.

use super::dct;
use super::error::MeteorError;
use super::huffman::{extend, BitReader, HuffmanError, HuffmanTable};
use super::quant;
use crate::ccsds::SpacePacket;
use std::sync::OnceLock;

pub const FIRST_IMAGE_APID: u16 = 64;
pub const LAST_IMAGE_APID: u16 = 69;
pub const TELEMETRY_APID: u16 = 70;
/// 8×8 blocks per packet.
pub const MCUS_PER_PACKET: usize = 14;
/// 8×8 blocks per image line (1568 pixels).
pub const MCUS_PER_LINE: usize = 196;
/// Secondary header (time stamp) length.
pub const SECONDARY_HEADER_BYTES: usize = 8;
/// MCU number + scan header + segment header.
pub const IMAGE_HEADER_BYTES: usize = 6;
/// The marker announcing a quality factor in the segment header.
pub const QUALITY_MARKER: u16 = 0xFFF0;

/// T.81 Figure A.6: natural (row-major) index of the k-th zig-zag coefficient.
pub const ZIGZAG: [usize; 64] = [
    0, 1, 8, 16, 9, 2, 3, 10, 17, 24, 32, 25, 18, 11, 4, 5, 12, 19, 26, 33, 40, 48, 41, 34, 27, 20,
    13, 6, 7, 14, 21, 28, 35, 42, 49, 56, 57, 50, 43, 36, 29, 22, 15, 23, 30, 37, 44, 51, 58, 59,
    52, 45, 38, 31, 39, 46, 53, 60, 61, 54, 47, 55, 62, 63,
];

fn tables() -> &'static (HuffmanTable, HuffmanTable) {
    static T: OnceLock<(HuffmanTable, HuffmanTable)> = OnceLock::new();
    T.get_or_init(|| (HuffmanTable::dc_luminance(), HuffmanTable::ac_luminance()))
}

/// Why decoding of a packet's MCUs stopped before the 14th.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeStop {
    /// The data ended inside an MCU (a truncated packet, or a short one).
    EndOfData,
    /// A bit pattern that is no Huffman code.
    InvalidCode,
    /// A DC category above 11 or an AC run past coefficient 63.
    BadCoefficient,
    /// The MCU index would pass the end of the line.
    LineOverflow,
}

/// A parsed MSU-MR image packet, borrowing the packet's bytes.
#[derive(Debug, Clone)]
pub struct MsuMrPacket<'a> {
    pub apid: u16,
    pub sequence_count: u16,
    pub day: u16,
    pub ms_of_day: u32,
    pub us_of_ms: u16,
    pub mcu_number: u8,
    pub scan_header: [u8; 2],
    pub quality_marker: u16,
    pub quality: u8,
    /// Entropy-coded data.
    pub payload: &'a [u8],
    /// The packet was cut short (by a lost frame or the end of the input).
    pub truncated: bool,
}

/// MCUs decoded from one packet: `blocks[i]` is MCU `first_mcu + i`, row-major pixels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedMcus {
    pub first_mcu: usize,
    pub blocks: Vec<[u8; 64]>,
    /// `None` when all 14 MCUs decoded.
    pub stop: Option<DecodeStop>,
}

impl<'a> MsuMrPacket<'a> {
    pub fn parse(packet: &'a SpacePacket) -> Result<Self, MeteorError> {
        let apid = packet.apid();
        if !(FIRST_IMAGE_APID..=LAST_IMAGE_APID).contains(&apid) {
            return Err(MeteorError::NotImageApid { apid });
        }
        if !packet.has_secondary_header() {
            return Err(MeteorError::NoSecondaryHeader);
        }
        let d = packet.data();
        let need = SECONDARY_HEADER_BYTES + IMAGE_HEADER_BYTES;
        if d.len() < need {
            return Err(MeteorError::PacketTooShort { got: d.len(), need });
        }
        let mcu_number = d[8];
        if usize::from(mcu_number) >= MCUS_PER_LINE {
            return Err(MeteorError::BadMcuNumber { mcu: mcu_number });
        }
        Ok(MsuMrPacket {
            apid,
            sequence_count: packet.sequence_count(),
            day: u16::from_be_bytes([d[0], d[1]]),
            ms_of_day: u32::from_be_bytes([d[2], d[3], d[4], d[5]]),
            us_of_ms: u16::from_be_bytes([d[6], d[7]]),
            mcu_number,
            scan_header: [d[9], d[10]],
            quality_marker: u16::from_be_bytes([d[11], d[12]]),
            quality: d[13],
            payload: &d[need..],
            truncated: packet.is_truncated(),
        })
    }

    /// Decodes the packet's MCUs, stopping at the first one that cannot be
    /// decoded completely (its pixels are not produced).
    pub fn decode(&self) -> DecodedMcus {
        let qt = quant::table(self.quality);
        let (dc_table, ac_table) = tables();
        let first = usize::from(self.mcu_number);
        let mut blocks = Vec::with_capacity(MCUS_PER_PACKET);
        let mut reader = BitReader::new(self.payload);
        let mut pred = 0i32;
        let mut stop = None;
        for i in 0..MCUS_PER_PACKET {
            if first + i >= MCUS_PER_LINE {
                stop = Some(DecodeStop::LineOverflow);
                break;
            }
            let mut zz = [0i32; 64];
            match decode_coefficients(&mut reader, dc_table, ac_table, &mut pred, &mut zz) {
                Ok(end) => blocks.push(reconstruct_first(&zz, end, &qt)),
                Err(e) => {
                    stop = Some(e);
                    break;
                }
            }
        }
        DecodedMcus {
            first_mcu: first,
            blocks,
            stop,
        }
    }
}

fn huffman_stop(e: HuffmanError) -> DecodeStop {
    match e {
        HuffmanError::EndOfData => DecodeStop::EndOfData,
        HuffmanError::InvalidCode => DecodeStop::InvalidCode,
    }
}

/// Decodes one block's quantised coefficients, in zig-zag order (T.81 F.2.2).
pub fn decode_block(
    reader: &mut BitReader,
    dc_table: &HuffmanTable,
    ac_table: &HuffmanTable,
    pred: &mut i32,
) -> Result<[i32; 64], DecodeStop> {
    let mut zz = [0i32; 64];
    decode_coefficients(reader, dc_table, ac_table, pred, &mut zz)?;
    Ok(zz)
}

/// [`decode_block`] into a zeroed `zz`, returning how many leading zig-zag coefficients
/// may be non-zero (the rest are zero).
fn decode_coefficients(
    reader: &mut BitReader,
    dc_table: &HuffmanTable,
    ac_table: &HuffmanTable,
    pred: &mut i32,
    zz: &mut [i32; 64],
) -> Result<usize, DecodeStop> {
    let size = u32::from(dc_table.decode(reader).map_err(huffman_stop)?);
    if size > 11 {
        return Err(DecodeStop::BadCoefficient);
    }
    let bits = reader.bits(size).ok_or(DecodeStop::EndOfData)?;
    // The predictor is only updated once the whole block decodes.
    let dc = *pred + extend(bits, size);
    zz[0] = dc;
    let mut k = 1usize;
    while k < 64 {
        let rs = ac_table.decode(reader).map_err(huffman_stop)?;
        let run = usize::from(rs >> 4);
        let size = u32::from(rs & 0x0F);
        if size == 0 {
            if run == 15 {
                k += 16; // ZRL: sixteen zeros
                continue;
            }
            break; // EOB
        }
        k += run;
        if k > 63 {
            return Err(DecodeStop::BadCoefficient);
        }
        let bits = reader.bits(size).ok_or(DecodeStop::EndOfData)?;
        zz[k] = extend(bits, size);
        k += 1;
    }
    *pred = dc;
    Ok(k.min(64))
}

/// Many blocks land exactly on a half grey level: a DC-only block is flat at
/// DC·Q/8, a half-integer whenever DC·Q ≡ 4 (mod 8). The orthonormal basis
/// in floating point puts such values a few ulps below the half (for DC-only
/// blocks (1/√8)² evaluates to 0.12499999999999999), so they would round down.
/// Exact arithmetic rounds them up (half up, as jradio's `Math.round` does with
/// jtransforms' IDCT); nudging by far more than the float error (≈1e-12 here; the nearest genuine non-tie seen in a real pass was 3.5e-7 below a half)
/// and far less than any real distance from a half restores that.
const TIE_NUDGE: f64 = 1e-9;

/// Dequantises zig-zag coefficients, inverse-transforms and level-shifts to pixels.
pub fn reconstruct(zz: &[i32; 64], qt: &[u16; 64]) -> [u8; 64] {
    reconstruct_first(zz, 64, qt)
}

/// [`reconstruct`] of a block whose zig-zag coefficients from `end` on are zero: those
/// dequantise to +0, what the coefficient array starts as.
fn reconstruct_first(zz: &[i32; 64], end: usize, qt: &[u16; 64]) -> [u8; 64] {
    let mut coeffs = [0f64; 64];
    for (k, &c) in zz[..end].iter().enumerate() {
        let n = ZIGZAG[k];
        coeffs[n] = f64::from(c) * f64::from(qt[n]);
    }
    to_pixels(&dct::inverse(&coeffs))
}

/// One pixel from its IDCT sample: +128 level shift, half up (see [`TIE_NUDGE`]), 0..=255.
/// The definition; x86-64 runs it as [`to_pixels_sse2`], tested against this.
#[cfg(any(test, not(target_arch = "x86_64")))]
fn pixel(sample: f64) -> u8 {
    // Truncation after the clamp is the floor (the value is ≥ 0 by then),
    // without a libm call per pixel on baseline x86-64.
    (sample + 128.0 + 0.5 + TIE_NUDGE).clamp(0.0, 255.0) as u8
}

/// [`pixel`] of every sample of a block.
fn to_pixels(samples: &[f64; 64]) -> [u8; 64] {
    #[cfg(target_arch = "x86_64")]
    {
        // SAFETY: SSE2 is part of the x86-64 baseline: every x86-64 CPU has it.
        unsafe { to_pixels_sse2(samples) }
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        samples.map(pixel)
    }
}

/// [`to_pixels`] two samples per instruction (SSE2 is part of the x86-64 baseline): the
/// same three additions in the same order, the clamp as max then min (a NaN, which no
/// IDCT produces, would give 0 either way), truncation, and saturating packs that
/// leave the 0..=255 values as they are. The scalar conversion with Rust's saturating
/// `as` did not vectorise, and was half of a block's decoding time.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "sse2")]
fn to_pixels_sse2(samples: &[f64; 64]) -> [u8; 64] {
    use std::arch::x86_64::*;
    let mut px = [0u8; 64];
    let (shift, half, nudge) = (_mm_set1_pd(128.0), _mm_set1_pd(0.5), _mm_set1_pd(TIE_NUDGE));
    let (black, white) = (_mm_setzero_pd(), _mm_set1_pd(255.0));
    for (out, s) in px.chunks_exact_mut(8).zip(samples.chunks_exact(8)) {
        let mut ints = [_mm_setzero_si128(); 4];
        for (k, int) in ints.iter_mut().enumerate() {
            let v = _mm_set_pd(s[2 * k + 1], s[2 * k]);
            let v = _mm_add_pd(_mm_add_pd(_mm_add_pd(v, shift), half), nudge);
            let v = _mm_min_pd(_mm_max_pd(v, black), white);
            *int = _mm_cvttpd_epi32(v);
        }
        let words = _mm_packs_epi32(
            _mm_unpacklo_epi64(ints[0], ints[1]),
            _mm_unpacklo_epi64(ints[2], ints[3]),
        );
        let bytes = _mm_packus_epi16(words, words);
        out.copy_from_slice(&(_mm_cvtsi128_si64(bytes) as u64).to_le_bytes());
    }
    px
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccsds::SequenceFlags;

    #[test]
    fn block_pixels_match_the_per_pixel_rule() {
        // Around every rounding edge (ties nudged up, values just below), far out of
        // range, infinities, and the ±0 edge.
        let mut values = vec![f64::INFINITY, f64::NEG_INFINITY, 0.0, -0.0, 1e300, -1e300];
        for level in -140..=140 {
            let base = f64::from(level) - 0.5;
            for d in [-1e-6, -1e-9, -1e-12, 0.0, 1e-12, 1e-9, 1e-6, 0.25, 0.5] {
                values.push(base + d);
            }
        }
        for block in values.chunks(64) {
            let mut samples = [0f64; 64];
            samples[..block.len()].copy_from_slice(block);
            let want: Vec<u8> = samples.iter().map(|&s| pixel(s)).collect();
            assert_eq!(to_pixels(&samples).to_vec(), want, "{block:?}");
        }
        // The rule itself: half up, floor otherwise, clamped.
        let rule: Vec<u8> = [-0.5, -0.6, 0.49, 127.5, 126.4, -128.6, -128.5]
            .map(pixel)
            .to_vec();
        assert_eq!(rule, [128, 127, 128, 255, 254, 0, 0]);
    }

    fn bitstring(s: &str) -> Vec<u8> {
        let v: Vec<u8> = s.bytes().filter(|b| *b != b' ').map(|b| b - b'0').collect();
        v.chunks(8)
            .map(|c| (0..8).fold(0u8, |acc, i| (acc << 1) | c.get(i).copied().unwrap_or(0)))
            .collect()
    }

    fn image_packet(apid: u16, mcu: u8, quality: u8, payload: &[u8]) -> SpacePacket {
        let mut d = vec![
            0x00, 0x01, 0x02, 0xD0, 0x91, 0xA5, 0x01, 0x02, mcu, 0, 0, 0xFF, 0xF0, quality,
        ];
        d.extend_from_slice(payload);
        SpacePacket::build(apid, SequenceFlags::Continuation, 5, true, &d).unwrap()
    }

    #[test]
    fn parses_headers() {
        let p = image_packet(65, 112, 77, &[0xAB]);
        let m = MsuMrPacket::parse(&p).unwrap();
        assert_eq!(
            (m.apid, m.sequence_count, m.mcu_number, m.quality),
            (65, 5, 112, 77)
        );
        assert_eq!(m.day, 1);
        assert_eq!(m.ms_of_day, 0x02D0_91A5);
        assert_eq!(m.us_of_ms, 0x0102);
        assert_eq!(m.quality_marker, QUALITY_MARKER);
        assert_eq!(m.payload, &[0xAB]);
        assert!(!m.truncated);
    }

    #[test]
    fn rejects_bad_packets() {
        let p = image_packet(70, 0, 77, &[0]);
        assert!(matches!(
            MsuMrPacket::parse(&p),
            Err(MeteorError::NotImageApid { apid: 70 })
        ));
        let p = image_packet(64, 196, 77, &[0]);
        assert!(matches!(
            MsuMrPacket::parse(&p),
            Err(MeteorError::BadMcuNumber { mcu: 196 })
        ));
        let p = SpacePacket::build(64, SequenceFlags::First, 0, true, &[0; 10]).unwrap();
        assert!(matches!(
            MsuMrPacket::parse(&p),
            Err(MeteorError::PacketTooShort { got: 10, need: 14 })
        ));
        let p = SpacePacket::build(64, SequenceFlags::First, 0, false, &[0; 20]).unwrap();
        assert!(matches!(
            MsuMrPacket::parse(&p),
            Err(MeteorError::NoSecondaryHeader)
        ));
    }

    #[test]
    fn dc_only_blocks_with_prediction() {
        // Q = 50: the DC quantiser is 16. Block 0: DC category 4 (101), bits
        // 1010 = +10 -> 160 -> pixels 128 + 160/8 = 148; EOB (1010).
        // Block 1: category 2 (011), bits 01 = -2 -> DC 8 -> 128 + 16 = 144; EOB.
        // Then the data runs out inside block 2.
        let payload = bitstring("101 1010 1010  011 01 1010  1");
        let p = image_packet(64, 0, 50, &payload);
        let d = MsuMrPacket::parse(&p).unwrap().decode();
        assert_eq!(d.first_mcu, 0);
        assert_eq!(d.blocks.len(), 2);
        assert_eq!(d.blocks[0], [148u8; 64]);
        assert_eq!(d.blocks[1], [144u8; 64]);
        assert_eq!(d.stop, Some(DecodeStop::EndOfData));
    }

    #[test]
    fn ac_run_and_size() {
        // Q = 100 (all quantisers 1). DC category 0 (00). AC: 1/1 (1100) with
        // bit 1 = +1 at zig-zag index 2 (natural index 8: F(1,0)), then EOB.
        let payload = bitstring("00 1100 1 1010");
        let mut r = BitReader::new(&payload);
        let (dc, ac) = tables();
        let mut pred = 3;
        let zz = decode_block(&mut r, dc, ac, &mut pred).unwrap();
        let mut want = [0i32; 64];
        want[0] = 3;
        want[2] = 1;
        assert_eq!(zz, want);
        assert_eq!(pred, 3);
        // F(1,0) = 1 is a vertical cosine: rows differ, columns equal.
        let px = reconstruct(&zz, &[1; 64]);
        assert!(px[0] > px[56]);
        assert_eq!(px[0], px[7]);
    }

    #[test]
    fn run_past_63_is_rejected() {
        // DC 00, then ZRL ×3 (k = 49), then 15/1 (k = 64 > 63).
        let payload = bitstring("00 11111111001 11111111001 11111111001 1111111111110101 1");
        let mut r = BitReader::new(&payload);
        let (dc, ac) = tables();
        let mut pred = 0;
        assert_eq!(
            decode_block(&mut r, dc, ac, &mut pred),
            Err(DecodeStop::BadCoefficient)
        );
    }

    #[test]
    fn last_packet_of_a_line_stops_at_196() {
        let payload = bitstring(&"00 1010 ".repeat(14));
        let p = image_packet(66, 190, 60, &payload);
        let d = MsuMrPacket::parse(&p).unwrap().decode();
        assert_eq!(d.blocks.len(), 6);
        assert_eq!(d.stop, Some(DecodeStop::LineOverflow));
        assert!(d.blocks.iter().all(|b| *b == [128u8; 64]));
    }
}
