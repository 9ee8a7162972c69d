//! [`FskDemod`] followed by any [`SymbolDeframer`]: the FSK receive path for framings
//! that work on soft symbols one at a time (sync-word framings with Viterbi, RS, CRC …),
//! kept apart from [`super::fsk_decoder::FskDecoder`]'s fixed list of framings so that a
//! new framing is one type implementing the trait.

use super::fsk_decoder::{DecodedFrame, FrameCheck};
use super::fsk_demod::{FskDemod, FskDemodConfig};

/// A frame a deframer accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SymbolFrame {
    /// Frame bytes (what each framing returns is documented with it).
    pub data: Vec<u8>,
    /// The check it passed.
    pub check: FrameCheck,
    /// Whether the symbol stream was inverted (None where the framing cannot tell).
    pub inverted: Option<bool>,
}

/// Soft symbols (positive = 1, about ±1 when clean) in, checked frames out.
pub trait SymbolDeframer: Send + std::fmt::Debug {
    /// One symbol; appends the frames it completes.
    fn push(&mut self, soft: f32, output: &mut Vec<SymbolFrame>);
    /// Forgets all state.
    fn reset(&mut self);
}

/// Streaming FSK receiver over a boxed deframer: audio in, checked frames out, each
/// transmission once.
#[derive(Debug)]
pub struct FskFramedDecoder {
    demod: FskDemod,
    deframer: Box<dyn SymbolDeframer>,
    sps: f64,
    sample_index: u64,
    found: Vec<SymbolFrame>,
    /// Recently emitted frames (data, end sample) for de-duplication.
    recent: Vec<(Vec<u8>, u64)>,
}

impl FskFramedDecoder {
    /// Demodulator for `sample_rate_hz` / `baud` feeding `deframer`.
    pub fn new(
        sample_rate_hz: f64,
        baud: f64,
        deframer: Box<dyn SymbolDeframer>,
    ) -> Result<Self, String> {
        let demod = FskDemod::new(FskDemodConfig {
            sample_rate_hz,
            baud,
            invert: false,
        })
        .map_err(|e| e.to_string())?;
        Ok(Self {
            sps: demod.sps(),
            demod,
            deframer,
            sample_index: 0,
            found: Vec::new(),
            recent: Vec::new(),
        })
    }

    fn emit(&mut self, f: DecodedFrame, output: &mut Vec<DecodedFrame>) {
        // Overlapping sync hits (a sync word with a tolerated error one bit off) can
        // accept the same transmission twice; a genuine repeat cannot end sooner than its
        // own air time after the first.
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

    /// Consumes audio samples, appending every new checked frame to `output`.
    pub fn process(&mut self, input: &[f32], output: &mut Vec<DecodedFrame>) {
        for &x in input {
            if let Some(s) = self.demod.push(x) {
                let mut found = std::mem::take(&mut self.found);
                self.deframer.push(s, &mut found);
                for f in found.drain(..) {
                    let d = DecodedFrame {
                        data: f.data,
                        check: f.check,
                        end_sample: self.sample_index,
                        inverted: f.inverted,
                    };
                    self.emit(d, output);
                }
                self.found = found;
            }
            self.sample_index += 1;
        }
    }

    /// Clears all state, as if newly built.
    pub fn reset(&mut self) {
        self.demod.reset();
        self.deframer.reset();
        self.sample_index = 0;
        self.found.clear();
        self.recent.clear();
    }
}
