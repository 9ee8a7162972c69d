//! AO-40-coded frames sent with FSK (SMOG-P / ATL-1 short frames): receiver audio through
//! [`FskDemod`], then the AO-40 deframer.

use super::decoders::{Decoder, Input, Samples};
use downlink_dsp::demod::fsk_decoder::{DecodedFrame, FrameCheck};
use downlink_dsp::demod::fsk_demod::{FskDemod, FskDemodConfig};
use downlink_dsp::framing::ao40::{Ao40Deframer, Ao40Format, Ao40Frame};

pub struct FskAo40 {
    demod: FskDemod,
    deframer: Ao40Deframer,
    format: Ao40Format,
    sample: u64,
    soft: Vec<f32>,
    samples: Vec<u64>,
    bits: u64,
    frames: Vec<Ao40Frame>,
}

impl FskAo40 {
    pub fn new(rate_hz: f64, baud: f64, format: Ao40Format) -> Result<Self, String> {
        let demod = FskDemod::new(FskDemodConfig {
            sample_rate_hz: rate_hz,
            baud,
            invert: false,
        })
        .map_err(|e| e.to_string())?;
        Ok(FskAo40 {
            demod,
            deframer: Ao40Deframer::new(format),
            format,
            sample: 0,
            soft: Vec::new(),
            samples: Vec::new(),
            bits: 0,
            frames: Vec::new(),
        })
    }
}

impl Decoder for FskAo40 {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        let Samples::Audio(audio) = samples else {
            return;
        };
        self.soft.clear();
        self.samples.clear();
        for &x in audio {
            if let Some(s) = self.demod.push(x) {
                self.soft.push(s);
                self.samples.push(self.sample);
            }
            self.sample += 1;
        }
        self.frames.clear();
        self.deframer.process(&self.soft, &mut self.frames);
        let first = self.bits;
        self.bits += self.soft.len() as u64;
        for f in self.frames.drain(..) {
            let i = (f.end_bit - first) as usize;
            out.push(DecodedFrame {
                data: f.data,
                check: FrameCheck::ReedSolomon {
                    corrected: f.rs_corrected,
                },
                end_sample: self.samples.get(i).copied().unwrap_or(self.sample),
                inverted: Some(f.inverted),
            });
        }
    }

    fn framing(&self) -> String {
        match self.format {
            Ao40Format::Long => "Ao40".into(),
            Ao40Format::Short => "SmogP".into(),
        }
    }
}
