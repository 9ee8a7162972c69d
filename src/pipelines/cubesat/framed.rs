//! Decoders built from the FSK demodulator and a soft-symbol deframer
//! ([`FskFramedDecoder`]): one arm per framing in [`framed_deframer`], used by
//! [`super::decoders::build`].

use super::decoders::{Decoder, Input, Samples};
use crate::satellites::Framing;
use downlink_dsp::demod::fsk_decoder::DecodedFrame;
use downlink_dsp::demod::fsk_framed::{FskFramedDecoder, SymbolDeframer};
use downlink_dsp::framing::aausat4::Aausat4;
use downlink_dsp::framing::eseo::Eseo;
use downlink_dsp::framing::geoscan::Geoscan;
use downlink_dsp::framing::il2p::Il2p;
use downlink_dsp::framing::ops_sat::OpsSat;

/// The deframer for `framing`, or None if it is not one of the soft-symbol framings.
pub fn framed_deframer(framing: &Framing) -> Option<(Box<dyn SymbolDeframer>, &'static str)> {
    match framing {
        Framing::Geoscan => Some((Box::new(Geoscan::new()), "Geoscan")),
        Framing::Aausat4 => Some((Box::new(Aausat4::new()), "Aausat4")),
        Framing::OpsSat => Some((Box::new(OpsSat::new()), "OpsSat")),
        Framing::Eseo => Some((Box::new(Eseo::new()), "Eseo")),
        Framing::Il2p => Some((Box::new(Il2p::new()), "Il2p")),
        _ => None,
    }
}

/// FSK audio through a soft-symbol deframer.
pub struct FskFramed {
    decoder: FskFramedDecoder,
    name: &'static str,
}

impl FskFramed {
    /// The decoder for `framing` at `rate_hz` / `baud`, or None if the framing has no
    /// soft-symbol deframer.
    pub fn build(framing: &Framing, rate_hz: f64, baud: f64) -> Option<Result<Self, String>> {
        let (deframer, name) = framed_deframer(framing)?;
        Some(FskFramedDecoder::new(rate_hz, baud, deframer).map(|decoder| Self { decoder, name }))
    }
}

impl Decoder for FskFramed {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        if let Samples::Audio(a) = samples {
            self.decoder.process(a, out);
        }
    }

    fn framing(&self) -> String {
        self.name.to_string()
    }
}
