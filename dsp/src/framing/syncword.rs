//! Sync-word correlator on hard bits: finds a known bit pattern allowing a number of bit
//! errors (optionally also its complement, for an unknown FSK polarity) and collects the
//! fixed number of bits that follow each hit.

/// Configuration of a [`SyncWord`] search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncWordConfig {
    /// The pattern, right-aligned (the last transmitted bit is bit 0).
    pub pattern: u64,
    /// Pattern length in bits, 1..=64.
    pub len_bits: u32,
    /// Largest Hamming distance still counted as a hit.
    pub max_errors: u32,
    /// Bits collected after the pattern's last bit for each hit.
    pub frame_bits: usize,
    /// Also accept the complemented pattern, inverting the collected bits so the frame
    /// reads as if the polarity were right.
    pub accept_inverted: bool,
}

/// One hit and the bits that followed it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncHit {
    /// `frame_bits` bits after the pattern (inverted back if the hit was inverted).
    pub bits: Vec<u8>,
    /// Bit errors in the pattern.
    pub errors: u32,
    /// Whether the complemented pattern matched.
    pub inverted: bool,
    /// Stream index of the pattern's last bit.
    pub sync_end_bit: u64,
}

/// Error from [`SyncWord::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SyncWordError(pub String);

impl std::fmt::Display for SyncWordError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sync word: {}", self.0)
    }
}

impl std::error::Error for SyncWordError {}

/// Streaming correlator. Hits may overlap (a false hit does not hide a true one
/// starting inside its frame).
#[derive(Clone, Debug)]
pub struct SyncWord {
    config: SyncWordConfig,
    mask: u64,
    reg: u64,
    seen: u64,
    bit_index: u64,
    pending: Vec<SyncHit>,
}

/// Bound on frames collected at once, so noise with a loose threshold cannot grow memory.
const MAX_PENDING: usize = 256;

impl SyncWord {
    /// Validates the configuration.
    pub fn new(config: SyncWordConfig) -> Result<Self, SyncWordError> {
        if config.len_bits == 0 || config.len_bits > 64 {
            return Err(SyncWordError(format!(
                "len_bits {} outside 1..=64",
                config.len_bits
            )));
        }
        let mask = if config.len_bits == 64 {
            u64::MAX
        } else {
            (1u64 << config.len_bits) - 1
        };
        if config.pattern & !mask != 0 {
            return Err(SyncWordError(format!(
                "pattern 0x{:x} has bits above len_bits {}",
                config.pattern, config.len_bits
            )));
        }
        if config.max_errors * 2 >= config.len_bits {
            return Err(SyncWordError(format!(
                "max_errors {} is not below half of len_bits {}",
                config.max_errors, config.len_bits
            )));
        }
        if config.frame_bits == 0 || config.frame_bits > 1 << 20 {
            return Err(SyncWordError(format!(
                "frame_bits {} outside 1..=1048576",
                config.frame_bits
            )));
        }
        Ok(Self {
            config,
            mask,
            reg: 0,
            seen: 0,
            bit_index: 0,
            pending: Vec::new(),
        })
    }

    /// The configuration in use.
    pub fn config(&self) -> &SyncWordConfig {
        &self.config
    }

    /// Consumes hard bits (0/1), appending each completed hit to `output`.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<SyncHit>) {
        let n = self.config.frame_bits;
        for &b in input {
            let b = b & 1;
            // Collect into frames in progress first: the current bit follows their sync.
            let mut i = 0;
            while i < self.pending.len() {
                let p = &mut self.pending[i];
                p.bits.push(b ^ u8::from(p.inverted));
                if p.bits.len() == n {
                    output.push(self.pending.remove(i));
                } else {
                    i += 1;
                }
            }
            self.reg = (self.reg << 1) | b as u64;
            self.seen += 1;
            if self.seen >= self.config.len_bits as u64 && self.pending.len() < MAX_PENDING {
                let d = ((self.reg ^ self.config.pattern) & self.mask).count_ones();
                let hit = if d <= self.config.max_errors {
                    Some((d, false))
                } else if self.config.accept_inverted
                    && self.config.len_bits - d <= self.config.max_errors
                {
                    Some((self.config.len_bits - d, true))
                } else {
                    None
                };
                if let Some((errors, inverted)) = hit {
                    self.pending.push(SyncHit {
                        bits: Vec::with_capacity(n),
                        errors,
                        inverted,
                        sync_end_bit: self.bit_index,
                    });
                }
            }
            self.bit_index += 1;
        }
    }

    /// Drops frames in progress and the bit history.
    pub fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.bit_index = 0;
        self.pending.clear();
    }
}

/// Unpacks bytes MSB first into one bit per `u8`.
pub fn bytes_to_bits_msb(bytes: &[u8], output: &mut Vec<u8>) {
    output.reserve(bytes.len() * 8);
    for &byte in bytes {
        for i in (0..8).rev() {
            output.push((byte >> i) & 1);
        }
    }
}

/// Packs bits MSB first into bytes (a trailing partial byte is dropped).
pub fn bits_to_bytes_msb(bits: &[u8]) -> Vec<u8> {
    bits.chunks_exact(8)
        .map(|c| c.iter().fold(0u8, |acc, &b| (acc << 1) | (b & 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(max_errors: u32, frame_bits: usize, inv: bool) -> SyncWordConfig {
        SyncWordConfig {
            pattern: 0x2DD4,
            len_bits: 16,
            max_errors,
            frame_bits,
            accept_inverted: inv,
        }
    }

    #[test]
    fn finds_pattern_with_errors_and_inverted() {
        let mut bits = vec![0u8; 10];
        let mut sync = Vec::new();
        bytes_to_bits_msb(&[0x2D, 0xD4 ^ 0x03], &mut sync); // 2 errors
        bits.extend(&sync);
        bits.extend([1, 0, 1, 1, 0, 0, 1, 0]);
        bits.extend(vec![0u8; 20]);
        let inv: Vec<u8> = sync.iter().map(|b| b ^ 1).collect();
        bits.extend(&inv);
        bits.extend([0, 1, 0, 0, 1, 1, 0, 1]); // inverted 0xB2
        let mut out = Vec::new();
        let mut s = SyncWord::new(cfg(2, 8, true)).unwrap();
        s.process(&bits, &mut out);
        assert_eq!(out.len(), 2);
        assert_eq!(bits_to_bytes_msb(&out[0].bits), vec![0xB2]);
        assert_eq!((out[0].errors, out[0].inverted), (2, false));
        assert_eq!(out[0].sync_end_bit, 25);
        assert_eq!(bits_to_bytes_msb(&out[1].bits), vec![0xB2]);
        assert!(out[1].inverted);
        let mut strict = Vec::new();
        SyncWord::new(cfg(1, 8, false))
            .unwrap()
            .process(&bits, &mut strict);
        assert!(strict.is_empty());
    }

    #[test]
    fn overlapping_hits_and_chunking() {
        let mut bits = Vec::new();
        bytes_to_bits_msb(&[0x2D, 0xD4, 0x2D, 0xD4, 0xAA, 0x55, 0x00], &mut bits);
        let mut whole = Vec::new();
        SyncWord::new(cfg(0, 24, false))
            .unwrap()
            .process(&bits, &mut whole);
        assert_eq!(whole.len(), 2);
        assert_eq!(bits_to_bytes_msb(&whole[0].bits), vec![0x2D, 0xD4, 0xAA]);
        assert_eq!(bits_to_bytes_msb(&whole[1].bits), vec![0xAA, 0x55, 0x00]);
        let mut chunked = Vec::new();
        let mut s = SyncWord::new(cfg(0, 24, false)).unwrap();
        for c in bits.chunks(3) {
            s.process(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
    }

    #[test]
    fn rejects_bad_config() {
        assert!(SyncWord::new(cfg(8, 8, false)).is_err());
        assert!(SyncWord::new(SyncWordConfig {
            len_bits: 8,
            ..cfg(1, 8, false)
        })
        .is_err());
        assert!(SyncWord::new(cfg(1, 0, false)).is_err());
    }
}
