//! Synthesis round trip: images → MSU-MR packets → M_PDUs in VCDUs →
//! reassembly → decoded channel images.

use downlink::ccsds::{
    MultiplexerConfig, PacketMultiplexer, PacketReassembler, ReassemblyConfig, VcduLayout,
};
use downlink::meteor::encoder::{encode_image, quantise_block};
use downlink::meteor::image::GrayImage;
use downlink::meteor::msumr::reconstruct;
use downlink::meteor::{quant, MeteorImage, MeteorImageConfig};

const W: usize = 1568;

fn scene(height: usize, seed: usize) -> GrayImage {
    let mut data = vec![0u8; W * height];
    for y in 0..height {
        for x in 0..W {
            // Smooth gradients, a sharp edge and some texture.
            let g = (x * 255 / W + y * 3 + seed * 40) % 256;
            let edge = if (x / 97 + y / 11 + seed).is_multiple_of(2) {
                30
            } else {
                0
            };
            let t = (x * 7 + y * 13 + seed * 5) % 17;
            data[y * W + x] = (g + edge + t).min(255) as u8;
        }
    }
    GrayImage {
        width: W,
        height,
        data,
    }
}

/// What the decoder must produce: each block quantised and reconstructed.
fn expected(img: &GrayImage, quality: u8) -> Vec<u8> {
    let qt = quant::table(quality);
    let mut out = vec![0u8; img.data.len()];
    for by in 0..img.height / 8 {
        for bx in 0..W / 8 {
            let mut b = [0u8; 64];
            for y in 0..8 {
                for x in 0..8 {
                    b[y * 8 + x] = img.data[(by * 8 + y) * W + bx * 8 + x];
                }
            }
            let px = reconstruct(&quantise_block(&b, &qt), &qt);
            for y in 0..8 {
                for x in 0..8 {
                    out[(by * 8 + y) * W + bx * 8 + x] = px[y * 8 + x];
                }
            }
        }
    }
    out
}

fn frames_for(channels: &[(u16, &GrayImage)], quality: u8, first_count: u16) -> Vec<u8> {
    let (packets, _) = encode_image(channels, quality, first_count, 100).unwrap();
    let mut mux = PacketMultiplexer::new(MultiplexerConfig {
        layout: VcduLayout::METEOR_LRPT,
        frame_bytes: 892,
        spacecraft_id: 0,
        virtual_channel_id: 5,
        first_frame_count: 1000,
    })
    .unwrap();
    let mut frames = Vec::new();
    mux.process(&packets, &mut frames).unwrap();
    mux.flush(&mut frames).unwrap();
    frames
}

fn decode(frames: &[u8]) -> MeteorImage {
    let mut r = PacketReassembler::new(ReassemblyConfig::meteor_lrpt()).unwrap();
    let mut packets = Vec::new();
    r.process(frames, &mut packets);
    r.finish(&mut packets);
    let mut img = MeteorImage::new(MeteorImageConfig::default()).unwrap();
    img.process(&packets);
    img
}

#[test]
fn lossless_transport_reproduces_the_quantised_image_exactly() {
    let a = scene(32, 0);
    let b = scene(32, 1);
    let c = scene(32, 2);
    for quality in [100u8, 75, 50, 30] {
        // Start near the 14-bit wrap of the packet counter.
        let frames = frames_for(&[(64, &a), (65, &b), (66, &c)], quality, 16300);
        let img = decode(&frames);
        assert_eq!(img.channels(), vec![64, 65, 66]);
        assert_eq!(img.telemetry().len(), 4);
        for (apid, src) in [(64u16, &a), (65, &b), (66, &c)] {
            let got = img.channel_image(apid).unwrap();
            assert_eq!((got.width, got.height), (W, 32));
            assert_eq!(got.data, expected(src, quality), "APID {apid} Q {quality}");
        }
    }
}

#[test]
fn quality_100_stays_close_to_the_source() {
    let a = scene(16, 3);
    let frames = frames_for(&[(64, &a), (65, &a), (66, &a)], 100, 0);
    let img = decode(&frames);
    let got = img.channel_image(65).unwrap();
    let diffs: Vec<i32> = got
        .data
        .iter()
        .zip(a.data.iter())
        .map(|(&g, &s)| (i32::from(g) - i32::from(s)).abs())
        .collect();
    let max = *diffs.iter().max().unwrap();
    let mean = diffs.iter().sum::<i32>() as f64 / diffs.len() as f64;
    // With unit quantisers only the rounding of each coefficient to an
    // integer is lost: at most ±0.5 per coefficient.
    assert!(max <= 3, "max {max}");
    assert!(mean < 0.6, "mean {mean}");
}

#[test]
fn lost_frames_leave_black_rows_and_do_not_shift_later_rows() {
    let a = scene(48, 4);
    let b = scene(48, 5);
    let c = scene(48, 6);
    let frames = frames_for(&[(64, &a), (65, &b), (66, &c)], 80, 100);
    let n = frames.len() / 892;
    // Drop a run of frames around the second image row.
    let (lo, hi) = (n / 3, n / 3 + 8);
    let mut kept = Vec::new();
    for i in (0..n).filter(|i| !(lo..hi).contains(i)) {
        kept.extend_from_slice(&frames[i * 892..(i + 1) * 892]);
    }
    let img = decode(&kept);
    let mut lost = 0;
    for (apid, src) in [(64u16, &a), (65, &b), (66, &c)] {
        let got = img.channel_image(apid).unwrap();
        assert_eq!(got.height, 48, "APID {apid}");
        let want = expected(src, 80);
        // Every MCU is either exactly right or black (lost), and the last row
        // (sent after the gap) is complete and in place.
        for by in 0..6 {
            for bx in 0..W / 8 {
                let block = |d: &[u8]| -> Vec<u8> {
                    (0..8)
                        .flat_map(|y| d[(by * 8 + y) * W + bx * 8..][..8].to_vec())
                        .collect()
                };
                let (g, w) = (block(&got.data), block(&want));
                if g != w {
                    assert!(g.iter().all(|&v| v == 0), "APID {apid} block ({bx},{by})");
                    lost += 1;
                }
            }
        }
        assert_eq!(block_row(&got.data, 5), block_row(&want, 5));
    }
    // Eight frames carry about 7000 bytes: dozens of MCUs.
    assert!(lost > 50, "{lost}");
}

fn block_row(d: &[u8], row: usize) -> Vec<u8> {
    d[row * 8 * W..(row + 1) * 8 * W].to_vec()
}
