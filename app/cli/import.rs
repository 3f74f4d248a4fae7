//! `import-bench`: your own llama-bench runs become measurements for your machine. The rows
//! are checked against the machine's physics, appended to the save file's text under a lock,
//! and saved only when the whole catalogue still loads with them.

use std::path::Path;
use std::time::Duration;

use serde::Serialize;

use super::{parse_have, to_json, CliError};
use crate::catalog::raw::RawBenchmark;
use crate::detect::{self, BenchResult};
use crate::engine::types::{Catalog, Model, Runtime, TestKind};

/// The catalogue model a llama-bench row ran: the same parameter count within 5%, then
/// the most name tokens in common.
pub fn match_model<'c>(catalog: &'c Catalog, row: &BenchResult) -> Option<&'c Model> {
    let params = row.model_n_params? as f64 / 1e9;
    let text = row.model_type.to_lowercase();
    catalog
        .models
        .iter()
        .filter(|m| (m.params_total_b - params).abs() / m.params_total_b.max(0.001) <= 0.05)
        .max_by_key(|m| {
            m.id.split(['-', '.'])
                .filter(|t| t.len() > 1 && text.contains(*t))
                .count()
        })
}

fn runtime_of(backend: &str) -> Option<Runtime> {
    let b = backend.to_lowercase();
    [
        ("cuda", Runtime::Cuda),
        ("rocm", Runtime::Rocm),
        ("hip", Runtime::Rocm),
        ("vulkan", Runtime::Vulkan),
        ("metal", Runtime::Metal),
        ("cpu", Runtime::Cpu),
        ("blas", Runtime::Cpu),
    ]
    .into_iter()
    .find(|(name, _)| b.contains(name))
    .map(|(_, r)| r)
}

#[derive(Serialize)]
struct ImportedRow {
    model: String,
    quant: String,
    runtime: Runtime,
    test: String,
    depth: u64,
    measured_tokens_per_s: f64,
    predicted_tokens_per_s: Option<f64>,
}

/// Largest llama-bench output read: its JSON is about 1 KB a row.
pub const MAX_IMPORT_BYTES: u64 = 16 * 1024 * 1024;

/// How far above the machine's physical bound an imported speed may be: the catalogue's own
/// rule, so what is imported always loads.
pub const IMPORT_BOUND_MARGIN: f64 = crate::catalog::validate::PHYSICAL_BOUND_MARGIN;

/// `headroom import-bench FILE`.
#[allow(clippy::too_many_arguments)]
pub fn import_bench_command(
    cli: &super::Cli,
    catalog: &Catalog,
    file: &Path,
    have: Option<&str>,
    save_to: Option<&Path>,
    dry_run: bool,
    json: bool,
) -> Result<(), CliError> {
    let text = crate::fsio::read_text_bounded(file, MAX_IMPORT_BYTES, "a llama-bench result file")
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let results = detect::parse_llama_bench(&text)
        .map_err(|e| CliError::Usage(format!("{e} in {}", file.display())))?;
    let machine_id = match have {
        Some(h) => parse_have(catalog, h)?.machine,
        None => {
            let detection = detect::detect_all(Duration::from_secs(3));
            match detect::match_machine(&detection, &detect::machine_refs(catalog)).id() {
                Some(id) => id.to_owned(),
                None => {
                    return Err(CliError::Usage(
                        "this machine matches no catalogue machine: name it with --have ID@GB"
                            .to_owned(),
                    ))
                }
            }
        }
    };
    let Some(machine) = catalog.machine(&machine_id) else {
        return Err(CliError::Usage(format!("unknown machine \"{machine_id}\"")));
    };
    let mut raw_rows = Vec::new();
    let mut shown = Vec::new();
    let mut skipped = Vec::new();
    for (index, r) in results.iter().enumerate() {
        let (Some(model), Some(quant), Some(runtime)) = (
            match_model(catalog, r),
            detect::guess_quant(&r.model_type),
            runtime_of(&r.backend),
        ) else {
            skipped.push(format!(
                "{} on {} (no catalogue model, quant or runtime matches)",
                r.model_type, r.backend
            ));
            continue;
        };
        if !machine.runtimes.contains(&runtime) {
            skipped.push(format!(
                "{} on {}: {machine_id} does not run {runtime}",
                r.model_type, r.backend
            ));
            continue;
        }
        let (kind, tokens) = if r.n_prompt > 0 && r.n_gen == 0 {
            (TestKind::Prefill, u64::from(r.n_prompt))
        } else if r.n_gen > 0 && r.n_prompt == 0 {
            (TestKind::Decode, u64::from(r.n_gen))
        } else {
            skipped.push(format!(
                "{} mixed test pp{}+tg{}",
                r.model_type, r.n_prompt, r.n_gen
            ));
            continue;
        };
        let row = index + 1;
        let measured = r.avg_tokens_per_s;
        if !(measured.is_finite() && measured > 0.0) {
            return Err(CliError::Usage(format!(
                "{} row {row}: avg_ts {measured} must be a positive number of tokens/s; nothing imported",
                file.display()
            )));
        }
        if let Some(bound) = catalog
            .quant(quant)
            .zip(catalog.kv_type("f16").or(catalog.kv_types.first()))
            .map(|(q, kv)| {
                let loaded = crate::engine::memory::LoadedModel {
                    model,
                    quant: q,
                    kv,
                };
                crate::engine::speed::physical_bound_tokens_per_s(machine, runtime, &loaded, kind)
            })
        {
            if measured > bound * IMPORT_BOUND_MARGIN {
                return Err(CliError::Usage(format!(
                    "{} row {row}: avg_ts {measured} tok/s for {} {} on {machine_id} ({runtime}) is more than {IMPORT_BOUND_MARGIN} times the machine's physical bound of {bound:.1} tok/s; nothing imported",
                    file.display(),
                    model.id,
                    quant
                )));
            }
        }
        let test = format!(
            "{}{tokens}",
            if kind == TestKind::Prefill {
                "pp"
            } else {
                "tg"
            }
        );
        let raw = RawBenchmark {
            machine: machine_id.clone(),
            runtime: runtime.as_str().to_owned(),
            model: model.id.clone(),
            quant: quant.to_owned(),
            test: test.clone(),
            depth: u64::from(r.n_depth),
            tokens_per_s: measured,
            build: r.build_commit.clone(),
            date: r.test_date(),
            flash_attention: r.flash_attn,
            ubatch: r.n_ubatch.map(u64::from),
            // llama-bench's JSON does not record the CMake options.
            build_flags: Vec::new(),
            // Nor the driver.
            driver: None,
            source: format!(
                "measured: your llama-bench run, imported from {}",
                file.display()
            ),
            notes: r.model_type.clone(),
        };
        let predicted = crate::catalog::validate::benchmark_from_raw(catalog, &raw).and_then(|b| {
            catalog
                .runtime(runtime)
                .and_then(|p| crate::engine::calibrate::predict(catalog, &b, p))
        });
        shown.push(ImportedRow {
            model: model.id.clone(),
            quant: quant.to_owned(),
            runtime,
            test,
            depth: raw.depth,
            measured_tokens_per_s: raw.tokens_per_s,
            predicted_tokens_per_s: predicted,
        });
        raw_rows.push(raw);
    }
    if json {
        println!("{}", to_json(&shown)?);
    } else {
        println!(
            "{} rows for {machine_id} ({} skipped)",
            shown.len(),
            skipped.len()
        );
        for s in &shown {
            println!(
                "  {:<22} {:<7} {:<7} {:<7} d{:<6} measured {:>9.2} tok/s  predicted {}",
                s.model,
                s.quant,
                s.runtime,
                s.test,
                s.depth,
                s.measured_tokens_per_s,
                s.predicted_tokens_per_s
                    .map_or("-".to_owned(), |p| format!("{p:>9.2} tok/s"))
            );
        }
        for s in &skipped {
            println!("  skipped: {s}");
        }
    }
    if dry_run || raw_rows.is_empty() {
        return Ok(());
    }
    let path = match save_to {
        Some(p) => p.to_path_buf(),
        None => crate::catalog::files::config_catalog_dir()
            .ok_or_else(|| anyhow::anyhow!("no config directory on this system; use --save-to"))?
            .join("my-benchmarks.ron"),
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    let saved = crate::fsio::with_lock(&path, || save_rows(cli, &path, &raw_rows))?;
    if !json {
        let dupes = if saved.duplicates > 0 {
            format!(
                "; {} already there, skipped as exact duplicates",
                saved.duplicates
            )
        } else {
            String::new()
        };
        println!(
            "saved {} rows to {}{dupes}: predictions for {machine_id} are now calibrated from your runs",
            saved.added,
            path.display()
        );
    } else if saved.duplicates > 0 {
        eprintln!(
            "{} rows already in {} were skipped as exact duplicates",
            saved.duplicates,
            path.display()
        );
    }
    Ok(())
}

impl From<crate::fsio::FsError> for CliError {
    fn from(e: crate::fsio::FsError) -> Self {
        super::write_error(e)
    }
}

/// What [`save_rows`] did.
struct Saved {
    added: usize,
    duplicates: usize,
}

/// The fields that make two rows the same measurement (the source text names the import
/// file, so it is left out).
fn row_key(r: &RawBenchmark) -> impl PartialEq + '_ {
    (
        (&r.machine, &r.runtime, &r.model, &r.quant, &r.test, r.depth),
        (
            r.tokens_per_s.to_bits(),
            &r.build,
            &r.date,
            r.flash_attention,
            r.ubatch,
        ),
    )
}

/// Appends `rows` to the file at `path` (the caller holds its lock): the file's text is
/// kept as it is, exact duplicates are skipped, and the whole catalogue as it would be
/// afterwards must load before the file is replaced; otherwise nothing changes.
fn save_rows(cli: &super::Cli, path: &Path, rows: &[RawBenchmark]) -> Result<Saved, CliError> {
    use crate::catalog::files::MAX_FILE_BYTES;
    let existing = match crate::fsio::read_text_bounded(path, MAX_FILE_BYTES, "a catalogue file") {
        Ok(text) => Some(text),
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(CliError::Usage(e.to_string())),
    };
    let label = path.display().to_string();
    let old_rows = match &existing {
        Some(text) => {
            let source = crate::catalog::SourceText {
                origin: crate::engine::types::Origin::User(label.clone()),
                label: label.clone(),
                text: text.clone(),
            };
            crate::catalog::validate::parse(&source)
                .map_err(|e| CliError::Catalog(vec![e]))?
                .benchmarks
        }
        None => Vec::new(),
    };
    let mut fresh: Vec<&RawBenchmark> = Vec::new();
    let mut duplicates = 0;
    for r in rows {
        let key = row_key(r);
        if old_rows.iter().any(|o| row_key(o) == key) || fresh.iter().any(|o| row_key(o) == key) {
            duplicates += 1;
        } else {
            fresh.push(r);
        }
    }
    if fresh.is_empty() {
        return Ok(Saved {
            added: 0,
            duplicates,
        });
    }
    let lines = fresh
        .iter()
        .map(|r| ron::ser::to_string(r).map_err(|e| anyhow::anyhow!("cannot write RON: {e}")))
        .collect::<Result<Vec<String>, _>>()?;
    let text = match &existing {
        Some(text) => crate::catalog::span::append_to_list(text, "benchmarks", &lines)
            .map_err(|e| CliError::Usage(format!("{label}: {e}; nothing saved")))?,
        None => {
            let mut t = "// Your own llama-bench runs, imported by `headroom import-bench`.\n(\n    benchmarks: [\n".to_owned();
            for l in &lines {
                t += &format!("        {l},\n");
            }
            t + "    ],\n)\n"
        }
    };
    if text.len() as u64 > MAX_FILE_BYTES {
        return Err(CliError::Usage(format!(
            "{label}: with these rows the file would pass the {MAX_FILE_BYTES} byte limit for a catalogue file and no longer load; nothing saved"
        )));
    }
    // The catalogue as every later command will load it, with the new text in place.
    let mut sources = crate::catalog::files::all_sources(&cli.catalogs, !cli.no_user_catalog)
        .map_err(CliError::Catalog)?;
    let same = |l: &str| {
        let canon = |p: &Path| std::fs::canonicalize(p).ok();
        l == label || (canon(Path::new(l)).is_some() && canon(Path::new(l)) == canon(path))
    };
    let new_source = crate::catalog::SourceText {
        origin: crate::engine::types::Origin::User(label.clone()),
        label: label.clone(),
        text: text.clone(),
    };
    // Only a user file can be the save file; built-in labels are not paths to compare.
    let user_file = |s: &crate::catalog::SourceText| {
        matches!(s.origin, crate::engine::types::Origin::User(_)) && same(&s.label)
    };
    match sources.iter_mut().find(|s| user_file(s)) {
        Some(s) => *s = new_source,
        None => sources.push(new_source),
    }
    if let Err(errors) = crate::catalog::load(&sources) {
        let mut all = errors;
        all.push(crate::catalog::CatalogError::Io {
            path: label,
            reason: "with the imported rows the catalogue would not load (above); nothing saved"
                .to_owned(),
        });
        return Err(CliError::Catalog(all));
    }
    crate::fsio::write_file(path, text.as_bytes())?;
    Ok(Saved {
        added: fresh.len(),
        duplicates,
    })
}
