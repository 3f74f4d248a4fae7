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
            matmul_half_batch_tokens: raw
                .matmul_half_batch_tokens
                .as_ref()
                .map(|s| self.sourced("matmul_half_batch_tokens", s, 0.0, 4096.0)),
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
            matmul_half_width: raw
                .matmul_half_width
                .as_ref()
                .map(|s| self.sourced("matmul_half_width", s, 0.0, 1e6)),
            attention_softmax_head_dims: raw
                .attention_softmax_head_dims
                .as_ref()
                .map(|s| self.sourced("attention_softmax_head_dims", s, 0.0, 1e4)),
            quantized_unit_ops_per_clock: raw
                .quantized_unit_ops_per_clock
                .as_ref()
                .map(|s| self.sourced("quantized_unit_ops_per_clock", s, 1.0, 1e6)),
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
            retired_drivers: raw.retired_drivers.clone(),
            replaced_kernels: raw.replaced_kernels.clone(),
            known_misses: raw.known_misses.clone(),
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
        for retired in &raw.retired_drivers {
            self.driver_name("retired_drivers.driver", &retired.driver);
            self.source_text("retired_drivers.source", &retired.source);
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
            self.head_dim_range("replaced_kernels", replaced.conditions());
        }
        for miss in &raw.known_misses {
            if miss.what.trim().is_empty() {
                self.fail(
                    "known_misses.what",
                    None,
                    "say in words what headroom gets wrong in this case".to_owned(),
                );
            }
            for arch in &miss.gpu_archs {
                self.gpu_arch("known_misses.gpu_archs", arch);
            }
            self.source_text("known_misses.source", &miss.source);
            self.head_dim_range("known_misses", miss.conditions());
            if let Some(c) = miss.correction {
                if !(c.is_finite() && c > 0.0 && c < 100.0) {
                    self.fail(
                        "known_misses.correction",
                        None,
                        format!("correction {c} must be between 0 and 100"),
                    );
                }
            }
            if let Some(band) = miss.band {
                // A known miss may be off to one side: only an order is required.
                let ordered = band.low.is_finite()
                    && band.high.is_finite()
                    && band.low > 0.0
                    && band.low <= band.high
                    && band.high < 100.0;
                if !ordered {
                    self.fail(
                        "known_misses.band",
                        None,
                        format!(
                            "error band {}..{} must satisfy 0 < low <= high < 100",
                            band.low, band.high
                        ),
                    );
                }
            }
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

    /// A case's head sizes: a smallest above the largest matches no model, which is a typo.
    fn head_dim_range(&mut self, list: &str, conditions: CaseConditions<'_>) {
        if let (Some(min), Some(max)) = (conditions.min_head_dim, conditions.max_head_dim) {
            if min > max {
                self.fail(
                    &format!("{list}.min_head_dim"),
                    None,
                    format!("min_head_dim {min} is above max_head_dim {max}: no model matches"),
                );
            }
        }
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
        self.number(field, raw.matmul_half_batch_tokens, 0.5, 4096.0);
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
}
