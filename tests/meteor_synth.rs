//! The shipped synthetic Meteor-M LRPT pass (`recordings/meteor-lrpt-synth.sigmf-*`):
//! regenerating it gives the same bytes, and decoding it from I/Q gives back the test
//! picture exactly (every 8×8 block that arrived equals what the transmitter coded).

mod common;

use common::*;
use downlink::ccsds::{
    MultiplexerConfig, PacketMultiplexer, PacketReassembler, ReassemblyConfig, VcduLayout,
};
use downlink::meteor::encoder::encode_image;
use downlink::meteor::image::{GrayImage, WIDTH};
use downlink::meteor::{MeteorImage, MeteorImageConfig};
use downlink::synth::lrpt::{test_row, APIDS, QUALITY};
use std::path::{Path, PathBuf};

fn shipped() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/meteor-lrpt-synth.sigmf-meta")
}

fn expected() -> serde_json::Value {
    let p =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("recordings/meteor-lrpt-synth.expected.json");
    serde_json::from_str(&std::fs::read_to_string(p).unwrap()).unwrap()
}

#[test]
fn shipped_pass_matches_its_generator() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("pass.sigmf-meta");
    let o = downlink(&[
        "synth",
        "meteor-lrpt",
        "--to-format",
        "cu8",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let fresh = std::fs::read(dir.path().join("pass.sigmf-data")).unwrap();
    let shipped = std::fs::read(shipped().with_extension("sigmf-data")).unwrap();
    assert!(
        fresh == shipped,
        "recordings/meteor-lrpt-synth.sigmf-data differs from `downlink synth meteor-lrpt`"
    );
}

/// What a perfect receiver would show: the test rows through the MSU-MR coder and
/// straight back through the packet layer, no radio in between.
fn ideal(rows: usize) -> MeteorImage {
    let mut count = 0u16;
    let mut mux = PacketMultiplexer::new(MultiplexerConfig {
        layout: VcduLayout::METEOR_LRPT,
        frame_bytes: 892,
        spacecraft_id: 0,
        virtual_channel_id: 5,
        first_frame_count: 0,
    })
    .unwrap();
    let mut vcdus = Vec::new();
    for row in 0..rows {
        let imgs: Vec<(u16, GrayImage)> = APIDS.iter().map(|&a| (a, test_row(a, row))).collect();
        let refs: Vec<(u16, &GrayImage)> = imgs.iter().map(|(a, g)| (*a, g)).collect();
        let (packets, next) = encode_image(&refs, QUALITY, count, 16).unwrap();
        count = next;
        mux.process(&packets, &mut vcdus).unwrap();
    }
    let mut reassembler = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
    let mut packets = Vec::new();
    reassembler.process(&vcdus, &mut packets);
    let mut image = MeteorImage::new(MeteorImageConfig::default()).unwrap();
    image.process(&packets);
    image
}

fn read_gray(path: &Path) -> (usize, usize, Vec<u8>) {
    let decoder = png::Decoder::new(std::io::BufReader::new(std::fs::File::open(path).unwrap()));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    assert_eq!(info.color_type, png::ColorType::Grayscale);
    buf.truncate(info.buffer_size());
    (info.width as usize, info.height as usize, buf)
}

fn block(data: &[u8], bx: usize, by: usize) -> Vec<u8> {
    (0..8)
        .flat_map(|y| data[(by * 8 + y) * WIDTH + bx * 8..][..8].to_vec())
        .collect()
}

#[test]
fn decoding_the_pass_from_iq_gives_back_the_test_picture() {
    let want = expected();
    let out = tempfile::tempdir().unwrap();
    let o = downlink(&[
        "decode",
        "-p",
        "meteor-lrpt",
        "--json",
        shipped().to_str().unwrap(),
        "-o",
        out.path().to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(stdout(&o).lines().last().unwrap()).unwrap();
    let stage = summary["stages"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["stage"] == "meteor-lrpt")
        .unwrap()
        .clone();
    let ok = stage["values"]["cadus_rs_ok"].as_f64().unwrap();
    let failed = stage["values"]["cadus_rs_failed"].as_f64().unwrap();
    assert!(
        ok >= want["cadus_rs_ok_min"].as_f64().unwrap(),
        "{ok} RS-valid CADUs"
    );
    assert_eq!(failed, 0.0);
    assert_eq!(stage["text"]["mode"], want["mode"]);
    // Products carry the pass time from the SigMF capture.
    let stem = want["product_stem"].as_str().unwrap();
    let ideal = ideal(40);
    let decoded: Vec<(u16, usize, Vec<u8>)> = APIDS
        .iter()
        .map(|&apid| {
            let (w, h, got) = read_gray(&out.path().join(format!("{stem}.msumr-{apid}.png")));
            assert_eq!(w, WIDTH);
            (apid, h, got)
        })
        .collect();
    // The decoded image starts at the first row received. Find where that is in the
    // ideal picture from APID 66, whose rows are all different (APID 64's are all the
    // same), then every received block of every channel must match.
    let (_, h66, got66) = &decoded[2];
    let truth66 = ideal.channel_image(66).unwrap();
    let first = (0..h66 / 8 * 196)
        .map(|i| (i % 196, i / 196))
        .find(|&(bx, by)| block(got66, bx, by).iter().any(|&p| p != 0))
        .unwrap();
    let truth_row = (0..truth66.height / 8)
        .find(|&r| block(&truth66.data, first.0, r) == block(got66, first.0, first.1))
        .expect("first decoded block is not in the test picture");
    let shift = truth_row as isize - first.1 as isize;
    for (apid, h, got) in &decoded {
        assert!(
            *h >= want["image_lines_min"].as_u64().unwrap() as usize,
            "APID {apid}: {h} lines"
        );
        let truth = ideal.channel_image(*apid).unwrap();
        let rows = h / 8;
        let (mut present, mut matched) = (0, 0);
        for by in 0..rows {
            for bx in 0..196 {
                let b = block(got, bx, by);
                if b.iter().all(|&p| p == 0) {
                    continue;
                }
                present += 1;
                let t = by as isize + shift;
                if t >= 0
                    && (t as usize) < truth.height / 8
                    && b == block(&truth.data, bx, t as usize)
                {
                    matched += 1;
                }
            }
        }
        assert_eq!(
            matched,
            present,
            "APID {apid}: {} of {present} blocks differ",
            present - matched
        );
        assert!(
            present * 100 >= rows * 196 * 90,
            "APID {apid}: only {present} blocks arrived"
        );
    }
}
