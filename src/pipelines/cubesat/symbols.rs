//! Decoders for AFSK (data on an audio tone) and for FSK framings with their own
//! deframer ([`SoftDeframer`]s in `downlink_dsp::framing`): DIY-1, S-NET, U482C, NuSat,
//! MRC-100, Fox, GEOSCAN, AAUSAT-4, OPS-SAT, ESEO, IL2P, Mobitex. AX.25 on AFSK
//! reuses `FskDecoder` behind the tone discriminator, so it keeps the soft-bit repair.

use super::decoders::{Decoder, Input, Samples};
use crate::satellites::{Framing, Modulation, Transmitter};
use downlink_dsp::demod::afsk::{AfskDemod, AfskDemodConfig};
use downlink_dsp::demod::fsk_decoder::{DecodedFrame, FskDecoder, FskDecoderConfig, FskFraming};
use downlink_dsp::demod::symbol_decoder::{SoftDeframer, SymbolDecoder, SymbolDecoderConfig};
use downlink_dsp::demod::tone_energy::ToneEnergyDemod;
use downlink_dsp::framing::aausat4::Aausat4;
use downlink_dsp::framing::diy1::Diy1;
use downlink_dsp::framing::eseo::Eseo;
use downlink_dsp::framing::fox::{Fox, FoxMode};
use downlink_dsp::framing::geoscan::Geoscan;
use downlink_dsp::framing::il2p::Il2p;
use downlink_dsp::framing::mobitex::{Mobitex, MobitexVariant};
use downlink_dsp::framing::mrc100::Mrc100;
use downlink_dsp::framing::nusat::Nusat;
use downlink_dsp::framing::ops_sat::OpsSat;
use downlink_dsp::framing::snet::Snet;
use downlink_dsp::framing::u482c::U482c;

/// AFSK carrying a framing `FskDecoder` knows (AX.25): two detectors, each into its own
/// FskDecoder — the tone discriminator, and a tone-energy detector that holds up below
/// the FM threshold, where the receiver's audio clicks — and a frame both find comes
/// out once.
struct AfskFsk {
    front: AfskDemod,
    nrz: Vec<f32>,
    decoder: FskDecoder,
    energy: ToneEnergyDemod,
    energy_nrz: Vec<f32>,
    energy_decoder: FskDecoder,
    found: Vec<DecodedFrame>,
    /// Recently emitted frames (bytes, end sample).
    recent: Vec<(Vec<u8>, u64)>,
    samples_per_bit: f64,
    framing: FskFraming,
}

impl Decoder for AfskFsk {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        if let Samples::Audio(a) = samples {
            self.found.clear();
            self.nrz.clear();
            self.front.process(a, &mut self.nrz);
            self.decoder.process(&self.nrz, &mut self.found);
            self.energy_nrz.clear();
            self.energy.process(a, &mut self.energy_nrz);
            self.energy_decoder
                .process(&self.energy_nrz, &mut self.found);
            self.found.sort_by_key(|f| f.end_sample);
            for f in self.found.drain(..) {
                // The two detectors' filters differ in delay by far less than a frame's
                // air time, and a genuine repeat cannot end sooner than that.
                let window = (f.data.len() as f64 * 8.0 * self.samples_per_bit) as u64;
                self.recent
                    .retain(|(_, t)| f.end_sample.saturating_sub(*t) <= 4 * window.max(1));
                if self
                    .recent
                    .iter()
                    .any(|(d, t)| *d == f.data && f.end_sample.abs_diff(*t) <= window)
                {
                    continue;
                }
                self.recent.push((f.data.clone(), f.end_sample));
                out.push(f);
            }
        }
    }

    fn framing(&self) -> String {
        format!("{:?}", self.framing)
    }
}

/// Any demodulator + [`SoftDeframer`] pair.
struct Symbols {
    decoder: SymbolDecoder,
    name: String,
}

impl Decoder for Symbols {
    fn input(&self) -> Input {
        Input::Audio
    }

    fn process(&mut self, samples: Samples<'_>, out: &mut Vec<DecodedFrame>) {
        if let Samples::Audio(a) = samples {
            self.decoder.process(a, out);
        }
    }

    fn framing(&self) -> String {
        self.name.clone()
    }
}

/// The deframer for the framings decoded here, and whether bit 1 is the lower level
/// when the modulation does not say (the satellite's convention).
fn deframer(f: &Framing) -> Option<Box<dyn SoftDeframer>> {
    Some(match f {
        Framing::Diy1 => Box::new(Diy1::new()),
        Framing::Snet => Box::new(Snet::new()),
        Framing::U482c => Box::new(U482c::new()),
        Framing::Nusat => Box::new(Nusat::new()),
        Framing::Mrc100 => Box::new(Mrc100::new()),
        Framing::Geoscan => Box::new(Geoscan::new()),
        Framing::Aausat4 => Box::new(Aausat4::new()),
        Framing::OpsSat => Box::new(OpsSat::new()),
        Framing::Eseo => Box::new(Eseo::new()),
        Framing::Il2p => Box::new(Il2p::new()),
        Framing::Mobitex { blocks } => {
            Box::new(Mobitex::new(MobitexVariant::Cmx909b { blocks: *blocks }))
        }
        Framing::MobitexNx => Box::new(Mobitex::new(MobitexVariant::Nx)),
        Framing::Fox { high_speed } => Box::new(Fox::new(if *high_speed {
            FoxMode::HighSpeed
        } else {
            FoxMode::Slow
        })),
        _ => return None,
    })
}

/// The tone discriminator for an AFSK modulation, and whether bit 1 is the lower tone.
fn subcarrier(m: &Modulation, rate_hz: f64) -> Option<(AfskDemodConfig, bool)> {
    match *m {
        Modulation::Afsk {
            baud,
            mark_hz,
            space_hz,
            ..
        } => Some((
            AfskDemodConfig {
                sample_rate_hz: rate_hz,
                centre_hz: 0.5 * (mark_hz + space_hz),
                deviation_hz: 0.5 * (mark_hz - space_hz).abs(),
                baud,
            },
            mark_hz < space_hz,
        )),
        _ => None,
    }
}

/// The decoder for `t` when this module handles it (see [`super::decoders::build`]).
pub fn build(t: &Transmitter, rate_hz: f64) -> Option<Result<Box<dyn Decoder>, String>> {
    let baud = t.modulation.baud()?;
    let sub = subcarrier(&t.modulation, rate_hz);
    if let (Some((sub, _)), Some(framing)) = (sub, t.framing.fsk_framing()) {
        let built = AfskDemod::new(sub)
            .and_then(|front| Ok((front, ToneEnergyDemod::new(sub)?)))
            .map_err(|e| e.to_string())
            .and_then(|(front, energy)| {
                let fsk = || {
                    FskDecoder::new(FskDecoderConfig {
                        sample_rate_hz: rate_hz,
                        baud,
                        framing,
                    })
                    .map_err(|e| e.0)
                };
                Ok(Box::new(AfskFsk {
                    front,
                    nrz: Vec::new(),
                    decoder: fsk()?,
                    energy,
                    energy_nrz: Vec::new(),
                    energy_decoder: fsk()?,
                    found: Vec::new(),
                    recent: Vec::new(),
                    samples_per_bit: rate_hz / baud,
                    framing,
                }) as Box<dyn Decoder>)
            });
        return Some(built);
    }
    // FM voice with a data stream under it: after the discriminator the data is
    // baseband NRZ like FSK (the voice sits above it and the matched filter averages
    // it out).
    let fsk = t.modulation.is_baseband_fsk() || matches!(t.modulation, Modulation::Fm { .. });
    if !(fsk || sub.is_some()) {
        return None;
    }
    let deframer = deframer(&t.framing)?;
    let config = SymbolDecoderConfig {
        sample_rate_hz: rate_hz,
        baud,
        subcarrier: sub.map(|s| s.0),
        invert: sub.is_some_and(|s| s.1),
    };
    Some(SymbolDecoder::new(config, deframer).map(|decoder| {
        Box::new(Symbols {
            decoder,
            name: t.framing.kind(),
        }) as Box<dyn Decoder>
    }))
}
