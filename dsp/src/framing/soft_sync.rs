//! Sync-word search on soft symbols that hands over the *soft* symbols following each
//! hit, for deframers that need reliabilities after the sync (Viterbi) as well as those
//! that only slice them. The search itself is on hard decisions (sign), allowing a number
//! of bit errors, and optionally accepts the complemented word (unknown FSK polarity), in
//! which case the collected symbols are negated so they read as if the polarity were right.

/// One sync-word hit and the symbols after it.
#[derive(Clone, Debug, PartialEq)]
pub struct SoftHit {
    /// `frame_symbols` soft symbols after the word (positive = 1), negated if `inverted`.
    pub symbols: Vec<f32>,
    /// Bit errors in the sync word.
    pub errors: u32,
    /// Whether the complemented word matched.
    pub inverted: bool,
}

impl SoftHit {
    /// Hard decisions (0/1) of the collected symbols.
    pub fn bits(&self) -> Vec<u8> {
        self.symbols.iter().map(|&s| u8::from(s > 0.0)).collect()
    }
}

/// Streaming soft-symbol sync-word collector. Hits may overlap, so a false hit cannot
/// hide a true one that starts inside its frame.
#[derive(Clone, Debug)]
pub struct SoftSync {
    pattern: u64,
    mask: u64,
    len_bits: u32,
    max_errors: u32,
    frame_symbols: usize,
    accept_inverted: bool,
    reg: u64,
    seen: u64,
    pending: Vec<SoftHit>,
}

/// Bound on frames collected at once, so a loose threshold on noise cannot grow memory.
const MAX_PENDING: usize = 64;

impl SoftSync {
    /// `pattern` right-aligned (last transmitted bit in bit 0), `len_bits` 1..=64,
    /// `max_errors` below half the length, `frame_symbols` > 0.
    pub fn new(
        pattern: u64,
        len_bits: u32,
        max_errors: u32,
        frame_symbols: usize,
        accept_inverted: bool,
    ) -> Result<Self, String> {
        if len_bits == 0 || len_bits > 64 {
            return Err(format!("sync word length {len_bits} outside 1..=64 bits"));
        }
        let mask = if len_bits == 64 {
            u64::MAX
        } else {
            (1u64 << len_bits) - 1
        };
        if pattern & !mask != 0 {
            return Err(format!(
                "sync word 0x{pattern:x} longer than {len_bits} bits"
            ));
        }
        if max_errors * 2 >= len_bits {
            return Err(format!(
                "{max_errors} sync-word errors allowed is not below half of {len_bits} bits"
            ));
        }
        if frame_symbols == 0 {
            return Err("a frame of zero symbols".into());
        }
        Ok(Self {
            pattern,
            mask,
            len_bits,
            max_errors,
            frame_symbols,
            accept_inverted,
            reg: 0,
            seen: 0,
            pending: Vec::new(),
        })
    }

    /// One soft symbol; appends every hit whose frame it completes.
    pub fn push(&mut self, soft: f32, output: &mut Vec<SoftHit>) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            p.symbols.push(if p.inverted { -soft } else { soft });
            if p.symbols.len() == self.frame_symbols {
                output.push(self.pending.remove(i));
            } else {
                i += 1;
            }
        }
        self.reg = (self.reg << 1) | u64::from(soft > 0.0);
        self.seen += 1;
        if self.seen < u64::from(self.len_bits) || self.pending.len() >= MAX_PENDING {
            return;
        }
        let d = ((self.reg ^ self.pattern) & self.mask).count_ones();
        let hit = if d <= self.max_errors {
            Some((d, false))
        } else if self.accept_inverted && self.len_bits - d <= self.max_errors {
            Some((self.len_bits - d, true))
        } else {
            None
        };
        if let Some((errors, inverted)) = hit {
            self.pending.push(SoftHit {
                symbols: Vec::with_capacity(self.frame_symbols),
                errors,
                inverted,
            });
        }
    }

    /// Forgets the bit history and frames in progress.
    pub fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.pending.clear();
    }
}

/// Bits (one per byte, 0/1) of `bytes`, most significant first, as ±1 soft symbols.
pub fn bytes_to_symbols_msb(bytes: &[u8]) -> Vec<f32> {
    bytes
        .iter()
        .flat_map(|&b| {
            (0..8)
                .rev()
                .map(move |i| if (b >> i) & 1 == 1 { 1.0 } else { -1.0 })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn collects_symbols_after_the_word_in_both_polarities() {
        let mut s = SoftSync::new(0xF15E48, 24, 1, 16, true).unwrap();
        let mut x = bytes_to_symbols_msb(&[0x00, 0xF1, 0x5E, 0x49, 0xA5, 0x0F]);
        let inv: Vec<f32> = bytes_to_symbols_msb(&[0xF1, 0x5E, 0x48, 0x12, 0x34])
            .iter()
            .map(|v| -v)
            .collect();
        x.extend(inv);
        let mut hits = Vec::new();
        for v in x {
            s.push(v, &mut hits);
        }
        assert_eq!(hits.len(), 2);
        assert_eq!((hits[0].errors, hits[0].inverted), (1, false));
        assert_eq!(hits[0].symbols, bytes_to_symbols_msb(&[0xA5, 0x0F]));
        assert_eq!((hits[1].errors, hits[1].inverted), (0, true));
        assert_eq!(hits[1].bits(), {
            let mut b = Vec::new();
            crate::framing::syncword::bytes_to_bits_msb(&[0x12, 0x34], &mut b);
            b
        });
    }

    #[test]
    fn rejects_bad_parameters() {
        assert!(SoftSync::new(0x1FF, 8, 1, 8, false).is_err());
        assert!(SoftSync::new(0xFF, 8, 4, 8, false).is_err());
        assert!(SoftSync::new(0xFF, 8, 1, 0, false).is_err());
    }
}
