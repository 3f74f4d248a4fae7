//! `detect` and `import-bench`: the machine you have, found and measured.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;

use super::{parse_have, to_json, CliError};
use crate::catalog::raw::{RawBenchmark, RawFile};
use crate::detect::{self, BenchResult, MachineMatch};
use crate::engine::types::{Catalog, Model, Runtime, TestKind};

#[derive(Serialize)]
struct DetectOut<'a> {
    detection: &'a detect::Detection,
    matched: &'a MachineMatch,
    bandwidth: Option<detect::BandwidthMeasurement>,
}

/// `headroom detect`.
pub fn detect_command(catalog: &Catalog, json: bool, bandwidth: bool) -> Result<(), CliError> {
    let detection = detect::detect_all(Duration::from_secs(3));
    let matched = detect::match_machine(&detection, &detect::machine_refs(catalog));
    let measured = if bandwidth {
        let cancel = AtomicBool::new(false);
        let opts = detect::BandwidthOptions::for_total_ram(detection.total_ram_bytes);
        Some(
            detect::measure_bandwidth(opts, &cancel, &|_| {})
                .map_err(|e| anyhow::anyhow!("bandwidth probe: {e}"))?,
        )
    } else {
        None
    };
    if json {
        let out = DetectOut {
            detection: &detection,
            matched: &matched,
            bandwidth: measured,
        };
        println!("{}", to_json(&out)?);
        return Ok(());
    }
    println!(
        "CPU: {} ({} logical cores)",
        detection.cpu.brand, detection.cpu.logical_cores
    );
    println!(
        "RAM: {:.1} GiB; OS: {} {}",
        detection.total_ram_bytes as f64 / crate::engine::GIB,
        detection.os.name,
        detection.os.version
    );
    if detection.gpus.is_empty() {
        println!("GPUs: none found");
    }
    for gpu in &detection.gpus {
        let memory = gpu
            .total_memory_bytes
            .map_or("memory unknown".to_owned(), |b| {
                format!("{:.1} GiB", b as f64 / crate::engine::GIB)
            });
        println!(
            "GPU: {} ({memory}{}, via {})",
            gpu.name,
            if gpu.unified_memory { ", unified" } else { "" },
            gpu.source
        );
    }
    for limit in &detection.accelerator_limits {
        println!("limit: {limit:?}");
    }
    for note in &detection.notes {
        println!("note: {note}");
    }
    for probe in &detection.probes {
        let outcome = match &probe.outcome {
            detect::ProbeOutcome::Found => "found".to_owned(),
            detect::ProbeOutcome::Unknown { reason } => format!("unknown: {reason}"),
        };
        println!(
            "probe {:<14} {:>5} ms  {outcome}",
            probe.name, probe.elapsed_ms
        );
    }
    match &matched {
        MachineMatch::Exact { id, memory_gb, why } => {
            println!("\nThis is {id} with {memory_gb} GB ({why}). Use --have {id}@{memory_gb}.")
        }
        MachineMatch::Family {
            id,
            memory_gb,
            why,
            differences,
        } => {
            println!(
                "\nClosest catalogue machine: {id} with {memory_gb} GB ({why}); differences: {}",
                differences.join("; ")
            )
        }
        MachineMatch::Unknown { guessed } => println!(
            "\nNo catalogue machine matches: \"{}\" with {:.0} GB ({}); guessed: {}",
            guessed.name,
            guessed.memory_gb,
            guessed.why,
            guessed.guessed_fields.join(", ")
        ),
    }
    if let Some(m) = measured {
        println!(
            "measured memory bandwidth: {:.1} GB/s ({} threads)",
            m.gb_per_s, m.threads
        );
    }
    Ok(())
}

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

/// `headroom import-bench FILE`.
pub fn import_bench_command(
    catalog: &Catalog,
    file: &Path,
    have: Option<&str>,
    save_to: Option<&Path>,
    dry_run: bool,
    json: bool,
) -> Result<(), CliError> {
    let text = std::fs::read_to_string(file)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", file.display())))?;
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
    let mut raw_rows = Vec::new();
    let mut shown = Vec::new();
    let mut skipped = Vec::new();
    for r in &results {
        let (Some(model), Some(quant), Some(runtime)) = (
            match_model(catalog, r),
            detect::guess_quant(&r.model_type),
            runtime_of(&r.backend),
        ) else {
            skipped.push(format!("{} on {}", r.model_type, r.backend));
            continue;
        };
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
            tokens_per_s: r.avg_tokens_per_s,
            build: r.build_commit.clone(),
            date: None,
            flash_attention: r.flash_attn,
            ubatch: r.n_ubatch.map(u64::from),
            // llama-bench's JSON does not record the CMake options.
            build_flags: Vec::new(),
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
            println!("  skipped: {s} (no catalogue model, quant or runtime matches)");
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
    // Keep what was imported before: read, append, write atomically.
    let mut file_rows = RawFile::default();
    if path.exists() {
        let source =
            crate::catalog::files::read_source(&path).map_err(|e| CliError::Catalog(vec![e]))?;
        file_rows =
            crate::catalog::validate::parse(&source).map_err(|e| CliError::Catalog(vec![e]))?;
    }
    file_rows.benchmarks.extend(raw_rows);
    let text = ron::ser::to_string_pretty(&file_rows, ron::ser::PrettyConfig::default())
        .map_err(|e| anyhow::anyhow!("cannot write RON: {e}"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    crate::report::write_atomic(
        &path,
        format!("// Your own llama-bench runs, imported by `headroom import-bench`.\n{text}\n")
            .as_bytes(),
    )
    .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    if !json {
        println!(
            "saved to {}: predictions for {machine_id} are now calibrated from your runs",
            path.display()
        );
    }
    Ok(())
}
