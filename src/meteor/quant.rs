//! Quantisation table for a packet's quality factor.
//!
//! Base table: the JPEG luminance table of ITU-T T.81 Annex K, Table K.1, in
//! row-major (natural) order. The Meteor-M LRPT format description scales it
//! by the packet's quality factor Q the way the IJG library does: scale
//! S = 5000 / Q (integer division) for Q < 50, else S = 200 − 2Q; each entry is
//! round(base × S / 100), and never less than 1. meteor_decode computes the
//! same integers; jradio does it in `float` (identical results for the
//! quality factors 50..=100 seen on the link). Q = 0 would mean an infinite
//! scale; it is treated as 1, the coarsest table.

/// ITU-T T.81 Table K.1 (luminance), natural order.
pub const STD_LUMINANCE: [u16; 64] = [
    16, 11, 10, 16, 24, 40, 51, 61, //
    12, 12, 14, 19, 26, 58, 60, 55, //
    14, 13, 16, 24, 40, 57, 69, 56, //
    14, 17, 22, 29, 51, 87, 80, 62, //
    18, 22, 37, 56, 68, 109, 103, 77, //
    24, 35, 55, 64, 81, 104, 113, 92, //
    49, 64, 78, 87, 103, 121, 120, 101, //
    72, 92, 95, 98, 112, 100, 103, 99,
];

/// The scaled quantisation table for quality factor `quality`, natural order.
pub fn table(quality: u8) -> [u16; 64] {
    let q = u32::from(quality.max(1));
    let scale = if q < 50 {
        5000 / q
    } else {
        200 - 2 * q.min(100)
    };
    let mut out = [0u16; 64];
    for (o, &b) in out.iter_mut().zip(STD_LUMINANCE.iter()) {
        let v = (u32::from(b) * scale + 50) / 100;
        *o = v.clamp(1, u32::from(u16::MAX)) as u16;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quality_50_is_the_base_table() {
        assert_eq!(table(50), STD_LUMINANCE);
    }

    #[test]
    fn quality_100_is_all_ones() {
        assert_eq!(table(100), [1u16; 64]);
    }

    #[test]
    fn scaling_rounds_half_up() {
        // Q = 75: scale 50, so odd entries land on .5 and round up.
        let t = table(75);
        assert_eq!(t[0], 8); // 16 * 0.5
        assert_eq!(t[1], 6); // 11 * 0.5 = 5.5
        assert_eq!(t[63], 50); // 99 * 0.5 = 49.5
                               // Q = 92: scale 16.
        let t = table(92);
        assert_eq!(t[0], 3); // 2.56
        assert_eq!(t[2], 2); // 1.6
        assert_eq!(t[37], 17); // 109 * 0.16 = 17.44
    }

    #[test]
    fn low_quality_uses_5000_over_q() {
        // Q = 30: scale 5000 / 30 = 166 (integer division).
        let t = table(30);
        assert_eq!(t[0], 27); // 16 * 1.66 = 26.56
        assert_eq!(t[63], 164); // 99 * 1.66 = 164.34
                                // Q = 0 is treated as Q = 1: scale 5000.
        assert_eq!(table(0), table(1));
        assert_eq!(table(1)[0], 800);
    }
}
