//! GOMspace NanoCom U482C framing (GOMX-1), as decoded by gr-satellites' `u482c_decoder`
//! and jradio's `AX100Decoder` (the reference for the frames): sync word 0xC3AA6655 (32
//! bits, up to 4 errors), a Golay(24,12)-coded field whose 12 data bits hold the length
//! in bytes (bits 7..0) and flags — 0x100 convolutional code, 0x200 CCSDS scrambler,
//! 0x400 Reed–Solomon — then that many bytes. The frame is the bytes after the optional
//! descrambling and RS(255,223) decoding (conventional basis, shortened, parity removed).
//! Only RS-coded frames have a check, so only they are emitted; frames flagged as
//! convolutionally coded are dropped (GOMX-1 does not set that flag).

use super::golay::Golay;
use super::shortened_rs::{RsParams, ShortenedRs};
use super::syncword::bits_to_bytes_msb;
use super::var_sync::{VarHit, VarSync, VarSyncConfig};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::symbol_decoder::{SoftDeframer, SoftFrame};
use crate::fec::randomizer::Randomizer;

/// The U482C sync word.
pub const U482C_SYNC: u64 = 0xC3AA_6655;
const FLAG_VITERBI: u16 = 0x100;
const FLAG_SCRAMBLER: u16 = 0x200;
const FLAG_RS: u16 = 0x400;
const RS_PARITY: usize = 32;

/// Streaming U482C deframer.
#[derive(Clone, Debug)]
pub struct U482c {
    sync: VarSync,
    golay: Golay,
    rs: ShortenedRs,
    hits: Vec<VarHit>,
}

impl U482c {
    /// Builds the deframer.
    pub fn new() -> Self {
        let sync = VarSync::new(VarSyncConfig {
            pattern: U482C_SYNC,
            len_bits: 32,
            max_errors: 4,
            accept_inverted: true,
            header_bits: 24,
            max_frame_bits: 24 + 255 * 8,
        })
        .expect("constant configuration is valid");
        Self {
            sync,
            golay: Golay::new(),
            rs: ShortenedRs::new(RsParams::CCSDS).expect("CCSDS parameters are valid"),
            hits: Vec::new(),
        }
    }

    fn field(golay: &Golay, header_bits: &[u8]) -> Option<u16> {
        let h = bits_to_bytes_msb(header_bits);
        let word = (h[0] as u32) << 16 | (h[1] as u32) << 8 | h[2] as u32;
        golay.decode(word).ok().map(|(f, _)| f)
    }

    /// A frame's bytes after the 3 header bytes, checked: (data, RS symbols corrected).
    pub fn decode(&mut self, field: u16, body: &[u8]) -> Option<(Vec<u8>, usize)> {
        if field & FLAG_VITERBI != 0 || field & FLAG_RS == 0 {
            return None;
        }
        let mut bytes = body.to_vec();
        if field & FLAG_SCRAMBLER != 0 {
            Randomizer::apply(&mut bytes);
        }
        self.rs.decode(&bytes).ok()
    }
}

impl Default for U482c {
    fn default() -> Self {
        Self::new()
    }
}

impl SoftDeframer for U482c {
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>) {
        let golay = &self.golay;
        let frame_bits = |h: &[u8]| {
            let field = Self::field(golay, h)?;
            let len = (field & 0xFF) as usize;
            (len > RS_PARITY).then_some(24 + len * 8)
        };
        self.sync
            .push(u8::from(soft > 0.0), frame_bits, &mut self.hits);
        let hits = std::mem::take(&mut self.hits);
        for h in &hits {
            let Some(field) = Self::field(&self.golay, &h.bits[..24]) else {
                continue;
            };
            let body = bits_to_bytes_msb(&h.bits[24..]);
            if let Some((data, corrected)) = self.decode(field, &body) {
                out.push(SoftFrame {
                    data,
                    check: FrameCheck::ReedSolomon { corrected },
                    inverted: Some(h.inverted),
                });
            }
        }
        self.hits = hits;
        self.hits.clear();
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
    use crate::framing::syncword::bytes_to_bits_msb;

    /// The GOMX-1 beacon jradio decodes from the recording (its Gomx1Beacon.json).
    const GOLDEN: &str = "82a78000551b0a1d79023dffe8fff00000ff8eff95ffcbff8fffb000bb003700231219fffefffdff96d5a8034a0350045016cd16bc0000203b000400020092001e00070000005101b60000013400b8fffcfffdfffcfffcfffffffe1c0051002a001c080000000000000000000000000400000000000000000000000000000000000000000000000000000000000000000000000000000000f8007c02fc00000000bf271200c06d5d003e776c00407fa3563f0508f9c3ac292b43321226c2a9a5900342aa000042aa0000c2aa0000222204054d6e04000200";

    /// Sync word, Golay field and body for `data` with the given flags.
    fn encode(data: &[u8], flags: u16) -> Vec<u8> {
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        let mut body = Vec::new();
        rs.encode(data, &mut body).unwrap();
        if flags & FLAG_SCRAMBLER != 0 {
            Randomizer::apply(&mut body);
        }
        let field = Golay::encode(flags | body.len() as u16);
        let mut tx = vec![0xAA, 0xAA, 0xC3, 0xAA, 0x66, 0x55];
        tx.extend_from_slice(&field.to_be_bytes()[1..]);
        tx.extend_from_slice(&body);
        let mut bits = Vec::new();
        bytes_to_bits_msb(&tx, &mut bits);
        bits
    }

    fn run(bits: &[u8], invert: bool) -> Vec<SoftFrame> {
        let mut d = U482c::new();
        let mut out = Vec::new();
        for &b in bits {
            d.push(if (b == 1) != invert { 1.0 } else { -1.0 }, &mut out);
        }
        out
    }

    #[test]
    fn golden_frame_round_trips_scrambled_or_not_either_polarity() {
        let data = unhex(GOLDEN);
        assert_eq!(data.len(), 216);
        for flags in [FLAG_RS, FLAG_RS | FLAG_SCRAMBLER] {
            for invert in [false, true] {
                let out = run(&encode(&data, flags), invert);
                assert_eq!(out.len(), 1, "flags {flags:#x} invert {invert}");
                assert_eq!(out[0].data, data);
                assert_eq!(out[0].inverted, Some(invert));
            }
        }
    }

    #[test]
    fn frames_without_reed_solomon_have_no_check_and_are_dropped() {
        let data = unhex(GOLDEN);
        let mut bits = encode(&data, FLAG_RS);
        // Rewrite the Golay field (bits 48..72) to say "no RS".
        let field = Golay::encode(248);
        for i in 0..24 {
            bits[48 + i] = (field >> (23 - i) & 1) as u8;
        }
        assert!(run(&bits, false).is_empty());
    }
}
