//! downlink: a satellite ground-station receiver. This crate holds everything that is
//! not pure DSP: sources and sinks, the streaming chain and its status, pipelines,
//! products and the command line. The maths lives in `downlink-dsp`.

pub mod ccsds;
pub mod chain;
pub mod cli;
pub mod doppler;
pub mod error;
pub mod frontend;
pub mod io;
pub mod levels;
pub mod meteor;
pub mod pipelines;
pub mod products;
pub mod satellites;
pub mod status;
pub mod synth;
pub mod tap;
pub mod tui;
pub mod tune;
