//! The decision summary: Markdown and JSON from a ranking, and atomic writes to disk.

use std::fmt::Write as _;
use std::path::Path;

use crate::diagnose::Diagnosis;
use crate::engine::mix::{gib, Served};
use crate::engine::rank::{thousands, RankOptions, Ranking};
use crate::engine::types::{Catalog, Workload};
use crate::present::{meets_words, rank_number, usd};

/// Renders the decision summary as Markdown.
pub fn markdown(
    catalog: &Catalog,
    workload: &Workload,
    options: &RankOptions,
    ranking: &Ranking,
    top: usize,
) -> String {
    markdown_with_diagnosis(catalog, workload, options, ranking, top, None)
}

/// Renders the decision summary as Markdown, with the diagnosis of the user's local setup
/// (`headroom diagnose`) right after the headline: settings come before purchases.
pub fn markdown_with_diagnosis(
    catalog: &Catalog,
    workload: &Workload,
    options: &RankOptions,
    ranking: &Ranking,
    top: usize,
    diagnosis: Option<&Diagnosis>,
) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "# headroom decision summary: {}\n", workload.name);
    // The verdict first, in the same words as the window's headline and `rank`'s first line.
    let mut lines = crate::present::verdict_lines(&ranking.verdict).into_iter();
    if let Some(line) = lines.next() {
        let _ = writeln!(md, "**{line}**\n");
    }
    for line in lines {
        let _ = writeln!(md, "{line}\n");
    }
    if let Some(d) = diagnosis {
        md.push_str(&crate::diagnose::markdown(d));
        md.push('\n');
    }
    let _ = writeln!(md, "## Inputs\n");
    let _ = writeln!(
        md,
        "- Workload: `{}`: {}",
        workload.id, workload.description
    );
    let have = options
        .have
        .as_ref()
        .map(|h| format!("`{}` with {} GB", h.machine, h.per_device_gb))
        .unwrap_or_else(|| "not given".to_owned());
    let _ = writeln!(md, "- Your machine: {have}");
    let _ = writeln!(
        md,
        "- Budget: {} to {}; objective: {}; cloud for non-private tasks: {}; electricity ${:.2}/kWh",
        usd(options.budget_min_usd),
        usd(options.budget_max_usd),
        options.objective.as_str(),
        if options.mix.allow_cloud { "allowed" } else { "not allowed" },
        options.mix.electricity_usd_per_kwh
    );
    if let Some(wait) = options.mix.max_wait_secs {
        let _ = writeln!(
            md,
            "- Longest wait you accept: {wait:.0} s per request (to the first token when the client streams)"
        );
    }
    if let Some(min) = workload.min_decode_tokens_per_s {
        let _ = writeln!(
            md,
            "- Target: every task served, decode at least {min:.0} tok/s"
        );
    }
    let _ = writeln!(
        md,
        "\n| task | share | prompt | output | model | quant | private | timeout |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---|---|---|---:|");
    for t in &workload.tasks {
        let _ = writeln!(
            md,
            "| {} | {:.0}% | {} | {} | {} | {} | {} | {:.0} s |",
            t.name,
            t.share * 100.0,
            thousands(t.prompt_tokens),
            thousands(t.output_tokens),
            t.model,
            t.quant,
            if t.private { "yes" } else { "no" },
            t.timeout_secs
        );
    }
    let _ = writeln!(md, "\n## Ranking\n");
    let _ = writeln!(md, "| # | machine | memory | price | meets your requirements | local | cloud | failed | mean request | decode tok/s | cloud $/month | bottleneck |");
    let _ = writeln!(
        md,
        "|---:|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---|"
    );
    for (i, e) in ranking.entries.iter().take(top).enumerate() {
        let _ = writeln!(
            md,
            "| {} | {}{} | {:.0} GB | {} | {} | {:.0}% | {:.0}% | {:.0}% | {:.1} s | {:.1} | {:.2} | {} |",
            rank_number(i, e),
            e.machine_name,
            if e.is_current { " (yours)" } else { "" },
            e.total_memory_gb,
            usd(e.price_usd),
            meets_words(e),
            e.mix.share_local * 100.0,
            e.mix.share_cloud * 100.0,
            e.mix.share_failed * 100.0,
            e.mix.mean_request_secs,
            e.mix.local_decode_tokens_per_s,
            e.mix.cloud_usd_per_month,
            crate::present::bottleneck_words(e.bottleneck)
        );
    }
    let _ = writeln!(md, "\n## Reasons\n");
    for e in ranking.entries.iter().take(top) {
        let _ = writeln!(
            md,
            "### {} ({:.0} GB){}\n",
            e.machine_name,
            e.total_memory_gb,
            if e.is_current { ", yours" } else { "" }
        );
        for r in &e.reasons {
            let _ = writeln!(md, "- {}", crate::present::reason_words(r));
        }
        for setting in &e.settings {
            let _ = writeln!(
                md,
                "- setting to change: {}",
                crate::present::setting_words(setting)
            );
        }
        let _ = writeln!(md);
    }
    let _ = writeln!(md, "## Memory\n");
    let _ = writeln!(
        md,
        "| machine | weights | KV cache | overhead | total | usable | headroom | placement |"
    );
    let _ = writeln!(md, "|---|---:|---:|---:|---:|---:|---:|---|");
    for e in ranking.entries.iter().take(top) {
        if let Some(m) = &e.mix.peak_memory {
            let _ = writeln!(
                md,
                "| {} ({:.0} GB) | {} | {} | {} | {} | {} | {} | {} |",
                e.machine_name,
                e.total_memory_gb,
                gib(m.weights_bytes),
                gib(m.kv_cache_bytes),
                gib(m.overhead_bytes),
                gib(m.total_bytes),
                gib(m.usable_bytes),
                gib(m.headroom_bytes),
                m.placement.as_str()
            );
        }
    }
    let cloud_tasks: Vec<String> = ranking
        .entries
        .first()
        .map(|e| {
            e.mix
                .tasks
                .iter()
                .filter_map(|t| match &t.served {
                    Served::Cloud { offer, .. } => Some(format!("{} -> {offer}", t.name)),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    if !cloud_tasks.is_empty() {
        let _ = writeln!(
            md,
            "\nOn the top pick, these tasks go to the cloud (their data leaves the machine): {}.",
            cloud_tasks.join("; ")
        );
    }
    let _ = writeln!(
        md,
        "\nPredictions come from the engine's physics (bandwidth for decode, compute for prefill) with efficiencies from `catalog/runtimes.ron`; {} machines and {} models in the catalogue; every figure has a source there.",
        catalog.machines.len(),
        catalog.models.len()
    );
    md
}

/// Writes `contents` to `path` through [`crate::fsio::write_file`], the program's one writer
/// (regular files only, atomic, permissions kept). Kept for callers of the old name.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    crate::fsio::write_file(path, contents).map_err(std::io::Error::from)
}
