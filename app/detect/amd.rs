//! AMD GPUs on Linux via sysfs (`/sys/class/drm/card*/device/`), including Strix Halo APUs.

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::{AcceleratorLimit, GpuInfo, GpuVendor, ProbeData, ProbeResult, GIB_BYTES};

/// PCI vendor id of AMD/ATI as written in sysfs.
pub const AMD_PCI_VENDOR: &str = "0x1002";

/// One AMD card as read from sysfs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct AmdCard {
    /// DRM node name, e.g. "card1".
    pub card: String,
    /// PCI device id, e.g. "0x744c".
    pub device_id: Option<String>,
    /// `product_name` from sysfs (often missing on consumer cards).
    pub product_name: Option<String>,
    /// Best name: product name, else a name from the device-id table, else "AMD GPU 0x....".
    pub name: String,
    /// `mem_info_vram_total` (on an APU: the BIOS carve-out).
    pub vram_total_bytes: Option<u64>,
    /// `mem_info_vram_used`.
    pub vram_used_bytes: Option<u64>,
    /// `mem_info_gtt_total`: system memory the GPU may map.
    pub gtt_total_bytes: Option<u64>,
    /// True for an integrated GPU sharing system memory.
    pub is_apu: bool,
    /// True for Strix Halo (Ryzen AI Max, Radeon 8060S/8050S).
    pub is_strix_halo: bool,
}

/// Small, commented table of PCI device ids whose sysfs `product_name` is usually missing.
/// (id, name, is_apu). Navi 31 (0x744c) is shared by 7900 XTX/XT/GRE: see [`navi31_name`].
const DEVICE_IDS: &[(&str, &str, bool)] = &[
    ("0x744c", "Radeon RX 7900 XTX", false), // Navi 31; refined by VRAM size
    ("0x7448", "Radeon Pro W7900", false),   // Navi 31 workstation, 48 GB
    ("0x7550", "Radeon RX 9070 XT", false),  // Navi 48
    ("0x73bf", "Radeon RX 6900 XT", false),  // Navi 21 (also 6800/6800 XT)
    ("0x74a1", "Instinct MI300X", false),    // CDNA3 OAM
    ("0x74a5", "Instinct MI325X", false),    // CDNA3 OAM, 256 GB
    ("0x74a0", "Instinct MI300A", true),     // CDNA3 APU
    ("0x1586", "Radeon 8060S (Strix Halo)", true), // Ryzen AI Max 385/390/395
    ("0x150e", "Radeon 890M (Strix Point)", true),
    ("0x15bf", "Radeon 780M (Phoenix)", true),
    ("0x164e", "Radeon Graphics (Raphael iGPU)", true),
];

/// Navi 31 shares one device id; the VRAM size tells the boards apart.
fn navi31_name(vram_bytes: Option<u64>) -> &'static str {
    match vram_bytes.map(|b| (b as f64 / GIB_BYTES as f64).round() as u64) {
        Some(20) => "Radeon RX 7900 XT",
        Some(16) => "Radeon RX 7900 GRE",
        _ => "Radeon RX 7900 XTX",
    }
}

fn read_trimmed(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
}

fn read_u64(path: &Path) -> Option<u64> {
    read_trimmed(path).and_then(|s| s.parse().ok())
}

/// Reads every AMD card under `drm_root` (normally `/sys/class/drm`).
///
/// Pure over the directory tree so tests can pass a fake one. Connector entries such as
/// `card0-DP-1` and non-AMD cards are skipped; missing files become `None`.
pub fn parse_amd_sysfs(drm_root: &Path) -> Vec<AmdCard> {
    let Ok(entries) = std::fs::read_dir(drm_root) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| {
            n.strip_prefix("card")
                .is_some_and(|rest| !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit()))
        })
        .collect();
    names.sort_by_key(|n| {
        n.trim_start_matches("card")
            .parse::<u32>()
            .unwrap_or(u32::MAX)
    });

    let mut cards = Vec::new();
    for card in names {
        let dev = drm_root.join(&card).join("device");
        let vendor = read_trimmed(&dev.join("vendor")).unwrap_or_default();
        if !vendor.eq_ignore_ascii_case(AMD_PCI_VENDOR) {
            continue;
        }
        let device_id = read_trimmed(&dev.join("device")).map(|s| s.to_ascii_lowercase());
        let product_name = read_trimmed(&dev.join("product_name"));
        let vram_total_bytes = read_u64(&dev.join("mem_info_vram_total"));
        let vram_used_bytes = read_u64(&dev.join("mem_info_vram_used"));
        let gtt_total_bytes = read_u64(&dev.join("mem_info_gtt_total"));
        let known = device_id
            .as_deref()
            .and_then(|id| DEVICE_IDS.iter().find(|(k, _, _)| *k == id));
        let table_name = match (device_id.as_deref(), known) {
            (Some("0x744c"), _) => Some(navi31_name(vram_total_bytes).to_string()),
            (_, Some((_, n, _))) => Some((*n).to_string()),
            _ => None,
        };
        let is_strix_halo = device_id.as_deref() == Some("0x1586")
            || product_name.as_deref().is_some_and(|p| {
                p.contains("8060S") || p.contains("8050S") || p.contains("Strix Halo")
            });
        // Unknown ids: a tiny carve-out with a larger GTT window is the signature of an APU.
        let heuristic_apu = matches!((vram_total_bytes, gtt_total_bytes),
            (Some(v), Some(g)) if v <= 2 * GIB_BYTES && g > v);
        let is_apu = known.map(|k| k.2).unwrap_or(heuristic_apu) || is_strix_halo;
        let name = product_name.clone().or(table_name).unwrap_or_else(|| {
            format!("AMD GPU {}", device_id.as_deref().unwrap_or("(unknown id)"))
        });
        cards.push(AmdCard {
            card,
            device_id,
            product_name,
            name,
            vram_total_bytes,
            vram_used_bytes,
            gtt_total_bytes,
            is_apu,
            is_strix_halo,
        });
    }
    cards
}

/// Turns sysfs cards into GPU entries plus accelerator limits (APU carve-out / GTT).
pub fn amd_cards_to_gpus(cards: &[AmdCard]) -> (Vec<GpuInfo>, Vec<AcceleratorLimit>) {
    let mut gpus = Vec::new();
    let mut limits = Vec::new();
    for c in cards {
        gpus.push(GpuInfo {
            vendor: GpuVendor::Amd,
            name: c.name.clone(),
            total_memory_bytes: c.vram_total_bytes,
            free_memory_bytes: match (c.vram_total_bytes, c.vram_used_bytes) {
                (Some(t), Some(u)) => Some(t.saturating_sub(u)),
                _ => None,
            },
            gtt_total_bytes: c.gtt_total_bytes,
            unified_memory: c.is_apu,
            pci_device_id: c.device_id.clone(),
            source: "amd-sysfs".to_string(),
            specs: None,
        });
        if c.is_apu {
            if let (Some(v), Some(g)) = (c.vram_total_bytes, c.gtt_total_bytes) {
                let gib = |b: u64| b as f64 / GIB_BYTES as f64;
                let what = if c.is_strix_halo {
                    "Strix Halo APU"
                } else {
                    "AMD APU"
                };
                limits.push(AcceleratorLimit::AmdApuMemory {
                    gpu: c.name.clone(),
                    vram_carveout_bytes: v,
                    gtt_bytes: g,
                    note: format!(
                        "{what}: {:.1} GiB BIOS carve-out (VRAM) + {:.1} GiB GTT. Usable GPU \
                         memory is the carve-out plus GTT; raise GTT with the kernel parameter \
                         ttm.pages_limit (and amdgpu.gttsize on older kernels) or change the \
                         carve-out in the BIOS.",
                        gib(v),
                        gib(g)
                    ),
                });
            }
        }
    }
    (gpus, limits)
}

/// Probe: AMD GPUs from `/sys/class/drm` (Linux only).
pub(crate) fn probe_amd_sysfs(_timeout: Duration) -> ProbeResult {
    if !cfg!(target_os = "linux") {
        return Err("not Linux (sysfs unavailable)".to_string());
    }
    let cards = parse_amd_sysfs(Path::new("/sys/class/drm"));
    if cards.is_empty() {
        return Err("no AMD GPU (vendor 0x1002) under /sys/class/drm".to_string());
    }
    let (gpus, limits) = amd_cards_to_gpus(&cards);
    let detail = cards
        .iter()
        .map(|c| format!("{}{}", c.name, if c.is_apu { " (APU)" } else { "" }))
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        ProbeData {
            gpus,
            limits,
            ..ProbeData::default()
        },
        detail,
    ))
}
