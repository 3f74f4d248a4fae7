//! Validation of quants, KV cache types and models.

use super::*;

impl Check<'_> {
    pub(super) fn quant(mut self, raw: &RawQuant) -> Option<Quant> {
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

    pub(super) fn kv_type(mut self, raw: &RawKvType) -> Option<KvType> {
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

    pub(super) fn model(mut self, raw: &RawModel, catalog: &Catalog) -> Option<Model> {
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
}
