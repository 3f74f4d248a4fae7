//! Second input stage: raw entries from every file are merged by id (later files override
//! earlier ones), checked, and turned into the engine's [`Catalog`]. Every error names the
//! file, line, column, entry and field; all errors are collected, not just the first.

use std::collections::BTreeMap;

use super::error::{CatalogError, Location};
use super::raw::*;
use super::SourceText;
use crate::engine::types::*;

/// Parses and validates catalogue sources, in override order.
pub fn load(sources: &[SourceText]) -> Result<Catalog, Vec<CatalogError>> {
    let mut errors = Vec::new();
    let mut parsed = Vec::with_capacity(sources.len());
    for source in sources {
        match parse(source) {
            Ok(file) => parsed.push((source, file)),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        // Later errors would only echo the unparsed file (every reference into it unknown).
        return Err(errors);
    }
    let mut merged = Merged::default();
    for (source, file) in &parsed {
        merged.add(source, file, &mut errors);
    }
    let mut catalog = merged.validate(&mut errors);
    if errors.is_empty() {
        catalog.corrections = crate::engine::calibrate::user_corrections(&catalog);
        catalog.measured = crate::engine::calibrate::catalogue_measured_cases(&catalog);
        Ok(catalog)
    } else {
        Err(errors)
    }
}

/// First stage: RON text to raw types, with the RON error's position.
pub fn parse(source: &SourceText) -> Result<RawFile, CatalogError> {
    // Optional fields may be written bare (`price_usd: 3999`) or as `Some(3999)`.
    let options =
        ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    options.from_str::<RawFile>(&source.text).map_err(|e| {
        let line = e.span.start.line.max(1);
        let column = e.span.start.col.max(1);
        let mut message = friendly_ron_message(&e.code.to_string());
        if let Some(id) = enclosing_id(&source.text, line, column) {
            message = format!("{message} in entry \"{id}\"");
        }
        CatalogError::Syntax {
            message,
            location: Location {
                file: source.label.clone(),
                line,
                column,
            },
        }
    })
}

/// Replaces Rust type names in RON's messages with the catalogue's words.
fn friendly_ron_message(message: &str) -> String {
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
        ("Sourced", "sourced value (value, source)"),
    ];
    let mut out = message.to_owned();
    for (from, to) in NAMES {
        out = out.replace(&format!("`{from}`"), &format!("`{to}`"));
    }
    out
}

/// The `id: "..."` nearest before a position, to name the entry an error is in.
fn enclosing_id(text: &str, line: usize, column: usize) -> Option<String> {
    let offset = offset_of(text, line, column).min(text.len());
    let before = text.get(..offset)?;
    let start = before.rfind("id:")?;
    let rest = &text[start + 3..];
    let open = rest.find('"')?;
    let close = rest[open + 1..].find('"')?;
    Some(rest[open + 1..open + 1 + close].to_owned())
}

fn offset_of(text: &str, line: usize, column: usize) -> usize {
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

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

/// Finds where an entry's field (and optionally a value in it) is written.
fn locate(source: &SourceText, key: &str, id: &str, field: &str, value: Option<&str>) -> Location {
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

fn find_entry(text: &str, key: &str, id: &str) -> Option<usize> {
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
fn find_field(text: &str, field: &str) -> Option<usize> {
    let mut at = 0;
    for part in field.split('.') {
        at += find_plain_field(&text[at..], part)?;
    }
    Some(at)
}

fn find_plain_field(text: &str, field: &str) -> Option<usize> {
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

fn did_you_mean<'a>(wanted: &str, candidates: impl Iterator<Item = &'a str>) -> String {
    let near = closest(wanted, candidates);
    if near.is_empty() {
        String::new()
    } else {
        format!("; closest: {}", near.join(", "))
    }
}

/// Raw entries of every file, keyed by id, each with the source it came from.
#[derive(Default)]
struct Merged<'s> {
    machines: BTreeMap<String, (&'s SourceText, RawMachine)>,
    models: BTreeMap<String, (&'s SourceText, RawModel)>,
    quants: BTreeMap<String, (&'s SourceText, RawQuant)>,
    kv_types: BTreeMap<String, (&'s SourceText, RawKvType)>,
    workloads: BTreeMap<String, (&'s SourceText, RawWorkload)>,
    cloud: BTreeMap<String, (&'s SourceText, RawCloud)>,
    runtimes: BTreeMap<String, (&'s SourceText, RawRuntimeProfile)>,
    benchmarks: Vec<(&'s SourceText, RawBenchmark)>,
    /// Order in which ids first appeared, to keep the catalogue's order.
    order: BTreeMap<(&'static str, String), usize>,
}

macro_rules! merge_section {
    ($self:ident, $source:ident, $errors:ident, $list:expr, $map:ident, $kind:literal, $key:literal, $id:ident) => {{
        let mut seen = std::collections::HashSet::new();
        for entry in $list {
            let id = entry.$id.clone();
            if !seen.insert(id.clone()) {
                $errors.push(CatalogError::Invalid {
                    message: format!("duplicate {} id \"{}\" in one file", $kind, id),
                    location: locate($source, $key, &id, $key, None),
                });
                continue;
            }
            let next = $self.order.len();
            $self.order.entry(($kind, id.clone())).or_insert(next);
            $self.$map.insert(id, ($source, entry.clone()));
        }
    }};
}

impl<'s> Merged<'s> {
    fn add(&mut self, source: &'s SourceText, file: &RawFile, errors: &mut Vec<CatalogError>) {
        merge_section!(
            self,
            source,
            errors,
            &file.machines,
            machines,
            "machine",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.models,
            models,
            "model",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.quants,
            quants,
            "quant",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.kv_types,
            kv_types,
            "KV type",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.workloads,
            workloads,
            "workload",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.cloud,
            cloud,
            "cloud offer",
            "id",
            id
        );
        merge_section!(
            self,
            source,
            errors,
            &file.runtimes,
            runtimes,
            "runtime profile",
            "runtime",
            runtime
        );
        self.benchmarks
            .extend(file.benchmarks.iter().map(|b| (source, b.clone())));
    }

    fn ordered<T: Clone>(
        &self,
        kind: &'static str,
        map: &BTreeMap<String, (&'s SourceText, T)>,
    ) -> Vec<(&'s SourceText, T)> {
        let mut items: Vec<(usize, (&'s SourceText, T))> = map
            .iter()
            .map(|(id, (s, v))| {
                (
                    self.order
                        .get(&(kind, id.clone()))
                        .copied()
                        .unwrap_or(usize::MAX),
                    (*s, v.clone()),
                )
            })
            .collect();
        items.sort_by_key(|(o, _)| *o);
        items.into_iter().map(|(_, v)| v).collect()
    }

    fn validate(&self, errors: &mut Vec<CatalogError>) -> Catalog {
        let mut catalog = Catalog::default();
        for (source, raw) in self.ordered("quant", &self.quants) {
            if let Some(q) = Check::new(source, "quant", &raw.id, "id", errors).quant(&raw) {
                catalog.quants.push(q);
            }
        }
        for (source, raw) in self.ordered("KV type", &self.kv_types) {
            if let Some(k) = Check::new(source, "KV type", &raw.id, "id", errors).kv_type(&raw) {
                catalog.kv_types.push(k);
            }
        }
        for (source, raw) in self.ordered("model", &self.models) {
            if let Some(m) =
                Check::new(source, "model", &raw.id, "id", errors).model(&raw, &catalog)
            {
                catalog.models.push(m);
            }
        }
        for (source, raw) in self.ordered("runtime profile", &self.runtimes) {
            if let Some(r) =
                Check::new(source, "runtime profile", &raw.runtime, "runtime", errors).runtime(&raw)
            {
                catalog.runtimes.push(r);
            }
        }
        for (source, raw) in self.ordered("machine", &self.machines) {
            if let Some(m) =
                Check::new(source, "machine", &raw.id, "id", errors).machine(&raw, &catalog)
            {
                catalog.machines.push(m);
            }
        }
        for (source, raw) in self.ordered("cloud offer", &self.cloud) {
            if let Some(c) = Check::new(source, "cloud offer", &raw.id, "id", errors).cloud(&raw) {
                catalog.cloud.push(c);
            }
        }
        for (source, raw) in self.ordered("workload", &self.workloads) {
            if let Some(w) =
                Check::new(source, "workload", &raw.id, "id", errors).workload(&raw, &catalog)
            {
                catalog.workloads.push(w);
            }
        }
        for (source, raw) in &self.benchmarks {
            let id = format!("{}/{}/{}/{}", raw.machine, raw.model, raw.quant, raw.test);
            if let Some(b) =
                Check::new(source, "benchmark", &id, "machine", errors).benchmark(raw, &catalog)
            {
                catalog.benchmarks.push(b);
            }
        }
        catalog
    }
}

/// Validation of one entry: collects errors with their places.
struct Check<'a> {
    source: &'a SourceText,
    kind: &'static str,
    id: &'a str,
    key: &'static str,
    errors: &'a mut Vec<CatalogError>,
    failed: bool,
}

impl<'a> Check<'a> {
    fn new(
        source: &'a SourceText,
        kind: &'static str,
        id: &'a str,
        key: &'static str,
        errors: &'a mut Vec<CatalogError>,
    ) -> Self {
        Self {
            source,
            kind,
            id,
            key,
            errors,
            failed: false,
        }
    }

    fn origin(&self) -> Origin {
        self.source.origin.clone()
    }

    fn fail(&mut self, field: &str, value: Option<&str>, problem: String) {
        self.fail_hint(field, value, problem, String::new());
    }

    /// Records an error; `hint` (a list of valid values, the closest ids) goes last.
    fn fail_hint(&mut self, field: &str, value: Option<&str>, problem: String, hint: String) {
        self.failed = true;
        let location = if self.kind == "benchmark" {
            // Benchmarks have no id; point at the machine field of the row.
            let needle = self.id.split('/').next().unwrap_or_default();
            locate(self.source, "machine", needle, field, value)
        } else {
            locate(self.source, self.key, self.id, field, value)
        };
        self.errors.push(CatalogError::Invalid {
            message: format!(
                "{problem} in {} \"{}\" (field `{field}`){hint}",
                self.kind, self.id
            ),
            location,
        });
    }

    fn slug(&mut self) {
        let ok = !self.id.is_empty()
            && self.id.len() <= 80
            && self.id.chars().all(|c| {
                c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '.' | '_')
            });
        if !ok {
            let id = self.id.to_owned();
            self.fail(
                self.key,
                None,
                format!("id \"{id}\" must be a slug of a-z, 0-9, '-', '.', '_'"),
            );
        }
    }

    fn number(&mut self, field: &str, value: f64, min: f64, max: f64) -> f64 {
        if !value.is_finite() || value < min || value > max {
            self.fail(
                field,
                None,
                format!("{field} {value} is outside {min}..={max}"),
            );
        }
        value
    }

    fn source_text(&mut self, field: &str, source: &str) {
        let s = source.trim();
        let ok = s.starts_with("http://")
            || s.starts_with("https://")
            || ["estimate", "assumed", "fitted", "measured", "derived"]
                .iter()
                .any(|p| s.to_lowercase().starts_with(p));
        if !ok {
            self.fail(
                field,
                None,
                format!("source \"{}\" must be a URL or start with \"estimate\", \"assumed\", \"fitted\", \"measured\" or \"derived\"", short(s)),
            );
        }
    }

    fn sourced(&mut self, field: &str, value: &Sourced, min: f64, max: f64) -> Sourced {
        self.number(field, value.value, min, max);
        self.source_text(field, &value.source);
        value.clone()
    }

    fn parse_enum<T: Copy>(
        &mut self,
        field: &str,
        what: &str,
        text: &str,
        parse: fn(&str) -> Option<T>,
        all: &[T],
        name: fn(T) -> &'static str,
    ) -> Option<T> {
        let parsed = parse(text);
        if parsed.is_none() {
            let valid: Vec<&str> = all.iter().map(|v| name(*v)).collect();
            self.fail_hint(
                field,
                Some(text),
                format!("unknown {what} \"{text}\""),
                format!("; expected one of: {}", valid.join(", ")),
            );
        }
        parsed
    }

    fn runtime_field(&mut self, text: &str) -> Option<Runtime> {
        self.parse_enum(
            "runtime",
            "runtime",
            text,
            Runtime::parse,
            Runtime::ALL,
            Runtime::as_str,
        )
    }

    fn reference(
        &mut self,
        field: &str,
        what: &str,
        wanted: &str,
        exists: bool,
        candidates: Vec<&str>,
    ) {
        if !exists {
            let hint = did_you_mean(wanted, candidates.into_iter());
            self.fail_hint(
                field,
                Some(wanted),
                format!("unknown {what} \"{wanted}\""),
                hint,
            );
        }
    }

    fn done<T>(self, value: T) -> Option<T> {
        (!self.failed).then_some(value)
    }

    fn quant(mut self, raw: &RawQuant) -> Option<Quant> {
        let bits_per_weight = self.sourced("bits_per_weight", &raw.bits_per_weight, 0.5, 32.0);
        if let Some(b) = raw.block_bits_per_weight {
            self.number("block_bits_per_weight", b, 0.5, 32.0);
        }
        let q = Quant {
            id: raw.id.clone(),
            bits_per_weight,
            block_bits_per_weight: raw.block_bits_per_weight,
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(q)
    }

    fn kv_type(mut self, raw: &RawKvType) -> Option<KvType> {
        let bytes_per_element =
            self.sourced("bytes_per_element", &raw.bytes_per_element, 0.05, 4.0);
        let k = KvType {
            id: raw.id.clone(),
            bytes_per_element,
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(k)
    }

    fn model(mut self, raw: &RawModel, catalog: &Catalog) -> Option<Model> {
        self.slug();
        self.number("params_total_b", raw.params_total_b, 0.001, 100_000.0);
        self.number(
            "params_active_b",
            raw.params_active_b,
            0.001,
            raw.params_total_b.max(0.001),
        );
        for (field, v) in [
            ("layers", raw.layers),
            ("hidden_size", raw.hidden_size),
            ("attention_heads", raw.attention_heads),
            ("kv_heads", raw.kv_heads),
            ("head_dim", raw.head_dim),
            ("vocab_size", raw.vocab_size),
        ] {
            if v == 0 || v > 10_000_000 {
                self.fail(
                    field,
                    None,
                    format!("{field} {v} must be between 1 and 10,000,000"),
                );
            }
        }
        if raw.kv_heads > raw.attention_heads {
            self.fail(
                "kv_heads",
                None,
                format!(
                    "kv_heads {} exceeds attention_heads {}",
                    raw.kv_heads, raw.attention_heads
                ),
            );
        }
        if raw.context_native == 0 || raw.context_native > 100_000_000 {
            self.fail(
                "context_native",
                None,
                format!(
                    "context_native {} must be between 1 and 100,000,000",
                    raw.context_native
                ),
            );
        }
        if let Some(ext) = raw.context_extended {
            if ext < raw.context_native || ext > 100_000_000 {
                self.fail("context_extended", None, format!("context_extended {ext} must be at least context_native and at most 100,000,000"));
            }
        }
        match raw.attention {
            Attention::SlidingWindow {
                window,
                sliding_layers,
            } if sliding_layers > raw.layers || window == 0 => {
                self.fail("attention", None, format!("sliding window {window} over {sliding_layers} layers does not fit a {}-layer model", raw.layers));
            }
            Attention::Hybrid { linear_layers, .. } if linear_layers > raw.layers => {
                self.fail(
                    "attention",
                    None,
                    format!("{linear_layers} linear layers exceed {} layers", raw.layers),
                );
            }
            _ => {}
        }
        if let Some(moe) = raw.moe {
            if moe.experts == 0 || moe.experts_per_token == 0 || moe.experts_per_token > moe.experts
            {
                self.fail(
                    "moe",
                    None,
                    format!(
                        "{} experts per token of {} experts is not possible",
                        moe.experts_per_token, moe.experts
                    ),
                );
            }
            if let Some(bits) = moe.expert_bits_per_weight {
                self.number("expert_bits_per_weight", bits, 1.0, 32.0);
            }
        }
        for (i, file) in raw.gguf_files.iter().enumerate() {
            if raw.gguf_files[..i].iter().any(|f| f.quant == file.quant) {
                self.fail(
                    "gguf_files",
                    Some(&file.quant),
                    format!(
                        "two GGUF files for quant \"{}\": each quant may appear once",
                        file.quant
                    ),
                );
            }
            let known = catalog.quant(&file.quant).is_some();
            self.reference(
                "gguf_files",
                "quant",
                &file.quant,
                known,
                catalog.quants.iter().map(|q| q.id.as_str()).collect(),
            );
            if file.bytes == 0 {
                self.fail("gguf_files", None, "GGUF size 0 bytes".to_owned());
            }
            // No GGUF stores more than 32 bits a weight; allow a tenth more for metadata.
            let most = raw.params_total_b.max(0.0) * 1e9 * 4.0 * 1.1 + 1e9;
            if file.bytes as f64 > most {
                self.fail(
                    "gguf_files",
                    Some(&file.quant),
                    format!(
                        "GGUF size {} bytes is more than 4 bytes for each of the model's {} B parameters",
                        file.bytes, raw.params_total_b
                    ),
                );
            }
            self.source_text("gguf_files", &file.source);
        }
        let m = Model {
            id: raw.id.clone(),
            name: raw.name.clone(),
            hf_repo: raw.hf_repo.clone(),
            params_total_b: raw.params_total_b,
            params_active_b: raw.params_active_b,
            layers: raw.layers,
            hidden_size: raw.hidden_size,
            attention_heads: raw.attention_heads,
            kv_heads: raw.kv_heads,
            head_dim: raw.head_dim,
            vocab_size: raw.vocab_size,
            context_native: raw.context_native,
            context_extended: raw.context_extended,
            attention: raw.attention,
            moe: raw.moe,
            embeddings: raw.embeddings,
            gguf_files: raw
                .gguf_files
                .iter()
                .map(|f| GgufFile {
                    quant: f.quant.clone(),
                    bytes: f.bytes,
                    source: f.source.clone(),
                })
                .collect(),
            sources: raw.sources.clone(),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(m)
    }

    fn runtime(mut self, raw: &RawRuntimeProfile) -> Option<RuntimeProfile> {
        let runtime = self.runtime_field(&raw.runtime);
        let mut p = RuntimeProfile {
            runtime: runtime.unwrap_or(Runtime::Cpu),
            bandwidth_efficiency: self.sourced(
                "bandwidth_efficiency",
                &raw.bandwidth_efficiency,
                0.01,
                1.0,
            ),
            compute_efficiency: self.sourced(
                "compute_efficiency",
                &raw.compute_efficiency,
                0.001,
                3.0,
            ),
            attention_efficiency: self.sourced(
                "attention_efficiency",
                &raw.attention_efficiency,
                0.001,
                3.0,
            ),
            moe_prefill_factor: self.sourced(
                "moe_prefill_factor",
                &raw.moe_prefill_factor,
                0.01,
                2.0,
            ),
            moe_layer_overhead_us: self.sourced(
                "moe_layer_overhead_us",
                &raw.moe_layer_overhead_us,
                0.0,
                10_000.0,
            ),
            moe_half_batch_tokens: raw
                .moe_half_batch_tokens
                .as_ref()
                .map(|s| self.sourced("moe_half_batch_tokens", s, 0.0, 4096.0)),
            layer_overhead_us: self.sourced(
                "layer_overhead_us",
                &raw.layer_overhead_us,
                0.0,
                100_000.0,
            ),
            overhead_gb: self.sourced("overhead_gb", &raw.overhead_gb, 0.0, 64.0),
            kv_read_efficiency: self.sourced(
                "kv_read_efficiency",
                &raw.kv_read_efficiency,
                0.0,
                10.0,
            ),
            batch1_bytes_per_unit_cycle: self.batch1_bytes_per_unit_cycle(raw),
            unfused_attention_bytes_per_score: self.unfused_attention_bytes_per_score(raw),
            float_compute_efficiency: self.float_compute_efficiency(raw),
            compute_units: self.compute_units(raw),
            fp4_matmul: self.fp4_matmul(raw),
            decode_error_band: self.band("decode_error_band", raw.decode_error_band),
            prefill_error_band: self.band("prefill_error_band", raw.prefill_error_band),
            decode_unmeasured_band: self.band("decode_unmeasured_band", raw.decode_unmeasured_band),
            prefill_unmeasured_band: self
                .band("prefill_unmeasured_band", raw.prefill_unmeasured_band),
            quantized_matmul: self.matmul_path("quantized_matmul", raw.quantized_matmul.as_deref()),
            float_matmul: self.matmul_path("float_matmul", raw.float_matmul.as_deref()),
            matmul_source: match &raw.matmul_source {
                Some(text) => {
                    self.source_text("matmul_source", text);
                    text.clone()
                }
                None => "assumed: FP16 matrix units with FP32 accumulation".to_owned(),
            },
            attention_scores: MatmulPath::Fp16,
            attention_values: MatmulPath::Fp16,
            attention_source: "assumed: both products on FP16 matrix units with FP32 accumulation"
                .to_owned(),
            retired_build_flags: raw.retired_build_flags.clone(),
            replaced_kernels: raw.replaced_kernels.clone(),
            fit_prior: raw.fit_prior.as_ref().map(|p| self.fit_prior(p)),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        if let Some(attention) = &raw.attention_matmul {
            p.attention_scores =
                self.matmul_path("attention_matmul.scores", Some(&attention.scores));
            p.attention_values =
                self.matmul_path("attention_matmul.values", Some(&attention.values));
            self.source_text("attention_matmul.source", &attention.source);
            p.attention_source = attention.source.clone();
        }
        for retired in &raw.retired_build_flags {
            self.build_flag("retired_build_flags.flag", &retired.flag);
            self.source_text("retired_build_flags.source", &retired.source);
        }
        for replaced in &raw.replaced_kernels {
            if replaced.kernel.trim().is_empty() {
                self.fail(
                    "replaced_kernels.kernel",
                    None,
                    "say in words which kernel was replaced, and by what".to_owned(),
                );
            }
            self.iso_date("replaced_kernels.before", &replaced.before);
            for arch in &replaced.gpu_archs {
                self.gpu_arch("replaced_kernels.gpu_archs", arch);
            }
            self.source_text("replaced_kernels.source", &replaced.source);
        }
        self.done(p)
    }

    // ---- Batch-1 issue rate, attention without flash attention, the float matmul path
    // (issue 15). Absent figures take the prior's typical value, marked "assumed:".

    fn batch1_bytes_per_unit_cycle(&mut self, raw: &RawRuntimeProfile) -> Sourced {
        let typical = raw
            .fit_prior
            .as_ref()
            .map_or(8.0, |p| p.batch1_bytes_per_unit_cycle);
        self.optional_sourced(
            "batch1_bytes_per_unit_cycle",
            raw.batch1_bytes_per_unit_cycle.as_ref(),
            typical,
            (0.1, 1000.0),
        )
    }

    fn unfused_attention_bytes_per_score(&mut self, raw: &RawRuntimeProfile) -> Sourced {
        let typical = raw
            .fit_prior
            .as_ref()
            .map_or(16.0, |p| p.unfused_attention_bytes_per_score);
        self.optional_sourced(
            "unfused_attention_bytes_per_score",
            raw.unfused_attention_bytes_per_score.as_ref(),
            typical,
            (0.0, 1000.0),
        )
    }

    fn float_compute_efficiency(&mut self, raw: &RawRuntimeProfile) -> Sourced {
        let typical = raw.compute_efficiency.value;
        self.optional_sourced(
            "float_compute_efficiency",
            raw.float_compute_efficiency.as_ref(),
            typical,
            (0.001, 3.0),
        )
    }

    fn optional_sourced(
        &mut self,
        field: &str,
        value: Option<&Sourced>,
        typical: f64,
        (lo, hi): (f64, f64),
    ) -> Sourced {
        match value {
            Some(v) => self.sourced(field, v, lo, hi),
            None => Sourced {
                value: typical,
                source: "assumed: not in the profile, so the prior's typical value".to_owned(),
            },
        }
    }

    fn compute_units(&mut self, raw: &RawRuntimeProfile) -> Vec<ComputeUnitRate> {
        for rate in &raw.compute_units {
            self.gpu_arch("compute_units.gpu_arch", &rate.gpu_arch);
            self.number(
                "compute_units.fp16_flops_per_unit_clock",
                rate.fp16_flops_per_unit_clock,
                1.0,
                1e6,
            );
            self.source_text("compute_units.source", &rate.source);
        }
        if let Some(prior) = &raw.fit_prior {
            self.number("fit_prior", prior.batch1_bytes_per_unit_cycle, 0.1, 1000.0);
            self.number(
                "fit_prior",
                prior.unfused_attention_bytes_per_score,
                0.0,
                1000.0,
            );
            self.number("fit_prior", prior.float_compute_efficiency, 0.001, 3.0);
        }
        raw.compute_units.clone()
    }

    fn fp4_matmul(&mut self, raw: &RawRuntimeProfile) -> Option<Fp4Matmul> {
        let fp4 = raw.fp4_matmul.as_ref()?;
        for arch in &fp4.gpu_archs {
            self.gpu_arch("fp4_matmul.gpu_archs", arch);
        }
        if fp4.quants.is_empty() {
            self.fail(
                "fp4_matmul.quants",
                None,
                "name the weight types (e.g. MXFP4) the FP4 path multiplies".to_owned(),
            );
        }
        self.source_text("fp4_matmul.source", &fp4.source);
        Some(fp4.clone())
    }

    // ---- end of issue 15's block.

    /// A date as the catalogue writes them: `2026-05` or `2026-05-09`.
    fn iso_date(&mut self, field: &str, date: &str) {
        if !is_iso_date(date) {
            self.fail(
                field,
                Some(date),
                format!("\"{date}\" must be a date like 2026-05 or 2026-05-09"),
            );
        }
    }

    /// A compiler target name: lower-case letters, digits, `_` and `.`.
    fn gpu_arch(&mut self, field: &str, arch: &str) {
        let ok = !arch.is_empty()
            && arch
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.');
        if !ok {
            self.fail(
                field,
                Some(arch),
                format!(
                    "\"{arch}\" must be a compiler target like gfx1151, sm_89 or apple8 \
                     (lower-case letters, digits, '_' and '.')"
                ),
            );
        }
    }

    /// A CMake option name as llama.cpp spells them: capitals, digits and underscores.
    fn build_flag(&mut self, field: &str, flag: &str) {
        let cmake = !flag.is_empty()
            && flag
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
        if !cmake {
            self.fail(
                field,
                Some(flag),
                format!(
                    "build flag \"{flag}\" must be a CMake option name such as GGML_HIP_ROCWMMA_FATTN"
                ),
            );
        }
    }

    fn matmul_path(&mut self, field: &str, text: Option<&str>) -> MatmulPath {
        let Some(text) = text else {
            return MatmulPath::Fp16;
        };
        let found = MatmulPath::ALL.iter().find(|(name, _)| *name == text);
        if found.is_none() {
            let valid: Vec<&str> = MatmulPath::ALL.iter().map(|(name, _)| *name).collect();
            self.fail_hint(
                field,
                Some(text),
                format!("unknown matmul path \"{text}\""),
                format!("; expected one of: {}", valid.join(", ")),
            );
        }
        found.map_or(MatmulPath::Fp16, |(_, path)| *path)
    }

    fn fit_prior(&mut self, raw: &FitPrior) -> FitPrior {
        let field = "fit_prior";
        self.number(field, raw.weight, 0.0, 1000.0);
        self.number(field, raw.bandwidth_efficiency, 0.01, 1.0);
        self.number(field, raw.compute_efficiency, 0.001, 3.0);
        self.number(field, raw.attention_efficiency, 0.001, 3.0);
        self.number(field, raw.moe_prefill_factor, 0.01, 2.0);
        self.number(field, raw.moe_layer_overhead_us, 0.0, 10_000.0);
        self.number(field, raw.layer_overhead_us, 0.0, 100_000.0);
        self.number(field, raw.kv_read_efficiency, 0.01, 10.0);
        self.source_text(field, &raw.source);
        raw.clone()
    }

    fn band(&mut self, field: &str, band: Option<ErrorBand>) -> ErrorBand {
        let Some(band) = band else {
            return ASSUMED_ERROR_BAND;
        };
        if !(band.low.is_finite()
            && band.high.is_finite()
            && band.low > 0.0
            && band.low <= 1.0
            && band.high >= 1.0
            && band.high < 100.0)
        {
            self.fail(
                field,
                None,
                format!(
                    "error band {}..{} must satisfy 0 < low <= 1 <= high",
                    band.low, band.high
                ),
            );
        }
        band
    }

    fn machine(mut self, raw: &RawMachine, catalog: &Catalog) -> Option<Machine> {
        self.slug();
        let form_factor = self.parse_enum(
            "form_factor",
            "form factor",
            &raw.form_factor,
            FormFactor::parse,
            FormFactor::ALL,
            FormFactor::as_str,
        );
        let os: Vec<Os> = raw
            .os
            .iter()
            .filter_map(|o| {
                self.parse_enum("os", "operating system", o, Os::parse, Os::ALL, Os::as_str)
            })
            .collect();
        let runtimes: Vec<Runtime> = raw
            .runtimes
            .iter()
            .filter_map(|r| {
                self.parse_enum(
                    "runtimes",
                    "runtime",
                    r,
                    Runtime::parse,
                    Runtime::ALL,
                    Runtime::as_str,
                )
            })
            .collect();
        let default_runtime = self.parse_enum(
            "default_runtime",
            "runtime",
            &raw.default_runtime,
            Runtime::parse,
            Runtime::ALL,
            Runtime::as_str,
        );
        if let Some(d) = default_runtime {
            if !runtimes.contains(&d) {
                self.fail(
                    "default_runtime",
                    Some(&raw.default_runtime),
                    format!("default runtime \"{d}\" is not in runtimes"),
                );
            }
        }
        for r in &runtimes {
            if catalog.runtime(*r).is_none() {
                self.fail(
                    "runtimes",
                    Some(r.as_str()),
                    format!("runtime \"{r}\" has no profile in runtimes.ron"),
                );
            }
        }
        let memory_kind = self.parse_enum(
            "memory_kind",
            "memory kind",
            &raw.memory_kind,
            MemoryKind::parse,
            MemoryKind::ALL,
            MemoryKind::as_str,
        );
        if os.is_empty() {
            self.fail("os", None, "no operating system listed".to_owned());
        }
        if raw.device_count == 0 || raw.device_count > 64 {
            self.fail(
                "device_count",
                None,
                format!("device_count {} must be between 1 and 64", raw.device_count),
            );
        }
        if raw.memory_options.is_empty() {
            self.fail(
                "memory_options",
                None,
                "no memory options listed".to_owned(),
            );
        }
        for (i, option) in raw.memory_options.iter().enumerate() {
            // `Machine::memory_option` matches sizes within half a GB, so two options that
            // close are one option twice.
            if raw.memory_options[..i]
                .iter()
                .any(|o| (o.per_device_gb - option.per_device_gb).abs() < 0.5)
            {
                self.fail(
                    "per_device_gb",
                    None,
                    format!(
                        "two memory options of {} GB: each size may appear once",
                        option.per_device_gb
                    ),
                );
            }
            self.number("per_device_gb", option.per_device_gb, 0.5, 100_000.0);
            if let Some(p) = option.price_usd {
                self.number("price_usd", p, 0.0, 10_000_000.0);
            }
            // A price may be dated to the year ("2025"), the month or the day.
            let year_only = option.price_date.len() == 4
                && option.price_date.chars().all(|c| c.is_ascii_digit());
            if !option.price_date.is_empty() && !year_only {
                self.iso_date("price_date", &option.price_date);
            }
            if let Some(c) = &option.condition {
                self.parse_enum(
                    "condition",
                    "price condition",
                    c,
                    PriceCondition::parse,
                    PriceCondition::ALL,
                    PriceCondition::as_str,
                );
            }
            self.source_text("memory_options", &option.source);
        }
        if let Some(date) = &raw.discontinued {
            self.iso_date("discontinued", date);
        }
        if let Some(ram) = raw.system_ram_gb {
            self.number("system_ram_gb", ram, 0.0, 100_000.0);
        }
        let bandwidth = self.sourced(
            "bandwidth_gb_per_s",
            &raw.bandwidth_gb_per_s,
            1.0,
            100_000.0,
        );
        let cpu_tflops = raw
            .cpu_tflops
            .as_ref()
            .map(|s| self.sourced("cpu_tflops", s, 0.001, 10_000.0));
        let ram_bw = raw
            .system_ram_bandwidth_gb_per_s
            .as_ref()
            .map(|s| self.sourced("system_ram_bandwidth_gb_per_s", s, 1.0, 100_000.0));
        let fp16 = match &raw.compute_tflops.fp16 {
            Some(f) => Some(self.sourced("fp16", f, 0.01, 100_000.0)),
            None => {
                self.fail(
                    "compute_tflops",
                    None,
                    "compute_tflops.fp16 is required: prefill is predicted from it".to_owned(),
                );
                None
            }
        };
        let fp16_acc16 = raw
            .compute_tflops
            .fp16_acc16
            .as_ref()
            .map(|s| self.sourced("fp16_acc16", s, 0.01, 100_000.0));
        let int8 = raw
            .compute_tflops
            .int8
            .as_ref()
            .map(|s| self.sourced("int8", s, 0.01, 100_000.0));
        let fp8 = raw
            .compute_tflops
            .fp8
            .as_ref()
            .map(|s| self.sourced("fp8", s, 0.01, 100_000.0));
        let fp4 = raw
            .compute_tflops
            .fp4
            .as_ref()
            .map(|s| self.sourced("fp4", s, 0.01, 100_000.0));
        let achieved_share = raw
            .compute_tflops
            .achieved_share
            .as_ref()
            .map(|s| self.sourced("achieved_share", s, 0.1, 1.5));
        let default_share = self.sourced(
            "default_share",
            &raw.accelerator_memory.default_share,
            0.01,
            1.0,
        );
        let smallest = raw
            .memory_options
            .iter()
            .map(|o| o.per_device_gb)
            .fold(f64::INFINITY, f64::min);
        let tuned_reserve = raw
            .accelerator_memory
            .tuned_reserve_gb
            .as_ref()
            .map(|s| self.sourced("tuned_reserve_gb", s, 0.0, smallest.max(0.0)));
        let interconnect = raw.interconnect.as_ref().map(|i| Interconnect {
            kind: i.kind.clone(),
            bandwidth_gb_per_s: self.sourced(
                "interconnect",
                &i.bandwidth_gb_per_s,
                0.001,
                100_000.0,
            ),
            latency_us: self.sourced("interconnect", &i.latency_us, 0.0, 1_000_000.0),
        });
        let power = self.sourced("power_watts", &raw.power_watts, 1.0, 100_000.0);
        let idle = raw
            .idle_watts
            .as_ref()
            .map(|s| self.sourced("idle_watts", s, 0.0, 100_000.0));
        for claim in &raw.claims {
            let model_known = catalog.model(&claim.model).is_some();
            self.reference(
                "claims",
                "model",
                &claim.model,
                model_known,
                catalog.models.iter().map(|m| m.id.as_str()).collect(),
            );
            let quant_known = catalog.quant(&claim.quant).is_some();
            self.reference(
                "claims",
                "quant",
                &claim.quant,
                quant_known,
                catalog.quants.iter().map(|q| q.id.as_str()).collect(),
            );
            self.number("claims", claim.decode_tokens_per_s, 0.0, 1_000_000.0);
        }
        if let Some(arch) = &raw.gpu_arch {
            self.gpu_arch("gpu_arch", arch);
        }
        let (Some(form_factor), Some(default_runtime), Some(memory_kind), Some(fp16)) =
            (form_factor, default_runtime, memory_kind, fp16)
        else {
            return None;
        };
        let m = Machine {
            id: raw.id.clone(),
            name: raw.name.clone(),
            vendor: raw.vendor.clone(),
            form_factor,
            os,
            runtimes,
            default_runtime,
            memory_kind,
            device_count: raw.device_count.max(1),
            memory_options: raw
                .memory_options
                .iter()
                .map(|o| MemoryOption {
                    per_device_gb: o.per_device_gb,
                    price_usd: o.price_usd,
                    price_date: o.price_date.clone(),
                    condition: o
                        .condition
                        .as_deref()
                        .and_then(PriceCondition::parse)
                        .unwrap_or(PriceCondition::New),
                    source: o.source.clone(),
                })
                .collect(),
            system_ram_gb: raw.system_ram_gb,
            bandwidth_gb_per_s: bandwidth,
            system_ram_bandwidth_gb_per_s: ram_bw,
            fp16_tflops: fp16,
            fp16_acc16_tflops: fp16_acc16,
            int8_tops: int8,
            fp8_tflops: fp8,
            fp4_tflops: fp4,
            matmul_achieved_share: achieved_share,
            cpu_cores: raw.cpu_cores,
            cpu_tflops,
            accelerator_memory: AcceleratorMemory {
                default_share,
                tuned_reserve_gb: tuned_reserve,
                setting: raw.accelerator_memory.setting.clone(),
            },
            interconnect,
            power_watts: power,
            idle_watts: idle,
            released: raw.released.clone(),
            gpu_arch: raw.gpu_arch.clone(),
            sources: raw.sources.clone(),
            notes: raw.notes.clone(),
            claims: raw
                .claims
                .iter()
                .map(|c| Claim {
                    by: c.by.clone(),
                    text: c.text.clone(),
                    model: c.model.clone(),
                    quant: c.quant.clone(),
                    decode_tokens_per_s: c.decode_tokens_per_s,
                })
                .collect(),
            origin: self.origin(),
            sold_alone: raw.sold_alone,
            discontinued: raw.discontinued.clone(),
        };
        self.done(m)
    }

    fn cloud(mut self, raw: &RawCloud) -> Option<CloudOffer> {
        self.slug();
        if raw.context_tokens == 0 {
            self.fail(
                "context_tokens",
                None,
                "context_tokens must be positive".to_owned(),
            );
        }
        let c = CloudOffer {
            id: raw.id.clone(),
            name: raw.name.clone(),
            provider: raw.provider.clone(),
            context_tokens: raw.context_tokens,
            input_usd_per_mtok: self.sourced(
                "input_usd_per_mtok",
                &raw.input_usd_per_mtok,
                0.0,
                10_000.0,
            ),
            output_usd_per_mtok: self.sourced(
                "output_usd_per_mtok",
                &raw.output_usd_per_mtok,
                0.0,
                10_000.0,
            ),
            decode_tokens_per_s: self.sourced(
                "decode_tokens_per_s",
                &raw.decode_tokens_per_s,
                0.1,
                100_000.0,
            ),
            time_to_first_token_secs: self.sourced(
                "time_to_first_token_secs",
                &raw.time_to_first_token_secs,
                0.0,
                3600.0,
            ),
            prefill_tokens_per_s: self.sourced(
                "prefill_tokens_per_s",
                &raw.prefill_tokens_per_s,
                1.0,
                10_000_000.0,
            ),
            data_leaves_machine: raw.data_leaves_machine,
            free_tier: raw.free_tier.clone(),
            sources: raw.sources.clone(),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(c)
    }

    fn workload(mut self, raw: &RawWorkload, catalog: &Catalog) -> Option<Workload> {
        self.slug();
        if raw.tasks.is_empty() {
            self.fail(
                "tasks",
                None,
                "a workload needs at least one task".to_owned(),
            );
        }
        let mut share_sum = 0.0;
        for task in &raw.tasks {
            share_sum += self.number("share", task.share, 0.0, 1.0);
            if task.prompt_tokens == 0 || task.prompt_tokens > 100_000_000 {
                self.fail(
                    "prompt_tokens",
                    None,
                    format!(
                        "prompt_tokens {} of task \"{}\" must be between 1 and 100,000,000",
                        task.prompt_tokens, task.name
                    ),
                );
            }
            if task.output_tokens > 10_000_000 {
                self.fail(
                    "output_tokens",
                    None,
                    format!(
                        "output_tokens {} of task \"{}\" must be at most 10,000,000",
                        task.output_tokens, task.name
                    ),
                );
            }
            if task.cached_tokens > 100_000_000 {
                self.fail(
                    "cached_tokens",
                    None,
                    format!(
                        "cached_tokens {} of task \"{}\" must be at most 100,000,000",
                        task.cached_tokens, task.name
                    ),
                );
            }
            let needed = task
                .cached_tokens
                .saturating_add(task.prompt_tokens)
                .saturating_add(task.output_tokens);
            if let Some(context) = task.context_tokens.filter(|c| *c < needed) {
                self.fail(
                    "context_tokens",
                    None,
                    format!(
                        "context_tokens {context} of task \"{}\" is smaller than its cached + prompt + output tokens ({needed}); the request cannot fit",
                        task.name
                    ),
                );
            }
            self.number("timeout_secs", task.timeout_secs, 0.001, 1e9);
            if let Some(wait) = task.max_wait_secs {
                self.number("max_wait_secs", wait, 0.001, 1e9);
            }
            self.number("requests_per_day", task.requests_per_day, 0.0, 1e9);
            let known = catalog.model(&task.model).is_some();
            self.reference(
                "model",
                "model",
                &task.model,
                known,
                catalog.models.iter().map(|m| m.id.as_str()).collect(),
            );
            let known = catalog.quant(&task.quant).is_some();
            self.reference(
                "quant",
                "quant",
                &task.quant,
                known,
                catalog.quants.iter().map(|q| q.id.as_str()).collect(),
            );
            let known = catalog.kv_type(&task.kv_type).is_some();
            self.reference(
                "kv_type",
                "KV type",
                &task.kv_type,
                known,
                catalog.kv_types.iter().map(|k| k.id.as_str()).collect(),
            );
        }
        if !raw.tasks.is_empty() && (share_sum - 1.0).abs() > 0.01 {
            self.fail(
                "tasks",
                None,
                format!("task shares sum to {share_sum:.3}, not 1"),
            );
        }
        if let Some(min) = raw.min_decode_tokens_per_s {
            self.number("min_decode_tokens_per_s", min, 0.0, 100_000.0);
        }
        let w = Workload {
            id: raw.id.clone(),
            name: raw.name.clone(),
            description: raw.description.clone(),
            models_resident_together: raw.models_resident_together,
            min_decode_tokens_per_s: raw.min_decode_tokens_per_s,
            tasks: raw
                .tasks
                .iter()
                .map(|t| Task {
                    name: t.name.clone(),
                    share: t.share,
                    prompt_tokens: t.prompt_tokens,
                    cached_tokens: t.cached_tokens,
                    output_tokens: t.output_tokens,
                    private: t.private,
                    timeout_secs: t.timeout_secs,
                    model: t.model.clone(),
                    quant: t.quant.clone(),
                    kv_type: t.kv_type.clone(),
                    context_tokens: t.context_tokens,
                    requests_per_day: t.requests_per_day,
                    max_wait_secs: t.max_wait_secs,
                    streaming: t.streaming,
                })
                .collect(),
            sources: raw.sources.clone(),
        };
        self.done(w)
    }

    fn benchmark(mut self, raw: &RawBenchmark, catalog: &Catalog) -> Option<Benchmark> {
        let known = catalog.machine(&raw.machine).is_some();
        self.reference(
            "machine",
            "machine",
            &raw.machine,
            known,
            catalog.machines.iter().map(|m| m.id.as_str()).collect(),
        );
        let known = catalog.model(&raw.model).is_some();
        self.reference(
            "model",
            "model",
            &raw.model,
            known,
            catalog.models.iter().map(|m| m.id.as_str()).collect(),
        );
        let known = catalog.quant(&raw.quant).is_some();
        self.reference(
            "quant",
            "quant",
            &raw.quant,
            known,
            catalog.quants.iter().map(|q| q.id.as_str()).collect(),
        );
        let runtime = self.runtime_field(&raw.runtime);
        let test = parse_test(&raw.test);
        if test.is_none() {
            self.fail(
                "test",
                Some(&raw.test),
                format!("test \"{}\" must look like pp512 or tg128", raw.test),
            );
        }
        self.number("tokens_per_s", raw.tokens_per_s, 1e-6, 1e9);
        self.source_text("source", &raw.source);
        for flag in &raw.build_flags {
            self.build_flag("build_flags", flag);
        }
        if let Some(date) = &raw.date {
            self.iso_date("date", date);
        }
        let (Some(runtime), Some((kind, tokens))) = (runtime, test) else {
            return None;
        };
        if let Some(machine) = catalog.machine(&raw.machine) {
            if !machine.runtimes.contains(&runtime) {
                self.fail(
                    "runtime",
                    Some(&raw.runtime),
                    format!(
                        "machine \"{}\" does not run {runtime} (it runs: {})",
                        machine.id,
                        machine
                            .runtimes
                            .iter()
                            .map(|r| r.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                );
            }
            let kv = catalog.kv_type("f16").or(catalog.kv_types.first());
            if let (Some(model), Some(quant), Some(kv)) =
                (catalog.model(&raw.model), catalog.quant(&raw.quant), kv)
            {
                let loaded = crate::engine::memory::LoadedModel { model, quant, kv };
                let bound = crate::engine::speed::physical_bound_tokens_per_s(
                    machine, runtime, &loaded, kind,
                );
                if raw.tokens_per_s > bound * PHYSICAL_BOUND_MARGIN {
                    self.fail(
                        "tokens_per_s",
                        None,
                        format!(
                            "tokens_per_s {} is more than {PHYSICAL_BOUND_MARGIN} times the machine's physical bound of {bound:.1} tok/s for this test",
                            raw.tokens_per_s
                        ),
                    );
                }
            }
        }
        let b = Benchmark {
            machine: raw.machine.clone(),
            runtime,
            model: raw.model.clone(),
            quant: raw.quant.clone(),
            kind,
            tokens,
            depth: raw.depth,
            tokens_per_s: raw.tokens_per_s,
            build: raw.build.clone(),
            date: raw.date.clone(),
            flash_attention: raw.flash_attention,
            ubatch: match raw.ubatch {
                Some(u) => self.number("ubatch", u as f64, 1.0, 1_048_576.0) as u64,
                None => crate::engine::memory::UBATCH_TOKENS,
            },
            build_flags: raw.build_flags.clone(),
            source: raw.source.clone(),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(b)
    }
}

/// How far above the physical bound (`speed::physical_bound_tokens_per_s`: spec bandwidth
/// for decode, the highest matrix peak for prefill, no losses) a measured speed may be:
/// spec sheets round and boost clocks pass them a little; no run doubles them.
pub const PHYSICAL_BOUND_MARGIN: f64 = 1.5;

/// "pp512" -> (Prefill, 512); "tg128" -> (Decode, 128).
pub fn parse_test(test: &str) -> Option<(TestKind, u64)> {
    let (kind, n) = if let Some(n) = test.strip_prefix("pp") {
        (TestKind::Prefill, n)
    } else if let Some(n) = test.strip_prefix("tg") {
        (TestKind::Decode, n)
    } else {
        return None;
    };
    let n: u64 = n.parse().ok()?;
    (n > 0).then_some((kind, n))
}

fn short(s: &str) -> String {
    if s.chars().count() > 40 {
        format!("{}...", s.chars().take(40).collect::<String>())
    } else {
        s.to_owned()
    }
}

/// Validates one benchmark row built in code (an import) against the catalogue.
pub fn benchmark_from_raw(catalog: &Catalog, raw: &RawBenchmark) -> Option<Benchmark> {
    let source = SourceText {
        origin: Origin::User("import".to_owned()),
        label: "import".to_owned(),
        text: String::new(),
    };
    let mut errors = Vec::new();
    Check::new(&source, "benchmark", &raw.machine, "machine", &mut errors).benchmark(raw, catalog)
}

/// Whether `date` is `YYYY-MM` or `YYYY-MM-DD` with a real month and day number.
fn is_iso_date(date: &str) -> bool {
    let parts: Vec<&str> = date.split('-').collect();
    let number = |s: &str, len: usize, lo: u32, hi: u32| {
        s.len() == len
            && s.chars().all(|c| c.is_ascii_digit())
            && s.parse::<u32>().is_ok_and(|n| (lo..=hi).contains(&n))
    };
    match parts.as_slice() {
        [y, m] => number(y, 4, 1970, 2999) && number(m, 2, 1, 12),
        [y, m, d] => number(y, 4, 1970, 2999) && number(m, 2, 1, 12) && number(d, 2, 1, 31),
        _ => false,
    }
}
