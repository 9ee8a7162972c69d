//! The TUI's state and drawing. It sees only status snapshots and spectrum frames
//! (plus the time since the start, passed in), so it draws the same screen for the same
//! inputs — which the snapshot tests rely on.

use crate::pipelines::waterfall::Colormap;
use crate::status::{Preview, StageStatus};
use crate::tap::SpectrumFrame;
use crate::tune::{describe_hz, parse_frequency};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::buffer::Buffer;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::symbols::Marker;
use ratatui::text::{Line, Span};
use ratatui::widgets::canvas::{Canvas, Points};
use ratatui::widgets::{Axis, Block, Chart, Clear, Dataset, GraphType, Paragraph, Widget};
use ratatui::Frame;
use std::collections::VecDeque;
use std::time::Duration;

/// Waterfall rows kept (more than any terminal is high, in half-cells).
const WATERFALL_ROWS: usize = 200;
/// Log lines kept.
const LOG_LINES: usize = 200;
const DB_SPANS: [f32; 8] = [20.0, 30.0, 40.0, 50.0, 60.0, 80.0, 100.0, 120.0];
const ZOOMS: [u32; 4] = [1, 2, 4, 8];
/// Tuning steps of the arrow keys, Hz (`s` cycles).
const TUNE_STEPS_HZ: [f64; 6] = [1e3, 5e3, 10e3, 25e3, 100e3, 1e6];
/// Gain step of the up/down keys.
pub const GAIN_STEP_DB: f64 = 1.0;
/// The `[` and `]` keys move the dB scale by this much.
const DB_REF_STEP: f32 = 5.0;
const COLORMAPS: [Colormap; 3] = [Colormap::Viridis, Colormap::Turbo, Colormap::Grey];
/// How long a message stays on the status line.
const MESSAGE_FOR: Duration = Duration::from_secs(5);

/// What the event loop should do after a key.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Action {
    Continue,
    Quit,
    /// `r`: start or stop recording (the event loop owns the switch).
    ToggleRecording,
    /// Tune to this frequency, Hz (arrow keys, or `f` and a typed frequency).
    Tune(f64),
    /// Gain up or down by this many dB.
    StepGain(f64),
    /// `a`: automatic gain on/off.
    ToggleAgc,
}

/// The TUI's whole state.
pub struct App {
    title: String,
    stages: Vec<StageStatus>,
    spectrum: Option<SpectrumFrame>,
    peak: Vec<f32>,
    peak_hold: bool,
    waterfall: VecDeque<Vec<f32>>,
    paused: bool,
    span_index: usize,
    zoom_index: usize,
    help: bool,
    log: VecDeque<String>,
    elapsed: Duration,
    finished: bool,
    /// This process's CPU use, % of one core (measured by the event loop).
    cpu_percent: Option<f64>,
    /// Frames counted but not yet logged: one log line per second of signal at most.
    pending_ok: f64,
    pending_failed: f64,
    last_frame_log_s: f64,
    /// Where the tuner says the decoder is tuned (None: this run cannot tune).
    tuned_hz: Option<f64>,
    gain: Option<String>,
    step_index: usize,
    /// The frequency being typed after `f`.
    input: Option<String>,
    /// The status line: text, whether it is an error, when it was set.
    message: Option<(String, bool, Duration)>,
    colormap_index: usize,
    /// Added to the automatic top of the dB scale (`[` and `]`).
    db_ref_offset: f32,
}

impl App {
    pub fn new(title: &str) -> Self {
        App {
            title: title.to_string(),
            stages: Vec::new(),
            spectrum: None,
            peak: Vec::new(),
            peak_hold: true,
            waterfall: VecDeque::new(),
            paused: false,
            span_index: 4,
            zoom_index: 0,
            help: false,
            log: VecDeque::new(),
            elapsed: Duration::ZERO,
            finished: false,
            cpu_percent: None,
            pending_ok: 0.0,
            pending_failed: 0.0,
            last_frame_log_s: f64::NEG_INFINITY,
            tuned_hz: None,
            gain: None,
            step_index: 1,
            input: None,
            message: None,
            colormap_index: 0,
            db_ref_offset: 0.0,
        }
    }

    /// What the tuner reports (each tick, and after each tuning key).
    pub fn set_tuning(&mut self, frequency_hz: Option<f64>, gain: Option<String>) {
        self.tuned_hz = frequency_hz;
        self.gain = gain;
    }

    /// A line on the status line for a few seconds (the answer to a key).
    pub fn set_message(&mut self, text: String, error: bool) {
        self.message = Some((text, error, self.elapsed));
    }

    /// The message shown now, if any.
    pub fn message(&self) -> Option<&str> {
        self.message
            .as_ref()
            .filter(|(_, _, at)| self.elapsed.saturating_sub(*at) < MESSAGE_FOR)
            .map(|(t, _, _)| t.as_str())
    }

    pub fn tune_step_hz(&self) -> f64 {
        TUNE_STEPS_HZ[self.step_index]
    }

    /// The frequency being typed, while `f` is open.
    pub fn input(&self) -> Option<&str> {
        self.input.as_deref()
    }

    pub fn colormap(&self) -> Colormap {
        COLORMAPS[self.colormap_index]
    }

    pub fn db_ref_offset(&self) -> f32 {
        self.db_ref_offset
    }

    /// Takes the latest snapshots: logs what changed, adds a waterfall row for a new frame.
    pub fn on_tick(
        &mut self,
        stages: Vec<StageStatus>,
        spectrum: Option<SpectrumFrame>,
        elapsed: Duration,
    ) {
        self.elapsed = elapsed;
        let at = position_s(&stages);
        let mut lines = Vec::new();
        for new in stages.iter().filter(|s| s.stage != "source") {
            let old = self.stages.iter().find(|s| s.stage == new.stage);
            let old_state = old.map_or("starting", |o| o.state.as_str());
            if old_state != new.state {
                lines.push(format!(
                    "{at:5.1}s {} {old_state}->{}",
                    new.stage, new.state
                ));
            }
            let count =
                |s: Option<&StageStatus>, k: &str| s.and_then(|s| s.value(k)).unwrap_or(0.0);
            let ok = count(Some(new), "cadus_rs_ok") - count(old, "cadus_rs_ok");
            let failed = count(Some(new), "cadus_rs_failed") - count(old, "cadus_rs_failed");
            self.pending_ok += ok.max(0.0);
            self.pending_failed += failed.max(0.0);
            let total = count(Some(new), "cadus_rs_ok");
            if (self.pending_ok > 0.0 || self.pending_failed > 0.0)
                && at - self.last_frame_log_s >= 1.0
            {
                lines.push(format!(
                    "{at:5.1}s frames +{} ok +{} bad ({total})",
                    self.pending_ok, self.pending_failed
                ));
                self.pending_ok = 0.0;
                self.pending_failed = 0.0;
                self.last_frame_log_s = at;
            }
            // Frames reported one per line (stages that summarise each frame).
            let new_frames = count(Some(new), "frames") - count(old, "frames");
            if new_frames > 0.0 {
                let n = (new_frames as usize).min(new.recent.len());
                lines.extend(new.recent[new.recent.len() - n..].iter().cloned());
            }
            for (k, v) in &new.values {
                if let Some(apid) = k.strip_prefix("lines_apid_") {
                    if old.and_then(|o| o.value(k)).is_none() {
                        lines.push(format!("{at:5.1}s image APID {apid} ({v} lines)"));
                    }
                }
            }
        }
        for l in lines {
            self.push_log(l);
        }
        self.stages = stages;
        if let Some(frame) = spectrum {
            let new = self.spectrum.as_ref().is_none_or(|f| f.seq != frame.seq);
            if new {
                // A retuned device: the held peaks belong to another band.
                let retuned = self
                    .spectrum
                    .as_ref()
                    .is_some_and(|f| f.center_freq_hz != frame.center_freq_hz);
                if self.peak.len() != frame.bins_db.len() || retuned {
                    self.peak = frame.bins_db.clone();
                } else {
                    for (p, v) in self.peak.iter_mut().zip(&frame.bins_db) {
                        *p = p.max(*v);
                    }
                }
                if !self.paused {
                    self.waterfall.push_front(frame.bins_db.clone());
                    self.waterfall.truncate(WATERFALL_ROWS);
                }
                self.spectrum = Some(frame);
            }
        }
    }

    /// Adds a line to the frame/product log.
    pub fn push_log(&mut self, line: String) {
        self.log.push_back(line);
        while self.log.len() > LOG_LINES {
            self.log.pop_front();
        }
    }

    /// The run has ended: the screen stays until the user quits.
    pub fn set_finished(&mut self) {
        if !self.finished {
            self.finished = true;
            self.push_log("run finished - press q to quit".into());
        }
    }

    /// The process's CPU use in % of one core (shown in the header).
    pub fn set_cpu_percent(&mut self, percent: Option<f64>) {
        self.cpu_percent = percent;
    }

    pub fn paused(&self) -> bool {
        self.paused
    }

    pub fn db_span(&self) -> f32 {
        DB_SPANS[self.span_index]
    }

    pub fn zoom(&self) -> u32 {
        ZOOMS[self.zoom_index]
    }

    pub fn help_shown(&self) -> bool {
        self.help
    }

    pub fn peak_hold(&self) -> bool {
        self.peak_hold
    }

    pub fn waterfall_rows(&self) -> usize {
        self.waterfall.len()
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Action {
        if key.kind != KeyEventKind::Press {
            return Action::Continue;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if let Some(text) = self.input.as_mut() {
            // Typing a frequency: every key belongs to the input line.
            match key.code {
                KeyCode::Esc => self.input = None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Enter => {
                    let typed = self.input.take().unwrap_or_default();
                    match parse_frequency(&typed) {
                        Ok(hz) => return Action::Tune(hz),
                        Err(e) => self.set_message(e, true),
                    }
                }
                KeyCode::Char(c)
                    if text.len() < 24 && (c.is_ascii_alphanumeric() || ".-+".contains(c)) =>
                {
                    text.push(c)
                }
                _ => {}
            }
            return Action::Continue;
        }
        match key.code {
            KeyCode::Left | KeyCode::Right => {
                let Some(hz) = self.tuned_hz else {
                    self.set_message("this run cannot be tuned".into(), true);
                    return Action::Continue;
                };
                let step = self.tune_step_hz();
                return Action::Tune(if key.code == KeyCode::Left {
                    hz - step
                } else {
                    hz + step
                });
            }
            KeyCode::Up => return Action::StepGain(GAIN_STEP_DB),
            KeyCode::Down => return Action::StepGain(-GAIN_STEP_DB),
            KeyCode::Char('a') => return Action::ToggleAgc,
            KeyCode::Char('f') => {
                if self.tuned_hz.is_some() {
                    self.input = Some(String::new());
                } else {
                    self.set_message("this run cannot be tuned".into(), true);
                }
            }
            KeyCode::Char('s') => {
                self.step_index = (self.step_index + 1) % TUNE_STEPS_HZ.len();
                let text = format!("tuning step {}", step_label(self.tune_step_hz()));
                self.set_message(text, false);
            }
            KeyCode::Char('c') => {
                self.colormap_index = (self.colormap_index + 1) % COLORMAPS.len();
                let text = format!("colour map {:?}", self.colormap()).to_lowercase();
                self.set_message(text, false);
            }
            KeyCode::Char('[') => self.db_ref_offset -= DB_REF_STEP,
            KeyCode::Char(']') => self.db_ref_offset += DB_REF_STEP,
            KeyCode::Char('q') | KeyCode::Char('Q') => return Action::Quit,
            KeyCode::Char('r') => return Action::ToggleRecording,
            KeyCode::Esc if self.help => self.help = false,
            KeyCode::Char('h') | KeyCode::Char('?') => self.help = !self.help,
            KeyCode::Char(' ') => self.paused = !self.paused,
            // A wider range shows weaker signals; a narrower one more contrast.
            KeyCode::Char('+') | KeyCode::Char('=') => {
                self.span_index = (self.span_index + 1).min(DB_SPANS.len() - 1)
            }
            KeyCode::Char('-') => self.span_index = self.span_index.saturating_sub(1),
            KeyCode::Char('z') => self.zoom_index = (self.zoom_index + 1) % ZOOMS.len(),
            KeyCode::Char('p') => {
                self.peak_hold = !self.peak_hold;
                self.peak.clear();
            }
            _ => {}
        }
        Action::Continue
    }

    /// The tuned frequency relative to the centre: the first stage that reports a carrier
    /// or channel offset, plus the channel's move within a recording (`tune_offset_hz`).
    fn tuned_offset_hz(&self) -> f64 {
        self.stages
            .iter()
            .find_map(|s| {
                let moved = s.value("tune_offset_hz");
                let within = s
                    .value("carrier_offset_hz")
                    .or_else(|| s.value("offset_hz"));
                match (moved, within) {
                    (None, None) => None,
                    (m, w) => Some(m.unwrap_or(0.0) + w.unwrap_or(0.0)),
                }
            })
            .unwrap_or(0.0)
    }

    /// Visible bin range `[lo, hi)` at the current zoom, centred on the tuned channel.
    fn view(&self, frame: &SpectrumFrame) -> (usize, usize) {
        let n = frame.bins_db.len();
        let width = (n / self.zoom() as usize).max(2);
        let tuned_bin = n as f64 / 2.0 + self.tuned_offset_hz() / frame.sample_rate_hz * n as f64;
        let lo = (tuned_bin - width as f64 / 2.0)
            .round()
            .clamp(0.0, (n - width) as f64) as usize;
        (lo, lo + width)
    }

    pub fn render(&self, f: &mut Frame) {
        let [header, body, footer] = Layout::vertical([
            Constraint::Length(1),
            Constraint::Min(0),
            Constraint::Length(1),
        ])
        .areas(f.area());
        self.render_header(f, header);
        let right_w = (f.area().width / 3).clamp(30, 48);
        let [left, right] =
            Layout::horizontal([Constraint::Min(0), Constraint::Length(right_w)]).areas(body);
        let [spec, bottom] =
            Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(left);
        self.render_spectrum(f, spec);
        // An imaging pipeline's picture takes two fifths of the waterfall's row.
        match self.preview() {
            Some(p) => {
                let image_w = (bottom.width * 2 / 5).max(12);
                let [fall, image] =
                    Layout::horizontal([Constraint::Min(0), Constraint::Length(image_w)])
                        .areas(bottom);
                self.render_waterfall(f, fall);
                render_preview(f, image, p);
            }
            None => self.render_waterfall(f, bottom),
        }
        let lock_h = self.lock_lines().len() as u16 + 2;
        // The constellation takes a third of the column, the frame log what is left.
        let iq_h = if self.constellation().is_some() {
            (body.height / 3).clamp(6, 16)
        } else {
            0
        };
        let [lock, iq, log] = Layout::vertical([
            Constraint::Length(lock_h),
            Constraint::Length(iq_h),
            Constraint::Min(0),
        ])
        .areas(right);
        self.render_lock(f, lock);
        if iq_h > 0 {
            self.render_constellation(f, iq);
        }
        self.render_log(f, log);
        self.render_footer(f, footer);
        if self.help {
            self.render_help(f);
        }
    }

    /// The input line while a frequency is typed, else the latest message, else the
    /// radio's state and the main keys.
    fn render_footer(&self, f: &mut Frame, area: Rect) {
        let bold = Style::new().add_modifier(Modifier::BOLD);
        let line = if let Some(text) = &self.input {
            let unit = if self.relative() { "offset" } else { "MHz" };
            Line::from(vec![
                Span::styled(format!(" Tune to ({unit}): "), bold),
                Span::raw(format!("{text}_")),
                Span::raw("   Enter tune  Esc cancel"),
            ])
        } else if let Some(text) = self.message() {
            let error = self.message.as_ref().is_some_and(|m| m.1);
            let style = if error {
                Style::new().fg(Color::Red)
            } else {
                Style::new().fg(Color::Cyan)
            };
            Line::from(Span::styled(format!(" {text}"), style))
        } else {
            let mut spans = Vec::new();
            if let Some(hz) = self.tuned_hz {
                spans.push(Span::styled(
                    format!(" {}", describe_hz(hz, self.relative())),
                    bold,
                ));
                spans.push(Span::raw(format!(" ±{}", step_label(self.tune_step_hz()))));
            }
            if let Some(g) = &self.gain {
                spans.push(Span::raw(format!(" gain {g}")));
            }
            if !spans.is_empty() {
                spans.push(Span::raw(" │"));
            }
            for (k, what) in [
                ("q", "quit"),
                ("h", "help"),
                ("←→", "tune"),
                ("f", "freq"),
                ("↑↓", "gain"),
                ("space", "pause"),
                ("z", "zoom"),
                ("r", "rec"),
            ] {
                spans.push(Span::styled(format!(" {k}"), bold));
                spans.push(Span::raw(format!(" {what}")));
            }
            Line::from(spans)
        };
        f.render_widget(Paragraph::new(line), area);
    }

    /// Frequencies are offsets when the spectrum has no centre frequency.
    fn relative(&self) -> bool {
        self.spectrum
            .as_ref()
            .is_some_and(|s| s.center_freq_hz.is_none())
    }

    fn render_header(&self, f: &mut Frame, area: Rect) {
        let source = self.stages.iter().find(|s| s.stage == "source");
        let dropped = source
            .and_then(|s| s.value("dropped_samples"))
            .unwrap_or(0.0);
        let secs = self.elapsed.as_secs();
        let mut spans = Vec::new();
        // Flags first: a narrow terminal cuts the end of the line.
        if self.paused {
            spans.push(Span::styled(
                "PAUSED ",
                Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            ));
        }
        if self.finished {
            spans.push(Span::styled("FINISHED ", Style::new().fg(Color::Cyan)));
        }
        if let Some(bytes) = self.stages.iter().find_map(|s| s.value("recorded_bytes")) {
            spans.push(Span::styled(
                format!("● REC {} ", human_bytes(bytes)),
                Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            ));
        }
        spans.push(Span::raw(format!(
            " elapsed {:02}:{:02}  signal {:.1} s  ",
            secs / 60,
            secs % 60,
            position_s(&self.stages)
        )));
        spans.push(Span::styled(
            format!("dropped {dropped}"),
            Style::new().fg(if dropped > 0.0 {
                Color::Red
            } else {
                Color::Green
            }),
        ));
        let reconnects = source.and_then(|s| s.value("reconnects")).unwrap_or(0.0);
        if reconnects > 0.0 {
            spans.push(Span::styled(
                format!("  reconnects {reconnects}"),
                Style::new().fg(Color::Yellow),
            ));
        }
        if let Some(cpu) = self.cpu_percent {
            spans.push(Span::raw(format!("  CPU {cpu:.0}%")));
        }
        // The title gives way to the figures on a narrow terminal.
        let used: usize = spans.iter().map(|s| s.width()).sum();
        let room = (area.width as usize).saturating_sub(used + 2);
        let mut title: String = self.title.chars().take(room).collect();
        if title.chars().count() < self.title.chars().count() && room > 0 {
            title.pop();
            title.push('…');
        }
        spans.insert(
            0,
            Span::styled(
                format!(" {title} "),
                Style::new().add_modifier(Modifier::BOLD),
            ),
        );
        f.render_widget(Paragraph::new(Line::from(spans)), area);
    }

    /// Axis values: MHz when the centre is known, else kHz offsets.
    fn freq_axis(&self, frame: &SpectrumFrame, bin: f64) -> (f64, &'static str) {
        let n = frame.bins_db.len() as f64;
        let offset = (bin - n / 2.0) * frame.sample_rate_hz / n;
        match frame.center_freq_hz {
            Some(c) => ((c + offset) / 1e6, "MHz"),
            None => (offset / 1e3, "kHz offset"),
        }
    }

    /// Top and bottom of the dB scale: the top follows the strongest bin, rounded up
    /// to 10 dB so the scale does not jitter.
    fn db_scale(&self, frame: &SpectrumFrame) -> (f32, f32) {
        let max = frame
            .bins_db
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let top = ((max + 5.0) / 10.0).ceil() * 10.0 + self.db_ref_offset;
        (top - self.db_span(), top)
    }

    fn render_spectrum(&self, f: &mut Frame, area: Rect) {
        let Some(frame) = &self.spectrum else {
            f.render_widget(
                Paragraph::new("waiting for samples…").block(Block::bordered().title(" Spectrum ")),
                area,
            );
            return;
        };
        let (lo, hi) = self.view(frame);
        let (bottom, top) = self.db_scale(frame);
        let point = |i: usize, v: f32| {
            (
                self.freq_axis(frame, i as f64).0,
                v.clamp(bottom, top) as f64,
            )
        };
        let live: Vec<(f64, f64)> = (lo..hi).map(|i| point(i, frame.bins_db[i])).collect();
        let peak: Vec<(f64, f64)> = if self.peak_hold && self.peak.len() == frame.bins_db.len() {
            (lo..hi).map(|i| point(i, self.peak[i])).collect()
        } else {
            Vec::new()
        };
        let n = frame.bins_db.len() as f64;
        let tuned_bin = n / 2.0 + self.tuned_offset_hz() / frame.sample_rate_hz * n;
        let (tuned, unit) = self.freq_axis(frame, tuned_bin);
        let marker = [(tuned, bottom as f64), (tuned, top as f64)];
        let (x0, _) = self.freq_axis(frame, lo as f64);
        let (x1, _) = self.freq_axis(frame, (hi - 1) as f64);
        let digits = if unit == "MHz" { 3 } else { 1 };
        let label = |x: f64| format!("{x:.digits$}");
        let datasets = vec![
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::DarkGray))
                .data(&peak),
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::Cyan))
                .data(&live),
            Dataset::default()
                .marker(Marker::Braille)
                .graph_type(GraphType::Line)
                .style(Style::new().fg(Color::Yellow))
                .data(&marker),
        ];
        let title = format!(
            " Spectrum {} {unit} {}x {:.0}dB{} ",
            label(tuned),
            self.zoom(),
            self.db_span(),
            if self.peak_hold { " peak" } else { "" }
        );
        let chart = Chart::new(datasets)
            .block(Block::bordered().title(title))
            .x_axis(Axis::default().title(unit).bounds([x0, x1]).labels(vec![
                label(x0),
                label((x0 + x1) / 2.0),
                label(x1),
            ]))
            .y_axis(
                Axis::default()
                    .title("dB")
                    .bounds([bottom as f64, top as f64])
                    .labels(vec![format!("{bottom:.0}"), format!("{top:.0}")]),
            );
        f.render_widget(chart, area);
    }

    fn render_waterfall(&self, f: &mut Frame, area: Rect) {
        let block = Block::bordered().title(if self.paused {
            " Waterfall (paused) "
        } else {
            " Waterfall "
        });
        let inner = block.inner(area);
        f.render_widget(block, area);
        if let Some(frame) = &self.spectrum {
            let (lo, hi) = self.view(frame);
            let (bottom, top) = self.db_scale(frame);
            f.render_widget(
                WaterfallView {
                    rows: &self.waterfall,
                    lo,
                    hi,
                    bottom,
                    top,
                    colormap: self.colormap(),
                },
                inner,
            );
        }
    }

    fn lock_lines(&self) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for s in self.stages.iter().filter(|s| s.stage != "source") {
            lines.push(Line::from(vec![
                Span::styled(
                    format!("{:<13}", s.stage),
                    Style::new().add_modifier(Modifier::BOLD),
                ),
                Span::styled(s.state.clone(), Style::new().fg(state_colour(&s.state))),
            ]));
            if let Some(snr) = s.value("snr_db") {
                let c = grade(snr, 6.0, 2.0);
                lines.push(kv("  SNR", format!("{snr:.1} dB"), c));
            }
            if let Some(off) = s.value("carrier_offset_hz") {
                lines.push(kv("  carrier", format!("{off:+.0} Hz"), Color::Reset));
            }
            if let Some(l) = s.value("locked") {
                let (t, c) = if l > 0.0 {
                    ("yes", Color::Green)
                } else {
                    ("no", Color::Red)
                };
                lines.push(kv("  carr. lock", t.into(), c));
            }
            if let Some(l) = s.value("timing_locked") {
                let metric = s.value("timing_metric").unwrap_or(0.0);
                // Yellow: above the detector's release level (0.15) but not (yet)
                // locked, e.g. during its first averaging window or a fade.
                let (t, c) = if l > 0.0 {
                    ("yes", Color::Green)
                } else if metric >= 0.15 {
                    ("no", Color::Yellow)
                } else {
                    ("no", Color::Red)
                };
                lines.push(kv("  tim. lock", format!("{t} {metric:.2}"), c));
            }
            if let (Some(ok), Some(bad)) = (s.value("cadus_rs_ok"), s.value("cadus_rs_failed")) {
                let c = if ok == 0.0 {
                    Color::Red
                } else if bad > ok / 10.0 {
                    Color::Yellow
                } else {
                    Color::Green
                };
                lines.push(kv("  RS ok/fail", format!("{ok}/{bad}"), c));
            }
            if let Some(ber) = s.value("viterbi_ber") {
                // Coded BER before Viterbi: ≈0.5 on noise; Meteor decodes below ≈0.1.
                let c = if ber < 0.05 {
                    Color::Green
                } else if ber < 0.1 {
                    Color::Yellow
                } else {
                    Color::Red
                };
                lines.push(kv("  Vit. BER", format!("{ber:.3}"), c));
            }
            if let Some(n) = s.value("cadus").or_else(|| s.value("frames")) {
                lines.push(kv("  frames", format!("{n}"), Color::Reset));
            }
            if let Some(hz) = s.value("doppler_hz") {
                lines.push(kv("  Doppler", format!("{hz:+.0} Hz"), Color::Reset));
            }
            if let Some(m) = s.text.get("mode") {
                lines.push(kv("  mode", m.clone(), Color::Reset));
            }
        }
        if lines.is_empty() {
            lines.push(Line::from("no stage yet"));
        }
        lines
    }

    /// The first stage's image preview.
    fn preview(&self) -> Option<&Preview> {
        self.stages.iter().find_map(|s| s.preview.as_deref())
    }

    /// The first stage with constellation points, and its points.
    fn constellation(&self) -> Option<&StageStatus> {
        self.stages.iter().find(|s| !s.points.is_empty())
    }

    fn render_constellation(&self, f: &mut Frame, area: Rect) {
        let Some(stage) = self.constellation() else {
            return;
        };
        let coords: Vec<(f64, f64)> = stage
            .points
            .iter()
            .map(|&(i, q)| (i as f64, q as f64))
            .collect();
        let locked = stage.value("locked").is_some_and(|l| l > 0.0);
        let colour = if locked { Color::Green } else { Color::Yellow };
        let canvas = Canvas::default()
            .block(Block::bordered().title(" Constellation "))
            .marker(Marker::Braille)
            .x_bounds([-1.0, 1.0])
            .y_bounds([-1.0, 1.0])
            .paint(move |ctx| {
                ctx.draw(&Points {
                    coords: &coords,
                    color: colour,
                });
            });
        f.render_widget(canvas, area);
    }

    fn render_lock(&self, f: &mut Frame, area: Rect) {
        f.render_widget(
            Paragraph::new(self.lock_lines()).block(Block::bordered().title(" Lock ")),
            area,
        );
    }

    fn render_log(&self, f: &mut Frame, area: Rect) {
        let h = area.height.saturating_sub(2) as usize;
        let skip = self.log.len().saturating_sub(h);
        let lines: Vec<Line> = self
            .log
            .iter()
            .skip(skip)
            .map(|l| Line::from(l.as_str()))
            .collect();
        f.render_widget(
            Paragraph::new(lines).block(Block::bordered().title(" Frames / products ")),
            area,
        );
    }

    fn render_help(&self, f: &mut Frame) {
        let text = vec![
            Line::from("q / Ctrl-C  quit (products are finished)"),
            Line::from("← / →       tune down / up one step"),
            Line::from("s           tuning step 1k 5k 10k 25k 100k 1M"),
            Line::from("f           type a frequency (137.9, 137.9M, 137900k)"),
            Line::from("↑ / ↓       gain up / down 1 dB (a device)"),
            Line::from("a           automatic gain (AGC) on / off"),
            Line::from("space       pause / resume the waterfall"),
            Line::from("+ / -       widen / narrow the dB range"),
            Line::from("[ / ]       move the dB range down / up 5 dB"),
            Line::from("c           colour map viridis, turbo, grey"),
            Line::from("z           zoom 1x 2x 4x 8x on the tuned channel"),
            Line::from("p           peak hold on / off (resets it)"),
            Line::from("r           start / stop recording (a new file each time)"),
            Line::from("h / Esc     close this help"),
            Line::from("recording: tuning moves the channel within its band"),
            Line::from("yellow line: tuned channel; grey: peak hold"),
        ];
        let a = f.area();
        let w = 58.min(a.width);
        let h = (text.len() as u16 + 2).min(a.height);
        let rect = Rect::new(a.x + (a.width - w) / 2, a.y + (a.height - h) / 2, w, h);
        f.render_widget(Clear, rect);
        f.render_widget(
            Paragraph::new(text).block(Block::bordered().title(" Help ")),
            rect,
        );
    }
}

/// The image preview panel: the newest lines at the bottom, scaled to the panel's width
/// with square pixels, two per cell (upper half block on the lower's colour).
fn render_preview(f: &mut Frame, area: Rect, p: &Preview) {
    let block = Block::bordered().title(format!(" {} {} lines ", p.label, p.lines));
    let inner = block.inner(area);
    f.render_widget(block, area);
    f.render_widget(ImageView(p), inner);
}

struct ImageView<'a>(&'a Preview);

impl ImageView<'_> {
    /// The mean colour of source pixels `[x0, x1) × [y0, y1)`.
    fn mean(&self, x0: usize, x1: usize, y0: usize, y1: usize) -> Color {
        let p = self.0;
        let mut sum = [0u32; 3];
        let mut n = 0u32;
        for y in y0..y1.min(p.height) {
            for x in x0..x1.min(p.width) {
                let at = (y * p.width + x) * 3;
                for (s, v) in sum.iter_mut().zip(&p.rgb[at..at + 3]) {
                    *s += u32::from(*v);
                }
                n += 1;
            }
        }
        let n = n.max(1);
        let c = |s: u32| ((s + n / 2) / n) as u8;
        Color::Rgb(c(sum[0]), c(sum[1]), c(sum[2]))
    }
}

impl Widget for ImageView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        let p = self.0;
        if area.width == 0 || area.height == 0 || p.width == 0 || p.height == 0 {
            return;
        }
        let w = area.width as usize;
        // Source pixels per screen pixel (a cell is two pixels high).
        let scale = p.width as f64 / w as f64;
        let fit_rows = (2 * area.height as usize) as f64 * scale;
        let shown = (fit_rows.floor() as usize).min(p.height);
        let top = p.height - shown;
        let out_rows = ((shown as f64 / scale).round() as usize).min(2 * area.height as usize);
        let edge = |i: usize| (i as f64 * scale).round() as usize;
        let pixel = |x: usize, y: usize| {
            let (x0, x1) = (edge(x), edge(x + 1).max(edge(x) + 1));
            let (y0, y1) = (top + edge(y), top + edge(y + 1).max(edge(y) + 1));
            self.mean(x0, x1, y0, y1)
        };
        for cy in 0..out_rows.div_ceil(2) {
            for x in 0..w {
                let Some(cell) = buf.cell_mut((area.x + x as u16, area.y + cy as u16)) else {
                    continue;
                };
                cell.set_char('▀').set_fg(pixel(x, 2 * cy));
                if 2 * cy + 1 < out_rows {
                    cell.set_bg(pixel(x, 2 * cy + 1));
                }
            }
        }
    }
}

/// `5k`, `1M`: a tuning step.
fn step_label(hz: f64) -> String {
    if hz >= 1e6 {
        format!("{}M", hz / 1e6)
    } else {
        format!("{}k", hz / 1e3)
    }
}

/// `12.3 MB` style sizes (decimal units, as file managers show them).
fn human_bytes(bytes: f64) -> String {
    const UNITS: [&str; 5] = ["B", "kB", "MB", "GB", "TB"];
    let mut v = bytes;
    let mut unit = 0;
    while v >= 1000.0 && unit < UNITS.len() - 1 {
        v /= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{v:.0} B")
    } else {
        format!("{v:.1} {}", UNITS[unit])
    }
}

fn position_s(stages: &[StageStatus]) -> f64 {
    stages
        .iter()
        .find(|s| s.stage == "source")
        .and_then(|s| s.value("position_s"))
        .unwrap_or(0.0)
}

fn kv(key: &str, value: String, colour: Color) -> Line<'static> {
    Line::from(vec![
        Span::raw(format!("{key:<13}")),
        Span::styled(value, Style::new().fg(colour)),
    ])
}

/// Green at or above `good`, yellow at or above `fair`, red below.
fn grade(v: f64, good: f64, fair: f64) -> Color {
    if v >= good {
        Color::Green
    } else if v >= fair {
        Color::Yellow
    } else {
        Color::Red
    }
}

/// Green: locked/synced/working; yellow: acquiring; red: lost or failed.
pub fn state_colour(state: &str) -> Color {
    match state.to_ascii_uppercase().as_str() {
        "LOCKED" | "SYNCED" | "RUNNING" | "DONE" | "FRAMES" => Color::Green,
        "SYNCING" | "SEARCHING" | "STARTING" | "CHECK" => Color::Yellow,
        _ => Color::Red,
    }
}

/// The waterfall: newest row at the top, two rows per cell (upper half block).
struct WaterfallView<'a> {
    rows: &'a VecDeque<Vec<f32>>,
    lo: usize,
    hi: usize,
    bottom: f32,
    top: f32,
    colormap: Colormap,
}

impl WaterfallView<'_> {
    /// The strongest bin under column `x` of `width`, as a colour.
    fn colour(&self, row: &[f32], x: u16, width: u16) -> Color {
        let n = self.hi - self.lo;
        let a = self.lo + x as usize * n / width as usize;
        let b = (self.lo + (x as usize + 1) * n / width as usize).max(a + 1);
        let v = row[a.min(row.len() - 1)..b.min(row.len())]
            .iter()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        let t = ((v - self.bottom) / (self.top - self.bottom)).clamp(0.0, 1.0);
        let [r, g, b] = self.colormap.color(t as f64);
        Color::Rgb(r, g, b)
    }
}

impl Widget for WaterfallView<'_> {
    fn render(self, area: Rect, buf: &mut Buffer) {
        if area.width == 0 || self.hi <= self.lo {
            return;
        }
        for y in 0..area.height {
            let upper = self.rows.get(2 * y as usize);
            let lower = self.rows.get(2 * y as usize + 1);
            for x in 0..area.width {
                let Some(cell) = buf.cell_mut((area.x + x, area.y + y)) else {
                    continue;
                };
                match upper {
                    Some(u) if !u.is_empty() => {
                        cell.set_char('▀').set_fg(self.colour(u, x, area.width));
                        if let Some(l) = lower.filter(|l| !l.is_empty()) {
                            cell.set_bg(self.colour(l, x, area.width));
                        }
                    }
                    _ => {
                        cell.set_char(' ');
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    fn frame(seq: u64) -> SpectrumFrame {
        SpectrumFrame {
            bins_db: vec![-50.0; 64],
            sample_rate_hz: 64e3,
            center_freq_hz: Some(100e6),
            first_sample: 0,
            seq,
        }
    }

    #[test]
    fn sizes_read_like_a_file_manager() {
        assert_eq!(human_bytes(999.0), "999 B");
        assert_eq!(human_bytes(12_345_678.0), "12.3 MB");
        assert_eq!(human_bytes(2.5e9), "2.5 GB");
    }

    #[test]
    fn quit_keys() {
        let mut app = App::new("t");
        assert_eq!(app.on_key(key(KeyCode::Char('x'))), Action::Continue);
        assert_eq!(app.on_key(key(KeyCode::Char('q'))), Action::Quit);
        assert_eq!(app.on_key(key(KeyCode::Char('r'))), Action::ToggleRecording);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.on_key(ctrl_c), Action::Quit);
        // A key release is not a press.
        let mut release = key(KeyCode::Char('q'));
        release.kind = KeyEventKind::Release;
        assert_eq!(app.on_key(release), Action::Continue);
    }

    #[test]
    fn space_pauses_the_waterfall_only() {
        let mut app = App::new("t");
        app.on_tick(vec![], Some(frame(1)), Duration::ZERO);
        assert_eq!(app.waterfall_rows(), 1);
        app.on_key(key(KeyCode::Char(' ')));
        assert!(app.paused());
        app.on_tick(vec![], Some(frame(2)), Duration::ZERO);
        assert_eq!(app.waterfall_rows(), 1);
        assert_eq!(app.spectrum.as_ref().unwrap().seq, 2, "spectrum still live");
        app.on_key(key(KeyCode::Char(' ')));
        app.on_tick(vec![], Some(frame(3)), Duration::ZERO);
        // The same frame twice adds one row.
        app.on_tick(vec![], Some(frame(3)), Duration::ZERO);
        assert_eq!(app.waterfall_rows(), 2);
    }

    #[test]
    fn db_range_zoom_help_and_peak_keys() {
        let mut app = App::new("t");
        assert_eq!(app.db_span(), 60.0);
        app.on_key(key(KeyCode::Char('+')));
        assert_eq!(app.db_span(), 80.0);
        for _ in 0..20 {
            app.on_key(key(KeyCode::Char('+')));
        }
        assert_eq!(app.db_span(), 120.0);
        for _ in 0..20 {
            app.on_key(key(KeyCode::Char('-')));
        }
        assert_eq!(app.db_span(), 20.0);
        let zooms: Vec<u32> = (0..5)
            .map(|_| {
                app.on_key(key(KeyCode::Char('z')));
                app.zoom()
            })
            .collect();
        assert_eq!(zooms, vec![2, 4, 8, 1, 2]);
        assert!(!app.help_shown());
        app.on_key(key(KeyCode::Char('h')));
        assert!(app.help_shown());
        app.on_key(key(KeyCode::Esc));
        assert!(!app.help_shown());
        assert!(app.peak_hold());
        app.on_key(key(KeyCode::Char('p')));
        assert!(!app.peak_hold());
    }

    #[test]
    fn peak_hold_keeps_the_maximum() {
        let mut app = App::new("t");
        let mut f = frame(1);
        f.bins_db[10] = -10.0;
        app.on_tick(vec![], Some(f), Duration::ZERO);
        app.on_tick(vec![], Some(frame(2)), Duration::ZERO);
        assert_eq!(app.peak[10], -10.0);
        assert_eq!(app.peak[11], -50.0);
    }

    #[test]
    fn peak_hold_restarts_when_the_device_is_retuned() {
        let mut app = App::new("t");
        let mut f = frame(1);
        f.bins_db[10] = -10.0;
        app.on_tick(vec![], Some(f), Duration::ZERO);
        let mut retuned = frame(2);
        retuned.center_freq_hz = Some(101e6);
        app.on_tick(vec![], Some(retuned), Duration::ZERO);
        assert_eq!(app.peak[10], -50.0);
    }

    #[test]
    fn log_records_state_changes_and_frames() {
        let mut app = App::new("t");
        let st = |state: &str, ok: f64, at: f64| {
            vec![
                StageStatus::new("source", "running").with("position_s", at),
                StageStatus::new("meteor-lrpt", state)
                    .with("cadus_rs_ok", ok)
                    .with("cadus_rs_failed", 0.0),
            ]
        };
        app.on_tick(st("NOSYNC", 0.0, 1.0), None, Duration::ZERO);
        app.on_tick(st("SYNCED", 3.0, 2.0), None, Duration::ZERO);
        // Within the same second of signal: counted, not yet logged.
        app.on_tick(st("SYNCED", 5.0, 2.5), None, Duration::ZERO);
        app.on_tick(st("SYNCED", 6.0, 3.0), None, Duration::ZERO);
        let log: Vec<&String> = app.log.iter().collect();
        assert_eq!(log.len(), 4, "{log:?}");
        assert!(log[0].contains("starting->NOSYNC"));
        assert!(log[1].contains("NOSYNC->SYNCED"));
        assert_eq!(log[2], "  2.0s frames +3 ok +0 bad (3)");
        assert_eq!(log[3], "  3.0s frames +3 ok +0 bad (6)");
    }

    #[test]
    fn zoom_view_centres_on_the_tuned_channel_within_the_band() {
        let mut app = App::new("t");
        let f = frame(1);
        assert_eq!(app.view(&f), (0, 64));
        app.on_key(key(KeyCode::Char('z')));
        app.on_key(key(KeyCode::Char('z')));
        assert_eq!(app.view(&f), (24, 40));
        // Tuned near the edge: the view stays inside the band.
        app.on_tick(
            vec![StageStatus::new("x", "LOCKED").with("carrier_offset_hz", 31e3)],
            None,
            Duration::ZERO,
        );
        assert_eq!(app.view(&f), (48, 64));
    }

    fn typed(app: &mut App, text: &str) -> Vec<Action> {
        text.chars()
            .map(|c| app.on_key(key(KeyCode::Char(c))))
            .collect()
    }

    #[test]
    fn arrow_keys_tune_by_the_step_and_s_changes_it() {
        let mut app = App::new("t");
        // Nothing to tune: the status line says so.
        assert_eq!(app.on_key(key(KeyCode::Right)), Action::Continue);
        assert_eq!(app.message(), Some("this run cannot be tuned"));
        app.set_tuning(Some(137.9e6), Some("40 dB".into()));
        assert_eq!(app.on_key(key(KeyCode::Right)), Action::Tune(137.905e6));
        assert_eq!(app.on_key(key(KeyCode::Left)), Action::Tune(137.895e6));
        let steps: Vec<f64> = (0..6)
            .map(|_| {
                app.on_key(key(KeyCode::Char('s')));
                app.tune_step_hz()
            })
            .collect();
        assert_eq!(steps, [10e3, 25e3, 100e3, 1e6, 1e3, 5e3]);
        app.on_key(key(KeyCode::Char('s')));
        assert_eq!(app.message(), Some("tuning step 10k"));
        assert_eq!(app.on_key(key(KeyCode::Right)), Action::Tune(137.91e6));
    }

    #[test]
    fn f_opens_a_frequency_line_that_takes_every_key() {
        let mut app = App::new("t");
        app.set_tuning(Some(137.9e6), None);
        assert_eq!(app.on_key(key(KeyCode::Char('f'))), Action::Continue);
        assert_eq!(app.input(), Some(""));
        // q, h and space are text now, not commands.
        assert!(typed(&mut app, "13q7")
            .iter()
            .all(|a| *a == Action::Continue));
        assert_eq!(app.input(), Some("13q7"));
        app.on_key(key(KeyCode::Backspace));
        app.on_key(key(KeyCode::Backspace));
        typed(&mut app, "7.1");
        assert_eq!(app.input(), Some("137.1"));
        assert!(!app.help_shown());
        assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Tune(137.1e6));
        assert_eq!(app.input(), None);
        // Units as typed.
        app.on_key(key(KeyCode::Char('f')));
        typed(&mut app, "145800k");
        assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Tune(145.8e6));
        // A typo: a message, no tuning.
        app.on_key(key(KeyCode::Char('f')));
        typed(&mut app, "x1");
        assert_eq!(app.on_key(key(KeyCode::Enter)), Action::Continue);
        assert!(app.message().unwrap().contains("not a frequency"));
        // Esc cancels; Ctrl-C still quits from the line.
        app.on_key(key(KeyCode::Char('f')));
        typed(&mut app, "1");
        app.on_key(key(KeyCode::Esc));
        assert_eq!(app.input(), None);
        app.on_key(key(KeyCode::Char('f')));
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert_eq!(app.on_key(ctrl_c), Action::Quit);
    }

    #[test]
    fn gain_agc_colour_map_and_db_reference_keys() {
        let mut app = App::new("t");
        assert_eq!(app.on_key(key(KeyCode::Up)), Action::StepGain(1.0));
        assert_eq!(app.on_key(key(KeyCode::Down)), Action::StepGain(-1.0));
        assert_eq!(app.on_key(key(KeyCode::Char('a'))), Action::ToggleAgc);
        assert_eq!(app.colormap(), Colormap::Viridis);
        app.on_key(key(KeyCode::Char('c')));
        assert_eq!(app.colormap(), Colormap::Turbo);
        assert_eq!(app.message(), Some("colour map turbo"));
        app.on_key(key(KeyCode::Char('c')));
        app.on_key(key(KeyCode::Char('c')));
        assert_eq!(app.colormap(), Colormap::Viridis);
        app.on_key(key(KeyCode::Char(']')));
        app.on_key(key(KeyCode::Char(']')));
        app.on_key(key(KeyCode::Char('[')));
        assert_eq!(app.db_ref_offset(), 5.0);
        // The scale's top moves with it: -50 dB peak → top -40 → -35.
        assert_eq!(app.db_scale(&frame(1)), (-95.0, -35.0));
    }

    #[test]
    fn messages_last_five_seconds_of_the_run() {
        let mut app = App::new("t");
        app.on_tick(vec![], None, Duration::from_secs(10));
        app.set_message("AGC on".into(), false);
        app.on_tick(vec![], None, Duration::from_millis(14_900));
        assert_eq!(app.message(), Some("AGC on"));
        app.on_tick(vec![], None, Duration::from_secs(15));
        assert_eq!(app.message(), None);
    }

    #[test]
    fn the_marker_adds_the_channel_move_to_the_carrier_offset() {
        let mut app = App::new("t");
        app.on_tick(
            vec![StageStatus::new("x", "LOCKED")
                .with("carrier_offset_hz", 1e3)
                .with("tune_offset_hz", 20e3)],
            None,
            Duration::ZERO,
        );
        assert_eq!(app.tuned_offset_hz(), 21e3);
        app.on_tick(
            vec![StageStatus::new("x", "SEARCHING").with("tune_offset_hz", -5e3)],
            None,
            Duration::ZERO,
        );
        assert_eq!(app.tuned_offset_hz(), -5e3);
    }
}
