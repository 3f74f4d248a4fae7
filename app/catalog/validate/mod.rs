//! Second input stage: raw entries from every file are merged by id (later files override
//! earlier ones), checked, and turned into the engine's [`Catalog`]. Every error names the
//! file, line, column, entry and field; all errors are collected, not just the first.

mod benchmarks;
mod check;
mod cloud;
mod locate;
mod machines;
mod models;
mod runtimes;
mod serving;
mod workloads;

use std::collections::BTreeMap;

use super::error::{CatalogError, Location};
use super::raw::*;
use super::SourceText;
use crate::engine::types::*;

pub use benchmarks::{benchmark_from_raw, parse_test, PHYSICAL_BOUND_MARGIN};
use check::Check;
pub use locate::closest;
use locate::{did_you_mean, enclosing_id, friendly_ron_message, locate};

/// Parses and validates catalogue sources, in override order.
pub fn load(sources: &[SourceText]) -> Result<Catalog, Vec<CatalogError>> {
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(sources.len());
    for source in sources {
        match parse(source) {
            Ok(file) => parsed.push((source, file)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        // Later errors would only echo the unparsed file (every reference into it unknown).
        return Err(errors);
    }
    let mut merged = Merged::default();
    for (source, file) in &parsed {
        merged.add(source, file, &mut errors);
    }
    let mut catalog = merged.validate(&mut errors);
    if errors.is_empty() {
        catalog.corrections = crate::engine::calibrate::user_corrections(&catalog);
        catalog.measured = crate::engine::calibrate::catalogue_measured_cases(&catalog);
        Ok(catalog)
    } else {
        Err(errors)
    }
}

/// First stage: RON text to raw types, with the RON error's position.
pub fn parse(source: &SourceText) -> Result<RawFile, CatalogError> {
    // Optional fields may be written bare (`price_usd: 3999`) or as `Some(3999)`.
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    options.from_str::<RawFile>(&source.text).map_err(|e| {
        let line = e.span.start.line.max(1);
        let column = e.span.start.col.max(1);
        let mut message = friendly_ron_message(&e.code.to_string());
        if let Some(id) = enclosing_id(&source.text, line, column) {
            message = format!("{message} in entry \"{id}\"");
        }
        CatalogError::Syntax {
            message,
            location: Location {
                file: source.label.clone(),
                line,
                column,
            },
        }
    })
}

/// Raw entries of every file, keyed by id, each with the source it came from.
#[derive(Default)]
struct Merged<'s> {
    machines: BTreeMap<String, (&'s SourceText, RawMachine)>,
    models: BTreeMap<String, (&'s SourceText, RawModel)>,
    quants: BTreeMap<String, (&'s SourceText, RawQuant)>,
    kv_types: BTreeMap<String, (&'s SourceText, RawKvType)>,
    workloads: BTreeMap<String, (&'s SourceText, RawWorkload)>,
    cloud: BTreeMap<String, (&'s SourceText, RawCloud)>,
    runtimes: BTreeMap<String, (&'s SourceText, RawRuntimeProfile)>,
    benchmarks: Vec<(&'s SourceText, RawBenchmark)>,
    drafts: Vec<(&'s SourceText, RawDraft)>,
    serving_benchmarks: Vec<(&'s SourceText, RawServingBenchmark)>,
    /// Order in which ids first appeared, to keep the catalogue's order.
    order: BTreeMap<(&'static str, String), usize>,
}

macro_rules! merge_section {
    ($self:ident, $source:ident, $errors:ident, $list:expr, $map:ident, $kind:literal, $key:literal, $id:ident) => {{
        let mut seen = std::collections::HashSet::new();
        for entry in $list {
            let id = entry.$id.clone();
            if !seen.insert(id.clone()) {
                $errors.push(CatalogError::Invalid {
                    message: format!("duplicate {} id \"{}\" in one file", $kind, id),
                    location: locate($source, $key, &id, $key, None),
                });
                continue;
            }
            let next = $self.order.len();
            $self.order.entry(($kind, id.clone())).or_insert(next);
            $self.$map.insert(id, ($source, entry.clone()));
        }
    }};
}

impl<'s> Merged<'s> {
    fn add(&mut self, source: &'s SourceText, file: &RawFile, errors: &mut Vec<CatalogError>) {
        merge_section!(
            self,
            source,
            errors,
            &file.machines,
            machines,
            "machine",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.models,
            models,
            "model",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.quants,
            quants,
            "quant",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.kv_types,
            kv_types,
            "KV type",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.workloads,
            workloads,
            "workload",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.cloud,
            cloud,
            "cloud offer",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.runtimes,
            runtimes,
            "runtime profile",
            "runtime",
            runtime
        );
        self.benchmarks
            .extend(file.benchmarks.iter().map(|b| (source, b.clone())));
        self.drafts
            .extend(file.drafts.iter().map(|d| (source, d.clone())));
        self.serving_benchmarks
            .extend(file.serving_benchmarks.iter().map(|b| (source, b.clone())));
    }

    fn ordered<T: Clone>(
        &self,
        kind: &'static str,
        map: &BTreeMap<String, (&'s SourceText, T)>,
    ) -> Vec<(&'s SourceText, T)> {
        let mut items: Vec<(usize, (&'s SourceText, T))> = map
            .iter()
            .map(|(id, (s, v))| {
                (
                    self.order
                        .get(&(kind, id.clone()))
                        .copied()
                        .unwrap_or(usize::MAX),
                    (*s, v.clone()),
                )
            })
            .collect();
        items.sort_by_key(|(o, _)| *o);
        items.into_iter().map(|(_, v)| v).collect()
    }

    /// Validates every entry in dependency order. An entry that refers to an entry which
    /// failed its own checks (a machine on a runtime whose profile is invalid, a benchmark
    /// of that machine) is left out without an error of its own: the first error names the
    /// cause, and echoes of it would bury that error under hundreds of lines.
    fn validate(&self, errors: &mut Vec<CatalogError>) -> Catalog {
        let mut catalog = Catalog::default();
        for (source, raw) in self.ordered("quant", &self.quants) {
            if let Some(q) = Check::new(source, "quant", &raw.id, "id", errors).quant(&raw) {
                catalog.quants.push(q);
            }
        }
        for (source, raw) in self.ordered("KV type", &self.kv_types) {
            if let Some(k) = Check::new(source, "KV type", &raw.id, "id", errors).kv_type(&raw) {
                catalog.kv_types.push(k);
            }
        }
        let failed_quants = failed(self.quants.keys(), |id| catalog.quant(id).is_some());
        for (source, raw) in self.ordered("model", &self.models) {
            if raw
                .gguf_files
                .iter()
                .any(|f| failed_quants.contains(&f.quant))
            {
                continue;
            }
            if let Some(m) =
                Check::new(source, "model", &raw.id, "id", errors).model(&raw, &catalog)
            {
                catalog.models.push(m);
            }
        }
        for (source, raw) in self.ordered("runtime profile", &self.runtimes) {
            if let Some(r) =
                Check::new(source, "runtime profile", &raw.runtime, "runtime", errors).runtime(&raw)
            {
                catalog.runtimes.push(r);
            }
        }
        let failed_models = failed(self.models.keys(), |id| catalog.model(id).is_some());
        let failed_runtimes = failed(self.runtimes.keys(), |id| {
            catalog.runtimes.iter().any(|r| r.runtime.as_str() == id)
        });
        for (source, raw) in self.ordered("machine", &self.machines) {
            if raw.runtimes.iter().any(|r| failed_runtimes.contains(r))
                || raw.claims.iter().any(|c| failed_models.contains(&c.model))
            {
                continue;
            }
            if let Some(m) =
                Check::new(source, "machine", &raw.id, "id", errors).machine(&raw, &catalog)
            {
                catalog.machines.push(m);
            }
        }
        for (source, raw) in self.ordered("cloud offer", &self.cloud) {
            if let Some(c) = Check::new(source, "cloud offer", &raw.id, "id", errors).cloud(&raw) {
                catalog.cloud.push(c);
            }
        }
        let failed_machines = failed(self.machines.keys(), |id| catalog.machine(id).is_some());
        // A benchmark, draft or workload of a failed entry is left out too.
        let echo =
            |machine: Option<&str>, runtime: Option<&str>, models: &[&str], quants: &[&str]| {
                machine.is_some_and(|m| failed_machines.contains(m))
                    || runtime.is_some_and(|r| failed_runtimes.contains(r))
                    || models.iter().any(|m| failed_models.contains(*m))
                    || quants.iter().any(|q| failed_quants.contains(*q))
            };
        let row_echo = |machine: &str, runtime: &str, model: &str, quant: &str| {
            echo(Some(machine), Some(runtime), &[model], &[quant])
        };
        for (source, raw) in self.ordered("workload", &self.workloads) {
            let models: Vec<&str> = raw.tasks.iter().map(|t| t.model.as_str()).collect();
            let quants: Vec<&str> = raw.tasks.iter().map(|t| t.quant.as_str()).collect();
            if echo(None, None, &models, &quants) {
                continue;
            }
            if let Some(w) =
                Check::new(source, "workload", &raw.id, "id", errors).workload(&raw, &catalog)
            {
                catalog.workloads.push(w);
            }
        }
        for (source, raw) in &self.benchmarks {
            if row_echo(&raw.machine, &raw.runtime, &raw.model, &raw.quant) {
                continue;
            }
            let id = format!("{}/{}/{}/{}", raw.machine, raw.model, raw.quant, raw.test);
            if let Some(b) =
                Check::new(source, "benchmark", &id, "machine", errors).benchmark(raw, &catalog)
            {
                catalog.benchmarks.push(b);
            }
        }
        for (source, raw) in &self.drafts {
            if echo(None, None, &[&raw.target, &raw.draft], &[&raw.draft_quant]) {
                continue;
            }
            let id = format!("{}+{}", raw.target, raw.draft);
            if let Some(d) =
                Check::new(source, "draft pairing", &id, "target", errors).draft(raw, &catalog)
            {
                catalog.drafts.push(d);
            }
        }
        for (source, raw) in &self.serving_benchmarks {
            if row_echo(&raw.machine, &raw.runtime, &raw.model, &raw.quant) {
                continue;
            }
            let id = format!("{}/{}/{}", raw.machine, raw.model, raw.quant);
            if let Some(b) = Check::new(source, "serving benchmark", &id, "machine", errors)
                .serving_benchmark(raw, &catalog)
            {
                catalog.serving_benchmarks.push(b);
            }
        }
        catalog
    }
}

/// The ids among `ids` that did not make it into the catalogue (`kept` says which did).
fn failed<'a>(
    ids: impl Iterator<Item = &'a String>,
    kept: impl Fn(&str) -> bool,
) -> std::collections::HashSet<String> {
    ids.filter(|id| !kept(id)).cloned().collect()
}
