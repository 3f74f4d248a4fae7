//! CPU, RAM, OS and system-vendor probes (sysinfo, Linux DMI) plus sysinfo's generic GPU list.

use std::path::Path;
use std::time::Duration;

use sysinfo::{CpuRefreshKind, Gpus, Product, System};

use super::{CpuInfo, GpuInfo, GpuVendor, OsInfo, ProbeData, ProbeResult};

/// Probe: CPU brand, core counts, total RAM and OS name/version via `sysinfo`.
pub(crate) fn probe_sysinfo(_timeout: Duration) -> ProbeResult {
    let mut sys = System::new().map_err(|e| format!("sysinfo unavailable: {e}"))?;
    sys.refresh_memory();
    sys.refresh_cpu_list(CpuRefreshKind::nothing());
    let brand = sys
        .cpus()
        .first()
        .map(|c| c.brand().trim().to_string())
        .unwrap_or_default();
    let logical_cores = u32::try_from(sys.cpus().len()).unwrap_or(u32::MAX);
    let physical_cores = System::physical_core_count()
        .ok()
        .and_then(|n| u32::try_from(n).ok());
    let total_ram_bytes = sys.total_memory();
    let os = OsInfo {
        name: System::name().unwrap_or_default(),
        version: System::os_version().unwrap_or_default(),
        kernel: System::kernel_version().ok(),
    };
    if brand.is_empty() && total_ram_bytes == 0 {
        return Err("sysinfo reported neither a CPU nor RAM".to_string());
    }
    let detail = format!(
        "{} ({} logical cores), {:.1} GiB RAM, {} {}",
        if brand.is_empty() {
            "unknown CPU"
        } else {
            &brand
        },
        logical_cores,
        total_ram_bytes as f64 / super::GIB_BYTES as f64,
        os.name,
        os.version
    );
    let data = ProbeData {
        cpu: Some(CpuInfo {
            brand,
            physical_cores,
            logical_cores,
            arch: System::cpu_arch(),
        }),
        total_ram_bytes: (total_ram_bytes > 0).then_some(total_ram_bytes),
        os: Some(os),
        ..ProbeData::default()
    };
    Ok((data, detail))
}

/// System vendor and product name as read from a DMI directory (Linux: `/sys/class/dmi/id`).
///
/// Pure over the directory so tests can use a fake tree. Returns `(vendor, product)`; blank or
/// placeholder values ("To Be Filled By O.E.M.", "Default string") are dropped.
pub fn read_dmi(dmi_dir: &Path) -> (Option<String>, Option<String>) {
    let read = |name: &str| {
        std::fs::read_to_string(dmi_dir.join(name))
            .ok()
            .map(|s| s.trim().to_string())
            .filter(|s| !is_placeholder(s))
    };
    (read("sys_vendor"), read("product_name"))
}

fn is_placeholder(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.is_empty()
        || l.contains("to be filled")
        || l == "default string"
        || l == "system product name"
        || l == "system manufacturer"
        || l == "o.e.m."
}

/// Probe: system vendor / product (DMI on Linux, sysinfo's `Product` elsewhere).
pub(crate) fn probe_dmi(_timeout: Duration) -> ProbeResult {
    let (mut vendor, mut product) = if cfg!(target_os = "linux") {
        read_dmi(Path::new("/sys/class/dmi/id"))
    } else {
        (None, None)
    };
    if vendor.is_none() {
        vendor = Product::vendor_name()
            .ok()
            .filter(|s| !is_placeholder(s.trim()));
    }
    if product.is_none() {
        product = Product::name().ok().filter(|s| !is_placeholder(s.trim()));
    }
    if vendor.is_none() && product.is_none() {
        return Err("system vendor and product name not readable".to_string());
    }
    let detail = format!(
        "{} {}",
        vendor.as_deref().unwrap_or("?"),
        product.as_deref().unwrap_or("?")
    );
    Ok((
        ProbeData {
            system_vendor: vendor,
            system_product: product,
            ..ProbeData::default()
        },
        detail,
    ))
}

/// Maps a vendor string (name or PCI id) to a [`GpuVendor`].
pub fn gpu_vendor_from_str(s: &str) -> GpuVendor {
    let l = s.to_ascii_lowercase();
    if l.contains("nvidia") || l.contains("10de") {
        GpuVendor::Nvidia
    } else if l.contains("intel") || l.contains("8086") {
        GpuVendor::Intel
    } else if l.contains("apple") {
        GpuVendor::Apple
    } else if l.contains("amd")
        || l.contains("advanced micro")
        || l.contains("ati technologies")
        || l.contains("1002")
    {
        GpuVendor::Amd
    } else {
        GpuVendor::Other(s.to_string())
    }
}

/// Probe: sysinfo's GPU list, used only as a fallback for vendors the dedicated probes missed.
pub(crate) fn probe_sysinfo_gpus(_timeout: Duration) -> ProbeResult {
    let gpus = Gpus::new_with_refreshed_list()
        .map_err(|e| format!("sysinfo GPU list unavailable: {e}"))?;
    let mut found = Vec::new();
    for g in &gpus {
        let vendor = gpu_vendor_from_str(g.vendor().unwrap_or(""));
        let name = g.model().unwrap_or("unknown GPU").to_string();
        found.push(GpuInfo {
            unified_memory: vendor == GpuVendor::Apple,
            vendor,
            name,
            total_memory_bytes: g.total_memory(),
            free_memory_bytes: match (g.total_memory(), g.used_memory()) {
                (Some(t), Some(u)) => Some(t.saturating_sub(u)),
                _ => None,
            },
            gtt_total_bytes: None,
            pci_device_id: None,
            source: "sysinfo".to_string(),
            specs: None,
        });
    }
    if found.is_empty() {
        return Err("sysinfo lists no GPU".to_string());
    }
    let detail = found
        .iter()
        .map(|g| g.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    Ok((
        ProbeData {
            gpus: found,
            ..ProbeData::default()
        },
        detail,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dmi_reads_vendor_and_drops_placeholders() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("sys_vendor"), "ASUSTeK COMPUTER INC.\n").unwrap();
        std::fs::write(dir.path().join("product_name"), "To Be Filled By O.E.M.\n").unwrap();
        let (v, p) = read_dmi(dir.path());
        assert_eq!(v.as_deref(), Some("ASUSTeK COMPUTER INC."));
        assert_eq!(p, None);
    }

    #[test]
    fn vendor_strings() {
        assert_eq!(gpu_vendor_from_str("NVIDIA Corporation"), GpuVendor::Nvidia);
        assert_eq!(gpu_vendor_from_str("0x1002"), GpuVendor::Amd);
        assert_eq!(gpu_vendor_from_str("Apple"), GpuVendor::Apple);
        assert_eq!(gpu_vendor_from_str("Intel Corporation"), GpuVendor::Intel);
    }
}
