//! BPSK / DBPSK transmitters: [`BpskDemod`] on receiver audio (the BPSK on an audio
//! subcarrier of an SSB receiver) or on the I/Q front end's baseband, then the framing's
//! deframer on the symbols.

use super::decoders::{Decoder, Input, Samples};
use downlink_dsp::demod::bpsk_demod::{BpskDemod, BpskDemodConfig, SoftSymbol};
use downlink_dsp::demod::fsk_decoder::{
    DecodedFrame, FrameCheck, FskDecoder, FskDecoderConfig, FskFraming,
};
use downlink_dsp::framing::ao40::{Ao40Deframer, Ao40Format, Ao40Frame};
use downlink_dsp::framing::sync_frames::{SoftDeframer, SoftFrame};

/// Subcarrier assumed when the satellite file gives none: SSB receivers are usually
/// tuned so that a BPSK signal sits in the middle of the voice band.
pub const DEFAULT_SUBCARRIER_HZ: f64 = 1500.0;

/// How far from the subcarrier the carrier may be (receiver tuning, Doppler left
/// uncorrected): a quarter of the subcarrier, at least 600 Hz.
fn audio_search_hz(subcarrier_hz: f64) -> f64 {
    (0.25 * subcarrier_hz).max(600.0)
}

/// Frequency uncertainty of the I/Q front end's baseband (its margin).
pub const BASEBAND_SEARCH_HZ: f64 = 4_000.0;

/// What follows the demodulator.
pub enum BpskFraming {
    /// AX.25 (G3RUH or plain NRZI) through the FSK decoder's deframer, which takes
    /// symbols directly.
    Ax25(FskFraming),
    /// AMSAT AO-40 FEC (FUNcube family): 256-byte frames.
    Ao40,
    /// Any soft-symbol deframer (CCSDS concatenated), with the framing's name.
    Soft(Box<dyn SoftDeframer>, String),
}

/// A BPSK transmitter's decoder.
pub struct Bpsk {
    rate_hz: f64,
    baud: f64,
    subcarrier_hz: f64,
    differential: bool,
    demod: Option<BpskDemod>,
    deframer: Deframer,
    name: String,
    symbols: Vec<SoftSymbol>,
    line: Vec<(f32, u64)>,
    prev: f32,
}

enum Deframer {
    Ax25(Box<FskDecoder>),
    Ao40 {
        deframer: Box<Ao40Deframer>,
        frames: Vec<Ao40Frame>,
        soft: Vec<f32>,
        bits: u64,
    },
    Soft {
        deframer: Box<dyn SoftDeframer>,
        frames: Vec<SoftFrame>,
        soft: Vec<f32>,
        /// Symbols fed so far (the index of `soft[0]` in the deframer's count).
        symbols: u64,
    },
}

impl Bpsk {
    /// `subcarrier_hz`: where the BPSK sits in receiver audio (None: the default).
    pub fn new(
        rate_hz: f64,
        baud: f64,
        differential: bool,
        subcarrier_hz: Option<f64>,
        framing: BpskFraming,
    ) -> Result<Self, String> {
        let subcarrier_hz = subcarrier_hz.unwrap_or(DEFAULT_SUBCARRIER_HZ);
        // Both inputs are checked now, so a bad parameter is reported before decoding.
        for cfg in [
            BpskDemodConfig::audio(rate_hz, baud, subcarrier_hz, audio_search_hz(subcarrier_hz)),
            BpskDemodConfig::baseband(rate_hz, baud, BASEBAND_SEARCH_HZ),
        ] {
            BpskDemod::new(cfg).map_err(|e| format!("BPSK demodulator: {e}"))?;
        }
        let (deframer, name) = match framing {
            BpskFraming::Ax25(f) => (
                Deframer::Ax25(Box::new(
                    FskDecoder::new(FskDecoderConfig {
                        sample_rate_hz: rate_hz,
                        baud,
                        framing: f,
                    })
                    .map_err(|e| e.0)?,
                )),
                format!("{f:?}"),
            ),
            BpskFraming::Ao40 => (
                Deframer::Ao40 {
                    deframer: Box::new(Ao40Deframer::new(Ao40Format::Long)),
                    frames: Vec::new(),
                    soft: Vec::new(),
                    bits: 0,
                },
                "Ao40".to_string(),
            ),
            BpskFraming::Soft(deframer, name) => (
                Deframer::Soft {
                    deframer,
                    frames: Vec::new(),
                    soft: Vec::new(),
                    symbols: 0,
                },
                name,
            ),
        };
        Ok(Bpsk {
            rate_hz,
            baud,
            subcarrier_hz,
            differential,
            demod: None,
            deframer,
            name,
            symbols: Vec::new(),
            line: Vec::new(),
            prev: 0.0,
        })
    }

    fn demod(&mut self, audio: bool) -> &mut BpskDemod {
        let (rate, baud, sc) = (self.rate_hz, self.baud, self.subcarrier_hz);
        self.demod.get_or_insert_with(|| {
            let cfg = if audio {
                BpskDemodConfig::audio(rate, baud, sc, audio_search_hz(sc))
            } else {
                BpskDemodConfig::baseband(rate, baud, BASEBAND_SEARCH_HZ)
            };
            // Checked in `new` with the same parameters.
            BpskDemod::new(cfg).expect("BPSK parameters validated at construction")
        })
    }

    fn deframe(&mut self, out: &mut Vec<DecodedFrame>) {
        self.line.clear();
        for s in &self.symbols {
            let v = if self.differential {
                // Same phase as the previous symbol: bit 0 (positive).
                let d = s.soft * self.prev;
                self.prev = s.soft;
                d
            } else {
                s.soft
            };
            self.line.push((v, s.sample));
        }
        match &mut self.deframer {
            Deframer::Ax25(d) => d.process_symbols(&self.line, out),
            Deframer::Ao40 {
                deframer,
                frames,
                soft,
                bits,
            } => {
                soft.clear();
                soft.extend(self.line.iter().map(|l| l.0));
                frames.clear();
                deframer.process(soft, frames);
                let first = *bits;
                *bits += soft.len() as u64;
                for f in frames.drain(..) {
                    let i = (f.end_bit - first) as usize;
                    out.push(DecodedFrame {
                        data: f.data,
                        check: FrameCheck::ReedSolomon {
                            corrected: f.rs_corrected,
                        },
                        end_sample: self.line.get(i).map_or(0, |l| l.1),
                        inverted: Some(f.inverted),
                    });
                }
            }
            Deframer::Soft {
                deframer,
                frames,
                soft,
                symbols,
            } => {
                // The demodulator's positive means bit 0; soft deframers take positive
                // as bit 1.
                soft.clear();
                soft.extend(self.line.iter().map(|l| -l.0));
                frames.clear();
                deframer.process(soft, frames);
                let first = *symbols;
                *symbols += soft.len() as u64;
                for f in frames.drain(..) {
                    let i = f.end_symbol.saturating_sub(first) as usize;
                    out.push(DecodedFrame {
                        data: f.data,
                        check: f.check,
                        end_sample: self.line.get(i).or(self.line.last()).map_or(0, |l| l.1),
                        inverted: f.inverted,
                    });
                }
            }
        }
    }
}

impl Decoder for Bpsk {
    fn input(&self) -> Input {
        Input::Baseband
    }

    fn audio_too(&self) -> bool {
        true
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        let mut symbols = std::mem::take(&mut self.symbols);
        symbols.clear();
        match samples {
            Samples::Audio(a) => self.demod(true).process_audio(a, &mut symbols),
            Samples::Baseband(b) => self.demod(false).process(b, &mut symbols),
        }
        self.symbols = symbols;
        self.deframe(out);
    }

    fn flush(&mut self, out: &mut Vec<DecodedFrame>) {
        let mut symbols = std::mem::take(&mut self.symbols);
        symbols.clear();
        if let Some(d) = self.demod.as_mut() {
            d.flush(&mut symbols);
        }
        self.symbols = symbols;
        self.deframe(out);
    }

    fn framing(&self) -> String {
        self.name.clone()
    }
}
