//! Meteor-M LRPT: MSU-MR imagery (APIDs 64–69) decoded from space packets,
//! assembled into per-channel images, plus the APID 70 telemetry stream.
//!
//! The compression is baseline-JPEG-like (Meteor-M N2 LRPT format description,
//! "image compression algorithm for BIS-MW"): each packet carries 14 MCUs of one
//! 8×8 block each, Huffman-coded with the standard JPEG luminance tables
//! (ITU-T T.81 Annex K), quantised with the standard luminance table scaled by
//! a per-packet quality factor.

pub mod dct;
pub mod deinterleave;
pub mod encoder;
pub mod error;
pub mod huffman;
pub mod image;
pub mod msumr;
pub mod png_rows;
pub mod quant;
pub mod telemetry;

pub use error::MeteorError;
pub use image::{MeteorImage, MeteorImageConfig};
pub use msumr::MsuMrPacket;
pub use telemetry::TelemetryRecord;
