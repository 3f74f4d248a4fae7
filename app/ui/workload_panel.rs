//! The workload: a preset picker, the users at once, and an editor for the mix's tasks
//! (share, prompt and output tokens, model and quant, private, timeout, requests per day,
//! sessions of turns).

use egui::{RichText, Slider, Ui};

use crate::engine::types::{Catalog, Session, Task, Workload};

use super::command::Command;

/// Smallest and largest prompt or output on the token sliders.
const TOKENS_RANGE: std::ops::RangeInclusive<u64> = 1_000..=1_000_000;
const OUTPUT_TOKENS_RANGE: std::ops::RangeInclusive<u64> = 10..=1_000_000;

/// Draws the panel.
pub fn workload_ui(
    ui: &mut Ui,
    catalog: &Catalog,
    preset_id: &str,
    workload: &mut Workload,
) -> Command {
    let mut command = Command::Nothing;
    ui.heading("Workload");
    let preset_name = catalog
        .workload(preset_id)
        .map_or_else(|| "custom".to_owned(), |w| w.name.clone());
    egui::ComboBox::from_label("preset")
        .selected_text(preset_name)
        .width(220.0)
        .truncate()
        .show_ui(ui, |ui| {
            for preset in &catalog.workloads {
                if ui
                    .selectable_label(preset.id == preset_id, &preset.name)
                    .clicked()
                {
                    command = Command::LoadPreset(preset.id.clone());
                }
            }
        });
    if !workload.description.is_empty() {
        ui.label(RichText::new(&workload.description).small().weak());
    }
    if let Some(target) = &mut workload.min_decode_tokens_per_s {
        ui.add(
            Slider::new(target, 1.0..=200.0)
                .logarithmic(true)
                .suffix(" tok/s")
                .text("decode target"),
        );
    }
    serving_ui(ui, workload);
    let task_count = workload.tasks.len();
    for (index, task) in workload.tasks.iter_mut().enumerate() {
        ui.push_id(index, |ui| {
            ui.separator();
            command = command
                .clone()
                .or(task_ui(ui, catalog, index, task_count, task));
        });
    }
    ui.separator();
    if ui.button("Add a task").clicked() {
        command = Command::AddTask;
    }
    command
}

/// Users at once and the hours their requests arrive in.
fn serving_ui(ui: &mut Ui, workload: &mut Workload) {
    ui.add(
        Slider::new(&mut workload.parallel, 1..=64)
            .logarithmic(true)
            .text("users or agents at once"),
    )
    .on_hover_text(
        "How many people or agents send requests at the same time. Each needs its own          memory for the conversation, and they share the machine's speed: together they get          more tokens per second, each one fewer.",
    );
    let mut hours = workload.active_hours();
    if ui
        .add(
            Slider::new(&mut hours, 1.0..=24.0)
                .fixed_decimals(0)
                .suffix(" h")
                .text("hours a day requests come in"),
        )
        .on_hover_text(
            "The requests of a day arrive within these hours (a working day is about 8).              Fewer hours mean more requests at once, and longer waits for a free turn.",
        )
        .changed()
    {
        workload.active_hours_per_day = Some(hours);
    }
}

/// The session settings of a task: an agent's turns on one growing conversation.
fn session_ui(ui: &mut Ui, task: &mut Task) {
    let mut is_session = task.session.is_some();
    if ui
        .checkbox(&mut is_session, "a session of turns (an agent at work)")
        .on_hover_text(
            "An agent sends a long first prompt, then adds tool results and edits turn after              turn to the same conversation. The first turn reads the whole prompt; later turns              read only what they add, when the runtime keeps the conversation in memory.",
        )
        .changed()
    {
        task.session = is_session.then_some(Session {
            turns: 6,
            new_tokens_per_turn: 6_000,
            cache_survives: true,
        });
    }
    if let Some(session) = task.session.as_mut() {
        ui.add(
            Slider::new(&mut session.turns, 2..=200)
                .logarithmic(true)
                .text("turns per session"),
        );
        ui.add(
            Slider::new(&mut session.new_tokens_per_turn, 10..=200_000)
                .logarithmic(true)
                .custom_formatter(|n, _| crate::present::grouped(n))
                .custom_parser(crate::present::parse_grouped)
                .text("new tokens per turn"),
        );
        ui.checkbox(
            &mut session.cache_survives,
            "the runtime keeps the conversation between turns",
        )
        .on_hover_text(
            "Ollama and llama.cpp's server keep the last turn's work when the next prompt              starts the same way. Clients that rewrite earlier messages (a changing system              prompt, a summarised history) make every turn start over.",
        );
    }
}

fn task_ui(
    ui: &mut Ui,
    catalog: &Catalog,
    index: usize,
    task_count: usize,
    task: &mut Task,
) -> Command {
    let mut command = Command::Nothing;
    ui.horizontal(|ui| {
        let label = ui.label(format!("Task {}", index + 1));
        ui.add(egui::TextEdit::singleline(&mut task.name).desired_width(150.0))
            .labelled_by(label.id);
        if task_count > 1
            && ui
                .small_button("Remove")
                .on_hover_text("Remove this task")
                .clicked()
        {
            command = Command::RemoveTask(index);
        }
    });
    let mut share_percent = task.share * 100.0;
    let share = ui.add_enabled(
        task_count > 1,
        Slider::new(&mut share_percent, 0.0..=100.0)
            .suffix(" %")
            .fixed_decimals(0)
            .text("share of requests"),
    );
    if share.changed() {
        command = Command::SetShare {
            task: index,
            share: share_percent / 100.0,
        };
    }
    ui.add(
        Slider::new(&mut task.prompt_tokens, TOKENS_RANGE)
            .logarithmic(true)
            .custom_formatter(|n, _| crate::present::grouped(n))
            .custom_parser(crate::present::parse_grouped)
            .text("prompt tokens"),
    )
    .on_hover_text("The prompt of a request; in a session, of its first turn.");
    ui.add(
        Slider::new(&mut task.output_tokens, OUTPUT_TOKENS_RANGE)
            .logarithmic(true)
            .custom_formatter(|n, _| crate::present::grouped(n))
            .custom_parser(crate::present::parse_grouped)
            .text("output tokens"),
    );
    let model_name = catalog
        .model(&task.model)
        .map_or_else(|| format!("{} (unknown)", task.model), |m| m.name.clone());
    egui::ComboBox::from_label("model")
        .selected_text(model_name)
        .width(200.0)
        .truncate()
        .show_ui(ui, |ui| {
            for model in &catalog.models {
                ui.selectable_value(&mut task.model, model.id.clone(), &model.name);
            }
        });
    egui::ComboBox::from_label("quant")
        .selected_text(&task.quant)
        .show_ui(ui, |ui| {
            for quant in &catalog.quants {
                ui.selectable_value(&mut task.quant, quant.id.clone(), &quant.id);
            }
        });
    ui.checkbox(&mut task.private, "private (must stay on this machine)");
    ui.add(
        Slider::new(&mut task.timeout_secs, 10.0..=3600.0)
            .logarithmic(true)
            .suffix(" s")
            .fixed_decimals(0)
            .text("client timeout"),
    )
    .on_hover_text(
        "Your client's request timeout: a setting. When a request needs longer, headroom \
         tells you the value to set instead of counting it as a failure.",
    );
    ui.checkbox(&mut task.streaming, "the client streams the answer")
        .on_hover_text(
            "A streaming client's timeout covers the wait for the first words; one that does \
             not stream waits for the whole answer.",
        );
    ui.add(
        Slider::new(&mut task.requests_per_day, 0.0..=10_000.0)
            .logarithmic(true)
            .fixed_decimals(0)
            .text("requests per day"),
    )
    .on_hover_text("In a session, every turn is a request.");
    session_ui(ui, task);
    command
}

/// Sets task `index`'s share and scales the others so all shares sum to 1.
pub fn set_share(workload: &mut Workload, index: usize, share: f64) {
    let share = share.clamp(0.0, 1.0);
    if workload.tasks.len() < 2 {
        if let Some(task) = workload.tasks.get_mut(index) {
            task.share = 1.0;
        }
        return;
    }
    let others: f64 = workload
        .tasks
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != index)
        .map(|(_, t)| t.share.max(0.0))
        .sum();
    let other_count = (workload.tasks.len() - 1) as f64;
    for (i, task) in workload.tasks.iter_mut().enumerate() {
        task.share = if i == index {
            share
        } else if others > 0.0 {
            task.share.max(0.0) / others * (1.0 - share)
        } else {
            (1.0 - share) / other_count
        };
    }
}

/// Rescales every share so they sum to 1 (after a task was added or removed).
pub fn normalize_shares(workload: &mut Workload) {
    let total: f64 = workload.tasks.iter().map(|t| t.share.max(0.0)).sum();
    let count = workload.tasks.len().max(1) as f64;
    for task in &mut workload.tasks {
        task.share = if total > 0.0 {
            task.share.max(0.0) / total
        } else {
            1.0 / count
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workload(shares: &[f64]) -> Workload {
        let task = |share: f64| Task {
            name: String::new(),
            share,
            prompt_tokens: 1000,
            cached_tokens: 0,
            output_tokens: 100,
            private: true,
            timeout_secs: 300.0,
            model: String::new(),
            quant: String::new(),
            kv_type: String::new(),
            context_tokens: None,
            requests_per_day: 1.0,
            max_wait_secs: None,
            streaming: true,
            session: None,
        };
        Workload {
            id: String::new(),
            name: String::new(),
            description: String::new(),
            models_resident_together: false,
            min_decode_tokens_per_s: None,
            tasks: shares.iter().map(|&s| task(s)).collect(),
            sources: Vec::new(),
            parallel: 1,
            active_hours_per_day: None,
        }
    }

    #[track_caller]
    fn check_set_share(shares: &[f64], index: usize, share: f64, expected: &[f64]) {
        let mut w = workload(shares);
        set_share(&mut w, index, share);
        let got: Vec<f64> = w
            .tasks
            .iter()
            .map(|t| (t.share * 1000.0).round() / 1000.0)
            .collect();
        assert_eq!(got, expected);
    }

    #[test]
    fn shares_stay_summing_to_one() {
        // 0.8/0.2 -> task 2 at 0.5 leaves 0.5 for task 1.
        check_set_share(&[0.8, 0.2], 1, 0.5, &[0.5, 0.5]);
        // The others keep their proportions: 0.5 and 0.25 of 0.75, scaled to 0.4 -> 0.267, 0.133.
        check_set_share(&[0.25, 0.5, 0.25], 0, 0.6, &[0.6, 0.267, 0.133]);
        // Others at zero share what is left equally.
        check_set_share(&[1.0, 0.0, 0.0], 0, 0.5, &[0.5, 0.25, 0.25]);
        check_set_share(&[0.3], 0, 0.3, &[1.0]);
    }
}
