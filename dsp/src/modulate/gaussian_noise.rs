//! Seeded Gaussian noise: xoshiro256++ with Box–Muller.

use num_complex::Complex32;

/// A small, fast, seeded source of uniform and Gaussian variates whose
/// stream depends only on the seed (no external crate whose streams could
/// change between versions).
///
/// Uniforms come from xoshiro256++ (Blackman & Vigna, "Scrambled linear
/// pseudorandom number generators", ACM TOMS 2021), seeded through
/// SplitMix64 as its authors recommend; normals from the Box–Muller
/// transform, both values of each pair used.
#[derive(Debug, Clone)]
pub struct GaussianNoise {
    s: [u64; 4],
    spare: Option<f64>,
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl GaussianNoise {
    pub fn new(seed: u64) -> Self {
        let mut st = seed;
        // SplitMix64 never yields four zeros in a row, so the state is valid.
        let s = [
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
            splitmix64(&mut st),
        ];
        GaussianNoise { s, spare: None }
    }

    #[inline]
    pub fn next_u64(&mut self) -> u64 {
        let s = &mut self.s;
        let result = s[0].wrapping_add(s[3]).rotate_left(23).wrapping_add(s[0]);
        let t = s[1] << 17;
        s[2] ^= s[0];
        s[3] ^= s[1];
        s[1] ^= s[2];
        s[0] ^= s[3];
        s[2] ^= t;
        s[3] = s[3].rotate_left(45);
        result
    }

    /// Uniform in (0, 1] (never 0, so its logarithm is finite).
    #[inline]
    pub fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) * (1.0 / (1u64 << 53) as f64)
    }

    /// Standard normal variate (mean 0, variance 1).
    #[inline]
    pub fn standard_normal(&mut self) -> f64 {
        if let Some(v) = self.spare.take() {
            return v;
        }
        let r = (-2.0 * self.uniform().ln()).sqrt();
        let (s, c) = (std::f64::consts::TAU * self.uniform()).sin_cos();
        self.spare = Some(r * s);
        r * c
    }

    /// Circular complex Gaussian sample of mean power `power`
    /// (`power / 2` per component).
    #[inline]
    pub fn complex(&mut self, power: f64) -> Complex32 {
        let sigma = (power / 2.0).sqrt();
        let re = self.standard_normal() * sigma;
        let im = self.standard_normal() * sigma;
        Complex32::new(re as f32, im as f32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn moments_and_tails_are_gaussian() {
        let mut g = GaussianNoise::new(1);
        let n = 2_000_000;
        let (mut m1, mut m2, mut m4, mut beyond3) = (0.0, 0.0, 0.0, 0usize);
        for _ in 0..n {
            let x = g.standard_normal();
            m1 += x;
            m2 += x * x;
            m4 += x * x * x * x;
            if x.abs() > 3.0 {
                beyond3 += 1;
            }
        }
        let nf = n as f64;
        assert!((m1 / nf).abs() < 3e-3);
        assert!((m2 / nf - 1.0).abs() < 3e-3);
        assert!((m4 / nf - 3.0).abs() < 0.03);
        // P(|x| > 3) = 0.0026998.
        let p = beyond3 as f64 / nf;
        assert!((p - 0.0027).abs() < 0.0002, "{p}");
    }

    #[test]
    fn seeded_streams_repeat_and_differ() {
        let a: Vec<u64> = {
            let mut g = GaussianNoise::new(7);
            (0..8).map(|_| g.next_u64()).collect()
        };
        let b: Vec<u64> = {
            let mut g = GaussianNoise::new(7);
            (0..8).map(|_| g.next_u64()).collect()
        };
        let c: Vec<u64> = {
            let mut g = GaussianNoise::new(8);
            (0..8).map(|_| g.next_u64()).collect()
        };
        assert_eq!(a, b);
        assert_ne!(a, c);
        let mut g = GaussianNoise::new(0);
        let p: f64 = (0..100_000)
            .map(|_| g.complex(2.0).norm_sqr() as f64)
            .sum::<f64>()
            / 1e5;
        assert!((p - 2.0).abs() < 0.03, "{p}");
    }
}
