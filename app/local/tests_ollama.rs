//! Tests of the Ollama store reader, the label and fix helpers, and the API client against a
//! fake server on 127.0.0.1.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde_json::json;

use super::ollama::{
    blob_path, context_label_in_name, display_name, format_context_label, modelfile_fix,
    ollama_create_command, parse_parameters_text, scan_store, suggested_model_name, OllamaApiError,
    OllamaClient,
};
use super::testgguf::{TestGguf, TestValue};

/// Writes `content` as a blob and returns its digest (a fake but well-formed sha256 name).
fn put_blob(models: &Path, n: u8, content: &[u8]) -> String {
    let hex = format!("{n:02x}").repeat(32);
    let path = models.join("blobs").join(format!("sha256-{hex}"));
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
    format!("sha256:{hex}")
}

fn put_manifest(models: &Path, parts: [&str; 4], layers: serde_json::Value) -> PathBuf {
    let path = models
        .join("manifests")
        .join(parts[0])
        .join(parts[1])
        .join(parts[2])
        .join(parts[3]);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": "application/vnd.docker.distribution.manifest.v2+json",
        "config": {"mediaType": "application/vnd.docker.container.image.v1+json",
                   "digest": "sha256:".to_string() + &"0".repeat(64), "size": 10},
        "layers": layers,
    });
    std::fs::write(&path, serde_json::to_vec_pretty(&manifest).unwrap()).unwrap();
    path
}

/// The founding story: `qwen3-coder:30b-a3b-v-128k` with num_ctx 131072 on a model whose
/// GGUF says 262144.
pub(super) fn founding_store(models: &Path) {
    let gguf = TestGguf::qwen3_coder_30b_a3b().to_bytes().unwrap();
    let model = put_blob(models, 1, &gguf);
    let params = put_blob(
        models,
        2,
        br#"{"num_ctx":131072,"stop":["<|im_start|>","<|im_end|>"],"temperature":0.7}"#,
    );
    let template = put_blob(models, 3, b"{{ .System }} {{ .Prompt }}");
    put_manifest(
        models,
        [
            "registry.ollama.ai",
            "library",
            "qwen3-coder",
            "30b-a3b-v-128k",
        ],
        json!([
            {"mediaType": "application/vnd.ollama.image.model", "digest": model, "size": gguf.len()},
            {"mediaType": "application/vnd.ollama.image.template", "digest": template, "size": 27},
            {"mediaType": "application/vnd.ollama.image.params", "digest": params, "size": 80},
        ]),
    );
}

#[test]
fn founding_story_store_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let models = dir.path();
    founding_store(models);
    // A second model with no params and a broken blob, from another registry.
    let junk = put_blob(models, 4, b"not a gguf");
    put_manifest(
        models,
        ["hf.co", "someone", "Some-GGUF", "Q4_K_M"],
        json!([{"mediaType": "application/vnd.ollama.image.model", "digest": junk}]),
    );
    // A manifest with a hostile digest must not escape the store.
    put_manifest(
        models,
        ["registry.ollama.ai", "me", "evil", "latest"],
        json!([{"mediaType": "application/vnd.ollama.image.model", "digest": "sha256:../../etc/passwd"}]),
    );

    let scan = scan_store(models).unwrap();
    assert!(!scan.truncated);
    let names: Vec<&str> = scan.models.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(
        names,
        [
            "hf.co/someone/Some-GGUF:Q4_K_M",
            "me/evil:latest",
            "qwen3-coder:30b-a3b-v-128k"
        ]
    );
    let q = &scan.models[2];
    assert_eq!(q.num_ctx_tokens, Some(131_072));
    assert_eq!(q.native_context_tokens(), Some(262_144));
    assert_eq!(q.context_label_tokens, Some(131_072));
    assert_eq!(
        q.gguf.as_ref().unwrap().architecture.as_deref(),
        Some("qwen3moe")
    );
    assert_eq!(q.template.as_deref(), Some("{{ .System }} {{ .Prompt }}"));
    assert_eq!(q.params["stop"], json!(["<|im_start|>", "<|im_end|>"]));
    assert!(q.problems.is_empty(), "{:?}", q.problems);

    let hf = &scan.models[0];
    assert!(hf.gguf.as_ref().unwrap_err().contains("not a GGUF file"));
    assert_eq!(hf.num_ctx_tokens, None);

    let evil = &scan.models[1];
    assert!(evil.model_blob.is_none());
    assert!(evil.problems.iter().any(|p| p.contains("malformed digest")));
}

#[test]
fn missing_store_and_oversized_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let e = scan_store(&dir.path().join("nope")).unwrap_err();
    assert!(e.to_string().contains("nope"), "{e}");

    let models = dir.path();
    let path = put_manifest(
        models,
        ["registry.ollama.ai", "library", "big", "x"],
        json!([]),
    );
    std::fs::write(&path, vec![b' '; 5 * 1024 * 1024]).unwrap();
    let scan = scan_store(models).unwrap();
    assert_eq!(scan.models.len(), 1);
    assert!(
        scan.models[0].problems[0].contains("limit"),
        "{:?}",
        scan.models[0].problems
    );
}

#[test]
fn context_labels() {
    assert_eq!(
        context_label_in_name("qwen3-coder:30b-a3b-v-128k"),
        Some(131_072)
    );
    assert_eq!(context_label_in_name("llama3:8b-32k"), Some(32_768));
    assert_eq!(context_label_in_name("32k"), Some(32_768));
    assert_eq!(context_label_in_name("model:1m"), Some(1_048_576));
    assert_eq!(context_label_in_name("model:ctx8K"), Some(8192));
    assert_eq!(context_label_in_name("qwen3-coder:30b-a3b-q4_k_m"), None);
    assert_eq!(context_label_in_name("qwen3-coder:30b"), None);
    assert_eq!(context_label_in_name("a3b"), None);
    assert_eq!(context_label_in_name("smollm:135m"), None);
    assert_eq!(context_label_in_name("k"), None);
    assert_eq!(context_label_in_name(""), None);
    assert_eq!(format_context_label(262_144), "256k");
    assert_eq!(format_context_label(1_048_576), "1m");
    assert_eq!(format_context_label(100_000), "100000");
}

#[test]
fn suggested_names_drop_the_misleading_label() {
    assert_eq!(
        suggested_model_name("qwen3-coder:30b-a3b-v-128k", 262_144),
        "qwen3-coder:30b-a3b-256k"
    );
    assert_eq!(
        suggested_model_name("llama3:8b-32k", 131_072),
        "llama3:8b-128k"
    );
    assert_eq!(suggested_model_name("mymodel", 65_536), "mymodel:64k");
    assert_eq!(
        suggested_model_name("mymodel:latest", 65_536),
        "mymodel:64k"
    );
    assert_eq!(
        suggested_model_name("qwen-128k:latest", 262_144),
        "qwen:256k"
    );
    assert_eq!(
        suggested_model_name("hf.co/a/b-GGUF:Q4_K_M", 262_144),
        "hf.co/a/b-GGUF:Q4_K_M-256k"
    );
}

#[test]
fn modelfile_and_command() {
    let mut params = BTreeMap::new();
    params.insert("num_ctx".to_string(), json!(131072));
    params.insert("stop".to_string(), json!(["<|im_end|>", "a\"b\nc"]));
    params.insert("temperature".to_string(), json!(0.7));
    params.insert("bad key\nFROM evil".to_string(), json!(1));
    let mf = modelfile_fix("qwen3-coder:30b-a3b-v-128k", 262_144, &params);
    let lines: Vec<&str> = mf.lines().collect();
    assert!(lines[0].starts_with('#'));
    assert_eq!(lines[1], "FROM qwen3-coder:30b-a3b-v-128k");
    assert_eq!(lines[2], "PARAMETER num_ctx 262144");
    assert!(lines.contains(&r#"PARAMETER stop "<|im_end|>""#));
    assert!(lines.contains(&r#"PARAMETER stop "a\"b\nc""#));
    assert!(lines.contains(&"PARAMETER temperature 0.7"));
    assert_eq!(mf.matches("FROM").count(), 1);
    assert_eq!(mf.matches("num_ctx").count(), 1);

    assert_eq!(
        ollama_create_command("qwen3-coder:30b-a3b-256k", Path::new("/tmp/Modelfile")),
        "ollama create qwen3-coder:30b-a3b-256k -f /tmp/Modelfile"
    );
    assert_eq!(
        ollama_create_command("m:1", Path::new("/tmp/my dir/it's")),
        r#"ollama create m:1 -f '/tmp/my dir/it'\''s'"#
    );
}

#[test]
fn helpers() {
    assert_eq!(
        display_name("registry.ollama.ai", "library", "m", "t"),
        "m:t"
    );
    assert_eq!(display_name("registry.ollama.ai", "me", "m", "t"), "me/m:t");
    assert!(blob_path(Path::new("/s"), "sha256:abc").is_none());
    let p = parse_parameters_text("num_ctx                        131072\nstop \"<|im_end|>\"\n\n");
    assert_eq!(
        p,
        vec![
            ("num_ctx".to_string(), "131072".to_string()),
            ("stop".to_string(), "<|im_end|>".to_string())
        ]
    );
}

/// A fake Ollama: answers up to `max_requests` requests with canned JSON, then stops.
fn fake_ollama(max_requests: usize) -> (String, std::thread::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        for _ in 0..max_requests {
            let Ok((stream, _)) = listener.accept() else {
                break;
            };
            stream
                .set_read_timeout(Some(Duration::from_secs(5)))
                .unwrap();
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            let mut content_length = 0usize;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                if line.trim().is_empty() {
                    break;
                }
                if let Some((k, v)) = line.split_once(':') {
                    if k.eq_ignore_ascii_case("content-length") {
                        content_length = v.trim().parse().unwrap();
                    }
                }
            }
            let mut body = vec![0u8; content_length];
            reader.read_exact(&mut body).unwrap();
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("")
                .to_string();
            let (status, answer) = match path.as_str() {
                "/api/tags" => (
                    "200 OK",
                    json!({"models": [{
                    "name": "qwen3-coder:30b-a3b-v-128k", "model": "qwen3-coder:30b-a3b-v-128k",
                    "size": 18556688736u64, "digest": "abc",
                    "details": {"format": "gguf", "family": "qwen3moe",
                                "parameter_size": "30.5B", "quantization_level": "Q4_K_M"}}]}),
                ),
                "/api/show" => (
                    "200 OK",
                    json!({
                    "parameters": "num_ctx                        131072\nstop                           \"<|im_end|>\"",
                    "template": "{{ .Prompt }}",
                    "details": {"family": "qwen3moe"},
                    "model_info": {"general.architecture": "qwen3moe",
                                   "qwen3moe.context_length": 262144,
                                   "qwen3moe.attention.head_count_kv": 4}}),
                ),
                "/api/ps" => (
                    "200 OK",
                    json!({"models": [{
                    "name": "qwen3-coder:30b-a3b-v-128k", "model": "qwen3-coder:30b-a3b-v-128k",
                    "size": 30000000000u64, "size_vram": 30000000000u64,
                    "context_length": 131072, "expires_at": "2030-01-01T00:00:00Z"}]}),
                ),
                _ => ("404 Not Found", json!({"error": "not found"})),
            };
            seen.push(format!("{path} {}", String::from_utf8_lossy(&body)));
            let text = answer.to_string();
            let mut out = stream;
            let _ = write!(
                out,
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
                text.len()
            );
            let _ = out.flush();
        }
        seen
    });
    (url, handle)
}

#[test]
fn api_client_against_fake_server() {
    let (url, handle) = fake_ollama(4);
    let client = OllamaClient::new(&url);
    let tags = client.tags().unwrap();
    assert_eq!(tags.len(), 1);
    assert_eq!(tags[0].name, "qwen3-coder:30b-a3b-v-128k");
    assert_eq!(tags[0].details.quantization_level, "Q4_K_M");
    assert_eq!(tags[0].size_bytes, 18_556_688_736);

    let show = client.show("qwen3-coder:30b-a3b-v-128k").unwrap();
    assert_eq!(show.num_ctx_tokens, Some(131_072));
    assert_eq!(show.native_context_tokens, Some(262_144));
    assert_eq!(show.architecture.as_deref(), Some("qwen3moe"));
    assert_eq!(
        show.parameters[1],
        ("stop".to_string(), "<|im_end|>".to_string())
    );

    let ps = client.ps().unwrap();
    assert_eq!(ps[0].context_length_tokens, Some(131_072));
    assert_eq!(ps[0].size_vram_bytes, 30_000_000_000);

    let e = client.request_for_test("/api/nothing").unwrap_err();
    assert!(
        matches!(e, OllamaApiError::Status { status: 404, .. }),
        "{e}"
    );

    let seen = handle.join().unwrap();
    assert!(seen[1].starts_with("/api/show "));
    let body: serde_json::Value = serde_json::from_str(&seen[1]["/api/show ".len()..]).unwrap();
    assert_eq!(body, json!({"model": "qwen3-coder:30b-a3b-v-128k"}));
}

#[test]
fn closed_port_fails_fast_and_cleanly() {
    let port = {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let client = OllamaClient::new(&format!("http://127.0.0.1:{port}/"));
    let start = Instant::now();
    let e = client.tags().unwrap_err();
    assert!(
        start.elapsed() < Duration::from_secs(2),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(e, OllamaApiError::Unreachable { .. }), "{e}");
    assert!(e.to_string().contains("not reachable"), "{e}");
    assert!(e.to_string().contains(&port.to_string()), "{e}");
}

#[test]
fn silent_server_times_out() {
    // Accepts the connection but never answers: the read timeout must end the call.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let handle = std::thread::spawn(move || {
        let conn = listener.accept();
        std::thread::sleep(Duration::from_secs(4));
        drop(conn);
    });
    let start = Instant::now();
    let e = OllamaClient::new(&url).ps().unwrap_err();
    assert!(
        start.elapsed() < Duration::from_millis(3500),
        "{:?}",
        start.elapsed()
    );
    assert!(matches!(e, OllamaApiError::Unreachable { .. }), "{e}");
    handle.join().unwrap();
}

#[test]
fn test_value_helper_roundtrip_smoke() {
    // The store test relies on the helper writing the KV it is given.
    let b = TestGguf::default()
        .kv("x", TestValue::U64(7))
        .tensor("t", &[4], "F32")
        .to_bytes()
        .unwrap();
    let g = super::gguf::parse_gguf(std::io::Cursor::new(&b), b.len() as u64).unwrap();
    assert_eq!(g.metadata["x"].as_u64(), Some(7));
}
