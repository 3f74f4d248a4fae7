//! Fuzz target: a user catalogue file of arbitrary bytes, loaded with the built-in catalogue
//! the way `--catalog PATH` loads it (byte-order mark stripped, parsed, merged, validated),
//! then given rows the way `import-bench --save-to` appends them. Every step must return an
//! error or a value, never panic.
#![no_main]

use std::sync::OnceLock;

use headroom::catalog::{self, SourceText};
use headroom::engine::types::Origin;
use libfuzzer_sys::fuzz_target;

fn built_in() -> &'static [SourceText] {
    static SOURCES: OnceLock<Vec<SourceText>> = OnceLock::new();
    SOURCES.get_or_init(catalog::built_in_sources)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let user = SourceText {
        origin: Origin::User("fuzz.ron".to_owned()),
        label: "fuzz.ron".to_owned(),
        text: text.to_owned(),
    };
    if catalog::validate::parse(&user).is_ok() {
        let mut sources = built_in().to_vec();
        sources.push(user);
        let _ = catalog::load(&sources);
    }
    let row = "(machine: \"pc-rtx-4090\", runtime: \"cuda\", model: \"llama-3.1-8b\", quant: \"Q4_K_M\", test: \"tg128\", tokens_per_s: 150.0, source: \"measured: fuzz\")";
    let _ = catalog::span::append_to_list(text, "benchmarks", &[row.to_owned()]);
});
