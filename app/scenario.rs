//! A scenario: every input of a decision (the workload mix and every ranking option,
//! including the machine you have and what Diagnose found). The window saves and opens it,
//! and `rank`, `report` and `diagnose` take it with `--scenario FILE`, so both front ends
//! rank exactly the same thing.

use serde::{Deserialize, Serialize};

use crate::engine::rank::RankOptions;
use crate::engine::types::{Catalog, Workload};

/// Bump when a change to [`Scenario`] cannot read old files.
pub const SCENARIO_VERSION: u32 = 1;

/// The preset every first run starts with: the founding story's mix.
pub const DEFAULT_PRESET: &str = "agentic-coding";

/// All inputs of a decision: the workload mix and every ranking option (including the machine
/// you have). This is what "Save scenario" writes as RON.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Scenario {
    pub version: u32,
    /// The preset the workload started from; the tasks may since have been edited.
    pub preset_id: String,
    pub workload: Workload,
    pub options: RankOptions,
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            version: SCENARIO_VERSION,
            preset_id: String::new(),
            workload: empty_workload(),
            options: RankOptions::default(),
        }
    }
}

/// The most a first start considers spending: a desktop buyer's budget (the most a
/// workstation of the catalogue's desktop class costs, roughly); the slider goes to $50,000.
pub const FIRST_RUN_BUDGET_USD: f64 = 10_000.0;

impl Scenario {
    /// The catalogue's first preset (the founding story's mix when present).
    pub fn first_run(catalog: &Catalog) -> Self {
        // A home buyer's first question is about machines on a desk, not a datacenter.
        let workload = catalog
            .workload(DEFAULT_PRESET)
            .or_else(|| catalog.workloads.first())
            .cloned()
            .unwrap_or_else(empty_workload);
        let mut scenario = Self {
            preset_id: workload.id.clone(),
            workload,
            ..Self::default()
        };
        scenario.options.budget_max_usd = FIRST_RUN_BUDGET_USD;
        scenario
    }

    /// Parses a scenario file; the error names what is wrong and where.
    pub fn from_ron(text: &str) -> Result<Self, String> {
        let scenario: Scenario =
            ron::from_str(text).map_err(|e| format!("not a headroom scenario: {e}"))?;
        if scenario.version != SCENARIO_VERSION {
            return Err(format!(
                "scenario version {} is not the version this headroom reads ({SCENARIO_VERSION})",
                scenario.version
            ));
        }
        Ok(scenario)
    }

    /// The scenario as pretty RON.
    pub fn to_ron(&self) -> Result<String, String> {
        ron::ser::to_string_pretty(self, ron::ser::PrettyConfig::default())
            .map_err(|e| e.to_string())
    }
}

fn empty_workload() -> Workload {
    Workload {
        id: String::new(),
        name: String::new(),
        description: String::new(),
        models_resident_together: false,
        min_decode_tokens_per_s: None,
        tasks: Vec::new(),
        sources: Vec::new(),
        parallel: 1,
        active_hours_per_day: None,
    }
}
