//! GOMspace NanoCom AX100 framings (as decoded by gr-satellites' `ax100_deframer` and
//! jradio's `AX100Decoder`/`Ca03`):
//!
//! * **ASM+Golay** ("Mode 5"): 32-bit ASM 0x930B51DE, a 24-bit Golay(24,12) word whose 12
//!   data bits hold the length in bytes (bits 7..0) and flags (0x100 convolutional code,
//!   0x200 scrambler, 0x400 Reed–Solomon), then that many bytes, CCSDS-randomised, forming
//!   a shortened CCSDS RS(255,223) codeword (conventional basis). Scrambler and RS are
//!   applied whatever the flags say (both decoders force them); frames flagged as
//!   convolutionally coded are not supported and are dropped.
//! * **RS** ("Mode 6"): the whole bit stream is G3RUH-scrambled; after descrambling comes
//!   the same ASM, one length byte L, and an L-byte shortened RS(255,223) codeword.
//!
//! Input is hard bits (one per `u8`) in transmission order. Both polarities are accepted:
//! an inverted stream shows the complemented ASM (G3RUH descrambling an inverted stream
//! gives the inverted data), and the following bits are re-inverted.

use super::g3ruh::G3ruh;
use super::golay::Golay;
use super::shortened_rs::{RsParams, ShortenedRs};
use super::syncword::{bits_to_bytes_msb, SyncHit, SyncWord, SyncWordConfig};

/// The AX100 attached sync marker.
pub const AX100_ASM: u64 = 0x930B_51DE;

/// Which AX100 framing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ax100Mode {
    /// ASM + Golay-coded length + CCSDS randomiser + RS.
    AsmGolay,
    /// G3RUH-scrambled stream, ASM + length byte + RS.
    ReedSolomon,
}

/// Configuration of [`Ax100`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Ax100Config {
    /// Framing mode.
    pub mode: Ax100Mode,
    /// Bit errors allowed in the 32-bit ASM.
    pub sync_max_errors: u32,
}

impl Ax100Config {
    /// gr-satellites' default syncword threshold for the AX100 deframer is 4 bit errors.
    pub fn new(mode: Ax100Mode) -> Self {
        Self {
            mode,
            sync_max_errors: 4,
        }
    }
}

/// A frame that passed Reed–Solomon decoding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ax100Frame {
    /// Decoded bytes (RS parity removed): usually a CSP packet, header first.
    pub data: Vec<u8>,
    /// Symbols corrected by Reed–Solomon.
    pub rs_corrected: usize,
    /// Bits corrected in the Golay length field (ASM+Golay mode only).
    pub golay_corrected: Option<u32>,
    /// Bit errors in the ASM.
    pub sync_errors: u32,
    /// Whether the stream was inverted.
    pub inverted: bool,
    /// Input bit index of the last bit of the frame.
    pub end_bit: u64,
}

/// Error from [`Ax100::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ax100Error(pub String);

impl std::fmt::Display for Ax100Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AX100: {}", self.0)
    }
}

impl std::error::Error for Ax100Error {}

#[derive(Clone, Debug)]
struct Body {
    hit: SyncHit,
    golay_corrected: Option<u32>,
    need_bits: usize,
    bits: Vec<u8>,
}

/// Streaming AX100 deframer and decoder.
#[derive(Clone, Debug)]
pub struct Ax100 {
    config: Ax100Config,
    sync: SyncWord,
    g3ruh: G3ruh,
    golay: Golay,
    rs: ShortenedRs,
    randomizer: [u8; 255],
    bodies: Vec<Body>,
    hits: Vec<SyncHit>,
    bit_index: u64,
}

const RS_PARITY: usize = 32;
const MAX_BODIES: usize = 64;

/// CCSDS pseudo-randomiser h(x) = x^8 + x^7 + x^5 + x^3 + 1, all-ones start
/// (CCSDS 131.0-B-4 §10.4): a[n] = a[n-1] ^ a[n-3] ^ a[n-5] ^ a[n-8].
fn ccsds_randomizer() -> [u8; 255] {
    let mut a = [1u8; 255 * 8];
    for n in 8..a.len() {
        a[n] = a[n - 1] ^ a[n - 3] ^ a[n - 5] ^ a[n - 8];
    }
    let mut out = [0u8; 255];
    for (i, o) in out.iter_mut().enumerate() {
        *o = a[i * 8..i * 8 + 8]
            .iter()
            .fold(0u8, |acc, &b| (acc << 1) | b);
    }
    out
}

impl Ax100 {
    /// Builds the deframer.
    pub fn new(config: Ax100Config) -> Result<Self, Ax100Error> {
        let header_bits = match config.mode {
            Ax100Mode::AsmGolay => 24,
            Ax100Mode::ReedSolomon => 8,
        };
        let sync = SyncWord::new(SyncWordConfig {
            pattern: AX100_ASM,
            len_bits: 32,
            max_errors: config.sync_max_errors,
            frame_bits: header_bits,
            accept_inverted: true,
        })
        .map_err(|e| Ax100Error(e.to_string()))?;
        let rs = ShortenedRs::new(RsParams::CCSDS).map_err(|e| Ax100Error(e.to_string()))?;
        Ok(Self {
            config,
            sync,
            g3ruh: G3ruh::new(),
            golay: Golay::new(),
            rs,
            randomizer: ccsds_randomizer(),
            bodies: Vec::new(),
            hits: Vec::new(),
            bit_index: 0,
        })
    }

    fn start_body(&mut self, hit: SyncHit) {
        let header = bits_to_bytes_msb(&hit.bits);
        let (len, golay_corrected) = match self.config.mode {
            Ax100Mode::AsmGolay => {
                let word = (header[0] as u32) << 16 | (header[1] as u32) << 8 | header[2] as u32;
                match self.golay.decode(word) {
                    Ok((field, errs)) if field & 0x100 == 0 => {
                        ((field & 0xFF) as usize, Some(errs))
                    }
                    _ => return,
                }
            }
            Ax100Mode::ReedSolomon => (header[0] as usize, None),
        };
        if len <= RS_PARITY || self.bodies.len() >= MAX_BODIES {
            return;
        }
        self.bodies.push(Body {
            hit,
            golay_corrected,
            need_bits: len * 8,
            bits: Vec::with_capacity(len * 8),
        });
    }

    fn finish_body(&mut self, body: Body, output: &mut Vec<Ax100Frame>) {
        let mut bytes = bits_to_bytes_msb(&body.bits);
        if self.config.mode == Ax100Mode::AsmGolay {
            for (b, r) in bytes.iter_mut().zip(self.randomizer.iter()) {
                *b ^= r;
            }
        }
        if let Ok((data, rs_corrected)) = self.rs.decode(&bytes) {
            output.push(Ax100Frame {
                data,
                rs_corrected,
                golay_corrected: body.golay_corrected,
                sync_errors: body.hit.errors,
                inverted: body.hit.inverted,
                end_bit: self.bit_index,
            });
        }
    }

    /// Consumes hard bits, appending every frame that passes Reed–Solomon to `output`.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<Ax100Frame>) {
        for &raw in input {
            let b = match self.config.mode {
                Ax100Mode::AsmGolay => raw & 1,
                Ax100Mode::ReedSolomon => self.g3ruh.descramble_bit(raw),
            };
            let mut i = 0;
            while i < self.bodies.len() {
                let body = &mut self.bodies[i];
                body.bits.push(b ^ u8::from(body.hit.inverted));
                if body.bits.len() == body.need_bits {
                    let done = self.bodies.swap_remove(i);
                    self.finish_body(done, output);
                } else {
                    i += 1;
                }
            }
            self.sync.process(&[b], &mut self.hits);
            while let Some(hit) = self.hits.pop() {
                self.start_body(hit);
            }
            self.bit_index += 1;
        }
    }

    /// Drops frames in progress and all history.
    pub fn reset(&mut self) {
        self.sync.reset();
        self.g3ruh.reset();
        self.bodies.clear();
        self.hits.clear();
        self.bit_index = 0;
    }

    /// Builds the on-air bits of one frame carrying `data` (for tests and signal
    /// synthesis): ASM, header, RS parity, CCSDS randomiser (ASM+Golay) or G3RUH over the
    /// whole output (RS mode, scrambler state `g3ruh` carried by the caller).
    pub fn encode(
        mode: Ax100Mode,
        data: &[u8],
        g3ruh: &mut G3ruh,
        output: &mut Vec<u8>,
    ) -> Result<(), Ax100Error> {
        if data.len() > 255 - RS_PARITY {
            return Err(Ax100Error(format!(
                "{} data bytes exceed {}",
                data.len(),
                255 - RS_PARITY
            )));
        }
        let mut rs = ShortenedRs::new(RsParams::CCSDS).map_err(|e| Ax100Error(e.to_string()))?;
        let mut cw = Vec::new();
        rs.encode(data, &mut cw)
            .map_err(|e| Ax100Error(e.to_string()))?;
        let mut bytes = AX100_ASM.to_be_bytes()[4..].to_vec();
        match mode {
            Ax100Mode::AsmGolay => {
                // Flags: scrambler and RS in use.
                let word = Golay::encode(0x600 | cw.len() as u16);
                bytes.extend_from_slice(&word.to_be_bytes()[1..]);
                let r = ccsds_randomizer();
                bytes.extend(cw.iter().zip(r.iter()).map(|(a, b)| a ^ b));
            }
            Ax100Mode::ReedSolomon => {
                bytes.push(cw.len() as u8);
                bytes.extend_from_slice(&cw);
            }
        }
        let mut bits = Vec::with_capacity(bytes.len() * 8);
        super::syncword::bytes_to_bits_msb(&bytes, &mut bits);
        match mode {
            Ax100Mode::AsmGolay => output.extend_from_slice(&bits),
            Ax100Mode::ReedSolomon => g3ruh.scramble(&bits, output),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn randomizer_first_bytes() {
        // CCSDS 131.0-B-4 §10.4.1: the sequence begins FF 48 0E C0 9A 0D 70 BC.
        assert_eq!(
            ccsds_randomizer()[..8],
            [0xFF, 0x48, 0x0E, 0xC0, 0x9A, 0x0D, 0x70, 0xBC]
        );
    }

    fn run(mode: Ax100Mode, invert: bool, errors: &[usize]) -> Vec<Ax100Frame> {
        let data: Vec<u8> = (0..40u8).map(|i| i.wrapping_mul(13) ^ 0x5A).collect();
        let mut g = G3ruh::new();
        let preamble = [0u8, 1, 1, 0, 1, 0, 0, 1].repeat(12);
        let mut bits = Vec::new();
        match mode {
            Ax100Mode::AsmGolay => bits.extend_from_slice(&preamble),
            Ax100Mode::ReedSolomon => g.scramble(&preamble, &mut bits),
        }
        Ax100::encode(mode, &data, &mut g, &mut bits).unwrap();
        let mut tail = Vec::new();
        g.scramble(&[0; 64], &mut tail);
        bits.extend(tail);
        for &e in errors {
            bits[e] ^= 1;
        }
        if invert {
            bits.iter_mut().for_each(|b| *b ^= 1);
        }
        let mut out = Vec::new();
        let mut ax = Ax100::new(Ax100Config::new(mode)).unwrap();
        for c in bits.chunks(29) {
            ax.process(c, &mut out);
        }
        assert!(out.iter().all(|f| f.data == data));
        out
    }

    #[test]
    fn asm_golay_round_trip_both_polarities_with_errors() {
        // errors: 2 in the ASM, 2 in the Golay word, a burst in the body
        let errs = [96 + 3, 96 + 20, 128 + 1, 128 + 15, 200, 201, 202, 203, 300];
        for inv in [false, true] {
            let out = run(Ax100Mode::AsmGolay, inv, &errs);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].sync_errors, 2);
            assert_eq!(out[0].golay_corrected, Some(2));
            assert_eq!(out[0].rs_corrected, 2);
            assert_eq!(out[0].inverted, inv);
        }
    }

    #[test]
    fn rs_mode_round_trip_both_polarities() {
        for inv in [false, true] {
            let out = run(Ax100Mode::ReedSolomon, inv, &[]);
            assert_eq!(out.len(), 1);
            assert_eq!(out[0].rs_corrected, 0);
            assert_eq!(out[0].inverted, inv);
        }
    }
}
