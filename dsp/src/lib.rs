//! downlink-dsp: pure, deterministic DSP and FEC kernels.
pub mod fec;
pub mod framing;
