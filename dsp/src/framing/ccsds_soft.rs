//! The CCSDS concatenated code (convolutional r = 1/2 k = 7 + Reed–Solomon (255, 223))
//! sent over 2-FSK, one code symbol per FSK symbol: [`CcsdsDecoder`] in its BPSK mapping
//! (which finds the pair alignment and the polarity from the encoded ASM) behind the
//! [`SoftDeframer`] interface. Frames whose Reed–Solomon check passes come out as their
//! data part (223 bytes, fewer when the code is shortened), as jradio and gr-satellites
//! return them.
//!
//! Some transmitters send each pair as (C2, C1) instead of (C1, C2) (TRISAT: its encoded
//! marker only appears swapped, which jradio finds among its QPSK-style rotations of
//! symbol pairs). A BPSK marker search cannot see that, so two more decoders read the
//! stream with the symbols of each pair swapped, for both pair alignments. A frame is
//! found by whichever decoder matches the transmitter.

use super::asm_sync::SoftMapping;
use super::ccsds_decoder::{Cadu, CcsdsDecoder, CcsdsDecoderConfig};
use super::sync_frames::{SoftDeframer, SoftFrame};
use crate::demod::fsk_decoder::FrameCheck;
use crate::demod::fsk_demod::soft_to_i8;
use crate::fec::RsBasis;

/// Options of [`CcsdsSoft`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CcsdsSoftConfig {
    /// Bytes of the data part after RS decoding, 1..=223 (less than 223: virtual fill).
    pub data_bytes: usize,
    /// RS symbols in the dual basis (CCSDS) rather than the conventional one.
    pub dual_basis: bool,
    /// NRZ-M before the convolutional encoder (gr-satellites' "differential" precoding,
    /// BY70-1): the decoded bits are differentially decoded, which also makes BPSK's
    /// 180° ambiguity harmless.
    pub nrz_m: bool,
}

/// How one decoder reads the symbol stream.
struct Reader {
    decoder: CcsdsDecoder,
    /// Swap the symbols of each pair; pairs start at even (0) or odd (1) positions.
    swap: Option<u8>,
    /// A symbol waiting for its partner (swapped readers).
    held: Option<i8>,
    /// Symbols seen, to place pair boundaries.
    seen: u64,
}

impl Reader {
    fn feed(&mut self, symbols: &[i8], scratch: &mut Vec<i8>, cadus: &mut Vec<Cadu>) {
        let Some(phase) = self.swap else {
            self.decoder.process(symbols, cadus);
            return;
        };
        scratch.clear();
        for &s in symbols {
            if self.seen < u64::from(phase) {
                scratch.push(s);
            } else if let Some(first) = self.held.take() {
                scratch.push(s);
                scratch.push(first);
            } else {
                self.held = Some(s);
            }
            self.seen += 1;
        }
        self.decoder.process(scratch, cadus);
    }
}

/// The decoder configuration each reader runs (`data_bytes` already checked).
fn decoder_config(config: &CcsdsSoftConfig) -> CcsdsDecoderConfig {
    let mut c = CcsdsDecoderConfig::ccsds(SoftMapping::Bpsk, 1);
    c.nrz_m = config.nrz_m;
    let fill = 223 - config.data_bytes;
    if let Some(rs) = c.reed_solomon.as_mut() {
        rs.virtual_fill_symbols = fill;
        if !config.dual_basis {
            rs.basis = RsBasis::Conventional;
        }
    }
    c.deframer.frame_bytes = 255 - fill;
    // Cubesat frames come in bursts with gaps of any length between them, so a marker
    // missed where the grid puts it means the next frame starts elsewhere: search again
    // at once instead of cutting frames on the old grid (the flywheel, up to four frame
    // periods, suits Meteor's continuous stream and lost whole frames here).
    c.deframer.max_misses = 0;
    c
}

/// See the module documentation.
pub struct CcsdsSoft {
    readers: Vec<Reader>,
    symbols: Vec<i8>,
    scratch: Vec<i8>,
    cadus: Vec<Cadu>,
    frame_symbols: u64,
}

impl CcsdsSoft {
    pub fn new(config: CcsdsSoftConfig) -> Result<Self, String> {
        if !(1..=223).contains(&config.data_bytes) {
            return Err(format!(
                "CCSDS frame of {} data bytes outside 1..=223",
                config.data_bytes
            ));
        }
        let c = decoder_config(&config);
        let fill = 223 - config.data_bytes;
        let mut readers = Vec::new();
        for swap in [None, Some(0), Some(1)] {
            readers.push(Reader {
                decoder: CcsdsDecoder::new(c).map_err(|e| e.to_string())?,
                swap,
                held: None,
                seen: 0,
            });
        }
        Ok(Self {
            readers,
            symbols: Vec::new(),
            scratch: Vec::new(),
            cadus: Vec::new(),
            // ASM + codeblock, two code symbols per bit.
            frame_symbols: 2 * 8 * (4 + 255 - fill) as u64,
        })
    }
}

impl SoftDeframer for CcsdsSoft {
    fn process(&mut self, soft: &[f32], output: &mut Vec<SoftFrame>) {
        self.symbols.clear();
        self.symbols.extend(soft.iter().map(|&s| soft_to_i8(s)));
        self.cadus.clear();
        for r in &mut self.readers {
            r.feed(&self.symbols, &mut self.scratch, &mut self.cadus);
        }
        for c in self.cadus.drain(..) {
            if !c.rs_ok {
                continue;
            }
            output.push(SoftFrame {
                data: c.vcdu().to_vec(),
                check: FrameCheck::ReedSolomon {
                    corrected: c.rs_corrected,
                },
                // The marker search resolves polarity as a phase ambiguity; not reported.
                inverted: None,
                end_symbol: c.symbol_index + self.frame_symbols - 1,
            });
        }
    }

    fn reset(&mut self) {
        for r in &mut self.readers {
            r.decoder.reset();
            r.held = None;
            r.seen = 0;
        }
        self.symbols.clear();
        self.cadus.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::ccsds_encoder::{CcsdsEncoder, CcsdsEncoderConfig};

    #[test]
    fn round_trip_inverted_and_odd_aligned_in_chunks() {
        let data: Vec<u8> = (0..223u32).map(|i| (i * 37 + 11) as u8).collect();
        let cfg = CcsdsDecoderConfig::ccsds(SoftMapping::Bpsk, 1);
        let mut enc = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&cfg)).unwrap();
        let mut bits = Vec::new();
        // Idle before and after, so the encoder's register runs through the marker.
        enc.encode_wire_bytes(&[0x55; 40], &mut bits);
        enc.encode_frame(&data, &mut bits).unwrap();
        enc.encode_wire_bytes(&[0x55; 200], &mut bits);
        let mut soft: Vec<f32> = vec![0.3; 77];
        soft.extend(bits.iter().map(|&b| if b == 1 { -1.0 } else { 1.0 }));
        // The same frame again with the symbols of each pair swapped (C2, C1).
        soft.extend(vec![0.3; 500]);
        for p in bits.chunks(2) {
            for &b in p.iter().rev() {
                soft.push(if b == 1 { 1.0 } else { -1.0 });
            }
        }
        let mut d = CcsdsSoft::new(CcsdsSoftConfig {
            data_bytes: 223,
            dual_basis: true,
            nrz_m: false,
        })
        .unwrap();
        let mut out = Vec::new();
        for c in soft.chunks(1000) {
            d.process(c, &mut out);
        }
        assert_eq!(out.len(), 2);
        assert!(out.iter().all(|f| f.data == data));
    }

    /// BY70-1's framing (114-byte frames, RS shortened, conventional basis, NRZ-M
    /// before the encoder) and an encoder that matches it.
    fn by70_1() -> (CcsdsSoftConfig, CcsdsEncoder) {
        let config = CcsdsSoftConfig {
            data_bytes: 114,
            dual_basis: false,
            nrz_m: true,
        };
        let enc =
            CcsdsEncoder::new(CcsdsEncoderConfig::matching(&decoder_config(&config))).unwrap();
        (config, enc)
    }

    /// Frames sent with idle fill of irregular lengths between them, as BY70-1 does
    /// (frames 0.25 s or 0.4 s apart on a continuous carrier): each frame is found, none
    /// lost to a flywheel still cutting frames on the previous grid.
    #[test]
    fn frames_after_irregular_idle_gaps_all_decode() {
        let (config, mut enc) = by70_1();
        let frames: Vec<Vec<u8>> = (0..8u8)
            .map(|k| {
                (0..114u8)
                    .map(|i| i.wrapping_mul(29) ^ k.wrapping_mul(71))
                    .collect()
            })
            .collect();
        let gaps_bytes = [0usize, 13, 0, 0, 57, 3, 0, 101];
        let mut bits = Vec::new();
        enc.encode_wire_bytes(&[0x55; 20], &mut bits);
        for (frame, &gap) in frames.iter().zip(&gaps_bytes) {
            enc.encode_frame(frame, &mut bits).unwrap();
            enc.encode_wire_bytes(&vec![0x55; gap], &mut bits);
        }
        enc.encode_wire_bytes(&[0x55; 100], &mut bits);
        let soft: Vec<f32> = bits
            .iter()
            .map(|&b| if b == 1 { -1.0 } else { 1.0 })
            .collect();
        let mut d = CcsdsSoft::new(config).unwrap();
        let mut out = Vec::new();
        for c in soft.chunks(1000) {
            d.process(c, &mut out);
        }
        // Which of the sent frames came out, in order (None: bytes not sent).
        let got: Vec<Option<usize>> = out
            .iter()
            .map(|f| frames.iter().position(|s| *s == f.data))
            .collect();
        assert_eq!(got, (0..frames.len()).map(Some).collect::<Vec<_>>());
    }

    /// BY70-1: 114-byte frames (RS shortened to (146, 114), conventional basis) with
    /// NRZ-M before the encoder, sent over BPSK whose phase the receiver may have the
    /// wrong way round. Golden vector: the first frame `cubesat-by701-grsat` decodes to
    /// (a KISS-framed image chunk), re-encoded.
    #[test]
    fn by70_1_differential_shortened_conventional_either_polarity() {
        let data = crate::framing::sync_frames::hex(
            "c0b86422001200000000c83a00dbdc010008144291a1b1c109233352f0156272d10a162434e1\
             25f11718191a262728292a35363738393a434445464748494a535455565758595a636465666768\
             696a73741d21000053e69fb4c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0c0",
        );
        assert_eq!(data.len(), 114);
        let (config, mut enc) = by70_1();
        let mut bits = Vec::new();
        enc.encode_wire_bytes(&[0x55; 20], &mut bits);
        enc.encode_frame(&data, &mut bits).unwrap();
        enc.encode_wire_bytes(&[0x55; 100], &mut bits);
        for polarity in [1.0f32, -1.0] {
            let mut d = CcsdsSoft::new(config).unwrap();
            let soft: Vec<f32> = bits
                .iter()
                .map(|&b| polarity * if b == 1 { 1.0 } else { -1.0 })
                .collect();
            let mut out = Vec::new();
            for c in soft.chunks(333) {
                d.process(c, &mut out);
            }
            assert_eq!(out.len(), 1, "polarity {polarity}");
            assert_eq!(out[0].data, data);
            // Without NRZ-M decoding the same symbols give nothing.
            let mut plain = CcsdsSoft::new(CcsdsSoftConfig {
                nrz_m: false,
                ..config
            })
            .unwrap();
            let mut none = Vec::new();
            plain.process(&soft, &mut none);
            assert!(none.is_empty());
        }
    }
}
