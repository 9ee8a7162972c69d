//! Half-band decimator: a low-pass filter and decimation by 2 for a fraction
//! of a general FIR decimator's work.
//!
//! A half-band filter has odd length `4K - 1`, symmetric taps, centre tap ½,
//! and every other tap zero (those an even distance from the centre). Its
//! response is antisymmetric about a quarter of the input rate
//! (`H(f) + H(½ - f) = 1`), so one design parameter, the passband edge `fp`,
//! sets the stopband edge `½ - fp`: exactly the band that folds onto
//! `[-fp, fp]` when the rate is halved.
//!
//! Polyphase form: the output at input index `2m` is
//! `Σ_{i<K} g[i] · (e[m-i] + e[m-2K+1+i]) + ½ · o[m-K]`, where `e` are the
//! even-indexed inputs, `o` the odd-indexed ones and `g` the outer half of the
//! non-zero taps: `K` multiplies for the folded pairs and one for the centre
//! per output, against `4K - 1` for a plain FIR decimator with these taps.

use std::mem::MaybeUninit;

use num_complex::Complex32;

use super::as_f32;

use super::design::{
    check_taps, invalid, kaiser_length, kaiser_window_f64, stopband_peak_db, DesignError, MAX_TAPS,
};

/// Outputs computed together: each sweep over the taps updates 16 complex
/// outputs (32 `f32` lanes: four AVX registers, eight SSE ones), so the
/// accumulators stay in registers and the add chains of different outputs
/// overlap.
const GROUP: usize = 16;

/// Outputs per pass over the split buffers (8192 inputs: the buffers stay in L1/L2).
const BLOCK: usize = 4096;

/// Half-band taps (length `4K - 1`, centre ½, zeros an even distance from
/// the centre) flat to `passband_norm` and at least `stopband_db` down from
/// `0.5 - passband_norm` (cycles/sample at the input rate) to Nyquist.
///
/// A Kaiser-windowed sinc with its cutoff at 0.25, which puts the zeros in
/// the right places by itself (they are then set exactly). Kaiser's length and
/// shape formulas are far off for filters this short and transitions this
/// wide (60 dB at a passband edge of 0.066 needs 11 taps with the best
/// shape, 19 with the formula's), so for each `K`, from the smallest, the
/// window shape is searched for on a grid and the stopband of the rounded
/// `f32` taps measured; the first `K` that meets `stopband_db` is used. The
/// passband ripple equals the stopband's (the response is antisymmetric about
/// 0.25): 60 dB gives ±0.009 dB. The outer taps are scaled so that the DC
/// gain is 1 in `f64`.
pub fn halfband_taps(passband_norm: f64, stopband_db: f64) -> Result<Vec<f32>, DesignError> {
    if !(passband_norm > 0.0 && passband_norm < 0.25) {
        return Err(invalid(
            "passband_norm",
            passband_norm,
            "a passband edge in (0, 0.25) cycles/sample",
        ));
    }
    if !(stopband_db > 0.0 && stopband_db <= 120.0) {
        return Err(invalid(
            "stopband_db",
            stopband_db,
            "a value in (0, 120] dB",
        ));
    }
    let stop_edge = 0.5 - passband_norm;
    // The formula's length is enough with the formula's shape (within a pair
    // or two: it is up to ~1 dB optimistic), so the searched shapes need
    // fewer pairs: start at a third of it.
    let estimate = kaiser_length(stopband_db, stop_edge - passband_norm)?;
    let mut pairs = (estimate + 1).div_ceil(12).max(1);
    loop {
        let len = 4 * pairs - 1;
        if len > MAX_TAPS {
            return Err(DesignError::TooManyTaps {
                needed: len as f64,
                max: MAX_TAPS,
            });
        }
        let mut best: Option<(f64, Vec<f32>)> = None;
        for step in 0..=BETA_STEPS {
            let beta = MAX_BETA * step as f64 / BETA_STEPS as f64;
            let taps = windowed_halfband(pairs, beta)?;
            let peak = stopband_peak_db(&taps, stop_edge);
            if best.as_ref().is_none_or(|(b, _)| peak < *b) {
                best = Some((peak, taps));
            }
        }
        if let Some((peak, taps)) = best {
            // The small margin covers the measuring grid's own error.
            if peak <= -stopband_db - 0.05 {
                return Ok(taps);
            }
        }
        pairs += (pairs / 32).max(1);
    }
}

/// Kaiser shapes tried: 0 (rectangular) to 12 (about 120 dB sidelobes).
const MAX_BETA: f64 = 12.0;
const BETA_STEPS: usize = 48;

fn windowed_halfband(pairs: usize, beta: f64) -> Result<Vec<f32>, DesignError> {
    let len = 4 * pairs - 1;
    let centre = 2 * pairs - 1;
    let window = kaiser_window_f64(len, beta)?;
    // Only odd distances from the centre carry a tap: ½·sinc(d/2)·w.
    let mut outer = vec![0.0f64; pairs];
    for (i, v) in outer.iter_mut().enumerate() {
        let d = (2 * i + 1) as f64;
        let x = std::f64::consts::PI * d / 2.0;
        *v = 0.5 * x.sin() / x * window[centre + 2 * i + 1];
    }
    // Both sides of the outer taps sum to ½ and the centre is ½: DC gain 1.
    let scale = 0.25 / outer.iter().sum::<f64>();
    let mut taps = vec![0.0f32; len];
    taps[centre] = 0.5;
    for (i, v) in outer.iter().enumerate() {
        let t = (v * scale) as f32;
        taps[centre - 2 * i - 1] = t;
        taps[centre + 2 * i + 1] = t;
    }
    Ok(taps)
}

/// Halves the rate: equal (up to the order of the additions) to filtering
/// with the half-band taps and keeping the outputs at input indices 0, 2, 4, …
/// (counted from construction or `reset`). Output is bit-identical whatever
/// the chunking, and on every x86-64 CPU (the AVX2 build runs the same
/// operations as the portable one, only wider).
#[derive(Debug, Clone)]
pub struct HalfbandDecimator {
    taps: Vec<f32>,
    /// `g[i]`: the non-zero taps before the centre, outermost first.
    outer: Vec<f32>,
    centre: f32,
    /// The last `2K - 1` even-indexed inputs, then the new ones.
    even: Vec<Complex32>,
    /// Odd-indexed inputs from `o[m - K]` on, `m` being the next output.
    odd: Vec<Complex32>,
    /// The next input has an odd index (the last chunk had a loose even one).
    odd_next: bool,
}

impl HalfbandDecimator {
    /// Designs the taps with [`halfband_taps`].
    pub fn design(passband_norm: f64, stopband_db: f64) -> Result<Self, DesignError> {
        Self::new(&halfband_taps(passband_norm, stopband_db)?)
    }

    /// Errors unless `taps` has the half-band shape: length `4K - 1`,
    /// symmetric, finite, zero at every even distance from the centre.
    pub fn new(taps: &[f32]) -> Result<Self, DesignError> {
        if taps.len() % 4 != 3 {
            return Err(invalid(
                "taps",
                taps.len() as f64,
                "a half-band length 4K - 1 (3, 7, 11, ...)",
            ));
        }
        check_taps(taps)?;
        let centre = taps.len() / 2;
        for d in 1..=centre {
            let (lo, hi) = (taps[centre - d], taps[centre + d]);
            if lo != hi {
                return Err(invalid("tap", hi as f64, "symmetric taps"));
            }
            if d % 2 == 0 && lo != 0.0 {
                return Err(invalid(
                    "tap",
                    lo as f64,
                    "zero at every even distance from the centre",
                ));
            }
        }
        let pairs = taps.len().div_ceil(4);
        let outer = (0..pairs).map(|i| taps[2 * i]).collect();
        let mut d = HalfbandDecimator {
            taps: taps.to_vec(),
            outer,
            centre: taps[centre],
            even: Vec::with_capacity(2 * pairs - 1 + BLOCK),
            odd: Vec::with_capacity(pairs + BLOCK),
            odd_next: false,
        };
        d.reset();
        Ok(d)
    }

    pub fn taps(&self) -> &[f32] {
        &self.taps
    }

    /// Group delay at the input rate, `(len - 1) / 2` samples.
    pub fn delay_samples(&self) -> f64 {
        (self.taps.len() - 1) as f64 / 2.0
    }

    /// Clears the history and the decimation phase.
    pub fn reset(&mut self) {
        let k = self.outer.len();
        self.even.clear();
        self.even.resize(2 * k - 1, Complex32::new(0.0, 0.0));
        self.odd.clear();
        self.odd.resize(k, Complex32::new(0.0, 0.0));
        self.odd_next = false;
    }

    /// Consumes all of `input`, appending about `input.len() / 2` samples.
    pub fn process(&mut self, mut input: &[Complex32], output: &mut Vec<Complex32>) {
        let hist = 2 * self.outer.len() - 1;
        output.reserve(input.len().div_ceil(2));
        if self.odd_next {
            if let Some((&first, rest)) = input.split_first() {
                self.odd.push(first);
                self.odd_next = false;
                input = rest;
            }
        }
        // Chunks of even length: only the last can leave a loose even sample.
        for chunk in input.chunks(2 * BLOCK) {
            let (pairs, loose) = chunk.as_chunks::<2>();
            split(pairs, &mut self.even, &mut self.odd);
            if let [last] = loose {
                self.even.push(*last);
                self.odd_next = true;
            }
            let n = self.even.len() - hist;
            // Written straight into the spare capacity: no zero-fill first.
            let dst = &mut output.spare_capacity_mut()[..n];
            // SAFETY: `MaybeUninit<Complex32>` has the layout of `Complex32`,
            // which has the layout of `[f32; 2]` (see `as_f32`).
            let dst = unsafe {
                std::slice::from_raw_parts_mut(dst.as_mut_ptr().cast::<MaybeUninit<f32>>(), 2 * n)
            };
            outputs(
                &self.outer,
                self.centre,
                as_f32(&self.even),
                as_f32(&self.odd),
                dst,
            );
            // SAFETY: `outputs` wrote all `n` samples (every float of `dst`).
            unsafe { output.set_len(output.len() + n) };
            // Only the history (2K - 1 and K samples) moves.
            self.even.drain(..n);
            self.odd.drain(..n);
        }
    }
}

/// Appends `pairs[i][0]` to `even` and `pairs[i][1]` to `odd`, written
/// straight into their spare capacity. A plain copy, so the AVX2 build (four
/// pairs per step, two loads, four shuffles, two stores) cannot change a bit.
fn split(pairs: &[[Complex32; 2]], even: &mut Vec<Complex32>, odd: &mut Vec<Complex32>) {
    let n = pairs.len();
    even.reserve(n);
    odd.reserve(n);
    let (e, o) = (
        &mut even.spare_capacity_mut()[..n],
        &mut odd.spare_capacity_mut()[..n],
    );
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        unsafe { split_avx2(pairs, e, o) };
    } else {
        split_portable(pairs, e, o);
    }
    #[cfg(not(target_arch = "x86_64"))]
    split_portable(pairs, e, o);
    // SAFETY: both wrote all `n` samples of `e` and `o`.
    unsafe {
        even.set_len(even.len() + n);
        odd.set_len(odd.len() + n);
    }
}

#[inline(always)]
fn split_portable(
    pairs: &[[Complex32; 2]],
    even: &mut [MaybeUninit<Complex32>],
    odd: &mut [MaybeUninit<Complex32>],
) {
    for ((p, e), o) in pairs.iter().zip(even.iter_mut()).zip(odd.iter_mut()) {
        e.write(p[0]);
        o.write(p[1]);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn split_avx2(
    pairs: &[[Complex32; 2]],
    even: &mut [MaybeUninit<Complex32>],
    odd: &mut [MaybeUninit<Complex32>],
) {
    use std::arch::x86_64::*;
    let n = pairs.len();
    assert!(even.len() >= n && odd.len() >= n);
    // One complex sample is 8 bytes: one f64 lane.
    let src = pairs.as_ptr().cast::<f64>();
    let (pe, po) = (
        even.as_mut_ptr().cast::<f64>(),
        odd.as_mut_ptr().cast::<f64>(),
    );
    let mut i = 0;
    while i + 4 <= n {
        // SAFETY: pairs i..i+4 are 8 samples from `src + 2i`; samples i..i+4
        // of `even` and `odd` are in bounds (asserted above).
        unsafe {
            let a = _mm256_loadu_pd(src.add(2 * i)); // e0 o0 e1 o1
            let b = _mm256_loadu_pd(src.add(2 * i + 4)); // e2 o2 e3 o3
            let lo = _mm256_unpacklo_pd(a, b); // e0 e2 e1 e3
            let hi = _mm256_unpackhi_pd(a, b); // o0 o2 o1 o3
            _mm256_storeu_pd(pe.add(i), _mm256_permute4x64_pd::<0b11_01_10_00>(lo));
            _mm256_storeu_pd(po.add(i), _mm256_permute4x64_pd::<0b11_01_10_00>(hi));
        }
        i += 4;
    }
    split_portable(&pairs[i..], &mut even[i..], &mut odd[i..]);
}

/// Writes `dst.len() / 2` outputs; output `j` reads `even[j ..= j + 2K - 1]`
/// and `odd[j]` (complex samples, viewed as interleaved `f32`). Runs the AVX2
/// build of the same code where the CPU has it: it only widens the lanes (no
/// fused multiply-add, same operations per output), so the bits do not change.
fn outputs(outer: &[f32], centre: f32, even: &[f32], odd: &[f32], dst: &mut [MaybeUninit<f32>]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2 (checked just above).
        return unsafe { outputs_avx2(outer, centre, even, odd, dst) };
    }
    outputs_with(outer, centre, even, odd, dst);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn outputs_avx2(
    outer: &[f32],
    centre: f32,
    even: &[f32],
    odd: &[f32],
    dst: &mut [MaybeUninit<f32>],
) {
    outputs_with(outer, centre, even, odd, dst);
}

#[inline(always)]
fn outputs_with(
    outer: &[f32],
    centre: f32,
    even: &[f32],
    odd: &[f32],
    dst: &mut [MaybeUninit<f32>],
) {
    let n = dst.len() / 2;
    let mut j = 0;
    while j + GROUP <= n {
        group::<{ 2 * GROUP }>(outer, centre, even, odd, j, dst);
        j += GROUP;
    }
    while j < n {
        group::<2>(outer, centre, even, odd, j, dst);
        j += 1;
    }
}

/// Outputs `j .. j + W/2`. Every output lane does the same operations in the
/// same order whatever `W` is: for each pair, outermost first, add the two
/// samples, multiply by the tap, add to the sum; then add centre × sample.
#[inline(always)]
fn group<const W: usize>(
    outer: &[f32],
    centre: f32,
    even: &[f32],
    odd: &[f32],
    j: usize,
    dst: &mut [MaybeUninit<f32>],
) {
    let last = 2 * outer.len() - 1;
    let mut acc = [0.0f32; W];
    for (i, &g) in outer.iter().enumerate() {
        let a = lanes::<W>(even, 2 * (j + i));
        let b = lanes::<W>(even, 2 * (j + last - i));
        for t in 0..W {
            acc[t] += g * (a[t] + b[t]);
        }
    }
    let o = lanes::<W>(odd, 2 * j);
    let out = &mut dst[2 * j..2 * j + W];
    for t in 0..W {
        out[t].write(acc[t] + centre * o[t]);
    }
}

#[inline(always)]
fn lanes<const W: usize>(x: &[f32], at: usize) -> &[f32; W] {
    x[at..at + W].try_into().expect("W lanes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::test_rng::TestRng;
    use num_complex::Complex64;

    /// |H(f)| in dB of `taps` at `f` cycles/sample, in f64.
    fn gain_db(taps: &[f32], f: f64) -> f64 {
        let h: Complex64 = taps
            .iter()
            .enumerate()
            .map(|(n, &t)| {
                Complex64::from_polar(t as f64, -2.0 * std::f64::consts::PI * f * n as f64)
            })
            .sum();
        20.0 * h.norm().log10()
    }

    #[test]
    fn designs_meet_the_ripple_and_stopband_and_keep_the_half_band_shape() {
        for &(fp, db) in &[
            (0.02, 60.0),
            (0.066, 60.0),
            (0.132, 60.0),
            (0.2, 60.0),
            (0.225, 60.0),
            (0.1, 80.0),
        ] {
            let taps = halfband_taps(fp, db).unwrap();
            let len = taps.len();
            assert_eq!(len % 4, 3, "fp {fp}: length {len}");
            let c = len / 2;
            assert_eq!(taps[c], 0.5);
            for d in 1..=c {
                assert_eq!(taps[c - d], taps[c + d]);
                if d % 2 == 0 {
                    assert_eq!(taps[c + d], 0.0);
                }
            }
            // 60 dB is a ripple of 1e-3 on either side: 0.0087 dB in the passband.
            let ripple_db = 20.0 * (1.0 + 10f64.powf(-db / 20.0)).log10() + 1e-4;
            let grid = 2000;
            for k in 0..=grid {
                let f = fp * k as f64 / grid as f64;
                let g = gain_db(&taps, f);
                assert!(g.abs() <= ripple_db, "fp {fp}: {g} dB at {f}");
                let s = 0.5 - fp + (fp * k as f64 / grid as f64);
                let g = gain_db(&taps, s);
                assert!(g <= -db, "fp {fp}: {g} dB at {s}");
            }
            // Not longer than it needs to be: no shape with one K less meets it.
            if len > 3 {
                for step in 0..=BETA_STEPS {
                    let beta = MAX_BETA * step as f64 / BETA_STEPS as f64;
                    let shorter = windowed_halfband(len.div_ceil(4) - 1, beta).unwrap();
                    let peak = stopband_peak_db(&shorter, 0.5 - fp);
                    assert!(peak > -db - 0.05, "fp {fp}");
                }
            }
        }
    }

    #[test]
    fn equals_filter_then_drop_every_other_output() {
        let mut rng = TestRng::new(11);
        let x = rng.complex_noise(10_001, 1.0);
        for fp in [0.05, 0.13, 0.22] {
            let taps = halfband_taps(fp, 60.0).unwrap();
            let expected: Vec<Complex64> = (0..x.len())
                .step_by(2)
                .map(|n| {
                    let mut acc = Complex64::new(0.0, 0.0);
                    for (k, &h) in taps.iter().enumerate().take(n + 1) {
                        let s = x[n - k];
                        acc += Complex64::new(s.re as f64, s.im as f64) * h as f64;
                    }
                    acc
                })
                .collect();
            let mut d = HalfbandDecimator::new(&taps).unwrap();
            let mut y = Vec::new();
            d.process(&x, &mut y);
            assert_eq!(y.len(), expected.len());
            for (a, b) in y.iter().zip(&expected) {
                let err = (Complex64::new(a.re as f64, a.im as f64) - b).norm();
                assert!(err < 2e-6, "fp {fp}: {a} vs {b}");
            }
        }
    }

    #[test]
    fn process_is_bit_identical_to_the_written_out_polyphase_sum() {
        // Per output, outermost pair first: sum += g · (even + even), then
        // sum + ½ · odd, in f32, inputs before the first taken as zero.
        let mut rng = TestRng::new(17);
        let x = rng.complex_noise(2 * BLOCK + 333, 1.0);
        for (fp, len) in [(0.066, 11), (0.132, 19), (0.2, 0)] {
            let mut d = HalfbandDecimator::design(fp, 60.0).unwrap();
            if len > 0 {
                assert_eq!(d.taps().len(), len);
            }
            let (outer, centre) = (d.outer.clone(), d.centre);
            let last = d.taps().len() - 1;
            let at = |i: isize| {
                if i < 0 {
                    Complex32::new(0.0, 0.0)
                } else {
                    x[i as usize]
                }
            };
            let want: Vec<(u32, u32)> = (0..x.len().div_ceil(2))
                .map(|m| {
                    let n = 2 * m as isize;
                    let (mut re, mut im) = (0.0f32, 0.0f32);
                    for (i, &g) in outer.iter().enumerate() {
                        let (a, b) = (
                            at(n - 2 * i as isize),
                            at(n - last as isize + 2 * i as isize),
                        );
                        re += g * (a.re + b.re);
                        im += g * (a.im + b.im);
                    }
                    let c = at(n - last as isize / 2);
                    (
                        (re + centre * c.re).to_bits(),
                        (im + centre * c.im).to_bits(),
                    )
                })
                .collect();
            let mut y = Vec::new();
            d.process(&x, &mut y);
            let got: Vec<(u32, u32)> = y.iter().map(|c| (c.re.to_bits(), c.im.to_bits())).collect();
            assert_eq!(got, want, "fp {fp}");
        }
    }

    #[test]
    fn output_is_bit_identical_for_any_chunking() {
        let mut rng = TestRng::new(5);
        let x = rng.complex_noise(3 * 2 * BLOCK + 1001, 1.0);
        let mut whole = HalfbandDecimator::design(0.13, 60.0).unwrap();
        let mut y_whole = Vec::new();
        whole.process(&x, &mut y_whole);
        // Odd and even chunk sizes, single samples, and chunks over a BLOCK.
        let mut chunked = whole.clone();
        chunked.reset();
        let mut y = Vec::new();
        let mut rest = &x[..];
        let sizes = [1usize, 2, 3, 17, 2 * BLOCK + 3, 1, 0, 999, 64];
        let mut i = 0;
        while !rest.is_empty() {
            let n = sizes[i % sizes.len()].min(rest.len());
            let (a, b) = rest.split_at(n);
            chunked.process(a, &mut y);
            rest = b;
            i += 1;
        }
        assert_eq!(y.len(), y_whole.len());
        for (a, b) in y.iter().zip(&y_whole) {
            assert_eq!(
                (a.re.to_bits(), a.im.to_bits()),
                (b.re.to_bits(), b.im.to_bits())
            );
        }
        // And reset really restarts.
        chunked.reset();
        let mut y2 = Vec::new();
        chunked.process(&x, &mut y2);
        assert_eq!(y2, y_whole);
    }

    #[test]
    fn avx2_and_portable_builds_give_the_same_bits() {
        #[cfg(target_arch = "x86_64")]
        {
            if !std::arch::is_x86_feature_detected!("avx2") {
                return;
            }
            let mut rng = TestRng::new(9);
            for pairs in 1..=24usize {
                let outer: Vec<f32> = (0..pairs).map(|_| rng.gaussian() as f32 * 0.1).collect();
                for n in [0usize, 1, 15, 16, 17, 33, 200] {
                    let even = as_f32(&rng.complex_noise(n + 2 * pairs - 1, 1.0)).to_vec();
                    let odd = as_f32(&rng.complex_noise(n, 1.0)).to_vec();
                    let mut a = vec![MaybeUninit::new(0.0f32); 2 * n];
                    let mut b = vec![MaybeUninit::new(0.0f32); 2 * n];
                    outputs_with(&outer, 0.5, &even, &odd, &mut a);
                    // SAFETY: AVX2 checked above.
                    unsafe { outputs_avx2(&outer, 0.5, &even, &odd, &mut b) };
                    // SAFETY: initialised above (and overwritten).
                    let bits = |v: &[MaybeUninit<f32>]| {
                        v.iter()
                            .map(|f| unsafe { f.assume_init() }.to_bits())
                            .collect::<Vec<_>>()
                    };
                    assert_eq!(bits(&a), bits(&b), "K {pairs}, n {n}");
                }
            }
        }
    }

    #[test]
    fn split_appends_the_even_and_odd_samples_after_what_is_there() {
        let mut rng = TestRng::new(21);
        for n in [0usize, 1, 3, 4, 5, 8, 13, 4096] {
            let x = rng.complex_noise(2 * n, 1.0);
            let (pairs, _) = x.as_chunks::<2>();
            let keep = [Complex32::new(7.0, -7.0); 3];
            let (mut even, mut odd) = (keep.to_vec(), keep[..2].to_vec());
            split(pairs, &mut even, &mut odd);
            let want_even: Vec<Complex32> =
                keep.iter().chain(x.iter().step_by(2)).copied().collect();
            let want_odd: Vec<Complex32> = keep[..2]
                .iter()
                .chain(x.iter().skip(1).step_by(2))
                .copied()
                .collect();
            assert_eq!(even, want_even, "n {n}");
            assert_eq!(odd, want_odd, "n {n}");
            let mut e = vec![MaybeUninit::new(Complex32::new(0.0, 0.0)); n];
            let mut o = e.clone();
            split_portable(pairs, &mut e, &mut o);
            // SAFETY: all initialised.
            let e: Vec<Complex32> = e.iter().map(|v| unsafe { v.assume_init() }).collect();
            assert_eq!(e, want_even[3..], "portable, n {n}");
        }
    }

    #[test]
    fn passes_the_band_and_rejects_what_would_alias_onto_it() {
        let fp = 0.1;
        let mut d = HalfbandDecimator::design(fp, 60.0).unwrap();
        let settle = d.taps().len();
        let tone = |f: f64| -> Vec<Complex32> {
            (0..20_000)
                .map(|n| {
                    Complex32::from_polar(1.0, (2.0 * std::f64::consts::PI * f * n as f64) as f32)
                })
                .collect()
        };
        let power_db = |y: &[Complex32]| {
            let tail = &y[settle..];
            10.0 * (tail.iter().map(|c| c.norm_sqr() as f64).sum::<f64>() / tail.len() as f64)
                .log10()
        };
        for f in [0.0, 0.03, -0.07, fp, -fp] {
            d.reset();
            let mut y = Vec::new();
            d.process(&tone(f), &mut y);
            assert!(
                power_db(&y).abs() < 0.01,
                "tone at {f}: {} dB",
                power_db(&y)
            );
        }
        // These land on [-fp, fp] after the rate is halved.
        for f in [0.5 - fp, 0.45, 0.5, -0.45, -(0.5 - fp)] {
            d.reset();
            let mut y = Vec::new();
            d.process(&tone(f), &mut y);
            assert!(power_db(&y) < -60.0, "tone at {f}: {} dB", power_db(&y));
        }
    }

    #[test]
    fn rejects_bad_specs_and_taps() {
        assert!(halfband_taps(0.25, 60.0).is_err());
        assert!(halfband_taps(0.0, 60.0).is_err());
        assert!(halfband_taps(0.1, 0.0).is_err());
        let e = HalfbandDecimator::new(&[0.25, 0.5, 0.25, 0.0]).unwrap_err();
        assert!(e.to_string().contains("4K - 1"), "{e}");
        let e = HalfbandDecimator::new(&[0.1, 0.0, 0.4, 0.5, 0.4, 0.0, 0.2]).unwrap_err();
        assert!(e.to_string().contains("symmetric"), "{e}");
        let e = HalfbandDecimator::new(&[0.1, 0.1, 0.4, 0.5, 0.4, 0.1, 0.1]).unwrap_err();
        assert!(e.to_string().contains("even distance"), "{e}");
        let e = HalfbandDecimator::new(&[0.25, f32::NAN, 0.25]).unwrap_err();
        assert!(e.to_string().contains("finite"), "{e}");
        // The shortest half-band, [¼, ½, ¼], is accepted and has unit DC gain.
        let mut d = HalfbandDecimator::new(&[0.25, 0.5, 0.25]).unwrap();
        let mut y = Vec::new();
        d.process(&[Complex32::new(1.0, -1.0); 8], &mut y);
        assert_eq!(y[1..], [Complex32::new(1.0, -1.0); 3]);
    }
}
