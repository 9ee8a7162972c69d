//! Demodulators: complex baseband in, soft symbols out.

pub mod afsk;
pub mod bpsk_demod;
pub mod fsk_decoder;
pub mod fsk_demod;
pub mod psk_demod;
pub mod symbol_decoder;
pub mod tone_energy;

pub use psk_demod::{PskDemod, PskDemodConfig, PskDemodStatus};
