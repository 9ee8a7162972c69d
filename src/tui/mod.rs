//! The terminal front end: spectrum, waterfall, lock panel and frame log of a running
//! chain. Like the other front ends it only reads the status board (and the spectrum
//! tap), on its own thread, so a slow terminal never slows the DSP down.
//!
//! The terminal is restored on every way out: normal return, error (a guard's `Drop`)
//! and panic (a panic hook that restores before the message is printed).

pub mod app;

pub use app::{Action, App};

use crate::chain::{RunReport, Running};
use crate::error::{Error, Result};
use crate::pipelines::record::RecordSwitch;
use crate::tap::SpectrumTap;
use crate::tune::Tuner;
use crossterm::event::{self, Event};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;
use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Once};
use std::time::{Duration, Instant};

/// How often the screen is redrawn from the latest snapshots.
const TICK: Duration = Duration::from_millis(100);

/// The terminal is in raw mode on the alternate screen. Restoring happens once: the
/// panic hook restores before the message is printed, and the guard's `Drop` runs
/// again while unwinding; a second "leave the alternate screen" would move the cursor
/// back to where it was saved on entering, over the panic message.
static ACTIVE: AtomicBool = AtomicBool::new(false);

fn restore_terminal() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let _ = disable_raw_mode();
    let _ = execute!(
        std::io::stdout(),
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// The TUI's terminal mode (raw, alternate screen), left on every way out: when the
/// guard is dropped (normal return, error returns, unwinding) and, through a panic
/// hook installed by [`TerminalGuard::enter`], before a panic message is printed, so
/// the message lands on the normal screen with echo and line editing back.
pub struct TerminalGuard(());

impl TerminalGuard {
    /// Installs the panic hook, enables raw mode and enters the alternate screen.
    pub fn enter() -> Result<TerminalGuard> {
        install_panic_hook();
        let io_err = |e: std::io::Error| Error::Internal(format!("terminal: {e}"));
        enable_raw_mode().map_err(io_err)?;
        ACTIVE.store(true, Ordering::SeqCst);
        let guard = TerminalGuard(());
        execute!(std::io::stdout(), EnterAlternateScreen).map_err(io_err)?;
        Ok(guard)
    }
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore_terminal();
    }
}

fn install_panic_hook() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            restore_terminal();
            previous(info);
        }));
    });
}

/// Passes a key's request to the tuner and shows the answer on the status line.
fn answer(
    app: &mut App,
    tuner: &mut std::result::Result<Box<dyn Tuner>, String>,
    ask: impl FnOnce(&mut dyn Tuner) -> std::result::Result<String, String>,
) {
    match tuner {
        Ok(t) => {
            let result = ask(t.as_mut());
            app.set_tuning(t.frequency_hz(), t.gain());
            match result {
                Ok(m) => app.set_message(m, false),
                Err(e) => app.set_message(e, true),
            }
        }
        Err(why) => app.set_message(why.clone(), true),
    }
}

/// What ended the TUI.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ended {
    /// The user quit (q) while the chain was still running: it was stopped cleanly.
    UserQuit,
    /// The input ended; the user then quit.
    Finished,
}

/// Shows `running` until the user quits; stops the chain (via `stop`) if it is still
/// running then, and returns its report. The tuning and gain keys act on `tuner`
/// (`Err(why)`: this run cannot tune, and the status line says why).
pub fn run(
    running: Running,
    tap: &SpectrumTap,
    title: &str,
    stop: Arc<AtomicBool>,
    record: Option<RecordSwitch>,
    mut tuner: std::result::Result<Box<dyn Tuner>, String>,
) -> Result<(RunReport, Ended)> {
    if !std::io::stdout().is_terminal() {
        return Err(Error::Usage(
            "--tui needs a terminal on standard output".into(),
        ));
    }
    let io_err = |e: std::io::Error| Error::Internal(format!("terminal: {e}"));
    let guard = TerminalGuard::enter()?;
    let mut terminal = Terminal::new(CrosstermBackend::new(std::io::stdout())).map_err(io_err)?;
    terminal.clear().map_err(io_err)?;
    let mut app = App::new(title);
    if let Ok(t) = &tuner {
        app.set_tuning(t.frequency_hz(), t.gain());
    }
    let mut cpu = crate::frontend::CpuMeter::default();
    let mut next_tick = Instant::now();
    let ended = loop {
        if running.is_finished() {
            app.set_finished();
        }
        let now = Instant::now();
        if now >= next_tick {
            app.on_tick(running.board().snapshot(), tap.latest(), running.elapsed());
            app.set_cpu_percent(cpu.percent());
            terminal.draw(|f| app.render(f)).map_err(io_err)?;
            next_tick = now + TICK;
        }
        let wait = next_tick.saturating_duration_since(Instant::now());
        if event::poll(wait).map_err(io_err)? {
            match event::read().map_err(io_err)? {
                Event::Key(k) => {
                    match app.on_key(k) {
                        Action::Quit => {
                            break if running.is_finished() {
                                Ended::Finished
                            } else {
                                Ended::UserQuit
                            };
                        }
                        Action::ToggleRecording => match &record {
                            Some(switch) => {
                                switch.toggle();
                                let what = if switch.is_on() { "on" } else { "off" };
                                app.push_log(format!("recording {what}"));
                            }
                            None => app.push_log("r: this run cannot record".into()),
                        },
                        Action::Tune(hz) => {
                            answer(&mut app, &mut tuner, |t| t.tune_hz(hz));
                        }
                        Action::StepGain(db) => {
                            answer(&mut app, &mut tuner, |t| t.step_gain_db(db));
                        }
                        Action::ToggleAgc => {
                            answer(&mut app, &mut tuner, |t| t.toggle_agc());
                        }
                        Action::Continue => {}
                    }
                    // Show the effect of a key at once.
                    next_tick = Instant::now();
                }
                Event::Resize(..) => {
                    terminal.autoresize().map_err(io_err)?;
                    next_tick = Instant::now();
                }
                _ => {}
            }
        }
    };
    stop.store(true, Ordering::SeqCst);
    drop(terminal);
    drop(guard);
    let report = running.join()?;
    Ok((report, ended))
}
