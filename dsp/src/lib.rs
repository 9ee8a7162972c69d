//! downlink-dsp: pure, deterministic DSP and FEC kernels.
pub mod demod;
pub mod framing;
pub mod modulate;
pub mod sync;
