//! Signal generation for tests, benchmarks and synthetic scenes: modulators
//! and channel models. Everything is seeded and deterministic.

pub mod channel;
pub mod fsk_mod;
pub mod gaussian_noise;
pub mod psk_mod;

pub use channel::{Channel, ChannelConfig};
pub use gaussian_noise::GaussianNoise;
pub use psk_mod::{PskMod, PskModConfig};
