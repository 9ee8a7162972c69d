//! Filters: tap design, FIR filtering, decimation and channel selection.
//!
//! Taps are real `f32`, samples are `Complex32`. Every stateful block keeps its
//! own history, so its output does not depend on how the input is chunked.

pub mod channelizer;
pub mod design;
pub mod fir_decimator;
pub mod fir_filter;
pub mod halfband;
mod kernel;
pub mod resampler;
mod simd;
pub mod window;

#[cfg(test)]
pub(crate) mod test_rng;

pub use channelizer::{Channelizer, ChannelizerConfig};
pub use design::{DesignError, Window};
pub use fir_decimator::FirDecimator;
pub use fir_filter::FirFilter;
pub use halfband::HalfbandDecimator;
pub use resampler::{Resampler, ResamplerConfig};
