//! Receiver audio to checked frames for framings outside [`super::fsk_decoder`]: an
//! optional audio-subcarrier discriminator ([`AfskDemod`]), the binary FSK demodulator
//! ([`FskDemod`]) and any [`SoftDeframer`]. The deframers live in `crate::framing`; each
//! takes one soft symbol at a time, so a new framing needs nothing here.

use super::afsk::{AfskDemod, AfskDemodConfig};
use super::fsk_decoder::{DecodedFrame, FrameCheck};
use super::fsk_demod::{FskDemod, FskDemodConfig};

/// A frame a [`SoftDeframer`] found and checked.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftFrame {
    /// Frame bytes, as the framing's reference decoder emits them.
    pub data: Vec<u8>,
    /// The check it passed.
    pub check: FrameCheck,
    /// Whether the symbol stream was inverted (None where the framing cannot tell).
    pub inverted: Option<bool>,
}

/// A deframer fed one soft symbol at a time (positive means bit 1, about ±1 when clean).
pub trait SoftDeframer: Send + std::fmt::Debug {
    /// Consumes one symbol, appending every frame it completes.
    fn push(&mut self, soft: f32, out: &mut Vec<SoftFrame>);
    /// Clears all state.
    fn reset(&mut self);
}

/// Configuration of [`SymbolDecoder`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SymbolDecoderConfig {
    /// Audio sample rate.
    pub sample_rate_hz: f64,
    /// Symbol rate.
    pub baud: f64,
    /// The data rides on an audio tone (AFSK / subcarrier): its discriminator first.
    pub subcarrier: Option<AfskDemodConfig>,
    /// Bit 1 is the lower level (lower tone, or lower RF frequency).
    pub invert: bool,
}

/// Streaming audio-to-frames decoder around a [`SoftDeframer`].
#[derive(Debug)]
pub struct SymbolDecoder {
    front: Option<AfskDemod>,
    nrz: Vec<f32>,
    demod: FskDemod,
    deframer: Box<dyn SoftDeframer>,
    sign: f32,
    sps: f64,
    sample_index: u64,
    found: Vec<SoftFrame>,
    /// Recently emitted frames (data, end sample), so a frame found twice (both
    /// polarities, overlapping sync hits) comes out once.
    recent: Vec<(Vec<u8>, u64)>,
}

impl SymbolDecoder {
    /// Builds the demodulators; errors name the unusable parameter.
    pub fn new(
        config: SymbolDecoderConfig,
        deframer: Box<dyn SoftDeframer>,
    ) -> Result<Self, String> {
        let front = match config.subcarrier {
            Some(c) => Some(AfskDemod::new(c).map_err(|e| e.to_string())?),
            None => None,
        };
        let demod = FskDemod::new(FskDemodConfig {
            sample_rate_hz: config.sample_rate_hz,
            baud: config.baud,
            invert: false,
        })
        .map_err(|e| e.to_string())?;
        Ok(Self {
            front,
            nrz: Vec::new(),
            sps: demod.sps(),
            demod,
            deframer,
            sign: if config.invert { -1.0 } else { 1.0 },
            sample_index: 0,
            found: Vec::new(),
            recent: Vec::new(),
        })
    }

    fn symbol(&mut self, soft: f32, output: &mut Vec<DecodedFrame>) {
        self.deframer.push(soft * self.sign, &mut self.found);
        let now = self.sample_index;
        for f in self.found.drain(..) {
            let window = ((f.data.len() * 8) as f64 * self.sps) as u64;
            self.recent
                .retain(|(_, t)| now.saturating_sub(*t) <= 4 * window.max(1));
            if self
                .recent
                .iter()
                .any(|(d, t)| *d == f.data && now.saturating_sub(*t) <= window)
            {
                continue;
            }
            self.recent.push((f.data.clone(), now));
            output.push(DecodedFrame {
                data: f.data,
                check: f.check,
                end_sample: now,
                inverted: f.inverted,
            });
        }
    }

    /// Consumes audio samples, appending every new checked frame to `output`.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<DecodedFrame>) {
        let mut nrz = std::mem::take(&mut self.nrz);
        nrz.clear();
        match self.front.as_mut() {
            Some(f) => f.process(input, &mut nrz),
            None => nrz.extend_from_slice(input),
        }
        for &x in &nrz {
            if let Some(s) = self.demod.push(x) {
                self.symbol(s, output);
            }
            self.sample_index += 1;
        }
        self.nrz = nrz;
    }

    /// Clears all state, as if newly built.
    pub fn reset(&mut self) {
        if let Some(f) = self.front.as_mut() {
            f.reset();
        }
        self.demod.reset();
        self.deframer.reset();
        self.sample_index = 0;
        self.found.clear();
        self.recent.clear();
    }
}
