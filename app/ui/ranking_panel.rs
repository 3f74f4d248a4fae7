//! The answer: the ranked machine options as cards, with "buy nothing" said plainly when the
//! machine you have meets the targets.

use egui::{Color32, RichText, Ui};

use crate::engine::memory::{MemoryPlan, Placement};
use crate::engine::mix::{gib, LocalProblem, Served};
use crate::engine::rank::{RankEntry, Ranking};
use crate::engine::series::ChartSeries;
use crate::engine::types::Workload;

use super::command::Command;
use super::filters_panel::objective_title;
use super::state::Selection;

/// Cards shown before "Show all".
pub const CARDS_SHOWN: usize = 8;

/// Below this width the cards are compact: the shares served merge into the first line and
/// "Why" starts closed, so more than one card fits a 1280x800 window.
pub const COMPACT_WIDTH: f32 = 720.0;

/// Draws the panel.
pub fn ranking_ui(
    ui: &mut Ui,
    workload: &Workload,
    ranking: &Ranking,
    series: &ChartSeries,
    selected: Option<&Selection>,
    show_all: bool,
) -> Command {
    let mut command = Command::Nothing;
    let compact = ui.available_width() < COMPACT_WIDTH;
    headline_ui(ui, ranking, compact);
    ui.label(
        RichText::new(format!(
            "{} options ranked by {}; {} left out by budget or filters.",
            ranking.entries.len(),
            objective_title(ranking.objective),
            ranking.filtered_out
        ))
        .weak(),
    );
    let shown = if show_all {
        ranking.entries.len()
    } else {
        CARDS_SHOWN.min(ranking.entries.len())
    };
    for (rank, entry) in ranking.entries.iter().take(shown).enumerate() {
        let is_selected = selected.is_some_and(|s| is_entry(entry, s));
        let best_for_price = series
            .price
            .iter()
            .any(|p| p.entry == rank && p.best_for_price);
        let card = Card {
            rank,
            entry,
            is_selected,
            best_for_price,
            compact,
        };
        command = command.or(card_ui(ui, workload, &card));
    }
    if ranking.entries.len() > CARDS_SHOWN {
        let text = if show_all {
            "Show fewer".to_owned()
        } else {
            format!("Show all {} options", ranking.entries.len())
        };
        if ui.button(text).clicked() {
            command = Command::ShowAllEntries(!show_all);
        }
    }
    command
}

/// Whether `entry` is the selected option.
pub fn is_entry(entry: &RankEntry, selection: &Selection) -> bool {
    entry.machine_id == selection.machine_id
        && (entry.per_device_gb - selection.per_device_gb).abs() < 0.5
}

/// The selection naming `entry`.
pub fn selection_of(entry: &RankEntry) -> Selection {
    Selection {
        machine_id: entry.machine_id.clone(),
        per_device_gb: entry.per_device_gb,
    }
}

pub use crate::present::usd;

/// Green for good news, in both themes.
pub fn good_color(ui: &Ui) -> Color32 {
    if ui.visuals().dark_mode {
        Color32::from_rgb(110, 200, 120)
    } else {
        Color32::from_rgb(20, 120, 40)
    }
}

fn headline_ui(ui: &mut Ui, ranking: &Ranking, compact: bool) {
    use crate::engine::VerdictKind;
    let verdict = &ranking.verdict;
    if let Some(problem) = &verdict.setup_problem {
        ui.label(
            RichText::new(crate::present::setup_problem_words(problem))
                .strong()
                .color(ui.visuals().warn_fg_color),
        );
    }
    let line = crate::present::verdict_line(verdict);
    let text = match verdict.kind {
        VerdictKind::BuyNothing | VerdictKind::ChangeSettings | VerdictKind::UseCloud => {
            RichText::new(line).color(good_color(ui))
        }
        VerdictKind::Buy => RichText::new(line),
        VerdictKind::NothingMeets => RichText::new(line).color(ui.visuals().warn_fg_color),
    };
    // In a narrow window the verdict is a size smaller, so the cards under it show.
    let text = if compact {
        text.size(16.0)
    } else {
        text.heading()
    };
    ui.label(text.strong());
    if let Some(upgrade) = &verdict.upgrade {
        let words = RichText::new(crate::present::upgrade_words(verdict.kind, upgrade));
        ui.label(if compact { words.small() } else { words });
    }
}

/// One card's place and look.
struct Card<'a> {
    rank: usize,
    entry: &'a RankEntry,
    is_selected: bool,
    /// No option that costs the same or less answers faster (filled on the price chart).
    best_for_price: bool,
    compact: bool,
}

fn card_ui(ui: &mut Ui, workload: &Workload, card: &Card<'_>) -> Command {
    let Card {
        rank,
        entry,
        is_selected,
        best_for_price,
        compact,
    } = *card;
    let mut command = Command::Nothing;
    let stroke = if is_selected {
        ui.visuals().selection.stroke
    } else {
        ui.visuals().widgets.noninteractive.bg_stroke
    };
    let frame = egui::Frame::group(ui.style())
        .stroke(stroke)
        .inner_margin(8.0);
    // The card's own click is registered before its contents (on the rectangle it had last
    // frame), so the "Why" header and the buttons inside keep their clicks: egui gives a
    // click to the widget registered last.
    let card_id = ui
        .scope_id()
        .with(("card", &entry.machine_id, entry.per_device_gb.to_bits()));
    let background = ui
        .ctx()
        .data(|d| d.get_temp::<egui::Rect>(card_id))
        .map(|rect| ui.interact(rect, card_id, egui::Sense::click()));
    let response = frame
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal_wrapped(|ui| {
                ui.label(
                    RichText::new(format!("#{}", crate::present::rank_number(rank, entry)))
                        .strong(),
                )
                .on_hover_text("= : the prediction error cannot tell it from the option above");
                ui.label(
                    RichText::new(format!(
                        "{} · {:.0} GB{}",
                        entry.machine_name,
                        entry.total_memory_gb,
                        if entry.is_current { " · yours" } else { "" }
                    ))
                    .strong(),
                );
                let price = if entry.is_current {
                    "$0 (owned)".to_owned()
                } else {
                    usd(entry.price_usd)
                };
                ui.label(price);
                if best_for_price && !compact {
                    ui.label(RichText::new("best for its price").small())
                        .on_hover_text("No option that costs the same or less answers faster (a filled point on the price chart)");
                }
                let details = if compact {
                    ui.small_button("Details")
                } else {
                    ui.button("Details")
                };
                if details
                    .on_hover_text("Show every number behind this option")
                    .clicked()
                {
                    command = Command::Select(selection_of(entry));
                }
            });
            verdict_ui(ui, entry);
            tasks_ui(ui, workload, entry);
            let served = format!(
                "Served locally {:.0}% · cloud {:.0}% ({}/month) · failed {:.0}%",
                entry.mix.share_local * 100.0,
                entry.mix.share_cloud * 100.0,
                usd(entry.mix.cloud_usd_per_month),
                entry.mix.share_failed * 100.0,
            );
            if compact {
                // All served here is the usual case: say only what differs.
                if entry.mix.share_local < 0.9995 {
                    ui.label(RichText::new(served).small());
                }
            } else {
                ui.label(format!(
                    "{served} · bottleneck: {}",
                    crate::present::bottleneck_words(entry.bottleneck)
                ));
            }
            egui::CollapsingHeader::new("Why")
                .id_salt(("why", &entry.machine_id, entry.per_device_gb.to_bits()))
                .default_open(rank == 0 && !compact)
                .show(ui, |ui| {
                    // The reasons are the most important text of a card: body size, in the
                    // regular text colour.
                    for reason in &entry.reasons {
                        let words = crate::present::reason_words(reason);
                        ui.label(format!("• {words}"));
                    }
                    for setting in &entry.settings {
                        let words = crate::present::setting_words(setting);
                        ui.label(RichText::new(format!("• setting to change: {words}")).strong());
                    }
                });
        })
        .response;
    ui.ctx().data_mut(|d| d.insert_temp(card_id, response.rect));
    if background.is_some_and(|b| b.clicked()) {
        command = command.or(Command::Select(selection_of(entry)));
    }
    command
}

fn verdict_ui(ui: &mut Ui, entry: &RankEntry) {
    let meets = if entry.mix.meets_targets {
        let text = match entry.settings.len() {
            0 => "Meets your requirements".to_owned(),
            1 => "Meets your requirements after changing a setting".to_owned(),
            n => format!("Meets your requirements after changing {n} settings"),
        };
        RichText::new(text).color(good_color(ui))
    } else {
        RichText::new("Misses your requirements").color(ui.visuals().warn_fg_color)
    };
    let memory = match &entry.mix.peak_memory {
        Some(peak) if peak.fits() && peak.headroom_bytes >= 0.0 => format!(
            "fits with {} headroom ({} of {} usable){}",
            gib(peak.headroom_bytes),
            gib(peak.total_bytes),
            gib(peak.usable_bytes),
            if peak.needs_setting {
                " after raising the GPU memory limit"
            } else {
                ""
            }
        ),
        Some(MemoryPlan {
            placement:
                Placement::ExpertOffload {
                    expert_layers_on_cpu,
                    layers_total,
                },
            ..
        }) => format!(
            "fits with the experts of {expert_layers_on_cpu} of {layers_total} layers in system RAM"
        ),
        Some(peak) if peak.fits() => format!(
            "fits only with {:.0}% of layers in system RAM",
            peak.offloaded_share * 100.0
        ),
        Some(peak) => format!(
            "does not fit: needs {}, {} usable",
            gib(peak.total_bytes),
            gib(peak.usable_bytes)
        ),
        None => "memory unknown".to_owned(),
    };
    ui.horizontal_wrapped(|ui| {
        ui.label(meets.strong());
        ui.label(format!("· {memory}"));
    });
}

/// The task table of a card: its cells first, then laid out in columns measured on this
/// frame, so a column never overlaps the next while a slider or a panel edge is dragged
/// (an `egui::Grid` sizes its columns from the frame before).
fn tasks_ui(ui: &mut Ui, workload: &Workload, entry: &RankEntry) {
    const HEADERS: [(&str, &str); 5] = [
        ("task", "The task and its share of your requests"),
        (
            "served",
            "Where its requests are answered: here, by the cloud, or not at all",
        ),
        (
            "decode",
            "How fast the answer is written, in tokens per second",
        ),
        (
            "first token",
            "Seconds until the answer starts: the time to read the prompt",
        ),
        (
            "request",
            "Seconds for the whole request, prompt and answer; for a session of turns, \
             the mean turn (the first turn reads the whole prompt, later turns only what \
             they add)",
        ),
    ];
    let error = ui.visuals().error_fg_color;
    let mut rows: Vec<[RichText; 5]> = Vec::new();
    for (task, spec) in entry.mix.tasks.iter().zip(&workload.tasks) {
        let name = RichText::new(format!("{} ({:.0}%)", task.name, spec.share * 100.0));
        let served = match (&task.served, &task.problem) {
            (Served::Local, _) => RichText::new("local"),
            (Served::Cloud { offer, .. }, _) => RichText::new(format!("cloud: {offer}")),
            (Served::Failed, Some(LocalProblem::TooSlow { .. })) => {
                RichText::new("fails: too slow").color(error)
            }
            (Served::Failed, Some(LocalProblem::DoesNotFit { .. })) => {
                RichText::new("fails: does not fit").color(error)
            }
            (Served::Failed, _) => RichText::new("fails").color(error),
        };
        let [decode, first, request] = match (&task.local, &task.served) {
            (Some(local), Served::Local) => [
                RichText::new(format!("{:.1} tok/s", local.decode.tokens_per_s)),
                RichText::new(format!("{:.1} s", local.time_to_first_token_secs)),
                // A session's mean turn (`task.secs`), as the ranking counts it.
                RichText::new(match task.session.as_ref() {
                    Some(session) => format!(
                        "{:.0} s a turn",
                        task.secs.unwrap_or(session.mean_turn_secs())
                    ),
                    None => format!("{:.0} s", local.total_secs),
                }),
            ],
            // Not served here: the local figures explain why, so show them as such.
            (Some(local), served) => {
                let cloud = match (served, task.secs) {
                    (Served::Cloud { .. }, Some(secs)) => format!("{secs:.0} s cloud; "),
                    _ => String::new(),
                };
                [
                    RichText::new(format!("{:.1} tok/s", local.decode.tokens_per_s)).weak(),
                    RichText::new(format!("{:.1} s", local.time_to_first_token_secs)).weak(),
                    RichText::new(format!(
                        "{cloud}{:.0} s here > {:.0} s",
                        local.total_secs, spec.timeout_secs
                    )),
                ]
            }
            (None, _) => [
                RichText::new("—"),
                RichText::new("—"),
                RichText::new(
                    task.secs
                        .map_or_else(|| "—".to_owned(), |s| format!("{s:.0} s")),
                ),
            ],
        };
        rows.push([name, served, decode, first, request]);
    }
    // Each column as wide as its widest cell on this frame.
    let style = ui.style().clone();
    let width_of = |text: &RichText, ui: &Ui| {
        egui::WidgetText::from(text.clone())
            .into_galley(
                ui,
                Some(egui::TextWrapMode::Extend),
                f32::INFINITY,
                egui::TextStyle::Body,
            )
            .size()
            .x
    };
    let headers: Vec<RichText> = HEADERS
        .iter()
        .map(|(h, _)| RichText::new(*h).small().weak())
        .collect();
    let mut widths = [0.0f32; 5];
    for (col, width) in widths.iter_mut().enumerate() {
        *width = std::iter::once(&headers[col])
            .chain(rows.iter().map(|r| &r[col]))
            .map(|t| width_of(t, ui))
            .fold(0.0, f32::max)
            + style.spacing.item_spacing.x.max(12.0);
    }
    let row_ui = |ui: &mut Ui, cells: &[RichText], tips: Option<&[(&str, &str); 5]>| {
        ui.horizontal(|ui| {
            ui.spacing_mut().item_spacing.x = 0.0;
            for (col, cell) in cells.iter().enumerate() {
                let size = egui::vec2(widths[col], ui.spacing().interact_size.y * 0.8);
                ui.allocate_ui_with_layout(
                    size,
                    egui::Layout::left_to_right(egui::Align::Center),
                    |ui| {
                        ui.set_min_width(widths[col]);
                        let label = ui.add(egui::Label::new(cell.clone()).extend());
                        if let Some(tips) = tips {
                            label.on_hover_text(tips[col].1);
                        }
                    },
                );
            }
        });
    };
    row_ui(ui, &headers, Some(&HEADERS));
    for row in &rows {
        row_ui(ui, row, None);
    }
}
