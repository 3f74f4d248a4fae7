//! Filters and objective: operating system, runtime, form factor, the cloud for non-private
//! tasks, and what "best" means (fastest, cheapest, best value over N years).

use egui::{Slider, Ui};

use crate::engine::mix::MixOptions;
use crate::engine::rank::{Objective, RankOptions};
use crate::engine::types::{FormFactor, Os, Runtime};

/// Draws the panel. Filter edits concern only the options, so there is no command.
pub fn filters_ui(ui: &mut Ui, options: &mut RankOptions) {
    let RankOptions {
        os,
        runtime,
        form_factor,
        objective,
        mix,
        ..
    } = options;
    ui.heading("Filters and objective");
    any_of_ui(ui, "operating system", os, Os::ALL, |o| o.as_str());
    any_of_ui(ui, "runtime", runtime, Runtime::ALL, |r| r.as_str());
    any_of_ui(ui, "form factor", form_factor, FormFactor::ALL, |f| {
        f.as_str()
    });
    let MixOptions {
        allow_cloud,
        electricity_usd_per_kwh,
        max_wait_secs,
    } = mix;
    ui.checkbox(allow_cloud, "allow the cloud for non-private tasks");
    max_wait_ui(ui, max_wait_secs);

    let years = match *objective {
        Objective::BestValue { years } => years,
        _ => 3.0,
    };
    egui::ComboBox::from_label("objective")
        .selected_text(objective_title(*objective))
        .width(220.0)
        .truncate()
        .show_ui(ui, |ui| {
            for choice in [
                Objective::Fastest,
                Objective::Cheapest,
                Objective::BestValue { years },
            ] {
                let selected = objective.as_str() == choice.as_str();
                if ui
                    .selectable_label(selected, objective_title(choice))
                    .clicked()
                {
                    *objective = choice;
                }
            }
        });
    if let Objective::BestValue { years } = objective {
        ui.add(
            Slider::new(years, 1.0..=8.0)
                .suffix(" years")
                .fixed_decimals(0)
                .text("horizon"),
        );
    }
    ui.add(
        Slider::new(electricity_usd_per_kwh, 0.0..=1.0)
            .prefix("$")
            .suffix("/kWh")
            .fixed_decimals(2)
            .text("electricity"),
    );
}

/// The objective in words.
pub fn objective_title(objective: Objective) -> String {
    match objective {
        Objective::Fastest => "fastest within budget".to_owned(),
        Objective::Cheapest => "cheapest that meets the targets".to_owned(),
        Objective::BestValue { years } => format!("best value over {years:.0} years"),
    }
}

fn any_of_ui<T: Copy + PartialEq>(
    ui: &mut Ui,
    label: &str,
    value: &mut Option<T>,
    all: &[T],
    name: fn(T) -> &'static str,
) {
    egui::ComboBox::from_label(label)
        .selected_text(value.map_or("any", name))
        .show_ui(ui, |ui| {
            ui.selectable_value(value, None, "any");
            for &v in all {
                ui.selectable_value(value, Some(v), name(v));
            }
        });
}

/// The longest wait the user accepts for any request: a requirement, off by default. The
/// client timeout is a setting (each task's), which headroom tells you to raise.
fn max_wait_ui(ui: &mut Ui, max_wait_secs: &mut Option<f64>) {
    let mut limited = max_wait_secs.is_some();
    let response = ui
        .checkbox(&mut limited, "limit how long I wait for an answer")
        .on_hover_text(
            "The longest you accept to wait for one request (for the first words when the \
             answer streams). Without a limit, a slow request only means raising the \
             client's timeout, which costs nothing.",
        );
    if response.changed() {
        *max_wait_secs = limited.then_some(300.0);
    }
    if let Some(secs) = max_wait_secs {
        ui.add(
            Slider::new(secs, 5.0..=3600.0)
                .logarithmic(true)
                .suffix(" s")
                .fixed_decimals(0)
                .text("longest wait"),
        );
    }
}
