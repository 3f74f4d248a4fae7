//! The one decision every front end shows first: buy nothing, change settings, use the cloud,
//! or buy a machine. Settings cost nothing and come first; the cloud comes next when it is
//! allowed and cheaper than buying; a purchase only when no $0 option meets the requirements.
//!
//! Everything here is data (enums with numbers); the words are the front ends' (`present`).

use serde::{Deserialize, Serialize};

use super::mix::{MixResult, Served, TimeoutFix, DAYS_PER_MONTH};
use super::rank::RankEntry;
use super::types::{Catalog, MemoryKind, Os, Runtime, TestKind, Workload};

/// A setting to change, with its exact new value. Settings cost nothing.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Setting {
    /// Raise the client's request timeout for a task.
    ClientTimeout {
        /// The task (or, from Diagnose, the model) the timeout is for.
        task: String,
        /// The timeout set now, in seconds.
        current_secs: f64,
        /// The timeout to set, in seconds.
        at_least_secs: u64,
        /// The predicted wait it must cover, in seconds.
        predicted_wait_secs: f64,
    },
    /// Raise the share of memory the GPU may use (the macOS wired limit, the Strix Halo GTT).
    GpuMemoryLimit {
        /// The command or setting, as the catalogue gives it.
        how: String,
    },
    /// Give a model a larger context window (Ollama's `num_ctx`), found by Diagnose.
    ContextWindow {
        /// The local model's name.
        model: String,
        /// The limit set now.
        current_tokens: u64,
        /// The limit to set.
        new_tokens: u64,
    },
    /// Raise the context limit the client enforces, found by Diagnose.
    ClientContextLimit {
        /// The limit to set.
        at_least_tokens: u64,
    },
    /// Keep the routed experts of some layers of a mixture of experts in system RAM and the
    /// rest on the GPU (llama.cpp's `--n-cpu-moe`), so a model larger than the GPU runs.
    ExpertOffload {
        /// The task whose model needs it.
        task: String,
        /// Layers whose experts stay in system RAM.
        layers_on_cpu: u32,
        layers_total: u32,
    },
    /// Decode with a small draft model proposing tokens (speculative decoding).
    DraftModel {
        /// The task it speeds up.
        task: String,
        /// The draft model's name and quantisation.
        draft: String,
        /// Decode speed with it over without it.
        speedup: f64,
    },
}

/// The kind of answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerdictKind {
    /// The machine you have meets every requirement as it is.
    BuyNothing,
    /// The machine you have meets every requirement once settings change.
    ChangeSettings,
    /// The machine you have meets them with the cloud taking the tasks it cannot serve.
    UseCloud,
    /// Only a purchase meets them.
    Buy,
    /// Nothing within the budget and filters meets them.
    NothingMeets,
}

/// A machine option the verdict names.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct OptionRef {
    pub machine_id: String,
    pub machine_name: String,
    pub total_memory_gb: f64,
    pub per_device_gb: f64,
    /// 0 for the machine you have.
    pub price_usd: f64,
    pub is_current: bool,
}

impl OptionRef {
    fn of(entry: &RankEntry) -> Self {
        Self {
            machine_id: entry.machine_id.clone(),
            machine_name: entry.machine_name.clone(),
            total_memory_gb: entry.total_memory_gb,
            per_device_gb: entry.per_device_gb,
            price_usd: entry.price_usd,
            is_current: entry.is_current,
        }
    }
}

/// What a purchase would buy you in your own terms, against the recommended option.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Upgrade {
    pub option: OptionRef,
    /// The task it speeds up most (the one you wait on longest).
    pub task: String,
    /// That task's request time with the recommended option (local, or the cloud's).
    pub secs_now: f64,
    /// Its request time on the purchase.
    pub secs_then: f64,
    /// Hours of waiting saved per month at your request rates, over all tasks.
    pub hours_saved_per_month: f64,
}

/// Why a measured speed far below the prediction may be: checks for that platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SetupCause {
    /// macOS: the weights are not wired into GPU memory, or are paged out (memory pressure).
    WeightsNotWiredOrPagedOut,
    /// The KV cache at the context asked did not fit, so the runtime fell back to the CPU.
    CpuFallback,
    /// Some layers were left on the CPU (`-ngl` / `num_gpu` too low).
    LayersOffTheGpu,
    /// Memory-mapped weights on a small GPU memory window (GTT) on an integrated GPU.
    MappedWeightsSmallGtt,
    /// The system is swapping: the model and everything else do not fit in RAM.
    Swapping,
}

impl SetupCause {
    /// The causes worth checking on a machine of this runtime and OS.
    pub fn for_platform(runtime: Runtime, os: &[Os], unified_memory: bool) -> Vec<SetupCause> {
        let mut causes = Vec::new();
        if runtime == Runtime::Metal || os == [Os::MacOs] {
            causes.push(SetupCause::WeightsNotWiredOrPagedOut);
        }
        causes.push(SetupCause::CpuFallback);
        if runtime != Runtime::Metal {
            causes.push(SetupCause::LayersOffTheGpu);
        }
        if unified_memory && matches!(runtime, Runtime::Rocm | Runtime::Vulkan) {
            causes.push(SetupCause::MappedWeightsSmallGtt);
        }
        causes.push(SetupCause::Swapping);
        causes
    }
}

/// Speeds the user says they see on the machine they have.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SeenSpeeds {
    pub decode_tokens_per_s: Option<f64>,
    pub prefill_tokens_per_s: Option<f64>,
}

/// A speed seen far below what the machine should reach: a setup problem, not the hardware.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SetupProblem {
    /// The task whose prediction is compared (the most frequent one served locally).
    pub task: String,
    pub kind: TestKind,
    /// What the machine should reach.
    pub predicted_tokens_per_s: f64,
    /// The slow end of the likely range of that prediction.
    pub predicted_low_tokens_per_s: f64,
    /// What the user sees.
    pub seen_tokens_per_s: f64,
    /// Where the seen speed came from.
    pub from_your_runs: bool,
    pub causes: Vec<SetupCause>,
}

/// A seen speed below this share of the slow end of the likely range is a setup problem.
/// Published cases of a setup fault show 10-20x slowdowns; 0.5 leaves room for a build or
/// a machine that is merely slower than typical.
pub const SETUP_PROBLEM_SHARE: f64 = 0.5;

/// The decision.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Decision {
    pub kind: VerdictKind,
    /// The option recommended: the machine you have, or the one to buy; for `NothingMeets`,
    /// the closest option.
    pub option: Option<OptionRef>,
    /// Settings to change on that option, each with its value.
    pub settings: Vec<Setting>,
    /// The share of requests the cloud takes, the tasks it takes, and its cost per month.
    pub cloud_share: f64,
    pub cloud_tasks: Vec<String>,
    pub cloud_usd_per_month: f64,
    /// What the next purchase would buy you (for the $0 answers), or what buying instead of
    /// the cloud would (for `UseCloud`).
    pub upgrade: Option<Upgrade>,
    /// A speed the user sees far below the prediction: checked before any purchase.
    pub setup_problem: Option<SetupProblem>,
    /// Why the machine you have does not meet the requirements, when it does not.
    pub your_shortfall: Option<Shortfall>,
}

/// The first requirement the machine you have misses, with its numbers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Shortfall {
    /// A task's model and context do not fit, and the cloud may not take it.
    DoesNotFit {
        task: String,
        needed_bytes: f64,
        usable_bytes: f64,
    },
    /// A task waits longer than the user accepts.
    TooSlow {
        task: String,
        wait_secs: f64,
        max_wait_secs: f64,
    },
    /// A task decodes slower than the target.
    BelowDecodeTarget {
        task: String,
        decode_tokens_per_s: f64,
        target_tokens_per_s: f64,
    },
    /// The requests need more hours of the machine's slots than the hours they arrive in.
    Overloaded {
        /// Hours of work per slot the day's requests need.
        hours_needed: f64,
        active_hours: f64,
        slots: u32,
    },
}

/// Why `entry` misses the requirements of `workload`, if it does.
pub fn shortfall(workload: &Workload, entry: &RankEntry) -> Option<Shortfall> {
    use super::mix::LocalProblem;
    if entry.mix.meets_targets {
        return None;
    }
    for task in &entry.mix.tasks {
        if task.served != Served::Failed {
            continue;
        }
        match &task.problem {
            Some(LocalProblem::DoesNotFit {
                needed_bytes,
                usable_bytes,
            }) => {
                return Some(Shortfall::DoesNotFit {
                    task: task.name.clone(),
                    needed_bytes: *needed_bytes,
                    usable_bytes: *usable_bytes,
                })
            }
            Some(LocalProblem::TooSlow {
                wait_secs,
                max_wait_secs,
                ..
            }) => {
                return Some(Shortfall::TooSlow {
                    task: task.name.clone(),
                    wait_secs: *wait_secs,
                    max_wait_secs: *max_wait_secs,
                })
            }
            _ => {}
        }
    }
    let queue = &entry.mix.queue;
    if queue.overloaded() {
        let active_hours = workload.active_hours();
        return Some(Shortfall::Overloaded {
            hours_needed: queue.utilization * active_hours,
            active_hours,
            slots: queue.slots,
        });
    }
    let target = workload.min_decode_tokens_per_s?;
    entry
        .mix
        .tasks
        .iter()
        .filter(|t| t.served == Served::Local && t.below_decode_target)
        .find_map(|t| {
            Some(Shortfall::BelowDecodeTarget {
                task: t.name.clone(),
                decode_tokens_per_s: t.local.as_ref()?.decode.tokens_per_s,
                target_tokens_per_s: target,
            })
        })
}

/// The inputs of the decision besides the ranked options.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DecisionInputs {
    /// Settings the diagnosis found on the machine you have (context caps, timeouts, ...).
    pub found_settings: Vec<Setting>,
    /// Speeds the user sees on the machine they have.
    pub seen: SeenSpeeds,
}

/// The settings an option needs: its memory setting and every client timeout to raise.
pub fn settings_of(entry_setting: Option<&String>, mix: &MixResult) -> Vec<Setting> {
    let mut out: Vec<Setting> = entry_setting
        .map(|how| Setting::GpuMemoryLimit { how: how.clone() })
        .into_iter()
        .collect();
    out.extend(mix.timeout_fixes.iter().map(timeout_setting));
    for task in mix.tasks.iter().filter(|t| t.served == Served::Local) {
        if let Some(super::memory::Placement::ExpertOffload {
            expert_layers_on_cpu,
            layers_total,
        }) = task.memory.as_ref().map(|m| m.placement)
        {
            // Tasks on the same model share one setting: name them together.
            let same = out.iter_mut().find_map(|s| match s {
                Setting::ExpertOffload {
                    task,
                    layers_on_cpu,
                    layers_total: total,
                } if *layers_on_cpu == expert_layers_on_cpu && *total == layers_total => Some(task),
                _ => None,
            });
            match same {
                Some(tasks) => {
                    tasks.push_str(" and ");
                    tasks.push_str(&task.name);
                }
                None => out.push(Setting::ExpertOffload {
                    task: task.name.clone(),
                    layers_on_cpu: expert_layers_on_cpu,
                    layers_total,
                }),
            }
        }
        if let Some(draft) = task.draft.as_ref().filter(|d| d.in_use) {
            out.push(Setting::DraftModel {
                task: task.name.clone(),
                draft: draft.draft_name.clone(),
                speedup: draft.speedup,
            });
        }
    }
    out
}

fn timeout_setting(fix: &TimeoutFix) -> Setting {
    Setting::ClientTimeout {
        task: fix.task.clone(),
        current_secs: fix.timeout_secs,
        at_least_secs: fix.suggested_secs,
        predicted_wait_secs: fix.wait_secs,
    }
}

/// Adds `extra` to `settings`, keeping one client timeout (the largest) and no duplicates.
fn merge(settings: &mut Vec<Setting>, extra: &[Setting]) {
    for s in extra {
        if let Setting::ClientTimeout { at_least_secs, .. } = s {
            let covered = settings.iter().any(|t| {
                matches!(t, Setting::ClientTimeout { at_least_secs: have, .. } if have >= at_least_secs)
            });
            if covered {
                continue;
            }
        }
        if !settings.contains(s) {
            settings.push(s.clone());
        }
    }
}

fn cloud_tasks(mix: &MixResult) -> Vec<String> {
    mix.tasks
        .iter()
        .filter(|t| matches!(t.served, Served::Cloud { .. }))
        .map(|t| t.name.clone())
        .collect()
}

/// Seconds per request where a task is served (locally or by the cloud), by task index.
fn served_secs(mix: &MixResult) -> Vec<Option<f64>> {
    mix.tasks
        .iter()
        .map(|t| match t.served {
            Served::Local | Served::Cloud { .. } => t.secs,
            Served::Failed => None,
        })
        .collect()
}

/// What `candidate` buys over `base`: the task it saves the most time on, and hours saved
/// per month over every task served on both. `None` when it saves nothing.
fn upgrade(workload: &Workload, base: &RankEntry, candidate: &RankEntry) -> Option<Upgrade> {
    let now = served_secs(&base.mix);
    let then = served_secs(&candidate.mix);
    let mut saved_secs_per_day = 0.0;
    let mut best: Option<(usize, f64, f64)> = None;
    for (i, spec) in workload.tasks.iter().enumerate() {
        let (Some(Some(a)), Some(Some(b))) = (now.get(i), then.get(i)) else {
            continue;
        };
        saved_secs_per_day += (a - b) * spec.requests_per_day.max(0.0);
        if a > b && best.is_none_or(|(_, x, y)| a - b > x - y) {
            best = Some((i, *a, *b));
        }
    }
    let (i, secs_now, secs_then) = best?;
    Some(Upgrade {
        option: OptionRef::of(candidate),
        task: workload.tasks[i].name.clone(),
        secs_now,
        secs_then,
        hours_saved_per_month: saved_secs_per_day.max(0.0) * DAYS_PER_MONTH / 3600.0,
    })
}

/// A purchase is worth naming when it cuts the task waited on longest by at least this share.
const UPGRADE_MIN_CUT: f64 = 0.25;

/// The cheapest purchase that meets the requirements and cuts the longest wait by at least
/// [`UPGRADE_MIN_CUT`], against `base`.
fn next_purchase(workload: &Workload, entries: &[RankEntry], base: &RankEntry) -> Option<Upgrade> {
    entries
        .iter()
        .filter(|e| !e.is_current && e.mix.meets_targets && e.mix.share_cloud < 1e-9)
        .filter_map(|e| upgrade(workload, base, e))
        .filter(|u| u.secs_then <= u.secs_now * (1.0 - UPGRADE_MIN_CUT))
        .min_by(|a, b| a.option.price_usd.total_cmp(&b.option.price_usd))
}

/// The setup check: a speed seen (or imported from the user's runs) far below the slow end of
/// the prediction's likely range on the machine you have.
fn setup_problem(
    catalog: &Catalog,
    workload: &Workload,
    current: &RankEntry,
    seen: &SeenSpeeds,
) -> Option<SetupProblem> {
    let machine = catalog.machine(&current.machine_id)?;
    // The most frequent task served locally is the one the user sees most.
    let (task, result) = workload
        .tasks
        .iter()
        .zip(&current.mix.tasks)
        .filter(|(_, r)| r.served == Served::Local && r.local.is_some())
        .max_by(|a, b| a.0.share.total_cmp(&b.0.share))?;
    let local = result.local.as_ref()?;
    let from_runs = |kind| {
        catalog
            .correction(&machine.id, current.runtime, kind)
            .map(|c| c.factor)
    };
    let cases = [
        (
            TestKind::Decode,
            local.decode.tokens_per_s,
            result.decode_range_tokens_per_s,
            seen.decode_tokens_per_s,
        ),
        (
            TestKind::Prefill,
            local.prefill.tokens_per_s,
            result.prefill_range_tokens_per_s,
            seen.prefill_tokens_per_s,
        ),
    ];
    for (kind, predicted, range, seen) in cases {
        // The card's prediction already carries the user's runs; undo that to compare.
        let factor = from_runs(kind);
        let physics = predicted / factor.unwrap_or(1.0).max(1e-6);
        let low = range.map_or(predicted, |r| r.0) / factor.unwrap_or(1.0).max(1e-6);
        let (seen_speed, from_your_runs) = match (seen, factor) {
            (Some(s), _) => (s, false),
            (None, Some(f)) => (physics * f, true),
            (None, None) => continue,
        };
        if seen_speed.is_finite() && seen_speed >= 0.0 && seen_speed < SETUP_PROBLEM_SHARE * low {
            return Some(SetupProblem {
                task: task.name.clone(),
                kind,
                predicted_tokens_per_s: physics,
                predicted_low_tokens_per_s: low,
                seen_tokens_per_s: seen_speed,
                from_your_runs,
                causes: SetupCause::for_platform(
                    current.runtime,
                    &machine.os,
                    machine.memory_kind == MemoryKind::Unified,
                ),
            });
        }
    }
    None
}

/// The decision over ranked options (in ranking order), the workload and what Diagnose found.
pub fn decide(
    catalog: &Catalog,
    workload: &Workload,
    entries: &[RankEntry],
    inputs: &DecisionInputs,
    years: f64,
) -> Decision {
    let current = entries.iter().find(|e| e.is_current);
    let setup_problem = current.and_then(|c| setup_problem(catalog, workload, c, &inputs.seen));
    let your_shortfall = current.and_then(|c| shortfall(workload, c));
    // The purchase the ranking puts first among those that meet every requirement locally.
    let all_local = entries
        .iter()
        .find(|e| !e.is_current && e.mix.meets_targets && e.mix.share_cloud < 1e-9);
    let any_meeting = entries
        .iter()
        .find(|e| !e.is_current && e.mix.meets_targets);
    let with = |kind, entry: &RankEntry, extra: &[Setting], upgrade| {
        let mut settings = entry.settings.clone();
        merge(&mut settings, extra);
        Decision {
            kind,
            option: Some(OptionRef::of(entry)),
            settings,
            cloud_share: entry.mix.share_cloud,
            cloud_tasks: cloud_tasks(&entry.mix),
            cloud_usd_per_month: entry.mix.cloud_usd_per_month,
            upgrade,
            setup_problem: setup_problem.clone(),
            your_shortfall: your_shortfall.clone(),
        }
    };
    if let Some(cur) = current.filter(|c| c.mix.meets_targets) {
        let found = &inputs.found_settings;
        if cur.mix.share_cloud < 1e-9 {
            let settings_needed = !cur.settings.is_empty() || !found.is_empty();
            let kind = if settings_needed {
                VerdictKind::ChangeSettings
            } else {
                VerdictKind::BuyNothing
            };
            return with(kind, cur, found, next_purchase(workload, entries, cur));
        }
        // The cloud takes what the machine cannot: worth it while it costs less than buying.
        let cloud_over_horizon = cur.mix.cloud_usd_per_month * 12.0 * years;
        let buy_instead = all_local.filter(|b| b.price_usd < cloud_over_horizon);
        if buy_instead.is_none() {
            let upgrade = all_local.and_then(|b| upgrade(workload, cur, b));
            return with(VerdictKind::UseCloud, cur, found, upgrade);
        }
    }
    if let Some(buy) = all_local.or(any_meeting) {
        let base = current.unwrap_or(buy);
        let up = current.and_then(|_| upgrade(workload, base, buy));
        return with(VerdictKind::Buy, buy, &[], up);
    }
    let closest = current.or(entries.first());
    Decision {
        kind: VerdictKind::NothingMeets,
        option: closest.map(OptionRef::of),
        settings: closest.map_or_else(Vec::new, |c| c.settings.clone()),
        cloud_share: closest.map_or(0.0, |c| c.mix.share_cloud),
        cloud_tasks: closest.map_or_else(Vec::new, |c| cloud_tasks(&c.mix)),
        cloud_usd_per_month: closest.map_or(0.0, |c| c.mix.cloud_usd_per_month),
        upgrade: None,
        setup_problem,
        your_shortfall,
    }
}
