//! GK-2A LRIT VCDUs (`xrit-gk2a-lrit-vcdu`, from xrit-rx's samples): 4422
//! frames of 892 bytes, four captures concatenated, carrying xRIT files in
//! CP_PDUs (space packets).

mod common;

use common::*;

use std::collections::BTreeMap;

use downlink::ccsds::{
    PacketReassembler, ReassemblyConfig, SequenceFlags, SpacePacket, Vcdu, VcduLayout,
};

const FILE: &str = "xrit-gk2a-lrit-vcdu/GK-2A_LRIT_VCDU_TEST.bin";

fn config() -> ReassemblyConfig {
    ReassemblyConfig {
        layout: VcduLayout::GK2A_XRIT,
        frame_bytes: 892,
        spacecraft_id: Some(195),
        emit_truncated: false,
    }
}

/// CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF), which closes every LRIT
/// CP_PDU data field (CGMS LRIT/HRIT Global Specification §4.4.4; xrit-rx
/// checks the same).
fn crc16_ccitt(data: &[u8]) -> u16 {
    let mut crc = 0xFFFFu16;
    for &b in data {
        crc ^= u16::from(b) << 8;
        for _ in 0..8 {
            crc = if crc & 0x8000 != 0 {
                (crc << 1) ^ 0x1021
            } else {
                crc << 1
            };
        }
    }
    crc
}

#[test]
fn every_header_parses() {
    let Some(data) = recording(FILE) else { return };
    assert_eq!(data.len(), 4422 * 892);
    let mut backward = 0;
    let mut prev: Option<u32> = None;
    for frame in data.chunks_exact(892) {
        let v = Vcdu::parse(frame, VcduLayout::GK2A_XRIT).unwrap();
        assert_eq!(
            (v.version(), v.spacecraft_id(), v.virtual_channel_id()),
            (1, 195, 0)
        );
        let c = v.frame_count();
        if let Some(p) = prev {
            if c < p {
                backward += 1;
            } else {
                assert_eq!(c, p + 1, "counts are continuous within a capture");
            }
        }
        prev = Some(c);
    }
    assert_eq!(backward, 3);
}

fn reassemble(data: &[u8]) -> (Vec<SpacePacket>, downlink::ccsds::ReassemblyStats) {
    let mut r = PacketReassembler::new(config()).unwrap();
    let mut out = Vec::new();
    r.process(data, &mut out);
    r.finish(&mut out);
    (out, r.stats().clone())
}

#[test]
fn packets_reassemble_without_error() {
    let Some(data) = recording(FILE) else { return };
    let (packets, st) = reassemble(&data);
    assert_eq!(st.vcdus, 4422);
    assert_eq!(st.rejected_vcdus, 0);
    assert_eq!(st.backward_jumps, 3);
    assert_eq!(st.discontinuities, 3);
    assert_eq!(st.lost_vcdus, 0);
    assert_eq!(st.stuck_counter_vcdus + st.duplicate_vcdus, 0);
    assert_eq!(st.bad_first_header_pointers + st.bad_packet_headers, 0);
    // Each of the 40 files ends its last frame with zero fill, and every
    // capture begins and ends on a file boundary: nothing is cut.
    assert_eq!(st.zero_fill_zones, 40);
    assert_eq!(st.partial_packets_dropped, 0);
    assert_eq!(st.packets, 500);
    assert_eq!(packets.len(), 500);
    for p in &packets {
        assert_eq!(p.version(), 0);
        assert!(!p.is_truncated());
        let d = p.data();
        let (body, crc) = d.split_at(d.len() - 2);
        assert_eq!(
            crc16_ccitt(body),
            u16::from_be_bytes([crc[0], crc[1]]),
            "CP_PDU CRC, APID {} count {}",
            p.apid(),
            p.sequence_count()
        );
    }
}

/// Rebuilds TP_Files from CP_PDUs (first/continuation/last segments per
/// APID; CRC removed) and reads each file's annotation header.
///
/// xRIT layout (CGMS LRIT/HRIT Global Specification §4.3-4.4): a TP_File
/// starts with a 10-byte transport header (file counter u16, data length u64
/// in bits), then the xRIT file: primary header (type 0, length 16: file type
/// u8, total header length u32, data field length u64), then header records
/// of (type u8, length u16 including these 3 bytes, contents). Type 4 is the
/// annotation: the file name. The headers are sent in the clear; only GK-2A's
/// image data is encrypted.
fn file_names(packets: &[SpacePacket]) -> Vec<String> {
    let mut open: BTreeMap<u16, Vec<u8>> = BTreeMap::new();
    let mut files = Vec::new();
    for p in packets {
        let d = p.data();
        let body = &d[..d.len() - 2];
        match p.sequence_flags() {
            SequenceFlags::First => {
                open.insert(p.apid(), body.to_vec());
            }
            SequenceFlags::Continuation => {
                if let Some(f) = open.get_mut(&p.apid()) {
                    f.extend_from_slice(body);
                }
            }
            SequenceFlags::Last => {
                if let Some(mut f) = open.remove(&p.apid()) {
                    f.extend_from_slice(body);
                    files.push(f);
                }
            }
            SequenceFlags::Unsegmented => files.push(body.to_vec()),
        }
    }
    // Files cut by a capture boundary stay open, but their headers (in the
    // first packet) are complete: read those too.
    files.extend(open.into_values());
    let mut names = Vec::new();
    for f in files {
        let x = &f[10..];
        assert_eq!(
            (x[0], u16::from_be_bytes([x[1], x[2]])),
            (0, 16),
            "primary header"
        );
        let total = u32::from_be_bytes([x[4], x[5], x[6], x[7]]) as usize;
        let mut at = 16;
        while at + 3 <= total.min(x.len()) {
            let (kind, len) = (
                x[at],
                usize::from(u16::from_be_bytes([x[at + 1], x[at + 2]])),
            );
            assert!(len >= 3, "header record length");
            if kind == 4 {
                names.push(String::from_utf8_lossy(&x[at + 3..at + len]).into_owned());
            }
            at += len;
        }
    }
    names
}

#[test]
fn xrit_file_names_are_found() {
    let Some(data) = recording(FILE) else { return };
    let Some(list) = recording("xrit-gk2a-lrit-vcdu/lrit_filenames_found.txt") else {
        return;
    };
    let want: Vec<String> = String::from_utf8(list)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.trim().to_string())
        .collect();
    assert_eq!(want.len(), 40);
    let (packets, _) = reassemble(&data);
    let mut got = file_names(&packets);
    got.sort();
    got.dedup();
    let mut want_sorted = want.clone();
    want_sorted.sort();
    assert_eq!(got, want_sorted);
}
