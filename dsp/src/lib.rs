//! downlink-dsp: pure, deterministic DSP and FEC kernels.
pub mod framing;
