//! AOS transfer frame (VCDU) header and M_PDU header parsing.
//!
//! Layout (CCSDS 732.0-B-4 §4.1.2, with the M_PDU of §4.1.4.2):
//!
//! ```text
//! octet 0-1  version (2 bits, '01' for AOS) | spacecraft id (8) | virtual channel id (6)
//! octet 2-4  virtual channel frame count (24 bits)
//! octet 5    signalling field: replay flag (1) | VC frame count usage flag (1)
//!            | spare (2) | VC frame count cycle (4)
//! [optional 2-octet frame header error control: not used by any mission here]
//! [optional insert zone, mission-fixed length]
//! M_PDU header: spare (5 bits) | first header pointer (11 bits)
//! M_PDU packet zone: the rest of the frame
//! ```
//!
//! Where the missions differ (all three send 892-byte frames):
//! * Meteor-M LRPT: a 2-octet insert zone follows the primary header, then the
//!   M_PDU header, leaving 882 bytes of packet zone. The insert zone carries an
//!   encryption flag and key number (0x0000 when unencrypted). Sources: the
//!   Meteor-M N2 LRPT format description (VCDU = 6 + 2 insert zone + 2 M_PDU
//!   header + 882 data), jradio `lrpt/Vcdu.java` (insert zone at octets 6-7,
//!   M_PDU header at 8-9) and SatDump's Meteor demuxer (882-byte M_PDU data with
//!   insert zone). The recordings confirm it: header `40 05 ..`, octets 6-7 zero,
//!   first header pointer at octets 8-9 (54 for the 8bitsoft VCDU, as jradio says).
//! * FengYun-3: the same 6 + 2 + 2 + 882 split (SatDump
//!   `module_fy3_instruments.cpp` reads payloads at CADU offset 14 = ASM 4 + 6 + 2 + 2,
//!   882 bytes; its CCSDS demuxer is built with the insert zone on).
//! * GK-2A LRIT (xRIT): no insert zone; the M_PDU header follows the primary header
//!   directly, 884 bytes of packet zone (xrit-rx / SatDump default 884-byte M_PDU).
//!   Confirmed by the recording: frame 0 has first header pointer 0 and a packet
//!   header at octet 8; frame 1 has 0x7FF at octets 6-7.

use super::error::CcsdsError;

/// AOS primary header length in octets (CCSDS 732.0-B-4 §4.1.2.1).
pub const PRIMARY_HEADER_BYTES: usize = 6;
/// M_PDU header length in octets (CCSDS 732.0-B-4 §4.1.4.2.2).
pub const MPDU_HEADER_BYTES: usize = 2;
/// First header pointer value meaning "no packet starts in this packet zone"
/// (CCSDS 732.0-B-4 §4.1.4.2.2.4: all ones).
pub const FHP_NO_PACKET_START: u16 = 0x7FF;
/// First header pointer value meaning "the packet zone holds only idle data"
/// (CCSDS 732.0-B-4 §4.1.4.2.2.4: all ones minus one).
pub const FHP_IDLE_DATA: u16 = 0x7FE;
/// Virtual channel id reserved for idle (fill) frames (CCSDS 732.0-B-4 §4.1.2.3: all ones).
pub const IDLE_VCID: u8 = 63;

/// Where the mission puts the optional fields between the primary header and the M_PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VcduLayout {
    /// Short name used in error messages.
    pub name: &'static str,
    /// Length of the insert zone in octets (0 when the mission has none).
    pub insert_zone_bytes: usize,
}

impl VcduLayout {
    /// Meteor-M LRPT: 2-octet insert zone (see module docs for sources).
    pub const METEOR_LRPT: VcduLayout = VcduLayout {
        name: "Meteor-M LRPT",
        insert_zone_bytes: 2,
    };
    /// FengYun-3 AHRPT/MPT: 2-octet insert zone, like Meteor.
    pub const FENGYUN3: VcduLayout = VcduLayout {
        name: "FengYun-3",
        insert_zone_bytes: 2,
    };
    /// GK-2A LRIT/HRIT (and GOES-style xRIT): no insert zone.
    pub const GK2A_XRIT: VcduLayout = VcduLayout {
        name: "GK-2A xRIT",
        insert_zone_bytes: 0,
    };

    /// Octets before the M_PDU packet zone starts.
    pub fn packet_zone_offset(&self) -> usize {
        PRIMARY_HEADER_BYTES + self.insert_zone_bytes + MPDU_HEADER_BYTES
    }
}

/// A parsed view of one VCDU (AOS transfer frame) carrying an M_PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Vcdu<'a> {
    frame: &'a [u8],
    layout: VcduLayout,
}

impl<'a> Vcdu<'a> {
    /// Parses the headers of `frame`. Only the length is checked here: field
    /// values (version, ids) are reported as found, so a caller can count bad ones.
    pub fn parse(frame: &'a [u8], layout: VcduLayout) -> Result<Self, CcsdsError> {
        let need = layout.packet_zone_offset();
        if frame.len() < need {
            return Err(CcsdsError::FrameTooShort {
                got: frame.len(),
                need,
                layout: layout.name,
            });
        }
        Ok(Vcdu { frame, layout })
    }

    /// The whole frame as given.
    pub fn bytes(&self) -> &'a [u8] {
        self.frame
    }

    pub fn layout(&self) -> VcduLayout {
        self.layout
    }

    /// Transfer frame version number: 1 (binary '01') for AOS frames.
    pub fn version(&self) -> u8 {
        self.frame[0] >> 6
    }

    pub fn spacecraft_id(&self) -> u8 {
        ((self.frame[0] & 0x3F) << 2) | (self.frame[1] >> 6)
    }

    pub fn virtual_channel_id(&self) -> u8 {
        self.frame[1] & 0x3F
    }

    /// 24-bit virtual channel frame count.
    pub fn frame_count(&self) -> u32 {
        u32::from_be_bytes([0, self.frame[2], self.frame[3], self.frame[4]])
    }

    /// The raw signalling octet.
    pub fn signalling(&self) -> u8 {
        self.frame[5]
    }

    /// Replay flag: set when the frame is replayed from on-board storage.
    pub fn replay_flag(&self) -> bool {
        self.frame[5] & 0x80 != 0
    }

    /// VC frame count usage flag (CCSDS 732.0-B-4 §4.1.2.5.3): when set, the
    /// 4-bit cycle field extends the frame count.
    pub fn frame_count_usage_flag(&self) -> bool {
        self.frame[5] & 0x40 != 0
    }

    pub fn frame_count_cycle(&self) -> u8 {
        self.frame[5] & 0x0F
    }

    pub fn insert_zone(&self) -> &'a [u8] {
        &self.frame[PRIMARY_HEADER_BYTES..PRIMARY_HEADER_BYTES + self.layout.insert_zone_bytes]
    }

    fn mpdu_header(&self) -> [u8; 2] {
        let at = PRIMARY_HEADER_BYTES + self.layout.insert_zone_bytes;
        [self.frame[at], self.frame[at + 1]]
    }

    /// The 5 spare bits of the M_PDU header (zero by the standard).
    pub fn mpdu_spare(&self) -> u8 {
        self.mpdu_header()[0] >> 3
    }

    /// Offset within the packet zone of the first packet header that starts in
    /// it, or [`FHP_NO_PACKET_START`] / [`FHP_IDLE_DATA`].
    pub fn first_header_pointer(&self) -> u16 {
        let h = self.mpdu_header();
        (u16::from(h[0] & 0x07) << 8) | u16::from(h[1])
    }

    /// The M_PDU packet zone.
    pub fn packet_zone(&self) -> &'a [u8] {
        &self.frame[self.layout.packet_zone_offset()..]
    }

    /// True for frames on the idle virtual channel (VCID 63).
    pub fn is_idle_frame(&self) -> bool {
        self.virtual_channel_id() == IDLE_VCID
    }
}

/// Writes an AOS primary header, insert zone (zeros) and M_PDU header into the
/// first octets of `frame`; the rest of `frame` is the packet zone. Used by
/// synthesis and tests.
pub fn write_header(
    frame: &mut [u8],
    layout: VcduLayout,
    spacecraft_id: u8,
    virtual_channel_id: u8,
    frame_count: u32,
    first_header_pointer: u16,
) -> Result<(), CcsdsError> {
    let need = layout.packet_zone_offset();
    if frame.len() < need {
        return Err(CcsdsError::FrameTooShort {
            got: frame.len(),
            need,
            layout: layout.name,
        });
    }
    if virtual_channel_id > 63 {
        return Err(CcsdsError::Config(format!(
            "virtual channel id {virtual_channel_id} does not fit in 6 bits"
        )));
    }
    if frame_count > 0xFF_FFFF {
        return Err(CcsdsError::Config(format!(
            "frame count {frame_count} does not fit in 24 bits"
        )));
    }
    if first_header_pointer > FHP_NO_PACKET_START {
        return Err(CcsdsError::Config(format!(
            "first header pointer {first_header_pointer} does not fit in 11 bits"
        )));
    }
    frame[0] = 0x40 | (spacecraft_id >> 2);
    frame[1] = ((spacecraft_id & 0x03) << 6) | virtual_channel_id;
    let c = frame_count.to_be_bytes();
    frame[2..5].copy_from_slice(&c[1..4]);
    frame[5] = 0;
    for b in &mut frame[PRIMARY_HEADER_BYTES..PRIMARY_HEADER_BYTES + layout.insert_zone_bytes] {
        *b = 0;
    }
    let at = PRIMARY_HEADER_BYTES + layout.insert_zone_bytes;
    frame[at] = (first_header_pointer >> 8) as u8;
    frame[at + 1] = first_header_pointer as u8;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_meteor_header_fields() {
        // First octets of the jradio 8bitsoft VCDU (expected/vcdu.bin).
        let mut frame = vec![0u8; 892];
        frame[..10].copy_from_slice(&[0x40, 0x05, 0x46, 0xF2, 0x10, 0x00, 0x00, 0x00, 0x00, 0x36]);
        let v = Vcdu::parse(&frame, VcduLayout::METEOR_LRPT).unwrap();
        assert_eq!(v.version(), 1);
        assert_eq!(v.spacecraft_id(), 0);
        assert_eq!(v.virtual_channel_id(), 5);
        assert_eq!(v.frame_count(), 4_649_488);
        assert!(!v.replay_flag());
        assert_eq!(v.insert_zone(), &[0, 0]);
        assert_eq!(v.first_header_pointer(), 54);
        assert_eq!(v.packet_zone().len(), 882);
    }

    #[test]
    fn gk2a_layout_has_no_insert_zone() {
        let mut frame = vec![0u8; 892];
        frame[..8].copy_from_slice(&[0x70, 0xC0, 0x00, 0x00, 0x01, 0x00, 0x07, 0xFF]);
        let v = Vcdu::parse(&frame, VcduLayout::GK2A_XRIT).unwrap();
        assert_eq!(v.spacecraft_id(), 195);
        assert_eq!(v.virtual_channel_id(), 0);
        assert_eq!(v.frame_count(), 1);
        assert_eq!(v.first_header_pointer(), FHP_NO_PACKET_START);
        assert_eq!(v.packet_zone().len(), 884);
    }

    #[test]
    fn signalling_bits() {
        let mut frame = vec![0u8; 16];
        frame[5] = 0b1100_0101;
        let v = Vcdu::parse(&frame, VcduLayout::GK2A_XRIT).unwrap();
        assert!(v.replay_flag());
        assert!(v.frame_count_usage_flag());
        assert_eq!(v.frame_count_cycle(), 5);
    }

    #[test]
    fn short_frame_is_an_error() {
        let err = Vcdu::parse(&[0u8; 9], VcduLayout::METEOR_LRPT).unwrap_err();
        assert_eq!(
            err,
            CcsdsError::FrameTooShort {
                got: 9,
                need: 10,
                layout: "Meteor-M LRPT"
            }
        );
    }

    #[test]
    fn write_header_round_trips() {
        let mut frame = vec![0xAAu8; 892];
        write_header(&mut frame, VcduLayout::METEOR_LRPT, 0, 5, 0x123456, 0x7FF).unwrap();
        let v = Vcdu::parse(&frame, VcduLayout::METEOR_LRPT).unwrap();
        assert_eq!(
            (v.version(), v.spacecraft_id(), v.virtual_channel_id()),
            (1, 0, 5)
        );
        assert_eq!(v.frame_count(), 0x123456);
        assert_eq!(v.first_header_pointer(), 0x7FF);
        assert_eq!(v.mpdu_spare(), 0);
        write_header(&mut frame, VcduLayout::GK2A_XRIT, 195, 63, 7, 12).unwrap();
        let v = Vcdu::parse(&frame, VcduLayout::GK2A_XRIT).unwrap();
        assert_eq!((v.spacecraft_id(), v.virtual_channel_id()), (195, 63));
        assert!(v.is_idle_frame());
        assert_eq!(v.first_header_pointer(), 12);
        assert!(write_header(&mut frame, VcduLayout::GK2A_XRIT, 1, 64, 0, 0).is_err());
        assert!(write_header(&mut frame, VcduLayout::GK2A_XRIT, 1, 1, 1 << 24, 0).is_err());
    }
}
