//! One FengYun-3G CADU (`cadu-fy3g/fy3.cadu`, from r2cloud's tests, SatDump output).

mod common;

use common::*;

use downlink::ccsds::{PacketReassembler, ReassemblyConfig, Vcdu, VcduLayout};

/// CCSDS 131.0-B attached sync marker.
const ASM: [u8; 4] = [0x1A, 0xCF, 0xFC, 0x1D];
/// Reed–Solomon (255,223) interleaved ×4 (CCSDS 131.0-B §4): 4 × 223 = 892
/// bytes of frame, 4 × 32 = 128 of check symbols.
const VCDU_BYTES: usize = 892;
const PARITY_BYTES: usize = 128;

#[test]
fn cadu_layout_and_header() {
    let Some(cadu) = recording("cadu-fy3g/fy3.cadu") else {
        return;
    };
    assert_eq!(cadu.len(), ASM.len() + VCDU_BYTES + PARITY_BYTES);
    assert_eq!(cadu[..4], ASM);
    let frame = &cadu[4..4 + VCDU_BYTES];
    let v = Vcdu::parse(frame, VcduLayout::FENGYUN3).unwrap();
    assert_eq!(v.version(), 1);
    // 64 is FY-3G's spacecraft id (SatDump `fengyun3.h`: FY3_G_SCID 64).
    assert_eq!(v.spacecraft_id(), 64);
    // VCID 63, all ones: an idle (fill) frame (CCSDS 732.0-B-4 §4.1.2.3).
    assert_eq!(v.virtual_channel_id(), 63);
    assert!(v.is_idle_frame());
    assert_eq!(v.frame_count(), 0xACC1F3);
    assert!(!v.replay_flag());
    assert_eq!(v.insert_zone(), &[0, 0]);
    // An idle frame starts no packet.
    assert_eq!(v.first_header_pointer(), 0x7FF);
    assert_eq!(v.packet_zone().len(), 882);

    let mut r = PacketReassembler::new(ReassemblyConfig {
        layout: VcduLayout::FENGYUN3,
        frame_bytes: VCDU_BYTES,
        spacecraft_id: Some(64),
        emit_truncated: false,
    })
    .unwrap();
    let mut out = Vec::new();
    r.push_frame(frame, &mut out).unwrap();
    r.finish(&mut out);
    assert!(out.is_empty());
    assert_eq!(r.stats().idle_vcdus, 1);
    assert_eq!(r.stats().vcdus, 0);
}

/// `satdump_fengyun3g.json` is r2cloud's observation record. Its
/// `numberOfDecodedPackets: 1` counts decoded frames: the file holds exactly
/// one CADU. `totalSize: 1076` is the size of r2cloud's `data.bin`, a jradio
/// beacon container holding that frame without its ASM: one record of a
/// 12-byte header, the 1020-byte frame (VCDU + RS check symbols) and 44
/// bytes of metadata, the record layout measured in `meteorDuplicates.bin`
/// (425 × (12 + 892 + 44) bytes). Not checkable here: the RS check symbols
/// (the decoder lives in `downlink-dsp`) and r2cloud's images (the frame is
/// idle and carries no instrument data).
#[test]
fn observation_record_counts() {
    let Some(cadu) = recording("cadu-fy3g/fy3.cadu") else {
        return;
    };
    let Some(json) = recording("cadu-fy3g/expected/satdump_fengyun3g.json") else {
        return;
    };
    let v: serde_json::Value = serde_json::from_slice(&json).unwrap();
    let frames = cadu.len() / (ASM.len() + VCDU_BYTES + PARITY_BYTES);
    assert_eq!(cadu.len() % (ASM.len() + VCDU_BYTES + PARITY_BYTES), 0);
    assert_eq!(v["numberOfDecodedPackets"].as_u64(), Some(frames as u64));
    const RECORD_HEADER: usize = 12;
    const RECORD_TRAILER: usize = 44;
    let container = frames * (RECORD_HEADER + VCDU_BYTES + PARITY_BYTES + RECORD_TRAILER);
    assert_eq!(v["totalSize"].as_u64(), Some(container as u64));
    assert_eq!(v["satellite"].as_str(), Some("56232"));
}
