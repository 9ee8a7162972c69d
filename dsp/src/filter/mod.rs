//! Filters: tap design, FIR filtering, decimation and channel selection.
//!
//! Taps are real `f32`, samples are `Complex32`. Every stateful block keeps its
//! own history, so its output does not depend on how the input is chunked.

use num_complex::Complex32;

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

/// View complex samples as interleaved `[re, im, re, im, …]`.
pub(crate) fn as_f32(x: &[Complex32]) -> &[f32] {
    // SAFETY: `num_complex::Complex<T>` is `#[repr(C)]` with fields `re`, `im`
    // of type T, so it has the layout of `[T; 2]` (documented by num-complex);
    // the resulting slice covers exactly the same bytes with the same lifetime.
    unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), x.len() * 2) }
}

/// View complex samples as interleaved `[re, im, re, im, …]`, writable.
pub(crate) fn as_f32_mut(x: &mut [Complex32]) -> &mut [f32] {
    // SAFETY: as in `as_f32`; the exclusive borrow is handed on.
    unsafe { std::slice::from_raw_parts_mut(x.as_mut_ptr().cast::<f32>(), x.len() * 2) }
}
