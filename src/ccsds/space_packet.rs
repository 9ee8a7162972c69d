//! CCSDS space packet (CCSDS 133.0-B-2 §4.1).
//!
//! ```text
//! octet 0-1  version (3 bits, 000) | type (1) | secondary header flag (1) | APID (11)
//! octet 2-3  sequence flags (2) | sequence count (14)
//! octet 4-5  packet data length = (octets in the data field) - 1
//! data field (optional secondary header + user data)
//! ```

use super::error::CcsdsError;

/// Primary header length in octets (CCSDS 133.0-B-2 §4.1.2).
pub const PRIMARY_HEADER_BYTES: usize = 6;
/// APID of idle packets (CCSDS 133.0-B-2 §4.1.2.3.3.4: all ones).
pub const IDLE_APID: u16 = 0x7FF;
/// Sequence counts wrap at 2^14 (CCSDS 133.0-B-2 §4.1.2.4.2).
pub const SEQUENCE_COUNT_MODULO: u16 = 1 << 14;

/// Sequence flags (CCSDS 133.0-B-2 §4.1.2.4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum SequenceFlags {
    /// `00`: a continuation segment of user data.
    Continuation,
    /// `01`: the first segment.
    First,
    /// `10`: the last segment.
    Last,
    /// `11`: unsegmented user data.
    Unsegmented,
}

impl SequenceFlags {
    fn from_bits(bits: u8) -> Self {
        match bits & 0x03 {
            0 => SequenceFlags::Continuation,
            1 => SequenceFlags::First,
            2 => SequenceFlags::Last,
            _ => SequenceFlags::Unsegmented,
        }
    }

    pub fn bits(self) -> u8 {
        match self {
            SequenceFlags::Continuation => 0,
            SequenceFlags::First => 1,
            SequenceFlags::Last => 2,
            SequenceFlags::Unsegmented => 3,
        }
    }
}

/// One space packet: its whole bytes (primary header included) and the
/// virtual channel it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpacePacket {
    bytes: Vec<u8>,
    virtual_channel_id: u8,
}

impl SpacePacket {
    /// Wraps complete or truncated packet bytes. Fails only when even the
    /// primary header is incomplete.
    pub fn from_bytes(bytes: Vec<u8>, virtual_channel_id: u8) -> Result<Self, CcsdsError> {
        if bytes.len() < PRIMARY_HEADER_BYTES {
            return Err(CcsdsError::PacketTooShort { got: bytes.len() });
        }
        Ok(SpacePacket {
            bytes,
            virtual_channel_id,
        })
    }

    /// Builds a packet with a primary header for `data` (the data field,
    /// secondary header included).
    pub fn build(
        apid: u16,
        sequence_flags: SequenceFlags,
        sequence_count: u16,
        secondary_header: bool,
        data: &[u8],
    ) -> Result<Self, CcsdsError> {
        if apid > IDLE_APID {
            return Err(CcsdsError::Config(format!(
                "APID {apid} does not fit in 11 bits"
            )));
        }
        if data.is_empty() || data.len() > 65536 {
            return Err(CcsdsError::Config(format!(
                "packet data field of {} octets: must be 1..=65536",
                data.len()
            )));
        }
        let count = sequence_count % SEQUENCE_COUNT_MODULO;
        let len_field = (data.len() - 1) as u16;
        let mut bytes = Vec::with_capacity(PRIMARY_HEADER_BYTES + data.len());
        bytes.push((u8::from(secondary_header) << 3) | (apid >> 8) as u8);
        bytes.push(apid as u8);
        bytes.push((sequence_flags.bits() << 6) | (count >> 8) as u8);
        bytes.push(count as u8);
        bytes.extend_from_slice(&len_field.to_be_bytes());
        bytes.extend_from_slice(data);
        Ok(SpacePacket {
            bytes,
            virtual_channel_id: 0,
        })
    }

    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }

    pub fn virtual_channel_id(&self) -> u8 {
        self.virtual_channel_id
    }

    /// Packet version number: 0 for CCSDS space packets.
    pub fn version(&self) -> u8 {
        self.bytes[0] >> 5
    }

    /// Packet type: 0 telemetry, 1 telecommand.
    pub fn packet_type(&self) -> u8 {
        (self.bytes[0] >> 4) & 1
    }

    pub fn has_secondary_header(&self) -> bool {
        self.bytes[0] & 0x08 != 0
    }

    pub fn apid(&self) -> u16 {
        (u16::from(self.bytes[0] & 0x07) << 8) | u16::from(self.bytes[1])
    }

    pub fn is_idle(&self) -> bool {
        self.apid() == IDLE_APID
    }

    pub fn sequence_flags(&self) -> SequenceFlags {
        SequenceFlags::from_bits(self.bytes[2] >> 6)
    }

    pub fn sequence_count(&self) -> u16 {
        (u16::from(self.bytes[2] & 0x3F) << 8) | u16::from(self.bytes[3])
    }

    /// Length of the data field the header declares, in octets.
    pub fn declared_data_len(&self) -> usize {
        usize::from(u16::from_be_bytes([self.bytes[4], self.bytes[5]])) + 1
    }

    /// The data field present (secondary header included); shorter than
    /// declared when the packet is truncated.
    pub fn data(&self) -> &[u8] {
        &self.bytes[PRIMARY_HEADER_BYTES..]
    }

    /// True when fewer bytes are present than the header declares (a packet cut
    /// by a lost frame or by the end of the recording).
    pub fn is_truncated(&self) -> bool {
        self.data().len() < self.declared_data_len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_fields_round_trip() {
        let p =
            SpacePacket::build(70, SequenceFlags::Unsegmented, 16_385, true, &[1, 2, 3]).unwrap();
        assert_eq!(p.bytes()[..6], [0x08, 70, 0xC0, 0x01, 0x00, 0x02]);
        assert_eq!(p.version(), 0);
        assert_eq!(p.packet_type(), 0);
        assert!(p.has_secondary_header());
        assert_eq!(p.apid(), 70);
        assert_eq!(p.sequence_flags(), SequenceFlags::Unsegmented);
        assert_eq!(p.sequence_count(), 1);
        assert_eq!(p.declared_data_len(), 3);
        assert_eq!(p.data(), &[1, 2, 3]);
        assert!(!p.is_truncated());
    }

    #[test]
    fn truncated_and_invalid() {
        let p = SpacePacket::from_bytes(vec![0x07, 0xFF, 0x40, 0x00, 0x00, 0x09, 1, 2], 5).unwrap();
        assert!(p.is_idle());
        assert_eq!(p.sequence_flags(), SequenceFlags::First);
        assert_eq!(p.declared_data_len(), 10);
        assert!(p.is_truncated());
        assert_eq!(p.virtual_channel_id(), 5);
        assert_eq!(
            SpacePacket::from_bytes(vec![0; 5], 0).unwrap_err(),
            CcsdsError::PacketTooShort { got: 5 }
        );
        assert!(SpacePacket::build(2048, SequenceFlags::First, 0, false, &[0]).is_err());
        assert!(SpacePacket::build(1, SequenceFlags::First, 0, false, &[]).is_err());
    }
}
