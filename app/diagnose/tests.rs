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

/// A suggested timeout is what a person would set: whole minutes, above the prediction with
/// room for a slower run, never wastefully long, and never shorter for a longer prefill.
#[test]
fn suggested_timeouts_are_whole_minutes_above_the_prediction() {
    let mut previous = 0;
    for tenths in 1..=60_000u32 {
        let predicted = f64::from(tenths) / 10.0;
        let got = suggested_timeout_secs(predicted);
        assert_eq!(got % 60, 0, "{predicted} s -> {got} s");
        // Room for a run 10% slower than predicted, and at most a minute past 25% more.
        assert!(got as f64 >= predicted * 1.1, "{predicted} s -> {got} s");
        assert!(
            got as f64 <= predicted * 1.25 + 60.0,
            "{predicted} s -> {got} s"
        );
        assert!(
            got >= previous,
            "{predicted} s -> {got} s after {previous} s"
        );
        previous = got;
    }
    // The founding story: an 891 s prefill is covered by 18 minutes (README).
    assert_eq!(suggested_timeout_secs(891.0), 1080);
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
