//! The words of a diagnosis, one `check` per finding, on hand-built findings: the numbers
//! in, the sentence out.

use super::diagnosis::{fix_step_words, hardware_words, headline_words, prefill_words};
use crate::diagnose::timeout::PrefillFinding;
use crate::diagnose::{BetterMachine, FixStep, HardwareFinding, Headline};
use crate::engine::speed::Limit;

/// The founding story's prompt on the Mac Studio: 146,760 tokens over a 131,072 limit,
/// 891 s to prefill against a 300 s timeout.
fn story_prefill() -> PrefillFinding {
    PrefillFinding {
        prompt_tokens: 146_760,
        context_tokens: 262_144,
        fits_in_memory: true,
        predicted_secs: Some(891.05),
        prefill_tokens_per_s: Some(164.7),
        prefill_limit: Some(Limit::Attention),
        timeout_secs: Some(300.0),
        cut_off: Some(true),
        suggested_timeout_secs: Some(1080),
        max_prompt_tokens_within_timeout: Some(81_000),
        over_context_limit: true,
        over_native: false,
        native_tokens: 262_144,
        limit_tokens: 131_072,
        target_tokens: 262_144,
    }
}

#[track_caller]
fn check(got: &[String], expected: &[&str]) {
    assert_eq!(got, expected);
}

#[test]
fn a_prompt_over_the_limit_and_the_timeout_gets_both_sentences() {
    check(
        &prefill_words(&story_prefill()),
        &[
            "a 146,760-token prompt is over your 131,072-token limit: the request overflows the context (the fix below raises the limit to 262,144)",
            "a 146,760-token prompt needs about 14.9 minutes (891 s) to prefill here (165 tok/s on average, limited by attention over the context, slowing as the context fills); a 300 s timeout will cut it off: raise the timeout to at least 1080 s or keep prompts under 81,000 tokens",
        ],
    );
}

#[test]
fn a_prompt_within_the_timeout_says_how_much_is_to_spare() {
    let within = PrefillFinding {
        timeout_secs: Some(1200.0),
        cut_off: Some(false),
        max_prompt_tokens_within_timeout: None,
        over_context_limit: false,
        ..story_prefill()
    };
    // 1,200 s - 891.05 s = 309 s to spare.
    check(
        &prefill_words(&within),
        &["a 146,760-token prompt needs about 14.9 minutes (891 s) to prefill here (165 tok/s on average, limited by attention over the context, slowing as the context fills), within your 1200 s timeout (309 s to spare)"],
    );
}

#[test]
fn a_prompt_that_does_not_fit_predicts_no_time() {
    let no_room = PrefillFinding {
        fits_in_memory: false,
        over_context_limit: false,
        predicted_secs: None,
        ..story_prefill()
    };
    check(
        &prefill_words(&no_room),
        &["at a 262,144-token context the model does not fit in this machine's memory, so no prefill time can be predicted"],
    );
}

#[test]
fn hardware_after_a_raised_timeout_names_the_cheapest_machine_within_the_old_one() {
    let finding = HardwareFinding {
        helps: false,
        current_serves_within_timeout: false,
        current_serves_after_fix: true,
        cheapest_within_timeout: Some(BetterMachine {
            machine_id: "asus-ascent-gx10".to_owned(),
            machine_name: "ASUS Ascent GX10 (GB10, 128 GB)".to_owned(),
            total_memory_gb: 128.0,
            price_usd: 2999.0,
            predicted_secs: Some(254.0),
        }),
        budget_max_usd: 50_000.0,
        machine_name: "Mac Studio (M2 Ultra)".to_owned(),
        prompt_tokens: 146_760,
        timeout_secs: Some(300.0),
        over_native: false,
    };
    assert_eq!(
        hardware_words(&finding),
        "hardware would not help once the timeout is raised: your Mac Studio (M2 Ultra) serves a 146,760-token prompt, only slower than a 300 s timeout. If the timeout cannot change, the cheapest machine within $50,000 that prefills 146,760 tokens within a 300 s timeout is the ASUS Ascent GX10 (GB10, 128 GB), 128 GB for $2,999: about 4.2 minutes (254 s)"
    );
}

#[test]
fn fix_steps_and_headlines_carry_their_values() {
    assert_eq!(
        fix_step_words(&FixStep::ClientTimeout {
            at_least_secs: 1080,
            prompt_tokens: 146_760,
            predicted_secs: 891.05,
        }),
        "Set your client's request timeout to at least 1080 s (the prefill of a 146,760-token prompt takes about 14.9 minutes (891 s) here)."
    );
    assert_eq!(
        fix_step_words(&FixStep::LoadWithContext { tokens: 32_768 }),
        "Load the model with a context of 32,768 tokens (llama.cpp: `-c 32768`; LM Studio: Context Length)."
    );
    assert_eq!(
        headline_words(Headline::FixSettings {
            settings: 1,
            models: 2
        }),
        "Fix the settings before you buy anything: 1 of 2 model(s) are limited by a setting, not by your hardware."
    );
}
