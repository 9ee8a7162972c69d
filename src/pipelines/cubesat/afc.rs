//! Carrier search (AFC) for an I/Q cubesat channel: where the transmitter really is,
//! within ±(largest LEO Doppler + oscillator error) of its nominal frequency without a
//! TLE, or within the oscillator error around the Doppler-corrected frequency with
//! one. Cubesat signals are bursts: the input is held back one block, each block is
//! scanned ([`CarrierScan`]) and the channel is tuned for a block to the strongest
//! signal found in it or in the block after it (a burst that starts near a block's end
//! gets its preamble tuned too). Between bursts nothing stands out and the last
//! estimate holds, so the channel does not wander with the noise. Blocks start at
//! fixed input sample counts: the chunking of the input changes nothing.

use downlink_dsp::spectrum::{CarrierScan, CarrierScanConfig};
use num_complex::Complex32;
use std::collections::VecDeque;

use crate::satellites::Modulation;

/// Input time per AFC decision, s: short against a burst (a 9k6 frame lasts ~0.2 s,
/// a 1k2 one ~1 s), long enough for a spectrum that finds a weak one.
pub const AFC_BLOCK_S: f64 = 0.25;
/// Fastest a LEO satellite moves relative to a station on the ground (8.2 km/s at
/// the horizon from a 300 km orbit: 12 kHz at 437 MHz), m/s.
const MAX_RANGE_RATE_M_S: f64 = 8_200.0;
/// Oscillator error of the satellite's transmitter and the station's receiver
/// together (cheap SDRs and cubesat TCXOs: a few ppm each), ppm.
const LO_ERROR_PPM: f64 = 5.0;
/// Error of a TLE's Doppler on top of that (an orbit a few days old), Hz.
const TLE_ERROR_HZ: f64 = 1_000.0;
/// Corrections older than this (input time) are dropped: frames report the one that
/// applied at their end, and no decoder reports a frame later than this.
const HISTORY_S: f64 = 10.0;

/// How far from the expected frequency the carrier may be: the whole Doppler range
/// plus oscillator errors without a Doppler prediction, the errors alone with one.
pub fn search_span_hz(freq_hz: f64, doppler_predicted: bool) -> f64 {
    let lo_hz = freq_hz.abs() * LO_ERROR_PPM * 1e-6;
    if doppler_predicted {
        lo_hz + TLE_ERROR_HZ
    } else {
        freq_hz.abs() * MAX_RANGE_RATE_M_S / crate::doppler::SPEED_OF_LIGHT_M_S + lo_hz
    }
}

/// Width holding most of a transmitter's power, for the search window: Carson's
/// bandwidth when the deviation is known, else the usual one for the modulation
/// (FSK at modulation index ~0.5, narrowband FM at ±3 kHz, PSK's main lobe's core).
pub fn signal_width_hz(m: &Modulation) -> f64 {
    if let Some(half) = m.fm_half_width_hz() {
        return 2.0 * half;
    }
    let baud = m.baud().unwrap_or(1_200.0);
    match *m {
        Modulation::Afsk {
            mark_hz, space_hz, ..
        } => 2.0 * (3_000.0 + mark_hz.max(space_hz)),
        Modulation::Fm { .. } => 2.0 * (3_000.0 + 3_000.0),
        _ => 1.5 * baud,
    }
}

/// Fraction of an FM signal's Carson bandwidth its discriminator and slicer take off
/// centre without loss: the estimates of one burst and the next differ by about this
/// much (a short frame's spectrum is lopsided by its data), and chasing them would
/// only move a channel that decodes.
const FM_DEADBAND_OF_WIDTH: f64 = 0.1;

/// How far the estimate must move from the tuning in force before the channel
/// follows: what the demodulator absorbs by itself. BPSK's own carrier search finds
/// the carrier within ±[`super::bpsk::BASEBAND_SEARCH_HZ`] as long as the signal's
/// band (±0.75 × baud at roll-off 0.5) stays within that too; an FM discriminator
/// and slicer take a tenth of the signal's width.
pub fn deadband_hz(m: &Modulation) -> f64 {
    match m {
        Modulation::Bpsk { baud, .. } | Modulation::Qpsk { baud, .. } => {
            (super::bpsk::BASEBAND_SEARCH_HZ - 0.75 * baud).max(0.0)
        }
        _ => FM_DEADBAND_OF_WIDTH * signal_width_hz(m),
    }
}

/// The look-ahead and decisions; [`super::IqFront`] tunes its channel from them.
pub struct Afc {
    scan: CarrierScan,
    block_samples: usize,
    /// Input held back, from input sample `pending_start` on.
    pending: Vec<Complex32>,
    pending_start: u64,
    /// Scan result (carrier minus the expected frequency) of each whole block in
    /// `pending`, once scanned.
    scanned: VecDeque<Option<(f64, f64)>>,
    /// Correction in force (Hz from nominal + Doppler).
    current_hz: f64,
    /// A new estimate closer than this to `current_hz` leaves the tuning alone.
    deadband_hz: f64,
    /// (first input sample, correction) of each block released.
    history: VecDeque<(u64, f64)>,
    history_samples: u64,
}

impl Afc {
    /// `expected_hz`: the transmitter's nominal place in the input (Hz from its 0 Hz),
    /// `span_hz` and `width_hz` as in [`CarrierScanConfig`]; `deadband_hz`: how far
    /// off the demodulator copes with by itself (see [`deadband_hz`]).
    pub fn new(
        rate_hz: f64,
        expected_hz: f64,
        span_hz: f64,
        width_hz: f64,
        deadband_hz: f64,
    ) -> Result<Self, String> {
        let scan = CarrierScan::new(CarrierScanConfig {
            sample_rate_hz: rate_hz,
            expected_hz,
            span_hz,
            signal_width_hz: width_hz.min(0.9 * rate_hz),
        })
        .map_err(|e| e.to_string())?;
        // A block holds at least one slice of the scan.
        let block_samples = ((AFC_BLOCK_S * rate_hz) as usize).max(scan.slice_samples());
        Ok(Afc {
            scan,
            block_samples,
            pending: Vec::new(),
            pending_start: 0,
            scanned: VecDeque::new(),
            current_hz: 0.0,
            deadband_hz,
            history: VecDeque::new(),
            history_samples: (HISTORY_S * rate_hz) as u64,
        })
    }

    pub fn push(&mut self, iq: &[Complex32]) {
        self.pending.extend_from_slice(iq);
    }

    /// The next block ready to go (with `finish`, also the last partial ones), after
    /// deciding its correction: (correction in Hz from nominal + Doppler, its
    /// samples). `expected_at(first, n)` is where the carrier should be, Doppler
    /// included, for the `n` input samples from `first` (the scan's centre).
    /// The samples stay valid until [`Afc::release`].
    pub fn ready(
        &mut self,
        finish: bool,
        mut expected_at: impl FnMut(u64, usize) -> f64,
    ) -> Option<(f64, usize)> {
        let b = self.block_samples;
        let need = if finish { 1 } else { 2 * b };
        if self.pending.len() < need {
            return None;
        }
        // Scan block 0 and the one after it (whole, or what is left at the end).
        for k in 0..2 {
            let from = k * b;
            if from >= self.pending.len() || self.scanned.len() > k {
                continue;
            }
            let to = (from + b).min(self.pending.len());
            if to - from < b && !finish {
                break;
            }
            let first = self.pending_start + from as u64;
            let expected = expected_at(first, to - from);
            self.scan.set_expected_hz(expected);
            let hit = self
                .scan
                .scan(&self.pending[from..to])
                .map(|h| (h.offset_hz - expected, h.snr_db));
            self.scanned.push_back(hit);
        }
        let best = self
            .scanned
            .iter()
            .take(2)
            .flatten()
            .max_by(|a, b| a.1.total_cmp(&b.1));
        if let Some(&(hz, _)) = best {
            if (hz - self.current_hz).abs() > self.deadband_hz {
                self.current_hz = hz;
            }
        }
        self.history
            .push_back((self.pending_start, self.current_hz));
        while self.history.len() > 2
            && self.history[1].0 + self.history_samples < self.pending_start
        {
            self.history.pop_front();
        }
        Some((self.current_hz, b.min(self.pending.len())))
    }

    /// The samples of the block [`Afc::ready`] returned.
    pub fn block(&self, n: usize) -> &[Complex32] {
        &self.pending[..n]
    }

    /// Drops the block [`Afc::ready`] returned, once it has been processed.
    pub fn release(&mut self, n: usize) {
        self.pending.drain(..n);
        self.pending_start += n as u64;
        self.scanned.pop_front();
    }

    /// The correction that applied at input sample `input` (the last one known).
    pub fn at_input(&self, input: u64) -> f64 {
        self.history
            .iter()
            .rev()
            .find(|(first, _)| *first <= input)
            .or(self.history.front())
            .map_or(self.current_hz, |&(_, hz)| hz)
    }
}
