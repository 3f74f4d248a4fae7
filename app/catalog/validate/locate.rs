//! Where things are in catalogue text: RON error messages in the catalogue's words, the
//! entry around a position, the line and column of an entry's field, and "did you mean".

use super::*;

/// Replaces Rust type names in RON's messages with the catalogue's words.
pub(super) fn friendly_ron_message(message: &str) -> String {
    const NAMES: &[(&str, &str)] = &[
        ("RawFile", "catalogue file"),
        ("RawMachine", "machine"),
        ("RawMemoryOption", "memory option"),
        ("RawCompute", "compute_tflops"),
        ("RawAcceleratorMemory", "accelerator_memory"),
        ("RawInterconnect", "interconnect"),
        ("RawClaim", "claim"),
        ("RawModel", "model"),
        ("RawGgufFile", "gguf file"),
        ("RawQuant", "quant"),
        ("RawKvType", "KV type"),
        ("RawWorkload", "workload"),
        ("RawTask", "task"),
        ("RawCloud", "cloud offer"),
        ("RawRuntimeProfile", "runtime profile"),
        ("FitPrior", "fit_prior"),
        ("RawBenchmark", "benchmark"),
        ("RawDraft", "draft pairing"),
        ("RawServingBenchmark", "serving benchmark"),
        ("ServingCase", "serving case"),
        ("Sourced", "sourced value (value, source)"),
    ];
    let mut out = message.to_owned();
    for (from, to) in NAMES {
        out = out.replace(&format!("`{from}`"), &format!("`{to}`"));
    }
    out
}

/// The `id: "..."` nearest before a position, to name the entry an error is in.
pub(super) fn enclosing_id(text: &str, line: usize, column: usize) -> Option<String> {
    let offset = offset_of(text, line, column).min(text.len());
    let before = text.get(..offset)?;
    let start = before.rfind("id:")?;
    let rest = &text[start + 3..];
    let open = rest.find('"')?;
    let close = rest[open + 1..].find('"')?;
    Some(rest[open + 1..open + 1 + close].to_owned())
}

pub(super) fn offset_of(text: &str, line: usize, column: usize) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i + 1 == line {
            return offset
                + l.char_indices()
                    .nth(column.saturating_sub(1))
                    .map_or(l.len(), |(o, _)| o);
        }
        offset += l.len();
    }
    text.len()
}

pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Finds where an entry's field (and optionally a value in it) is written.
pub(super) fn locate(
    source: &SourceText,
    key: &str,
    id: &str,
    field: &str,
    value: Option<&str>,
) -> Location {
    let text = &source.text;
    let entry = find_entry(text, key, id).unwrap_or(0);
    let mut at = entry;
    if let Some(pos) = find_field(&text[entry..], field) {
        at = entry + pos;
        if let Some(v) = value {
            if let Some(p) = text[at..].find(&format!("\"{v}\"")) {
                at += p;
            }
        }
    }
    let (line, column) = line_col(text, at);
    Location {
        file: source.label.clone(),
        line,
        column,
    }
}

pub(super) fn find_entry(text: &str, key: &str, id: &str) -> Option<usize> {
    let needle = format!("\"{id}\"");
    let mut from = 0;
    while let Some(p) = text[from..].find(&needle) {
        let abs = from + p;
        let before = text[..abs].trim_end();
        if before.ends_with(&format!("{key}:")) {
            return Some(before.len() - key.len() - 1);
        }
        from = abs + needle.len();
    }
    None
}

/// Where `field` is set in `text`; a dotted path (`attention_matmul.values`) finds each
/// part after the one before it.
pub(super) fn find_field(text: &str, field: &str) -> Option<usize> {
    let mut at = 0;
    for part in field.split('.') {
        at += find_plain_field(&text[at..], part)?;
    }
    Some(at)
}

pub(super) fn find_plain_field(text: &str, field: &str) -> Option<usize> {
    let needle = format!("{field}:");
    let mut from = 0;
    while let Some(p) = text[from..].find(&needle) {
        let abs = from + p;
        let prev = text[..abs].chars().next_back();
        if prev.is_none_or(|c| !(c.is_alphanumeric() || c == '_')) {
            return Some(abs);
        }
        from = abs + needle.len();
    }
    None
}

/// The ids closest to `wanted`, for "did you mean".
pub fn closest<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> Vec<&'a str> {
    let mut scored: Vec<(f64, &str)> = candidates
        .map(|c| {
            (
                strsim::normalized_damerau_levenshtein(&wanted.to_lowercase(), &c.to_lowercase()),
                c,
            )
        })
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    scored.into_iter().take(3).map(|(_, c)| c).collect()
}

pub(super) fn did_you_mean<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let near = closest(wanted, candidates);
    if near.is_empty() {
        String::new()
    } else {
        format!("; closest: {}", near.join(", "))
    }
}
