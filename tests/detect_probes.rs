//! Fixture tests for every probe parser (sysctl, system_profiler, nvidia-smi, AMD sysfs).

use std::path::PathBuf;

use headroom::detect::amd::{amd_cards_to_gpus, parse_amd_sysfs};
use headroom::detect::apple::{apple_from_parsed, wired_limit};
use headroom::detect::{
    parse_nvidia_smi_csv, parse_sysctl, parse_system_profiler_displays, AcceleratorLimit,
    GpuVendor, ParseError, GIB_BYTES,
};

fn fixture(p: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(p)
}

fn read(p: &str) -> String {
    std::fs::read_to_string(fixture(p)).unwrap()
}

#[test]
fn sysctl_m2_ultra_positional_with_default_wired_limit() {
    let s = parse_sysctl(&read("apple/sysctl_m2_ultra_64gb.txt")).unwrap();
    assert_eq!(s.brand.as_deref(), Some("Apple M2 Ultra"));
    assert_eq!(s.memsize_bytes, Some(64 * GIB_BYTES));
    assert_eq!(s.wired_limit_mb, Some(0));
    let d =
        parse_system_profiler_displays(&read("apple/system_profiler_m2_ultra_60c.json")).unwrap();
    let (apple, gpus) = apple_from_parsed(&s, &d);
    assert_eq!(apple.chip, "Apple M2 Ultra");
    assert_eq!(apple.gpu_cores, Some(60));
    assert_eq!(gpus.len(), 1);
    assert!(gpus[0].unified_memory);
    match wired_limit(&apple, 0).unwrap() {
        AcceleratorLimit::MacWiredLimit {
            configured_mb,
            effective_bytes,
            is_default_estimate,
            note,
        } => {
            assert_eq!(configured_mb, None);
            assert!(is_default_estimate);
            assert_eq!(effective_bytes, 48 * GIB_BYTES); // 75% of 64 GiB
            assert!(note.contains("default"), "{note}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sysctl_m3_ultra_keyed_with_wired_limit_set() {
    let s = parse_sysctl(&read("apple/sysctl_m3_ultra_wired.txt")).unwrap();
    assert_eq!(s.brand.as_deref(), Some("Apple M3 Ultra"));
    assert_eq!(s.memsize_bytes, Some(256 * GIB_BYTES));
    assert_eq!(s.hw_model.as_deref(), Some("Mac15,14"));
    assert_eq!(s.wired_limit_mb, Some(245_760));
    let d =
        parse_system_profiler_displays(&read("apple/system_profiler_m3_ultra_80c.json")).unwrap();
    let (apple, _) = apple_from_parsed(&s, &d);
    assert_eq!(apple.gpu_cores, Some(80));
    match wired_limit(&apple, 0).unwrap() {
        AcceleratorLimit::MacWiredLimit {
            configured_mb,
            effective_bytes,
            is_default_estimate,
            ..
        } => {
            assert_eq!(configured_mb, Some(245_760));
            assert_eq!(effective_bytes, 240 * GIB_BYTES);
            assert!(!is_default_estimate);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sysctl_without_wired_limit_key_on_older_macos() {
    let s = parse_sysctl(&read("apple/sysctl_m1_max_ventura.txt")).unwrap();
    assert_eq!(s.memsize_bytes, Some(32 * GIB_BYTES));
    assert_eq!(s.wired_limit_mb, None);
    let d = parse_system_profiler_displays(&read("apple/system_profiler_m1_max_24c.json")).unwrap();
    let (apple, _) = apple_from_parsed(&s, &d);
    assert_eq!(apple.gpu_cores, Some(24));
    // 32 GiB machine: default is about two thirds.
    match wired_limit(&apple, 0).unwrap() {
        AcceleratorLimit::MacWiredLimit {
            effective_bytes,
            note,
            ..
        } => {
            let gib = effective_bytes as f64 / GIB_BYTES as f64;
            assert!((21.0..22.0).contains(&gib), "{gib}");
            assert!(note.contains("not readable"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sysctl_garbage_is_an_error() {
    assert!(matches!(parse_sysctl(""), Err(ParseError::Empty { .. })));
    assert!(matches!(
        parse_sysctl("Apple M2\nnot-a-number\n"),
        Err(ParseError::Malformed { line: 2, .. })
    ));
    assert!(parse_system_profiler_displays("{").is_err());
    assert!(parse_system_profiler_displays("{\"SPDisplaysDataType\": []}").is_err());
}

#[test]
fn nvidia_smi_single_4090() {
    let g = parse_nvidia_smi_csv(&read("nvidia/smi_rtx4090.csv")).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].name, "NVIDIA GeForce RTX 4090");
    assert_eq!(g[0].vendor, GpuVendor::Nvidia);
    assert_eq!(g[0].total_memory_bytes, Some(24564 << 20));
    assert_eq!(g[0].free_memory_bytes, Some(23975 << 20));
    assert!(!g[0].unified_memory);
}

#[test]
fn nvidia_smi_two_3090s() {
    let g = parse_nvidia_smi_csv(&read("nvidia/smi_2x_rtx3090.csv")).unwrap();
    assert_eq!(g.len(), 2);
    assert!(g.iter().all(|x| x.name == "NVIDIA GeForce RTX 3090"));
    assert_eq!(g[1].free_memory_bytes, Some(1210 << 20));
}

#[test]
fn nvidia_smi_gb10_reports_na_memory() {
    let g = parse_nvidia_smi_csv(&read("nvidia/smi_gb10.csv")).unwrap();
    assert_eq!(g.len(), 1);
    assert_eq!(g[0].name, "NVIDIA GB10");
    assert_eq!(g[0].total_memory_bytes, None);
    assert_eq!(g[0].free_memory_bytes, None);
    assert!(g[0].unified_memory);
}

#[test]
fn nvidia_smi_errors() {
    assert!(matches!(
        parse_nvidia_smi_csv("\n"),
        Err(ParseError::Empty { .. })
    ));
    assert!(parse_nvidia_smi_csv("NVIDIA GeForce RTX 4090, lots, 3").is_err());
    assert!(parse_nvidia_smi_csv("just a name").is_err());
}

#[test]
fn amd_sysfs_rx_7900_xtx() {
    let cards = parse_amd_sysfs(&fixture("sysfs/rx7900xtx"));
    assert_eq!(cards.len(), 1, "{cards:?}");
    let c = &cards[0];
    assert_eq!(c.card, "card0");
    assert_eq!(c.name, "Radeon RX 7900 XTX");
    assert_eq!(c.device_id.as_deref(), Some("0x744c"));
    assert_eq!(c.vram_total_bytes, Some(25_753_026_560));
    assert!(!c.is_apu && !c.is_strix_halo);
    let (gpus, limits) = amd_cards_to_gpus(&cards);
    assert_eq!(gpus[0].free_memory_bytes, Some(25_753_026_560 - GIB_BYTES));
    assert!(limits.is_empty());
}

#[test]
fn amd_sysfs_strix_halo_reports_carveout_and_gtt() {
    let cards = parse_amd_sysfs(&fixture("sysfs/strix_halo"));
    assert_eq!(cards.len(), 1, "non-AMD card0 must be skipped: {cards:?}");
    let c = &cards[0];
    assert!(c.is_apu && c.is_strix_halo);
    assert_eq!(c.vram_total_bytes, Some(512 << 20));
    assert_eq!(c.gtt_total_bytes, Some(96 * GIB_BYTES));
    let (gpus, limits) = amd_cards_to_gpus(&cards);
    assert!(gpus[0].unified_memory);
    assert_eq!(gpus[0].gtt_total_bytes, Some(96 * GIB_BYTES));
    match &limits[..] {
        [AcceleratorLimit::AmdApuMemory {
            vram_carveout_bytes,
            gtt_bytes,
            note,
            ..
        }] => {
            assert_eq!(*vram_carveout_bytes, 512 << 20);
            assert_eq!(*gtt_bytes, 96 * GIB_BYTES);
            assert!(
                note.contains("ttm.pages_limit") && note.contains("Strix Halo"),
                "{note}"
            );
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn amd_sysfs_two_cards_and_product_name() {
    let cards = parse_amd_sysfs(&fixture("sysfs/2x_rx7900xtx"));
    assert_eq!(cards.len(), 2);
    assert_eq!(cards[1].card, "card1");
    let cards = parse_amd_sysfs(&fixture("sysfs/mi300x"));
    assert_eq!(cards[0].name, "AMD Instinct MI300X");
    assert_eq!(
        cards[0].product_name.as_deref(),
        Some("AMD Instinct MI300X")
    );
}

#[test]
fn amd_sysfs_missing_root_is_empty() {
    assert!(parse_amd_sysfs(&fixture("sysfs/does-not-exist")).is_empty());
}

#[test]
fn amd_navi31_variants_by_vram() {
    let dir = tempfile::tempdir().unwrap();
    let dev = dir.path().join("card2/device");
    std::fs::create_dir_all(&dev).unwrap();
    std::fs::write(dev.join("vendor"), "0x1002\n").unwrap();
    std::fs::write(dev.join("device"), "0x744C\n").unwrap();
    std::fs::write(
        dev.join("mem_info_vram_total"),
        format!("{}\n", 20 * GIB_BYTES),
    )
    .unwrap();
    let cards = parse_amd_sysfs(dir.path());
    assert_eq!(cards[0].name, "Radeon RX 7900 XT");
}
