//! A catalogue entry for a machine the catalogue does not have, built from what detection
//! found. Every number that was not detected says "estimate:" and how it was guessed, so the
//! window and reports can mark it.

use super::matching::GuessedMachine;
pub use super::specs::{slowest_card_bandwidth, spec_bandwidth_gb_per_s};
use super::{Detection, GpuInfo, GpuSpecs, GpuVendor, GIB_BYTES};
use crate::engine::types::{
    AcceleratorMemory, FormFactor, Interconnect, Machine, MemoryKind, MemoryOption, Origin, Os,
    PriceCondition, Runtime, Sourced,
};

/// The id the entry gets in the catalogue.
pub const THIS_MACHINE_ID: &str = "this-machine";

/// FP32 FLOPs per core per cycle with AVX2 FMA (two 8-wide fused multiply-adds).
const FLOPS_PER_CORE_CYCLE: f64 = 32.0;
/// A typical sustained clock, for the compute guess.
const ASSUMED_CLOCK_GHZ: f64 = 3.0;
/// Bandwidth guessed for a desktop's DRAM when nothing was measured: dual-channel DDR5.
const ASSUMED_DRAM_GB_PER_S: f64 = 60.0;
/// Bandwidth guessed for a discrete card whose driver reports no memory bus: 256-bit GDDR6
/// at 14 GT/s.
const ASSUMED_GPU_GB_PER_S: f64 = 448.0;
/// FP16 tensor TFLOPS per GB/s of bandwidth, for an NVIDIA card whose cores are not
/// reported: the RTX 4090's 165 over 1,008.
const NVIDIA_TFLOPS_PER_GB_PER_S: f64 = 165.0 / 1008.0;
/// The same for an AMD card: the RX 7900 XTX's 122.8 over 960.
const AMD_TFLOPS_PER_GB_PER_S: f64 = 122.8 / 960.0;

fn estimate(value: f64, how: &str) -> Sourced {
    Sourced {
        value,
        source: format!("estimate: {how}"),
    }
}

/// FP32 rate of the CUDA cores, TFLOPS: cores x 2 FLOP per fused multiply-add x max clock.
pub fn fp32_tflops(specs: &GpuSpecs) -> Option<f64> {
    Some(f64::from(specs.cores?) * 2.0 * f64::from(specs.max_core_clock_mhz?) / 1e6)
}

/// Dense tensor-core rates per FP32 rate by architecture: (FP16 with FP32 accumulation,
/// FP16 with FP16 accumulation, INT8), and where the ratios come from.
fn tensor_ratios(compute_capability: Option<(u32, u32)>) -> (f64, f64, f64, &'static str) {
    match compute_capability {
        // Datacenter parts (A100, H100, B200) run FP16 at 16x and INT8 at 32x their FP32 rate.
        Some((8, 0) | (9, _) | (10, _)) => (
            16.0,
            16.0,
            32.0,
            "the A100's published 312 TFLOPS FP16 and 624 TOPS INT8 over its 19.5 TFLOPS FP32",
        ),
        // Turing GeForce: 2080 Ti 13.4 TFLOPS FP32, 53.8 / 107.6 FP16, 215 TOPS INT8.
        Some((7, _)) => (
            4.0,
            8.0,
            16.0,
            "the RTX 2080 Ti's published 53.8 / 107.6 TFLOPS FP16 and 215 TOPS INT8 over its 13.4 TFLOPS FP32",
        ),
        // GeForce Ampere, Ada and Blackwell (and anything unknown): FP32 doubled per core.
        _ => (
            2.0,
            4.0,
            8.0,
            "the RTX 3090, 4090 and 5090 (catalogue): FP16 tensor at 2x FP32 with FP32 accumulation, 4x with FP16, INT8 at 8x",
        ),
    }
}

/// The discrete NVIDIA or AMD GPUs the entry is built around: those of the most common name
/// (the engine models identical devices), each with its own memory.
fn discrete_cards(det: &Detection) -> Vec<&GpuInfo> {
    let cards: Vec<&GpuInfo> = det
        .gpus
        .iter()
        .filter(|g| matches!(g.vendor, GpuVendor::Nvidia | GpuVendor::Amd) && !g.unified_memory)
        .filter(|g| g.total_memory_bytes.is_some_and(|b| b > 0))
        .collect();
    let Some(name) = cards
        .iter()
        .max_by_key(|g| cards.iter().filter(|h| h.name == g.name).count())
        .map(|g| g.name.clone())
    else {
        return Vec::new();
    };
    cards.into_iter().filter(|g| g.name == name).collect()
}

/// Builds the entry. `measured_bandwidth_gb_per_s` is the bandwidth probe's figure, if run
/// (it measures system RAM from the CPU).
pub fn this_machine(
    det: &Detection,
    guess: &GuessedMachine,
    measured_bandwidth_gb_per_s: Option<f64>,
) -> Machine {
    let os_name = det.os.name.to_lowercase();
    let os = if os_name.contains("mac") || os_name.contains("darwin") {
        Os::MacOs
    } else if os_name.contains("windows") {
        Os::Windows
    } else {
        Os::Linux
    };
    // The probe reads system RAM from the CPU.
    let ram_bandwidth = match measured_bandwidth_gb_per_s {
        Some(m) => Sourced {
            value: m,
            source: "measured: headroom's memory bandwidth probe on this machine".to_owned(),
        },
        None => estimate(
            ASSUMED_DRAM_GB_PER_S,
            "a dual-channel DDR5 desktop; run \"Measure memory bandwidth\" for the real figure",
        ),
    };
    let bandwidth = match (measured_bandwidth_gb_per_s, guess.bandwidth_gb_per_s) {
        (None, Some(b)) => estimate(b, "from the detected hardware"),
        _ => ram_bandwidth.clone(),
    };
    let cores = f64::from(det.cpu.logical_cores.max(1));
    let tflops = cores * ASSUMED_CLOCK_GHZ * FLOPS_PER_CORE_CYCLE / 1000.0;
    let vendor = det
        .system_vendor
        .clone()
        .or_else(|| det.cpu.brand.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default();
    let mut notes = format!(
        "Built from detection, not from the catalogue. {}",
        guess.why
    );
    if !guess.guessed_fields.is_empty() {
        notes += &format!(" Guessed: {}.", guess.guessed_fields.join(", "));
    }
    let cards = discrete_cards(det);
    if !cards.is_empty() {
        return discrete_gpu_machine(det, guess, &cards, os, vendor, notes, ram_bandwidth);
    }
    Machine {
        id: THIS_MACHINE_ID.to_owned(),
        name: guess.name.clone(),
        vendor,
        form_factor: FormFactor::Desktop,
        os: vec![os],
        runtimes: vec![Runtime::Cpu],
        default_runtime: Runtime::Cpu,
        memory_kind: MemoryKind::Unified,
        device_count: 1,
        memory_options: vec![MemoryOption {
            per_device_gb: guess.memory_gb.max(1.0),
            price_usd: None,
            price_date: String::new(),
            condition: PriceCondition::New,
            source: "measured: detected on this machine".to_owned(),
        }],
        system_ram_gb: None,
        bandwidth_gb_per_s: bandwidth,
        system_ram_bandwidth_gb_per_s: None,
        fp16_tflops: estimate(
            tflops,
            &format!("{cores:.0} threads x {ASSUMED_CLOCK_GHZ} GHz x {FLOPS_PER_CORE_CYCLE} FLOP/cycle (AVX2 FMA)"),
        ),
        fp16_acc16_tflops: None,
        int8_tops: None,
        fp8_tflops: None,
        fp4_tflops: None,
        matmul_achieved_share: None,
        cpu_cores: det.cpu.logical_cores,
        cpu_tflops: None,
        accelerator_memory: AcceleratorMemory {
            default_share: estimate(0.75, "a quarter of RAM left to the OS and other programs"),
            tuned_reserve_gb: None,
            setting: None,
        },
        interconnect: None,
        power_watts: estimate(65.0, "a desktop CPU under load"),
        idle_watts: Some(estimate(15.0, "a desktop at idle")),
        released: String::new(),
        gpu_arch: None,
        sources: Vec::new(),
        notes,
        claims: Vec::new(),
        origin: Origin::User("detected on this machine".to_owned()),
        sold_alone: true,
        discontinued: None,
    }
}

/// The entry for a machine whose discrete GPUs the catalogue does not have: CUDA (NVIDIA) or
/// Vulkan (AMD) on the cards' own memory, bandwidth and matrix rates from what NVML reports
/// (each marked as detected or estimated), system RAM for offload.
fn discrete_gpu_machine(
    det: &Detection,
    guess: &GuessedMachine,
    cards: &[&GpuInfo],
    os: Os,
    vendor: String,
    notes: String,
    ram_bandwidth: Sourced,
) -> Machine {
    let per_device_gb = cards
        .iter()
        .filter_map(|g| g.total_memory_bytes)
        .min()
        .map_or(guess.memory_gb, |b| {
            (b as f64 / GIB_BYTES as f64 * 10.0).round() / 10.0
        });
    let specs = cards.iter().find_map(|g| g.specs);
    let name = &cards[0].name;
    let bandwidth = match slowest_card_bandwidth(cards.iter().copied()) {
        Some((s, b)) => Sourced {
            value: b,
            source: format!(
                "detected: NVML reports a {}-bit bus at {} MHz; {} / 8 x {} MHz x 2 = {b:.0} GB/s",
                s.memory_bus_width_bits.unwrap_or_default(),
                s.max_memory_clock_mhz.unwrap_or_default(),
                s.memory_bus_width_bits.unwrap_or_default(),
                s.max_memory_clock_mhz.unwrap_or_default(),
            ),
        },
        None => estimate(
            ASSUMED_GPU_GB_PER_S,
            "the driver did not report the memory bus; a mid-range GDDR6 card (256-bit at 14 GT/s). Add the card to a catalogue file for real figures",
        ),
    };
    let (ratio16, ratio16_acc16, ratio8, why) =
        tensor_ratios(specs.and_then(|s| s.compute_capability));
    let fp32 = specs.as_ref().and_then(fp32_tflops);
    let rate = |ratio: f64, what: &str| {
        fp32.map(|f| {
            estimate(
                f * ratio,
                &format!(
                    "{what}: {ratio}x the {f:.1} TFLOPS FP32 that NVML's core count and clock give, as for {why}"
                ),
            )
        })
    };
    let nvidia = cards[0].vendor == GpuVendor::Nvidia;
    let fp16 = rate(ratio16, "FP16 tensor, FP32 accumulate").unwrap_or_else(|| {
        if nvidia {
            estimate(
                bandwidth.value * NVIDIA_TFLOPS_PER_GB_PER_S,
                "the driver did not report the cores; the RTX 4090's ratio of FP16 tensor rate to bandwidth (165 TFLOPS / 1,008 GB/s)",
            )
        } else {
            estimate(
                bandwidth.value * AMD_TFLOPS_PER_GB_PER_S,
                "the driver reports no cores; the RX 7900 XTX's ratio of FP16 rate to bandwidth (122.8 TFLOPS / 960 GB/s)",
            )
        }
    });
    let (runtimes, runtime_name) = if nvidia {
        (vec![Runtime::Cuda, Runtime::Vulkan, Runtime::Cpu], "CUDA")
    } else {
        (vec![Runtime::Vulkan, Runtime::Rocm, Runtime::Cpu], "Vulkan")
    };
    let count = u32::try_from(cards.len()).unwrap_or(1).max(1);
    let interconnect = (count > 1).then(|| Interconnect {
        kind: "PCIe, through the host".to_owned(),
        bandwidth_gb_per_s: estimate(
            32.0,
            "PCIe 4.0 x16 = 16 GT/s x 16 lanes ~ 31.5 GB/s per direction",
        ),
        latency_us: estimate(
            10.0,
            "GPU-to-GPU transfer via host PCIe including driver and runtime overhead",
        ),
    });
    Machine {
        id: THIS_MACHINE_ID.to_owned(),
        name: guess.name.clone(),
        vendor,
        form_factor: FormFactor::Desktop,
        os: vec![os],
        default_runtime: runtimes[0],
        runtimes,
        memory_kind: MemoryKind::Discrete,
        device_count: count,
        memory_options: vec![MemoryOption {
            per_device_gb,
            price_usd: None,
            price_date: String::new(),
            condition: PriceCondition::New,
            source: format!("measured: {name} reports its memory"),
        }],
        system_ram_gb: Some((det.total_ram_bytes as f64 / GIB_BYTES as f64).round())
            .filter(|gb| *gb > 0.0),
        bandwidth_gb_per_s: bandwidth,
        system_ram_bandwidth_gb_per_s: Some(ram_bandwidth),
        fp16_tflops: fp16,
        fp16_acc16_tflops: rate(ratio16_acc16, "FP16 tensor, FP16 accumulate"),
        int8_tops: rate(ratio8, "INT8 tensor"),
        fp8_tflops: None,
        fp4_tflops: None,
        matmul_achieved_share: None,
        cpu_cores: det.cpu.logical_cores,
        cpu_tflops: None,
        accelerator_memory: AcceleratorMemory {
            default_share: estimate(1.0, "discrete VRAM is fully addressable; the runtime's context is counted as its overhead"),
            tuned_reserve_gb: None,
            setting: None,
        },
        interconnect,
        power_watts: estimate(
            150.0 + 300.0 * f64::from(count),
            "a desktop with 300 W per GPU under load",
        ),
        idle_watts: Some(estimate(40.0 + 20.0 * f64::from(count), "a desktop with discrete GPUs at idle")),
        released: String::new(),
        gpu_arch: None,
        sources: Vec::new(),
        notes: format!(
            "{notes} Built around {count} x {name} on {runtime_name}; speeds follow from the memory bandwidth and matrix rates above."
        ),
        claims: Vec::new(),
        origin: Origin::User("detected on this machine".to_owned()),
        sold_alone: true,
        discontinued: None,
    }
}
