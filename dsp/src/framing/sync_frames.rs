//! Sync word, then a frame whose length and check the frame itself decides, on soft
//! symbols (positive = bit 1). The common skeleton of the packet-radio framings decoded
//! from FSK audio (CC11xx-style radios, OpenLST, USP, CCSDS with Reed–Solomon only):
//!
//! * a correlator finds the sync word (up to `max_errors` wrong bits) in either polarity,
//!   because an FM receiver may swap the two tones; after an inverted hit the frame's
//!   soft symbols are negated;
//! * a [`FrameFormat`] is asked to look at the symbols after the sync: it may ask for
//!   more (a length field says how many), and finally returns the checked frame or
//!   nothing. Candidates overlap, so a false hit does not hide a real sync inside it.
//!
//! [`SoftDeframer`] is what the cubesat decoders drive: soft symbols in, checked frames
//! out, each tagged with the index of the symbol that completed it.

use super::syncword::bits_to_bytes_msb;
use crate::demod::fsk_decoder::FrameCheck;

/// A frame that passed its check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SoftFrame {
    /// Frame bytes (what each format returns is in its documentation).
    pub data: Vec<u8>,
    /// The check it passed.
    pub check: FrameCheck,
    /// Whether the symbol stream was inverted (None where the framing cannot tell).
    pub inverted: Option<bool>,
    /// Index (from the first symbol ever fed) of the symbol that completed the frame.
    pub end_symbol: u64,
}

/// Soft symbols in, checked frames out.
pub trait SoftDeframer: Send {
    /// Consumes soft symbols (positive = 1), appending every frame completed.
    fn process(&mut self, soft: &[f32], output: &mut Vec<SoftFrame>);
    /// Forgets everything, as if newly built.
    fn reset(&mut self);
}

/// What a [`FrameFormat`] makes of the symbols seen so far.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Look {
    /// Call again when this many symbols (counted from the first after the sync) are in.
    Need(usize),
    /// The frame is complete: its bytes and check, or None when the check failed.
    Done(Option<(Vec<u8>, FrameCheck)>),
}

/// The part of a framing after its sync word.
pub trait FrameFormat: Send {
    /// Symbols needed after the sync word before the first [`look`](Self::look).
    fn first_look(&self) -> usize;
    /// Examines the symbols after the sync word (polarity already corrected).
    fn look(&mut self, soft: &[f32]) -> Look;
}

/// The sync word searched for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SyncPattern {
    /// The pattern, right-aligned (the last transmitted bit is bit 0).
    pub pattern: u64,
    /// Length in bits, 8..=64.
    pub len_bits: u32,
    /// Largest number of wrong bits still counted as a hit (below half the length).
    pub max_errors: u32,
}

/// Bound on candidates followed at once, so noise with a loose threshold cannot grow
/// memory or time without limit.
const MAX_PENDING: usize = 64;

#[derive(Clone, Debug)]
struct Pending {
    soft: Vec<f32>,
    want: usize,
    inverted: bool,
}

/// Sync-word correlator feeding a [`FrameFormat`]. See the module documentation.
#[derive(Clone, Debug)]
pub struct SyncFrames<F> {
    format: F,
    sync: SyncPattern,
    mask: u64,
    reg: u64,
    seen: u64,
    index: u64,
    pending: Vec<Pending>,
}

impl<F: FrameFormat> SyncFrames<F> {
    /// Validates the pattern.
    pub fn new(sync: SyncPattern, format: F) -> Result<Self, String> {
        if !(8..=64).contains(&sync.len_bits) {
            return Err(format!("sync word length {} outside 8..=64", sync.len_bits));
        }
        let mask = if sync.len_bits == 64 {
            u64::MAX
        } else {
            (1u64 << sync.len_bits) - 1
        };
        if sync.pattern & !mask != 0 {
            return Err(format!(
                "sync word 0x{:x} longer than {} bits",
                sync.pattern, sync.len_bits
            ));
        }
        if 2 * sync.max_errors >= sync.len_bits {
            return Err(format!(
                "{} sync-word errors allowed of {} bits: not below half",
                sync.max_errors, sync.len_bits
            ));
        }
        if format.first_look() == 0 {
            return Err("a frame needs at least one symbol".into());
        }
        Ok(Self {
            format,
            sync,
            mask,
            reg: 0,
            seen: 0,
            index: 0,
            pending: Vec::new(),
        })
    }

    /// The frame format.
    pub fn format(&self) -> &F {
        &self.format
    }

    fn push(&mut self, s: f32, output: &mut Vec<SoftFrame>) {
        let mut i = 0;
        while i < self.pending.len() {
            let p = &mut self.pending[i];
            p.soft.push(if p.inverted { -s } else { s });
            if p.soft.len() < p.want {
                i += 1;
                continue;
            }
            match self.format.look(&p.soft) {
                Look::Need(n) if n > p.soft.len() => {
                    p.want = n;
                    i += 1;
                }
                Look::Need(_) | Look::Done(None) => {
                    self.pending.swap_remove(i);
                }
                Look::Done(Some((data, check))) => {
                    let inverted = Some(p.inverted);
                    self.pending.swap_remove(i);
                    output.push(SoftFrame {
                        data,
                        check,
                        inverted,
                        end_symbol: self.index,
                    });
                }
            }
        }
        self.reg = (self.reg << 1) | u64::from(s > 0.0);
        self.seen += 1;
        if self.seen >= u64::from(self.sync.len_bits) && self.pending.len() < MAX_PENDING {
            let d = ((self.reg ^ self.sync.pattern) & self.mask).count_ones();
            let inverted = if d <= self.sync.max_errors {
                Some(false)
            } else if self.sync.len_bits - d <= self.sync.max_errors {
                Some(true)
            } else {
                None
            };
            if let Some(inverted) = inverted {
                let want = self.format.first_look();
                self.pending.push(Pending {
                    soft: Vec::with_capacity(want),
                    want,
                    inverted,
                });
            }
        }
        self.index += 1;
    }
}

impl<F: FrameFormat> SoftDeframer for SyncFrames<F> {
    fn process(&mut self, soft: &[f32], output: &mut Vec<SoftFrame>) {
        for &s in soft {
            self.push(s, output);
        }
    }

    fn reset(&mut self) {
        self.reg = 0;
        self.seen = 0;
        self.index = 0;
        self.pending.clear();
    }
}

/// Hard decisions of soft symbols, packed MSB first (a trailing partial byte dropped).
pub fn soft_to_bytes(soft: &[f32]) -> Vec<u8> {
    let bits: Vec<u8> = soft.iter().map(|&s| u8::from(s > 0.0)).collect();
    bits_to_bytes_msb(&bits)
}

/// Soft symbols (±1) of bytes sent MSB first, for tests and synthesis.
pub fn bytes_to_soft(bytes: &[u8]) -> Vec<f32> {
    bytes
        .iter()
        .flat_map(|&b| {
            (0..8)
                .rev()
                .map(move |i| if (b >> i) & 1 == 1 { 1.0 } else { -1.0 })
        })
        .collect()
}

/// The bytes of a right-aligned sync pattern of `len_bits` bits as soft symbols.
pub fn sync_to_soft(sync: &SyncPattern) -> Vec<f32> {
    (0..sync.len_bits)
        .rev()
        .map(|i| {
            if (sync.pattern >> i) & 1 == 1 {
                1.0
            } else {
                -1.0
            }
        })
        .collect()
}

/// Bytes of a hex string, for test vectors.
#[cfg(test)]
pub(crate) fn hex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Frames of a length byte plus that many bytes, "checked" by a zero last byte.
    struct LengthFormat;

    impl FrameFormat for LengthFormat {
        fn first_look(&self) -> usize {
            8
        }
        fn look(&mut self, soft: &[f32]) -> Look {
            let b = soft_to_bytes(soft);
            let n = 8 * (1 + b[0] as usize);
            if soft.len() < n {
                return Look::Need(n);
            }
            if b.last() == Some(&0) {
                Look::Done(Some((b[1..].to_vec(), FrameCheck::Crc16)))
            } else {
                Look::Done(None)
            }
        }
    }

    const SYNC: SyncPattern = SyncPattern {
        pattern: 0x1ACF_FC1D,
        len_bits: 32,
        max_errors: 3,
    };

    #[test]
    fn variable_length_frames_both_polarities_with_sync_errors() {
        let mut soft = bytes_to_soft(&[0x55; 6]);
        let mut s = sync_to_soft(&SYNC);
        s[3] = -s[3];
        s[20] = -s[20];
        soft.extend(&s);
        soft.extend(bytes_to_soft(&[3, 0xAB, 0xCD, 0x00, 0x55, 0x55]));
        let inv: Vec<f32> = soft.iter().map(|x| -x).collect();
        soft.extend(inv);
        let mut out = Vec::new();
        let mut d = SyncFrames::new(SYNC, LengthFormat).unwrap();
        for c in soft.chunks(7) {
            d.process(c, &mut out);
        }
        assert_eq!(out.len(), 2);
        for (f, inv) in out.iter().zip([false, true]) {
            assert_eq!(f.data, vec![0xAB, 0xCD, 0x00]);
            assert_eq!(f.inverted, Some(inv));
        }
        // sync ends at symbol 48 + 32 - 1 = 79; 32 frame symbols later
        assert_eq!(out[0].end_symbol, 79 + 32);
    }

    #[test]
    fn rejects_bad_patterns() {
        let f = |len_bits, max_errors, pattern| {
            SyncFrames::new(
                SyncPattern {
                    pattern,
                    len_bits,
                    max_errors,
                },
                LengthFormat,
            )
            .is_err()
        };
        assert!(f(4, 0, 0x5));
        assert!(f(16, 8, 0x2DD4));
        assert!(f(16, 1, 0x12DD4));
        assert!(!f(16, 1, 0x2DD4));
    }
}
