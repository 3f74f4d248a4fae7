//! The diagnosis as text for a terminal and as a Markdown section for the decision summary.
//! Both only format: every figure and sentence comes from the [`Diagnosis`].

use std::fmt::Write as _;

use crate::engine::mix::gib;

use super::{Diagnosis, MatchedBy, ModelDiagnosis};

fn source_words(m: &ModelDiagnosis) -> String {
    let source = match m.source {
        crate::local::scan::ModelSource::Ollama => "Ollama",
        crate::local::scan::ModelSource::LmStudio => "LM Studio",
        crate::local::scan::ModelSource::LlamaCpp => "llama.cpp cache",
        crate::local::scan::ModelSource::File => "file",
    };
    match &m.identity {
        Some(id) => {
            let how = match id.matched_by {
                MatchedBy::Architecture => "catalogue model, matched by architecture",
                MatchedBy::Name => "catalogue model, matched by name",
                MatchedBy::ReadFromFile => "not in the catalogue: read from the file",
            };
            format!(
                "{source}; {} ({how}); {}, {} of weights from {}",
                id.model_name,
                id.quant,
                gib(id.weights_bytes),
                id.weights_source
            )
        }
        None => source.to_owned(),
    }
}

fn machine_line(d: &Diagnosis) -> String {
    format!(
        "{} with {} GB, {} ({})",
        d.machine.name, d.machine.per_device_gb, d.machine.runtime, d.machine.how
    )
}

/// The diagnosis as plain text for people.
pub fn text(d: &Diagnosis) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "headroom diagnose: {}", machine_line(d));
    let _ = writeln!(s, "{}", d.headline);
    for m in &d.models {
        let _ = writeln!(s, "\n{}  [{}]", m.name, source_words(m));
        let _ = writeln!(s, "  verdict: {}", m.verdict.describe());
        for f in &m.findings {
            let _ = writeln!(s, "  - {f}");
        }
        if !m.fix.is_empty() {
            let _ = writeln!(s, "  the fix:");
            for (i, step) in m.fix.steps.iter().enumerate() {
                let _ = writeln!(s, "    {}. {step}", i + 1);
            }
        }
        if let Some(modelfile) = &m.fix.modelfile {
            let _ = writeln!(s, "  Modelfile:");
            for line in modelfile.lines() {
                let _ = writeln!(s, "    {line}");
            }
        }
        for p in &m.problems {
            let _ = writeln!(s, "  problem: {p}");
        }
    }
    if !d.notes.is_empty() {
        let _ = writeln!(s);
        for n in &d.notes {
            let _ = writeln!(s, "note: {n}");
        }
    }
    // Model names and file contents may hold terminal escape codes: never print them raw.
    crate::local::printable_lines(&s)
}

/// The diagnosis as a Markdown section (`## Diagnose before you buy`) for the decision summary.
pub fn markdown(d: &Diagnosis) -> String {
    let mut md = String::new();
    let _ = writeln!(md, "## Diagnose before you buy\n");
    let _ = writeln!(md, "**{}**\n", d.headline);
    let _ = writeln!(md, "Machine: {}.\n", machine_line(d));
    for m in &d.models {
        let _ = writeln!(md, "### `{}`: {}\n", m.name, m.verdict.describe());
        let _ = writeln!(md, "_{}_\n", source_words(m));
        for f in &m.findings {
            let _ = writeln!(md, "- {f}");
        }
        let _ = writeln!(md);
        if !m.fix.is_empty() {
            let _ = writeln!(md, "**The fix:**\n");
            for (i, step) in m.fix.steps.iter().enumerate() {
                let _ = writeln!(md, "{}. {step}", i + 1);
            }
            let _ = writeln!(md);
        }
        if let Some(modelfile) = &m.fix.modelfile {
            let _ = writeln!(md, "```\n{}```\n", modelfile);
        }
        for p in &m.problems {
            let _ = writeln!(md, "- problem: {p}");
        }
    }
    for n in &d.notes {
        let _ = writeln!(md, "> {n}\n");
    }
    crate::local::printable_lines(&md)
}
