//! Carrier, symbol and bit synchronisation.
pub mod bit_sync;
