//! `waterfall`: a PNG waterfall of a whole recording, frequency across, time down,
//! both axes labelled.
//!
//! Memory stays constant whatever the length: each row averages `frames_per_row` FFT
//! frames; when the rows reach twice the target, neighbouring rows are merged and the
//! frames per row doubled. When the length is known up front the row size is chosen so
//! that no merging is needed.

use crate::chain::{Chunk, Product, SampleStage};
use crate::error::{Error, Result};
use crate::io::RecordingInfo;
use crate::products::canvas::{decimals_for, nice_step, Canvas, BLACK, GREY, LINE_PX, WHITE};
use crate::status::StageStatus;
use downlink_dsp::filter::design::Window;
use downlink_dsp::spectrum::welch::{Welch, WelchConfig};
use std::path::PathBuf;

/// Colour maps for the waterfall.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Colormap {
    Viridis,
    Turbo,
    Grey,
}

impl Colormap {
    /// The colour at `t` in [0, 1] (clamped).
    pub fn color(self, t: f64) -> [u8; 3] {
        let t = t.clamp(0.0, 1.0);
        match self {
            Colormap::Viridis => colorous::VIRIDIS.eval_continuous(t).as_array(),
            Colormap::Turbo => colorous::TURBO.eval_continuous(t).as_array(),
            Colormap::Grey => {
                let v = (t * 255.0).round() as u8;
                [v, v, v]
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct WaterfallConfig {
    pub fft_size: usize,
    pub window: Window,
    /// Rows aimed at; the image has between this and twice this many (fewer for short files).
    pub target_rows: usize,
    /// Fixed colour range in dB; automatic (5th percentile to maximum) when None.
    pub db_range: Option<(f32, f32)>,
    pub colormap: Colormap,
}

impl Default for WaterfallConfig {
    fn default() -> Self {
        WaterfallConfig {
            fft_size: 1024,
            window: Window::Hann,
            target_rows: 600,
            db_range: None,
            colormap: Colormap::Viridis,
        }
    }
}

pub struct WaterfallStage {
    cfg: WaterfallConfig,
    info: RecordingInfo,
    out_path: PathBuf,
    welch: Welch,
    frames_per_row: u64,
    in_row: u64,
    rows: Vec<Vec<f32>>,
    samples: u64,
}

impl WaterfallStage {
    pub fn new(cfg: WaterfallConfig, info: &RecordingInfo, out_path: PathBuf) -> Result<Self> {
        if !(16..=65536).contains(&cfg.fft_size) || !cfg.fft_size.is_power_of_two() {
            return Err(Error::Usage(format!(
                "FFT size {} must be a power of two from 16 to 65536",
                cfg.fft_size
            )));
        }
        if cfg.target_rows == 0 {
            return Err(Error::Usage("the waterfall needs at least one row".into()));
        }
        let welch = Welch::new(WelchConfig {
            fft_size: cfg.fft_size,
            window: cfg.window,
            overlap: 0.0,
        })
        .map_err(|e| Error::Usage(e.to_string()))?;
        let frames_per_row = match info.total_samples {
            Some(n) => (n / cfg.fft_size as u64 / cfg.target_rows as u64).max(1),
            None => 1,
        };
        Ok(WaterfallStage {
            cfg,
            info: info.clone(),
            out_path,
            welch,
            frames_per_row,
            in_row: 0,
            rows: Vec::new(),
            samples: 0,
        })
    }

    fn row_len(&self) -> u64 {
        self.frames_per_row * self.cfg.fft_size as u64
    }

    fn close_row(&mut self) {
        if self.welch.segments() > 0 {
            self.rows.push(self.welch.psd());
        }
        self.welch.reset();
        self.in_row = 0;
        if self.rows.len() >= 2 * self.cfg.target_rows {
            let merged = self
                .rows
                .chunks(2)
                .map(|pair| {
                    if pair.len() == 2 {
                        pair[0]
                            .iter()
                            .zip(&pair[1])
                            .map(|(a, b)| 0.5 * (a + b))
                            .collect()
                    } else {
                        pair[0].clone()
                    }
                })
                .collect();
            self.rows = merged;
            self.frames_per_row *= 2;
        }
    }

    /// Seconds of recording per row.
    pub fn row_seconds(&self) -> f64 {
        self.row_len() as f64 / self.info.sample_rate_hz
    }

    /// Renders the rows collected so far.
    pub fn render(&self) -> Canvas {
        render(&self.rows, &self.info, self.row_seconds(), &self.cfg)
    }
}

impl SampleStage for WaterfallStage {
    fn name(&self) -> &'static str {
        "waterfall"
    }

    fn process(&mut self, chunk: &Chunk) -> Result<()> {
        let mut rest = &chunk.samples[..];
        self.samples += rest.len() as u64;
        while !rest.is_empty() {
            let take = ((self.row_len() - self.in_row) as usize).min(rest.len());
            self.welch.push(&rest[..take]);
            self.in_row += take as u64;
            rest = &rest[take..];
            if self.in_row == self.row_len() {
                self.close_row();
            }
        }
        Ok(())
    }

    fn finish(mut self: Box<Self>) -> Result<Vec<Product>> {
        self.close_row();
        if self.rows.is_empty() {
            return Err(Error::Usage(format!(
                "{}: too short for a waterfall: {} samples, one FFT needs {}",
                self.info.path, self.samples, self.cfg.fft_size
            )));
        }
        let canvas = self.render();
        let path = canvas.write_png(&self.out_path)?;
        Ok(vec![Product {
            kind: "waterfall".into(),
            description: format!(
                "{}×{} px, {} rows of {:.3} s, FFT {}",
                canvas.width,
                canvas.height,
                self.rows.len(),
                self.row_seconds(),
                self.cfg.fft_size
            ),
            path,
        }])
    }

    fn status(&self) -> StageStatus {
        StageStatus::new("waterfall", "running")
            .with("rows", self.rows.len() as f64)
            .with("frames_per_row", self.frames_per_row as f64)
    }
}

const LEFT_PX: usize = 84;
const RIGHT_PX: usize = 16;
const TOP_PX: usize = 2 * LINE_PX + 24;
const BOTTOM_PX: usize = LINE_PX + 6;

fn to_db(p: f32) -> f32 {
    10.0 * p.max(1e-20).log10()
}

/// Lays out the waterfall: title, frequency axis on top, time axis on the left.
pub fn render(
    rows: &[Vec<f32>],
    info: &RecordingInfo,
    row_seconds: f64,
    cfg: &WaterfallConfig,
) -> Canvas {
    let bins = rows.first().map_or(cfg.fft_size, Vec::len);
    let width = LEFT_PX + bins + RIGHT_PX;
    let height = TOP_PX + rows.len() + BOTTOM_PX;
    let mut c = Canvas::new(width, height, BLACK);

    let db: Vec<f32> = rows.iter().flatten().map(|&p| to_db(p)).collect();
    let (lo, hi) = cfg.db_range.unwrap_or_else(|| auto_range(&db));
    let span = (hi - lo).max(1e-3);
    for (y, row) in rows.iter().enumerate() {
        for (x, &p) in row.iter().enumerate() {
            let t = ((to_db(p) - lo) / span) as f64;
            c.set(LEFT_PX + x, TOP_PX + y, cfg.colormap.color(t));
        }
    }

    // Title: what the picture is.
    let name = std::path::Path::new(&info.path)
        .file_name()
        .map_or(info.path.clone(), |n| n.to_string_lossy().into_owned());
    let mut title = format!("{name}  {:.3} kS/s", info.sample_rate_hz / 1e3);
    if let Some(start) = info.start_time {
        title.push_str(&format!("  {}", start.format("%Y-%m-%d %H:%M:%SZ")));
    }
    c.text(4, 2, &title, WHITE);
    c.text(
        4,
        2 + LINE_PX,
        &format!(
            "FFT {}  {:.0} dB .. {:.0} dB  {:.3} s/row",
            bins, lo, hi, row_seconds
        ),
        GREY,
    );

    // Frequency axis: absolute MHz when the centre is known, else offset in kHz.
    let rate = info.sample_rate_hz;
    let bin_hz = rate / bins as f64;
    let axis_y = TOP_PX - 4;
    c.hline(LEFT_PX, LEFT_PX + bins, axis_y, GREY);
    let (unit, scale, base) = match info.center_freq_hz {
        Some(f) => ("MHz", 1e-6, f),
        None => ("kHz", 1e-3, 0.0),
    };
    let label_px = Canvas::text_width("000.0000") + 8;
    let target_ticks = (bins / label_px).clamp(2, 12);
    let step_hz = nice_step(rate, target_ticks);
    let decimals = decimals_for(step_hz * scale);
    let first = ((base - rate / 2.0) / step_hz).ceil() as i64;
    let last = ((base + rate / 2.0) / step_hz).floor() as i64;
    for k in first..=last {
        let f = k as f64 * step_hz;
        let x = LEFT_PX as f64 + (f - base + rate / 2.0) / bin_hz;
        if x < LEFT_PX as f64 || x >= (LEFT_PX + bins) as f64 {
            continue;
        }
        let x = x.round() as usize;
        c.vline(x, axis_y - 3, axis_y + 1, WHITE);
        let label = format!("{:.*}", decimals, f * scale);
        let w = Canvas::text_width(&label);
        let lx = x
            .saturating_sub(w / 2)
            .clamp(LEFT_PX.saturating_sub(w / 2), width - w);
        c.text(lx, axis_y - 3 - LINE_PX, &label, WHITE);
    }
    c.text(
        width.saturating_sub(Canvas::text_width(unit) + 2),
        2 + LINE_PX,
        unit,
        WHITE,
    );

    // Time axis: seconds from the start, or UTC when the start time is known.
    let total_s = rows.len() as f64 * row_seconds;
    c.vline(LEFT_PX - 4, TOP_PX, TOP_PX + rows.len(), GREY);
    let target = (rows.len() / (3 * LINE_PX)).clamp(1, 20);
    let step_s = nice_step(total_s, target);
    let decimals = decimals_for(step_s);
    let mut k = 0u64;
    loop {
        let t = k as f64 * step_s;
        if t > total_s + 1e-9 {
            break;
        }
        let y = TOP_PX + (t / row_seconds).round() as usize;
        if y >= TOP_PX + rows.len().max(1) {
            break;
        }
        c.hline(LEFT_PX - 8, LEFT_PX - 4, y, WHITE);
        let label = match info.start_time {
            Some(start) if step_s >= 1.0 => {
                let at = start + chrono::Duration::milliseconds((t * 1000.0).round() as i64);
                at.format("%H:%M:%S").to_string()
            }
            _ => format!("{:.*} s", decimals, t),
        };
        let w = Canvas::text_width(&label);
        c.text(
            (LEFT_PX - 10).saturating_sub(w),
            y.saturating_sub(3),
            &label,
            WHITE,
        );
        k += 1;
    }
    c.text(
        2,
        height - LINE_PX,
        if info.start_time.is_some() {
            "UTC"
        } else {
            "time"
        },
        GREY,
    );
    c
}

/// Colour range from the data: floor at the 5th percentile, top at the maximum.
fn auto_range(db: &[f32]) -> (f32, f32) {
    let mut v: Vec<f32> = db.iter().copied().filter(|x| x.is_finite()).collect();
    if v.is_empty() {
        return (-120.0, 0.0);
    }
    v.sort_by(f32::total_cmp);
    let lo = v[v.len() / 20];
    let hi = v[v.len() - 1];
    if hi - lo < 1.0 {
        (lo - 1.0, lo + 1.0)
    } else {
        (lo, hi)
    }
}
