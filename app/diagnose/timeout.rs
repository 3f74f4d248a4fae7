//! Prefill of the user's largest prompt against the client's timeout, with the engine's
//! prediction (which slows with depth), the timeout to set and the largest prompt that
//! finishes in time.

use serde::Serialize;

use crate::engine::memory::{plan, LoadedModel, MemoryPlan};
use crate::engine::mix::{correct_from_user_runs, request, Setup};
use crate::engine::speed::{Hardware, Limit};
use crate::engine::types::{Catalog, Runtime, RuntimeProfile};

use super::context::ContextFinding;
use super::{Fix, FixStep, MachineSetup, UserLimits};

pub use crate::engine::mix::{suggested_timeout_secs, TIMEOUT_MARGIN_SHARE, TIMEOUT_ROUNDING_SECS};

/// The prefill finding for the largest prompt.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PrefillFinding {
    /// The largest prompt.
    pub prompt_tokens: u64,
    /// The context allocated for the prediction (the fixed context, or the prompt if larger).
    pub context_tokens: u64,
    /// The model fits in memory at that context.
    pub fits_in_memory: bool,
    /// Predicted seconds to the first token (prefill of the whole prompt).
    pub predicted_secs: Option<f64>,
    /// Mean prefill speed over the prompt.
    pub prefill_tokens_per_s: Option<f64>,
    /// What limits the prefill (compute, attention, bandwidth, offload).
    pub prefill_limit: Option<Limit>,
    /// The client's timeout.
    pub timeout_secs: Option<f64>,
    /// The timeout ends the request before the first token.
    pub cut_off: Option<bool>,
    /// A timeout that covers the prediction with a margin.
    pub suggested_timeout_secs: Option<u64>,
    /// The largest prompt that finishes prefill within the timeout.
    pub max_prompt_tokens_within_timeout: Option<u64>,
    /// The prompt is longer than the configured context limit.
    pub over_context_limit: bool,
    /// The prompt is longer than the model's native context.
    pub over_native: bool,
    /// The model's native context.
    pub native_tokens: u64,
    /// The configured context limit now.
    pub limit_tokens: u64,
    /// The context the fix sets (the native one if it fits, else the most that fits).
    pub target_tokens: u64,
}

/// The largest prompt in `1..=upper_tokens` whose predicted time is within `timeout_secs`,
/// by bisection (time grows with the prompt); 0 when even one token is too slow.
pub fn max_prompt_within(
    upper_tokens: u64,
    timeout_secs: f64,
    secs_for: impl Fn(u64) -> f64,
) -> u64 {
    if secs_for(1) > timeout_secs {
        return 0;
    }
    if secs_for(upper_tokens) <= timeout_secs {
        return upper_tokens;
    }
    let (mut lo, mut hi) = (1u64, upper_tokens);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if secs_for(mid) <= timeout_secs {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

/// Rounds a token count down to a readable figure (thousands above 10,000).
fn round_down_tokens(tokens: u64) -> u64 {
    if tokens >= 10_000 {
        tokens / 1000 * 1000
    } else {
        tokens
    }
}

/// The time to the first token, through the engine's one prediction path: the user's own
/// runs on this machine correct it here exactly as they do the ranking's cards.
fn time_to_first_token(
    catalog: &Catalog,
    setup: MachineSetup<'_>,
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    memory: &MemoryPlan,
    prompt: u64,
) -> (f64, f64, Limit) {
    let mut r = request(hw, model, memory, prompt.max(1), 0, 1);
    let setup = Setup {
        machine: setup.machine,
        per_device_gb: setup.per_device_gb,
        runtime: setup.runtime,
    };
    correct_from_user_runs(catalog, setup, &mut r, 1);
    (
        r.time_to_first_token_secs,
        r.prefill.tokens_per_s,
        r.prefill.limit,
    )
}

/// Predicts the prefill of the user's largest prompt; `None` when no prompt size was given.
pub fn find(
    catalog: &Catalog,
    loaded: LoadedModel<'_>,
    setup: MachineSetup<'_>,
    profile: &RuntimeProfile,
    context: &ContextFinding,
    user: &UserLimits,
) -> Option<PrefillFinding> {
    let prompt = user.largest_prompt_tokens?.max(1);
    let native = context.native_tokens;
    let over_native = prompt > native;
    let over_context_limit = prompt > context.effective_limit_tokens;
    let allocation = context.target_tokens.max(prompt.min(native));
    let memory = plan(
        setup.machine,
        setup.per_device_gb,
        profile,
        &[(loaded, allocation)],
    );
    let fits = memory.fits();
    let mut finding = PrefillFinding {
        prompt_tokens: prompt,
        context_tokens: allocation,
        fits_in_memory: fits,
        predicted_secs: None,
        prefill_tokens_per_s: None,
        prefill_limit: None,
        timeout_secs: user.timeout_secs,
        cut_off: None,
        suggested_timeout_secs: None,
        max_prompt_tokens_within_timeout: None,
        over_context_limit,
        over_native,
        native_tokens: native,
        limit_tokens: context.effective_limit_tokens,
        target_tokens: context.target_tokens,
    };
    if !fits {
        return Some(finding);
    }
    let hw = Hardware {
        machine: setup.machine,
        profile,
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let (secs, rate, limit) = time_to_first_token(catalog, setup, &hw, &loaded, &memory, prompt);
    let suggested = suggested_timeout_secs(secs);
    finding.predicted_secs = Some(secs);
    finding.prefill_tokens_per_s = Some(rate);
    finding.prefill_limit = Some(limit);
    finding.suggested_timeout_secs = Some(suggested);
    if let Some(timeout) = user.timeout_secs {
        let cut_off = secs > timeout;
        finding.cut_off = Some(cut_off);
        if cut_off {
            let max_prompt = max_prompt_within(prompt, timeout, |p| {
                time_to_first_token(catalog, setup, &hw, &loaded, &memory, p).0
            });
            finding.max_prompt_tokens_within_timeout = Some(round_down_tokens(max_prompt));
        }
    }
    Some(finding)
}

/// Adds the timeout to the fix when the timeout cuts the prompt off.
pub fn add_fix(finding: &PrefillFinding, fix: &mut Fix) {
    if finding.cut_off != Some(true) {
        return;
    }
    let (Some(suggested), Some(secs)) = (finding.suggested_timeout_secs, finding.predicted_secs)
    else {
        return;
    };
    fix.timeout_secs = Some(suggested);
    fix.steps.push(FixStep::ClientTimeout {
        at_least_secs: suggested,
        prompt_tokens: finding.prompt_tokens,
        predicted_secs: secs,
    });
}
