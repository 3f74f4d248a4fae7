//! `headroom add-model`: the entry a real config.json or a GGUF header gives sizes the model
//! as the built-in entry does; bad files are refused with the field named and exit code 2.

use std::path::Path;
use std::process::Command;

use headroom::catalog::{self, SourceText};
use headroom::engine::memory::LoadedModel;
use headroom::engine::types::{Catalog, Origin, GIB};
use headroom::local::testgguf::{write_test_gguf, TestGguf};

const QWEN_CONFIG: &str = "tests/fixtures/hf/Qwen3-Coder-30B-A3B-Instruct.config.json";

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

/// The built-in catalogue plus `text` as a user file.
fn with_entry(text: &str) -> Catalog {
    let mut sources = catalog::built_in_sources();
    sources.push(SourceText {
        origin: Origin::User("added.ron".to_owned()),
        label: "added.ron".to_owned(),
        text: text.to_owned(),
    });
    catalog::load(&sources)
        .unwrap_or_else(|e| panic!("the entry must load: {}", catalog::error::join(&e)))
}

fn kv_f16_bytes(catalog: &Catalog, model_id: &str, tokens: u64) -> f64 {
    let model = catalog.model(model_id).expect("model");
    let loaded = LoadedModel {
        model,
        quant: catalog.quant("Q4_K_M").expect("quant"),
        kv: catalog.kv_type("f16").expect("f16"),
    };
    loaded.kv_cache_bytes(tokens)
}

#[test]
fn qwen3_coder_config_gives_the_built_in_kv_cache() {
    let (code, stdout, stderr) = headroom(&[
        "add-model",
        QWEN_CONFIG,
        "--hf-repo",
        "Qwen/Qwen3-Coder-30B-A3B-Instruct",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let catalog = with_entry(&stdout);
    let added = catalog
        .model("qwen3-coder-30b-a3b-instruct")
        .expect("added entry");
    assert_eq!(
        (
            added.layers,
            added.kv_heads,
            added.head_dim,
            added.hidden_size
        ),
        (48, 4, 128, 2048)
    );
    let moe = added.moe.expect("MoE");
    assert_eq!((moe.experts, moe.experts_per_token), (128, 8));
    assert_eq!(added.context_native, 262_144);
    // Published 30.5B total / 3.3B active; the built-in entry's computed 30.53 / 3.35.
    let built_in = catalog
        .model("qwen3-coder-30b-a3b")
        .expect("built-in entry");
    assert!((added.params_total_b - built_in.params_total_b).abs() < 0.01);
    assert!((added.params_active_b - built_in.params_active_b).abs() < 0.01);

    let added_kv = kv_f16_bytes(&catalog, "qwen3-coder-30b-a3b-instruct", 262_144);
    assert_eq!(
        added_kv,
        24.0 * GIB,
        "exactly 24 GiB at 262,144 tokens with f16"
    );
    assert_eq!(
        added_kv,
        kv_f16_bytes(&catalog, "qwen3-coder-30b-a3b", 262_144)
    );
    assert!(added.sources[0].ends_with("Qwen/Qwen3-Coder-30B-A3B-Instruct/blob/main/config.json"));
}

#[test]
fn qwen3_coder_gguf_header_gives_the_same_kv_cache() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("Qwen3-Coder-30B-A3B-Instruct-Q4_K_M.gguf");
    write_test_gguf(&path, &TestGguf::qwen3_coder_30b_a3b()).unwrap();
    let (code, stdout, stderr) = headroom(&[
        "add-model",
        path.to_str().unwrap(),
        "--id",
        "qwen-from-gguf",
    ]);
    assert_eq!(code, 0, "{stderr}");
    let catalog = with_entry(&stdout);
    let added = catalog.model("qwen-from-gguf").expect("added entry");
    assert_eq!((added.layers, added.kv_heads, added.head_dim), (48, 4, 128));
    assert_eq!(added.context_native, 262_144);
    assert_eq!(
        kv_f16_bytes(&catalog, "qwen-from-gguf", 262_144),
        24.0 * GIB
    );
    // The file's own size is kept under its quantization, with a source the loader accepts.
    assert_eq!(added.gguf_files.len(), 1);
    assert_eq!(added.gguf_files[0].quant, "Q4_K_M");
}

#[test]
fn save_to_appends_and_refuses_a_second_entry_with_the_same_id() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("mine.ron");
    let file_s = file.to_str().unwrap();
    let (code, stdout, stderr) = headroom(&["add-model", QWEN_CONFIG, "--save-to", file_s]);
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("qwen3-coder-30b-a3b-instruct"), "{stdout}");
    // A second model goes in beside the first.
    let (code, _, stderr) = headroom(&[
        "add-model",
        QWEN_CONFIG,
        "--id",
        "second",
        "--save-to",
        file_s,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let (code, listing, stderr) = headroom(&["--catalog", file_s, "catalog", "models"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        listing.contains("qwen3-coder-30b-a3b-instruct") && listing.contains("second"),
        "{listing}"
    );
    // The same id again: refused, file unchanged.
    let before = std::fs::read(&file).unwrap();
    let (code, _, stderr) = headroom(&["add-model", QWEN_CONFIG, "--save-to", file_s]);
    assert_eq!(code, 2);
    assert!(stderr.contains("already has a model with id"), "{stderr}");
    assert_eq!(std::fs::read(&file).unwrap(), before);
}

fn refused(contents: &[u8], field_or_text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.json");
    std::fs::write(&path, contents).unwrap();
    let (code, stdout, stderr) = headroom(&["add-model", path.to_str().unwrap()]);
    assert_eq!(code, 2, "stdout: {stdout}\nstderr: {stderr}");
    assert!(stdout.is_empty(), "nothing printed on error: {stdout}");
    assert!(stderr.contains(field_or_text), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn bad_config_files_name_the_field_and_exit_2() {
    let good: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(QWEN_CONFIG).unwrap()).unwrap();
    let without = |key: &str| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().remove(key);
        serde_json::to_vec(&v).unwrap()
    };
    let with = |key: &str, value: serde_json::Value| {
        let mut v = good.clone();
        v.as_object_mut().unwrap().insert(key.to_owned(), value);
        serde_json::to_vec(&v).unwrap()
    };
    refused(
        &without("num_hidden_layers"),
        "\"num_hidden_layers\": missing",
    );
    refused(&without("vocab_size"), "\"vocab_size\": missing");
    refused(
        &without("num_experts_per_tok"),
        "\"num_experts_per_tok\": missing",
    );
    refused(
        &with("num_key_value_heads", serde_json::json!("four")),
        "\"num_key_value_heads\": must be a non-negative whole number",
    );
    refused(
        &with("num_key_value_heads", serde_json::json!(64)),
        "\"num_key_value_heads\": must be between 1 and num_attention_heads",
    );
    refused(
        &with("num_attention_heads", serde_json::json!(0)),
        "\"num_attention_heads\": attention head count must be above zero",
    );
    refused(b"{\"num_hidden_layers\": 48,", "not valid JSON at line 1");
    refused(b"[1, 2, 3]", "JSON object");
    refused(
        &[0xff, 0xfe, 0x00, 0x01],
        "neither a GGUF file nor UTF-8 JSON",
    );
}

#[test]
fn truncated_gguf_is_refused_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("cut.gguf");
    let bytes = TestGguf::qwen3_coder_30b_a3b().to_bytes().unwrap();
    std::fs::write(&path, &bytes[..bytes.len() / 3]).unwrap();
    let (code, stdout, stderr) = headroom(&["add-model", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stdout.is_empty());
    assert!(stderr.contains("cut.gguf"), "{stderr}");
    // A header without the layer count names the key it needs.
    let mut stripped = TestGguf::qwen3_coder_30b_a3b();
    stripped
        .metadata
        .retain(|(k, _)| k != "qwen3moe.block_count");
    let path = dir.path().join("nolayers.gguf");
    write_test_gguf(&path, &stripped).unwrap();
    let (code, _, stderr) = headroom(&["add-model", path.to_str().unwrap()]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("block_count"), "{stderr}");
    assert!(Path::new(&path).exists());
}
