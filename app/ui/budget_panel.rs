//! Budget: a minimum and a maximum price on a logarithmic scale from $0 to $50,000. The
//! machine you have is always listed, at $0.

use egui::{Slider, Ui};

use crate::engine::rank::RankOptions;

/// The top of the budget sliders.
pub const MAX_BUDGET_USD: f64 = 50_000.0;

/// Draws the panel. Budget edits concern only the options, so there is no command.
pub fn budget_ui(ui: &mut Ui, options: &mut RankOptions) {
    ui.heading("Budget");
    let RankOptions {
        budget_min_usd,
        budget_max_usd,
        ..
    } = options;
    ui.add(
        Slider::new(budget_min_usd, 0.0..=MAX_BUDGET_USD)
            .logarithmic(true)
            .smallest_positive(100.0)
            .prefix("$")
            .custom_formatter(|n, _| crate::present::grouped(n))
            .custom_parser(crate::present::parse_grouped)
            .text("minimum price"),
    );
    ui.add(
        Slider::new(budget_max_usd, 0.0..=MAX_BUDGET_USD)
            .logarithmic(true)
            .smallest_positive(100.0)
            .prefix("$")
            .custom_formatter(|n, _| crate::present::grouped(n))
            .custom_parser(crate::present::parse_grouped)
            .text("maximum price"),
    );
    // Keep the range a range: dragging one end past the other moves both.
    if *budget_min_usd > *budget_max_usd {
        *budget_min_usd = *budget_max_usd;
    }
    ui.label(
        egui::RichText::new("The machine you have is always listed, at $0.")
            .small()
            .weak(),
    );
}
