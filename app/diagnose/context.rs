//! Context: the model's native context vs the limits configured around it (`num_ctx`, the
//! client's limit, a `128k` label in the name) vs the largest context that fits in memory,
//! and which of them binds.

use std::path::Path;

use serde::Serialize;

use crate::engine::memory::{max_context_tokens, plan, LoadedModel};
use crate::engine::rank::thousands;
use crate::engine::types::{RuntimeProfile, GIB};
use crate::local::ollama::{
    format_context_label, modelfile_fix, ollama_create_command, suggested_model_name,
};
use crate::local::scan::{LocalModel, ModelSource};

use super::identify::Resolved;
use super::{Fix, MachineSetup, UserLimits};

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

/// One configured limit on the context.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ContextLimit {
    /// Where it comes from.
    pub source: LimitSource,
    /// The limit.
    pub tokens: u64,
    /// Where it comes from, in words.
    pub detail: String,
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
    /// The finding in words.
    pub sentence: String,
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
    let limit = |source, tokens, detail: String, assumed| ContextLimit {
        source,
        tokens,
        detail,
        assumed,
    };
    match (m.configured_context_tokens, m.source) {
        (Some(t), ModelSource::Ollama) => {
            out.push(limit(LimitSource::NumCtx, t, "num_ctx in the model's params".to_owned(), false));
        }
        (Some(t), _) => out.push(limit(LimitSource::NumCtx, t, "the configured context".to_owned(), false)),
        (None, ModelSource::Ollama)
            if m
                .problems
                .iter()
                .any(|p| p.starts_with(crate::local::ollama::UNREADABLE_PARAMS)) =>
        {
            out.push(limit(
                LimitSource::OllamaDefault,
                ollama_default.unwrap_or(OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS),
                "unknown: the model's params are unreadable (see its problems), so its num_ctx cannot be known; Ollama's default is assumed".to_owned(),
                true,
            ))
        }
        (None, ModelSource::Ollama) => out.push(match ollama_default {
            Some(t) => limit(
                LimitSource::OllamaDefault,
                t,
                "OLLAMA_CONTEXT_LENGTH (the model's params set no num_ctx)".to_owned(),
                false,
            ),
            None => limit(
                LimitSource::OllamaDefault,
                OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS,
                "Ollama's default, since the model's params set no num_ctx (4,096 on many versions; assumed)".to_owned(),
                true,
            ),
        }),
        (None, _) => {}
    }
    if let Some(t) = user.client_limit_tokens {
        out.push(limit(
            LimitSource::ClientLimit,
            t,
            "your client's context limit".to_owned(),
            false,
        ));
    }
    if let Some(t) = loaded_tokens {
        out.push(limit(
            LimitSource::Loaded,
            t,
            "the context Ollama loaded it with, per /api/ps".to_owned(),
            false,
        ));
    }
    if let Some(t) = m.context_label_tokens {
        out.push(limit(
            LimitSource::NameLabel,
            t,
            format!("the name's `{}` label", label_text(&m.name, t)),
            false,
        ));
    }
    out
}

fn gib_text(bytes: f64) -> String {
    format!("{:.1} GiB", bytes / GIB)
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

    let sources = describe_sources(&limits, &binding);
    let setting_words = memory_setting.as_deref().unwrap_or("the GPU memory limit");
    let sentence = if best_fit == 0 {
        format!(
            "the model does not fit in this machine's memory at any context ({} of weights): memory is the limit here, not a setting",
            gib_text(loaded.weights_bytes())
        )
    } else if setting_binding {
        let fits = if target == native {
            format!(
                "the model supports {} and {} fits in your memory{} with {} to spare",
                thousands(native),
                thousands(native),
                if target_needs_setting {
                    format!(" once the GPU memory limit is raised (`{setting_words}`)")
                } else {
                    String::new()
                },
                gib_text(spare.max(0.0))
            )
        } else {
            format!(
                "the model supports {} and your memory holds up to {} of it{}",
                thousands(native),
                thousands(target),
                if target_needs_setting {
                    format!(" once the GPU memory limit is raised (`{setting_words}`)")
                } else {
                    String::new()
                }
            )
        };
        format!(
            "your limit is {}, set by {sources}; {fits}: this is a setting, not your hardware",
            thousands(effective)
        )
    } else if effective > best_fit {
        format!(
            "your limit is {}, set by {sources}, but only {} tokens of context fit in your memory{}: memory is the limit here",
            thousands(effective),
            thousands(best_fit),
            if max_fit_tuned.is_some_and(|t| t > max_fit) {
                format!(" ({} with the default GPU memory limit)", thousands(max_fit))
            } else {
                String::new()
            }
        )
    } else if limits.is_empty() {
        format!(
            "no context limit is configured; the model supports {} and that fits in your memory with {} to spare",
            thousands(native),
            gib_text(spare.max(0.0))
        )
    } else {
        format!(
            "your limit is {}, set by {sources}; the model supports {} and {} fits with {} to spare: nothing to change",
            thousands(effective),
            thousands(native),
            thousands(target.min(effective)),
            gib_text(spare.max(0.0))
        )
    };
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
        sentence,
    }
}

/// "num_ctx in the model's params (the name's `v-128k` label says the same)".
fn describe_sources(limits: &[ContextLimit], binding: &[LimitSource]) -> String {
    let detail = |s: LimitSource| {
        limits
            .iter()
            .find(|l| l.source == s)
            .map_or_else(String::new, |l| l.detail.clone())
    };
    match binding {
        [] => "the model's native context".to_owned(),
        [first] => detail(*first),
        [first, rest @ ..] => {
            let others: Vec<String> = rest.iter().map(|s| detail(*s)).collect();
            format!(
                "{} ({} says the same)",
                detail(*first),
                others.join(" and ")
            )
        }
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
            fix.steps.push(format!(
                "Raise the GPU memory limit so {} tokens fit: `{setting}`.",
                thousands(target)
            ));
        }
    }
    if m.source == ModelSource::Ollama && ollama_side {
        let new_name = suggested_model_name(&m.name, target);
        let modelfile = modelfile_fix(&m.name, target, &m.params);
        let create = ollama_create_command(&new_name, Path::new("Modelfile"));
        fix.steps.push(format!(
            "Save the Modelfile below as `Modelfile`, run `{create}`, and point your client at `{new_name}` (same weights, no download)."
        ));
        fix.modelfile = Some(modelfile);
        fix.new_model_name = Some(new_name);
        fix.ollama_create = Some(create);
    } else if m.source != ModelSource::Ollama && below(LimitSource::NumCtx) {
        fix.steps.push(format!(
            "Load the model with a context of {} tokens (llama.cpp: `-c {}`; LM Studio: Context Length).",
            thousands(target),
            target
        ));
    }
    if user.client_limit_tokens.is_some_and(|t| t < target) {
        fix.client_limit_tokens = Some(target);
        fix.steps.push(format!(
            "Set your client's context limit to {} tokens.",
            thousands(target)
        ));
    }
    fix
}
