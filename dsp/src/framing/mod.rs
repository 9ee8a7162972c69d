//! Deframers, line codes, scramblers and checks for satellite downlinks.
pub mod ax100;
pub mod ax25;
pub mod crc;
pub mod g3ruh;
pub mod golay;
pub mod hdlc;
pub mod kiss;
pub mod pn9;
pub mod shortened_rs;
pub mod syncword;
pub mod syncword_frame;
