//! Files the window reads and writes: the decision summary (an HTML page, Markdown with
//! chart images, or JSON), scenario files (RON), and the native dialogs that pick their paths. Writes go
//! through [`crate::fsio::write_file`]: a failed write leaves the old file and the window's state.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::engine::rank::Ranking;
use crate::engine::series::ChartSeries;
use crate::engine::types::Catalog;
use crate::report;

use super::command::FileAction;
use super::state::Scenario;

/// Ranked rows in a saved summary.
pub const SUMMARY_ROWS: usize = 15;

/// A dialog that returns "nothing picked" faster than this never opened: no desktop portal.
const NO_DIALOG_WITHIN: Duration = Duration::from_millis(150);

/// How the window asks for paths.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialogs {
    /// Native dialogs through rfd, with the path field as the fallback.
    Native,
    /// Only the in-window path field (tests, and desktops without a portal).
    PathField,
}

/// What a dialog gave back.
#[derive(Debug)]
pub enum DialogOutcome {
    Picked(PathBuf),
    Cancelled,
    /// No dialog could open; ask for a path in the window instead.
    Unavailable,
}

/// Opens the native dialog for `action`, in `folder` when one is given (the folder of the
/// file last saved or opened).
pub fn dialog(action: FileAction, suggested_name: &str, folder: Option<&Path>) -> DialogOutcome {
    let start = Instant::now();
    let mut base = rfd::FileDialog::new().set_title(action.title());
    if let Some(folder) = folder {
        base = base.set_directory(folder);
    }
    let picked = match action {
        FileAction::SaveSummary => base
            .add_filter("Web page (HTML)", &["html"])
            .add_filter("Markdown", &["md"])
            .add_filter("JSON", &["json"])
            .set_file_name(suggested_name)
            .save_file(),
        FileAction::SaveScenario => base
            .add_filter("Scenario", &["ron"])
            .set_file_name(suggested_name)
            .save_file(),
        FileAction::OpenScenario => base.add_filter("Scenario", &["ron"]).pick_file(),
    };
    match picked {
        Some(path) => DialogOutcome::Picked(path),
        None if start.elapsed() < NO_DIALOG_WITHIN => DialogOutcome::Unavailable,
        None => DialogOutcome::Cancelled,
    }
}

/// The files a decision summary consists of: JSON (the scenario, the ranking and the chart
/// series), one self-contained HTML page, or Markdown with its chart images beside it
/// (`<name>-price.png`, ...), by the file name's extension.
pub fn summary_files(
    path: &Path,
    catalog: &Catalog,
    scenario: &Scenario,
    ranking: &Ranking,
    series: &ChartSeries,
    have_note: &str,
) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let is_json = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if is_json {
        let json = serde_json::json!({
            "scenario": scenario,
            "ranking": ranking,
            "charts": series,
        });
        let text = serde_json::to_string_pretty(&json)
            .map_err(|e| format!("could not encode the summary as JSON: {e}"))?;
        return Ok(vec![(path.to_path_buf(), text.into_bytes())]);
    }
    let inputs = report::DecisionInputs {
        catalog,
        workload: &scenario.workload,
        options: &scenario.options,
        ranking,
        series,
        rows: SUMMARY_ROWS,
        diagnosis: None,
        have_note,
    };
    report::document_files(&inputs, path, report::Format::from_path(path))
}

/// Writes every file atomically; stops at the first failure, naming the path last.
pub fn write_files(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, String> {
    report::write_files(files)
}

/// Largest scenario file read.
const SCENARIO_MAX_BYTES: u64 = 16 * 1024 * 1024;

/// Reads a scenario file.
pub fn read_scenario(path: &Path) -> Result<Scenario, String> {
    let text = crate::fsio::read_text_bounded(path, SCENARIO_MAX_BYTES, "a scenario file")
        .map_err(|e| format!("could not read: {} ({})", e.reason(), path.display()))?;
    Scenario::from_ron(&text).map_err(|e| format!("{e} ({})", path.display()))
}
