//! What a local model is: a catalogue model matched by the architecture its GGUF header
//! states (or by name), or an engine model built from the header's fields.

use serde::Serialize;

use crate::engine::types::{
    Attention, Catalog, Embeddings, GgufFile, KvType, Model, Moe, Origin, Quant, Sourced,
};
use crate::local::gguf::GgufInfo;
use crate::local::scan::LocalModel;

use super::DEFAULT_KV_TYPE;

/// Relative difference between the file's parameter count and the catalogue's within which
/// the file's tensor table is taken as the whole model (a split file or a test file is not).
const PARAMS_AGREE_SHARE: f64 = 0.15;

/// How a local model was matched to the catalogue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatchedBy {
    /// Layers, hidden size, head counts and expert counts in the GGUF header.
    Architecture,
    /// The name alone (the header could not be read or says too little).
    Name,
    /// Not in the catalogue: the model was built from the header ("read from the file").
    ReadFromFile,
}

/// What a local model is, as the diagnosis reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Identity {
    /// Catalogue id, or `file:<name>` for a model read from the file.
    pub model_id: String,
    /// Display name.
    pub model_name: String,
    /// How it was identified.
    pub matched_by: MatchedBy,
    /// GGUF `general.architecture`.
    pub architecture: Option<String>,
    /// Transformer layers.
    pub layers: u32,
    /// KV heads.
    pub kv_heads: u32,
    /// Head dimension.
    pub head_dim: u32,
    /// Parameters, billions.
    pub params_total_b: f64,
    /// Active parameters per token, billions.
    pub params_active_b: f64,
    /// The model's native context.
    pub native_context_tokens: u64,
    /// Quantisation id (`Q4_K_M`).
    pub quant: String,
    /// KV cache type assumed.
    pub kv_type: String,
    /// Bytes of weights used for the memory math.
    pub weights_bytes: f64,
    /// Where `weights_bytes` comes from, in words.
    pub weights_source: String,
}

/// A local model resolved into engine types it owns.
#[derive(Clone, Debug)]
pub struct Resolved {
    /// The engine model (a catalogue clone, or built from the file).
    pub model: Model,
    /// The quantisation.
    pub quant: Quant,
    /// The KV cache type.
    pub kv: KvType,
    /// What it is.
    pub identity: Identity,
    /// Whether `model` was added from the file (it is not in the catalogue).
    pub from_file: bool,
    /// The GGUF header could not be read, but the name matched the catalogue.
    pub file_error: Option<String>,
}

/// Lowercase letters and digits of `s`.
fn squash(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

fn same(found: Option<u64>, expected: u64) -> bool {
    found.is_none_or(|f| f == expected)
}

/// Whether the header's architecture fields agree with a catalogue model. Fields the header
/// lacks do not count against it; layers, hidden size and query heads must be present.
pub fn architecture_matches(g: &GgufInfo, m: &Model) -> bool {
    if g.block_count.is_none() || g.embedding_length.is_none() || g.head_count.is_none() {
        return false;
    }
    let experts = m.moe.map_or(0, |e| u64::from(e.experts));
    let used = m.moe.map_or(0, |e| u64::from(e.experts_per_token));
    same(g.block_count, u64::from(m.layers))
        && same(g.embedding_length, u64::from(m.hidden_size))
        && same(g.head_count, u64::from(m.attention_heads))
        && (g.head_count_kv_per_layer.is_some() || same(g.head_count_kv, u64::from(m.kv_heads)))
        && same(g.key_length, u64::from(m.head_dim))
        && g.expert_count.unwrap_or(0) == experts
        && g.expert_used_count.unwrap_or(0) == used
}

/// The catalogue model whose id the name spells (`qwen3-coder:30b-a3b-v-128k` ->
/// `qwen3-coder-30b-a3b`): the longest id that starts the squashed name.
pub fn match_by_name<'c>(catalog: &'c Catalog, names: &[&str]) -> Option<&'c Model> {
    names
        .iter()
        .filter_map(|name| {
            let n = squash(name);
            catalog
                .models
                .iter()
                .filter(|m| {
                    let id = squash(&m.id);
                    !id.is_empty() && n.starts_with(&id)
                })
                .max_by_key(|m| squash(&m.id).len())
        })
        .max_by_key(|m| squash(&m.id).len())
}

/// The catalogue model with this architecture; among several (fine-tunes share one), the one
/// whose native context equals the header's, then the one whose name is closest.
pub fn match_by_architecture<'c>(
    catalog: &'c Catalog,
    g: &GgufInfo,
    names: &[&str],
) -> Option<&'c Model> {
    let squashed: Vec<String> = names.iter().map(|n| squash(n)).collect();
    let score = |m: &Model| {
        let context = g.context_length_tokens == Some(m.context_native);
        let id = squash(&m.id);
        let name = squashed
            .iter()
            .map(|n| strsim::normalized_levenshtein(n, &id))
            .fold(0.0, f64::max);
        (context, name)
    };
    catalog
        .models
        .iter()
        .filter(|m| architecture_matches(g, m))
        .max_by(|a, b| {
            let (ca, na) = score(a);
            let (cb, nb) = score(b);
            ca.cmp(&cb).then(na.total_cmp(&nb))
        })
}

/// Resolves a local model: a catalogue match, or a model built from its GGUF header.
/// Fails, naming the file, when the header cannot be read and the name matches nothing.
pub fn resolve(catalog: &Catalog, local: &LocalModel) -> Result<Resolved, String> {
    let gguf = local.gguf.as_ref();
    let mut names = vec![local.name.as_str()];
    if let Ok(g) = gguf {
        names.extend(g.name.as_deref());
    }
    let found = match gguf {
        Ok(g) => match_by_architecture(catalog, g, &names)
            .map(|m| (m, MatchedBy::Architecture))
            .or_else(|| {
                // A header without architecture fields falls back to the name.
                let bare = g.block_count.is_none() || g.head_count.is_none();
                bare.then(|| match_by_name(catalog, &names))
                    .flatten()
                    .map(|m| (m, MatchedBy::Name))
            }),
        Err(_) => match_by_name(catalog, &names).map(|m| (m, MatchedBy::Name)),
    };
    let kv = catalog
        .kv_type(DEFAULT_KV_TYPE)
        .cloned()
        .unwrap_or_else(|| KvType {
            id: DEFAULT_KV_TYPE.to_owned(),
            bytes_per_element: Sourced {
                value: 2.0,
                source: "assumed: f16 is two bytes".to_owned(),
            },
            notes: String::new(),
            origin: Origin::BuiltIn("diagnose".to_owned()),
        });
    match (found, gguf) {
        (Some((model, by)), Ok(g)) => {
            Ok(from_catalog(catalog, local, model, by, Some(g), kv, None))
        }
        (Some((model, by)), Err(e)) => Ok(from_catalog(
            catalog,
            local,
            model,
            by,
            None,
            kv,
            Some(e.clone()),
        )),
        (None, Ok(g)) => from_file(catalog, local, g, kv),
        (None, Err(e)) => Err(format!(
            "cannot read the model file, and its name matches no catalogue model: {e}"
        )),
    }
}

/// The quant a header names, from the catalogue; else one built from the tensor table.
fn quant_for(catalog: &Catalog, g: Option<&GgufInfo>, fallback: &str) -> Quant {
    let name = g.and_then(|g| g.file_type_name.clone());
    if let Some(q) = name.as_deref().and_then(|n| catalog.quant(n)) {
        return q.clone();
    }
    if let Some(q) = catalog
        .quant(fallback)
        .filter(|_| g.is_none_or(|g| g.total_elements == 0))
    {
        return q.clone();
    }
    let bits = g.filter(|g| g.total_elements > 0).map_or(4.5, |g| {
        g.total_tensor_bytes as f64 * 8.0 / g.total_elements as f64
    });
    Quant {
        id: name.unwrap_or_else(|| "from-file".to_owned()),
        bits_per_weight: Sourced {
            value: bits,
            source: "read from the file's tensor table".to_owned(),
        },
        block_bits_per_weight: None,
        notes: String::new(),
        origin: Origin::User("read from the file".to_owned()),
    }
}

fn from_catalog(
    catalog: &Catalog,
    local: &LocalModel,
    model: &Model,
    matched_by: MatchedBy,
    g: Option<&GgufInfo>,
    kv: KvType,
    file_error: Option<String>,
) -> Resolved {
    let quant = quant_for(catalog, g, "Q4_K_M");
    let mut model = model.clone();
    // The file's own tensor bytes are exact when its table holds the whole model; a split
    // part or a stub holds less, and then the catalogue's published size is better.
    let file_is_whole = g.is_some_and(|g| {
        let params = g.total_elements as f64 / 1e9;
        g.split_count.unwrap_or(1) <= 1
            && (params - model.params_total_b).abs() <= PARAMS_AGREE_SHARE * model.params_total_b
    });
    let weights_source = match g {
        Some(g) if file_is_whole => {
            model.gguf_files.retain(|f| f.quant != quant.id);
            model.gguf_files.push(GgufFile {
                quant: quant.id.clone(),
                bytes: g.total_tensor_bytes,
                source: format!("read from the tensor table of {}", local.path.display()),
            });
            "the file's tensor table".to_owned()
        }
        _ if model.gguf_files.iter().any(|f| f.quant == quant.id) => {
            format!("the catalogue's published {} file size", quant.id)
        }
        _ => format!(
            "{:.1} B parameters x {:.2} bits per weight ({})",
            model.params_total_b, quant.bits_per_weight.value, quant.id
        ),
    };
    // A header's context of 0 tokens is no context: the catalogue's stands.
    if let Some(native) = g.and_then(|g| g.context_length_tokens).filter(|n| *n > 0) {
        model.context_native = native;
    }
    let loaded = crate::engine::memory::LoadedModel {
        model: &model,
        quant: &quant,
        kv: &kv,
    };
    let identity = Identity {
        model_id: model.id.clone(),
        model_name: model.name.clone(),
        matched_by,
        architecture: g.and_then(|g| g.architecture.clone()),
        layers: model.layers,
        kv_heads: model.kv_heads,
        head_dim: model.head_dim,
        params_total_b: model.params_total_b,
        params_active_b: model.params_active_b,
        native_context_tokens: model.context_native,
        quant: quant.id.clone(),
        kv_type: kv.id.clone(),
        weights_bytes: loaded.weights_bytes(),
        weights_source,
    };
    Resolved {
        model,
        quant,
        kv,
        identity,
        from_file: false,
        file_error,
    }
}

/// More layers than any published model has (the largest have a few hundred); a header
/// beyond it is corrupt or hostile.
const MAX_GGUF_LAYERS: u32 = 10_000;

fn to_u32(v: u64, what: &str, path: &str) -> Result<u32, String> {
    u32::try_from(v).map_err(|_| format!("{what} {v} is out of range ({path})"))
}

/// Builds an engine model from a GGUF header: every figure read from the file.
pub fn model_from_gguf(local: &LocalModel, g: &GgufInfo) -> Result<Model, String> {
    let path = local.path.display().to_string();
    let arch = g
        .architecture
        .clone()
        .unwrap_or_else(|| "unknown".to_owned());
    let need = |v: Option<u64>, key: &str| {
        v.filter(|v| *v > 0).ok_or_else(|| {
            format!("the GGUF header has no {arch}.{key}, so the model cannot be sized ({path})")
        })
    };
    let layers = to_u32(need(g.block_count, "block_count")?, "block_count", &path)?;
    let hidden = to_u32(
        need(g.embedding_length, "embedding_length")?,
        "embedding_length",
        &path,
    )?;
    let heads = to_u32(
        need(g.head_count, "attention.head_count")?,
        "attention.head_count",
        &path,
    )?;
    let context_native = need(g.context_length_tokens, "context_length")?;
    let bad = |key: &str, v: u64, why: &str| {
        format!(
            "the GGUF header's {arch}.{key} is {v}: {why}, so the model cannot be sized ({path})"
        )
    };
    if layers > MAX_GGUF_LAYERS {
        return Err(bad(
            "block_count",
            u64::from(layers),
            &format!("no model has more than {MAX_GGUF_LAYERS} layers"),
        ));
    }
    let kv_heads = to_u32(
        g.head_count_kv.unwrap_or(u64::from(heads)),
        "attention.head_count_kv",
        &path,
    )?;
    if kv_heads == 0 || kv_heads > heads {
        return Err(bad(
            "attention.head_count_kv",
            u64::from(kv_heads),
            &format!("it must be between 1 and the {heads} attention heads"),
        ));
    }
    let head_dim = to_u32(
        g.key_length
            .unwrap_or(u64::from(hidden) / u64::from(heads.max(1))),
        "attention.key_length",
        &path,
    )?;
    if head_dim == 0 {
        return Err(bad("attention.key_length", 0, "a head of 0 dimensions"));
    }
    if let (Some(e), Some(u)) = (g.expert_count, g.expert_used_count) {
        if e > 0 && (u == 0 || u > e) {
            return Err(bad(
                "expert_used_count",
                u,
                &format!("it must be between 1 and the {e} experts"),
            ));
        }
    }
    let vocab = to_u32(g.vocab_size.unwrap_or(0), "vocab_size", &path)?;
    let moe = match (g.expert_count, g.expert_used_count) {
        (Some(e), Some(u)) if e > 0 => Some(Moe {
            experts: to_u32(e, "expert_count", &path)?,
            experts_per_token: to_u32(u, "expert_used_count", &path)?,
            shared_experts: 0,
            expert_bits_per_weight: None,
        }),
        _ => None,
    };
    let total = g.total_elements as f64;
    let expert_elements: f64 = g
        .tensors
        .iter()
        .filter(|t| t.name.contains("_exps"))
        .map(|t| t.elements as f64)
        .sum();
    let active = match moe {
        Some(m) if m.experts > 0 => {
            total - expert_elements
                + expert_elements * f64::from(m.experts_per_token) / f64::from(m.experts)
        }
        _ => total,
    };
    let quant_id = g
        .file_type_name
        .clone()
        .unwrap_or_else(|| "from-file".to_owned());
    let mut notes = format!("Read from the file {path}.");
    if let Some(window) = g.sliding_window_tokens {
        notes += &format!(
            " The header sets a sliding window of {window} tokens; which layers use it is not in the header, so the KV cache is sized as full attention (an upper bound)."
        );
    }
    Ok(Model {
        id: format!("file:{}", local.name),
        name: g.name.clone().unwrap_or_else(|| local.name.clone()),
        hf_repo: String::new(),
        params_total_b: total / 1e9,
        params_active_b: active / 1e9,
        layers,
        hidden_size: hidden,
        attention_heads: heads,
        kv_heads,
        head_dim,
        vocab_size: vocab,
        context_native,
        context_extended: None,
        attention: Attention::Full,
        moe,
        // A file without an output head of its own multiplies by the token-embedding table.
        embeddings: if g.tensors.iter().any(|t| t.name == "output.weight") {
            Embeddings::Untied
        } else {
            Embeddings::Tied
        },
        gguf_files: vec![GgufFile {
            quant: quant_id,
            bytes: g.total_tensor_bytes,
            source: format!("read from the tensor table of {path}"),
        }],
        sources: vec![format!("read from the file {path}")],
        notes,
        origin: Origin::User(path),
    })
}

fn from_file(
    catalog: &Catalog,
    local: &LocalModel,
    g: &GgufInfo,
    kv: KvType,
) -> Result<Resolved, String> {
    let model = model_from_gguf(local, g)?;
    let mut quant = quant_for(catalog, Some(g), "");
    // The model's own file size entry carries the quant id the engine looks up.
    if let Some(file) = model.gguf_files.first() {
        quant.id.clone_from(&file.quant);
    }
    let identity = Identity {
        model_id: model.id.clone(),
        model_name: model.name.clone(),
        matched_by: MatchedBy::ReadFromFile,
        architecture: g.architecture.clone(),
        layers: model.layers,
        kv_heads: model.kv_heads,
        head_dim: model.head_dim,
        params_total_b: model.params_total_b,
        params_active_b: model.params_active_b,
        native_context_tokens: model.context_native,
        quant: quant.id.clone(),
        kv_type: kv.id.clone(),
        weights_bytes: g.total_tensor_bytes as f64,
        weights_source: "the file's tensor table".to_owned(),
    };
    Ok(Resolved {
        model,
        quant,
        kv,
        identity,
        from_file: true,
        file_error: None,
    })
}
