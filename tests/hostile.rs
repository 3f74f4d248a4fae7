//! Hostile input: special files, symlinks, read-only targets, absurd numbers, concurrent
//! writers. Each test pins one defect of issue 17; none may hang (every run has a deadline).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_headroom");

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"))
}

/// Runs headroom (without the user's config catalogue) and gives up after `secs`: a hang
/// is a failure with exit code -9 and "TIMEOUT" in stderr.
fn headroom_within(secs: u64, args: &[&str]) -> (i32, String, String) {
    let mut child = Command::new(BIN)
        .arg("--no-user-catalog")
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run headroom");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut stderr = child.stderr.take().expect("stderr");
    let out_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stdout.read_to_string(&mut s);
        s
    });
    let err_thread = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code().unwrap_or(-1);
        }
        if start.elapsed() > Duration::from_secs(secs) {
            let _ = child.kill();
            let _ = child.wait();
            break -9;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out = out_thread.join().unwrap_or_default();
    let mut err = err_thread.join().unwrap_or_default();
    if code == -9 {
        err.push_str("TIMEOUT");
    }
    (code, out, err)
}

fn headroom(args: &[&str]) -> (i32, String, String) {
    headroom_within(120, args)
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[cfg(unix)]
fn mkfifo(path: &Path) {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).expect("path");
    // SAFETY: a valid NUL-terminated path.
    let rc = unsafe { libc::mkfifo(c.as_ptr(), 0o644) };
    assert_eq!(rc, 0, "mkfifo {}", path.display());
}

#[cfg(unix)]
fn is_fifo(path: &Path) -> bool {
    use std::os::unix::fs::FileTypeExt;
    std::fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_fifo())
}

const REPORT: &[&str] = &["report", "--workload", "chat", "--top", "3", "--out"];

fn report_to(out: &Path) -> (i32, String, String) {
    let mut args = REPORT.to_vec();
    args.push(s(out));
    headroom(&args)
}

// ---------------------------------------------------------------------------------------
// 1. One writer: regular files only, symlinks written through, permissions kept
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn report_refuses_to_replace_a_fifo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("out.md");
    mkfifo(&fifo);
    let (code, out, err) = report_to(&fifo);
    assert_eq!(code, 2, "{out}{err}");
    assert!(err.contains("FIFO") && err.contains("out.md"), "{err}");
    assert!(!out.contains("wrote"), "{out}");
    assert!(is_fifo(&fifo), "the FIFO was replaced");
}

#[test]
fn report_refuses_a_directory_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let target = dir.path().join("a-folder");
    std::fs::create_dir(&target).expect("mkdir");
    let (code, _, err) = report_to(&target);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("directory") && err.contains("a-folder"),
        "{err}"
    );
    assert!(target.is_dir());
}

#[cfg(unix)]
#[test]
fn report_writes_through_a_symlink_and_keeps_the_link() {
    let dir = tempfile::tempdir().expect("tempdir");
    let real = dir.path().join("real.md");
    std::fs::write(&real, "old").expect("write");
    let link = dir.path().join("link.md");
    std::os::unix::fs::symlink(&real, &link).expect("symlink");
    let (code, _, err) = report_to(&link);
    assert_eq!(code, 0, "{err}");
    assert!(
        std::fs::symlink_metadata(&link)
            .expect("link")
            .file_type()
            .is_symlink(),
        "the symlink was replaced by a file"
    );
    let text = std::fs::read_to_string(&real).expect("target");
    assert!(text.starts_with("# headroom decision summary"), "{text}");
}

#[cfg(unix)]
#[test]
fn report_keeps_a_private_files_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("private.md");
    std::fs::write(&out, "old").expect("write");
    std::fs::set_permissions(&out, std::fs::Permissions::from_mode(0o600)).expect("chmod");
    let (code, _, err) = report_to(&out);
    assert_eq!(code, 0, "{err}");
    let mode = std::fs::metadata(&out).expect("meta").permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "mode changed to {mode:o}");
    assert!(std::fs::read_to_string(&out)
        .expect("read")
        .starts_with("# headroom"));
}

#[test]
fn report_refuses_a_read_only_file_and_leaves_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("locked.md");
    std::fs::write(&out, "keep me").expect("write");
    let mut perms = std::fs::metadata(&out).expect("meta").permissions();
    perms.set_readonly(true);
    std::fs::set_permissions(&out, perms).expect("chmod");
    let (code, stdout, err) = report_to(&out);
    assert_eq!(code, 2, "{stdout}{err}");
    assert!(
        err.contains("read-only") && err.contains("locked.md"),
        "{err}"
    );
    assert!(!stdout.contains("wrote"), "{stdout}");
    assert_eq!(std::fs::read_to_string(&out).expect("read"), "keep me");
}

#[cfg(unix)]
#[test]
fn calibrate_write_refuses_a_fifo_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("runtimes.ron");
    mkfifo(&fifo);
    let (code, _, err) = headroom_within(300, &["calibrate", "--write", s(&fifo)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("FIFO"), "{err}");
    assert!(is_fifo(&fifo));
}

#[test]
fn report_json_is_refused_rather_than_written_as_markdown() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.json");
    let mut args = REPORT.to_vec();
    args.push(s(&out));
    args.push("--json");
    let (code, _, err) = headroom(&args);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--json"), "{err}");
    assert!(!out.exists());
}

// ---------------------------------------------------------------------------------------
// 2. import-bench: validate before saving, append text, lock, skip duplicates
// ---------------------------------------------------------------------------------------

const HAVE: &str = "mac-studio-m2-ultra-76c@192";

fn import(file: &str, save_to: &Path) -> (i32, String, String) {
    headroom(&[
        "import-bench",
        file,
        "--have",
        HAVE,
        "--save-to",
        s(save_to),
    ])
}

fn rows_in(path: &Path) -> usize {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .matches("machine:")
        .count()
}

#[test]
fn import_refuses_a_zero_speed_and_saves_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    let (code, _, err) = import(&fixture("hostile/bench_zero_ts.csv"), &saved);
    assert_eq!(code, 2, "{err}");
    // The parser names the row ("result 2") and the field.
    assert!(err.contains("avg_ts") && err.contains("result 2"), "{err}");
    assert!(!saved.exists());
}

#[test]
fn import_refuses_a_speed_beyond_the_machines_physics() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    for name in ["bench_huge_ts.csv", "bench_faster_than_bandwidth.csv"] {
        let (code, _, err) = import(&fixture(&format!("hostile/{name}")), &saved);
        assert_eq!(code, 2, "{name}: {err}");
        assert!(err.contains("avg_ts") && err.contains("row "), "{err}");
        assert!(err.contains("physical bound"), "{err}");
        assert!(!saved.exists(), "{name} saved rows");
    }
}

#[test]
fn import_keeps_comments_skips_duplicates_and_keeps_the_test_date() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    let hand = std::fs::read_to_string(fixture("hostile/commented_benchmarks.ron")).expect("fx");
    std::fs::write(&saved, &hand).expect("copy");
    let csv = fixture("llama_bench/m2_ultra_llama7b.csv");
    let (code, out, err) = import(&csv, &saved);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("saved 2 rows"), "{out}");
    let text = std::fs::read_to_string(&saved).expect("saved");
    assert!(
        text.starts_with(hand.trim_end_matches("    ],\n)\n")),
        "the hand-written part changed:\n{text}"
    );
    assert!(text.contains("// the first run on the new build"), "{text}");
    assert!(text.contains("2024-08-15"), "test_time dropped:\n{text}");
    assert_eq!(rows_in(&saved), 3);
    // The same runs again: nothing appended, and said so.
    let (code, out, err) = import(&csv, &saved);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("2 already there"), "{out}");
    assert_eq!(rows_in(&saved), 3);
    // And the file loads.
    let (code, _, err) = headroom(&["--catalog", s(&saved), "catalog", "benchmarks"]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn import_refuses_to_pass_the_catalogue_size_limit() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    let limit = headroom::catalog::files::MAX_FILE_BYTES as usize;
    let mut text = String::with_capacity(limit);
    let line = format!("// {}\n", "x".repeat(96));
    while text.len() + line.len() < limit - 200 {
        text.push_str(&line);
    }
    text.push_str("(\n    benchmarks: [],\n)\n");
    std::fs::write(&saved, &text).expect("write");
    let (code, _, err) = import(&fixture("llama_bench/m2_ultra_llama7b.csv"), &saved);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("byte limit"), "{err}");
    assert_eq!(std::fs::read_to_string(&saved).expect("read"), text);
}

#[test]
fn parallel_imports_lose_no_rows() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    let csv = std::fs::read_to_string(fixture("llama_bench/m2_ultra_llama7b.csv")).expect("fx");
    // Ten files of two rows each, every row a different measurement.
    let files: Vec<PathBuf> = (0..10)
        .map(|i| {
            let p = dir.path().join(format!("run{i}.csv"));
            let text = csv
                .replace("\"1238.480000\"", &format!("\"{}.5\"", 1200 + i))
                .replace("\"94.270000\"", &format!("\"{}.5\"", 80 + i));
            std::fs::write(&p, text).expect("write");
            p
        })
        .collect();
    let children: Vec<_> = files
        .iter()
        .map(|f| {
            Command::new(BIN)
                .args(["--no-user-catalog", "import-bench", s(f), "--have", HAVE])
                .args(["--save-to", s(&saved)])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn")
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().expect("wait");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    assert_eq!(rows_in(&saved), 20);
}

#[cfg(unix)]
#[test]
fn import_save_to_a_fifo_is_refused_without_hanging() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("mine.ron");
    mkfifo(&fifo);
    let (code, _, err) = headroom_within(
        60,
        &[
            "import-bench",
            &fixture("llama_bench/m2_ultra_llama7b.csv"),
            "--have",
            HAVE,
            "--save-to",
            s(&fifo),
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("FIFO"), "{err}");
    assert!(is_fifo(&fifo));
}

// ---------------------------------------------------------------------------------------
// 5. One bounded reader: no device, FIFO or endless file is read
// ---------------------------------------------------------------------------------------

#[cfg(unix)]
#[test]
fn a_catalogue_that_is_a_device_is_refused_at_once() {
    for dev in ["/dev/zero", "/dev/urandom"] {
        let (code, _, err) = headroom_within(20, &["--catalog", dev, "catalog", "machines"]);
        assert_eq!(code, 2, "{dev}: {err}");
        assert!(err.contains(dev) && err.contains("device"), "{err}");
    }
}

#[cfg(unix)]
#[test]
fn a_catalogue_or_import_that_is_a_fifo_does_not_hang() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("pipe.ron");
    mkfifo(&fifo);
    let (code, _, err) = headroom_within(20, &["--catalog", s(&fifo), "catalog", "machines"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("FIFO"), "{err}");
    let (code, _, err) =
        headroom_within(20, &["import-bench", s(&fifo), "--have", HAVE, "--dry-run"]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("FIFO"), "{err}");
    let (code, _, err) = headroom_within(
        20,
        &["import-bench", "/dev/zero", "--have", HAVE, "--dry-run"],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("device"), "{err}");
}

#[test]
fn an_import_file_over_the_limit_is_refused_unread() {
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.json");
    let f = std::fs::File::create(&big).expect("create");
    f.set_len(headroom::cli::import::MAX_IMPORT_BYTES + 1)
        .expect("sparse");
    let (code, _, err) = headroom_within(20, &["import-bench", s(&big), "--have", HAVE]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("byte limit") && err.contains("big.json"),
        "{err}"
    );
}

#[cfg(unix)]
#[test]
fn an_ollama_blob_that_is_a_fifo_is_skipped_not_waited_on() {
    let dir = tempfile::tempdir().expect("tempdir");
    let fifo = dir.path().join("sha256-params");
    mkfifo(&fifo);
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(headroom::local::ollama::read_bounded(&fifo, 1 << 20));
    });
    let result = rx
        .recv_timeout(Duration::from_secs(5))
        .expect("reading a FIFO blob hung");
    let err = result.expect_err("a FIFO is not a blob");
    assert!(err.contains("FIFO"), "{err}");
}

/// An Ollama that lists 20 models and never answers /api/show.
fn silent_show_server() -> String {
    use std::io::Write;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut buf = [0u8; 4096];
                let n = stream.read(&mut buf).unwrap_or(0);
                let request = String::from_utf8_lossy(&buf[..n]).into_owned();
                if request.starts_with("GET /api/tags") {
                    let models: Vec<String> = (0..20)
                        .map(|i| format!("{{\"name\":\"m{i}:latest\",\"size\":1000}}"))
                        .collect();
                    let body = format!("{{\"models\":[{}]}}", models.join(","));
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                        body.len()
                    );
                } else {
                    std::thread::sleep(Duration::from_secs(30));
                }
            });
        }
    });
    url
}

#[test]
fn the_ollama_api_scan_has_an_overall_deadline() {
    let url = silent_show_server();
    let client = headroom::local::ollama::OllamaClient::new(&url);
    let roots = headroom::local::scan::ScanRoots::default();
    let start = Instant::now();
    let found =
        headroom::diagnose::gather::gather_within(&roots, Some(&client), Duration::from_secs(1));
    let took = start.elapsed();
    assert!(took < Duration::from_secs(8), "took {took:?}");
    assert!(
        found
            .notes
            .iter()
            .any(|n| n.contains("gave up on") && n.contains("models after") && n.contains(" s")),
        "{:?}",
        found.notes
    );
}

// ---------------------------------------------------------------------------------------
// 3. The CPU runtime runs on system RAM and CPU cores
// ---------------------------------------------------------------------------------------

fn estimate_decode(machine: &str, runtime: &str) -> serde_json::Value {
    let (code, out, err) = headroom(&[
        "estimate",
        "--machine",
        machine,
        "--runtime",
        runtime,
        "--model",
        "llama-3.1-8b",
        "--quant",
        "Q4_K_M",
        "--context",
        "4096",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).expect("json")
}

#[test]
fn a_gpu_box_on_the_cpu_runtime_is_bound_by_its_system_ram() {
    let v = estimate_decode("pc-rtx-4090", "cpu");
    let decode = v["decode_tokens_per_s"].as_f64().expect("decode");
    let weights = v["memory"]["weights_bytes"].as_f64().expect("weights");
    // 83 GB/s of dual-channel DDR5 (catalogue) over the weights read per token.
    let ram_bound = 83e9 / weights;
    assert!(
        decode <= ram_bound,
        "{decode} tok/s on CPU beats the RAM bound {ram_bound}"
    );
    // The ceiling shown is the RAM's too (active weights: the untied embedding table is
    // looked up, not streamed, so it sits a little above bandwidth over the file's bytes).
    let bound = v["decode_bound_tokens_per_s"].as_f64().expect("bound");
    assert!(decode <= bound && bound <= ram_bound * 1.2, "{v}");
    let gpu = estimate_decode("pc-rtx-4090", "cuda");
    assert!(decode * 5.0 < gpu["decode_tokens_per_s"].as_f64().expect("gpu"));
}

#[test]
fn a_mac_on_the_cpu_is_slower_than_on_metal() {
    let cpu = estimate_decode("mac-studio-m2-ultra-76c", "cpu");
    let metal = estimate_decode("mac-studio-m2-ultra-76c", "metal");
    let (c, m) = (
        cpu["decode_tokens_per_s"].as_f64().expect("cpu"),
        metal["decode_tokens_per_s"].as_f64().expect("metal"),
    );
    assert!(c < m, "CPU {c} tok/s, Metal {m} tok/s");
    let (c, m) = (
        cpu["prefill_tokens_per_s"].as_f64().expect("cpu"),
        metal["prefill_tokens_per_s"].as_f64().expect("metal"),
    );
    assert!(c * 3.0 < m, "CPU prefill {c} tok/s, Metal {m} tok/s");
}

#[test]
fn rank_on_the_cpu_runtime_does_not_use_the_accelerators() {
    let (code, out, err) = headroom(&[
        "rank",
        "--workload",
        "chat",
        "--runtime",
        "cpu",
        "--top",
        "100",
        "--json",
    ]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let entries = v["entries"].as_array().expect("entries");
    assert!(!entries.is_empty(), "{out}");
    let first = &entries[0];
    assert_eq!(first["runtime"], "cpu", "{first}");
    assert_ne!(
        first["machine_id"], "server-mi300x",
        "{}",
        first["machine_name"]
    );
    for e in entries {
        let decode = e["mix"]["local_decode_tokens_per_s"]
            .as_f64()
            .expect("decode");
        // No CPU in the catalogue streams an 8B model's weights faster than ~100 tok/s.
        assert!(
            decode < 100.0,
            "{} decodes at {decode} on CPU",
            e["machine_id"]
        );
        assert_eq!(e["runtime"], "cpu", "{}", e["machine_id"]);
    }
}

// ---------------------------------------------------------------------------------------
// 6. Inputs that gave confident wrong answers
// ---------------------------------------------------------------------------------------

fn estimate_args<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut v = vec![
        "estimate",
        "--machine",
        "pc-rtx-4090",
        "--model",
        "llama-3.1-8b",
        "--quant",
        "Q4_K_M",
    ];
    v.extend_from_slice(extra);
    v
}

#[test]
fn a_request_longer_than_its_context_is_refused() {
    for extra in [
        &["--prompt", "5000", "--context", "1000"][..],
        &["--depth", "5000", "--context", "1000"][..],
        &["--prompt", "18446744073709551615"][..],
    ] {
        let (code, out, err) = headroom(&estimate_args(extra));
        assert_eq!(code, 2, "{extra:?}: {out}{err}");
        assert!(err.contains("--context"), "{err}");
    }
}

#[test]
fn zero_prompt_or_generation_is_refused() {
    for flag in ["--prompt", "--gen"] {
        let (code, _, err) = headroom(&estimate_args(&[flag, "0"]));
        assert_eq!(code, 2, "{err}");
        assert!(err.contains(flag), "{err}");
    }
}

#[test]
fn have_without_a_size_lists_the_options() {
    let (code, _, err) = headroom(&[
        "rank",
        "--workload",
        "chat",
        "--have",
        "mac-studio-m2-ultra-76c",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("mac-studio-m2-ultra-76c@192"), "{err}");
    // One option: nothing to choose.
    let (code, _, err) = headroom(&[
        "rank",
        "--workload",
        "chat",
        "--have",
        "pc-rtx-4090",
        "--top",
        "1",
    ]);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn a_catalogue_file_with_a_byte_order_mark_loads() {
    let (code, _, err) = headroom(&[
        "--catalog",
        &fixture("hostile/bom_workload.ron"),
        "catalog",
        "cloud",
    ]);
    assert_eq!(code, 0, "{err}");
}

// ---------------------------------------------------------------------------------------
// 4. calibrate --write edits spans, not lines
// ---------------------------------------------------------------------------------------

fn calibration() -> &'static headroom::cli::Calibration {
    static CAL: std::sync::OnceLock<headroom::cli::Calibration> = std::sync::OnceLock::new();
    CAL.get_or_init(|| {
        let catalog = headroom::catalog::built_in().expect("built-in catalogue");
        headroom::cli::Calibration::of(&catalog)
    })
}

fn shipped_runtimes() -> String {
    std::fs::read_to_string(fixture("../../catalog/runtimes.ron")).expect("runtimes.ron")
}

/// The first line of the shipped file that holds `field: (value:`, without its newline.
fn first_line_of(text: &str, field: &str) -> String {
    text.lines()
        .find(|l| l.trim_start().starts_with(&format!("{field}: (value:")))
        .expect("field")
        .to_owned()
}

fn loads(text: &str) {
    let source = headroom::catalog::SourceText {
        origin: headroom::engine::types::Origin::User("test".to_owned()),
        label: "test".to_owned(),
        text: text.to_owned(),
    };
    headroom::catalog::validate::parse(&source).expect("the rewritten file parses");
}

#[test]
fn calibrate_updates_two_fields_on_one_line() {
    let shipped = shipped_runtimes();
    let bw = first_line_of(&shipped, "bandwidth_efficiency");
    let joined = shipped.replacen(&format!("{bw}\n            "), &format!("{bw} "), 1);
    assert_ne!(joined, shipped);
    // Scramble both values: the rewrite must restore each in place.
    let scrambled = joined.replacen(
        bw.trim_start(),
        "bandwidth_efficiency: (value: 0.111, source: \"fitted: old\"),",
        1,
    );
    let edit = headroom::cli::rewrite_runtimes(&scrambled, calibration(), false).expect("edit");
    loads(&edit.text);
    assert_eq!(edit.text, joined);
}

#[test]
fn calibrate_updates_a_value_written_over_several_lines() {
    let shipped = shipped_runtimes();
    let bw = first_line_of(&shipped, "bandwidth_efficiency");
    let indent = &bw[..bw.len() - bw.trim_start().len()];
    let split = format!(
        "{indent}bandwidth_efficiency: (\n{indent}    value: 0.111,\n{indent}    source: \"fitted: old\",\n{indent}),"
    );
    let text = shipped.replacen(&bw, &split, 1);
    let edit = headroom::cli::rewrite_runtimes(&text, calibration(), false).expect("edit");
    loads(&edit.text);
    assert_eq!(edit.text, shipped);
}

#[test]
fn calibrate_leaves_assumed_values_alone_unless_forced() {
    let shipped = shipped_runtimes();
    let ce = first_line_of(&shipped, "compute_efficiency");
    let indent = &ce[..ce.len() - ce.trim_start().len()];
    let mine =
        format!("{indent}compute_efficiency: (value: 0.5, source: \"assumed: my own guess\"),");
    let text = shipped.replacen(&ce, &mine, 1);
    let edit = headroom::cli::rewrite_runtimes(&text, calibration(), false).expect("edit");
    assert!(edit.text.contains(&mine), "the assumed value was replaced");
    assert_eq!(edit.kept_assumed.len(), 1, "{:?}", edit.kept_assumed);
    assert!(edit.kept_assumed[0].ends_with(".compute_efficiency"));
    let forced = headroom::cli::rewrite_runtimes(&text, calibration(), true).expect("edit");
    assert_eq!(forced.text, shipped);
}

#[test]
fn calibrate_refuses_a_file_without_runtimes() {
    for text in [
        "(runtimes: [])",
        "(\n    machines: [],\n)\n",
        "// nothing\n",
    ] {
        let e = headroom::cli::rewrite_runtimes(text, calibration(), false);
        assert!(e.is_err(), "{text:?} was accepted");
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("empty.ron");
    std::fs::write(&file, "(runtimes: [])\n").expect("write");
    let (code, _, err) = headroom_within(300, &["calibrate", "--write", s(&file)]);
    assert_eq!(code, 2, "{err}");
    assert!(!err.contains("wrote"), "{err}");
    assert_eq!(
        std::fs::read_to_string(&file).expect("read"),
        "(runtimes: [])\n"
    );
}

/// Loads the built-in catalogue with `file`'s text changed by `edit`, plus `extra` as a
/// user file; the errors, joined.
fn load_edited(file: &str, edit: impl Fn(&str) -> String, extra: Option<&str>) -> String {
    let mut sources = headroom::catalog::built_in_sources();
    let source = sources
        .iter_mut()
        .find(|s| s.label.ends_with(file))
        .expect("built-in file");
    let edited = edit(&source.text);
    assert_ne!(edited, source.text, "the edit changed nothing");
    source.text = edited;
    if let Some(text) = extra {
        sources.push(headroom::catalog::SourceText {
            origin: headroom::engine::types::Origin::User("extra.ron".to_owned()),
            label: "extra.ron".to_owned(),
            text: text.to_owned(),
        });
    }
    match headroom::catalog::load(&sources) {
        Ok(_) => String::new(),
        Err(errors) => headroom::catalog::error::join(&errors),
    }
}

/// The first line of `text` that contains `needle`, with its newline.
fn line_with(text: &str, needle: &str) -> String {
    text.split_inclusive('\n')
        .find(|l| l.contains(needle))
        .expect("line")
        .to_owned()
}

#[test]
fn the_catalogue_refuses_a_memory_option_twice() {
    let errors = load_edited(
        "machines.ron",
        |t| {
            let line = line_with(t, "(per_device_gb: 24, price_usd: Some(2599)");
            t.replacen(&line, &format!("{line}{line}"), 1)
        },
        None,
    );
    assert!(errors.contains("two memory options of 24 GB"), "{errors}");
    assert!(errors.contains("machines.ron:"), "{errors}");
}

#[test]
fn the_catalogue_refuses_a_quant_twice_and_an_impossible_gguf_size() {
    let errors = load_edited(
        "models.ron",
        |t| {
            let line = line_with(t, "(quant: \"Q4_K_M\", bytes: 18556689568");
            t.replacen(&line, &format!("{line}{line}"), 1)
        },
        None,
    );
    assert!(
        errors.contains("two GGUF files for quant \"Q4_K_M\""),
        "{errors}"
    );
    let errors = load_edited(
        "models.ron",
        |t| t.replacen("bytes: 18556689568", "bytes: 18446744073709551615", 1),
        None,
    );
    assert!(
        errors.contains("GGUF size 18446744073709551615"),
        "{errors}"
    );
}

#[test]
fn the_catalogue_refuses_impossible_benchmark_rows_and_contexts() {
    let keep = |t: &str| format!("{t}\n");
    let row = |runtime: &str, tps: &str| {
        format!(
            "(benchmarks: [(machine: \"pc-rtx-4090\", runtime: \"{runtime}\", model: \"llama-3.1-8b\", quant: \"Q4_K_M\", test: \"tg128\", tokens_per_s: {tps}, source: \"measured: test\")])"
        )
    };
    let errors = load_edited("benchmarks.ron", keep, Some(&row("metal", "50.0")));
    assert!(errors.contains("does not run metal"), "{errors}");
    let errors = load_edited("benchmarks.ron", keep, Some(&row("cuda", "1e9")));
    assert!(
        errors.contains("physical bound") && errors.contains("tokens_per_s"),
        "{errors}"
    );
    // A row within physics loads.
    let errors = load_edited("benchmarks.ron", keep, Some(&row("cuda", "150.0")));
    assert!(errors.is_empty(), "{errors}");
    let errors = load_edited(
        "workloads.ron",
        |t| t.replacen("context_tokens: Some(262144)", "context_tokens: Some(1)", 1),
        None,
    );
    assert!(errors.contains("context_tokens 1"), "{errors}");
}

/// An Ollama store with one model whose manifest directory is `model` and whose params blob
/// holds `params`.
fn ollama_store(dir: &Path, model: &str, params: &[u8]) {
    use headroom::local::testgguf::{write_test_gguf, TestGguf};
    let blobs = dir.join("blobs");
    std::fs::create_dir_all(&blobs).expect("blobs");
    let gguf = dir.join("tmp.gguf");
    write_test_gguf(&gguf, &TestGguf::qwen3_coder_30b_a3b()).expect("gguf");
    let bytes = std::fs::read(&gguf).expect("read");
    std::fs::remove_file(&gguf).expect("rm");
    let put = |n: u8, content: &[u8]| {
        let hex = format!("{n:02x}").repeat(32);
        std::fs::write(blobs.join(format!("sha256-{hex}")), content).expect("blob");
        format!("sha256:{hex}")
    };
    let model_digest = put(1, &bytes);
    let params_digest = put(2, params);
    let manifests = dir.join("manifests/registry.ollama.ai/library").join(model);
    std::fs::create_dir_all(&manifests).expect("manifests");
    let manifest = format!(
        r#"{{"schemaVersion":2,"layers":[{{"mediaType":"application/vnd.ollama.image.model","digest":"{model_digest}","size":{}}},{{"mediaType":"application/vnd.ollama.image.params","digest":"{params_digest}","size":{}}}]}}"#,
        bytes.len(),
        params.len()
    );
    std::fs::write(manifests.join("latest"), manifest).expect("manifest");
}

fn diagnose_store(store: &Path, env: &[(&str, &str)]) -> (i32, String, String) {
    let out = Command::new(BIN)
        .args([
            "--no-user-catalog",
            "diagnose",
            "--have",
            "mac-mini-m4-pro-20c@48",
        ])
        .args(["--no-api", "--ollama-dir", s(store)])
        .env_remove("OLLAMA_KV_CACHE_TYPE")
        .env_remove("OLLAMA_FLASH_ATTENTION")
        .env_remove("OLLAMA_CONTEXT_LENGTH")
        .envs(env.iter().copied())
        .output()
        .expect("run");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn unreadable_ollama_params_are_not_ollamas_default() {
    for params in [
        &b"not json"[..],
        br#"{"num_ctx":"lots"}"#,
        br#"{"num_ctx":0}"#,
    ] {
        let dir = tempfile::tempdir().expect("tempdir");
        ollama_store(dir.path(), "qwen3-coder", params);
        let (code, out, err) = diagnose_store(dir.path(), &[]);
        assert_eq!(code, 0, "{err}");
        assert!(out.contains("unreadable params"), "{out}");
        assert!(
            !out.contains("Ollama's default, since the model's params set no num_ctx"),
            "{out}"
        );
    }
}

#[test]
fn a_kv_type_ollama_does_not_accept_is_not_reported_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    ollama_store(dir.path(), "qwen3-coder", br#"{"num_ctx":131072}"#);
    let (code, out, err) = diagnose_store(
        dir.path(),
        &[
            ("OLLAMA_KV_CACHE_TYPE", "f32"),
            ("OLLAMA_FLASH_ATTENTION", "1"),
        ],
    );
    assert_eq!(code, 0, "{err}");
    assert!(!out.contains("cache as f32"), "{out}");
    assert!(out.contains("not a cache type Ollama accepts"), "{out}");
}

#[test]
fn terminal_escapes_in_model_names_are_not_printed_raw() {
    let dir = tempfile::tempdir().expect("tempdir");
    ollama_store(
        dir.path(),
        "evil\u{1b}]0;owned\u{7}\u{1b}[2J",
        br#"{"num_ctx":131072}"#,
    );
    let (code, out, err) = diagnose_store(dir.path(), &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("evil"), "{out}");
    assert!(!out.contains('\u{1b}') && !out.contains('\u{7}'), "{out:?}");
}

#[test]
fn diagnose_model_files_that_are_not_models_are_bad_input() {
    let dir = tempfile::tempdir().expect("tempdir");
    let junk = dir.path().join("junk.gguf");
    std::fs::write(&junk, b"this is not a GGUF file at all").expect("write");
    let base = ["diagnose", "--have", "mac-mini-m4-pro-20c@48", "--no-api"];
    let run = |extra: &[&str]| {
        let mut args = base.to_vec();
        args.extend_from_slice(extra);
        headroom_within(30, &args)
    };
    let (code, _, err) = run(&["--model-file", s(&junk)]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("junk.gguf"), "{err}");
    #[cfg(unix)]
    {
        let (code, _, err) = run(&["--model-file", "/dev/zero"]);
        assert_eq!(code, 2, "{err}");
        assert!(
            err.contains("character device") && !err.contains("no such file"),
            "{err}"
        );
    }
    let (code, _, err) = run(&["--model-file", s(dir.path())]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("directory"), "{err}");
    let (code, _, err) = headroom_within(
        30,
        &[
            "diagnose",
            "--have",
            "mac-mini-m4-pro-20c@48",
            "--ollama-url",
            "notaurl",
        ],
    );
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--ollama-url"), "{err}");
}

// ---------------------------------------------------------------------------------------
// 7. The fuzz targets' bodies, run briefly on every `cargo test` (fuzz/ runs them for long)
// ---------------------------------------------------------------------------------------

mod fuzz_smoke {
    use proptest::prelude::*;

    /// Real text cut and spliced: mostly-valid input reaches deeper than random bytes.
    fn mutated(base: &'static str) -> impl Strategy<Value = String> {
        (0..base.len(), 0..base.len(), ".{0,12}").prop_map(move |(a, b, insert)| {
            let (a, b) = (a.min(b), a.max(b));
            let cut = |i: usize| {
                (0..=i)
                    .rev()
                    .find(|j| base.is_char_boundary(*j))
                    .unwrap_or(0)
            };
            format!("{}{insert}{}", &base[..cut(a)], &base[cut(b)..])
        })
    }

    const USER_CATALOGUE: &str = include_str!("fixtures/hostile/commented_benchmarks.ron");
    const BENCH_CSV: &str = include_str!("fixtures/llama_bench/m2_ultra_llama7b.csv");
    const BENCH_JSON: &str = include_str!("fixtures/llama_bench/strix_halo_gpt_oss_20b.json");

    fn catalogue_body(text: &str) {
        let user = headroom::catalog::SourceText {
            origin: headroom::engine::types::Origin::User("fuzz.ron".to_owned()),
            label: "fuzz.ron".to_owned(),
            text: text.to_owned(),
        };
        let _ = headroom::catalog::validate::parse(&user);
        let _ = headroom::catalog::span::append_to_list(text, "benchmarks", &["(a: 1)".to_owned()]);
    }

    fn llama_bench_body(text: &str) {
        if let Ok(rows) = headroom::detect::parse_llama_bench(text) {
            for r in &rows {
                assert!(r.avg_tokens_per_s.is_finite() && r.avg_tokens_per_s > 0.0);
                let _ = headroom::detect::guess_quant(&r.model_type);
                let _ = r.test_date();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        #[test]
        fn catalogue_text_never_panics(text in mutated(USER_CATALOGUE)) {
            catalogue_body(&text);
        }

        #[test]
        fn arbitrary_catalogue_text_never_panics(text in "[()\\[\\]:,\"#!/*a-z0-9 \n\u{e9}\\\\r]{0,80}") {
            catalogue_body(&text);
        }

        #[test]
        fn llama_bench_text_never_panics(csv in mutated(BENCH_CSV), json in mutated(BENCH_JSON)) {
            llama_bench_body(&csv);
            llama_bench_body(&json);
        }
    }
}

/// A sane GGUF header summary of a small dense model, to break one field at a time.
fn sane_gguf() -> headroom::local::gguf::GgufInfo {
    headroom::local::gguf::GgufInfo {
        architecture: Some("llama".to_owned()),
        context_length_tokens: Some(8192),
        block_count: Some(32),
        embedding_length: Some(4096),
        head_count: Some(32),
        head_count_kv: Some(8),
        key_length: Some(128),
        total_elements: 8_000_000_000,
        total_tensor_bytes: 4_900_000_000,
        ..Default::default()
    }
}

fn model_from(
    g: &headroom::local::gguf::GgufInfo,
) -> Result<headroom::engine::types::Model, String> {
    let local = headroom::local::scan::LocalModel {
        source: headroom::local::scan::ModelSource::File,
        name: "odd.gguf".to_owned(),
        path: PathBuf::from("/models/odd.gguf"),
        file_bytes: Some(g.total_tensor_bytes),
        gguf: Ok(g.clone()),
        configured_context_tokens: None,
        context_label_tokens: None,
        params: Default::default(),
        problems: Vec::new(),
    };
    headroom::diagnose::identify::model_from_gguf(&local, g)
}

#[test]
fn gguf_headers_that_cannot_describe_a_model_are_refused() {
    assert!(model_from(&sane_gguf()).is_ok());
    type Break = Box<dyn Fn(&mut headroom::local::gguf::GgufInfo)>;
    let cases: Vec<(&str, Break)> = vec![
        ("head_count_kv", Box::new(|g| g.head_count_kv = Some(0))),
        ("head_count_kv", Box::new(|g| g.head_count_kv = Some(64))),
        ("key_length", Box::new(|g| g.key_length = Some(0))),
        (
            "context_length",
            Box::new(|g| g.context_length_tokens = Some(0)),
        ),
        (
            "block_count",
            Box::new(|g| g.block_count = Some(4_000_000_000)),
        ),
        (
            "expert_used_count",
            Box::new(|g| {
                g.expert_count = Some(8);
                g.expert_used_count = Some(9);
            }),
        ),
    ];
    for (field, break_it) in cases {
        let mut g = sane_gguf();
        break_it(&mut g);
        let e = model_from(&g).expect_err(field);
        assert!(e.contains(field) && e.contains("odd.gguf"), "{e}");
    }
}
