//! `headroom diagnose`: the founding story (a `v-128k` label and num_ctx 131072 on a model that
//! supports 262,144 tokens, plus a 300 s timeout) found in a fake Ollama store, through a fake
//! Ollama API, with Ollama down, for a model the catalogue lacks, for broken files, and from
//! the built binary.
//!
//! Prefill speeds are being calibrated: these tests assert verdicts and relationships
//! (predicted time vs timeout), never exact seconds.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{json, Value};

use headroom::catalog;
use headroom::diagnose::{
    diagnose, gather, DiagnoseInput, Diagnosis, LimitSource, MachineSetup, MatchedBy,
    ModelDiagnosis, UserLimits, Verdict,
};
use headroom::engine::types::Catalog;
use headroom::local::ollama::{OllamaClient, OllamaKvSettings};
use headroom::local::scan::{LocalModel, ScanRoots};
use headroom::local::testgguf::{write_test_gguf, TestGguf, TestValue};
use headroom::present::diagnosis::{
    context_words, findings_words, fix_step_words, hardware_words, headline_words, prefill_words,
};

const MACHINE: &str = "mac-studio-m2-ultra-60c";
const MODEL_NAME: &str = "qwen3-coder:30b-a3b-v-128k";
const PROMPT_TOKENS: u64 = 146_760;
const TIMEOUT_SECS: f64 = 300.0;

fn catalog() -> Catalog {
    match catalog::built_in() {
        Ok(c) => c,
        Err(errors) => panic!(
            "built-in catalogue does not load:\n{}",
            catalog::error::join(&errors)
        ),
    }
}

/// Writes a blob named after a fake but well-formed sha256 digest and returns the digest.
fn put_blob(models: &Path, n: u8, content: &[u8]) -> String {
    let hex = format!("{n:02x}").repeat(32);
    let path = models.join("blobs").join(format!("sha256-{hex}"));
    std::fs::create_dir_all(models.join("blobs")).expect("blobs dir");
    std::fs::write(path, content).expect("blob");
    format!("sha256:{hex}")
}

/// Writes an Ollama store holding `qwen3-coder:30b-a3b-v-128k` with num_ctx 131072 and
/// `gguf` as its model blob.
fn founding_store(models: &Path, gguf: &TestGguf) {
    let blob = models.join("model.gguf");
    write_test_gguf(&blob, gguf).expect("test gguf");
    let bytes = std::fs::read(&blob).expect("read back");
    std::fs::remove_file(&blob).expect("remove");
    let model = put_blob(models, 1, &bytes);
    let params = put_blob(
        models,
        2,
        br#"{"num_ctx":131072,"stop":["<|im_start|>","<|im_end|>"]}"#,
    );
    let manifest_dir = models.join("manifests/registry.ollama.ai/library/qwen3-coder");
    std::fs::create_dir_all(&manifest_dir).expect("manifest dir");
    let manifest = json!({
        "schemaVersion": 2,
        "layers": [
            {"mediaType": "application/vnd.ollama.image.model", "digest": model, "size": bytes.len()},
            {"mediaType": "application/vnd.ollama.image.params", "digest": params, "size": 60},
        ],
    });
    std::fs::write(manifest_dir.join("30b-a3b-v-128k"), manifest.to_string()).expect("manifest");
}

fn story_user() -> UserLimits {
    UserLimits {
        client_limit_tokens: None,
        timeout_secs: Some(TIMEOUT_SECS),
        largest_prompt_tokens: Some(PROMPT_TOKENS),
        budget_max_usd: 10_000.0,
        max_wait_secs: None,
    }
}

fn run(
    catalog: &Catalog,
    models: &[LocalModel],
    loaded: &[(&str, u64)],
    notes: Vec<String>,
    user: UserLimits,
) -> Diagnosis {
    let machine = catalog.machine(MACHINE).expect("seed machine");
    let input = DiagnoseInput {
        models,
        loaded_context_tokens: loaded.iter().map(|(n, t)| ((*n).to_owned(), *t)).collect(),
        setup: MachineSetup {
            machine,
            per_device_gb: 64.0,
            runtime: machine.default_runtime,
        },
        machine_how: "given with --have".to_owned(),
        user,
        ollama_default_context_tokens: None,
        ollama_kv: OllamaKvSettings::default(),
        notes,
    };
    diagnose(catalog, &input)
}

fn the_model<'d>(d: &'d Diagnosis, name: &str) -> &'d ModelDiagnosis {
    match d.models.iter().find(|m| m.name == name) {
        Some(m) => m,
        None => panic!(
            "no diagnosis for {name}: {:#?}",
            d.models.iter().map(|m| &m.name).collect::<Vec<_>>()
        ),
    }
}

/// The founding story's diagnosis, whichever path read it: the label and num_ctx are the
/// cause, 262,144 fits, and the fix is a Modelfile with num_ctx 262144.
#[track_caller]
fn check_founding_story(d: &Diagnosis) {
    let m = the_model(d, MODEL_NAME);
    assert_eq!(m.verdict, Verdict::Settings, "{:#?}", findings_words(m));
    let identity = m.identity.as_ref().expect("identity");
    assert_eq!(identity.model_id, "qwen3-coder-30b-a3b");
    assert_eq!(identity.matched_by, MatchedBy::Architecture);
    let c = m.context.as_ref().expect("context finding");
    assert_eq!(c.native_tokens, 262_144);
    assert_eq!(c.effective_limit_tokens, 131_072);
    assert_eq!(c.binding.first(), Some(&LimitSource::NumCtx));
    assert!(
        c.binding.contains(&LimitSource::NameLabel),
        "{:?}",
        c.binding
    );
    // 262,144 tokens fit in 48 GiB of GPU memory without touching the wired-memory setting.
    assert_eq!(c.max_fit_tokens, 262_144);
    assert_eq!(c.target_tokens, 262_144);
    assert!(!c.target_needs_setting);
    assert!(c.spare_bytes_at_target > 0.0);
    assert!(c.setting_binding && !c.memory_binding);
    for words in [
        "your limit is 131,072",
        "num_ctx in the model's params",
        "`v-128k` label",
        "262,144 fits in your memory",
        "this is a setting, not your hardware",
    ] {
        let sentence = context_words(c);
        assert!(sentence.contains(words), "missing {words:?} in: {sentence}");
    }
    let modelfile = m.fix.modelfile.as_deref().expect("a Modelfile");
    assert!(
        modelfile.contains(&format!("FROM {MODEL_NAME}\n")),
        "{modelfile}"
    );
    assert!(
        modelfile.contains("PARAMETER num_ctx 262144\n"),
        "{modelfile}"
    );
    assert!(!modelfile.contains("131072"), "{modelfile}");
    assert_eq!(
        m.fix.new_model_name.as_deref(),
        Some("qwen3-coder:30b-a3b-256k")
    );
    assert_eq!(
        m.fix.ollama_create.as_deref(),
        Some("ollama create qwen3-coder:30b-a3b-256k -f Modelfile")
    );
    // The prompt overflowed the 131,072 limit; after the fix it fits.
    let p = m.prefill.as_ref().expect("prefill finding");
    assert!(p.over_context_limit && !p.over_native && p.fits_in_memory);
    let predicted = p.predicted_secs.expect("a prediction");
    assert_eq!(p.cut_off, Some(predicted > TIMEOUT_SECS));
    let hardware = m.hardware.as_ref().expect("hardware finding");
    assert!(!hardware.helps, "{}", hardware_words(hardware));
    assert!(hardware.current_serves_after_fix);
    // Hardware is weighed only after the settings.
    let findings = findings_words(m);
    let context_at = findings.iter().position(|f| f == &context_words(c));
    let hardware_at = findings.iter().position(|f| f == &hardware_words(hardware));
    assert!(
        context_at.is_some() && context_at < hardware_at,
        "{findings:#?}"
    );
}

fn store_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    founding_store(dir.path(), &TestGguf::qwen3_coder_30b_a3b());
    dir
}

fn roots(store: &Path) -> ScanRoots {
    ScanRoots {
        ollama_models: Some(store.to_path_buf()),
        ..ScanRoots::default()
    }
}

#[test]
fn founding_story_from_the_store_is_a_setting_not_the_hardware() {
    let catalog = catalog();
    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let d = run(&catalog, &found.models, &[], found.notes, story_user());
    check_founding_story(&d);
    assert!(
        headline_words(d.headline).starts_with("Fix the settings before you buy anything"),
        "{:?}",
        d.headline
    );
}

#[test]
fn the_timeout_finding_suggests_a_timeout_above_the_prediction() {
    let catalog = catalog();
    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let d = run(&catalog, &found.models, &[], Vec::new(), story_user());
    let p = the_model(&d, MODEL_NAME).prefill.clone().expect("prefill");
    let predicted = p.predicted_secs.expect("prediction");
    eprintln!("engine: 146,760-token prefill on the M2 Ultra 60c: {predicted:.0} s");
    // Whatever the calibration, a timeout below the prediction must be called out.
    let below = UserLimits {
        timeout_secs: Some((predicted / 2.0).floor()),
        ..story_user()
    };
    let d = run(&catalog, &found.models, &[], Vec::new(), below.clone());
    let m = the_model(&d, MODEL_NAME);
    let p = m.prefill.as_ref().expect("prefill");
    assert_eq!(p.cut_off, Some(true));
    let suggested = p.suggested_timeout_secs.expect("suggested timeout");
    assert!(
        suggested as f64 > predicted,
        "{suggested} s vs {predicted:.0} s"
    );
    let max_prompt = p.max_prompt_tokens_within_timeout.expect("max prompt");
    assert!(max_prompt > 0 && max_prompt < PROMPT_TOKENS, "{max_prompt}");
    assert_eq!(m.fix.timeout_secs, Some(suggested));
    let sentence = prefill_words(p).last().cloned().expect("sentence");
    for words in [
        "a 146,760-token prompt needs about",
        "timeout will cut it off: raise the timeout to at least",
        "or keep prompts under",
    ] {
        assert!(sentence.contains(words), "missing {words:?} in: {sentence}");
    }
    // The fix lists the context first, then the timeout.
    assert_eq!(m.fix.steps.len(), 2, "{:#?}", m.fix.steps);
    assert!(fix_step_words(&m.fix.steps[1]).contains(&format!("at least {suggested} s")));
    // Hardware would not help once the timeout is raised.
    let h = m.hardware.as_ref().expect("hardware");
    assert!(!h.current_serves_within_timeout && h.current_serves_after_fix && !h.helps);
    assert!(
        hardware_words(h).starts_with("hardware would not help once the timeout is raised"),
        "{}",
        hardware_words(h)
    );

    // At 300 s, the verdict follows the engine's prediction (calibration pending).
    let d = run(&catalog, &found.models, &[], Vec::new(), story_user());
    let p = the_model(&d, MODEL_NAME).prefill.clone().expect("prefill");
    assert_eq!(p.cut_off, Some(predicted > TIMEOUT_SECS));
}

/// A fake Ollama serving the founding story's model: answers `requests` requests, then stops.
fn fake_ollama(requests: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..requests {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let Ok(clone) = stream.try_clone() else { break };
            let mut reader = BufReader::new(clone);
            let mut request_line = String::new();
            let _ = reader.read_line(&mut request_line);
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() || line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        content_length = v.trim().parse().unwrap_or(0);
                    }
                }
            }
            let mut body = vec![0u8; content_length];
            let _ = reader.read_exact(&mut body);
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_owned();
            let answer = match path.as_str() {
                "/api/tags" => json!({"models": [{
                    "name": MODEL_NAME, "model": MODEL_NAME, "size": 18_556_689_568u64,
                    "digest": "abc", "details": {"format": "gguf", "family": "qwen3moe",
                    "parameter_size": "30.5B", "quantization_level": "Q4_K_M"}}]}),
                "/api/show" => json!({
                    "parameters": "num_ctx                        131072\nstop                           \"<|im_start|>\"\nstop                           \"<|im_end|>\"",
                    "template": "{{ .Prompt }}",
                    "details": {"family": "qwen3moe", "quantization_level": "Q4_K_M"},
                    "model_info": {
                        "general.architecture": "qwen3moe",
                        "general.parameter_count": 30_532_122_624u64,
                        "qwen3moe.context_length": 262_144,
                        "qwen3moe.block_count": 48,
                        "qwen3moe.embedding_length": 2048,
                        "qwen3moe.attention.head_count": 32,
                        "qwen3moe.attention.head_count_kv": 4,
                        "qwen3moe.attention.key_length": 128,
                        "qwen3moe.expert_count": 128,
                        "qwen3moe.expert_used_count": 8}}),
                "/api/ps" => json!({"models": [{
                    "name": MODEL_NAME, "model": MODEL_NAME, "size": 30_000_000_000u64,
                    "size_vram": 30_000_000_000u64, "context_length": 131_072}]}),
                _ => json!({"error": "not found"}),
            };
            seen.push(path);
            let text = answer.to_string();
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = out.flush();
        }
        seen
    });
    (url, handle)
}

#[test]
fn the_api_alone_gives_the_same_diagnosis() {
    let catalog = catalog();
    let (url, server) = fake_ollama(3);
    let client = OllamaClient::new(&url);
    // No store on disk: everything comes from /api/tags, /api/show and /api/ps.
    let found = gather::gather(&ScanRoots::default(), Some(&client));
    let seen = server.join().expect("server thread");
    assert_eq!(seen, ["/api/tags", "/api/show", "/api/ps"]);
    assert!(found.api_answered);
    assert_eq!(found.loaded_context_tokens.get(MODEL_NAME), Some(&131_072));
    let loaded: Vec<(&str, u64)> = found
        .loaded_context_tokens
        .iter()
        .map(|(k, v)| (k.as_str(), *v))
        .collect();
    let d = run(&catalog, &found.models, &loaded, found.notes, story_user());
    check_founding_story(&d);
    let m = the_model(&d, MODEL_NAME);
    let c = m.context.as_ref().expect("context");
    assert!(c.binding.contains(&LimitSource::Loaded), "{:?}", c.binding);
    // The params came from /api/show and are kept in the Modelfile.
    let modelfile = m.fix.modelfile.as_deref().expect("Modelfile");
    assert!(
        modelfile.contains("PARAMETER stop \"<|im_end|>\""),
        "{modelfile}"
    );
}

#[test]
fn the_store_and_the_api_together_give_one_model() {
    let catalog = catalog();
    let store = store_dir();
    let (url, server) = fake_ollama(3);
    let client = OllamaClient::new(&url);
    let found = gather::gather(&roots(store.path()), Some(&client));
    let _ = server.join();
    assert_eq!(
        found.models.len(),
        1,
        "{:?}",
        found.models.iter().map(|m| &m.name).collect::<Vec<_>>()
    );
    let d = run(&catalog, &found.models, &[], found.notes, story_user());
    check_founding_story(&d);
}

#[test]
fn ollama_down_gives_the_same_diagnosis_from_the_store() {
    let catalog = catalog();
    let store = store_dir();
    let port = {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("addr").port()
    };
    let client = OllamaClient::new(&format!("http://127.0.0.1:{port}"));
    let found = gather::gather(&roots(store.path()), Some(&client));
    assert!(!found.api_answered);
    assert_eq!(found.notes.len(), 1, "{:?}", found.notes);
    assert!(
        found.notes[0].contains("not reachable")
            && found.notes[0].contains("diagnosed from the files"),
        "{}",
        found.notes[0]
    );
    let d = run(&catalog, &found.models, &[], found.notes, story_user());
    check_founding_story(&d);
    assert_eq!(d.notes.len(), 1);
}

#[test]
fn a_model_outside_the_catalogue_is_read_from_the_file() {
    let catalog = catalog();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("tinyformer-3b-Q8_0.gguf");
    let a = |k: &str| format!("tinyformer.{k}");
    let gguf = TestGguf::default()
        .kv("general.architecture", TestValue::Str("tinyformer".into()))
        .kv("general.name", TestValue::Str("Tinyformer 3B".into()))
        .kv("general.file_type", TestValue::U32(7))
        .kv(&a("context_length"), TestValue::U32(65_536))
        .kv(&a("block_count"), TestValue::U32(36))
        .kv(&a("embedding_length"), TestValue::U32(3072))
        .kv(&a("attention.head_count"), TestValue::U32(24))
        .kv(&a("attention.head_count_kv"), TestValue::U32(6))
        .kv(&a("attention.key_length"), TestValue::U32(128))
        .tensor("token_embd.weight", &[256, 4], "Q8_0")
        .tensor("blk.0.attn_q.weight", &[256, 2], "Q8_0");
    write_test_gguf(&path, &gguf).expect("write");
    let found = gather::gather(
        &ScanRoots {
            files: vec![path.clone()],
            ..ScanRoots::default()
        },
        None,
    );
    let d = run(
        &catalog,
        &found.models,
        &[],
        Vec::new(),
        UserLimits {
            client_limit_tokens: Some(16_384),
            ..story_user()
        },
    );
    let m = &d.models[0];
    let id = m.identity.as_ref().expect("identity");
    assert_eq!(id.matched_by, MatchedBy::ReadFromFile);
    assert_eq!(id.model_id, "file:tinyformer-3b-Q8_0");
    assert_eq!(id.architecture.as_deref(), Some("tinyformer"));
    assert_eq!((id.layers, id.kv_heads, id.head_dim), (36, 6, 128));
    assert_eq!(id.native_context_tokens, 65_536);
    assert_eq!(id.quant, "Q8_0");
    assert_eq!(id.weights_source, "the file's tensor table");
    // The client's 16,384 limit binds; the file is tiny, so 65,536 fits.
    let c = m.context.as_ref().expect("context");
    assert_eq!(c.binding, [LimitSource::ClientLimit]);
    assert_eq!(c.target_tokens, 65_536);
    assert_eq!(m.fix.client_limit_tokens, Some(65_536));
    // A GGUF outside Ollama gets no Modelfile.
    assert_eq!(m.fix.modelfile, None);
    // The prompt is longer than the model's native context: no machine helps.
    let p = m.prefill.as_ref().expect("prefill");
    assert!(p.over_native);
    assert!(!m.hardware.as_ref().expect("hardware").helps);
}

#[track_caller]
fn check_unreadable(bytes: &[u8], expected: &str) {
    let catalog = catalog();
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.gguf");
    std::fs::write(&path, bytes).expect("write");
    let found = gather::gather(
        &ScanRoots {
            files: vec![path.clone()],
            ..ScanRoots::default()
        },
        None,
    );
    let d = run(&catalog, &found.models, &[], Vec::new(), story_user());
    let m = &d.models[0];
    assert_eq!(m.verdict, Verdict::Unreadable);
    let error = m.error.as_deref().expect("an error");
    assert!(error.contains(&path.display().to_string()), "{error}");
    assert!(error.contains(expected), "{error}");
}

#[test]
fn hostile_and_truncated_files_give_errors_not_panics() {
    let good = TestGguf::qwen3_coder_30b_a3b().to_bytes().expect("bytes");
    // Cut inside the tensor count, and inside the token list.
    check_unreadable(&good[..10], "file truncated: tensor count at byte 8");
    check_unreadable(&good[..good.len() / 3], "more than the remaining");
    check_unreadable(b"GGML not a gguf at all", "not a GGUF file");
    // Version 3, then 2^63 tensors: a count no file can hold.
    let mut huge = b"GGUF".to_vec();
    huge.extend_from_slice(&3u32.to_le_bytes());
    huge.extend_from_slice(&(1u64 << 63).to_le_bytes());
    huge.extend_from_slice(&0u64.to_le_bytes());
    check_unreadable(&huge, "more than the remaining");
}

#[test]
fn a_broken_blob_with_a_known_name_is_diagnosed_from_the_catalogue() {
    let catalog = catalog();
    let dir = tempfile::tempdir().expect("temp dir");
    founding_store(dir.path(), &TestGguf::qwen3_coder_30b_a3b());
    // Cut the blob short.
    let blob = std::fs::read_dir(dir.path().join("blobs"))
        .expect("blobs")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| std::fs::metadata(p).is_ok_and(|m| m.len() > 200))
        .expect("model blob");
    let bytes = std::fs::read(&blob).expect("read");
    std::fs::write(&blob, &bytes[..100]).expect("truncate");
    let found = gather::gather(&roots(dir.path()), None);
    let d = run(&catalog, &found.models, &[], Vec::new(), story_user());
    let m = the_model(&d, MODEL_NAME);
    assert_eq!(
        m.identity.as_ref().map(|i| i.matched_by),
        Some(MatchedBy::Name)
    );
    assert_eq!(m.verdict, Verdict::Settings);
    assert!(
        m.error
            .as_deref()
            .is_some_and(|e| e.contains(&blob.display().to_string())),
        "{:?}",
        m.error
    );
    assert!(findings_words(m)
        .iter()
        .any(|f| f.contains("the catalogue's figures were used")));
}

#[test]
fn the_decision_summary_includes_the_diagnosis() {
    let catalog = catalog();
    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let d = run(&catalog, &found.models, &[], Vec::new(), story_user());
    let workload = catalog.workload("agentic-coding").expect("seed mix");
    let options = headroom::engine::rank::RankOptions::default();
    let ranking = headroom::engine::rank::rank(&catalog, workload, &options);
    let plain = headroom::report::markdown(&catalog, workload, &options, &ranking, 5);
    let with = headroom::report::markdown_with_diagnosis(
        &catalog,
        workload,
        &options,
        &ranking,
        5,
        Some(&d),
    );
    assert!(!plain.contains("Diagnose before you buy"));
    let diag_at = with
        .find("## Diagnose before you buy")
        .expect("diagnosis section");
    let inputs_at = with.find("## The options").expect("options section");
    assert!(
        diag_at < inputs_at,
        "the diagnosis comes before the purchase"
    );
    assert!(with.contains("PARAMETER num_ctx 262144"));
    assert!(with.contains("ollama create qwen3-coder:30b-a3b-256k -f Modelfile"));
    // Removing the section gives back the plain summary.
    let section = headroom::diagnose::markdown(&d);
    assert_eq!(with.replacen(&format!("{section}\n"), "", 1), plain);
}

fn headroom_cmd() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_headroom"));
    cmd.arg("--no-user-catalog")
        .env_remove("OLLAMA_CONTEXT_LENGTH")
        .env_remove("OLLAMA_MODELS");
    cmd
}

#[test]
fn cli_diagnose_json_and_bad_input() {
    let store = store_dir();
    let store_path: PathBuf = store.path().to_path_buf();
    let out = headroom_cmd()
        .args([
            "diagnose",
            "--json",
            "--have",
            "mac-studio-m2-ultra-60c@64",
            "--no-api",
        ])
        .arg("--ollama-dir")
        .arg(&store_path)
        .args(["--timeout-secs", "300", "--prompt-tokens", "146760"])
        .output()
        .expect("run headroom");
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: Value = serde_json::from_slice(&out.stdout).expect("JSON on stdout");
    for key in ["machine", "user", "models", "notes", "headline"] {
        assert!(json.get(key).is_some(), "missing {key}");
    }
    assert_eq!(json["machine"]["id"], MACHINE);
    let m = &json["models"][0];
    assert_eq!(m["name"], MODEL_NAME);
    assert_eq!(m["verdict"], "settings");
    assert_eq!(m["context"]["native_tokens"], 262_144);
    assert_eq!(m["context"]["effective_limit_tokens"], 131_072);
    assert_eq!(m["context"]["binding"][0], "num-ctx");
    assert_eq!(
        m["fix"]["ollama_create"],
        "ollama create qwen3-coder:30b-a3b-256k -f Modelfile"
    );
    assert!(m["fix"]["modelfile"]
        .as_str()
        .is_some_and(|s| s.contains("PARAMETER num_ctx 262144")));
    assert!(m["prefill"]["predicted_secs"]
        .as_f64()
        .is_some_and(|s| s > 0.0));
    assert!(m["hardware"]["helps"].is_boolean());

    // Text for people names the cause and the fix.
    let out = headroom_cmd()
        .args([
            "diagnose",
            "--have",
            "mac-studio-m2-ultra-60c@64",
            "--no-api",
        ])
        .arg("--ollama-dir")
        .arg(&store_path)
        .args(["--timeout-secs", "300", "--prompt-tokens", "146760"])
        .output()
        .expect("run headroom");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(
        text.contains("this is a setting, not your hardware"),
        "{text}"
    );
    assert!(text.contains("PARAMETER num_ctx 262144"), "{text}");

    #[track_caller]
    fn check_usage(args: &[&str], expected: &str) {
        let out = headroom_cmd().args(args).output().expect("run headroom");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(expected), "{args:?}: {stderr}");
    }
    let store_arg = store_path.to_string_lossy().into_owned();
    check_usage(
        &[
            "diagnose",
            "--have",
            "mac-studio-m9-ultra@64",
            "--no-api",
            "--ollama-dir",
            &store_arg,
        ],
        "unknown machine \"mac-studio-m9-ultra\"",
    );
    check_usage(
        &[
            "diagnose",
            "--have",
            "mac-studio-m2-ultra-60c@63",
            "--no-api",
            "--ollama-dir",
            &store_arg,
        ],
        "has no 63 GB option",
    );
    check_usage(
        &[
            "diagnose",
            "--have",
            "mac-studio-m2-ultra-60c@64",
            "--no-api",
            "--model-file",
            "/nonexistent/x.gguf",
        ],
        "--model-file: no such file: /nonexistent/x.gguf",
    );
    check_usage(
        &[
            "diagnose",
            "--have",
            "mac-studio-m2-ultra-60c@64",
            "--no-api",
            "--ollama-dir",
            "/nonexistent/store",
        ],
        "--ollama-dir: no Ollama model store",
    );
    check_usage(
        &[
            "diagnose",
            "--have",
            "mac-studio-m2-ultra-60c@64",
            "--no-api",
            "--ollama-dir",
            &store_arg,
            "--timeout-secs=-5",
        ],
        "--timeout-secs: the timeout -5 must be a positive number",
    );
}

/// The founding store on a 48 GB Mac mini: an f16 cache at the native 262,144 tokens does
/// not fit the GPU's share, a q8_0 one does. Ollama's KV settings decide which it is.
fn diagnose_on_mini(kv: OllamaKvSettings) -> ModelDiagnosis {
    let catalog = catalog();
    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let machine = catalog
        .machine("mac-mini-m4-pro-20c")
        .expect("in the catalogue");
    let input = DiagnoseInput {
        models: &found.models,
        loaded_context_tokens: Default::default(),
        setup: MachineSetup {
            machine,
            per_device_gb: 48.0,
            runtime: machine.default_runtime,
        },
        machine_how: "given with --have".to_owned(),
        user: UserLimits {
            client_limit_tokens: None,
            timeout_secs: None,
            largest_prompt_tokens: None,
            budget_max_usd: 10_000.0,
            max_wait_secs: None,
        },
        ollama_default_context_tokens: None,
        ollama_kv: kv,
        notes: Vec::new(),
    };
    let d = diagnose(&catalog, &input);
    the_model(&d, MODEL_NAME).clone()
}

#[test]
fn a_quantized_kv_cache_is_offered_when_memory_binds_and_used_when_set() {
    // Default server: f16 cache; memory binds, and q8_0 is the fix, a setting.
    let m = diagnose_on_mini(OllamaKvSettings::default());
    let c = m.context.as_ref().expect("context finding");
    assert!(c.memory_binding, "{:#?}", findings_words(&m));
    assert!(c.max_fit_tokens < 262_144);
    assert_eq!(m.verdict, Verdict::Settings, "{:#?}", findings_words(&m));
    let step = m
        .fix
        .steps
        .iter()
        .map(fix_step_words)
        .find(|s| s.contains("OLLAMA_KV_CACHE_TYPE=q8_0"))
        .unwrap_or_else(|| panic!("no KV step in {:#?}", m.fix.steps));
    assert!(step.contains("OLLAMA_FLASH_ATTENTION=1"), "{step}");
    let findings = findings_words(&m);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("a q8_0 KV cache") && f.contains("enough for the 262,144 asked")),
        "{findings:#?}"
    );

    // The variable without flash attention is inert: the same diagnosis, and it says why.
    let inert = diagnose_on_mini(OllamaKvSettings {
        cache_type: Some("q8_0".to_owned()),
        flash_attention: false,
    });
    assert_eq!(inert.context, m.context);
    let findings = findings_words(&inert);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("only with OLLAMA_FLASH_ATTENTION=1")),
        "{findings:#?}"
    );

    // Set properly, the cache is q8_0: the native context fits and nothing is left to fix.
    let set = diagnose_on_mini(OllamaKvSettings {
        cache_type: Some("q8_0".to_owned()),
        flash_attention: true,
    });
    let c = set.context.as_ref().expect("context finding");
    assert!(!c.memory_binding, "{:#?}", findings_words(&set));
    assert_eq!(c.max_fit_tokens, 262_144);
    assert_eq!(
        set.identity.as_ref().map(|i| i.kv_type.as_str()),
        Some("q8_0")
    );
    assert!(set
        .fix
        .steps
        .iter()
        .all(|s| !fix_step_words(s).contains("OLLAMA_KV_CACHE_TYPE")));

    // An unknown type is named, and f16 is assumed.
    let odd = diagnose_on_mini(OllamaKvSettings {
        cache_type: Some("q3_x".to_owned()),
        flash_attention: true,
    });
    let findings = findings_words(&odd);
    assert!(
        findings
            .iter()
            .any(|f| f.contains("q3_x") && f.contains("f16 is assumed")),
        "{findings:#?}"
    );
}

#[test]
fn ollama_kv_settings_read_the_flag_as_ollama_does() {
    let read = |kv: &str, fa: &str| {
        OllamaKvSettings::from_vars(|name| match name {
            "OLLAMA_KV_CACHE_TYPE" => Some(kv.to_owned()),
            "OLLAMA_FLASH_ATTENTION" => Some(fa.to_owned()),
            _ => None,
        })
    };
    assert!(read("q8_0", "1").flash_attention);
    assert!(read("q8_0", "true").flash_attention);
    assert!(!read("q8_0", "0").flash_attention);
    assert!(!read("q8_0", "").flash_attention);
    assert_eq!(read("  ", "1").cache_type, None);
    assert_eq!(
        OllamaKvSettings::from_vars(|_| None),
        OllamaKvSettings::default()
    );
}

/// The user's runs (as `import-bench` leaves them) move the card, the prefill chart and
/// Diagnose's prefill time together: every prediction shown passes through one correction.
#[test]
fn the_users_runs_move_the_card_the_chart_and_diagnose_together() {
    use headroom::engine::rank::{rank, Owned, RankOptions};
    use headroom::engine::series::chart_series;
    use headroom::engine::types::{Correction, Runtime, TestKind};

    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let measure = |catalog: &Catalog| {
        let workload = catalog.workload("agentic-coding").expect("seed mix");
        let options = RankOptions {
            have: Some(Owned {
                machine: MACHINE.to_owned(),
                per_device_gb: 64.0,
            }),
            ..RankOptions::default()
        };
        let ranking = rank(catalog, workload, &options);
        let (index, mac) = ranking
            .entries
            .iter()
            .enumerate()
            .find(|(_, e)| e.is_current)
            .expect("the Mac");
        let card = mac.mix.tasks[1].local.as_ref().expect("local").prefill.secs;
        let charts = chart_series(catalog, workload, &ranking);
        let curve = charts
            .prefill
            .curves
            .iter()
            .find(|c| c.entry == index)
            .expect("the Mac's prefill curve");
        let chart = curve.points.last().expect("points")[1];
        let d = run(catalog, &found.models, &[], Vec::new(), story_user());
        let diagnosed = the_model(&d, MODEL_NAME)
            .prefill
            .as_ref()
            .and_then(|p| p.predicted_secs)
            .expect("predicted prefill");
        (card, chart, diagnosed)
    };
    let plain = catalog();
    let mut corrected = plain.clone();
    corrected.corrections.push(Correction {
        machine: MACHINE.to_owned(),
        runtime: Runtime::Metal,
        kind: TestKind::Prefill,
        factor: 0.5,
        rows: 3,
    });
    let before = measure(&plain);
    let after = measure(&corrected);
    for (name, b, a) in [
        ("card", before.0, after.0),
        ("chart", before.1, after.1),
        ("diagnose", before.2, after.2),
    ] {
        // Half the measured speed: twice the time, within the first token's decode step.
        let ratio = a / b;
        assert!((ratio - 2.0).abs() < 0.01, "{name}: {b:.1} s -> {a:.1} s");
    }
}

/// Diagnose's hardware finding asks the ranking, under the same wait rule, and never
/// suggests a machine that cannot hold the model at the context asked in accelerator memory
/// (the catalogue has 24 GB cards that prefill faster but would spill to system RAM).
#[test]
fn diagnose_never_suggests_a_machine_that_cannot_hold_the_model_and_its_context() {
    let catalog = catalog();
    assert!(
        catalog.machine("pc-rx-7900-xtx").is_some(),
        "the test needs a 24 GB card in the catalogue"
    );
    let store = store_dir();
    let found = gather::gather(&roots(store.path()), None);
    let user = UserLimits {
        budget_max_usd: 50_000.0,
        ..story_user()
    };
    let d = run(&catalog, &found.models, &[], Vec::new(), user);
    let m = the_model(&d, MODEL_NAME);
    let h = m.hardware.as_ref().expect("hardware finding");
    let better = h
        .cheapest_within_timeout
        .as_ref()
        .expect("a machine beats 300 s within $50,000");
    // 17.3 GiB of weights and 24 GiB of KV cache at 262,144 tokens: over 41 GiB.
    assert!(
        better.total_memory_gb >= 48.0,
        "{} with {} GB",
        better.machine_name,
        better.total_memory_gb
    );
    let secs = better.predicted_secs.expect("its prediction");
    assert!(secs <= TIMEOUT_SECS, "{secs} s");
}
