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

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::engine::series::{ChartSeries, Curve, MemoryStack, PricePoint};
use crate::engine::types::Workload;
use crate::present::usd;

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
    pub series: &'a ChartSeries,
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
        draw(&root, kind, inputs)?;
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
        draw(&root, kind, inputs)?;
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

fn rgb((r, g, b): Rgb) -> RGBColor {
    RGBColor(r, g, b)
}

const TEXT: RGBColor = RGBColor(40, 40, 40);
const GRID: RGBColor = RGBColor(232, 232, 232);
const AXIS_GREY: RGBColor = RGBColor(120, 120, 120);

fn font(size: u32) -> TextStyle<'static> {
    ("sans-serif", size).into_font().color(&TEXT)
}

/// Height of the legend strip under each plot.
const LEGEND_HEIGHT: u32 = 64;

type Result2<T> = Result<T, String>;

fn draw<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    kind: ChartKind,
    inputs: &ChartInputs<'_>,
) -> Result2<()> {
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let height = root.dim_in_pixel().1;
    let (plot, legend_area) = root.split_vertically(height.saturating_sub(LEGEND_HEIGHT));
    let items = match kind {
        ChartKind::Price => price(&plot, inputs)?,
        ChartKind::Memory => memory(&plot, inputs)?,
        ChartKind::Prefill => prefill(&plot, inputs)?,
        ChartKind::Decode => decode(&plot, inputs)?,
    };
    legend(&legend_area, &items)
}

/// A legend entry's mark.
#[derive(Clone, Copy)]
enum Mark {
    Dot { color: Rgb, filled: bool },
    Diamond(Rgb),
    Line(Rgb, u32),
    Dashed(Rgb),
    Swatch(Rgb),
    Outline(Rgb),
}

/// Draws the legend as wrapped rows of mark + words.
fn legend<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    items: &[(Mark, String)],
) -> Result2<()> {
    let style = font(13);
    let (width, _) = area.dim_in_pixel();
    let (mut x, mut y) = (16i32, 6i32);
    for (mark, text) in items {
        let (text_w, _) = area
            .estimate_text_size(text, &style)
            .map_err(|e| e.to_string())?;
        let item_w = 22 + text_w as i32 + 18;
        if x > 16 && x + item_w > width as i32 - 8 {
            x = 16;
            y += 20;
        }
        let c = (x + 7, y + 8);
        let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
        match *mark {
            Mark::Dot { color, filled } => {
                let style = if filled {
                    rgb(color).filled()
                } else {
                    rgb(color).stroke_width(2)
                };
                area.draw(&Circle::new(c, 5, style)).map_err(err)?;
            }
            Mark::Diamond(color) => area
                .draw(&Polygon::new(
                    vec![
                        (c.0, c.1 - 7),
                        (c.0 + 7, c.1),
                        (c.0, c.1 + 7),
                        (c.0 - 7, c.1),
                    ],
                    rgb(color).filled(),
                ))
                .map_err(err)?,
            Mark::Line(color, width) => area
                .draw(&PathElement::new(
                    vec![(c.0 - 8, c.1), (c.0 + 8, c.1)],
                    rgb(color).stroke_width(width),
                ))
                .map_err(err)?,
            Mark::Dashed(color) => {
                for dx in [-8, -1, 6] {
                    area.draw(&PathElement::new(
                        vec![(c.0 + dx, c.1), (c.0 + dx + 4, c.1)],
                        rgb(color).stroke_width(2),
                    ))
                    .map_err(err)?;
                }
            }
            Mark::Swatch(color) => area
                .draw(&Rectangle::new(
                    [(c.0 - 7, c.1 - 6), (c.0 + 7, c.1 + 6)],
                    rgb(color).filled(),
                ))
                .map_err(err)?,
            Mark::Outline(color) => area
                .draw(&Rectangle::new(
                    [(c.0 - 7, c.1 - 6), (c.0 + 7, c.1 + 6)],
                    rgb(color).stroke_width(2),
                ))
                .map_err(err)?,
        }
        area.draw(&Text::new(text.clone(), (x + 20, y + 1), style.clone()))
            .map_err(err)?;
        x += item_w;
    }
    Ok(())
}

/// A machine's label shortened for a chart: at most `max` characters.
fn short(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let kept: String = label.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// A label's anchor point and its size, in screen units (y grows downward).
pub type LabelBox = ((f64, f64), (f64, f64));

/// Where to put labels beside their points so that no two overlap: for each label, in
/// priority order, the first of four spots (right and above, right and below, left and above,
/// left and below) inside `area` (min corner, max corner) clear of the labels placed
/// before it; `None` when every spot is taken. Returns each label's top-left corner.
pub fn place_labels(
    labels: &[LabelBox],
    area: ((f64, f64), (f64, f64)),
) -> Vec<Option<(f64, f64)>> {
    const GAP: f64 = 6.0;
    let mut placed: Vec<((f64, f64), (f64, f64))> = Vec::new();
    let mut out = Vec::with_capacity(labels.len());
    for &((x, y), (w, h)) in labels {
        let candidates = [
            (x + GAP, y - h - 2.0),
            (x + GAP, y + 2.0),
            (x - GAP - w, y - h - 2.0),
            (x - GAP - w, y + 2.0),
        ];
        let spot = candidates.into_iter().find(|&(left, top)| {
            let inside = left >= area.0 .0
                && top >= area.0 .1
                && left + w <= area.1 .0
                && top + h <= area.1 .1;
            inside
                && placed
                    .iter()
                    .all(|&((l, t), (r, b))| left + w <= l || left >= r || top + h <= t || top >= b)
        });
        if let Some((left, top)) = spot {
            placed.push(((left, top), (left + w, top + h)));
        }
        out.push(spot);
    }
    out
}

/// Minutes as the price chart plots them: log10, with a floor of 0.6 s.
pub fn log_minutes(mins: f64) -> f64 {
    mins.max(0.01).log10()
}

/// The price chart's y range in log10 minutes, with room around the points.
pub fn minutes_range(mins: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = mins.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| {
        (lo.min(m), hi.max(m))
    });
    if !lo.is_finite() {
        return (log_minutes(0.1), log_minutes(100.0));
    }
    // At least a factor of ten from bottom to top, and a little air above and below.
    let (lo, hi) = (log_minutes(lo) - 0.15, log_minutes(hi) + 0.15);
    if hi - lo < 1.0 {
        let mid = (hi + lo) / 2.0;
        (mid - 0.5, mid + 0.5)
    } else {
        (lo, hi)
    }
}

/// Round minute values (1, 2 and 5 times a power of ten) within a log10 range.
pub fn minute_ticks(lo: f64, hi: f64) -> Vec<f64> {
    let mut out = Vec::new();
    for power in -2..=5 {
        for m in [1.0, 2.0, 5.0] {
            let v = (m * 10f64.powi(power)).log10();
            if v >= lo && v <= hi {
                out.push(v);
            }
        }
    }
    out
}

/// A linear axis with the ticks given: plotters' own pick of round numbers does not know
/// dollars or a log scale of tokens.
#[derive(Clone)]
struct Ticked {
    range: std::ops::Range<f64>,
    ticks: Vec<f64>,
}

impl Ticked {
    fn new(range: std::ops::Range<f64>, ticks: Vec<f64>) -> Self {
        Self { range, ticks }
    }
}

impl Ranged for Ticked {
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let span = (self.range.end - self.range.start).max(f64::MIN_POSITIVE);
        let t = (value - self.range.start) / span;
        limit.0 + (t * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Only bold lines: the light ones would repeat the ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.range.clone()
    }
}

/// Tick values from 0 to `max`, at a round step, about `n` of them.
pub fn nice_ticks(max: f64, n: usize) -> Vec<f64> {
    let raw = (max / n.max(1) as f64).max(f64::MIN_POSITIVE);
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (0..)
        .map(|i| i as f64 * step)
        .take_while(|v| *v <= max * 1.000_001)
        .collect()
}

/// A number with no more decimals than it needs: "12", "2.5", "0.25".
fn plain_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else if (value * 10.0 - (value * 10.0).round()).abs() < 1e-9 {
        format!("{value:.1}")
    } else {
        format!("{value:.2}")
    }
}

fn price<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    inputs: &ChartInputs<'_>,
) -> Result2<Vec<(Mark, String)>> {
    let series = inputs.series;
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let max_x = series
        .price
        .iter()
        .map(|p| p.price_usd)
        .fold(100.0, f64::max)
        * 1.1;
    // Minutes on a log scale: a CPU-only box at hours per request and a GPU at seconds both
    // stay readable.
    let (min_y, max_y) = minutes_range(series.price.iter().map(|p| p.slowest_request_mins));
    let x_ticks = nice_ticks(max_x, 6);
    let y_ticks = minute_ticks(min_y, max_y);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .margin_right(40)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(
            Ticked::new(0.0..max_x, x_ticks),
            Ticked::new(min_y..max_y, y_ticks),
        )
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc("price (US dollars; the machine you have counts as $0)")
        .y_desc("minutes per request, slowest task (log)")
        .x_label_formatter(&|x| usd(*x))
        .y_label_formatter(&|y| plain_number(10f64.powf(*y)))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(AXIS_GREY)
        .draw()
        .map_err(err)?;
    let (lo, hi) = inputs.budget_usd;
    let (lo, hi) = (lo.clamp(0.0, max_x), hi.clamp(0.0, max_x));
    if hi > lo {
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [(lo, min_y), (hi, max_y)],
                rgb(BUDGET_BAND).filled(),
            )))
            .map_err(err)?;
    }
    chart
        .draw_series(LineSeries::new(
            series.frontier.iter().map(|p| (p[0], log_minutes(p[1]))),
            rgb(FRONTIER).stroke_width(2),
        ))
        .map_err(err)?;
    for point in &series.price {
        let at = (point.price_usd, log_minutes(point.slowest_request_mins));
        let color = point_rgb(point);
        if point.is_current {
            chart
                .draw_series(std::iter::once(
                    EmptyElement::at(at)
                        + Polygon::new(vec![(0, -9), (9, 0), (0, 9), (-9, 0)], rgb(color).filled()),
                ))
                .map_err(err)?;
        } else {
            let style = if point.best_for_price {
                rgb(color).filled()
            } else {
                rgb(color).stroke_width(2)
            };
            chart
                .draw_series(std::iter::once(Circle::new(at, 6, style)))
                .map_err(err)?;
        }
    }
    // Names next to the first few options and yours, where they do not cover each other;
    // the rest are in the tables.
    let labelled: Vec<(&PricePoint, String)> = series
        .price
        .iter()
        .filter(|p| p.entry < POINTS_LABELLED.min(inputs.rows) || p.is_current)
        .map(|p| (p, format!("#{} {}", p.entry + 1, short(&p.label, 34))))
        .collect();
    let mut boxes = Vec::with_capacity(labelled.len());
    for (point, text) in &labelled {
        let (w, h) = area
            .estimate_text_size(text, &font(12))
            .map_err(|e| e.to_string())?;
        let (px, py) =
            chart.backend_coord(&(point.price_usd, log_minutes(point.slowest_request_mins)));
        boxes.push(((f64::from(px), f64::from(py)), (f64::from(w), f64::from(h))));
    }
    let (x_px, y_px) = chart.plotting_area().get_pixel_range();
    let plot_area = (
        (f64::from(x_px.start), f64::from(y_px.start)),
        (f64::from(x_px.end), f64::from(y_px.end)),
    );
    for ((point, text), spot) in labelled.iter().zip(place_labels(&boxes, plot_area)) {
        let Some((left, top)) = spot else {
            continue;
        };
        let (px, py) =
            chart.backend_coord(&(point.price_usd, log_minutes(point.slowest_request_mins)));
        let offset = ((left - f64::from(px)) as i32, (top - f64::from(py)) as i32);
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((point.price_usd, log_minutes(point.slowest_request_mins)))
                    + Text::new(text.clone(), offset, font(12)),
            ))
            .map_err(err)?;
    }
    Ok(vec![
        (Mark::Diamond(YOURS), "your machine".to_owned()),
        (
            Mark::Dot {
                color: GOOD,
                filled: true,
            },
            "meets your requirements".to_owned(),
        ),
        (
            Mark::Dot {
                color: BAD,
                filled: true,
            },
            "misses them".to_owned(),
        ),
        (
            Mark::Dot {
                color: AXIS_GREY_RGB,
                filled: false,
            },
            "hollow: a cheaper option is as fast".to_owned(),
        ),
        (
            Mark::Line(FRONTIER, 2),
            "best time for the money".to_owned(),
        ),
        (Mark::Swatch(BUDGET_BAND), "your budget".to_owned()),
    ])
}

const AXIS_GREY_RGB: Rgb = (120, 120, 120);

/// The colour of a point on the price chart.
pub fn point_rgb(point: &PricePoint) -> Rgb {
    if point.is_current {
        YOURS
    } else if point.meets_targets {
        GOOD
    } else {
        BAD
    }
}

fn memory<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    inputs: &ChartInputs<'_>,
) -> Result2<Vec<(Mark, String)>> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let rows = inputs.memory_rows();
    let n = rows.len().max(1) as i32;
    let max_x = rows
        .iter()
        .map(|r| (r.weights_gib + r.kv_cache_gib + r.overhead_gib).max(r.usable_gib))
        .fold(1.0, f64::max)
        * 1.08;
    let labels: Vec<String> = rows
        .iter()
        .map(|r| format!("#{} {}", r.entry + 1, short(&r.label, 46)))
        .collect();
    let label_w = labels
        .iter()
        .filter_map(|l| area.estimate_text_size(l, &font(13)).ok())
        .map(|(w, _)| w)
        .max()
        .unwrap_or(100)
        .clamp(100, 380);
    let x_ticks = nice_ticks(max_x, 8);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(48)
        .y_label_area_size(label_w + 16)
        .build_cartesian_2d(Ticked::new(0.0..max_x, x_ticks), (0..n).into_segmented())
        .map_err(err)?;
    // Row 0 (the first option) at the top.
    let segment = |row: usize| n - 1 - row as i32;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .y_labels(n as usize)
        .y_label_formatter(&|v| match v {
            SegmentValue::CenterOf(i) => labels
                .get((n - 1 - i) as usize)
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .x_label_formatter(&|x| plain_number(*x))
        .x_desc("GiB at the busiest moment of the mix")
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(AXIS_GREY)
        .draw()
        .map_err(err)?;
    for (row, stack) in rows.iter().enumerate() {
        let i = segment(row);
        let mut x = 0.0;
        for (gib, color) in [
            (stack.weights_gib, WEIGHTS),
            (stack.kv_cache_gib, KV_CACHE),
            (stack.overhead_gib, OVERHEAD),
        ] {
            let next = x + gib.max(0.0);
            let mut bar = Rectangle::new(
                [
                    (x, SegmentValue::Exact(i)),
                    (next, SegmentValue::Exact(i + 1)),
                ],
                rgb(color).filled(),
            );
            bar.set_margin(5, 5, 0, 0);
            chart.draw_series(std::iter::once(bar)).map_err(err)?;
            x = next;
        }
        if stack.is_current {
            let mut outline = Rectangle::new(
                [
                    (0.0, SegmentValue::Exact(i)),
                    (x, SegmentValue::Exact(i + 1)),
                ],
                rgb(YOURS).stroke_width(3),
            );
            outline.set_margin(3, 3, 0, 0);
            chart.draw_series(std::iter::once(outline)).map_err(err)?;
        }
        let tick = if stack.headroom_gib >= 0.0 { GOOD } else { BAD };
        let half = max_x * 0.003;
        let mut usable = Rectangle::new(
            [
                (stack.usable_gib - half, SegmentValue::Exact(i)),
                (stack.usable_gib + half, SegmentValue::Exact(i + 1)),
            ],
            rgb(tick).filled(),
        );
        usable.set_margin(1, 1, 0, 0);
        chart.draw_series(std::iter::once(usable)).map_err(err)?;
    }
    Ok(vec![
        (Mark::Swatch(WEIGHTS), "model weights".to_owned()),
        (
            Mark::Swatch(KV_CACHE),
            "context memory (KV cache)".to_owned(),
        ),
        (Mark::Swatch(OVERHEAD), "runtime overhead".to_owned()),
        (
            Mark::Line(GOOD, 4),
            "memory the GPU may use: fits".to_owned(),
        ),
        (Mark::Line(BAD, 4), "does not fit".to_owned()),
        (Mark::Outline(YOURS), "your machine".to_owned()),
    ])
}

/// How a curve chart is drawn.
struct CurveChart<'a> {
    curves: Vec<&'a Curve>,
    /// Plot x as log10 (prompt lengths from 1K to 1M).
    x_log: bool,
    x_desc: &'a str,
    y_desc: &'a str,
    /// The top of the y axis; curves are cut where they leave it.
    y_max: f64,
    /// Horizontal lines (timeouts, the decode target) with their names.
    limits: Vec<(f64, String)>,
}

/// The points of a curve up to where it leaves the top of the chart.
fn clipped(points: &[[f64; 2]], y_max: f64) -> Vec<(f64, f64)> {
    let mut out = Vec::with_capacity(points.len());
    for (i, p) in points.iter().enumerate() {
        if p[1] <= y_max {
            out.push((p[0], p[1]));
            continue;
        }
        if let Some(prev) = i.checked_sub(1).and_then(|j| points.get(j)) {
            if prev[1] < y_max {
                let t = (y_max - prev[1]) / (p[1] - prev[1]);
                out.push((prev[0] + (p[0] - prev[0]) * t, y_max));
            }
        }
        break;
    }
    out
}

fn curves<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    spec: &CurveChart<'_>,
) -> Result2<Vec<(Mark, String)>> {
    let err = |e: DrawingAreaErrorKind<DB::ErrorType>| e.to_string();
    let to_x = |x: f64| if spec.x_log { x.max(1.0).log10() } else { x };
    let xs = spec
        .curves
        .iter()
        .flat_map(|c| c.points.iter().map(|p| to_x(p[0])));
    let (min_x, max_x) = xs.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
        (lo.min(x), hi.max(x))
    });
    let (min_x, max_x) = if min_x.is_finite() && max_x > min_x {
        (min_x, max_x)
    } else if spec.x_log {
        (3.0, 6.0)
    } else {
        (0.0, 1.0)
    };
    let x_ticks: Vec<f64> = if spec.x_log {
        [1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6]
            .iter()
            .map(|t: &f64| t.log10())
            .filter(|t| *t >= min_x - 1e-9 && *t <= max_x + 1e-9)
            .collect()
    } else {
        nice_ticks(max_x, 7)
    };
    let y_max = spec.y_max.max(1e-3);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .margin_right(30)
        .x_label_area_size(52)
        .y_label_area_size(72)
        .build_cartesian_2d(
            Ticked::new(min_x..max_x, x_ticks),
            Ticked::new(0.0..y_max, nice_ticks(y_max, 6)),
        )
        .map_err(err)?;
    let x_log = spec.x_log;
    chart
        .configure_mesh()
        .x_desc(spec.x_desc)
        .y_desc(spec.y_desc)
        .x_label_formatter(&|x| tokens_label(if x_log { 10f64.powf(*x) } else { *x }))
        .y_label_formatter(&|y| plain_number(*y))
        .label_style(font(13))
        .axis_desc_style(font(14))
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .axis_style(AXIS_GREY)
        .draw()
        .map_err(err)?;
    for (secs, name) in &spec.limits {
        if *secs > y_max {
            continue;
        }
        chart
            .draw_series(DashedLineSeries::new(
                [(min_x, *secs), (max_x, *secs)],
                8,
                5,
                rgb(LIMIT_LINE).stroke_width(2),
            ))
            .map_err(err)?;
        let (text_w, _) = area
            .estimate_text_size(name, &font(12))
            .map_err(|e| e.to_string())?;
        // On a white ground, so curves passing behind do not hide it.
        let left = -(text_w as i32) - 8;
        chart
            .draw_series(std::iter::once(
                EmptyElement::at((max_x, *secs))
                    + Rectangle::new([(left - 3, -19), (-3, -3)], WHITE.mix(0.85).filled())
                    + Text::new(name.clone(), (left, -17), font(12).color(&rgb(LIMIT_LINE))),
            ))
            .map_err(err)?;
    }
    let mut items = Vec::new();
    for (i, curve) in spec.curves.iter().enumerate() {
        let color = curve_rgb(curve, i);
        let width = if curve.is_current { 4 } else { 2 };
        let points: Vec<[f64; 2]> = curve.points.iter().map(|p| [to_x(p[0]), p[1]]).collect();
        chart
            .draw_series(LineSeries::new(
                clipped(&points, y_max),
                rgb(color).stroke_width(width),
            ))
            .map_err(err)?;
        items.push((
            Mark::Line(color, width),
            format!("#{} {}", curve.entry + 1, short(&curve.label, 40)),
        ));
    }
    if !spec.limits.is_empty() {
        items.push((
            Mark::Dashed(LIMIT_LINE),
            "limit (named on the line)".to_owned(),
        ));
    }
    Ok(items)
}

fn prefill<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    inputs: &ChartInputs<'_>,
) -> Result2<Vec<(Mark, String)>> {
    let chart = &inputs.series.prefill;
    let limits = timeout_lines(inputs.workload);
    let shown = inputs.shown(&chart.curves);
    let data_max = shown
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p[1]))
        .fold(1.0, f64::max);
    // Up to three times the longest timeout: past it, every machine has failed the task.
    let y_max = limits
        .iter()
        .map(|(secs, _)| secs * 3.0)
        .reduce(f64::max)
        .map_or(data_max, |limit| {
            limit.min(data_max * 1.05).max(limit / 3.0 * 1.2)
        });
    curves(
        area,
        &CurveChart {
            curves: shown,
            x_log: true,
            x_desc: "prompt length in tokens (log scale)",
            y_desc: "seconds before the first token",
            y_max,
            limits,
        },
    )
}

fn decode<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    inputs: &ChartInputs<'_>,
) -> Result2<Vec<(Mark, String)>> {
    let chart = &inputs.series.decode;
    let shown = inputs.shown(&chart.curves);
    let data_max = shown
        .iter()
        .flat_map(|c| c.points.iter().map(|p| p[1]))
        .fold(1.0, f64::max);
    let target = chart.target_tokens_per_s.filter(|t| *t > 0.0);
    let y_max = data_max.max(target.unwrap_or(0.0)) * 1.1;
    curves(
        area,
        &CurveChart {
            curves: shown,
            x_log: false,
            x_desc: "tokens already in the context",
            y_desc: "tokens written per second",
            y_max,
            limits: target
                .map(|t| (t, format!("your target: {} tokens/s", plain_number(t))))
                .into_iter()
                .collect(),
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nice_ticks_are_round() {
        assert_eq!(nice_ticks(10.0, 5), vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]);
        // 5,500 / 6 = 917 -> a step of 1,000.
        assert_eq!(
            nice_ticks(5_500.0, 6),
            vec![0.0, 1000.0, 2000.0, 3000.0, 4000.0, 5000.0]
        );
    }

    #[test]
    fn a_curve_is_cut_where_it_leaves_the_chart() {
        // From 100 to 300 between x = 1 and 2: it crosses 200 halfway.
        assert_eq!(
            clipped(
                &[[0.0, 0.0], [1.0, 100.0], [2.0, 300.0], [3.0, 400.0]],
                200.0
            ),
            vec![(0.0, 0.0), (1.0, 100.0), (1.5, 200.0)]
        );
    }

    #[test]
    fn labels_move_aside_instead_of_covering_each_other() {
        let area = ((0.0, 0.0), (400.0, 300.0));
        // Two points 4 px apart: the second label goes below its point.
        let spots = place_labels(
            &[
                ((100.0, 100.0), (80.0, 14.0)),
                ((102.0, 104.0), (80.0, 14.0)),
            ],
            area,
        );
        assert_eq!(spots, vec![Some((106.0, 84.0)), Some((108.0, 106.0))]);
        // Near the right edge, a label goes to the left of its point.
        let spots = place_labels(&[((390.0, 100.0), (80.0, 14.0))], area);
        assert_eq!(spots, vec![Some((304.0, 84.0))]);
    }

    #[test]
    fn token_labels_are_short() {
        assert_eq!(tokens_label(1_000.0), "1K");
        assert_eq!(tokens_label(146_760.0), "146.8K");
        assert_eq!(tokens_label(1_000_000.0), "1M");
    }
}
