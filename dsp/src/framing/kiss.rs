//! KISS framing (K3MC/KA9Q, "The KISS TNC", 1987): FEND-delimited frames, a command byte
//! (port in the high nibble, command in the low nibble, 0 = data), and FESC escaping.

/// Frame end.
pub const FEND: u8 = 0xC0;
/// Frame escape.
pub const FESC: u8 = 0xDB;
/// Transposed FEND (follows FESC).
pub const TFEND: u8 = 0xDC;
/// Transposed FESC (follows FESC).
pub const TFESC: u8 = 0xDD;

/// One decoded KISS frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KissFrame {
    /// TNC port, 0..=15.
    pub port: u8,
    /// Command, 0..=15 (0 = data frame).
    pub command: u8,
    /// Unescaped payload.
    pub data: Vec<u8>,
}

/// Streaming KISS decoder; [`Kiss::encode`] builds frames.
#[derive(Clone, Debug, Default)]
pub struct Kiss {
    buf: Vec<u8>,
    escaped: bool,
    /// Set when an invalid escape was seen: the frame is dropped at the next FEND.
    broken: bool,
}

impl Kiss {
    /// A decoder waiting for a frame.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends a complete KISS frame carrying `data` on `port` with `command` to `output`.
    /// Port and command are masked to 4 bits. The type byte is escaped like data: port 12
    /// data frames have type 0xC0, which would otherwise read as FEND.
    pub fn encode(port: u8, command: u8, data: &[u8], output: &mut Vec<u8>) {
        output.reserve(data.len() + 5);
        output.push(FEND);
        let type_byte = ((port & 0x0F) << 4) | (command & 0x0F);
        for &b in std::iter::once(&type_byte).chain(data) {
            match b {
                FEND => output.extend_from_slice(&[FESC, TFEND]),
                FESC => output.extend_from_slice(&[FESC, TFESC]),
                _ => output.push(b),
            }
        }
        output.push(FEND);
    }

    /// Consumes a byte stream, appending each complete frame to `output`. Empty frames
    /// (back-to-back FENDs) and frames with invalid escapes are skipped.
    pub fn process(&mut self, input: &[u8], output: &mut Vec<KissFrame>) {
        for &b in input {
            if b == FEND {
                if !self.broken && !self.escaped && !self.buf.is_empty() {
                    output.push(KissFrame {
                        port: self.buf[0] >> 4,
                        command: self.buf[0] & 0x0F,
                        data: self.buf[1..].to_vec(),
                    });
                }
                self.buf.clear();
                self.escaped = false;
                self.broken = false;
            } else if self.escaped {
                match b {
                    TFEND => self.buf.push(FEND),
                    TFESC => self.buf.push(FESC),
                    _ => self.broken = true,
                }
                self.escaped = false;
            } else if b == FESC {
                self.escaped = true;
            } else {
                self.buf.push(b);
            }
        }
    }

    /// Drops any partial frame.
    pub fn reset(&mut self) {
        self.buf.clear();
        self.escaped = false;
        self.broken = false;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_escaping() {
        let mut out = Vec::new();
        Kiss::encode(1, 0, &[0x01, FEND, 0x02, FESC, 0x03], &mut out);
        assert_eq!(
            out,
            vec![FEND, 0x10, 0x01, FESC, TFEND, 0x02, FESC, TFESC, 0x03, FEND]
        );
        let mut frames = Vec::new();
        Kiss::new().process(&out, &mut frames);
        assert_eq!(
            frames,
            vec![KissFrame {
                port: 1,
                command: 0,
                data: vec![0x01, FEND, 0x02, FESC, 0x03]
            }]
        );
    }

    #[test]
    fn port_12_type_byte_is_escaped() {
        let mut out = Vec::new();
        Kiss::encode(12, 0, &[0x00], &mut out);
        assert_eq!(out, vec![FEND, FESC, TFEND, 0x00, FEND]);
        let mut frames = Vec::new();
        Kiss::new().process(&out, &mut frames);
        assert_eq!(frames[0].port, 12);
        assert_eq!(frames[0].data, vec![0x00]);
    }

    #[test]
    fn invalid_escape_and_empty_frames_are_skipped() {
        let stream = [FEND, FEND, 0x00, FESC, 0x55, 0x01, FEND, 0x00, 0x41, FEND];
        let mut frames = Vec::new();
        Kiss::new().process(&stream, &mut frames);
        assert_eq!(frames.len(), 1);
        assert_eq!(frames[0].data, vec![0x41]);
    }
}
