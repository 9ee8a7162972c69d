//! Forward error correction for the CCSDS concatenated chain (CCSDS 131.0-B-2, "TM
//! Synchronization and Channel Coding"): the (7, 1/2) convolutional code with a soft
//! Viterbi decoder (§3), Reed–Solomon (255, 255−2E) in conventional or dual basis with
//! interleaving and virtual fill (§4), the pseudo-randomizer (§9) and NRZ-M (§3.3.3).
//!
//! Conventions shared by every block here:
//! * A *bit* is a `u8` holding 0 or 1, first transmitted first; bytes are MSB first.
//! * A *soft symbol* is an `i8`: **positive means bit 1**, magnitude is confidence,
//!   0 is an erasure. `-128` is treated as `-127` so negation stays symmetric. This is
//!   the convention of jradio's `HardToSoft` (bit 1 → +127) and of meteor `.s` files up
//!   to the QPSK phase ambiguity, which the frame synchroniser resolves anyway.

pub mod bch15;
pub mod conv_encoder;
pub mod nrz_m;
pub mod ra;
pub mod randomizer;
pub mod reed_solomon;
pub mod viterbi;

pub use conv_encoder::{ConvEncoder, ConvEncoderConfig};
pub use nrz_m::NrzM;
pub use randomizer::Randomizer;
pub use reed_solomon::{ReedSolomon, ReedSolomonConfig, RsBasis, RsError};
pub use viterbi::{Viterbi, ViterbiConfig, ViterbiError, ViterbiStats};

/// Generator G1 of the CCSDS (7, 1/2) code, 171 octal (CCSDS 131.0-B-2 §3.3.1), written
/// with the newest input bit in bit 0 of a 7-bit register (hence bit-reversed: 0x4F).
pub const CONV_G1_REG: u8 = 0x4F;
/// Generator G2 of the CCSDS (7, 1/2) code, 133 octal, in the same register layout (0x6D).
pub const CONV_G2_REG: u8 = 0x6D;

/// Clamp a soft symbol to the symmetric range −127..=127.
#[inline(always)]
pub(crate) fn clamp_soft(s: i8) -> i8 {
    s.max(-127)
}

#[inline(always)]
pub(crate) fn parity7(x: u8) -> u8 {
    (x.count_ones() & 1) as u8
}
