//! Image snapshots of the window's main views, rendered on the CPU through wgpu (mesa
//! lavapipe). Behind the `snapshots` feature: `cargo test --features snapshots --test ui_snapshots`.
//! `UPDATE_SNAPSHOTS=1` rewrites the images under `tests/snapshots/`; the ranking view is also
//! copied to `docs/screenshot.png` for the README.
#![cfg(feature = "snapshots")]

use egui_kittest::kittest::Queryable;
use egui_kittest::Harness;
use headroom::catalog;
use headroom::detect::{AppleInfo, CpuInfo, Detection, GIB_BYTES};
use headroom::ui::state::{ChartTab, Selection};
use headroom::ui::{DetectionSource, Dialogs, HeadroomApp};

fn m2_ultra_detection() -> Detection {
    Detection {
        cpu: CpuInfo {
            brand: "Apple M2 Ultra".to_owned(),
            physical_cores: Some(24),
            logical_cores: 24,
            arch: "arm64".to_owned(),
        },
        total_ram_bytes: 64 * GIB_BYTES,
        apple: Some(AppleInfo {
            chip: "Apple M2 Ultra".to_owned(),
            gpu_cores: Some(60),
            memsize_bytes: Some(64 * GIB_BYTES),
            wired_limit_mb: Some(0),
            hw_model: Some("Mac14,14".to_owned()),
        }),
        ..Detection::default()
    }
}

fn window(tab: ChartTab, theme: egui::Theme) -> Harness<'static, HeadroomApp> {
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
        .with_size([1500.0, 950.0])
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
    h.get_by_label_contains("Prefill of");
    h.snapshot("prefill_light");
}

#[test]
fn snapshot_decode_chart() {
    let mut h = window(ChartTab::Decode, egui::Theme::Dark);
    h.snapshot("decode");
}
