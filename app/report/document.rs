//! The decision document as blocks (headings, paragraphs, tables, charts), built once from
//! the ranking so the Markdown and the HTML say the same thing in the same order: the
//! verdict and what it costs, the alternatives in the buyer's terms, the assumptions, the
//! uncertainty, the settings to change, and an appendix with sources and claim checks.

use crate::diagnose::Diagnosis;
use crate::engine::mix::{gib, LocalProblem, MixResult, Served, DAYS_PER_MONTH};
use crate::engine::rank::{thousands, Objective, RankEntry, RankOptions, Ranking};
use crate::engine::series::ChartSeries;
use crate::engine::types::{Catalog, RangeBasis, Workload};
use crate::engine::VerdictKind;
use crate::present::{machine_label, meets_words, rank_number, setting_words, usd};

use super::charts::ChartKind;

/// Everything the document is made from.
#[derive(Clone, Copy)]
pub struct DecisionInputs<'a> {
    pub catalog: &'a Catalog,
    pub workload: &'a Workload,
    pub options: &'a RankOptions,
    pub ranking: &'a Ranking,
    pub series: &'a ChartSeries,
    /// Options listed in the tables (and the memory chart's rows).
    pub rows: usize,
    pub diagnosis: Option<&'a Diagnosis>,
    /// How the machine you have was found: "detected on this computer", "picked by hand".
    pub have_note: &'a str,
}

/// One piece of the document.
#[derive(Clone, Debug, PartialEq)]
pub enum Block {
    Title(String),
    /// The verdict: the first thing read, in bold.
    Lead(String),
    Paragraph(String),
    Heading(String),
    Subheading(String),
    Bullets(Vec<String>),
    Table {
        header: Vec<String>,
        /// Which columns hold numbers (right-aligned).
        numeric: Vec<bool>,
        rows: Vec<Vec<String>>,
    },
    Chart(ChartKind),
    /// The diagnosis of the local setup, in its own Markdown and plain-text renderings.
    Diagnosis {
        markdown: String,
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

fn years(options: &RankOptions) -> f64 {
    match options.objective {
        Objective::BestValue { years } => years,
        _ => 3.0,
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
    assumptions(d, &mut out);
    uncertainty(d, &mut out);
    memory(d, &mut out);
    charts(&mut out);
    appendix(d, &mut out);
    out
}

fn listed<'r>(d: &DecisionInputs<'r>) -> impl Iterator<Item = (usize, &'r RankEntry)> {
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

fn option_name(e: &RankEntry) -> String {
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
    let hours = if saved.abs() >= 0.05 && e.mix.share_failed <= yours.mix.share_failed {
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

fn assumptions(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("Assumptions".to_owned()));
    let o = d.options;
    let have = o.have.as_ref().map_or_else(
        || "not given, so nothing is counted as already owned".to_owned(),
        |h| {
            let name = d
                .catalog
                .machine(&h.machine)
                .map_or_else(|| h.machine.clone(), |m| m.name.clone());
            format!(
                "{name}, {:.0} GB per device ({})",
                h.per_device_gb, d.have_note
            )
        },
    );
    let mut bullets = vec![
        format!("Your machine: {have}."),
        format!(
            "Workload \"{}\": {}",
            d.workload.name, d.workload.description
        ),
        format!(
            "Budget {} to {}; the cloud {} for tasks that are not private; electricity at ${:.2} per kWh.",
            usd(o.budget_min_usd),
            usd(o.budget_max_usd),
            if o.mix.allow_cloud { "may take" } else { "takes nothing, not even" },
            o.mix.electricity_usd_per_kwh
        ),
    ];
    match o.mix.max_wait_secs {
        Some(wait) => bullets.push(format!(
            "The longest wait you accept: {} per request (to the first token when the client streams).",
            minutes(wait)
        )),
        None => bullets.push(
            "No limit on the wait was set: a slow answer is not a failure, a client timeout is a setting to raise."
                .to_owned(),
        ),
    }
    if let Some(min) = d.workload.min_decode_tokens_per_s {
        bullets.push(format!("Every task must write at least {min:.0} tok/s."));
    }
    out.push(Block::Bullets(bullets));
    out.push(Block::Subheading("The tasks".to_owned()));
    let rows = d
        .workload
        .tasks
        .iter()
        .map(|t| {
            vec![
                t.name.clone(),
                format!("{:.0}%", t.share * 100.0),
                format!("{:.0}", t.requests_per_day),
                thousands(t.prompt_tokens),
                thousands(t.output_tokens),
                d.catalog
                    .model(&t.model)
                    .map_or_else(|| t.model.clone(), |m| m.name.clone()),
                t.quant.clone(),
                if t.private { "yes" } else { "no" }.to_owned(),
                minutes(t.timeout_secs),
            ]
        })
        .collect();
    out.push(Block::Table {
        header: [
            "task",
            "share",
            "requests per day",
            "prompt tokens",
            "answer tokens",
            "model",
            "weights format",
            "private",
            "client timeout",
        ]
        .map(str::to_owned)
        .to_vec(),
        numeric: vec![false, true, true, true, true, false, false, false, true],
        rows,
    });
    out.push(Block::Subheading("Prices".to_owned()));
    let rows = listed(d)
        .map(|(i, e)| {
            let option = d.catalog.machine(&e.machine_id).and_then(|m| {
                m.memory_options
                    .iter()
                    .find(|o| (o.per_device_gb - e.per_device_gb).abs() < 0.5)
            });
            let list = e.list_price_usd.map_or_else(|| "—".to_owned(), usd);
            let typed = e
                .list_price_usd
                .is_some_and(|l| (l - e.price_usd).abs() > 0.5 && !e.is_current);
            vec![
                rank_number(i, e),
                option_name(e),
                if e.is_current {
                    format!("$0 (owned; {list} new)")
                } else if typed {
                    format!("{} (your price; {list} listed)", usd(e.price_usd))
                } else {
                    usd(e.price_usd)
                },
                option.map_or_else(|| "—".to_owned(), |o| o.condition.as_str().to_owned()),
                option.map_or_else(|| "—".to_owned(), |o| o.price_date.clone()),
            ]
        })
        .collect();
    out.push(Block::Table {
        header: ["#", "option", "price", "condition", "price seen on"]
            .map(str::to_owned)
            .to_vec(),
        numeric: vec![true, false, true, false, false],
        rows,
    });
}

fn basis_words(basis: Option<RangeBasis>) -> &'static str {
    match basis {
        Some(RangeBasis::Measured) => "published measurements of this machine",
        Some(RangeBasis::MachineUnmeasured) => "no published measurement of this machine: wider",
        Some(RangeBasis::CaseUnmeasured) => "no published measurement of this kind of model: wider",
        None => "—",
    }
}

fn uncertainty(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("How sure these numbers are".to_owned()));
    out.push(Block::Paragraph(
        "Each speed is predicted from the machine's memory speed and compute and checked against published \
         measurements. The likely range is where 90% of those measurements fell against the prediction; a \
         machine nobody has published measurements of gets a wider range."
            .to_owned(),
    ));
    let mut rows = Vec::new();
    for (i, e) in listed(d) {
        for (task, spec) in e.mix.tasks.iter().zip(&d.workload.tasks) {
            let Some(local) = &task.local else {
                continue;
            };
            let request = task.secs_range.map_or_else(
                || minutes(local.total_secs),
                |(lo, hi)| format!("{} to {}", minutes(lo), minutes(hi)),
            );
            let decode = task.decode_range_tokens_per_s.map_or_else(
                || format!("{:.1}", local.decode.tokens_per_s),
                |(lo, hi)| format!("{lo:.0} to {hi:.0}"),
            );
            rows.push(vec![
                rank_number(i, e),
                option_name(e),
                spec.name.clone(),
                minutes(local.total_secs),
                request,
                format!("{:.1}", local.decode.tokens_per_s),
                decode,
                basis_words(task.range_basis).to_owned(),
            ]);
        }
    }
    out.push(Block::Table {
        header: [
            "#",
            "option",
            "task",
            "request, predicted",
            "request, likely range",
            "tok/s, predicted",
            "tok/s, likely range",
            "the range rests on",
        ]
        .map(str::to_owned)
        .to_vec(),
        numeric: vec![true, false, false, true, true, true, true, false],
        rows,
    });
}

fn memory(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("Memory".to_owned()));
    out.push(Block::Paragraph(
        "What each option needs at the busiest moment of the mix, against the memory its GPU may use. The chart \
         below shows the same rows."
            .to_owned(),
    ));
    let rows = listed(d)
        .filter_map(|(i, e)| {
            let m = e.mix.peak_memory.as_ref()?;
            Some(vec![
                rank_number(i, e),
                option_name(e),
                gib(m.weights_bytes),
                gib(m.kv_cache_bytes),
                gib(m.overhead_bytes),
                gib(m.total_bytes),
                gib(m.usable_bytes),
                gib(m.headroom_bytes),
            ])
        })
        .collect();
    out.push(Block::Table {
        header: [
            "#", "option", "weights", "KV cache", "overhead", "total", "usable", "to spare",
        ]
        .map(str::to_owned)
        .to_vec(),
        numeric: vec![true, false, true, true, true, true, true, true],
        rows,
    });
    out.push(Block::Chart(ChartKind::Memory));
}

fn charts(out: &mut Vec<Block>) {
    out.push(Block::Heading("Charts".to_owned()));
    for kind in [ChartKind::Price, ChartKind::Prefill, ChartKind::Decode] {
        out.push(Block::Subheading(kind.title().to_owned()));
        out.push(Block::Chart(kind));
    }
}

fn appendix(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("Appendix".to_owned()));
    out.push(Block::Subheading(
        "Published claims about these machines".to_owned(),
    ));
    let models: Vec<&str> = d.workload.tasks.iter().map(|t| t.model.as_str()).collect();
    let mut claims = Vec::new();
    for (_, e) in listed(d) {
        let Some(machine) = d.catalog.machine(&e.machine_id) else {
            continue;
        };
        for c in crate::engine::claims::check(d.catalog, machine) {
            if !models.contains(&c.model.as_str()) {
                continue;
            }
            let model = d
                .catalog
                .model(&c.model)
                .map_or_else(|| c.model.clone(), |m| m.name.clone());
            let line = match c.bound_tokens_per_s {
                Some(bound) if c.exceeds_bound => format!(
                    "{}: \"{}\" ({:.0} tok/s). Its memory speed allows {model} {} at most {bound:.1} tok/s, so the claim cannot be true.",
                    machine.name, c.text, c.claimed_tokens_per_s, c.quant
                ),
                Some(bound) => format!(
                    "{}: \"{}\" ({:.0} tok/s). Its memory speed allows {model} {} up to {bound:.1} tok/s, so the claim is possible.",
                    machine.name, c.text, c.claimed_tokens_per_s, c.quant
                ),
                None => continue,
            };
            if !claims.contains(&line) {
                claims.push(line);
            }
        }
    }
    if claims.is_empty() {
        out.push(Block::Paragraph(
            "No published speed claim about these machines concerns the models of this workload."
                .to_owned(),
        ));
    } else {
        out.push(Block::Bullets(claims));
    }
    out.push(Block::Subheading("Sources".to_owned()));
    let mut sources = Vec::new();
    for (_, e) in listed(d) {
        let Some(machine) = d.catalog.machine(&e.machine_id) else {
            continue;
        };
        let price = machine
            .memory_options
            .iter()
            .find(|o| (o.per_device_gb - e.per_device_gb).abs() < 0.5)
            .map(|o| o.source.clone());
        let mut pages: Vec<String> = price.into_iter().collect();
        pages.push(machine.bandwidth_gb_per_s.source.clone());
        pages.extend(machine.sources.iter().cloned());
        pages.dedup();
        let line = format!("{}: {}", machine.name, pages.join(" · "));
        if !sources.contains(&line) {
            sources.push(line);
        }
    }
    for task in &d.workload.tasks {
        if let Some(model) = d.catalog.model(&task.model) {
            let line = format!(
                "{}: https://huggingface.co/{}{}",
                model.name,
                model.hf_repo,
                model
                    .sources
                    .iter()
                    .map(|s| format!(" · {s}"))
                    .collect::<String>()
            );
            if !sources.contains(&line) {
                sources.push(line);
            }
        }
    }
    out.push(Block::Bullets(sources));
    out.push(Block::Paragraph(format!(
        "Predictions: writing speed from each machine's memory speed, prompt reading from its compute, both \
         fitted to published llama.cpp measurements; {} machines and {} models in the catalogue, each figure \
         with its source or marked as an estimate.",
        d.catalog.machines.len(),
        d.catalog.models.len()
    )));
    out.push(Block::Subheading("Words used".to_owned()));
    out.push(Block::Bullets(
        GLOSSARY
            .iter()
            .map(|(term, meaning)| format!("{term}: {meaning}"))
            .collect(),
    ));
}
