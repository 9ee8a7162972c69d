//! downlink: sources, pipelines, products, CLI.

pub mod ccsds;
pub mod meteor;
