//! The selected machine option in full: every number the engine used with its source
//! (catalogue URL, or "estimated"), the memory breakdown, and checks of published claims
//! against the bandwidth bound.

use egui::{RichText, Ui};

use crate::detect::BandwidthMeasurement;
use crate::engine::claims::check as claim_checks;
use crate::engine::mix::gib;
use crate::engine::rank::RankEntry;
use crate::engine::types::{is_estimate, Catalog, MatmulPath, Sourced, Workload};

use super::ranking_panel::usd;

/// Draws the panel for `entry`, or a hint when nothing is selected.
pub fn details_ui(
    ui: &mut Ui,
    catalog: &Catalog,
    workload: &Workload,
    entry: Option<&RankEntry>,
    measured: Option<&BandwidthMeasurement>,
    options: &mut crate::engine::rank::RankOptions,
) {
    ui.heading("Details");
    let Some(entry) = entry else {
        ui.label("Select a machine: a card's Details button, or a point or bar on a chart.");
        return;
    };
    let Some(machine) = catalog.machine(&entry.machine_id) else {
        ui.label(format!(
            "\"{}\" is no longer in the catalogue.",
            entry.machine_id
        ));
        return;
    };
    ui.label(
        RichText::new(format!(
            "{} · {:.0} GB",
            machine.name, entry.total_memory_gb
        ))
        .strong(),
    );
    ui.label(format!(
        "{} {} · {} · {} · runs {} · released {}",
        machine.vendor,
        machine.form_factor,
        machine.memory_kind.as_str(),
        machine
            .os
            .iter()
            .map(|o| o.as_str())
            .collect::<Vec<_>>()
            .join("/"),
        entry.runtime,
        machine.released
    ));
    // Where the entry came from, in words: the built-in catalogue, or the user's own file
    // (its path is theirs, so it is shown).
    let origin = match &machine.origin {
        crate::engine::types::Origin::BuiltIn(_) => "From headroom's built-in catalogue".to_owned(),
        crate::engine::types::Origin::User(path) => format!("From your catalogue file {path}"),
    };
    ui.label(RichText::new(origin).small().weak())
        .on_hover_text(machine.origin.to_string());

    ui.separator();
    ui.label(RichText::new("Memory at the mix's peak").strong());
    if let Some(peak) = &entry.mix.peak_memory {
        egui::Grid::new("memory-breakdown")
            .max_col_width(180.0)
            .num_columns(2)
            .striped(true)
            .show(ui, |ui| {
                // The words a buyer may not know carry their meaning, as in the document.
                let meaning = |term: &str| {
                    crate::report::document::GLOSSARY
                        .iter()
                        .find(|(t, _)| *t == term)
                        .map_or("", |(_, m)| *m)
                };
                // What the devices hold against what they may use; with layers or experts
                // in system RAM, the rest is there.
                let on_devices: f64 = peak
                    .devices
                    .iter()
                    .map(|d| d.weights_bytes + d.kv_cache_bytes + d.overhead_bytes)
                    .sum();
                let device_headroom = if peak.fits() {
                    peak.usable_bytes - on_devices
                } else {
                    peak.headroom_bytes
                };
                let in_system_ram = if peak.fits() {
                    (peak.total_bytes - on_devices).max(0.0)
                } else {
                    0.0
                };
                for (name, bytes, tip) in [
                    (
                        "weights",
                        peak.weights_bytes,
                        "the model's parameters, as stored in its file",
                    ),
                    ("KV cache", peak.kv_cache_bytes, meaning("KV cache")),
                    (
                        "compute buffers + runtime",
                        peak.overhead_bytes,
                        "scratch memory for the computation and the runtime itself",
                    ),
                    ("total", peak.total_bytes, ""),
                    (
                        "usable by the accelerator",
                        peak.usable_bytes,
                        "the share of memory the GPU may use (a setting on some machines)",
                    ),
                    (
                        "headroom",
                        device_headroom,
                        "what is left to spare on the accelerator",
                    ),
                    (
                        "in system RAM",
                        in_system_ram,
                        "weights that live in system RAM and are read from there",
                    ),
                    ("installed", peak.installed_bytes, ""),
                ] {
                    if name == "in system RAM" && bytes <= 0.0 {
                        continue;
                    }
                    let label = ui.label(name);
                    if !tip.is_empty() {
                        label.on_hover_text(tip);
                    }
                    ui.label(gib(bytes));
                    ui.end_row();
                }
                ui.label("placement");
                ui.label(crate::present::placement_words(peak.placement));
                ui.end_row();
            });
        if let Some(fix) = &entry.setting_fix {
            ui.label(format!("Needs a setting changed: {fix}"));
        }
    }

    ui.separator();
    ui.label(RichText::new("Numbers the engine used").strong());
    egui::Grid::new("machine-numbers")
        .max_col_width(160.0)
        .num_columns(3)
        .striped(true)
        .show(ui, |ui| {
            sourced_row(ui, "memory bandwidth", &machine.bandwidth_gb_per_s, "GB/s");
            if let Some(m) = measured.filter(|_| entry.is_current) {
                ui.label("measured here (CPU read)");
                ui.label(format!("{:.1} GB/s", m.gb_per_s));
                ui.label("this machine's probe");
                ui.end_row();
            }
            sourced_row(ui, "FP16 compute", &machine.fp16_tflops, "TFLOPS");
            if let Some(profile) = catalog.runtime(entry.runtime) {
                // The peaks the runtime's matmuls actually run against, where they differ.
                for (what, path) in [
                    ("quantized matmuls", profile.quantized_matmul),
                    ("float matmuls", profile.float_matmul),
                ] {
                    let peak = path.peak(machine);
                    if peak != &machine.fp16_tflops {
                        let unit = if path == MatmulPath::Int8 {
                            "TOPS (INT8)"
                        } else {
                            "TFLOPS (FP16 acc.)"
                        };
                        sourced_row(ui, what, peak, unit);
                    }
                }
                let attention = profile.attention_peak_tflops(machine);
                if attention != machine.fp16_tflops.value {
                    let peak = Sourced {
                        value: attention,
                        source: profile.attention_source.clone(),
                    };
                    sourced_row(ui, "flash attention", &peak, "TFLOPS (mixed acc.)");
                }
            }
            if let Some(achieved) = &machine.matmul_achieved_share {
                let percent = Sourced {
                    value: achieved.value * 100.0,
                    source: achieved.source.clone(),
                };
                sourced_row(ui, "of that peak a measured GEMM reaches", &percent, "%");
            }
            sourced_row(ui, "power under load", &machine.power_watts, "W");
            if let Some(idle) = &machine.idle_watts {
                sourced_row(ui, "power idle", idle, "W");
            }
            let share = Sourced {
                value: machine.accelerator_memory.default_share.value * 100.0,
                source: machine.accelerator_memory.default_share.source.clone(),
            };
            sourced_row(ui, "GPU share of memory by default", &share, "%");
            if let Some(reserve) = &machine.accelerator_memory.tuned_reserve_gb {
                sourced_row(ui, "reserve once tuned", reserve, "GB");
            }
            if let Some(option) = machine.memory_option(entry.per_device_gb) {
                ui.label("price");
                ui.label(option.price_usd.map_or_else(
                    || "unknown".to_owned(),
                    |p| format!("{} ({})", usd(p), option.price_date),
                ));
                source_ui(ui, &option.source);
                ui.end_row();
            }
            if !entry.is_current {
                your_price_ui(ui, entry, options);
            }
            if let Some(profile) = catalog.runtime(entry.runtime) {
                let name = profile.runtime.as_str();
                sourced_row(
                    ui,
                    &format!("{name} bandwidth efficiency"),
                    &profile.bandwidth_efficiency,
                    "",
                );
                sourced_row(
                    ui,
                    &format!("{name} compute efficiency"),
                    &profile.compute_efficiency,
                    "",
                );
                sourced_row(
                    ui,
                    &format!("{name} attention efficiency"),
                    &profile.attention_efficiency,
                    "",
                );
                sourced_row(
                    ui,
                    &format!("{name} MoE routing per layer"),
                    &profile.moe_layer_overhead_us,
                    "µs",
                );
                sourced_row(
                    ui,
                    &format!("{name} MoE prefill factor"),
                    &profile.moe_prefill_factor,
                    "",
                );
                sourced_row(
                    ui,
                    &format!("{name} per-layer overhead"),
                    &profile.layer_overhead_us,
                    "µs",
                );
                if let Some(half) = &profile.matmul_half_width {
                    sourced_row(ui, &format!("{name} half-speed model width"), half, "wide");
                }
                if let Some(softmax) = &profile.attention_softmax_head_dims {
                    sourced_row(
                        ui,
                        &format!("{name} attention softmax, as head size"),
                        softmax,
                        "dims",
                    );
                }
                if let Some(cap) = &profile.quantized_unit_ops_per_clock {
                    sourced_row(
                        ui,
                        &format!("{name} INT8 work per SM per clock"),
                        cap,
                        "ops",
                    );
                }
                sourced_row(
                    ui,
                    &format!("{name} memory overhead"),
                    &profile.overhead_gb,
                    "GB",
                );
            }
            let mut seen = Vec::new();
            for task in &workload.tasks {
                if seen.contains(&(&task.model, &task.quant)) {
                    continue;
                }
                seen.push((&task.model, &task.quant));
                if let Some(model) = catalog.model(&task.model) {
                    ui.label(format!("{} parameters", model.name));
                    ui.label(format!(
                        "{:.1} B total, {:.1} B active",
                        model.params_total_b, model.params_active_b
                    ));
                    source_ui(
                        ui,
                        model.sources.first().map_or("estimated", String::as_str),
                    );
                    ui.end_row();
                    ui.label(format!("{} attention", model.name));
                    ui.label(format!(
                        "{} layers × {} KV heads × {} dims",
                        model.layers, model.kv_heads, model.head_dim
                    ));
                    source_ui(
                        ui,
                        model.sources.first().map_or("estimated", String::as_str),
                    );
                    ui.end_row();
                }
                if let Some(quant) = catalog.quant(&task.quant) {
                    sourced_row(
                        ui,
                        &format!("{} bits per weight", quant.id),
                        &quant.bits_per_weight,
                        "bits",
                    );
                }
            }
        });

    let checks = claim_checks(catalog, machine);
    if !checks.is_empty() {
        ui.separator();
        ui.label(RichText::new("Published speed claims, checked").strong())
            .on_hover_text(
                "A claim is checked against the most the memory allows: every token reads the \
                 model's active weights from memory, so no machine writes faster than its \
                 memory speed divided by those bytes.",
            );
        for check in checks {
            let bound = check.bound_tokens_per_s.map_or_else(
                || "cannot be checked (the model is not in the catalogue)".to_owned(),
                |b| format!("its memory allows at most {b:.1} tok/s"),
            );
            // Who said it is on hover: the catalogue's note of the source, not a name a
            // buyer would know.
            let text = format!(
                "\"{}\": {:.0} tok/s claimed; {bound}",
                check.text, check.claimed_tokens_per_s
            );
            let said_by = format!("Claimed by: {}", check.by);
            if check.exceeds_bound {
                ui.label(
                    RichText::new(format!("{text}: faster than the memory bandwidth allows"))
                        .color(ui.visuals().warn_fg_color),
                )
                .on_hover_text(said_by);
            } else {
                ui.label(text).on_hover_text(said_by);
            }
        }
    }
    if !machine.notes.is_empty() {
        ui.separator();
        ui.label(RichText::new(&machine.notes).small());
    }
}

fn sourced_row(ui: &mut Ui, name: &str, value: &Sourced, unit: &str) {
    ui.label(name);
    ui.label(if unit.is_empty() {
        format!("{:.2}", value.value)
    } else {
        format!("{} {unit}", trim_number(value.value))
    });
    source_ui(ui, &value.source);
    ui.end_row();
}

/// A number without needless decimals: 800, 0.75, 12.5.
fn trim_number(value: f64) -> String {
    if (value - value.round()).abs() < 1e-9 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}").trim_end_matches('0').to_owned()
    }
}

/// A URL as a link named by its site; anything else is an estimate, named by its kind
/// ("estimate", "assumed", "fitted") with the whole text on hover.
fn source_ui(ui: &mut Ui, source: &str) {
    if is_estimate(source) {
        let kind = source.split(':').next().unwrap_or("estimate").trim();
        let kind = if kind.is_empty() || kind.len() > 12 {
            "estimated"
        } else {
            kind
        };
        ui.label(RichText::new(kind).small().weak())
            .on_hover_text(source);
    } else {
        let host = source
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .split('/')
            .next()
            .unwrap_or(source)
            .trim_start_matches("www.");
        ui.hyperlink_to(RichText::new(host).small(), source)
            .on_hover_text(source);
    }
}

/// "Your price": a quote or a used offer the user has, which replaces the catalogue's price
/// in the ranking (and is saved with the scenario).
fn your_price_ui(ui: &mut Ui, entry: &RankEntry, options: &mut crate::engine::rank::RankOptions) {
    let current = options.price_override(&entry.machine_id, entry.per_device_gb);
    let mut price = current.unwrap_or(entry.price_usd);
    let label = ui.label("your price");
    let label_id = label.id;
    label.on_hover_text(
        "A price you were offered (a quote, a used machine). It replaces the catalogue's in \
         the ranking and is saved with your scenario.",
    );
    ui.horizontal(|ui| {
        let response = ui
            .add(
                egui::DragValue::new(&mut price)
                    .range(0.0..=1_000_000.0)
                    .speed(10.0)
                    .prefix("$")
                    .custom_formatter(|n, _| crate::present::grouped(n))
                    .custom_parser(crate::present::parse_grouped),
            )
            .labelled_by(label_id);
        if response.changed() {
            options.set_price_override(&entry.machine_id, entry.per_device_gb, Some(price));
        }
        if current.is_some() && ui.small_button("use the catalogue's").clicked() {
            options.set_price_override(&entry.machine_id, entry.per_device_gb, None);
        }
    });
    ui.end_row();
}
