//! CCSDS layers above the channel coding: AOS transfer frames (VCDUs), the
//! multiplexing protocol data unit (M_PDU) and space packets reassembled from
//! it. Input is decoded frame bytes (after Viterbi, derandomisation and
//! Reed–Solomon, which live in `downlink-dsp`).
//!
//! References:
//! * CCSDS 732.0-B-4 "AOS Space Data Link Protocol" (transfer frame primary
//!   header, insert zone, M_PDU with its first header pointer).
//! * CCSDS 133.0-B-2 "Space Packet Protocol" (packet primary header).

pub mod error;
pub mod mux;
pub mod packets;
pub mod space_packet;
pub mod vcdu;

pub use error::CcsdsError;
pub use mux::{MultiplexerConfig, PacketMultiplexer};
pub use packets::{PacketReassembler, ReassemblyConfig, ReassemblyStats};
pub use space_packet::{SequenceFlags, SpacePacket};
pub use vcdu::{Vcdu, VcduLayout};
