//! Validation of machines: memory options and prices, compute, accelerator memory,
//! interconnects and published claims.

use super::*;

impl Check<'_> {
    pub(super) fn machine(mut self, raw: &RawMachine, catalog: &Catalog) -> Option<Machine> {
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
}
