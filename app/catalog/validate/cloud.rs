//! Validation of cloud offers.

use super::*;

impl Check<'_> {
    pub(super) fn cloud(mut self, raw: &RawCloud) -> Option<CloudOffer> {
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
}
