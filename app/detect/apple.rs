//! Apple silicon: `sysctl` (chip, memory, GPU wired limit) and `system_profiler` (GPU cores).

use std::thread;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::run::run_command;
use super::{
    AcceleratorLimit, AppleInfo, GpuInfo, GpuVendor, ParseError, ProbeData, ProbeResult, GIB_BYTES,
};

/// Keys read with `sysctl`, in this order (the wired limit last: older macOS lacks it, and a
/// missing key must not shift the positional `sysctl -n` output).
pub const SYSCTL_KEYS: [&str; 4] = [
    "machdep.cpu.brand_string",
    "hw.memsize",
    "hw.model",
    "iogpu.wired_limit_mb",
];

/// What `sysctl` said.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct SysctlInfo {
    /// `machdep.cpu.brand_string`, e.g. "Apple M2 Ultra".
    pub brand: Option<String>,
    /// `hw.memsize` in bytes.
    pub memsize_bytes: Option<u64>,
    /// `hw.model`, e.g. "Mac14,14".
    pub hw_model: Option<String>,
    /// `iogpu.wired_limit_mb` (0 = macOS default); `None` when absent (macOS before 14).
    pub wired_limit_mb: Option<u64>,
}

/// Parses captured `sysctl` output.
///
/// Accepts both `sysctl KEY...` output (`key: value` lines, any order, any subset) and the
/// positional `sysctl -n machdep.cpu.brand_string hw.memsize iogpu.wired_limit_mb` output
/// (brand, memsize, wired limit; a missing last line means the key does not exist).
pub fn parse_sysctl(text: &str) -> Result<SysctlInfo, ParseError> {
    let what = "sysctl";
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return Err(ParseError::Empty { what });
    }
    let mut info = SysctlInfo::default();
    let keyed = lines.iter().any(|l| {
        l.split_once(':')
            .is_some_and(|(k, _)| k.contains('.') && !k.contains(' '))
    });
    let num = |v: &str, line: usize| {
        v.trim().parse::<u64>().map_err(|_| ParseError::Malformed {
            what,
            line,
            message: format!("`{v}` is not a number"),
        })
    };
    if keyed {
        for (i, l) in lines.iter().enumerate() {
            let Some((k, v)) = l.split_once(':') else {
                continue;
            };
            let v = v.trim();
            match k.trim() {
                "machdep.cpu.brand_string" => info.brand = Some(v.to_string()),
                "hw.memsize" => info.memsize_bytes = Some(num(v, i + 1)?),
                "hw.model" => info.hw_model = Some(v.to_string()),
                "iogpu.wired_limit_mb" | "debug.iogpu.wired_limit" => {
                    info.wired_limit_mb = Some(num(v, i + 1)?)
                }
                _ => {}
            }
        }
    } else {
        // Positional: brand, memsize, then wired limit (as in the documented command).
        info.brand = lines.first().map(|s| s.to_string());
        if let Some(m) = lines.get(1) {
            info.memsize_bytes = Some(num(m, 2)?);
        }
        if let Some(w) = lines.get(2) {
            info.wired_limit_mb = Some(num(w, 3)?);
        }
    }
    if info.brand.is_none() && info.memsize_bytes.is_none() {
        return Err(ParseError::Empty { what });
    }
    Ok(info)
}

/// One GPU entry of `system_profiler SPDisplaysDataType -json`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DisplayGpu {
    /// `sppci_model`, e.g. "Apple M2 Ultra".
    pub model: String,
    /// `sppci_cores`: GPU core count (a string in the JSON).
    pub cores: Option<u32>,
    /// `spdisplays_vendor`, e.g. "sppci_vendor_Apple".
    pub vendor: Option<String>,
}

/// Parses `system_profiler SPDisplaysDataType -json`.
pub fn parse_system_profiler_displays(json: &str) -> Result<Vec<DisplayGpu>, ParseError> {
    let what = "system_profiler SPDisplaysDataType";
    let v: Value = serde_json::from_str(json).map_err(|e| ParseError::Malformed {
        what,
        line: e.line(),
        message: e.to_string(),
    })?;
    let items = v
        .get("SPDisplaysDataType")
        .and_then(Value::as_array)
        .ok_or(ParseError::Malformed {
            what,
            line: 0,
            message: "no SPDisplaysDataType array".to_string(),
        })?;
    let mut gpus = Vec::new();
    for item in items {
        let model = item
            .get("sppci_model")
            .or_else(|| item.get("_name"))
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_string();
        if model.is_empty() {
            continue;
        }
        let cores = item.get("sppci_cores").and_then(|c| match c {
            Value::String(s) => s.trim().parse().ok(),
            Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
            _ => None,
        });
        let vendor = item
            .get("spdisplays_vendor")
            .and_then(Value::as_str)
            .map(str::to_string);
        gpus.push(DisplayGpu {
            model,
            cores,
            vendor,
        });
    }
    if gpus.is_empty() {
        return Err(ParseError::Empty { what });
    }
    Ok(gpus)
}

/// Fraction of RAM macOS lets the GPU wire by default (when `iogpu.wired_limit_mb` is 0).
///
/// Metal's recommended working set is about 75% of RAM on machines with more than 36 GiB and
/// about two thirds on smaller ones.
pub fn default_wired_fraction(total_ram_bytes: u64) -> f64 {
    if total_ram_bytes > 36 * GIB_BYTES {
        0.75
    } else {
        2.0 / 3.0
    }
}

/// The GPU wired-memory limit of a Mac as an [`AcceleratorLimit`].
pub fn wired_limit(apple: &AppleInfo, total_ram_bytes: u64) -> Option<AcceleratorLimit> {
    let ram = apple.memsize_bytes.unwrap_or(total_ram_bytes);
    match apple.wired_limit_mb {
        Some(mb) if mb > 0 => Some(AcceleratorLimit::MacWiredLimit {
            configured_mb: Some(mb),
            effective_bytes: mb.saturating_mul(1 << 20),
            is_default_estimate: false,
            note: format!(
                "iogpu.wired_limit_mb is set to {mb} MiB: the GPU may use up to {:.1} GiB",
                mb as f64 / 1024.0
            ),
        }),
        other if ram > 0 => {
            let frac = default_wired_fraction(ram);
            let eff = (ram as f64 * frac) as u64;
            Some(AcceleratorLimit::MacWiredLimit {
                configured_mb: None,
                effective_bytes: eff,
                is_default_estimate: true,
                note: format!(
                    "{}: macOS default, about {:.0}% of RAM ({:.1} GiB) for the GPU; raise it \
                     with `sudo sysctl iogpu.wired_limit_mb=N`",
                    if other.is_some() {
                        "iogpu.wired_limit_mb is 0"
                    } else {
                        "iogpu.wired_limit_mb not readable"
                    },
                    frac * 100.0,
                    eff as f64 / GIB_BYTES as f64
                ),
            })
        }
        _ => None,
    }
}

/// Combines parsed `sysctl` and `system_profiler` output into [`AppleInfo`] and a GPU entry.
pub fn apple_from_parsed(
    sysctl: &SysctlInfo,
    displays: &[DisplayGpu],
) -> (AppleInfo, Vec<GpuInfo>) {
    let apple_gpu = displays.iter().find(|d| {
        d.model.starts_with("Apple") || d.vendor.as_deref().is_some_and(|v| v.contains("Apple"))
    });
    let chip = sysctl
        .brand
        .clone()
        .filter(|b| b.starts_with("Apple"))
        .or_else(|| apple_gpu.map(|g| g.model.clone()))
        .unwrap_or_default();
    let info = AppleInfo {
        chip: chip.clone(),
        gpu_cores: apple_gpu.and_then(|g| g.cores),
        memsize_bytes: sysctl.memsize_bytes,
        wired_limit_mb: sysctl.wired_limit_mb,
        hw_model: sysctl.hw_model.clone(),
    };
    let gpus = apple_gpu
        .map(|g| GpuInfo {
            vendor: GpuVendor::Apple,
            name: g.model.clone(),
            total_memory_bytes: None,
            free_memory_bytes: None,
            gtt_total_bytes: None,
            unified_memory: true,
            pci_device_id: None,
            source: "system_profiler".to_string(),
            specs: None,
        })
        .into_iter()
        .collect();
    (info, gpus)
}

/// Probe: `sysctl` + `system_profiler` (macOS only), run side by side.
pub(crate) fn probe_apple(timeout: Duration) -> ProbeResult {
    if !cfg!(target_os = "macos") {
        return Err("not macOS".to_string());
    }
    let (sysctl_out, sp_out) = thread::scope(|s| {
        let sp =
            s.spawn(|| run_command("system_profiler", &["SPDisplaysDataType", "-json"], timeout));
        let sc = run_command("sysctl", &SYSCTL_KEYS, timeout);
        let sp = sp
            .join()
            .unwrap_or_else(|_| Err("system_profiler thread panicked".to_string()));
        (sc, sp)
    });
    // sysctl exits non-zero when one key is unknown but still prints the others.
    let sysctl = sysctl_out
        .map_err(|e| format!("sysctl: {e}"))
        .and_then(|o| parse_sysctl(&o.stdout).map_err(|e| e.to_string()))?;
    let mut notes = Vec::new();
    let displays = match sp_out {
        Ok(o) => parse_system_profiler_displays(&o.stdout).unwrap_or_else(|e| {
            notes.push(format!("GPU core count unknown: {e}"));
            Vec::new()
        }),
        Err(e) => {
            notes.push(format!("GPU core count unknown: {e}"));
            Vec::new()
        }
    };
    let (apple, gpus) = apple_from_parsed(&sysctl, &displays);
    let detail = format!(
        "{} with {} GPU cores",
        apple.chip,
        apple
            .gpu_cores
            .map(|c| c.to_string())
            .unwrap_or_else(|| "?".into())
    );
    Ok((
        ProbeData {
            gpus,
            apple: Some(apple),
            notes,
            ..ProbeData::default()
        },
        detail,
    ))
}
