//! The command line as a user runs it: exit codes, JSON keys, import of llama-bench runs.

use std::process::Command;

fn headroom(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["--no-user-catalog"])
        .args(args)
        .output()
        .expect("run headroom");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn estimate_json_has_the_documented_keys() {
    let (code, stdout, stderr) = headroom(&[
        "estimate",
        "--machine",
        "mac-studio-m2-ultra-60c",
        "--memory-gb",
        "64",
        "--model",
        "qwen3-coder-30b-a3b",
        "--quant",
        "Q4_K_M",
        "--prompt",
        "146760",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    for key in [
        "fits",
        "placement",
        "memory",
        "max_context_tokens",
        "prefill_tokens_per_s",
        "prefill_secs",
        "decode_tokens_per_s",
        "total_secs",
        "bottleneck",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    for key in [
        "weights_bytes",
        "kv_cache_bytes",
        "overhead_bytes",
        "total_bytes",
        "usable_bytes",
        "headroom_bytes",
    ] {
        assert!(v["memory"].get(key).is_some(), "missing memory.{key}");
    }
    assert_eq!(v["placement"], "accelerator");
    assert_eq!(v["memory"]["kv_cache_bytes"], 25_769_803_776_u64);
    assert!(
        v["prefill_secs"].as_f64().expect("secs") > 300.0,
        "the 5-minute wall"
    );
}

#[test]
fn bad_input_exits_2_with_the_closest_ids() {
    let (code, _, stderr) = headroom(&[
        "estimate",
        "--machine",
        "dgx-sprak",
        "--model",
        "llama-3.1-70b",
        "--quant",
        "Q4_K_M",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("unknown machine \"dgx-sprak\""), "{stderr}");
    assert!(stderr.contains("dgx-spark"), "{stderr}");
    let (code, _, stderr) = headroom(&[
        "rank",
        "--workload",
        "agentic-coding",
        "--have",
        "mac-studio-m2-ultra-60c@65",
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("has no 65 GB option"), "{stderr}");
}

#[test]
fn a_broken_user_catalogue_exits_2_naming_file_line_and_column() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("bad.ron");
    std::fs::write(
        &path,
        "(\n    machines: [\n        (id: \"x\",, name: \"y\"),\n    ],\n)\n",
    )
    .expect("write");
    let (code, stdout, stderr) = headroom(&[
        "--catalog",
        path.to_str().expect("utf8"),
        "catalog",
        "machines",
    ]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(stderr.contains("bad.ron:3:"), "{stderr}");
}

#[test]
fn report_writes_markdown_and_nothing_on_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("decision.md");
    let out_s = out.to_str().expect("utf8");
    let (code, _, stderr) = headroom(&[
        "report",
        "--workload",
        "agentic-coding",
        "--have",
        "mac-studio-m2-ultra-60c@64",
        "--out",
        out_s,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(&out).expect("written");
    assert!(
        md.contains(
            "**Buy nothing, change settings: raise the client timeout for multi-file edits"
        ),
        "{md}"
    );
    assert!(md.contains("| weights | KV cache |"));
    let bad = dir.path().join("bad.md");
    let (code, _, _) = headroom(&[
        "report",
        "--workload",
        "no-such-mix",
        "--out",
        bad.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 2);
    assert!(!bad.exists(), "nothing is written on error");
}

#[test]
fn imported_llama_bench_runs_calibrate_the_machine() {
    let dir = tempfile::tempdir().expect("tempdir");
    let saved = dir.path().join("mine.ron");
    let saved_s = saved.to_str().expect("utf8");
    let fixture = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/llama_bench/m2_ultra_llama7b.csv"
    );
    let (code, stdout, stderr) = headroom(&[
        "import-bench",
        fixture,
        "--have",
        "mac-studio-m2-ultra-76c@192",
        "--save-to",
        saved_s,
    ]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("measured"), "{stdout}");
    assert!(saved.exists());
    let (code, stdout, stderr) = headroom(&[
        "--catalog",
        saved_s,
        "estimate",
        "--machine",
        "mac-studio-m2-ultra-76c",
        "--model",
        "llama-2-7b",
        "--quant",
        "Q4_0",
        "--context",
        "1024",
        "--json",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert_eq!(v["calibrated_from_your_runs"], true);
    // Importing the same runs twice keeps the first import and adds no duplicates.
    let (code, _, stderr) = headroom(&[
        "import-bench",
        fixture,
        "--have",
        "mac-studio-m2-ultra-76c@192",
        "--save-to",
        saved_s,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let text = std::fs::read_to_string(&saved).expect("saved");
    assert_eq!(text.matches("machine:").count(), 2, "{text}");
}

/// Runs the real probes, so it asserts only what holds on any machine: a JSON answer with
/// some RAM and a match (a catalogue machine or one built from detection).
#[test]
fn detect_answers_in_json_on_any_machine() {
    let (code, stdout, stderr) = headroom(&["detect", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let v: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    assert!(v["detection"]["total_ram_bytes"].as_u64().expect("ram") > 0);
    assert!(v.get("matched").is_some());
}

/// Runs the real probes, so it asserts only what holds on any machine.
#[test]
fn have_this_ranks_the_detected_machine_at_zero_cost() {
    let (code, out, err) = headroom(&["rank", "--workload", "chat", "--have", "this", "--json"]);
    assert_eq!(code, 0, "{err}");
    let v: serde_json::Value = serde_json::from_str(&out).expect("json");
    let entries = v["entries"].as_array().expect("entries");
    // Whatever this machine is (a catalogue machine, or one built from detection), exactly
    // one entry is "yours", at $0.
    let yours: Vec<&serde_json::Value> = entries
        .iter()
        .filter(|e| e["is_current"] == serde_json::Value::Bool(true))
        .collect();
    assert_eq!(yours.len(), 1, "{out}");
    assert_eq!(yours[0]["price_usd"].as_f64(), Some(0.0));
}

/// `calibrate --write` on the shipped runtimes file changes nothing: the stored values are
/// exactly what the fit produces from the shipped rows.
#[test]
fn calibrate_write_reproduces_the_shipped_runtimes_file() {
    let shipped =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/catalog/runtimes.ron"))
            .expect("runtimes.ron");
    let dir = tempfile::tempdir().expect("tempdir");
    let copy = dir.path().join("runtimes.ron");
    std::fs::write(&copy, &shipped).expect("copy");
    let (code, _, err) = headroom(&["calibrate", "--write", copy.to_str().expect("utf-8")]);
    assert_eq!(code, 0, "{err}");
    let written = std::fs::read_to_string(&copy).expect("written");
    assert_eq!(
        written, shipped,
        "run `headroom calibrate --write catalog/runtimes.ron`"
    );
}

/// `validate` counts only the rows that describe llama.cpp now and says how many older runs
/// it set aside; `--count-superseded` counts them too, so both figures can be re-measured.
#[test]
fn validate_sets_superseded_rows_apart_and_can_count_them() {
    let all_rows = |text: &str| -> Vec<usize> {
        text.lines()
            .filter(|l| l.trim_start().starts_with("all "))
            .map(|l| {
                l.split_whitespace()
                    .nth(1)
                    .and_then(|n| n.parse().ok())
                    .expect("a row count")
            })
            .collect()
    };
    let (code, current, stderr) = headroom(&["validate", "--summary"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, counted, stderr) = headroom(&["validate", "--summary", "--count-superseded"]);
    assert_eq!(code, 0, "{stderr}");
    let (current_rows, counted_rows) = (all_rows(&current), all_rows(&counted));
    assert_eq!(
        current_rows.len(),
        4,
        "in-sample, leave-one-machine-out, leave-one-source-out, time split:\n{current}"
    );
    assert_eq!(counted_rows.len(), 4, "{counted}");
    let superseded: usize = current
        .lines()
        .find(|l| l.trim_start().starts_with("superseded"))
        .and_then(|l| l.split_whitespace().nth(3)?.parse().ok())
        .expect("a superseded line with its row count");
    assert!(superseded > 0);
    for (now, all) in current_rows.iter().zip(&counted_rows).take(3) {
        assert_eq!(now + superseded, *all);
    }
    assert!(
        !counted
            .lines()
            .any(|l| l.trim_start().starts_with("superseded")),
        "{counted}"
    );
}

/// The full listing marks each superseded row with its reason, and names each retired build
/// flag with when it went and the source that says so.
#[test]
fn validate_names_why_a_row_is_superseded() {
    let (code, out, stderr) = headroom(&["validate"]);
    assert_eq!(code, 0, "{stderr}");
    let marked = |reason: &str| out.lines().filter(|l| l.ends_with(reason)).count();
    assert_eq!(marked("superseded: newer run"), 65, "{out}");
    assert_eq!(marked("superseded: retired build flag"), 57, "{out}");
    assert_eq!(marked("superseded: retired driver"), 20, "{out}");
    assert_eq!(marked("superseded: replaced kernel"), 125, "{out}");
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("amdvlk discontinued")
                && l.contains("https://github.com/GPUOpen-Drivers/AMDVLK/issues/405")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l
            .trim_start()
            .starts_with("before 2026-05: flash-attention prefill")),
        "{out}"
    );
    assert!(
        out.lines().any(|l| l
            .trim_start()
            .starts_with("https://github.com/ggml-org/llama.cpp/pull/22880")),
        "{out}"
    );
    assert!(
        out.lines().any(
            |l| l.trim_start().starts_with("GGML_HIP_ROCWMMA_FATTN removed")
                && l.contains("https://github.com/ggml-org/llama.cpp/issues/26220")
        ),
        "{out}"
    );
    // Rows of the same machine built without the flag stay current.
    assert!(out
        .lines()
        .any(|l| l.starts_with("framework-desktop-ryzen-ai-max-395")
            && l.contains(" rocm ")
            && !l.contains("superseded")));
}

/// `validate --json` gives every row its reason for being set aside (or `null`), in the
/// same counts as the listing, and the summaries of both fits.
#[test]
fn validate_json_gives_each_row_its_reason() {
    let (code, out, stderr) = headroom(&["validate", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&out).expect("JSON");
    let rows = json["in_sample"]["predictions"]
        .as_array()
        .expect("in_sample rows");
    let count = |reason: Option<&str>| {
        rows.iter()
            .filter(|r| r["superseded"].as_str() == reason)
            .count()
    };
    assert_eq!(count(Some("newer-run")), 65);
    assert_eq!(count(Some("retired-build-flag")), 57);
    assert_eq!(count(Some("retired-driver")), 20);
    assert_eq!(count(Some("replaced-kernel")), 125);
    assert_eq!(count(None) + 65 + 57 + 20 + 125, rows.len());
    for protocol in [
        "leave_one_machine_out",
        "leave_one_source_out",
        "time_split",
    ] {
        let summary = json[protocol]["summary"]
            .as_array()
            .expect("held-out summary");
        let decode = summary
            .iter()
            .find(|s| s["group"] == "decode")
            .expect("a decode group");
        assert!(decode["rows"].as_u64().is_some_and(|n| n > 60), "{decode}");
        assert!(decode["median_abs_pct_error"].as_f64().is_some());
        let coverage = json[protocol]["coverage"].as_array().expect("coverage");
        assert!(coverage[0]["share"].as_f64().is_some(), "{protocol}");
    }
}

/// The founding story's `rank` arguments with the cloud off.
const FOUNDING_NO_CLOUD: &[&str] = &[
    "--workload",
    "agentic-coding",
    "--have",
    "mac-studio-m2-ultra-60c@64",
    "--no-cloud",
    "--objective",
    "cheapest",
    "--budget-max",
    "10000",
];

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or("")
}

#[test]
fn rank_opens_with_the_verdict_a_timeout_to_raise_or_a_machine_when_the_wait_is_limited() {
    let mut args = vec!["rank"];
    args.extend_from_slice(FOUNDING_NO_CLOUD);
    let (code, stdout, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let line = first_line(&stdout);
    assert!(line.starts_with("Buy nothing, change settings: raise the client timeout for multi-file edits from 300 s to at least "), "{line}");
    let secs: u64 = line
        .split("to at least ")
        .nth(1)
        .and_then(|r| r.split(' ').next())
        .and_then(|n| n.replace(',', "").parse().ok())
        .unwrap_or_else(|| panic!("no timeout value in {line}"));
    assert!(secs > 300, "{line}");

    args.extend_from_slice(&["--max-wait", "300"]);
    let (code, stdout, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let line = first_line(&stdout);
    assert!(line.starts_with("Buy the "), "{line}");
    assert!(line.contains(" for $"), "{line}");

    // The same verdict opens the decision summary.
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("decision.md");
    let mut report = vec!["report"];
    report.extend_from_slice(FOUNDING_NO_CLOUD);
    report.extend_from_slice(&["--out", out.to_str().expect("utf8")]);
    let (code, _, stderr) = headroom(&report);
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(&out).expect("written");
    let first_paragraph = md
        .split("\n\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no paragraph in {md}"));
    let (_, stdout, _) = headroom(&{
        let mut a = vec!["rank"];
        a.extend_from_slice(FOUNDING_NO_CLOUD);
        a
    });
    assert_eq!(first_paragraph, format!("**{}**", first_line(&stdout)));
}

#[test]
fn rank_json_carries_the_verdict_object_and_bad_limits_are_refused() {
    let mut args = vec!["rank", "--json"];
    args.extend_from_slice(FOUNDING_NO_CLOUD);
    let (code, stdout, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["verdict"]["kind"], "change-settings");
    assert_eq!(json["verdict"]["settings"][0]["kind"], "client-timeout");
    for bad in [["--max-wait", "0"], ["--seen-decode=-1", ""]] {
        let mut a = vec!["rank"];
        a.extend_from_slice(FOUNDING_NO_CLOUD);
        a.extend(bad.iter().filter(|s| !s.is_empty()));
        let (code, _, stderr) = headroom(&a);
        assert_eq!(code, 2, "{bad:?}");
        let flag = bad[0].split('=').next().unwrap_or_default();
        assert!(stderr.contains(flag), "{stderr}");
    }
}

#[test]
fn diagnose_reads_its_machine_and_limits_from_a_saved_scenario() {
    let dir = tempfile::tempdir().expect("tempdir");
    // A scenario as the window saves it: the founding mix on the M2 Ultra.
    let catalog = headroom::catalog::built_in().expect("catalogue");
    let mut scenario = headroom::scenario::Scenario::first_run(&catalog);
    scenario.options.have = Some(headroom::engine::rank::Owned {
        machine: "mac-studio-m2-ultra-60c".to_owned(),
        per_device_gb: 64.0,
    });
    let path = dir.path().join("s.ron");
    std::fs::write(&path, scenario.to_ron().expect("ron")).expect("write");
    let store = dir.path().join("store");
    std::fs::create_dir_all(store.join("manifests")).expect("store");
    let (code, stdout, stderr) = headroom(&[
        "diagnose",
        "--json",
        "--no-api",
        "--ollama-dir",
        store.to_str().expect("utf8"),
        "--scenario",
        path.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    assert_eq!(json["machine"]["id"], "mac-studio-m2-ultra-60c");
    assert_eq!(json["machine"]["how"], "from the scenario");
    assert_eq!(json["user"]["largest_prompt_tokens"], 146_760);
    assert_eq!(json["user"]["timeout_secs"], 300.0);
}

#[test]
fn rank_takes_users_at_once_and_the_hours_requests_come_in() {
    let base = ["rank", "--json", "--workload", "chat", "--top", "3"];
    let (code, stdout, stderr) = headroom(&base);
    assert_eq!(code, 0, "{stderr}");
    let alone: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let mut args = base.to_vec();
    args.extend_from_slice(&["--users", "8", "--active-hours", "8"]);
    let (code, stdout, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let eight: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let entry = &eight["entries"][0];
    assert_eq!(entry["mix"]["queue"]["slots"], 8);
    let rate = |v: &serde_json::Value| {
        v["mix"]["queue"]["arrivals_per_hour"]
            .as_f64()
            .unwrap_or(0.0)
    };
    // The same requests in a third of the day arrive three times as fast.
    assert!((rate(entry) - 3.0 * rate(&alone["entries"][0])).abs() < 1e-6 * rate(entry));
    for bad in [["--users", "0"], ["--active-hours", "30"]] {
        let mut a = base.to_vec();
        a.extend_from_slice(&bad);
        let (code, _, stderr) = headroom(&a);
        assert_eq!(code, 2, "{bad:?}: {stderr}");
        assert!(stderr.contains(bad[0]), "{stderr}");
    }
}

#[test]
fn validate_json_carries_every_predicted_serving_row() {
    let (code, stdout, stderr) = headroom(&["validate", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let json: serde_json::Value = serde_json::from_str(&stdout).expect("json");
    let rows = json["serving"].as_array().expect("a serving list");
    for kind in ["parallel", "speculative", "expert-offload"] {
        assert!(
            rows.iter().any(|r| r["case"] == kind),
            "no {kind} row in {rows:?}"
        );
    }
    for row in rows {
        assert!(row["measured"].as_f64().is_some_and(|m| m > 0.0), "{row}");
        assert!(row["predicted"].as_f64().is_some_and(|p| p > 0.0), "{row}");
        assert!(
            row["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("http")),
            "{row}"
        );
    }
}

/// A case the catalogue lists as one headroom predicts badly says so, in words and in the
/// JSON, and its likely range reaches down to what its held-out measurements ran; the same
/// machine on a short prompt is not that case.
#[test]
fn estimate_says_when_headroom_is_known_to_miss_the_case() {
    let run = |prompt: &str| {
        let args = [
            "estimate",
            "--machine",
            "framework-desktop-ryzen-ai-max-395",
            "--runtime",
            "vulkan",
            "--model",
            "gpt-oss-20b",
            "--quant",
            "MXFP4",
            "--prompt",
            prompt,
        ];
        let (code, text, stderr) = headroom(&args);
        assert_eq!(code, 0, "{stderr}");
        let (code, json, stderr) = headroom(&[&args[..], &["--json"]].concat());
        assert_eq!(code, 0, "{stderr}");
        let v: serde_json::Value = serde_json::from_str(&json).expect("JSON");
        (text, v)
    };
    let (text, v) = run("40000");
    assert!(
        text.contains("headroom is known to miss this case"),
        "{text}"
    );
    let band = &v["known_miss"]["band"];
    let low = band["low"].as_f64().expect("a measured spread");
    assert!(low < 0.5, "{band}");
    let predicted = v["prefill_tokens_per_s"].as_f64().expect("prefill");
    let range_low = v["prefill_tokens_per_s_range"][0].as_f64().expect("range");
    assert!(
        range_low <= predicted * low * 1.001,
        "the range starts at {range_low}, the case ran down to {low} x {predicted}"
    );
    let (text, v) = run("512");
    assert!(!text.contains("known to miss"), "{text}");
    assert!(v["known_miss"].is_null());
}
