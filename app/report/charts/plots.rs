//! Each chart drawn with plotters on any backend (SVG or bitmap): the price chart, the
//! memory stacks, and the prefill and decode curves, each with a legend strip under it.

use plotters::coord::Shift;
use plotters::prelude::*;

use crate::engine::series::{Curve, PricePoint};
use crate::present::usd;

use super::axes::{
    clipped, log_minutes, minute_ticks, minutes_range, nice_ticks, place_labels, plain_number,
    short, Ticked,
};
use super::style::{font, legend, rgb, HouseStyle, Mark, Result2, LEGEND_HEIGHT};
use super::{
    curve_rgb, timeout_lines, tokens_label, ChartInputs, ChartKind, Rgb, BAD, BUDGET_BAND,
    FRONTIER, GOOD, KV_CACHE, LIMIT_LINE, OVERHEAD, POINTS_LABELLED, WEIGHTS, YOURS,
};

pub(super) fn draw<DB: DrawingBackend>(
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
        .house_style()
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
        .house_style()
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
        .house_style()
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
