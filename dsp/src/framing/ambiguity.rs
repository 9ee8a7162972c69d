//! Carrier-phase ambiguity of a PSK receiver, expressed as the correction to apply to the
//! received soft symbols. A Costas loop on QPSK can lock at any of four rotations, and a
//! receiver may also swap I and Q (spectral inversion): 8 cases. BPSK has a 180°
//! ambiguity and, since the two code symbols of a bit arrive one after the other, an
//! unknown pairing: 4 cases, told apart by `symbol_offset`. QPSK pairs can start one
//! soft symbol late too (an OQPSK receiver that slipped half a symbol), so the QPSK
//! search tries each of its 8 cases at both `symbol_offset`s.

use crate::fec::clamp_soft;

/// Correction for one phase ambiguity: swap I/Q first (if set), then rotate the symbol
/// I + jQ by `rotation_quarters` × 90° counter-clockwise. `symbol_offset` is the parity
/// of the soft-symbol index where a code-symbol pair starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PhaseAmbiguity {
    /// Exchange I and Q before rotating.
    pub swap_iq: bool,
    /// Counter-clockwise rotation in quarter turns, 0..=3.
    pub rotation_quarters: u8,
    /// 0 or 1: pair alignment in the soft-symbol stream (for QPSK 1 only after a
    /// half-symbol slip of a staggered receiver, or in a stream cut after an I).
    pub symbol_offset: u8,
}

impl PhaseAmbiguity {
    /// No correction.
    pub const NONE: Self = Self {
        swap_iq: false,
        rotation_quarters: 0,
        symbol_offset: 0,
    };

    /// The eight QPSK cases: four rotations, with and without I/Q swap.
    pub fn qpsk_cases() -> [Self; 8] {
        let mut out = [Self::NONE; 8];
        for (k, case) in out.iter_mut().enumerate() {
            case.swap_iq = k >= 4;
            case.rotation_quarters = (k % 4) as u8;
        }
        out
    }

    /// The four BPSK cases: inverted or not, pairs starting on even or odd symbols.
    pub fn bpsk_cases() -> [Self; 4] {
        let mut out = [Self::NONE; 4];
        for (k, case) in out.iter_mut().enumerate() {
            case.rotation_quarters = if k % 2 == 1 { 2 } else { 0 };
            case.symbol_offset = (k / 2) as u8;
        }
        out
    }

    /// Index 0..=7 of the QPSK case (swap × 4 + rotation).
    pub fn qpsk_index(&self) -> usize {
        (self.swap_iq as usize) * 4 + (self.rotation_quarters as usize % 4)
    }

    /// Corrects one received (I, Q) pair.
    #[inline]
    pub fn correct_pair(&self, i: i8, q: i8) -> (i8, i8) {
        let (i, q) = (clamp_soft(i), clamp_soft(q));
        let (i, q) = if self.swap_iq { (q, i) } else { (i, q) };
        match self.rotation_quarters % 4 {
            0 => (i, q),
            1 => (-q, i),
            2 => (-i, -q),
            _ => (q, -i),
        }
    }

    /// The correction that undoes this one.
    pub fn inverse(&self) -> Self {
        // Swap-then-rotate by k is undone by rotate by −k then swap; written again as
        // swap-then-rotate that is: no swap → rotate −k; swap → swap, rotate k.
        let k = self.rotation_quarters % 4;
        Self {
            swap_iq: self.swap_iq,
            rotation_quarters: if self.swap_iq { k } else { (4 - k) % 4 },
            symbol_offset: self.symbol_offset,
        }
    }

    /// Corrects an even number of soft symbols (I, Q, I, Q …), appending the result.
    pub fn correct(&self, pairs: &[i8], output: &mut Vec<i8>) {
        // Every case is "take I or Q first, then negate either": (src, sign) per output.
        let k = self.rotation_quarters % 4;
        let first_from_q = (k % 2 == 1) != self.swap_iq;
        let negate_first = if k == 1 || k == 2 { -1i8 } else { 1 };
        let negate_second = if k == 2 || k == 3 { -1i8 } else { 1 };
        let base = output.len();
        let n = pairs.len() & !1;
        output.resize(base + n, 0);
        for (out, p) in output[base..]
            .chunks_exact_mut(2)
            .zip(pairs.chunks_exact(2))
        {
            let i = clamp_soft(p[0]);
            let q = clamp_soft(p[1]);
            let (a, b) = if first_from_q { (q, i) } else { (i, q) };
            out[0] = a * negate_first;
            out[1] = b * negate_second;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_by_quarter_turns_matches_complex_multiplication() {
        let (i, q) = (50i8, -20i8);
        for k in 0..4u8 {
            let a = PhaseAmbiguity {
                rotation_quarters: k,
                ..PhaseAmbiguity::NONE
            };
            let z = num_complex::Complex32::new(i as f32, q as f32)
                * num_complex::Complex32::i().powu(k as u32);
            assert_eq!(a.correct_pair(i, q), (z.re as i8, z.im as i8));
        }
    }

    #[test]
    fn slice_correction_matches_pairwise() {
        let input: Vec<i8> = vec![12, -128, 127, 5, -7, 0, 99, -99];
        for a in PhaseAmbiguity::qpsk_cases() {
            let mut out = vec![1i8];
            a.correct(&input, &mut out);
            let expected: Vec<i8> = std::iter::once(1)
                .chain(input.chunks(2).flat_map(|p| {
                    let (i, q) = a.correct_pair(p[0], p[1]);
                    [i, q]
                }))
                .collect();
            assert_eq!(out, expected, "{a:?}");
        }
    }

    #[test]
    fn inverse_undoes_every_case() {
        for a in PhaseAmbiguity::qpsk_cases() {
            let (i, q) = a.correct_pair(37, -91);
            assert_eq!(a.inverse().correct_pair(i, q), (37, -91), "{a:?}");
        }
        let all: std::collections::HashSet<_> = PhaseAmbiguity::qpsk_cases()
            .iter()
            .map(|a| a.correct_pair(37, -91))
            .collect();
        assert_eq!(all.len(), 8);
    }
}
