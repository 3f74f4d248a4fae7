//! Unit tests of the diagnosis helpers: labels, timeouts, bisection, API parameters.

use super::context::label_text;
use super::gather::params_from_show;
use super::timeout::{max_prompt_within, suggested_timeout_secs};
use crate::local::ollama::{parse_parameters_text, ApiShow};

#[track_caller]
fn check_label(name: &str, tokens: u64, expected: &str) {
    assert_eq!(label_text(name, tokens), expected, "{name}");
}

#[test]
fn labels_keep_their_prefix() {
    check_label("qwen3-coder:30b-a3b-v-128k", 131_072, "v-128k");
    check_label("llama3:8b-ctx32k", 32_768, "ctx32k");
    check_label("mistral:7b-32K", 32_768, "32K");
    // Not in the name at all: the short label.
    check_label("qwen3", 262_144, "256k");
}

#[track_caller]
fn check_timeout(predicted_secs: f64, expected_secs: u64) {
    let got = suggested_timeout_secs(predicted_secs);
    assert_eq!(got, expected_secs, "{predicted_secs} s");
    assert!(got as f64 > predicted_secs);
}

#[test]
fn suggested_timeouts_cover_the_prediction_with_a_margin() {
    // 367 s x 1.2 = 440.4 s, rounded up to a whole minute: 480 s.
    check_timeout(367.0, 480);
    // 100 s x 1.2 = 120 s exactly.
    check_timeout(100.0, 120);
    check_timeout(0.5, 60);
}

#[test]
fn bisection_finds_the_largest_prompt_within_the_timeout() {
    // 400 tok/s: 300 s holds 120,000 tokens.
    let secs = |p: u64| p as f64 / 400.0;
    assert_eq!(max_prompt_within(146_760, 300.0, secs), 120_000);
    assert_eq!(max_prompt_within(100_000, 300.0, secs), 100_000);
    assert_eq!(max_prompt_within(100_000, 0.0, secs), 0);
}

#[test]
fn api_parameters_become_modelfile_params() {
    let show = ApiShow {
        parameters: parse_parameters_text(
            "num_ctx    131072\nstop \"<|im_start|>\"\nstop \"<|im_end|>\"\ntemperature 0.7",
        ),
        ..ApiShow::default()
    };
    let params = params_from_show(&show);
    assert_eq!(params["num_ctx"], serde_json::json!(131072));
    assert_eq!(
        params["stop"],
        serde_json::json!(["<|im_start|>", "<|im_end|>"])
    );
    assert_eq!(params["temperature"], serde_json::json!(0.7));
}
