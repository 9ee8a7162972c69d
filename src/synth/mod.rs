//! Synthetic sources: a seeded scene of carriers, FSK bursts and noise, generated on
//! the fly. It feeds the project's own recordings in `recordings/`, the long streaming
//! tests (hours of signal with nothing on disk) and benchmarks.

pub mod ber;
pub mod lrpt;

use crate::io::{Container, InputError, RecordingInfo, SampleFormat, SampleSource};
use num_complex::Complex32;
use std::f64::consts::TAU;

/// One emitter in the scene.
#[derive(Clone, Debug, PartialEq)]
pub enum Emitter {
    /// An unmodulated carrier.
    Carrier { offset_hz: f64, amplitude: f32 },
    /// Continuous-phase binary FSK with random bits, on for `on_s`, off for `off_s`.
    Fsk {
        offset_hz: f64,
        amplitude: f32,
        baud: f64,
        deviation_hz: f64,
        on_s: f64,
        off_s: f64,
    },
}

#[derive(Clone, Debug)]
pub struct SceneConfig {
    pub sample_rate_hz: f64,
    pub center_freq_hz: Option<f64>,
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    /// None = endless.
    pub total_samples: Option<u64>,
    /// RMS of the complex noise (per sample, both components together).
    pub noise_rms: f32,
    pub emitters: Vec<Emitter>,
    pub seed: u64,
}

/// xorshift64*: fast, seeded, good enough for noise and random bits.
#[derive(Clone, Debug)]
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15 | 1)
    }
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Two approximately Gaussian values (sum of four 16-bit uniforms each), unit variance.
    fn gauss_pair(&mut self) -> (f32, f32) {
        // A sum of 4 uniforms on [0,1) has mean 2 and variance 4/12.
        const SCALE: f32 = 1.732_050_8; // sqrt(12/4)
        let mut pair = [0f32; 2];
        for v in &mut pair {
            let r = self.next();
            let s: u32 = (0..4).map(|k| ((r >> (16 * k)) & 0xFFFF) as u32).sum();
            *v = (s as f32 / 65536.0 - 2.0) * SCALE;
        }
        (pair[0], pair[1])
    }
}

struct EmitterState {
    emitter: Emitter,
    phase: f64,
    /// Samples since the burst cycle started.
    cycle_pos: u64,
    symbol_pos: f64,
    bit: bool,
    rng: Rng,
}

/// A [`SampleSource`] that synthesises a [`SceneConfig`].
pub struct SceneSource {
    cfg: SceneConfig,
    info: RecordingInfo,
    states: Vec<EmitterState>,
    noise: Rng,
    produced: u64,
}

impl SceneSource {
    pub fn new(cfg: SceneConfig) -> Result<Self, InputError> {
        if !(cfg.sample_rate_hz > 0.0 && cfg.sample_rate_hz.is_finite()) {
            return Err(InputError {
                path: "synthetic scene".into(),
                problem: format!("sample rate {} is not positive", cfg.sample_rate_hz),
            });
        }
        let info = RecordingInfo {
            path: "synthetic scene".into(),
            container: Container::Raw,
            format: SampleFormat::Cf32,
            sample_rate_hz: cfg.sample_rate_hz,
            center_freq_hz: cfg.center_freq_hz,
            start_time: cfg.start_time,
            total_samples: cfg.total_samples,
            sources: vec!["synthesised".into()],
            annotations: Vec::new(),
            tle: None,
            station: None,
            satellite: None,
            description: Some("downlink synthetic scene".into()),
        };
        let states = cfg
            .emitters
            .iter()
            .enumerate()
            .map(|(i, e)| EmitterState {
                emitter: e.clone(),
                phase: 0.0,
                cycle_pos: 0,
                symbol_pos: 0.0,
                bit: false,
                rng: Rng::new(cfg.seed.wrapping_add(1 + i as u64)),
            })
            .collect();
        Ok(SceneSource {
            noise: Rng::new(cfg.seed),
            cfg,
            info,
            states,
            produced: 0,
        })
    }

    fn fill(&mut self, out: &mut [Complex32]) {
        let rate = self.cfg.sample_rate_hz;
        let noise = self.cfg.noise_rms / std::f32::consts::SQRT_2;
        for s in out.iter_mut() {
            let (a, b) = self.noise.gauss_pair();
            *s = Complex32::new(a * noise, b * noise);
        }
        for st in &mut self.states {
            match st.emitter {
                Emitter::Carrier {
                    offset_hz,
                    amplitude,
                } => {
                    let step = TAU * offset_hz / rate;
                    for s in out.iter_mut() {
                        *s += Complex32::from_polar(amplitude, st.phase as f32);
                        st.phase = (st.phase + step) % TAU;
                    }
                }
                Emitter::Fsk {
                    offset_hz,
                    amplitude,
                    baud,
                    deviation_hz,
                    on_s,
                    off_s,
                } => {
                    let on = (on_s * rate).round() as u64;
                    let cycle = on + (off_s * rate).round() as u64;
                    let sps = rate / baud;
                    for s in out.iter_mut() {
                        if st.cycle_pos < on {
                            if st.symbol_pos <= 0.0 {
                                st.bit = st.rng.next() >> 63 == 1;
                                st.symbol_pos += sps;
                            }
                            st.symbol_pos -= 1.0;
                            let f = offset_hz + if st.bit { deviation_hz } else { -deviation_hz };
                            *s += Complex32::from_polar(amplitude, st.phase as f32);
                            st.phase = (st.phase + TAU * f / rate) % TAU;
                        }
                        st.cycle_pos += 1;
                        if st.cycle_pos >= cycle {
                            st.cycle_pos = 0;
                        }
                    }
                }
            }
        }
    }
}

impl SampleSource for SceneSource {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        let n = match self.cfg.total_samples {
            Some(total) => max.min((total - self.produced) as usize),
            None => max,
        };
        let start = out.len();
        out.resize(start + n, Complex32::new(0.0, 0.0));
        self.fill(&mut out[start..]);
        self.produced += n as u64;
        Ok(n)
    }
}

/// The scene shipped as `recordings/scene-437m.sigmf-*`: a UHF cubesat band with a
/// 9600 Bd FSK beacon bursting at −12 kHz, a steady carrier at +30 kHz and a weak
/// carrier at −60 kHz, 3 s at 240 kS/s.
pub fn reference_scene() -> SceneConfig {
    SceneConfig {
        sample_rate_hz: 240_000.0,
        center_freq_hz: Some(437_000_000.0),
        start_time: Some(
            chrono::DateTime::parse_from_rfc3339("2026-11-26T09:41:00Z")
                .expect("valid constant time")
                .with_timezone(&chrono::Utc),
        ),
        total_samples: Some(3 * 240_000),
        noise_rms: 0.05,
        emitters: vec![
            Emitter::Fsk {
                offset_hz: -12_000.0,
                amplitude: 0.3,
                baud: 9600.0,
                deviation_hz: 2400.0,
                on_s: 1.0,
                off_s: 0.5,
            },
            Emitter::Carrier {
                offset_hz: 30_000.0,
                amplitude: 0.2,
            },
            Emitter::Carrier {
                offset_hz: -60_000.0,
                amplitude: 0.02,
            },
        ],
        seed: 437,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scene_is_deterministic_and_chunk_invariant() {
        let mut cfg = reference_scene();
        cfg.total_samples = Some(50_000);
        let mut a = SceneSource::new(cfg.clone()).unwrap();
        let mut whole = Vec::new();
        while a.read(&mut whole, 1 << 20).unwrap() > 0 {}
        let mut b = SceneSource::new(cfg).unwrap();
        let mut pieces = Vec::new();
        while b.read(&mut pieces, 777).unwrap() > 0 {}
        assert_eq!(whole.len(), 50_000);
        assert_eq!(whole, pieces);
    }

    #[test]
    fn noise_has_the_configured_power() {
        let mut cfg = reference_scene();
        cfg.emitters.clear();
        cfg.total_samples = Some(200_000);
        let mut src = SceneSource::new(cfg).unwrap();
        let mut v = Vec::new();
        while src.read(&mut v, 65536).unwrap() > 0 {}
        let p: f64 = v.iter().map(|s| s.norm_sqr() as f64).sum::<f64>() / v.len() as f64;
        assert!((p.sqrt() - 0.05).abs() < 0.001, "rms {}", p.sqrt());
    }
}
