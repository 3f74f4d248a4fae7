//! Reading user catalogue files: `--catalog PATH` and every `*.ron` in the config directory.
//! This is the only part of the catalogue that touches the file system.

use std::path::{Path, PathBuf};

use super::{CatalogError, SourceText};
use crate::engine::types::Origin;

/// Largest catalogue file read; anything bigger is refused rather than loaded.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The platform config directory's `catalog` folder (e.g. `~/.config/headroom/catalog`).
pub fn config_catalog_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "headroom").map(|d| d.config_dir().join("catalog"))
}

/// Every `*.ron` in `dir`, sorted by name; a missing directory is no files.
pub fn ron_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron") && p.is_file())
        .collect();
    files.sort();
    files
}

/// Reads one user file.
pub fn read_source(path: &Path) -> Result<SourceText, CatalogError> {
    let label = path.display().to_string();
    let io = |reason: String| CatalogError::Io {
        path: label.clone(),
        reason,
    };
    let text = crate::fsio::read_text_bounded(path, MAX_FILE_BYTES, "a catalogue file")
        .map_err(|e| io(e.reason()))?;
    Ok(SourceText {
        origin: Origin::User(label.clone()),
        label,
        text,
    })
}

/// The built-in catalogue followed by the config directory's files and then `extra` paths,
/// in the order later entries override earlier ones.
pub fn all_sources(
    extra: &[PathBuf],
    include_config_dir: bool,
) -> Result<Vec<SourceText>, Vec<CatalogError>> {
    let mut sources = super::built_in_sources();
    let mut errors = Vec::new();
    let config_files = if include_config_dir {
        config_catalog_dir()
            .map(|d| ron_files_in(&d))
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    for path in config_files.iter().chain(extra) {
        match read_source(path) {
            Ok(source) => sources.push(source),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(sources)
    } else {
        Err(errors)
    }
}
