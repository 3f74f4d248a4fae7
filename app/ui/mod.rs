//! The desktop window (eframe/egui, egui_plot): compare machines, move the budget and workload
//! sliders, read the charts, save the decision. It draws engine output and never computes
//! physics; one file per panel, each returning a [`Command`] the app applies.

pub mod app;
pub mod budget_panel;
pub mod cache;
pub mod charts_panel;
pub mod command;
pub mod details_panel;
pub mod diagnose_panel;
pub mod files;
pub mod filters_panel;
pub mod jobs;
pub mod machine_panel;
pub mod ranking_panel;
pub mod state;
pub mod top_bar;
pub mod workload_panel;

pub use app::HeadroomApp;
pub use command::Command;
pub use files::Dialogs;
pub use jobs::DetectionSource;

/// The window icon, 256x256.
pub const ICON_PNG: &[u8] = include_bytes!("../../icons/headroom.png");

/// The app id: the Wayland app id and X11 WM_CLASS the desktop entry refers to.
pub const APP_ID: &str = "headroom";

fn native_options(renderer: eframe::Renderer) -> eframe::NativeOptions {
    let mut viewport = egui::ViewportBuilder::default()
        .with_title("headroom")
        .with_app_id(APP_ID)
        .with_inner_size([1500.0, 950.0])
        .with_min_inner_size([960.0, 600.0]);
    if let Ok(icon) = eframe::icon_data::from_png_bytes(ICON_PNG) {
        viewport = viewport.with_icon(icon);
    }
    eframe::NativeOptions {
        viewport,
        renderer,
        ..Default::default()
    }
}

/// Opens the window: wgpu first, glow when wgpu cannot start (old GPUs, VMs). Returns why
/// when neither can make a window.
pub fn run_window() -> Result<(), String> {
    let run = |renderer| {
        eframe::run_native(
            APP_ID,
            native_options(renderer),
            Box::new(|cc| Ok(Box::new(HeadroomApp::new(cc)) as Box<dyn eframe::App>)),
        )
    };
    let Err(wgpu_error) = run(eframe::Renderer::Wgpu) else {
        return Ok(());
    };
    eprintln!("headroom: the wgpu renderer could not start ({wgpu_error}); trying OpenGL");
    run(eframe::Renderer::Glow).map_err(|glow_error| {
        format!("no window could be opened: wgpu: {wgpu_error}; OpenGL: {glow_error}")
    })
}
