//! The sending side of [`super::packets`]: packs space packets into M_PDUs of
//! consecutive VCDUs on one virtual channel, with first header pointers
//! (CCSDS 732.0-B-4 §4.1.4.2) and, on flush, an idle packet (APID 2047,
//! CCSDS 133.0-B-2 §4.1.2.3.3.4) to fill the last frame. For synthesis and tests.

use super::error::CcsdsError;
use super::space_packet::{SequenceFlags, SpacePacket, IDLE_APID, PRIMARY_HEADER_BYTES};
use super::vcdu::{write_header, VcduLayout, FHP_NO_PACKET_START};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MultiplexerConfig {
    pub layout: VcduLayout,
    pub frame_bytes: usize,
    pub spacecraft_id: u8,
    pub virtual_channel_id: u8,
    /// Frame count of the first frame.
    pub first_frame_count: u32,
}

/// Packs packets into frames.
#[derive(Debug, Clone)]
pub struct PacketMultiplexer {
    config: MultiplexerConfig,
    zone: Vec<u8>,
    first_header: Option<usize>,
    count: u32,
}

impl PacketMultiplexer {
    pub fn new(config: MultiplexerConfig) -> Result<Self, CcsdsError> {
        let zone = config
            .frame_bytes
            .checked_sub(config.layout.packet_zone_offset())
            .filter(|&z| z > 0 && z < usize::from(FHP_NO_PACKET_START) - 1)
            .ok_or_else(|| {
                CcsdsError::Config(format!(
                    "frame_bytes {} leaves no addressable packet zone",
                    config.frame_bytes
                ))
            })?;
        if config.virtual_channel_id > 62 {
            return Err(CcsdsError::Config(format!(
                "virtual channel {} is not a data channel (0..=62)",
                config.virtual_channel_id
            )));
        }
        Ok(PacketMultiplexer {
            config,
            zone: Vec::with_capacity(zone),
            first_header: None,
            count: config.first_frame_count & 0xFF_FFFF,
        })
    }

    fn zone_len(&self) -> usize {
        self.config.frame_bytes - self.config.layout.packet_zone_offset()
    }

    /// Appends the packets' bytes, writing each completed frame to `output`.
    pub fn process(
        &mut self,
        packets: &[SpacePacket],
        output: &mut Vec<u8>,
    ) -> Result<(), CcsdsError> {
        for p in packets {
            self.push_bytes(p.bytes(), output)?;
        }
        Ok(())
    }

    fn push_bytes(&mut self, bytes: &[u8], output: &mut Vec<u8>) -> Result<(), CcsdsError> {
        let mut bytes = bytes;
        let mut at_start = true;
        while !bytes.is_empty() {
            if at_start && self.first_header.is_none() {
                self.first_header = Some(self.zone.len());
            }
            at_start = false;
            let take = (self.zone_len() - self.zone.len()).min(bytes.len());
            self.zone.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
            if self.zone.len() == self.zone_len() {
                self.emit(output)?;
            }
        }
        Ok(())
    }

    fn emit(&mut self, output: &mut Vec<u8>) -> Result<(), CcsdsError> {
        let start = output.len();
        output.resize(start + self.config.frame_bytes, 0);
        let fhp = self.first_header.map_or(FHP_NO_PACKET_START, |f| f as u16);
        write_header(
            &mut output[start..],
            self.config.layout,
            self.config.spacecraft_id,
            self.config.virtual_channel_id,
            self.count,
            fhp,
        )?;
        let off = start + self.config.layout.packet_zone_offset();
        output[off..off + self.zone.len()].copy_from_slice(&self.zone);
        self.zone.clear();
        self.first_header = None;
        self.count = (self.count + 1) & 0xFF_FFFF;
        Ok(())
    }

    /// Completes the frame in progress with an idle packet (spilling into one
    /// more frame when fewer than 7 bytes are left, the smallest packet).
    pub fn flush(&mut self, output: &mut Vec<u8>) -> Result<(), CcsdsError> {
        if self.zone.is_empty() {
            return Ok(());
        }
        let mut left = self.zone_len() - self.zone.len();
        if left < PRIMARY_HEADER_BYTES + 1 {
            left += self.zone_len();
        }
        let idle = SpacePacket::build(
            IDLE_APID,
            SequenceFlags::Unsegmented,
            0,
            false,
            &vec![0x55; left - PRIMARY_HEADER_BYTES],
        )?;
        self.push_bytes(idle.bytes(), output)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccsds::packets::{PacketReassembler, ReassemblyConfig};

    fn config() -> MultiplexerConfig {
        MultiplexerConfig {
            layout: VcduLayout::METEOR_LRPT,
            frame_bytes: 892,
            spacecraft_id: 0,
            virtual_channel_id: 5,
            first_frame_count: 0xFF_FFFE,
        }
    }

    #[test]
    fn mux_then_reassemble_is_identity() {
        let packets: Vec<SpacePacket> = [10usize, 2000, 875, 876, 1, 300, 5000]
            .iter()
            .enumerate()
            .map(|(i, &n)| {
                let data: Vec<u8> = (0..n).map(|j| (i * 7 + j) as u8).collect();
                SpacePacket::build(
                    64 + i as u16,
                    SequenceFlags::Unsegmented,
                    i as u16,
                    true,
                    &data,
                )
                .unwrap()
            })
            .collect();
        let mut mux = PacketMultiplexer::new(config()).unwrap();
        let mut frames = Vec::new();
        mux.process(&packets, &mut frames).unwrap();
        mux.flush(&mut frames).unwrap();
        assert_eq!(frames.len() % 892, 0);
        let mut r = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
        let mut out = Vec::new();
        r.process(&frames, &mut out);
        r.finish(&mut out);
        let want: Vec<Vec<u8>> = packets.iter().map(|p| p.bytes().to_vec()).collect();
        let got: Vec<Vec<u8>> = out.iter().map(|p| p.bytes().to_vec()).collect();
        assert_eq!(got, want);
        // The counter wrapped from 0xFFFFFF to 0 without being taken as a loss.
        assert_eq!(r.stats().lost_vcdus, 0);
        assert_eq!(r.stats().discontinuities, 0);
        assert_eq!(r.stats().idle_packets, 1);
    }

    #[test]
    fn flush_with_few_bytes_left_spills_into_another_frame() {
        // 882 - 3 = 879 bytes of packet leave 3 bytes: the idle packet needs 7.
        let p = SpacePacket::build(64, SequenceFlags::First, 0, false, &[1; 873]).unwrap();
        assert_eq!(p.bytes().len(), 879);
        let mut mux = PacketMultiplexer::new(config()).unwrap();
        let mut frames = Vec::new();
        mux.process(std::slice::from_ref(&p), &mut frames).unwrap();
        assert!(frames.is_empty());
        mux.flush(&mut frames).unwrap();
        assert_eq!(frames.len(), 2 * 892);
        let mut r = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
        let mut out = Vec::new();
        r.process(&frames, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].bytes(), p.bytes());
        assert_eq!(out[0].virtual_channel_id(), 5);
        assert_eq!(r.stats().idle_packets, 1);
    }

    #[test]
    fn bad_config() {
        let mut c = config();
        c.virtual_channel_id = 63;
        assert!(PacketMultiplexer::new(c).is_err());
        let mut c = config();
        c.frame_bytes = 10;
        assert!(PacketMultiplexer::new(c).is_err());
    }
}
