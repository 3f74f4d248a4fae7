//! Ollama: the on-disk model store (manifests and blobs), an optional client for a running
//! server on the loopback interface, and helpers that spot and fix a context window capped
//! below the model's native length (the `v-128k` story).
//!
//! Everything here is read-only and bounded: JSON files over [`MAX_JSON_BYTES`] are skipped,
//! the directory walk visits at most [`MAX_STORE_ENTRIES`] entries, and HTTP calls use short
//! timeouts and capped response bodies.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::gguf::{read_gguf, GgufInfo};

/// Where a local Ollama server listens by default.
pub const OLLAMA_DEFAULT_URL: &str = "http://127.0.0.1:11434";
/// The registry host of Ollama's own library.
pub const OLLAMA_DEFAULT_REGISTRY: &str = "registry.ollama.ai";
/// How a problem with a model's params layer starts: its `num_ctx` is then unknown, not
/// Ollama's default.
pub const UNREADABLE_PARAMS: &str = "unreadable params";

/// JSON files (manifests, params layers) larger than this are skipped.
pub const MAX_JSON_BYTES: u64 = 4 * 1024 * 1024;
/// Text layers (template, system prompt) larger than this are skipped.
pub const MAX_TEXT_BYTES: u64 = 1024 * 1024;
/// Most directory entries the store walk looks at.
pub const MAX_STORE_ENTRIES: usize = 20_000;
/// Most manifests (models) read from one store.
pub const MAX_MANIFESTS: usize = 2_000;
/// Largest HTTP response body read from the Ollama API.
pub const MAX_API_BODY_BYTES: u64 = 16 * 1024 * 1024;
/// TCP connect timeout for the Ollama API.
pub const API_CONNECT_TIMEOUT: Duration = Duration::from_millis(300);
/// Timeout for receiving an answer from the Ollama API.
pub const API_READ_TIMEOUT: Duration = Duration::from_secs(2);

const MEDIA_MODEL: &str = "application/vnd.ollama.image.model";
const MEDIA_PARAMS: &str = "application/vnd.ollama.image.params";
const MEDIA_TEMPLATE: &str = "application/vnd.ollama.image.template";
const MEDIA_SYSTEM: &str = "application/vnd.ollama.image.system";

/// The Ollama model store directory: `$OLLAMA_MODELS`, else `~/.ollama/models`.
pub fn default_models_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("OLLAMA_MODELS").filter(|v| !v.is_empty()) {
        return Some(PathBuf::from(dir));
    }
    directories::BaseDirs::new().map(|b| b.home_dir().join(".ollama").join("models"))
}

/// The server-wide default context (`OLLAMA_CONTEXT_LENGTH`), used for models whose params
/// set no `num_ctx`, if this process's environment has it.
pub fn env_context_length_tokens() -> Option<u64> {
    std::env::var("OLLAMA_CONTEXT_LENGTH")
        .ok()
        .and_then(|v| v.trim().parse().ok())
}

/// The Ollama server's KV cache settings, from its environment.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OllamaKvSettings {
    /// `OLLAMA_KV_CACHE_TYPE` (f16, q8_0, q4_0), when set.
    pub cache_type: Option<String>,
    /// `OLLAMA_FLASH_ATTENTION` is on; Ollama quantizes the cache only then.
    pub flash_attention: bool,
}

impl OllamaKvSettings {
    /// Reads both variables through `var` (the process environment in the app, a map in
    /// tests). Ollama reads the flash-attention flag as a boolean: "1", "true", "yes", "on".
    pub fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        let on = |v: String| {
            matches!(
                v.trim().to_ascii_lowercase().as_str(),
                "1" | "true" | "yes" | "on"
            )
        };
        OllamaKvSettings {
            cache_type: var("OLLAMA_KV_CACHE_TYPE").filter(|v| !v.trim().is_empty()),
            flash_attention: var("OLLAMA_FLASH_ATTENTION").is_some_and(on),
        }
    }

    /// This process's environment. The variables belong to the server's environment; they
    /// are read here on the common setup where the user exports them in the same shell or
    /// session that starts `ollama serve`.
    pub fn from_env() -> Self {
        Self::from_vars(|name| std::env::var(name).ok())
    }
}

/// Errors reading the Ollama store as a whole (single bad models become
/// [`OllamaModel::problems`] instead).
#[derive(Debug, thiserror::Error)]
pub enum OllamaStoreError {
    /// The store has no `manifests` directory.
    #[error("no Ollama model store at {}: {source}", path.display())]
    NotFound {
        /// The manifests directory looked for.
        path: PathBuf,
        /// Why it could not be read.
        #[source]
        source: std::io::Error,
    },
}

/// One model in the Ollama store, from its manifest.
#[derive(Debug, Clone, Serialize)]
pub struct OllamaModel {
    /// Name as `ollama list` shows it: `model:tag`, `namespace/model:tag` or
    /// `registry/namespace/model:tag`.
    pub name: String,
    /// Registry host, e.g. `registry.ollama.ai` or `hf.co`.
    pub registry: String,
    /// Namespace, `library` for official models.
    pub namespace: String,
    /// Model name.
    pub model: String,
    /// Tag.
    pub tag: String,
    /// The manifest file.
    pub manifest_path: PathBuf,
    /// The model weights blob (a GGUF file), if the manifest names one.
    pub model_blob: Option<PathBuf>,
    /// Size of the model blob as the manifest states it.
    pub model_blob_bytes: Option<u64>,
    /// The blob's GGUF header, or why it could not be read.
    pub gguf: Result<GgufInfo, String>,
    /// The params layer (`num_ctx`, `stop`, `temperature`, ...).
    pub params: BTreeMap<String, Value>,
    /// `num_ctx` from the params layer: the context window this model is configured with.
    pub num_ctx_tokens: Option<u64>,
    /// The prompt template layer.
    pub template: Option<String>,
    /// The system prompt layer.
    pub system: Option<String>,
    /// A context size spelled in the name (`128k` -> 131072), see [`context_label_in_name`].
    pub context_label_tokens: Option<u64>,
    /// Problems met reading this model (missing blob, oversized layer, ...).
    pub problems: Vec<String>,
}

impl OllamaModel {
    /// The model's native context from its GGUF header.
    pub fn native_context_tokens(&self) -> Option<u64> {
        self.gguf
            .as_ref()
            .ok()
            .and_then(|g| g.context_length_tokens)
    }
}

/// The result of reading a store.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoreScan {
    /// Models found, sorted by name.
    pub models: Vec<OllamaModel>,
    /// Problems with the store (unreadable directories, skipped manifests).
    pub problems: Vec<String>,
    /// True when a bound (entries or manifests) stopped the walk early.
    pub truncated: bool,
}

#[derive(Debug, Deserialize)]
struct Manifest {
    #[serde(rename = "schemaVersion", default)]
    schema_version: Option<u32>,
    #[serde(default)]
    layers: Vec<Layer>,
}

#[derive(Debug, Deserialize)]
struct Layer {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    size: Option<u64>,
}

/// Path of the blob for a digest `sha256:<64 hex>`; `None` for anything else (which also
/// keeps a hostile manifest from pointing outside the store).
pub fn blob_path(models_dir: &Path, digest: &str) -> Option<PathBuf> {
    let hex = digest.strip_prefix("sha256:")?;
    if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(models_dir.join("blobs").join(format!("sha256-{hex}")))
}

/// Reads at most `max_bytes` of a file; larger files are an error naming the path.
pub fn read_bounded(path: &Path, max_bytes: u64) -> Result<Vec<u8>, String> {
    crate::fsio::read_bounded(path, max_bytes, "this Ollama file")
        .map_err(|e| format!("{e}; skipped"))
}

/// The display name Ollama uses for a manifest path's parts.
pub fn display_name(registry: &str, namespace: &str, model: &str, tag: &str) -> String {
    if registry == OLLAMA_DEFAULT_REGISTRY {
        if namespace == "library" {
            format!("{model}:{tag}")
        } else {
            format!("{namespace}/{model}:{tag}")
        }
    } else {
        format!("{registry}/{namespace}/{model}:{tag}")
    }
}

/// Reads an Ollama store (`models_dir` holds `manifests/` and `blobs/`): every manifest at
/// `manifests/<registry>/<namespace>/<model>/<tag>`, its params and template layers and the
/// GGUF header of its model blob. Bounded by [`MAX_STORE_ENTRIES`] and [`MAX_MANIFESTS`].
pub fn scan_store(models_dir: &Path) -> Result<StoreScan, OllamaStoreError> {
    let manifests = models_dir.join("manifests");
    if let Err(source) = fs::read_dir(&manifests) {
        return Err(OllamaStoreError::NotFound {
            path: manifests,
            source,
        });
    }
    let mut scan = StoreScan::default();
    let mut entries_seen = 0usize;
    let mut found: Vec<(PathBuf, [String; 4])> = Vec::new();
    // Exactly four levels: registry / namespace / model / tag.
    let mut stack: Vec<(PathBuf, Vec<String>)> = vec![(manifests, Vec::new())];
    while let Some((dir, parts)) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                scan.problems.push(format!("{}: {e}", dir.display()));
                continue;
            }
        };
        for entry in rd {
            entries_seen += 1;
            if entries_seen > MAX_STORE_ENTRIES || found.len() >= MAX_MANIFESTS {
                scan.truncated = true;
                break;
            }
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let mut p = parts.clone();
            p.push(name);
            if let [r, n, m, t] = p.as_slice() {
                if ft.is_file() || ft.is_symlink() {
                    let parts = [r, n, m, t].map(String::clone);
                    found.push((entry.path(), parts));
                }
            } else if ft.is_dir() {
                stack.push((entry.path(), p));
            }
        }
        if scan.truncated {
            break;
        }
    }
    for (path, [registry, namespace, model, tag]) in found {
        scan.models.push(read_manifest_model(
            models_dir, &path, &registry, &namespace, &model, &tag,
        ));
    }
    scan.models.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(scan)
}

/// Reads one manifest and the layers it names. Never fails: problems are recorded in the
/// returned model.
pub fn read_manifest_model(
    models_dir: &Path,
    manifest_path: &Path,
    registry: &str,
    namespace: &str,
    model: &str,
    tag: &str,
) -> OllamaModel {
    let name = display_name(registry, namespace, model, tag);
    let mut m = OllamaModel {
        context_label_tokens: context_label_in_name(&name),
        name,
        registry: registry.to_string(),
        namespace: namespace.to_string(),
        model: model.to_string(),
        tag: tag.to_string(),
        manifest_path: manifest_path.to_path_buf(),
        model_blob: None,
        model_blob_bytes: None,
        gguf: Err("no model layer in the manifest".to_string()),
        params: BTreeMap::new(),
        num_ctx_tokens: None,
        template: None,
        system: None,
        problems: Vec::new(),
    };
    let manifest: Manifest = match read_bounded(manifest_path, MAX_JSON_BYTES).and_then(|b| {
        serde_json::from_slice(&b).map_err(|e| format!("{}: {e}", manifest_path.display()))
    }) {
        Ok(v) => v,
        Err(e) => {
            m.gguf = Err(format!("manifest unreadable: {e}"));
            m.problems.push(e);
            return m;
        }
    };
    if manifest.schema_version.is_some_and(|v| v != 2) {
        m.problems.push(format!(
            "{}: manifest schemaVersion {:?}, expected 2",
            manifest_path.display(),
            manifest.schema_version
        ));
    }
    for layer in &manifest.layers {
        let Some(path) = blob_path(models_dir, &layer.digest) else {
            m.problems.push(format!(
                "layer {} has a malformed digest '{}'",
                layer.media_type, layer.digest
            ));
            continue;
        };
        match layer.media_type.as_str() {
            MEDIA_MODEL if m.model_blob.is_none() => {
                m.gguf = read_gguf(&path).map_err(|e| e.to_string());
                m.model_blob = Some(path);
                m.model_blob_bytes = layer.size;
            }
            MEDIA_PARAMS => match read_bounded(&path, MAX_JSON_BYTES).and_then(|b| {
                serde_json::from_slice::<BTreeMap<String, Value>>(&b)
                    .map_err(|e| format!("{}: {e}", path.display()))
            }) {
                Ok(params) => {
                    if let Some(v) = params.get("num_ctx") {
                        match value_as_u64(v) {
                            Some(n) if n > 0 => m.num_ctx_tokens = Some(n),
                            _ => m.problems.push(format!(
                                "{UNREADABLE_PARAMS}: num_ctx {v} is not a positive number of tokens ({})",
                                path.display()
                            )),
                        }
                    }
                    m.params = params;
                }
                Err(e) => m.problems.push(format!("{UNREADABLE_PARAMS}: {e}")),
            },
            MEDIA_TEMPLATE | MEDIA_SYSTEM => match read_bounded(&path, MAX_TEXT_BYTES) {
                Ok(b) => {
                    let text = String::from_utf8_lossy(&b).into_owned();
                    if layer.media_type == MEDIA_TEMPLATE {
                        m.template = Some(text);
                    } else {
                        m.system = Some(text);
                    }
                }
                Err(e) => m.problems.push(e),
            },
            _ => {}
        }
    }
    m
}

fn value_as_u64(v: &Value) -> Option<u64> {
    match v {
        Value::Number(n) => n.as_u64().or_else(|| {
            n.as_f64()
                .filter(|f| *f >= 0.0 && f.fract() == 0.0)
                .map(|f| f as u64)
        }),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

// ---------------------------------------------------------------------------------------
// Names, labels and the fix
// ---------------------------------------------------------------------------------------

/// Tokens of a name split at non-alphanumeric characters, with their byte spans.
fn tokens(name: &str) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in name.char_indices() {
        if c.is_ascii_alphanumeric() {
            if start.is_none() {
                start = Some(i);
            }
        } else if let Some(s) = start.take() {
            out.push((s, i));
        }
    }
    if let Some(s) = start {
        out.push((s, name.len()));
    }
    out
}

/// A context-size label token: `128k`, `32K`, `1m`, `ctx8k`. `k` is 1024 tokens, `m`
/// 1024*1024; `m` is only read for 1..=10 so parameter counts like `135m` do not match.
fn label_tokens(token: &str) -> Option<u64> {
    let t = token.to_ascii_lowercase();
    let t = t.strip_prefix("ctx").unwrap_or(&t);
    let (digits, unit) = t.split_at(t.len().checked_sub(1)?);
    if digits.is_empty() || digits.len() > 6 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u64 = digits.parse().ok()?;
    match unit {
        "k" if (1..=100_000).contains(&n) => Some(n * 1024),
        "m" if (1..=10).contains(&n) => Some(n * 1024 * 1024),
        _ => None,
    }
}

/// The context size a model name spells out, if any: `qwen3-coder:30b-a3b-v-128k` ->
/// `Some(131072)`, `32k` -> 32768, `1m` -> 1048576. Parameter counts (`30b`, `a3b`) and
/// quantisation names (`q4_k_m`) do not match. The last label in the name wins.
pub fn context_label_in_name(name: &str) -> Option<u64> {
    tokens(name)
        .into_iter()
        .rev()
        .find_map(|(s, e)| label_tokens(&name[s..e]))
}

/// A short label for a context size: 262144 -> `256k`, 1048576 -> `1m`, 100000 -> `100000`.
pub fn format_context_label(tokens: u64) -> String {
    const MI: u64 = 1024 * 1024;
    if tokens >= MI && tokens % MI == 0 {
        format!("{}m", tokens / MI)
    } else if tokens >= 1024 && tokens % 1024 == 0 {
        format!("{}k", tokens / 1024)
    } else {
        tokens.to_string()
    }
}

/// A name for the fixed model: the old name without its misleading context label (and a
/// `v-`/`ctx-` prefix before it), with the new size appended to the tag:
/// `qwen3-coder:30b-a3b-v-128k` + 262144 -> `qwen3-coder:30b-a3b-256k`.
pub fn suggested_model_name(name: &str, num_ctx_tokens: u64) -> String {
    let label = format_context_label(num_ctx_tokens);
    let toks = tokens(name);
    let mut stripped = name.to_string();
    let found = toks
        .iter()
        .rposition(|&(s, e)| label_tokens(&name[s..e]).is_some());
    if let Some((i, &(mut start, mut end))) = found.and_then(|i| Some((i, toks.get(i)?))) {
        if let Some(&(ps, pe)) = i.checked_sub(1).and_then(|j| toks.get(j)) {
            let prefix = name[ps..pe].to_ascii_lowercase();
            let gap = &name[pe..start];
            if matches!(prefix.as_str(), "v" | "ctx" | "c" | "context")
                && (gap == "-" || gap == "_")
            {
                start = ps;
            }
        }
        let before = name[..start].chars().last();
        let after = name[end..].chars().next();
        if matches!(before, Some('-' | '_' | '.')) {
            start -= 1;
        } else if matches!(after, Some('-' | '_' | '.')) {
            end += 1;
        }
        stripped = format!("{}{}", &name[..start], &name[end..]);
    }
    let slash = stripped.rfind('/').map_or(0, |i| i + 1);
    let (base, tag) = match stripped[slash..].rfind(':') {
        Some(c) => (
            stripped[..slash + c].to_string(),
            stripped[slash + c + 1..].to_string(),
        ),
        None => (stripped.clone(), String::new()),
    };
    let tag = tag.trim_matches(|c| c == '-' || c == '_' || c == '.');
    if tag.is_empty() || tag == "latest" {
        format!("{base}:{label}")
    } else {
        format!("{base}:{tag}-{label}")
    }
}

fn modelfile_value(v: &Value) -> Option<String> {
    match v {
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        // JSON quoting escapes quotes and newlines, which Ollama's parser reads back.
        Value::String(s) => serde_json::to_string(s).ok(),
        _ => None,
    }
}

/// A Modelfile that re-creates `from` with `num_ctx` set to `num_ctx_tokens`, keeping the
/// other `params` (each written as `PARAMETER key value`; arrays such as `stop` one line per
/// element). Keys that are not plain identifiers are left out.
pub fn modelfile_fix(from: &str, num_ctx_tokens: u64, params: &BTreeMap<String, Value>) -> String {
    let from: String = from.chars().filter(|c| !c.is_control()).collect();
    let mut out = format!(
        "# Written by headroom: same weights, context window set to {num_ctx_tokens} tokens.\n\
         FROM {from}\nPARAMETER num_ctx {num_ctx_tokens}\n"
    );
    for (key, value) in params {
        if key == "num_ctx"
            || key.is_empty()
            || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            continue;
        }
        let values: Vec<&Value> = match value {
            Value::Array(items) => items.iter().collect(),
            v => vec![v],
        };
        for v in values {
            if let Some(text) = modelfile_value(v) {
                out.push_str(&format!("PARAMETER {key} {text}\n"));
            }
        }
    }
    out
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-./:@+=".contains(&b))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', "'\\''"))
    }
}

/// The shell command that creates the fixed model: `ollama create NAME -f PATH`, quoted
/// for a POSIX shell where needed.
pub fn ollama_create_command(new_name: &str, modelfile_path: &Path) -> String {
    format!(
        "ollama create {} -f {}",
        shell_quote(new_name),
        shell_quote(&modelfile_path.to_string_lossy())
    )
}

/// Parses the `parameters` text of `/api/show` (`num_ctx    131072`, `stop "<|im_end|>"`)
/// into (key, value) pairs, values unquoted when they were JSON-quoted.
pub fn parse_parameters_text(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            let (k, v) = line.split_once(char::is_whitespace)?;
            let v = v.trim();
            let v = if v.starts_with('"') {
                serde_json::from_str::<String>(v)
                    .unwrap_or_else(|_| v.trim_matches('"').to_string())
            } else {
                v.to_string()
            };
            Some((k.to_string(), v))
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// HTTP client
// ---------------------------------------------------------------------------------------

/// Errors talking to a running Ollama. Callers show them; Ollama is never required.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OllamaApiError {
    /// Nothing answered (not running, refused, timed out).
    #[error("Ollama is not reachable at {url}: {detail}")]
    Unreachable {
        /// The URL tried.
        url: String,
        /// The transport error.
        detail: String,
    },
    /// It answered with an HTTP error status.
    #[error("Ollama at {url} answered HTTP {status}: {body}")]
    Status {
        /// The URL tried.
        url: String,
        /// HTTP status code.
        status: u16,
        /// Start of the response body.
        body: String,
    },
    /// The answer could not be read or parsed.
    #[error("Ollama at {url} sent an unreadable answer: {detail}")]
    BadResponse {
        /// The URL tried.
        url: String,
        /// What was wrong.
        detail: String,
    },
}

/// Model details as the API reports them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiDetails {
    /// `gguf`.
    pub format: String,
    /// Model family, e.g. `qwen3moe`.
    pub family: String,
    /// e.g. `30.5B`.
    pub parameter_size: String,
    /// e.g. `Q4_K_M`.
    pub quantization_level: String,
}

/// One entry of `/api/tags`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiModel {
    /// Model name, e.g. `qwen3-coder:30b-a3b-v-128k`.
    pub name: String,
    /// Model name as stored.
    pub model: String,
    /// Size on disk.
    #[serde(rename = "size")]
    pub size_bytes: u64,
    /// Manifest digest.
    pub digest: String,
    /// Details.
    pub details: ApiDetails,
}

/// The useful parts of `/api/show`.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ApiShow {
    /// The `parameters` text as sent.
    pub parameters_text: String,
    /// `parameters` parsed into pairs.
    pub parameters: Vec<(String, String)>,
    /// `num_ctx` from `parameters`: the configured context window.
    pub num_ctx_tokens: Option<u64>,
    /// `model_info["general.architecture"]`.
    pub architecture: Option<String>,
    /// `model_info["<arch>.context_length"]`: the native context.
    pub native_context_tokens: Option<u64>,
    /// `model_info`, as sent.
    pub model_info: BTreeMap<String, Value>,
    /// The prompt template.
    pub template: String,
    /// Details.
    pub details: ApiDetails,
}

/// One entry of `/api/ps`: a model loaded in memory.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ApiRunning {
    /// Model name.
    pub name: String,
    /// Model name as stored.
    pub model: String,
    /// Memory it takes in total.
    #[serde(rename = "size")]
    pub size_bytes: u64,
    /// Of which in GPU memory.
    #[serde(rename = "size_vram")]
    pub size_vram_bytes: u64,
    /// The context it was loaded with (newer Ollama versions report it).
    #[serde(rename = "context_length")]
    pub context_length_tokens: Option<u64>,
    /// When it will be unloaded.
    pub expires_at: Option<String>,
    /// Details.
    pub details: ApiDetails,
}

#[derive(Deserialize)]
struct TagsResponse {
    #[serde(default)]
    models: Vec<ApiModel>,
}

#[derive(Deserialize)]
struct PsResponse {
    #[serde(default)]
    models: Vec<ApiRunning>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ShowResponse {
    parameters: String,
    template: String,
    model_info: BTreeMap<String, Value>,
    details: ApiDetails,
}

/// A client for a running Ollama server with short timeouts.
#[derive(Debug, Clone)]
pub struct OllamaClient {
    base_url: String,
    agent: ureq::Agent,
}

impl OllamaClient {
    /// A client for `base_url` (e.g. `http://127.0.0.1:11434`), without proxies, with a
    /// connect timeout of [`API_CONNECT_TIMEOUT`] and a read timeout of [`API_READ_TIMEOUT`].
    pub fn new(base_url: &str) -> Self {
        let config = ureq::Agent::config_builder()
            .proxy(None)
            .http_status_as_error(false)
            .timeout_connect(Some(API_CONNECT_TIMEOUT))
            .timeout_recv_response(Some(API_READ_TIMEOUT))
            .timeout_recv_body(Some(API_READ_TIMEOUT))
            .timeout_global(Some(API_CONNECT_TIMEOUT + API_READ_TIMEOUT * 2))
            .max_redirects(0)
            .build();
        OllamaClient {
            base_url: base_url.trim_end_matches('/').to_string(),
            agent: config.into(),
        }
    }

    /// A client for the default local server, [`OLLAMA_DEFAULT_URL`].
    pub fn local() -> Self {
        Self::new(OLLAMA_DEFAULT_URL)
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn request(&self, path: &str, post_body: Option<String>) -> Result<String, OllamaApiError> {
        let url = format!("{}{path}", self.base_url);
        let result = match post_body {
            Some(body) => self
                .agent
                .post(&url)
                .header("Content-Type", "application/json")
                .send(body),
            None => self.agent.get(&url).call(),
        };
        let mut resp = result.map_err(|e| OllamaApiError::Unreachable {
            url: url.clone(),
            detail: e.to_string(),
        })?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(MAX_API_BODY_BYTES)
            .lossy_utf8(true)
            .read_to_string()
            .map_err(|e| OllamaApiError::BadResponse {
                url: url.clone(),
                detail: e.to_string(),
            })?;
        if !(200..300).contains(&status) {
            return Err(OllamaApiError::Status {
                url,
                status,
                body: body.chars().take(300).collect(),
            });
        }
        Ok(body)
    }

    #[cfg(test)]
    pub(crate) fn request_for_test(&self, path: &str) -> Result<String, OllamaApiError> {
        self.request(path, None)
    }

    fn json<T: for<'de> Deserialize<'de>>(
        &self,
        path: &str,
        post_body: Option<String>,
    ) -> Result<T, OllamaApiError> {
        let body = self.request(path, post_body)?;
        serde_json::from_str(&body).map_err(|e| OllamaApiError::BadResponse {
            url: format!("{}{path}", self.base_url),
            detail: e.to_string(),
        })
    }

    /// `GET /api/tags`: the installed models.
    pub fn tags(&self) -> Result<Vec<ApiModel>, OllamaApiError> {
        Ok(self.json::<TagsResponse>("/api/tags", None)?.models)
    }

    /// `GET /api/ps`: the models loaded now.
    pub fn ps(&self) -> Result<Vec<ApiRunning>, OllamaApiError> {
        Ok(self.json::<PsResponse>("/api/ps", None)?.models)
    }

    /// `POST /api/show {"model": name}`: configured parameters and native model info.
    pub fn show(&self, model: &str) -> Result<ApiShow, OllamaApiError> {
        let body = serde_json::json!({ "model": model }).to_string();
        let raw: ShowResponse = self.json("/api/show", Some(body))?;
        let parameters = parse_parameters_text(&raw.parameters);
        let num_ctx_tokens = parameters
            .iter()
            .find(|(k, _)| k == "num_ctx")
            .and_then(|(_, v)| v.parse().ok());
        let architecture = raw
            .model_info
            .get("general.architecture")
            .and_then(Value::as_str)
            .map(str::to_string);
        let native_context_tokens = architecture.as_ref().and_then(|a| {
            raw.model_info
                .get(&format!("{a}.context_length"))
                .and_then(value_as_u64)
        });
        Ok(ApiShow {
            parameters_text: raw.parameters,
            parameters,
            num_ctx_tokens,
            architecture,
            native_context_tokens,
            model_info: raw.model_info,
            template: raw.template,
            details: raw.details,
        })
    }
}
