//! Words for the engine's data, shared by every front end (the CLI, the decision summary and
//! the window), so the verdict reads the same everywhere. No egui, no files.

use crate::engine::mix::{gib, Bottleneck};
use crate::engine::rank::thousands;
use crate::engine::reason::Reason;
use crate::engine::speed::Limit;
use crate::engine::verdict::{Decision, Setting, SetupCause, SetupProblem, Upgrade, VerdictKind};
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
        } => format!(
            "raise the client timeout for {task} from {current_secs:.0} s to at least {} s (its requests wait {} here)",
            thousands(*at_least_secs),
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
            if !settings.is_empty() {
                s += &format!("; then {settings}");
            }
            s + "."
        }
        VerdictKind::NothingMeets => {
            if d.option.is_some() {
                format!("Nothing within your budget and filters meets every requirement; the closest is the {name}.")
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

/// What limits a phase, in a few plain words: "memory bandwidth".
pub fn limit_words(limit: Limit) -> &'static str {
    match limit {
        Limit::Bandwidth => "memory bandwidth",
        Limit::Compute => "compute",
        Limit::Attention => "attention over the context",
        Limit::Offload => "layers in system RAM",
        Limit::Overhead => "fixed time per layer",
    }
}

/// What limits an option most on the mix: "decode: memory bandwidth".
pub fn bottleneck_words(bottleneck: Bottleneck) -> String {
    match bottleneck {
        Bottleneck::Capacity => "memory capacity".to_owned(),
        Bottleneck::Prefill => "reading the prompt (longer than the wait you accept)".to_owned(),
        Bottleneck::Decode(limit) => format!("decode: {}", limit_words(limit)),
        Bottleneck::None => "none".to_owned(),
    }
}

/// " (60-75 likely)" for a speed range.
fn likely_words(range: Option<(f64, f64)>) -> String {
    range.map_or(String::new(), |(lo, hi)| {
        format!(" ({lo:.0}-{hi:.0} likely)")
    })
}

/// One reason behind a ranked option, as a line with its numbers.
pub fn reason_words(reason: &Reason) -> String {
    match reason {
        Reason::Memory {
            needed_bytes,
            usable_bytes,
            headroom_bytes,
            after_setting,
        } => format!(
            "memory: needs {} of {} usable ({} headroom){}",
            gib(*needed_bytes),
            gib(*usable_bytes),
            gib(*headroom_bytes),
            if *after_setting {
                ", after raising the GPU memory limit"
            } else {
                ""
            }
        ),
        Reason::PartialOffload {
            needed_bytes,
            usable_bytes,
            layers_offloaded,
            layers_total,
        } => format!(
            "memory: needs {}, {} usable on the GPU: {layers_offloaded} of {layers_total} layers run from system RAM",
            gib(*needed_bytes),
            gib(*usable_bytes)
        ),
        Reason::DoesNotFit {
            task,
            needed_bytes,
            usable_bytes,
        } => format!(
            "{task}: does not fit: needs {}, {} usable",
            gib(*needed_bytes),
            gib(*usable_bytes)
        ),
        Reason::TooSlow {
            task,
            wait_secs,
            max_wait_secs,
            prefill_secs,
            prompt_tokens,
            streaming,
        } => format!(
            "{task}: {} after {wait_secs:.0} s ({prefill_secs:.0} s of it reading the {}-token prompt), longer than the {max_wait_secs:.0} s you accept",
            if *streaming { "the first token comes" } else { "the answer comes" },
            thousands(*prompt_tokens)
        ),
        Reason::UnknownEntry { task, what } => {
            format!("{task}: the catalogue has no {what}")
        }
        Reason::Decode {
            task,
            limit,
            tokens_per_s,
            range_tokens_per_s,
            bound,
            prefill_tokens_per_s,
            first_token_secs,
        } => {
            let why = match (limit, bound) {
                (Limit::Bandwidth, Some(b)) => format!(
                    "limited by memory bandwidth: {:.0} GB/s over {:.1} GB read per token allows {:.0} tok/s at most",
                    b.bandwidth_gb_per_s, b.read_gb_per_token, b.bound_tokens_per_s
                ),
                (Limit::Bandwidth, None) => "limited by memory bandwidth".to_owned(),
                (other, _) => format!(
                    "limited by {} rather than memory bandwidth",
                    limit_words(*other)
                ),
            };
            format!(
                "{task}: decode {tokens_per_s:.1} tok/s{}, {why}; prefill {prefill_tokens_per_s:.0} tok/s, first token after {first_token_secs:.1} s",
                likely_words(*range_tokens_per_s)
            )
        }
        Reason::BelowTarget {
            task,
            tokens_per_s,
            target_tokens_per_s,
        } => format!(
            "{task}: decodes {tokens_per_s:.1} tok/s, below your {target_tokens_per_s:.0} tok/s target"
        ),
        Reason::Cloud {
            task,
            offer,
            usd_per_request,
        } => format!("{task}: sent to {offer} at ${usd_per_request:.3} per request"),
        Reason::ClaimBreaksPhysics { claim } => match claim.bound_tokens_per_s {
            Some(bound) => format!(
                "published claim: {} says \"{}\" ({:.0} tok/s), but memory bandwidth allows {} {} at most {bound:.1} tok/s",
                claim.by, claim.text, claim.claimed_tokens_per_s, claim.model, claim.quant
            ),
            None => claim_words(claim),
        },
        Reason::SplitDevices { devices } => format!(
            "{devices} devices split the layers: their memory adds up, their decode speed does not"
        ),
    }
}

#[cfg(test)]
mod tests {
    //! The words for reasons and bottlenecks, one `check` per case.

    use super::*;
    use crate::engine::reason::BandwidthBound;

    #[track_caller]
    fn check(reason: Reason, expected: &str) {
        assert_eq!(reason_words(&reason), expected);
    }

    #[test]
    fn memory_reasons_state_need_usable_and_headroom_in_gib() {
        // 42.4 GiB of 48 GiB: 5.6 GiB to spare.
        check(
            Reason::Memory {
                needed_bytes: 42.4 * GIB_BYTES,
                usable_bytes: 48.0 * GIB_BYTES,
                headroom_bytes: 5.6 * GIB_BYTES,
                after_setting: true,
            },
            "memory: needs 42.4 GiB of 48.0 GiB usable (5.6 GiB headroom), after raising the GPU memory limit",
        );
        check(
            Reason::PartialOffload {
                needed_bytes: 80.0 * GIB_BYTES,
                usable_bytes: 24.0 * GIB_BYTES,
                layers_offloaded: 50,
                layers_total: 80,
            },
            "memory: needs 80.0 GiB, 24.0 GiB usable on the GPU: 50 of 80 layers run from system RAM",
        );
    }

    #[test]
    fn a_bandwidth_bound_decode_shows_the_ceiling_and_its_arithmetic() {
        check(
            Reason::Decode {
                task: "coding".to_owned(),
                limit: Limit::Bandwidth,
                tokens_per_s: 30.24,
                range_tokens_per_s: Some((27.4, 37.1)),
                // 800 GB/s / 1.76 GB per token = 454.5 tok/s.
                bound: Some(BandwidthBound {
                    bandwidth_gb_per_s: 800.0,
                    read_gb_per_token: 1.76,
                    bound_tokens_per_s: 454.5454,
                }),
                prefill_tokens_per_s: 164.7,
                first_token_secs: 891.04,
            },
            "coding: decode 30.2 tok/s (27-37 likely), limited by memory bandwidth: 800 GB/s over 1.8 GB read per token allows 455 tok/s at most; prefill 165 tok/s, first token after 891.0 s",
        );
        check(
            Reason::Decode {
                task: "chat".to_owned(),
                limit: Limit::Overhead,
                tokens_per_s: 69.1,
                range_tokens_per_s: None,
                bound: None,
                prefill_tokens_per_s: 776.0,
                first_token_secs: 20.6,
            },
            "chat: decode 69.1 tok/s, limited by fixed time per layer rather than memory bandwidth; prefill 776 tok/s, first token after 20.6 s",
        );
    }

    #[test]
    fn a_slow_task_names_its_wait_and_the_wait_accepted() {
        check(
            Reason::TooSlow {
                task: "edits".to_owned(),
                wait_secs: 891.0,
                max_wait_secs: 300.0,
                prefill_secs: 890.0,
                prompt_tokens: 146_760,
                streaming: true,
            },
            "edits: the first token comes after 891 s (890 s of it reading the 146,760-token prompt), longer than the 300 s you accept",
        );
    }

    #[test]
    fn limits_and_bottlenecks_read_as_plain_words() {
        let limits = [
            Limit::Bandwidth,
            Limit::Compute,
            Limit::Attention,
            Limit::Offload,
            Limit::Overhead,
        ];
        let words: Vec<&str> = limits.iter().map(|l| limit_words(*l)).collect();
        for (i, w) in words.iter().enumerate() {
            assert!(!w.contains("-bound") && !w.contains("overhead"), "{w}");
            assert!(!words[..i].contains(w), "two limits read the same: {w}");
        }
        assert_eq!(
            bottleneck_words(Bottleneck::Decode(Limit::Bandwidth)),
            "decode: memory bandwidth"
        );
        assert_eq!(bottleneck_words(Bottleneck::Capacity), "memory capacity");
    }

    #[test]
    fn reasons_serialize_with_a_kebab_case_kind() {
        let json = serde_json::to_value(Reason::SplitDevices { devices: 2 }).unwrap_or_default();
        assert_eq!(json["kind"], "split-devices");
        assert_eq!(json["devices"], 2);
    }

    const GIB_BYTES: f64 = 1024.0 * 1024.0 * 1024.0;
}
