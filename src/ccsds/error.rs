use thiserror::Error;

/// Errors for malformed CCSDS input. Data-level faults inside a stream (a
/// lost frame, a corrupted packet header) are counted in
/// [`crate::ccsds::ReassemblyStats`] instead, so one bad frame never stops a pass.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
pub enum CcsdsError {
    #[error("VCDU of {got} bytes is too short: the {layout} layout needs at least {need}")]
    FrameTooShort {
        got: usize,
        need: usize,
        layout: &'static str,
    },
    #[error("frame length {got} bytes does not match the configured {expected} bytes")]
    FrameLengthMismatch { got: usize, expected: usize },
    #[error("space packet of {got} bytes is shorter than its 6-byte primary header")]
    PacketTooShort { got: usize },
    #[error("invalid configuration: {0}")]
    Config(String),
}
