//! Validation of workloads and their tasks against the models, quants and KV types.

use super::*;

impl Check<'_> {
    pub(super) fn workload(mut self, raw: &RawWorkload, catalog: &Catalog) -> Option<Workload> {
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
            if let Some(session) = &task.session {
                if session.turns == 0 || session.turns > 10_000 {
                    self.fail(
                        "turns",
                        None,
                        format!(
                            "turns {} of task \"{}\" must be between 1 and 10,000",
                            session.turns, task.name
                        ),
                    );
                }
                if session.new_tokens_per_turn > 10_000_000 {
                    self.fail(
                        "new_tokens_per_turn",
                        None,
                        format!(
                            "new_tokens_per_turn {} of task \"{}\" must be at most 10,000,000",
                            session.new_tokens_per_turn, task.name
                        ),
                    );
                }
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
        if let Some(parallel) = raw.parallel {
            self.number(
                "parallel",
                f64::from(parallel),
                1.0,
                f64::from(MAX_USERS_AT_ONCE),
            );
        }
        if let Some(hours) = raw.active_hours_per_day {
            self.number("active_hours_per_day", hours, 0.1, 24.0);
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
                    session: t.session,
                })
                .collect(),
            sources: raw.sources.clone(),
            parallel: raw.parallel.unwrap_or(1),
            active_hours_per_day: raw.active_hours_per_day,
        };
        self.done(w)
    }
}
