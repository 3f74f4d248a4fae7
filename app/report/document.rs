//! The decision document as blocks (headings, paragraphs, tables, charts), built once from
//! the ranking so the Markdown and the HTML say the same thing in the same order: the
//! verdict and what it costs, the alternatives in the buyer's terms, the assumptions, the
//! uncertainty, the settings to change, and an appendix with sources and claim checks.

use crate::diagnose::Diagnosis;
use crate::engine::mix::{LocalProblem, MixResult, Served, DAYS_PER_MONTH};
use crate::engine::rank::{thousands, Objective, RankEntry, RankOptions, Ranking};
use crate::engine::series::ChartSeries;
use crate::engine::types::{Catalog, Workload};
use crate::engine::VerdictKind;
use crate::present::{machine_label, meets_words, rank_number, setting_words, usd};

use super::charts::ChartKind;
use super::sections;

/// Everything the document is made from.
#[derive(Clone, Copy)]
pub struct DecisionInputs<'a> {
    /// The catalogue ranked (names, prices with their dates, sources, claims).
    pub catalog: &'a Catalog,
    /// The workload ranked.
    pub workload: &'a Workload,
    /// Every other input of the ranking (budget, your machine, the wait, the cloud).
    pub options: &'a RankOptions,
    /// The ranking and its verdict.
    pub ranking: &'a Ranking,
    /// The chart series of that ranking, as the window draws them.
    pub series: &'a ChartSeries,
    /// Options listed in the tables (and the memory chart's rows).
    pub rows: usize,
    /// What Diagnose found on this computer, shown right after the verdict.
    pub diagnosis: Option<&'a Diagnosis>,
    /// How the machine you have was found: "detected on this computer", "picked by hand".
    pub have_note: &'a str,
}

/// One piece of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    /// The document's title.
    Title(String),
    /// The verdict: the first thing read, in bold.
    Lead(String),
    /// A paragraph of text.
    Paragraph(String),
    /// A section heading.
    Heading(String),
    /// A heading inside a section.
    Subheading(String),
    /// A bulleted list.
    Bullets(Vec<String>),
    /// A table with a header row.
    Table {
        /// The column names.
        header: Vec<String>,
        /// Which columns hold numbers (right-aligned).
        numeric: Vec<bool>,
        /// The rows, one cell per column.
        rows: Vec<Vec<String>>,
    },
    /// A chart: a PNG beside the Markdown, inline SVG in the HTML.
    Chart(ChartKind),
    /// The diagnosis of the local setup, in its own Markdown and plain-text renderings.
    Diagnosis {
        /// For the Markdown document.
        markdown: String,
        /// For the HTML page, as preformatted text.
        text: String,
    },
}

/// Words a buyer may not know, explained where they appear (a tooltip in the HTML, a list
/// at the end of the Markdown).
pub const GLOSSARY: &[(&str, &str)] = &[
    ("KV cache", "memory the model keeps for every token already in the conversation; it grows with the context"),
    ("context", "the tokens the model holds at once: the prompt, earlier turns and the answer so far"),
    ("first token", "the moment the answer starts to appear; before it, the machine reads the whole prompt"),
    ("tok/s", "tokens per second; a token is about three quarters of an English word"),
    ("GiB", "gibibytes: 1 GiB is 1.074 GB; memory is counted in these"),
    ("likely range", "where 90% of published measurements fell against this kind of prediction"),
];

/// Minutes as a buyer reads them: "0.4 min", "2.5 min", "17 min".
pub fn minutes(secs: f64) -> String {
    let mins = secs.max(0.0) / 60.0;
    if mins >= 10.0 {
        format!("{} min", thousands(mins.round() as u64))
    } else {
        format!("{mins:.1} min")
    }
}

/// The mean request, never alone when some requests fail: "20% fail; the rest 1.2 min".
/// The mean counts served requests only (locally or by the cloud), so a failing option's
/// failures come first.
pub fn mean_request_words(mix: &MixResult) -> String {
    if mix.share_failed > 0.0005 {
        if mix.share_failed >= 0.9995 {
            return "every request fails".to_owned();
        }
        format!(
            "{:.0}% fail; the rest {}",
            mix.share_failed * 100.0,
            minutes(mix.mean_request_secs)
        )
    } else {
        minutes(mix.mean_request_secs)
    }
}

/// Hours per month spent waiting for answers that arrive, at the workload's request rates.
pub fn waiting_hours_per_month(workload: &Workload, mix: &MixResult) -> f64 {
    mix.tasks
        .iter()
        .zip(&workload.tasks)
        .filter_map(|(t, spec)| t.secs.map(|s| s * spec.requests_per_day.max(0.0)))
        .sum::<f64>()
        * DAYS_PER_MONTH
        / 3600.0
}

/// A task's time per request on an option, as its card shows it: served (locally or by the
/// cloud), or what it takes here when it fails; `None` when it does not run.
fn task_secs(entry: &RankEntry, index: usize) -> Option<f64> {
    let task = entry.mix.tasks.get(index)?;
    task.secs
        .or_else(|| task.local.as_ref().map(|l| l.total_secs))
}

/// The horizon `RankEntry::total_cost_usd` covers: the objective's years, else the
/// ranking's default of three.
fn years(options: &RankOptions) -> f64 {
    const RANKING_DEFAULT_YEARS: f64 = 3.0;
    match options.objective {
        Objective::BestValue { years } => years.max(0.0),
        _ => RANKING_DEFAULT_YEARS,
    }
}

fn objective_words(objective: Objective) -> String {
    match objective {
        Objective::Fastest => "the fastest within the budget first".to_owned(),
        Objective::Cheapest => "the cheapest that meets your requirements first".to_owned(),
        Objective::BestValue { years } => {
            format!("the lowest cost over {years:.0} years first")
        }
    }
}

/// Builds the document.
pub fn blocks(d: &DecisionInputs<'_>) -> Vec<Block> {
    let mut out = vec![Block::Title(format!(
        "headroom decision summary: {}",
        d.workload.name
    ))];
    verdict(d, &mut out);
    if let Some(diagnosis) = d.diagnosis {
        out.push(Block::Diagnosis {
            markdown: crate::diagnose::markdown(diagnosis),
            text: crate::diagnose::text(diagnosis),
        });
    }
    alternatives(d, &mut out);
    settings(d, &mut out);
    sections::serving(d, &mut out);
    sections::assumptions(d, &mut out);
    sections::uncertainty(d, &mut out);
    sections::memory(d, &mut out);
    sections::charts(&mut out);
    sections::appendix(d, &mut out);
    out
}

pub(super) fn listed<'r>(d: &DecisionInputs<'r>) -> impl Iterator<Item = (usize, &'r RankEntry)> {
    d.ranking.entries.iter().enumerate().take(d.rows)
}

fn verdict(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    let decision = &d.ranking.verdict;
    let lines = crate::present::verdict_lines(decision);
    // The setup problem, when there is one, comes before the verdict line: bold is the
    // verdict line itself, the same words as the window's headline and `rank`'s first line.
    let line = crate::present::verdict_line(decision);
    for l in lines {
        if l == line {
            out.push(Block::Lead(l));
        } else {
            out.push(Block::Paragraph(l));
        }
    }
    let option = decision.option.as_ref().and_then(|o| {
        d.ranking.entries.iter().find(|e| {
            e.machine_id == o.machine_id && (e.per_device_gb - o.per_device_gb).abs() < 0.5
        })
    });
    let cost = match (decision.kind, option) {
        (VerdictKind::Buy, Some(e)) => format!(
            "What it costs: {} to buy, then about {} a month in electricity{}; {} over {:.0} years.",
            usd(e.price_usd),
            usd(e.mix.energy_usd_per_month),
            cloud_words(&e.mix),
            usd(e.total_cost_usd),
            years(d.options)
        ),
        (VerdictKind::UseCloud, Some(e)) => format!(
            "What it costs: nothing to buy; about {} a month for the cloud and {} in electricity, {} over {:.0} years.",
            usd(e.mix.cloud_usd_per_month),
            usd(e.mix.energy_usd_per_month),
            usd(e.total_cost_usd),
            years(d.options)
        ),
        (VerdictKind::BuyNothing | VerdictKind::ChangeSettings, Some(e)) => format!(
            "What it costs: nothing to buy; your machine uses about {} of electricity a month for this work{}.",
            usd(e.mix.energy_usd_per_month),
            cloud_words(&e.mix)
        ),
        (VerdictKind::NothingMeets, Some(e)) => format!(
            "The closest option costs {}; widen the budget or the filters, or accept a longer wait.",
            usd(e.price_usd)
        ),
        _ => "Nothing to price: no option passes the budget and filters.".to_owned(),
    };
    out.push(Block::Paragraph(cost));
}

fn cloud_words(mix: &MixResult) -> String {
    if mix.cloud_usd_per_month > 0.005 {
        format!(" and {} for the cloud", usd(mix.cloud_usd_per_month))
    } else {
        String::new()
    }
}

fn alternatives(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("The options".to_owned()));
    out.push(Block::Paragraph(format!(
        "{} options within your budget and filters, {}; {} listed here, {} left out by the budget or filters. \
         \"Slowest task\" is the longest wait per request among your tasks; \"average request\" counts the requests \
         that are answered, so an option that fails some says so first.",
        d.ranking.entries.len(),
        objective_words(d.ranking.objective),
        d.rows.min(d.ranking.entries.len()),
        d.ranking.filtered_out
    )));
    let years = years(d.options);
    let rows = listed(d)
        .map(|(i, e)| {
            let slowest = (0..e.mix.tasks.len())
                .filter_map(|t| task_secs(e, t))
                .reduce(f64::max);
            vec![
                rank_number(i, e),
                option_name(e),
                if e.is_current {
                    "$0 (yours)".to_owned()
                } else {
                    usd(e.price_usd)
                },
                meets_cell(d.workload, e),
                slowest.map_or_else(|| "does not run".to_owned(), minutes),
                mean_request_words(&e.mix),
                format!("{:.1}", waiting_hours_per_month(d.workload, &e.mix)),
                usd(e.mix.energy_usd_per_month + e.mix.cloud_usd_per_month),
                usd(e.total_cost_usd),
            ]
        })
        .collect();
    out.push(Block::Table {
        header: vec![
            "#".to_owned(),
            "option".to_owned(),
            "price".to_owned(),
            "meets your requirements".to_owned(),
            "slowest task, per request".to_owned(),
            "average request".to_owned(),
            "hours waiting per month".to_owned(),
            "running cost per month".to_owned(),
            format!("cost over {years:.0} years"),
        ],
        numeric: vec![true, false, true, false, true, true, true, true, true],
        rows,
    });
    let Some(yours) = d.ranking.entries.iter().find(|e| e.is_current) else {
        out.push(Block::Paragraph(
            "Tell headroom which machine you have to see what each option buys you against it."
                .to_owned(),
        ));
        return;
    };
    let mut bullets = Vec::new();
    for (i, e) in listed(d).filter(|(_, e)| !e.is_current) {
        bullets.push(buys_you(d, i, e, yours));
    }
    if !bullets.is_empty() {
        out.push(Block::Subheading(
            "What each option buys you against your machine".to_owned(),
        ));
        out.push(Block::Bullets(bullets));
    }
}

/// Whether an option meets the requirements, and when not, which task misses and how.
fn meets_cell(workload: &Workload, e: &RankEntry) -> String {
    if e.mix.meets_targets {
        return meets_words(e);
    }
    let target = workload.min_decode_tokens_per_s.unwrap_or(0.0);
    let why: Vec<String> = e
        .mix
        .tasks
        .iter()
        .filter_map(|t| match (&t.served, &t.problem) {
            (Served::Failed, Some(LocalProblem::DoesNotFit { .. })) => {
                Some(format!("{} does not fit", t.name))
            }
            (Served::Failed, Some(LocalProblem::TooSlow { .. })) => {
                Some(format!("{} waits longer than you accept", t.name))
            }
            (Served::Failed, _) => Some(format!("{} fails", t.name)),
            _ if t.below_decode_target => {
                Some(format!("{} writes below {target:.0} tok/s", t.name))
            }
            _ => None,
        })
        .collect();
    if why.is_empty() {
        "no".to_owned()
    } else {
        format!("no: {}", why.join("; "))
    }
}

pub(super) fn option_name(e: &RankEntry) -> String {
    let name = machine_label(&e.machine_name, e.total_memory_gb);
    if e.is_current {
        format!("{name} (yours)")
    } else {
        name
    }
}

fn buys_you(d: &DecisionInputs<'_>, i: usize, e: &RankEntry, yours: &RankEntry) -> String {
    let tasks: Vec<String> = d
        .workload
        .tasks
        .iter()
        .enumerate()
        .map(|(t, spec)| {
            let now = task_secs(yours, t).map_or_else(|| "does not run".to_owned(), minutes);
            let then = task_secs(e, t).map_or_else(|| "does not run".to_owned(), minutes);
            let failing = |entry: &RankEntry| {
                entry
                    .mix
                    .tasks
                    .get(t)
                    .is_some_and(|r| r.served == Served::Failed)
            };
            let note = match (failing(yours), failing(e)) {
                (true, false) => " (now it fails, there it is answered)",
                (false, true) => " (there it fails)",
                _ => "",
            };
            format!("{} {now} → {then}{note}", spec.name)
        })
        .collect();
    let saved = waiting_hours_per_month(d.workload, &yours.mix)
        - waiting_hours_per_month(d.workload, &e.mix);
    // Hours of waiting compare like with like only when both answer the same share of
    // requests; otherwise what changes is how many requests are answered at all.
    let same_failures = (e.mix.share_failed - yours.mix.share_failed).abs() < 0.0005;
    let hours = if !same_failures && e.mix.share_failed < yours.mix.share_failed {
        format!(
            "; it answers the {:.0}% of requests your machine fails",
            (yours.mix.share_failed - e.mix.share_failed) * 100.0
        )
    } else if !same_failures {
        format!(
            "; it fails {:.0}% of requests your machine answers",
            (e.mix.share_failed - yours.mix.share_failed) * 100.0
        )
    } else if saved.abs() >= 0.05 {
        format!(
            "; {:.1} hours of waiting {} a month",
            saved.abs(),
            if saved > 0.0 { "saved" } else { "added" }
        )
    } else {
        String::new()
    };
    format!(
        "#{} {} for {}: {}{hours}; {} a month to run.",
        rank_number(i, e),
        option_name(e),
        usd(e.price_usd),
        tasks.join(", "),
        usd(e.mix.energy_usd_per_month + e.mix.cloud_usd_per_month)
    )
}

fn settings(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("Settings to change".to_owned()));
    let verdict: Vec<String> = d
        .ranking
        .verdict
        .settings
        .iter()
        .map(setting_words)
        .collect();
    if verdict.is_empty() {
        out.push(Block::Paragraph(
            "The answer above needs no setting changed.".to_owned(),
        ));
    } else {
        out.push(Block::Paragraph("For the answer above:".to_owned()));
        out.push(Block::Bullets(verdict));
    }
    let others: Vec<String> = listed(d)
        .filter(|(_, e)| !e.settings.is_empty())
        .filter(|(_, e)| {
            d.ranking
                .verdict
                .option
                .as_ref()
                .is_none_or(|o| o.machine_id != e.machine_id)
        })
        .map(|(i, e)| {
            format!(
                "#{} {}: {}",
                rank_number(i, e),
                option_name(e),
                e.settings
                    .iter()
                    .map(setting_words)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })
        .collect();
    if !others.is_empty() {
        out.push(Block::Paragraph("On the other options:".to_owned()));
        out.push(Block::Bullets(others));
    }
}
