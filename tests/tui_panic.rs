//! The terminal is restored when the program panics inside the TUI.
//!
//! Its own harness (`harness = false` in Cargo.toml): run as a test, it starts itself
//! again in a tmux pane with `DOWNLINK_TUI_PANIC_CHILD` set; the child enters the TUI's
//! terminal mode through the crate's own `TerminalGuard`, draws the main screen, waits
//! for a key and panics. The parent then checks, in that same pane, that the alternate
//! screen was left, that the tty is back in cooked mode with echo (`stty -a`), and that
//! the panic message reads as lines on the normal screen. The shipped binary has no
//! way to panic on purpose; this test binary is the panicking program.

mod common;

use common::tmux::Tmux;
use std::time::Duration;

const CHILD: &str = "DOWNLINK_TUI_PANIC_CHILD";
const MESSAGE: &str = "deliberate panic inside the TUI (terminal restore test)";

fn child() {
    use crossterm::event::{self, Event};
    use ratatui::backend::CrosstermBackend;
    use ratatui::Terminal;
    let _guard = downlink::tui::TerminalGuard::enter().expect("entering the TUI's terminal mode");
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout())).unwrap();
    let app = downlink::tui::App::new("terminal restore test");
    terminal.draw(|f| app.render(f)).unwrap();
    loop {
        if let Event::Key(_) = event::read().unwrap() {
            break;
        }
    }
    panic!("{MESSAGE}");
}

/// `stty -a`'s settings as words, e.g. "echo" or "-echo".
fn stty_words(text: &str) -> Vec<String> {
    text.split([' ', ';', '\n'])
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect()
}

fn alternate_on(tmux: &Tmux) -> String {
    let out = tmux.cmd(&["display-message", "-p", "-t", "tui", "#{alternate_on}"]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `stty -a` of the pane's tty, read from outside while the child holds it.
fn pane_stty(tmux: &Tmux) -> Vec<String> {
    let out = tmux.cmd(&["display-message", "-p", "-t", "tui", "#{pane_tty}"]);
    let tty = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let out = std::process::Command::new("stty")
        .args(["-a", "-F", &tty])
        .output()
        .expect("running stty");
    assert!(out.status.success(), "stty -F {tty}: {out:?}");
    stty_words(&String::from_utf8_lossy(&out.stdout))
}

const COOKED: [&str; 5] = ["icanon", "echo", "isig", "icrnl", "opost"];

fn parent() {
    let exe = std::env::current_exe().unwrap();
    let script = format!(
        "{CHILD}=1 RUST_BACKTRACE=0 '{}'; echo \"child exit=$?\"; stty -a; echo stty-done; sleep 60",
        exe.display()
    );
    let tmux = Tmux::start("downlink-panic", 100, 30, &script);

    // In the TUI: its screen on the alternate screen, the tty raw without echo.
    tmux.wait_for(&["waiting for samples", "Lock"], Duration::from_secs(20));
    assert_eq!(alternate_on(&tmux), "1");
    let raw = pane_stty(&tmux);
    for w in COOKED {
        assert!(
            raw.contains(&format!("-{w}")),
            "raw mode: no -{w} in {raw:?}"
        );
    }

    tmux.cmd(&["send-keys", "-t", "tui", "x"]);
    let pane = tmux.wait_for(&["child exit=", "stty-done"], Duration::from_secs(20));
    let joined = tmux.cmd(&["capture-pane", "-p", "-J", "-t", "tui"]);
    let pane_joined = String::from_utf8_lossy(&joined.stdout).into_owned();
    // A panic exits with 101, after the message.
    assert!(pane.contains("child exit=101"), "{pane}");
    // The alternate screen was left: the TUI is gone, the shell's output is there.
    assert_eq!(alternate_on(&tmux), "0", "{pane}");
    assert!(!pane.contains("waiting for samples"), "{pane}");
    // The message is readable: "thread 'main' … panicked at FILE:LINE:COL:" and the
    // message each start a line (in raw mode a newline does not return the carriage,
    // so the second line would start where the first ended).
    let lines: Vec<&str> = pane_joined.lines().collect();
    let at = lines
        .iter()
        .position(|l| l.starts_with("thread 'main'") && l.contains("panicked at"))
        .unwrap_or_else(|| panic!("no panic line at the start of a line:\n{pane_joined}"));
    assert!(lines[at].contains("tests/tui_panic.rs"), "{pane_joined}");
    assert_eq!(lines[at + 1], MESSAGE, "{pane_joined}");
    // `stty -a`, run in the same pane after the panic: cooked mode with echo.
    let after = stty_words(&pane_joined[pane_joined.find("child exit=").unwrap()..]);
    for w in COOKED {
        assert!(
            after.iter().any(|x| x == w),
            "no {w} after the panic: {after:?}"
        );
        assert!(
            !after.iter().any(|x| *x == format!("-{w}")),
            "-{w}: {after:?}"
        );
    }
    // And seen from outside the pane.
    let outside = pane_stty(&tmux);
    for w in COOKED {
        assert!(outside.iter().any(|x| x == w), "{w}: {outside:?}");
    }
}

fn main() {
    if std::env::var_os(CHILD).is_some() {
        child();
        return;
    }
    parent();
    println!("test the_terminal_is_restored_on_panic ... ok");
}
