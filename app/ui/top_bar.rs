//! The bar above everything: file actions, the path field that replaces a native dialog when
//! none can open, and the notices (saved files, errors with their file, line and column).

use std::path::PathBuf;

use egui::{RichText, Ui};

use super::command::{Command, FileAction};

/// A message for the user; errors stay until dismissed.
#[derive(Clone, Debug, PartialEq)]
pub struct Notice {
    pub text: String,
    pub is_error: bool,
}

/// The in-window path field, shown instead of a native dialog.
#[derive(Clone, Debug, PartialEq)]
pub struct PathPrompt {
    pub action: FileAction,
    pub text: String,
}

/// Draws the bar.
pub fn top_bar_ui(ui: &mut Ui, prompt: Option<&mut PathPrompt>, notices: &[Notice]) -> Command {
    let mut command = Command::Nothing;
    ui.horizontal(|ui| {
        ui.label(RichText::new("headroom").heading().strong());
        ui.separator();
        if ui
            .button("Save summary…")
            .on_hover_text("A web page to forward or print (.html), Markdown with chart images (.md), or JSON (Ctrl+S)")
            .clicked()
        {
            command = Command::SaveSummary;
        }
        if ui
            .button("Open scenario…")
            .on_hover_text("All inputs from a RON file (Ctrl+O)")
            .clicked()
        {
            command = Command::OpenScenario;
        }
        if ui
            .button("Save scenario…")
            .on_hover_text("All inputs to a RON file (Ctrl+Shift+S)")
            .clicked()
        {
            command = Command::SaveScenario;
        }
        ui.separator();
        ui.label(RichText::new("Drop a catalogue .ron here to add machines or models.").weak());
    });
    if let Some(prompt) = prompt {
        ui.horizontal(|ui| {
            let label = ui.label(prompt.action.title());
            let field = ui
                .add(egui::TextEdit::singleline(&mut prompt.text).desired_width(420.0))
                .labelled_by(label.id);
            let verb = match prompt.action {
                FileAction::OpenScenario => "Open",
                FileAction::SaveSummary | FileAction::SaveScenario => "Save",
            };
            let entered = field.lost_focus() && ui.input(|i| i.key_pressed(egui::Key::Enter));
            if ui.button(verb).clicked() || entered {
                command = Command::UsePath {
                    action: prompt.action,
                    path: PathBuf::from(prompt.text.trim()),
                };
            }
            if ui.button("Cancel").clicked() {
                command = Command::CancelPathPrompt;
            }
        });
    }
    // One notice on show, the latest, with "Dismiss" before it so a long message never
    // pushes the button away; earlier ones are counted and listed on hover.
    if let Some(latest) = notices.last() {
        ui.horizontal(|ui| {
            if ui
                .small_button("Dismiss")
                .on_hover_text("Clear every message")
                .clicked()
            {
                command = Command::DismissNotices;
            }
            let earlier = notices.len() - 1;
            if earlier > 0 {
                let all = notices
                    .iter()
                    .map(|n| n.text.as_str())
                    .collect::<Vec<_>>()
                    .join("\n");
                ui.label(RichText::new(format!("({earlier} earlier)")).weak())
                    .on_hover_text(all);
            }
            let text = RichText::new(&latest.text);
            let text = if latest.is_error {
                text.color(ui.visuals().error_fg_color)
            } else {
                text
            };
            ui.add(egui::Label::new(text).wrap());
        });
    }
    command
}
