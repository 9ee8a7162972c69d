//! One decoder per transmitter: which demodulator and deframer a (modulation, framing)
//! pair needs, built by [`build`]. Each decoder takes either receiver audio (real
//! samples: FM-discriminator output, or SSB audio with a BPSK subcarrier) or complex
//! baseband centred on the transmitter; the stage feeds it what [`Decoder::input`] says.
//! Adding a framing is one arm in [`build`] and one type implementing [`Decoder`].

use super::ao40_fsk::FskAo40;
use super::bpsk::{Bpsk, BpskFraming};
use crate::satellites::{Framing, Modulation, Transmitter};
use downlink_dsp::demod::fsk_decoder::{DecodedFrame, FskDecoder, FskDecoderConfig, FskFraming};
use downlink_dsp::framing::ao40::Ao40Format;
use downlink_dsp::framing::ccsds_soft::{CcsdsSoft, CcsdsSoftConfig};
use num_complex::Complex32;

/// What a decoder reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Input {
    /// Real receiver audio at the stage's audio rate. From I/Q the stage makes it with a
    /// channel filter and an FM discriminator (radians per sample).
    Audio,
    /// Complex baseband with the transmitter near 0 Hz (I/Q only).
    Baseband,
}

/// Samples handed to a decoder, as its [`Decoder::input`] asked.
pub enum Samples<'a> {
    Audio(&'a [f32]),
    Baseband(&'a [Complex32]),
}

/// A demodulator + deframer for one transmitter.
pub trait Decoder: Send {
    /// What the decoder reads; the stage's I/Q front end provides it.
    fn input(&self) -> Input;
    /// Appends every checked frame completed in `samples` to `out`; `end_sample` counts
    /// samples of the decoder's input rate from the start of the recording.
    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>);
    /// The framing's name as written in the frame records.
    fn framing(&self) -> String;
    /// A baseband decoder that can also demodulate receiver audio (BPSK on an audio
    /// subcarrier): the stage then feeds it audio recordings too.
    fn audio_too(&self) -> bool {
        false
    }
    /// End of the recording: appends frames still held back (a partial block).
    fn flush(&mut self, _out: &mut Vec<DecodedFrame>) {}
}

/// The FSK family (FSK / GFSK / GMSK) on audio: `FskDecoder`.
struct Fsk {
    decoder: FskDecoder,
    framing: FskFraming,
}

impl Decoder for Fsk {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        if let Samples::Audio(a) = samples {
            self.decoder.process(a, out);
        }
    }

    fn framing(&self) -> String {
        format!("{:?}", self.framing)
    }
}

/// Whether [`build`] has a decoder for this transmitter.
pub fn supported(t: &Transmitter) -> bool {
    build(t, 48_000.0).is_some()
}

/// The decoder for `t` reading samples at `rate_hz` (audio rate, or the baseband rate
/// of the I/Q front end), or None when the pair is not supported; Some(Err) when it is
/// but the parameters are not usable (the message names the problem).
pub fn build(t: &Transmitter, rate_hz: f64) -> Option<Result<Box<dyn Decoder>, String>> {
    if let Some(d) = super::symbols::build(t, rate_hz) {
        return Some(d);
    }
    let fsk_family = matches!(
        t.modulation,
        Modulation::Fsk { .. } | Modulation::Gfsk { .. } | Modulation::Gmsk { .. }
    );
    let baud = t.modulation.baud().unwrap_or(0.0);
    if fsk_family {
        if let Some(d) = super::soft_fsk::build(&t.framing, rate_hz, baud) {
            return Some(d);
        }
    }
    let fsk_framing = match &t.framing {
        Framing::Ax25G3ruh => Some(FskFraming::Ax25G3ruh),
        Framing::Ax25Nrzi => Some(FskFraming::Ax25Nrzi),
        Framing::Ax100AsmGolay => Some(FskFraming::Ax100AsmGolay),
        Framing::Ax100Rs => Some(FskFraming::Ax100Rs),
        Framing::Lucky7 => Some(FskFraming::Lucky7),
        Framing::Tt64 => Some(FskFraming::Tt64),
        _ => None,
    };
    if let Modulation::Bpsk {
        differential,
        subcarrier_hz,
        ..
    } = t.modulation
    {
        let framing = match &t.framing {
            Framing::Ax25G3ruh => BpskFraming::Ax25(FskFraming::Ax25G3ruh),
            Framing::Ax25Nrzi => BpskFraming::Ax25(FskFraming::Ax25Nrzi),
            Framing::Ao40 => BpskFraming::Ao40,
            Framing::CcsdsConcatenated {
                frame_bytes,
                rs_dual_basis,
                differential,
            } => match CcsdsSoft::new(CcsdsSoftConfig {
                data_bytes: *frame_bytes,
                dual_basis: *rs_dual_basis,
                nrz_m: *differential,
            }) {
                Ok(d) => BpskFraming::Soft(Box::new(d), t.framing.kind()),
                Err(e) => return Some(Err(e)),
            },
            _ => return None,
        };
        return Some(
            Bpsk::new(rate_hz, baud, differential, subcarrier_hz, framing)
                .map(|d| Box::new(d) as Box<dyn Decoder>),
        );
    }
    if fsk_family && matches!(t.framing, Framing::SmogP) {
        return Some(
            FskAo40::new(rate_hz, baud, Ao40Format::Short).map(|d| Box::new(d) as Box<dyn Decoder>),
        );
    }
    match (fsk_family, fsk_framing) {
        (true, Some(framing)) => Some(
            FskDecoder::new(FskDecoderConfig {
                sample_rate_hz: rate_hz,
                baud,
                framing,
            })
            .map(|decoder| Box::new(Fsk { decoder, framing }) as Box<dyn Decoder>)
            .map_err(|e| e.0),
        ),
        _ => None,
    }
}
