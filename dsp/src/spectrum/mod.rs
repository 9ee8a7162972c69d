//! Spectrum estimation (Welch PSD, single periodograms for a waterfall) and
//! signal finding on a PSD.
//!
//! Every spectrum here is FFT-shifted (index 0 is -fs/2, index `n/2` is DC)
//! and scaled so that a complex tone of amplitude 1 centred on a bin reads
//! 1.0 (0 dB) in that bin, whatever the window or FFT size. White noise of
//! total power σ² then reads `σ² · enbw_bins / n` per bin.

pub mod carrier;
pub mod carrier_scan;
pub mod periodogram;
pub mod signals;
pub mod welch;

pub use carrier::{measure_carrier, CarrierEstimate};
pub use carrier_scan::{CarrierHit, CarrierScan, CarrierScanConfig};
pub use periodogram::Periodogram;
pub use signals::{find_signals, FindOptions, Signal};
pub use welch::{Welch, WelchConfig};

/// Smallest linear power turned into dB (-200 dB), so an all-zero input or
/// an empty bin gives a finite number instead of -inf.
pub const POWER_FLOOR: f32 = 1e-20;

/// `10·log10(max(p, POWER_FLOOR))`.
pub fn power_to_db(p: f32) -> f32 {
    10.0 * p.max(POWER_FLOOR).log10()
}

/// Offset from the centre frequency of index `i` in an FFT-shifted spectrum
/// of `n` bins: `(i - n/2) · fs / n`.
pub fn bin_offset_hz(i: usize, n: usize, sample_rate_hz: f64) -> f64 {
    (i as f64 - (n / 2) as f64) * sample_rate_hz / n as f64
}
