//! PSK modulator: bits in, RRC-shaped complex baseband out.

use num_complex::Complex32;

use crate::filter::design::{invalid, rrc_taps, DesignError};
use crate::filter::FirFilter;
use crate::sync::PskModulation;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PskModConfig {
    pub modulation: PskModulation,
    /// Output samples per symbol (even for OQPSK, whose Q rail is delayed by
    /// `sps / 2` samples).
    pub sps: usize,
    pub rrc_rolloff: f64,
    /// Length of the pulse-shaping filter in symbols.
    pub span_symbols: usize,
}

/// Maps bits to symbols (bit 0 → +1, bit 1 → −1 per rail; QPSK/OQPSK take
/// the first bit of each pair on I, the second on Q, each rail scaled by
/// 1/√2) and shapes them with a unit-energy root-raised-cosine filter, so
/// every symbol carries energy Σ|x|² = 1 (Es = 1 in the units of
/// [`crate::modulate::Channel`]).
///
/// Output: `sps` samples per symbol, starting with the filter's delay of
/// `(taps - 1) / 2` samples (the first symbol's peak is at that index). A bit
/// that does not complete a symbol waits for the next call, so any chunking
/// of the bits gives the same samples. Any non-zero byte counts as bit 1.
#[derive(Debug, Clone)]
pub struct PskMod {
    config: PskModConfig,
    filter: FirFilter,
    pending: Option<u8>,
    impulses: Vec<Complex32>,
}

impl PskMod {
    pub fn new(config: PskModConfig) -> Result<Self, DesignError> {
        if config.sps < 2 || config.sps > 4096 {
            return Err(invalid(
                "sps",
                config.sps as f64,
                "an integer samples-per-symbol in [2, 4096]",
            ));
        }
        if config.modulation == PskModulation::Oqpsk && !config.sps.is_multiple_of(2) {
            return Err(invalid(
                "sps",
                config.sps as f64,
                "an even samples-per-symbol for OQPSK (Q is delayed sps/2)",
            ));
        }
        let taps = rrc_taps(config.sps as f64, config.rrc_rolloff, config.span_symbols)?;
        Ok(PskMod {
            config,
            filter: FirFilter::new(&taps)?,
            pending: None,
            impulses: Vec::new(),
        })
    }

    pub fn config(&self) -> &PskModConfig {
        &self.config
    }

    /// Index of the first symbol's peak in the output.
    pub fn delay_samples(&self) -> usize {
        (self.filter.taps().len() - 1) / 2
    }

    pub fn reset(&mut self) {
        self.filter.reset();
        self.pending = None;
    }

    /// Appends `sps` samples per completed symbol.
    pub fn process(&mut self, bits: &[u8], output: &mut Vec<Complex32>) {
        let sps = self.config.sps;
        let zero = Complex32::new(0.0, 0.0);
        let level = |b: u8| if b == 0 { 1.0f32 } else { -1.0 };
        let r = std::f32::consts::FRAC_1_SQRT_2;
        self.impulses.clear();
        let push = |imp: &mut Vec<Complex32>, i: f32, q: f32, m: PskModulation| {
            let start = imp.len();
            imp.resize(start + sps, zero);
            match m {
                PskModulation::Bpsk => imp[start].re = i,
                PskModulation::Qpsk => imp[start] = Complex32::new(i * r, q * r),
                PskModulation::Oqpsk => {
                    imp[start].re = i * r;
                    imp[start + sps / 2].im = q * r;
                }
            }
        };
        let m = self.config.modulation;
        match m {
            PskModulation::Bpsk => {
                for &b in bits {
                    push(&mut self.impulses, level(b), 0.0, m);
                }
            }
            PskModulation::Qpsk | PskModulation::Oqpsk => {
                for &b in bits {
                    match self.pending.take() {
                        None => self.pending = Some(b),
                        Some(first) => push(&mut self.impulses, level(first), level(b), m),
                    }
                }
            }
        }
        self.filter.process(&self.impulses, output);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_sit_on_the_constellation_after_a_matched_filter() {
        for m in PskModulation::ALL {
            let cfg = PskModConfig {
                modulation: m,
                sps: 4,
                rrc_rolloff: 0.5,
                span_symbols: 24,
            };
            let mut md = PskMod::new(cfg).unwrap();
            let bits: Vec<u8> = (0..400u32).map(|i| ((i * 7 + i / 3) % 2) as u8).collect();
            let mut x = Vec::new();
            md.process(&bits, &mut x);
            let n_sym = bits.len() / m.bits_per_symbol();
            assert_eq!(x.len(), n_sym * 4);
            // Mean energy per symbol ≈ 1 (away from the filter's start-up).
            let mid = &x[md.delay_samples() + 80..x.len() - 80];
            let e: f64 =
                mid.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / (mid.len() as f64 / 4.0);
            assert!((e - 1.0).abs() < 0.05, "{m}: Es {e}");
            let mut y = Vec::new();
            FirFilter::new(&rrc_taps(4.0, 0.5, 24).unwrap())
                .unwrap()
                .process(&x, &mut y);
            let d = 2 * md.delay_samples();
            let r = std::f32::consts::FRAC_1_SQRT_2;
            for k in 10..n_sym - 30 {
                let lv = |b: u8| if b == 0 { 1.0f32 } else { -1.0 };
                let (i, q) = match m {
                    PskModulation::Bpsk => (y[d + 4 * k].re, 0.0),
                    PskModulation::Qpsk => (y[d + 4 * k].re / r, y[d + 4 * k].im / r),
                    PskModulation::Oqpsk => (y[d + 4 * k].re / r, y[d + 4 * k + 2].im / r),
                };
                let (ei, eq) = match m {
                    PskModulation::Bpsk => (lv(bits[k]), 0.0),
                    _ => (lv(bits[2 * k]), lv(bits[2 * k + 1])),
                };
                assert!(
                    (i - ei).abs() < 0.02 && (q - eq).abs() < 0.02,
                    "{m} symbol {k}: {i} {q}"
                );
            }
        }
    }

    #[test]
    fn chunking_and_errors() {
        let cfg = PskModConfig {
            modulation: PskModulation::Oqpsk,
            sps: 4,
            rrc_rolloff: 0.6,
            span_symbols: 12,
        };
        let bits: Vec<u8> = (0..1001u32).map(|i| (i.count_ones() % 2) as u8).collect();
        let mut whole = Vec::new();
        PskMod::new(cfg).unwrap().process(&bits, &mut whole);
        for chunk in [1, 17, 4096] {
            let mut md = PskMod::new(cfg).unwrap();
            let mut y = Vec::new();
            for c in bits.chunks(chunk) {
                md.process(c, &mut y);
            }
            assert!(y == whole, "chunk {chunk}");
        }
        assert!(PskMod::new(PskModConfig { sps: 3, ..cfg }).is_err());
        assert!(PskMod::new(PskModConfig { sps: 1, ..cfg }).is_err());
        assert!(PskMod::new(PskModConfig {
            rrc_rolloff: 2.0,
            ..cfg
        })
        .is_err());
        assert!(PskMod::new(PskModConfig {
            sps: 3,
            modulation: PskModulation::Qpsk,
            ..cfg
        })
        .is_ok());
    }
}
