//! Import of the user's own `llama-bench` results (`-o json`, `-o jsonl`, `-o csv`, `-o md`).
//!
//! Field names follow llama.cpp's `llama-bench.cpp` (`build_commit`, `model_type`,
//! `model_size`, `model_n_params`, `backends`, `n_gpu_layers`, `flash_attn`, `type_k`,
//! `n_prompt`, `n_gen`, `n_depth`, `avg_ts`, `stddev_ts`, ...). The markdown table uses display
//! names (`ngl`, `fa`, `threads`, `t/s`) and encodes the test as `pp512`, `tg128` or
//! `pp512 @ d4096`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One benchmark row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct BenchResult {
    /// llama.cpp's model description, e.g. "qwen2 7B Q4_K - Medium".
    pub model_type: String,
    /// Model file size (from the markdown table: rounded GiB/MiB figure converted to bytes).
    pub model_size_bytes: Option<u64>,
    /// Parameter count.
    pub model_n_params: Option<u64>,
    /// Backend(s), e.g. "CUDA", "Metal,BLAS", "ROCm", "Vulkan", "CPU".
    pub backend: String,
    /// Layers offloaded to the GPU (`ngl`), when reported.
    pub n_gpu_layers: Option<i32>,
    /// Prompt tokens processed (pp test), 0 for a pure generation test.
    pub n_prompt: u32,
    /// Tokens generated (tg test), 0 for a pure prompt test.
    pub n_gen: u32,
    /// Context depth prefilled before the test (`@ dN`).
    pub n_depth: u32,
    /// Tokens per micro-batch (`-ub`, `n_ubatch`), when reported.
    pub n_ubatch: Option<u32>,
    /// Mean tokens per second.
    pub avg_tokens_per_s: f64,
    /// Standard deviation of tokens per second, when reported.
    pub stddev_tokens_per_s: Option<f64>,
    /// llama.cpp build commit, when reported.
    pub build_commit: Option<String>,
    /// Flash attention on/off; `None` when "auto" (-1) or not reported.
    pub flash_attn: Option<bool>,
    /// K cache type, e.g. "f16", "q8_0".
    pub type_k: Option<String>,
    /// GPU description as llama-bench printed it.
    pub gpu_info: Option<String>,
    /// CPU description as llama-bench printed it.
    pub cpu_info: Option<String>,
    /// When the test ran (`test_time`, e.g. `2025-01-15T10:23:45Z`), when reported.
    pub test_time: Option<String>,
}

impl BenchResult {
    /// The day the test ran, `YYYY-MM-DD`, from `test_time`.
    pub fn test_date(&self) -> Option<String> {
        let t = self.test_time.as_deref()?;
        let day = t.get(..10)?;
        let b = day.as_bytes();
        let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
        (digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10))
            .then(|| day.to_owned())
    }
}

/// Why an import failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    /// Nothing but whitespace.
    #[error("the text is empty")]
    Empty,
    /// Not JSON, JSONL, CSV or a markdown table from llama-bench.
    #[error("not llama-bench output (expected -o json, jsonl, csv or md)")]
    UnknownFormat,
    /// Invalid JSON / JSONL.
    #[error("invalid JSON at line {line}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// Parser message.
        message: String,
    },
    /// Invalid CSV.
    #[error("invalid CSV: {0}")]
    Csv(String),
    /// A required field is missing.
    #[error("result {row}: missing field `{field}`")]
    MissingField {
        /// 1-based result number.
        row: usize,
        /// Field name.
        field: String,
    },
    /// A field has an unusable value.
    #[error("result {row}: field `{field}` has unusable value `{value}`")]
    BadValue {
        /// 1-based result number.
        row: usize,
        /// Field name.
        field: String,
        /// The value.
        value: String,
    },
    /// The format was recognised but held no results.
    #[error("no benchmark results found")]
    NoResults,
}

type Record = HashMap<String, String>;

/// Parses llama-bench output, detecting the format (json, jsonl, csv or markdown).
///
/// Log lines around the table (e.g. `ggml_cuda_init: ...` or `build: 8cf427ff (5163)`) are
/// tolerated in markdown input; the `build:` line supplies `build_commit`.
pub fn parse_llama_bench(text: &str) -> Result<Vec<BenchResult>, ImportError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim();
    if trimmed.is_empty() {
        return Err(ImportError::Empty);
    }
    let (records, build) = if trimmed.starts_with('[') {
        (parse_json_array(trimmed)?, None)
    } else if trimmed.starts_with('{') {
        (parse_jsonl(trimmed)?, None)
    } else if let Some(md) = parse_markdown(trimmed) {
        md
    } else if trimmed
        .lines()
        .next()
        .is_some_and(|l| l.contains(',') && (l.contains("model_type") || l.contains("avg_ts")))
    {
        (parse_csv(trimmed)?, None)
    } else {
        return Err(ImportError::UnknownFormat);
    };
    if records.is_empty() {
        return Err(ImportError::NoResults);
    }
    records
        .iter()
        .enumerate()
        .map(|(i, r)| to_result(r, i + 1, build.as_deref()))
        .collect()
}

fn value_to_string(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

fn object_to_record(v: &Value) -> Option<Record> {
    let obj = v.as_object()?;
    Some(
        obj.iter()
            .filter_map(|(k, v)| value_to_string(v).map(|s| (k.clone(), s)))
            .collect(),
    )
}

fn parse_json_array(text: &str) -> Result<Vec<Record>, ImportError> {
    let v: Value = serde_json::from_str(text).map_err(|e| ImportError::Json {
        line: e.line(),
        message: e.to_string(),
    })?;
    let arr = v.as_array().ok_or(ImportError::UnknownFormat)?;
    arr.iter()
        .map(|o| object_to_record(o).ok_or(ImportError::UnknownFormat))
        .collect()
}

fn parse_jsonl(text: &str) -> Result<Vec<Record>, ImportError> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let v: Value = serde_json::from_str(line).map_err(|e| ImportError::Json {
            line: i + 1,
            message: e.to_string(),
        })?;
        out.push(object_to_record(&v).ok_or(ImportError::UnknownFormat)?);
    }
    Ok(out)
}

fn parse_csv(text: &str) -> Result<Vec<Record>, ImportError> {
    let mut rdr = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers = rdr
        .headers()
        .map_err(|e| ImportError::Csv(e.to_string()))?
        .clone();
    let mut out = Vec::new();
    for row in rdr.records() {
        let row = row.map_err(|e| ImportError::Csv(e.to_string()))?;
        out.push(
            headers
                .iter()
                .zip(row.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect(),
        );
    }
    Ok(out)
}

/// Markdown display name -> llama-bench field name.
fn md_field(display: &str) -> String {
    match display {
        "model" => "model_type",
        "backend" => "backends",
        "ngl" => "n_gpu_layers",
        "n_ubatch" | "ub" => "n_ubatch",
        "threads" => "n_threads",
        "fa" => "flash_attn",
        "sm" => "split_mode",
        "nkvo" => "no_kv_offload",
        "mmap" => "use_mmap",
        "embd" => "embeddings",
        "ts" => "tensor_split",
        other => other,
    }
    .to_string()
}

fn md_cells(line: &str) -> Vec<String> {
    line.trim()
        .trim_start_matches('|')
        .trim_end_matches('|')
        .split('|')
        .map(|c| c.trim().to_string())
        .collect()
}

/// Parses every llama-bench markdown table in `text`; `None` when there is none.
fn parse_markdown(text: &str) -> Option<(Vec<Record>, Option<String>)> {
    let mut records = Vec::new();
    let mut header: Option<Vec<String>> = None;
    let mut seen_table = false;
    let mut build = None;
    for line in text.lines() {
        let l = line.trim();
        if let Some(rest) = l.strip_prefix("build:") {
            build = rest.split_whitespace().next().map(str::to_string);
            continue;
        }
        if !l.starts_with('|') {
            header = None;
            continue;
        }
        let cells = md_cells(l);
        if cells.iter().any(|c| c == "model") && cells.iter().any(|c| c == "t/s") {
            header = Some(cells.iter().map(|c| md_field(c)).collect());
            seen_table = true;
            continue;
        }
        if cells
            .iter()
            .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':')))
        {
            continue;
        }
        if let Some(h) = &header {
            records.push(
                h.iter()
                    .cloned()
                    .zip(cells)
                    .filter(|(_, v)| !v.is_empty())
                    .collect(),
            );
        }
    }
    seen_table.then_some((records, build))
}

/// "3.56 GiB" / "942.43 MiB" -> bytes.
fn parse_size_bytes(s: &str) -> Option<u64> {
    let mut it = s.split_whitespace();
    let v: f64 = it.next()?.parse().ok()?;
    let mult = match it.next().unwrap_or("B") {
        "TiB" => (1u64 << 40) as f64,
        "GiB" => (1u64 << 30) as f64,
        "MiB" => (1u64 << 20) as f64,
        "KiB" => 1024.0,
        "B" => 1.0,
        _ => return None,
    };
    Some((v * mult).round() as u64)
}

/// "7.62 B" / "494.03 M" -> count.
fn parse_params(s: &str) -> Option<u64> {
    let mut it = s.split_whitespace();
    let v: f64 = it.next()?.parse().ok()?;
    let mult = match it.next().unwrap_or("") {
        "T" => 1e12,
        "B" | "G" => 1e9,
        "M" => 1e6,
        "K" | "k" => 1e3,
        "" => 1.0,
        _ => return None,
    };
    Some((v * mult).round() as u64)
}

/// "pp512", "tg128", "pp 512", "pp512+tg128", "pp512 @ d4096" -> (n_prompt, n_gen, n_depth).
fn parse_test(s: &str) -> Option<(u32, u32, u32)> {
    let (left, depth) = match s.split_once('@') {
        Some((l, d)) => (l, d.trim().trim_start_matches('d').trim().parse().ok()?),
        None => (s, 0),
    };
    let (mut pp, mut tg) = (0, 0);
    for part in left.split('+') {
        let p = part.trim();
        if let Some(n) = p.strip_prefix("pp") {
            pp = n.trim().parse().ok()?;
        } else if let Some(n) = p.strip_prefix("tg") {
            tg = n.trim().parse().ok()?;
        } else {
            return None;
        }
    }
    Some((pp, tg, depth))
}

fn parse_flash_attn(s: &str) -> Option<bool> {
    match s.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" | "enabled" => Some(true),
        "0" | "false" | "off" | "no" | "disabled" => Some(false),
        _ => None, // "-1" / "auto"
    }
}

fn to_result(r: &Record, row: usize, build: Option<&str>) -> Result<BenchResult, ImportError> {
    let get = |k: &str| r.get(k).map(|s| s.trim()).filter(|s| !s.is_empty());
    let missing = |f: &str| ImportError::MissingField {
        row,
        field: f.to_string(),
    };
    let bad = |f: &str, v: &str| ImportError::BadValue {
        row,
        field: f.to_string(),
        value: v.to_string(),
    };
    let num_u32 = |f: &str| -> Result<Option<u32>, ImportError> {
        get(f)
            .map(|v| v.parse::<u32>().map_err(|_| bad(f, v)))
            .transpose()
    };
    let model_type = get("model_type")
        .ok_or_else(|| missing("model_type"))?
        .to_string();

    let (n_prompt, n_gen, n_depth, avg, stddev);
    if let Some(test) = get("test") {
        // Markdown: test name and "avg ± stddev".
        let (p, g, d) = parse_test(test).ok_or_else(|| bad("test", test))?;
        (n_prompt, n_gen, n_depth) = (p, g, d);
        let ts = get("t/s").ok_or_else(|| missing("t/s"))?;
        let mut parts = ts.split('±').map(str::trim);
        avg = parts
            .next()
            .and_then(|v| v.parse::<f64>().ok())
            .ok_or_else(|| bad("t/s", ts))?;
        stddev = parts.next().and_then(|v| v.parse::<f64>().ok());
    } else {
        n_prompt = num_u32("n_prompt")?.unwrap_or(0);
        n_gen = num_u32("n_gen")?.unwrap_or(0);
        n_depth = num_u32("n_depth")?.unwrap_or(0);
        let a = get("avg_ts").ok_or_else(|| missing("avg_ts"))?;
        avg = a.parse::<f64>().map_err(|_| bad("avg_ts", a))?;
        stddev = get("stddev_ts").and_then(|v| v.parse::<f64>().ok());
    }
    if !avg.is_finite() || avg <= 0.0 {
        return Err(bad("avg_ts", &avg.to_string()));
    }
    let model_size_bytes = get("model_size")
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| get("size").and_then(parse_size_bytes));
    let model_n_params = get("model_n_params")
        .and_then(|v| v.parse::<u64>().ok())
        .or_else(|| get("params").and_then(parse_params));
    let n_gpu_layers = get("n_gpu_layers").and_then(|v| v.parse::<i32>().ok());
    let n_ubatch = get("n_ubatch").and_then(|v| v.parse::<u32>().ok());
    Ok(BenchResult {
        model_type,
        model_size_bytes,
        model_n_params,
        backend: get("backends")
            .or_else(|| get("backend"))
            .unwrap_or("")
            .to_string(),
        n_gpu_layers,
        n_prompt,
        n_gen,
        n_depth,
        n_ubatch,
        avg_tokens_per_s: avg,
        stddev_tokens_per_s: stddev,
        build_commit: get("build_commit").or(build).map(str::to_string),
        flash_attn: get("flash_attn").and_then(parse_flash_attn),
        type_k: get("type_k").map(str::to_string),
        gpu_info: get("gpu_info").map(str::to_string),
        cpu_info: get("cpu_info").map(str::to_string),
        test_time: get("test_time").map(str::to_string),
    })
}

/// Quant names as llama.cpp prints them in `model_type` (after the size), mapped to the names
/// used in GGUF file names. K-quants carry a size word: "Q4_K - Medium" is Q4_K_M.
const SIZED_QUANTS: &[(&str, &str, &str)] = &[
    ("Q2_K", "SMALL", "Q2_K_S"),
    ("Q2_K", "MEDIUM", "Q2_K"),
    ("Q3_K", "SMALL", "Q3_K_S"),
    ("Q3_K", "MEDIUM", "Q3_K_M"),
    ("Q3_K", "LARGE", "Q3_K_L"),
    ("Q4_K", "SMALL", "Q4_K_S"),
    ("Q4_K", "MEDIUM", "Q4_K_M"),
    ("Q5_K", "SMALL", "Q5_K_S"),
    ("Q5_K", "MEDIUM", "Q5_K_M"),
    ("IQ3_S", "MIX", "IQ3_M"),
];

/// Quant names that stand alone.
const PLAIN_QUANTS: &[&str] = &[
    "F32", "F16", "BF16", "Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
    "Q6_K", "IQ1_S", "IQ1_M", "IQ2_XXS", "IQ2_XS", "IQ2_S", "IQ2_M", "IQ3_XXS", "IQ3_XS", "IQ3_S",
    "IQ3_M", "IQ4_NL", "IQ4_XS", "TQ1_0", "TQ2_0", "MXFP4",
];

/// Guesses the GGUF quant name from llama.cpp's `model_type`.
///
/// "qwen3moe 30B.A3B Q4_K - Medium" -> "Q4_K_M", "llama 7B mostly Q4_0" -> "Q4_0",
/// "gpt-oss 20B MXFP4 MoE" -> "MXFP4", "llama 8B all F32" -> "F32".
pub fn guess_quant(model_type: &str) -> Option<&'static str> {
    let toks: Vec<String> = model_type
        .split_whitespace()
        .map(|t| t.to_ascii_uppercase())
        .collect();
    // Skip the architecture name (first token) so "f16"-like arch names cannot match.
    for (i, t) in toks.iter().enumerate().skip(1) {
        let Some(base) = PLAIN_QUANTS.iter().find(|q| **q == t.as_str()) else {
            continue;
        };
        let word = toks[i + 1..]
            .iter()
            .find(|w| w.as_str() != "-")
            .map(String::as_str)
            .unwrap_or("");
        if let Some((_, _, name)) = SIZED_QUANTS
            .iter()
            .find(|(b, w, _)| b == base && *w == word)
        {
            return Some(name);
        }
        return Some(base);
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quant_names() {
        assert_eq!(
            guess_quant("qwen3moe 30B.A3B Q4_K - Medium"),
            Some("Q4_K_M")
        );
        assert_eq!(guess_quant("llama 7B Q4_0"), Some("Q4_0"));
        assert_eq!(guess_quant("llama 7B mostly Q4_0"), Some("Q4_0"));
        assert_eq!(guess_quant("gpt-oss 20B MXFP4 MoE"), Some("MXFP4"));
        assert_eq!(guess_quant("llama 8B Q5_K - Small"), Some("Q5_K_S"));
        assert_eq!(guess_quant("llama 70B Q3_K - Large"), Some("Q3_K_L"));
        assert_eq!(guess_quant("llama 8B Q2_K - Medium"), Some("Q2_K"));
        assert_eq!(
            guess_quant("llama 8B IQ2_XXS - 2.0625 bpw"),
            Some("IQ2_XXS")
        );
        assert_eq!(guess_quant("llama 8B IQ3_S mix - 3.66 bpw"), Some("IQ3_M"));
        assert_eq!(guess_quant("llama 8B all F32"), Some("F32"));
        assert_eq!(guess_quant("qwen2 7B Q6_K"), Some("Q6_K"));
        assert_eq!(guess_quant("llama 8B BF16"), Some("BF16"));
        assert_eq!(guess_quant("llama ?B"), None);
    }

    #[test]
    fn test_names() {
        assert_eq!(parse_test("pp512"), Some((512, 0, 0)));
        assert_eq!(parse_test("tg 128"), Some((0, 128, 0)));
        assert_eq!(parse_test("pp512 @ d4096"), Some((512, 0, 4096)));
        assert_eq!(parse_test("pp512+tg128"), Some((512, 128, 0)));
        assert_eq!(parse_test("xx12"), None);
    }

    #[test]
    fn sizes_and_params() {
        assert_eq!(parse_size_bytes("1.00 GiB"), Some(1 << 30));
        assert_eq!(parse_params("7.62 B"), Some(7_620_000_000));
        assert_eq!(parse_params("494.03 M"), Some(494_030_000));
    }

    #[test]
    fn errors() {
        assert_eq!(parse_llama_bench("  \n"), Err(ImportError::Empty));
        assert_eq!(
            parse_llama_bench("hello world"),
            Err(ImportError::UnknownFormat)
        );
        assert!(matches!(
            parse_llama_bench("[{\"model_type\": "),
            Err(ImportError::Json { .. })
        ));
        assert_eq!(parse_llama_bench("[]"), Err(ImportError::NoResults));
        assert!(matches!(
            parse_llama_bench("[{\"model_type\": \"llama 7B Q4_0\"}]"),
            Err(ImportError::MissingField { .. })
        ));
    }
}
