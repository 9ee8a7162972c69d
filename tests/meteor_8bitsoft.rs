//! The first VCDU decoded from `lrpt-m2-soft-8bitsoft` (jradio's `vcdu.bin`)
//! and the 1568×8 strip jradio renders from it (`expected8bitsoft.png`).

mod common;

use common::*;

use downlink::ccsds::{PacketReassembler, ReassemblyConfig, Vcdu, VcduLayout};
use downlink::meteor::msumr::DecodeStop;
use downlink::meteor::{MeteorImage, MeteorImageConfig, MsuMrPacket};

#[test]
fn header_fields() {
    let Some(frame) = recording("lrpt-m2-soft-8bitsoft/expected/vcdu.bin") else {
        return;
    };
    assert_eq!(frame.len(), 892);
    let v = Vcdu::parse(&frame, VcduLayout::METEOR_LRPT).unwrap();
    assert_eq!(v.version(), 1);
    assert_eq!(v.spacecraft_id(), 0);
    assert_eq!(v.virtual_channel_id(), 5);
    assert_eq!(v.frame_count(), 4_649_488);
    assert!(!v.replay_flag());
    assert_eq!(v.insert_zone(), &[0, 0]);
    assert_eq!(v.mpdu_spare(), 0);
    assert_eq!(v.first_header_pointer(), 54);
}

/// The frame holds the tail of a packet begun in an earlier frame (54 bytes,
/// dropped), one whole packet (APID 65, MCUs 112..=125) and the first 326 of
/// the 512 bytes of the next (APID 65, MCUs 126..=139). Those carry MCUs
/// 126..=134 completely; the data ends inside MCU 135.
///
/// jradio renders that packet by reading zeros past the end of the data: MCU
/// 135 from partly real, partly invented coefficients and 136..=139 from
/// zeros alone (four identical blocks). We draw only MCUs whose bits were
/// received, so x 1080..=1119 stays black here; every other pixel of the
/// strip matches jradio's exactly. So the single VCDU does not carry enough
/// to reproduce the whole of jradio's strip, and the test says where.
#[test]
fn packets_and_image_strip() {
    let Some(frame) = recording("lrpt-m2-soft-8bitsoft/expected/vcdu.bin") else {
        return;
    };
    let Some(png) = recording("lrpt-m2-soft-8bitsoft/expected/expected8bitsoft.png") else {
        return;
    };
    let mut r = PacketReassembler::new(ReassemblyConfig {
        emit_truncated: true,
        ..ReassemblyConfig::meteor_lrpt()
    })
    .unwrap();
    let mut packets = Vec::new();
    r.push_frame(&frame, &mut packets).unwrap();
    assert_eq!(packets.len(), 1);
    r.finish(&mut packets);
    assert_eq!(packets.len(), 2);
    assert_eq!(r.stats().packets, 1);
    assert_eq!(r.stats().partial_packets_dropped, 1);

    let whole = &packets[0];
    assert_eq!((whole.apid(), whole.sequence_count()), (65, 4858));
    assert_eq!(whole.declared_data_len(), 490);
    assert!(!whole.is_truncated());
    let cut = &packets[1];
    assert_eq!((cut.apid(), cut.sequence_count()), (65, 4859));
    assert!(cut.is_truncated());
    assert_eq!((cut.data().len(), cut.declared_data_len()), (326, 512));

    let m = MsuMrPacket::parse(whole).unwrap();
    assert_eq!(
        (m.mcu_number, m.quality_marker, m.scan_header),
        (112, 0xFFF0, [0, 0])
    );
    let d = m.decode();
    assert_eq!((d.blocks.len(), d.stop), (14, None));
    let m = MsuMrPacket::parse(cut).unwrap();
    assert_eq!(m.mcu_number, 126);
    let d = m.decode();
    assert_eq!((d.blocks.len(), d.stop), (9, Some(DecodeStop::EndOfData)));

    let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
    img.process(&packets);
    assert_eq!(img.channels(), vec![65]);
    // jradio's default composite: APIDs 66, 65, 64 as red, green, blue.
    let got = img.composite(66, 65, 64).unwrap();
    let (w, h, want) = read_png_rgb(&png);
    assert_eq!((got.width, got.height), (w, h));
    assert_eq!((w, h), (1568, 8));
    let invented = 1080..1120;
    for y in 0..h {
        for x in 0..w {
            let i = (y * w + x) * 3;
            if invented.contains(&x) {
                assert_eq!(&got.data[i..i + 3], &[0, 0, 0]);
                assert_ne!(want[i + 1], 0, "jradio draws something at ({x},{y})");
            } else {
                assert_eq!(&got.data[i..i + 3], &want[i..i + 3], "({x},{y})");
            }
        }
    }
    let block = |m: usize| -> Vec<u8> {
        let mut b = Vec::new();
        for y in 0..8 {
            for x in 0..8 {
                b.push(want[(y * w + m * 8 + x) * 3 + 1]);
            }
        }
        b
    };
    for m in 137..140 {
        assert_eq!(block(m), block(136), "zero-fill blocks are identical");
    }
    // Our green spans the 23 decoded MCUs 112..=134.
    let lit: Vec<usize> = (0..w).filter(|&x| got.data[x * 3 + 1] != 0).collect();
    assert_eq!((lit[0], *lit.last().unwrap()), (896, 1079));
}
