//! The later sections of the decision document: the assumptions (your machine, the
//! workload, the budget, prices with their dates), how sure the numbers are, memory, the
//! charts, and the appendix (claims about the listed machines for this workload's models,
//! sources, the words used).

use crate::engine::mix::gib;
use crate::engine::rank::thousands;
use crate::engine::types::RangeBasis;
use crate::present::{rank_number, usd};

use super::charts::ChartKind;
use super::document::{listed, minutes, option_name, Block, DecisionInputs, GLOSSARY};

pub(super) fn assumptions(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
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
    let users = d.workload.slots();
    bullets.push(format!(
        "{} at once; requests arrive over {:.0} hours a day.",
        if users > 1 {
            format!("{users} users or agents, each with its own conversation in memory and a share of the speed,")
        } else {
            "One user or agent".to_owned()
        },
        d.workload.active_hours()
    ));
    for task in &d.workload.tasks {
        if let Some(session) = task.session.filter(|s| s.turn_count() > 1) {
            bullets.push(format!(
                "\"{}\" runs as sessions of {} turns: the first sends the {}-token prompt, each later turn adds {} tokens{}.",
                task.name,
                session.turn_count(),
                thousands(task.prompt_tokens),
                thousands(session.new_tokens_per_turn),
                if session.cache_survives {
                    " to the conversation the runtime keeps"
                } else {
                    ", and the whole conversation is read again every turn"
                }
            ));
        }
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

fn basis_words(task: &crate::engine::mix::TaskResult) -> String {
    if let Some(miss) = &task.known_miss {
        return format!("a case headroom is known to miss: {}: wider", miss.what);
    }
    match task.range_basis {
        Some(RangeBasis::Measured) => "published measurements of this machine".to_owned(),
        Some(RangeBasis::MachineUnmeasured) => {
            "no published measurement of this machine: wider".to_owned()
        }
        Some(RangeBasis::CaseUnmeasured) => {
            "no published measurement of this kind of model: wider".to_owned()
        }
        None => "—".to_owned(),
    }
}

pub(super) fn uncertainty(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    out.push(Block::Heading("How sure these numbers are".to_owned()));
    out.push(Block::Paragraph(
        "Each speed is predicted from the machine's memory speed and compute and checked against published \
         measurements. The likely range is set so that about 8 in 10 published measurements that headroom \
         was not fitted to fall inside it; a machine nobody has published measurements of, or a case \
         headroom is known to predict badly, gets a wider range."
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
                basis_words(task),
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

pub(super) fn memory(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
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

pub(super) fn charts(out: &mut Vec<Block>) {
    out.push(Block::Heading("Charts".to_owned()));
    for kind in [ChartKind::Price, ChartKind::Prefill, ChartKind::Decode] {
        out.push(Block::Subheading(kind.title().to_owned()));
        out.push(Block::Chart(kind));
    }
}

pub(super) fn appendix(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
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

/// Sessions and users at once, per listed option, in the cards' words: the cold first turn
/// against the warm ones, each user's speed against all together, and the queue. Only for a
/// workload with a session task or more than one user.
pub(super) fn serving(d: &DecisionInputs<'_>, out: &mut Vec<Block>) {
    use crate::engine::reason::Reason;
    let sessions = d
        .workload
        .tasks
        .iter()
        .any(|t| t.session.is_some_and(|s| s.turn_count() > 1));
    if !sessions && d.workload.slots() < 2 {
        return;
    }
    out.push(Block::Heading("Sessions and users at once".to_owned()));
    out.push(Block::Paragraph(
        "A session's first turn reads its whole prompt; later turns read only what they add \
         when the runtime keeps the conversation. Several users share the machine: each gets \
         a part of its speed, all together get more."
            .to_owned(),
    ));
    let mut bullets = Vec::new();
    for (i, e) in listed(d) {
        let words: Vec<String> = e
            .reasons
            .iter()
            .filter(|r| {
                matches!(
                    r,
                    Reason::Session { .. } | Reason::Parallel { .. } | Reason::Overloaded { .. }
                )
            })
            .map(crate::present::reason_words)
            .collect();
        if !words.is_empty() {
            bullets.push(format!(
                "#{} {}: {}",
                rank_number(i, e),
                option_name(e),
                words.join("; ")
            ));
        }
    }
    out.push(Block::Bullets(bullets));
}
