//! Image snapshots of the window's main views, rendered on the CPU through wgpu (mesa
//! lavapipe). Behind the `snapshots` feature: `cargo test --features snapshots --test ui_snapshots`.
//! `UPDATE_SNAPSHOTS=1` rewrites the images under `tests/snapshots/`; the ranking view is also
//! copied to `docs/screenshot.png` for the README.
#![cfg(feature = "snapshots")]

mod common;
use common::{founding_store, m2_ultra_detection, run_diagnosis};
use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use headroom::catalog;
use headroom::ui::state::{ChartTab, Selection};
use headroom::ui::{DetectionSource, Dialogs, HeadroomApp};

fn window(tab: ChartTab, theme: egui::Theme) -> Harness<'static, HeadroomApp> {
    window_sized(tab, theme, [1600.0, 1000.0])
}

fn window_sized(
    tab: ChartTab,
    theme: egui::Theme,
    size: [f32; 2],
) -> Harness<'static, HeadroomApp> {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let mut app = HeadroomApp::new_with(
        catalog,
        None,
        DetectionSource::Injected(m2_ultra_detection()),
    )
    .with_dialogs(Dialogs::PathField);
    app.select(Selection {
        machine_id: "mac-studio-m2-ultra-60c".to_owned(),
        per_device_gb: 64.0,
    });
    app.set_chart_tab(tab);
    let mut harness = Harness::builder()
        .with_size(size)
        .with_theme(theme)
        .wgpu()
        .build_ui_state(|ui, app: &mut HeadroomApp| app.show(ui), app);
    harness.run();
    harness
}

#[test]
fn snapshot_main_view_with_price_chart() {
    let mut h = window(ChartTab::PricePerformance, egui::Theme::Dark);
    h.snapshot("main_price");
    // The README's screenshot is this view.
    if let Ok(image) = h.render() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        let _ = std::fs::create_dir_all(&docs);
        image
            .save(docs.join("screenshot.png"))
            .unwrap_or_else(|e| panic!("could not save docs/screenshot.png: {e}"));
    }
}

#[test]
fn snapshot_memory_chart() {
    let mut h = window(ChartTab::Memory, egui::Theme::Dark);
    h.snapshot("memory");
}

#[test]
fn snapshot_prefill_chart_light_theme() {
    let mut h = window(ChartTab::Prefill, egui::Theme::Light);
    h.get_by_label_contains("Time to read a prompt of");
    h.snapshot("prefill_light");
}

#[test]
fn snapshot_decode_chart() {
    let mut h = window(ChartTab::Decode, egui::Theme::Dark);
    h.snapshot("decode");
}

#[test]
fn snapshot_users_chart() {
    let mut h = window(ChartTab::Users, egui::Theme::Dark);
    h.get_by_label_contains("as users share the machine");
    h.snapshot("users");
}

/// A 1280x800 window: compact cards, whole tab titles, the charts' legends under the plots.
#[test]
fn snapshot_main_view_at_1280x800() {
    let mut h = window_sized(ChartTab::Prefill, egui::Theme::Dark, [1280.0, 800.0]);
    h.snapshot("main_1280x800");
    if let Ok(image) = h.render() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
        let _ = std::fs::create_dir_all(&docs);
        image
            .save(docs.join("screenshot-1280x800.png"))
            .unwrap_or_else(|e| panic!("could not save docs/screenshot-1280x800.png: {e}"));
    }
}

/// The Diagnose tab on the founding story's Ollama store: the data drawn in words.
#[test]
fn snapshot_diagnose_tab() {
    let dir = tempfile::tempdir().expect("tempdir");
    founding_store(dir.path());
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let mut app = HeadroomApp::new_with(
        catalog,
        None,
        DetectionSource::Injected(m2_ultra_detection()),
    )
    .with_dialogs(Dialogs::PathField)
    .with_ollama_store(dir.path().to_path_buf());
    app.set_chart_tab(ChartTab::Diagnose);
    let mut h = Harness::builder()
        .with_size([1500.0, 950.0])
        .with_theme(egui::Theme::Dark)
        .wgpu()
        .build_ui_state(|ui, app: &mut HeadroomApp| app.show(ui), app);
    h.run();
    run_diagnosis(&mut h);
    h.get_by_label_contains("PARAMETER num_ctx 262144");
    h.snapshot("diagnose");
}
