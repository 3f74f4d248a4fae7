//! Words for a diagnosis (`crate::diagnose::Diagnosis`): the headline, each model's verdict,
//! its findings and the steps of its fix. The terminal, the decision summary and the window's
//! Diagnose tab all read them from here.

use crate::diagnose::context::OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS;
use crate::diagnose::kv::OLLAMA_KV_TYPES;
use crate::diagnose::{
    ContextFinding, ContextLimit, FixStep, HardwareFinding, Headline, KvNote, KvSuggestion,
    LimitDetail, LimitSource, MachineSummary, MatchedBy, ModelDiagnosis, PrefillFinding, Verdict,
    DEFAULT_KV_TYPE,
};
use crate::engine::mix::gib;
use crate::engine::rank::thousands;
use crate::local::scan::ModelSource;

use super::{duration_words, limit_words, usd};

/// What to do first, over every model.
pub fn headline_words(headline: Headline) -> String {
    match headline {
        Headline::NoModels => "No local models found: nothing to diagnose.".to_owned(),
        Headline::FixSettings { settings, models } => format!(
            "Fix the settings before you buy anything: {settings} of {models} model(s) are limited by a setting, not by your hardware."
        ),
        Headline::Hardware { hardware, models } => format!(
            "{hardware} of {models} model(s) need more than this machine can give even with the settings fixed; fix the settings first, then see the hardware finding."
        ),
        Headline::NothingToFix => {
            "Nothing to fix: your settings and your machine serve what you asked.".to_owned()
        }
        Headline::SomeUnreadable => "Some models could not be read; see their errors.".to_owned(),
    }
}

/// The machine diagnosed and how it was chosen: "Mac Studio (M2 Ultra) with 64 GB, metal
/// (detected: ...)".
pub fn machine_words(m: &MachineSummary) -> String {
    format!(
        "{} with {} GB, {} ({})",
        m.name, m.per_device_gb, m.runtime, m.how
    )
}

/// Where a model was found and what it is: "Ollama; Qwen3-Coder 30B-A3B (catalogue model,
/// matched by architecture); Q4_K_M, 17.3 GiB of weights from ...".
pub fn source_words(m: &ModelDiagnosis) -> String {
    let source = match m.source {
        ModelSource::Ollama => "Ollama",
        ModelSource::LmStudio => "LM Studio",
        ModelSource::LlamaCpp => "llama.cpp cache",
        ModelSource::File => "file",
    };
    match &m.identity {
        Some(id) => {
            let how = match id.matched_by {
                MatchedBy::Architecture => "catalogue model, matched by architecture",
                MatchedBy::Name => "catalogue model, matched by name",
                MatchedBy::ReadFromFile => "not in the catalogue: read from the file",
            };
            format!(
                "{source}; {} ({how}); {}, {} of weights from {}",
                id.model_name,
                id.quant,
                gib(id.weights_bytes),
                id.weights_source
            )
        }
        None => source.to_owned(),
    }
}

/// One model's overall answer.
pub fn verdict_words(verdict: Verdict) -> &'static str {
    match verdict {
        Verdict::Fine => "nothing to fix",
        Verdict::Settings => "a setting is the limit, not your hardware",
        Verdict::Hardware => "your hardware is a limit even after the settings are fixed",
        Verdict::Unreadable => "could not be read",
    }
}

/// Where a context limit was read.
pub fn limit_detail_words(detail: &LimitDetail) -> String {
    match detail {
        LimitDetail::OllamaNumCtx => "num_ctx in the model's params".to_owned(),
        LimitDetail::ConfiguredContext => "the configured context".to_owned(),
        LimitDetail::UnreadableParams => "unknown: the model's params are unreadable (see its problems), so its num_ctx cannot be known; Ollama's default is assumed".to_owned(),
        LimitDetail::OllamaContextLength => {
            "OLLAMA_CONTEXT_LENGTH (the model's params set no num_ctx)".to_owned()
        }
        LimitDetail::OllamaDefault => format!(
            "Ollama's default, since the model's params set no num_ctx ({} on many versions; assumed)",
            thousands(OLLAMA_ASSUMED_DEFAULT_CONTEXT_TOKENS)
        ),
        LimitDetail::ClientLimit => "your client's context limit".to_owned(),
        LimitDetail::Loaded => "the context Ollama loaded it with, per /api/ps".to_owned(),
        LimitDetail::NameLabel { label } => format!("the name's `{label}` label"),
    }
}

/// "num_ctx in the model's params (the name's `v-128k` label says the same)".
fn binding_words(limits: &[ContextLimit], binding: &[LimitSource]) -> String {
    let detail = |s: LimitSource| {
        limits
            .iter()
            .find(|l| l.source == s)
            .map_or_else(String::new, |l| limit_detail_words(&l.detail))
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

/// The context finding: which limit binds, and whether it is a setting or the memory.
pub fn context_words(c: &ContextFinding) -> String {
    let best_fit = c.best_fit_tokens();
    let native = c.native_tokens;
    let effective = c.effective_limit_tokens;
    let target = c.target_tokens;
    let spare = gib(c.spare_bytes_at_target.max(0.0));
    let sources = binding_words(&c.limits, &c.binding);
    let once_raised = if c.target_needs_setting {
        let how = c
            .memory_setting
            .as_deref()
            .unwrap_or("the GPU memory limit");
        format!(" once the GPU memory limit is raised (`{how}`)")
    } else {
        String::new()
    };
    if best_fit == 0 {
        format!(
            "the model does not fit in this machine's memory at any context ({} of weights): memory is the limit here, not a setting",
            gib(c.weights_bytes)
        )
    } else if c.setting_binding {
        let fits = if target == native {
            format!(
                "the model supports {} and {} fits in your memory{once_raised} with {spare} to spare",
                thousands(native),
                thousands(native)
            )
        } else {
            format!(
                "the model supports {} and your memory holds up to {} of it{once_raised}",
                thousands(native),
                thousands(target)
            )
        };
        format!(
            "your limit is {}, set by {sources}; {fits}: this is a setting, not your hardware",
            thousands(effective)
        )
    } else if effective > best_fit {
        let default_limit = match c.max_fit_tokens_with_setting {
            Some(tuned) if tuned > c.max_fit_tokens => format!(
                " ({} with the default GPU memory limit)",
                thousands(c.max_fit_tokens)
            ),
            _ => String::new(),
        };
        format!(
            "your limit is {}, set by {sources}, but only {} tokens of context fit in your memory{default_limit}: memory is the limit here",
            thousands(effective),
            thousands(best_fit)
        )
    } else if c.limits.is_empty() {
        format!(
            "no context limit is configured; the model supports {} and that fits in your memory with {spare} to spare",
            thousands(native)
        )
    } else {
        format!(
            "your limit is {}, set by {sources}; the model supports {} and {} fits with {spare} to spare: nothing to change",
            thousands(effective),
            thousands(native),
            thousands(target.min(effective))
        )
    }
}

/// What the server's environment does to the KV cache.
pub fn kv_note_words(note: &KvNote) -> String {
    match note {
        KvNote::NotAccepted { wanted } => format!(
            "OLLAMA_KV_CACHE_TYPE={wanted} is not a cache type Ollama accepts ({}); Ollama falls back to {DEFAULT_KV_TYPE} for it, so {DEFAULT_KV_TYPE} is assumed",
            OLLAMA_KV_TYPES.join(", ")
        ),
        KvNote::NeedsFlashAttention { wanted } => format!(
            "OLLAMA_KV_CACHE_TYPE={wanted} is set, but Ollama quantizes the KV cache only with OLLAMA_FLASH_ATTENTION=1, so this model's cache stays {DEFAULT_KV_TYPE}"
        ),
        KvNote::UnknownToCatalogue { wanted, known } => format!(
            "OLLAMA_KV_CACHE_TYPE={wanted} is not a cache type headroom knows ({}); {DEFAULT_KV_TYPE} is assumed",
            known.join(", ")
        ),
        KvNote::Applied {
            kv_type,
            bytes_per_element,
        } => format!(
            "Ollama keeps this model's KV cache as {kv_type} (OLLAMA_KV_CACHE_TYPE with flash attention on): {bytes_per_element} bytes per element instead of 2"
        ),
    }
}

/// What a quantized KV cache would hold.
pub fn kv_suggestion_words(s: &KvSuggestion) -> String {
    // f16 stores 2 bytes per element.
    let share = s.bytes_per_element / 2.0 * 100.0;
    let asked = thousands(s.asked_tokens);
    format!(
        "a {} KV cache takes {share:.0}% of the f16 one: {} tokens of context fit instead of {}{}",
        s.kv_type,
        thousands(s.max_fit_tokens),
        thousands(s.before_tokens),
        if s.fits_asked {
            format!(", enough for the {asked} asked")
        } else {
            format!(", still short of the {asked} asked")
        }
    )
}

/// The prefill of the largest prompt against the context limit and the timeout.
pub fn prefill_words(p: &PrefillFinding) -> Vec<String> {
    let prompt = thousands(p.prompt_tokens);
    let mut out = Vec::new();
    if p.over_native {
        out.push(format!(
            "a {prompt}-token prompt is longer than the model's native {}-token context: no setting or machine makes it fit; split the work or use a model with a longer context",
            thousands(p.native_tokens)
        ));
    } else if p.over_context_limit {
        let after = if p.prompt_tokens <= p.target_tokens {
            format!(
                "the fix below raises the limit to {}",
                thousands(p.target_tokens)
            )
        } else {
            format!(
                "only {} tokens fit in your memory",
                thousands(p.target_tokens)
            )
        };
        out.push(format!(
            "a {prompt}-token prompt is over your {}-token limit: the request overflows the context ({after})",
            thousands(p.limit_tokens)
        ));
    }
    if !p.fits_in_memory {
        out.push(format!(
            "at a {}-token context the model does not fit in this machine's memory, so no prefill time can be predicted",
            thousands(p.context_tokens)
        ));
        return out;
    }
    let (Some(secs), Some(rate), Some(limit), Some(suggested)) = (
        p.predicted_secs,
        p.prefill_tokens_per_s,
        p.prefill_limit,
        p.suggested_timeout_secs,
    ) else {
        return out;
    };
    let needs = format!(
        "a {prompt}-token prompt needs {} to prefill here ({rate:.0} tok/s on average, limited by {}, slowing as the context fills)",
        duration_words(secs),
        limit_words(limit)
    );
    out.push(match (p.timeout_secs, p.cut_off) {
        (Some(timeout), Some(true)) => format!(
            "{needs}; a {timeout:.0} s timeout will cut it off: raise the timeout to at least {suggested} s or keep prompts under {} tokens",
            thousands(p.max_prompt_tokens_within_timeout.unwrap_or(0))
        ),
        (Some(timeout), _) => format!(
            "{needs}, within your {timeout:.0} s timeout ({:.0} s to spare)",
            timeout - secs
        ),
        (None, _) => format!("{needs}; make sure your client's timeout is at least {suggested} s"),
    });
    out
}

/// Whether another machine would help once the settings are fixed.
pub fn hardware_words(h: &HardwareFinding) -> String {
    let prompt = thousands(h.prompt_tokens);
    if h.over_native {
        return format!(
            "no machine helps with a {prompt}-token prompt on this model: it is longer than the model's native context"
        );
    }
    let name = &h.machine_name;
    let timeout = h.timeout_secs.map_or_else(
        || "no timeout".to_owned(),
        |t| format!("a {t:.0} s timeout"),
    );
    let budget = usd(h.budget_max_usd);
    let offer = |prefix: &str| {
        match &h.cheapest_within_timeout {
        Some(b) => format!(
            "{prefix} the cheapest machine within {budget} that prefills {prompt} tokens within {timeout} is the {}, {:.0} GB for {}{}",
            b.machine_name,
            b.total_memory_gb,
            usd(b.price_usd),
            b.predicted_secs
                .map(|s| format!(": {}", duration_words(s)))
                .unwrap_or_default()
        ),
        None => format!(
            "{prefix} no machine within {budget} prefills {prompt} tokens within {timeout}"
        ),
    }
    };
    if h.current_serves_within_timeout {
        format!(
            "hardware would not help: once the settings are fixed, your {name} serves a {prompt}-token prompt within {timeout}; spend nothing"
        )
    } else if h.current_serves_after_fix {
        format!(
            "hardware would not help once the timeout is raised: your {name} serves a {prompt}-token prompt, only slower than {timeout}. {}",
            offer("If the timeout cannot change,")
        )
    } else {
        format!(
            "your {name} cannot hold a {prompt}-token context for this model even with the settings fixed. {}",
            offer("Within your budget,")
        )
    }
}

/// One model's findings, most important first: the context, the KV cache, the prompt, and
/// only then the hardware.
pub fn findings_words(m: &ModelDiagnosis) -> Vec<String> {
    if m.verdict == Verdict::Unreadable {
        return vec![format!(
            "{}: {}",
            m.name,
            m.error.as_deref().unwrap_or("could not be read")
        )];
    }
    let mut out = Vec::new();
    out.extend(m.context.as_ref().map(context_words));
    out.extend(m.kv_note.as_ref().map(kv_note_words));
    out.extend(m.kv_suggestion.as_ref().map(kv_suggestion_words));
    out.extend(m.prefill.iter().flat_map(prefill_words));
    out.extend(m.hardware.as_ref().map(hardware_words));
    if let Some(e) = &m.error {
        out.push(format!(
            "the file could not be read ({e}); the catalogue's figures were used"
        ));
    }
    out
}

/// One step of the fix, as an instruction.
pub fn fix_step_words(step: &FixStep) -> String {
    match step {
        FixStep::RaiseGpuMemoryLimit { tokens, setting } => format!(
            "Raise the GPU memory limit so {} tokens fit: `{setting}`.",
            thousands(*tokens)
        ),
        FixStep::RecreateOllamaModel { create, new_name } => format!(
            "Save the Modelfile below as `Modelfile`, run `{create}`, and point your client at `{new_name}` (same weights, no download)."
        ),
        FixStep::LoadWithContext { tokens } => format!(
            "Load the model with a context of {} tokens (llama.cpp: `-c {tokens}`; LM Studio: Context Length).",
            thousands(*tokens)
        ),
        FixStep::ClientContextLimit { tokens } => format!(
            "Set your client's context limit to {} tokens.",
            thousands(*tokens)
        ),
        FixStep::ClientTimeout {
            at_least_secs,
            prompt_tokens,
            predicted_secs,
        } => format!(
            "Set your client's request timeout to at least {at_least_secs} s (the prefill of a {}-token prompt takes {} here).",
            thousands(*prompt_tokens),
            duration_words(*predicted_secs)
        ),
        FixStep::QuantizedKvCache {
            kv_type,
            max_fit_tokens,
        } => format!(
            "Or shrink the KV cache instead: start the Ollama server with OLLAMA_FLASH_ATTENTION=1 and OLLAMA_KV_CACHE_TYPE={kv_type}; each token's cache takes about half the memory, so {} tokens fit with the default GPU memory limit (use that as num_ctx).",
            thousands(*max_fit_tokens)
        ),
    }
}
