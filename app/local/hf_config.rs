//! Builds a catalogue model entry ([`RawModel`]) from a Hugging Face `config.json` or from a
//! GGUF header, for `headroom add-model`.
//!
//! Pure: text or a parsed header in, an entry or an error naming the field out. The shapes
//! the engine sizes a model by (layers, KV heads, head size, experts, sliding-window and
//! latent attention) are read as the file gives them; parameter counts are computed from
//! the tensor shapes the config implies (norms and biases left out, a few millionths of the
//! total), and the entry's notes say so.

use std::fmt;
use std::path::Path;

use serde_json::{Map, Value};

use super::gguf::GgufInfo;
use super::scan::{LocalModel, ModelSource};
use crate::catalog::raw::{Attention, Embeddings, Moe, RawGgufFile, RawModel};
use crate::engine::types::Model;

/// The largest `config.json` read: real ones are a few KB.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// MXFP4 as gpt-oss ships its experts: 32 FP4 values and one shared 8-bit scale.
const MXFP4_BITS_PER_WEIGHT: f64 = 4.25;

/// Why a `config.json` gives no model: the field at fault and what is wrong with it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HfConfigError {
    /// The JSON key (`num_hidden_layers`), or `(file)` for a syntax error.
    pub field: String,
    pub message: String,
}

impl fmt::Display for HfConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.field == "(file)" {
            write!(f, "{}", self.message)
        } else {
            write!(f, "field \"{}\": {}", self.field, self.message)
        }
    }
}

impl std::error::Error for HfConfigError {}

fn err(field: &str, message: impl Into<String>) -> HfConfigError {
    HfConfigError {
        field: field.to_owned(),
        message: message.into(),
    }
}

/// What the caller knows that `config.json` does not say.
#[derive(Clone, Debug, Default)]
pub struct EntryNames {
    /// Catalogue id; default: derived from the name.
    pub id: Option<String>,
    /// Display name; default: `_name_or_path` or the file's name.
    pub name: Option<String>,
    /// `owner/name` on Hugging Face, for the entry and its source URL.
    pub hf_repo: Option<String>,
}

/// A lower-case catalogue id from a name: letters, digits, `.`; everything else becomes `-`.
pub fn slug(name: &str) -> String {
    let mut out = String::new();
    for c in name.trim().chars() {
        if c.is_ascii_alphanumeric() || c == '.' {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_matches('-').to_owned()
}

/// The name a config file stands for when nothing else says: `Foo.config.json` -> `Foo`,
/// `Foo/config.json` -> `Foo`.
pub fn name_from_path(path: &Path) -> Option<String> {
    let file = path.file_name()?.to_str()?;
    let stem = file.strip_suffix(".json").unwrap_or(file);
    let stem = stem.strip_suffix(".config").unwrap_or(stem);
    if stem == "config" || stem.is_empty() {
        path.parent()?
            .file_name()?
            .to_str()
            .map(str::to_owned)
            .filter(|s| !s.is_empty())
    } else {
        Some(stem.to_owned())
    }
}

/// The keys of a config, the text model's own (`text_config`, as Gemma 3, Mistral 3 and
/// Llama 4 nest them) before the top level.
struct Keys<'a> {
    text: Option<&'a Map<String, Value>>,
    root: &'a Map<String, Value>,
}

impl<'a> Keys<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.text
            .and_then(|t| t.get(key))
            .or_else(|| self.root.get(key))
            .filter(|v| !v.is_null())
    }

    /// The first of `keys` present, as a non-negative integer, with the key it was under.
    fn uint<'k>(&self, keys: &[&'k str]) -> Result<Option<(u64, &'k str)>, HfConfigError> {
        for key in keys {
            if let Some(v) = self.get(key) {
                let n = v
                    .as_u64()
                    .or_else(|| {
                        v.as_f64()
                            .filter(|f| f.fract() == 0.0 && *f >= 0.0 && *f < 1e15)
                            .map(|f| f as u64)
                    })
                    .ok_or_else(|| {
                        err(
                            key,
                            format!("must be a non-negative whole number, found {v}"),
                        )
                    })?;
                return Ok(Some((n, key)));
            }
        }
        Ok(None)
    }

    /// The first of `keys` present, which must be a whole number above zero.
    fn required(&self, keys: &[&str], what: &str) -> Result<u64, HfConfigError> {
        match self.uint(keys)? {
            Some((0, key)) => Err(err(key, format!("{what} must be above zero, found 0"))),
            Some((n, _)) => Ok(n),
            None => Err(err(
                keys[0],
                format!(
                    "missing: the {what} is needed to size the model{}",
                    if keys.len() > 1 {
                        format!(" (also looked for {})", keys[1..].join(", "))
                    } else {
                        String::new()
                    }
                ),
            )),
        }
    }

    fn optional(&self, keys: &[&str]) -> Result<Option<u64>, HfConfigError> {
        Ok(self.uint(keys)?.map(|(n, _)| n))
    }

    fn bool(&self, key: &str) -> Result<Option<bool>, HfConfigError> {
        match self.get(key) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(v) => Err(err(key, format!("must be true or false, found {v}"))),
        }
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key).and_then(Value::as_str)
    }
}

/// The shapes read from a config, before the entry is assembled.
struct Shapes {
    layers: u64,
    hidden: u64,
    heads: u64,
    kv_heads: u64,
    head_dim: u64,
    vocab: u64,
    tied: bool,
    attention: Attention,
    moe: Option<Moe>,
}

/// Parses a Hugging Face `config.json` into a catalogue model entry. `path` is only shown.
pub fn model_from_hf_config(
    text: &str,
    path: &Path,
    names: &EntryNames,
) -> Result<RawModel, HfConfigError> {
    let value: Value = serde_json::from_str(text).map_err(|e| {
        err(
            "(file)",
            format!(
                "not valid JSON at line {}, column {}: {e}",
                e.line(),
                e.column()
            ),
        )
    })?;
    let Value::Object(root) = &value else {
        return Err(err("(file)", "a config.json is a JSON object ({ ... })"));
    };
    let text_config = match root.get("text_config") {
        None | Some(Value::Null) => None,
        Some(Value::Object(t)) => Some(t),
        Some(v) => return Err(err("text_config", format!("must be an object, found {v}"))),
    };
    let keys = Keys {
        text: text_config,
        root,
    };

    let layers = keys.required(
        &["num_hidden_layers", "n_layer", "num_layers"],
        "layer count",
    )?;
    let hidden = keys.required(&["hidden_size", "n_embd", "d_model"], "hidden size")?;
    let heads = keys.required(&["num_attention_heads", "n_head"], "attention head count")?;
    let vocab = keys.required(&["vocab_size"], "vocabulary size")?;
    let context = keys.required(
        &[
            "max_position_embeddings",
            "n_positions",
            "max_sequence_length",
            "seq_length",
        ],
        "context length",
    )?;
    let kv_lora = keys.optional(&["kv_lora_rank"])?;
    let mla = kv_lora.is_some();
    let kv_heads = if mla {
        heads
    } else {
        keys.optional(&[
            "num_key_value_heads",
            "num_kv_heads",
            "multi_query_group_num",
        ])?
        .unwrap_or(heads)
    };
    if kv_heads == 0 || kv_heads > heads {
        return Err(err(
            "num_key_value_heads",
            format!("must be between 1 and num_attention_heads ({heads}), found {kv_heads}"),
        ));
    }
    let head_dim = match keys.optional(&["head_dim"])? {
        Some(d) if d > 0 => d,
        _ if mla => keys
            .optional(&["v_head_dim", "qk_nope_head_dim"])?
            .filter(|d| *d > 0)
            .ok_or_else(|| err("v_head_dim", "missing: latent attention needs the value head size"))?,
        _ if hidden % heads == 0 => hidden / heads,
        _ => {
            return Err(err(
                "head_dim",
                format!("missing, and hidden_size {hidden} is not a multiple of num_attention_heads {heads}"),
            ))
        }
    };
    // transformers' PretrainedConfig ties the embeddings unless the config says otherwise.
    let tied = keys.bool("tie_word_embeddings")?.unwrap_or(true);
    let attention = attention(&keys, layers, kv_lora)?;
    let moe = moe(&keys)?;
    let shapes = Shapes {
        layers,
        hidden,
        heads,
        kv_heads,
        head_dim,
        vocab,
        tied,
        attention,
        moe,
    };
    let (total, active) = parameters(&keys, &shapes)?;

    let model_type = keys.str("model_type").unwrap_or("unknown");
    let name = names
        .name
        .clone()
        .or_else(|| {
            root.get("_name_or_path")
                .and_then(Value::as_str)
                .filter(|s| !s.is_empty())
                .map(|s| s.rsplit('/').next().unwrap_or(s).to_owned())
        })
        .or_else(|| name_from_path(path))
        .unwrap_or_else(|| model_type.to_owned());
    let id = names.id.clone().unwrap_or_else(|| slug(&name));
    let hf_repo = names.hf_repo.clone().unwrap_or_default();
    let context_extended = extended_context(&keys, context)?;
    let mut sources = Vec::new();
    if !hf_repo.is_empty() {
        sources.push(format!(
            "https://huggingface.co/{hf_repo}/blob/main/config.json"
        ));
    }
    sources.push(format!("derived: read from {}", path.display()));
    let mut notes = format!(
        "Added by headroom add-model from {} (model_type {model_type}). Shapes as the config gives them; parameter counts computed from the tensor shapes they imply (norms and biases left out).",
        path.display()
    );
    if let Attention::SlidingWindow {
        window,
        sliding_layers,
    } = shapes.attention
    {
        notes +=
            &format!(" {sliding_layers} of {layers} layers keep only the last {window} tokens.");
    }
    if keys.get("attention_chunk_size").is_some() {
        notes += " Chunked attention is sized as a sliding window of the chunk: an upper bound.";
    }
    if mla {
        notes += " Latent attention (MLA): the KV cache holds the compressed latent.";
    }
    Ok(RawModel {
        id,
        name,
        hf_repo,
        params_total_b: round2(total / 1e9),
        params_active_b: round2(active / 1e9),
        layers: to_u32(layers, "num_hidden_layers")?,
        hidden_size: to_u32(hidden, "hidden_size")?,
        attention_heads: to_u32(heads, "num_attention_heads")?,
        kv_heads: to_u32(kv_heads, "num_key_value_heads")?,
        head_dim: to_u32(head_dim, "head_dim")?,
        vocab_size: to_u32(vocab, "vocab_size")?,
        context_native: context,
        context_extended,
        attention: shapes.attention,
        moe: shapes.moe,
        embeddings: if tied {
            Embeddings::Tied
        } else {
            Embeddings::Untied
        },
        gguf_files: Vec::new(),
        sources,
        notes,
    })
}

/// Billions of parameters to two decimals, four below one billion.
fn round2(x: f64) -> f64 {
    let scale = if x.abs() >= 1.0 { 100.0 } else { 10_000.0 };
    (x * scale).round() / scale
}

/// Total and active parameters from a GGUF header's shapes (attention, feed-forward or
/// expert widths, vocabulary), for a file whose tensor table is smaller than its own
/// embedding table says it must be (a stub or a header-only copy).
pub fn params_from_gguf_shapes(g: &GgufInfo) -> Option<(f64, f64)> {
    let f = |v: Option<u64>| v.filter(|v| *v > 0).map(|v| v as f64);
    let arch = |key: &str| f(g.arch_value(key).and_then(|v| v.as_u64()));
    let (layers, hidden, heads, vocab) = (
        f(g.block_count)?,
        f(g.embedding_length)?,
        f(g.head_count)?,
        f(g.vocab_size)?,
    );
    let kv = f(g.head_count_kv).unwrap_or(heads);
    let head_dim = f(g.key_length).unwrap_or(hidden / heads);
    let tied = !g.tensors.iter().any(|t| t.name == "output.weight");
    let embeddings = vocab * hidden * if tied { 1.0 } else { 2.0 };
    let attention = 2.0 * hidden * heads * head_dim + 2.0 * hidden * kv * head_dim;
    match (
        f(g.expert_count),
        f(g.expert_used_count),
        arch("expert_feed_forward_length"),
    ) {
        (Some(experts), Some(used), Some(width)) if experts > 1.0 => {
            let expert = 3.0 * hidden * width;
            let common = embeddings + layers * (attention + hidden * experts);
            Some((
                common + layers * experts * expert,
                common + layers * used * expert,
            ))
        }
        _ => {
            let total =
                embeddings + layers * (attention + 3.0 * hidden * arch("feed_forward_length")?);
            Some((total, total))
        }
    }
}

fn to_u32(v: u64, field: &str) -> Result<u32, HfConfigError> {
    u32::try_from(v).map_err(|_| err(field, format!("{v} is too large")))
}

/// Which layers attend to a window only.
fn attention(keys: &Keys, layers: u64, kv_lora: Option<u64>) -> Result<Attention, HfConfigError> {
    if let Some(rank) = kv_lora {
        let rope = keys.optional(&["qk_rope_head_dim"])?.ok_or_else(|| {
            err(
                "qk_rope_head_dim",
                "missing: latent attention (kv_lora_rank) needs the rotary head size",
            )
        })?;
        return Ok(Attention::Mla {
            kv_lora_rank: to_u32(rank, "kv_lora_rank")?,
            rope_head_dim: to_u32(rope, "qk_rope_head_dim")?,
        });
    }
    let window = |field: &str| -> Result<u64, HfConfigError> {
        keys.optional(&["sliding_window"])?
            .filter(|w| *w > 0)
            .ok_or_else(|| {
                err(
                    "sliding_window",
                    format!("missing: {field} names sliding layers but no window size"),
                )
            })
    };
    let sliding = |count: u64, window: u64| -> Result<Attention, HfConfigError> {
        Ok(if count == 0 {
            Attention::Full
        } else {
            Attention::SlidingWindow {
                window,
                sliding_layers: to_u32(count.min(layers), "sliding layers")?,
            }
        })
    };
    if let Some(types) = keys.get("layer_types") {
        let list = types
            .as_array()
            .ok_or_else(|| err("layer_types", "must be a list of layer kinds"))?;
        let mut count = 0;
        for t in list {
            match t.as_str() {
                Some("sliding_attention") | Some("chunked_attention") => count += 1,
                Some("full_attention") | Some("attention") => {}
                Some(other) => {
                    return Err(err(
                        "layer_types",
                        format!("layer kind \"{other}\" (linear or recurrent attention) is not read by add-model: its state size is not in the config; write the entry by hand (see qwen3-next-80b-a3b in catalog/models.ron)"),
                    ))
                }
                None => return Err(err("layer_types", format!("each layer kind must be a string, found {t}"))),
            }
        }
        if list.len() as u64 != layers {
            return Err(err(
                "layer_types",
                format!(
                    "lists {} layers but num_hidden_layers is {layers}",
                    list.len()
                ),
            ));
        }
        return if count == 0 {
            Ok(Attention::Full)
        } else {
            sliding(count, window("layer_types")?)
        };
    }
    if let Some(chunk) = keys.optional(&["attention_chunk_size"])? {
        // Llama 4: every `no_rope_layer_interval`-th layer is global, the rest chunked.
        let every = keys
            .optional(&["no_rope_layer_interval"])?
            .unwrap_or(4)
            .max(1);
        return sliding(layers - layers / every, chunk);
    }
    if keys.bool("use_sliding_window")? == Some(false) || keys.get("sliding_window").is_none() {
        return Ok(Attention::Full);
    }
    let w = window("sliding_window")?;
    if let Some(pattern) = keys.optional(&["sliding_window_pattern"])? {
        // Gemma 3: one global layer in every `pattern`.
        let pattern = pattern.max(1);
        return sliding(layers - layers / pattern, w);
    }
    if keys.bool("use_sliding_window")? == Some(true) {
        // Qwen2-style: layers from `max_window_layers` on use the window.
        let full = keys
            .optional(&["max_window_layers"])?
            .unwrap_or(0)
            .min(layers);
        return sliding(layers - full, w);
    }
    // Mistral 7B style: a window and nothing else means every layer uses it.
    sliding(layers, w)
}

/// The mixture-of-experts shape, if any.
fn moe(keys: &Keys) -> Result<Option<Moe>, HfConfigError> {
    let Some((experts, key)) = keys.uint(&[
        "num_experts",
        "num_local_experts",
        "n_routed_experts",
        "moe_num_experts",
    ])?
    else {
        return Ok(None);
    };
    if experts <= 1 {
        return Ok(None);
    }
    let per_token = keys
        .optional(&["num_experts_per_tok", "experts_per_token", "moe_top_k"])?
        .ok_or_else(|| {
            err(
                "num_experts_per_tok",
                format!("missing: {key} is {experts} but the experts used per token are not given"),
            )
        })?;
    if per_token == 0 || per_token > experts {
        return Err(err(
            "num_experts_per_tok",
            format!("must be between 1 and {key} ({experts}), found {per_token}"),
        ));
    }
    let shared = match keys.optional(&["n_shared_experts"])? {
        Some(n) => n,
        None if keys
            .optional(&["shared_expert_intermediate_size"])?
            .unwrap_or(0)
            > 0 =>
        {
            1
        }
        // Llama 4 has one shared expert in every MoE layer.
        None if keys
            .str("model_type")
            .is_some_and(|t| t.starts_with("llama4")) =>
        {
            1
        }
        None => 0,
    };
    let quant_method = keys
        .root
        .get("quantization_config")
        .and_then(|q| q.get("quant_method"))
        .and_then(Value::as_str);
    Ok(Some(Moe {
        experts: to_u32(experts, key)?,
        experts_per_token: to_u32(per_token, "num_experts_per_tok")?,
        shared_experts: to_u32(shared, "n_shared_experts")?,
        expert_bits_per_weight: (quant_method == Some("mxfp4")).then_some(MXFP4_BITS_PER_WEIGHT),
    }))
}

/// Total and active parameters from the tensor shapes: embeddings, attention projections,
/// feed-forward or expert matrices and routers.
fn parameters(keys: &Keys, s: &Shapes) -> Result<(f64, f64), HfConfigError> {
    let f = |n: u64| n as f64;
    let (hidden, heads) = (f(s.hidden), f(s.heads));
    let embeddings = f(s.vocab) * hidden * if s.tied { 1.0 } else { 2.0 };
    let attention = if let Attention::Mla {
        kv_lora_rank,
        rope_head_dim,
    } = s.attention
    {
        let rope = f64::from(rope_head_dim);
        let nope = keys
            .optional(&["qk_nope_head_dim"])?
            .map_or(f(s.head_dim), f);
        let v = keys.optional(&["v_head_dim"])?.map_or(f(s.head_dim), f);
        let q = match keys.optional(&["q_lora_rank"])? {
            Some(r) if r > 0 => hidden * f(r) + f(r) * heads * (nope + rope),
            _ => hidden * heads * (nope + rope),
        };
        let kv = hidden * (f64::from(kv_lora_rank) + rope)
            + f64::from(kv_lora_rank) * heads * (nope + v);
        q + kv + heads * v * hidden
    } else {
        let q = hidden * heads * f(s.head_dim);
        q * 2.0 + 2.0 * hidden * f(s.kv_heads) * f(s.head_dim)
    };
    let dense_width = keys
        .optional(&["intermediate_size_mlp", "intermediate_size"])?
        .unwrap_or(0);
    let dense_ffn = 3.0 * hidden * f(dense_width);
    let Some(moe) = s.moe else {
        let layer = attention + dense_ffn;
        let total = embeddings + f(s.layers) * layer;
        return Ok((total, total));
    };
    let expert_width = keys
        .optional(&["moe_intermediate_size", "intermediate_size"])?
        .filter(|w| *w > 0)
        .ok_or_else(|| {
            err(
                "moe_intermediate_size",
                "missing: the experts' width is needed to count their parameters",
            )
        })?;
    let shared_width = keys
        .optional(&["shared_expert_intermediate_size"])?
        .filter(|w| *w > 0)
        .map_or(f(expert_width) * f64::from(moe.shared_experts), f);
    let expert = 3.0 * hidden * f(expert_width);
    let shared = 3.0 * hidden * shared_width;
    let router = hidden * f64::from(moe.experts);
    let mut moe_layers = s.layers;
    if let Some(k) = keys.optional(&["first_k_dense_replace"])? {
        moe_layers = moe_layers.saturating_sub(k);
    }
    if let Some(Value::Array(only)) = keys.get("mlp_only_layers") {
        moe_layers = moe_layers.saturating_sub(only.len() as u64);
    }
    if let Some(step) = keys
        .optional(&["interleave_moe_layer_step"])?
        .filter(|k| *k > 1)
    {
        moe_layers = s.layers / step;
    }
    let dense_layers = s.layers - moe_layers.min(s.layers);
    let shared_total = f(moe_layers) * (shared + router) + f(dense_layers) * dense_ffn;
    let common = embeddings + f(s.layers) * attention + shared_total;
    let total = common + f(moe_layers) * f64::from(moe.experts) * expert;
    let active = common + f(moe_layers) * f64::from(moe.experts_per_token) * expert;
    Ok((total, active))
}

/// A YaRN-style extension beyond the configured length: factor times the original length.
fn extended_context(keys: &Keys, context: u64) -> Result<Option<u64>, HfConfigError> {
    let Some(Value::Object(scaling)) = keys.get("rope_scaling") else {
        return Ok(None);
    };
    let kind = scaling
        .get("rope_type")
        .or_else(|| scaling.get("type"))
        .and_then(Value::as_str);
    if kind != Some("yarn") {
        return Ok(None);
    }
    let factor = scaling.get("factor").and_then(Value::as_f64).unwrap_or(0.0);
    let original = scaling
        .get("original_max_position_embeddings")
        .and_then(Value::as_u64)
        .unwrap_or(context);
    let extended = (factor * original as f64).round();
    Ok((extended > context as f64 && extended < 1e12).then_some(extended as u64))
}

/// A catalogue entry from a model built from a GGUF header (`diagnose::identify`), with an
/// id the catalogue accepts and sources the loader accepts. The file's own size entry is
/// kept only when the catalogue knows its quantization (`known_quant`).
pub fn raw_from_gguf_model(
    model: &Model,
    info: &GgufInfo,
    path: &Path,
    names: &EntryNames,
    known_quant: impl Fn(&str) -> bool,
) -> RawModel {
    let name = names.name.clone().unwrap_or_else(|| model.name.clone());
    let id = names.id.clone().unwrap_or_else(|| slug(&name));
    let hf_repo = names.hf_repo.clone().unwrap_or_default();
    let shown = path.display();
    let mut sources = Vec::new();
    if !hf_repo.is_empty() {
        sources.push(format!("https://huggingface.co/{hf_repo}"));
    }
    sources.push(format!("derived: read from the GGUF header of {shown}"));
    let mut notes = format!(
        "Added by headroom add-model from the GGUF header of {shown}: shapes from its metadata, parameters counted from its tensor table."
    );
    let gguf_files = model
        .gguf_files
        .iter()
        .filter(|f| {
            let keep = known_quant(&f.quant);
            if !keep {
                notes += &format!(" The file's type {} is not a catalogue quantization, so its size is not listed.", f.quant);
            }
            keep
        })
        .map(|f| RawGgufFile {
            quant: f.quant.clone(),
            bytes: f.bytes,
            source: format!("measured: the tensor table of {shown}"),
        })
        .collect();
    let embedding_table = f64::from(model.vocab_size) * f64::from(model.hidden_size);
    let (mut total, mut active) = (model.params_total_b * 1e9, model.params_active_b * 1e9);
    if total < embedding_table {
        if let Some((t, a)) = params_from_gguf_shapes(info) {
            (total, active) = (t, a);
            notes += " Its tensor table holds fewer values than its own embedding table needs (a stub or header-only file), so the parameters are computed from the header's shapes instead.";
        }
    }
    if model.notes.contains("sliding window") {
        notes += " The header sets a sliding window without saying which layers use it: the KV cache is sized as full attention (an upper bound).";
    }
    RawModel {
        id,
        name,
        hf_repo,
        params_total_b: round2(total / 1e9),
        params_active_b: round2(active / 1e9),
        layers: model.layers,
        hidden_size: model.hidden_size,
        attention_heads: model.attention_heads,
        kv_heads: model.kv_heads,
        head_dim: model.head_dim,
        vocab_size: model.vocab_size,
        context_native: model.context_native,
        context_extended: model.context_extended,
        attention: model.attention,
        moe: model.moe,
        embeddings: model.embeddings,
        gguf_files,
        sources,
        notes,
    }
}

/// The local-model record `diagnose::identify::model_from_gguf` reads a header through.
pub fn local_model_for(path: &Path, info: &GgufInfo, file_bytes: Option<u64>) -> LocalModel {
    let name = info
        .name
        .clone()
        .or_else(|| path.file_stem().and_then(|s| s.to_str()).map(str::to_owned))
        .unwrap_or_else(|| "model".to_owned());
    LocalModel {
        source: ModelSource::File,
        name,
        path: path.to_path_buf(),
        file_bytes,
        gguf: Ok(info.clone()),
        configured_context_tokens: None,
        context_label_tokens: None,
        params: Default::default(),
        problems: Vec::new(),
    }
}

/// Whether a file starts with the GGUF magic.
pub fn is_gguf(head: &[u8]) -> bool {
    head.starts_with(b"GGUF")
}

/// The RON text of one model entry as a catalogue file: `(models: [ ... ])`.
pub fn catalogue_text(model: &RawModel) -> Result<String, ron::Error> {
    let entry = ron::ser::to_string_pretty(model, ron::ser::PrettyConfig::default())?;
    let mut out = String::from("(\n    models: [\n");
    for line in entry.lines() {
        out += "        ";
        out += line;
        out += "\n";
    }
    out.truncate(out.trim_end().len());
    out += ",\n    ],\n)\n";
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slug_and_names() {
        assert_eq!(
            slug("Qwen3-Coder-30B-A3B-Instruct"),
            "qwen3-coder-30b-a3b-instruct"
        );
        assert_eq!(slug("  Llama 3.1 8B / Instruct "), "llama-3.1-8b-instruct");
        assert_eq!(
            name_from_path(Path::new("x/Qwen3-Coder-30B-A3B-Instruct.config.json")).as_deref(),
            Some("Qwen3-Coder-30B-A3B-Instruct")
        );
        assert_eq!(
            name_from_path(Path::new("models/Phi-4/config.json")).as_deref(),
            Some("Phi-4")
        );
    }

    #[test]
    fn gemma_pattern_and_tied_default() {
        let text = r#"{"model_type":"gemma3","text_config":{"num_hidden_layers":34,"hidden_size":2560,
            "num_attention_heads":8,"num_key_value_heads":4,"head_dim":256,"vocab_size":262208,
            "max_position_embeddings":131072,"sliding_window":1024,"sliding_window_pattern":6,
            "intermediate_size":10240}}"#;
        let m = model_from_hf_config(text, Path::new("gemma/config.json"), &EntryNames::default())
            .unwrap();
        assert_eq!(
            m.attention,
            Attention::SlidingWindow {
                window: 1024,
                sliding_layers: 29
            }
        );
        assert_eq!(m.embeddings, Embeddings::Tied);
        assert_eq!(m.id, "gemma");
        assert!(
            (m.params_total_b - 3.88).abs() < 0.02,
            "{}",
            m.params_total_b
        );
    }

    #[test]
    fn latent_attention_and_dense_layers() {
        let text = r#"{"model_type":"deepseek_v3","num_hidden_layers":61,"hidden_size":7168,
            "num_attention_heads":128,"num_key_value_heads":128,"vocab_size":129280,
            "max_position_embeddings":163840,"kv_lora_rank":512,"q_lora_rank":1536,
            "qk_rope_head_dim":64,"qk_nope_head_dim":128,"v_head_dim":128,"n_routed_experts":256,
            "num_experts_per_tok":8,"n_shared_experts":1,"moe_intermediate_size":2048,
            "intermediate_size":18432,"first_k_dense_replace":3,"tie_word_embeddings":false}"#;
        let m = model_from_hf_config(
            text,
            Path::new("DeepSeek-V3/config.json"),
            &EntryNames::default(),
        )
        .unwrap();
        assert_eq!(
            m.attention,
            Attention::Mla {
                kv_lora_rank: 512,
                rope_head_dim: 64
            }
        );
        assert_eq!(m.head_dim, 128);
        let moe = m.moe.unwrap();
        assert_eq!(
            (moe.experts, moe.experts_per_token, moe.shared_experts),
            (256, 8, 1)
        );
        // Published: 671B main model, 37B active.
        assert!(
            (m.params_total_b - 671.0).abs() < 2.0,
            "{}",
            m.params_total_b
        );
        assert!(
            (m.params_active_b - 37.5).abs() < 1.0,
            "{}",
            m.params_active_b
        );
    }

    #[test]
    fn gpt_oss_layer_types_and_mxfp4_experts() {
        let kinds: Vec<&str> = (0..24)
            .map(|i| {
                if i % 2 == 0 {
                    "sliding_attention"
                } else {
                    "full_attention"
                }
            })
            .collect();
        let text = serde_json::json!({
            "model_type": "gpt_oss", "num_hidden_layers": 24, "hidden_size": 2880,
            "num_attention_heads": 64, "num_key_value_heads": 8, "head_dim": 64,
            "vocab_size": 201088, "max_position_embeddings": 131072, "sliding_window": 128,
            "layer_types": kinds, "num_local_experts": 32, "experts_per_token": 4,
            "intermediate_size": 2880, "tie_word_embeddings": false,
            "quantization_config": {"quant_method": "mxfp4"}
        })
        .to_string();
        let m = model_from_hf_config(
            &text,
            Path::new("gpt-oss-20b/config.json"),
            &EntryNames::default(),
        )
        .unwrap();
        assert_eq!(
            m.attention,
            Attention::SlidingWindow {
                window: 128,
                sliding_layers: 12
            }
        );
        let moe = m.moe.unwrap();
        assert_eq!((moe.experts, moe.experts_per_token), (32, 4));
        assert_eq!(moe.expert_bits_per_weight, Some(4.25));
        // Published 20.9B total; 3.6B active counting the unembedding but not the embedding.
        assert!(
            (m.params_total_b - 20.9).abs() < 0.3,
            "{}",
            m.params_total_b
        );
    }

    #[test]
    fn llama4_chunked_attention_and_shared_expert() {
        let text = r#"{"model_type":"llama4","text_config":{"model_type":"llama4_text",
            "num_hidden_layers":48,"hidden_size":5120,"num_attention_heads":40,
            "num_key_value_heads":8,"head_dim":128,"vocab_size":202048,
            "max_position_embeddings":10485760,"attention_chunk_size":8192,
            "no_rope_layer_interval":4,"num_local_experts":16,"num_experts_per_tok":1,
            "intermediate_size":8192,"intermediate_size_mlp":16384,
            "tie_word_embeddings":false}}"#;
        let m = model_from_hf_config(
            text,
            Path::new("Llama-4-Scout/config.json"),
            &EntryNames::default(),
        )
        .unwrap();
        assert_eq!(
            m.attention,
            Attention::SlidingWindow {
                window: 8192,
                sliding_layers: 36
            }
        );
        assert_eq!(m.moe.unwrap().shared_experts, 1);
        // Published 109B total / 17B active.
        assert!(
            (m.params_total_b - 108.6).abs() < 2.0,
            "{}",
            m.params_total_b
        );
        assert!(
            (m.params_active_b - 17.2).abs() < 1.0,
            "{}",
            m.params_active_b
        );
    }

    #[test]
    fn errors_name_the_field() {
        let e = model_from_hf_config(
            r#"{"hidden_size":1}"#,
            Path::new("c.json"),
            &EntryNames::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, "num_hidden_layers");
        let e = model_from_hf_config(
            r#"{"num_hidden_layers":"many"}"#,
            Path::new("c.json"),
            &EntryNames::default(),
        )
        .unwrap_err();
        assert_eq!(e.field, "num_hidden_layers");
        assert!(e.to_string().contains("whole number"), "{e}");
        let e = model_from_hf_config("{ not json", Path::new("c.json"), &EntryNames::default())
            .unwrap_err();
        assert!(e.to_string().contains("line 1"), "{e}");
        let linear = r#"{"num_hidden_layers":2,"hidden_size":8,"num_attention_heads":2,"vocab_size":4,
            "max_position_embeddings":8,"layer_types":["linear_attention","full_attention"]}"#;
        let e =
            model_from_hf_config(linear, Path::new("c.json"), &EntryNames::default()).unwrap_err();
        assert_eq!(e.field, "layer_types");
    }
}
