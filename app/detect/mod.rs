//! Hardware detection at the edge of headroom: finds the machine the user already owns.
//!
//! Every probe (sysinfo, NVIDIA, AMD sysfs, Apple sysctl / system_profiler, DMI) runs in its
//! own thread, bounded by a time limit, and fails to "unknown" with a reason instead of
//! panicking or hanging. Parsers of captured command output / sysfs trees are pure functions so
//! they can be tested with fixtures. [`detect_all`] gathers everything into a [`Detection`],
//! [`match_machine`] maps it onto the app's catalogue, [`measure_bandwidth`] measures memory
//! bandwidth and [`parse_llama_bench`] imports the user's own `llama-bench` results.

pub mod amd;
pub mod apple;
pub mod bandwidth;
pub mod llama_bench;
pub mod matching;
pub mod nvidia;
pub mod resolve;
pub mod run;
pub mod specs;
pub mod system;
pub mod this_machine;

use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

pub use amd::{parse_amd_sysfs, AmdCard};
pub use apple::{parse_sysctl, parse_system_profiler_displays, SysctlInfo};
pub use bandwidth::{measure_bandwidth, BandwidthError, BandwidthMeasurement, BandwidthOptions};
pub use llama_bench::{guess_quant, parse_llama_bench, BenchResult, ImportError};
pub use matching::{match_machine, GuessedMachine, MachineMatch, MachineRef};
pub use nvidia::parse_nvidia_smi_csv;
pub use resolve::{detect_and_resolve, resolve_machine, ResolvedMachine};

/// One byte count of a gibibyte; all `_gb` figures in this module are GiB ("GB" as vendors sell
/// memory).
pub const GIB_BYTES: u64 = 1 << 30;

/// What the CPU probe found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct CpuInfo {
    /// Marketing name, e.g. "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S" or "Apple M2 Ultra"; empty if
    /// unknown.
    pub brand: String,
    /// Physical core count, when the OS reports it.
    pub physical_cores: Option<u32>,
    /// Logical (hardware thread) count; 0 when unknown.
    pub logical_cores: u32,
    /// CPU architecture, e.g. "x86_64" or "arm64".
    pub arch: String,
}

/// What the OS probe found.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct OsInfo {
    /// OS name, e.g. "Ubuntu", "Darwin", "Windows"; empty if unknown.
    pub name: String,
    /// OS version, e.g. "24.04" or "15.1"; empty if unknown.
    pub version: String,
    /// Kernel version, when known.
    pub kernel: Option<String>,
}

/// Who made a GPU.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub enum GpuVendor {
    /// NVIDIA (PCI vendor 0x10de).
    Nvidia,
    /// AMD / ATI (PCI vendor 0x1002).
    Amd,
    /// Apple silicon integrated GPU.
    Apple,
    /// Intel (PCI vendor 0x8086).
    Intel,
    /// Anything else, with the vendor string as reported.
    Other(String),
}

/// One GPU as detected.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct GpuInfo {
    /// Vendor.
    pub vendor: GpuVendor,
    /// Name as reported (NVML / nvidia-smi name, sysfs product name or a name derived from the
    /// PCI device id, Apple chip name).
    pub name: String,
    /// Dedicated memory (VRAM, or the BIOS carve-out on an APU); `None` when the device does not
    /// report it (e.g. NVIDIA GB10 says "[N/A]", Apple has unified memory).
    pub total_memory_bytes: Option<u64>,
    /// Dedicated memory free right now, when known.
    pub free_memory_bytes: Option<u64>,
    /// GTT (system memory the GPU may map) on AMD Linux, when known.
    pub gtt_total_bytes: Option<u64>,
    /// True for GPUs that share system memory (Apple, AMD APUs, GB10).
    pub unified_memory: bool,
    /// PCI device id such as "0x744c", when known.
    pub pci_device_id: Option<String>,
    /// Which probe found it ("nvml", "nvidia-smi", "amd-sysfs", "system_profiler", "sysinfo").
    pub source: String,
    /// What the driver reports of the chip itself (NVML), when it does.
    #[serde(default)]
    pub specs: Option<GpuSpecs>,
}

/// Chip facts a driver reports (NVML on NVIDIA): enough to derive spec bandwidth and FP32
/// rate for a card the catalogue does not have.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq)]
pub struct GpuSpecs {
    /// Memory bus width, bits.
    pub memory_bus_width_bits: Option<u32>,
    /// Maximum memory clock as NVML reports it, MHz (half the data rate per pin).
    pub max_memory_clock_mhz: Option<u32>,
    /// CUDA cores.
    pub cores: Option<u32>,
    /// Maximum graphics (SM) clock, MHz.
    pub max_core_clock_mhz: Option<u32>,
    /// CUDA compute capability, e.g. (8, 9).
    pub compute_capability: Option<(u32, u32)>,
}

/// Apple-silicon facts from `sysctl` and `system_profiler`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct AppleInfo {
    /// Chip name, e.g. "Apple M2 Ultra".
    pub chip: String,
    /// GPU core count (`sppci_cores`), when known.
    pub gpu_cores: Option<u32>,
    /// `hw.memsize`, when known.
    pub memsize_bytes: Option<u64>,
    /// `iogpu.wired_limit_mb`: `Some(0)` means the macOS default, `None` means not readable.
    pub wired_limit_mb: Option<u64>,
    /// `hw.model`, e.g. "Mac14,14" or "MacBookPro18,2", when known.
    pub hw_model: Option<String>,
}

/// A configured limit on how much memory an accelerator may use.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum AcceleratorLimit {
    /// macOS GPU wired-memory limit (`iogpu.wired_limit_mb`).
    MacWiredLimit {
        /// Value set by the user, or `None` when it is 0 / unset (the macOS default applies).
        configured_mb: Option<u64>,
        /// Memory the GPU may wire: the configured value, or an estimate of the default.
        effective_bytes: u64,
        /// True when `effective_bytes` is an estimate of the macOS default.
        is_default_estimate: bool,
        /// Human-readable explanation.
        note: String,
    },
    /// AMD APU (e.g. Strix Halo): small BIOS VRAM carve-out plus a large GTT window.
    AmdApuMemory {
        /// GPU name.
        gpu: String,
        /// BIOS carve-out reported as VRAM.
        vram_carveout_bytes: u64,
        /// GTT size: system memory the GPU may map (`ttm.pages_limit` / `amdgpu.gttsize`).
        gtt_bytes: u64,
        /// Human-readable explanation.
        note: String,
    },
    /// Dedicated GPU memory free at detection time.
    VramFreeNow {
        /// GPU name.
        gpu: String,
        /// Index among the detected GPUs.
        gpu_index: usize,
        /// Free bytes now.
        free_bytes: u64,
        /// Total bytes.
        total_bytes: u64,
    },
}

/// How a probe ended.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub enum ProbeOutcome {
    /// The probe found what it looks for.
    Found,
    /// The probe found nothing usable; `reason` says why (not present, timed out, failed).
    Unknown {
        /// Why nothing was found.
        reason: String,
    },
}

/// Record of one probe run.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ProbeReport {
    /// Probe name, e.g. "sysinfo", "nvidia", "amd-sysfs", "apple-sysctl".
    pub name: String,
    /// Outcome.
    pub outcome: ProbeOutcome,
    /// Short summary of what was found (empty when nothing).
    pub detail: String,
    /// Wall time the probe took (or the time limit, if it timed out).
    pub elapsed_ms: u64,
}

/// Everything detected about this machine.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Default)]
pub struct Detection {
    /// CPU.
    pub cpu: CpuInfo,
    /// Total RAM as the OS sees it (excludes a BIOS GPU carve-out); 0 when unknown.
    pub total_ram_bytes: u64,
    /// OS.
    pub os: OsInfo,
    /// System vendor (DMI `sys_vendor` / sysinfo product vendor), e.g. "ASUSTeK COMPUTER INC.".
    pub system_vendor: Option<String>,
    /// System product name, e.g. "ROG Flow Z13 GZ302EA" or "Desktop (AMD Ryzen AI Max 300 Series)".
    pub system_product: Option<String>,
    /// GPUs.
    pub gpus: Vec<GpuInfo>,
    /// Apple silicon facts, on a Mac.
    pub apple: Option<AppleInfo>,
    /// Configured accelerator memory limits.
    pub accelerator_limits: Vec<AcceleratorLimit>,
    /// One report per probe.
    pub probes: Vec<ProbeReport>,
    /// Human-readable notes, e.g. "no GPU found: CPU-only".
    pub notes: Vec<String>,
}

impl Detection {
    /// True when no GPU of any kind was found.
    pub fn is_cpu_only(&self) -> bool {
        self.gpus.is_empty()
    }
}

/// Result of one probe before it is folded into a [`Detection`].
#[derive(Debug, Clone, Default)]
pub(crate) struct ProbeData {
    pub cpu: Option<CpuInfo>,
    pub total_ram_bytes: Option<u64>,
    pub os: Option<OsInfo>,
    pub system_vendor: Option<String>,
    pub system_product: Option<String>,
    pub gpus: Vec<GpuInfo>,
    pub apple: Option<AppleInfo>,
    pub limits: Vec<AcceleratorLimit>,
    pub notes: Vec<String>,
}

/// A probe's result: data plus a one-line summary, or a reason it found nothing.
pub(crate) type ProbeResult = Result<(ProbeData, String), String>;

type ProbeFn = fn(Duration) -> ProbeResult;

/// Runs all probes concurrently, each bounded by `timeout`, and merges what they found.
///
/// Never panics or blocks much longer than `timeout`: a probe that overruns is reported as
/// unknown ("timed out") and its thread is left to finish on its own; external commands it
/// started are killed at the same limit.
pub fn detect_all(timeout: Duration) -> Detection {
    let probes: [(&str, ProbeFn); 6] = [
        ("sysinfo", system::probe_sysinfo),
        ("dmi", system::probe_dmi),
        ("nvidia", nvidia::probe_nvidia),
        ("amd-sysfs", amd::probe_amd_sysfs),
        ("apple", apple::probe_apple),
        ("sysinfo-gpu", system::probe_sysinfo_gpus),
    ];
    let start = Instant::now();
    let deadline = start + timeout;
    let mut receivers = Vec::new();
    for (name, probe) in probes {
        let (tx, rx) = mpsc::channel();
        let spawned = thread::Builder::new()
            .name(format!("detect-{name}"))
            .spawn(move || {
                let t0 = Instant::now();
                let result = probe(timeout);
                // The receiver may have given up (timeout): ignore the send error.
                let _ = tx.send((result, t0.elapsed()));
            });
        receivers.push((name, spawned.map(|_| rx)));
    }

    let mut det = Detection::default();
    let mut sysinfo_gpus = Vec::new();
    for (name, rx) in receivers {
        let (result, elapsed) = match rx {
            Err(e) => (
                Err(format!("could not start probe thread: {e}")),
                Duration::ZERO,
            ),
            Ok(rx) => {
                let left = deadline.saturating_duration_since(Instant::now());
                match rx.recv_timeout(left) {
                    Ok(v) => v,
                    Err(mpsc::RecvTimeoutError::Timeout) => (
                        Err(format!("timed out after {} ms", timeout.as_millis())),
                        timeout,
                    ),
                    Err(mpsc::RecvTimeoutError::Disconnected) => (
                        Err("probe thread ended without a result (panicked)".to_string()),
                        start.elapsed(),
                    ),
                }
            }
        };
        let elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX);
        match result {
            Ok((data, detail)) => {
                if name == "sysinfo-gpu" {
                    sysinfo_gpus = data.gpus.clone();
                    merge(
                        &mut det,
                        ProbeData {
                            gpus: Vec::new(),
                            ..data
                        },
                    );
                } else {
                    merge(&mut det, data);
                }
                det.probes.push(ProbeReport {
                    name: name.to_string(),
                    outcome: ProbeOutcome::Found,
                    detail,
                    elapsed_ms,
                });
            }
            Err(reason) => det.probes.push(ProbeReport {
                name: name.to_string(),
                outcome: ProbeOutcome::Unknown { reason },
                detail: String::new(),
                elapsed_ms,
            }),
        }
    }
    // sysinfo's GPU list is only a fallback for vendors no dedicated probe covered (e.g. AMD or
    // Intel on Windows); the dedicated probes know more (free memory, GTT, core counts).
    for g in sysinfo_gpus {
        if !det.gpus.iter().any(|d| d.vendor == g.vendor) {
            det.gpus.push(g);
        }
    }
    finish(&mut det);
    det
}

fn merge(det: &mut Detection, data: ProbeData) {
    if let Some(cpu) = data.cpu {
        det.cpu = cpu;
    }
    if let Some(ram) = data.total_ram_bytes {
        det.total_ram_bytes = ram;
    }
    if let Some(os) = data.os {
        det.os = os;
    }
    if data.system_vendor.is_some() {
        det.system_vendor = data.system_vendor;
    }
    if data.system_product.is_some() {
        det.system_product = data.system_product;
    }
    det.gpus.extend(data.gpus);
    if data.apple.is_some() {
        det.apple = data.apple;
    }
    det.accelerator_limits.extend(data.limits);
    det.notes.extend(data.notes);
}

/// Fills in derived facts once every probe has reported.
fn finish(det: &mut Detection) {
    if det.cpu.brand.is_empty() {
        if let Some(apple) = &det.apple {
            det.cpu.brand = apple.chip.clone();
        }
    }
    if det.total_ram_bytes == 0 {
        if let Some(mem) = det.apple.as_ref().and_then(|a| a.memsize_bytes) {
            det.total_ram_bytes = mem;
        }
    }
    if let Some(apple) = &det.apple {
        if let Some(limit) = apple::wired_limit(apple, det.total_ram_bytes) {
            det.accelerator_limits.push(limit);
        }
    }
    for (i, g) in det.gpus.iter().enumerate() {
        if let (Some(total), Some(free)) = (g.total_memory_bytes, g.free_memory_bytes) {
            if !g.unified_memory {
                det.accelerator_limits.push(AcceleratorLimit::VramFreeNow {
                    gpu: g.name.clone(),
                    gpu_index: i,
                    free_bytes: free,
                    total_bytes: total,
                });
            }
        }
    }
    if det.gpus.is_empty() {
        let reasons: Vec<String> = det
            .probes
            .iter()
            .filter(|p| p.name != "sysinfo" && p.name != "dmi")
            .filter_map(|p| match &p.outcome {
                ProbeOutcome::Unknown { reason } => Some(format!("{}: {}", p.name, reason)),
                ProbeOutcome::Found => None,
            })
            .collect();
        det.notes.push(format!(
            "No GPU found: treating this machine as CPU-only (models run from system RAM). \
             Probes: {}",
            reasons.join("; ")
        ));
    }
}

/// Error from a pure parser of captured probe output.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The text held nothing to parse.
    #[error("{what}: no data")]
    Empty {
        /// What was being parsed.
        what: &'static str,
    },
    /// A line or value did not have the expected shape.
    #[error("{what}: line {line}: {message}")]
    Malformed {
        /// What was being parsed.
        what: &'static str,
        /// 1-based line number (0 when not line-based).
        line: usize,
        /// What was wrong.
        message: String,
    },
}

/// The catalogue's machines as [`match_machine`] knows them.
pub fn machine_refs(catalog: &crate::engine::types::Catalog) -> Vec<MachineRef> {
    catalog
        .machines
        .iter()
        .map(|m| MachineRef {
            id: m.id.clone(),
            name: m.name.clone(),
            vendor: m.vendor.clone(),
            memory_options_gb: m.memory_options.iter().map(|o| o.per_device_gb).collect(),
            device_count: m.device_count,
        })
        .collect()
}
