//! HDLC framing as AX.25 uses it (AX.25 v2.2 §3; ISO/IEC 13239): frames between 0x7E flags,
//! bit stuffing (a 0 after five 1s), octets sent least significant bit first, and a
//! CRC-16/X.25 frame check sequence sent low byte first.
//!
//! Bits are one per `u8` (0 or 1), already NRZI-decoded.

use super::crc::Crc16;

/// Limits for [`Hdlc`]. Lengths count the frame without its 2-byte FCS.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HdlcConfig {
    /// Shortest frame kept (AX.25: 2 addresses + control = 15 bytes).
    pub min_len_bytes: usize,
    /// Longest frame kept; longer bit runs between flags are dropped without buffering.
    pub max_len_bytes: usize,
}

impl Default for HdlcConfig {
    fn default() -> Self {
        // AX.25 v2.2 §6.7.2.3: N1 defaults to 256 info bytes; the header can add up to 72
        // (10 addresses + control + PID), so 400 covers every legal frame with margin.
        Self {
            min_len_bytes: 15,
            max_len_bytes: 400,
        }
    }
}

/// One frame found between two flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HdlcFrame {
    /// Frame bytes without the FCS.
    pub data: Vec<u8>,
    /// Whether the received FCS matched CRC-16/X.25 of `data`.
    pub fcs_ok: bool,
    /// Index (counting every bit ever given to `process`) of the frame's first bit, just
    /// after the opening flag.
    pub start_bit: u64,
    /// Index of the closing flag's last bit.
    pub end_bit: u64,
}

/// Streaming HDLC deframer.
#[derive(Clone, Debug)]
pub struct Hdlc {
    config: HdlcConfig,
    crc: Crc16,
    /// Destuffed bits since the last flag (includes the first 7 bits of the next flag
    /// by the time that flag is recognised).
    bits: Vec<u8>,
    in_frame: bool,
    ones: u32,
    bit_index: u64,
    start_bit: u64,
}

/// Errors from [`Hdlc::new`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HdlcError(pub String);

impl std::fmt::Display for HdlcError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HDLC: {}", self.0)
    }
}

impl std::error::Error for HdlcError {}

impl Hdlc {
    /// A deframer waiting for its first flag.
    pub fn new(config: HdlcConfig) -> Result<Self, HdlcError> {
        if config.min_len_bytes > config.max_len_bytes {
            return Err(HdlcError(format!(
                "min_len_bytes {} exceeds max_len_bytes {}",
                config.min_len_bytes, config.max_len_bytes
            )));
        }
        if config.max_len_bytes == 0 || config.max_len_bytes > 65_536 {
            return Err(HdlcError(format!(
                "max_len_bytes {} outside 1..=65536",
                config.max_len_bytes
            )));
        }
        Ok(Self {
            config,
            crc: Crc16::new(Crc16::X25),
            bits: Vec::new(),
            in_frame: false,
            ones: 0,
            bit_index: 0,
            start_bit: 0,
        })
    }

    fn max_bits(&self) -> usize {
        // data + FCS + the 7 flag bits pushed before the flag is recognised
        (self.config.max_len_bytes + 2) * 8 + 7
    }

    fn close_frame(&mut self, output: &mut Vec<HdlcFrame>) {
        let n = self.bits.len().saturating_sub(7);
        if !n.is_multiple_of(8) {
            return;
        }
        let total = n / 8;
        if total < self.config.min_len_bytes + 2 || total > self.config.max_len_bytes + 2 {
            return;
        }
        let bytes: Vec<u8> = self.bits[..n]
            .chunks_exact(8)
            .map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | (b << i))
            })
            .collect();
        let (data, fcs) = bytes.split_at(total - 2);
        let fcs_ok = self.crc.checksum(data) == u16::from_le_bytes([fcs[0], fcs[1]]);
        output.push(HdlcFrame {
            data: data.to_vec(),
            fcs_ok,
            start_bit: self.start_bit,
            end_bit: self.bit_index,
        });
    }

    /// Consumes NRZI-decoded bits, appending every frame of legal length (with its FCS
    /// status) to `output`.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<HdlcFrame>) {
        for &b in input {
            if b & 1 == 1 {
                self.ones += 1;
                if self.ones >= 7 {
                    // Seven 1s: abort sequence (or idle mark); drop the frame in progress.
                    self.in_frame = false;
                    self.bits.clear();
                } else if self.in_frame {
                    self.bits.push(1);
                }
            } else {
                if self.ones == 6 {
                    // 0111 1110: a flag closes the current frame and opens the next one.
                    if self.in_frame {
                        self.close_frame(output);
                    }
                    self.in_frame = true;
                    self.bits.clear();
                    self.start_bit = self.bit_index + 1;
                } else if self.ones != 5 && self.in_frame {
                    // After exactly five 1s a 0 is stuffing and is dropped.
                    self.bits.push(0);
                }
                self.ones = 0;
            }
            if self.in_frame && self.bits.len() > self.max_bits() {
                self.in_frame = false;
                self.bits.clear();
            }
            self.bit_index += 1;
        }
    }

    /// Forgets any frame in progress and the bit count.
    pub fn reset(&mut self) {
        self.bits.clear();
        self.in_frame = false;
        self.ones = 0;
        self.bit_index = 0;
        self.start_bit = 0;
    }

    /// Appends the HDLC bit sequence of `data` (FCS added, bits stuffed, LSB first),
    /// preceded by `flags_before` flags and followed by `flags_after` flags, to `output`.
    pub fn encode(data: &[u8], flags_before: usize, flags_after: usize, output: &mut Vec<u8>) {
        const FLAG: [u8; 8] = [0, 1, 1, 1, 1, 1, 1, 0];
        for _ in 0..flags_before {
            output.extend_from_slice(&FLAG);
        }
        let fcs = Crc16::new(Crc16::X25).checksum(data).to_le_bytes();
        let mut ones = 0;
        for &byte in data.iter().chain(fcs.iter()) {
            for i in 0..8 {
                let bit = (byte >> i) & 1;
                output.push(bit);
                if bit == 1 {
                    ones += 1;
                    if ones == 5 {
                        output.push(0);
                        ones = 0;
                    }
                } else {
                    ones = 0;
                }
            }
        }
        for _ in 0..flags_after.max(1) {
            output.extend_from_slice(&FLAG);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(n: usize, seed: u8) -> Vec<u8> {
        (0..n)
            .map(|i| (i as u8).wrapping_mul(37).wrapping_add(seed))
            .collect()
    }

    #[test]
    fn encode_decode_round_trip() {
        let data = frame(40, 3);
        let mut bits = Vec::new();
        Hdlc::encode(&data, 4, 2, &mut bits);
        let mut hdlc = Hdlc::new(HdlcConfig::default()).unwrap();
        let mut out = Vec::new();
        hdlc.process(&bits, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, data);
        assert!(out[0].fcs_ok);
        // 4 flags before; the frame ends with the last bit of the first closing flag.
        assert_eq!(out[0].start_bit, 32);
        assert_eq!(out[0].end_bit, bits.len() as u64 - 8 - 1);
    }

    #[test]
    fn stuffing_of_all_ones_payload() {
        // 0xFF bytes force a stuffed 0 every five bits, and 0x7E inside data must not
        // be mistaken for a flag.
        let data = vec![
            0xFF, 0x7E, 0xFF, 0xFF, 0x7E, 0x7E, 0xFC, 0x3F, 0xFF, 0xFF, 0xFF, 0, 1, 2, 3, 0xFF,
        ];
        let mut bits = Vec::new();
        Hdlc::encode(&data, 1, 1, &mut bits);
        let mut run = 0;
        for w in bits[8..bits.len() - 8].iter() {
            run = if *w == 1 { run + 1 } else { 0 };
            assert!(run <= 5, "unstuffed run of six 1s inside the frame");
        }
        let mut out = Vec::new();
        Hdlc::new(HdlcConfig::default())
            .unwrap()
            .process(&bits, &mut out);
        assert_eq!(out.len(), 1);
        assert_eq!(out[0].data, data);
        assert!(out[0].fcs_ok);
    }

    #[test]
    fn corrupted_frame_reports_bad_fcs() {
        let data = frame(30, 9);
        let mut bits = Vec::new();
        Hdlc::encode(&data, 2, 1, &mut bits);
        // Flip one bit in the middle of the payload, away from stuffing decisions, by
        // flipping a 0 that sits between 0s.
        let pos = (40..bits.len() - 40)
            .find(|&i| bits[i - 1] == 0 && bits[i] == 0 && bits[i + 1] == 0)
            .unwrap();
        bits[pos] = 1;
        let mut out = Vec::new();
        Hdlc::new(HdlcConfig::default())
            .unwrap()
            .process(&bits, &mut out);
        assert_eq!(out.len(), 1);
        assert!(!out[0].fcs_ok);
    }

    #[test]
    fn length_limits_and_abort() {
        let mut bits = Vec::new();
        Hdlc::encode(&frame(10, 1), 1, 1, &mut bits); // shorter than min 15
        Hdlc::encode(&frame(20, 2), 1, 1, &mut bits); // kept
                                                      // An aborted frame: flag, some bytes, seven 1s, then a new flag.
        bits.extend_from_slice(&[0, 1, 1, 1, 1, 1, 1, 0]);
        bits.extend_from_slice(&[0, 1, 0, 1, 0, 0, 1, 0].repeat(20));
        bits.extend_from_slice(&[1; 7]);
        Hdlc::encode(&frame(25, 3), 1, 1, &mut bits); // kept
        let mut out = Vec::new();
        let mut h = Hdlc::new(HdlcConfig {
            min_len_bytes: 15,
            max_len_bytes: 24,
        })
        .unwrap();
        h.process(&bits, &mut out);
        let lens: Vec<usize> = out.iter().map(|f| f.data.len()).collect();
        assert_eq!(lens, vec![20]); // 25 > max 24
        assert!(Hdlc::new(HdlcConfig {
            min_len_bytes: 30,
            max_len_bytes: 20
        })
        .is_err());
    }

    #[test]
    fn shared_flags_and_chunk_invariance() {
        let mut bits = Vec::new();
        for k in 0..5 {
            // one flag between frames: the closing flag of one opens the next
            Hdlc::encode(&frame(16 + k, k as u8), usize::from(k == 0), 1, &mut bits);
        }
        let mut whole = Vec::new();
        Hdlc::new(HdlcConfig::default())
            .unwrap()
            .process(&bits, &mut whole);
        assert_eq!(whole.len(), 5);
        assert!(whole.iter().all(|f| f.fcs_ok));
        let mut chunked = Vec::new();
        let mut h = Hdlc::new(HdlcConfig::default()).unwrap();
        for c in bits.chunks(13) {
            h.process(c, &mut chunked);
        }
        assert_eq!(whole, chunked);
    }
}
