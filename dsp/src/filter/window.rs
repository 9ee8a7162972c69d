//! Tapering windows for spectral analysis (and anything else that needs one).

use std::f64::consts::PI;
use std::fmt;
use std::str::FromStr;

use super::design::DesignError;

/// Windows for spectral analysis (and anything else that needs a taper).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Window {
    Rectangular,
    #[default]
    Hann,
    Hamming,
    /// 4-term Blackman–Harris (-92 dB sidelobes).
    BlackmanHarris,
    /// 5-term flat-top (scalloping loss < 0.01 dB), for amplitude measurement.
    FlatTop,
}

impl Window {
    /// Every variant, e.g. for listing choices in a CLI.
    pub const ALL: [Window; 5] = [
        Window::Rectangular,
        Window::Hann,
        Window::Hamming,
        Window::BlackmanHarris,
        Window::FlatTop,
    ];

    /// The canonical name, accepted back by `FromStr`.
    pub fn name(self) -> &'static str {
        match self {
            Window::Rectangular => "rectangular",
            Window::Hann => "hann",
            Window::Hamming => "hamming",
            Window::BlackmanHarris => "blackman-harris",
            Window::FlatTop => "flattop",
        }
    }

    /// Cosine-sum coefficients a_k of w = Σ (-1)^k a_k cos(2πkn/D).
    fn cosine_terms(self) -> &'static [f64] {
        match self {
            Window::Rectangular => &[1.0],
            Window::Hann => &[0.5, 0.5],
            Window::Hamming => &[0.54, 0.46],
            // Harris, "On the use of windows…", Proc. IEEE 1978, 4-term -92 dB.
            Window::BlackmanHarris => &[0.35875, 0.48829, 0.14128, 0.01168],
            // The 5-term flat-top of D'Antona & Ferrero (as in MATLAB flattopwin).
            Window::FlatTop => &[
                0.215_578_95,
                0.416_631_58,
                0.277_263_158,
                0.083_578_947,
                0.006_947_368,
            ],
        }
    }

    fn coefficients_with_period(self, len: usize, period: usize) -> Vec<f32> {
        if len == 1 {
            return vec![1.0];
        }
        let terms = self.cosine_terms();
        (0..len)
            .map(|n| {
                let x = 2.0 * PI * n as f64 / period as f64;
                let mut sign = 1.0;
                let mut w = 0.0;
                for (k, a) in terms.iter().enumerate() {
                    w += sign * a * (k as f64 * x).cos();
                    sign = -sign;
                }
                w as f32
            })
            .collect()
    }

    /// Periodic ("DFT-even") window of `len` points, the right choice in
    /// front of an FFT of size `len`: one period of the cosine sum, so the
    /// last point is not a repeat of the first.
    pub fn coefficients(self, len: usize) -> Vec<f32> {
        self.coefficients_with_period(len, len)
    }

    /// Symmetric window of `len` points (first == last), for FIR design.
    pub fn symmetric_coefficients(self, len: usize) -> Vec<f32> {
        self.coefficients_with_period(len, len.saturating_sub(1).max(1))
    }

    /// Equivalent noise bandwidth of the periodic window of `len` points,
    /// in FFT bins: `len · Σw² / (Σw)²` (1 for rectangular, 1.5 for Hann,
    /// ≈2.00 for Blackman–Harris, ≈3.77 for flat-top).
    ///
    /// A spectrum scaled so that a tone reads its power in its bin (as
    /// [`crate::spectrum::welch::Welch`] does) reads white noise of density
    /// N₀ at `N₀ · enbw_bins · bin_hz` per bin; divide by that to get a density.
    pub fn enbw_bins(self, len: usize) -> f64 {
        let w = self.coefficients(len);
        let sum: f64 = w.iter().map(|&v| v as f64).sum();
        let sum_sq: f64 = w.iter().map(|&v| (v as f64) * (v as f64)).sum();
        if sum == 0.0 {
            return f64::NAN;
        }
        len as f64 * sum_sq / (sum * sum)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Window {
    type Err = DesignError;

    /// Accepts the canonical names and common spellings, case-insensitive:
    /// `rectangular`/`rect`/`boxcar`/`none`, `hann`/`hanning`, `hamming`,
    /// `blackman-harris`/`blackmanharris`/`bh`, `flattop`/`flat-top`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let lower = s.trim().to_ascii_lowercase().replace('_', "-");
        Ok(match lower.as_str() {
            "rectangular" | "rect" | "boxcar" | "none" => Window::Rectangular,
            "hann" | "hanning" => Window::Hann,
            "hamming" => Window::Hamming,
            "blackman-harris" | "blackmanharris" | "bh" => Window::BlackmanHarris,
            "flattop" | "flat-top" => Window::FlatTop,
            _ => {
                return Err(DesignError::UnknownName {
                    what: "window",
                    name: s.to_string(),
                })
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_symmetric(taps: &[f32]) {
        let n = taps.len();
        for i in 0..n / 2 {
            assert_eq!(taps[i], taps[n - 1 - i], "tap {i} of {n}");
        }
    }

    #[test]
    fn windows_names_round_trip_and_parse_aliases() {
        for w in Window::ALL {
            assert_eq!(w.name().parse::<Window>().unwrap(), w);
            assert_eq!(w.to_string().parse::<Window>().unwrap(), w);
        }
        assert_eq!(
            "Blackman_Harris".parse::<Window>().unwrap(),
            Window::BlackmanHarris
        );
        assert_eq!("hanning".parse::<Window>().unwrap(), Window::Hann);
        assert_eq!("flat-top".parse::<Window>().unwrap(), Window::FlatTop);
        let err = "kaiser7".parse::<Window>().unwrap_err();
        assert!(err.to_string().contains("kaiser7"));
    }

    #[test]
    fn windows_have_textbook_shape_and_enbw() {
        let n = 4096;
        // Harris 1978, table 1 (ENBW in bins, large N).
        let expected = [
            (Window::Rectangular, 1.0),
            (Window::Hann, 1.5),
            (Window::Hamming, 1.3628),
            (Window::BlackmanHarris, 2.0044),
            (Window::FlatTop, 3.7702),
        ];
        for (w, enbw) in expected {
            let got = w.enbw_bins(n);
            assert!(
                (got - enbw).abs() < 2e-3,
                "{w}: ENBW {got}, expected {enbw}"
            );
            let c = w.coefficients(n);
            assert_eq!(c.len(), n);
            // Periodic: symmetric about n/2, peak 1 (flat-top peaks at Σa ≈ 1).
            for i in 1..n / 2 {
                assert!((c[i] - c[n - i]).abs() < 1e-6, "{w} index {i}");
            }
            assert!((c[n / 2] - 1.0).abs() < 1e-3, "{w} peak {}", c[n / 2]);
            let s = w.symmetric_coefficients(9);
            assert_symmetric(&s);
        }
        assert!(Window::Hann.coefficients(0).is_empty());
        assert_eq!(Window::Hann.coefficients(1), vec![1.0]);
    }
}
