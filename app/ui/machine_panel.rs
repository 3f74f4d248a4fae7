//! "Your machine": the machine you own (detected or picked), what detection found and how,
//! the accelerator memory limits, and the memory bandwidth measurement.

use egui::{RichText, Ui};

use crate::detect::{AcceleratorLimit, MachineMatch, ProbeOutcome, GIB_BYTES};
use crate::engine::rank::Owned;
use crate::engine::types::Catalog;

use super::command::Command;
use super::jobs::{BandwidthJob, DetectionJob};

/// Draws the panel.
pub fn machine_ui(
    ui: &mut Ui,
    catalog: &Catalog,
    have: Option<&Owned>,
    detection: &DetectionJob,
    bandwidth: &BandwidthJob,
) -> Command {
    let mut command = Command::Nothing;
    ui.heading("Your machine");
    let detected_here = detected_here(have, detection);
    command = command.or(picker_ui(ui, catalog, have, detected_here));
    if let Some(owned) = have {
        if let Some(machine) = catalog.machine(&owned.machine) {
            ui.label(format!(
                "{} GB per device × {} · {:.0} GB/s spec bandwidth · {}",
                owned.per_device_gb,
                machine.device_count.max(1),
                machine.bandwidth_gb_per_s.value,
                machine.memory_kind.as_str()
            ));
        }
    }
    command = command.or(detection_ui(ui, have, detection));
    // The probe measures this computer: compared with the catalogue only when the machine
    // you have is the one detected here, not one picked by hand.
    command.or(bandwidth_ui(
        ui,
        catalog,
        have.filter(|_| detected_here),
        bandwidth,
    ))
}

/// The machine you have and its memory; a machine picked by hand (not the one detected)
/// asks which memory yours has.
fn picker_ui(ui: &mut Ui, catalog: &Catalog, have: Option<&Owned>, detected_here: bool) -> Command {
    let mut command = Command::Nothing;
    let current_name = have.and_then(|h| catalog.machine(&h.machine)).map_or_else(
        || "none (rank purchases only)".to_owned(),
        |m| m.name.clone(),
    );
    // The label sits above: machine names are long, and beside them it would wrap.
    let label = ui.label("The machine you have:");
    egui::ComboBox::from_id_salt("machine-you-have")
        .selected_text(current_name)
        .width(ui.available_width() - 8.0)
        .truncate()
        .show_ui(ui, |ui| {
            if ui
                .selectable_label(have.is_none(), "none (rank purchases only)")
                .clicked()
            {
                command = Command::PickMachine(None);
            }
            for machine in &catalog.machines {
                // A machine picked by hand starts at its smallest memory, the cautious
                // guess: the memory box beside it says how much yours has.
                let Some(option) = machine
                    .memory_options
                    .iter()
                    .min_by(|a, b| a.per_device_gb.total_cmp(&b.per_device_gb))
                else {
                    continue;
                };
                let selected = have.is_some_and(|h| h.machine == machine.id);
                if ui.selectable_label(selected, &machine.name).clicked() {
                    // Keep the memory size when the machine offers it; else its smallest.
                    let per_device_gb = have
                        .and_then(|h| machine.memory_option(h.per_device_gb))
                        .map_or(option.per_device_gb, |o| o.per_device_gb);
                    command = Command::PickMachine(Some(Owned {
                        machine: machine.id.clone(),
                        per_device_gb,
                    }));
                }
            }
        })
        .response
        .labelled_by(label.id);
    if let Some(machine) = have.and_then(|h| catalog.machine(&h.machine)) {
        let per_device_gb = have.map_or(0.0, |h| h.per_device_gb);
        if !detected_here && machine.memory_options.len() > 1 {
            ui.label(
                RichText::new("How much memory does yours have? Pick it below.")
                    .color(ui.visuals().warn_fg_color),
            );
        }
        egui::ComboBox::from_label("its memory")
            .selected_text(format!("{per_device_gb:.0} GB"))
            .show_ui(ui, |ui| {
                for option in &machine.memory_options {
                    let selected = (option.per_device_gb - per_device_gb).abs() < 0.5;
                    if ui
                        .selectable_label(selected, format!("{:.0} GB", option.per_device_gb))
                        .clicked()
                    {
                        command = Command::PickMachine(Some(Owned {
                            machine: machine.id.clone(),
                            per_device_gb: option.per_device_gb,
                        }));
                    }
                }
            });
    }
    command
}

/// Whether the machine you have is the one detection found on this computer.
fn detected_here(have: Option<&Owned>, detection: &DetectionJob) -> bool {
    match detection {
        DetectionJob::Done { matched, .. } => match matched {
            MachineMatch::Exact { id, .. } | MachineMatch::Family { id, .. } => {
                have.is_some_and(|h| &h.machine == id)
            }
            MachineMatch::Unknown { .. } => false,
        },
        _ => false,
    }
}

fn detection_ui(ui: &mut Ui, have: Option<&Owned>, detection: &DetectionJob) -> Command {
    let mut command = Command::Nothing;
    match detection {
        DetectionJob::Pending | DetectionJob::Running(_) => {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Detecting this machine…");
            });
        }
        DetectionJob::Off(reason) => {
            if let Some(reason) = reason {
                ui.label(RichText::new(format!("Detection: {reason}")).weak());
            }
        }
        DetectionJob::Done { detection, matched } => {
            let (summary, id) = match matched {
                MachineMatch::Exact { id, memory_gb, .. } => {
                    (format!("Detected: {id} with {memory_gb:.0} GB"), Some(id))
                }
                MachineMatch::Family { id, memory_gb, .. } => (
                    format!("Detected a relative of {id} ({memory_gb:.0} GB)"),
                    Some(id),
                ),
                MachineMatch::Unknown { guessed } => (
                    format!(
                        "Detected {} ({:.0} GB): not in the catalogue",
                        guessed.name, guessed.memory_gb
                    ),
                    None,
                ),
            };
            ui.label(summary);
            if let Some(id) = id {
                if have.is_none_or(|h| &h.machine != id)
                    && ui.button("Use the detected machine").clicked()
                {
                    command = Command::UseDetectedMachine;
                }
            }
            ui.collapsing("How it was detected", |ui| {
                match matched {
                    MachineMatch::Exact { why, .. } => {
                        ui.label(why);
                    }
                    MachineMatch::Family {
                        why, differences, ..
                    } => {
                        ui.label(why);
                        for d in differences {
                            ui.label(format!("• differs: {d}"));
                        }
                    }
                    MachineMatch::Unknown { guessed } => {
                        ui.label(&guessed.why);
                    }
                }
                if !detection.cpu.brand.is_empty() {
                    ui.label(format!("CPU: {}", detection.cpu.brand));
                }
                if detection.total_ram_bytes > 0 {
                    ui.label(format!(
                        "RAM: {:.1} GiB",
                        detection.total_ram_bytes as f64 / GIB_BYTES as f64
                    ));
                }
                for gpu in &detection.gpus {
                    let memory = gpu
                        .total_memory_bytes
                        .map(|b| format!(", {:.1} GiB", b as f64 / GIB_BYTES as f64))
                        .unwrap_or_default();
                    ui.label(format!("GPU: {}{memory} (via {})", gpu.name, gpu.source));
                }
                for probe in &detection.probes {
                    let outcome = match &probe.outcome {
                        ProbeOutcome::Found => probe.detail.clone(),
                        ProbeOutcome::Unknown { reason } => format!("nothing: {reason}"),
                    };
                    ui.label(
                        RichText::new(format!(
                            "{} ({} ms): {outcome}",
                            probe.name, probe.elapsed_ms
                        ))
                        .small(),
                    );
                }
                for note in &detection.notes {
                    ui.label(RichText::new(note).small().weak());
                }
            });
            for limit in &detection.accelerator_limits {
                ui.label(limit_text(limit));
            }
        }
    }
    command
}

/// One line for an accelerator memory limit.
fn limit_text(limit: &AcceleratorLimit) -> String {
    let gib = |b: u64| b as f64 / GIB_BYTES as f64;
    match limit {
        AcceleratorLimit::MacWiredLimit {
            effective_bytes,
            note,
            ..
        } => format!("GPU wired limit: {:.1} GiB. {note}", gib(*effective_bytes)),
        AcceleratorLimit::AmdApuMemory {
            gpu,
            vram_carveout_bytes,
            gtt_bytes,
            note,
        } => format!(
            "{gpu}: {:.1} GiB VRAM carve-out + {:.1} GiB GTT. {note}",
            gib(*vram_carveout_bytes),
            gib(*gtt_bytes)
        ),
        AcceleratorLimit::VramFreeNow {
            gpu,
            free_bytes,
            total_bytes,
            ..
        } => format!(
            "{gpu}: {:.1} of {:.1} GiB VRAM free now",
            gib(*free_bytes),
            gib(*total_bytes)
        ),
    }
}

fn bandwidth_ui(
    ui: &mut Ui,
    catalog: &Catalog,
    have: Option<&Owned>,
    bandwidth: &BandwidthJob,
) -> Command {
    let mut command = Command::Nothing;
    ui.horizontal(|ui| {
        if let Some(progress) = bandwidth.progress() {
            ui.add(
                egui::ProgressBar::new(progress)
                    .desired_width(140.0)
                    .show_percentage(),
            );
            if ui.button("Cancel").clicked() {
                command = Command::CancelBandwidth;
            }
        } else if ui
            .button("Measure memory bandwidth")
            .on_hover_text("Reads a large buffer for 3 seconds on every core")
            .clicked()
        {
            command = Command::MeasureBandwidth;
        }
    });
    let spec = have
        .and_then(|h| catalog.machine(&h.machine))
        .map(|m| m.bandwidth_gb_per_s.value);
    match &bandwidth.last {
        Some(Ok(measured)) => {
            let versus = spec.map_or_else(
                || " on this computer".to_owned(),
                |s| {
                    format!(
                        " vs. {s:.0} GB/s in the catalogue ({:.0}%)",
                        measured.gb_per_s / s * 100.0
                    )
                },
            );
            ui.label(format!(
                "Measured {:.1} GB/s (CPU read){versus}",
                measured.gb_per_s
            ));
        }
        Some(Err(e)) => {
            ui.label(RichText::new(format!("Measurement: {e}")).color(ui.visuals().warn_fg_color));
        }
        None => {}
    }
    command
}

/// "The speed you see": a speed far below what the machine should reach is a setup problem,
/// and the verdict says so before any purchase. Edits the scenario directly.
pub fn seen_speed_ui(ui: &mut Ui, seen: &mut crate::engine::SeenSpeeds) {
    let mut known = seen.decode_tokens_per_s.is_some();
    let response = ui
        .checkbox(&mut known, "I know the speed I see here")
        .on_hover_text(
            "The words per second your model writes on this machine today. When it is far \
             below what the machine should reach, the problem is the setup, not the hardware.",
        );
    if response.changed() {
        seen.decode_tokens_per_s = known.then_some(10.0);
    }
    if let Some(speed) = &mut seen.decode_tokens_per_s {
        ui.add(
            egui::Slider::new(speed, 0.1..=500.0)
                .logarithmic(true)
                .suffix(" tok/s")
                .text("speed I see"),
        );
    }
}
