//! The charts under the ranking, in tabs: price against performance, memory stacks, prefill
//! time against prompt length, decode speed against depth. They draw the engine's
//! [`ChartSeries`]; hovering shows exact values, a click on a point or bar selects the option.

use egui::{Color32, RichText, Ui};
use egui_plot::{Bar, BarChart, HLine, Legend, Line, MarkerShape, Plot, PlotPoints, Points, Span};

use crate::engine::rank::Ranking;
use crate::engine::series::{ChartSeries, Curve};

use super::command::Command;
use super::ranking_panel::usd;
use super::ranking_panel::{is_entry, selection_of};
use super::state::{ChartTab, Selection};

/// Curves drawn besides yours and the selected one: more is a tangle.
pub const CURVES_SHOWN: usize = 6;

/// Bars on the memory chart besides yours and the selected one.
pub const BARS_SHOWN: usize = 12;

/// Everything the charts read.
pub struct ChartsView<'a> {
    pub series: &'a ChartSeries,
    pub ranking: &'a Ranking,
    pub tab: ChartTab,
    pub budget_usd: (f64, f64),
    pub selected: Option<&'a Selection>,
    pub diagnosis: &'a super::jobs::DiagnoseJob,
}

/// The colour of the machine you have on every chart.
fn yours_color() -> Color32 {
    Color32::from_rgb(230, 140, 20)
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
const FULL_TITLES_WIDTH: f32 = 600.0;

/// Height of the tab row above the charts.
const TAB_ROW_HEIGHT: f32 = 30.0;

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
                ChartTab::Prefill => prefill_ui(&mut chart_ui, view.series, selected_entry),
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
            .on_hover_text(tab.title())
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
    let response = Plot::new("price-performance")
        // One price chart in the window: a global id keeps its memory (the transform from
        // plot values to the screen) where a test can find it.
        .id(egui::Id::unique(PRICE_PLOT_ID))
        .x_axis_label("price (USD)")
        .y_axis_label("mix decode (tok/s)")
        .include_x(0.0)
        .include_y(0.0)
        .label_formatter(|hover| {
            let egui_plot::HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } = hover
            else {
                return None;
            };
            Some(format!(
                "{plot_name}\n{}\n{:.1} tok/s",
                usd(position.x),
                position.y
            ))
        })
        .show(ui, |plot| {
            plot.span(
                Span::new("budget", min..=max)
                    .fill(Color32::from_rgba_unmultiplied(100, 150, 250, 28))
                    .border_width(0.0),
            );
            plot.line(
                Line::new("Pareto frontier", PlotPoints::new(series.frontier.clone()))
                    .color(Color32::from_rgb(120, 160, 230))
                    .width(1.5)
                    // A staircase has two points per price: a line, not a min/max band.
                    .allow_band(false)
                    .allow_hover(false),
            );
            for point in &series.price {
                let color = if point.is_current {
                    yours_color()
                } else if point.meets_targets {
                    Color32::from_rgb(60, 160, 90)
                } else {
                    Color32::from_rgb(200, 70, 70)
                };
                let shape = if point.is_current {
                    MarkerShape::Diamond
                } else {
                    MarkerShape::Circle
                };
                plot.points(
                    Points::new(
                        point.label.clone(),
                        vec![[point.price_usd, point.decode_tokens_per_s]],
                    )
                    .id(("price", point.entry))
                    .color(color)
                    .shape(shape)
                    .filled(point.pareto || point.is_current)
                    .radius(if Some(point.entry) == selected {
                        8.0
                    } else {
                        5.0
                    })
                    .highlight(Some(point.entry) == selected),
                );
            }
        });
    ui.label(
        RichText::new(
            "Filled: on the Pareto frontier. Green meets the targets, red misses them, the diamond is yours; the band is the budget.",
        )
        .small()
        .weak(),
    );
    clicked_item(&response, "price", series.price.iter().map(|p| p.entry))
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
        .color(Color32::from_rgb(70, 120, 200));
    let kv = BarChart::new("KV cache", bars(&|r| stacks[r].kv_cache_gib, "KV cache"))
        .horizontal()
        .color(Color32::from_rgb(140, 90, 200))
        .stack_on(&[&weights]);
    let overhead = BarChart::new("overhead", bars(&|r| stacks[r].overhead_gib, "overhead"))
        .horizontal()
        .color(Color32::from_rgb(150, 150, 150))
        .stack_on(&[&weights, &kv]);
    let labels: Vec<String> = stacks.iter().map(|s| s.label.clone()).collect();
    let rows = stacks.len();
    let response = Plot::new("memory")
        .x_axis_label("GiB")
        .include_x(0.0)
        .legend(Legend::default())
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
                let color = if s.headroom_gib >= 0.0 {
                    Color32::from_rgb(60, 160, 90)
                } else {
                    Color32::from_rgb(220, 60, 60)
                };
                plot.line(
                    Line::new(
                        "usable memory",
                        PlotPoints::new(vec![[s.usable_gib, y - 0.4], [s.usable_gib, y + 0.4]]),
                    )
                    .color(color)
                    .width(3.0),
                );
            }
        });
    ui.label(
        RichText::new("Bars: weights + KV cache + overhead at the mix's peak. Tick: memory the accelerator may use (green: fits, red: does not).")
            .small()
            .weak(),
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

/// "1K", "32K", "1M" for a token count.
fn tokens_label(tokens: f64) -> String {
    if tokens >= 999_999.0 {
        format!("{:.0}M", tokens / 1e6)
    } else if tokens >= 1_000.0 {
        format!("{:.0}K", tokens / 1e3)
    } else {
        format!("{tokens:.0}")
    }
}

fn curve_color(curve: &Curve, index: usize) -> Color32 {
    if curve.is_current {
        return yours_color();
    }
    const PALETTE: [Color32; 8] = [
        Color32::from_rgb(70, 120, 200),
        Color32::from_rgb(60, 160, 90),
        Color32::from_rgb(170, 80, 190),
        Color32::from_rgb(200, 70, 70),
        Color32::from_rgb(40, 160, 170),
        Color32::from_rgb(150, 130, 40),
        Color32::from_rgb(120, 120, 120),
        Color32::from_rgb(210, 100, 160),
    ];
    PALETTE[index % PALETTE.len()]
}

/// How a curve chart is labelled.
struct CurveAxes<'a> {
    id: &'a str,
    /// The top of the y axis at first; `None` fits the data.
    y_max: Option<f64>,
    x_log: bool,
    x_label: &'a str,
    y_label: &'a str,
    y_unit: &'static str,
}

/// Draws curves and returns the entry of the curve clicked.
fn curves_plot(
    ui: &mut Ui,
    axes: &CurveAxes<'_>,
    curves: &[&Curve],
    selected: Option<usize>,
    extra: impl FnOnce(&mut egui_plot::PlotUi<'_>),
) -> Option<usize> {
    let CurveAxes {
        id,
        y_max,
        x_log,
        x_label,
        y_label,
        y_unit,
    } = *axes;
    let to_x = move |x: f64| if x_log { x.max(1.0).log10() } else { x };
    let from_x = move |x: f64| if x_log { 10f64.powf(x) } else { x };
    let mut plot = Plot::new(id)
        .x_axis_label(x_label)
        .y_axis_label(y_label)
        .include_y(0.0)
        .legend(Legend::default())
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
                "{plot_name}\n{} tokens\n{:.1} {y_unit}",
                tokens_label(from_x(position.x)),
                position.y
            ))
        });
    if let Some(y_max) = y_max.filter(|y| *y > 0.0) {
        plot = plot.default_y_bounds(0.0, y_max);
    }
    if x_log {
        plot = plot.x_grid_spacer(egui_plot::log_grid_spacer(10));
    }
    let response = plot.show(ui, |plot| {
        extra(plot);
        for (i, curve) in curves.iter().enumerate() {
            let points: Vec<[f64; 2]> = curve.points.iter().map(|p| [to_x(p[0]), p[1]]).collect();
            let is_selected = Some(curve.entry) == selected;
            plot.line(
                Line::new(curve.label.clone(), PlotPoints::new(points))
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
    });
    clicked_item(&response, id, curves.iter().map(|c| c.entry))
}

fn left_out_ui(ui: &mut Ui, left_out: &[String]) {
    if !left_out.is_empty() {
        ui.label(
            RichText::new(format!(
                "Not drawn (the model does not fit): {}",
                left_out.join(", ")
            ))
            .small()
            .weak(),
        );
    }
}

fn prefill_ui(ui: &mut Ui, series: &ChartSeries, selected: Option<usize>) -> Option<usize> {
    let chart = &series.prefill;
    ui.label(format!(
        "Prefill of \"{}\" on {}: time before the first token",
        chart.task, chart.model
    ));
    let curves: Vec<&Curve> = chart
        .curves
        .iter()
        .filter(|c| shown(c.entry, c.is_current, selected, CURVES_SHOWN))
        .collect();
    let timeouts = chart.timeouts.clone();
    let axes = CurveAxes {
        id: "prefill",
        // Up to three times the longest timeout: past it, every machine has failed the task.
        y_max: chart
            .timeouts
            .iter()
            .map(|t| t.timeout_secs * 3.0)
            .reduce(f64::max),
        x_log: true,
        x_label: "prompt tokens (log scale)",
        y_label: "prefill (s)",
        y_unit: "s",
    };
    let picked = curves_plot(ui, &axes, &curves, selected, move |plot| {
        for t in timeouts {
            plot.hline(
                HLine::new(
                    format!("timeout {:.0} s ({})", t.timeout_secs, t.task),
                    t.timeout_secs,
                )
                .color(Color32::from_rgb(220, 60, 60))
                .style(egui_plot::LineStyle::dashed_loose()),
            );
        }
    });
    left_out_ui(ui, &chart.left_out);
    picked
}

fn decode_ui(ui: &mut Ui, series: &ChartSeries, selected: Option<usize>) -> Option<usize> {
    let chart = &series.decode;
    ui.label(format!(
        "Decode of \"{}\" on {} as the context fills",
        chart.task, chart.model
    ));
    let curves: Vec<&Curve> = chart
        .curves
        .iter()
        .filter(|c| shown(c.entry, c.is_current, selected, CURVES_SHOWN))
        .collect();
    let target = chart.target_tokens_per_s;
    let axes = CurveAxes {
        id: "decode",
        y_max: None,
        x_log: false,
        x_label: "tokens already in the context",
        y_label: "decode (tok/s)",
        y_unit: "tok/s",
    };
    let picked = curves_plot(ui, &axes, &curves, selected, move |plot| {
        if let Some(target) = target {
            plot.hline(
                HLine::new(format!("target {target:.0} tok/s"), target)
                    .color(Color32::from_rgb(220, 60, 60))
                    .style(egui_plot::LineStyle::dashed_loose()),
            );
        }
    });
    left_out_ui(ui, &chart.left_out);
    picked
}
