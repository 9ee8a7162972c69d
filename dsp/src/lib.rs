//! downlink-dsp: pure, deterministic DSP and FEC kernels.

pub mod filter;
pub mod nco;
pub mod sync;
