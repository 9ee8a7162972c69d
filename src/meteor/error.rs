use thiserror::Error;

#[derive(Debug, Error)]
pub enum MeteorError {
    #[error("APID {apid} is not an MSU-MR image channel (64..=69)")]
    NotImageApid { apid: u16 },
    #[error("MSU-MR packet data field of {got} bytes is shorter than its {need}-byte headers")]
    PacketTooShort { got: usize, need: usize },
    #[error("MCU number {mcu} is beyond the 196 MCUs of a line")]
    BadMcuNumber { mcu: u8 },
    #[error("packet has no secondary header (time stamp) although MSU-MR packets carry one")]
    NoSecondaryHeader,
    #[error("no image data for APID {apid}")]
    NoChannel { apid: u16 },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("cannot write {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    /// Creating or committing a product file ([`crate::products::atomic::AtomicFile`]).
    #[error(transparent)]
    Output(#[from] crate::error::Error),
    #[error("PNG encoding of {path} failed: {message}")]
    Png { path: String, message: String },
    #[error("packet building failed: {0}")]
    Ccsds(#[from] crate::ccsds::CcsdsError),
    #[error("JSON encoding failed: {0}")]
    Json(#[from] serde_json::Error),
}
