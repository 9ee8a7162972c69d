//! Property tests over synthetic signals: random frames through the whole transmit chain
//! (framing, line coding, FSK audio modulation, seeded white Gaussian noise) and back
//! through `FskDecoder`, plus KISS and Golay properties.

use downlink_dsp::demod::fsk_decoder::{FskDecoder, FskDecoderConfig, FskFraming};
use downlink_dsp::demod::symbol_decoder::{SymbolDecoder, SymbolDecoderConfig};
use downlink_dsp::framing::ax100::{Ax100, Ax100Mode};
use downlink_dsp::framing::ax25::{Ax25Address, Ax25Frame};
use downlink_dsp::framing::crc::Crc16;
use downlink_dsp::framing::g3ruh::{G3ruh, Nrzi};
use downlink_dsp::framing::golay::Golay;
use downlink_dsp::framing::hdlc::Hdlc;
use downlink_dsp::framing::kiss::{Kiss, KissFrame};
use downlink_dsp::framing::mobitex::{self, Mobitex, MobitexVariant, BLOCK_DATA_BYTES};
use downlink_dsp::framing::syncword::bytes_to_bits_msb;
use downlink_dsp::framing::syncword_frame::{SyncWordFrame, SyncWordFrameFormat};
use downlink_dsp::modulate::fsk_mod::{FskMod, FskModConfig};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_distr::{Distribution, Normal};

const FS: f64 = 48_000.0;

/// GFSK audio of `bits` (BT 0.5) with `lead` noise-only symbols before and 32 after, and
/// white Gaussian noise at `ebn0_db`, Eb being the mean signal energy per bit.
fn channel(bits: &[u8], baud: f64, ebn0_db: f64, lead: usize, invert: bool, seed: u64) -> Vec<f32> {
    let mut m = FskMod::new(FskModConfig {
        sample_rate_hz: FS,
        baud,
        amplitude: 0.25,
        gaussian_bt: Some(0.5),
    })
    .unwrap();
    let mut sig = Vec::new();
    let tail = vec![0u8; m.delay_symbols()];
    m.process(bits, &mut sig);
    m.process(&tail, &mut sig);
    if invert {
        sig.iter_mut().for_each(|v| *v = -*v);
    }
    let sps = FS / baud;
    let eb = sig.iter().map(|v| (*v as f64).powi(2)).sum::<f64>() / sig.len() as f64 * sps;
    let sigma = (eb / (2.0 * 10f64.powf(ebn0_db / 10.0))).sqrt();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let normal = Normal::new(0.0, sigma).unwrap();
    let pad = (lead as f64 * sps) as usize;
    let mut out = vec![0.0f32; pad];
    out.extend_from_slice(&sig);
    out.extend(std::iter::repeat_n(0.0, (32.0 * sps) as usize));
    for v in out.iter_mut() {
        *v += normal.sample(&mut rng) as f32;
    }
    out
}

fn decode(audio: &[f32], baud: f64, framing: FskFraming) -> Vec<Vec<u8>> {
    let mut d = FskDecoder::new(FskDecoderConfig {
        sample_rate_hz: FS,
        baud,
        framing,
    })
    .unwrap();
    let mut out = Vec::new();
    for c in audio.chunks(1000) {
        d.process(c, &mut out);
    }
    out.into_iter().map(|f| f.data).collect()
}

fn callsign() -> impl Strategy<Value = String> {
    "[A-Z0-9]{1,6}"
}

fn address() -> impl Strategy<Value = Ax25Address> {
    (callsign(), 0u8..16, any::<bool>()).prop_map(|(c, s, h)| Ax25Address::new(&c, s, h).unwrap())
}

fn ax25_frame() -> impl Strategy<Value = Ax25Frame> {
    (
        address(),
        address(),
        proptest::collection::vec(address(), 0..3),
        proptest::collection::vec(any::<u8>(), 0..200),
    )
        .prop_map(|(destination, source, digipeaters, info)| Ax25Frame {
            destination,
            source,
            digipeaters,
            control: 0x03,
            pid: Some(0xF0),
            info,
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, .. ProptestConfig::default() })]

    /// AX.25 → HDLC (flags, stuffing, FCS) → NRZI → G3RUH → GFSK audio → AWGN at
    /// Eb/N0 = 12 dB → FskDecoder: exactly the same frame, at 9k6 and 4k8, either polarity.
    #[test]
    fn ax25_g3ruh_fsk_round_trip(
        frame in ax25_frame(),
        seed in any::<u64>(),
        lead in 0usize..300,
        fast in any::<bool>(),
        invert in any::<bool>(),
    ) {
        let baud = if fast { 9600.0 } else { 4800.0 };
        let bytes = frame.to_bytes().unwrap();
        let mut hdlc_bits = Vec::new();
        Hdlc::encode(&bytes, 32, 4, &mut hdlc_bits);
        let mut nrzi = Vec::new();
        Nrzi::new().encode(&hdlc_bits, &mut nrzi);
        let mut line = Vec::new();
        G3ruh::new().scramble(&nrzi, &mut line);
        let audio = channel(&line, baud, 12.0, lead, invert, seed);
        let got = decode(&audio, baud, FskFraming::Ax25G3ruh);
        prop_assert_eq!(got.len(), 1);
        prop_assert_eq!(&got[0], &bytes);
        prop_assert_eq!(Ax25Frame::parse(&got[0]).unwrap(), frame);
    }

    /// AX100 (both modes) and the sync-word formats through the same channel, either
    /// polarity: the decoder finds the inverted sync word by itself.
    #[test]
    fn syncword_framings_fsk_round_trip(
        payload in proptest::collection::vec(any::<u8>(), 46),
        seed in any::<u64>(),
        lead in 0usize..200,
        invert in any::<bool>(),
        which in 0usize..4,
    ) {
        let mut bits: Vec<u8> = [0u8, 1].repeat(48); // preamble
        let (framing, baud, want) = match which {
            0 => {
                Ax100::encode(Ax100Mode::AsmGolay, &payload, &mut G3ruh::new(), &mut bits).unwrap();
                (FskFraming::Ax100AsmGolay, 1200.0, payload.clone())
            }
            1 => {
                let mut g = G3ruh::new();
                let mut scrambled = Vec::new();
                g.scramble(&bits, &mut scrambled);
                Ax100::encode(Ax100Mode::ReedSolomon, &payload, &mut g, &mut scrambled).unwrap();
                g.scramble(&[0; 16], &mut scrambled);
                bits = scrambled;
                (FskFraming::Ax100Rs, 9600.0, payload.clone())
            }
            2 => {
                SyncWordFrame::encode(SyncWordFrameFormat::Lucky7, &payload[..35], &mut bits).unwrap();
                // Lucky-7 frames are returned whole: payload + CRC-16/CC11XX, big-endian.
                let mut whole = payload[..35].to_vec();
                whole.extend_from_slice(&Crc16::new(Crc16::CC11XX).checksum(&payload[..35]).to_be_bytes());
                (FskFraming::Lucky7, 4800.0, whole)
            }
            _ => {
                SyncWordFrame::encode(SyncWordFrameFormat::Tt64, &payload, &mut bits).unwrap();
                (FskFraming::Tt64, 9600.0, payload.clone())
            }
        };
        bits.extend([1u8, 0].repeat(8));
        let audio = channel(&bits, baud, 12.0, lead, invert, seed);
        let got = decode(&audio, baud, framing);
        prop_assert_eq!(got.len(), 1, "{:?}", framing);
        prop_assert_eq!(&got[0], &want);
    }

    /// KISS: any payloads on any ports survive encoding, concatenation and arbitrary
    /// re-chunking of the byte stream.
    #[test]
    fn kiss_round_trip(
        frames in proptest::collection::vec(
            (0u8..16, proptest::collection::vec(any::<u8>(), 1..300)), 1..6),
        chunk in 1usize..50,
    ) {
        let mut stream = Vec::new();
        for (port, data) in &frames {
            Kiss::encode(*port, 0, data, &mut stream);
        }
        let mut kiss = Kiss::new();
        let mut out = Vec::new();
        for c in stream.chunks(chunk) {
            kiss.process(c, &mut out);
        }
        let want: Vec<KissFrame> = frames
            .iter()
            .map(|(port, data)| KissFrame { port: *port, command: 0, data: data.clone() })
            .collect();
        prop_assert_eq!(out, want);
    }

    /// Golay(24,12): every error pattern of weight <= 3 (all 2325 of them) is corrected
    /// on random data words, and the number of corrected bits is reported.
    #[test]
    fn golay_corrects_every_pattern_up_to_3(data in 0u16..4096) {
        let g = Golay::new();
        let cw = Golay::encode(data);
        // a <= b <= c enumerates every pattern of weight 1 (a = b = c), 2 and 3.
        let mut patterns = std::collections::HashSet::new();
        for a in 0..24 {
            for b in a..24 {
                for c in b..24 {
                    let e = (1u32 << a) | (1u32 << b) | (1u32 << c);
                    let (d, n) = g.decode(cw ^ e).unwrap();
                    prop_assert_eq!(d, data);
                    prop_assert_eq!(n, e.count_ones());
                    patterns.insert(e);
                }
            }
        }
        prop_assert_eq!(g.decode(cw).unwrap(), (data, 0));
        prop_assert_eq!(patterns.len(), 24 + 276 + 2024);
    }
}

/// Without a signal there is nothing to decode: long noise yields no frames (the CRC
/// and RS checks hold against a flood of false syncs).
#[test]
fn noise_alone_gives_no_frames() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(99);
    let noise: Vec<f32> = (0..480_000).map(|_| rng.random::<f32>() - 0.5).collect();
    for (baud, framing) in [
        (9600.0, FskFraming::Ax25G3ruh),
        (9600.0, FskFraming::Ax25Nrzi),
        (1200.0, FskFraming::Ax100AsmGolay),
        (9600.0, FskFraming::Ax100Rs),
        (4800.0, FskFraming::Lucky7),
        (9600.0, FskFraming::Tt64),
    ] {
        assert!(decode(&noise, baud, framing).is_empty(), "{framing:?}");
    }
}

fn mobitex_decode(audio: &[f32], variant: MobitexVariant) -> Vec<Vec<u8>> {
    let config = SymbolDecoderConfig {
        sample_rate_hz: FS,
        baud: 4800.0,
        subcarrier: None,
        invert: false,
    };
    let mut d = SymbolDecoder::new(config, Box::new(Mobitex::new(variant))).unwrap();
    let mut out = Vec::new();
    for c in audio.chunks(1000) {
        d.process(c, &mut out);
    }
    out.into_iter().map(|f| f.data).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, .. ProptestConfig::default() })]

    /// Mobitex (CMX909B with a fixed block count, or NX with the count and a callsign in
    /// its header) → bit sync, frame sync → GFSK 4800 audio → AWGN at Eb/N0 = 12 dB →
    /// SymbolDecoder with the Mobitex deframer: exactly the frame, either polarity.
    #[test]
    fn mobitex_fsk_round_trip(
        data in proptest::collection::vec(any::<u8>(), 6 * BLOCK_DATA_BYTES),
        blocks in 1usize..=6,
        kind in 0u8..8,
        control1 in any::<u8>(),
        nx in any::<bool>(),
        seed in any::<u64>(),
        lead in 0usize..200,
        invert in any::<bool>(),
    ) {
        let variant = if nx {
            MobitexVariant::Nx
        } else {
            MobitexVariant::Cmx909b { blocks: Some(blocks) }
        };
        // NX takes the block count from control byte 0; CMX909B is told it.
        let mut frame = vec![kind << 5 | (blocks - 1) as u8, control1];
        if nx {
            frame.extend_from_slice(b"DP0TBN");
            frame.extend_from_slice(&Crc16::new(Crc16::XMODEM).checksum(b"DP0TBN").to_be_bytes());
        }
        frame.extend_from_slice(&data[..blocks * BLOCK_DATA_BYTES]);
        let mut air = Vec::new();
        for _ in 0..4 {
            air.extend_from_slice(&variant.bit_sync().to_be_bytes());
        }
        air.extend_from_slice(&variant.sync_word().to_be_bytes());
        air.extend_from_slice(&mobitex::encode(variant, &frame));
        let mut bits = Vec::new();
        bytes_to_bits_msb(&air, &mut bits);
        bits.extend([1u8, 0].repeat(8));
        let audio = channel(&bits, 4800.0, 12.0, lead, invert, seed);
        let got = mobitex_decode(&audio, variant);
        prop_assert_eq!(got.len(), 1, "{:?}", variant);
        prop_assert_eq!(&got[0], &frame);
    }
}

/// Noise alone gives no Mobitex frames either (Hamming + a CRC-16 per block).
#[test]
fn noise_alone_gives_no_mobitex_frames() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(98);
    let noise: Vec<f32> = (0..480_000).map(|_| rng.random::<f32>() - 0.5).collect();
    for variant in [
        MobitexVariant::Cmx909b { blocks: Some(6) },
        MobitexVariant::Nx,
    ] {
        assert!(mobitex_decode(&noise, variant).is_empty(), "{variant:?}");
    }
}
