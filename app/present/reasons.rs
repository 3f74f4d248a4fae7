//! Words for why an option ranks where it does: the reasons (`engine::reason::Reason`), the
//! bottleneck and what limits a phase.

use crate::engine::mix::{gib, Bottleneck};
use crate::engine::rank::thousands;
use crate::engine::reason::Reason;
use crate::engine::speed::Limit;
use crate::engine::types::RangeBasis;

use super::{claim_words, duration_words, short_duration};

/// What limits a phase, in a few plain words: "memory bandwidth".
pub fn limit_words(limit: Limit) -> &'static str {
    match limit {
        Limit::Bandwidth => "memory bandwidth",
        Limit::Compute => "compute",
        Limit::Attention => "attention over the context",
        Limit::Offload => "weights in system RAM",
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

/// Why a likely range is as wide as it is, in words.
pub fn basis_words(basis: RangeBasis) -> &'static str {
    match basis {
        RangeBasis::Measured => "published measurements of this machine",
        RangeBasis::MachineUnmeasured => {
            "no published measurement of this machine with this software"
        }
        RangeBasis::CaseUnmeasured => {
            "no published measurement of this kind of model or weights with this software"
        }
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
        Reason::ExpertOffload {
            needed_bytes,
            usable_bytes,
            layers_on_cpu,
            layers_total,
        } => format!(
            "memory: needs {}, {} usable on the GPU: the experts of {layers_on_cpu} of {layers_total} layers stay in system RAM, everything else on the GPU",
            gib(*needed_bytes),
            gib(*usable_bytes)
        ),
        Reason::Uncertain {
            task,
            basis,
            known_miss,
        } => match known_miss {
            Some(miss) => format!("{task}: {}", crate::present::known_miss_words(miss)),
            None => format!("{task}: likely ranges widened: {}", basis_words(*basis)),
        },
        Reason::Session {
            task,
            turns,
            first_turn_secs,
            warm_turn_secs,
            last_turn_secs,
            session_secs,
            cache_survives,
        } => format!(
            "{task}: a session of {turns} turns takes {}: the first turn {}, {} {}, the last {}",
            short_duration(*session_secs),
            short_duration(*first_turn_secs),
            if *cache_survives {
                "a later turn on the kept conversation"
            } else {
                "a later turn, reading the whole conversation again,"
            },
            short_duration(*warm_turn_secs),
            short_duration(*last_turn_secs)
        ),
        Reason::Parallel {
            users,
            task,
            per_user_tokens_per_s,
            aggregate_tokens_per_s,
            wait_probability,
            p95_queue_secs,
        } => {
            let queue = if *wait_probability < 0.05 {
                "a request rarely waits for a free turn".to_owned()
            } else {
                format!(
                    "{:.0}% of requests wait for a free turn, 95% less than {}",
                    wait_probability * 100.0,
                    duration_words(*p95_queue_secs)
                )
            };
            format!(
                "{users} at once: {task} decodes {per_user_tokens_per_s:.1} tok/s for each, {aggregate_tokens_per_s:.0} together; {queue}"
            )
        }
        Reason::Overloaded {
            hours_needed,
            active_hours,
            slots,
        } => format!(
            "the day's requests need {hours_needed:.0} hours of work{} and arrive in {active_hours:.0}: the queue only grows",
            if *slots > 1 {
                format!(" for each of {slots} users at once")
            } else {
                String::new()
            }
        ),
        Reason::Draft {
            task,
            draft,
            speedup,
            tokens_per_s,
            in_use,
        } => {
            let effect = if *speedup >= 1.0 {
                format!("{speedup:.1}x faster decoding, {tokens_per_s:.1} tok/s (each read of the weights checks several drafted tokens; at the lowest acceptance published for the pair)")
            } else {
                format!("slower decoding ({speedup:.2}x), so not worth it here")
            };
            format!(
                "{task}: with {draft} drafting tokens (speculative decoding): {effect}{}",
                if *in_use {
                    "; counted on to meet your decode target"
                } else {
                    ""
                }
            )
        }
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
    fn a_wide_range_says_why() {
        check(
            Reason::Uncertain {
                task: "coding".into(),
                basis: RangeBasis::MachineUnmeasured,
                known_miss: None,
            },
            "coding: likely ranges widened: no published measurement of this machine with this software",
        );
        check(
            Reason::Uncertain {
                task: "coding".into(),
                basis: RangeBasis::Measured,
                known_miss: Some(crate::engine::mix::KnownMissNote {
                    what: "slow attention".into(),
                    band: Some(crate::engine::types::ErrorBand {
                        low: 0.29,
                        high: 0.83,
                        rows: 8,
                    }),
                    correction: None,
                    source: "https://example.org".into(),
                }),
            },
            "coding: headroom is known to miss this case: slow attention; published measurements of this case that headroom was not fitted to ran 0.29-0.83x that prediction (8 measurements), and the likely range spans that",
        );
    }

    #[test]
    fn a_session_names_its_cold_and_warm_turns() {
        check(
            Reason::Session {
                task: "edits".into(),
                turns: 6,
                first_turn_secs: 1_020.0,
                warm_turn_secs: 60.0,
                last_turn_secs: 120.0,
                session_secs: 1_600.0,
                cache_survives: true,
            },
            "edits: a session of 6 turns takes 27 min: the first turn 17 min, a later turn on the kept conversation 60 s, the last 2 min",
        );
    }

    #[test]
    fn users_at_once_give_each_and_together_and_the_queue() {
        check(
            Reason::Parallel {
                users: 4,
                task: "question".into(),
                per_user_tokens_per_s: 20.0,
                aggregate_tokens_per_s: 80.0,
                wait_probability: 0.3,
                p95_queue_secs: 45.0,
            },
            "4 at once: question decodes 20.0 tok/s for each, 80 together; 30% of requests wait for a free turn, 95% less than about 45 s",
        );
        check(
            Reason::Overloaded {
                hours_needed: 30.4,
                active_hours: 8.0,
                slots: 1,
            },
            "the day's requests need 30 hours of work and arrive in 8: the queue only grows",
        );
    }

    #[test]
    fn a_draft_that_slows_decoding_says_so() {
        check(
            Reason::Draft {
                task: "chat".into(),
                draft: "Qwen2.5-Coder 0.5B (Q8_0)".into(),
                speedup: 0.8,
                tokens_per_s: 40.0,
                in_use: false,
            },
            "chat: with Qwen2.5-Coder 0.5B (Q8_0) drafting tokens (speculative decoding): slower decoding (0.80x), so not worth it here",
        );
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
