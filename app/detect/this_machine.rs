//! A catalogue entry for a machine the catalogue does not have, built from what detection
//! found. Every number that was not detected says "estimate:" and how it was guessed, so the
//! window and reports can mark it.

use super::matching::GuessedMachine;
use super::Detection;
use crate::engine::types::{
    AcceleratorMemory, FormFactor, Machine, MemoryKind, MemoryOption, Origin, Os, Runtime, Sourced,
};

/// The id the entry gets in the catalogue.
pub const THIS_MACHINE_ID: &str = "this-machine";

/// FP32 FLOPs per core per cycle with AVX2 FMA (two 8-wide fused multiply-adds).
const FLOPS_PER_CORE_CYCLE: f64 = 32.0;
/// A typical sustained clock, for the compute guess.
const ASSUMED_CLOCK_GHZ: f64 = 3.0;
/// Bandwidth guessed for a desktop's DRAM when nothing was measured: dual-channel DDR5.
const ASSUMED_DRAM_GB_PER_S: f64 = 60.0;

fn estimate(value: f64, how: &str) -> Sourced {
    Sourced {
        value,
        source: format!("estimate: {how}"),
    }
}

/// Builds the entry. `measured_bandwidth_gb_per_s` is the bandwidth probe's figure, if run.
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
    let bandwidth = match (measured_bandwidth_gb_per_s, guess.bandwidth_gb_per_s) {
        (Some(m), _) => Sourced {
            value: m,
            source: "measured: headroom's memory bandwidth probe on this machine".to_owned(),
        },
        (None, Some(b)) => estimate(b, "from the detected hardware"),
        (None, None) => estimate(
            ASSUMED_DRAM_GB_PER_S,
            "a dual-channel DDR5 desktop; run \"Measure memory bandwidth\" for the real figure",
        ),
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
        accelerator_memory: AcceleratorMemory {
            default_share: estimate(0.75, "a quarter of RAM left to the OS and other programs"),
            tuned_reserve_gb: None,
            setting: None,
        },
        interconnect: None,
        power_watts: estimate(65.0, "a desktop CPU under load"),
        idle_watts: Some(estimate(15.0, "a desktop at idle")),
        released: String::new(),
        sources: Vec::new(),
        notes,
        claims: Vec::new(),
        origin: Origin::User("detected on this machine".to_owned()),
    }
}
