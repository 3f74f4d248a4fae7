//! The decision document's charts, drawn by plotters from the same
//! [`ChartSeries`] the window draws: SVG for the HTML document, PNG files beside the
//! Markdown. Each chart has axes with tick numbers and units, axis titles, a legend under the
//! plot (never over it), machine labels, your machine marked, and each timeout line named
//! with the tasks it belongs to.
//!
//! Text is laid out with the font egui already ships (`epaint_default_fonts`), registered
//! with plotters once, so a chart looks the same on every machine and no system font is
//! searched for.

use std::sync::Once;

use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::engine::series::{ChartSeries, Curve, MemoryStack};
use crate::engine::types::Workload;

mod axes;
mod plots;
mod style;

pub use axes::{log_minutes, minute_ticks, minutes_range, nice_ticks, place_labels, LabelBox};
pub use plots::point_rgb;

/// A colour as red, green, blue: the window converts these, so both draw the same colours.
pub type Rgb = (u8, u8, u8);

/// Weights in a memory stack.
pub const WEIGHTS: Rgb = (70, 120, 200);
/// The KV cache in a memory stack.
pub const KV_CACHE: Rgb = (140, 90, 200);
/// Compute buffers and runtime overhead in a memory stack.
pub const OVERHEAD: Rgb = (150, 150, 150);
/// Good news: fits, meets your requirements.
pub const GOOD: Rgb = (60, 160, 90);
/// Bad news: does not fit, misses your requirements.
pub const BAD: Rgb = (200, 60, 60);
/// The machine you have, on every chart.
pub const YOURS: Rgb = (230, 140, 20);
/// The best time for the money (the frontier line).
pub const FRONTIER: Rgb = (90, 130, 210);
/// The budget band behind the price chart.
pub const BUDGET_BAND: Rgb = (225, 235, 252);
/// Timeout and target lines: a colour no machine's curve uses.
pub const LIMIT_LINE: Rgb = (180, 30, 120);
/// Curve colours of the machines other than yours; neither orange (yours) nor the limit
/// lines' colour.
pub const CURVE_PALETTE: [Rgb; 7] = [
    (70, 120, 200),
    (60, 160, 90),
    (120, 80, 40),
    (40, 160, 170),
    (150, 130, 40),
    (110, 110, 110),
    (140, 90, 200),
];

/// Curves drawn besides yours: more is a tangle.
pub const CURVES_SHOWN: usize = 6;

/// Points on the price chart that carry their machine's name (plus yours).
pub const POINTS_LABELLED: usize = 5;

/// The colour of curve `index` of the chart (yours is always orange).
pub fn curve_rgb(curve: &Curve, index: usize) -> Rgb {
    if curve.is_current {
        YOURS
    } else {
        CURVE_PALETTE[index % CURVE_PALETTE.len()]
    }
}

/// The charts of the decision document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChartKind {
    /// Price against the slowest task's minutes per request.
    Price,
    /// Memory stacks against the memory the accelerator may use.
    Memory,
    /// Prefill time against prompt length, with the timeouts.
    Prefill,
    /// Decode speed against how full the context is.
    Decode,
}

impl ChartKind {
    /// Every chart, in the document's order.
    pub const ALL: [ChartKind; 4] = [
        ChartKind::Price,
        ChartKind::Memory,
        ChartKind::Prefill,
        ChartKind::Decode,
    ];

    /// The end of the file name of the chart's image: `decision-price.png`.
    pub fn file_suffix(self) -> &'static str {
        match self {
            ChartKind::Price => "price",
            ChartKind::Memory => "memory",
            ChartKind::Prefill => "prefill",
            ChartKind::Decode => "decode",
        }
    }

    /// The chart's heading in the document.
    pub fn title(self) -> &'static str {
        match self {
            ChartKind::Price => "Price against the wait",
            ChartKind::Memory => "Memory each option needs",
            ChartKind::Prefill => "Time to read a prompt",
            ChartKind::Decode => "Writing speed as the context fills",
        }
    }
}

/// What the charts read: the window's series, the workload (for naming timeout lines) and
/// how many options the document lists.
#[derive(Clone, Copy, Debug)]
pub struct ChartInputs<'a> {
    /// The series the window draws.
    pub series: &'a ChartSeries,
    /// The workload, for naming each timeout line with its tasks.
    pub workload: &'a Workload,
    /// The budget band of the price chart, in dollars.
    pub budget_usd: (f64, f64),
    /// Options the document's tables list: the memory chart shows exactly these rows.
    pub rows: usize,
}

impl ChartInputs<'_> {
    /// The memory rows the chart shows: the listed options that have a memory plan, in
    /// ranking order, the same rows as the document's memory table.
    pub fn memory_rows(&self) -> Vec<&MemoryStack> {
        self.series
            .memory
            .iter()
            .filter(|s| s.entry < self.rows)
            .collect()
    }

    /// The curves drawn: the first few options and yours.
    fn shown<'c>(&self, curves: &'c [Curve]) -> Vec<&'c Curve> {
        curves
            .iter()
            .filter(|c| c.entry < CURVES_SHOWN.min(self.rows) || c.is_current)
            .collect()
    }
}

/// The timeouts of a workload as lines to draw: each distinct timeout once, named with
/// every task that has it ("timeout 300 s: everyday coding, multi-file edits").
pub fn timeout_lines(workload: &Workload) -> Vec<(f64, String)> {
    let mut lines: Vec<(f64, Vec<&str>)> = Vec::new();
    for task in &workload.tasks {
        match lines
            .iter_mut()
            .find(|(secs, _)| (secs - task.timeout_secs).abs() < 1e-9)
        {
            Some((_, names)) => names.push(&task.name),
            None => lines.push((task.timeout_secs, vec![&task.name])),
        }
    }
    lines
        .into_iter()
        .map(|(secs, names)| {
            (
                secs,
                format!("timeout {}: {}", seconds_label(secs), names.join(", ")),
            )
        })
        .collect()
}

/// "300 s", "20 min".
fn seconds_label(secs: f64) -> String {
    if secs >= 120.0 && (secs / 60.0).fract().abs() < 1e-9 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{secs:.0} s")
    }
}

/// "1K", "32K", "1M" for a token count.
pub fn tokens_label(tokens: f64) -> String {
    if tokens >= 999_999.0 {
        format!("{}M", trim_zeros(tokens / 1e6))
    } else if tokens >= 1_000.0 {
        format!("{}K", trim_zeros(tokens / 1e3))
    } else {
        format!("{tokens:.0}")
    }
}

fn trim_zeros(value: f64) -> String {
    let text = format!("{value:.1}");
    text.strip_suffix(".0").map_or(text.clone(), str::to_owned)
}

/// Registers the bundled font as plotters' sans-serif, once per process.
fn register_fonts() {
    static FONTS: Once = Once::new();
    FONTS.call_once(|| {
        // The bytes are egui's own font, known to parse; if plotters ever refused them,
        // text would be missing from bitmaps and the tests reading the SVG would say so.
        let _ = plotters::style::register_font(
            "sans-serif",
            FontStyle::Normal,
            epaint_default_fonts::UBUNTU_LIGHT,
        );
    });
}

/// The chart's size in pixels: memory grows with its rows.
pub fn size(kind: ChartKind, inputs: &ChartInputs<'_>) -> (u32, u32) {
    match kind {
        ChartKind::Memory => {
            let rows = inputs.memory_rows().len().max(1) as u32;
            (900, 140 + 30 * rows)
        }
        ChartKind::Price => (900, 560),
        ChartKind::Prefill | ChartKind::Decode => (900, 520),
    }
}

/// The chart as an SVG document (text as text, so a browser prints it sharp).
pub fn svg(kind: ChartKind, inputs: &ChartInputs<'_>) -> Result<String, String> {
    register_fonts();
    let mut out = String::new();
    {
        let root = SVGBackend::with_string(&mut out, size(kind, inputs)).into_drawing_area();
        plots::draw(&root, kind, inputs)?;
        root.present().map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The chart as a PNG image.
pub fn png(kind: ChartKind, inputs: &ChartInputs<'_>) -> Result<Vec<u8>, String> {
    register_fonts();
    let (width, height) = size(kind, inputs);
    let mut pixels = vec![255u8; width as usize * height as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        plots::draw(&root, kind, inputs)?;
        root.present().map_err(|e| e.to_string())?;
    }
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| "the chart's pixels do not match its size".to_owned())?;
    let mut bytes = Vec::new();
    image
        .write_to(
            &mut std::io::Cursor::new(&mut bytes),
            image::ImageFormat::Png,
        )
        .map_err(|e| e.to_string())?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_labels_are_short() {
        assert_eq!(tokens_label(1_000.0), "1K");
        assert_eq!(tokens_label(146_760.0), "146.8K");
        assert_eq!(tokens_label(1_000_000.0), "1M");
    }
}
