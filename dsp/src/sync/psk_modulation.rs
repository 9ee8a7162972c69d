//! The phase-shift keying variants the PSK blocks handle.

use std::fmt;
use std::str::FromStr;

use crate::filter::DesignError;

/// Constellation and rail timing of a PSK signal.
///
/// Symbol mapping used throughout (modulator and demodulator): bit 0 → +1,
/// bit 1 → −1 on each rail; QPSK/OQPSK carry the first bit of a pair on I and
/// the second on Q (points at ±45°, ±135°).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PskModulation {
    /// Two phases, one bit per symbol, on the I rail.
    Bpsk,
    /// Four phases, two bits per symbol, I and Q aligned in time.
    #[default]
    Qpsk,
    /// Offset QPSK: as QPSK, but the Q rail is delayed by half a symbol
    /// (Meteor-M N2-3/N2-4 LRPT).
    Oqpsk,
}

impl PskModulation {
    pub const ALL: [PskModulation; 3] = [
        PskModulation::Bpsk,
        PskModulation::Qpsk,
        PskModulation::Oqpsk,
    ];

    pub fn name(self) -> &'static str {
        match self {
            PskModulation::Bpsk => "bpsk",
            PskModulation::Qpsk => "qpsk",
            PskModulation::Oqpsk => "oqpsk",
        }
    }

    pub fn bits_per_symbol(self) -> usize {
        match self {
            PskModulation::Bpsk => 1,
            PskModulation::Qpsk | PskModulation::Oqpsk => 2,
        }
    }

    /// The power `M` that strips the modulation off the carrier (`x^M` has a
    /// spectral line at `M` times the carrier offset), which is also the
    /// order of the phase ambiguity.
    pub fn order(self) -> u32 {
        match self {
            PskModulation::Bpsk => 2,
            PskModulation::Qpsk | PskModulation::Oqpsk => 4,
        }
    }
}

impl fmt::Display for PskModulation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for PskModulation {
    type Err = DesignError;

    /// Case-insensitive `bpsk`, `qpsk`, `oqpsk` (also `sqpsk`, `offset-qpsk`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "bpsk" => Ok(PskModulation::Bpsk),
            "qpsk" => Ok(PskModulation::Qpsk),
            "oqpsk" | "sqpsk" | "offset-qpsk" => Ok(PskModulation::Oqpsk),
            _ => Err(DesignError::UnknownName {
                what: "PSK modulation",
                name: s.to_string(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_orders() {
        for m in PskModulation::ALL {
            assert_eq!(m.name().parse::<PskModulation>().unwrap(), m);
            assert_eq!(
                m.to_string()
                    .to_uppercase()
                    .parse::<PskModulation>()
                    .unwrap(),
                m
            );
        }
        assert_eq!(
            "Offset_QPSK".parse::<PskModulation>().unwrap(),
            PskModulation::Oqpsk
        );
        assert!("8psk"
            .parse::<PskModulation>()
            .unwrap_err()
            .to_string()
            .contains("8psk"));
        assert_eq!(PskModulation::Bpsk.order(), 2);
        assert_eq!(PskModulation::Oqpsk.order(), 4);
        assert_eq!(PskModulation::Bpsk.bits_per_symbol(), 1);
        assert_eq!(PskModulation::Qpsk.bits_per_symbol(), 2);
    }
}
