//! Table-driven CRC-16 in the parameterisation of the "Catalogue of parametrised CRC
//! algorithms" (R. Williams' model: poly, init, reflect, xorout), covering the variants the
//! cubesat framings use.

/// Parameters of one CRC-16 variant (Williams model; `reflect` covers both refin and refout,
/// which are equal for every variant used here).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Crc16Params {
    /// Generator polynomial, normal (MSB-first) form without the x^16 term.
    pub poly: u16,
    /// Register value before the first byte.
    pub init: u16,
    /// Bytes enter least significant bit first and the result is bit-reversed.
    pub reflect: bool,
    /// XORed into the register after the last byte.
    pub xorout: u16,
}

/// A CRC-16 calculator for one parameter set, with a 256-entry table built once.
#[derive(Clone, Debug)]
pub struct Crc16 {
    params: Crc16Params,
    table: [u16; 256],
}

impl Crc16 {
    /// CRC-16/IBM-SDLC ("X.25"): the AX.25 / HDLC frame check sequence (ISO/IEC 13239,
    /// AX.25 v2.2 §3.8). Check value for "123456789" is 0x906E.
    pub const X25: Crc16Params = Crc16Params {
        poly: 0x1021,
        init: 0xFFFF,
        reflect: true,
        xorout: 0xFFFF,
    };
    /// CRC-16/IBM-3740 (often called "CCITT-FALSE"). Check 0x29B1.
    pub const CCITT_FALSE: Crc16Params = Crc16Params {
        poly: 0x1021,
        init: 0xFFFF,
        reflect: false,
        xorout: 0,
    };
    /// CRC-16/KERMIT (reflected CCITT, zero init). Check 0x2189.
    pub const KERMIT: Crc16Params = Crc16Params {
        poly: 0x1021,
        init: 0,
        reflect: true,
        xorout: 0,
    };
    /// CRC-16/XMODEM (CCITT, zero init). Check 0x31C3.
    pub const XMODEM: Crc16Params = Crc16Params {
        poly: 0x1021,
        init: 0,
        reflect: false,
        xorout: 0,
    };
    /// CRC-16/ARC, used by the TT-64 framing (AT03). Check 0xBB3D.
    pub const ARC: Crc16Params = Crc16Params {
        poly: 0x8005,
        init: 0,
        reflect: true,
        xorout: 0,
    };
    /// CRC-16/CMS: the CRC of TI CC11xx radios (TI app note SWRA111) and of Si446x
    /// packet handlers configured the same way (Lucky-7). Check 0xAEE7.
    pub const CC11XX: Crc16Params = Crc16Params {
        poly: 0x8005,
        init: 0xFFFF,
        reflect: false,
        xorout: 0,
    };

    /// Builds the lookup table for `params`.
    pub fn new(params: Crc16Params) -> Self {
        let mut table = [0u16; 256];
        if params.reflect {
            let rpoly = params.poly.reverse_bits();
            for (i, entry) in table.iter_mut().enumerate() {
                let mut r = i as u16;
                for _ in 0..8 {
                    r = if r & 1 != 0 { (r >> 1) ^ rpoly } else { r >> 1 };
                }
                *entry = r;
            }
        } else {
            for (i, entry) in table.iter_mut().enumerate() {
                let mut r = (i as u16) << 8;
                for _ in 0..8 {
                    r = if r & 0x8000 != 0 {
                        (r << 1) ^ params.poly
                    } else {
                        r << 1
                    };
                }
                *entry = r;
            }
        }
        Self { params, table }
    }

    /// The parameters this calculator was built for.
    pub fn params(&self) -> Crc16Params {
        self.params
    }

    /// Register value before any data (the internal state, in the variant's bit order).
    pub fn start(&self) -> u16 {
        if self.params.reflect {
            self.params.init.reverse_bits()
        } else {
            self.params.init
        }
    }

    /// Feeds `data` into the running register `reg` and returns the new register.
    pub fn update(&self, mut reg: u16, data: &[u8]) -> u16 {
        if self.params.reflect {
            for &b in data {
                reg = (reg >> 8) ^ self.table[((reg ^ b as u16) & 0xFF) as usize];
            }
        } else {
            for &b in data {
                reg = (reg << 8) ^ self.table[(((reg >> 8) ^ b as u16) & 0xFF) as usize];
            }
        }
        reg
    }

    /// Turns a running register into the final CRC value.
    pub fn finish(&self, reg: u16) -> u16 {
        reg ^ self.params.xorout
    }

    /// CRC of `data` in one call.
    pub fn checksum(&self, data: &[u8]) -> u16 {
        self.finish(self.update(self.start(), data))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHECK: &[u8] = b"123456789";

    #[test]
    fn catalogue_check_values() {
        assert_eq!(Crc16::new(Crc16::X25).checksum(CHECK), 0x906E);
        assert_eq!(Crc16::new(Crc16::CCITT_FALSE).checksum(CHECK), 0x29B1);
        assert_eq!(Crc16::new(Crc16::KERMIT).checksum(CHECK), 0x2189);
        assert_eq!(Crc16::new(Crc16::XMODEM).checksum(CHECK), 0x31C3);
        assert_eq!(Crc16::new(Crc16::ARC).checksum(CHECK), 0xBB3D);
        assert_eq!(Crc16::new(Crc16::CC11XX).checksum(CHECK), 0xAEE7);
    }

    #[test]
    fn streaming_equals_one_shot() {
        let crc = Crc16::new(Crc16::X25);
        let mut reg = crc.start();
        for chunk in CHECK.chunks(2) {
            reg = crc.update(reg, chunk);
        }
        assert_eq!(crc.finish(reg), crc.checksum(CHECK));
    }

    #[test]
    fn x25_residue_over_data_and_fcs() {
        // An AX.25 FCS is sent low byte first; running the register over data+FCS leaves
        // the catalogue's residue 0xF0B8 (register before xorout).
        let crc = Crc16::new(Crc16::X25);
        let fcs = crc.checksum(CHECK);
        let mut framed = CHECK.to_vec();
        framed.extend_from_slice(&fcs.to_le_bytes());
        assert_eq!(
            crc.finish(crc.update(crc.start(), &framed)) ^ 0xFFFF,
            0xF0B8
        );
    }

    #[test]
    fn non_reflected_crc_appended_big_endian_gives_zero() {
        for p in [Crc16::CC11XX, Crc16::XMODEM, Crc16::CCITT_FALSE] {
            let crc = Crc16::new(p);
            let mut framed = CHECK.to_vec();
            framed.extend_from_slice(&crc.checksum(CHECK).to_be_bytes());
            assert_eq!(crc.checksum(&framed), 0);
        }
        let arc = Crc16::new(Crc16::ARC);
        let mut framed = CHECK.to_vec();
        framed.extend_from_slice(&arc.checksum(CHECK).to_le_bytes());
        assert_eq!(arc.checksum(&framed), 0);
    }
}
