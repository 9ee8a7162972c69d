//! The typed form of a satellite file. Unknown keys, modulations and framings are
//! errors (with the line), so a typo cannot silently disable a transmitter.

use downlink_dsp::demod::fsk_decoder::FskFraming;
use serde::{Deserialize, Serialize};

/// One satellite.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Satellite {
    pub name: String,
    /// NORAD catalogue number (absent for a satellite not yet catalogued).
    #[serde(default)]
    pub norad: Option<u32>,
    #[serde(default)]
    pub aliases: Vec<String>,
    /// Where this satellite was read from (a file path, or "satellites/X.toml (built in)").
    #[serde(skip_deserializing)]
    pub source: String,
    pub transmitters: Vec<Transmitter>,
}

/// One downlink.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transmitter {
    pub name: String,
    pub frequency_hz: f64,
    pub modulation: Modulation,
    pub framing: Framing,
    /// Free-form notes for tools and people (e.g. where the values come from).
    #[serde(default)]
    pub options: toml::Table,
}

/// How symbols ride on the carrier.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Modulation {
    /// 2-FSK; on receiver audio (FM discriminator output) it is baseband NRZ.
    Fsk {
        baud: f64,
        #[serde(default)]
        deviation_hz: Option<f64>,
    },
    /// Gaussian-filtered 2-FSK (received like FSK).
    Gfsk {
        baud: f64,
        #[serde(default)]
        deviation_hz: Option<f64>,
        #[serde(default)]
        bt: Option<f64>,
    },
    /// GMSK (FSK with modulation index 0.5).
    Gmsk { baud: f64 },
    /// Audio FSK over FM: `mark_hz` is the audio tone of a 1 bit, `space_hz` of a 0.
    Afsk {
        baud: f64,
        mark_hz: f64,
        space_hz: f64,
        /// Peak deviation of the FM carrier the tones modulate, when known: the I/Q
        /// front end then keeps just the FM signal's band (Carson) for its discriminator.
        #[serde(default)]
        fm_deviation_hz: Option<f64>,
    },
    /// BPSK; `subcarrier_hz` when it sits on an audio subcarrier of an SSB receiver.
    Bpsk {
        baud: f64,
        #[serde(default)]
        differential: bool,
        #[serde(default)]
        subcarrier_hz: Option<f64>,
    },
    /// QPSK (`offset`: OQPSK).
    Qpsk {
        baud: f64,
        #[serde(default)]
        offset: bool,
    },
    /// Analogue FM (voice, APT) carrying a sub-audible data stream.
    Fm {
        #[serde(default)]
        data_baud: Option<f64>,
    },
}

impl Modulation {
    /// The FSK deviation, when the satellite file states it.
    pub fn deviation_hz(&self) -> Option<f64> {
        match self {
            Modulation::Fsk { deviation_hz, .. } | Modulation::Gfsk { deviation_hz, .. } => {
                *deviation_hz
            }
            _ => None,
        }
    }

    /// Half-width of the FM signal on the air by Carson's rule (peak deviation plus the
    /// highest modulating frequency), when the file gives the deviation: FSK's NRZ
    /// reaches baud/2, AFSK's highest tone.
    pub fn fm_half_width_hz(&self) -> Option<f64> {
        match *self {
            Modulation::Afsk {
                mark_hz,
                space_hz,
                fm_deviation_hz: Some(dev),
                ..
            } => Some(dev + mark_hz.max(space_hz)),
            _ => Some(self.deviation_hz()? + self.baud()? / 2.0),
        }
    }

    pub fn baud(&self) -> Option<f64> {
        match self {
            Modulation::Fsk { baud, .. }
            | Modulation::Gfsk { baud, .. }
            | Modulation::Gmsk { baud }
            | Modulation::Afsk { baud, .. }
            | Modulation::Bpsk { baud, .. }
            | Modulation::Qpsk { baud, .. } => Some(*baud),
            Modulation::Fm { data_baud } => *data_baud,
        }
    }

    /// Received as baseband 2-level audio from an FM receiver (what `FskDecoder` eats).
    pub fn is_baseband_fsk(&self) -> bool {
        matches!(
            self,
            Modulation::Fsk { .. } | Modulation::Gfsk { .. } | Modulation::Gmsk { .. }
        )
    }

    pub fn kind(&self) -> &'static str {
        match self {
            Modulation::Fsk { .. } => "FSK",
            Modulation::Gfsk { .. } => "GFSK",
            Modulation::Gmsk { .. } => "GMSK",
            Modulation::Afsk { .. } => "AFSK",
            Modulation::Bpsk {
                differential: true, ..
            } => "DBPSK",
            Modulation::Bpsk { .. } => "BPSK",
            Modulation::Qpsk { offset: true, .. } => "OQPSK",
            Modulation::Qpsk { .. } => "QPSK",
            Modulation::Fm { .. } => "FM",
        }
    }
}

/// Link-layer framing. The first six mirror `FskFraming` (decodable by `FskDecoder`);
/// the rest name what the satellite sends so that the file is complete
/// ([`Framing::fsk_framing`] returns `None`); `decoders::build` says which of them have a
/// decoder (DIY-1, S-NET, U482C, Fox, MRC-100, NuSat so far).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Framing {
    /// AX.25 over G3RUH-scrambled NRZI.
    Ax25G3ruh,
    /// AX.25 over plain NRZI.
    Ax25Nrzi,
    /// GOMspace AX100 ASM + Golay length field + CCSDS randomiser + RS(255,223).
    Ax100AsmGolay,
    /// GOMspace AX100 Reed–Solomon mode (G3RUH-scrambled, sync word, RS).
    Ax100Rs,
    /// Lucky-7 (Si4463: sync 0x2DD4, PN9 whitening, CRC-16).
    Lucky7,
    /// TT-64 (sync 0x2DD4, RS(64,48), CRC-16).
    Tt64,
    /// AMSAT AO-40 FEC (FUNcube): convolutional r=1/2 k=7, interleaver, scrambler,
    /// two interleaved RS(160,128).
    Ao40,
    /// SMOG-P / ATL-1 short AO-40-style frame (single RS).
    SmogP,
    /// CCSDS TM: convolutional r=1/2 k=7 + RS(255,223), `frame_bytes` after RS.
    CcsdsConcatenated {
        frame_bytes: usize,
        #[serde(default)]
        rs_dual_basis: bool,
        /// NRZ-M before the convolutional encoder (gr-satellites' "differential"
        /// precoding): undone on the Viterbi output, not on the channel symbols.
        #[serde(default)]
        differential: bool,
    },
    /// CCSDS TM with Reed–Solomon only.
    CcsdsReedSolomon {
        frame_bytes: usize,
        #[serde(default = "one")]
        rs_interleave: usize,
        #[serde(default)]
        rs_dual_basis: bool,
        /// The data part ends in a CRC-16/IBM-3740 of the rest (Astrocast).
        #[serde(default)]
        crc16: bool,
    },
    /// A fixed-length frame after a sync word (`sync_word` as hex, `frame_bytes`
    /// after it), checked by whatever the satellite's own protocol defines.
    SyncWord {
        sync_word: String,
        #[serde(default)]
        max_errors: u32,
        frame_bytes: usize,
    },
    /// AAUSAT-4 (CSP, convolutional + RS).
    Aausat4,
    /// GOMspace U482C radio framing.
    U482c,
    /// S-NET (BCH-protected header, LDPC payload).
    Snet,
    /// Mobitex as the CMX909B modem frames it (D-STAR ONE); `blocks` fixes the number
    /// of data blocks when the satellite's control byte does not tell it.
    Mobitex {
        #[serde(default)]
        blocks: Option<usize>,
    },
    /// Mobitex-NX (TUBiX20: TUBIN, TechnoSat): callsign header, sync 0x0EF0.
    MobitexNx,
    /// ESEO (bit-stuffed, scrambled, RS).
    Eseo,
    /// OPS-SAT (AX.25-like, G3RUH, RS).
    OpsSat,
    /// IL2P (Improved Layer 2 Protocol).
    Il2p,
    /// OpenLST.
    OpenLst,
    /// Reaktor Hello World (CC11xx-style).
    ReaktorHelloWorld,
    /// 3CAT-1: sync 0xD391D391, 255 bytes PN9-whitened forming an RS(255,223) codeword.
    Sat3cat1,
    /// GEOSCAN.
    Geoscan,
    /// USP (OrbiCraft).
    Usp,
    /// DIY-1.
    Diy1,
    /// MRC-100 (RA-coded).
    Mrc100,
    /// NuSat / Aleph-1 (sync 0x01E5AACC, RS(64,60), whitening, CRC-8).
    Nusat,
    /// AMSAT Fox: 8b10b, `high_speed` for the 9k6 frames, else the 200 bd DUV stream.
    Fox {
        #[serde(default)]
        high_speed: bool,
    },
    /// Meteor-M LRPT: CCSDS concatenated with optional interleaving and differential
    /// coding (the 80k and N2-2+ modes).
    Lrpt {
        #[serde(default)]
        interleaved: bool,
        #[serde(default)]
        differential: bool,
    },
}

fn one() -> usize {
    1
}

impl Framing {
    /// The `FskDecoder` framing, when this one is decodable by it.
    pub fn fsk_framing(&self) -> Option<FskFraming> {
        Some(match self {
            Framing::Ax25G3ruh => FskFraming::Ax25G3ruh,
            Framing::Ax25Nrzi => FskFraming::Ax25Nrzi,
            Framing::Ax100AsmGolay => FskFraming::Ax100AsmGolay,
            Framing::Ax100Rs => FskFraming::Ax100Rs,
            Framing::Lucky7 => FskFraming::Lucky7,
            Framing::Tt64 => FskFraming::Tt64,
            _ => return None,
        })
    }

    /// The snake_case name used in the files.
    pub fn kind(&self) -> String {
        match toml::Value::try_from(self) {
            Ok(toml::Value::Table(t)) => t
                .get("type")
                .and_then(|v| v.as_str())
                .unwrap_or("?")
                .to_string(),
            _ => "?".to_string(),
        }
    }
}

impl Transmitter {
    /// `FskDecoder` can decode this transmitter from receiver audio.
    pub fn fsk_decodable(&self) -> Option<FskFraming> {
        if self.modulation.is_baseband_fsk() {
            self.framing.fsk_framing()
        } else {
            None
        }
    }
}

impl Satellite {
    pub(super) fn validate(&self) -> Result<(), String> {
        if self.name.trim().is_empty() {
            return Err("`name` is empty".into());
        }
        if self.transmitters.is_empty() {
            return Err(format!("{}: no [[transmitters]]", self.name));
        }
        for t in &self.transmitters {
            if !(t.frequency_hz > 0.0 && t.frequency_hz.is_finite()) {
                return Err(format!(
                    "{} / {}: frequency_hz {} must be > 0",
                    self.name, t.name, t.frequency_hz
                ));
            }
            if let Some(b) = t.modulation.baud() {
                if !(b > 0.0 && b.is_finite()) {
                    return Err(format!("{} / {}: baud {b} must be > 0", self.name, t.name));
                }
            }
            if let Framing::SyncWord { sync_word, .. } = &t.framing {
                let h = sync_word.trim_start_matches("0x");
                if h.is_empty() || !h.chars().all(|c| c.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{} / {}: sync_word {sync_word:?} is not hexadecimal",
                        self.name, t.name
                    ));
                }
            }
        }
        Ok(())
    }
}
