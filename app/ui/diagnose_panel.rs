//! The diagnosis in the Diagnose tab, drawn from the data (`crate::diagnose::Diagnosis`) in
//! the words of `crate::present::diagnosis`: the headline, then per model its verdict, its
//! findings, the steps of the fix and the Modelfile to paste.

use egui::{RichText, Ui};

use crate::diagnose::{Diagnosis, ModelDiagnosis, Verdict};
use crate::present::diagnosis::{
    findings_words, fix_step_words, headline_words, machine_words, source_words, verdict_words,
};

use super::ranking_panel::good_color;

/// Draws a finished diagnosis.
pub fn diagnosis_ui(ui: &mut Ui, d: &Diagnosis) {
    ui.label(RichText::new(headline_words(d.headline)).strong());
    ui.label(RichText::new(machine_words(&d.machine)).small().weak());
    for m in &d.models {
        ui.separator();
        model_ui(ui, m);
    }
    if !d.notes.is_empty() {
        ui.separator();
        for note in &d.notes {
            ui.label(
                RichText::new(crate::local::printable_lines(note))
                    .small()
                    .weak(),
            );
        }
    }
}

fn model_ui(ui: &mut Ui, m: &ModelDiagnosis) {
    // Model names and file contents may hold control characters: never draw them raw.
    let shown = |text: &str| crate::local::printable_lines(text);
    ui.label(RichText::new(shown(&m.name)).strong());
    ui.label(RichText::new(shown(&source_words(m))).small().weak());
    let verdict = RichText::new(verdict_words(m.verdict));
    ui.label(match m.verdict {
        Verdict::Fine => verdict.color(good_color(ui)),
        Verdict::Settings => verdict.color(ui.visuals().warn_fg_color),
        Verdict::Hardware | Verdict::Unreadable => verdict.color(ui.visuals().error_fg_color),
    });
    for finding in findings_words(m) {
        ui.label(format!("• {}", shown(&finding)));
    }
    if !m.fix.is_empty() {
        ui.label(RichText::new("The fix").strong());
        for (i, step) in m.fix.steps.iter().enumerate() {
            ui.label(format!("{}. {}", i + 1, shown(&fix_step_words(step))));
        }
    }
    if let Some(modelfile) = &m.fix.modelfile {
        ui.label("Modelfile:");
        ui.add(egui::Label::new(RichText::new(shown(modelfile)).monospace()).selectable(true));
    }
    for problem in &m.problems {
        ui.label(
            RichText::new(format!("problem: {}", shown(problem)))
                .small()
                .weak(),
        );
    }
}
