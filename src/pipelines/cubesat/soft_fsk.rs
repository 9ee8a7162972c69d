//! FSK audio through [`FskDemod`] into a soft-symbol deframer
//! ([`downlink_dsp::framing::sync_frames::SoftDeframer`]): the framings whose length or
//! check lives inside the frame (CC11xx packets, 3CAT-1, OpenLST, USP, CCSDS over FSK).

use super::decoders::{Decoder, Input, Samples};
use crate::satellites::Framing;
use downlink_dsp::demod::fsk_decoder::DecodedFrame;
use downlink_dsp::demod::fsk_demod::{FskDemod, FskDemodConfig};
use downlink_dsp::framing::cc11xx::{Cc11xxPacket, Sat3Cat1, SYNC_D391, SYNC_RHW};
use downlink_dsp::framing::ccsds_rs_frame::{CcsdsRsFrame, CcsdsRsFrameConfig, SYNC_ASM};
use downlink_dsp::framing::ccsds_soft::{CcsdsSoft, CcsdsSoftConfig};
use downlink_dsp::framing::openlst::{OpenLst, SYNC_OPENLST};
use downlink_dsp::framing::sync_frames::{SoftDeframer, SoftFrame, SyncFrames};
use downlink_dsp::framing::usp::{Usp, SYNC_USP};
use std::collections::VecDeque;

/// Symbols whose audio sample index is remembered, to date frames that end in them.
const SYMBOL_HISTORY: usize = 1 << 16;

pub struct SoftFsk {
    demod: FskDemod,
    deframer: Box<dyn SoftDeframer>,
    name: String,
    sample_index: u64,
    /// Audio sample index of recent symbols; `symbol_samples[0]` is symbol `first_symbol`.
    symbol_samples: VecDeque<u64>,
    first_symbol: u64,
    soft: Vec<f32>,
    frames: Vec<SoftFrame>,
    /// Recently emitted frames (bytes, end sample), to drop one transmission found twice.
    recent: Vec<(Vec<u8>, u64)>,
}

impl SoftFsk {
    pub fn new(
        rate_hz: f64,
        baud: f64,
        deframer: Box<dyn SoftDeframer>,
        name: &str,
    ) -> Result<Self, String> {
        let demod = FskDemod::new(FskDemodConfig {
            sample_rate_hz: rate_hz,
            baud,
            invert: false,
        })
        .map_err(|e| e.to_string())?;
        Ok(Self {
            demod,
            deframer,
            name: name.to_string(),
            sample_index: 0,
            symbol_samples: VecDeque::with_capacity(SYMBOL_HISTORY),
            first_symbol: 0,
            soft: Vec::new(),
            frames: Vec::new(),
            recent: Vec::new(),
        })
    }

    fn end_sample(&self, symbol: u64) -> u64 {
        match symbol.checked_sub(self.first_symbol) {
            Some(i) if (i as usize) < self.symbol_samples.len() => self.symbol_samples[i as usize],
            _ => (symbol as f64 * self.demod.sps()) as u64,
        }
    }
}

impl Decoder for SoftFsk {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        let Samples::Audio(audio) = samples else {
            return;
        };
        self.soft.clear();
        for &x in audio {
            if let Some(s) = self.demod.push(x) {
                self.soft.push(s);
                if self.symbol_samples.len() == SYMBOL_HISTORY {
                    self.symbol_samples.pop_front();
                    self.first_symbol += 1;
                }
                self.symbol_samples.push_back(self.sample_index);
            }
            self.sample_index += 1;
        }
        self.frames.clear();
        self.deframer.process(&self.soft, &mut self.frames);
        let frames = std::mem::take(&mut self.frames);
        for f in &frames {
            let end_sample = self.end_sample(f.end_symbol);
            // A genuine repeat cannot end sooner than its own air time after the first;
            // anything closer is one transmission found from two sync hits.
            let window = ((f.data.len() * 8) as f64 * self.demod.sps()) as u64;
            self.recent
                .retain(|(_, t)| end_sample.saturating_sub(*t) <= 4 * window.max(1));
            if self
                .recent
                .iter()
                .any(|(d, t)| *d == f.data && end_sample.saturating_sub(*t) <= window)
            {
                continue;
            }
            self.recent.push((f.data.clone(), end_sample));
            out.push(DecodedFrame {
                data: f.data.clone(),
                check: f.check,
                end_sample,
                inverted: f.inverted,
            });
        }
        self.frames = frames;
    }

    fn framing(&self) -> String {
        self.name.clone()
    }
}

/// The soft-symbol FSK decoder for `framing` at `rate_hz` audio and `baud`, or None when
/// the framing is not one of this family.
pub fn build(
    framing: &Framing,
    rate_hz: f64,
    baud: f64,
) -> Option<Result<Box<dyn Decoder>, String>> {
    let deframer: Result<Box<dyn SoftDeframer>, String> = match framing {
        Framing::ReaktorHelloWorld => {
            SyncFrames::new(SYNC_RHW, Cc11xxPacket::new()).map(|d| Box::new(d) as _)
        }
        Framing::Sat3cat1 => Sat3Cat1::new()
            .and_then(|f| SyncFrames::new(SYNC_D391, f))
            .map(|d| Box::new(d) as _),
        Framing::OpenLst => SyncFrames::new(SYNC_OPENLST, OpenLst::new()).map(|d| Box::new(d) as _),
        Framing::Usp => Usp::new()
            .and_then(|f| SyncFrames::new(SYNC_USP, f))
            .map(|d| Box::new(d) as _),
        Framing::CcsdsReedSolomon {
            frame_bytes,
            rs_interleave,
            rs_dual_basis,
            crc16,
        } => {
            if *frame_bytes != 223 * rs_interleave {
                Err(format!(
                    "CCSDS Reed-Solomon frames of {frame_bytes} bytes with interleave \
                     {rs_interleave}: only unshortened frames (223 x interleave) are decoded"
                ))
            } else {
                CcsdsRsFrame::new(CcsdsRsFrameConfig {
                    interleave: *rs_interleave,
                    dual_basis: *rs_dual_basis,
                    crc16: *crc16,
                })
                .and_then(|f| SyncFrames::new(SYNC_ASM, f))
                .map(|d| Box::new(d) as _)
            }
        }
        Framing::CcsdsConcatenated {
            frame_bytes,
            rs_dual_basis,
            differential,
        } => CcsdsSoft::new(CcsdsSoftConfig {
            data_bytes: *frame_bytes,
            dual_basis: *rs_dual_basis,
            nrz_m: *differential,
        })
        .map(|d| Box::new(d) as _),
        _ => return None,
    };
    let name = framing.kind();
    Some(deframer.and_then(|d| {
        SoftFsk::new(rate_hz, baud, d, &name).map(|s| Box::new(s) as Box<dyn Decoder>)
    }))
}
