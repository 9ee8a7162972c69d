//! APID 70 packets: MSU-MR telemetry. Kept as a product, one record per
//! packet, written as JSON lines.

use serde::Serialize;

use super::msumr::SECONDARY_HEADER_BYTES;
use crate::ccsds::SpacePacket;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TelemetryRecord {
    pub sequence_count: u16,
    /// Time stamp from the secondary header, when the packet carries one.
    pub day: Option<u16>,
    pub ms_of_day: Option<u32>,
    pub us_of_ms: Option<u16>,
    /// Bytes of the data field after the time stamp.
    pub data_len: usize,
    pub truncated: bool,
    /// The data after the time stamp, hex-encoded.
    pub data_hex: String,
}

impl TelemetryRecord {
    pub fn from_packet(packet: &SpacePacket) -> Self {
        let d = packet.data();
        let has_time = packet.has_secondary_header() && d.len() >= SECONDARY_HEADER_BYTES;
        let (day, ms, us, rest) = if has_time {
            (
                Some(u16::from_be_bytes([d[0], d[1]])),
                Some(u32::from_be_bytes([d[2], d[3], d[4], d[5]])),
                Some(u16::from_be_bytes([d[6], d[7]])),
                &d[SECONDARY_HEADER_BYTES..],
            )
        } else {
            (None, None, None, d)
        };
        let mut hex = String::with_capacity(rest.len() * 2);
        for b in rest {
            hex.push_str(&format!("{b:02x}"));
        }
        TelemetryRecord {
            sequence_count: packet.sequence_count(),
            day,
            ms_of_day: ms,
            us_of_ms: us,
            data_len: rest.len(),
            truncated: packet.is_truncated(),
            data_hex: hex,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ccsds::SequenceFlags;

    #[test]
    fn record_from_packet() {
        let p = SpacePacket::build(
            70,
            SequenceFlags::Unsegmented,
            42,
            true,
            &[0, 1, 0, 0, 0, 10, 0, 3, 0xCB, 0x01],
        )
        .unwrap();
        let r = TelemetryRecord::from_packet(&p);
        assert_eq!(r.sequence_count, 42);
        assert_eq!(
            (r.day, r.ms_of_day, r.us_of_ms),
            (Some(1), Some(10), Some(3))
        );
        assert_eq!(r.data_len, 2);
        assert_eq!(r.data_hex, "cb01");
        let json = serde_json::to_string(&r).unwrap();
        assert!(json.contains("\"sequence_count\":42"));
    }
}
