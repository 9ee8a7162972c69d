//! The TUI's main screen drawn on a `TestBackend` from a known status, compared with
//! the text snapshots in tests/snapshots/ (re-bless with `BLESS=1 cargo test --test
//! tui_snapshots`).

use downlink::status::StageStatus;
use downlink::tap::SpectrumFrame;
use downlink::tui::App;
use ratatui::backend::TestBackend;
use ratatui::style::Color;
use ratatui::Terminal;
use std::path::PathBuf;
use std::time::Duration;

fn stages(position_s: f64, state: &str, ok: f64) -> Vec<StageStatus> {
    vec![
        StageStatus::new("source", "running")
            .with("samples", position_s * 150e3)
            .with("position_s", position_s)
            .with("dropped_samples", 0.0),
        StageStatus::new("meteor-lrpt", state)
            .with("carrier_offset_hz", 2500.0)
            .with("snr_db", 8.5)
            .with("locked", 1.0)
            .with("timing_locked", 1.0)
            .with("timing_metric", 0.82)
            .with("cadus", ok + 2.0)
            .with("cadus_rs_ok", ok)
            .with("cadus_rs_failed", 2.0)
            .with("viterbi_ber", 0.012)
            .with("lines_apid_64", 40.0)
            .with("recorded_bytes", 12_345_678.0)
            .with_text("mode", "72k differential")
            .with_points(qpsk_points()),
    ]
}

/// Four deterministic clouds at (±0.7, ±0.7).
fn qpsk_points() -> Vec<(f32, f32)> {
    (0..256)
        .map(|k| {
            let jitter = |n: usize| ((n * 37 + 11) % 21) as f32 / 100.0 - 0.1;
            let i = if k % 2 == 0 { 0.7 } else { -0.7 };
            let q = if (k / 2) % 2 == 0 { 0.7 } else { -0.7 };
            (i + jitter(k), q + jitter(k + 5))
        })
        .collect()
}

/// A deterministic spectrum: a −70 dB floor with a ripple, and a 72 kHz wide signal
/// 2.5 kHz above the centre of a 150 kS/s band at 137.9 MHz.
fn spectrum(seq: u64) -> SpectrumFrame {
    let n = 512;
    let bins_db = (0..n)
        .map(|i| {
            let f = (i as f64 - n as f64 / 2.0) * 150e3 / n as f64;
            let ripple = ((i * 7 + seq as usize * 3) % 5) as f32;
            if (f - 2500.0).abs() < 36e3 {
                -40.0 + ripple
            } else {
                -70.0 + ripple
            }
        })
        .collect();
    SpectrumFrame {
        bins_db,
        sample_rate_hz: 150e3,
        center_freq_hz: Some(137.9e6),
        first_sample: seq * 7500,
        seq,
    }
}

fn app() -> App {
    let mut app = App::new("downlink meteor-lrpt · pass.sigmf-meta");
    app.on_tick(
        stages(0.2, "NOSYNC", 0.0),
        Some(spectrum(1)),
        Duration::from_millis(200),
    );
    for k in 2..=30u64 {
        let t = k as f64 * 0.2;
        app.on_tick(
            stages(t, "SYNCED", (k * 3) as f64),
            Some(spectrum(k)),
            Duration::from_millis(k * 200),
        );
    }
    app.set_cpu_percent(Some(37.0));
    app.set_tuning(Some(137.9e6), Some("40 dB".into()));
    app
}

fn draw(app: &App, w: u16, h: u16) -> Terminal<TestBackend> {
    let mut t = Terminal::new(TestBackend::new(w, h)).unwrap();
    t.draw(|f| app.render(f)).unwrap();
    t
}

fn text(t: &Terminal<TestBackend>) -> String {
    let buf = t.backend().buffer();
    let w = buf.area.width as usize;
    let mut s = String::new();
    for row in buf.content.chunks(w) {
        let line: String = row.iter().map(|c| c.symbol()).collect();
        s.push_str(line.trim_end());
        s.push('\n');
    }
    s
}

fn check_snapshot(name: &str, got: &str) {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/snapshots")
        .join(name);
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, got).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (run with BLESS=1 to create it)", path.display()));
    assert_eq!(
        got, want,
        "{name} differs from the snapshot (BLESS=1 re-blesses):\n{got}"
    );
}

/// The cell where `needle` starts on screen.
fn find(t: &Terminal<TestBackend>, needle: &str) -> Option<(u16, u16)> {
    let s = text(t);
    s.lines().enumerate().find_map(|(y, l)| {
        l.find(needle)
            .map(|byte| (l[..byte].chars().count() as u16, y as u16))
    })
}

fn check_screen(w: u16, h: u16) -> String {
    let app = app();
    let t = draw(&app, w, h);
    let s = text(&t);
    for needle in [
        "SYNCED",
        "8.5 dB",
        "+2500 Hz",
        "RS ok/fail",
        "90/2",
        "MHz",
        "137.900",
        "137.825",
        "137.975",
        "elapsed 00:06",
        "dropped 0",
        "Waterfall",
        "frames +",
        "Vit. BER",
        "0.012",
        "REC 12.3 MB",
        "CPU 37%",
        "Constellation",
        "137.9000 MHz ±5k gain 40 dB",
    ] {
        assert!(s.contains(needle), "{w}x{h}: '{needle}' missing:\n{s}");
    }
    // The lock panel's colours: state and lock green, SNR green (above 6 dB).
    let buf = t.backend().buffer();
    let (x, y) = find(&t, "SYNCED").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Green);
    let (x, y) = find(&t, "yes").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Green);
    // Carrier and timing lock each have their own line.
    let (x, y) = find(&t, "yes 0.82").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Green);
    let carrier = find(&t, &format!("{:<13}yes", "  carr. lock")).expect("carrier lock line");
    let timing = find(&t, &format!("{:<13}yes 0.82", "  tim. lock")).expect("timing lock line");
    assert_eq!(timing.1, carrier.1 + 1);
    let (x, y) = find(&t, "REC").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    // The constellation is drawn in braille: four clouds, one per quadrant.
    let (cx, cy) = find(&t, "Constellation").unwrap();
    let (left, top, right) = (cx - 2, cy, buf.area.width - 1);
    let bottom = (top + 1..buf.area.height)
        .find(|&y| buf[(left, y)].symbol() == "└")
        .expect("the constellation box's bottom");
    let mut quadrants = [0usize; 4];
    for y in top + 1..bottom {
        for x in left + 1..right {
            let c = buf[(x, y)].symbol().chars().next().unwrap();
            if ('\u{2801}'..='\u{28ff}').contains(&c) {
                let east = 2 * x > left + right;
                let south = 2 * y > top + bottom;
                quadrants[east as usize + 2 * south as usize] += 1;
                assert_eq!(buf[(x, y)].fg, Color::Green, "locked: green points");
            }
        }
    }
    assert!(quadrants.iter().all(|&n| n > 0), "{quadrants:?}\n{s}");
    s
}

#[test]
fn main_screen_80x24() {
    let s = check_screen(80, 24);
    check_snapshot("tui_main_80x24.txt", &s);
}

#[test]
fn main_screen_160x48() {
    let s = check_screen(160, 48);
    assert!(s.contains("NOSYNC->SYNCED"), "{s}");
    check_snapshot("tui_main_160x48.txt", &s);
}

#[test]
fn lost_lock_is_red_and_zoom_changes_the_axis() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app();
    let mut st = stages(6.2, "NOSYNC", 87.0);
    st[0].values.insert("dropped_samples".into(), 4096.0);
    st[1].values.insert("locked".into(), 0.0);
    st[1].values.insert("snr_db".into(), 1.0);
    app.on_tick(st, Some(spectrum(31)), Duration::from_secs(7));
    app.on_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Char('z'), KeyModifiers::NONE));
    let t = draw(&app, 120, 36);
    let s = text(&t);
    let buf = t.backend().buffer();
    let (x, y) = find(&t, "NOSYNC").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    let (x, y) = find(&t, "1.0 dB").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    // Dropped samples are counted in the header, in red.
    let (x, y) = find(&t, "dropped 4096").unwrap();
    assert_eq!(buf[(x, y)].fg, Color::Red);
    // 4× zoom on the channel at +2.5 kHz: 37.5 kHz shown, 137.883–137.921 MHz.
    assert!(s.contains(" 4x "), "{s}");
    assert!(s.contains("137.884") || s.contains("137.883"), "{s}");
    assert!(!s.contains("137.825"), "{s}");
}

#[test]
fn help_overlay_and_pause_are_drawn() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = app();
    app.on_key(KeyEvent::new(KeyCode::Char('h'), KeyModifiers::NONE));
    app.on_key(KeyEvent::new(KeyCode::Char(' '), KeyModifiers::NONE));
    let s = text(&draw(&app, 80, 24));
    assert!(s.contains("Help"), "{s}");
    assert!(s.contains("pause / resume the waterfall"), "{s}");
    assert!(s.contains("PAUSED"), "{s}");
    // Tiny terminals draw without panicking.
    for (w, h) in [(1, 1), (10, 3), (20, 5)] {
        draw(&app, w, h);
    }
}

fn press(app: &mut App, code: crossterm::event::KeyCode) -> downlink::tui::Action {
    app.on_key(crossterm::event::KeyEvent::new(
        code,
        crossterm::event::KeyModifiers::NONE,
    ))
}

#[test]
fn help_lists_every_key_at_80x24() {
    use crossterm::event::KeyCode;
    let mut app = app();
    press(&mut app, KeyCode::Char('h'));
    let s = text(&draw(&app, 80, 24));
    for line in [
        "q / Ctrl-C  quit",
        "← / →       tune down / up one step",
        "s           tuning step",
        "f           type a frequency",
        "↑ / ↓       gain up / down",
        "a           automatic gain (AGC) on / off",
        "space       pause / resume the waterfall",
        "+ / -       widen / narrow the dB range",
        "[ / ]       move the dB range down / up 5 dB",
        "c           colour map",
        "z           zoom",
        "p           peak hold",
        "r           start / stop recording",
        "h / Esc     close this help",
        "recording: tuning moves the channel within its band",
    ] {
        assert!(s.contains(line), "help misses '{line}':\n{s}");
    }
}

#[test]
fn typing_a_frequency_and_the_answer_show_on_the_status_line() {
    use crossterm::event::KeyCode;
    use downlink::tui::Action;
    let mut app = app();
    press(&mut app, KeyCode::Char('f'));
    for c in "137.91".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    let t = draw(&app, 80, 24);
    let s = text(&t);
    let last = s.lines().nth(23).unwrap();
    assert_eq!(
        last, " Tune to (MHz): 137.91_   Enter tune  Esc cancel",
        "{s}"
    );
    assert_eq!(press(&mut app, KeyCode::Enter), Action::Tune(137.91e6));
    // What the event loop does with the tuner's answer.
    app.set_message("a recording has no gain to set".into(), true);
    let t = draw(&app, 80, 24);
    let (x, y) = find(&t, "a recording has no gain").unwrap();
    assert_eq!(y, 23);
    assert_eq!(t.backend().buffer()[(x, y)].fg, Color::Red);
}

#[test]
fn colour_map_and_db_reference_change_the_waterfall() {
    use crossterm::event::KeyCode;
    let cell = |app: &App| {
        let t = draw(app, 80, 24);
        let (x, y) = find(&t, "Waterfall").unwrap();
        // The newest row, in the middle of the signal.
        let c = &t.backend().buffer()[(x + 20, y + 1)];
        (c.fg, c.bg)
    };
    let mut app = app();
    let viridis = cell(&app);
    press(&mut app, KeyCode::Char('c'));
    let turbo = cell(&app);
    assert_ne!(viridis, turbo);
    press(&mut app, KeyCode::Char('c'));
    let grey = cell(&app);
    let Color::Rgb(r, g, b) = grey.0 else {
        panic!("{grey:?}")
    };
    assert!(r == g && g == b, "grey map: {grey:?}");
    // Raising the reference by 10 dB darkens the same signal.
    press(&mut app, KeyCode::Char(']'));
    press(&mut app, KeyCode::Char(']'));
    let Color::Rgb(darker, _, _) = cell(&app).0 else {
        panic!()
    };
    assert!(darker < r, "{darker} vs {r}");
}

/// A known picture 40 block-rows high: the top half red, the bottom half green on the
/// left and blue on the right.
fn known_preview() -> downlink::status::Preview {
    let (w, h) = (196, 40);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let c = if y < 20 {
                [255, 0, 0]
            } else if x < 98 {
                [0, 255, 0]
            } else {
                [0, 0, 255]
            };
            rgb.extend_from_slice(&c);
        }
    }
    downlink::status::Preview {
        width: w,
        height: h,
        rgb,
        label: "RGB 64,65,66".into(),
        lines: 320,
    }
}

#[test]
fn the_image_preview_draws_the_known_picture_in_half_blocks() {
    let mut app = app();
    let mut st = stages(6.2, "SYNCED", 93.0);
    st[1] = st[1].clone().with_preview(known_preview());
    app.on_tick(st, Some(spectrum(31)), Duration::from_millis(6200));
    let t = draw(&app, 120, 36);
    let s = text(&t);
    check_snapshot("tui_preview_120x36.txt", &s);
    let (x, y) = find(&t, "RGB 64,65,66 320 lines").expect("the preview panel");
    // The panel's inner area: 30 cells wide, so 196/30 source pixels per screen pixel;
    // the 40 rows make 6 screen pixel rows, 3 cells.
    let (ix, iy) = (x - 1, y + 1);
    assert_eq!(t.backend().buffer()[(ix - 1, y)].symbol(), "┌");
    let buf = t.backend().buffer();
    let cell = |dx: u16, dy: u16| {
        let c = &buf[(ix + dx, iy + dy)];
        (c.symbol().to_string(), c.fg, c.bg)
    };
    let (red, green, blue) = (
        Color::Rgb(255, 0, 0),
        Color::Rgb(0, 255, 0),
        Color::Rgb(0, 0, 255),
    );
    let half = "▀".to_string();
    assert_eq!(cell(0, 0), (half.clone(), red, red));
    assert_eq!(cell(29, 0), (half.clone(), red, red));
    assert_eq!(cell(0, 1), (half.clone(), red, green));
    assert_eq!(cell(29, 1), (half.clone(), red, blue));
    assert_eq!(cell(14, 2), (half.clone(), green, green));
    assert_eq!(cell(15, 2), (half.clone(), blue, blue));
    // Below the picture: nothing drawn.
    assert_eq!(cell(0, 3).0, " ");
    // The waterfall gave up the room, the lock panel is untouched.
    assert!(s.contains("Waterfall") && s.contains("RS ok/fail"), "{s}");
    // Without a preview there is no panel.
    assert!(!text(&draw(&crate::app(), 120, 36)).contains("320 lines"));
}

#[test]
fn timing_lock_is_green_yellow_or_red() {
    // Locked; above the release level but not locked (acquiring or fading); noise.
    for (locked, metric, want, colour) in [
        (1.0, 0.64, "yes 0.64", Color::Green),
        (0.0, 0.22, "no 0.22", Color::Yellow),
        (0.0, 0.03, "no 0.03", Color::Red),
    ] {
        let mut app = app();
        let mut st = stages(6.2, "SYNCED", 90.0);
        st[1].values.insert("timing_locked".into(), locked);
        st[1].values.insert("timing_metric".into(), metric);
        app.on_tick(st, Some(spectrum(31)), Duration::from_secs(7));
        let t = draw(&app, 80, 24);
        let (x, y) = find(&t, &format!("{:<13}{want}", "  tim. lock"))
            .unwrap_or_else(|| panic!("{want} missing:\n{}", text(&t)));
        let buf = t.backend().buffer();
        assert_eq!(buf[(x + 13, y)].fg, colour, "{want}");
    }
}

/// A cubesat stage as `CubesatStage` publishes it: frames counted, the newest frame
/// summaries (time, transmitter, length, check) in `recent`.
fn cubesat(position_s: f64, recent: &[&str]) -> Vec<StageStatus> {
    vec![
        StageStatus::new("source", "running")
            .with("samples", position_s * 250e3)
            .with("position_s", position_s)
            .with("dropped_samples", 0.0),
        StageStatus::new(
            "cubesat",
            if recent.is_empty() {
                "searching"
            } else {
                "frames"
            },
        )
        .with("frames", recent.len() as f64)
        .with("frames[9k6 FSK TT-64]", recent.len() as f64)
        .with("doppler_hz", -8312.0)
        .with_text("satellite", "AT03")
        .with_recent(recent.iter().map(|s| s.to_string()).collect()),
    ]
}

#[test]
fn cubesat_frames_are_logged_one_line_each() {
    let a = "10:41:05 64 B ok 9k6 FSK TT-64 (reed_solomon)";
    let b = "10:41:06 64 B ok 9k6 FSK TT-64 (reed_solomon)";
    let c = "10:41:06 48 B ok 9k6 FSK TT-64 (reed_solomon)";
    let mut app = App::new("downlink live AT03 · driver=rtlsdr");
    let ticks: [(f64, &[&str]); 4] = [(0.2, &[]), (0.6, &[a]), (1.0, &[a]), (1.4, &[a, b, c])];
    for (k, (t, recent)) in ticks.into_iter().enumerate() {
        app.on_tick(
            cubesat(t, recent),
            Some(spectrum(k as u64 + 1)),
            Duration::from_secs_f64(t),
        );
    }
    app.set_tuning(Some(436.67e6), Some("40 dB".into()));
    let t = draw(&app, 80, 24);
    let s = text(&t);
    // Each frame once, in order, though `recent` repeats the older ones every tick.
    let log: Vec<&str> = s
        .lines()
        .filter_map(|l| l.find("10:41:0").map(|i| &l[i..]))
        .collect();
    assert_eq!(log.len(), 3, "{s}");
    // At 80 columns the log shows time, length, check passed and the transmitter.
    assert!(log[0].starts_with("10:41:05 64 B ok 9k6 FSK"), "{s}");
    assert!(log[1].starts_with("10:41:06 64 B ok 9k6 FSK"), "{s}");
    assert!(log[2].starts_with("10:41:06 48 B ok 9k6 FSK"), "{s}");
    assert!(s.contains("searching->fr"), "{s}");
    assert!(s.contains(&format!("{:<13}3", "  frames")), "{s}");
    let buf = t.backend().buffer();
    let (x, y) = find(&t, "cubesat      frames").unwrap_or_else(|| panic!("{s}"));
    assert_eq!(buf[(x + 13, y)].fg, Color::Green, "{s}");
    assert!(s.contains("-8312 Hz"), "{s}");
    check_snapshot("tui_cubesat_80x24.txt", &s);
}
