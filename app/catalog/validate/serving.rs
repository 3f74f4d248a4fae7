//! Validation of draft pairings (`drafts.ron`) and serving measurements
//! (`serving_benchmarks.ron`): every id they name exists, every number is in range.

use super::*;

impl Check<'_> {
    /// A model, quant and machine a row names must exist.
    pub(super) fn catalogue_ids(
        &mut self,
        catalog: &Catalog,
        machine: Option<&str>,
        model: &str,
        quant: &str,
    ) {
        if let Some(machine) = machine {
            let known = catalog.machine(machine).is_some();
            let ids = catalog.machines.iter().map(|m| m.id.as_str()).collect();
            self.reference("machine", "machine", machine, known, ids);
        }
        let known = catalog.model(model).is_some();
        let ids = catalog.models.iter().map(|m| m.id.as_str()).collect();
        self.reference("model", "model", model, known, ids);
        let known = catalog.quant(quant).is_some();
        let ids = catalog.quants.iter().map(|q| q.id.as_str()).collect();
        self.reference("quant", "quant", quant, known, ids);
    }

    pub(super) fn draft(mut self, raw: &RawDraft, catalog: &Catalog) -> Option<DraftPairing> {
        self.catalogue_ids(catalog, None, &raw.target, &raw.draft_quant);
        let known = catalog.model(&raw.draft).is_some();
        let ids = catalog.models.iter().map(|m| m.id.as_str()).collect();
        self.reference("draft", "model", &raw.draft, known, ids);
        self.number("draft_max", f64::from(raw.draft_max), 1.0, 64.0);
        let acceptance_rate = self.sourced("acceptance_rate", &raw.acceptance_rate, 0.0, 1.0);
        if raw.target == raw.draft {
            self.fail(
                "draft",
                Some(&raw.draft),
                "a model cannot draft for itself".to_owned(),
            );
        }
        let d = DraftPairing {
            target: raw.target.clone(),
            draft: raw.draft.clone(),
            draft_quant: raw.draft_quant.clone(),
            draft_max: raw.draft_max,
            acceptance_rate,
            task: raw.task.clone(),
            notes: raw.notes.clone(),
            origin: self.origin(),
        };
        self.done(d)
    }

    pub(super) fn serving_benchmark(
        mut self,
        raw: &RawServingBenchmark,
        catalog: &Catalog,
    ) -> Option<ServingBenchmark> {
        self.catalogue_ids(catalog, Some(&raw.machine), &raw.model, &raw.quant);
        let runtime = self.runtime_field(&raw.runtime);
        self.source_text("source", &raw.source);
        if let Some(date) = &raw.date {
            self.iso_date("date", date);
        }
        let speed = |c: &mut Self, field: &str, v: Option<f64>| {
            if let Some(v) = v {
                c.number(field, v, 1e-6, 1e7);
            }
        };
        match &raw.case {
            ServingCase::Parallel {
                users,
                per_user_decode_tokens_per_s,
                aggregate_decode_tokens_per_s,
                ..
            } => {
                self.number("users", f64::from(*users), 1.0, 4096.0);
                speed(
                    &mut self,
                    "per_user_decode_tokens_per_s",
                    *per_user_decode_tokens_per_s,
                );
                speed(
                    &mut self,
                    "aggregate_decode_tokens_per_s",
                    *aggregate_decode_tokens_per_s,
                );
                if per_user_decode_tokens_per_s.is_none() && aggregate_decode_tokens_per_s.is_none()
                {
                    self.fail(
                        "case",
                        None,
                        "a parallel row needs a per-user or an aggregate speed".to_owned(),
                    );
                }
            }
            ServingCase::Speculative {
                draft_model,
                draft_quant,
                acceptance_rate,
                baseline_decode_tokens_per_s,
                speculative_decode_tokens_per_s,
                ..
            } => {
                let known = catalog.model(draft_model).is_some();
                let ids = catalog.models.iter().map(|m| m.id.as_str()).collect();
                self.reference("draft_model", "model", draft_model, known, ids);
                let known = catalog.quant(draft_quant).is_some();
                let ids = catalog.quants.iter().map(|q| q.id.as_str()).collect();
                self.reference("draft_quant", "quant", draft_quant, known, ids);
                if let Some(rate) = acceptance_rate {
                    self.number("acceptance_rate", *rate, 0.0, 1.0);
                }
                self.number(
                    "baseline_decode_tokens_per_s",
                    *baseline_decode_tokens_per_s,
                    1e-6,
                    1e7,
                );
                self.number(
                    "speculative_decode_tokens_per_s",
                    *speculative_decode_tokens_per_s,
                    1e-6,
                    1e7,
                );
            }
            ServingCase::ExpertOffload {
                host_ram_gb_per_s,
                decode_tokens_per_s,
                prefill_tokens_per_s,
                ..
            } => {
                speed(&mut self, "host_ram_gb_per_s", *host_ram_gb_per_s);
                speed(&mut self, "decode_tokens_per_s", *decode_tokens_per_s);
                speed(&mut self, "prefill_tokens_per_s", *prefill_tokens_per_s);
                if catalog.model(&raw.model).is_some_and(|m| m.moe.is_none()) {
                    self.fail(
                        "model",
                        Some(&raw.model),
                        "expert offload needs a mixture-of-experts model".to_owned(),
                    );
                }
            }
        }
        let b = ServingBenchmark {
            machine: raw.machine.clone(),
            runtime: runtime?,
            model: raw.model.clone(),
            quant: raw.quant.clone(),
            source: raw.source.clone(),
            date: raw.date.clone(),
            build: raw.build.clone(),
            notes: raw.notes.clone(),
            case: raw.case.clone(),
            origin: self.origin(),
        };
        self.done(b)
    }
}
