//! Ranking every machine and memory option on a mix, with the machine you have at $0.

use serde::{Deserialize, Serialize};

use super::memory::{LoadedModel, Placement};
use super::mix::{evaluate, Bottleneck, LocalProblem, MixOptions, MixResult, Served, Setup};
use super::reason::{BandwidthBound, Reason};
use super::speed::decode_bound_on;
use super::types::{Catalog, FormFactor, Machine, Os, PriceCondition, Runtime, Workload};
use super::verdict::{decide, settings_of, Decision, DecisionInputs, Setting};

/// What "best" means.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Objective {
    /// Fastest mix (lowest mean request time, fewest failures) within budget.
    Fastest,
    /// Cheapest machine that meets the targets.
    Cheapest,
    /// Lowest total cost over `years`: purchase, energy and cloud.
    BestValue { years: f64 },
}

impl Objective {
    /// The command-line spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Objective::Fastest => "fastest",
            Objective::Cheapest => "cheapest",
            Objective::BestValue { .. } => "best-value",
        }
    }
}

/// The machine the user owns.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Owned {
    pub machine: String,
    pub per_device_gb: f64,
}

/// Everything the ranking depends on besides the catalogue and the mix.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct RankOptions {
    pub budget_min_usd: f64,
    pub budget_max_usd: f64,
    pub os: Option<Os>,
    pub runtime: Option<Runtime>,
    pub form_factor: Option<FormFactor>,
    /// Model ids that must run locally for a machine to be listed.
    pub must_run_locally: Vec<String>,
    pub objective: Objective,
    pub mix: MixOptions,
    pub have: Option<Owned>,
    /// What Diagnose found and the speeds the user sees: inputs of the verdict.
    pub decision: DecisionInputs,
    /// Prices the user typed (a quote, a used offer), which replace the catalogue's.
    pub price_overrides: Vec<PriceOverride>,
}

/// A price the user gives for one machine option.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriceOverride {
    pub machine: String,
    pub per_device_gb: f64,
    pub price_usd: f64,
}

impl RankOptions {
    /// The user's price for an option, if they gave one.
    pub fn price_override(&self, machine: &str, per_device_gb: f64) -> Option<f64> {
        self.price_overrides
            .iter()
            .find(|o| o.machine == machine && (o.per_device_gb - per_device_gb).abs() < 0.5)
            .map(|o| o.price_usd)
            .filter(|p| p.is_finite() && *p >= 0.0)
    }

    /// Sets (or, with `None`, clears) the user's price for an option.
    pub fn set_price_override(&mut self, machine: &str, per_device_gb: f64, price: Option<f64>) {
        self.price_overrides
            .retain(|o| !(o.machine == machine && (o.per_device_gb - per_device_gb).abs() < 0.5));
        if let Some(price_usd) = price.filter(|p| p.is_finite() && *p >= 0.0) {
            self.price_overrides.push(PriceOverride {
                machine: machine.to_owned(),
                per_device_gb,
                price_usd,
            });
        }
    }
}

impl Default for RankOptions {
    fn default() -> Self {
        Self {
            budget_min_usd: 0.0,
            budget_max_usd: 50_000.0,
            os: None,
            runtime: None,
            form_factor: None,
            must_run_locally: Vec::new(),
            objective: Objective::Cheapest,
            mix: MixOptions::default(),
            have: None,
            decision: DecisionInputs::default(),
            price_overrides: Vec::new(),
        }
    }
}

/// One ranked option.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RankEntry {
    pub machine_id: String,
    pub machine_name: String,
    pub per_device_gb: f64,
    pub total_memory_gb: f64,
    /// Purchase price; 0 for the machine you have.
    pub price_usd: f64,
    pub list_price_usd: Option<f64>,
    pub is_current: bool,
    pub runtime: Runtime,
    pub mix: MixResult,
    /// Purchase plus energy and cloud over the objective's horizon (3 years unless set).
    pub total_cost_usd: f64,
    /// What limits this option most on the mix (`present::bottleneck_words` words it).
    pub bottleneck: Bottleneck,
    /// Why it ranks where it does, with numbers (`present::reason_words` words them).
    pub reasons: Vec<Reason>,
    /// The machine's memory setting to change for the answer to hold.
    pub setting_fix: Option<String>,
    /// Every setting this option needs (memory limit, client timeouts), with values.
    pub settings: Vec<Setting>,
    /// On the price/performance Pareto frontier.
    pub pareto: bool,
    /// Within the prediction error band of the entry above: shown as a tie.
    pub tied_with_previous: bool,
}

/// The whole answer.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Ranking {
    /// The answer every front end shows first.
    pub verdict: Decision,
    pub workload_id: String,
    pub objective: Objective,
    pub entries: Vec<RankEntry>,
    /// Candidates dropped by the filters.
    pub filtered_out: usize,
}

const DEFAULT_YEARS: f64 = 3.0;

/// Ranks every machine and memory option.
pub fn rank(catalog: &Catalog, workload: &Workload, options: &RankOptions) -> Ranking {
    let years = match options.objective {
        Objective::BestValue { years } => years.max(0.0),
        _ => DEFAULT_YEARS,
    };
    let mut entries = Vec::new();
    let mut filtered_out = 0;
    let owned = options
        .have
        .as_ref()
        .and_then(|h| catalog.machine(&h.machine).map(|m| (m, h.per_device_gb)));
    if let Some((machine, gb)) = owned {
        let runtime = pick_runtime(machine, options.runtime);
        entries.push(entry(
            catalog, workload, options, machine, gb, runtime, None, true, years,
        ));
    }
    for machine in &catalog.machines {
        for option in &machine.memory_options {
            let is_owned = owned.is_some_and(|(m, gb)| {
                m.id == machine.id && (gb - option.per_device_gb).abs() < 0.5
            });
            if is_owned {
                continue;
            }
            let yours = options.price_override(&machine.id, option.per_device_gb);
            let Some(price) = yours.or(option.price_usd) else {
                filtered_out += 1;
                continue;
            };
            // One GPU's share of an HGX board is not for sale on its own, and a discontinued
            // machine is not sold new at its launch price any more (a used price still counts).
            // A price the user typed is an offer they have, whatever the catalogue says.
            let no_longer_sold = yours.is_none()
                && machine.discontinued.is_some()
                && option.condition == PriceCondition::New;
            let passes = machine.sold_alone
                && !no_longer_sold
                && price >= options.budget_min_usd
                && price <= options.budget_max_usd
                && options.os.is_none_or(|os| machine.os.contains(&os))
                && options
                    .runtime
                    .is_none_or(|r| machine.runtimes.contains(&r))
                && options.form_factor.is_none_or(|f| machine.form_factor == f);
            if !passes {
                filtered_out += 1;
                continue;
            }
            let runtime = pick_runtime(machine, options.runtime);
            let e = entry(
                catalog,
                workload,
                options,
                machine,
                option.per_device_gb,
                runtime,
                Some(price),
                false,
                years,
            );
            if !runs_required_models(&e, workload, &options.must_run_locally) {
                filtered_out += 1;
                continue;
            }
            entries.push(e);
        }
    }
    sort_entries(&mut entries, options.objective);
    mark_ties(&mut entries, options.objective);
    mark_pareto(&mut entries);
    if entries.iter().any(|e| e.is_current && e.mix.meets_targets) {
        // "Buy nothing" is the answer whenever it meets the targets: put it first.
        if let Some(pos) = entries.iter().position(|e| e.is_current) {
            let current = entries.remove(pos);
            entries.insert(0, current);
        }
    }
    let verdict = decide(catalog, workload, &entries, &options.decision, years);
    Ranking {
        verdict,
        workload_id: workload.id.clone(),
        objective: options.objective,
        entries,
        filtered_out,
    }
}

fn pick_runtime(machine: &Machine, wanted: Option<Runtime>) -> Runtime {
    wanted
        .filter(|r| machine.runtimes.contains(r))
        .unwrap_or(machine.default_runtime)
}

fn runs_required_models(entry: &RankEntry, workload: &Workload, required: &[String]) -> bool {
    required.iter().all(|model| {
        workload
            .tasks
            .iter()
            .zip(&entry.mix.tasks)
            .filter(|(spec, _)| &spec.model == model)
            .all(|(_, result)| result.served == Served::Local)
    })
}

#[allow(clippy::too_many_arguments)]
fn entry(
    catalog: &Catalog,
    workload: &Workload,
    options: &RankOptions,
    machine: &Machine,
    per_device_gb: f64,
    runtime: Runtime,
    price: Option<f64>,
    is_current: bool,
    years: f64,
) -> RankEntry {
    let setup = Setup {
        machine,
        per_device_gb,
        runtime,
    };
    let mix = evaluate(catalog, setup, workload, &options.mix);
    let price_usd = if is_current {
        0.0
    } else {
        price.unwrap_or(0.0)
    };
    let months = years * 12.0;
    let total_cost_usd = price_usd + months * (mix.energy_usd_per_month + mix.cloud_usd_per_month);
    let setting_fix = if mix.needs_setting {
        machine.accelerator_memory.setting.clone()
    } else {
        None
    };
    let reasons = reasons(catalog, workload, machine, setup, &mix);
    let settings = settings_of(setting_fix.as_ref(), &mix);
    let list_price_usd = machine
        .memory_option(per_device_gb)
        .and_then(|o| o.price_usd);
    RankEntry {
        machine_id: machine.id.clone(),
        machine_name: machine.name.clone(),
        per_device_gb,
        total_memory_gb: per_device_gb * f64::from(machine.device_count.max(1)),
        price_usd,
        list_price_usd,
        is_current,
        runtime,
        bottleneck: mix.bottleneck,
        mix,
        total_cost_usd,
        reasons,
        setting_fix,
        settings,
        pareto: false,
        tied_with_previous: false,
    }
}

/// The reasons behind an option, with their numbers; `present::reason_words` words them.
fn reasons(
    catalog: &Catalog,
    workload: &Workload,
    machine: &Machine,
    setup: Setup<'_>,
    mix: &MixResult,
) -> Vec<Reason> {
    let mut out = Vec::new();
    if let Some(peak) = &mix.peak_memory {
        if let Placement::PartialOffload {
            layers_offloaded,
            layers_total,
        } = peak.placement
        {
            out.push(Reason::PartialOffload {
                needed_bytes: peak.total_bytes,
                usable_bytes: peak.usable_bytes,
                layers_offloaded,
                layers_total,
            });
        } else if let Placement::ExpertOffload {
            expert_layers_on_cpu,
            layers_total,
        } = peak.placement
        {
            out.push(Reason::ExpertOffload {
                needed_bytes: peak.total_bytes,
                usable_bytes: peak.usable_bytes,
                layers_on_cpu: expert_layers_on_cpu,
                layers_total,
            });
        } else if peak.fits() {
            out.push(Reason::Memory {
                needed_bytes: peak.total_bytes,
                usable_bytes: peak.usable_bytes,
                headroom_bytes: peak.headroom_bytes.max(0.0),
                after_setting: peak.needs_setting,
            });
        }
    }
    for (task, spec) in mix.tasks.iter().zip(&workload.tasks) {
        let name = || task.name.clone();
        match (&task.problem, &task.local) {
            (
                Some(LocalProblem::DoesNotFit {
                    needed_bytes,
                    usable_bytes,
                }),
                _,
            ) => out.push(Reason::DoesNotFit {
                task: name(),
                needed_bytes: *needed_bytes,
                usable_bytes: *usable_bytes,
            }),
            (
                Some(LocalProblem::TooSlow {
                    wait_secs,
                    max_wait_secs,
                    prefill_secs,
                    streaming,
                }),
                _,
            ) => out.push(Reason::TooSlow {
                task: name(),
                wait_secs: *wait_secs,
                max_wait_secs: *max_wait_secs,
                prefill_secs: *prefill_secs,
                prompt_tokens: spec.prompt_tokens,
                streaming: *streaming,
            }),
            (Some(LocalProblem::UnknownEntry { what }), _) => out.push(Reason::UnknownEntry {
                task: name(),
                what: what.clone(),
            }),
            (None, Some(local)) => {
                let bound = match (
                    catalog.model(&spec.model),
                    catalog.quant(&spec.quant),
                    catalog.kv_type(&spec.kv_type),
                ) {
                    (Some(model), Some(quant), Some(kv)) => {
                        let m = LoadedModel { model, quant, kv };
                        Some(BandwidthBound {
                            bandwidth_gb_per_s: if setup.runtime == Runtime::Cpu {
                                machine.cpu_side(setup.per_device_gb).bandwidth_gb_per_s
                            } else {
                                machine.bandwidth_gb_per_s.value
                            },
                            read_gb_per_token: m.active_weights_bytes() / 1e9,
                            bound_tokens_per_s: decode_bound_on(machine, setup.runtime, &m),
                        })
                    }
                    _ => None,
                };
                out.push(Reason::Decode {
                    task: name(),
                    limit: local.decode.limit,
                    tokens_per_s: local.decode.tokens_per_s,
                    range_tokens_per_s: task.decode_range_tokens_per_s,
                    bound,
                    prefill_tokens_per_s: local.prefill.tokens_per_s,
                    first_token_secs: local.time_to_first_token_secs,
                });
            }
            (None, None) => {}
        }
        if task.local.is_some() {
            let basis = task.range_basis.unwrap_or_default();
            if basis.widened() || task.known_miss.is_some() {
                out.push(Reason::Uncertain {
                    task: name(),
                    basis,
                    known_miss: task.known_miss.clone(),
                });
            }
        }
        if let (true, Some(local), Some(target)) = (
            task.below_decode_target,
            &task.local,
            workload.min_decode_tokens_per_s,
        ) {
            out.push(Reason::BelowTarget {
                task: name(),
                tokens_per_s: local.decode.tokens_per_s,
                target_tokens_per_s: target,
            });
        }
        if let (Some(first), Some(session)) = (&task.local, &task.session) {
            out.push(Reason::Session {
                task: name(),
                turns: session.turns,
                first_turn_secs: first.total_secs,
                warm_turn_secs: session.warm_turn.total_secs,
                last_turn_secs: session.last_turn.total_secs,
                session_secs: session.total_secs,
                cache_survives: session.cache_survives,
            });
        }
        if let Some(draft) = task.draft.as_ref().filter(|_| task.served == Served::Local) {
            out.push(Reason::Draft {
                task: name(),
                draft: draft.draft_name.clone(),
                speedup: draft.speedup,
                tokens_per_s: draft.decode_tokens_per_s,
                in_use: draft.in_use,
            });
        }
        if let Served::Cloud {
            offer,
            usd_per_request,
        } = &task.served
        {
            out.push(Reason::Cloud {
                task: name(),
                offer: offer.clone(),
                usd_per_request: *usd_per_request,
            });
        }
    }
    let queue = &mix.queue;
    if queue.overloaded() {
        out.push(Reason::Overloaded {
            hours_needed: queue.utilization * workload.active_hours(),
            active_hours: workload.active_hours(),
            slots: queue.slots,
        });
    }
    if queue.slots > 1 {
        if let Some((task, local)) = mix
            .tasks
            .iter()
            .find_map(|t| Some((t, t.local.as_ref().filter(|_| t.served == Served::Local)?)))
        {
            out.push(Reason::Parallel {
                users: queue.slots,
                task: task.name.clone(),
                per_user_tokens_per_s: local.decode.tokens_per_s,
                aggregate_tokens_per_s: local.decode.tokens_per_s * f64::from(queue.slots),
                wait_probability: queue.wait_probability,
                p95_queue_secs: queue.p95_queue_secs,
            });
        }
    }
    // Published claims that break physics, for the models this mix runs only.
    for claim in super::claims::check(catalog, machine) {
        if claim.exceeds_bound && workload.tasks.iter().any(|t| t.model == claim.model) {
            out.push(Reason::ClaimBreaksPhysics { claim });
        }
    }
    if setup.machine.device_count > 1 {
        out.push(Reason::SplitDevices {
            devices: setup.machine.device_count,
        });
    }
    out
}

fn sort_entries(entries: &mut [RankEntry], objective: Objective) {
    entries.sort_by(|a, b| {
        let fail = a.mix.share_failed.total_cmp(&b.mix.share_failed);
        match objective {
            Objective::Fastest => fail
                .then(a.mix.mean_request_secs.total_cmp(&b.mix.mean_request_secs))
                .then(a.price_usd.total_cmp(&b.price_usd)),
            Objective::Cheapest => b
                .mix
                .meets_targets
                .cmp(&a.mix.meets_targets)
                .then(fail)
                .then(a.price_usd.total_cmp(&b.price_usd))
                .then(a.mix.mean_request_secs.total_cmp(&b.mix.mean_request_secs)),
            Objective::BestValue { .. } => b
                .mix
                .meets_targets
                .cmp(&a.mix.meets_targets)
                .then(fail)
                .then(a.total_cost_usd.total_cmp(&b.total_cost_usd)),
        }
    });
}

/// Marks neighbours the prediction error cannot tell apart: same failures, same verdict on
/// the targets, and (for the speed objective) mean request time ranges that overlap.
/// Price-ordered objectives compare exact prices, so only the speed objective has ties.
fn mark_ties(entries: &mut [RankEntry], objective: Objective) {
    if objective != Objective::Fastest {
        return;
    }
    for i in 1..entries.len() {
        let (above, below) = (&entries[i - 1].mix, &entries[i].mix);
        let tied = (above.share_failed - below.share_failed).abs() < 1e-9
            && above.meets_targets == below.meets_targets
            && below.mean_request_secs_range.0 <= above.mean_request_secs_range.1;
        entries[i].tied_with_previous = tied;
    }
}

/// Marks entries no other entry beats on both price (lower) and local decode speed (higher).
/// An option that misses the targets (fails requests, or decodes below the target) never
/// beats one that meets them: a failed request is never counted as fast.
fn mark_pareto(entries: &mut [RankEntry]) {
    let points: Vec<(f64, f64, bool)> = entries
        .iter()
        .map(|e| {
            (
                e.price_usd,
                e.mix.local_decode_tokens_per_s,
                e.mix.meets_targets,
            )
        })
        .collect();
    for (i, entry) in entries.iter_mut().enumerate() {
        let (price, speed, meets) = points[i];
        entry.pareto = !points.iter().enumerate().any(|(j, &(p, s, m))| {
            j != i && (m || !meets) && p <= price && s >= speed && (p < price || s > speed)
        });
    }
}

/// 146760 -> "146,760".
pub fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    //! Ordering, ties and the Pareto frontier on small synthetic rankings, in the
    //! rust-analyzer `check()` style: the input as a table, the expected order as text.

    use super::*;

    /// One synthetic option: name, price, share failed, meets the targets, mean request
    /// seconds (with its likely range) and mix decode tok/s.
    struct Opt(&'static str, f64, f64, bool, (f64, f64, f64), f64);

    fn entry(o: &Opt) -> RankEntry {
        let Opt(name, price, failed, meets, (mean, lo, hi), decode) = *o;
        RankEntry {
            machine_id: name.to_owned(),
            machine_name: name.to_owned(),
            per_device_gb: 64.0,
            total_memory_gb: 64.0,
            price_usd: price,
            list_price_usd: Some(price),
            is_current: false,
            runtime: Runtime::Cuda,
            mix: MixResult {
                tasks: Vec::new(),
                share_local: 1.0 - failed,
                share_cloud: 0.0,
                share_failed: failed,
                mean_request_secs: mean,
                mean_request_secs_range: (lo, hi),
                p95_request_secs: mean,
                busy_hours_per_day: 1.0,
                cloud_usd_per_month: 0.0,
                energy_usd_per_month: 10.0,
                local_decode_tokens_per_s: decode,
                meets_targets: meets,
                needs_setting: false,
                timeout_fixes: Vec::new(),
                peak_memory: None,
                bottleneck: Bottleneck::None,
                queue: crate::engine::serving::queue_estimate(1.0, mean, 1),
            },
            total_cost_usd: price,
            bottleneck: Bottleneck::None,
            reasons: Vec::new(),
            setting_fix: None,
            settings: Vec::new(),
            pareto: false,
            tied_with_previous: false,
        }
    }

    /// Ranks `opts` under `objective` and renders the order: names, `=` before a tie, `*`
    /// after an option on the price/performance frontier.
    #[track_caller]
    fn check(opts: &[Opt], objective: Objective, expect: &str) {
        let mut entries: Vec<RankEntry> = opts.iter().map(entry).collect();
        sort_entries(&mut entries, objective);
        mark_ties(&mut entries, objective);
        mark_pareto(&mut entries);
        let got: Vec<String> = entries
            .iter()
            .map(|e| {
                format!(
                    "{}{}{}",
                    if e.tied_with_previous { "=" } else { "" },
                    e.machine_name,
                    if e.pareto { "*" } else { "" }
                )
            })
            .collect();
        assert_eq!(got.join(" "), expect);
    }

    #[test]
    fn fastest_puts_fewer_failures_first_then_shorter_requests() {
        check(
            &[
                Opt("slow", 1000.0, 0.0, true, (60.0, 50.0, 70.0), 20.0),
                Opt("fast-but-fails", 500.0, 0.2, false, (5.0, 4.0, 6.0), 90.0),
                Opt("quick", 3000.0, 0.0, true, (10.0, 9.0, 11.0), 80.0),
            ],
            Objective::Fastest,
            "quick* slow* fast-but-fails*",
        );
    }

    #[test]
    fn cheapest_puts_what_meets_the_targets_first_then_the_price() {
        check(
            &[
                Opt("pricey", 4000.0, 0.0, true, (10.0, 9.0, 11.0), 80.0),
                Opt("cheap-miss", 800.0, 0.0, false, (30.0, 25.0, 35.0), 10.0),
                Opt("budget", 1500.0, 0.0, true, (20.0, 18.0, 22.0), 40.0),
            ],
            Objective::Cheapest,
            "budget* pricey* cheap-miss*",
        );
    }

    #[test]
    fn best_value_compares_the_total_cost_over_the_horizon() {
        let mut opts = [
            Opt("low-price", 1000.0, 0.0, true, (20.0, 18.0, 22.0), 40.0),
            Opt("low-total", 1200.0, 0.0, true, (20.0, 18.0, 22.0), 40.0),
        ]
        .iter()
        .map(entry)
        .collect::<Vec<_>>();
        // Energy makes the cheaper machine the dearer one over three years.
        opts[0].total_cost_usd = 3000.0;
        opts[1].total_cost_usd = 2000.0;
        sort_entries(&mut opts, Objective::BestValue { years: 3.0 });
        let names: Vec<&str> = opts.iter().map(|e| e.machine_name.as_str()).collect();
        assert_eq!(names, ["low-total", "low-price"]);
    }

    #[test]
    fn overlapping_ranges_are_ties_only_for_the_speed_objective() {
        let opts = [
            Opt("a", 2000.0, 0.0, true, (10.0, 8.0, 12.0), 60.0),
            Opt("b", 1000.0, 0.0, true, (11.0, 9.0, 13.0), 55.0),
            Opt("c", 500.0, 0.0, true, (30.0, 25.0, 35.0), 20.0),
        ];
        check(&opts, Objective::Fastest, "a* =b* c*");
        check(&opts, Objective::Cheapest, "c* b* a*");
    }

    #[test]
    fn an_option_beaten_on_price_and_speed_is_off_the_frontier() {
        check(
            &[
                Opt("good", 1000.0, 0.0, true, (10.0, 9.0, 11.0), 60.0),
                Opt("worse", 2000.0, 0.0, true, (12.0, 11.0, 13.0), 50.0),
                Opt(
                    "same-price-slower",
                    1000.0,
                    0.0,
                    true,
                    (14.0, 13.0, 15.0),
                    40.0,
                ),
            ],
            Objective::Cheapest,
            "good* same-price-slower worse",
        );
    }
}
