//! After the settings: would another machine still help? Ranks every catalogue machine on a
//! one-task workload built from the user's largest prompt.

use serde::Serialize;

use crate::engine::mix::MixOptions;
use crate::engine::rank::{rank, thousands, Objective, Owned, RankEntry, RankOptions};
use crate::engine::types::{Catalog, Task, Workload};

use super::context::ContextFinding;
use super::identify::Resolved;
use super::timeout::PrefillFinding;
use super::{MachineSetup, UserLimits};

/// A machine that would serve what the current one cannot.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BetterMachine {
    /// Catalogue id.
    pub machine_id: String,
    /// Display name.
    pub machine_name: String,
    /// Memory over all devices.
    pub total_memory_gb: f64,
    /// Price of that memory option.
    pub price_usd: f64,
    /// Predicted seconds to the first token of the largest prompt there.
    pub predicted_secs: Option<f64>,
}

/// Whether hardware would still help once the settings are fixed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HardwareFinding {
    /// A new machine is needed for what was asked, even with the settings fixed.
    pub helps: bool,
    /// The current machine serves the largest prompt within the current timeout.
    pub current_serves_within_timeout: bool,
    /// The current machine serves it once the settings (including the timeout) are fixed.
    pub current_serves_after_fix: bool,
    /// The cheapest machine within budget that serves it within the current timeout.
    pub cheapest_within_timeout: Option<BetterMachine>,
    /// The budget searched.
    pub budget_max_usd: f64,
    /// The machine diagnosed.
    pub machine_name: String,
    /// The largest prompt.
    pub prompt_tokens: u64,
    /// The client's timeout, if given.
    pub timeout_secs: Option<f64>,
    /// The prompt is longer than the model's native context: no machine helps.
    pub over_native: bool,
}

fn holds_everything(entry: &RankEntry) -> bool {
    entry
        .mix
        .peak_memory
        .as_ref()
        .is_some_and(crate::engine::mix::on_accelerator)
}

fn better(entry: &RankEntry) -> BetterMachine {
    BetterMachine {
        machine_id: entry.machine_id.clone(),
        machine_name: entry.machine_name.clone(),
        total_memory_gb: entry.total_memory_gb,
        price_usd: entry.price_usd,
        predicted_secs: entry
            .mix
            .tasks
            .first()
            .and_then(|t| t.local.as_ref())
            .map(|l| l.time_to_first_token_secs),
    }
}

/// The catalogue with the resolved model, quant and KV type in it (replacing the entry with the
/// same id), so the ranking sees exactly what the diagnosis saw.
fn catalog_with(catalog: &Catalog, resolved: &Resolved) -> Catalog {
    let mut c = catalog.clone();
    c.models.retain(|m| m.id != resolved.model.id);
    c.models.push(resolved.model.clone());
    if c.quant(&resolved.quant.id).is_none() {
        c.quants.push(resolved.quant.clone());
    }
    if c.kv_type(&resolved.kv.id).is_none() {
        c.kv_types.push(resolved.kv.clone());
    }
    c
}

/// Ranks the machines on the largest prompt; `None` when no prompt size was given.
pub fn find(
    catalog: &Catalog,
    resolved: &Resolved,
    setup: MachineSetup<'_>,
    context: &ContextFinding,
    prefill: Option<&PrefillFinding>,
    user: &UserLimits,
) -> Option<HardwareFinding> {
    let prefill = prefill?;
    let budget = user.budget_max_usd;
    let prompt = prefill.prompt_tokens;
    if prefill.over_native {
        return Some(HardwareFinding {
            helps: false,
            current_serves_within_timeout: false,
            current_serves_after_fix: false,
            cheapest_within_timeout: None,
            budget_max_usd: budget,
            machine_name: setup.machine.name.clone(),
            prompt_tokens: prompt,
            timeout_secs: user.timeout_secs,
            over_native: true,
        });
    }
    let timeout = user.timeout_secs.unwrap_or(f64::INFINITY);
    let catalog = catalog_with(catalog, resolved);
    let workload = Workload {
        id: "diagnose-largest-prompt".to_owned(),
        name: "Your largest prompt".to_owned(),
        description: format!(
            "One {}-token prompt on {}",
            thousands(prompt),
            resolved.model.name
        ),
        models_resident_together: false,
        min_decode_tokens_per_s: None,
        tasks: vec![Task {
            name: "largest prompt".to_owned(),
            share: 1.0,
            prompt_tokens: prompt,
            cached_tokens: 0,
            output_tokens: 1,
            private: true,
            timeout_secs: timeout,
            model: resolved.model.id.clone(),
            quant: resolved.quant.id.clone(),
            kv_type: resolved.kv.id.clone(),
            context_tokens: Some(context.target_tokens.max(prompt)),
            requests_per_day: 1.0,
            // "Beats the timeout" is the ranking's own rule: the wait the client sees.
            max_wait_secs: user.max_wait_secs.or(user.timeout_secs),
            streaming: true,
            session: None,
        }],
        sources: Vec::new(),
        parallel: 1,
        active_hours_per_day: None,
    };
    let options = RankOptions {
        budget_max_usd: budget,
        objective: Objective::Cheapest,
        mix: MixOptions {
            allow_cloud: false,
            ..MixOptions::default()
        },
        have: Some(Owned {
            machine: setup.machine.id.clone(),
            per_device_gb: setup.per_device_gb,
        }),
        ..RankOptions::default()
    };
    let ranking = rank(&catalog, &workload, &options);
    let current_ok = ranking
        .entries
        .iter()
        .find(|e| e.is_current)
        .is_some_and(|e| e.mix.meets_targets);
    let after_fix = current_ok || prefill.fits_in_memory;
    // Only a machine that holds the model and its whole context in accelerator memory is
    // suggested: one that spills layers to system RAM is not a fix.
    let cheapest = ranking
        .entries
        .iter()
        .find(|e| !e.is_current && e.mix.meets_targets && holds_everything(e))
        .map(better);
    Some(HardwareFinding {
        helps: !after_fix,
        current_serves_within_timeout: current_ok,
        current_serves_after_fix: after_fix,
        cheapest_within_timeout: cheapest,
        budget_max_usd: budget,
        machine_name: setup.machine.name.clone(),
        prompt_tokens: prompt,
        timeout_secs: user.timeout_secs,
        over_native: false,
    })
}
