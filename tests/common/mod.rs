//! Fixtures shared by the window tests (`ui_behaviour`, `ui_snapshots`).

use headroom::detect::{AppleInfo, CpuInfo, Detection, GIB_BYTES};

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
