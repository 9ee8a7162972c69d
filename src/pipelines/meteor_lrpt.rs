//! `meteor-lrpt`: Meteor-M LRPT from any level to MSU-MR images.
//!
//! ```text
//! baseband ─▶ PSK demodulators (QPSK 72k, OQPSK 72k, OQPSK 80k) ─▶ soft symbols
//! soft ─▶ decoders (72k plain, 72k differential, 80k de-interleaved + differential)
//!      ─▶ CADUs (RS-checked) ─▶ VCDUs ─▶ space packets ─▶ MSU-MR images, telemetry
//! ```
//!
//! The mode is not configured: every candidate runs until one delivers frames that pass
//! Reed–Solomon, and that one is kept ("try, lock, keep what syncs"). Decoding soft
//! symbols is cheap next to demodulating, so the decoders run side by side for the
//! whole pass; a candidate that never syncs costs only its marker search.

use crate::ccsds::{PacketReassembler, ReassemblyConfig, ReassemblyStats, SpacePacket};
use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::meteor::deinterleave::Deinterleaver;
use crate::meteor::{MeteorImage, MeteorImageConfig};
use crate::products::atomic::AtomicFile;
use crate::status::{Preview, StageStatus};
use downlink_dsp::demod::psk_demod::{PskDemod, PskDemodConfig};
use downlink_dsp::fec::{ReedSolomon, ReedSolomonConfig};
use downlink_dsp::framing::{Cadu, CcsdsDecoder, CcsdsDecoderConfig, CcsdsStats};
use downlink_dsp::sync::PskModulation;
use std::collections::VecDeque;
use std::io::Write;
use std::path::{Path, PathBuf};

/// CCSDS attached sync marker (CCSDS 131.0-B §9.3.1), written before dumped CADUs.
pub const ASM: [u8; 4] = [0x1A, 0xCF, 0xFC, 0x1D];
pub const CADU_BYTES: usize = 1024;
pub const VCDU_BYTES: usize = 892;
/// Frames a candidate may hold back before the mode is chosen.
const MAX_PENDING: usize = 64;

/// One way the soft symbols may be coded.
struct Candidate {
    name: &'static str,
    deinterleaver: Option<Deinterleaver>,
    decoder: CcsdsDecoder,
    scratch: Vec<i8>,
    rs_ok: u64,
    /// CADUs held back until a mode is chosen, so that a wrong candidate's failures
    /// are never counted. Bounded: a mode is chosen at its third good frame.
    pending: VecDeque<Cadu>,
}

impl Candidate {
    fn new(name: &'static str, interleaved: bool, config: CcsdsDecoderConfig) -> Result<Self> {
        Ok(Candidate {
            name,
            deinterleaver: interleaved.then(Deinterleaver::new),
            decoder: CcsdsDecoder::new(config).map_err(|e| Error::Internal(e.to_string()))?,
            scratch: Vec::new(),
            rs_ok: 0,
            pending: VecDeque::new(),
        })
    }

    fn process(&mut self, soft: &[i8], out: &mut Vec<Cadu>) {
        match &mut self.deinterleaver {
            Some(d) => {
                self.scratch.clear();
                d.process(soft, &mut self.scratch);
                self.decoder.process(&self.scratch, out);
            }
            None => self.decoder.process(soft, out),
        }
    }
}

/// Totals reported at the end of a run.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct MeteorSummary {
    /// The coding that synced ("72k", "72k differential", "80k interleaved").
    pub mode: Option<String>,
    pub cadus_total: u64,
    pub cadus_rs_ok: u64,
    pub cadus_rs_corrected: u64,
    pub cadus_rs_failed: u64,
    /// Mean Viterbi BER estimate (channel bit errors found by re-encoding) over the
    /// RS-valid CADUs decoded from soft symbols; 0 when the input had no Viterbi stage.
    pub viterbi_ber: f64,
    #[serde(skip)]
    viterbi_ber_sum: f64,
    #[serde(skip)]
    viterbi_ber_cadus: u64,
    /// Soft symbol (bit) index of the first RS-valid CADU.
    pub first_frame_symbol: Option<u64>,
    pub packets: ReassemblyStats,
    /// Image lines (pixels high) per MSU-MR APID.
    pub image_lines: Vec<(u16, usize)>,
}

/// One soft-symbol stream (one demodulator, or the input file) and the decoders
/// trying it.
struct Stream {
    candidates: Vec<Candidate>,
    /// `--dump`: this stream's soft symbols; only the chosen stream's file is kept.
    soft_dump: Option<AtomicFile>,
}

/// Where `--dump` writes the levels, and the name they start with.
#[derive(Clone, Debug)]
pub struct DumpTo {
    pub dir: PathBuf,
    pub stem: String,
}

/// Soft symbols or frames in, images out. Used by every level of the pipeline.
pub struct MeteorBackend {
    streams: Vec<Stream>,
    /// (stream, candidate) that synced first.
    chosen: Option<(usize, usize)>,
    rs: ReedSolomon,
    reassembler: PacketReassembler,
    image: MeteorImage,
    cadus: Vec<Cadu>,
    packets: Vec<SpacePacket>,
    summary: MeteorSummary,
    dump: Option<DumpTo>,
    cadu_dump: Option<AtomicFile>,
    flushed: bool,
}

impl MeteorBackend {
    /// A backend for `streams` soft-symbol streams (named for the dump files), or for
    /// frames only when `streams` is empty.
    pub fn new(streams: &[&str], dump: Option<DumpTo>) -> Result<Self> {
        let internal = |e: &dyn std::fmt::Display| Error::Internal(e.to_string());
        let mut cadu_dump = None;
        let mut built = Vec::new();
        if let Some(d) = &dump {
            std::fs::create_dir_all(&d.dir).map_err(|e| Error::output(&d.dir, e))?;
            cadu_dump = Some(AtomicFile::create(&d.dir.join(format!("{}.cadu", d.stem)))?);
        }
        for name in streams {
            let soft_dump = match &dump {
                Some(d) => Some(AtomicFile::create(
                    &d.dir.join(format!("{}.{name}.s", d.stem)),
                )?),
                None => None,
            };
            built.push(Stream {
                candidates: vec![
                    Candidate::new("72k", false, CcsdsDecoderConfig::meteor_lrpt())?,
                    Candidate::new(
                        "72k differential",
                        false,
                        CcsdsDecoderConfig::meteor_lrpt_differential(),
                    )?,
                    Candidate::new(
                        "80k interleaved",
                        true,
                        CcsdsDecoderConfig::meteor_lrpt_differential(),
                    )?,
                ],
                soft_dump,
            });
        }
        Ok(MeteorBackend {
            streams: built,
            chosen: None,
            rs: ReedSolomon::new(ReedSolomonConfig::METEOR).map_err(|e| internal(&e))?,
            reassembler: PacketReassembler::new(ReassemblyConfig::meteor_lrpt())
                .map_err(|e| internal(&e))?,
            image: MeteorImage::new(MeteorImageConfig::default()).map_err(|e| internal(&e))?,
            cadus: Vec::new(),
            packets: Vec::new(),
            summary: MeteorSummary::default(),
            dump,
            cadu_dump,
            flushed: false,
        })
    }

    /// False once another stream has synced: its producer may stop.
    pub fn stream_wanted(&self, stream: usize) -> bool {
        self.chosen.is_none_or(|(s, _)| s == stream)
    }

    /// Feeds soft symbols (one per encoded bit, I then Q) of one stream.
    pub fn push_soft(&mut self, stream: usize, soft: &[i8]) -> Result<()> {
        if !self.stream_wanted(stream) {
            return Ok(());
        }
        if let Some(f) = self.streams[stream].soft_dump.as_mut() {
            let bytes: Vec<u8> = soft.iter().map(|&s| s as u8).collect();
            f.write_all(&bytes)
                .map_err(|e| Error::output(f.path(), e))?;
        }
        let mut cadus = std::mem::take(&mut self.cadus);
        for i in 0..self.streams[stream].candidates.len() {
            if self.chosen.is_some_and(|c| c != (stream, i)) {
                continue;
            }
            cadus.clear();
            let candidate = &mut self.streams[stream].candidates[i];
            candidate.process(soft, &mut cadus);
            candidate.rs_ok += cadus.iter().filter(|c| c.rs_ok).count() as u64;
            if self.chosen.is_some() {
                for cadu in cadus.drain(..) {
                    self.take_cadu(&cadu)?;
                }
                continue;
            }
            candidate.pending.extend(cadus.drain(..));
            while candidate.pending.len() > MAX_PENDING {
                candidate.pending.pop_front();
            }
            // The first candidate to deliver three good frames is the mode; the others
            // stop and what they made is dropped.
            if candidate.rs_ok >= 3 {
                self.choose(stream, i)?;
            }
        }
        self.cadus = cadus;
        Ok(())
    }

    /// Makes (stream, candidate) the mode and releases its held-back frames.
    fn choose(&mut self, stream: usize, candidate: usize) -> Result<()> {
        self.chosen = Some((stream, candidate));
        let c = &mut self.streams[stream].candidates[candidate];
        self.summary.mode = Some(c.name.to_string());
        let held: Vec<Cadu> = c.pending.drain(..).collect();
        for cadu in &held {
            self.take_cadu(cadu)?;
        }
        for s in &mut self.streams {
            for c in &mut s.candidates {
                c.pending.clear();
            }
        }
        Ok(())
    }

    fn take_cadu(&mut self, cadu: &Cadu) -> Result<()> {
        self.summary.cadus_total += 1;
        if !cadu.rs_ok {
            self.summary.cadus_rs_failed += 1;
            return Ok(());
        }
        self.summary.cadus_rs_ok += 1;
        if cadu.rs_corrected > 0 {
            self.summary.cadus_rs_corrected += 1;
        }
        // The decoder's own BER reads 0 once it is flushed (no longer locked), so the
        // summary keeps the per-CADU estimates.
        self.summary.viterbi_ber_sum += f64::from(cadu.viterbi_ber);
        self.summary.viterbi_ber_cadus += 1;
        self.summary.viterbi_ber =
            self.summary.viterbi_ber_sum / self.summary.viterbi_ber_cadus as f64;
        self.summary
            .first_frame_symbol
            .get_or_insert(cadu.symbol_index);
        if let Some(f) = self.cadu_dump.as_mut() {
            f.write_all(&ASM)
                .and_then(|_| f.write_all(&cadu.data))
                .map_err(|e| Error::output(f.path(), e))?;
        }
        self.push_vcdu(cadu.vcdu());
        Ok(())
    }

    /// Feeds one CADU (marker + 1020 derandomised bytes with RS parity); its RS check
    /// decides whether it counts.
    pub fn push_cadu(&mut self, cadu: &[u8]) -> Result<()> {
        self.summary.cadus_total += 1;
        if cadu.len() != CADU_BYTES || cadu[..4] != ASM {
            self.summary.cadus_rs_failed += 1;
            return Ok(());
        }
        let mut block = cadu[4..].to_vec();
        let constant = block.iter().all(|&b| b == block[0]);
        match self.rs.decode(&mut block) {
            Ok(corrected) if !constant => {
                self.summary.cadus_rs_ok += 1;
                if corrected > 0 {
                    self.summary.cadus_rs_corrected += 1;
                }
                if let Some(f) = self.cadu_dump.as_mut() {
                    f.write_all(&ASM)
                        .and_then(|_| f.write_all(&block))
                        .map_err(|e| Error::output(f.path(), e))?;
                }
                self.push_vcdu(&block[..VCDU_BYTES]);
            }
            _ => self.summary.cadus_rs_failed += 1,
        }
        Ok(())
    }

    /// Feeds one VCDU already checked by its producer.
    pub fn push_vcdu(&mut self, vcdu: &[u8]) {
        self.packets.clear();
        self.reassembler.process(vcdu, &mut self.packets);
        self.image.process(&self.packets);
    }

    /// The newest `rows` 8-line rows of the image so far, one pixel per 8×8 block: the
    /// first three channels as red, green, blue, or the first alone in grey.
    pub fn preview(&self, rows: usize) -> Option<Preview> {
        let (apids, label) = match self.image.channels()[..] {
            [] => return None,
            [r, g, b, ..] => ([r, g, b], format!("RGB {r},{g},{b}")),
            [a, ..] => ([a; 3], format!("APID {a}")),
        };
        let img = self.image.preview(apids, rows)?;
        Some(Preview {
            width: img.width,
            height: img.height,
            rgb: img.data,
            label,
            lines: self.image.height(&apids),
        })
    }

    /// Live counters for the status board.
    pub fn decoder_stats(&self) -> Option<CcsdsStats> {
        self.chosen
            .map(|(s, c)| self.streams[s].candidates[c].decoder.stats())
    }

    pub fn summary(&self) -> &MeteorSummary {
        &self.summary
    }

    /// End of input: decodes what the decoders still hold. Idempotent.
    pub fn flush(&mut self) -> Result<()> {
        if self.flushed {
            return Ok(());
        }
        self.flushed = true;
        let mut cadus = Vec::new();
        // Flush every candidate still in the race into its held-back frames, then
        // settle the race: the candidate with the most good frames wins (ties go to
        // the first tried), as long as it has any.
        if self.chosen.is_none() {
            for stream in &mut self.streams {
                for c in &mut stream.candidates {
                    cadus.clear();
                    c.decoder.flush(&mut cadus);
                    c.rs_ok += cadus.iter().filter(|x| x.rs_ok).count() as u64;
                    c.pending.extend(cadus.drain(..));
                }
            }
            let best = self
                .streams
                .iter()
                .enumerate()
                .flat_map(|(s, st)| {
                    st.candidates
                        .iter()
                        .enumerate()
                        .map(move |(i, c)| (s, i, c.rs_ok))
                })
                .filter(|&(_, _, ok)| ok > 0)
                .max_by_key(|&(s, i, ok)| (ok, std::cmp::Reverse((s, i))));
            if let Some((s, i, _)) = best {
                self.choose(s, i)?;
            }
            self.finish_packets();
            return Ok(());
        }
        for s in 0..self.streams.len() {
            for i in 0..self.streams[s].candidates.len() {
                if self.chosen.is_some_and(|c| c != (s, i)) {
                    continue;
                }
                cadus.clear();
                self.streams[s].candidates[i].decoder.flush(&mut cadus);
                for cadu in &cadus {
                    self.take_cadu(cadu)?;
                }
            }
        }
        self.finish_packets();
        Ok(())
    }

    /// End of frames: the reassembler's last packet, the totals.
    fn finish_packets(&mut self) {
        self.packets.clear();
        self.reassembler.finish(&mut self.packets);
        self.image.process(&self.packets);
        self.summary.packets = self.reassembler.stats().clone();
        for apid in self.image.channels() {
            let lines = self.image.height(&[apid]);
            self.summary.image_lines.push((apid, lines));
        }
    }

    /// Flushes, writes the images and telemetry, and renames every product into place.
    pub fn finish(mut self, out_dir: &Path, stem: &str) -> Result<(Vec<Product>, MeteorSummary)> {
        self.flush()?;
        let mut products = Vec::new();
        if let Some(d) = self.dump.take() {
            // The chosen stream's soft symbols become `<stem>.s`; the others are removed.
            let keep = self.chosen.map_or(0, |(s, _)| s);
            for (i, stream) in self.streams.iter_mut().enumerate() {
                if let Some(f) = stream.soft_dump.take() {
                    if i == keep {
                        let tmp = f.commit()?;
                        let path = d.dir.join(format!("{}.s", d.stem));
                        std::fs::rename(&tmp, &path).map_err(|e| Error::output(&path, e))?;
                        products.push(product("soft", path, "soft symbols, i8 per encoded bit"));
                    }
                }
            }
            if let Some(f) = self.cadu_dump.take() {
                let path = f.commit()?;
                products.push(product(
                    "cadu",
                    path,
                    &format!("{} RS-valid CADUs of 1024 bytes", self.summary.cadus_rs_ok),
                ));
            }
        }
        std::fs::create_dir_all(out_dir).map_err(|e| Error::output(out_dir, e))?;
        // Each image is painted one 8-line row at a time straight into its PNG encoder.
        let channels = self.image.channels();
        for &apid in &channels {
            let path = out_dir.join(format!("{stem}.msumr-{apid}.png"));
            let lines = self
                .image
                .to_png(apid, &path)
                .map_err(|e| Error::output(&path, e))?;
            products.push(product(
                "image",
                path,
                &format!("MSU-MR APID {apid}, {lines} lines"),
            ));
        }
        for (name, [r, g, b]) in [("221", [65, 65, 64]), ("123", [64, 65, 66])] {
            if [r, g, b].iter().all(|a| channels.contains(a)) {
                let path = out_dir.join(format!("{stem}.rgb{name}.png"));
                self.image
                    .composite_png(r, g, b, &path)
                    .map_err(|e| Error::output(&path, e))?;
                products.push(product(
                    "composite",
                    path,
                    &format!("RGB composite of APIDs {r}, {g}, {b}"),
                ));
            }
        }
        if !self.image.telemetry().is_empty() {
            let path = out_dir.join(format!("{stem}.telemetry.jsonl"));
            self.image
                .write_telemetry(&path)
                .map_err(|e| Error::output(&path, e))?;
            products.push(product(
                "telemetry",
                path,
                &format!("{} APID 70 records", self.image.telemetry().len()),
            ));
        }
        Ok((products, self.summary))
    }
}

fn product(kind: &str, path: PathBuf, description: &str) -> Product {
    Product {
        kind: kind.into(),
        path,
        description: description.into(),
    }
}

/// The demodulators tried on baseband: Meteor-M N2 sends QPSK at 72 kBd, N2-2 and later
/// OQPSK at 72 kBd or 80 kBd.
pub const DEMODULATORS: [(&str, PskModulation, f64); 3] = [
    ("qpsk72k", PskModulation::Qpsk, 72_000.0),
    ("oqpsk72k", PskModulation::Oqpsk, 72_000.0),
    ("oqpsk80k", PskModulation::Oqpsk, 80_000.0),
];

/// Constellation points in a status snapshot (enough to see four clouds, few enough
/// to copy ten times a second).
const CONSTELLATION_POINTS: usize = 256;

/// 8-line rows in the TUI's image preview: 2048 lines, more than a large terminal shows
/// at one pixel per 8×8 block.
const PREVIEW_ROWS: usize = 256;

/// Root-raised-cosine roll-off of the LRPT transmitter.
pub const RRC_ROLLOFF: f64 = 0.6;

/// Baseband I/Q in: the demodulators feed a [`MeteorBackend`].
pub struct MeteorStage {
    names: Vec<&'static str>,
    demods: Vec<PskDemod>,
    soft: Vec<i8>,
    /// The leading demodulator's latest soft symbols, I/Q pairs, for the status.
    constellation: Vec<i8>,
    backend: MeteorBackend,
    out_dir: PathBuf,
    stem: String,
    samples: u64,
    sample_rate_hz: f64,
}

impl MeteorStage {
    pub fn new(
        sample_rate_hz: f64,
        carrier_search_hz: f64,
        out_dir: PathBuf,
        stem: String,
        dump: Option<DumpTo>,
    ) -> Result<Self> {
        // Every demodulator this sample rate allows (80 kBd needs ≥ 160 kS/s).
        let mut demods = Vec::new();
        let mut names = Vec::new();
        let mut refused = Vec::new();
        for (name, modulation, baud) in DEMODULATORS {
            let mut cfg = PskDemodConfig::new(sample_rate_hz, baud, modulation, RRC_ROLLOFF);
            cfg.carrier_search_hz = carrier_search_hz;
            match PskDemod::new(cfg) {
                Ok(d) => {
                    demods.push(d);
                    names.push(name);
                }
                Err(e) => refused.push(format!("{name}: {e}")),
            }
        }
        if demods.is_empty() {
            return Err(Error::Usage(format!(
                "no LRPT demodulator works at {sample_rate_hz} S/s: {}",
                refused.join("; ")
            )));
        }
        Ok(MeteorStage {
            backend: MeteorBackend::new(&names, dump)?,
            names,
            demods,
            soft: Vec::new(),
            constellation: Vec::new(),
            out_dir,
            stem,
            samples: 0,
            sample_rate_hz,
        })
    }

    /// The demodulator whose stream synced, else the one with the best lock metric.
    fn lead(&self) -> usize {
        if let Some((s, _)) = self.backend.chosen {
            return s;
        }
        (0..self.demods.len())
            .max_by(|&a, &b| {
                let (x, y) = (self.demods[a].status(), self.demods[b].status());
                (x.locked, x.snr_db)
                    .partial_cmp(&(y.locked, y.snr_db))
                    .unwrap_or(std::cmp::Ordering::Equal)
            })
            .unwrap_or(0)
    }
}

impl SampleStage for MeteorStage {
    fn name(&self) -> &'static str {
        "meteor-lrpt"
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        self.samples += chunk.samples.len() as u64;
        let lead = self.lead();
        for i in 0..self.demods.len() {
            if !self.backend.stream_wanted(i) {
                continue;
            }
            self.soft.clear();
            self.demods[i].process(&chunk.samples, &mut self.soft);
            if i == lead {
                let n = self.soft.len() & !1;
                let from = n.saturating_sub(2 * CONSTELLATION_POINTS);
                self.constellation.clear();
                self.constellation.extend_from_slice(&self.soft[from..n]);
            }
            self.backend.push_soft(i, &self.soft)?;
        }
        Ok(())
    }

    fn flush(&mut self) -> Result<()> {
        for i in 0..self.demods.len() {
            if !self.backend.stream_wanted(i) {
                continue;
            }
            self.soft.clear();
            self.demods[i].flush(&mut self.soft);
            self.backend.push_soft(i, &self.soft)?;
        }
        self.backend.flush()
    }

    fn finish(self: Box<Self>) -> Result<Vec<Product>> {
        let (products, _) = self.backend.finish(&self.out_dir, &self.stem)?;
        Ok(products)
    }

    fn status(&self) -> StageStatus {
        let lead = self.lead();
        let d = self.demods[lead].status();
        let sum = self.backend.summary();
        let state = match (self.backend.decoder_stats(), d.locked) {
            (Some(stats), _) => format!("{:?}", stats.deframer_state).to_uppercase(),
            (None, true) => "LOCKED".into(),
            (None, false) => "SEARCHING".into(),
        };
        let mut s = StageStatus::new("meteor-lrpt", &state)
            .with("carrier_offset_hz", d.carrier_offset_hz)
            .with("snr_db", d.snr_db)
            .with("locked", if d.locked { 1.0 } else { 0.0 })
            .with("timing_locked", if d.timing_locked { 1.0 } else { 0.0 })
            .with("timing_metric", d.timing_metric)
            // Lost locks, and locks the check search found on the wrong carrier: how
            // often the demodulator had to start over (fades, dropouts).
            .with("lock_losses", d.lock_losses as f64)
            .with("false_locks", d.false_locks as f64)
            .with("cadus", sum.cadus_total as f64)
            .with("cadus_rs_ok", sum.cadus_rs_ok as f64)
            .with("cadus_rs_corrected", sum.cadus_rs_corrected as f64)
            .with("cadus_rs_failed", sum.cadus_rs_failed as f64)
            .with("position_s", self.samples as f64 / self.sample_rate_hz)
            .with_text("demodulator", self.names[lead])
            .with_points(
                self.constellation
                    .chunks_exact(2)
                    .map(|p| (p[0] as f32 / 127.0, p[1] as f32 / 127.0))
                    .collect(),
            );
        if let Some(at) = d.locked_since_symbol {
            s = s.with("lock_symbol", at as f64);
        }
        // While the decoder is locked its recent estimate; otherwise (before sync,
        // after a loss, after the end) the mean over the RS-valid CADUs so far.
        let ber = match self.backend.decoder_stats() {
            Some(stats) if stats.locked => stats.viterbi_ber as f64,
            _ => sum.viterbi_ber,
        };
        s = s.with("viterbi_ber", ber);
        if let Some(mode) = &sum.mode {
            s = s.with_text("mode", mode);
        }
        for (apid, lines) in &sum.image_lines {
            s = s.with(&format!("lines_apid_{apid}"), *lines as f64);
        }
        if let Some(p) = self.backend.preview(PREVIEW_ROWS) {
            s = s.with_preview(p);
        }
        s
    }
}
