//! What panels ask the app to do. Panels draw and return a [`Command`]; the app applies it
//! after the frame's drawing, so no panel reaches into another's state.

use std::path::PathBuf;

use crate::engine::rank::Owned;

use super::state::{ChartTab, Selection};

/// A request from a panel to the app.
#[must_use]
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    /// Nothing happened that concerns another panel.
    Nothing,
    /// Diagnose the local setup (context limits, timeouts) on a background thread.
    RunDiagnosis,
    /// The user chose "your machine" by hand (or cleared it).
    PickMachine(Option<Owned>),
    /// Use what detection matched as "your machine".
    UseDetectedMachine,
    /// Replace the workload with a catalogue preset.
    LoadPreset(String),
    AddTask,
    RemoveTask(usize),
    /// Set a task's share of requests (0..=1); the others scale so the shares sum to 1.
    SetShare {
        task: usize,
        share: f64,
    },
    /// Show this machine option in the details panel.
    Select(Selection),
    SetChartTab(ChartTab),
    ShowAllEntries(bool),
    SaveSummary,
    OpenScenario,
    SaveScenario,
    /// Carry out a file action on a typed path (the fallback when no native dialog opens).
    UsePath {
        action: FileAction,
        path: PathBuf,
    },
    CancelPathPrompt,
    MeasureBandwidth,
    CancelBandwidth,
    DismissNotices,
}

/// A file action that needs a path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileAction {
    SaveSummary,
    SaveScenario,
    OpenScenario,
}

impl FileAction {
    /// Words for the path prompt.
    pub fn title(self) -> &'static str {
        match self {
            FileAction::SaveSummary => "Save the decision summary to (.html, .md or .json)",
            FileAction::SaveScenario => "Save the scenario to (.ron)",
            FileAction::OpenScenario => "Open the scenario from (.ron)",
        }
    }
}

impl Command {
    /// `other` unless `self` already asks for something: one command per frame is enough,
    /// because a frame holds at most one click.
    pub fn or(self, other: Command) -> Command {
        if self == Command::Nothing {
            other
        } else {
            self
        }
    }
}
