//! Matching tests for every catalogue machine family.

mod common;

use headroom::detect::amd::{amd_cards_to_gpus, parse_amd_sysfs};
use headroom::detect::apple::apple_from_parsed;
use headroom::detect::this_machine::this_machine;
use headroom::detect::{
    match_machine, parse_nvidia_smi_csv, parse_sysctl, parse_system_profiler_displays, AppleInfo,
    CpuInfo, Detection, GpuInfo, GpuVendor, MachineMatch, MachineRef, GIB_BYTES,
};
use headroom::engine::types::{is_estimate, MemoryKind, Runtime};

fn m(id: &str, name: &str, vendor: &str, mem: &[f64], n: u32) -> MachineRef {
    MachineRef {
        id: id.into(),
        name: name.into(),
        vendor: vendor.into(),
        memory_options_gb: mem.to_vec(),
        device_count: n,
    }
}

fn catalog() -> Vec<MachineRef> {
    vec![
        m(
            "mac-studio-m2-ultra-60c",
            "Mac Studio M2 Ultra 60-core GPU",
            "Apple",
            &[64.0, 128.0, 192.0],
            1,
        ),
        m(
            "mac-studio-m2-ultra-76c",
            "Mac Studio M2 Ultra 76-core GPU",
            "Apple",
            &[64.0, 128.0, 192.0],
            1,
        ),
        m(
            "mac-studio-m3-ultra-60c",
            "Mac Studio M3 Ultra 60-core GPU",
            "Apple",
            &[96.0, 256.0, 512.0],
            1,
        ),
        m(
            "mac-studio-m3-ultra-80c",
            "Mac Studio M3 Ultra 80-core GPU",
            "Apple",
            &[96.0, 256.0, 512.0],
            1,
        ),
        m(
            "mac-studio-m1-ultra-64c",
            "Mac Studio M1 Ultra 64-core GPU",
            "Apple",
            &[64.0, 128.0],
            1,
        ),
        m(
            "macbook-pro-m1-max-32c",
            "MacBook Pro M1 Max 32-core GPU",
            "Apple",
            &[32.0, 64.0],
            1,
        ),
        m(
            "macbook-pro-m3-max-40c",
            "MacBook Pro M3 Max 40-core GPU",
            "Apple",
            &[48.0, 64.0, 128.0],
            1,
        ),
        m(
            "mac-studio-m4-max-40c",
            "Mac Studio M4 Max 40-core GPU",
            "Apple",
            &[48.0, 64.0, 128.0],
            1,
        ),
        m(
            "mac-mini-m4-pro-20c",
            "Mac mini M4 Pro 20-core GPU",
            "Apple",
            &[24.0, 48.0, 64.0],
            1,
        ),
        m("dgx-spark", "NVIDIA DGX Spark", "NVIDIA", &[128.0], 1),
        m(
            "dgx-spark-x2",
            "2 x NVIDIA DGX Spark",
            "NVIDIA",
            &[256.0],
            2,
        ),
        m(
            "framework-desktop-ryzen-ai-max-395",
            "Framework Desktop (Ryzen AI Max+ 395)",
            "Framework",
            &[64.0, 128.0],
            1,
        ),
        m(
            "rog-flow-z13-ryzen-ai-max-395",
            "ASUS ROG Flow Z13 (Ryzen AI Max+ 395)",
            "ASUS",
            &[64.0, 128.0],
            1,
        ),
        m(
            "threadripper-2x-rx-7900-xtx",
            "Threadripper + 2 x RX 7900 XTX",
            "AMD",
            &[48.0],
            2,
        ),
        m("pc-rx-7900-xtx", "PC with RX 7900 XTX", "AMD", &[24.0], 1),
        m("pc-rtx-3090", "PC with RTX 3090", "NVIDIA", &[24.0], 1),
        m("pc-rtx-4090", "PC with RTX 4090", "NVIDIA", &[24.0], 1),
        m("pc-rtx-5090", "PC with RTX 5090", "NVIDIA", &[32.0], 1),
        m(
            "server-a100-pcie-80gb",
            "A100 PCIe 80GB",
            "NVIDIA",
            &[80.0],
            1,
        ),
        m(
            "server-a100-sxm4-80gb",
            "A100 SXM4 80GB",
            "NVIDIA",
            &[80.0],
            1,
        ),
        m(
            "server-h100-pcie-80gb",
            "H100 PCIe 80GB",
            "NVIDIA",
            &[80.0],
            1,
        ),
        m(
            "server-h100-sxm-80gb",
            "H100 SXM 80GB",
            "NVIDIA",
            &[80.0],
            1,
        ),
        m("server-mi300x", "AMD Instinct MI300X", "AMD", &[192.0], 1),
    ]
}

fn fixture(p: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/fixtures/{p}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

fn base(cpu: &str, ram_gib: u64) -> Detection {
    Detection {
        cpu: CpuInfo {
            brand: cpu.into(),
            physical_cores: Some(16),
            logical_cores: 32,
            arch: "x86_64".into(),
        },
        total_ram_bytes: ram_gib * GIB_BYTES,
        ..Detection::default()
    }
}

fn mac(chip: &str, cores: Option<u32>, mem_gib: u64, hw_model: Option<&str>) -> Detection {
    let mut d = base(chip, mem_gib);
    d.apple = Some(AppleInfo {
        chip: chip.into(),
        gpu_cores: cores,
        memsize_bytes: Some(mem_gib * GIB_BYTES),
        wired_limit_mb: Some(0),
        hw_model: hw_model.map(str::to_string),
    });
    d
}

fn nvidia(csv: &str, ram_gib: u64) -> Detection {
    let mut d = base("AMD Ryzen 9 7950X 16-Core Processor", ram_gib);
    d.gpus = parse_nvidia_smi_csv(csv).unwrap();
    d
}

fn amd(tree: &str, cpu: &str, ram_gib: u64) -> Detection {
    let mut d = base(cpu, ram_gib);
    let cards = parse_amd_sysfs(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/sysfs")
            .join(tree),
    );
    let (gpus, limits) = amd_cards_to_gpus(&cards);
    d.gpus = gpus;
    d.accelerator_limits = limits;
    d
}

#[track_caller]
fn exact(mm: &MachineMatch, want_id: &str, want_mem: f64) {
    match mm {
        MachineMatch::Exact { id, memory_gb, why } => {
            assert_eq!(id, want_id, "{why}");
            assert_eq!(*memory_gb, want_mem, "{why}");
            assert!(!why.is_empty());
        }
        other => panic!("expected exact {want_id}, got {other:?}"),
    }
}

#[track_caller]
fn family(mm: &MachineMatch, want_id: &str, diff_contains: &str) {
    match mm {
        MachineMatch::Family {
            id, differences, ..
        } => {
            assert_eq!(id, want_id, "{differences:?}");
            assert!(
                differences.iter().any(|d| d.contains(diff_contains)),
                "{differences:?} lacks {diff_contains}"
            );
        }
        other => panic!("expected family {want_id}, got {other:?}"),
    }
}

// ---------------------------------------------------------------- Apple

#[test]
fn m2_ultra_from_captured_fixtures() {
    let s = parse_sysctl(&fixture("apple/sysctl_m2_ultra_64gb.txt")).unwrap();
    let disp = parse_system_profiler_displays(&fixture("apple/system_profiler_m2_ultra_60c.json"))
        .unwrap();
    let (apple, gpus) = apple_from_parsed(&s, &disp);
    let d = Detection {
        cpu: CpuInfo {
            brand: "Apple M2 Ultra".into(),
            ..CpuInfo::default()
        },
        total_ram_bytes: 64 * GIB_BYTES,
        apple: Some(apple),
        gpus,
        ..Detection::default()
    };
    exact(
        &match_machine(&d, &catalog()),
        "mac-studio-m2-ultra-60c",
        64.0,
    );
}

#[test]
fn apple_chip_and_cores_pick_the_id() {
    let c = catalog();
    exact(
        &match_machine(&mac("Apple M2 Ultra", Some(76), 192, None), &c),
        "mac-studio-m2-ultra-76c",
        192.0,
    );
    exact(
        &match_machine(&mac("Apple M3 Ultra", Some(60), 96, None), &c),
        "mac-studio-m3-ultra-60c",
        96.0,
    );
    exact(
        &match_machine(&mac("Apple M3 Ultra", Some(80), 512, None), &c),
        "mac-studio-m3-ultra-80c",
        512.0,
    );
    exact(
        &match_machine(&mac("Apple M1 Ultra", Some(64), 128, None), &c),
        "mac-studio-m1-ultra-64c",
        128.0,
    );
    exact(
        &match_machine(
            &mac("Apple M1 Max", Some(32), 64, Some("MacBookPro18,2")),
            &c,
        ),
        "macbook-pro-m1-max-32c",
        64.0,
    );
    exact(
        &match_machine(&mac("Apple M3 Max", Some(40), 128, None), &c),
        "macbook-pro-m3-max-40c",
        128.0,
    );
    exact(
        &match_machine(&mac("Apple M4 Max", Some(40), 64, None), &c),
        "mac-studio-m4-max-40c",
        64.0,
    );
    exact(
        &match_machine(&mac("Apple M4 Pro", Some(20), 48, Some("Mac16,11")), &c),
        "mac-mini-m4-pro-20c",
        48.0,
    );
}

#[test]
fn apple_other_core_count_is_family() {
    let c = catalog();
    let mm = match_machine(
        &mac("Apple M1 Max", Some(24), 32, Some("MacBookPro18,2")),
        &c,
    );
    family(&mm, "macbook-pro-m1-max-32c", "24");
    let mm = match_machine(&mac("Apple M4 Max", Some(32), 36, None), &c);
    family(&mm, "mac-studio-m4-max-40c", "GPU cores");
    // M2 Ultra with unknown cores: family, says so.
    family(
        &match_machine(&mac("Apple M2 Ultra", None, 64, None), &c),
        "mac-studio-m2-ultra-60c",
        "could not be read",
    );
}

#[test]
fn apple_memory_not_offered_is_family() {
    let mm = match_machine(&mac("Apple M2 Ultra", Some(60), 96, None), &catalog());
    family(&mm, "mac-studio-m2-ultra-60c", "not a catalogue option");
}

#[test]
fn apple_chip_not_in_catalogue_is_unknown_guess() {
    match match_machine(&mac("Apple M2 Pro", Some(19), 32, None), &catalog()) {
        MachineMatch::Unknown { guessed } => {
            assert!(guessed.name.contains("M2 Pro"), "{}", guessed.name);
            assert_eq!(guessed.memory_gb, 32.0);
            assert_eq!(guessed.bandwidth_gb_per_s, None);
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------- NVIDIA

#[test]
fn nvidia_consumer_cards() {
    let c = catalog();
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_rtx4090.csv"), 64), &c),
        "pc-rtx-4090",
        24.0,
    );
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_rtx5090.csv"), 64), &c),
        "pc-rtx-5090",
        32.0,
    );
    let one_3090 = "NVIDIA GeForce RTX 3090, 24576, 24253\n";
    exact(
        &match_machine(&nvidia(one_3090, 64), &c),
        "pc-rtx-3090",
        24.0,
    );
}

#[test]
fn two_3090s_is_family_of_the_single_card_pc() {
    let mm = match_machine(
        &nvidia(&fixture("nvidia/smi_2x_rtx3090.csv"), 128),
        &catalog(),
    );
    family(&mm, "pc-rtx-3090", "GPU count: 2 detected");
}

#[test]
fn gb10_is_dgx_spark_with_unified_memory() {
    // DGX Spark: 128 GB LPDDR5x; the OS sees about 119.7 GiB.
    let mut d = nvidia(&fixture("nvidia/smi_gb10.csv"), 0);
    d.total_ram_bytes = 128_530_000_000;
    d.cpu.brand = "Cortex-X925".into();
    let mm = match_machine(&d, &catalog());
    exact(&mm, "dgx-spark", 128.0);
}

#[test]
fn datacenter_nvidia_variants() {
    let c = catalog();
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_h100_sxm.csv"), 512), &c),
        "server-h100-sxm-80gb",
        80.0,
    );
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_h100_pcie.csv"), 512), &c),
        "server-h100-pcie-80gb",
        80.0,
    );
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_a100_sxm4.csv"), 512), &c),
        "server-a100-sxm4-80gb",
        80.0,
    );
    exact(
        &match_machine(&nvidia(&fixture("nvidia/smi_a100_pcie.csv"), 512), &c),
        "server-a100-pcie-80gb",
        80.0,
    );
    // 40 GB A100: same family, memory differs.
    let mm = match_machine(&nvidia("NVIDIA A100-SXM4-40GB, 40960, 40000\n", 512), &c);
    family(&mm, "server-a100-sxm4-80gb", "GPU");
}

#[test]
fn eight_gpu_server_entry_counts_devices() {
    let mut c = catalog();
    c.retain(|r| !r.id.starts_with("server-h100-sxm"));
    c.push(m(
        "server-8x-h100-sxm-80gb",
        "DGX H100",
        "NVIDIA",
        &[640.0],
        8,
    ));
    let eight = "NVIDIA H100 80GB HBM3, 81559, 81007\n".repeat(8);
    exact(
        &match_machine(&nvidia(&eight, 2048), &c),
        "server-8x-h100-sxm-80gb",
        640.0,
    );
}

#[test]
fn unknown_nvidia_card_is_guess_with_vram() {
    match match_machine(&nvidia(&fixture("nvidia/smi_rtx3060.csv"), 32), &catalog()) {
        MachineMatch::Unknown { guessed } => {
            assert!(guessed.name.contains("RTX 3060"), "{}", guessed.name);
            assert_eq!(guessed.memory_gb, 12.0);
            assert!(guessed
                .guessed_fields
                .contains(&"bandwidth_gb_per_s".to_string()));
        }
        other => panic!("{other:?}"),
    }
}

/// A card the catalogue lacks runs CUDA on its own memory, at the bandwidth and matrix
/// rates the driver's figures give (the RTX 4070's published 504 GB/s, 29.1 TFLOPS FP32 and
/// so 58.3 TFLOPS FP16 tensor and 233 TOPS INT8), not as a CPU-only box.
#[test]
fn an_unknown_nvidia_card_is_a_cuda_machine_at_its_detected_figures() {
    let det = common::rtx_4070_detection();
    let MachineMatch::Unknown { guessed } = match_machine(&det, &catalog()) else {
        panic!("the RTX 4070 is not in the catalogue");
    };
    assert!(!guessed
        .guessed_fields
        .contains(&"bandwidth_gb_per_s".to_string()));
    let m = this_machine(&det, &guessed, Some(70.0));
    assert_eq!(m.default_runtime, Runtime::Cuda);
    assert!(m.runtimes.contains(&Runtime::Cuda));
    assert_eq!(m.memory_kind, MemoryKind::Discrete);
    assert_eq!(m.device_count, 1);
    assert_eq!(m.memory_options[0].per_device_gb, 12.0);
    assert!(
        (m.bandwidth_gb_per_s.value - 504.0).abs() < 0.1,
        "{:?}",
        m.bandwidth_gb_per_s
    );
    assert!(m.bandwidth_gb_per_s.source.starts_with("detected:"));
    assert!(
        (m.fp16_tflops.value - 58.3).abs() < 0.1,
        "{:?}",
        m.fp16_tflops
    );
    let int8 = m.int8_tops.as_ref().expect("an INT8 rate");
    assert!((int8.value - 233.1).abs() < 0.2, "{int8:?}");
    assert!(int8.source.starts_with("estimate:"));
    // The probe measured system RAM, which offloaded layers stream from.
    let ram = m
        .system_ram_bandwidth_gb_per_s
        .as_ref()
        .expect("system RAM");
    assert_eq!(ram.value, 70.0);
    assert_eq!(m.system_ram_gb, Some(32.0));
}

/// Without NVML's figures (nvidia-smi only) the card is still CUDA, with every figure it
/// could not read marked as an estimate.
#[test]
fn an_unknown_nvidia_card_without_driver_figures_is_cuda_with_estimates() {
    let det = nvidia(&fixture("nvidia/smi_rtx3060.csv"), 32);
    let MachineMatch::Unknown { guessed } = match_machine(&det, &catalog()) else {
        panic!("the RTX 3060 is not in the catalogue");
    };
    let m = this_machine(&det, &guessed, None);
    assert_eq!(m.default_runtime, Runtime::Cuda);
    assert_eq!(m.memory_options[0].per_device_gb, 12.0);
    assert!(is_estimate(&m.bandwidth_gb_per_s.source));
    assert!(m.bandwidth_gb_per_s.source.starts_with("estimate:"));
    assert!(m.fp16_tflops.source.starts_with("estimate:"));
    assert!(m.fp16_tflops.value > 10.0);
}

/// Two cards of the unknown model: two devices, each with its own memory, linked over PCIe.
#[test]
fn two_unknown_nvidia_cards_are_two_devices() {
    let mut det = common::rtx_4070_detection();
    let second = det.gpus[0].clone();
    det.gpus.push(second);
    let MachineMatch::Unknown { guessed } = match_machine(&det, &catalog()) else {
        panic!("not in the catalogue");
    };
    let m = this_machine(&det, &guessed, None);
    assert_eq!(m.device_count, 2);
    assert_eq!(m.memory_options[0].per_device_gb, 12.0);
    assert!(m.interconnect.is_some());
}

/// An AMD card the catalogue lacks (an RX 7800 XT, 16 GiB) runs Vulkan on its own memory,
/// with its bandwidth and rates marked as estimates: sysfs reports no memory bus.
#[test]
fn an_unknown_amd_card_is_a_vulkan_machine_with_estimates() {
    let mut det = base("AMD Ryzen 7 7700X 8-Core Processor", 32);
    det.gpus = vec![GpuInfo {
        vendor: GpuVendor::Amd,
        name: "AMD Radeon RX 7800 XT".into(),
        total_memory_bytes: Some(16 * GIB_BYTES),
        free_memory_bytes: None,
        gtt_total_bytes: Some(16 * GIB_BYTES),
        unified_memory: false,
        pci_device_id: Some("0x747e".into()),
        source: "amd-sysfs".into(),
        specs: None,
    }];
    let MachineMatch::Unknown { guessed } = match_machine(&det, &catalog()) else {
        panic!("the RX 7800 XT is not in the catalogue");
    };
    let m = this_machine(&det, &guessed, None);
    assert_eq!(m.default_runtime, Runtime::Vulkan);
    assert_eq!(m.memory_kind, MemoryKind::Discrete);
    assert_eq!(m.memory_options[0].per_device_gb, 16.0);
    assert!(m.bandwidth_gb_per_s.source.starts_with("estimate:"));
    assert!(m.fp16_tflops.source.starts_with("estimate:"));
}

// ---------------------------------------------------------------- AMD

#[test]
fn rx_7900_xtx_one_and_two() {
    let c = catalog();
    exact(
        &match_machine(
            &amd("rx7900xtx", "AMD Ryzen 7 7800X3D 8-Core Processor", 64),
            &c,
        ),
        "pc-rx-7900-xtx",
        24.0,
    );
    exact(
        &match_machine(
            &amd("2x_rx7900xtx", "AMD Ryzen Threadripper 7970X 32-Cores", 256),
            &c,
        ),
        "threadripper-2x-rx-7900-xtx",
        48.0,
    );
}

#[test]
fn rx_7900_xtx_next_to_an_igpu() {
    // A Ryzen 7000 desktop iGPU (Raphael) must not count as a second GPU.
    let mut d = amd("rx7900xtx", "AMD Ryzen 9 7950X 16-Core Processor", 64);
    d.gpus.push(GpuInfo {
        vendor: headroom::detect::GpuVendor::Amd,
        name: "Radeon Graphics (Raphael iGPU)".into(),
        total_memory_bytes: Some(512 << 20),
        free_memory_bytes: None,
        gtt_total_bytes: Some(32 * GIB_BYTES),
        unified_memory: true,
        pci_device_id: Some("0x164e".into()),
        source: "amd-sysfs".into(),
        specs: None,
    });
    exact(&match_machine(&d, &catalog()), "pc-rx-7900-xtx", 24.0);
}

#[test]
fn mi300x() {
    exact(
        &match_machine(
            &amd("mi300x", "AMD EPYC 9654 96-Core Processor", 1536),
            &catalog(),
        ),
        "server-mi300x",
        192.0,
    );
}

#[test]
fn strix_halo_framework_by_default_and_rog_by_vendor() {
    let c = catalog();
    let cpu = "AMD RYZEN AI MAX+ 395 w/ Radeon 8060S";
    // 128 GB box, 512 MiB carve-out: the OS sees about 127.5 GiB minus reserved.
    let mut d = amd("strix_halo", cpu, 125);
    exact(
        &match_machine(&d, &c),
        "framework-desktop-ryzen-ai-max-395",
        128.0,
    );
    d.system_vendor = Some("Framework".into());
    d.system_product = Some("Desktop (AMD Ryzen AI Max 300 Series)".into());
    exact(
        &match_machine(&d, &c),
        "framework-desktop-ryzen-ai-max-395",
        128.0,
    );
    d.system_vendor = Some("ASUSTeK COMPUTER INC.".into());
    d.system_product = Some("ROG Flow Z13 GZ302EA_GZ302EA".into());
    exact(
        &match_machine(&d, &c),
        "rog-flow-z13-ryzen-ai-max-395",
        128.0,
    );
    // Another maker: same chip, Framework entry as the family stand-in.
    d.system_vendor = Some("HP".into());
    d.system_product = Some("HP ZBook Ultra G1a 14 inch Mobile Workstation PC".into());
    family(
        &match_machine(&d, &c),
        "framework-desktop-ryzen-ai-max-395",
        "maker",
    );
}

#[test]
fn strix_halo_large_carveout_counts_toward_memory() {
    // BIOS carve-out of 96 GiB: the OS sees only ~31 GiB of RAM.
    let mut d = base("AMD RYZEN AI MAX+ 395 w/ Radeon 8060S", 31);
    d.gpus.push(GpuInfo {
        vendor: headroom::detect::GpuVendor::Amd,
        name: "Radeon 8060S (Strix Halo)".into(),
        total_memory_bytes: Some(96 * GIB_BYTES),
        free_memory_bytes: None,
        gtt_total_bytes: Some(15 * GIB_BYTES),
        unified_memory: true,
        pci_device_id: Some("0x1586".into()),
        source: "amd-sysfs".into(),
        specs: None,
    });
    exact(
        &match_machine(&d, &catalog()),
        "framework-desktop-ryzen-ai-max-395",
        128.0,
    );
}

#[test]
fn strix_halo_385_is_family() {
    let d = amd("strix_halo", "AMD RYZEN AI MAX 385 w/ Radeon 8050S", 61);
    family(
        &match_machine(&d, &catalog()),
        "framework-desktop-ryzen-ai-max-395",
        "385",
    );
}

// ---------------------------------------------------------------- CPU only

#[test]
fn cpu_only_box_is_a_guess_without_bandwidth() {
    let d = base("AMD EPYC 7B13 64-Core Processor", 24);
    match match_machine(&d, &catalog()) {
        MachineMatch::Unknown { guessed } => {
            assert!(guessed.name.contains("CPU only"), "{}", guessed.name);
            assert_eq!(guessed.memory_gb, 24.0);
            assert_eq!(guessed.bandwidth_gb_per_s, None);
            assert!(guessed
                .guessed_fields
                .iter()
                .any(|f| f == "bandwidth_gb_per_s"));
            assert!(guessed.why.contains("guess"), "{}", guessed.why);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn match_result_round_trips_through_json() {
    let mm = match_machine(
        &nvidia(&fixture("nvidia/smi_2x_rtx3090.csv"), 128),
        &catalog(),
    );
    let s = serde_json::to_string(&mm).unwrap();
    assert_eq!(serde_json::from_str::<MachineMatch>(&s).unwrap(), mm);
    assert_eq!(mm.id(), Some("pc-rtx-3090"));
}
