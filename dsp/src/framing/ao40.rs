//! AMSAT AO-40 FEC frames, as FUNcube (AO-73), JY1SAT and their kin send them (Phil
//! Karn's "coded AO-40 telemetry format", 2002).
//!
//! Transmit side, for one frame of 256 data bytes:
//! 1. two Reed–Solomon codewords, CCSDS (255,223) code in the *conventional* basis,
//!    shortened to (160,128) and interleaved byte by byte (even bytes in one, odd in
//!    the other): 256 data + 64 parity bytes;
//! 2. the 320 bytes are XORed with a scrambler sequence (LFSR 0x95, seed 0xFF);
//! 3. convolutional code r = 1/2, K = 7, the CCSDS generators with C2 inverted, plus six
//!    zero tail bits: 5132 channel symbols;
//! 4. a 65 × 80 block interleaver: row `i` starts with sync bit `i` of a 65-bit
//!    pseudo-random vector (LFSR 0x48, seed 0x7F), so a sync bit is every 80th bit on
//!    the air; code symbol `k` goes to column `k / 65 + 1` of row `k mod 65`.
//!
//! 5200 bits a frame. SMOG-P / ATL-1 send a *short* variant ([`Ao40Format::Short`], Lóránt
//! Szabó's revision for SMOG-1): 128 data bytes, one RS(160,128) codeword, the same
//! scrambler and code, and a 52 × 51 interleaver filled column-wise (channel bit `j` at
//! `51·(j mod 52) + j / 52`) whose first 80 inputs are pilot bits from the same sync LFSR:
//! 2652 bits a frame.
//!
//! The receiver slides over the bit stream looking for the 65 sync
//! bits 80 apart (either polarity: the deframer does not need to know how the
//! demodulator resolved its phase ambiguity), then undoes the four steps with a soft
//! Viterbi decoder. Only frames whose two codewords decode come out.

use std::collections::VecDeque;

use crate::fec::conv_encoder::{ConvEncoder, ConvEncoderConfig};
use crate::fec::reed_solomon::{ReedSolomon, ReedSolomonConfig, RsBasis};
use crate::fec::viterbi::{Viterbi, ViterbiConfig};

/// Bits on the air per (long) frame.
pub const FRAME_BITS: usize = 5200;
/// Data bytes per (long) frame.
pub const DATA_BYTES: usize = 256;
/// Rows of the long interleaver (= sync bits).
const ROWS: usize = 65;
/// Bits per long interleaver row (sync bit + 79 code symbols).
const ROW_BITS: usize = 80;
/// Short frame: interleaver rows and row length, pilot bits.
const SHORT_ROWS: usize = 52;
const SHORT_STEP: usize = 51;
const SHORT_PILOTS: usize = 80;
/// Fraction of the pilot bits that may be wrong. By chance 65 random bits come within 10
/// of the vector (in either polarity) with probability about 1e-8 per position.
const MAX_SYNC_ERROR_FRACTION: f64 = 10.0 / 65.0;

/// Long (FUNcube, 256 bytes) or short (SMOG-P, 128 bytes) frames.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ao40Format {
    Long,
    Short,
}

impl Ao40Format {
    /// Data bytes per frame.
    pub fn data_bytes(self) -> usize {
        match self {
            Ao40Format::Long => DATA_BYTES,
            Ao40Format::Short => 128,
        }
    }

    /// Bits on the air per frame.
    pub fn frame_bits(self) -> usize {
        match self {
            Ao40Format::Long => FRAME_BITS,
            Ao40Format::Short => SHORT_ROWS * SHORT_STEP,
        }
    }

    /// Reed–Solomon codeblock bytes (data + 32 parity per codeword).
    fn coded_bytes(self) -> usize {
        match self {
            Ao40Format::Long => 320,
            Ao40Format::Short => 160,
        }
    }

    /// Convolutional code symbols: (coded bytes + 6 tail bits) × 2.
    fn code_symbols(self) -> usize {
        (self.coded_bytes() * 8 + 6) * 2
    }

    fn pilots(self) -> usize {
        match self {
            Ao40Format::Long => ROWS,
            Ao40Format::Short => SHORT_PILOTS,
        }
    }

    /// Frame positions of the pilot (sync) bits, in the order the LFSR makes them.
    fn pilot_positions(self) -> Vec<usize> {
        match self {
            Ao40Format::Long => (0..ROWS).map(|i| i * ROW_BITS).collect(),
            Ao40Format::Short => (0..SHORT_PILOTS).map(short_position).collect(),
        }
    }

    /// Frame positions of the code symbols, in code order.
    fn symbol_positions(self) -> Vec<usize> {
        let n = self.code_symbols();
        match self {
            Ao40Format::Long => (0..n)
                .map(|k| (k % ROWS) * ROW_BITS + 1 + k / ROWS)
                .collect(),
            Ao40Format::Short => (0..n).map(|k| short_position(SHORT_PILOTS + k)).collect(),
        }
    }

    fn reed_solomon(self) -> ReedSolomon {
        ReedSolomon::new(ReedSolomonConfig {
            interleave_depth: self.coded_bytes() / 160,
            basis: RsBasis::Conventional,
            correctable_symbols: 16,
            virtual_fill_symbols: 255 - 160,
        })
        .expect("AO-40 Reed-Solomon parameters are valid")
    }
}

/// Short interleaver: the `j`-th bit written goes to this frame position.
fn short_position(j: usize) -> usize {
    SHORT_STEP * (j % SHORT_ROWS) + j / SHORT_ROWS
}

fn parity(x: u32) -> u8 {
    (x.count_ones() & 1) as u8
}

/// The first `n` bits of the sync (pilot) LFSR: the long frame's 65 sync bits, in order
/// of transmission, or the short frame's 80 pilot bits in the order they are written.
pub fn sync_vector(n: usize) -> Vec<u8> {
    let mut v = vec![0u8; n];
    let mut sr: u32 = 0x7f;
    for b in v.iter_mut() {
        *b = u8::from(sr & 0x40 != 0);
        sr = (sr << 1) | parity(sr & 0x48) as u32;
    }
    v
}

/// The scrambler sequence XORed onto the 320 coded bytes (the first 160 for short frames).
pub fn scrambler() -> [u8; 320] {
    let mut s = [0u8; 320];
    let mut sr: u32 = 0xff;
    for b in s.iter_mut() {
        *b = sr as u8;
        for _ in 0..8 {
            sr = ((sr << 1) | parity(sr & 0x95) as u32) & 0xff;
        }
    }
    s
}

/// Encodes one frame's data bytes ([`Ao40Format::data_bytes`] of them) into its bits
/// (0/1), in order of transmission.
pub fn encode(format: Ao40Format, data: &[u8]) -> Vec<u8> {
    assert_eq!(data.len(), format.data_bytes(), "one frame of data");
    let mut block = vec![0u8; format.coded_bytes()];
    block[..data.len()].copy_from_slice(data);
    format
        .reed_solomon()
        .encode(&mut block)
        .expect("the block is one codeblock long");
    for (b, s) in block.iter_mut().zip(scrambler()) {
        *b ^= s;
    }
    let mut enc = ConvEncoder::new(ConvEncoderConfig::CCSDS);
    let mut symbols = Vec::with_capacity(format.code_symbols());
    enc.encode_bytes(&block, &mut symbols);
    enc.process(&[0; 6], &mut symbols);
    let mut frame = vec![0u8; format.frame_bits()];
    for (&p, s) in format
        .pilot_positions()
        .iter()
        .zip(sync_vector(format.pilots()))
    {
        frame[p] = s;
    }
    for (&p, &s) in format.symbol_positions().iter().zip(&symbols) {
        frame[p] = s;
    }
    frame
}

/// A decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ao40Frame {
    /// The data bytes (256, or 128 for short frames).
    pub data: Vec<u8>,
    /// Reed–Solomon symbols corrected over both codewords.
    pub rs_corrected: usize,
    /// The bits came in inverted.
    pub inverted: bool,
    /// Index (from 0, over everything given to `process`) of the frame's last bit.
    pub end_bit: u64,
}

/// Streaming AO-40 deframer: soft bits in (`> 0` decides 1; about ±1 when clean), checked
/// frames out.
pub struct Ao40Deframer {
    format: Ao40Format,
    sync: Vec<u8>,
    pilot_positions: Vec<usize>,
    symbol_positions: Vec<usize>,
    max_sync_errors: usize,
    scrambler: [u8; 320],
    rs: ReedSolomon,
    window: VecDeque<f32>,
    bits_in: u64,
    /// No sync test before this bit index (the rest of a decoded frame).
    quiet_until: u64,
}

impl std::fmt::Debug for Ao40Deframer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ao40Deframer")
            .field("bits_in", &self.bits_in)
            .finish()
    }
}

impl Ao40Deframer {
    pub fn new(format: Ao40Format) -> Self {
        let n = format.pilots();
        Ao40Deframer {
            format,
            sync: sync_vector(n),
            pilot_positions: format.pilot_positions(),
            symbol_positions: format.symbol_positions(),
            max_sync_errors: (n as f64 * MAX_SYNC_ERROR_FRACTION).round() as usize,
            scrambler: scrambler(),
            rs: format.reed_solomon(),
            window: VecDeque::with_capacity(format.frame_bits() + 1),
            bits_in: 0,
            quiet_until: 0,
        }
    }

    pub fn reset(&mut self) {
        self.window.clear();
        self.bits_in = 0;
        self.quiet_until = 0;
    }

    /// Consumes soft bits, appending every frame that decodes.
    pub fn process(&mut self, soft: &[f32], out: &mut Vec<Ao40Frame>) {
        let frame_bits = self.format.frame_bits();
        let n = self.sync.len();
        for &s in soft {
            self.window.push_back(s);
            if self.window.len() > frame_bits {
                self.window.pop_front();
            }
            self.bits_in += 1;
            if self.window.len() < frame_bits || self.bits_in < self.quiet_until {
                continue;
            }
            let errors = self
                .sync
                .iter()
                .zip(&self.pilot_positions)
                .filter(|&(&b, &p)| u8::from(self.window[p] > 0.0) != b)
                .count();
            let inverted = errors > n / 2;
            if errors.min(n - errors) > self.max_sync_errors {
                continue;
            }
            if let Some(mut f) = self.decode(inverted) {
                f.end_bit = self.bits_in - 1;
                out.push(f);
                // The next frame cannot start inside this one.
                self.quiet_until = self.bits_in + frame_bits as u64 - 1;
            }
        }
    }

    fn decode(&self, inverted: bool) -> Option<Ao40Frame> {
        let sign = if inverted { -1.0 } else { 1.0 };
        let soft: Vec<i8> = self
            .symbol_positions
            .iter()
            .map(|&p| {
                let v = sign * self.window[p] * 64.0;
                v.round().clamp(-127.0, 127.0) as i8
            })
            .collect();
        let mut viterbi = Viterbi::new(ViterbiConfig::CCSDS).ok()?;
        let mut bits = Vec::with_capacity(soft.len() / 2);
        viterbi.process(&soft, &mut bits);
        viterbi.flush(&mut bits);
        let coded = self.format.coded_bytes();
        if bits.len() < coded * 8 {
            return None;
        }
        let mut block = vec![0u8; coded];
        for (i, b) in block.iter_mut().enumerate() {
            let byte = bits[i * 8..i * 8 + 8]
                .iter()
                .fold(0u8, |a, &x| (a << 1) | (x & 1));
            *b = byte ^ self.scrambler[i];
        }
        let corrected = self.rs.decode(&mut block).ok()?;
        Some(Ao40Frame {
            data: block[..self.format.data_bytes()].to_vec(),
            rs_corrected: corrected,
            inverted,
            end_bit: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrambler_and_sync_start_as_published() {
        // First scrambler bytes of the AO-40 reference encoder's sequence.
        assert_eq!(
            scrambler()[..8],
            [0xff, 0x48, 0x0e, 0xc0, 0x9a, 0x0d, 0x70, 0xbc]
        );
        // The short frame's pilot pattern as SMOG-P's decoders correlate it (the 52
        // pilot bits that start the rows).
        let want = "1111111000011101111001011001001000000100010011000101";
        let got: String = sync_vector(52)
            .iter()
            .map(|&b| char::from(b'0' + b))
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn every_position_of_the_frame_is_used_once() {
        for (format, free) in [(Ao40Format::Long, 3), (Ao40Format::Short, 0)] {
            let mut used = vec![false; format.frame_bits()];
            for p in format
                .pilot_positions()
                .into_iter()
                .chain(format.symbol_positions())
            {
                assert!(!used[p], "{format:?}: position {p} twice");
                used[p] = true;
            }
            // Long: 5200 − 65 sync − 5132 symbols leaves three positions free.
            assert_eq!(used.iter().filter(|&&u| !u).count(), free, "{format:?}");
        }
    }

    fn frame_data(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
            .collect()
    }

    fn to_soft(bits: &[u8]) -> Vec<f32> {
        bits.iter()
            .map(|&b| if b == 1 { 1.0 } else { -1.0 })
            .collect()
    }

    fn round_trip(format: Ao40Format) {
        let n = format.data_bytes();
        let a = frame_data(n, 1);
        let b = frame_data(n, 200);
        let mut stream: Vec<f32> = (0..777)
            .map(|i| if i % 3 == 0 { 0.5 } else { -0.7 })
            .collect();
        stream.extend(to_soft(&encode(format, &a)));
        let mut second = to_soft(&encode(format, &b));
        second.iter_mut().for_each(|s| *s = -*s);
        // Flip one bit in 35: the code and the interleaver take them.
        for i in (0..second.len()).step_by(35) {
            second[i] = -second[i];
        }
        stream.extend(second);
        stream.extend(std::iter::repeat_n(0.1, 100));
        let mut d = Ao40Deframer::new(format);
        let mut out = Vec::new();
        for c in stream.chunks(999) {
            d.process(c, &mut out);
        }
        assert_eq!(out.len(), 2, "{format:?}: {out:?}");
        assert_eq!(out[0].data, a);
        assert!(!out[0].inverted);
        assert_eq!(out[0].rs_corrected, 0);
        assert_eq!(out[0].end_bit, 777 + format.frame_bits() as u64 - 1);
        assert_eq!(out[1].data, b);
        assert!(out[1].inverted);
    }

    #[test]
    fn long_frames_round_trip_with_errors_and_inversion() {
        round_trip(Ao40Format::Long);
    }

    #[test]
    fn short_frames_round_trip_with_errors_and_inversion() {
        round_trip(Ao40Format::Short);
    }

    #[test]
    fn noise_gives_no_frame() {
        let mut x: u32 = 12345;
        let noise: Vec<f32> = (0..30_000)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                (x as f32 / u32::MAX as f32) * 2.0 - 1.0
            })
            .collect();
        for format in [Ao40Format::Long, Ao40Format::Short] {
            let mut out = Vec::new();
            Ao40Deframer::new(format).process(&noise, &mut out);
            assert!(out.is_empty());
        }
    }
}
