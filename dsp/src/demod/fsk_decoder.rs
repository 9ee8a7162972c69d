//! Receiver audio in, checked frames out: [`FskDemod`] followed by the deframer a
//! [`FskFraming`] names. Polarity is handled without configuration: NRZI (AX.25) does not
//! depend on it, and every sync-word framing also accepts the complemented sync word and
//! re-inverts what follows. Only frames whose CRC or Reed–Solomon check passes come out,
//! once each.

use super::fsk_demod::{FskDemod, FskDemodConfig};
use crate::framing::ax100::{Ax100, Ax100Config, Ax100Mode};
use crate::framing::g3ruh::{G3ruh, Nrzi};
use crate::framing::hdlc::{Hdlc, HdlcConfig, HdlcFrame};
use crate::framing::syncword_frame::{SyncWordFrame, SyncWordFrameConfig, SyncWordFrameFormat};

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

#[derive(Clone, Debug)]
enum Deframer {
    Ax25 {
        g3ruh: Option<G3ruh>,
        nrzi: Nrzi,
        hdlc: Box<Hdlc>,
        frames: Vec<HdlcFrame>,
    },
    Ax100(Box<Ax100>, Vec<crate::framing::ax100::Ax100Frame>),
    Sync(
        Box<SyncWordFrame>,
        Vec<crate::framing::syncword_frame::CheckedFrame>,
    ),
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
    bit: [u8; 1],
    scratch: Vec<u8>,
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
            FskFraming::Ax25G3ruh | FskFraming::Ax25Nrzi => Deframer::Ax25 {
                g3ruh: (config.framing == FskFraming::Ax25G3ruh).then(G3ruh::new),
                nrzi: Nrzi::new(),
                hdlc: Box::new(Hdlc::new(HdlcConfig::default()).map_err(|x| e(x.to_string()))?),
                frames: Vec::new(),
            },
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
            bit: [0],
            scratch: Vec::with_capacity(1),
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

    fn feed_bit(&mut self, bit: u8, output: &mut Vec<DecodedFrame>) {
        let now = self.sample_index;
        self.bit[0] = bit;
        let mut found = Vec::new();
        match &mut self.deframer {
            Deframer::Ax25 {
                g3ruh,
                nrzi,
                hdlc,
                frames,
            } => {
                let b = match g3ruh {
                    Some(g) => g.descramble_bit(bit),
                    None => bit,
                };
                self.scratch.clear();
                nrzi.decode(&[b], &mut self.scratch);
                hdlc.process(&self.scratch, frames);
                for f in frames.drain(..) {
                    if f.fcs_ok {
                        found.push(DecodedFrame {
                            data: f.data,
                            check: FrameCheck::Crc16,
                            end_sample: now,
                            inverted: None,
                        });
                    }
                }
            }
            Deframer::Ax100(ax, frames) => {
                ax.process(&self.bit, frames);
                for f in frames.drain(..) {
                    found.push(DecodedFrame {
                        data: f.data,
                        check: FrameCheck::ReedSolomon {
                            corrected: f.rs_corrected,
                        },
                        end_sample: now,
                        inverted: Some(f.inverted),
                    });
                }
            }
            Deframer::Sync(sw, frames) => {
                sw.process(&self.bit, frames);
                for f in frames.drain(..) {
                    found.push(DecodedFrame {
                        data: f.data,
                        check: match f.rs_corrected {
                            Some(corrected) => FrameCheck::ReedSolomonCrc16 { corrected },
                            None => FrameCheck::Crc16,
                        },
                        end_sample: now,
                        inverted: Some(f.inverted),
                    });
                }
            }
        }
        for f in found {
            self.emit(f, output);
        }
    }

    /// Consumes audio samples, appending every new checked frame to `output`.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<DecodedFrame>) {
        for &x in input {
            if let Some(s) = self.demod.push(x) {
                self.feed_bit(u8::from(s > 0.0), output);
            }
            self.sample_index += 1;
        }
    }

    /// Clears all state, as if newly built.
    pub fn reset(&mut self) {
        self.demod.reset();
        match &mut self.deframer {
            Deframer::Ax25 {
                g3ruh,
                nrzi,
                hdlc,
                frames,
            } => {
                if let Some(g) = g3ruh {
                    g.reset();
                }
                nrzi.reset();
                hdlc.reset();
                frames.clear();
            }
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

    #[test]
    fn rejects_impossible_rates() {
        assert!(FskDecoder::new(FskDecoderConfig {
            baud: 40_000.0,
            ..cfg(FskFraming::Lucky7)
        })
        .is_err());
    }
}
