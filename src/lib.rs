//! downlink: sources, pipelines, products, CLI.

pub mod io;
