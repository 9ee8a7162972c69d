//! Frame synchronisation and the assembled CCSDS concatenated decoder (CCSDS 131.0-B-2).
//!
//! * [`PhaseAmbiguity`]: the corrections for the QPSK/BPSK carrier-phase ambiguities.
//! * [`AsmSync`]: finds the *convolutionally encoded* attached sync marker in soft
//!   symbols before Viterbi, under every ambiguity.
//! * [`AsmCorrelator`]: finds the ASM in hard (decoded) bits, either polarity.
//! * [`CaduDeframer`]: NOSYNC / SYNCING / SYNCED frame synchroniser on decoded bits.
//! * [`CcsdsDecoder`]: soft symbols in, Reed–Solomon-checked CADUs out.
//! * [`CcsdsEncoder`]: the transmit side, for tests and synthesis.

pub mod aausat4;
pub mod ambiguity;
pub mod ao40;
pub mod asm_correlator;
pub mod asm_sync;
pub mod ax100;
pub mod ax25;
pub mod cadu_deframer;
pub mod cc11xx;
pub mod ccsds_decoder;
pub mod ccsds_encoder;
pub mod ccsds_rs_frame;
pub mod ccsds_soft;
pub mod crc;
pub mod diy1;
pub mod eseo;
pub mod fox;
pub mod g3ruh;
pub mod geoscan;
pub mod golay;
pub mod hdlc;
pub mod il2p;
pub mod kiss;
pub mod mobitex;
pub mod mrc100;
pub mod nusat;
pub mod openlst;
pub mod ops_sat;
pub mod pn9;
pub mod shortened_rs;
pub mod snet;
pub mod soft_sync;
pub mod sync_frames;
pub mod syncword;
pub mod syncword_frame;
pub mod u482c;
pub mod usp;
pub mod var_sync;

pub use ambiguity::PhaseAmbiguity;
pub use asm_correlator::{AsmCorrelator, AsmMatch};
pub use asm_sync::{AsmHit, AsmSync, AsmSyncConfig, SoftMapping};
pub use cadu_deframer::{CaduDeframer, CaduDeframerConfig, DeframedFrame, DeframerState};
pub use ccsds_decoder::{Cadu, CcsdsDecoder, CcsdsDecoderConfig, CcsdsDecoderError, CcsdsStats};
pub use ccsds_encoder::{CcsdsEncoder, CcsdsEncoderConfig};

/// The CCSDS attached sync marker for TM frames, 0x1ACFFC1D (CCSDS 131.0-B-2 §8.3).
pub const CCSDS_ASM: u32 = 0x1ACF_FC1D;
