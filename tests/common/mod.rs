//! Fixtures shared by the tests (`ui_behaviour`, `ui_snapshots`, `detect_matching`).
#![allow(dead_code)]

use headroom::detect::{AppleInfo, CpuInfo, Detection, GpuInfo, GpuSpecs, GpuVendor, GIB_BYTES};

/// What detection reports on the founding story's Mac Studio (M2 Ultra, 60 GPU cores, 64 GB).
pub fn m2_ultra_detection() -> Detection {
    Detection {
        cpu: CpuInfo {
            brand: "Apple M2 Ultra".to_owned(),
            physical_cores: Some(24),
            logical_cores: 24,
            arch: "arm64".to_owned(),
        },
        total_ram_bytes: 64 * GIB_BYTES,
        apple: Some(AppleInfo {
            chip: "Apple M2 Ultra".to_owned(),
            gpu_cores: Some(60),
            memsize_bytes: Some(64 * GIB_BYTES),
            wired_limit_mb: Some(0),
            hw_model: Some("Mac14,14".to_owned()),
        }),
        ..Detection::default()
    }
}

/// A desktop with an RTX 4070 (not in the catalogue) as NVML reports it: a 192-bit bus at
/// 10,501 MHz, 5,888 cores at 2,475 MHz, compute capability 8.9, 12 GiB; 32 GiB of RAM.
pub fn rtx_4070_detection() -> Detection {
    Detection {
        cpu: CpuInfo {
            brand: "AMD Ryzen 7 7700X 8-Core Processor".to_owned(),
            physical_cores: Some(8),
            logical_cores: 16,
            arch: "x86_64".to_owned(),
        },
        total_ram_bytes: 32 * GIB_BYTES,
        gpus: vec![GpuInfo {
            vendor: GpuVendor::Nvidia,
            name: "NVIDIA GeForce RTX 4070".to_owned(),
            total_memory_bytes: Some(12 * GIB_BYTES),
            free_memory_bytes: Some(11 * GIB_BYTES),
            gtt_total_bytes: None,
            unified_memory: false,
            pci_device_id: Some("0x2786".to_owned()),
            source: "nvml".to_owned(),
            specs: Some(GpuSpecs {
                memory_bus_width_bits: Some(192),
                max_memory_clock_mhz: Some(10_501),
                cores: Some(5_888),
                max_core_clock_mhz: Some(2_475),
                compute_capability: Some((8, 9)),
            }),
        }],
        ..Detection::default()
    }
}

/// Writes the founding story's Ollama store: `qwen3-coder:30b-a3b-v-128k` with num_ctx
/// 131072 over a GGUF that says 262,144.
pub fn founding_store(models: &std::path::Path) {
    use headroom::local::testgguf::{write_test_gguf, TestGguf};
    let blob_dir = models.join("blobs");
    std::fs::create_dir_all(&blob_dir).expect("blobs");
    let model_digest = "11".repeat(32);
    let params_digest = "22".repeat(32);
    write_test_gguf(
        &blob_dir.join(format!("sha256-{model_digest}")),
        &TestGguf::qwen3_coder_30b_a3b(),
    )
    .expect("gguf");
    std::fs::write(
        blob_dir.join(format!("sha256-{params_digest}")),
        br#"{"num_ctx":131072}"#,
    )
    .expect("params");
    let manifests = models.join("manifests/registry.ollama.ai/library/qwen3-coder");
    std::fs::create_dir_all(&manifests).expect("manifests");
    let manifest = format!(
        r#"{{"schemaVersion":2,"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:{model_digest}","size":1}},{{"mediaType":"application/vnd.ollama.image.params","digest":"sha256:{params_digest}","size":18}}]}}"#
    );
    std::fs::write(manifests.join("30b-a3b-v-128k"), manifest).expect("manifest");
}

/// Clicks "Diagnose my local models" and waits for the answer: the diagnosis runs on its own
/// thread, so this gives it up to ten seconds of frames.
pub fn run_diagnosis(h: &mut egui_kittest::Harness<'_, headroom::ui::HeadroomApp>) {
    use egui_kittest::kittest::Queryable;
    h.get_by_label("Diagnose my local models").click();
    for _ in 0..400 {
        // The spinner repaints every frame while it runs: step, do not wait to settle.
        h.step();
        if h.state().diagnosis().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    h.run();
}
