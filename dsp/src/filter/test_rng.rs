//! Small seeded noise source for unit tests (xorshift64* + Box–Muller), so tests
//! are reproducible without depending on a particular `rand` version's streams.

use num_complex::Complex32;

pub(crate) struct TestRng(u64);

impl TestRng {
    pub(crate) fn new(seed: u64) -> Self {
        // A zero state would stay zero forever.
        TestRng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    pub(crate) fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in (0, 1].
    pub(crate) fn uniform(&mut self) -> f64 {
        ((self.next_u64() >> 11) as f64 + 1.0) / (1u64 << 53) as f64
    }

    /// Standard normal.
    pub(crate) fn gaussian(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }

    /// Circular complex Gaussian with total variance `power` (power/2 per axis).
    pub(crate) fn complex_noise(&mut self, n: usize, power: f64) -> Vec<Complex32> {
        let s = (power / 2.0).sqrt();
        (0..n)
            .map(|_| Complex32::new((self.gaussian() * s) as f32, (self.gaussian() * s) as f32))
            .collect()
    }
}
