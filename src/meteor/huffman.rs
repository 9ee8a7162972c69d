//! Huffman decoding with the standard JPEG luminance tables.
//!
//! Tables are given as in ITU-T T.81 Annex K: BITS (number of codes of each
//! length 1..=16) and HUFFVAL (symbols in order of increasing code). Codes are
//! generated canonically (T.81 Annex C, Figures C.1–C.2) and decoded with the
//! MINCODE/MAXCODE/VALPTR procedure of T.81 F.2.2.3 (Figure F.16). The Meteor
//! LRPT format description prescribes exactly these luminance DC (Table K.3)
//! and AC (Table K.5) tables; MSU-MR packets carry no table of their own.

/// T.81 Table K.3: luminance DC code lengths.
pub const DC_LUMINANCE_BITS: [u8; 16] = [0, 1, 5, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0];
/// T.81 Table K.3: luminance DC symbols (difference categories).
pub const DC_LUMINANCE_VALUES: [u8; 12] = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];

/// T.81 Table K.5: luminance AC code lengths.
pub const AC_LUMINANCE_BITS: [u8; 16] = [0, 2, 1, 3, 3, 2, 4, 3, 5, 5, 4, 4, 0, 0, 1, 0x7D];
/// T.81 Table K.5: luminance AC symbols, RRRRSSSS (zero run, size).
pub const AC_LUMINANCE_VALUES: [u8; 162] = [
    0x01, 0x02, 0x03, 0x00, 0x04, 0x11, 0x05, 0x12, 0x21, 0x31, 0x41, 0x06, 0x13, 0x51, 0x61, 0x07,
    0x22, 0x71, 0x14, 0x32, 0x81, 0x91, 0xA1, 0x08, 0x23, 0x42, 0xB1, 0xC1, 0x15, 0x52, 0xD1, 0xF0,
    0x24, 0x33, 0x62, 0x72, 0x82, 0x09, 0x0A, 0x16, 0x17, 0x18, 0x19, 0x1A, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2A, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3A, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49,
    0x4A, 0x53, 0x54, 0x55, 0x56, 0x57, 0x58, 0x59, 0x5A, 0x63, 0x64, 0x65, 0x66, 0x67, 0x68, 0x69,
    0x6A, 0x73, 0x74, 0x75, 0x76, 0x77, 0x78, 0x79, 0x7A, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89,
    0x8A, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9A, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7,
    0xA8, 0xA9, 0xAA, 0xB2, 0xB3, 0xB4, 0xB5, 0xB6, 0xB7, 0xB8, 0xB9, 0xBA, 0xC2, 0xC3, 0xC4, 0xC5,
    0xC6, 0xC7, 0xC8, 0xC9, 0xCA, 0xD2, 0xD3, 0xD4, 0xD5, 0xD6, 0xD7, 0xD8, 0xD9, 0xDA, 0xE1, 0xE2,
    0xE3, 0xE4, 0xE5, 0xE6, 0xE7, 0xE8, 0xE9, 0xEA, 0xF1, 0xF2, 0xF3, 0xF4, 0xF5, 0xF6, 0xF7, 0xF8,
    0xF9, 0xFA,
];

/// Reads bits MSB first from a byte slice.
#[derive(Debug, Clone)]
pub struct BitReader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> BitReader<'a> {
    pub fn new(data: &'a [u8]) -> Self {
        BitReader { data, pos: 0 }
    }

    /// Bits consumed so far.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Next bit, or `None` past the end of the data.
    pub fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.pos / 8)?;
        let b = (byte >> (7 - (self.pos % 8))) & 1;
        self.pos += 1;
        Some(u32::from(b))
    }

    /// Next `n` bits (n ≤ 16) as an unsigned number, or `None` if the data ends first.
    pub fn bits(&mut self, n: u32) -> Option<u32> {
        let mut v = 0;
        for _ in 0..n {
            v = (v << 1) | self.bit()?;
        }
        Some(v)
    }
}

/// Why a symbol could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HuffmanError {
    /// The bits ran out in the middle of a code.
    EndOfData,
    /// No code of 16 bits or fewer matches (corrupt data).
    InvalidCode,
}

/// A decoding table built from BITS/HUFFVAL.
#[derive(Debug, Clone)]
pub struct HuffmanTable {
    values: Vec<u8>,
    /// Smallest code of each length 1..=16 (index 0 unused).
    mincode: [i32; 17],
    /// Largest code of each length, or -1 when there is none.
    maxcode: [i32; 17],
    /// Index in `values` of the first symbol of each length.
    valptr: [usize; 17],
    /// (code, length) for each symbol value, for encoding.
    codes: Vec<Option<(u16, u8)>>,
}

impl HuffmanTable {
    /// Builds the canonical code (T.81 C.2). Panics are impossible: BITS and
    /// HUFFVAL must agree in count, which the constructor checks.
    pub fn new(bits: &[u8; 16], values: &[u8]) -> Result<Self, String> {
        let total: usize = bits.iter().map(|&b| usize::from(b)).sum();
        if total != values.len() {
            return Err(format!(
                "BITS count {total} codes but HUFFVAL has {} symbols",
                values.len()
            ));
        }
        let mut mincode = [0i32; 17];
        let mut maxcode = [-1i32; 17];
        let mut valptr = [0usize; 17];
        let mut codes = vec![None; 256];
        let mut code: i32 = 0;
        let mut k = 0usize;
        for len in 1..=16usize {
            let n = usize::from(bits[len - 1]);
            if n > 0 {
                valptr[len] = k;
                mincode[len] = code;
                for _ in 0..n {
                    if code >= (1 << len) {
                        return Err(format!("code table overflows at length {len}"));
                    }
                    codes[usize::from(values[k])] = Some((code as u16, len as u8));
                    code += 1;
                    k += 1;
                }
                maxcode[len] = code - 1;
            }
            code <<= 1;
        }
        Ok(HuffmanTable {
            values: values.to_vec(),
            mincode,
            maxcode,
            valptr,
            codes,
        })
    }

    /// The luminance DC table (T.81 K.3).
    pub fn dc_luminance() -> Self {
        // The constants are consistent (12 symbols, 12 codes).
        Self::new(&DC_LUMINANCE_BITS, &DC_LUMINANCE_VALUES).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// The luminance AC table (T.81 K.5).
    pub fn ac_luminance() -> Self {
        Self::new(&AC_LUMINANCE_BITS, &AC_LUMINANCE_VALUES).unwrap_or_else(|e| unreachable!("{e}"))
    }

    /// Decodes one symbol (T.81 Figure F.16).
    pub fn decode(&self, reader: &mut BitReader) -> Result<u8, HuffmanError> {
        let mut code = reader.bit().ok_or(HuffmanError::EndOfData)? as i32;
        for len in 1..=16usize {
            if self.maxcode[len] >= 0 && code <= self.maxcode[len] {
                let i = self.valptr[len] + (code - self.mincode[len]) as usize;
                return self.values.get(i).copied().ok_or(HuffmanError::InvalidCode);
            }
            if len == 16 {
                break;
            }
            code = (code << 1) | reader.bit().ok_or(HuffmanError::EndOfData)? as i32;
        }
        Err(HuffmanError::InvalidCode)
    }

    /// (code, length) of a symbol, for the encoder.
    pub fn code_of(&self, symbol: u8) -> Option<(u16, u8)> {
        self.codes[usize::from(symbol)]
    }
}

/// T.81 F.2.2.1 EXTEND: maps `size` received bits to a signed value.
pub fn extend(bits: u32, size: u32) -> i32 {
    if size == 0 {
        return 0;
    }
    let v = bits as i32;
    if v < (1 << (size - 1)) {
        v - (1 << size) + 1
    } else {
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Packs a string of '0'/'1' (spaces ignored) into bytes, padding with 1s
    /// as JPEG does.
    fn bits(s: &str) -> Vec<u8> {
        let v: Vec<u8> = s.bytes().filter(|b| *b != b' ').map(|b| b - b'0').collect();
        v.chunks(8)
            .map(|c| {
                let mut byte = 0u8;
                for i in 0..8 {
                    byte = (byte << 1) | c.get(i).copied().unwrap_or(1);
                }
                byte
            })
            .collect()
    }

    #[test]
    fn dc_codes_from_the_standard() {
        // T.81 Table K.3: category 0 = 00, 1 = 010, 5 = 110, 6 = 1110, 11 = 111111110.
        let dc = HuffmanTable::dc_luminance();
        let data = bits("00 010 110 1110 111111110");
        let mut r = BitReader::new(&data);
        let got: Vec<u8> = (0..5).map(|_| dc.decode(&mut r).unwrap()).collect();
        assert_eq!(got, vec![0, 1, 5, 6, 11]);
        assert_eq!(r.position(), 2 + 3 + 3 + 4 + 9);
    }

    #[test]
    fn ac_codes_from_the_standard() {
        // T.81 Table K.5: 0/1 = 00, 0/2 = 01, EOB = 1010, 1/1 = 1100,
        // ZRL (F/0) = 11111111001, 0/3 = 100, F/A = 1111111111111110.
        let ac = HuffmanTable::ac_luminance();
        let data = bits("00 01 1010 1100 11111111001 100 1111111111111110");
        let mut r = BitReader::new(&data);
        let got: Vec<u8> = (0..7).map(|_| ac.decode(&mut r).unwrap()).collect();
        assert_eq!(got, vec![0x01, 0x02, 0x00, 0x11, 0xF0, 0x03, 0xFA]);
        assert_eq!(ac.code_of(0x00), Some((0b1010, 4)));
        assert_eq!(ac.code_of(0xF0), Some((0b11111111001, 11)));
        assert_eq!(ac.code_of(0xFA), Some((0xFFFE, 16)));
    }

    #[test]
    fn invalid_and_truncated_codes() {
        let ac = HuffmanTable::ac_luminance();
        // Sixteen ones is no code in K.5.
        let mut r = BitReader::new(&[0xFF, 0xFF]);
        assert_eq!(ac.decode(&mut r), Err(HuffmanError::InvalidCode));
        // A code cut by the end of the data.
        let mut r = BitReader::new(&[0xFF]);
        assert_eq!(ac.decode(&mut r), Err(HuffmanError::EndOfData));
        let dc = HuffmanTable::dc_luminance();
        let mut r = BitReader::new(&[0xFF, 0x80]); // 111111111: no DC code of 9 ones
        assert!(dc.decode(&mut r).is_err());
    }

    #[test]
    fn every_ac_symbol_round_trips() {
        let ac = HuffmanTable::ac_luminance();
        for &sym in AC_LUMINANCE_VALUES.iter() {
            let (code, len) = ac.code_of(sym).unwrap();
            let s: String = (0..len)
                .rev()
                .map(|i| if code >> i & 1 == 1 { '1' } else { '0' })
                .collect();
            let data = bits(&s);
            let mut r = BitReader::new(&data);
            assert_eq!(ac.decode(&mut r), Ok(sym), "symbol {sym:#04x}");
        }
    }

    #[test]
    fn extend_maps_sizes_to_signed_values() {
        // T.81 Table F.1: size 3 covers -7..-4 and 4..7.
        assert_eq!(extend(0b000, 3), -7);
        assert_eq!(extend(0b011, 3), -4);
        assert_eq!(extend(0b100, 3), 4);
        assert_eq!(extend(0b111, 3), 7);
        assert_eq!(extend(0, 1), -1);
        assert_eq!(extend(1, 1), 1);
        assert_eq!(extend(0, 0), 0);
    }

    #[test]
    fn mismatched_table_is_rejected() {
        assert!(HuffmanTable::new(&[1; 16], &[0, 1]).is_err());
    }
}
