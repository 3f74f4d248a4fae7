//! The KV cache type of an Ollama-served model: what the server's environment makes it, and
//! whether a quantized cache would let the context asked for fit where an f16 one does not.
//!
//! Ollama stores the cache as `OLLAMA_KV_CACHE_TYPE` (f16, q8_0, q4_0) only when flash
//! attention is on (`OLLAMA_FLASH_ATTENTION=1`); without it the variable is inert and the cache
//! stays f16 (the catalogue's q8_0 notes; measured on Ollama 0.20: a q8_0 setting without
//! flash attention left the KV slope at f16's 12 KiB per token for Qwen2.5-0.5B).

use super::context::ContextFinding;
use super::identify::Resolved;
use super::{MachineSetup, DEFAULT_KV_TYPE};
use crate::engine::memory::{max_context_tokens, LoadedModel};
use crate::engine::rank::thousands;
use crate::engine::types::{Catalog, RuntimeProfile};
use crate::local::ollama::OllamaKvSettings;

/// The quantized cache type suggested when memory binds: half of f16, and close to it in
/// quality (q4_0 loses noticeably at long context, per the catalogue's notes).
pub const SUGGESTED_KV_TYPE: &str = "q8_0";

/// The cache types Ollama accepts in `OLLAMA_KV_CACHE_TYPE`; it falls back to f16 (with a
/// warning in its log) for anything else (Ollama's `kvCacheTypeFromStr`).
pub const OLLAMA_KV_TYPES: &[&str] = &["f16", "q8_0", "q4_0"];

/// Sets `resolved`'s cache type to what Ollama uses under `settings`. Returns a sentence when
/// the environment asks for a cache type, saying what happens.
pub fn apply(
    catalog: &Catalog,
    settings: &OllamaKvSettings,
    resolved: &mut Resolved,
) -> Option<String> {
    let wanted = settings.cache_type.as_deref()?.trim().to_ascii_lowercase();
    if wanted.is_empty() || wanted == DEFAULT_KV_TYPE {
        return None;
    }
    if !OLLAMA_KV_TYPES.contains(&wanted.as_str()) {
        return Some(format!(
            "OLLAMA_KV_CACHE_TYPE={} is not a cache type Ollama accepts ({}); Ollama falls back to {DEFAULT_KV_TYPE} for it, so {DEFAULT_KV_TYPE} is assumed",
            crate::local::printable(&wanted),
            OLLAMA_KV_TYPES.join(", ")
        ));
    }
    if !settings.flash_attention {
        return Some(format!(
            "OLLAMA_KV_CACHE_TYPE={wanted} is set, but Ollama quantizes the KV cache only with OLLAMA_FLASH_ATTENTION=1, so this model's cache stays {DEFAULT_KV_TYPE}"
        ));
    }
    let Some(kv) = catalog.kv_type(&wanted) else {
        let known: Vec<&str> = catalog.kv_types.iter().map(|k| k.id.as_str()).collect();
        return Some(format!(
            "OLLAMA_KV_CACHE_TYPE={wanted} is not a cache type headroom knows ({}); {DEFAULT_KV_TYPE} is assumed",
            known.join(", ")
        ));
    };
    resolved.kv = kv.clone();
    resolved.identity.kv_type = kv.id.clone();
    Some(format!(
        "Ollama keeps this model's KV cache as {} (OLLAMA_KV_CACHE_TYPE with flash attention on): {} bytes per element instead of 2",
        kv.id, kv.bytes_per_element.value
    ))
}

/// A quantized cache that would fit more context.
#[derive(Clone, Debug, PartialEq)]
pub struct KvSuggestion {
    /// The largest context that fits with the suggested cache type (default memory setting).
    pub max_fit_tokens: u64,
    /// The context asked for fits with it.
    pub fits_asked: bool,
    /// The finding in words.
    pub sentence: String,
    /// The step to take.
    pub step: String,
}

/// When memory cannot hold the context asked for and the cache is f16, what a q8_0 cache
/// would hold.
pub fn suggest(
    catalog: &Catalog,
    loaded: LoadedModel<'_>,
    setup: MachineSetup<'_>,
    profile: &RuntimeProfile,
    context: &ContextFinding,
) -> Option<KvSuggestion> {
    if !context.memory_binding || loaded.kv.id != DEFAULT_KV_TYPE {
        return None;
    }
    let kv = catalog.kv_type(SUGGESTED_KV_TYPE)?;
    let quantized = LoadedModel { kv, ..loaded };
    let cap = context.native_tokens.max(context.effective_limit_tokens);
    // With the default GPU memory limit: the suggestion stands on its own.
    let max_fit = max_context_tokens(
        setup.machine,
        setup.per_device_gb,
        profile,
        quantized,
        cap,
        false,
    );
    let before = context.max_fit_tokens;
    if max_fit <= before {
        return None;
    }
    let fits_asked = max_fit >= context.asked_tokens;
    let sentence = format!(
        "a {} KV cache takes {:.0}% of the f16 one: {} tokens of context fit instead of {}{}",
        kv.id,
        kv.bytes_per_element.value / 2.0 * 100.0,
        thousands(max_fit),
        thousands(before),
        if fits_asked {
            format!(", enough for the {} asked", thousands(context.asked_tokens))
        } else {
            format!(
                ", still short of the {} asked",
                thousands(context.asked_tokens)
            )
        }
    );
    let step = format!(
        "Or shrink the KV cache instead: start the Ollama server with OLLAMA_FLASH_ATTENTION=1 and OLLAMA_KV_CACHE_TYPE={}; each token's cache takes about half the memory, so {} tokens fit with the default GPU memory limit (use that as num_ctx).",
        kv.id,
        thousands(max_fit)
    );
    Some(KvSuggestion {
        max_fit_tokens: max_fit,
        fits_asked,
        sentence,
        step,
    })
}
