//! Validation of benchmark rows: the test, the machine and its runtimes, and the physical
//! bound a measurement may not pass.

use super::*;

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

impl Check<'_> {
    pub(super) fn benchmark(mut self, raw: &RawBenchmark, catalog: &Catalog) -> Option<Benchmark> {
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
        if let Some(driver) = &raw.driver {
            self.driver_name("driver", driver);
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
            driver: raw.driver.clone(),
            source: raw.source.clone(),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(b)
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
