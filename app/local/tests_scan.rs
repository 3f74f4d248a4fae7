//! Tests of the folder scan with injected roots (never the real home directory).

use std::path::Path;

use super::scan::{
    find_gguf_files, is_later_split_part, scan_local, ModelSource, ScanLimits, ScanRoots,
};
use super::testgguf::{write_test_gguf, TestGguf};

fn write(path: &Path, gguf: &TestGguf) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    write_test_gguf(path, gguf).unwrap();
}

#[test]
fn scan_finds_all_sources_and_the_capped_context() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let ollama = root.join("ollama");
    super::tests_ollama::founding_store(&ollama);

    let lms = root.join("lmstudio");
    write(
        &lms.join("lmstudio-community/Qwen3-Coder-30B-A3B-Instruct-GGUF/Qwen3-Coder-30B-A3B-Instruct-Q4_K_M.gguf"),
        &TestGguf::qwen3_coder_30b_a3b(),
    );
    write(
        &lms.join("x/big/model-00001-of-00002.gguf"),
        &TestGguf::gpt_oss_20b(),
    );
    write(
        &lms.join("x/big/model-00002-of-00002.gguf"),
        &TestGguf::gpt_oss_20b(),
    );
    std::fs::write(lms.join("x/readme.md"), "hi").unwrap();
    std::fs::write(lms.join("x/broken.gguf"), "GGUF").unwrap();
    write(&lms.join(".hidden/h.gguf"), &TestGguf::gpt_oss_20b());

    let llama = root.join("llama-cache");
    write(
        &llama.join("ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4.gguf"),
        &TestGguf::gpt_oss_20b(),
    );

    let single = root.join("elsewhere/mine.gguf");
    write(&single, &TestGguf::gpt_oss_20b());

    let roots = ScanRoots {
        ollama_models: Some(ollama),
        lmstudio: vec![lms.clone(), root.join("does-not-exist")],
        llama_cpp: vec![llama],
        files: vec![single.clone(), single],
    };
    let report = scan_local(&roots, ScanLimits::default());
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(!report.truncated);
    let got: Vec<(ModelSource, &str)> = report
        .models
        .iter()
        .map(|m| (m.source, m.name.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (ModelSource::Ollama, "qwen3-coder:30b-a3b-v-128k"),
            (ModelSource::LmStudio, "lmstudio-community/Qwen3-Coder-30B-A3B-Instruct-GGUF/Qwen3-Coder-30B-A3B-Instruct-Q4_K_M.gguf"),
            (ModelSource::LmStudio, "x/big/model-00001-of-00002.gguf"),
            (ModelSource::LmStudio, "x/broken.gguf"),
            (ModelSource::LlamaCpp, "ggml-org_gpt-oss-20b-GGUF_gpt-oss-20b-mxfp4"),
            (ModelSource::File, "mine"),
        ]
    );
    let q = &report.models[0];
    assert_eq!(q.configured_context_tokens, Some(131_072));
    assert_eq!(q.native_context_tokens(), Some(262_144));
    assert_eq!(q.context_label_tokens, Some(131_072));
    assert_eq!(q.context_capped_by_config(), Some((131_072, 262_144)));
    assert!(q.file_bytes.unwrap() > 0);
    assert!(report.models[3].gguf.is_err());
    assert_eq!(report.models[1].context_capped_by_config(), None);
    assert_eq!(
        report.models[4]
            .gguf
            .as_ref()
            .unwrap()
            .sliding_window_tokens,
        Some(128)
    );
    // Serialisable for the app's reports.
    assert!(serde_json::to_string(&report).unwrap().contains("qwen3moe"));
}

#[test]
fn walk_is_bounded_in_depth_and_entries() {
    let dir = tempfile::tempdir().unwrap();
    let mut deep = dir.path().to_path_buf();
    for i in 0..10 {
        deep = deep.join(format!("d{i}"));
    }
    write(&deep.join("deep.gguf"), &TestGguf::gpt_oss_20b());
    let found = find_gguf_files(dir.path(), ScanLimits::default());
    assert!(found.files.is_empty());
    let found = find_gguf_files(
        dir.path(),
        ScanLimits {
            max_depth: 12,
            max_entries: 100,
        },
    );
    assert_eq!(found.files.len(), 1);

    let many = dir.path().join("many");
    std::fs::create_dir_all(&many).unwrap();
    for i in 0..50 {
        std::fs::write(many.join(format!("f{i}.txt")), "").unwrap();
    }
    let found = find_gguf_files(
        &many,
        ScanLimits {
            max_depth: 6,
            max_entries: 20,
        },
    );
    assert!(found.truncated);
}

#[cfg(unix)]
#[test]
fn directory_symlink_loops_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    std::fs::create_dir_all(&a).unwrap();
    std::os::unix::fs::symlink(dir.path(), a.join("loop")).unwrap();
    write(&a.join("m.gguf"), &TestGguf::gpt_oss_20b());
    std::os::unix::fs::symlink(a.join("m.gguf"), a.join("link.gguf")).unwrap();
    let found = find_gguf_files(dir.path(), ScanLimits::default());
    assert_eq!(found.files.len(), 2, "{:?}", found.files);
    let roots = ScanRoots {
        lmstudio: vec![dir.path().to_path_buf()],
        ..ScanRoots::default()
    };
    // The symlinked file and its target are one model.
    assert_eq!(scan_local(&roots, ScanLimits::default()).models.len(), 1);
}

#[test]
fn split_part_names() {
    assert!(is_later_split_part("m-00002-of-00003.gguf"));
    assert!(!is_later_split_part("m-00001-of-00003.gguf"));
    assert!(!is_later_split_part("m-Q4_K_M.gguf"));
    assert!(!is_later_split_part("of-.gguf"));
}
