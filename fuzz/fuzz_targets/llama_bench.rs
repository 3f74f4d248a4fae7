//! Fuzz target: llama-bench output of arbitrary bytes (JSON, JSONL, CSV or Markdown, as
//! `import-bench` reads it) must parse to rows or an error naming the row, never panic; every
//! row's speed is positive and finite, and its quant guess and test date are computed.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(rows) = headroom::detect::parse_llama_bench(text) {
        for r in &rows {
            assert!(r.avg_tokens_per_s.is_finite() && r.avg_tokens_per_s > 0.0);
            let _ = headroom::detect::guess_quant(&r.model_type);
            let _ = r.test_date();
        }
    }
});
