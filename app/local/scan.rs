//! Finds the user's local models: the Ollama store, GGUF files in LM Studio's folders and
//! llama.cpp's download cache, and files the user names. Bounded in depth and entries, never
//! follows directory symlinks, reads only GGUF headers.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use serde::Serialize;
use serde_json::Value;

use super::gguf::{read_gguf, GgufInfo};
use super::ollama::{self, OllamaModel};

/// Where a model was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub enum ModelSource {
    /// The Ollama model store.
    Ollama,
    /// LM Studio's models folder.
    LmStudio,
    /// llama.cpp's download cache.
    LlamaCpp,
    /// A file the user chose.
    File,
}

/// A model found on this machine.
#[derive(Debug, Clone, Serialize)]
pub struct LocalModel {
    /// Where it was found.
    pub source: ModelSource,
    /// Display name: Ollama's `model:tag`, else the path below the root.
    pub name: String,
    /// The GGUF file (for Ollama, the model blob; the manifest if there is none).
    pub path: PathBuf,
    /// Size of the GGUF file.
    pub file_bytes: Option<u64>,
    /// The GGUF header, or why it could not be read.
    pub gguf: Result<GgufInfo, String>,
    /// The context window the runtime is configured with (Ollama's `num_ctx`), if known.
    pub configured_context_tokens: Option<u64>,
    /// A context size spelled in the name (`v-128k` -> 131072).
    pub context_label_tokens: Option<u64>,
    /// Runtime parameters (Ollama's params layer).
    pub params: BTreeMap<String, Value>,
    /// Problems met reading this model.
    pub problems: Vec<String>,
}

impl LocalModel {
    /// The model's native (trained) context from its GGUF header.
    pub fn native_context_tokens(&self) -> Option<u64> {
        self.gguf
            .as_ref()
            .ok()
            .and_then(|g| g.context_length_tokens)
    }

    /// `(configured, native)` when the configured context is below the native one: the
    /// configuration, not the hardware, is the limit.
    pub fn context_capped_by_config(&self) -> Option<(u64, u64)> {
        let configured = self.configured_context_tokens?;
        let native = self.native_context_tokens()?;
        (configured < native).then_some((configured, native))
    }

    /// Converts an Ollama store entry.
    pub fn from_ollama(m: OllamaModel) -> Self {
        let file_bytes = m
            .model_blob
            .as_deref()
            .and_then(|p| fs::metadata(p).ok())
            .map(|md| md.len())
            .or(m.model_blob_bytes);
        LocalModel {
            source: ModelSource::Ollama,
            name: m.name,
            path: m.model_blob.unwrap_or(m.manifest_path),
            file_bytes,
            gguf: m.gguf,
            configured_context_tokens: m.num_ctx_tokens,
            context_label_tokens: m.context_label_tokens,
            params: m.params,
            problems: m.problems,
        }
    }
}

/// The folders and files to look in. Tests inject their own; [`ScanRoots::from_env`] reads
/// the real home directory and environment.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ScanRoots {
    /// The Ollama store (`$OLLAMA_MODELS` or `~/.ollama/models`).
    pub ollama_models: Option<PathBuf>,
    /// LM Studio model folders.
    pub lmstudio: Vec<PathBuf>,
    /// llama.cpp cache folders.
    pub llama_cpp: Vec<PathBuf>,
    /// Single GGUF files chosen by the user.
    pub files: Vec<PathBuf>,
}

impl ScanRoots {
    /// The default places on this machine: the Ollama store, `~/.lmstudio/models`,
    /// `~/.cache/lm-studio/models`, `$LLAMA_CACHE` and `~/.cache/llama.cpp` (plus the
    /// platform cache directory's `llama.cpp`, where that differs).
    pub fn from_env() -> Self {
        let mut roots = ScanRoots {
            ollama_models: ollama::default_models_dir(),
            ..ScanRoots::default()
        };
        if let Some(dir) = std::env::var_os("LLAMA_CACHE").filter(|v| !v.is_empty()) {
            roots.llama_cpp.push(PathBuf::from(dir));
        }
        if let Some(base) = directories::BaseDirs::new() {
            let home = base.home_dir();
            roots.lmstudio.push(home.join(".lmstudio").join("models"));
            roots
                .lmstudio
                .push(home.join(".cache").join("lm-studio").join("models"));
            let home_cache = home.join(".cache").join("llama.cpp");
            let platform_cache = base.cache_dir().join("llama.cpp");
            roots.llama_cpp.push(home_cache.clone());
            if platform_cache != home_cache {
                roots.llama_cpp.push(platform_cache);
            }
        }
        roots
    }
}

/// Bounds of the folder walk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScanLimits {
    /// Deepest folder level below a root that is entered.
    pub max_depth: usize,
    /// Most directory entries looked at per root.
    pub max_entries: usize,
}

impl Default for ScanLimits {
    fn default() -> Self {
        ScanLimits {
            max_depth: 6,
            max_entries: 2000,
        }
    }
}

/// Everything found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// Models, Ollama first, then by source and name.
    pub models: Vec<LocalModel>,
    /// Problems with roots (missing folders are not problems; unreadable ones are).
    pub problems: Vec<String>,
    /// True when a bound stopped a walk early.
    pub truncated: bool,
}

/// GGUF files found below one root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FoundFiles {
    /// Paths of `.gguf` files (split models: only the first part).
    pub files: Vec<PathBuf>,
    /// True when `max_entries` stopped the walk.
    pub truncated: bool,
    /// Folders that could not be read.
    pub problems: Vec<String>,
}

/// True for the second and later parts of a split model (`-00002-of-00003.gguf`).
pub fn is_later_split_part(file_name: &str) -> bool {
    let lower = file_name.to_ascii_lowercase();
    let Some(stem) = lower.strip_suffix(".gguf") else {
        return false;
    };
    // ...-NNNNN-of-MMMMM
    let Some((head, total)) = stem.rsplit_once("-of-") else {
        return false;
    };
    let Some((_, part)) = head.rsplit_once('-') else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(part) && digits(total) && part.parse::<u64>().is_ok_and(|p| p > 1)
}

fn is_gguf_name(name: &str) -> bool {
    name.len() > 5 && name.to_ascii_lowercase().ends_with(".gguf")
}

/// Walks `root` for `.gguf` files, at most `limits.max_depth` folders deep and
/// `limits.max_entries` entries, skipping hidden entries and directory symlinks.
pub fn find_gguf_files(root: &Path, limits: ScanLimits) -> FoundFiles {
    let mut out = FoundFiles::default();
    let mut seen = 0usize;
    let mut stack = vec![(root.to_path_buf(), 0usize)];
    'walk: while let Some((dir, depth)) = stack.pop() {
        let rd = match fs::read_dir(&dir) {
            Ok(rd) => rd,
            Err(e) => {
                if depth > 0 || e.kind() != std::io::ErrorKind::NotFound {
                    out.problems.push(format!("{}: {e}", dir.display()));
                }
                continue;
            }
        };
        let mut names: Vec<_> = rd.filter_map(Result::ok).collect();
        names.sort_by_key(|e| e.file_name());
        for entry in names {
            seen += 1;
            if seen > limits.max_entries {
                out.truncated = true;
                break 'walk;
            }
            let name = entry.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                continue;
            }
            let Ok(ft) = entry.file_type() else { continue };
            let path = entry.path();
            if ft.is_dir() {
                if depth < limits.max_depth {
                    stack.push((path, depth + 1));
                }
            } else if is_gguf_name(&name) && !is_later_split_part(&name) {
                // Regular files, and symlinks that resolve to files.
                if ft.is_file() || fs::metadata(&path).is_ok_and(|m| m.is_file()) {
                    out.files.push(path);
                }
            }
        }
    }
    out.files.sort();
    out
}

fn file_model(source: ModelSource, root: &Path, path: PathBuf) -> LocalModel {
    let name = match source {
        ModelSource::LmStudio => path
            .strip_prefix(root)
            .unwrap_or(&path)
            .to_string_lossy()
            .into_owned(),
        _ => path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| path.to_string_lossy().into_owned()),
    };
    let file_bytes = fs::metadata(&path).ok().map(|m| m.len());
    let gguf = read_gguf(&path).map_err(|e| e.to_string());
    LocalModel {
        source,
        context_label_tokens: ollama::context_label_in_name(&name),
        name,
        path,
        file_bytes,
        gguf,
        configured_context_tokens: None,
        params: BTreeMap::new(),
        problems: Vec::new(),
    }
}

/// Reads every root: the Ollama store and the GGUF files below the other folders. Files
/// reached twice (through two roots or a symlink) are listed once.
pub fn scan_local(roots: &ScanRoots, limits: ScanLimits) -> ScanReport {
    let mut report = ScanReport::default();
    let mut seen_paths = BTreeSet::new();
    if let Some(dir) = &roots.ollama_models {
        match ollama::scan_store(dir) {
            Ok(scan) => {
                report.truncated |= scan.truncated;
                report.problems.extend(scan.problems);
                for m in scan.models {
                    if let Some(blob) = &m.model_blob {
                        seen_paths.insert(fs::canonicalize(blob).unwrap_or_else(|_| blob.clone()));
                    }
                    report.models.push(LocalModel::from_ollama(m));
                }
            }
            Err(ollama::OllamaStoreError::NotFound { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => report.problems.push(e.to_string()),
        }
    }
    let walks = roots
        .lmstudio
        .iter()
        .map(|r| (ModelSource::LmStudio, r))
        .chain(roots.llama_cpp.iter().map(|r| (ModelSource::LlamaCpp, r)));
    for (source, root) in walks {
        let found = find_gguf_files(root, limits);
        report.truncated |= found.truncated;
        report.problems.extend(found.problems);
        for path in found.files {
            let key = fs::canonicalize(&path).unwrap_or_else(|_| path.clone());
            if seen_paths.insert(key) {
                report.models.push(file_model(source, root, path));
            }
        }
    }
    for path in &roots.files {
        let key = fs::canonicalize(path).unwrap_or_else(|_| path.clone());
        if seen_paths.insert(key) {
            let root = path.parent().unwrap_or(Path::new(""));
            report
                .models
                .push(file_model(ModelSource::File, root, path.clone()));
        }
    }
    report
        .models
        .sort_by(|a, b| (a.source, &a.name).cmp(&(b.source, &b.name)));
    report
}
