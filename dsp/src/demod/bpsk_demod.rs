//! Burst-friendly BPSK demodulator for cubesat downlinks: receiver audio carrying a
//! BPSK subcarrier (SSB receiver) or complex baseband, in; one soft value per symbol out.
//!
//! The Meteor [`crate::demod::PskDemod`] is built for a continuous carrier: it searches
//! 16 384 symbols before the first output and tracks with very narrow loops. Cubesat
//! BPSK comes in packets of a second or two at 1200–9600 Bd, often inside recordings of a
//! few seconds, so this demodulator re-estimates the carrier on every short block and
//! runs wider loops (it reuses the same [`SymbolSync`] and [`Costas`] blocks, configured
//! differently, so nothing the Meteor chain relies on changes).
//!
//! Chain:
//! 1. Real audio is treated as I with Q = 0 and mixed down by the nominal subcarrier
//!    (its image at twice the subcarrier is removed by the next filter); baseband is
//!    taken as it is.
//! 2. **Resample** to [`BpskDemod::internal_sps`] samples per symbol (at least 8, more
//!    when the carrier search range needs room: the squared carrier line must stay
//!    inside the band).
//! 3. **Channel low-pass** over the signal's band plus the search range.
//! 4. Per block of [`BLOCK_SYMBOLS`] symbols: the **carrier search** squares the block
//!    (BPSK squared is an unmodulated line at twice the carrier) and takes the peak of
//!    its Hann-windowed spectrum. When the line stands clear of the noise
//!    ([`LINE_OVER_MEDIAN`]) and disagrees with the carrier being tracked by more than
//!    the Costas loop pulls in quickly, the fine **NCO** is retuned. A block is
//!    demodulated after its own search, so a burst is found in the block it starts in.
//! 5. **RRC matched filter**, then **Gardner timing** ([`SymbolSync`]) and a
//!    decision-directed **Costas loop** ([`Costas`]), symbol by symbol.
//!
//! Output: soft symbols scaled to about ±1 (by the running mean of |I|), sign = hard
//! decision (positive = bit 0), with the index of the *input* sample at which each was
//! decided. The 180° ambiguity is left to the framing (NRZI, differential coding or a
//! sync word that is also accepted inverted).

use std::sync::Arc;

use num_complex::Complex32;
use rustfft::{Fft, FftPlanner};

use crate::filter::design::{invalid, lowpass_taps, rrc_taps, DesignError, Window};
use crate::filter::{FirFilter, Resampler, ResamplerConfig};
use crate::nco::Nco;
use crate::sync::{Costas, CostasConfig, PskModulation, SymbolSync, SymbolSyncConfig};

/// Symbols per carrier-search block: long enough for a clear squared line from a strong
/// packet (and a fine bin: `2·Rs/(BLOCK·sps)` per bin), short enough that a packet of
/// a few hundred bits is searched mostly on its own samples.
pub const BLOCK_SYMBOLS: usize = 512;

/// Squared-line power over the median of the searched bins that counts as a carrier.
/// For noise each bin of one periodogram is exponential, so one bin exceeds
/// `r·median` with probability `2^-r`: 2^-24 over a few thousand bins is about 1e-4
/// false retunes per block.
pub const LINE_OVER_MEDIAN: f64 = 24.0;

/// Costas loop bandwidth `B_n·T`: acquires within about a hundred symbols (packet
/// preambles are longer) and tracks the Doppler of a low pass at 1200 Bd; the phase
/// jitter it adds, about `B_n·T/(Es/N0)` rad², costs nothing measurable at 8 dB.
const COSTAS_BANDWIDTH_NORM: f64 = 0.01;
/// Timing loop bandwidth `B_n·T` (Gardner).
const TIMING_BANDWIDTH_NORM: f64 = 0.005;
/// Clock range of the timing loop: satellite and sound-card clocks are within a few
/// hundred ppm; 1 % leaves room for a resampled recording.
const TIMING_MAX_DEVIATION: f64 = 0.01;
/// A search result closer than this fraction of the symbol rate to the tracked
/// carrier is left to the Costas loop.
const RETUNE_MIN_NORM: f64 = 0.002;
/// Symbols over which the soft-value scale (mean |I|) is averaged.
const SCALE_SYMBOLS: f32 = 64.0;

/// Configuration of [`BpskDemod`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct BpskDemodConfig {
    /// Input sample rate.
    pub sample_rate_hz: f64,
    /// Symbol rate.
    pub baud: f64,
    /// Nominal carrier in the input: the audio subcarrier, or 0 for baseband.
    pub carrier_hz: f64,
    /// The carrier is searched for within ±this of `carrier_hz`.
    pub carrier_search_hz: f64,
    /// Roll-off of the root-raised-cosine matched filter.
    pub rrc_rolloff: f64,
}

impl BpskDemodConfig {
    /// Receiver audio with the BPSK on a subcarrier at `carrier_hz`, searched within
    /// ±`carrier_search_hz`; matched filter roll-off 0.5.
    pub fn audio(sample_rate_hz: f64, baud: f64, carrier_hz: f64, carrier_search_hz: f64) -> Self {
        BpskDemodConfig {
            sample_rate_hz,
            baud,
            carrier_hz,
            carrier_search_hz,
            rrc_rolloff: 0.5,
        }
    }

    /// Complex baseband with the carrier within ±`carrier_search_hz` of 0 Hz.
    pub fn baseband(sample_rate_hz: f64, baud: f64, carrier_search_hz: f64) -> Self {
        Self::audio(sample_rate_hz, baud, 0.0, carrier_search_hz)
    }
}

/// One demodulated symbol.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SoftSymbol {
    /// About ±1 when clean; positive = bit 0.
    pub soft: f32,
    /// Input sample index at which the symbol was decided.
    pub sample: u64,
}

/// What the demodulator currently believes.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct BpskDemodStatus {
    /// Carrier relative to the input's 0 Hz (subcarrier included), Hz.
    pub carrier_hz: f64,
    /// Blocks in which a carrier line was detected.
    pub detections: u64,
    /// Retunes of the fine NCO.
    pub retunes: u64,
    /// Costas lock indication.
    pub locked: bool,
    pub symbols: u64,
}

/// Streaming BPSK demodulator (see the module docs). Output does not depend on how the
/// input is chunked.
pub struct BpskDemod {
    config: BpskDemodConfig,
    mixer: Nco,
    resampler: Option<Resampler>,
    channel: FirFilter,
    fs: f64,
    sps: f64,
    block: usize,
    fft: Arc<dyn Fft<f32>>,
    window: Vec<f32>,
    fine: Nco,
    fine_hz: f64,
    rrc: FirFilter,
    sync: SymbolSync,
    costas: Costas,
    scale: f32,
    /// Internal-rate samples processed (for mapping symbols back to input samples).
    internal_done: u64,
    /// Fixed delay of the filters, in internal samples.
    delay: f64,
    mixed: Vec<Complex32>,
    resampled: Vec<Complex32>,
    pending: Vec<Complex32>,
    work: Vec<Complex32>,
    spectrum: Vec<Complex32>,
    status: BpskDemodStatus,
}

impl std::fmt::Debug for BpskDemod {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BpskDemod")
            .field("config", &self.config)
            .field("sps", &self.sps)
            .field("status", &self.status)
            .finish()
    }
}

impl BpskDemod {
    pub fn new(config: BpskDemodConfig) -> Result<Self, DesignError> {
        let fs_in = config.sample_rate_hz;
        let rs = config.baud;
        if !(fs_in > 0.0 && fs_in.is_finite()) {
            return Err(invalid("sample_rate_hz", fs_in, "a finite rate > 0 Hz"));
        }
        if !(rs > 0.0 && 2.0 * rs <= fs_in) {
            return Err(invalid(
                "baud",
                rs,
                "a symbol rate > 0 with at least 2 input samples per symbol",
            ));
        }
        let alpha = config.rrc_rolloff;
        if !(alpha > 0.0 && alpha <= 1.0) {
            return Err(invalid("rrc_rolloff", alpha, "a roll-off in (0, 1]"));
        }
        let search = config.carrier_search_hz;
        if !(search >= 0.0 && search.is_finite()) {
            return Err(invalid(
                "carrier_search_hz",
                search,
                "a finite range >= 0 Hz",
            ));
        }
        if config.carrier_hz.is_nan() || config.carrier_hz.abs() >= fs_in / 2.0 {
            return Err(invalid(
                "carrier_hz",
                config.carrier_hz,
                "a carrier inside the input's band (|f| < rate / 2)",
            ));
        }
        let half_band = rs * (1.0 + alpha) / 2.0;
        // The squared line sits at twice the offset and must stay clear of the band
        // edge: fs > 4·search plus the signal's own width.
        let sps = (((4.0 * search + 2.0 * half_band) * 1.1) / rs)
            .ceil()
            .max(8.0);
        let fs = sps * rs;
        let pass = half_band + search;
        let resampler = if (fs - fs_in).abs() < 1e-9 * fs_in {
            None
        } else {
            Some(Resampler::new(ResamplerConfig {
                input_rate_hz: fs_in,
                output_rate_hz: fs,
                passband_hz: pass.min(0.45 * fs_in.min(fs)),
                stopband_db: 60.0,
            })?)
        };
        let cutoff = (pass / fs + 0.25 * rs / fs).min(0.45);
        let transition = (0.5 * rs / fs).min(2.0 * (0.5 - cutoff)).max(0.01);
        let channel = FirFilter::new(&lowpass_taps(cutoff, transition, 50.0)?)?;
        let span = ((8.0 / alpha).ceil() as usize).clamp(10, 32);
        let rrc = FirFilter::new(&rrc_taps(sps, alpha, span)?)?;
        let block = (BLOCK_SYMBOLS as f64 * sps).round() as usize;
        let nfft = block.next_power_of_two();
        let sync = SymbolSync::new(SymbolSyncConfig {
            loop_bandwidth_norm: TIMING_BANDWIDTH_NORM,
            max_deviation_norm: TIMING_MAX_DEVIATION,
            ..SymbolSyncConfig::new(sps, PskModulation::Bpsk, alpha)
        })?;
        let costas = Costas::new(CostasConfig {
            loop_bandwidth_norm: COSTAS_BANDWIDTH_NORM,
            max_freq_norm: 0.05,
            ..CostasConfig::for_modulation(PskModulation::Bpsk)
        })?;
        let delay = channel.delay_samples() + rrc.delay_samples();
        Ok(BpskDemod {
            mixer: Nco::new(-config.carrier_hz / fs_in)?,
            resampler,
            channel,
            fs,
            sps,
            block,
            fft: FftPlanner::new().plan_fft_forward(nfft),
            window: Window::Hann.coefficients(block),
            fine: Nco::new(0.0)?,
            fine_hz: 0.0,
            rrc,
            sync,
            costas,
            scale: 0.0,
            internal_done: 0,
            delay,
            mixed: Vec::new(),
            resampled: Vec::new(),
            pending: Vec::new(),
            work: Vec::new(),
            spectrum: vec![Complex32::new(0.0, 0.0); nfft],
            status: BpskDemodStatus {
                carrier_hz: config.carrier_hz,
                ..Default::default()
            },
            config,
        })
    }

    pub fn config(&self) -> &BpskDemodConfig {
        &self.config
    }

    /// Samples per symbol the loops run at.
    pub fn internal_sps(&self) -> f64 {
        self.sps
    }

    pub fn status(&self) -> BpskDemodStatus {
        let mut s = self.status;
        s.carrier_hz =
            self.config.carrier_hz + self.fine_hz + self.costas.frequency_norm() * self.config.baud;
        s.locked = self.costas.locked();
        s
    }

    /// Real receiver audio in (the subcarrier at `carrier_hz`).
    pub fn process_audio(&mut self, audio: &[f32], out: &mut Vec<SoftSymbol>) {
        let mut buf = std::mem::take(&mut self.work);
        buf.clear();
        buf.extend(audio.iter().map(|&x| Complex32::new(x, 0.0)));
        self.process(&buf, out);
        self.work = buf;
    }

    /// Complex samples in.
    pub fn process(&mut self, input: &[Complex32], out: &mut Vec<SoftSymbol>) {
        self.mixed.clear();
        self.mixer.mix(input, &mut self.mixed);
        self.resampled.clear();
        match &mut self.resampler {
            Some(r) => r.process(&self.mixed, &mut self.resampled),
            None => self.resampled.extend_from_slice(&self.mixed),
        }
        let mut filtered = Vec::with_capacity(self.resampled.len());
        self.channel.process(&self.resampled, &mut filtered);
        self.pending.extend_from_slice(&filtered);
        let pending = std::mem::take(&mut self.pending);
        let mut start = 0;
        while pending.len() - start >= self.block {
            self.run_block(&pending[start..start + self.block], out);
            start += self.block;
        }
        self.pending = pending;
        self.pending.drain(..start);
    }

    /// End of stream: demodulates the last partial block.
    pub fn flush(&mut self, out: &mut Vec<SoftSymbol>) {
        let pending = std::mem::take(&mut self.pending);
        if !pending.is_empty() {
            self.run_block(&pending, out);
        }
    }

    /// Carrier line of `block` (offset from the fine NCO's 0, Hz) if it stands clear.
    fn search(&mut self, block: &[Complex32]) -> Option<f64> {
        let n = self.spectrum.len();
        let half_band = self.config.baud * (1.0 + self.config.rrc_rolloff) / 2.0;
        for (i, s) in self.spectrum.iter_mut().enumerate() {
            *s = match block.get(i) {
                Some(&x) => x * x * self.window.get(i).copied().unwrap_or(0.0),
                None => Complex32::new(0.0, 0.0),
            };
        }
        // Only full-length blocks are searched: the window was made for them.
        if block.len() != self.block {
            return None;
        }
        self.fft.process(&mut self.spectrum);
        let bin_hz = self.fs / n as f64;
        // Squared line at 2·(offset) with the offset within ±search (plus what the
        // channel filter lets through).
        let max_bins = ((2.0 * (self.config.carrier_search_hz + 0.25 * half_band)) / bin_hz)
            .floor()
            .min(n as f64 / 2.0 - 2.0) as i64;
        let power = |k: i64| -> f64 {
            let idx = k.rem_euclid(n as i64) as usize;
            self.spectrum[idx].norm_sqr() as f64
        };
        let mut p: Vec<f64> = (-max_bins..=max_bins).map(power).collect();
        let (best_i, best_p) =
            p.iter()
                .copied()
                .enumerate()
                .fold((0, -1.0), |a, (i, v)| if v > a.1 { (i, v) } else { a });
        let k = best_i as i64 - max_bins;
        let mid = p.len() / 2;
        p.select_nth_unstable_by(mid, |a, b| a.total_cmp(b));
        let median = p[mid];
        if !(median > 0.0 && best_p / median >= LINE_OVER_MEDIAN) {
            return None;
        }
        // Parabola through the log powers around the peak.
        let (a, b, c) = (power(k - 1).ln(), best_p.ln(), power(k + 1).ln());
        let den = a - 2.0 * b + c;
        let frac = if den.abs() > 1e-12 {
            (0.5 * (a - c) / den).clamp(-0.5, 0.5)
        } else {
            0.0
        };
        Some((k as f64 + frac) * bin_hz / 2.0)
    }

    fn run_block(&mut self, block: &[Complex32], out: &mut Vec<SoftSymbol>) {
        let tracked = self.fine_hz + self.costas.frequency_norm() * self.config.baud;
        if let Some(offset_hz) = self.search(block) {
            self.status.detections += 1;
            if (offset_hz - tracked).abs() > RETUNE_MIN_NORM * self.config.baud {
                self.set_fine(offset_hz);
                self.costas.set_frequency_norm(0.0);
                self.status.retunes += 1;
            }
        }
        let mut mixed = Vec::with_capacity(block.len());
        self.fine.mix(block, &mut mixed);
        let mut filtered = Vec::with_capacity(block.len());
        self.rrc.process(&mixed, &mut filtered);
        let ratio = self.config.sample_rate_hz / self.fs;
        let mut pos = 0;
        let one = Complex32::new(1.0, 0.0);
        while let Some(strobe) = self.sync.next_strobe(&filtered, &mut pos) {
            // The timing loop normalises its error by the power of the samples it has
            // seen so far; the filters' start-up ramp would make that power tiny and
            // kick the clock integrator to ~1 % (outside its quick pull-in, so the
            // first bursts slip symbols). It runs open (holding its nominal clock)
            // until the filters are full.
            if (self.internal_done + pos as u64) as f64 >= 2.0 * self.delay {
                self.sync.update(one);
            }
            let z = self.costas.step(strobe.on_time, strobe.on_time);
            let mag = z.re.abs();
            if self.scale > 0.0 {
                self.scale += (mag - self.scale) / SCALE_SYMBOLS;
            } else {
                self.scale = mag;
            }
            let soft = if self.scale > 0.0 {
                z.re / self.scale
            } else {
                0.0
            };
            let internal = (self.internal_done + pos as u64) as f64 - self.delay;
            out.push(SoftSymbol {
                soft,
                sample: (internal.max(0.0) * ratio) as u64,
            });
            self.status.symbols += 1;
        }
        self.internal_done += block.len() as u64;
        // Hand the tracked frequency to the NCO so the matched filter stays centred.
        let residual_hz = self.costas.frequency_norm() * self.config.baud;
        if residual_hz != 0.0 {
            self.set_fine(self.fine_hz + residual_hz);
            self.costas.set_frequency_norm(0.0);
        }
    }

    fn set_fine(&mut self, offset_hz: f64) {
        if self.fine.set_freq_norm(-offset_hz / self.fs).is_ok() {
            self.fine_hz = offset_hz;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::modulate::gaussian_noise::GaussianNoise;
    use crate::modulate::psk_mod::{PskMod, PskModConfig};

    fn bits(n: usize, seed: u64) -> Vec<u8> {
        let mut g = GaussianNoise::new(seed);
        (0..n).map(|_| (g.next_u64() & 1) as u8).collect()
    }

    /// Hard decisions against the sent bits at the best lag and polarity.
    fn errors(rx: &[SoftSymbol], tx: &[u8], skip: usize) -> (usize, usize) {
        let hard: Vec<u8> = rx.iter().map(|s| u8::from(s.soft < 0.0)).collect();
        let mut best = (usize::MAX, 0);
        for lag in 0..64 {
            for inv in [0u8, 1] {
                let pairs: Vec<(u8, u8)> = hard
                    .iter()
                    .skip(skip + lag)
                    .zip(tx.iter().skip(skip))
                    .map(|(&a, &b)| (a ^ inv, b))
                    .collect();
                let e = pairs.iter().filter(|(a, b)| a != b).count();
                if e < best.0 {
                    best = (e, pairs.len());
                }
            }
        }
        best
    }

    #[test]
    fn audio_subcarrier_with_offset_is_demodulated_without_errors() {
        let tx = bits(3000, 7);
        let sps = 40;
        let mut m = PskMod::new(PskModConfig {
            modulation: PskModulation::Bpsk,
            sps,
            rrc_rolloff: 0.5,
            span_symbols: 12,
        })
        .unwrap();
        let mut bb = Vec::new();
        m.process(&tx, &mut bb);
        // 1200 Bd at 48 kHz on a 1530 Hz subcarrier (the demod expects 1500).
        let fs = 48_000.0;
        let audio: Vec<f32> = bb
            .iter()
            .enumerate()
            .map(|(i, x)| {
                let ph = std::f64::consts::TAU * 1530.0 * i as f64 / fs + 0.3;
                (x.re as f64 * ph.cos()) as f32
            })
            .collect();
        let mut d = BpskDemod::new(BpskDemodConfig::audio(fs, 1200.0, 1500.0, 300.0)).unwrap();
        let mut out = Vec::new();
        for c in audio.chunks(1000) {
            d.process_audio(c, &mut out);
        }
        d.flush(&mut out);
        let st = d.status();
        assert!((st.carrier_hz - 1530.0).abs() < 2.0, "{st:?}");
        let (e, n) = errors(&out, &tx, 300);
        assert!(n > 2000, "{n} symbols compared");
        assert_eq!(e, 0, "{e} errors in {n}");
    }

    #[test]
    fn rejects_unusable_parameters() {
        assert!(BpskDemod::new(BpskDemodConfig::baseband(48_000.0, 30_000.0, 0.0)).is_err());
        assert!(BpskDemod::new(BpskDemodConfig::audio(48_000.0, 1200.0, 30_000.0, 0.0)).is_err());
    }
}
