//! Validation of runtime profiles: efficiencies, the fit prior, error bands, retired build
//! flags and replaced kernels.

use super::*;

impl Check<'_> {
    pub(super) fn runtime(mut self, raw: &RawRuntimeProfile) -> Option<RuntimeProfile> {
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

    pub(super) fn matmul_path(&mut self, field: &str, text: Option<&str>) -> MatmulPath {
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

    pub(super) fn fit_prior(&mut self, raw: &FitPrior) -> FitPrior {
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

    pub(super) fn band(&mut self, field: &str, band: Option<ErrorBand>) -> ErrorBand {
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
}
