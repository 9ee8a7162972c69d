//! Numerically controlled oscillator used as a frequency shifter (mixer).

use std::f64::consts::TAU;
use std::ops::Range;

use num_complex::Complex32;

use crate::filter::design::{invalid, DesignError};

/// Samples per phasor block. Every block starts from a phasor computed exactly
/// from the integer phase, so rounding error cannot accumulate across blocks.
const BLOCK: usize = 128;

/// Multiplies samples by `exp(+j·2π·f·n)`, `f = freq_norm` in cycles/sample.
///
/// Sign: the output is the input moved **up** by `f`. To bring a signal at
/// `+f_hz` in a recording sampled at `fs_hz` down to DC, use
/// `freq_norm = -f_hz / fs_hz`.
///
/// The phase is an exact 64-bit fixed-point accumulator (one turn = 2⁶⁴), so
/// the frequency is exact to 2⁻⁶⁴ cycles/sample and never drifts. Within a
/// block of 128 samples, sample `k` uses `P · W[k]` where `P` is the block's
/// start phasor and `W[k] = exp(j2πfk)` is a table; both are computed in f64
/// from the integer phase. Blocks are counted from construction (or the last
/// `set_freq_norm`/`reset`), not from call boundaries, so the output is
/// bit-identical for any chunking. Phase error is at f32 rounding level
/// (spurs far below -120 dBc).
#[derive(Debug, Clone)]
pub struct Nco {
    freq_norm: f64,
    /// Phase increment per sample (2⁶⁴ = one turn).
    inc: u64,
    /// Phase at the start of the current block.
    block_phase: u64,
    /// `exp(j·block_phase)`.
    block_phasor: Complex32,
    /// Position inside the current block.
    pos: usize,
    /// `W[k] = exp(j·k·inc)`.
    table: Vec<Complex32>,
}

fn cis(phase: u64) -> Complex32 {
    // Signed view keeps the angle in [-π, π) where sin/cos are most accurate.
    let angle = (phase as i64) as f64 * (TAU / 18_446_744_073_709_551_616.0);
    let (s, c) = angle.sin_cos();
    Complex32::new(c as f32, s as f32)
}

fn freq_to_inc(freq_norm: f64) -> Result<u64, DesignError> {
    if !freq_norm.is_finite() {
        return Err(invalid(
            "freq_norm",
            freq_norm,
            "a finite frequency in cycles/sample",
        ));
    }
    // Any frequency aliases into [-0.5, 0.5]; fold first so the fixed-point
    // product stays within ±2⁶³ (exactly representable as i128).
    let folded = freq_norm - freq_norm.round();
    let scaled = (folded * 18_446_744_073_709_551_616.0).round() as i128;
    Ok(scaled as u64)
}

impl Nco {
    /// `freq_norm` in cycles/sample; frequencies outside ±0.5 alias (they are
    /// folded). Only non-finite values are errors. Phase starts at 0.
    pub fn new(freq_norm: f64) -> Result<Self, DesignError> {
        let inc = freq_to_inc(freq_norm)?;
        let mut nco = Nco {
            freq_norm,
            inc,
            block_phase: 0,
            block_phasor: Complex32::new(1.0, 0.0),
            pos: 0,
            table: vec![Complex32::new(1.0, 0.0); BLOCK],
        };
        nco.rebuild_table();
        Ok(nco)
    }

    /// `W[k]` by a complex recurrence in f64 from one `sin_cos`: PskDemod
    /// retunes at every block (the Costas loop hands its frequency over), and
    /// 128 libm calls per retune were 2 % of a whole Meteor decode. After 127
    /// steps the recurrence is within ~10⁻¹³ of the exact phasor, a
    /// millionth of f32's rounding step, so the f32 table is the one direct
    /// evaluation gives (test: `table_matches_direct_evaluation`).
    fn rebuild_table(&mut self) {
        let angle = (self.inc as i64) as f64 * (TAU / 18_446_744_073_709_551_616.0);
        let (s, c) = angle.sin_cos();
        let (mut re, mut im) = (1.0f64, 0.0f64);
        for w in self.table.iter_mut() {
            *w = Complex32::new(re as f32, im as f32);
            (re, im) = (re * c - im * s, re * s + im * c);
        }
    }

    /// Current phase in cycles, in [0, 1).
    pub fn phase_cycles(&self) -> f64 {
        self.phase() as f64 / 18_446_744_073_709_551_616.0
    }

    fn phase(&self) -> u64 {
        self.block_phase
            .wrapping_add(self.inc.wrapping_mul(self.pos as u64))
    }

    pub fn freq_norm(&self) -> f64 {
        self.freq_norm
    }

    /// Changes the frequency from the next sample on, keeping the phase
    /// continuous. Errors (leaving the NCO unchanged) on a non-finite value.
    pub fn set_freq_norm(&mut self, freq_norm: f64) -> Result<(), DesignError> {
        let inc = freq_to_inc(freq_norm)?;
        let phase = self.phase();
        self.freq_norm = freq_norm;
        self.inc = inc;
        self.start_block(phase);
        self.rebuild_table();
        Ok(())
    }

    /// Phase back to 0, frequency unchanged.
    pub fn reset(&mut self) {
        self.start_block(0);
    }

    fn start_block(&mut self, phase: u64) {
        self.block_phase = phase;
        self.block_phasor = cis(phase);
        self.pos = 0;
    }

    fn end_block(&mut self) {
        let next = self
            .block_phase
            .wrapping_add(self.inc.wrapping_mul(BLOCK as u64));
        self.start_block(next);
    }

    /// Calls `f(range, block phasor, table entries)` for consecutive pieces
    /// of `0..n`, each within one table block, and moves the phase on by `n`.
    #[inline(always)]
    fn in_blocks(&mut self, n: usize, mut f: impl FnMut(Range<usize>, Complex32, &[Complex32])) {
        let mut i = 0;
        while i < n {
            let take = (BLOCK - self.pos).min(n - i);
            f(
                i..i + take,
                self.block_phasor,
                &self.table[self.pos..self.pos + take],
            );
            i += take;
            self.pos += take;
            if self.pos == BLOCK {
                self.end_block();
            }
        }
    }

    /// Appends `input[n] · exp(j2πf·n)` to `output`.
    #[inline]
    pub fn mix(&mut self, input: &[Complex32], output: &mut Vec<Complex32>) {
        // Appended rather than zero-filled and then overwritten: one pass over
        // the output instead of two.
        output.reserve(input.len());
        self.in_blocks(input.len(), |r, p, w| {
            output.extend(input[r].iter().zip(w).map(|(s, w)| mul(*s, mul(p, *w))));
        });
    }

    /// Writes `input[n] · exp(j2πf·n)` into `output`; lengths must be equal
    /// (only the common prefix is processed otherwise).
    #[inline]
    pub fn mix_into(&mut self, input: &[Complex32], output: &mut [Complex32]) {
        let n = input.len().min(output.len());
        self.in_blocks(n, |r, p, w| {
            for ((d, s), w) in output[r.clone()].iter_mut().zip(&input[r]).zip(w) {
                *d = mul(*s, mul(p, *w));
            }
        });
    }

    /// Mixes `buf` in place; same result as [`Nco::mix`].
    pub fn mix_in_place(&mut self, buf: &mut [Complex32]) {
        self.in_blocks(buf.len(), |r, p, w| {
            for (d, w) in buf[r].iter_mut().zip(w) {
                *d = mul(*d, mul(p, *w));
            }
        });
    }
}

/// Complex multiply spelled out so both mix paths use identical arithmetic.
#[inline(always)]
fn mul(a: Complex32, b: Complex32) -> Complex32 {
    Complex32::new(a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_direct_evaluation() {
        // Frequencies from tiny to Nyquist, both signs, and awkward ratios:
        // every table entry within one f32 ulp of cis(k·inc), and nearly all
        // identical.
        let mut differ = 0;
        let mut total = 0;
        for i in 0..2000 {
            let f =
                ((i as f64 * 0.618_033_988_749_895).fract() - 0.5) * (1.0 + (i % 7) as f64) / 7.0;
            let nco = Nco::new(f).unwrap();
            for (k, w) in nco.table.iter().enumerate() {
                let exact = cis(nco.inc.wrapping_mul(k as u64));
                assert!((w.re - exact.re).abs() <= f32::EPSILON, "f {f} k {k}");
                assert!((w.im - exact.im).abs() <= f32::EPSILON, "f {f} k {k}");
                differ += usize::from(*w != exact);
                total += 1;
            }
        }
        assert!(
            differ * 10_000 < total,
            "{differ} of {total} entries differ"
        );
    }
    use rustfft::FftPlanner;

    fn peak_bin(x: &[Complex32]) -> usize {
        let mut buf = x.to_vec();
        FftPlanner::new()
            .plan_fft_forward(buf.len())
            .process(&mut buf);
        buf.iter()
            .enumerate()
            .max_by(|a, b| a.1.norm().total_cmp(&b.1.norm()))
            .unwrap()
            .0
    }

    #[test]
    fn moves_a_tone_to_the_expected_bin() {
        let n = 1024;
        // Tone at +100 bins; shift by -37 bins → 63; by +0.3 cycles → wraps.
        let tone: Vec<Complex32> = (0..n)
            .map(|i| cis((i as u64).wrapping_mul(100 << 54)))
            .collect();
        for &(shift_bins, expected) in &[(-37i64, 63usize), (-100, 0), (500, 600), (-300, 824)] {
            let mut nco = Nco::new(shift_bins as f64 / n as f64).unwrap();
            let mut out = Vec::new();
            nco.mix(&tone, &mut out);
            assert_eq!(peak_bin(&out), expected, "shift {shift_bins}");
        }
    }

    #[test]
    fn output_is_the_exact_phasor_and_unit_magnitude() {
        let f = 0.123_456_789;
        let mut nco = Nco::new(f).unwrap();
        let ones = vec![Complex32::new(1.0, 0.0); 100_000];
        let mut out = Vec::new();
        nco.mix(&ones, &mut out);
        for (i, c) in out.iter().enumerate() {
            let phase = TAU * ((f * i as f64) % 1.0);
            let expected = Complex32::new(phase.cos() as f32, phase.sin() as f32);
            assert!(
                (c - expected).norm() < 1e-6,
                "sample {i}: {c} vs {expected}"
            );
        }
        // 100 000 samples = 781.25 blocks: check the reported phase too.
        let expected_phase = (f * 100_000.0) % 1.0;
        assert!((nco.phase_cycles() - expected_phase).abs() < 1e-9);
    }

    #[test]
    fn sign_convention_brings_positive_offset_to_dc() {
        let fs = 48_000.0;
        let f = 6_000.0;
        let tone: Vec<Complex32> = (0..4800)
            .map(|i| {
                let p = TAU * f / fs * i as f64;
                Complex32::new(p.cos() as f32, p.sin() as f32)
            })
            .collect();
        let mut nco = Nco::new(-f / fs).unwrap();
        let mut out = Vec::new();
        nco.mix(&tone, &mut out);
        for c in &out {
            assert!((c - Complex32::new(1.0, 0.0)).norm() < 1e-4);
        }
    }

    #[test]
    fn mix_in_place_equals_mix_and_set_freq_keeps_phase() {
        let input: Vec<Complex32> = (0..1000)
            .map(|i| Complex32::new((i as f32).sin(), (i as f32 * 0.7).cos()))
            .collect();
        let mut a = Nco::new(0.01).unwrap();
        let mut b = Nco::new(0.01).unwrap();
        let mut out = Vec::new();
        a.mix(&input[..300], &mut out);
        a.set_freq_norm(-0.2).unwrap();
        a.mix(&input[300..], &mut out);
        let mut buf = input.clone();
        b.mix_in_place(&mut buf[..300]);
        b.set_freq_norm(-0.2).unwrap();
        b.mix_in_place(&mut buf[300..]);
        assert_eq!(out, buf);
        // Phase continuity: phase after 300 samples at 0.01 is 3.0 cycles = 0.
        let mut c = Nco::new(0.01).unwrap();
        let mut probe = Vec::new();
        c.mix(&vec![Complex32::new(1.0, 0.0); 300], &mut probe);
        c.set_freq_norm(-0.2).unwrap();
        probe.clear();
        c.mix(&[Complex32::new(1.0, 0.0); 2], &mut probe);
        assert!((probe[0] - Complex32::new(1.0, 0.0)).norm() < 1e-6);
        let p1 = -0.2 * TAU;
        assert!((probe[1] - Complex32::new(p1.cos() as f32, p1.sin() as f32)).norm() < 1e-6);
    }

    #[test]
    fn rejects_non_finite_and_folds_aliases() {
        assert!(Nco::new(f64::NAN).is_err());
        let mut n = Nco::new(0.1).unwrap();
        assert!(n.set_freq_norm(f64::INFINITY).is_err());
        assert_eq!(n.freq_norm(), 0.1);
        // 1.25 cycles/sample is the same oscillator as 0.25.
        let x = vec![Complex32::new(1.0, 0.0); 500];
        let (mut a, mut b) = (Nco::new(1.25).unwrap(), Nco::new(0.25).unwrap());
        let (mut ya, mut yb) = (Vec::new(), Vec::new());
        a.mix(&x, &mut ya);
        b.mix(&x, &mut yb);
        assert_eq!(ya, yb);
        // ±0.5 are the same frequency too.
        let (mut a, mut b) = (Nco::new(0.5).unwrap(), Nco::new(-0.5).unwrap());
        let (mut ya, mut yb) = (Vec::new(), Vec::new());
        a.mix(&x, &mut ya);
        b.mix(&x, &mut yb);
        assert_eq!(ya, yb);
    }

    #[test]
    fn reset_restarts_phase() {
        let x = vec![Complex32::new(1.0, 0.0); 333];
        let mut n = Nco::new(0.0123).unwrap();
        let mut a = Vec::new();
        n.mix(&x, &mut a);
        n.reset();
        let mut b = Vec::new();
        n.mix(&x, &mut b);
        assert_eq!(a, b);
    }
}
