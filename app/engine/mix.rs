//! A workload mix on one machine: which tasks run locally, which go to the cloud, which
//! fail, and what that costs in time, energy and money.

use serde::Serialize;

use super::memory::{plan_for_slots, LoadedModel, MemoryPlan, Placement, UBATCH_TOKENS};
use super::serving::{decode_batched, queue_estimate, speculative_decode, QueueEstimate};
use super::speed::{prefill, Decode, Hardware, Limit, Prefill};
use super::types::{
    Catalog, CloudOffer, ErrorBand, Machine, RangeBasis, Runtime, Task, TestKind, Workload, GIB,
};

/// Days per month used for monthly figures.
pub const DAYS_PER_MONTH: f64 = 30.0;

/// A machine as configured: memory option and runtime.
#[derive(Clone, Copy, Debug)]
pub struct Setup<'a> {
    pub machine: &'a Machine,
    pub per_device_gb: f64,
    pub runtime: Runtime,
}

/// Choices that are not the machine's.
#[derive(Clone, Copy, Debug, Serialize, serde::Deserialize, PartialEq)]
pub struct MixOptions {
    /// Send non-private tasks the machine cannot serve to the cheapest cloud offer that can.
    pub allow_cloud: bool,
    pub electricity_usd_per_kwh: f64,
    /// The longest wait the user accepts for any request, on top of each task's own
    /// `max_wait_secs` (the smaller applies). A requirement, unlike the client timeout.
    #[serde(default)]
    pub max_wait_secs: Option<f64>,
}

impl MixOptions {
    /// The longest wait accepted for `task`: its own limit or the mix's, whichever is smaller.
    pub fn max_wait_secs(&self, task: &Task) -> Option<f64> {
        match (task.max_wait_secs, self.max_wait_secs) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl Default for MixOptions {
    fn default() -> Self {
        Self {
            allow_cloud: true,
            electricity_usd_per_kwh: 0.30,
            max_wait_secs: None,
        }
    }
}

/// One request simulated on the machine.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct RequestResult {
    pub prefill: Prefill,
    pub decode: Decode,
    pub time_to_first_token_secs: f64,
    pub total_secs: f64,
}

impl RequestResult {
    /// The wait a client sees: the time to the first token when it streams, the whole
    /// request when it does not. The one rule behind the client timeout (a setting) and the
    /// longest acceptable wait (a requirement), in the ranking, the charts and Diagnose.
    pub fn client_wait_secs(&self, streaming: bool) -> f64 {
        if streaming {
            self.time_to_first_token_secs
        } else {
            self.total_secs
        }
    }
}

/// The suggested client timeout covers the predicted wait plus this share, for the variance
/// of real runs around the prediction.
pub const TIMEOUT_MARGIN_SHARE: f64 = 0.2;

/// Suggested timeouts are rounded up to a multiple of this many seconds.
pub const TIMEOUT_ROUNDING_SECS: f64 = 60.0;

/// A client timeout that covers `predicted_secs` with [`TIMEOUT_MARGIN_SHARE`], rounded up
/// to [`TIMEOUT_ROUNDING_SECS`].
pub fn suggested_timeout_secs(predicted_secs: f64) -> u64 {
    let with_margin = predicted_secs.max(1.0) * (1.0 + TIMEOUT_MARGIN_SHARE);
    ((with_margin / TIMEOUT_ROUNDING_SECS).ceil() * TIMEOUT_ROUNDING_SECS) as u64
}

/// Simulates one request: prefill of the uncached prompt, then decoding the output.
pub fn request(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    memory: &MemoryPlan,
    prompt_tokens: u64,
    cached_tokens: u64,
    output_tokens: u64,
) -> RequestResult {
    request_among(
        hw,
        model,
        memory,
        prompt_tokens,
        cached_tokens,
        output_tokens,
        1,
    )
}

/// [`request`] while `users` sequences decode at once: the output decodes at one user's
/// share of each batched step ([`decode_batched`]).
pub fn request_among(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    memory: &MemoryPlan,
    prompt_tokens: u64,
    cached_tokens: u64,
    output_tokens: u64,
    users: u32,
) -> RequestResult {
    let prefill = prefill(
        hw,
        model,
        memory,
        cached_tokens,
        prompt_tokens,
        UBATCH_TOKENS,
    );
    let decode = decode_batched(
        hw,
        model,
        memory,
        cached_tokens + prompt_tokens,
        output_tokens,
        users,
    );
    let first_token = decode.secs / output_tokens.max(1) as f64;
    let total_secs = prefill.secs + decode.secs;
    RequestResult {
        prefill,
        decode,
        time_to_first_token_secs: prefill.secs + first_token,
        total_secs,
    }
}

/// A session's turns on one machine. The first turn is the task's `local` request.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct SessionResult {
    pub turns: u32,
    /// The second turn, the first on a warm cache: only its new tokens are prefilled when
    /// the cache survives.
    pub warm_turn: RequestResult,
    /// The last turn, on the deepest context.
    pub last_turn: RequestResult,
    /// All turns of one session, seconds.
    pub total_secs: f64,
    /// The runtime kept the cache between turns.
    pub cache_survives: bool,
}

impl SessionResult {
    /// Mean seconds per turn.
    pub fn mean_turn_secs(&self) -> f64 {
        self.total_secs / f64::from(self.turns.max(1))
    }
}

/// Simulates turn `turn` (1-based; fractional turns interpolate the context) of `task`,
/// with `users` sequences decoding at once. A warm turn prefills its new tokens on top of
/// the cached context; without a surviving cache it prefills the whole context again.
pub fn turn_request(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    memory: &MemoryPlan,
    task: &Task,
    turn: f64,
    users: u32,
) -> RequestResult {
    let Some(session) = task.session.filter(|_| turn > 1.0) else {
        return request_among(
            hw,
            model,
            memory,
            task.prompt_tokens,
            task.cached_tokens,
            task.output_tokens,
            users,
        );
    };
    let before = task.context_before_turn(turn).round() as u64;
    let new = session.new_tokens_per_turn;
    let (prompt, cached) = if session.cache_survives {
        (new, before)
    } else {
        let kept = task.cached_tokens;
        ((before + new).saturating_sub(kept), kept)
    };
    request_among(hw, model, memory, prompt, cached, task.output_tokens, users)
}

/// The later turns of a session whose first turn is `first`: the warm turn, the last turn
/// and the whole session's time. The turns between are integrated by Simpson's rule over
/// the turn number (exact while a turn's time grows at most quadratically with the
/// context, as attention makes it). Each turn passes through [`correct_from_user_runs`].
#[allow(clippy::too_many_arguments)]
fn simulate_session(
    catalog: &Catalog,
    setup: Setup<'_>,
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    memory: &MemoryPlan,
    task: &Task,
    first: &RequestResult,
    users: u32,
) -> Option<SessionResult> {
    let session = task.session?;
    let turns = session.turn_count();
    if turns < 2 {
        return None;
    }
    let turn = |k: f64| {
        let mut req = turn_request(hw, model, memory, task, k, users);
        correct_from_user_runs(catalog, setup, &mut req, task.output_tokens);
        req
    };
    let last = f64::from(turns);
    let warm_turn = turn(2.0);
    let last_turn = turn(last);
    let warm_secs = if turns == 2 {
        warm_turn.total_secs
    } else {
        // Turns 2..=n as a continuous range of n - 1 turns.
        let mid = turn((2.0 + last) / 2.0).total_secs;
        (last - 1.0) * (warm_turn.total_secs + 4.0 * mid + last_turn.total_secs) / 6.0
    };
    Some(SessionResult {
        turns,
        total_secs: first.total_secs + warm_secs,
        warm_turn,
        last_turn,
        cache_survives: session.cache_survives,
    })
}

/// The catalogued draft for `task`'s model that speeds decoding most and fits in the
/// memory left on the accelerator, judged at the middle of the request's output. Its
/// acceptance rate is the lowest published for the pair over all kinds of text.
fn draft_option(
    catalog: &Catalog,
    hw: &Hardware<'_>,
    target: &LoadedModel<'_>,
    memory: &MemoryPlan,
    task: &Task,
    req: &RequestResult,
) -> Option<DraftOption> {
    if memory.placement != Placement::Accelerator {
        return None;
    }
    let depth = (task.cached_tokens + task.prompt_tokens) as f64 + task.output_tokens as f64 / 2.0;
    let mut best: Option<DraftOption> = None;
    for pairing in catalog
        .drafts
        .iter()
        .filter(|d| d.target == target.model.id)
    {
        let (Some(model), Some(quant)) = (
            catalog.model(&pairing.draft),
            catalog.quant(&pairing.draft_quant),
        ) else {
            continue;
        };
        let acceptance = catalog
            .drafts
            .iter()
            .filter(|d| d.target == pairing.target && d.draft == pairing.draft)
            .map(|d| d.acceptance_rate.value)
            .fold(f64::INFINITY, f64::min);
        let draft = LoadedModel {
            model,
            quant,
            kv: target.kv,
        };
        let extra_bytes =
            draft.weights_bytes() + draft.kv_cache_bytes(task.allocated_context_tokens());
        if extra_bytes > memory.headroom_bytes {
            continue;
        }
        let spec = speculative_decode(
            hw,
            target,
            memory,
            &draft,
            depth,
            acceptance,
            pairing.draft_max,
        );
        if best.as_ref().is_some_and(|b| b.speedup >= spec.speedup) {
            continue;
        }
        best = Some(DraftOption {
            draft_name: format!("{} ({})", model.name, quant.id),
            draft_model: model.id.clone(),
            acceptance_rate: acceptance,
            drafted: spec.drafted,
            decode_tokens_per_s: req.decode.tokens_per_s * spec.speedup,
            speedup: spec.speedup,
            extra_bytes,
            in_use: false,
        });
    }
    best
}

/// Applies the user's own runs on this machine, if any, to a simulated request; returns
/// whether anything changed ("calibrated from your runs"). Every prediction of a request
/// that a front end shows passes through here (the ranking, the charts, `estimate`, Diagnose).
pub fn correct_from_user_runs(
    catalog: &Catalog,
    setup: Setup<'_>,
    req: &mut RequestResult,
    output_tokens: u64,
) -> bool {
    let decode = catalog
        .correction(&setup.machine.id, setup.runtime, TestKind::Decode)
        .map(|c| c.factor);
    let prefill = catalog
        .correction(&setup.machine.id, setup.runtime, TestKind::Prefill)
        .map(|c| c.factor);
    if decode.is_none() && prefill.is_none() {
        return false;
    }
    correct(
        req,
        prefill.unwrap_or(1.0),
        decode.unwrap_or(1.0),
        output_tokens,
    );
    true
}

fn correct(req: &mut RequestResult, prefill_factor: f64, decode_factor: f64, output_tokens: u64) {
    let (pf, df) = (prefill_factor.max(1e-6), decode_factor.max(1e-6));
    req.prefill.tokens_per_s *= pf;
    req.prefill.secs /= pf;
    req.decode.tokens_per_s *= df;
    req.decode.secs /= df;
    let first_token = req.decode.secs / output_tokens.max(1) as f64;
    req.time_to_first_token_secs = req.prefill.secs + first_token;
    req.total_secs = req.prefill.secs + req.decode.secs;
}

/// Where a task was served.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Served {
    Local,
    Cloud { offer: String, usd_per_request: f64 },
    Failed,
}

/// Why a task could not run locally.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum LocalProblem {
    /// A catalogue id the task names does not exist (only possible with edited mixes).
    UnknownEntry { what: String },
    DoesNotFit {
        needed_bytes: f64,
        usable_bytes: f64,
    },
    /// The client waits longer than the user accepts (`max_wait_secs`): a requirement.
    TooSlow {
        /// The wait the client sees (first token when streaming, else the whole request).
        wait_secs: f64,
        max_wait_secs: f64,
        prefill_secs: f64,
        streaming: bool,
    },
}

/// A client timeout shorter than the predicted wait: a setting to raise, at no cost.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimeoutFix {
    /// The task's name.
    pub task: String,
    /// The timeout set now.
    pub timeout_secs: f64,
    /// The predicted wait the timeout must cover.
    pub wait_secs: f64,
    /// The timeout to set: the wait plus a margin, rounded up to a minute.
    pub suggested_secs: u64,
    /// The wait is to the first token (the client streams) or to the whole answer.
    pub streaming: bool,
    /// The task is a session of this many turns; the wait is its longest turn's.
    pub session_turns: Option<u32>,
}

/// One task of the mix on one machine.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TaskResult {
    pub name: String,
    pub share: f64,
    pub served: Served,
    pub local: Option<RequestResult>,
    pub memory: Option<MemoryPlan>,
    pub problem: Option<LocalProblem>,
    /// Seconds per request where it is served (cloud estimate or local).
    pub secs: Option<f64>,
    /// Decoding slower than the mix's target.
    pub below_decode_target: bool,
    /// Decode speed range from the runtime's validation residuals (low, high).
    pub decode_range_tokens_per_s: Option<(f64, f64)>,
    /// Prefill speed range from the runtime's validation residuals (low, high).
    pub prefill_range_tokens_per_s: Option<(f64, f64)>,
    /// Seconds per request, fastest and slowest within those ranges.
    pub secs_range: Option<(f64, f64)>,
    /// What those ranges rest on: widened where no published row measured this machine or
    /// case (the less measured of decode and prefill).
    pub range_basis: Option<RangeBasis>,
    /// The case is one headroom is known to predict badly (its ranges are that case's).
    pub known_miss: Option<KnownMissNote>,
    /// Speeds were corrected by the user's own llama-bench runs on this machine.
    pub calibrated_from_your_runs: bool,
    /// The wait the client sees here (first token when streaming, else the whole request).
    pub wait_secs: Option<f64>,
    /// The client timeout is shorter than that wait: raise it (a setting, not hardware).
    pub timeout_fix: Option<TimeoutFix>,
    /// The later turns when the task is a session (the first turn is `local`).
    pub session: Option<SessionResult>,
    /// The best draft model for speculative decoding that fits beside the model, if the
    /// catalogue pairs one with it.
    pub draft: Option<DraftOption>,
}

/// A known miss a task's prediction falls in: what goes wrong, and how far off held-out
/// measurements of the case were (measured over predicted).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct KnownMissNote {
    pub what: String,
    pub band: Option<ErrorBand>,
    /// The measured share of the physics' prediction the case's speeds are scaled by.
    pub correction: Option<f64>,
    pub source: String,
}

impl KnownMissNote {
    pub fn of(miss: &super::types::KnownMiss) -> Self {
        KnownMissNote {
            what: miss.what.clone(),
            band: miss.band,
            correction: miss.correction,
            source: miss.source.clone(),
        }
    }
}

/// Speculative decoding with a catalogued draft model for one task.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DraftOption {
    /// The draft's name and quantisation, for display.
    pub draft_name: String,
    pub draft_model: String,
    /// The lowest acceptance rate published for the pairing over all kinds of text.
    pub acceptance_rate: f64,
    /// Tokens drafted per step.
    pub drafted: u32,
    /// Decode speed with the draft.
    pub decode_tokens_per_s: f64,
    /// Over decode without it (below 1: the draft slows decoding down).
    pub speedup: f64,
    /// Bytes the draft adds: its weights and its KV cache.
    pub extra_bytes: f64,
    /// The task misses the decode target without it and meets it with it, so the verdict
    /// counts on it (a setting).
    pub in_use: bool,
}

/// A whole mix on one machine.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MixResult {
    pub tasks: Vec<TaskResult>,
    pub share_local: f64,
    pub share_cloud: f64,
    pub share_failed: f64,
    pub mean_request_secs: f64,
    /// Mean request time within the validation error bands (fastest, slowest).
    pub mean_request_secs_range: (f64, f64),
    pub p95_request_secs: f64,
    /// Hours per day the machine is busy with the mix.
    pub busy_hours_per_day: f64,
    pub cloud_usd_per_month: f64,
    pub energy_usd_per_month: f64,
    /// Share-weighted local decode speed, counting tasks not served locally as zero.
    pub local_decode_tokens_per_s: f64,
    /// Every task is served and decode meets the target.
    pub meets_targets: bool,
    /// Some task fits only after changing the machine's memory setting.
    pub needs_setting: bool,
    /// Client timeouts to raise for the local tasks to finish (settings, at no cost).
    pub timeout_fixes: Vec<TimeoutFix>,
    /// Peak memory plan over the mix (the largest total).
    pub peak_memory: Option<MemoryPlan>,
    /// What limits this machine most on this mix.
    pub bottleneck: Bottleneck,
    /// Users or agents served at once, and how long requests queue for them.
    pub queue: QueueEstimate,
}

/// The binding constraint of a machine on a mix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Bottleneck {
    /// A model does not fit in memory.
    Capacity,
    /// Prefill is too slow for a timeout.
    Prefill,
    /// Decode speed, limited by this.
    Decode(Limit),
    /// Nothing runs locally; no constraint applies.
    None,
}

/// Resolves a task's model, quant and KV type.
fn loaded<'c>(catalog: &'c Catalog, task: &Task) -> Result<LoadedModel<'c>, String> {
    let model = catalog
        .model(&task.model)
        .ok_or_else(|| format!("model \"{}\"", task.model))?;
    let quant = catalog
        .quant(&task.quant)
        .ok_or_else(|| format!("quant \"{}\"", task.quant))?;
    let kv = catalog
        .kv_type(&task.kv_type)
        .ok_or_else(|| format!("KV type \"{}\"", task.kv_type))?;
    Ok(LoadedModel { model, quant, kv })
}

/// The cheapest cloud offer that can take a task, and its cost per request.
pub fn cheapest_cloud<'c>(catalog: &'c Catalog, task: &Task) -> Option<(&'c CloudOffer, f64)> {
    catalog
        .cloud
        .iter()
        .filter(|c| c.context_tokens >= task.needed_context_tokens())
        .map(|c| (c, cloud_usd_per_request(c, task)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
}

fn cloud_usd_per_request(offer: &CloudOffer, task: &Task) -> f64 {
    // Cached prompt tokens are billed too: most APIs discount them, which we ignore (conservative).
    let input = task.mean_input_tokens();
    (input * offer.input_usd_per_mtok.value
        + task.output_tokens as f64 * offer.output_usd_per_mtok.value)
        / 1e6
}

/// The wait a client sees from the cloud: the first token, or the whole answer.
fn cloud_wait_secs(offer: &CloudOffer, task: &Task) -> f64 {
    // The longest wait: the request with the most input.
    let first = offer.time_to_first_token_secs.value
        + task.max_input_tokens() / offer.prefill_tokens_per_s.value.max(1.0);
    if task.streaming {
        first
    } else {
        first + task.output_tokens as f64 / offer.decode_tokens_per_s.value.max(1.0)
    }
}

/// Seconds per request from the cloud, the mean over a session's turns.
fn cloud_secs(offer: &CloudOffer, task: &Task) -> f64 {
    offer.time_to_first_token_secs.value
        + task.mean_input_tokens() / offer.prefill_tokens_per_s.value.max(1.0)
        + task.output_tokens as f64 / offer.decode_tokens_per_s.value.max(1.0)
}

/// Simulates a mix on a machine.
pub fn evaluate(
    catalog: &Catalog,
    setup: Setup<'_>,
    workload: &Workload,
    options: &MixOptions,
) -> MixResult {
    let profile = catalog.runtime(setup.runtime);
    let cpu_profile = catalog.runtime(Runtime::Cpu);
    let mut tasks = Vec::with_capacity(workload.tasks.len());

    // The context each model gets: the largest any task of the mix needs from it.
    let allocation = |model_id: &str| {
        workload
            .tasks
            .iter()
            .filter(|t| t.model == model_id)
            .map(Task::allocated_context_tokens)
            .max()
            .unwrap_or(0)
    };
    let resident: Vec<(LoadedModel<'_>, u64)> = if workload.models_resident_together {
        let mut seen: Vec<(LoadedModel<'_>, u64)> = Vec::new();
        for task in &workload.tasks {
            if let Ok(m) = loaded(catalog, task) {
                if !seen
                    .iter()
                    .any(|(s, _)| s.model.id == m.model.id && s.quant.id == m.quant.id)
                {
                    seen.push((m, allocation(&task.model)));
                }
            }
        }
        seen
    } else {
        Vec::new()
    };

    for task in &workload.tasks {
        tasks.push(evaluate_task(
            catalog,
            setup,
            workload,
            options,
            profile,
            cpu_profile,
            task,
            &resident,
            &allocation,
        ));
    }
    summarize(setup.machine, workload, options, tasks)
}

#[allow(clippy::too_many_arguments)]
fn evaluate_task(
    catalog: &Catalog,
    setup: Setup<'_>,
    workload: &Workload,
    options: &MixOptions,
    profile: Option<&super::types::RuntimeProfile>,
    cpu_profile: Option<&super::types::RuntimeProfile>,
    task: &Task,
    resident: &[(LoadedModel<'_>, u64)],
    allocation: &dyn Fn(&str) -> u64,
) -> TaskResult {
    let mut result = TaskResult {
        name: task.name.clone(),
        share: task.share,
        served: Served::Failed,
        local: None,
        memory: None,
        problem: None,
        secs: None,
        below_decode_target: false,
        decode_range_tokens_per_s: None,
        prefill_range_tokens_per_s: None,
        secs_range: None,
        range_basis: None,
        known_miss: None,
        calibrated_from_your_runs: false,
        wait_secs: None,
        timeout_fix: None,
        session: None,
        draft: None,
    };
    let local = match (loaded(catalog, task), profile) {
        (Ok(model), Some(profile)) => {
            let own = [(model, allocation(&task.model))];
            let models: &[(LoadedModel<'_>, u64)] =
                if resident.is_empty() { &own } else { resident };
            let users = workload.slots();
            let memory = plan_for_slots(setup.machine, setup.per_device_gb, profile, models, users);
            let hw = Hardware {
                machine: setup.machine,
                profile,
                cpu_profile,
            };
            if memory.fits() {
                let mut req = turn_request(&hw, &model, &memory, task, 1.0, users);
                result.calibrated_from_your_runs =
                    correct_from_user_runs(catalog, setup, &mut req, task.output_tokens);
                let session =
                    simulate_session(catalog, setup, &hw, &model, &memory, task, &req, users);
                // The longest wait of any turn: the cold first turn, unless a session
                // without a surviving cache grows past it.
                let longest = session
                    .iter()
                    .flat_map(|s| [&s.warm_turn, &s.last_turn])
                    .chain([&req])
                    .max_by(|a, b| {
                        a.client_wait_secs(task.streaming)
                            .total_cmp(&b.client_wait_secs(task.streaming))
                    })
                    .unwrap_or(&req);
                let wait = longest.client_wait_secs(task.streaming);
                let longest_prefill_secs = longest.prefill.secs;
                result.wait_secs = Some(wait);
                let too_slow = options.max_wait_secs(task).filter(|&limit| wait > limit);
                if let Some(limit) = too_slow {
                    result.problem = Some(LocalProblem::TooSlow {
                        wait_secs: wait,
                        max_wait_secs: limit,
                        prefill_secs: longest_prefill_secs,
                        streaming: task.streaming,
                    });
                } else if wait > task.timeout_secs {
                    result.timeout_fix = Some(TimeoutFix {
                        task: task.name.clone(),
                        timeout_secs: task.timeout_secs,
                        wait_secs: wait,
                        suggested_secs: suggested_timeout_secs(wait),
                        streaming: task.streaming,
                        session_turns: task.session.map(|s| s.turn_count()).filter(|&n| n > 1),
                    });
                }
                result.draft = draft_option(catalog, &hw, &model, &memory, task, &req);
                result.below_decode_target = workload
                    .min_decode_tokens_per_s
                    .is_some_and(|min| req.decode.tokens_per_s < min);
                if let (true, Some(draft), Some(min)) = (
                    result.below_decode_target,
                    result.draft.as_mut(),
                    workload.min_decode_tokens_per_s,
                ) {
                    if draft.decode_tokens_per_s >= min {
                        draft.in_use = true;
                        result.below_decode_target = false;
                    }
                }
                let ok = too_slow.is_none();
                let secs = session
                    .as_ref()
                    .map_or(req.total_secs, SessionResult::mean_turn_secs);
                // The ranges below are the first turn's; a session's mean scales with them.
                let session_scale = secs / req.total_secs.max(f64::MIN_POSITIVE);
                let basis = |kind| {
                    let (id, m, q) = (&setup.machine.id, model.model, model.quant);
                    catalog.range_basis(id, setup.runtime, kind, m, q)
                };
                let (prefill_basis, decode_basis) =
                    (basis(TestKind::Prefill), basis(TestKind::Decode));
                result.range_basis = Some(prefill_basis.max(decode_basis));
                // A case the catalogue says headroom predicts badly: say so, and take the
                // spread its held-out rows measured.
                let miss = |kind, context| {
                    let (m, q) = (model.model, model.quant);
                    profile.known_miss(setup.machine, kind, m, q, context)
                };
                let prompt_context = task.cached_tokens + task.prompt_tokens;
                let prefill_miss = miss(TestKind::Prefill, prompt_context);
                let decode_miss = miss(TestKind::Decode, prompt_context + task.output_tokens);
                result.known_miss = prefill_miss.or(decode_miss).map(KnownMissNote::of);
                let prefill_band =
                    profile.band_with_miss(TestKind::Prefill, prefill_basis, prefill_miss);
                let bound = super::speed::decode_bound_on(setup.machine, setup.runtime, &model);
                let decode_range =
                    profile.decode_range(req.decode.tokens_per_s, bound, decode_basis, decode_miss);
                result.decode_range_tokens_per_s = Some(decode_range);
                result.prefill_range_tokens_per_s = Some(profile.speed_range(
                    TestKind::Prefill,
                    req.prefill.tokens_per_s,
                    prefill_basis,
                    prefill_miss,
                ));
                result.secs_range = Some((
                    session_scale
                        * (req.prefill.secs / prefill_band.high
                            + req.decode.secs * req.decode.tokens_per_s / decode_range.1),
                    session_scale
                        * (req.prefill.secs / prefill_band.low
                            + req.decode.secs * req.decode.tokens_per_s / decode_range.0),
                ));
                result.local = Some(req);
                result.session = session;
                result.memory = Some(memory);
                ok.then_some(secs)
            } else {
                result.problem = Some(LocalProblem::DoesNotFit {
                    needed_bytes: memory.total_bytes,
                    usable_bytes: memory.usable_bytes,
                });
                result.memory = Some(memory);
                None
            }
        }
        (Err(what), _) => {
            result.problem = Some(LocalProblem::UnknownEntry { what });
            None
        }
        (Ok(_), None) => {
            result.problem = Some(LocalProblem::UnknownEntry {
                what: format!("runtime profile \"{}\"", setup.runtime),
            });
            None
        }
    };
    match local {
        Some(secs) => {
            result.served = Served::Local;
            result.secs = Some(secs);
        }
        None if options.allow_cloud && !task.private => {
            let in_time = |offer: &CloudOffer| {
                options
                    .max_wait_secs(task)
                    .is_none_or(|limit| cloud_wait_secs(offer, task) <= limit)
            };
            if let Some((offer, usd)) = cheapest_cloud(catalog, task).filter(|(o, _)| in_time(o)) {
                result.served = Served::Cloud {
                    offer: offer.id.clone(),
                    usd_per_request: usd,
                };
                result.secs = Some(cloud_secs(offer, task));
                result.below_decode_target = false;
            }
        }
        None => {}
    }
    result
}

fn summarize(
    machine: &Machine,
    workload: &Workload,
    options: &MixOptions,
    tasks: Vec<TaskResult>,
) -> MixResult {
    let total_share: f64 = tasks
        .iter()
        .map(|t| t.share.max(0.0))
        .sum::<f64>()
        .max(f64::MIN_POSITIVE);
    let norm = |s: f64| s.max(0.0) / total_share;
    let mut share_local = 0.0;
    let mut share_cloud = 0.0;
    let mut cloud_usd_per_day = 0.0;
    let mut busy_secs_per_day = 0.0;
    let mut local_decode = 0.0;
    let mut local_requests_per_day = 0.0;
    let mut served_secs = Vec::new();
    for (task, spec) in tasks.iter().zip(&workload.tasks) {
        match &task.served {
            Served::Local => {
                share_local += norm(task.share);
                if let (Some(local), Some(secs)) = (&task.local, task.secs) {
                    let per_day = spec.requests_per_day.max(0.0);
                    busy_secs_per_day += secs * per_day;
                    local_requests_per_day += per_day;
                    local_decode += norm(task.share) * local.decode.tokens_per_s;
                }
            }
            Served::Cloud {
                usd_per_request, ..
            } => {
                share_cloud += norm(task.share);
                cloud_usd_per_day += usd_per_request * spec.requests_per_day.max(0.0);
            }
            Served::Failed => {}
        }
        if let Some(secs) = task.secs {
            served_secs.push((secs, norm(task.share)));
        }
    }
    let share_failed = (1.0 - share_local - share_cloud).max(0.0);
    let served_share: f64 = served_secs.iter().map(|(_, s)| s).sum();
    let mut range_sum = (0.0, 0.0);
    for task in &tasks {
        if let Some(secs) = task.secs {
            let (lo, hi) = task.secs_range.unwrap_or((secs, secs));
            range_sum.0 += lo * norm(task.share);
            range_sum.1 += hi * norm(task.share);
        }
    }
    let mean_request_secs_range = if served_share > 0.0 {
        (range_sum.0 / served_share, range_sum.1 / served_share)
    } else {
        (0.0, 0.0)
    };
    let mean_request_secs = if served_share > 0.0 {
        served_secs.iter().map(|(t, s)| t * s).sum::<f64>() / served_share
    } else {
        0.0
    };
    served_secs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let mut cumulative = 0.0;
    let mut p95_request_secs = served_secs.last().map_or(0.0, |l| l.0);
    for (secs, share) in &served_secs {
        cumulative += share / served_share.max(f64::MIN_POSITIVE);
        if cumulative >= 0.95 {
            p95_request_secs = *secs;
            break;
        }
    }
    let busy_hours_per_day = (busy_secs_per_day / 3600.0).min(24.0);
    let idle_watts = machine.idle_watts.as_ref().map_or(0.0, |w| w.value);
    let kwh_per_day = (busy_hours_per_day * machine.power_watts.value
        + (24.0 - busy_hours_per_day) * idle_watts)
        / 1000.0;
    let energy_usd_per_month = kwh_per_day * DAYS_PER_MONTH * options.electricity_usd_per_kwh;
    let needs_setting = tasks
        .iter()
        .any(|t| t.served == Served::Local && t.memory.as_ref().is_some_and(|m| m.needs_setting));
    let below_target = tasks
        .iter()
        .any(|t| t.served == Served::Local && t.below_decode_target);
    let timeout_fixes = tasks
        .iter()
        .filter(|t| t.served == Served::Local)
        .filter_map(|t| t.timeout_fix.clone())
        .collect();
    let peak_memory = tasks
        .iter()
        .filter_map(|t| t.memory.clone())
        .max_by(|a, b| a.total_bytes.total_cmp(&b.total_bytes));
    let bottleneck = bottleneck(&tasks);
    // The queue for the machine's slots: the local requests arriving in the active hours,
    // each holding a slot for its mean time.
    let active_hours = workload.active_hours();
    let queue = queue_estimate(
        local_requests_per_day / active_hours,
        busy_secs_per_day / local_requests_per_day.max(f64::MIN_POSITIVE),
        workload.slots(),
    );
    MixResult {
        share_local,
        share_cloud,
        share_failed,
        mean_request_secs,
        mean_request_secs_range,
        p95_request_secs,
        busy_hours_per_day,
        cloud_usd_per_month: cloud_usd_per_day * DAYS_PER_MONTH,
        energy_usd_per_month,
        local_decode_tokens_per_s: local_decode,
        meets_targets: share_failed < 1e-9 && !below_target && !queue.overloaded(),
        needs_setting,
        timeout_fixes,
        peak_memory,
        bottleneck,
        queue,
        tasks,
    }
}

fn bottleneck(tasks: &[TaskResult]) -> Bottleneck {
    if tasks
        .iter()
        .any(|t| matches!(t.problem, Some(LocalProblem::DoesNotFit { .. })))
    {
        return Bottleneck::Capacity;
    }
    if tasks
        .iter()
        .any(|t| matches!(t.problem, Some(LocalProblem::TooSlow { .. })))
    {
        return Bottleneck::Prefill;
    }
    // The local task with the largest share of time decides.
    tasks
        .iter()
        .filter_map(|t| {
            t.local
                .as_ref()
                .map(|l| (t.share * l.total_secs, l.decode.limit))
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map_or(Bottleneck::None, |(_, limit)| Bottleneck::Decode(limit))
}

/// Formats bytes as GiB with one decimal.
pub fn gib(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / GIB)
}

/// Whether a placement puts everything on the accelerator.
pub fn on_accelerator(plan: &MemoryPlan) -> bool {
    plan.placement == Placement::Accelerator
}
