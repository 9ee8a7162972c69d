//! Products: files written for people and other programs (images, frames), always
//! written under a temporary name and renamed when complete.

pub mod atomic;
pub mod canvas;
