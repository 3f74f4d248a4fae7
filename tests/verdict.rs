//! The one verdict: settings, the cloud and hardware weighed together, on the founding story
//! (the Mac Studio M2 Ultra 64 GB you have, the built-in `agentic-coding` mix).

use headroom::catalog;
use headroom::engine::mix::{MixOptions, Served};
use headroom::engine::rank::{rank, Objective, Owned, RankOptions, Ranking};
use headroom::engine::types::Catalog;
use headroom::engine::verdict::{DecisionInputs, SeenSpeeds, Setting, Shortfall, VerdictKind};
use headroom::engine::Placement;

const SEED_MACHINE: &str = "mac-studio-m2-ultra-60c";
const EDITS: &str = "multi-file edits";

fn catalog() -> Catalog {
    catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)))
}

fn founding(catalog: &Catalog, allow_cloud: bool, max_wait_secs: Option<f64>) -> Ranking {
    let workload = catalog.workload("agentic-coding").expect("seed mix");
    let options = RankOptions {
        budget_max_usd: 10_000.0,
        objective: Objective::Cheapest,
        mix: MixOptions {
            allow_cloud,
            max_wait_secs,
            ..MixOptions::default()
        },
        have: Some(Owned {
            machine: SEED_MACHINE.to_owned(),
            per_device_gb: 64.0,
        }),
        ..RankOptions::default()
    };
    rank(catalog, workload, &options)
}

/// The predicted wait (time to the first token) of the multi-file edits on the Mac.
fn edits_wait_on_the_mac(ranking: &Ranking) -> f64 {
    let mac = ranking
        .entries
        .iter()
        .find(|e| e.is_current)
        .expect("the Mac is listed");
    let task = mac
        .mix
        .tasks
        .iter()
        .find(|t| t.name == EDITS)
        .expect("the edits task");
    task.local
        .as_ref()
        .expect("simulated locally")
        .time_to_first_token_secs
}

fn check_change_the_timeout(ranking: &Ranking) {
    let v = &ranking.verdict;
    assert_eq!(v.kind, VerdictKind::ChangeSettings, "{v:#?}");
    let option = v.option.as_ref().expect("an option");
    assert!(option.is_current && option.price_usd == 0.0);
    assert_eq!(v.cloud_share, 0.0, "the edits stay local");
    let wait = edits_wait_on_the_mac(ranking);
    let timeout = v
        .settings
        .iter()
        .find_map(|s| match s {
            Setting::ClientTimeout {
                task,
                at_least_secs,
                current_secs,
                ..
            } if task == EDITS => Some((*at_least_secs as f64, *current_secs)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no timeout setting in {:#?}", v.settings));
    assert_eq!(timeout.1, 300.0);
    assert!(
        timeout.0 >= wait && timeout.0 <= 1.5 * wait,
        "timeout {} s for a predicted wait of {wait:.0} s",
        timeout.0
    );
    let line = headroom::present::verdict_line(v);
    assert!(line.starts_with("Buy nothing, change settings:"), "{line}");
    assert!(
        line.contains(&format!(
            "at least {} s",
            headroom::engine::rank::thousands(timeout.0 as u64)
        )),
        "{line}"
    );
}

#[test]
fn the_founding_story_is_a_timeout_to_raise_with_the_cloud_allowed() {
    let c = catalog();
    check_change_the_timeout(&founding(&c, true, None));
}

#[test]
fn the_founding_story_is_a_timeout_to_raise_with_the_cloud_off() {
    let c = catalog();
    let ranking = founding(&c, false, None);
    check_change_the_timeout(&ranking);
    // A purchase is still priced in the user's terms: what it would buy.
    if let Some(up) = &ranking.verdict.upgrade {
        assert!(up.secs_then < up.secs_now, "{up:#?}");
        assert!(!up.option.is_current);
    }
}

#[test]
fn a_five_minute_limit_on_the_wait_names_a_machine_that_holds_the_model_and_beats_it() {
    let c = catalog();
    let ranking = founding(&c, false, Some(300.0));
    let v = &ranking.verdict;
    assert_eq!(v.kind, VerdictKind::Buy, "{v:#?}");
    let option = v.option.as_ref().expect("a machine to buy");
    assert!(!option.is_current && option.price_usd > 0.0);
    let entry = ranking
        .entries
        .iter()
        .find(|e| e.machine_id == option.machine_id && e.per_device_gb == option.per_device_gb)
        .expect("the named option is ranked");
    let edits = entry
        .mix
        .tasks
        .iter()
        .find(|t| t.name == EDITS)
        .expect("edits");
    assert_eq!(edits.served, Served::Local);
    let local = edits.local.as_ref().expect("local");
    assert!(
        local.time_to_first_token_secs <= 300.0,
        "{}",
        local.time_to_first_token_secs
    );
    // The model and its context fit on the accelerator, or its experts go to system RAM
    // and the verdict says how.
    let memory = edits.memory.as_ref().expect("memory plan");
    match memory.placement {
        Placement::Accelerator => {}
        Placement::ExpertOffload {
            expert_layers_on_cpu,
            ..
        } => assert!(
            v.settings.iter().any(|s| matches!(
                s,
                Setting::ExpertOffload { layers_on_cpu, .. } if *layers_on_cpu == expert_layers_on_cpu
            )),
            "{v:#?}"
        ),
        other => panic!("{other:?}: the model must run on the accelerator"),
    }
    let line = headroom::present::verdict_line(v);
    assert!(line.starts_with("Buy the "), "{line}");
    assert!(line.contains(&option.machine_name), "{line}");
}

#[test]
fn a_speed_far_below_physics_is_a_setup_problem_before_any_purchase() {
    let c = catalog();
    let workload = c.workload("agentic-coding").expect("seed mix");
    let mut options = RankOptions {
        have: Some(Owned {
            machine: SEED_MACHINE.to_owned(),
            per_device_gb: 64.0,
        }),
        ..RankOptions::default()
    };
    let normal = rank(&c, workload, &options);
    assert!(normal.verdict.setup_problem.is_none());
    options.decision = DecisionInputs {
        seen: SeenSpeeds {
            decode_tokens_per_s: Some(0.3),
            prefill_tokens_per_s: None,
        },
        ..DecisionInputs::default()
    };
    let ranking = rank(&c, workload, &options);
    let problem = ranking
        .verdict
        .setup_problem
        .as_ref()
        .expect("a setup problem");
    assert!(problem.predicted_tokens_per_s > 10.0 * problem.seen_tokens_per_s);
    assert!(!problem.causes.is_empty());
    let lines = headroom::present::verdict_lines(&ranking.verdict);
    assert!(
        lines[0].contains("this is a setup problem, not the hardware"),
        "{lines:#?}"
    );
    // A speed within the likely range is not a problem.
    let seen = normal.entries[0].mix.tasks[0]
        .local
        .as_ref()
        .expect("local")
        .decode
        .tokens_per_s;
    options.decision.seen.decode_tokens_per_s = Some(seen * 0.9);
    assert!(rank(&c, workload, &options).verdict.setup_problem.is_none());
}

#[test]
fn nothing_meets_is_said_plainly() {
    let c = catalog();
    let workload = c.workload("agentic-coding").expect("seed mix");
    let options = RankOptions {
        mix: MixOptions {
            allow_cloud: false,
            max_wait_secs: Some(0.01),
            ..MixOptions::default()
        },
        ..RankOptions::default()
    };
    let ranking = rank(&c, workload, &options);
    assert_eq!(ranking.verdict.kind, VerdictKind::NothingMeets);
    let line = headroom::present::verdict_line(&ranking.verdict);
    assert!(line.starts_with("Nothing within your budget"), "{line}");
}

#[test]
fn settings_found_by_diagnose_join_the_verdict() {
    let c = catalog();
    let workload = c.workload("agentic-coding").expect("seed mix");
    let found = Setting::ContextWindow {
        model: "qwen3-coder:30b-a3b-v-128k".to_owned(),
        current_tokens: 131_072,
        new_tokens: 262_144,
    };
    let options = RankOptions {
        have: Some(Owned {
            machine: SEED_MACHINE.to_owned(),
            per_device_gb: 64.0,
        }),
        decision: DecisionInputs {
            found_settings: vec![found.clone()],
            ..DecisionInputs::default()
        },
        ..RankOptions::default()
    };
    let ranking = rank(&c, workload, &options);
    assert_eq!(ranking.verdict.kind, VerdictKind::ChangeSettings);
    assert!(ranking.verdict.settings.contains(&found));
    let line = headroom::present::verdict_line(&ranking.verdict);
    assert!(line.contains("from 131,072 to 262,144 tokens"), "{line}");
}

#[test]
fn more_work_than_the_day_holds_is_a_reason_to_buy_and_the_verdict_says_so() {
    let c = catalog();
    let mut workload = c.workload("agentic-coding").expect("seed mix").clone();
    // Everyday requests of 120K tokens, 160 a day: each takes minutes on the Mac.
    workload.tasks[0].prompt_tokens = 120_000;
    let options = RankOptions {
        budget_max_usd: 10_000.0,
        mix: MixOptions {
            allow_cloud: false,
            ..MixOptions::default()
        },
        have: Some(Owned {
            machine: SEED_MACHINE.to_owned(),
            per_device_gb: 64.0,
        }),
        ..RankOptions::default()
    };
    let ranking = rank(&c, &workload, &options);
    let mac = ranking
        .entries
        .iter()
        .find(|e| e.is_current)
        .expect("the Mac");
    // The day's requests, each for its own time, add up to more than 24 hours.
    let busy_secs: f64 = workload
        .tasks
        .iter()
        .zip(&mac.mix.tasks)
        .map(|(spec, t)| spec.requests_per_day * t.secs.unwrap_or(0.0))
        .sum();
    assert!(busy_secs > 24.0 * 3600.0, "{busy_secs}");
    let v = &ranking.verdict;
    let Some(Shortfall::Overloaded { hours_needed, .. }) = &v.your_shortfall else {
        panic!("{v:#?}");
    };
    assert!((hours_needed - busy_secs / 3600.0).abs() < 1e-6 * hours_needed);
    assert_ne!(v.kind, VerdictKind::BuyNothing);
    assert_ne!(v.kind, VerdictKind::ChangeSettings);
    let line = headroom::present::verdict_line(v);
    assert!(line.contains("hours of work a day"), "{line}");
}
