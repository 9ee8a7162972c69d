//! Demodulators: complex baseband in, soft symbols out.

pub mod psk_demod;

pub use psk_demod::{PskDemod, PskDemodConfig, PskDemodStatus};
