//! NVIDIA GPUs: NVML (loaded at run time) with an `nvidia-smi` CSV fallback.

use std::time::Duration;

use nvml_wrapper::enum_wrappers::device::Clock;
use nvml_wrapper::Nvml;

use super::run::run_command;
use super::{GpuInfo, GpuSpecs, GpuVendor, ParseError, ProbeData, ProbeResult};

const MIB_BYTES: u64 = 1 << 20;

/// Arguments given to `nvidia-smi` for the fallback probe.
pub const NVIDIA_SMI_ARGS: [&str; 2] = [
    "--query-gpu=name,memory.total,memory.free",
    "--format=csv,noheader,nounits",
];

/// True for NVIDIA parts whose GPU shares system memory (GB10 in DGX Spark, GH200/GB200 style
/// superchips report their own HBM, so only GB10-class parts are listed).
pub fn nvidia_is_unified(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    l.split(|c: char| !c.is_ascii_alphanumeric())
        .any(|t| t == "gb10")
}

/// Parses `nvidia-smi --query-gpu=name,memory.total,memory.free --format=csv,noheader,nounits`.
///
/// Memory is in MiB; "[N/A]" / "[Not Supported]" (as printed by GB10) become `None`.
pub fn parse_nvidia_smi_csv(text: &str) -> Result<Vec<GpuInfo>, ParseError> {
    let what = "nvidia-smi csv";
    let mut gpus = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if fields.len() < 3 {
            return Err(ParseError::Malformed {
                what,
                line: i + 1,
                message: format!("expected `name, total, free`, got `{line}`"),
            });
        }
        // The name is everything before the last two fields (a name never has commas today,
        // but stay safe).
        let n = fields.len();
        let name = fields[..n - 2].join(",");
        let total = parse_mib(fields[n - 2], what, i + 1)?;
        let free = parse_mib(fields[n - 1], what, i + 1)?;
        gpus.push(GpuInfo {
            vendor: GpuVendor::Nvidia,
            unified_memory: nvidia_is_unified(&name),
            name,
            total_memory_bytes: total,
            free_memory_bytes: free,
            gtt_total_bytes: None,
            pci_device_id: None,
            source: "nvidia-smi".to_string(),
            specs: None,
        });
    }
    if gpus.is_empty() {
        return Err(ParseError::Empty { what });
    }
    Ok(gpus)
}

fn parse_mib(field: &str, what: &'static str, line: usize) -> Result<Option<u64>, ParseError> {
    let f = field.trim();
    if f.starts_with('[') || f.eq_ignore_ascii_case("n/a") || f.is_empty() {
        return Ok(None);
    }
    let f = f.trim_end_matches("MiB").trim();
    f.parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .map(|v| Some((v * MIB_BYTES as f64).round() as u64))
        .ok_or_else(|| ParseError::Malformed {
            what,
            line,
            message: format!("memory `{field}` is not a number of MiB"),
        })
}

fn probe_nvml() -> Result<Vec<GpuInfo>, String> {
    let nvml = Nvml::init().map_err(|e| format!("NVML unavailable ({e})"))?;
    let count = nvml
        .device_count()
        .map_err(|e| format!("NVML device count failed ({e})"))?;
    let mut gpus = Vec::new();
    for i in 0..count {
        let dev = match nvml.device_by_index(i) {
            Ok(d) => d,
            Err(_) => continue,
        };
        let name = dev.name().unwrap_or_else(|_| format!("NVIDIA GPU {i}"));
        let mem = dev.memory_info().ok();
        gpus.push(GpuInfo {
            vendor: GpuVendor::Nvidia,
            unified_memory: nvidia_is_unified(&name),
            name,
            total_memory_bytes: mem.as_ref().map(|m| m.total).filter(|t| *t > 0),
            free_memory_bytes: mem.as_ref().map(|m| m.free),
            gtt_total_bytes: None,
            pci_device_id: dev
                .pci_info()
                .ok()
                .map(|p| format!("0x{:04x}", p.pci_device_id >> 16)),
            source: "nvml".to_string(),
            specs: Some(GpuSpecs {
                memory_bus_width_bits: dev.memory_bus_width().ok().filter(|w| *w > 0),
                max_memory_clock_mhz: dev.max_clock_info(Clock::Memory).ok().filter(|c| *c > 0),
                cores: dev.num_cores().ok().filter(|c| *c > 0),
                max_core_clock_mhz: dev.max_clock_info(Clock::Graphics).ok().filter(|c| *c > 0),
                compute_capability: dev.cuda_compute_capability().ok().and_then(|c| {
                    Some((u32::try_from(c.major).ok()?, u32::try_from(c.minor).ok()?))
                }),
            }),
        });
    }
    if gpus.is_empty() {
        return Err("NVML found no devices".to_string());
    }
    Ok(gpus)
}

/// Probe: NVML first, `nvidia-smi` if NVML is unavailable.
pub(crate) fn probe_nvidia(timeout: Duration) -> ProbeResult {
    let (gpus, via) = match probe_nvml() {
        Ok(g) => (g, "NVML"),
        Err(nvml_reason) => {
            let out = run_command("nvidia-smi", &NVIDIA_SMI_ARGS, timeout)
                .map_err(|e| format!("{nvml_reason}; {e}"))?;
            if !out.success() {
                return Err(format!(
                    "{nvml_reason}; nvidia-smi failed: {}",
                    first_line(&out.stderr, &out.stdout)
                ));
            }
            let g = parse_nvidia_smi_csv(&out.stdout).map_err(|e| format!("{nvml_reason}; {e}"))?;
            (g, "nvidia-smi")
        }
    };
    let detail = format!(
        "{} via {via}",
        gpus.iter()
            .map(|g| g.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    Ok((
        ProbeData {
            gpus,
            ..ProbeData::default()
        },
        detail,
    ))
}

fn first_line(a: &str, b: &str) -> String {
    a.lines()
        .chain(b.lines())
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("no output")
        .to_string()
}
