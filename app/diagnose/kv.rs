//! The KV cache type of an Ollama-served model: what the server's environment makes it, and
//! whether a quantized cache would let the context asked for fit where an f16 one does not.
//!
//! Ollama stores the cache as `OLLAMA_KV_CACHE_TYPE` (f16, q8_0, q4_0) only when flash
//! attention is on (`OLLAMA_FLASH_ATTENTION=1`); without it the variable is inert and the cache
//! stays f16 (the catalogue's q8_0 notes; measured on Ollama 0.20: a q8_0 setting without
//! flash attention left the KV slope at f16's 12 KiB per token for Qwen2.5-0.5B).

use serde::Serialize;

use super::context::ContextFinding;
use super::identify::Resolved;
use super::{MachineSetup, DEFAULT_KV_TYPE};
use crate::engine::memory::{max_context_tokens, LoadedModel};
use crate::engine::types::{Catalog, RuntimeProfile};
use crate::local::ollama::OllamaKvSettings;

/// The quantized cache type suggested when memory binds: half of f16, and close to it in
/// quality (q4_0 loses noticeably at long context, per the catalogue's notes).
pub const SUGGESTED_KV_TYPE: &str = "q8_0";

/// The cache types Ollama accepts in `OLLAMA_KV_CACHE_TYPE`; it falls back to f16 (with a
/// warning in its log) for anything else (Ollama's `kvCacheTypeFromStr`).
pub const OLLAMA_KV_TYPES: &[&str] = &["f16", "q8_0", "q4_0"];

/// What the server's environment does to a model's KV cache; the front ends word it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum KvNote {
    /// `OLLAMA_KV_CACHE_TYPE` names a type Ollama does not accept: it falls back to f16.
    NotAccepted { wanted: String },
    /// The type is set, but flash attention is off, so the cache stays f16.
    NeedsFlashAttention { wanted: String },
    /// Ollama accepts the type but the catalogue lacks it: f16 is assumed.
    UnknownToCatalogue { wanted: String, known: Vec<String> },
    /// The cache is kept as this type.
    Applied {
        kv_type: String,
        bytes_per_element: f64,
    },
}

/// Sets `resolved`'s cache type to what Ollama uses under `settings`. Returns a note when
/// the environment asks for a cache type, saying what happens.
pub fn apply(
    catalog: &Catalog,
    settings: &OllamaKvSettings,
    resolved: &mut Resolved,
) -> Option<KvNote> {
    let wanted = settings.cache_type.as_deref()?.trim().to_ascii_lowercase();
    if wanted.is_empty() || wanted == DEFAULT_KV_TYPE {
        return None;
    }
    if !OLLAMA_KV_TYPES.contains(&wanted.as_str()) {
        return Some(KvNote::NotAccepted {
            wanted: crate::local::printable(&wanted),
        });
    }
    if !settings.flash_attention {
        return Some(KvNote::NeedsFlashAttention { wanted });
    }
    let Some(kv) = catalog.kv_type(&wanted) else {
        let known = catalog.kv_types.iter().map(|k| k.id.clone()).collect();
        return Some(KvNote::UnknownToCatalogue { wanted, known });
    };
    resolved.kv = kv.clone();
    resolved.identity.kv_type = kv.id.clone();
    Some(KvNote::Applied {
        kv_type: kv.id.clone(),
        bytes_per_element: kv.bytes_per_element.value,
    })
}

/// A quantized cache that would fit more context.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct KvSuggestion {
    /// The suggested cache type.
    pub kv_type: String,
    /// Its bytes per element (f16: 2).
    pub bytes_per_element: f64,
    /// The largest context that fits with the suggested cache type (default memory setting).
    pub max_fit_tokens: u64,
    /// The largest context that fits with the cache as it is.
    pub before_tokens: u64,
    /// The context asked for.
    pub asked_tokens: u64,
    /// The context asked for fits with it.
    pub fits_asked: bool,
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
    Some(KvSuggestion {
        kv_type: kv.id.clone(),
        bytes_per_element: kv.bytes_per_element.value,
        max_fit_tokens: max_fit,
        before_tokens: before,
        asked_tokens: context.asked_tokens,
        fits_asked,
    })
}
