//! The diagnosis as text for a terminal and as a Markdown section for the decision summary.
//! Both only lay out: every figure comes from the [`Diagnosis`], every sentence from
//! `crate::present::diagnosis`, which the window's Diagnose tab reads too.

use std::fmt::Write as _;

use super::Diagnosis;
use crate::present::diagnosis::{
    findings_words, fix_step_words, headline_words, machine_words, source_words, verdict_words,
};

/// The diagnosis as plain text for people.
pub fn text(d: &Diagnosis) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "headroom diagnose: {}", machine_words(&d.machine));
    let _ = writeln!(s, "{}", headline_words(d.headline));
    for m in &d.models {
        let _ = writeln!(s, "\n{}  [{}]", m.name, source_words(m));
        let _ = writeln!(s, "  verdict: {}", verdict_words(m.verdict));
        for f in findings_words(m) {
            let _ = writeln!(s, "  - {f}");
        }
        if !m.fix.is_empty() {
            let _ = writeln!(s, "  the fix:");
            for (i, step) in m.fix.steps.iter().enumerate() {
                let _ = writeln!(s, "    {}. {}", i + 1, fix_step_words(step));
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
    let _ = writeln!(md, "**{}**\n", headline_words(d.headline));
    let _ = writeln!(md, "Machine: {}.\n", machine_words(&d.machine));
    for m in &d.models {
        let _ = writeln!(md, "### `{}`: {}\n", m.name, verdict_words(m.verdict));
        let _ = writeln!(md, "_{}_\n", source_words(m));
        for f in findings_words(m) {
            let _ = writeln!(md, "- {f}");
        }
        let _ = writeln!(md);
        if !m.fix.is_empty() {
            let _ = writeln!(md, "**The fix:**\n");
            for (i, step) in m.fix.steps.iter().enumerate() {
                let _ = writeln!(md, "{}. {}", i + 1, fix_step_words(step));
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
