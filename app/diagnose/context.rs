//! Context: the model's native context vs the limits configured around it (`num_ctx`, the
//! client's limit, a `128k` label in the name) vs the largest context that fits in memory,
//! and which of them binds.

use std::path::Path;

use serde::Serialize;

use crate::engine::memory::{max_context_tokens, plan, LoadedModel};
use crate::engine::types::RuntimeProfile;
use crate::local::ollama::{
    format_context_label, modelfile_fix, ollama_create_command, suggested_model_name,
};
use crate::local::scan::{LocalModel, ModelSource};

use super::identify::Resolved;
use super::{Fix, FixStep, MachineSetup, UserLimits};

/// The context Ollama gives a model without `num_ctx` on many versions, when
/// `OLLAMA_CONTEXT_LENGTH` is not set. Newer versions pick a default from the GPU memory, so
/// this is marked as assumed wherever it is used.
pub const OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS: u64 = 4096;

/// Where a context limit comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LimitSource {
    /// `num_ctx` in the model's params (Ollama) or its configuration.
    NumCtx,
    /// No `num_ctx`: the Ollama server's default applies.
    OllamaDefault,
    /// The limit the user's client enforces (`--client-limit`).
    ClientLimit,
    /// The context Ollama has the model loaded with now (`/api/ps`).
    Loaded,
    /// A context size spelled in the model's name (`v-128k`), which clients may read.
    NameLabel,
}

/// Where a limit was read, in more detail than its [`LimitSource`]; the front ends word it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum LimitDetail {
    /// `num_ctx` in an Ollama model's params.
    OllamaNumCtx,
    /// The context configured for a model outside Ollama.
    ConfiguredContext,
    /// The Ollama model's params could not be read, so Ollama's default is assumed.
    UnreadableParams,
    /// `OLLAMA_CONTEXT_LENGTH`, since the params set no `num_ctx`.
    OllamaContextLength,
    /// Ollama's default (assumed), since the params set no `num_ctx`.
    OllamaDefault,
    /// The limit the user's client enforces.
    ClientLimit,
    /// The context Ollama has the model loaded with now (`/api/ps`).
    Loaded,
    /// A context label in the model's name, as written there (`v-128k`).
    NameLabel { label: String },
}

/// One configured limit on the context.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextLimit {
    /// Where it comes from.
    pub source: LimitSource,
    /// The limit.
    pub tokens: u64,
    /// Where it comes from, in detail.
    pub detail: LimitDetail,
    /// The value is assumed, not read.
    pub assumed: bool,
}

/// Native vs configured vs fitting context for one model on one machine.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextFinding {
    /// The context the model was trained for.
    pub native_tokens: u64,
    /// Every configured limit found.
    pub limits: Vec<ContextLimit>,
    /// The smallest configured limit (the native context when none is configured).
    pub effective_limit_tokens: u64,
    /// The limits equal to `effective_limit_tokens`, most authoritative first.
    pub binding: Vec<LimitSource>,
    /// The largest context that fits in memory with the machine's default settings.
    pub max_fit_tokens: u64,
    /// The largest context that fits with the GPU memory setting changed, when the machine has
    /// such a setting.
    pub max_fit_tokens_with_setting: Option<u64>,
    /// The setting that raises the GPU memory limit.
    pub memory_setting: Option<String>,
    /// The context to set: the native one if it fits, else the most that fits.
    pub target_tokens: u64,
    /// `target_tokens` fits only after changing `memory_setting`.
    pub target_needs_setting: bool,
    /// Memory left at `target_tokens` (negative: it does not fit even so).
    pub spare_bytes_at_target: f64,
    /// A configured limit sits below what the model and memory allow.
    pub setting_binding: bool,
    /// The context asked for: the largest prompt, else the native context.
    pub asked_tokens: u64,
    /// Memory cannot hold the context asked for.
    pub memory_binding: bool,
    /// The model's weights, for when no context fits at all.
    pub weights_bytes: f64,
}

impl ContextFinding {
    /// The largest context that fits, the GPU memory setting changed if that helps.
    pub fn best_fit_tokens(&self) -> u64 {
        self.max_fit_tokens_with_setting
            .unwrap_or(self.max_fit_tokens)
            .max(self.max_fit_tokens)
    }

    /// The configured limit from `source`, if any.
    pub fn limit(&self, source: LimitSource) -> Option<&ContextLimit> {
        self.limits.iter().find(|l| l.source == source)
    }
}

/// The label as written in the name, with a `v-`/`ctx-` prefix: `v-128k`.
pub fn label_text(name: &str, tokens: u64) -> String {
    let label = format_context_label(tokens);
    let lower = name.to_ascii_lowercase();
    let Some(pos) = lower.rfind(&label) else {
        return label;
    };
    let start = ["v-", "v_", "ctx-", "ctx_", "ctx"]
        .iter()
        .find(|p| lower[..pos].ends_with(*p))
        .map_or(pos, |p| pos - p.len());
    name.get(start..pos + label.len())
        .map_or(label, str::to_owned)
}

fn limits(
    m: &LocalModel,
    user: &UserLimits,
    loaded_tokens: Option<u64>,
    ollama_default: Option<u64>,
) -> Vec<ContextLimit> {
    let mut out = Vec::new();
    let limit = |source, tokens, detail, assumed| ContextLimit {
        source,
        tokens,
        detail,
        assumed,
    };
    match (m.configured_context_tokens, m.source) {
        (Some(t), ModelSource::Ollama) => {
            out.push(limit(
                LimitSource::NumCtx,
                t,
                LimitDetail::OllamaNumCtx,
                false,
            ));
        }
        (Some(t), _) => out.push(limit(
            LimitSource::NumCtx,
            t,
            LimitDetail::ConfiguredContext,
            false,
        )),
        (None, ModelSource::Ollama)
            if m.problems
                .iter()
                .any(|p| p.starts_with(crate::local::ollama::UNREADABLE_PARAMS)) =>
        {
            out.push(limit(
                LimitSource::OllamaDefault,
                ollama_default.unwrap_or(OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS),
                LimitDetail::UnreadableParams,
                true,
            ))
        }
        (None, ModelSource::Ollama) => out.push(match ollama_default {
            Some(t) => limit(
                LimitSource::OllamaDefault,
                t,
                LimitDetail::OllamaContextLength,
                false,
            ),
            None => limit(
                LimitSource::OllamaDefault,
                OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS,
                LimitDetail::OllamaDefault,
                true,
            ),
        }),
        (None, _) => {}
    }
    if let Some(t) = user.client_limit_tokens {
        out.push(limit(
            LimitSource::ClientLimit,
            t,
            LimitDetail::ClientLimit,
            false,
        ));
    }
    if let Some(t) = loaded_tokens {
        out.push(limit(LimitSource::Loaded, t, LimitDetail::Loaded, false));
    }
    if let Some(t) = m.context_label_tokens {
        out.push(limit(
            LimitSource::NameLabel,
            t,
            LimitDetail::NameLabel {
                label: label_text(&m.name, t),
            },
            false,
        ));
    }
    out
}

/// Compares the model's native context with its configured limits and with memory.
#[allow(clippy::too_many_arguments)]
pub fn find(
    m: &LocalModel,
    resolved: &Resolved,
    loaded: LoadedModel<'_>,
    setup: MachineSetup<'_>,
    profile: &RuntimeProfile,
    user: &UserLimits,
    loaded_tokens: Option<u64>,
    ollama_default: Option<u64>,
) -> ContextFinding {
    let native = resolved.model.context_native.max(1);
    let limits = limits(m, user, loaded_tokens, ollama_default);
    let effective = limits.iter().map(|l| l.tokens).min().unwrap_or(native);
    let mut binding: Vec<LimitSource> = limits
        .iter()
        .filter(|l| l.tokens == effective)
        .map(|l| l.source)
        .collect();
    binding.sort();
    let machine = setup.machine;
    let cap = native.max(effective);
    let max_fit = max_context_tokens(machine, setup.per_device_gb, profile, loaded, cap, false);
    let max_fit_tuned = machine
        .accelerator_memory
        .tuned_reserve_gb
        .as_ref()
        .map(|_| max_context_tokens(machine, setup.per_device_gb, profile, loaded, cap, true));
    let best_fit = max_fit_tuned.unwrap_or(max_fit).max(max_fit);
    let target = if best_fit >= native {
        native
    } else {
        // A round number of KiB-tokens, as context sizes are usually written.
        (best_fit / 1024 * 1024).max(best_fit.min(1024))
    };
    let target_needs_setting = target > max_fit;
    let memory = plan(machine, setup.per_device_gb, profile, &[(loaded, target)]);
    let spare = memory.headroom_bytes;
    let asked = user.largest_prompt_tokens.unwrap_or(native).min(native);
    let memory_binding = asked > best_fit;
    let setting_binding = effective < target;
    let memory_setting = machine.accelerator_memory.setting.clone();

    ContextFinding {
        native_tokens: native,
        limits,
        effective_limit_tokens: effective,
        binding,
        max_fit_tokens: max_fit,
        max_fit_tokens_with_setting: max_fit_tuned,
        memory_setting,
        target_tokens: target,
        target_needs_setting,
        spare_bytes_at_target: spare,
        setting_binding,
        asked_tokens: asked,
        memory_binding,
        weights_bytes: loaded.weights_bytes(),
    }
}

/// The context part of the fix: a Modelfile and `ollama create` line for an Ollama model,
/// the client's limit, the GPU memory setting.
pub fn fix(m: &LocalModel, context: &ContextFinding, user: &UserLimits) -> Fix {
    let mut fix = Fix::default();
    if !context.setting_binding {
        return fix;
    }
    let target = context.target_tokens;
    let below = |s: LimitSource| {
        context
            .limits
            .iter()
            .any(|l| l.source == s && l.tokens < target)
    };
    let ollama_side = [
        LimitSource::NumCtx,
        LimitSource::OllamaDefault,
        LimitSource::Loaded,
        LimitSource::NameLabel,
    ]
    .into_iter()
    .any(below);
    if context.target_needs_setting {
        if let Some(setting) = &context.memory_setting {
            fix.memory_setting = Some(setting.clone());
            fix.steps.push(FixStep::RaiseGpuMemoryLimit {
                tokens: target,
                setting: setting.clone(),
            });
        }
    }
    if m.source == ModelSource::Ollama && ollama_side {
        let new_name = suggested_model_name(&m.name, target);
        let modelfile = modelfile_fix(&m.name, target, &m.params);
        let create = ollama_create_command(&new_name, Path::new("Modelfile"));
        fix.steps.push(FixStep::RecreateOllamaModel {
            create: create.clone(),
            new_name: new_name.clone(),
        });
        fix.modelfile = Some(modelfile);
        fix.new_model_name = Some(new_name);
        fix.ollama_create = Some(create);
    } else if m.source != ModelSource::Ollama && below(LimitSource::NumCtx) {
        fix.steps.push(FixStep::LoadWithContext { tokens: target });
    }
    if user.client_limit_tokens.is_some_and(|t| t < target) {
        fix.client_limit_tokens = Some(target);
        fix.steps
            .push(FixStep::ClientContextLimit { tokens: target });
    }
    fix
}
