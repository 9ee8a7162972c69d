//! Sync-word correlator for variable-length frames: after each hit it collects a header,
//! asks the framing how many bits the whole frame has (from the header's length field),
//! and emits the frame as soon as those bits are in. A fixed worst-case length would hold
//! every frame back by the longest frame's air time (seconds at 500 Bd) and lose frames
//! near the end of a recording.

/// Configuration of [`VarSync`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VarSyncConfig {
    /// The pattern, right-aligned (the last transmitted bit is bit 0).
    pub pattern: u64,
    /// Pattern length in bits, 1..=64.
    pub len_bits: u32,
    /// Largest Hamming distance still counted as a hit (below half of `len_bits`).
    pub max_errors: u32,
    /// Also accept the complemented pattern and re-invert what follows.
    pub accept_inverted: bool,
    /// Bits collected before the frame length is asked for.
    pub header_bits: usize,
    /// Upper bound of any frame, in bits.
    pub max_frame_bits: usize,
}

/// A complete frame after a hit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VarHit {
    /// The frame's bits after the pattern (re-inverted for an inverted hit).
    pub bits: Vec<u8>,
    /// Bit errors in the pattern.
    pub errors: u32,
    /// The complemented pattern matched.
    pub inverted: bool,
}

#[derive(Clone, Debug)]
struct Pending {
    hit: VarHit,
    want: Option<usize>,
}

/// Streaming correlator and collector.
#[derive(Clone, Debug)]
pub struct VarSync {
    config: VarSyncConfig,
    mask: u64,
    reg: u64,
    seen: u64,
    pending: Vec<Pending>,
}

/// Frames collected at once, at most, so noise cannot grow memory.
const MAX_PENDING: usize = 64;

impl VarSync {
    /// Validates the configuration.
    pub fn new(config: VarSyncConfig) -> Result<Self, String> {
        if config.len_bits == 0 || config.len_bits > 64 {
            return Err(format!("sync length {} outside 1..=64", config.len_bits));
        }
        if config.max_errors * 2 >= config.len_bits {
            return Err(format!(
                "max_errors {} not below half of {} sync bits",
                config.max_errors, config.len_bits
            ));
        }
        if config.header_bits == 0 || config.header_bits > config.max_frame_bits {
            return Err(format!(
                "header of {} bits does not fit frames of at most {} bits",
                config.header_bits, config.max_frame_bits
            ));
        }
        let mask = if config.len_bits == 64 {
            u64::MAX
        } else {
            (1u64 << config.len_bits) - 1
        };
        Ok(Self {
            config,
            mask,
            reg: 0,
            seen: 0,
            pending: Vec::new(),
        })
    }

    /// One hard bit. `frame_bits(header)` gives a frame's total length in bits from its
    /// first `header_bits` bits (None: not a frame); complete frames go to `out`.
    pub fn push(
        &mut self,
        bit: u8,
        frame_bits: impl Fn(&[u8]) -> Option<usize>,
        out: &mut Vec<VarHit>,
    ) {
        let b = bit & 1;
        let max = self.config.max_frame_bits;
        let header = self.config.header_bits;
        self.pending.retain_mut(|p| {
            p.hit.bits.push(b ^ u8::from(p.hit.inverted));
            let n = p.hit.bits.len();
            if n == header {
                match frame_bits(&p.hit.bits) {
                    Some(w) if w >= header && w <= max => p.want = Some(w),
                    _ => return false,
                }
            }
            if p.want == Some(n) {
                out.push(p.hit.clone());
                return false;
            }
            true
        });
        self.reg = (self.reg << 1) | b as u64;
        self.seen += 1;
        if self.seen < self.config.len_bits as u64 || self.pending.len() >= MAX_PENDING {
            return;
        }
        let d = ((self.reg ^ self.config.pattern) & self.mask).count_ones();
        let len = self.config.len_bits;
        let hit = if d <= self.config.max_errors {
            Some((d, false))
        } else if self.config.accept_inverted && len - d <= self.config.max_errors {
            Some((len - d, true))
        } else {
            None
        };
        if let Some((errors, inverted)) = hit {
            self.pending.push(Pending {
                hit: VarHit {
                    bits: Vec::with_capacity(header),
                    errors,
                    inverted,
                },
                want: None,
            });
        }
    }

    /// Drops frames in progress and the bit history.
    pub fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::framing::syncword::{bits_to_bytes_msb, bytes_to_bits_msb};

    #[test]
    fn collects_the_length_the_header_names_in_both_polarities() {
        let cfg = VarSyncConfig {
            pattern: 0x2DD4,
            len_bits: 16,
            max_errors: 1,
            accept_inverted: true,
            header_bits: 8,
            max_frame_bits: 64,
        };
        let mut v = VarSync::new(cfg).unwrap();
        // Length byte 2 → 3 bytes in all.
        let mut bits = Vec::new();
        bytes_to_bits_msb(&[0x55, 0x2D, 0xD4, 0x02, 0xAB, 0xCD, 0x00], &mut bits);
        let inv: Vec<u8> = bits.iter().map(|b| b ^ 1).collect();
        let mut out = Vec::new();
        let len = |h: &[u8]| Some((1 + bits_to_bytes_msb(h)[0] as usize) * 8);
        for &b in bits.iter().chain(&inv) {
            v.push(b, len, &mut out);
        }
        assert_eq!(out.len(), 2);
        for (h, inverted) in out.iter().zip([false, true]) {
            assert_eq!(bits_to_bytes_msb(&h.bits), vec![0x02, 0xAB, 0xCD]);
            assert_eq!(h.inverted, inverted);
        }
    }
}
