//! downlink-dsp: pure, deterministic DSP and FEC kernels.

pub mod fec;
pub mod filter;
pub mod framing;
pub mod nco;
pub mod spectrum;
