//! Mobitex framing as the CML CMX909B modem sends it (D-STAR ONE) and its Mobitex-NX
//! variant (TU Berlin's TUBiX20 platform: TUBIN, TechnoSat).
//!
//! After bit sync and a 16-bit frame sync word (0x5765, or 0x0EF0 for NX) comes:
//! - a header: two control bytes and one byte carrying both bytes' Hamming(12,8) parity
//!   nibbles (first byte's in the high nibble). Control byte 0: message type in bits
//!   7..5, number of data blocks minus one in bits 4..0. NX adds a 6-byte callsign and its
//!   CRC-16/XMODEM, big-endian;
//! - data blocks of 30 bytes: 18 data bytes and a CRC-16/X-25 (high byte first) make 20
//!   Hamming(12,8) code words, sent bit-interleaved (bit j of word i is bit 20·j + i of
//!   the block, data bits first, parity nibbles last) and XORed with the Mobitex
//!   randomiser, a 9-bit LFSR (x^9 + x^4 + 1, all ones at the first block) that runs on
//!   across the blocks of a frame.
//!
//! A frame is emitted when every block's code words decode and its CRC matches: the
//! corrected control bytes, for NX the callsign and its CRC, then the blocks' data bytes
//! (18 each) — the TUBiX20 "master frame" without the ground station's appendix.
//! D-STAR ONE always sends 6 blocks whatever its control byte says (jradio's decoder,
//! the reference for its recording, fixes the count the same way): the variant can fix
//! the count.

use super::crc::Crc16;
use super::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};
use super::var_sync::{VarHit, VarSync, VarSyncConfig};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};

/// Data bytes per block.
pub const BLOCK_DATA_BYTES: usize = 18;
/// Code words per block (data and CRC).
const BLOCK_WORDS: usize = BLOCK_DATA_BYTES + 2;
/// Bytes a block occupies on air.
pub const BLOCK_BYTES: usize = BLOCK_WORDS * 12 / 8;
/// Largest block count the 5-bit field can name.
const MAX_BLOCKS: usize = 32;
const CALLSIGN_BYTES: usize = 6;

/// Which Mobitex dialect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MobitexVariant {
    /// CMX909B framing (sync 0x5765, header of control bytes only).
    Cmx909b {
        /// Data blocks per frame whatever the control byte says (D-STAR ONE: 6); None:
        /// the control byte's count.
        blocks: Option<usize>,
    },
    /// Mobitex-NX (TUBiX20): sync 0x0EF0, callsign in the header, block count from the
    /// control byte.
    Nx,
}

impl MobitexVariant {
    /// The frame sync word (16 bits).
    pub fn sync_word(self) -> u16 {
        match self {
            Self::Cmx909b { .. } => 0x5765,
            Self::Nx => 0x0EF0,
        }
    }

    /// The last 16 bits of bit sync before the frame sync word, as the satellite sends
    /// them: 1100… from the CMX909B, 0101… from TUBiX20.
    pub fn bit_sync(self) -> u16 {
        match self {
            Self::Cmx909b { .. } => 0xCCCC,
            Self::Nx => 0x5555,
        }
    }

    /// Header bytes after the sync word.
    pub fn header_bytes(self) -> usize {
        match self {
            Self::Cmx909b { .. } => 3,
            Self::Nx => 3 + CALLSIGN_BYTES + 2,
        }
    }
}

/// Parity-check rows of the Hamming(12,8) code over (data << 4 | parity): every row
/// has even parity in a valid code word.
const H_ROWS: [u16; 4] = [
    0b1110_1100_1000,
    0b1101_0011_0100,
    0b1011_1010_0010,
    0b0111_0101_0001,
];

fn syndrome(word: u16) -> u16 {
    H_ROWS
        .iter()
        .fold(0, |s, &r| (s << 1) | ((r & word).count_ones() as u16 & 1))
}

/// The parity nibble of `data` in the Mobitex Hamming(12,8) code.
pub fn hamming_parity(data: u8) -> u8 {
    syndrome(u16::from(data) << 4) as u8
}

/// Decodes a 12-bit word (data << 4 | parity): the data byte and the bits corrected
/// (0 or 1), or None when the syndrome names no single-bit error.
pub fn hamming_decode(word: u16) -> Option<(u8, usize)> {
    let s = syndrome(word & 0xFFF);
    if s == 0 {
        return Some(((word >> 4) as u8, 0));
    }
    // A single error at bit b leaves column b of the check matrix as the syndrome.
    (0..12)
        .find(|&b| syndrome(1 << b) == s)
        .map(|b| ((((word & 0xFFF) ^ (1 << b)) >> 4) as u8, 1))
}

/// The Mobitex randomiser, one mask bit per transmitted bit.
#[derive(Clone, Debug)]
struct Randomizer(u16);

impl Randomizer {
    fn new() -> Self {
        Self(0x1FF)
    }

    fn next_bit(&mut self) -> u8 {
        let out = (self.0 & 1) as u8;
        let fb = (self.0 ^ (self.0 >> 4)) & 1;
        self.0 = (self.0 >> 1) | (fb << 8);
        out
    }
}

/// A frame decoded from the bytes after the sync word.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MobitexFrame {
    /// Control bytes, NX callsign and CRC, then the blocks' data (see the module docs).
    pub data: Vec<u8>,
    /// Bits the Hamming code and the callsign check corrected.
    pub corrected: usize,
}

fn crc_xmodem() -> Crc16 {
    Crc16::new(Crc16::XMODEM)
}

fn crc_x25() -> Crc16 {
    Crc16::new(Crc16::X25)
}

/// The corrected control bytes of a header, and the bits corrected.
fn control(header: &[u8]) -> Option<([u8; 2], usize)> {
    let fec = header.get(2)?;
    let (c0, e0) = hamming_decode(u16::from(header[0]) << 4 | u16::from(fec >> 4))?;
    let (c1, e1) = hamming_decode(u16::from(header[1]) << 4 | u16::from(fec & 0x0F))?;
    Some(([c0, c1], e0 + e1))
}

/// Number of data blocks the frame starting with `header` holds.
fn block_count(variant: MobitexVariant, header: &[u8]) -> Option<usize> {
    match variant {
        MobitexVariant::Cmx909b { blocks: Some(n) } => {
            control(header)?;
            Some(n)
        }
        _ => Some(usize::from(control(header)?.0[0] & 0x1F) + 1),
    }
}

/// Bytes after the sync word of the frame whose header starts `header` (at least
/// [`MobitexVariant::header_bytes`] long), or None when its control bytes do not decode.
pub fn frame_bytes(variant: MobitexVariant, header: &[u8]) -> Option<usize> {
    Some(variant.header_bytes() + block_count(variant, header)? * BLOCK_BYTES)
}

/// The callsign and CRC bytes, repaired by flipping at most two bits when the CRC does
/// not match (the callsign has no other protection), and the bits flipped.
fn callsign(raw: &[u8]) -> Option<(Vec<u8>, usize)> {
    let crc = crc_xmodem();
    // A big-endian CRC-16 appended to its data leaves a zero remainder.
    let ok = |b: &[u8]| crc.checksum(b) == 0;
    let mut b = raw.to_vec();
    if ok(&b) {
        return Some((b, 0));
    }
    let n = b.len() * 8;
    for i in 0..n {
        b[i / 8] ^= 0x80 >> (i % 8);
        if ok(&b) {
            return Some((b, 1));
        }
        for j in i + 1..n {
            b[j / 8] ^= 0x80 >> (j % 8);
            if ok(&b) {
                return Some((b, 2));
            }
            b[j / 8] ^= 0x80 >> (j % 8);
        }
        b[i / 8] ^= 0x80 >> (i % 8);
    }
    None
}

/// Decodes one block: its data bytes and the bits corrected, or None when a code word
/// is uncorrectable or the CRC fails.
fn block(raw: &[u8], randomizer: &mut Randomizer) -> Option<(Vec<u8>, usize)> {
    let mut bits = Vec::with_capacity(BLOCK_BYTES * 8);
    bytes_to_bits_msb(&raw[..BLOCK_BYTES], &mut bits);
    for b in bits.iter_mut() {
        *b ^= randomizer.next_bit();
    }
    let mut words = [0u8; BLOCK_WORDS];
    let mut corrected = 0;
    for (i, w) in words.iter_mut().enumerate() {
        let code = (0..12).fold(0u16, |acc, j| {
            (acc << 1) | u16::from(bits[j * BLOCK_WORDS + i])
        });
        let (d, e) = hamming_decode(code)?;
        *w = d;
        corrected += e;
    }
    let (data, crc) = words.split_at(BLOCK_DATA_BYTES);
    (crc_x25().checksum(data) == u16::from_be_bytes([crc[0], crc[1]]))
        .then(|| (data.to_vec(), corrected))
}

/// Decodes the bytes after a sync word (trailing bytes beyond the frame are ignored):
/// the frame when the header and every block check, else None.
pub fn decode(variant: MobitexVariant, raw: &[u8]) -> Option<MobitexFrame> {
    let hb = variant.header_bytes();
    let total = frame_bytes(variant, raw.get(..hb)?)?;
    let raw = raw.get(..total)?;
    let (ctrl, mut corrected) = control(raw)?;
    let mut data = ctrl.to_vec();
    if variant == MobitexVariant::Nx {
        let (call, e) = callsign(&raw[3..hb])?;
        data.extend_from_slice(&call);
        corrected += e;
    }
    let mut randomizer = Randomizer::new();
    for chunk in raw[hb..].chunks_exact(BLOCK_BYTES) {
        let (d, e) = block(chunk, &mut randomizer)?;
        data.extend_from_slice(&d);
        corrected += e;
    }
    Some(MobitexFrame { data, corrected })
}

/// Encodes a frame (the inverse of [`decode`]): `data` as [`decode`] returns it, the
/// block part zero-padded to whole blocks. Returns the bytes after the sync word. The
/// control bytes are sent as given (NX: their block count must match the data).
pub fn encode(variant: MobitexVariant, data: &[u8]) -> Vec<u8> {
    let head = match variant {
        MobitexVariant::Cmx909b { .. } => 2,
        MobitexVariant::Nx => 2 + CALLSIGN_BYTES + 2,
    };
    let mut out = vec![
        data[0],
        data[1],
        hamming_parity(data[0]) << 4 | hamming_parity(data[1]),
    ];
    out.extend_from_slice(&data[2..head]);
    let mut randomizer = Randomizer::new();
    for chunk in data[head..].chunks(BLOCK_DATA_BYTES) {
        let mut words = [0u8; BLOCK_WORDS];
        words[..chunk.len()].copy_from_slice(chunk);
        let crc = crc_x25().checksum(&words[..BLOCK_DATA_BYTES]);
        words[BLOCK_DATA_BYTES..].copy_from_slice(&crc.to_be_bytes());
        let mut bits = vec![0u8; BLOCK_BYTES * 8];
        for (i, &w) in words.iter().enumerate() {
            let code = u16::from(w) << 4 | u16::from(hamming_parity(w));
            for j in 0..12 {
                bits[j * BLOCK_WORDS + i] = ((code >> (11 - j)) & 1) as u8;
            }
        }
        for b in bits.iter_mut() {
            *b ^= randomizer.next_bit();
        }
        out.extend_from_slice(&bits_to_bytes_msb(&bits));
    }
    out
}

/// Streaming Mobitex deframer (hard decisions of the soft symbols).
#[derive(Clone, Debug)]
pub struct Mobitex {
    variant: MobitexVariant,
    sync: VarSync,
    hits: Vec<VarHit>,
}

impl Mobitex {
    /// Builds the deframer. The frame sync word is searched with the last two bytes of
    /// bit sync before it, 32 bits with up to 3 wrong, so a 16-bit word alone does not
    /// fire on noise every few seconds.
    pub fn new(variant: MobitexVariant) -> Self {
        let sync = VarSync::new(VarSyncConfig {
            pattern: u64::from(variant.bit_sync()) << 16 | u64::from(variant.sync_word()),
            len_bits: 32,
            max_errors: 3,
            accept_inverted: true,
            header_bits: variant.header_bytes() * 8,
            max_frame_bits: (variant.header_bytes() + MAX_BLOCKS * BLOCK_BYTES) * 8,
        })
        .expect("constant configuration is valid");
        Self {
            variant,
            sync,
            hits: Vec::new(),
        }
    }
}

impl SoftDeframer for Mobitex {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let variant = self.variant;
        let frame_bits = |h: &[u8]| frame_bytes(variant, &bits_to_bytes_msb(h)).map(|n| n * 8);
        self.sync
            .push(u8::from(soft > 0.0), frame_bits, &mut self.hits);
        for h in self.hits.drain(..) {
            if let Some(f) = decode(variant, &bits_to_bytes_msb(&h.bits)) {
                out.push(SoftFrame {
                    data: f.data,
                    check: FrameCheck::Named {
                        name: "hamming+crc16",
                        corrected: Some(f.corrected),
                    },
                    inverted: Some(h.inverted),
                });
            }
        }
    }

    fn reset(&mut self) {
        self.sync.reset();
        self.hits.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::sync_frames::hex as unhex;

    const DSTAR: MobitexVariant = MobitexVariant::Cmx909b { blocks: Some(6) };

    /// The first 183 bytes jradio emitted after the sync word for the D-STAR ONE
    /// recording (its Dstar1Beacon.json rawData: header and 6 blocks; the rest of its
    /// 963 bytes is channel noise). Block 6 holds 5 bit errors.
    const DSTAR_RAW: &str = "71064f9fb7861735c94ee3e74e0a90ded4158e40141b8b65aee87c8d5f9a96904c97531518c820bfb6c6588e8bd83869832975505bddc34cccc298fa6e43d2ed9b2ce1fe47bf3f64438df7cbdb134798fe8c88841663d8bd29addc516c4fd925bf24a6602194697b45faa6cd4a603fcef21fbac850ad7ff432a5b69658422ada740be3ed031c5cdc6539131f1362456f6732020fb3f1c96f14908d6c696cf1b4ca72b2839c8ced07cce2e1a1c5abca431f4fb20f1c6188";
    /// What it decodes to: control bytes 71 06 and 108 data bytes, whose last two are
    /// the beacon's own CRC (jradio's "crc16": -28609 = 0x903F, little-endian).
    const DSTAR_FRAME: &str = "71066ca3904102000200000081851585000c00c1095a0c620aa0060e00050014000b0001000c00270259000600000009000b001a00b2000600070003000a00070005000300030000000800ef08430007c010030030f000000000101000ff00000002ffffffffffffffffffff3f90";

    /// The first 71 line bytes after the sync word of the TUBIN raw I/Q recording
    /// (r2cloud's, FM-demodulated and sliced): NX header and the first two blocks.
    const TUBIN_RAW: &str = "3e0e9544503054424e15c0ef07cf1173080ef6a14baff3dd9c22d6804e15c8d5daacb58c47a9cf827a1b532a78c8a0bdbaa778f38de8ad4474cfd5960c539598b5dcd80ac511a8";

    #[test]
    fn golden_tubin_header_and_first_blocks() {
        let raw = unhex(TUBIN_RAW);
        assert_eq!(control(&raw), Some(([0x3E, 0x0E], 0)));
        // Control byte 0x3E: 31 blocks.
        assert_eq!(frame_bytes(MobitexVariant::Nx, &raw), Some(11 + 31 * 30));
        let (call, flips) = callsign(&raw[3..11]).unwrap();
        assert_eq!((&call[..6], flips), (&b"DP0TBN"[..], 0));
        let mut r = Randomizer::new();
        let b0 = block(&raw[11..41], &mut r).unwrap();
        let b1 = block(&raw[41..71], &mut r).unwrap();
        assert_eq!(b0, (unhex("05111d97001c0228877b580515c40c000017"), 0));
        assert_eq!(b1, (unhex("fb004628877b54000202030000003e000609"), 0));
        // The encoder makes the same line bytes (error-free here) from the decoded data.
        let mut data = vec![0x3E, 0x0E];
        data.extend_from_slice(&call);
        data.extend_from_slice(&b0.0);
        data.extend_from_slice(&b1.0);
        assert_eq!(encode(MobitexVariant::Nx, &data), raw);
    }

    #[test]
    fn hamming_corrects_every_single_bit_error() {
        for d in 0..=255u8 {
            let word = u16::from(d) << 4 | u16::from(hamming_parity(d));
            assert_eq!(hamming_decode(word), Some((d, 0)));
            for b in 0..12 {
                assert_eq!(hamming_decode(word ^ (1 << b)), Some((d, 1)), "{d} bit {b}");
            }
        }
    }

    #[test]
    fn golden_dstar_one_frame_from_the_reference_bytes() {
        let f = decode(DSTAR, &unhex(DSTAR_RAW)).expect("every block checks");
        assert_eq!(f.data, unhex(DSTAR_FRAME));
        assert_eq!(f.corrected, 5);
        // The beacon's own CRC-16/X-25 over its first 106 bytes, little-endian.
        let payload = &f.data[2..];
        assert_eq!(
            crc_x25().checksum(&payload[..106]).to_le_bytes(),
            [payload[106], payload[107]]
        );
    }

    #[test]
    fn the_encoder_reproduces_the_error_free_reference_blocks() {
        let raw = unhex(DSTAR_RAW);
        let enc = encode(DSTAR, &unhex(DSTAR_FRAME));
        assert_eq!(enc.len(), raw.len());
        // Header and blocks 1-5 came through without errors.
        assert_eq!(enc[..3 + 5 * BLOCK_BYTES], raw[..3 + 5 * BLOCK_BYTES]);
        let diff: u32 = enc
            .iter()
            .zip(&raw)
            .map(|(a, b)| (a ^ b).count_ones())
            .sum();
        assert_eq!(diff, 5);
    }

    fn run(variant: MobitexVariant, air: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut bits = Vec::new();
        bytes_to_bits_msb(air, &mut bits);
        let mut d = Mobitex::new(variant);
        let mut out = Vec::new();
        for b in bits {
            d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    fn on_air(variant: MobitexVariant, frame: &[u8]) -> Vec<u8> {
        let mut air = Vec::new();
        for _ in 0..2 {
            air.extend_from_slice(&variant.bit_sync().to_be_bytes());
        }
        air.extend_from_slice(&variant.sync_word().to_be_bytes());
        air.extend_from_slice(&encode(variant, frame));
        air.extend_from_slice(&[0x55; 4]);
        air
    }

    #[test]
    fn streams_the_dstar_frame_in_either_polarity_with_errors_in_the_blocks() {
        let frame = unhex(DSTAR_FRAME);
        let mut air = on_air(DSTAR, &frame);
        // One wrong bit in each of 20 code words of the first block (the interleaver
        // spreads consecutive line bits over different words).
        for i in 0..20 {
            air[6 + 3 + i / 8] ^= 0x80 >> (i % 8);
        }
        for invert in [false, true] {
            let out = run(DSTAR, &air, invert);
            assert_eq!(out.len(), 1, "invert {invert}");
            assert_eq!(out[0].data, frame);
            assert_eq!(out[0].inverted, Some(invert));
            assert_eq!(
                out[0].check,
                FrameCheck::Named {
                    name: "hamming+crc16",
                    corrected: Some(20)
                }
            );
        }
    }

    #[test]
    fn two_errors_in_one_word_fail_the_frame() {
        let mut air = on_air(DSTAR, &unhex(DSTAR_FRAME));
        // Line bits 0 and 20 of block 1 are bits 0 and 1 of its first code word.
        air[6 + 3] ^= 0x80;
        air[6 + 3 + 2] ^= 0x08;
        assert!(run(DSTAR, &air, false).is_empty());
    }

    #[test]
    fn nx_frame_with_callsign_and_block_count_from_the_control_byte() {
        // Control byte 0: type 1, 3 blocks (field 2).
        let mut frame = vec![0x22, 0x10];
        let call = b"DP0TBN";
        frame.extend_from_slice(call);
        frame.extend_from_slice(&crc_xmodem().checksum(call).to_be_bytes());
        frame.extend((0..3 * BLOCK_DATA_BYTES).map(|i| (i * 7 + 3) as u8));
        let mut air = on_air(MobitexVariant::Nx, &frame);
        // Two wrong callsign bits are repaired through its CRC.
        air[6 + 3] ^= 0x01;
        air[6 + 5] ^= 0x40;
        let out = run(MobitexVariant::Nx, &air, true);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, frame);
        assert_eq!(
            out[0].check,
            FrameCheck::Named {
                name: "hamming+crc16",
                corrected: Some(2)
            }
        );
    }
}
