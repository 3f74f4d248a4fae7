//! Serving beyond one cold request: several users decoding at once (one batched step reads
//! the weights once for every slot), and how long requests queue at the mix's request rate.

use serde::Serialize;

use super::memory::{plan, plan_for_slots, LoadedModel, MemoryPlan, Placement};
use super::speed::{decode, decode_step, Decode, Hardware};
use super::types::{Catalog, Runtime, ServingBenchmark, ServingCase, Sourced};

/// How many times the weight bytes of one token a step of `batch` tokens reads: each token
/// reads the always-read tensors and `k` of `E` routed experts, and a batch touches
/// `1 - (1 - k/E)^batch` of the experts (routing taken as independent between tokens).
/// 1 for a dense model, whose every token reads every weight.
pub fn batch_weight_read_factor(model: &LoadedModel<'_>, batch: u32) -> f64 {
    let Some(moe) = model.model.moe else {
        return 1.0;
    };
    let (always, routed_bytes) = model.active_weights_split();
    let routed = (f64::from(moe.experts_per_token) / f64::from(moe.experts.max(1))).min(1.0);
    if routed_bytes <= 0.0 || routed <= 0.0 {
        return 1.0;
    }
    let touched = 1.0 - (1.0 - routed).powi(batch.clamp(1, 1 << 20) as i32);
    let read = always + routed_bytes * touched / routed;
    (read / (always + routed_bytes).max(f64::MIN_POSITIVE)).max(1.0)
}

/// Seconds for one decode step of `batch` sequences, each with `depth` tokens cached.
///
/// The single-sequence step ([`decode_step`]) is taken apart into its kernels: at depth 0
/// it is the weight matmuls alone, and the difference at `depth` is attention over the
/// cache. A batched step reads the weights once for every sequence (a mixture of experts
/// reads the union of the experts its tokens route to) and multiplies `batch` times the
/// FLOPs; each sequence reads its own cache. The fixed per-step overhead is paid once. A
/// known miss runs at its measured share ([`Hardware::decode_correction`]), as in
/// [`decode`], so at `batch = 1` this is [`decode_step`]'s total over that correction.
pub fn batched_step_secs(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    batch: u32,
) -> f64 {
    step_secs(hw, model, plan, depth, batch, Cache::PerSequence)
}

/// Whose cache a batched step reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Cache {
    /// Every sequence its own (several users).
    PerSequence,
    /// One cache for all tokens of the step (verifying a draft's tokens of one sequence).
    Shared,
}

fn step_secs(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    batch: u32,
    cache: Cache,
) -> f64 {
    let correction = hw.decode_correction(model, depth.max(0.0) as u64);
    let at_depth = decode_step(hw, model, plan, depth);
    if batch <= 1 {
        return at_depth.total_secs / correction;
    }
    let weights_only = decode_step(hw, model, plan, 0.0);
    split_step_secs(model, &weights_only, &at_depth, batch, cache) / correction
}

/// A batched step from the single-sequence step at depth 0 (the weight matmuls alone) and
/// at the sequences' depth (plus attention over the cache).
fn split_step_secs(
    model: &LoadedModel<'_>,
    weights_only: &super::speed::DecodeStep,
    at_depth: &super::speed::DecodeStep,
    batch: u32,
    cache: Cache,
) -> f64 {
    let n = f64::from(batch);
    let caches = match cache {
        Cache::PerSequence => n,
        Cache::Shared => 1.0,
    };
    let touched = batch_weight_read_factor(model, batch);
    let weights_memory = weights_only.memory_secs * touched;
    let weights_compute = weights_only.compute_secs * n;
    let attention_memory = (at_depth.memory_secs - weights_only.memory_secs).max(0.0) * caches;
    let attention_compute = (at_depth.compute_secs - weights_only.compute_secs).max(0.0) * n;
    let weights_offload = weights_only.offload_secs * touched;
    let cache_offload = (at_depth.offload_secs - weights_only.offload_secs).max(0.0) * caches;
    weights_memory.max(weights_compute)
        + attention_memory.max(attention_compute)
        + weights_offload
        + cache_offload
        + weights_only.overhead_secs
}

/// Decoding `tokens` tokens from `depth` while `batch` sequences decode together, each
/// sequence's speed: Simpson's rule over the step time, as [`decode`] does for one.
pub fn decode_batched(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
    batch: u32,
) -> Decode {
    if batch <= 1 {
        return decode(hw, model, plan, depth, tokens);
    }
    let n = tokens.max(1) as f64;
    let d0 = depth as f64;
    // The weight matmuls do not depend on the depth: one step at depth 0 serves all three.
    let weights_only = decode_step(hw, model, plan, 0.0);
    let mid = decode_step(hw, model, plan, d0 + n / 2.0);
    let step = |at: &super::speed::DecodeStep| {
        split_step_secs(model, &weights_only, at, batch, Cache::PerSequence)
    };
    let start = decode_step(hw, model, plan, d0);
    let end = decode_step(hw, model, plan, d0 + n);
    let per_token = (step(&start) + 4.0 * step(&mid) + step(&end)) / 6.0;
    let secs = per_token * n / hw.decode_correction(model, depth + tokens);
    Decode {
        secs,
        tokens_per_s: n / secs.max(f64::MIN_POSITIVE),
        limit: mid.limit,
    }
}

/// Decode speed with `users` sequences at once: each one's and all together.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct ParallelDecode {
    pub users: u32,
    pub per_user_tokens_per_s: f64,
    pub aggregate_tokens_per_s: f64,
}

/// Per-user and aggregate decode speed for `users` sequences at `depth`.
pub fn parallel_decode(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    users: u32,
) -> ParallelDecode {
    let users = users.max(1);
    let step = batched_step_secs(hw, model, plan, depth, users).max(f64::MIN_POSITIVE);
    ParallelDecode {
        users,
        per_user_tokens_per_s: 1.0 / step,
        aggregate_tokens_per_s: f64::from(users) / step,
    }
}

/// Expected tokens a speculative step yields when each of `drafted` draft tokens is
/// accepted with probability `acceptance` until the first rejection, plus the target's own
/// token: `(1 - a^(g+1)) / (1 - a)` (Leviathan et al., 2023, "Fast Inference from
/// Transformers via Speculative Decoding", eq. 1).
pub fn expected_tokens_per_step(acceptance: f64, drafted: u32) -> f64 {
    let a = acceptance.clamp(0.0, 1.0);
    let g = f64::from(drafted);
    if a >= 1.0 - 1e-12 {
        return g + 1.0;
    }
    (1.0 - a.powf(g + 1.0)) / (1.0 - a)
}

/// Decode with a draft model: the draft proposes tokens one by one, the target checks them
/// all in one step.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Speculation {
    /// Tokens drafted per step that decode fastest (at most the pairing's `draft_max`).
    pub drafted: u32,
    pub tokens_per_s: f64,
    /// Over decoding without the draft, on the same hardware and depth.
    pub speedup: f64,
}

/// Decode speed at `depth` with `draft` proposing tokens that `target` accepts at
/// `acceptance`: each step costs `g` draft steps and one target step over `g + 1` tokens of
/// one sequence (weights read once, the cache read once, the FLOPs `g + 1` times), and yields
/// [`expected_tokens_per_step`]. The draft runs on the same device with the whole of it on
/// the accelerator. The number of drafted tokens is the best of 1 to `draft_max`; llama.cpp
/// stops drafting early when the draft is unsure, which this fixed count does not model.
pub fn speculative_decode(
    hw: &Hardware<'_>,
    target: &LoadedModel<'_>,
    plan: &MemoryPlan,
    draft: &LoadedModel<'_>,
    depth: f64,
    acceptance: f64,
    draft_max: u32,
) -> Speculation {
    let context = depth.max(0.0) as u64;
    let plain =
        decode_step(hw, target, plan, depth).total_secs / hw.decode_correction(target, context);
    let draft_plan = MemoryPlan {
        offloaded_share: 0.0,
        ..plan.clone()
    };
    let draft_step = decode_step(hw, draft, &draft_plan, depth).total_secs
        / hw.decode_correction(draft, context);
    let mut best = Speculation {
        drafted: 0,
        tokens_per_s: 1.0 / plain.max(f64::MIN_POSITIVE),
        speedup: 1.0,
    };
    for drafted in 1..=draft_max.clamp(1, 64) {
        let step = f64::from(drafted) * draft_step
            + step_secs(hw, target, plan, depth, drafted + 1, Cache::Shared);
        let speed = expected_tokens_per_step(acceptance, drafted) / step.max(f64::MIN_POSITIVE);
        if drafted == 1 || speed > best.tokens_per_s {
            best = Speculation {
                drafted,
                tokens_per_s: speed,
                speedup: speed * plain,
            };
        }
    }
    best
}

/// How requests queue for the machine's slots.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct QueueEstimate {
    /// Requests per hour in the active hours.
    pub arrivals_per_hour: f64,
    /// Users or agents served at once.
    pub slots: u32,
    /// Share of the slots' time busy; at 1 or more, requests arrive faster than the machine
    /// serves them and the queue grows without bound.
    pub utilization: f64,
    /// Chance that a request waits for a free slot.
    pub wait_probability: f64,
    /// The wait for a free slot that 95% of requests stay under, seconds; infinite when
    /// overloaded.
    pub p95_queue_secs: f64,
}

impl QueueEstimate {
    /// Requests arrive faster than they are served.
    pub fn overloaded(&self) -> bool {
        self.utilization >= 1.0
    }
}

/// The M/M/c queue (Poisson arrivals, exponential service, `slots` servers) at
/// `arrivals_per_hour` with a mean service time of `service_secs`: Erlang C for the chance
/// of waiting, and the 95th percentile of the wait from its exponential tail,
/// `P(W > t) = C e^{-(c mu - lambda) t}`. An estimate: agent turns arrive less randomly than
/// Poisson and their lengths vary less than exponentially, so real queues are usually shorter.
pub fn queue_estimate(arrivals_per_hour: f64, service_secs: f64, slots: u32) -> QueueEstimate {
    let c = slots.clamp(1, super::types::MAX_USERS_AT_ONCE);
    let lambda = (arrivals_per_hour / 3600.0).max(0.0);
    let service = service_secs.max(0.0);
    let offered = lambda * service;
    let utilization = offered / f64::from(c);
    let mut estimate = QueueEstimate {
        arrivals_per_hour: arrivals_per_hour.max(0.0),
        slots: c,
        utilization,
        wait_probability: 0.0,
        p95_queue_secs: 0.0,
    };
    if !utilization.is_finite() || utilization >= 1.0 {
        estimate.wait_probability = 1.0;
        estimate.p95_queue_secs = f64::INFINITY;
        return estimate;
    }
    if offered <= 0.0 {
        return estimate;
    }
    // Erlang C through the Erlang B recursion, which stays stable for many servers.
    let mut erlang_b = 1.0;
    for k in 1..=c {
        let k = f64::from(k);
        erlang_b = offered * erlang_b / (k + offered * erlang_b);
    }
    let erlang_c = erlang_b / (1.0 - utilization * (1.0 - erlang_b));
    estimate.wait_probability = erlang_c.clamp(0.0, 1.0);
    let drain_per_s = f64::from(c) / service - lambda;
    if estimate.wait_probability > 0.05 {
        estimate.p95_queue_secs = (estimate.wait_probability / 0.05).ln() / drain_per_s;
    }
    estimate
}

/// One published serving measurement against the engine's prediction of it. No parameter
/// is fitted to these rows: every figure here is held out.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct ServingCheck {
    /// `parallel`, `speculative` or `expert-offload`.
    pub case: &'static str,
    pub machine: String,
    pub model: String,
    /// What is compared.
    pub what: ServingMeasure,
    pub measured: f64,
    pub predicted: f64,
    pub source: String,
}

/// The figure a serving check compares.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum ServingMeasure {
    /// Decode tokens per second of all users together.
    AggregateDecode { users: u32 },
    /// Decode with a draft over decode without, at this acceptance rate.
    DraftSpeedup { acceptance_rate: f64 },
    /// Decode tokens per second with some layers' experts in system RAM.
    OffloadDecode {
        layers_on_cpu: u32,
        layers_total: u32,
    },
    /// Prefill tokens per second of a prompt with some layers' experts in system RAM.
    OffloadPrefill {
        prompt_tokens: u64,
        layers_on_cpu: u32,
        layers_total: u32,
    },
}

impl ServingCheck {
    /// Predicted over measured, less one.
    pub fn error(&self) -> f64 {
        self.predicted / self.measured.max(f64::MIN_POSITIVE) - 1.0
    }
}

/// Predicts every serving measurement of the catalogue that the engine can model: the
/// aggregate decode of several users, the speed-up of a draft model (with the row's
/// acceptance rate, else the lowest the pairing catalogue gives for its draft), and decode
/// with experts in system RAM (at the host RAM bandwidth the row states, else the
/// catalogue's). Rows it cannot model (no acceptance rate anywhere, an unknown entry) are
/// left out and counted by the caller against the catalogue's total.
pub fn check_serving(catalog: &Catalog) -> Vec<ServingCheck> {
    catalog
        .serving_benchmarks
        .iter()
        .flat_map(|row| [check_row(catalog, row), check_offload_prefill(catalog, row)])
        .flatten()
        .collect()
}

/// What a serving row runs on: its machine (at its largest memory), runtime profile and
/// model with an f16 cache, as the catalogue gives them; `None` for an unknown entry.
struct RowSetup<'c> {
    machine: &'c super::types::Machine,
    profile: &'c super::types::RuntimeProfile,
    model: LoadedModel<'c>,
    per_device_gb: f64,
}

fn row_setup<'c>(catalog: &'c Catalog, row: &ServingBenchmark) -> Option<RowSetup<'c>> {
    let machine = catalog.machine(&row.machine)?;
    let kv = catalog.kv_type("f16").or(catalog.kv_types.first())?;
    Some(RowSetup {
        machine,
        profile: catalog.runtime(row.runtime)?,
        model: LoadedModel {
            model: catalog.model(&row.model)?,
            quant: catalog.quant(&row.quant)?,
            kv,
        },
        per_device_gb: machine
            .memory_options
            .iter()
            .map(|o| o.per_device_gb)
            .fold(0.0, f64::max),
    })
}

/// The memory plan of an expert-offload row: the experts of `cpu_moe_layers` layers (all,
/// for `-ot exps=CPU`) in system RAM, the rest on the device; with the layers moved and
/// the model's layer count.
fn offload_plan(
    machine: &super::types::Machine,
    setup: &RowSetup<'_>,
    context: u64,
    cpu_moe_layers: Option<u32>,
) -> (MemoryPlan, u32, u32) {
    let layers = setup.model.model.layers.max(1);
    let on_cpu = cpu_moe_layers.unwrap_or(layers).min(layers);
    let mut plan = plan(
        machine,
        setup.per_device_gb,
        setup.profile,
        &[(setup.model, context)],
    );
    plan.placement = Placement::ExpertOffload {
        expert_layers_on_cpu: on_cpu,
        layers_total: layers,
    };
    plan.offloaded_share = 0.0;
    plan.expert_offload_share = f64::from(on_cpu) / f64::from(layers);
    (plan, on_cpu, layers)
}

/// The prefill figure of an expert-offload row: the experts held in system RAM cross the
/// host link once per micro-batch of 512 tokens.
fn check_offload_prefill(catalog: &Catalog, row: &ServingBenchmark) -> Option<ServingCheck> {
    let ServingCase::ExpertOffload {
        setting,
        cpu_moe_layers,
        prompt_tokens: Some(prompt),
        prefill_tokens_per_s: Some(measured),
        ..
    } = &row.case
    else {
        return None;
    };
    let setup = row_setup(catalog, row)?;
    let hw = Hardware {
        machine: setup.machine,
        profile: setup.profile,
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let (plan, on_cpu, layers) = offload_plan(setup.machine, &setup, prompt + 128, *cpu_moe_layers);
    let model = setup.model;
    let ubatch = ubatch_of(setting).unwrap_or(super::memory::UBATCH_TOKENS);
    let predicted = super::speed::prefill(&hw, &model, &plan, 0, *prompt, ubatch);
    Some(ServingCheck {
        case: "expert-offload",
        machine: row.machine.clone(),
        model: row.model.clone(),
        what: ServingMeasure::OffloadPrefill {
            prompt_tokens: *prompt,
            layers_on_cpu: on_cpu,
            layers_total: layers,
        },
        measured: *measured,
        predicted: predicted.tokens_per_s,
        source: row.source.clone(),
    })
}

/// The micro-batch a llama.cpp command line sets (`-ub N` or `--ubatch-size N`).
fn ubatch_of(setting: &str) -> Option<u64> {
    let mut words = setting.split_whitespace();
    while let Some(word) = words.next() {
        if word == "-ub" || word == "--ubatch-size" {
            return words.next()?.parse().ok();
        }
    }
    None
}

fn check_row(catalog: &Catalog, row: &ServingBenchmark) -> Option<ServingCheck> {
    let setup = row_setup(catalog, row)?;
    let RowSetup {
        machine,
        profile,
        model,
        per_device_gb: gb,
    } = setup;
    let kv = model.kv;
    let check = |what: ServingMeasure, measured: f64, predicted: f64, case| ServingCheck {
        case,
        machine: row.machine.clone(),
        model: row.model.clone(),
        what,
        measured,
        predicted,
        source: row.source.clone(),
    };
    match &row.case {
        ServingCase::Parallel {
            users,
            prompt_tokens,
            output_tokens,
            per_user_decode_tokens_per_s,
            aggregate_decode_tokens_per_s,
        } => {
            let hw = Hardware {
                machine,
                profile,
                cpu_profile: catalog.runtime(Runtime::Cpu),
            };
            let context = prompt_tokens + output_tokens;
            let plan = plan_for_slots(machine, gb, profile, &[(model, context)], *users);
            if !plan.fits() {
                return None;
            }
            let depth = *prompt_tokens as f64 + *output_tokens as f64 / 2.0;
            let predicted = parallel_decode(&hw, &model, &plan, depth, *users);
            let measured = aggregate_decode_tokens_per_s
                .or(per_user_decode_tokens_per_s.map(|p| p * f64::from(*users)))?;
            Some(check(
                ServingMeasure::AggregateDecode { users: *users },
                measured,
                predicted.aggregate_tokens_per_s,
                "parallel",
            ))
        }
        ServingCase::Speculative {
            draft_model,
            draft_quant,
            draft_max,
            acceptance_rate,
            baseline_decode_tokens_per_s,
            speculative_decode_tokens_per_s,
            ..
        } => {
            let hw = Hardware {
                machine,
                profile,
                cpu_profile: catalog.runtime(Runtime::Cpu),
            };
            let draft = LoadedModel {
                model: catalog.model(draft_model)?,
                quant: catalog.quant(draft_quant)?,
                kv,
            };
            let pairing = catalog
                .drafts
                .iter()
                .filter(|d| d.target == row.model && d.draft == *draft_model);
            let acceptance = acceptance_rate
                .or_else(|| pairing.map(|d| d.acceptance_rate.value).reduce(f64::min))?;
            let plan = plan(machine, gb, profile, &[(model, 4096)]);
            if !plan.fits() {
                return None;
            }
            let spec = speculative_decode(
                &hw,
                &model,
                &plan,
                &draft,
                256.0,
                acceptance,
                draft_max.unwrap_or(16),
            );
            Some(check(
                ServingMeasure::DraftSpeedup {
                    acceptance_rate: acceptance,
                },
                speculative_decode_tokens_per_s
                    / baseline_decode_tokens_per_s.max(f64::MIN_POSITIVE),
                spec.speedup,
                "speculative",
            ))
        }
        ServingCase::ExpertOffload {
            cpu_moe_layers,
            host_ram_gb_per_s,
            prompt_tokens,
            decode_tokens_per_s,
            ..
        } => {
            let measured = (*decode_tokens_per_s)?;
            let mut host = machine.clone();
            if let Some(bw) = host_ram_gb_per_s {
                host.system_ram_bandwidth_gb_per_s = Some(Sourced {
                    value: *bw,
                    source: row.source.clone(),
                });
            }
            let hw = Hardware {
                machine: &host,
                profile,
                cpu_profile: catalog.runtime(Runtime::Cpu),
            };
            let context = prompt_tokens.unwrap_or(512) + 128;
            let (plan, on_cpu, layers) = offload_plan(&host, &setup, context, *cpu_moe_layers);
            let depth = prompt_tokens.unwrap_or(0) as f64 + 64.0;
            let predicted = hw.decode_correction(&model, depth as u64)
                / decode_step(&hw, &model, &plan, depth)
                    .total_secs
                    .max(f64::MIN_POSITIVE);
            Some(check(
                ServingMeasure::OffloadDecode {
                    layers_on_cpu: on_cpu,
                    layers_total: layers,
                },
                measured,
                predicted,
                "expert-offload",
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_micro_batch_is_read_from_a_command_line() {
        assert_eq!(ubatch_of("--n-cpu-moe 26 -ub 2048"), Some(2048));
        assert_eq!(ubatch_of("--n-cpu-moe 26 --ubatch-size 512"), Some(512));
        assert_eq!(ubatch_of("--n-cpu-moe 26"), None);
        assert_eq!(ubatch_of("-ub"), None);
    }

    #[test]
    fn expected_tokens_match_the_closed_form_limits() {
        // Nothing accepted: only the target's own token; everything: all drafted plus one.
        assert_eq!(expected_tokens_per_step(0.0, 8), 1.0);
        assert_eq!(expected_tokens_per_step(1.0, 8), 9.0);
        // One drafted token accepted half the time: 1 + 0.5.
        assert!((expected_tokens_per_step(0.5, 1) - 1.5).abs() < 1e-12);
        // Sum of a^i for i = 0..=g, checked by summing.
        let (a, g) = (0.7, 5);
        let sum: f64 = (0..=g).map(|i| 0.7_f64.powi(i)).sum();
        assert!((expected_tokens_per_step(a, g as u32) - sum).abs() < 1e-12);
    }

    #[test]
    fn one_server_queue_matches_the_textbook_m_m_1() {
        // M/M/1: P(wait) = rho and P(W > t) = rho e^{-(mu - lambda) t}.
        let (per_hour, service) = (30.0, 60.0); // rho = 0.5
        let q = queue_estimate(per_hour, service, 1);
        assert!((q.utilization - 0.5).abs() < 1e-12);
        assert!((q.wait_probability - 0.5).abs() < 1e-12);
        let t = q.p95_queue_secs;
        let tail = 0.5 * (-(1.0 / 60.0 - 30.0 / 3600.0) * t).exp();
        assert!((tail - 0.05).abs() < 1e-9, "{tail}");
    }

    #[test]
    fn erlang_c_matches_a_published_table_value() {
        // Two servers at 1 Erlang offered: C(2, 1) = 1/3 (Erlang C tables).
        let q = queue_estimate(60.0, 60.0, 2);
        assert!((q.wait_probability - 1.0 / 3.0).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn overload_has_no_finite_wait() {
        let q = queue_estimate(120.0, 60.0, 1);
        assert!(q.overloaded());
        assert!(q.p95_queue_secs.is_infinite());
    }

    #[test]
    fn more_slots_never_queue_longer() {
        let mut last = f64::INFINITY;
        for slots in 1..8 {
            let q = queue_estimate(100.0, 60.0, slots);
            assert!(q.p95_queue_secs <= last, "{slots}: {q:?}");
            last = q.p95_queue_secs;
        }
    }
}
