//! The edge of the diagnosis: reads the local models (Ollama store, GGUF files) and asks a
//! running Ollama what it serves. Read-only and bounded; Ollama not running is a note, never
//! an error. The merging of API answers into local models is pure and tested on its own.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::local::gguf::GgufInfo;
use crate::local::ollama::{context_label_in_name, ApiModel, ApiShow, OllamaClient};
use crate::local::scan::{scan_local, LocalModel, ModelSource, ScanLimits, ScanRoots};

/// What was found on this machine.
#[derive(Clone, Debug, Default)]
pub struct Gathered {
    /// Every model, from the store, the files and the API.
    pub models: Vec<LocalModel>,
    /// The context each model is loaded with now, by name (`/api/ps`).
    pub loaded_context_tokens: BTreeMap<String, u64>,
    /// Whether a running Ollama answered.
    pub api_answered: bool,
    /// What happened, in one line each (Ollama down, unreadable folders, bounds hit).
    pub notes: Vec<String>,
}

/// The longest the Ollama API scan runs in all: each request has its own timeouts, and
/// this bounds their sum, so a server that stops answering costs seconds, not minutes.
pub const API_SCAN_DEADLINE: Duration = Duration::from_secs(8);

/// Reads `roots`, then asks `client` (when given) about the models it serves, within
/// [`API_SCAN_DEADLINE`].
pub fn gather(roots: &ScanRoots, client: Option<&OllamaClient>) -> Gathered {
    gather_within(roots, client, API_SCAN_DEADLINE)
}

/// [`gather`] with the API scan's overall deadline given: once it has passed, the models
/// not yet asked about are given up on, with a note saying how many and after how long.
pub fn gather_within(
    roots: &ScanRoots,
    client: Option<&OllamaClient>,
    deadline: Duration,
) -> Gathered {
    let started = Instant::now();
    let report = scan_local(roots, ScanLimits::default());
    let mut out = Gathered {
        models: report.models,
        notes: report.problems,
        ..Gathered::default()
    };
    if report.truncated {
        out.notes
            .push("the folder walk stopped at its bound; some models may be missing".to_owned());
    }
    let Some(client) = client else {
        return out;
    };
    let tags = match client.tags() {
        Ok(tags) => tags,
        Err(e) => {
            out.notes
                .push(format!("{e}; diagnosed from the files alone"));
            return out;
        }
    };
    out.api_answered = true;
    for (i, tag) in tags.iter().enumerate() {
        if started.elapsed() >= deadline {
            out.notes.push(format!(
                "gave up on {} models after {:.1} s: the Ollama API stopped answering in time (/api/show); they are diagnosed from the files alone",
                tags.len() - i,
                started.elapsed().as_secs_f64()
            ));
            return out;
        }
        match client.show(&tag.name) {
            Ok(show) => merge_show(&mut out.models, tag, &show, client.base_url()),
            Err(e) => out.notes.push(e.to_string()),
        }
    }
    if started.elapsed() >= deadline {
        out.notes.push(format!(
            "did not ask which models are loaded (/api/ps): the Ollama API scan's {:.0} s deadline passed",
            deadline.as_secs_f64()
        ));
        return out;
    }
    match client.ps() {
        Ok(running) => {
            for r in running {
                if let Some(ctx) = r.context_length_tokens {
                    out.loaded_context_tokens.insert(r.name, ctx);
                }
            }
        }
        Err(e) => out.notes.push(e.to_string()),
    }
    out
}

fn value_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f as u64)),
        // Per-layer values: the largest.
        Value::Array(items) => items.iter().filter_map(value_u64).max(),
        _ => None,
    }
}

/// A GGUF summary from `/api/show`'s `model_info`, which carries the header's metadata.
/// `size_bytes` (from `/api/tags`) stands in for the tensor bytes.
pub fn info_from_show(show: &ApiShow, size_bytes: u64) -> Option<GgufInfo> {
    let arch = show.architecture.clone()?;
    let get = |key: &str| {
        show.model_info
            .get(&format!("{arch}.{key}"))
            .and_then(value_u64)
    };
    let quant = show.details.quantization_level.trim();
    Some(GgufInfo {
        architecture: Some(arch.clone()),
        name: show
            .model_info
            .get("general.basename")
            .and_then(Value::as_str)
            .map(str::to_owned),
        file_type_name: (!quant.is_empty()).then(|| quant.to_owned()),
        context_length_tokens: show.native_context_tokens.or_else(|| get("context_length")),
        block_count: get("block_count"),
        embedding_length: get("embedding_length"),
        feed_forward_length: get("feed_forward_length"),
        expert_feed_forward_length: get("expert_feed_forward_length"),
        head_count: get("attention.head_count"),
        head_count_kv: get("attention.head_count_kv"),
        key_length: get("attention.key_length"),
        value_length: get("attention.value_length"),
        sliding_window_tokens: get("attention.sliding_window"),
        expert_count: get("expert_count"),
        expert_used_count: get("expert_used_count"),
        vocab_size: get("vocab_size"),
        total_elements: show
            .model_info
            .get("general.parameter_count")
            .and_then(value_u64)
            .unwrap_or(0),
        total_tensor_bytes: size_bytes,
        ..GgufInfo::default()
    })
}

/// `/api/show`'s parameters as a params map: numbers as numbers, repeated keys (`stop`) as
/// arrays.
pub fn params_from_show(show: &ApiShow) -> BTreeMap<String, Value> {
    let mut out: BTreeMap<String, Value> = BTreeMap::new();
    for (key, text) in &show.parameters {
        let value = text
            .parse::<u64>()
            .map(Value::from)
            .or_else(|_| text.parse::<f64>().map(Value::from))
            .unwrap_or_else(|_| Value::from(text.clone()));
        match out.get_mut(key) {
            Some(Value::Array(items)) => items.push(value),
            Some(existing) => {
                let first = existing.take();
                *existing = Value::Array(vec![first, value]);
            }
            None => {
                let value = if key == "stop" {
                    Value::Array(vec![value])
                } else {
                    value
                };
                out.insert(key.clone(), value);
            }
        }
    }
    out
}

/// Folds one `/api/show` answer into the models: the server's `num_ctx` is what it uses, so it
/// replaces the store's; a model only the API knows becomes a model of its own.
pub fn merge_show(models: &mut Vec<LocalModel>, tag: &ApiModel, show: &ApiShow, base_url: &str) {
    let info = info_from_show(show, tag.size_bytes);
    if let Some(local) = models
        .iter_mut()
        .find(|m| m.source == ModelSource::Ollama && m.name == tag.name)
    {
        if show.num_ctx_tokens.is_some() {
            local.configured_context_tokens = show.num_ctx_tokens;
        }
        if let (Err(_), Some(info)) = (&local.gguf, info) {
            local.gguf = Ok(info);
        }
        return;
    }
    models.push(LocalModel {
        source: ModelSource::Ollama,
        name: tag.name.clone(),
        path: PathBuf::from(format!("{base_url}/api/show ({})", tag.name)),
        file_bytes: Some(tag.size_bytes),
        gguf: info
            .ok_or_else(|| format!("{base_url}/api/show gave no model_info for {}", tag.name)),
        configured_context_tokens: show.num_ctx_tokens,
        context_label_tokens: context_label_in_name(&tag.name),
        params: params_from_show(show),
        problems: Vec::new(),
    });
}
