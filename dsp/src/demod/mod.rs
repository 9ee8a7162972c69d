//! Demodulators.
pub mod fsk_decoder;
pub mod fsk_demod;
