//! CCSDS Reed–Solomon code, CCSDS 131.0-B-2 §4.
//!
//! * Symbols are 8 bits (J = 8, §4.3.1), field generator F(x) = x⁸+x⁷+x²+x+1 (§4.3.2 (4)).
//! * Code generator g(x) = ∏_{j=128−E}^{127+E} (x − α^{11j}) (§4.3.2 (5)), so with β = α¹¹
//!   the roots are β^{fcr+k}, fcr = 128 − E, k = 0..2E. E = 16 gives (255, 223), E = 8
//!   gives (255, 239).
//! * Interleaving depth I (§4.3.5, §4.4.1): codeword i holds bytes i, i+I, i+2I, … of the
//!   codeblock, so a burst of errors spreads over the I codewords.
//! * Shortening by virtual fill (§4.3.7): q leading zero symbols are neither sent nor
//!   stored, so each codeword has n = 255 − q bytes on the wire.
//! * Basis (§4.3.9, Annex F): CCSDS puts symbols on the wire in Berlekamp's dual basis;
//!   some missions (Meteor-M LRPT) send the conventional (power-of-α) representation.
//!
//! Decoding: syndromes by Horner's rule with one 256-byte multiply table per root (an
//! error-free codeword costs 2E table look-ups per byte and nothing more), then
//! Berlekamp–Massey, a Chien search limited to the positions that exist, and Forney.
//!
//! A constant codeword (all bytes equal, e.g. all zero or all 0xFF) *is* a valid codeword
//! of the unshortened code (every root β^j ≠ 1, so Σ β^{ji} = 0), and so is the CCSDS
//! pseudo-random sequence itself (and its complement) for interleave depths 1, 2, 4 and 8:
//! an all-zero or all-one frame on the wire de-randomises into a valid codeblock. This
//! layer reports such blocks as valid; rejecting them is the job of the frame layer (see
//! `CcsdsDecoder`).

use std::fmt;

/// Field generator polynomial F(x) = x⁸+x⁷+x²+x+1 (CCSDS 131.0-B-2 §4.3.2 (4)).
pub const RS_FIELD_POLY: u16 = 0x187;
/// Exponent step between consecutive generator roots: roots are α^{11j} (§4.3.2 (5)).
pub const RS_ROOT_STEP: usize = 11;
/// Full codeword length in symbols, 2^J − 1.
pub const RS_N: usize = 255;

/// How the 8 bits of a symbol are written on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RsBasis {
    /// Power-of-α coefficients, u7 (α⁷) first. Meteor-M LRPT uses this.
    Conventional,
    /// Berlekamp's dual basis as CCSDS 131.0-B-2 §4.3.9 specifies, z0 first.
    Dual,
}

/// Parameters of [`ReedSolomon`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReedSolomonConfig {
    /// Interleaving depth I, 1..=8 (CCSDS allows 1–5 and 8).
    pub interleave_depth: usize,
    /// Symbol representation on the wire.
    pub basis: RsBasis,
    /// E, symbols correctable per codeword: 16 for (255, 223) or 8 for (255, 239).
    pub correctable_symbols: usize,
    /// q, virtual-fill (shortening) symbols per codeword, 0..=254−2E.
    pub virtual_fill_symbols: usize,
}

impl ReedSolomonConfig {
    /// Meteor-M LRPT: (255, 223), interleave 4, conventional basis, no shortening.
    pub const METEOR: Self = Self {
        interleave_depth: 4,
        basis: RsBasis::Conventional,
        correctable_symbols: 16,
        virtual_fill_symbols: 0,
    };

    /// Standard CCSDS (255, 223) in the dual basis with the given interleave depth.
    pub const fn ccsds(interleave_depth: usize) -> Self {
        Self {
            interleave_depth,
            basis: RsBasis::Dual,
            correctable_symbols: 16,
            virtual_fill_symbols: 0,
        }
    }
}

/// Errors of [`ReedSolomon`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RsError {
    /// The configuration cannot describe a CCSDS Reed–Solomon code.
    InvalidConfig(String),
    /// The slice handed over is not one codeblock long.
    BlockLength {
        /// Bytes the configuration implies.
        expected: usize,
        /// Bytes received.
        actual: usize,
    },
    /// At least one interleaved codeword had more errors than the code can correct.
    /// The codewords that could be corrected were corrected anyway.
    Uncorrectable {
        /// How many of the I codewords failed.
        failed_codewords: usize,
        /// Symbols corrected in the codewords that did decode.
        corrected_symbols: usize,
    },
}

impl fmt::Display for RsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RsError::InvalidConfig(msg) => write!(f, "invalid Reed-Solomon configuration: {msg}"),
            RsError::BlockLength { expected, actual } => write!(
                f,
                "Reed-Solomon codeblock must be {expected} bytes, got {actual}"
            ),
            RsError::Uncorrectable {
                failed_codewords,
                corrected_symbols,
            } => write!(
                f,
                "Reed-Solomon: {failed_codewords} codeword(s) uncorrectable \
                 ({corrected_symbols} symbols corrected in the others)"
            ),
        }
    }
}

impl std::error::Error for RsError {}

/// GF(256) arithmetic for F(x) = 0x187 with log/antilog tables.
struct Field {
    /// α^i for i in 0..510 (doubled so a sum of two logs needs no reduction).
    exp: [u8; 512],
    /// log_α(x); log[0] is unused.
    log: [u16; 256],
}

impl Field {
    fn new() -> Self {
        let mut exp = [0u8; 512];
        let mut log = [0u16; 256];
        let mut x: u16 = 1;
        for i in 0..255 {
            exp[i] = x as u8;
            exp[i + 255] = x as u8;
            log[x as usize] = i as u16;
            x <<= 1;
            if x & 0x100 != 0 {
                x ^= RS_FIELD_POLY;
            }
        }
        exp[510] = exp[0];
        exp[511] = exp[1];
        Self { exp, log }
    }

    #[inline(always)]
    fn mul(&self, a: u8, b: u8) -> u8 {
        if a == 0 || b == 0 {
            0
        } else {
            self.exp[(self.log[a as usize] + self.log[b as usize]) as usize]
        }
    }

    #[inline(always)]
    fn div(&self, a: u8, b: u8) -> u8 {
        debug_assert!(b != 0);
        if a == 0 {
            0
        } else {
            self.exp[(self.log[a as usize] + 255 - self.log[b as usize]) as usize]
        }
    }

    /// α^e for any (possibly negative) exponent.
    #[inline(always)]
    fn pow_alpha(&self, e: i64) -> u8 {
        self.exp[e.rem_euclid(255) as usize]
    }

    /// Trace of x: Σ x^(2^k), k = 0..8; always 0 or 1.
    fn trace(&self, x: u8) -> u8 {
        let mut acc = 0u8;
        let mut y = x;
        for _ in 0..8 {
            acc ^= y;
            y = self.mul(y, y);
        }
        acc
    }
}

/// Reed–Solomon encoder/decoder for one configuration. Immutable after construction, so
/// one instance can serve several threads.
pub struct ReedSolomon {
    config: ReedSolomonConfig,
    field: Field,
    /// 2E, the number of parity symbols per codeword.
    parity: usize,
    /// First consecutive root exponent (in powers of β = α¹¹): 128 − E.
    fcr: usize,
    /// Symbols per codeword on the wire, 255 − q.
    n: usize,
    /// syndrome_tables[k][x] = x · β^(fcr+k).
    syndrome_tables: Vec<[u8; 256]>,
    /// encode_table[f][j] = f · G_{2E−1−j}: the parity update for feedback symbol f.
    encode_table: Vec<[u8; 32]>,
    /// Conventional → dual basis, and back (CCSDS 131.0-B-2 §4.3.9, Annex F).
    to_dual: [u8; 256],
    from_dual: [u8; 256],
}

impl fmt::Debug for ReedSolomon {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReedSolomon")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl ReedSolomon {
    /// Builds the tables for `config`.
    pub fn new(config: ReedSolomonConfig) -> Result<Self, RsError> {
        let e = config.correctable_symbols;
        if e != 8 && e != 16 {
            return Err(RsError::InvalidConfig(format!(
                "correctable_symbols must be 8 or 16 (CCSDS 131.0-B-2 §4.3.1), got {e}"
            )));
        }
        if !(1..=8).contains(&config.interleave_depth) {
            return Err(RsError::InvalidConfig(format!(
                "interleave_depth must be 1..=8, got {}",
                config.interleave_depth
            )));
        }
        let parity = 2 * e;
        if config.virtual_fill_symbols > RS_N - parity - 1 {
            return Err(RsError::InvalidConfig(format!(
                "virtual_fill_symbols must leave at least one data symbol: at most {}, got {}",
                RS_N - parity - 1,
                config.virtual_fill_symbols
            )));
        }
        let field = Field::new();
        let fcr = 128 - e;

        let syndrome_tables = (0..parity)
            .map(|k| {
                let root = field.pow_alpha((RS_ROOT_STEP * (fcr + k)) as i64);
                let mut t = [0u8; 256];
                for (x, v) in t.iter_mut().enumerate() {
                    *v = field.mul(x as u8, root);
                }
                t
            })
            .collect();

        // g(x) = ∏ (x + β^(fcr+k)), coefficients g[i] of x^i.
        let mut g = vec![0u8; parity + 1];
        g[0] = 1;
        for k in 0..parity {
            let root = field.pow_alpha((RS_ROOT_STEP * (fcr + k)) as i64);
            for i in (0..=k + 1).rev() {
                let shifted = if i > 0 { g[i - 1] } else { 0 };
                g[i] = shifted ^ field.mul(g[i], root);
            }
        }
        let encode_table = (0..256usize)
            .map(|f| {
                let mut row = [0u8; 32];
                for (j, v) in row.iter_mut().enumerate().take(parity) {
                    *v = field.mul(f as u8, g[parity - 1 - j]);
                }
                row
            })
            .collect();

        // Dual basis: z_i = Tr(x · β^i) with β = α^117 (§4.4.2), z0 the MSB on the wire.
        let mut to_dual = [0u8; 256];
        let mut from_dual = [0u8; 256];
        let beta_powers: Vec<u8> = (0..8).map(|i| field.pow_alpha(117 * i)).collect();
        for (x, slot) in to_dual.iter_mut().enumerate() {
            let mut z = 0u8;
            for (i, &b) in beta_powers.iter().enumerate() {
                z |= field.trace(field.mul(x as u8, b)) << (7 - i);
            }
            *slot = z;
            from_dual[z as usize] = x as u8;
        }

        Ok(Self {
            config,
            field,
            parity,
            fcr,
            n: RS_N - config.virtual_fill_symbols,
            syndrome_tables,
            encode_table,
            to_dual,
            from_dual,
        })
    }

    /// The configuration this codec was built with.
    pub fn config(&self) -> &ReedSolomonConfig {
        &self.config
    }

    /// Bytes in one interleaved codeblock: I · (255 − q).
    pub fn codeblock_len(&self) -> usize {
        self.config.interleave_depth * self.n
    }

    /// Data bytes in one codeblock (the part before the parity): I · (255 − q − 2E).
    pub fn data_len(&self) -> usize {
        self.config.interleave_depth * (self.n - self.parity)
    }

    /// Conventional → dual basis for one symbol (CCSDS 131.0-B-2 Annex F, Tα).
    pub fn conventional_to_dual(&self, x: u8) -> u8 {
        self.to_dual[x as usize]
    }

    /// Dual → conventional basis for one symbol (Tα⁻¹).
    pub fn dual_to_conventional(&self, z: u8) -> u8 {
        self.from_dual[z as usize]
    }

    fn check_len(&self, block: &[u8]) -> Result<(), RsError> {
        if block.len() != self.codeblock_len() {
            return Err(RsError::BlockLength {
                expected: self.codeblock_len(),
                actual: block.len(),
            });
        }
        Ok(())
    }

    /// Fills the parity of a codeblock whose first [`data_len`](Self::data_len) bytes
    /// hold the data (in the configured basis). The last I·2E bytes are overwritten.
    pub fn encode(&self, block: &mut [u8]) -> Result<(), RsError> {
        self.check_len(block)?;
        let depth = self.config.interleave_depth;
        let data_symbols = self.n - self.parity;
        let dual = self.config.basis == RsBasis::Dual;
        for cw in 0..depth {
            let mut p = [0u8; 32];
            for j in 0..data_symbols {
                let mut d = block[cw + j * depth];
                if dual {
                    d = self.from_dual[d as usize];
                }
                let fb = d ^ p[0];
                let row = &self.encode_table[fb as usize];
                for t in 0..self.parity - 1 {
                    p[t] = p[t + 1] ^ row[t];
                }
                p[self.parity - 1] = row[self.parity - 1];
            }
            for (t, &v) in p.iter().enumerate().take(self.parity) {
                block[cw + (data_symbols + t) * depth] =
                    if dual { self.to_dual[v as usize] } else { v };
            }
        }
        Ok(())
    }

    /// Corrects a codeblock in place. Returns the number of symbols corrected over all I
    /// codewords, or [`RsError::Uncorrectable`] if any codeword could not be corrected
    /// (the others are still corrected in place).
    pub fn decode(&self, block: &mut [u8]) -> Result<usize, RsError> {
        self.check_len(block)?;
        let depth = self.config.interleave_depth;
        let dual = self.config.basis == RsBasis::Dual;
        let mut corrected = 0;
        let mut failed = 0;
        let mut cw = [0u8; RS_N];
        let n = self.n;
        for i in 0..depth {
            for (j, slot) in cw[..n].iter_mut().enumerate() {
                let v = block[i + j * depth];
                *slot = if dual { self.from_dual[v as usize] } else { v };
            }
            match self.decode_codeword(&mut cw[..n]) {
                Some(0) => {}
                Some(count) => {
                    corrected += count;
                    for (j, &v) in cw[..n].iter().enumerate() {
                        block[i + j * depth] = if dual { self.to_dual[v as usize] } else { v };
                    }
                }
                None => failed += 1,
            }
        }
        if failed > 0 {
            Err(RsError::Uncorrectable {
                failed_codewords: failed,
                corrected_symbols: corrected,
            })
        } else {
            Ok(corrected)
        }
    }

    /// Whether g(x) divides r(x), for 2E = 32: the encoder's shift register run over the
    /// whole received word leaves r(x)·x^32 mod g(x), zero exactly when every syndrome
    /// is (g's roots are the syndromes' roots and x^32 shares none). An error-free
    /// codeword, nearly every one of a good pass, is recognised with one 32-byte row XOR
    /// per symbol instead of 32 table look-ups.
    fn divisible_by_generator(&self, r: &[u8]) -> bool {
        let rows: &[[u8; 32]] = &self.encode_table;
        let mut p = [0u8; 32];
        for &byte in r {
            let row = &rows[(byte ^ p[0]) as usize];
            let mut next = [0u8; 32];
            next[..31].copy_from_slice(&p[1..]);
            for (n, &g) in next.iter_mut().zip(row) {
                *n ^= g;
            }
            p = next;
        }
        p == [0u8; 32]
    }

    /// The 2E syndromes of a conventional-basis word (the rest of the array zero).
    fn syndromes(&self, r: &[u8]) -> [u8; 32] {
        let mut s = [0u8; 32];
        // Horner's rule, all roots at once; the leading virtual-fill zeros add nothing.
        if let Ok(tables) = <&[[u8; 256]; 32]>::try_from(&self.syndrome_tables[..]) {
            for &byte in r.iter() {
                for (sk, table) in s.iter_mut().zip(tables.iter()) {
                    *sk = table[*sk as usize] ^ byte;
                }
            }
        } else {
            for &byte in r.iter() {
                for (sk, table) in s.iter_mut().zip(self.syndrome_tables.iter()) {
                    *sk = table[*sk as usize] ^ byte;
                }
            }
        }
        s
    }

    /// Decodes one conventional-basis codeword of n = 255 − q symbols in place. `None`
    /// when uncorrectable (the codeword is then left untouched).
    fn decode_codeword(&self, r: &mut [u8]) -> Option<usize> {
        let two_e = self.parity;
        if two_e == 32 && self.divisible_by_generator(r) {
            return Some(0);
        }
        let s = self.syndromes(r);
        if s[..two_e].iter().all(|&x| x == 0) {
            return Some(0);
        }
        let f = &self.field;

        // Berlekamp–Massey: shortest LFSR Λ(x) generating the syndromes.
        let mut lambda = [0u8; 33];
        let mut prev = [0u8; 33];
        lambda[0] = 1;
        prev[0] = 1;
        let mut l = 0usize;
        let mut m = 1usize;
        let mut b = 1u8;
        for step in 0..two_e {
            let mut d = s[step];
            for i in 1..=l {
                d ^= f.mul(lambda[i], s[step - i]);
            }
            if d == 0 {
                m += 1;
                continue;
            }
            let coef = f.div(d, b);
            if 2 * l <= step {
                let saved = lambda;
                for i in 0..=(two_e - m) {
                    lambda[i + m] ^= f.mul(coef, prev[i]);
                }
                l = step + 1 - l;
                prev = saved;
                b = d;
                m = 1;
            } else {
                for i in 0..=(two_e - m) {
                    lambda[i + m] ^= f.mul(coef, prev[i]);
                }
                m += 1;
            }
        }
        if l == 0 || l > two_e / 2 || lambda[l] == 0 {
            return None;
        }

        // Chien search over the powers p that exist (0..n): Λ(β^−p) = 0.
        let n = r.len();
        let mut roots = [0usize; 16];
        let mut found = 0;
        let mut term_log = [0i32; 17];
        let mut term_step = [0i32; 17];
        let mut active = [false; 17];
        for i in 0..=l {
            if lambda[i] != 0 {
                active[i] = true;
                term_log[i] = f.log[lambda[i] as usize] as i32;
                term_step[i] = ((RS_ROOT_STEP * i) % 255) as i32;
            }
        }
        for p in 0..n {
            let mut sum = 0u8;
            for i in 0..=l {
                if active[i] {
                    sum ^= f.exp[term_log[i] as usize];
                    term_log[i] -= term_step[i];
                    if term_log[i] < 0 {
                        term_log[i] += 255;
                    }
                }
            }
            if sum == 0 {
                if found == l {
                    return None;
                }
                roots[found] = p;
                found += 1;
            }
        }
        if found != l {
            return None;
        }

        // Forney: Y = X^(1−fcr) Ω(X⁻¹) / Λ'(X⁻¹), Ω = S·Λ mod x^2E.
        let mut omega = [0u8; 32];
        for (i, o) in omega.iter_mut().enumerate().take(two_e) {
            let mut acc = 0u8;
            for j in 0..=i.min(l) {
                acc ^= f.mul(lambda[j], s[i - j]);
            }
            *o = acc;
        }
        let mut fixes = [(0usize, 0u8); 16];
        for (slot, &p) in fixes.iter_mut().zip(roots.iter()).take(found) {
            let x_log = (RS_ROOT_STEP * p) as i64; // log_α of X = β^p
            let x_inv_log = -x_log;
            let mut num = 0u8;
            for (i, &o) in omega.iter().enumerate().take(two_e) {
                if o != 0 {
                    num ^= f.mul(o, f.pow_alpha(x_inv_log * i as i64));
                }
            }
            let mut den = 0u8;
            for i in (1..=l).step_by(2) {
                if lambda[i] != 0 {
                    den ^= f.mul(lambda[i], f.pow_alpha(x_inv_log * (i as i64 - 1)));
                }
            }
            if den == 0 {
                return None;
            }
            let scale = f.pow_alpha(x_log * (1 - self.fcr as i64));
            let y = f.mul(f.div(num, den), scale);
            if y == 0 {
                return None;
            }
            *slot = (n - 1 - p, y);
        }
        for &(index, y) in &fixes[..found] {
            r[index] ^= y;
        }
        Some(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg(seed: &mut u64) -> u8 {
        *seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (*seed >> 33) as u8
    }

    #[test]
    fn dual_basis_matches_ccsds_annex_anchors() {
        // Rows of Tα (CCSDS 131.0-B-2 §4.3.9): α⁰ → 0x7B, α¹ → 0xAF, α⁷ → 0x8D.
        let rs = ReedSolomon::new(ReedSolomonConfig::ccsds(1)).unwrap();
        assert_eq!(rs.conventional_to_dual(0x00), 0x00);
        assert_eq!(rs.conventional_to_dual(0x01), 0x7B);
        assert_eq!(rs.conventional_to_dual(0x02), 0xAF);
        assert_eq!(rs.conventional_to_dual(0x04), 0x99);
        assert_eq!(rs.conventional_to_dual(0x80), 0x8D);
        for x in 0..=255u8 {
            assert_eq!(rs.dual_to_conventional(rs.conventional_to_dual(x)), x);
        }
    }

    #[test]
    fn generator_roots_are_codeword_roots() {
        // A single parity computation: the encoded codeword must have all-zero syndromes,
        // and changing any one byte must make decode fix exactly that byte.
        for basis in [RsBasis::Conventional, RsBasis::Dual] {
            let cfg = ReedSolomonConfig {
                interleave_depth: 1,
                basis,
                correctable_symbols: 16,
                virtual_fill_symbols: 0,
            };
            let rs = ReedSolomon::new(cfg).unwrap();
            let mut seed = 7;
            let mut block: Vec<u8> = (0..255).map(|_| lcg(&mut seed)).collect();
            rs.encode(&mut block).unwrap();
            let clean = block.clone();
            assert_eq!(rs.decode(&mut block.clone()), Ok(0));
            for pos in [0usize, 1, 100, 222, 223, 254] {
                let mut b = clean.clone();
                b[pos] ^= 0x5A;
                assert_eq!(rs.decode(&mut b), Ok(1), "{basis:?} pos {pos}");
                assert_eq!(b, clean);
            }
        }
    }

    #[test]
    fn generator_division_agrees_with_the_syndromes() {
        // The clean-codeword shortcut must say "divisible" exactly when all 32 syndromes
        // are zero: on codewords, and on every single-symbol error (each position, several
        // values) and many random multi-symbol ones, shortened code included.
        for fill in [0usize, 32] {
            let cfg = ReedSolomonConfig {
                interleave_depth: 1,
                basis: RsBasis::Conventional,
                correctable_symbols: 16,
                virtual_fill_symbols: fill,
            };
            let rs = ReedSolomon::new(cfg).unwrap();
            let n = 255 - fill;
            let mut seed = 99 + fill as u64;
            for _ in 0..4 {
                let mut cw: Vec<u8> = (0..n).map(|_| lcg(&mut seed)).collect();
                rs.encode(&mut cw).unwrap();
                assert!(rs.divisible_by_generator(&cw));
                assert_eq!(rs.syndromes(&cw), [0u8; 32]);
                let agree = |w: &[u8]| {
                    let zero = rs.syndromes(w) == [0u8; 32];
                    assert_eq!(rs.divisible_by_generator(w), zero);
                    zero
                };
                for pos in 0..n {
                    for v in [1u8, 0x80, 0x5A, 0xFF] {
                        let mut w = cw.clone();
                        w[pos] ^= v;
                        assert!(!agree(&w), "pos {pos} value {v}");
                    }
                }
                for k in 0..2000 {
                    let mut w = cw.clone();
                    for _ in 0..(2 + k % 40) {
                        let pos = lcg(&mut seed) as usize % n;
                        w[pos] ^= lcg(&mut seed);
                    }
                    agree(&w);
                }
            }
        }
    }

    #[test]
    fn corrects_up_to_e_and_fails_beyond() {
        for (e, depth, fill) in [
            (16usize, 4usize, 0usize),
            (16, 1, 33),
            (8, 2, 0),
            (16, 8, 100),
        ] {
            let cfg = ReedSolomonConfig {
                interleave_depth: depth,
                basis: RsBasis::Dual,
                correctable_symbols: e,
                virtual_fill_symbols: fill,
            };
            let rs = ReedSolomon::new(cfg).unwrap();
            let mut seed = 99 + e as u64;
            let mut block: Vec<u8> = (0..rs.codeblock_len()).map(|_| lcg(&mut seed)).collect();
            rs.encode(&mut block).unwrap();
            let clean = block.clone();
            let n = 255 - fill;
            for errors in 0..=e {
                let mut b = clean.clone();
                for cw in 0..depth {
                    // Distinct positions in codeword cw.
                    let mut positions: Vec<usize> = Vec::new();
                    while positions.len() < errors {
                        let p = (lcg(&mut seed) as usize * 7 + lcg(&mut seed) as usize) % n;
                        if !positions.contains(&p) {
                            positions.push(p);
                        }
                    }
                    for p in positions {
                        b[cw + p * depth] ^= lcg(&mut seed) | 1;
                    }
                }
                assert_eq!(
                    rs.decode(&mut b),
                    Ok(errors * depth),
                    "E={e} I={depth} q={fill} errors={errors}"
                );
                assert_eq!(b, clean);
            }
            // E+1 errors in codeword 0: either reported uncorrectable or (rarely) a
            // miscorrection to another codeword; never a "fix" back to the original.
            let mut failures = 0;
            for trial in 0..20 {
                let mut b = clean.clone();
                for k in 0..=e {
                    b[(k * 13 + trial) % n * depth] ^= 0x33;
                }
                match rs.decode(&mut b) {
                    Err(RsError::Uncorrectable {
                        failed_codewords: 1,
                        ..
                    }) => failures += 1,
                    Ok(_) => assert_ne!(b, clean),
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert!(failures >= 18, "E={e}: only {failures}/20 detected");
        }
    }

    #[test]
    fn rejects_bad_config_and_length() {
        let bad = ReedSolomonConfig {
            interleave_depth: 9,
            ..ReedSolomonConfig::METEOR
        };
        assert!(matches!(
            ReedSolomon::new(bad),
            Err(RsError::InvalidConfig(_))
        ));
        let bad_e = ReedSolomonConfig {
            correctable_symbols: 10,
            ..ReedSolomonConfig::METEOR
        };
        assert!(ReedSolomon::new(bad_e).is_err());
        let rs = ReedSolomon::new(ReedSolomonConfig::METEOR).unwrap();
        assert_eq!(rs.codeblock_len(), 1020);
        assert_eq!(rs.data_len(), 892);
        let mut short = vec![0u8; 1000];
        assert_eq!(
            rs.decode(&mut short),
            Err(RsError::BlockLength {
                expected: 1020,
                actual: 1000
            })
        );
    }

    #[test]
    fn constant_blocks_are_codewords() {
        // Documented property that the frame layer must guard against.
        let rs = ReedSolomon::new(ReedSolomonConfig::METEOR).unwrap();
        assert_eq!(rs.decode(&mut [0u8; 1020]), Ok(0));
        assert_eq!(rs.decode(&mut [0xFFu8; 1020]), Ok(0));
    }

    #[test]
    fn randomizer_sequence_is_a_codeword_for_power_of_two_depths() {
        // The de-randomised image of an all-zero (or all-one) frame is the PN sequence
        // (or its complement). Its spectrum sits on 8 conjugate frequencies that miss the
        // generator roots, so it is a codeword whenever I is a power of two (the
        // de-interleaving then only permutes those conjugates). The frame layer must
        // reject frames that were constant before de-randomisation, too.
        for basis in [RsBasis::Conventional, RsBasis::Dual] {
            for depth in 1..=8usize {
                let rs = ReedSolomon::new(ReedSolomonConfig {
                    interleave_depth: depth,
                    basis,
                    correctable_symbols: 16,
                    virtual_fill_symbols: 0,
                })
                .unwrap();
                for fill in [0x00u8, 0xFF] {
                    let mut block = vec![fill; rs.codeblock_len()];
                    crate::fec::Randomizer::apply(&mut block);
                    let valid = rs.decode(&mut block).is_ok();
                    assert_eq!(
                        valid,
                        depth.is_power_of_two(),
                        "{basis:?} I={depth} fill={fill:#x}"
                    );
                }
            }
        }
    }
}
