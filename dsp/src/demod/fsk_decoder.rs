//! Receiver audio in, checked frames out: [`FskDemod`] followed by the deframer a
//! [`FskFraming`] names. Polarity is handled without configuration: NRZI (AX.25) does not
//! depend on it, and every sync-word framing also accepts the complemented sync word and
//! re-inverts what follows. Only frames whose CRC or Reed–Solomon check passes come out,
//! once each.
//!
//! AX.25 frames that fail their FCS get a second chance from the soft symbols: the least
//! reliable line bits are flipped, one at a time and then in pairs, and the frame is
//! decoded again (the idea of Dire Wolf's "fix bits"). Flipping *line* bits, before the
//! G3RUH descrambler and NRZI, matters: one line error becomes up to six data errors
//! after them. A repaired frame must pass the FCS and parse as AX.25, and is reported as
//! [`FrameCheck::Crc16Repaired`].

use super::fsk_demod::{FskDemod, FskDemodConfig};
use crate::framing::ax100::{Ax100, Ax100Config, Ax100Frame, Ax100Mode};
use crate::framing::ax25::Ax25Frame;
use crate::framing::g3ruh::{G3ruh, Nrzi};
use crate::framing::hdlc::{Hdlc, HdlcConfig, HdlcFrame};
use crate::framing::syncword_frame::{
    CheckedFrame, SyncWordFrame, SyncWordFrameConfig, SyncWordFrameFormat,
};
use std::collections::VecDeque;

/// Link-layer framing after the FSK demodulator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FskFraming {
    /// AX.25 over G3RUH-scrambled NRZI (9k6 "G3RUH" packet).
    Ax25G3ruh,
    /// AX.25 over plain NRZI.
    Ax25Nrzi,
    /// GOMspace AX100 ASM + Golay length + CCSDS randomiser + RS.
    Ax100AsmGolay,
    /// GOMspace AX100 RS mode (G3RUH-scrambled).
    Ax100Rs,
    /// Lucky-7 (sync 0x2DD4, PN9, CRC-16).
    Lucky7,
    /// TT-64 (sync 0x2DD4, RS(64,48), CRC-16).
    Tt64,
}

/// Which check a frame passed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameCheck {
    /// A CRC-16 matched.
    Crc16,
    /// A CRC-16 matched after flipping this many low-confidence line bits.
    Crc16Repaired {
        /// Line bits flipped (1 or 2).
        flipped_bits: u8,
    },
    /// Reed–Solomon decoding succeeded after correcting this many symbols.
    ReedSolomon {
        /// Symbols corrected.
        corrected: usize,
    },
    /// Reed–Solomon succeeded and a CRC-16 inside the decoded data matched.
    ReedSolomonCrc16 {
        /// Symbols corrected.
        corrected: usize,
    },
    /// Reed–Solomon succeeded and a CRC-32 inside the decoded data matched.
    ReedSolomonCrc32 {
        /// Symbols corrected.
        corrected: usize,
    },
    /// A framing's own check passed (e.g. S-NET's BCH + CRC-13/CRC-5), named as the
    /// frame records write it; `corrected` counts bits or symbols its FEC repaired.
    Named {
        /// Check name, e.g. "bch+crc13".
        name: &'static str,
        /// Bits or symbols corrected, when the framing has FEC.
        corrected: Option<usize>,
    },
}

/// A frame that passed its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedFrame {
    /// Frame bytes (AX.25: without FCS; AX100: RS-decoded data; see the framing docs).
    pub data: Vec<u8>,
    /// The check it passed.
    pub check: FrameCheck,
    /// Index of the audio sample at which the frame's last symbol was decided.
    pub end_sample: u64,
    /// Whether the bit stream was inverted (None where the framing cannot tell).
    pub inverted: Option<bool>,
}

/// Configuration of [`FskDecoder`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FskDecoderConfig {
    /// Audio sample rate.
    pub sample_rate_hz: f64,
    /// Symbol rate.
    pub baud: f64,
    /// Framing.
    pub framing: FskFraming,
}

/// Error from [`FskDecoder::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FskDecoderError(pub String);

impl std::fmt::Display for FskDecoderError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "FSK decoder: {}", self.0)
    }
}

impl std::error::Error for FskDecoderError {}

/// Least reliable line bits tried one at a time …
const REPAIR_SINGLES: usize = 12;
/// … and the weakest of those tried in pairs (15 pairs): 27 re-decodes per bad frame.
/// Each trial passes a wrong frame with probability 2^-16, so about 4e-4 false frames per
/// failed frame before the AX.25 structure check, which rejects most of the rest.
const REPAIR_PAIRS_FROM: usize = 6;
/// A flipped line bit reaches the descrambler output 12 and 17 bits later, plus one for
/// NRZI: repairs wait until this many bits after the closing flag have arrived.
const REPAIR_SPREAD: u64 = 18;
/// Failed frames waiting for their repair attempt, at most.
const REPAIR_QUEUE: usize = 8;

/// AX.25 receive path on line bits: optional G3RUH, NRZI, HDLC, and soft-bit repair.
#[derive(Clone, Debug)]
struct Ax25Rx {
    g3ruh: Option<G3ruh>,
    nrzi: Nrzi,
    hdlc: Hdlc,
    hdlc_config: HdlcConfig,
    frames: Vec<HdlcFrame>,
    nrzi_out: Vec<u8>,
    /// Recent line bits (hard, |soft|); `line[0]` has index `base`.
    line: VecDeque<(u8, f32)>,
    base: u64,
    capacity: usize,
    /// Failed frames and the audio sample at which they ended.
    pending: VecDeque<(HdlcFrame, u64)>,
    bit_index: u64,
}

impl Ax25Rx {
    fn new(g3ruh: bool) -> Result<Self, FskDecoderError> {
        let hdlc_config = HdlcConfig::default();
        let hdlc = Hdlc::new(hdlc_config).map_err(|e| FskDecoderError(e.to_string()))?;
        // Longest frame with worst-case stuffing (one extra bit per five), its flags, and
        // the descrambler/NRZI history before it.
        let capacity =
            (hdlc_config.max_len_bytes + 2) * 8 * 6 / 5 + 16 + 2 * REPAIR_SPREAD as usize + 8;
        Ok(Self {
            g3ruh: g3ruh.then(G3ruh::new),
            nrzi: Nrzi::new(),
            hdlc,
            hdlc_config,
            frames: Vec::new(),
            nrzi_out: Vec::with_capacity(1),
            line: VecDeque::with_capacity(capacity + 1),
            base: 0,
            capacity,
            pending: VecDeque::new(),
            bit_index: 0,
        })
    }

    /// Runs a fresh receive path over `bits` and returns the first good frame that starts
    /// at `start` (relative to `bits`).
    fn decode_segment(&self, bits: &[u8], start: u64) -> Option<Vec<u8>> {
        let mut g = self.g3ruh.as_ref().map(|_| G3ruh::new());
        let mut nrzi = Nrzi::new();
        let mut hdlc = Hdlc::new(self.hdlc_config).ok()?;
        let mut data_bits = Vec::with_capacity(bits.len());
        for &b in bits {
            data_bits.push(match g.as_mut() {
                Some(g) => g.descramble_bit(b),
                None => b,
            });
        }
        let mut hdlc_in = Vec::with_capacity(bits.len());
        nrzi.decode(&data_bits, &mut hdlc_in);
        let mut frames = Vec::new();
        hdlc.process(&hdlc_in, &mut frames);
        frames
            .into_iter()
            .find(|f| f.fcs_ok && f.start_bit == start && Ax25Frame::parse(&f.data).is_ok())
            .map(|f| f.data)
    }

    fn repair(&self, frame: &HdlcFrame) -> Option<(Vec<u8>, u8)> {
        // Opening flag plus descrambler and NRZI history before the frame.
        let first = frame.start_bit.checked_sub(8 + REPAIR_SPREAD)?;
        let last = frame.end_bit + REPAIR_SPREAD;
        if first < self.base || last >= self.base + self.line.len() as u64 {
            return None;
        }
        let seg: Vec<(u8, f32)> = self
            .line
            .range((first - self.base) as usize..=(last - self.base) as usize)
            .copied()
            .collect();
        // Candidate positions: the frame body and FCS, not its flags.
        let lo = (frame.start_bit - first) as usize;
        let hi = (frame.end_bit - 8 - first) as usize;
        let mut cand: Vec<usize> = (lo..=hi).collect();
        cand.sort_by(|&a, &b| seg[a].1.total_cmp(&seg[b].1).then(a.cmp(&b)));
        cand.truncate(REPAIR_SINGLES);
        let mut bits: Vec<u8> = seg.iter().map(|p| p.0).collect();
        let start = frame.start_bit - first;
        for &p in &cand {
            bits[p] ^= 1;
            let got = self.decode_segment(&bits, start);
            bits[p] ^= 1;
            if let Some(d) = got {
                return Some((d, 1));
            }
        }
        let weakest = &cand[..cand.len().min(REPAIR_PAIRS_FROM)];
        for (i, &p) in weakest.iter().enumerate() {
            for &q in &weakest[i + 1..] {
                bits[p] ^= 1;
                bits[q] ^= 1;
                let got = self.decode_segment(&bits, start);
                bits[p] ^= 1;
                bits[q] ^= 1;
                if let Some(d) = got {
                    return Some((d, 2));
                }
            }
        }
        None
    }

    /// One line bit with its soft value; appends (data, check, end sample) of new frames.
    fn push(
        &mut self,
        bit: u8,
        soft: f32,
        now: u64,
        found: &mut Vec<(Vec<u8>, FrameCheck, u64, Option<bool>)>,
    ) {
        self.line.push_back((bit, soft.abs()));
        if self.line.len() > self.capacity {
            self.line.pop_front();
            self.base += 1;
        }
        let b = match self.g3ruh.as_mut() {
            Some(g) => g.descramble_bit(bit),
            None => bit,
        };
        self.nrzi_out.clear();
        self.nrzi.decode(&[b], &mut self.nrzi_out);
        self.hdlc.process(&self.nrzi_out, &mut self.frames);
        for f in self.frames.drain(..) {
            if f.fcs_ok {
                found.push((f.data, FrameCheck::Crc16, now, None));
            } else if self.pending.len() < REPAIR_QUEUE {
                self.pending.push_back((f, now));
            }
        }
        while self
            .pending
            .front()
            .is_some_and(|(f, _)| self.bit_index >= f.end_bit + REPAIR_SPREAD)
        {
            let (f, end_sample) = self.pending.pop_front().expect("checked non-empty");
            if let Some((data, n)) = self.repair(&f) {
                let check = FrameCheck::Crc16Repaired { flipped_bits: n };
                found.push((data, check, end_sample, None));
            }
        }
        self.bit_index += 1;
    }

    fn reset(&mut self) {
        if let Some(g) = self.g3ruh.as_mut() {
            g.reset();
        }
        self.nrzi.reset();
        self.hdlc.reset();
        self.frames.clear();
        self.line.clear();
        self.base = 0;
        self.pending.clear();
        self.bit_index = 0;
    }
}

#[derive(Clone, Debug)]
enum Deframer {
    Ax25(Box<Ax25Rx>),
    Ax100(Box<Ax100>, Vec<Ax100Frame>),
    Sync(Box<SyncWordFrame>, Vec<CheckedFrame>),
}

/// Streaming FSK receiver: audio samples to checked frames.
#[derive(Clone, Debug)]
pub struct FskDecoder {
    demod: FskDemod,
    deframer: Deframer,
    sps: f64,
    sample_index: u64,
    /// Recently emitted frames (data, end sample) for de-duplication.
    recent: Vec<(Vec<u8>, u64)>,
    found: Vec<(Vec<u8>, FrameCheck, u64, Option<bool>)>,
}

impl FskDecoder {
    /// Builds demodulator and deframer.
    pub fn new(config: FskDecoderConfig) -> Result<Self, FskDecoderError> {
        let demod = FskDemod::new(FskDemodConfig {
            sample_rate_hz: config.sample_rate_hz,
            baud: config.baud,
            invert: false,
        })
        .map_err(|e| FskDecoderError(e.to_string()))?;
        let e = |e: String| FskDecoderError(e);
        let deframer = match config.framing {
            FskFraming::Ax25G3ruh => Deframer::Ax25(Box::new(Ax25Rx::new(true)?)),
            FskFraming::Ax25Nrzi => Deframer::Ax25(Box::new(Ax25Rx::new(false)?)),
            FskFraming::Ax100AsmGolay | FskFraming::Ax100Rs => {
                let mode = if config.framing == FskFraming::Ax100Rs {
                    Ax100Mode::ReedSolomon
                } else {
                    Ax100Mode::AsmGolay
                };
                Deframer::Ax100(
                    Box::new(Ax100::new(Ax100Config::new(mode)).map_err(|x| e(x.to_string()))?),
                    Vec::new(),
                )
            }
            FskFraming::Lucky7 | FskFraming::Tt64 => {
                let format = if config.framing == FskFraming::Lucky7 {
                    SyncWordFrameFormat::Lucky7
                } else {
                    SyncWordFrameFormat::Tt64
                };
                Deframer::Sync(
                    Box::new(
                        SyncWordFrame::new(SyncWordFrameConfig::new(format))
                            .map_err(|x| e(x.to_string()))?,
                    ),
                    Vec::new(),
                )
            }
        };
        Ok(Self {
            sps: demod.sps(),
            demod,
            deframer,
            sample_index: 0,
            recent: Vec::new(),
            found: Vec::new(),
        })
    }

    fn emit(&mut self, f: DecodedFrame, output: &mut Vec<DecodedFrame>) {
        // A genuine repeat of the same bytes cannot end sooner than its own air time after
        // the first; anything closer is the same transmission found twice.
        let window = ((f.data.len() * 8) as f64 * self.sps) as u64;
        let now = f.end_sample;
        self.recent
            .retain(|(_, t)| now.saturating_sub(*t) <= 4 * window.max(1));
        if self
            .recent
            .iter()
            .any(|(d, t)| *d == f.data && now.saturating_sub(*t) <= window)
        {
            return;
        }
        self.recent.push((f.data.clone(), now));
        output.push(f);
    }

    fn feed_symbol(&mut self, soft: f32, output: &mut Vec<DecodedFrame>) {
        let now = self.sample_index;
        let bit = u8::from(soft > 0.0);
        let mut found = std::mem::take(&mut self.found);
        match &mut self.deframer {
            Deframer::Ax25(rx) => rx.push(bit, soft, now, &mut found),
            Deframer::Ax100(ax, frames) => {
                ax.process(&[bit], frames);
                for f in frames.drain(..) {
                    let check = FrameCheck::ReedSolomon {
                        corrected: f.rs_corrected,
                    };
                    found.push((f.data, check, now, Some(f.inverted)));
                }
            }
            Deframer::Sync(sw, frames) => {
                sw.process(&[bit], frames);
                for f in frames.drain(..) {
                    let check = match f.rs_corrected {
                        Some(corrected) => FrameCheck::ReedSolomonCrc16 { corrected },
                        None => FrameCheck::Crc16,
                    };
                    found.push((f.data, check, now, Some(f.inverted)));
                }
            }
        }
        for (data, check, end_sample, inverted) in found.drain(..) {
            let f = DecodedFrame {
                data,
                check,
                end_sample,
                inverted,
            };
            self.emit(f, output);
        }
        self.found = found;
    }

    /// Consumes audio samples, appending every new checked frame to `output`.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<DecodedFrame>) {
        for &x in input {
            if let Some(s) = self.demod.push(x) {
                self.feed_symbol(s, output);
            }
            self.sample_index += 1;
        }
    }

    /// Feeds symbols demodulated elsewhere (a BPSK demodulator, say) straight to the
    /// deframer, skipping the FSK demodulator: each is a soft value (`> 0` decides line
    /// bit 1, as from [`FskDemod`]) with the input sample at which it was decided.
    pub fn process_symbols(&mut self, symbols: &[(f32, u64)], output: &mut Vec<DecodedFrame>) {
        for &(soft, sample) in symbols {
            self.sample_index = sample;
            self.feed_symbol(soft, output);
        }
    }

    /// Clears all state, as if newly built.
    pub fn reset(&mut self) {
        self.demod.reset();
        match &mut self.deframer {
            Deframer::Ax25(rx) => rx.reset(),
            Deframer::Ax100(ax, frames) => {
                ax.reset();
                frames.clear();
            }
            Deframer::Sync(sw, frames) => {
                sw.reset();
                frames.clear();
            }
        }
        self.sample_index = 0;
        self.recent.clear();
        self.found.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulate::fsk_mod::{FskMod, FskModConfig};

    fn cfg(framing: FskFraming) -> FskDecoderConfig {
        FskDecoderConfig {
            sample_rate_hz: 48_000.0,
            baud: 9600.0,
            framing,
        }
    }

    /// Line bits of AX.25-style frames (HDLC + NRZI, optionally G3RUH), as GFSK audio.
    fn audio(frames: &[Vec<u8>], g3ruh: bool, invert: bool) -> Vec<f32> {
        let mut hdlc = Vec::new();
        for f in frames {
            Hdlc::encode(f, 24, 2, &mut hdlc);
            hdlc.extend_from_slice(&[0, 1, 0, 1, 1, 0, 0, 1].repeat(20));
        }
        let mut nrzi = Vec::new();
        Nrzi::new().encode(&hdlc, &mut nrzi);
        let line = if g3ruh {
            let mut l = Vec::new();
            G3ruh::new().scramble(&nrzi, &mut l);
            l
        } else {
            nrzi
        };
        let mut m = FskMod::new(FskModConfig {
            sample_rate_hz: 48_000.0,
            baud: 9600.0,
            amplitude: if invert { -0.3 } else { 0.3 },
            gaussian_bt: Some(0.5),
        })
        .unwrap();
        let mut out = Vec::new();
        m.process(&line, &mut out);
        out
    }

    fn frame(n: usize, seed: u8) -> Vec<u8> {
        (0..n).map(|i| (i as u8).wrapping_mul(29) ^ seed).collect()
    }

    #[test]
    fn decodes_g3ruh_and_plain_nrzi_in_both_polarities() {
        let frames = vec![frame(40, 1), frame(120, 2)];
        for (g3ruh, framing) in [(true, FskFraming::Ax25G3ruh), (false, FskFraming::Ax25Nrzi)] {
            for invert in [false, true] {
                let x = audio(&frames, g3ruh, invert);
                let mut d = FskDecoder::new(cfg(framing)).unwrap();
                let mut out = Vec::new();
                d.process(&x, &mut out);
                let data: Vec<Vec<u8>> = out.iter().map(|f| f.data.clone()).collect();
                assert_eq!(data, frames, "{framing:?} inverted {invert}");
                assert!(out.iter().all(|f| f.check == FrameCheck::Crc16));
            }
        }
    }

    #[test]
    fn chunk_invariance_and_reset() {
        let x = audio(&[frame(60, 3), frame(30, 4)], true, false);
        let mut d = FskDecoder::new(cfg(FskFraming::Ax25G3ruh)).unwrap();
        let mut whole = Vec::new();
        d.process(&x, &mut whole);
        assert_eq!(whole.len(), 2);
        d.reset();
        let mut chunked = Vec::new();
        for c in x.chunks(333) {
            d.process(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
    }

    #[test]
    fn duplicates_within_air_time_are_dropped_repeats_kept() {
        let mut d = FskDecoder::new(cfg(FskFraming::Ax100Rs)).unwrap();
        let f = |t: u64| DecodedFrame {
            data: vec![7; 20],
            check: FrameCheck::ReedSolomon { corrected: 0 },
            end_sample: t,
            inverted: Some(false),
        };
        // 20 bytes at 5 samples per bit last 800 samples on air.
        let mut out = Vec::new();
        d.emit(f(10_000), &mut out);
        d.emit(f(10_400), &mut out);
        d.emit(f(10_801), &mut out);
        let ends: Vec<u64> = out.iter().map(|x| x.end_sample).collect();
        assert_eq!(ends, vec![10_000, 10_801]);
    }

    #[test]
    fn identical_frames_sent_twice_both_come_out() {
        let x = audio(&[frame(50, 5), frame(50, 5)], true, false);
        let mut d = FskDecoder::new(cfg(FskFraming::Ax25G3ruh)).unwrap();
        let mut out = Vec::new();
        d.process(&x, &mut out);
        assert_eq!(out.len(), 2);
    }

    /// An AX.25 frame (valid address field) as G3RUH GFSK audio, with the symbols at
    /// `weak` replaced by a faint wrong-sign level: hard decisions there are wrong but
    /// their soft values say they are unreliable.
    fn audio_with_weak_errors(info_len: usize, weak: &[usize]) -> (Vec<u8>, Vec<f32>) {
        let frame = crate::framing::ax25::Ax25Frame {
            destination: crate::framing::ax25::Ax25Address::new("CQ", 0, false).unwrap(),
            source: crate::framing::ax25::Ax25Address::new("N0CALL", 1, false).unwrap(),
            digipeaters: vec![],
            control: 0x03,
            pid: Some(0xF0),
            info: (0..info_len as u8).collect(),
        }
        .to_bytes()
        .unwrap();
        let mut hdlc = Vec::new();
        Hdlc::encode(&frame, 24, 4, &mut hdlc);
        let mut nrzi = Vec::new();
        Nrzi::new().encode(&hdlc, &mut nrzi);
        let mut line = Vec::new();
        G3ruh::new().scramble(&nrzi, &mut line);
        let mut m = FskMod::new(FskModConfig {
            sample_rate_hz: 48_000.0,
            baud: 9600.0,
            amplitude: 0.3,
            gaussian_bt: None,
        })
        .unwrap();
        let mut x = Vec::new();
        m.process(&line, &mut x);
        for &k in weak {
            let level = if line[k] == 1 { -0.05 } else { 0.05 };
            x[k * 5..k * 5 + 5].iter_mut().for_each(|v| *v = level);
        }
        (frame, x)
    }

    #[test]
    fn weak_line_errors_are_repaired_from_soft_values() {
        // Symbols 300 and 500 sit inside the frame (after 24 flags = 192 bits).
        for weak in [vec![300], vec![300, 500]] {
            let (frame, x) = audio_with_weak_errors(60, &weak);
            let mut d = FskDecoder::new(cfg(FskFraming::Ax25G3ruh)).unwrap();
            let mut out = Vec::new();
            d.process(&x, &mut out);
            assert_eq!(out.len(), 1, "{weak:?}");
            assert_eq!(out[0].data, frame);
            assert_eq!(
                out[0].check,
                FrameCheck::Crc16Repaired {
                    flipped_bits: weak.len() as u8
                }
            );
        }
    }

    #[test]
    fn rejects_impossible_rates() {
        assert!(FskDecoder::new(FskDecoderConfig {
            baud: 40_000.0,
            ..cfg(FskFraming::Lucky7)
        })
        .is_err());
    }
}
