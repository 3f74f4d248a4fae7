//! Words for the engine's data, shared by every front end (the CLI, the decision summary and
//! the window), so the verdict reads the same everywhere. No egui, no files.

pub mod diagnosis;
mod reasons;
#[cfg(test)]
mod tests;

pub use reasons::{bottleneck_words, limit_words, reason_words};

use crate::engine::rank::thousands;
use crate::engine::verdict::{
    Decision, Setting, SetupCause, SetupProblem, Shortfall, Upgrade, VerdictKind,
};
use crate::engine::TestKind;

/// Dollars with thousands separators: "$3,999".
pub fn usd(amount: f64) -> String {
    let sign = if amount < 0.0 { "-" } else { "" };
    format!("{sign}${}", thousands(amount.abs().round() as u64))
}

/// Seconds as words: "about 6.1 minutes (367 s)" or "about 42 s".
pub fn duration_words(secs: f64) -> String {
    if secs >= 90.0 {
        format!("about {:.1} minutes ({:.0} s)", secs / 60.0, secs)
    } else {
        format!("about {secs:.0} s")
    }
}

/// A short duration: "17 min", "42 s", "1.5 h".
pub fn short_duration(secs: f64) -> String {
    if secs >= 5400.0 {
        format!("{:.1} h", secs / 3600.0)
    } else if secs >= 90.0 {
        format!("{:.0} min", secs / 60.0)
    } else {
        format!("{secs:.0} s")
    }
}

/// One setting with its value, as an instruction.
pub fn setting_words(setting: &Setting) -> String {
    match setting {
        Setting::ClientTimeout {
            task,
            current_secs,
            at_least_secs,
            predicted_wait_secs,
            session_turns,
        } => format!(
            "raise the client timeout for {task} from {current_secs:.0} s to at least {} s ({} wait {} here)",
            thousands(*at_least_secs),
            if session_turns.is_some() {
                "the longest turns of its sessions"
            } else {
                "its requests"
            },
            duration_words(*predicted_wait_secs)
        ),
        Setting::GpuMemoryLimit { how } => {
            format!("let the GPU use more of the memory ({how})")
        }
        Setting::ContextWindow {
            model,
            current_tokens,
            new_tokens,
        } => format!(
            "raise the context window of {model} from {} to {} tokens",
            thousands(*current_tokens),
            thousands(*new_tokens)
        ),
        Setting::ClientContextLimit { at_least_tokens } => format!(
            "raise the context limit your client enforces to at least {} tokens",
            thousands(*at_least_tokens)
        ),
        Setting::ExpertOffload {
            task,
            layers_on_cpu,
            layers_total,
        } => format!(
            "for {task}, keep the experts of {layers_on_cpu} of the model's {layers_total} layers in system RAM and everything else on the GPU (llama.cpp: --n-cpu-moe {layers_on_cpu})"
        ),
        Setting::DraftModel {
            task,
            draft,
            speedup,
        } => format!(
            "for {task}, let {draft} draft tokens for the model to check (speculative decoding, about {speedup:.1}x faster decoding)"
        ),
    }
}

/// A machine and its memory: "Mac Studio (M2 Ultra) with 64 GB"; names that already state
/// their memory ("... (2 x 24 GB)") are not repeated.
pub fn machine_label(name: &str, total_memory_gb: f64) -> String {
    if name.contains("GB") {
        name.to_owned()
    } else {
        format!("{name} with {total_memory_gb:.0} GB")
    }
}

fn option_name(d: &Decision) -> String {
    d.option.as_ref().map_or_else(String::new, |o| {
        machine_label(&o.machine_name, o.total_memory_gb)
    })
}

fn settings_list(settings: &[Setting]) -> String {
    settings
        .iter()
        .map(setting_words)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The verdict's first line, the same in every front end.
pub fn verdict_line(d: &Decision) -> String {
    let settings = settings_list(&d.settings);
    let name = option_name(d);
    match d.kind {
        VerdictKind::BuyNothing => {
            format!("Buy nothing: your {name} meets every requirement as it is.")
        }
        VerdictKind::ChangeSettings => format!("Buy nothing, change settings: {settings}."),
        VerdictKind::UseCloud => {
            let mut s = format!(
                "Buy nothing, use the cloud for {:.0}% of requests ({}, {} a month)",
                d.cloud_share * 100.0,
                d.cloud_tasks.join(", "),
                usd(d.cloud_usd_per_month)
            );
            if !settings.is_empty() {
                s += &format!(" and change settings: {settings}");
            }
            s + "."
        }
        VerdictKind::Buy => {
            let price = d.option.as_ref().map_or(0.0, |o| o.price_usd);
            let mut s = format!(
                "Buy the {name} for {}: no option at $0 meets every requirement",
                usd(price)
            );
            if let Some(why) = &d.your_shortfall {
                s += &format!(" ({})", shortfall_words(why));
            }
            if !settings.is_empty() {
                s += &format!("; then {settings}");
            }
            s + "."
        }
        VerdictKind::NothingMeets => {
            if d.option.is_some() {
                let why = d
                    .your_shortfall
                    .as_ref()
                    .filter(|_| d.option.as_ref().is_some_and(|o| o.is_current))
                    .map_or_else(String::new, |w| format!(" ({})", shortfall_words(w)));
                format!("Nothing within your budget and filters meets every requirement; the closest is the {name}{why}.")
            } else {
                "Nothing passes your budget and filters.".to_owned()
            }
        }
    }
}

/// What the upgrade buys, in the user's terms.
pub fn upgrade_words(kind: VerdictKind, u: &Upgrade) -> String {
    let lead = match kind {
        VerdictKind::Buy => "Against the machine you have, it",
        VerdictKind::UseCloud => {
            return format!(
                "Buying the {} ({}) instead would keep {} on your machine at {} per request, against {} from the cloud.",
                machine_label(&u.option.machine_name, u.option.total_memory_gb),
                usd(u.option.price_usd),
                u.task,
                short_duration(u.secs_then),
                short_duration(u.secs_now)
            )
        }
        _ => "",
    };
    let saved = if u.hours_saved_per_month >= 0.05 {
        format!(
            "; {:.1} hours of waiting saved per month at your request rates",
            u.hours_saved_per_month
        )
    } else {
        String::new()
    };
    if lead.is_empty() {
        format!(
            "The next purchase worth making: the {} ({}) would cut {} from {} to {}{saved}.",
            machine_label(&u.option.machine_name, u.option.total_memory_gb),
            usd(u.option.price_usd),
            u.task,
            short_duration(u.secs_now),
            short_duration(u.secs_then)
        )
    } else {
        format!(
            "{lead} cuts {} from {} to {}{saved}.",
            u.task,
            short_duration(u.secs_now),
            short_duration(u.secs_then)
        )
    }
}

/// A cause of a setup problem and how to check it.
pub fn cause_words(cause: SetupCause) -> &'static str {
    match cause {
        SetupCause::WeightsNotWiredOrPagedOut => {
            "the weights are not held in GPU memory or were paged out (check memory pressure in Activity Monitor while it runs)"
        }
        SetupCause::CpuFallback => {
            "the context's memory did not fit on the GPU, so the model runs on the CPU (check the server's log for the GPU it loaded on; try a smaller context)"
        }
        SetupCause::LayersOffTheGpu => {
            "some layers run on the CPU (check how many layers the server put on the GPU)"
        }
        SetupCause::MappedWeightsSmallGtt => {
            "the GPU's share of memory is too small for the weights (check the GPU memory size set for the integrated GPU)"
        }
        SetupCause::Swapping => "the system is swapping (check free memory while it runs)",
    }
}

/// The setup problem in words: checked before any purchase.
pub fn setup_problem_words(p: &SetupProblem) -> String {
    let what = match p.kind {
        TestKind::Decode => "generate",
        TestKind::Prefill => "read prompts at",
    };
    format!(
        "Your machine should {what} about {:.1} tokens/s on {} (at least {:.1} likely); {} {:.1}: this is a setup problem, not the hardware. Likely causes: {}.",
        p.predicted_tokens_per_s,
        p.task,
        p.predicted_low_tokens_per_s,
        if p.from_your_runs { "your own benchmark runs show" } else { "you see" },
        p.seen_tokens_per_s,
        p.causes
            .iter()
            .map(|c| cause_words(*c))
            .collect::<Vec<_>>()
            .join("; ")
    )
}

/// The verdict in full: the setup problem first, then the line, then what a purchase buys.
pub fn verdict_lines(d: &Decision) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(p) = &d.setup_problem {
        out.push(setup_problem_words(p));
    }
    out.push(verdict_line(d));
    if let Some(u) = &d.upgrade {
        out.push(upgrade_words(d.kind, u));
    }
    out
}

/// A published claim against the bandwidth bound, as a sentence.
pub fn claim_words(c: &crate::engine::claims::ClaimCheck) -> String {
    match c.bound_tokens_per_s {
        Some(bound) if c.exceeds_bound => format!(
            "claim check: {} says \"{}\" ({:.0} tok/s), but the bandwidth bound for {} {} is {:.1} tok/s: the claim breaks physics",
            c.by, c.text, c.claimed_tokens_per_s, c.model, c.quant, bound
        ),
        Some(bound) => format!(
            "claim check: {} says \"{}\" ({:.0} tok/s); the bandwidth bound for {} {} is {:.1} tok/s, so it is possible",
            c.by, c.text, c.claimed_tokens_per_s, c.model, c.quant, bound
        ),
        None => format!(
            "claim check: {} says \"{}\" ({:.0} tok/s); the catalogue lacks {} {}, so it cannot be checked",
            c.by, c.text, c.claimed_tokens_per_s, c.model, c.quant
        ),
    }
}

/// An option's place in the ranking as every front end numbers it: "3", or "=" when the
/// prediction error cannot tell it from the option above.
pub fn rank_number(index: usize, entry: &crate::engine::RankEntry) -> String {
    if entry.tied_with_previous {
        "=".to_owned()
    } else {
        (index + 1).to_string()
    }
}

/// Whether an option meets the user's requirements, and at what cost in settings.
pub fn meets_words(entry: &crate::engine::RankEntry) -> String {
    match (entry.mix.meets_targets, entry.settings.len()) {
        (false, _) => "no".to_owned(),
        (true, 0) => "yes".to_owned(),
        (true, 1) => "yes, after 1 setting".to_owned(),
        (true, n) => format!("yes, after {n} settings"),
    }
}

/// Why the machine you have misses the requirements, in a buyer's words.
pub fn shortfall_words(why: &Shortfall) -> String {
    match why {
        Shortfall::DoesNotFit {
            task,
            needed_bytes,
            usable_bytes,
        } => format!(
            "on yours, {task} needs {:.0} GB where {:.0} GB can be used",
            needed_bytes / 1e9,
            usable_bytes / 1e9
        ),
        Shortfall::TooSlow {
            task,
            wait_secs,
            max_wait_secs,
        } => format!(
            "on yours, {task} waits {} where you accept {}",
            duration_words(*wait_secs),
            duration_words(*max_wait_secs)
        ),
        Shortfall::BelowDecodeTarget {
            task,
            decode_tokens_per_s,
            target_tokens_per_s,
        } => format!(
            "on yours, {task} writes {decode_tokens_per_s:.1} tokens a second where you want {target_tokens_per_s:.0}"
        ),
        Shortfall::Overloaded {
            hours_needed,
            active_hours,
            slots,
        } => {
            let at_once = if *slots > 1 {
                format!(" for each of {slots} users at once")
            } else {
                String::new()
            };
            format!(
                "yours would need {hours_needed:.0} hours of work a day{at_once} to answer the requests that come in {active_hours:.0} hours"
            )
        }
    }
}

/// A whole number with thousands separators for an input field: "146,760", "50,000".
pub fn grouped(value: f64) -> String {
    let sign = if value < 0.0 { "-" } else { "" };
    format!("{sign}{}", thousands(value.abs().round() as u64))
}

/// Reads a number typed into a field, with or without separators, a dollar sign or spaces:
/// "146,760", "$50 000", "3999".
pub fn parse_grouped(text: &str) -> Option<f64> {
    let plain: String = text
        .chars()
        .filter(|c| !matches!(c, ',' | '$' | ' ' | '\u{a0}' | '_'))
        .collect();
    plain.parse::<f64>().ok().filter(|v| v.is_finite())
}

/// "headroom is known to miss this case: ...; held-out measurements ran 0.30-0.62x the
/// prediction, so the likely range is theirs" for a prediction in a known miss.
pub fn known_miss_words(miss: &crate::engine::mix::KnownMissNote) -> String {
    let scaled = match miss.correction {
        Some(c) if (c - 1.0).abs() > 0.005 => format!(
            "; its speed here is scaled by {c:.2}, what published measurements of the case ran against headroom's physics (the median)"
        ),
        _ => String::new(),
    };
    let spread = match miss.band {
        Some(band) if band.rows > 0 => format!(
            "; published measurements of this case that headroom was not fitted to ran {:.2}-{:.2}x that prediction ({} {}), and the likely range spans that",
            band.low,
            band.high,
            band.rows,
            if band.rows == 1 { "measurement" } else { "measurements" }
        ),
        _ => "; the likely range is widened".to_owned(),
    };
    format!(
        "headroom is known to miss this case: {}{scaled}{spread}",
        miss.what
    )
}

/// Where a model runs, in a buyer's words.
pub fn placement_words(placement: crate::engine::Placement) -> String {
    use crate::engine::Placement;
    match placement {
        Placement::Accelerator => "all on the accelerator".to_owned(),
        Placement::PartialOffload {
            layers_offloaded,
            layers_total,
        } => format!("{layers_offloaded} of {layers_total} layers in system RAM"),
        Placement::ExpertOffload {
            expert_layers_on_cpu,
            layers_total,
        } => {
            format!("the experts of {expert_layers_on_cpu} of {layers_total} layers in system RAM")
        }
        Placement::DoesNotFit => "does not fit".to_owned(),
    }
}
