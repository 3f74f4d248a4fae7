//! What the window remembers between runs (one serde struct with a version key) and the
//! scenario file format ("Open scenario" / "Save scenario").

use serde::{Deserialize, Serialize};

use crate::engine::types::Catalog;

/// Bump when a change to [`PersistedState`] or [`Scenario`] cannot read old values.
pub const STATE_VERSION: u32 = crate::scenario::SCENARIO_VERSION;

/// The eframe storage key of [`PersistedState`].
pub const STORAGE_KEY: &str = "headroom.state";

pub use crate::scenario::{Scenario, DEFAULT_PRESET};

/// The chart shown under the ranking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ChartTab {
    #[default]
    PricePerformance,
    Memory,
    Prefill,
    Decode,
    /// Decode speed against users or agents at once.
    Users,
    Diagnose,
}

impl ChartTab {
    /// Every tab, in display order.
    pub const ALL: [ChartTab; 6] = [
        ChartTab::PricePerformance,
        ChartTab::Memory,
        ChartTab::Prefill,
        ChartTab::Decode,
        ChartTab::Users,
        ChartTab::Diagnose,
    ];

    /// The tab's title where the row is narrow (a 1280-pixel window).
    pub fn short_title(self) -> &'static str {
        match self {
            ChartTab::PricePerformance => "Price",
            ChartTab::Memory => "Memory",
            ChartTab::Prefill => "Prefill",
            ChartTab::Decode => "Decode",
            ChartTab::Users => "Users",
            ChartTab::Diagnose => "Diagnose",
        }
    }

    /// The tab's title.
    pub fn title(self) -> &'static str {
        match self {
            ChartTab::PricePerformance => "Price vs. performance",
            ChartTab::Memory => "Memory",
            ChartTab::Prefill => "Prefill vs. prompt",
            ChartTab::Decode => "Decode vs. depth",
            ChartTab::Users => "Users at once",
            ChartTab::Diagnose => "Diagnose my setup",
        }
    }
}

/// A ranked machine option, by machine id and memory per device.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    pub machine_id: String,
    pub per_device_gb: f64,
}

/// Everything the window remembers between runs.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PersistedState {
    pub version: u32,
    pub scenario: Scenario,
    /// The user chose "your machine" by hand: detection must not override it.
    pub machine_picked_by_user: bool,
    pub selected: Option<Selection>,
    pub chart_tab: ChartTab,
    /// Cards shown in the ranking; the rest sit behind "Show all".
    pub show_all_entries: bool,
}

impl Default for PersistedState {
    fn default() -> Self {
        Self {
            version: STATE_VERSION,
            scenario: Scenario::default(),
            machine_picked_by_user: false,
            selected: None,
            chart_tab: ChartTab::default(),
            show_all_entries: false,
        }
    }
}

impl PersistedState {
    /// A fresh state for this catalogue.
    pub fn first_run(catalog: &Catalog) -> Self {
        Self {
            scenario: Scenario::first_run(catalog),
            ..Self::default()
        }
    }

    /// Reads the stored text. `Ok(None)` when nothing was stored; `Err` with a sentence for
    /// the user when something was stored but cannot be read, so it is reported and reset.
    pub fn from_stored(text: Option<&str>) -> Result<Option<Self>, String> {
        let Some(text) = text else {
            return Ok(None);
        };
        let state: PersistedState = ron::from_str(text)
            .map_err(|e| format!("The saved settings could not be read ({e}); they were reset."))?;
        if state.version != STATE_VERSION {
            return Err(format!(
                "The saved settings are from another version of headroom (state version {}, this one reads {STATE_VERSION}); they were reset.",
                state.version
            ));
        }
        Ok(Some(state))
    }

    /// The text stored by eframe.
    pub fn to_stored(&self) -> Result<String, String> {
        ron::to_string(self).map_err(|e| format!("Your settings could not be saved ({e})."))
    }
}
