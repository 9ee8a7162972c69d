//! Modulators (signal synthesis for tests and `synth`).
pub mod fsk_mod;
