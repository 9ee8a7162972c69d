//! Shortened Reed–Solomon codes over GF(2^8) (255 − pad, 255 − pad − nroots), wrapping the
//! `fec` crate's codec, with an independent check of every correction: the decoded
//! message is re-encoded and must lie within nroots/2 symbols of what was received.
//! That rejects a "correction" the decoder places in the virtual zero padding of a shortened
//! block, which a plain Berlekamp–Massey/Chien/Forney decoder may otherwise accept.

use fec::{RsDecoder, RsEncoder};

/// Which code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RsParams {
    /// Field generator polynomial with the x^8 term (e.g. 0x187).
    pub field_poly: u16,
    /// First consecutive root of the generator, as a power of alpha.
    pub first_root: u8,
    /// Power of alpha between consecutive roots.
    pub root_gap: u8,
    /// Parity symbols.
    pub nroots: usize,
}

impl RsParams {
    /// CCSDS (255,223), conventional basis (CCSDS 131.0-B-4 §4: F(x) = x^8+x^7+x^2+x+1,
    /// roots alpha^(11j), j = 112..143), as GOMspace AX100 radios use it.
    pub const CCSDS: RsParams = RsParams {
        field_poly: 0x187,
        first_root: 112,
        root_gap: 11,
        nroots: 32,
    };
}

/// Error from [`ShortenedRs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RsError(pub String);

impl std::fmt::Display for RsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Reed-Solomon: {}", self.0)
    }
}

impl std::error::Error for RsError {}

/// Encoder/decoder pair for one code, any shortening.
#[derive(Clone, Debug)]
pub struct ShortenedRs {
    params: RsParams,
    enc: RsEncoder,
    dec: RsDecoder,
}

impl ShortenedRs {
    /// Builds the codec; `nroots` must be even and between 2 and 254.
    pub fn new(params: RsParams) -> Result<Self, RsError> {
        if params.nroots < 2 || params.nroots > 254 || !params.nroots.is_multiple_of(2) {
            return Err(RsError(format!(
                "nroots {} must be even and within 2..=254",
                params.nroots
            )));
        }
        if params.field_poly & 0x100 == 0 || params.field_poly > 0x1FF {
            return Err(RsError(format!(
                "field polynomial 0x{:x} is not of degree 8",
                params.field_poly
            )));
        }
        Ok(Self {
            params,
            enc: RsEncoder::new(
                params.field_poly,
                params.first_root,
                params.root_gap,
                params.nroots,
            ),
            dec: RsDecoder::new(
                params.field_poly,
                params.first_root,
                params.root_gap,
                params.nroots,
            ),
        })
    }

    /// The code's parameters.
    pub fn params(&self) -> RsParams {
        self.params
    }

    /// Appends message + parity for `msg` (at most 255 − nroots bytes) to `output`.
    pub fn encode(&mut self, msg: &[u8], output: &mut Vec<u8>) -> Result<(), RsError> {
        let n = self.params.nroots;
        if msg.len() > 255 - n {
            return Err(RsError(format!(
                "message of {} bytes exceeds {}",
                msg.len(),
                255 - n
            )));
        }
        let mut block = vec![0u8; msg.len() + n];
        self.enc
            .encode(msg, &mut block)
            .map_err(|e| RsError(e.to_string()))?;
        output.extend_from_slice(&block);
        Ok(())
    }

    /// Decodes a (shortened) codeword of `nroots + 1 ..= 255` bytes, returning the message
    /// and the number of symbols corrected.
    pub fn decode(&mut self, codeword: &[u8]) -> Result<(Vec<u8>, usize), RsError> {
        let n = self.params.nroots;
        if codeword.len() <= n || codeword.len() > 255 {
            return Err(RsError(format!(
                "codeword of {} bytes outside {}..=255",
                codeword.len(),
                n + 1
            )));
        }
        let k = codeword.len() - n;
        let mut msg = vec![0u8; k];
        self.dec
            .decode(codeword, &mut msg)
            .map_err(|e| RsError(e.to_string()))?;
        let mut re = Vec::with_capacity(codeword.len());
        self.encode(&msg, &mut re)?;
        let diff = re.iter().zip(codeword).filter(|(a, b)| a != b).count();
        if diff > n / 2 {
            return Err(RsError(format!(
                "decoder result is {diff} symbols from the received word (more than {})",
                n / 2
            )));
        }
        Ok((msg, diff))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccsds_shortened_round_trip_with_errors() {
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        let msg: Vec<u8> = (0..60u8).map(|i| i.wrapping_mul(91)).collect();
        let mut cw = Vec::new();
        rs.encode(&msg, &mut cw).unwrap();
        assert_eq!(cw.len(), 92);
        for (i, p) in [
            0usize, 7, 20, 33, 50, 61, 70, 80, 85, 88, 89, 90, 91, 3, 5, 9,
        ]
        .iter()
        .enumerate()
        {
            cw[*p] ^= (i as u8) | 0x41;
        }
        let (dec, fixed) = rs.decode(&cw).unwrap();
        assert_eq!(dec, msg);
        assert_eq!(fixed, 16);
        cw[40] ^= 1; // 17 errors: beyond t = 16
        assert!(rs.decode(&cw).map(|(m, _)| m != msg).unwrap_or(true));
    }

    #[test]
    fn ccsds_generator_is_self_reciprocal() {
        // A zero message has zero parity. For the one-symbol message 1 the parity is the
        // generator's coefficients g_31..g_0; the CCSDS roots alpha^(11j), j = 112..143,
        // are closed under inversion (11·(112+143) = 11·255), so g is palindromic with
        // g_0 = g_32 = 1.
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        let mut cw = Vec::new();
        rs.encode(&[0u8; 10], &mut cw).unwrap();
        assert!(cw.iter().all(|&b| b == 0));
        let mut one = Vec::new();
        rs.encode(&[1u8], &mut one).unwrap();
        assert_eq!(one[32], 1);
        let g: Vec<u8> = one[1..32].to_vec();
        let rev: Vec<u8> = g.iter().rev().copied().collect();
        assert_eq!(g, rev);
    }

    #[test]
    fn rejects_bad_lengths() {
        let mut rs = ShortenedRs::new(RsParams::CCSDS).unwrap();
        assert!(rs.decode(&[0u8; 32]).is_err());
        assert!(rs.decode(&[0u8; 256]).is_err());
        assert!(rs.encode(&[0u8; 224], &mut Vec::new()).is_err());
        assert!(ShortenedRs::new(RsParams {
            nroots: 3,
            ..RsParams::CCSDS
        })
        .is_err());
    }
}
