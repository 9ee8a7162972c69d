//! AX.25 frame fields (AX.25 v2.2, §3.12 address field, §4.2 control field, §3.4 PID).
//! Parsing is lenient about callsign characters (satellites use odd ones) but strict about
//! structure: at least two addresses, at most ten, extension bit terminating the list.

use std::fmt;

/// One address subfield: callsign, SSID and the C/H bit (command for destination/source,
/// "has been repeated" for digipeaters).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ax25Address {
    /// Callsign with trailing spaces removed (up to 6 characters).
    pub callsign: String,
    /// Secondary station identifier, 0..=15.
    pub ssid: u8,
    /// Bit 7 of the SSID octet.
    pub ch_bit: bool,
}

impl Ax25Address {
    /// Builds an address; `callsign` must be 1..=6 ASCII characters and `ssid` at most 15.
    pub fn new(callsign: &str, ssid: u8, ch_bit: bool) -> Result<Self, Ax25Error> {
        if callsign.is_empty() || callsign.len() > 6 || !callsign.is_ascii() {
            return Err(Ax25Error(format!(
                "callsign {callsign:?} must be 1 to 6 ASCII characters"
            )));
        }
        if ssid > 15 {
            return Err(Ax25Error(format!("SSID {ssid} exceeds 15")));
        }
        Ok(Self {
            callsign: callsign.to_string(),
            ssid,
            ch_bit,
        })
    }

    fn parse(bytes: &[u8]) -> Self {
        let callsign: String = bytes[..6]
            .iter()
            .map(|&b| char::from(b >> 1))
            .collect::<String>()
            .trim_end()
            .to_string();
        Self {
            callsign,
            ssid: (bytes[6] >> 1) & 0x0F,
            ch_bit: bytes[6] & 0x80 != 0,
        }
    }

    fn write(&self, last: bool, out: &mut Vec<u8>) {
        let mut cs = [b' '; 6];
        for (d, s) in cs.iter_mut().zip(self.callsign.bytes()) {
            *d = s;
        }
        out.extend(cs.iter().map(|c| c << 1));
        // Bits 6..5 are reserved and set to 1 (AX.25 v2.2 §3.12.2).
        out.push((u8::from(self.ch_bit) << 7) | 0x60 | (self.ssid << 1) | u8::from(last));
    }
}

impl fmt::Display for Ax25Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for c in self.callsign.chars() {
            if c.is_ascii_graphic() {
                write!(f, "{c}")?;
            } else {
                write!(f, "\\x{:02x}", c as u32)?;
            }
        }
        if self.ssid != 0 {
            write!(f, "-{}", self.ssid)?;
        }
        Ok(())
    }
}

/// A parsed AX.25 frame (without FCS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ax25Frame {
    /// Destination address.
    pub destination: Ax25Address,
    /// Source address.
    pub source: Ax25Address,
    /// Digipeater path, 0..=8 entries.
    pub digipeaters: Vec<Ax25Address>,
    /// Control octet (modulo-8 operation).
    pub control: u8,
    /// Protocol identifier, present on I and UI frames.
    pub pid: Option<u8>,
    /// Information field.
    pub info: Vec<u8>,
}

/// Error from AX.25 parsing or building, naming the problem.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ax25Error(pub String);

impl fmt::Display for Ax25Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "AX.25: {}", self.0)
    }
}

impl std::error::Error for Ax25Error {}

impl Ax25Frame {
    /// Parses frame bytes (as delivered by HDLC, FCS removed).
    pub fn parse(bytes: &[u8]) -> Result<Self, Ax25Error> {
        let mut addrs = Vec::new();
        let mut pos = 0;
        loop {
            if pos + 7 > bytes.len() {
                return Err(Ax25Error(format!(
                    "address field runs past the end of a {}-byte frame",
                    bytes.len()
                )));
            }
            addrs.push(Ax25Address::parse(&bytes[pos..pos + 7]));
            let last = bytes[pos + 6] & 1 == 1;
            pos += 7;
            if last {
                break;
            }
            if addrs.len() == 10 {
                return Err(Ax25Error("more than 10 addresses".into()));
            }
        }
        if addrs.len() < 2 {
            return Err(Ax25Error("fewer than 2 addresses".into()));
        }
        let control = *bytes
            .get(pos)
            .ok_or_else(|| Ax25Error("no control field".into()))?;
        pos += 1;
        let pid = if Self::has_pid(control) {
            let p = *bytes
                .get(pos)
                .ok_or_else(|| Ax25Error("I/UI frame without PID".into()))?;
            pos += 1;
            Some(p)
        } else {
            None
        };
        let mut it = addrs.into_iter();
        let destination = it.next().expect("checked >= 2");
        let source = it.next().expect("checked >= 2");
        Ok(Self {
            destination,
            source,
            digipeaters: it.collect(),
            control,
            pid,
            info: bytes[pos..].to_vec(),
        })
    }

    /// I frames (bit 0 = 0) and UI frames (0x03 with P/F masked) carry a PID octet.
    fn has_pid(control: u8) -> bool {
        control & 1 == 0 || control & !0x10 == 0x03
    }

    /// Serialises the frame (no FCS).
    pub fn to_bytes(&self) -> Result<Vec<u8>, Ax25Error> {
        if self.digipeaters.len() > 8 {
            return Err(Ax25Error(format!(
                "{} digipeaters, at most 8 allowed",
                self.digipeaters.len()
            )));
        }
        if Self::has_pid(self.control) != self.pid.is_some() {
            return Err(Ax25Error(format!(
                "control 0x{:02x} and PID presence disagree",
                self.control
            )));
        }
        let mut out = Vec::with_capacity(16 + 7 * self.digipeaters.len() + self.info.len());
        let n = 2 + self.digipeaters.len();
        for (i, a) in [&self.destination, &self.source]
            .into_iter()
            .chain(self.digipeaters.iter())
            .enumerate()
        {
            a.write(i + 1 == n, &mut out);
        }
        out.push(self.control);
        if let Some(p) = self.pid {
            out.push(p);
        }
        out.extend_from_slice(&self.info);
        Ok(out)
    }
}

impl fmt::Display for Ax25Frame {
    /// TNC2 monitor style: `SRC>DST,DIGI*:info` with non-printable bytes as `<xx>`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}>{}", self.source, self.destination)?;
        for d in &self.digipeaters {
            write!(f, ",{d}{}", if d.ch_bit { "*" } else { "" })?;
        }
        write!(f, " [ctl 0x{:02x}", self.control)?;
        if let Some(p) = self.pid {
            write!(f, " pid 0x{p:02x}")?;
        }
        write!(f, "]:")?;
        for &b in &self.info {
            if b.is_ascii_graphic() || b == b' ' {
                write!(f, "{}", b as char)?;
            } else {
                write!(f, "<{b:02x}>")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Ax25Frame {
        Ax25Frame {
            destination: Ax25Address::new("CQ", 0, true).unwrap(),
            source: Ax25Address::new("EA4GPZ", 11, false).unwrap(),
            digipeaters: vec![Ax25Address::new("WIDE1", 1, true).unwrap()],
            control: 0x03,
            pid: Some(0xF0),
            info: b"hello\r".to_vec(),
        }
    }

    #[test]
    fn golden_bytes() {
        let bytes = sample().to_bytes().unwrap();
        let expected: Vec<u8> = [
            // "CQ    " << 1, SSID octet with C bit
            0x86, 0xA2, 0x40, 0x40, 0x40, 0x40, 0xE0, // "EA4GPZ"-11
            0x8A, 0x82, 0x68, 0x8E, 0xA0, 0xB4, 0x76, // "WIDE1"-1, H bit, last address
            0xAE, 0x92, 0x88, 0x8A, 0x62, 0x40, 0xE3, 0x03, 0xF0, b'h', b'e', b'l', b'l', b'o',
            b'\r',
        ]
        .to_vec();
        assert_eq!(bytes, expected);
        assert_eq!(Ax25Frame::parse(&bytes).unwrap(), sample());
    }

    #[test]
    fn display_tnc2_style() {
        assert_eq!(
            sample().to_string(),
            "EA4GPZ-11>CQ,WIDE1-1* [ctl 0x03 pid 0xf0]:hello<0d>"
        );
    }

    #[test]
    fn structural_errors() {
        assert!(Ax25Frame::parse(&[0x86; 10]).is_err());
        let mut one_addr = vec![0x86, 0xA2, 0x40, 0x40, 0x40, 0x40, 0x61];
        one_addr.push(0x03);
        assert!(Ax25Frame::parse(&one_addr).is_err());
        let mut b = sample().to_bytes().unwrap();
        b.truncate(21); // addresses only, no control
        assert!(Ax25Frame::parse(&b).is_err());
        assert!(Ax25Address::new("TOOLONG", 0, false).is_err());
        assert!(Ax25Address::new("A", 16, false).is_err());
    }

    #[test]
    fn s_frame_has_no_pid() {
        let mut f = sample();
        f.control = 0x41; // RR
        f.pid = None;
        f.info.clear();
        let b = f.to_bytes().unwrap();
        assert_eq!(Ax25Frame::parse(&b).unwrap(), f);
    }
}
