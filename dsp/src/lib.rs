//! downlink-dsp: pure, deterministic DSP and FEC kernels.

pub mod demod;
pub mod fec;
pub mod filter;
pub mod framing;
pub mod modulate;
pub mod nco;
pub mod spectrum;
pub mod sync;
