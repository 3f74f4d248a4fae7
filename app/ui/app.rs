//! The window: owns the catalogue, the inputs, the cached ranking and the background jobs;
//! lays out the panels and applies the commands they return.

use std::path::{Path, PathBuf};

use egui::{Key, KeyboardShortcut, Modifiers, Ui};

use crate::catalog::{self, files as catalog_files, SourceText};
use crate::detect::{Detection, MachineMatch};
use crate::engine::rank::{Owned, RankEntry, Ranking};
use crate::engine::types::{Catalog, Task};

use super::budget_panel::budget_ui;
use super::cache::RankCache;
use super::charts_panel::{charts_ui, ChartsView};
use super::command::{Command, FileAction};
use super::details_panel::details_ui;
use super::files::{self, DialogOutcome, Dialogs};
use super::filters_panel::filters_ui;
use super::jobs::{BandwidthJob, DetectionJob, DetectionSource, DiagnoseJob};
use super::machine_panel::machine_ui;
use super::ranking_panel::{is_entry, ranking_ui};
use super::state::{ChartTab, PersistedState, Scenario, Selection, STORAGE_KEY};
use super::top_bar::{top_bar_ui, Notice, PathPrompt};
use super::workload_panel::{normalize_shares, set_share, workload_ui};

/// The headroom window.
pub struct HeadroomApp {
    /// What is remembered between runs.
    state: PersistedState,
    catalog: Catalog,
    /// Catalogue files dropped on the window, in order.
    user_sources: Vec<SourceText>,
    /// Bumped whenever the catalogue changes, so the cached ranking knows.
    catalog_generation: u64,
    cache: RankCache,
    detection: DetectionJob,
    bandwidth: BandwidthJob,
    diagnosis: DiagnoseJob,
    /// Where the Diagnose tab reads models from; `None` means the user's own folders and a
    /// running Ollama. Tests point it at a store they built.
    diagnose_store: Option<PathBuf>,
    dialogs: Dialogs,
    path_prompt: Option<PathPrompt>,
    notices: Vec<Notice>,
    /// The folder of the file last saved or opened: the next dialog starts there.
    last_dir: Option<PathBuf>,
}

impl HeadroomApp {
    /// The app as eframe starts it: the built-in catalogue plus the user's catalogue folder,
    /// saved state from eframe's storage, and detection on a background thread.
    pub fn new(cc: &eframe::CreationContext<'_>) -> Self {
        let (catalog, user_sources, errors) = startup_catalog();
        let mut app = Self::new_with(catalog, cc.storage, DetectionSource::Background);
        app.user_sources = user_sources;
        if let Some(errors) = errors {
            app.notices.push(Notice {
                text: errors,
                is_error: true,
            });
        }
        app.detection.start(&cc.egui_ctx);
        app
    }

    /// The app with everything injected: tests pass a catalogue, optional storage and a
    /// detection result.
    pub fn new_with(
        catalog: Catalog,
        storage: Option<&dyn eframe::Storage>,
        detection: DetectionSource,
    ) -> Self {
        let stored = storage.and_then(|s| s.get_string(STORAGE_KEY));
        let mut notices = Vec::new();
        let state = match PersistedState::from_stored(stored.as_deref()) {
            Ok(Some(state)) => state,
            Ok(None) => PersistedState::first_run(&catalog),
            Err(warning) => {
                notices.push(Notice {
                    text: warning,
                    is_error: true,
                });
                PersistedState::first_run(&catalog)
            }
        };
        let mut app = Self {
            state,
            catalog,
            user_sources: Vec::new(),
            catalog_generation: 0,
            cache: RankCache::default(),
            detection: DetectionJob::Pending,
            bandwidth: BandwidthJob::default(),
            diagnosis: DiagnoseJob::default(),
            diagnose_store: None,
            dialogs: Dialogs::Native,
            path_prompt: None,
            notices,
            last_dir: None,
        };
        match detection {
            DetectionSource::Background => {}
            DetectionSource::Injected(found) => app.detected(found),
            DetectionSource::Off => app.detection = DetectionJob::Off(None),
        }
        app
    }

    /// Chooses how paths are asked for; tests use [`Dialogs::PathField`].
    pub fn with_dialogs(mut self, dialogs: Dialogs) -> Self {
        self.dialogs = dialogs;
        self
    }

    /// What is remembered between runs, including every input.
    pub fn state(&self) -> &PersistedState {
        &self.state
    }

    /// The inputs, for tests and scripted use.
    pub fn scenario_mut(&mut self) -> &mut Scenario {
        &mut self.state.scenario
    }

    /// The current ranking, computing it if the inputs changed.
    pub fn ranking(&mut self) -> Option<&Ranking> {
        self.refresh();
        self.cache.ranking.as_ref()
    }

    /// The charts' series for the current ranking, computing them if the inputs changed.
    pub fn chart_series(&mut self) -> Option<&crate::engine::series::ChartSeries> {
        self.refresh();
        self.cache.ranking.as_ref().map(|_| &self.cache.series)
    }

    /// Diagnoses only the Ollama store at `dir`, without asking a running Ollama (a test seam).
    pub fn with_ollama_store(mut self, dir: PathBuf) -> Self {
        self.diagnose_store = Some(dir);
        self
    }

    /// The last diagnosis of the local setup, as shown in the Diagnose tab.
    pub fn diagnosis(&self) -> Option<Result<&crate::diagnose::Diagnosis, &str>> {
        self.diagnosis.last.as_ref().map(|r| match r {
            Ok(done) => Ok(&done.diagnosis),
            Err(e) => Err(e.as_str()),
        })
    }

    /// How many times the ranking has been computed.
    pub fn rank_runs(&self) -> u64 {
        self.cache.runs
    }

    /// The selected option, when it is in the ranking.
    pub fn selected_entry(&self) -> Option<&RankEntry> {
        let selected = self.state.selected.as_ref()?;
        self.cache
            .ranking
            .as_ref()?
            .entries
            .iter()
            .find(|e| is_entry(e, selected))
    }

    /// Shows this option in the details panel, as a click on its card does.
    pub fn select(&mut self, selection: Selection) {
        self.state.selected = Some(selection);
    }

    /// Shows this chart under the ranking.
    pub fn set_chart_tab(&mut self, tab: ChartTab) {
        self.state.chart_tab = tab;
    }

    /// The folder the next file dialog starts in: that of the file last saved or opened.
    pub fn last_dir(&self) -> Option<&Path> {
        self.last_dir.as_deref()
    }

    /// Messages shown in the window.
    pub fn notices(&self) -> &[Notice] {
        &self.notices
    }

    /// The test seam for saving: writes the decision summary (and, for Markdown, its chart
    /// images) to `path` without a dialog. Returns the files written.
    pub fn save_summary_to(&mut self, path: &Path) -> Result<Vec<PathBuf>, String> {
        self.refresh();
        let Some(ranking) = &self.cache.ranking else {
            return Err("there is no ranking to save yet".to_owned());
        };
        let have_note = if self.state.machine_picked_by_user {
            "picked by hand"
        } else {
            "detected on this computer"
        };
        let files = files::summary_files(
            path,
            &self.catalog,
            &self.state.scenario,
            ranking,
            &self.cache.series,
            have_note,
        )?;
        files::write_files(&files)
    }

    /// Writes every input to a RON scenario file.
    pub fn save_scenario_to(&self, path: &Path) -> Result<Vec<PathBuf>, String> {
        let text = self.state.scenario.to_ron()?;
        files::write_files(&[(path.to_path_buf(), text.into_bytes())])
    }

    /// Replaces every input with a scenario file's.
    pub fn open_scenario_from(&mut self, path: &Path) -> Result<(), String> {
        let scenario = files::read_scenario(path)?;
        self.state.machine_picked_by_user = scenario.options.have.is_some();
        self.state.scenario = scenario;
        Ok(())
    }

    /// Adds a catalogue file to the built-in catalogue and the files added before. On errors
    /// the catalogue stays as it was; the message names file, line and column.
    pub fn add_catalog_file(&mut self, path: &Path) -> Result<String, String> {
        let source = catalog_files::read_source(path).map_err(|e| e.to_string())?;
        let mut sources = catalog::built_in_sources();
        sources.extend(self.user_sources.iter().cloned());
        sources.push(source.clone());
        let catalog = catalog::load(&sources).map_err(|errors| catalog::error::join(&errors))?;
        let added = format!(
            "Added {} ({} machines, {} models in the catalogue now).",
            path.display(),
            catalog.machines.len(),
            catalog.models.len()
        );
        self.catalog = catalog;
        self.user_sources.push(source);
        self.catalog_generation += 1;
        self.detection.rematch(&self.catalog);
        Ok(added)
    }

    /// Draws the whole window into `ui` (eframe's root ui, or a test harness's).
    pub fn show(&mut self, ui: &mut Ui) {
        let ctx = ui.ctx().clone();
        self.detection.start(&ctx);
        if let Some(matched) = self.detection.poll(&self.catalog) {
            self.use_match(&matched, false);
        }
        self.bandwidth.poll();
        if let Some(found) = self.diagnosis.poll() {
            // What Diagnose found weighs in the one verdict the headline shows.
            self.state.scenario.options.decision.found_settings = found;
        }
        self.take_dropped_files(&ctx);
        let shortcut = shortcuts(ui);
        self.refresh();
        let command = shortcut.or(self.panels_ui(ui));
        self.apply(command, &ctx);
        // Inputs edited while drawing show on the next frame: ask for it now.
        if self.refresh() {
            ctx.request_repaint();
        }
    }

    /// Recomputes the ranking when an input changed; returns whether it did.
    fn refresh(&mut self) -> bool {
        let Self {
            state,
            catalog,
            catalog_generation,
            cache,
            ..
        } = self;
        cache.refresh(
            catalog,
            *catalog_generation,
            &state.scenario.workload,
            &state.scenario.options,
        )
    }

    fn panels_ui(&mut self, ui: &mut Ui) -> Command {
        let Self {
            state,
            catalog,
            user_sources: _,
            catalog_generation: _,
            cache,
            detection,
            bandwidth,
            diagnosis,
            dialogs: _,
            diagnose_store: _,
            path_prompt,
            notices,
            last_dir: _,
        } = self;
        let PersistedState {
            version: _,
            scenario,
            machine_picked_by_user: _,
            selected,
            chart_tab,
            show_all_entries,
        } = state;
        let mut command = Command::Nothing;
        egui::Panel::top("top-bar").show(ui, |ui| {
            command = command
                .clone()
                .or(top_bar_ui(ui, path_prompt.as_mut(), notices));
        });
        // Side panels start narrower in a narrow window (1280 wide), so the answer in the
        // middle keeps room for its cards.
        let window_width = ui.available_width();
        let side = |share: f32, max: f32| (window_width * share).clamp(280.0, max);
        egui::Panel::left("inputs")
            .resizable(true)
            .default_size(side(0.24, 370.0))
            .size_range(300.0..=520.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("inputs-scroll")
                    .show(ui, |ui| {
                        let have = scenario.options.have.clone();
                        command = command.clone().or(machine_ui(
                            ui,
                            catalog,
                            have.as_ref(),
                            detection,
                            bandwidth,
                        ));
                        if have.is_some() {
                            super::machine_panel::seen_speed_ui(
                                ui,
                                &mut scenario.options.decision.seen,
                            );
                        }
                        ui.separator();
                        command = command.clone().or(workload_ui(
                            ui,
                            catalog,
                            &scenario.preset_id,
                            &mut scenario.workload,
                        ));
                        ui.separator();
                        budget_ui(ui, &mut scenario.options);
                        ui.separator();
                        filters_ui(ui, &mut scenario.options);
                    });
            });
        let Some(ranking) = &cache.ranking else {
            return command;
        };
        // With nothing selected, the details show the top of the ranking.
        let selected_entry = selected
            .as_ref()
            .and_then(|s| ranking.entries.iter().find(|e| is_entry(e, s)))
            .or(ranking.entries.first());
        let measured = bandwidth.last.as_ref().and_then(|r| r.as_ref().ok());
        egui::Panel::right("details")
            .resizable(true)
            .default_size(side(0.24, 400.0))
            .size_range(280.0..=440.0)
            .show(ui, |ui| {
                egui::ScrollArea::vertical()
                    .id_salt("details-scroll")
                    .show(ui, |ui| {
                        details_ui(
                            ui,
                            catalog,
                            &scenario.workload,
                            selected_entry,
                            measured,
                            &mut scenario.options,
                        );
                    });
            });
        egui::CentralPanel::default().show(ui, |ui| {
            // The charts take less of a short window, so more than one card shows above them.
            let share = if ui.available_height() < 900.0 {
                0.36
            } else {
                0.45
            };
            let charts_height = (ui.available_height() * share).max(240.0);
            egui::Panel::bottom("charts")
                .resizable(true)
                .default_size(charts_height)
                .show(ui, |ui| {
                    let view = ChartsView {
                        series: &cache.series,
                        workload: &scenario.workload,
                        ranking,
                        tab: *chart_tab,
                        budget_usd: (
                            scenario.options.budget_min_usd,
                            scenario.options.budget_max_usd,
                        ),
                        selected: selected.as_ref(),
                        diagnosis,
                    };
                    command = command.clone().or(charts_ui(ui, &view));
                });
            egui::ScrollArea::vertical()
                .id_salt("ranking-scroll")
                .show(ui, |ui| {
                    command = command.clone().or(ranking_ui(
                        ui,
                        &scenario.workload,
                        ranking,
                        &cache.series,
                        selected.as_ref(),
                        *show_all_entries,
                    ));
                });
        });
        command
    }

    fn apply(&mut self, command: Command, ctx: &egui::Context) {
        let state = &mut self.state;
        match command {
            Command::Nothing => {}
            Command::PickMachine(have) => {
                state.scenario.options.have = have;
                state.machine_picked_by_user = true;
            }
            Command::UseDetectedMachine => {
                if let DetectionJob::Done { matched, .. } = &self.detection {
                    let matched = matched.clone();
                    self.use_match(&matched, true);
                }
            }
            Command::LoadPreset(id) => {
                if let Some(preset) = self.catalog.workload(&id) {
                    state.scenario.workload = preset.clone();
                    state.scenario.preset_id = id;
                }
            }
            Command::AddTask => {
                let workload = &mut state.scenario.workload;
                let Some(mut task) = workload
                    .tasks
                    .last()
                    .cloned()
                    .or_else(|| default_task(&self.catalog))
                else {
                    return;
                };
                task.name = format!("task {}", workload.tasks.len() + 1);
                task.share = 1.0 / (workload.tasks.len() + 1) as f64;
                workload.tasks.push(task);
                let index = workload.tasks.len() - 1;
                let share = workload.tasks[index].share;
                set_share(workload, index, share);
            }
            Command::RemoveTask(index) => {
                let workload = &mut state.scenario.workload;
                if index < workload.tasks.len() && workload.tasks.len() > 1 {
                    workload.tasks.remove(index);
                    normalize_shares(workload);
                }
            }
            Command::SetShare { task, share } => {
                set_share(&mut state.scenario.workload, task, share)
            }
            Command::Select(selection) => state.selected = Some(selection),
            Command::SetChartTab(tab) => state.chart_tab = tab,
            Command::ShowAllEntries(all) => state.show_all_entries = all,
            Command::SaveSummary => self.file_action(FileAction::SaveSummary),
            Command::SaveScenario => self.file_action(FileAction::SaveScenario),
            Command::OpenScenario => self.file_action(FileAction::OpenScenario),
            Command::UsePath { action, path } => {
                if self.perform(action, &path) {
                    self.path_prompt = None;
                }
            }
            Command::CancelPathPrompt => self.path_prompt = None,
            Command::MeasureBandwidth => self.bandwidth.start(ctx),
            Command::RunDiagnosis => {
                let mut request = crate::diagnose::request::DiagnoseRequest::from_decision(
                    &state.scenario.workload,
                    &state.scenario.options,
                    "chosen in the window",
                );
                // A store opened in the window is read alone, without asking a server.
                if let Some(dir) = &self.diagnose_store {
                    request.ollama_dir = Some(dir.clone());
                    request.ollama_url = None;
                }
                self.diagnosis.start(ctx, self.catalog.clone(), request);
            }
            Command::CancelBandwidth => self.bandwidth.cancel(),
            Command::DismissNotices => self.notices.clear(),
        }
    }

    /// Asks for a path (native dialog, else the in-window field) and carries out `action`.
    fn file_action(&mut self, action: FileAction) {
        let suggested = match action {
            FileAction::SaveSummary => "headroom-decision.html",
            FileAction::SaveScenario | FileAction::OpenScenario => "headroom-scenario.ron",
        };
        let outcome = match self.dialogs {
            Dialogs::Native => files::dialog(action, suggested, self.last_dir.as_deref()),
            Dialogs::PathField => DialogOutcome::Unavailable,
        };
        match outcome {
            DialogOutcome::Picked(path) => {
                self.perform(action, &path);
            }
            DialogOutcome::Cancelled => {}
            DialogOutcome::Unavailable => {
                // The field starts in the folder of the file last saved or opened.
                let text = self.last_dir.as_ref().map_or_else(
                    || suggested.to_owned(),
                    |dir| dir.join(suggested).display().to_string(),
                );
                self.path_prompt = Some(PathPrompt { action, text });
            }
        }
    }

    /// Carries out a file action and shows how it went; returns whether it worked.
    fn perform(&mut self, action: FileAction, path: &Path) -> bool {
        let result = match action {
            FileAction::SaveSummary => self
                .save_summary_to(path)
                .map(|written| format!("Saved {}", join_paths(&written))),
            FileAction::SaveScenario => self
                .save_scenario_to(path)
                .map(|written| format!("Saved {}", join_paths(&written))),
            FileAction::OpenScenario => self
                .open_scenario_from(path)
                .map(|()| format!("Opened {}", path.display())),
        };
        let ok = result.is_ok();
        if ok {
            self.last_dir = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .map(Path::to_path_buf);
        }
        let (text, is_error) = match result {
            Ok(text) => (text, false),
            Err(text) => (text, true),
        };
        self.notices.push(Notice { text, is_error });
        ok
    }

    /// Records a detection result and preselects its machine.
    fn detected(&mut self, detection: Detection) {
        let matched = self.detection.finish(detection, &self.catalog);
        self.use_match(&matched, false);
    }

    /// Makes the matched machine "yours", unless the user picked one by hand (and `force` is off).
    fn use_match(&mut self, matched: &MachineMatch, force: bool) {
        let DetectionJob::Done { detection, .. } = &self.detection else {
            return;
        };
        let measured = self
            .bandwidth
            .last
            .as_ref()
            .and_then(|r| r.as_ref().ok())
            .map(|m| m.gb_per_s);
        let resolved =
            crate::detect::resolve_machine(&mut self.catalog, detection, matched, measured);
        if resolved.built_from_detection {
            self.catalog_generation += 1;
        }
        let (id, memory_gb) = (resolved.owned.machine, resolved.owned.per_device_gb);
        // A machine picked by hand wins over detection (the entry above is still added, so
        // a remembered pick of "this machine" keeps working).
        if self.state.machine_picked_by_user && !force {
            return;
        }
        let (id, memory_gb) = (&id, &memory_gb);
        self.state.scenario.options.have = Some(Owned {
            machine: id.clone(),
            per_device_gb: *memory_gb,
        });
        if force {
            self.state.machine_picked_by_user = false;
        }
    }

    fn take_dropped_files(&mut self, ctx: &egui::Context) {
        let dropped = ctx.input(|i| i.raw.dropped_files.clone());
        for file in dropped {
            let result = self.add_catalog_file(file.path());
            let (text, is_error) = match result {
                Ok(text) => (text, false),
                Err(text) => (text, true),
            };
            self.notices.push(Notice { text, is_error });
        }
    }
}

impl eframe::App for HeadroomApp {
    fn ui(&mut self, ui: &mut Ui, _frame: &mut eframe::Frame) {
        self.show(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        match self.state.to_stored() {
            Ok(text) => storage.set_string(STORAGE_KEY, text),
            Err(e) => {
                // eframe saves on exit too, when nothing can be shown: say it on stderr as well.
                eprintln!("headroom: {e}");
                self.notices.push(Notice {
                    text: e,
                    is_error: true,
                });
            }
        }
    }
}

/// Keyboard shortcuts for the main actions.
fn shortcuts(ui: &mut Ui) -> Command {
    let save_scenario = KeyboardShortcut::new(Modifiers::COMMAND | Modifiers::SHIFT, Key::S);
    let save = KeyboardShortcut::new(Modifiers::COMMAND, Key::S);
    let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
    ui.input_mut(|i| {
        // The longer shortcut first: Ctrl+S would also match Ctrl+Shift+S.
        if i.consume_shortcut(&save_scenario) {
            Command::SaveScenario
        } else if i.consume_shortcut(&save) {
            Command::SaveSummary
        } else if i.consume_shortcut(&open) {
            Command::OpenScenario
        } else {
            Command::Nothing
        }
    })
}

/// The catalogue at start: built-in plus the user's catalogue folder; when the folder has
/// errors, the built-in catalogue alone and the errors to show.
fn startup_catalog() -> (Catalog, Vec<SourceText>, Option<String>) {
    // The built-in catalogue is embedded and tested, but if it ever fails to load, say so
    // rather than open on an empty catalogue without a word.
    let built_in = |user_errors: String| match catalog::built_in() {
        Ok(c) => (c, Vec::new(), Some(user_errors)),
        Err(errors) => (
            Catalog::default(),
            Vec::new(),
            Some(format!(
                "{user_errors}\nThe built-in catalogue did not load either: {}",
                catalog::error::join(&errors)
            )),
        ),
    };
    match catalog_files::all_sources(&[], true) {
        Ok(sources) => {
            let user: Vec<SourceText> = sources
                .iter()
                .filter(|s| matches!(s.origin, crate::engine::types::Origin::User(_)))
                .cloned()
                .collect();
            match catalog::load(&sources) {
                Ok(catalog) => (catalog, user, None),
                Err(errors) => built_in(catalog::error::join(&errors)),
            }
        }
        Err(errors) => built_in(catalog::error::join(&errors)),
    }
}

/// A task to start from when the workload has none.
fn default_task(catalog: &Catalog) -> Option<Task> {
    let model = catalog.models.first()?;
    Some(Task {
        name: "task 1".to_owned(),
        share: 1.0,
        prompt_tokens: 4_000,
        cached_tokens: 0,
        output_tokens: 500,
        private: true,
        timeout_secs: 300.0,
        model: model.id.clone(),
        quant: catalog
            .quant("Q4_K_M")
            .or_else(|| catalog.quants.first())
            .map_or_else(String::new, |q| q.id.clone()),
        kv_type: catalog
            .kv_types
            .first()
            .map_or_else(String::new, |k| k.id.clone()),
        context_tokens: None,
        requests_per_day: 100.0,
        max_wait_secs: None,
        streaming: true,
        session: None,
    })
}

fn join_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
