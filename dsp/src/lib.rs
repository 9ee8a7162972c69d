//! downlink-dsp: pure, deterministic DSP and FEC kernels.

pub mod demod;
pub mod filter;
pub mod modulate;
pub mod nco;
pub mod sync;
