//! `detect`: the machine you have, found and matched to the catalogue.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use serde::Serialize;

use super::{to_json, CliError};
use crate::detect::{self, MachineMatch};
use crate::engine::types::Catalog;

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
