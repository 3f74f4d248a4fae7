//! The charts under the ranking, in tabs: price against performance, memory stacks, prefill
//! time against prompt length, decode speed against depth. They draw the engine's
//! [`ChartSeries`]; hovering shows exact values, a click on a point or bar selects the option.

use egui::{Color32, RichText, Ui};
use egui_plot::{
    Bar, BarChart, HLine, Line, MarkerShape, Plot, PlotPoint, PlotPoints, Points, Span,
};

use crate::engine::rank::Ranking;
use crate::engine::series::{ChartSeries, Curve, USERS_TICKS};
use crate::engine::types::Workload;
use crate::report::charts::{self as palette, Rgb};

use super::command::Command;
use super::ranking_panel::usd;
use super::ranking_panel::{is_entry, selection_of};
use super::state::{ChartTab, Selection};

/// Curves drawn besides yours and the selected one: more is a tangle.
pub const CURVES_SHOWN: usize = palette::CURVES_SHOWN;

/// A click selects the nearest point within this many points of the pointer.
pub const CLICK_RADIUS: f32 = 24.0;

/// Width kept for the y axis's numbers from the first frame, so they are never clipped.
const Y_AXIS_WIDTH: f32 = 56.0;

/// Bars on the memory chart besides yours and the selected one.
pub const BARS_SHOWN: usize = 12;

/// Everything the charts read.
pub struct ChartsView<'a> {
    /// What the charts draw.
    pub series: &'a ChartSeries,
    /// The workload, for naming each timeout line with its tasks.
    pub workload: &'a Workload,
    /// The ranking the series come from (a click selects one of its entries).
    pub ranking: &'a Ranking,
    /// The chart shown.
    pub tab: ChartTab,
    /// The budget band of the price chart, in dollars.
    pub budget_usd: (f64, f64),
    /// The option shown in the details, drawn larger.
    pub selected: Option<&'a Selection>,
    /// The Diagnose tab's job.
    pub diagnosis: &'a super::jobs::DiagnoseJob,
}

/// A colour shared with the exported charts.
fn color((r, g, b): Rgb) -> Color32 {
    Color32::from_rgb(r, g, b)
}

/// The colour of the machine you have on every chart.
fn yours_color() -> Color32 {
    color(palette::YOURS)
}

/// A legend entry drawn under a plot, never over it.
enum Key {
    Dot(Color32, bool),
    Diamond(Color32),
    Line(Color32),
    Dashed(Color32),
    Swatch(Color32),
}

/// Draws a compact legend row under a plot.
fn legend_ui(ui: &mut Ui, keys: &[(Key, String, &str)]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 4.0;
        for (key, text, tip) in keys {
            let (rect, _) = ui.allocate_exact_size(egui::vec2(14.0, 14.0), egui::Sense::hover());
            let painter = ui.painter();
            let c = rect.center();
            match key {
                Key::Dot(fill, true) => painter.circle_filled(c, 4.5, *fill),
                Key::Dot(stroke, false) => {
                    painter.circle_stroke(c, 4.0, egui::Stroke::new(1.5, *stroke))
                }
                Key::Diamond(fill) => painter.add(egui::Shape::convex_polygon(
                    vec![
                        c + egui::vec2(0.0, -6.0),
                        c + egui::vec2(6.0, 0.0),
                        c + egui::vec2(0.0, 6.0),
                        c + egui::vec2(-6.0, 0.0),
                    ],
                    *fill,
                    egui::Stroke::NONE,
                )),
                Key::Line(stroke) => painter.line_segment(
                    [c - egui::vec2(7.0, 0.0), c + egui::vec2(7.0, 0.0)],
                    egui::Stroke::new(2.5, *stroke),
                ),
                Key::Dashed(stroke) => painter.add(egui::Shape::dashed_line(
                    &[c - egui::vec2(7.0, 0.0), c + egui::vec2(7.0, 0.0)],
                    egui::Stroke::new(2.0, *stroke),
                    3.0,
                    3.0,
                )),
                Key::Swatch(fill) => painter.rect_filled(
                    egui::Rect::from_center_size(c, egui::vec2(12.0, 10.0)),
                    2.0,
                    *fill,
                ),
            };
            let label = ui.label(RichText::new(text).small());
            if !tip.is_empty() {
                label.on_hover_text(*tip);
            }
            ui.add_space(8.0);
        }
    });
}

/// The entry nearest the click in screen space, among `points` (entry, plot position),
/// within [`CLICK_RADIUS`].
fn nearest_clicked<R>(
    response: &egui_plot::PlotResponse<R>,
    points: impl Iterator<Item = (usize, PlotPoint)>,
) -> Option<usize> {
    if !response.response.clicked() {
        return None;
    }
    let pointer = response.response.interact_pointer_pos()?;
    points
        .map(|(entry, at)| {
            let screen = response.transform.position_from_point(&at);
            (entry, screen.distance(pointer))
        })
        .filter(|(_, d)| *d <= CLICK_RADIUS)
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(entry, _)| entry)
}

/// The "diagnose before you buy" tab: settings that limit the local models, found first.
fn diagnose_ui(ui: &mut Ui, job: &super::jobs::DiagnoseJob) -> Command {
    let mut command = Command::Nothing;
    ui.label(
        "Reads your Ollama store, GGUF folders and a running Ollama (read-only) and checks the \
         context limits and timeouts against your machine and your largest prompt, before anything is bought.",
    );
    ui.horizontal(|ui| {
        let running = job.running.is_some();
        if ui
            .add_enabled(!running, egui::Button::new("Diagnose my local models"))
            .clicked()
        {
            command = Command::RunDiagnosis;
        }
        if running {
            ui.spinner();
            ui.label("reading the local setup...");
        }
    });
    egui::ScrollArea::vertical()
        .id_salt("diagnose-scroll")
        .show(ui, |ui| match &job.last {
            Some(Ok(done)) => super::diagnose_panel::diagnosis_ui(ui, &done.diagnosis),
            Some(Err(reason)) => {
                ui.colored_label(ui.visuals().error_fg_color, reason);
            }
            None => {}
        });
    command
}

/// The price/performance plot's global id: its `egui_plot::PlotMemory` is stored under it.
pub const PRICE_PLOT_ID: &str = "price-performance";

/// Width the tab row needs for the full tab titles.
const FULL_TITLES_WIDTH: f32 = 710.0;

/// Height of the tab row above the charts.
const TAB_ROW_HEIGHT: f32 = 30.0;

/// What a tab shows, in plain words, for its tooltip.
fn tab_tip(tab: ChartTab) -> &'static str {
    match tab {
        ChartTab::PricePerformance => {
            "Price vs. performance: what each option costs against how long its slowest task takes per request"
        }
        ChartTab::Memory => "Memory: what each option needs against the memory its GPU may use",
        ChartTab::Prefill => {
            "Prefill vs. prompt: how long the machine reads a prompt before the answer starts (prefill), by prompt length"
        }
        ChartTab::Decode => {
            "Decode vs. depth: how fast the answer is written (decode), as the conversation grows"
        }
        ChartTab::Users => {
            "Users at once: how fast each user's answer is written, and all of them together, as more people or agents share the machine"
        }
        ChartTab::Diagnose => {
            "Diagnose my setup: the settings on this computer that limit your models, found before anything is bought"
        }
    }
}

/// Draws the tabs and the current chart.
///
/// The chart is drawn first, into the area below the tab row, and the tabs after it: egui
/// gives a click to the widget added last, and a plot's interaction area would otherwise
/// take clicks meant for the tabs.
pub fn charts_ui(ui: &mut Ui, view: &ChartsView<'_>) -> Command {
    let full = ui.available_rect_before_wrap();
    let chart_rect = egui::Rect::from_min_max(full.min + egui::vec2(0.0, TAB_ROW_HEIGHT), full.max);
    let mut chart_ui = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(chart_rect)
            .layout(*ui.layout()),
    );
    let selected_entry = view
        .selected
        .and_then(|s| view.ranking.entries.iter().position(|e| is_entry(e, s)));
    let mut command = match view.tab {
        ChartTab::Diagnose => diagnose_ui(&mut chart_ui, view.diagnosis),
        tab => {
            let picked = match tab {
                ChartTab::PricePerformance => price_ui(&mut chart_ui, view, selected_entry),
                ChartTab::Memory => memory_ui(&mut chart_ui, view, selected_entry),
                ChartTab::Prefill => {
                    prefill_ui(&mut chart_ui, view.series, view.workload, selected_entry)
                }
                ChartTab::Users => users_ui(&mut chart_ui, view.series, selected_entry),
                ChartTab::Decode | ChartTab::Diagnose => {
                    decode_ui(&mut chart_ui, view.series, selected_entry)
                }
            };
            picked
                .and_then(|i| view.ranking.entries.get(i))
                .map_or(Command::Nothing, |entry| {
                    Command::Select(selection_of(entry))
                })
        }
    };
    let tab_rect = egui::Rect::from_min_max(
        full.min,
        egui::pos2(full.max.x, full.min.y + TAB_ROW_HEIGHT),
    );
    let mut tab_ui = ui.new_child(
        egui::UiBuilder::new()
            .max_rect(tab_rect)
            .layout(egui::Layout::left_to_right(egui::Align::Center)),
    );
    // The full titles need about 600 points; a narrower row gets the short ones, so the last
    // tab ("Diagnose my setup") is never cut to a sliver.
    let narrow = tab_rect.width() < FULL_TITLES_WIDTH;
    for tab in ChartTab::ALL {
        let title = if narrow {
            tab.short_title()
        } else {
            tab.title()
        };
        if tab_ui
            .selectable_label(view.tab == tab, title)
            .on_hover_text(tab_tip(tab))
            .clicked()
        {
            command = Command::SetChartTab(tab);
        }
    }
    // Claim the whole area so the panel keeps its size.
    ui.allocate_rect(full, egui::Sense::hover());
    command
}

fn price_ui(ui: &mut Ui, view: &ChartsView<'_>, selected: Option<usize>) -> Option<usize> {
    let series = view.series;
    let (min, max) = view.budget_usd;
    let legend_height = 40.0;
    let plot_height = (ui.available_height() - legend_height).max(80.0);
    let y_range = palette::minutes_range(series.price.iter().map(|p| p.slowest_request_mins));
    let font = egui::TextStyle::Small.resolve(ui.style());
    let response = Plot::new("price-performance")
        // One price chart in the window: a global id keeps its memory (the transform from
        // plot values to the screen) where a test can find it.
        .id(egui::Id::unique(PRICE_PLOT_ID))
        .height(plot_height)
        .x_axis_label("price (US dollars; yours counts as $0)")
        .y_axis_label("minutes per request (log)")
        .y_axis_min_width(Y_AXIS_WIDTH)
        .x_axis_formatter(|mark, _| usd(mark.value))
        .y_axis_formatter(|mark, _| minutes_label(mark.value))
        .y_grid_spacer(|input| {
            palette::minute_ticks(input.bounds.0, input.bounds.1)
                .into_iter()
                .map(|value| egui_plot::GridMark {
                    value,
                    step_size: 1.0,
                })
                .collect()
        })
        .default_y_bounds(y_range.0, y_range.1)
        .include_x(0.0)
        .label_formatter(|hover| match hover {
            egui_plot::HoverPosition::NearDataPoint { plot_name, .. } => {
                Some((*plot_name).to_owned())
            }
            egui_plot::HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |plot| {
            plot.span(
                Span::new("budget", min..=max)
                    .fill(Color32::from_rgba_unmultiplied(100, 150, 250, 28))
                    .border_width(0.0),
            );
            plot.line(
                Line::new(
                    "best time for the money",
                    PlotPoints::new(
                        series
                            .frontier
                            .iter()
                            .map(|p| [p[0], price_plot_y(p[1])])
                            .collect(),
                    ),
                )
                .color(color(palette::FRONTIER))
                .width(1.5)
                // A staircase has two points per price: a line, not a min/max band.
                .allow_band(false)
                .allow_hover(false),
            );
            for point in &series.price {
                let shape = if point.is_current {
                    MarkerShape::Diamond
                } else {
                    MarkerShape::Circle
                };
                let is_selected = Some(point.entry) == selected;
                plot.points(
                    Points::new(
                        format!(
                            "#{} {}\n{}\n{}: {:.1} min per request",
                            point.entry + 1,
                            point.label,
                            usd(point.price_usd),
                            point.slowest_task,
                            point.slowest_request_mins
                        ),
                        vec![[point.price_usd, price_plot_y(point.slowest_request_mins)]],
                    )
                    .id(("price", point.entry))
                    .color(color(palette::point_rgb(point)))
                    .shape(shape)
                    .filled(point.best_for_price || point.is_current)
                    .radius(if is_selected { 8.0 } else { 5.0 })
                    .highlight(is_selected),
                );
            }
            // Names beside the first few options, yours and the selected one, where they do
            // not cover each other (placed on the last frame's transform).
            let transform = *plot.transform();
            let labelled: Vec<(PlotPoint, String)> = series
                .price
                .iter()
                .filter(|p| {
                    p.entry < palette::POINTS_LABELLED || p.is_current || Some(p.entry) == selected
                })
                .map(|p| {
                    (
                        PlotPoint::new(p.price_usd, price_plot_y(p.slowest_request_mins)),
                        format!("#{} {}", p.entry + 1, short(&p.label)),
                    )
                })
                .collect();
            let boxes: Vec<palette::LabelBox> = labelled
                .iter()
                .map(|(at, text)| {
                    let screen = transform.position_from_point(at);
                    let width = plot.ctx().fonts_mut(|f| {
                        f.layout_no_wrap(text.clone(), font.clone(), Color32::WHITE)
                            .size()
                            .x
                    });
                    (
                        (f64::from(screen.x), f64::from(screen.y)),
                        (f64::from(width), f64::from(font.size) + 2.0),
                    )
                })
                .collect();
            let frame = transform.frame();
            let area = (
                (f64::from(frame.min.x), f64::from(frame.min.y)),
                (f64::from(frame.max.x), f64::from(frame.max.y)),
            );
            for ((_, text), spot) in labelled.iter().zip(palette::place_labels(&boxes, area)) {
                let Some((left, top)) = spot else {
                    continue;
                };
                let at = transform.value_from_position(egui::pos2(left as f32, top as f32));
                plot.text(
                    egui_plot::Text::new("price-label", at, RichText::new(text).small())
                        .anchor(egui::Align2::LEFT_TOP)
                        .allow_hover(false),
                );
            }
        });
    legend_ui(
        ui,
        &[
            (Key::Diamond(yours_color()), "yours".to_owned(), ""),
            (
                Key::Dot(color(palette::GOOD), true),
                "meets your requirements".to_owned(),
                "",
            ),
            (
                Key::Dot(color(palette::BAD), true),
                "misses them".to_owned(),
                "",
            ),
            (
                Key::Dot(ui.visuals().weak_text_color(), false),
                "hollow: a cheaper option is as fast".to_owned(),
                "Filled points are the best time for their price: no option that costs the same or less answers faster.",
            ),
            (
                Key::Line(color(palette::FRONTIER)),
                "best time for the money".to_owned(),
                "",
            ),
            (
                Key::Swatch(Color32::from_rgba_unmultiplied(100, 150, 250, 60)),
                "your budget".to_owned(),
                "",
            ),
        ],
    );
    left_out_ui(ui, "a task does not run there", &series.price_left_out);
    nearest_clicked(
        &response,
        series.price.iter().map(|p| {
            (
                p.entry,
                PlotPoint::new(p.price_usd, price_plot_y(p.slowest_request_mins)),
            )
        }),
    )
}

/// Where the price chart puts `mins` on its y axis (log10 minutes, as the exported chart).
pub fn price_plot_y(mins: f64) -> f64 {
    palette::log_minutes(mins)
}

/// A tick label of the log-minutes axis: round values only ("0.5", "2", "100").
fn minutes_label(log_mins: f64) -> String {
    let mins = 10f64.powf(log_mins);
    let on_tick = palette::minute_ticks(log_mins - 1e-6, log_mins + 1e-6).len() == 1;
    if !on_tick {
        return String::new();
    }
    if mins >= 1.0 {
        format!("{mins:.0}")
    } else {
        let text = format!("{mins:.2}");
        text.trim_end_matches('0').to_owned()
    }
}

/// A machine's label shortened for a chart.
fn short(label: &str) -> String {
    short_to(label, 30)
}

/// A machine's label cut to `max` characters.
fn short_to(label: &str, max: usize) -> String {
    if label.chars().count() <= max {
        return label.to_owned();
    }
    let kept: String = label.chars().take(max.saturating_sub(1)).collect();
    format!("{}…", kept.trim_end())
}

/// The entry whose plot item (`id`, entry) was clicked, if a click landed on one.
fn clicked_item<R>(
    response: &egui_plot::PlotResponse<R>,
    id: &str,
    mut entries: impl Iterator<Item = usize>,
) -> Option<usize> {
    if !response.response.clicked() {
        return None;
    }
    let hovered = response.hovered_plot_item?;
    entries.find(|&entry| egui_plot::ItemId::new((id, entry)) == hovered)
}

/// Entries a chart shows: the first `n`, yours, and the selected one.
fn shown(entry: usize, is_current: bool, selected: Option<usize>, n: usize) -> bool {
    entry < n || is_current || Some(entry) == selected
}

fn memory_ui(ui: &mut Ui, view: &ChartsView<'_>, selected: Option<usize>) -> Option<usize> {
    let stacks: Vec<_> = view
        .series
        .memory
        .iter()
        .filter(|s| shown(s.entry, s.is_current, selected, BARS_SHOWN))
        .collect();
    // Horizontal bars, best option on top: row 0 is at the top.
    let row_y = |row: usize| (stacks.len() - row) as f64;
    let bars = |value: &dyn Fn(usize) -> f64, name: &str| -> Vec<Bar> {
        stacks
            .iter()
            .enumerate()
            .map(|(row, s)| {
                Bar::new(row_y(row), value(row))
                    .name(format!("{}: {name} {:.1} GiB", s.label, value(row)))
                    .width(0.6)
            })
            .collect()
    };
    let weights = BarChart::new("weights", bars(&|r| stacks[r].weights_gib, "weights"))
        .horizontal()
        .color(color(palette::WEIGHTS));
    let kv = BarChart::new("KV cache", bars(&|r| stacks[r].kv_cache_gib, "KV cache"))
        .horizontal()
        .color(color(palette::KV_CACHE))
        .stack_on(&[&weights]);
    let overhead = BarChart::new("overhead", bars(&|r| stacks[r].overhead_gib, "overhead"))
        .horizontal()
        .color(color(palette::OVERHEAD))
        .stack_on(&[&weights, &kv]);
    let labels: Vec<String> = stacks.iter().map(|s| s.label.clone()).collect();
    let rows = stacks.len();
    let plot_height = (ui.available_height() - 24.0).max(80.0);
    let response = Plot::new("memory")
        .height(plot_height)
        .x_axis_label("GiB at the busiest moment of the mix")
        .include_x(0.0)
        .y_axis_min_width(200.0)
        .y_axis_formatter(move |mark, _| {
            let row = rows as f64 - mark.value;
            if (mark.value - mark.value.round()).abs() > 1e-6 || row < 0.0 {
                return String::new();
            }
            labels.get(row as usize).cloned().unwrap_or_default()
        })
        .y_grid_spacer(egui_plot::uniform_grid_spacer(|_| [1.0, 1.0, 1.0]))
        .allow_drag(false)
        .allow_scroll(false)
        .allow_zoom(false)
        .show(ui, |plot| {
            plot.bar_chart(weights);
            plot.bar_chart(kv);
            plot.bar_chart(overhead);
            for (row, s) in stacks.iter().enumerate() {
                let y = row_y(row);
                let tick = if s.headroom_gib >= 0.0 {
                    palette::GOOD
                } else {
                    palette::BAD
                };
                plot.line(
                    Line::new(
                        format!("{}: the GPU may use {:.1} GiB", s.label, s.usable_gib),
                        PlotPoints::new(vec![[s.usable_gib, y - 0.4], [s.usable_gib, y + 0.4]]),
                    )
                    .color(color(tick))
                    .width(3.0),
                );
            }
        });
    legend_ui(
        ui,
        &[
            (Key::Swatch(color(palette::WEIGHTS)), "model weights".to_owned(), ""),
            (
                Key::Swatch(color(palette::KV_CACHE)),
                "KV cache".to_owned(),
                "Memory the model keeps for every token already in the conversation; it grows with the context.",
            ),
            (Key::Swatch(color(palette::OVERHEAD)), "runtime overhead".to_owned(), ""),
            (
                Key::Line(color(palette::GOOD)),
                "memory the GPU may use: fits".to_owned(),
                "",
            ),
            (Key::Line(color(palette::BAD)), "does not fit".to_owned(), ""),
        ],
    );
    if !response.response.clicked() {
        return None;
    }
    let pointer = response.response.interact_pointer_pos()?;
    let y = response.transform.value_from_position(pointer).y;
    let row = rows as f64 - y.round();
    (row >= 0.0)
        .then(|| stacks.get(row as usize).map(|s| s.entry))
        .flatten()
}

use crate::report::charts::tokens_label;

fn curve_color(curve: &Curve, index: usize) -> Color32 {
    color(palette::curve_rgb(curve, index))
}

/// How a curve chart is labelled.
struct CurveAxes<'a> {
    id: &'a str,
    /// The top of the y axis at first; `None` fits the data.
    y_max: Option<f64>,
    x_log: bool,
    x_label: &'a str,
    /// What the x axis counts, for the hover label ("tokens", "at once").
    x_unit: &'static str,
    /// Tick values on the x axis in data units; `None` lets the axis choose.
    x_marks: Option<&'static [u32]>,
    y_label: &'a str,
    y_unit: &'static str,
    /// Horizontal limit lines (timeouts, the decode target), each with its name.
    limits: Vec<(f64, String)>,
}

/// Draws curves, their limit lines and a legend under the plot; returns the entry of the
/// curve clicked.
fn curves_plot(
    ui: &mut Ui,
    axes: CurveAxes<'_>,
    curves: &[&Curve],
    selected: Option<usize>,
) -> Option<usize> {
    let CurveAxes {
        id,
        y_max,
        x_log,
        x_label,
        x_unit,
        x_marks,
        y_label,
        y_unit,
        limits,
    } = axes;
    let to_x = move |x: f64| if x_log { x.max(1.0).log10() } else { x };
    let from_x = move |x: f64| if x_log { 10f64.powf(x) } else { x };
    // Room under the plot for the legend: one row per ~four entries.
    let legend_rows = (curves.len() + usize::from(!limits.is_empty())).div_ceil(4) as f32;
    let plot_height = (ui.available_height() - 22.0 * legend_rows - 8.0).max(80.0);
    let mut plot = Plot::new(id)
        .height(plot_height)
        .x_axis_label(x_label)
        .y_axis_label(y_label)
        .y_axis_min_width(Y_AXIS_WIDTH)
        .include_y(0.0)
        // About five round ticks whatever the height: egui_plot's own powers of ten leave a
        // short plot with "0" alone.
        .y_grid_spacer(|input| {
            let top = input.bounds.1.max(1e-9);
            let ticks = palette::nice_ticks(top, 5);
            let step = ticks.get(1).copied().unwrap_or(top);
            ticks
                .into_iter()
                .filter(|v| *v >= input.bounds.0)
                .map(|value| egui_plot::GridMark {
                    value,
                    step_size: step,
                })
                .collect()
        })
        .x_axis_formatter(move |mark, _| tokens_label(from_x(mark.value)))
        .label_formatter(move |hover| {
            let egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } = hover
            else {
                return None;
            };
            Some(format!(
                "{plot_name}\n{} {x_unit}\n{:.1} {y_unit}",
                tokens_label(from_x(position.x)),
                position.y
            ))
        });
    if let Some(y_max) = y_max.filter(|y| *y > 0.0) {
        plot = plot.default_y_bounds(0.0, y_max);
    }
    if let Some(marks) = x_marks {
        // The whole axis, even where the lines stop (memory ran out).
        for m in [marks.first(), marks.last()].into_iter().flatten() {
            plot = plot.include_x(to_x(f64::from(*m)));
        }
        plot = plot.x_grid_spacer(move |input| {
            marks
                .iter()
                .map(|&m| to_x(f64::from(m)))
                .filter(|x| (input.bounds.0..=input.bounds.1).contains(x))
                .map(|value| egui_plot::GridMark {
                    value,
                    step_size: 1.0,
                })
                .collect()
        });
    } else if x_log {
        plot = plot.x_grid_spacer(egui_plot::log_grid_spacer(10));
    }
    let limit_color = color(palette::LIMIT_LINE);
    let response = plot.show(ui, |plot| {
        for (value, name) in &limits {
            plot.hline(
                HLine::new(name.clone(), *value)
                    .color(limit_color)
                    .width(1.5)
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
        }
        for (i, curve) in curves.iter().enumerate() {
            let points: Vec<[f64; 2]> = curve.points.iter().map(|p| [to_x(p[0]), p[1]]).collect();
            let is_selected = Some(curve.entry) == selected;
            plot.line(
                Line::new(
                    format!("#{} {}", curve.entry + 1, curve.label),
                    PlotPoints::new(points),
                )
                .allow_band(false)
                .id((id, curve.entry))
                .color(curve_color(curve, i))
                .width(if is_selected || curve.is_current {
                    3.0
                } else {
                    1.5
                })
                .highlight(is_selected),
            );
        }
        // Each limit line carries its name at the right end, above the line.
        let bounds = plot.plot_bounds();
        for (value, name) in &limits {
            plot.text(
                egui_plot::Text::new(
                    "limit-label",
                    PlotPoint::new(bounds.max()[0], *value),
                    RichText::new(name).small().color(limit_color),
                )
                .anchor(egui::Align2::RIGHT_BOTTOM)
                .allow_hover(false),
            );
        }
    });
    // Narrow charts get shorter names, so the legend keeps to a row or two.
    let name_chars = if ui.available_width() < 640.0 { 16 } else { 30 };
    let mut keys: Vec<(Key, String, &str)> = curves
        .iter()
        .enumerate()
        .map(|(i, c)| {
            (
                Key::Line(curve_color(c, i)),
                format!("#{} {}", c.entry + 1, short_to(&c.label, name_chars)),
                "",
            )
        })
        .collect();
    if !limits.is_empty() {
        keys.push((
            Key::Dashed(limit_color),
            "limit (named on the line)".to_owned(),
            "",
        ));
    }
    legend_ui(ui, &keys);
    clicked_item(&response, id, curves.iter().map(|c| c.entry))
}

/// One line naming the options a chart leaves out, the whole list on hover.
fn left_out_ui(ui: &mut Ui, why: &str, left_out: &[String]) {
    if !left_out.is_empty() {
        ui.add(
            egui::Label::new(
                RichText::new(format!("Not drawn ({why}): {}", left_out.join(", ")))
                    .small()
                    .weak(),
            )
            .truncate(),
        )
        .on_hover_text(left_out.join("\n"));
    }
}

fn prefill_ui(
    ui: &mut Ui,
    series: &ChartSeries,
    workload: &Workload,
    selected: Option<usize>,
) -> Option<usize> {
    let chart = &series.prefill;
    ui.label(format!(
        "Time to read a prompt of \"{}\" on {}, before the first token appears",
        chart.task, chart.model
    ));
    let curves: Vec<&Curve> = chart
        .curves
        .iter()
        .filter(|c| shown(c.entry, c.is_current, selected, CURVES_SHOWN))
        .collect();
    let limits = palette::timeout_lines(workload);
    let axes = CurveAxes {
        id: "prefill",
        // Up to three times the longest timeout: past it, every machine has failed the task.
        y_max: limits.iter().map(|(secs, _)| secs * 3.0).reduce(f64::max),
        x_log: true,
        x_label: "prompt tokens (log scale)",
        x_unit: "tokens",
        x_marks: None,
        y_label: "seconds to first token",
        y_unit: "s",
        limits,
    };
    let picked = curves_plot(ui, axes, &curves, selected);
    left_out_ui(ui, "the model does not fit", &chart.left_out);
    picked
}

fn decode_ui(ui: &mut Ui, series: &ChartSeries, selected: Option<usize>) -> Option<usize> {
    let chart = &series.decode;
    ui.label(format!(
        "Writing speed of \"{}\" on {} as the context fills",
        chart.task, chart.model
    ));
    let curves: Vec<&Curve> = chart
        .curves
        .iter()
        .filter(|c| shown(c.entry, c.is_current, selected, CURVES_SHOWN))
        .collect();
    let axes = CurveAxes {
        id: "decode",
        y_max: None,
        x_log: false,
        x_label: "tokens already in the context",
        x_unit: "tokens",
        x_marks: None,
        y_label: "tokens per second",
        y_unit: "tok/s",
        limits: chart
            .target_tokens_per_s
            .map(|t| (t, format!("your target: {t:.0} tok/s")))
            .into_iter()
            .collect(),
    };
    let picked = curves_plot(ui, axes, &curves, selected);
    left_out_ui(ui, "the model does not fit", &chart.left_out);
    picked
}

/// Decode speed against users or agents at once: each user's beside all of them together,
/// for the first options of the ranking, as far as one conversation per user fits.
fn users_ui(ui: &mut Ui, series: &ChartSeries, selected: Option<usize>) -> Option<usize> {
    let chart = &series.users;
    ui.label(format!(
        "Writing speed of \"{}\" on {} with a {}-token prompt, as users share the machine (you set {})",
        chart.task,
        chart.model,
        tokens_label(chart.depth_tokens as f64),
        chart.users_now
    ));
    let each: Vec<&Curve> = chart
        .per_user
        .iter()
        .filter(|c| !c.points.is_empty())
        .collect();
    let all: Vec<&Curve> = chart
        .aggregate
        .iter()
        .filter(|c| !c.points.is_empty())
        .collect();
    let mut picked = None;
    ui.columns(2, |columns| {
        let axes = |id, y_label| CurveAxes {
            id,
            y_max: None,
            x_log: true,
            x_label: "users or agents at once (log scale)",
            x_unit: "at once",
            x_marks: Some(&USERS_TICKS),
            y_label,
            y_unit: "tok/s",
            limits: Vec::new(),
        };
        picked = curves_plot(
            &mut columns[0],
            axes("users-each", "tokens per second, each"),
            &each,
            selected,
        );
        picked = curves_plot(
            &mut columns[1],
            axes("users-all", "tokens per second, together"),
            &all,
            selected,
        )
        .or(picked);
    });
    picked
}
