//! Chunk-size invariance: feeding one long slice or many small ones must give
//! bit-identical output (`==`, not approximately equal).

use downlink_dsp::filter::design::lowpass_taps;
use downlink_dsp::filter::{FirDecimator, FirFilter};
use downlink_dsp::nco::Nco;
use num_complex::Complex32;

/// xorshift64* + Box–Muller: a small seeded noise source of our own.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }
    fn gaussian(&mut self) -> f32 {
        let (u1, u2) = (self.uniform(), self.uniform());
        ((-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()) as f32
    }
    fn signal(&mut self, n: usize) -> Vec<Complex32> {
        (0..n)
            .map(|_| Complex32::new(self.gaussian(), self.gaussian()))
            .collect()
    }
}

const CHUNKS: [usize; 4] = [1, 7, 4096, usize::MAX];

/// Runs `make()` fresh for each chunk size and checks all outputs are equal.
fn check<B>(
    name: &str,
    input: &[Complex32],
    make: impl Fn() -> B,
    run: impl Fn(&mut B, &[Complex32], &mut Vec<Complex32>),
) {
    let mut reference: Option<Vec<Complex32>> = None;
    for &chunk in &CHUNKS {
        let mut block = make();
        let mut out = Vec::new();
        for piece in input.chunks(chunk.min(input.len())) {
            run(&mut block, piece, &mut out);
        }
        match &reference {
            None => {
                assert!(!out.is_empty(), "{name}: no output");
                reference = Some(out);
            }
            Some(r) => {
                assert_eq!(
                    r.len(),
                    out.len(),
                    "{name}: length differs at chunk {chunk}"
                );
                assert!(*r == out, "{name}: output differs at chunk {chunk}");
            }
        }
    }
}

#[test]
fn fir_filter_is_chunk_invariant() {
    let input = Rng(11).signal(30_011);
    let taps = lowpass_taps(0.1, 0.05, 60.0).unwrap();
    check(
        "FirFilter",
        &input,
        || FirFilter::new(&taps).unwrap(),
        |b, x, y| b.process(x, y),
    );
}

#[test]
fn fir_decimator_is_chunk_invariant() {
    let input = Rng(12).signal(30_011);
    let taps = lowpass_taps(0.01, 0.008, 70.0).unwrap();
    for m in [1, 3, 50] {
        check(
            "FirDecimator",
            &input,
            || FirDecimator::new(&taps, m).unwrap(),
            |b, x, y| b.process(x, y),
        );
    }
}

#[test]
fn nco_is_chunk_invariant() {
    let input = Rng(13).signal(30_011);
    for f in [0.0, 0.123_456_7, -0.3, 0.5] {
        check(
            "Nco::mix",
            &input,
            || Nco::new(f).unwrap(),
            |b, x, y| b.mix(x, y),
        );
        check(
            "Nco::mix_in_place",
            &input,
            || Nco::new(f).unwrap(),
            |b, x, y| {
                let mut buf = x.to_vec();
                b.mix_in_place(&mut buf);
                y.extend_from_slice(&buf);
            },
        );
    }
}

#[test]
fn channelizer_is_chunk_invariant() {
    use downlink_dsp::filter::{Channelizer, ChannelizerConfig};
    let input = Rng(14).signal(60_013);
    let config = ChannelizerConfig {
        input_rate_hz: 2.4e6,
        offset_hz: -123_456.7,
        output_rate_hz: 48e3,
        bandwidth_hz: 30e3,
    };
    check(
        "Channelizer",
        &input,
        || Channelizer::new(config).unwrap(),
        |b, x, y| b.process(x, y),
    );
}

#[test]
fn welch_is_chunk_invariant() {
    use downlink_dsp::filter::Window;
    use downlink_dsp::spectrum::{Welch, WelchConfig};
    let input = Rng(15).signal(50_000);
    for (fft_size, overlap, window) in [
        (1024, 0.5, Window::Hann),
        (256, 0.0, Window::FlatTop),
        (100, 0.9, Window::BlackmanHarris),
    ] {
        let config = WelchConfig {
            fft_size,
            window,
            overlap,
        };
        let mut reference: Option<(u64, Vec<f32>)> = None;
        for &chunk in &CHUNKS {
            let mut w = Welch::new(config).unwrap();
            for piece in input.chunks(chunk.min(input.len())) {
                w.push(piece);
            }
            let got = (w.segments(), w.psd());
            assert!(got.0 > 0);
            match &reference {
                None => reference = Some(got),
                Some(r) => assert!(*r == got, "Welch {config:?}: differs at chunk {chunk}"),
            }
        }
    }
}
