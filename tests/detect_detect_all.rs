//! Runs the real probes on this machine: must succeed quickly, and with no GPU (as in CI and
//! the sandbox) must give a CPU-only result with a clear note.
//!
//! Host-dependent: what they find, and how fast, depends on the machine running the tests
//! (its GPUs, drivers, /proc and /sys, its load), so they are ignored by default and run with
//! `cargo test --test detect_detect_all -- --ignored` on a machine whose answer you know. The
//! probes' parsing is tested on recorded output in `detect_probes.rs`, everywhere.

use std::time::{Duration, Instant};

use headroom::detect::{detect_all, match_machine, Detection, MachineMatch, ProbeOutcome};

#[test]
#[ignore = "host-dependent: probes this machine's hardware, timed"]
fn detect_all_runs_for_real_and_is_bounded() {
    let t0 = Instant::now();
    let det = detect_all(Duration::from_secs(2));
    assert!(
        t0.elapsed() < Duration::from_secs(4),
        "took {:?}",
        t0.elapsed()
    );
    assert!(det.total_ram_bytes > 0, "{det:#?}");
    assert!(det.cpu.logical_cores > 0);
    let names: Vec<&str> = det.probes.iter().map(|p| p.name.as_str()).collect();
    for want in ["sysinfo", "nvidia", "amd-sysfs", "apple"] {
        assert!(names.contains(&want), "{names:?}");
    }
    let sysinfo = det.probes.iter().find(|p| p.name == "sysinfo").unwrap();
    assert_eq!(sysinfo.outcome, ProbeOutcome::Found);
    for p in &det.probes {
        if let ProbeOutcome::Unknown { reason } = &p.outcome {
            assert!(!reason.is_empty(), "{p:?}");
        }
    }
    // Serialisable (the app stores it).
    let s = serde_json::to_string(&det).unwrap();
    assert_eq!(serde_json::from_str::<Detection>(&s).unwrap(), det);
    eprintln!("{det:#?}");

    if det.is_cpu_only() {
        let note = det.notes.iter().find(|n| n.contains("CPU-only"));
        assert!(note.is_some(), "missing CPU-only note: {:?}", det.notes);
        match match_machine(&det, &[]) {
            MachineMatch::Unknown { guessed } => {
                assert!(guessed.name.contains("CPU only"), "{}", guessed.name);
                assert_eq!(guessed.bandwidth_gb_per_s, None);
                assert!(guessed.memory_gb > 0.0);
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
#[ignore = "host-dependent: probes this machine's hardware, timed"]
fn tiny_timeout_reports_unknown_not_hang() {
    let t0 = Instant::now();
    let det = detect_all(Duration::from_millis(1));
    assert!(t0.elapsed() < Duration::from_secs(2));
    assert_eq!(det.probes.len(), 6);
}
