//! Matching a [`Detection`] onto the app's machine catalogue.
//!
//! Catalogue entries are understood through tokens of their ids (`mac-studio-m2-ultra-60c` ->
//! chip `m2`, tier `ultra`, 60 GPU cores; `threadripper-2x-rx-7900-xtx` -> GPU model
//! `rx 7900 xtx`; `framework-desktop-ryzen-ai-max-395` -> APU SKU 395 made by `framework`),
//! and detected names are reduced to the same tokens. Only GPU-name quirks that tokens cannot
//! express live in a small alias function ([`gpu_model_tokens`]).

use serde::{Deserialize, Serialize};

use super::{Detection, GpuInfo, GpuVendor, GIB_BYTES};

/// A catalogue machine as the app knows it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct MachineRef {
    /// Catalogue id, e.g. "mac-studio-m2-ultra-60c".
    pub id: String,
    /// Display name.
    pub name: String,
    /// Vendor, e.g. "Apple", "NVIDIA", "AMD", "Framework".
    pub vendor: String,
    /// Memory configurations offered, in GB (GiB as sold).
    pub memory_options_gb: Vec<f64>,
    /// Accelerators in the machine (GPUs, or linked units such as 2 DGX Sparks).
    pub device_count: u32,
}

/// A "this machine" entry built from what was detected, when no catalogue entry fits.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GuessedMachine {
    /// Display name, e.g. "This machine (AMD EPYC 7B13, CPU only)".
    pub name: String,
    /// Memory that models can use, in GB: total VRAM, unified memory, or system RAM.
    pub memory_gb: f64,
    /// Memory bandwidth when known; `None` when it must be measured or guessed.
    pub bandwidth_gb_per_s: Option<f64>,
    /// Names of fields that are guesses rather than detected facts.
    pub guessed_fields: Vec<String>,
    /// Why this is a guess and how it was built.
    pub why: String,
}

/// Outcome of [`match_machine`].
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum MachineMatch {
    /// The catalogue has this very machine.
    Exact {
        /// Catalogue id.
        id: String,
        /// The memory option nearest to the detected memory.
        memory_gb: f64,
        /// How it was matched.
        why: String,
    },
    /// The catalogue has a close relative (same chip, different core count / GPU count /
    /// memory / maker).
    Family {
        /// Catalogue id of the nearest relative.
        id: String,
        /// The memory option nearest to the detected memory.
        memory_gb: f64,
        /// How it was matched.
        why: String,
        /// What differs between this machine and the catalogue entry.
        differences: Vec<String>,
    },
    /// Nothing in the catalogue fits; a guessed entry is built instead.
    Unknown {
        /// The guessed "this machine" entry.
        guessed: GuessedMachine,
    },
}

impl MachineMatch {
    /// Catalogue id, unless unknown.
    pub fn id(&self) -> Option<&str> {
        match self {
            MachineMatch::Exact { id, .. } | MachineMatch::Family { id, .. } => Some(id),
            MachineMatch::Unknown { .. } => None,
        }
    }
}

/// Lowercase alphanumeric tokens of `s` ("AMD RYZEN AI MAX+ 395" -> amd, ryzen, ai, max, 395).
pub fn tokens(s: &str) -> Vec<String> {
    s.to_ascii_lowercase()
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

/// Relative shortfall accepted between OS-visible RAM and an installed-memory option.
const OS_RAM_TOLERANCE: f64 = 0.12;

fn gib(bytes: u64) -> f64 {
    bytes as f64 / GIB_BYTES as f64
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

/// Nearest offered memory option to `detected_gb` (or the detected value itself when the entry
/// lists no options) plus a difference note when it is off by more than 0.75 GB and 5%.
fn nearest_memory(options: &[f64], detected_gb: f64) -> (f64, Option<String>) {
    nearest_memory_tol(options, detected_gb, 0.05)
}

/// Like [`nearest_memory`] with a relative tolerance: RAM as the OS sees it on a unified-memory
/// machine is several percent below the installed amount (firmware and GPU reservations).
fn nearest_memory_tol(options: &[f64], detected_gb: f64, tol_frac: f64) -> (f64, Option<String>) {
    let best = options
        .iter()
        .copied()
        .filter(|o| o.is_finite())
        .min_by(|a, b| (a - detected_gb).abs().total_cmp(&(b - detected_gb).abs()));
    match best {
        None => (round1(detected_gb), None),
        Some(o) => {
            let off = (o - detected_gb).abs();
            let note = (detected_gb > 0.0 && off > 0.75 && off > tol_frac * o).then(|| {
                format!(
                    "memory: {:.0} GB detected, not a catalogue option (nearest {o} GB)",
                    detected_gb
                )
            });
            (o, note)
        }
    }
}

// ---------------------------------------------------------------- Apple

/// Apple chip read from id or name tokens: generation ("m2"), tier ("ultra", "max", "pro" or
/// "base") and GPU cores (from a `60c` token).
#[derive(Debug, Clone, PartialEq)]
struct AppleChip {
    gen: String,
    tier: String,
    cores: Option<u32>,
    form: Vec<String>,
}

fn is_m_gen(t: &str) -> bool {
    t.len() >= 2 && t.starts_with('m') && t[1..].chars().all(|c| c.is_ascii_digit())
}

fn apple_chip(toks: &[String]) -> Option<AppleChip> {
    let i = toks.iter().position(|t| is_m_gen(t))?;
    let tier = match toks.get(i + 1).map(String::as_str) {
        Some(t @ ("pro" | "max" | "ultra")) => t.to_string(),
        _ => "base".to_string(),
    };
    let cores = toks.iter().find_map(|t| {
        t.strip_suffix('c')
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
            .and_then(|n| n.parse().ok())
    });
    Some(AppleChip {
        gen: toks[i].clone(),
        tier,
        cores,
        form: toks[..i].to_vec(),
    })
}

fn match_apple(det: &Detection, catalog: &[MachineRef]) -> Option<MachineMatch> {
    let apple = det.apple.as_ref()?;
    let want = apple_chip(&tokens(&apple.chip))?;
    let cores = apple.gpu_cores;
    let form_hint: Option<&str> = apple.hw_model.as_deref().and_then(|m| {
        if m.starts_with("MacBook") {
            Some("macbook")
        } else if m.starts_with("Macmini") {
            Some("mini")
        } else {
            None
        }
    });
    let cands: Vec<(&MachineRef, AppleChip)> = catalog
        .iter()
        .filter_map(|r| apple_chip(&tokens(&r.id)).map(|c| (r, c)))
        .filter(|(_, c)| c.gen == want.gen && c.tier == want.tier)
        .collect();
    let (r, c) = cands.iter().min_by_key(|(_, c)| {
        let core_off = match (cores, c.cores) {
            (Some(a), Some(b)) => a.abs_diff(b),
            _ => 0,
        };
        let form_off = match form_hint {
            Some(h) if !c.form.iter().any(|f| f == h) => 1,
            _ => 0,
        };
        (core_off, form_off)
    })?;
    let mem_gb = gib(apple.memsize_bytes.unwrap_or(det.total_ram_bytes));
    let (memory_gb, mem_note) = nearest_memory(&r.memory_options_gb, mem_gb);
    let mut differences = Vec::new();
    match (cores, c.cores) {
        (Some(a), Some(b)) if a != b => differences.push(format!(
            "GPU cores: this Mac has {a}, the catalogue entry {b}"
        )),
        (None, _) => differences.push("GPU core count could not be read".to_string()),
        _ => {}
    }
    differences.extend(mem_note);
    let why = format!(
        "{} with {} GPU cores and {:.0} GB unified memory",
        apple.chip,
        cores.map(|c| c.to_string()).unwrap_or_else(|| "?".into()),
        mem_gb
    );
    Some(finish(r, memory_gb, why, differences))
}

fn finish(r: &MachineRef, memory_gb: f64, why: String, differences: Vec<String>) -> MachineMatch {
    if differences.is_empty() {
        MachineMatch::Exact {
            id: r.id.clone(),
            memory_gb,
            why,
        }
    } else {
        MachineMatch::Family {
            id: r.id.clone(),
            memory_gb,
            why,
            differences,
        }
    }
}

// ---------------------------------------------------------------- AMD Ryzen AI Max (Strix Halo)

/// SKU number after "max" in "ryzen ai max(+) 395".
fn ryzen_ai_max_sku(toks: &[String]) -> Option<(usize, String)> {
    let r = toks
        .windows(3)
        .position(|w| w[0] == "ryzen" && w[1] == "ai" && w[2] == "max")?;
    let sku = toks
        .get(r + 3)
        .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        .cloned()
        .unwrap_or_default();
    Some((r, sku))
}

fn is_strix_halo(det: &Detection) -> bool {
    ryzen_ai_max_sku(&tokens(&det.cpu.brand)).is_some()
        || det.gpus.iter().any(|g| g.name.contains("Strix Halo"))
}

fn match_strix_halo(det: &Detection, catalog: &[MachineRef]) -> Option<MachineMatch> {
    if !is_strix_halo(det) {
        return None;
    }
    let sku = ryzen_ai_max_sku(&tokens(&det.cpu.brand))
        .map(|(_, s)| s)
        .unwrap_or_default();
    let mut maker = tokens(det.system_vendor.as_deref().unwrap_or(""));
    maker.extend(tokens(det.system_product.as_deref().unwrap_or("")));
    // ASUS sells its Strix Halo tablet under the ROG brand.
    if maker.iter().any(|t| t == "asustek" || t == "asus") {
        maker.push("rog".to_string());
    }
    let cands: Vec<(&MachineRef, Vec<String>, String)> = catalog
        .iter()
        .filter_map(|r| {
            let t = tokens(&r.id);
            let (i, s) = ryzen_ai_max_sku(&t)?;
            Some((r, t[..i].to_vec(), s))
        })
        .collect();
    let overlap = |prod: &[String]| prod.iter().filter(|p| maker.contains(p)).count();
    let (r, prod, cand_sku) = cands.iter().max_by_key(|(_, prod, s)| {
        (
            overlap(prod),
            *s == sku,
            // Default maker: the Framework Desktop is the reference Strix Halo box.
            prod.iter().any(|p| p == "framework"),
        )
    })?;
    let mut differences = Vec::new();
    let maker_known = det.system_vendor.is_some() || det.system_product.is_some();
    let maker_matched = overlap(prod) > 0;
    if maker_known && !maker_matched {
        differences.push(format!(
            "maker: this is a {} {}; the catalogue entry is a {} with the same chip",
            det.system_vendor.as_deref().unwrap_or(""),
            det.system_product.as_deref().unwrap_or(""),
            r.name
        ));
    }
    if !sku.is_empty() && *cand_sku != sku {
        differences.push(format!(
            "CPU: Ryzen AI Max {sku}, catalogue entry has {cand_sku}"
        ));
    }
    let carve = det
        .gpus
        .iter()
        .filter(|g| g.vendor == GpuVendor::Amd && g.unified_memory)
        .filter_map(|g| g.total_memory_bytes)
        .max()
        .unwrap_or(0);
    let mem_gb = gib(det.total_ram_bytes + carve);
    let (memory_gb, mem_note) = nearest_memory_tol(&r.memory_options_gb, mem_gb, OS_RAM_TOLERANCE);
    differences.extend(mem_note);
    let why = format!(
        "Strix Halo APU ({}); {:.0} GB memory = {:.1} GB RAM + {:.1} GB GPU carve-out; {}",
        det.cpu.brand,
        mem_gb,
        gib(det.total_ram_bytes),
        gib(carve),
        if maker_matched {
            "maker matched from system vendor/product".to_string()
        } else if maker_known {
            "maker not in the catalogue".to_string()
        } else {
            "system vendor unknown, assumed the Framework Desktop".to_string()
        }
    );
    Some(finish(r, memory_gb, why, differences))
}

// ---------------------------------------------------------------- discrete / datacenter GPUs

/// Words that carry no model information.
const GPU_NOISE: &[&str] = &[
    "nvidia",
    "geforce",
    "amd",
    "ati",
    "radeon",
    "instinct",
    "graphics",
    "tesla",
    "hbm2",
    "hbm2e",
    "hbm3",
    "hbm3e",
    "generation",
    "corporation",
];

/// Words in catalogue ids that name the box, not the GPU.
const FORM_WORDS: &[&str] = &[
    "pc",
    "server",
    "threadripper",
    "workstation",
    "desktop",
    "rig",
    "box",
];

fn is_mem_token(t: &str) -> bool {
    t.strip_suffix("gb")
        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
}

fn is_count_token(t: &str) -> bool {
    let digits = |n: &str| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit());
    t.strip_suffix('x').is_some_and(digits) || t.strip_prefix('x').is_some_and(digits)
}

/// Model tokens of a detected GPU name, with the few quirks tokens cannot express:
/// - "NVIDIA GB10" is the DGX Spark superchip (catalogue id `dgx-spark`);
/// - "NVIDIA H100 80GB HBM3" is the SXM5 board (the PCIe board says "H100 PCIe");
/// - "SXM5" is written `sxm` in the catalogue.
pub fn gpu_model_tokens(name: &str) -> Vec<String> {
    let raw = tokens(name);
    if raw.iter().any(|t| t == "gb10") {
        return vec!["dgx".to_string(), "spark".to_string()];
    }
    let hbm = raw.iter().any(|t| t.starts_with("hbm"));
    let mut t: Vec<String> = raw
        .into_iter()
        .filter(|t| !GPU_NOISE.contains(&t.as_str()))
        .map(|t| if t == "sxm5" { "sxm".to_string() } else { t })
        .collect();
    let has = |t: &[String], w: &str| t.iter().any(|x| x == w);
    if has(&t, "h100") && hbm && !has(&t, "pcie") && !has(&t, "nvl") && !has(&t, "sxm") {
        t.push("sxm".to_string());
    }
    t
}

/// Model tokens of a catalogue id for a GPU machine (box words and `2x`/`x2` dropped).
fn catalogue_gpu_tokens(id: &str) -> Vec<String> {
    tokens(id)
        .into_iter()
        .filter(|t| !FORM_WORDS.contains(&t.as_str()) && !is_count_token(t))
        .collect()
}

fn primary_token(model: &[String]) -> Option<&String> {
    model
        .iter()
        .find(|t| !is_mem_token(t) && t.chars().any(|c| c.is_ascii_digit()))
        .or_else(|| model.first())
}

fn without_mem(t: &[String]) -> Vec<&String> {
    let mut v: Vec<&String> = t.iter().filter(|x| !is_mem_token(x)).collect();
    v.sort();
    v
}

struct GpuGroup<'a> {
    model: Vec<String>,
    gpus: Vec<&'a GpuInfo>,
}

/// Groups discrete (and GB10) GPUs by model; Apple GPUs and small AMD iGPUs are left out.
fn gpu_groups(det: &Detection) -> Vec<GpuGroup<'_>> {
    let mut groups: Vec<GpuGroup> = Vec::new();
    let has_discrete = det.gpus.iter().any(|g| !g.unified_memory);
    for g in &det.gpus {
        if g.vendor == GpuVendor::Apple
            || (g.unified_memory && g.vendor == GpuVendor::Amd && has_discrete)
        {
            continue;
        }
        let model = gpu_model_tokens(&g.name);
        match groups.iter_mut().find(|gr| gr.model == model) {
            Some(gr) => gr.gpus.push(g),
            None => groups.push(GpuGroup {
                model,
                gpus: vec![g],
            }),
        }
    }
    // Largest group first: by total memory, then count.
    groups.sort_by(|a, b| {
        let mem = |g: &GpuGroup| {
            g.gpus
                .iter()
                .filter_map(|x| x.total_memory_bytes)
                .sum::<u64>()
        };
        (mem(b), b.gpus.len()).cmp(&(mem(a), a.gpus.len()))
    });
    groups
}

fn match_gpus(det: &Detection, catalog: &[MachineRef]) -> Option<MachineMatch> {
    let groups = gpu_groups(det);
    let group = groups.first()?;
    let primary = primary_token(&group.model)?;
    let count = u32::try_from(group.gpus.len()).unwrap_or(u32::MAX);
    let want = without_mem(&group.model);
    let cands: Vec<(&MachineRef, Vec<String>)> = catalog
        .iter()
        .map(|r| (r, catalogue_gpu_tokens(&r.id)))
        .filter(|(_, t)| t.contains(primary))
        .collect();
    let (r, ctoks) = cands.iter().max_by_key(|(r, t)| {
        let same_model = without_mem(t) == want;
        let overlap = t.iter().filter(|x| group.model.contains(x)).count();
        (
            same_model,
            r.device_count == count,
            overlap,
            std::cmp::Reverse(r.device_count.abs_diff(count)),
        )
    })?;
    let name = &group.gpus[0].name;
    let mut differences = Vec::new();
    if without_mem(ctoks) != want {
        differences.push(format!(
            "GPU model: detected \"{name}\", catalogue entry is \"{}\"",
            r.name
        ));
    }
    if r.device_count != count {
        differences.push(format!(
            "GPU count: {count} detected, catalogue entry has {}",
            r.device_count
        ));
    }
    let per_device = group.gpus.iter().filter_map(|g| g.total_memory_bytes).max();
    // A memory token in the id ("80gb") must agree with the board's memory.
    if let (Some(tok), Some(dev)) = (ctoks.iter().find(|t| is_mem_token(t)), per_device) {
        let want_gb: f64 = tok.trim_end_matches("gb").parse().unwrap_or(0.0);
        if (gib(dev) - want_gb).abs() > 0.1 * want_gb {
            differences.push(format!(
                "GPU memory: {:.0} GB per GPU, catalogue entry has {want_gb} GB",
                gib(dev)
            ));
        }
    }
    let unified = group
        .gpus
        .iter()
        .all(|g| g.unified_memory || g.total_memory_bytes.is_none());
    let (memory_gb, mem_note, mem_desc) = if unified {
        let ram = gib(det.total_ram_bytes);
        let (m, n) = nearest_memory_tol(&r.memory_options_gb, ram, OS_RAM_TOLERANCE);
        (m, n, format!("{ram:.0} GB unified memory"))
    } else {
        let dev = gib(per_device.unwrap_or(0));
        let total = dev * count as f64;
        // Options may be per GPU or per machine: use whichever reading fits better.
        let (m1, n1) = nearest_memory(&r.memory_options_gb, total);
        let (m2, n2) = nearest_memory(&r.memory_options_gb, dev);
        let pick = if (m1 - total).abs() / total.max(1.0) <= (m2 - dev).abs() / dev.max(1.0) {
            (m1, n1)
        } else {
            (m2, n2)
        };
        (pick.0, pick.1, format!("{count} x {dev:.0} GB VRAM"))
    };
    differences.extend(mem_note);
    for other in groups.iter().skip(1) {
        differences.push(format!(
            "also has {} x {} not counted in the match",
            other.gpus.len(),
            other.gpus[0].name
        ));
    }
    let mut why = format!("{count} x {name} ({mem_desc})");
    if r.id.contains("spark") {
        why.push_str("; a second Spark linked over the network is not visible from here");
    }
    Some(finish(r, memory_gb, why, differences))
}

// ---------------------------------------------------------------- unknown

/// Builds a "this machine" entry from what was detected.
pub fn guess_machine(det: &Detection) -> GuessedMachine {
    let cpu = if det.cpu.brand.is_empty() {
        "unknown CPU".to_string()
    } else {
        det.cpu.brand.clone()
    };
    let ram_gb = gib(det.total_ram_bytes);
    let mut guessed_fields = vec!["bandwidth_gb_per_s".to_string()];
    let mut bandwidth = None;
    let groups = gpu_groups(det);
    let discrete: Vec<&GpuInfo> = groups.iter().flat_map(|g| g.gpus.iter().copied()).collect();
    let vram: u64 = discrete
        .iter()
        .filter(|g| !g.unified_memory)
        .filter_map(|g| g.total_memory_bytes)
        .sum();
    let (name, memory_gb, basis) =
        if let Some(apple) = det.apple.as_ref().filter(|a| !a.chip.is_empty()) {
            let mem = gib(apple.memsize_bytes.unwrap_or(det.total_ram_bytes));
            (
                format!(
                    "This Mac ({}, {}-core GPU, {:.0} GB)",
                    apple.chip,
                    apple
                        .gpu_cores
                        .map(|c| c.to_string())
                        .unwrap_or_else(|| "?".into()),
                    mem
                ),
                mem,
                "unified memory",
            )
        } else if vram > 0 {
            // NVML reports bus width and memory clock: spec bandwidth without a guess.
            if let Some((_, b)) = super::specs::slowest_card_bandwidth(discrete.iter().copied()) {
                bandwidth = Some(b);
                guessed_fields.retain(|f| f != "bandwidth_gb_per_s");
            }
            let mut parts: Vec<String> = groups
                .iter()
                .map(|g| format!("{} x {}", g.gpus.len(), g.gpus[0].name))
                .collect();
            parts.push(cpu.clone());
            (
                format!("This machine ({})", parts.join(" + ")),
                gib(vram),
                "total GPU memory",
            )
        } else if !det.gpus.is_empty() {
            let carve: u64 = det
                .gpus
                .iter()
                .filter(|g| g.unified_memory)
                .filter_map(|g| g.total_memory_bytes)
                .max()
                .unwrap_or(0);
            let names: Vec<&str> = det.gpus.iter().map(|g| g.name.as_str()).collect();
            if det.gpus.iter().any(|g| !g.unified_memory) {
                guessed_fields.push("memory_gb".to_string());
            }
            (
                format!("This machine ({} + {})", names.join(", "), cpu),
                gib(det.total_ram_bytes + carve),
                "system RAM shared with the GPU",
            )
        } else {
            (
                format!("This machine ({cpu}, CPU only)"),
                ram_gb,
                "system RAM (no GPU found)",
            )
        };
    if memory_gb <= 0.0 {
        guessed_fields.push("memory_gb".to_string());
    }
    let why = match bandwidth {
        Some(b) => format!(
            "No catalogue entry matches; built from what was detected. Memory is {basis} \
             ({memory_gb:.1} GB). Memory bandwidth, {b:.0} GB/s, follows from the bus width \
             and memory clock the driver reports."
        ),
        None => format!(
            "No catalogue entry matches; built from what was detected. Memory is {basis} \
             ({memory_gb:.1} GB). Memory bandwidth is not known from detection: it is a guess \
             until the bandwidth probe is run."
        ),
    };
    GuessedMachine {
        name,
        memory_gb: round1(memory_gb),
        bandwidth_gb_per_s: bandwidth,
        guessed_fields,
        why,
    }
}

/// Matches the detected machine onto the catalogue.
///
/// Apple silicon is matched by chip + GPU core count, Strix Halo by CPU SKU + system maker,
/// everything else by GPU model + GPU count. The memory option is the one nearest the detected
/// memory. When nothing fits, a [`GuessedMachine`] is returned instead.
pub fn match_machine(det: &Detection, catalog: &[MachineRef]) -> MachineMatch {
    let found = if det.apple.as_ref().is_some_and(|a| !a.chip.is_empty()) {
        match_apple(det, catalog)
    } else if is_strix_halo(det) {
        match_strix_halo(det, catalog)
    } else {
        match_gpus(det, catalog)
    };
    found.unwrap_or_else(|| MachineMatch::Unknown {
        guessed: guess_machine(det),
    })
}
