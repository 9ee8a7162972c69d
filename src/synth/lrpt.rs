//! A synthetic Meteor-M LRPT pass, generated on the fly through the whole transmit
//! chain and a channel model:
//!
//! ```text
//! test image rows ─▶ MSU-MR packets (JPEG-like, APIDs 64–66 + 70) ─▶ M_PDU/VCDUs
//!   ─▶ RS(255,223)×4 + randomiser + ASM ─▶ (NRZ-M) ─▶ conv. k=7 r=1/2
//!   ─▶ QPSK/OQPSK with RRC 0.6 ─▶ channel: Es/N0, carrier offset, Doppler ramp,
//!      sample-clock error, phase noise ─▶ I/Q at the receiver's rate
//! ```
//!
//! It is a [`SampleSource`], so a 15-minute pass at 1.024 MS/s streams through a
//! pipeline without ever being stored, and the same seed always gives the same samples.

use crate::ccsds::{MultiplexerConfig, PacketMultiplexer, VcduLayout};
use crate::io::{Container, InputError, RecordingInfo, SampleFormat, SampleSource};
use crate::meteor::encoder::encode_image;
use crate::meteor::image::{GrayImage, WIDTH};
use downlink_dsp::framing::{CcsdsDecoderConfig, CcsdsEncoder, CcsdsEncoderConfig};
use downlink_dsp::modulate::channel::{Channel, ChannelConfig};
use downlink_dsp::modulate::psk_mod::{PskMod, PskModConfig};
use downlink_dsp::sync::PskModulation;
use num_complex::Complex32;
use std::collections::VecDeque;

/// The MSU-MR channels the synthetic pass carries.
pub const APIDS: [u16; 3] = [64, 65, 66];
/// Modulator samples per symbol before the channel resamples to the receiver's rate.
const MOD_SPS: usize = 4;
/// Output level: an RMS of about 0.25 of full scale at the default Es/N0.
const OUTPUT_SCALE: f32 = 0.35;
/// JPEG quality factor of the synthetic packets (real passes use 50–100).
pub const QUALITY: u8 = 80;

#[derive(Clone, Debug)]
pub struct LrptSynthConfig {
    pub sample_rate_hz: f64,
    pub seconds: f64,
    pub modulation: PskModulation,
    pub symbol_rate_baud: f64,
    pub differential: bool,
    pub es_n0_db: f64,
    pub carrier_offset_hz: f64,
    pub doppler_rate_hz_per_s: f64,
    pub clock_offset_ppm: f64,
    pub phase_noise_linewidth_hz: f64,
    pub center_freq_hz: f64,
    pub start_time: Option<chrono::DateTime<chrono::Utc>>,
    pub seed: u64,
}

impl Default for LrptSynthConfig {
    /// The shipped pass: Meteor-M N2-3-like OQPSK 72 kBd, differential, 150 kS/s, with
    /// a carrier 2.5 kHz off, Doppler, clock error and phase noise.
    fn default() -> Self {
        LrptSynthConfig {
            sample_rate_hz: 150_000.0,
            seconds: 10.0,
            modulation: PskModulation::Oqpsk,
            symbol_rate_baud: 72_000.0,
            differential: true,
            es_n0_db: 9.0,
            carrier_offset_hz: 2_500.0,
            doppler_rate_hz_per_s: -20.0,
            clock_offset_ppm: 30.0,
            phase_noise_linewidth_hz: 1.0,
            center_freq_hz: 137.9e6,
            start_time: Some(
                chrono::DateTime::parse_from_rfc3339("2026-11-26T07:42:00Z")
                    .expect("valid constant time")
                    .with_timezone(&chrono::Utc),
            ),
            seed: 1379,
        }
    }
}

/// The test picture, one 8-line row at a time: a different pattern per channel so
/// that a swapped or shifted channel shows.
pub fn test_row(apid: u16, row: usize) -> GrayImage {
    let mut data = vec![0u8; WIDTH * 8];
    for y in 0..8 {
        let line = row * 8 + y;
        for x in 0..WIDTH {
            let v = match apid {
                // Horizontal ramp with vertical bars every 98 px.
                64 => ((x * 215 / WIDTH) + if (x / 98) % 2 == 0 { 0 } else { 40 }) as u8,
                // Diagonal stripes moving with the line number.
                65 => {
                    let d = (x + 2 * line) % 64;
                    if d < 32 {
                        60 + d as u8 * 4
                    } else {
                        188 - (d as u8 - 32) * 4
                    }
                }
                // A checkerboard of 56-px squares over a gentle vertical ramp.
                _ => {
                    let base = (line % 256) as u8 / 2;
                    base + if ((x / 56) + (line / 56)).is_multiple_of(2) {
                        100
                    } else {
                        20
                    }
                }
            };
            data[y * WIDTH + x] = v;
        }
    }
    GrayImage {
        width: WIDTH,
        height: 8,
        data,
    }
}

/// Streams a synthetic pass.
pub struct LrptSource {
    info: RecordingInfo,
    total: u64,
    produced: u64,
    row: usize,
    packet_count: u16,
    mux: PacketMultiplexer,
    vcdus: VecDeque<u8>,
    encoder: CcsdsEncoder,
    modulator: PskMod,
    channel: Channel,
    bits: Vec<u8>,
    clean: Vec<Complex32>,
    ready: VecDeque<Complex32>,
    frames: u64,
}

/// Bytes in one VCDU (the CADU data without RS parity).
const VCDU_BYTES: usize = 892;

impl LrptSource {
    pub fn new(cfg: LrptSynthConfig) -> Result<Self, InputError> {
        let err = |problem: String| InputError {
            path: "synthetic LRPT pass".into(),
            problem,
        };
        if !(cfg.sample_rate_hz > 0.0 && cfg.seconds > 0.0) {
            return Err(err(format!(
                "rate {} S/s and length {} s must be positive",
                cfg.sample_rate_hz, cfg.seconds
            )));
        }
        let decoder = if cfg.differential {
            CcsdsDecoderConfig::meteor_lrpt_differential()
        } else {
            CcsdsDecoderConfig::meteor_lrpt()
        };
        let encoder = CcsdsEncoder::new(CcsdsEncoderConfig::matching(&decoder)).map_err(err)?;
        let modulator = PskMod::new(PskModConfig {
            modulation: cfg.modulation,
            sps: MOD_SPS,
            rrc_rolloff: crate::pipelines::meteor_lrpt::RRC_ROLLOFF,
            span_symbols: 16,
        })
        .map_err(|e| err(e.to_string()))?;
        let mod_rate = cfg.symbol_rate_baud * MOD_SPS as f64;
        let mut ch = ChannelConfig::clean(mod_rate, cfg.sample_rate_hz, cfg.symbol_rate_baud);
        ch.es_n0_db = cfg.es_n0_db;
        ch.carrier_offset_hz = cfg.carrier_offset_hz;
        ch.doppler_rate_hz_per_s = cfg.doppler_rate_hz_per_s;
        ch.clock_offset_ppm = cfg.clock_offset_ppm;
        ch.phase_noise_linewidth_hz = cfg.phase_noise_linewidth_hz;
        ch.seed = cfg.seed;
        let channel = Channel::new(ch).map_err(|e| err(e.to_string()))?;
        let mux = PacketMultiplexer::new(MultiplexerConfig {
            layout: VcduLayout::METEOR_LRPT,
            frame_bytes: VCDU_BYTES,
            spacecraft_id: 0,
            virtual_channel_id: 5,
            first_frame_count: 100_000,
        })
        .map_err(|e| err(e.to_string()))?;
        let total = (cfg.seconds * cfg.sample_rate_hz).round() as u64;
        let info = RecordingInfo {
            path: "synthetic LRPT pass".into(),
            container: Container::Raw,
            format: SampleFormat::Cf32,
            sample_rate_hz: cfg.sample_rate_hz,
            center_freq_hz: Some(cfg.center_freq_hz),
            start_time: cfg.start_time,
            total_samples: Some(total),
            sources: vec!["synthesised".into()],
            annotations: Vec::new(),
            tle: None,
            station: None,
            satellite: Some("METEOR-M (synthetic)".into()),
            description: Some(format!(
                "synthetic Meteor-M LRPT pass: {:?} {} Bd{}, Es/N0 {} dB, carrier {:+} Hz, Doppler {:+} Hz/s, clock {:+} ppm",
                cfg.modulation,
                cfg.symbol_rate_baud,
                if cfg.differential { " differential" } else { "" },
                cfg.es_n0_db,
                cfg.carrier_offset_hz,
                cfg.doppler_rate_hz_per_s,
                cfg.clock_offset_ppm
            )),
        };
        Ok(LrptSource {
            info,
            total,
            produced: 0,
            row: 0,
            packet_count: 0,
            mux,
            vcdus: VecDeque::new(),
            encoder,
            modulator,
            channel,
            bits: Vec::new(),
            clean: Vec::new(),
            ready: VecDeque::new(),
            frames: 0,
        })
    }

    /// CADUs generated so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Makes one more CADU's worth of samples.
    fn generate(&mut self) -> Result<(), InputError> {
        let err = |e: String| InputError {
            path: "synthetic LRPT pass".into(),
            problem: e,
        };
        while self.vcdus.len() < VCDU_BYTES {
            let rows: Vec<(u16, GrayImage)> =
                APIDS.iter().map(|&a| (a, test_row(a, self.row))).collect();
            let refs: Vec<(u16, &GrayImage)> = rows.iter().map(|(a, g)| (*a, g)).collect();
            let (packets, next) = encode_image(&refs, QUALITY, self.packet_count, 16)
                .map_err(|e| err(e.to_string()))?;
            self.packet_count = next;
            self.row += 1;
            let mut bytes = Vec::new();
            self.mux
                .process(&packets, &mut bytes)
                .map_err(|e| err(e.to_string()))?;
            self.vcdus.extend(bytes);
        }
        let vcdu: Vec<u8> = self.vcdus.drain(..VCDU_BYTES).collect();
        self.bits.clear();
        self.encoder
            .encode_frame(&vcdu, &mut self.bits)
            .map_err(err)?;
        self.frames += 1;
        self.clean.clear();
        self.modulator.process(&self.bits, &mut self.clean);
        let mut out = Vec::with_capacity(self.clean.len());
        self.channel.process(&self.clean, &mut out);
        // Scaled like a receiver with sensible gain: noise and signal peaks stay well
        // inside full scale even in 8-bit formats.
        self.ready.extend(out.into_iter().map(|x| x * OUTPUT_SCALE));
        Ok(())
    }
}

impl SampleSource for LrptSource {
    fn info(&self) -> &RecordingInfo {
        &self.info
    }

    fn read(&mut self, out: &mut Vec<Complex32>, max: usize) -> Result<usize, InputError> {
        let want = max.min((self.total - self.produced) as usize);
        while self.ready.len() < want {
            self.generate()?;
        }
        out.extend(self.ready.drain(..want));
        self.produced += want as u64;
        Ok(want)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pass_is_deterministic_and_read_size_invariant() {
        let cfg = LrptSynthConfig {
            seconds: 0.3,
            ..LrptSynthConfig::default()
        };
        let read = |size: usize| {
            let mut s = LrptSource::new(cfg.clone()).unwrap();
            let mut v = Vec::new();
            while s.read(&mut v, size).unwrap() > 0 {}
            v
        };
        let a = read(65536);
        assert_eq!(a.len(), 45_000);
        assert_eq!(a, read(1000));
    }

    #[test]
    fn test_rows_differ_per_channel() {
        let a = test_row(64, 3);
        let b = test_row(65, 3);
        let c = test_row(66, 3);
        assert_ne!(a.data, b.data);
        assert_ne!(b.data, c.data);
        assert_eq!(a.data.len(), WIDTH * 8);
    }
}
