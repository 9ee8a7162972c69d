//! Plots BER after Viterbi, measured from I/Q through the whole receiver, against
//! Eb/N0, with uncoded QPSK theory and the k=7 r=1/2 soft-decision reference points.
//!
//!     cargo run --release --example ber_curve -- ber.png

use downlink::products::canvas::{Canvas, BLACK, GREY, WHITE};
use downlink::synth::ber::{measure, BerLink};

/// Q(x) by the complementary error function (Abramowitz–Stegun 7.1.26, |ε| < 1.5e-7).
fn q(x: f64) -> f64 {
    let z = x / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * z);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    0.5 * poly * (-z * z).exp()
}

fn main() {
    let out = std::env::args().nth(1).unwrap_or_else(|| "ber.png".into());
    let link = BerLink {
        carrier_offset_hz: 3_000.0,
        clock_offset_ppm: 50.0,
        seed: 2026,
    };
    let mut points = Vec::new();
    for tenth in (20..=50).step_by(5) {
        let eb_n0 = tenth as f64 / 10.0;
        let bits = if eb_n0 < 3.9 { 400_000 } else { 3_000_000 };
        let p = measure(eb_n0, bits, link).expect("measurement");
        println!(
            "Eb/N0 {:.1} dB: {} errors in {} bits, BER {:.2e}",
            eb_n0,
            p.errors,
            p.bits,
            p.ber()
        );
        points.push(p);
    }
    // Axes: Eb/N0 1..7 dB across, BER 1 .. 1e-7 down (log).
    let (w, h, left, top) = (640usize, 480usize, 70usize, 30usize);
    let (pw, ph) = (w - left - 20, h - top - 50);
    let mut c = Canvas::new(w, h, BLACK);
    let x_of = |db: f64| left + ((db - 1.0) / 6.0 * pw as f64).round() as usize;
    let y_of = |ber: f64| top + ((-ber.max(1e-7).log10()) / 7.0 * ph as f64).round() as usize;
    for d in 1..=7 {
        c.vline(x_of(d as f64), top, top + ph, GREY);
        c.text(x_of(d as f64) - 4, top + ph + 6, &d.to_string(), WHITE);
    }
    for e in 0..=7 {
        c.hline(left, left + pw, y_of(10f64.powi(-e)), GREY);
        c.text(8, y_of(10f64.powi(-e)) - 4, &format!("1e-{e}"), WHITE);
    }
    c.text(left + pw / 2 - 40, h - 16, "Eb/N0 (dB)", WHITE);
    c.text(
        left,
        8,
        "BER: uncoded (grey), k=7 r=1/2 ref (+), from I/Q (cyan)",
        WHITE,
    );
    let mut db = 1.0;
    while db <= 7.0 {
        let ber = q((2.0 * 10f64.powf(db / 10.0)).sqrt());
        c.set(x_of(db), y_of(ber), [200, 200, 200]);
        db += 0.01;
    }
    for (db, ber) in [(3.7, 1e-4), (4.2, 1e-5)] {
        let (x, y) = (x_of(db), y_of(ber));
        for d in 0..5 {
            c.set(x + d, y, [255, 220, 0]);
            c.set(x - d, y, [255, 220, 0]);
            c.set(x, y + d, [255, 220, 0]);
            c.set(x, y - d, [255, 220, 0]);
        }
    }
    for p in points.iter().filter(|p| p.errors > 0) {
        let (x, y) = (x_of(p.eb_n0_db), y_of(p.ber()));
        for dy in 0..5 {
            for dx in 0..5 {
                c.set(x + dx - 2, y + dy - 2, [0, 230, 255]);
            }
        }
    }
    let path = c
        .write_png(std::path::Path::new(&out))
        .expect("writing the plot");
    println!("plot: {}", path.display());
}
