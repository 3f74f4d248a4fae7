//! The catalogue: RON text in, a validated [`Catalog`] or precise errors out.
//!
//! Two stages, as in ripgrep's flags: [`raw`] deserializes text into plain types; [`validate`]
//! turns those into the engine's types, resolving references and checking every number,
//! or returns every error it finds with file, line, column and field. File reading lives in
//! [`files`]; everything else here is pure.

pub mod error;
pub mod files;
pub mod raw;
pub mod span;
pub mod validate;

pub use error::{CatalogError, Location};
pub use validate::load;

use crate::engine::types::{Catalog, Origin};

/// Catalogue text with where it came from.
#[derive(Clone, Debug)]
pub struct SourceText {
    pub origin: Origin,
    /// Path shown in messages: `catalog/machines.ron` or the user's path.
    pub label: String,
    pub text: String,
}

/// The catalogue files embedded in the binary.
pub const BUILT_IN: &[(&str, &str)] = &[
    ("machines.ron", include_str!("../../catalog/machines.ron")),
    ("models.ron", include_str!("../../catalog/models.ron")),
    ("quants.ron", include_str!("../../catalog/quants.ron")),
    ("runtimes.ron", include_str!("../../catalog/runtimes.ron")),
    ("workloads.ron", include_str!("../../catalog/workloads.ron")),
    ("cloud.ron", include_str!("../../catalog/cloud.ron")),
    (
        "benchmarks.ron",
        include_str!("../../catalog/benchmarks.ron"),
    ),
    ("drafts.ron", include_str!("../../catalog/drafts.ron")),
    (
        "serving_benchmarks.ron",
        include_str!("../../catalog/serving_benchmarks.ron"),
    ),
];

/// The built-in sources.
pub fn built_in_sources() -> Vec<SourceText> {
    BUILT_IN
        .iter()
        .map(|(name, text)| SourceText {
            origin: Origin::BuiltIn((*name).to_owned()),
            label: format!("catalog/{name}"),
            text: (*text).to_owned(),
        })
        .collect()
}

/// The built-in catalogue alone. It is tested to load; an error here is a build defect.
pub fn built_in() -> Result<Catalog, Vec<CatalogError>> {
    load(&built_in_sources())
}
