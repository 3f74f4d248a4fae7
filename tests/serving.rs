//! Serving beyond one cold request, through the public engine: several users at once,
//! sessions, draft models and expert offload, against physics and published rows.

use headroom::catalog;
use headroom::engine::mix::{evaluate, MixOptions, Setup};
use headroom::engine::rank::{rank, RankOptions};
use headroom::engine::series::chart_series;
use headroom::engine::serving::check_serving;
use headroom::engine::types::{Catalog, Runtime};
use headroom::engine::Placement;

fn catalog() -> Catalog {
    catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)))
}

#[test]
fn the_users_chart_shares_speed_and_stops_where_memory_runs_out() {
    let c = catalog();
    let mut workload = c.workload("chat").expect("chat").clone();
    workload.parallel = 4;
    let ranking = rank(&c, &workload, &RankOptions::default());
    let series = chart_series(&c, &workload, &ranking);
    let users = &series.users;
    assert_eq!(users.users_now, 4);
    assert!(!users.per_user.is_empty());
    for (each, all) in users.per_user.iter().zip(&users.aggregate) {
        assert_eq!(each.points.len(), all.points.len());
        for (p, a) in each.points.iter().zip(&all.points) {
            // All together is each one's speed times the users.
            assert!(
                (a[1] - p[1] * p[0]).abs() < 1e-9 * a[1].max(1.0),
                "{p:?} {a:?}"
            );
        }
        // Each user gets no faster as users are added.
        for pair in each.points.windows(2) {
            assert!(
                pair[1][1] <= pair[0][1] * (1.0 + 1e-9),
                "{}: {pair:?}",
                each.label
            );
        }
    }
}

#[test]
fn more_users_need_a_conversation_each_until_they_no_longer_fit() {
    let c = catalog();
    let machine = c
        .machine("pc-rtx-4090")
        .or(c.machine("pc-rtx-3090"))
        .expect("a 24 GB card");
    let mut workload = c.workload("chat").expect("chat").clone();
    let setup = Setup {
        machine,
        per_device_gb: 24.0,
        runtime: Runtime::Cuda,
    };
    let mut last_kv = 0.0;
    for users in [1, 2, 8, 32] {
        workload.parallel = users;
        let mix = evaluate(&c, setup, &workload, &MixOptions::default());
        let plan = mix.tasks[0].memory.as_ref().expect("a plan");
        assert!(plan.kv_cache_bytes > last_kv);
        last_kv = plan.kv_cache_bytes;
    }
    // A thousand users' conversations at 8K each do not fit 24 GB.
    workload.parallel = 1000;
    let mix = evaluate(&c, setup, &workload, &MixOptions::default());
    assert_ne!(
        mix.tasks[0].memory.as_ref().map(|m| m.placement),
        Some(Placement::Accelerator)
    );
}

#[test]
fn a_mixture_of_experts_too_big_for_the_card_keeps_its_experts_in_ram() {
    let c = catalog();
    let machine = c.machine("pc-rtx-3090").expect("RTX 3090");
    let mut workload = c.workload("gpt-oss-team").expect("gpt-oss team").clone();
    workload.parallel = 1;
    let setup = Setup {
        machine,
        per_device_gb: 24.0,
        runtime: Runtime::Cuda,
    };
    let mix = evaluate(&c, setup, &workload, &MixOptions::default());
    let plan = mix.tasks[0].memory.as_ref().expect("a plan");
    let Placement::ExpertOffload {
        expert_layers_on_cpu,
        layers_total,
    } = plan.placement
    else {
        panic!("gpt-oss-120b on 24 GB: {:?}", plan.placement);
    };
    assert!(expert_layers_on_cpu > 0 && expert_layers_on_cpu <= layers_total);
    // What stays on the card fits it.
    let device = &plan.devices[0];
    assert!(
        device.weights_bytes + device.kv_cache_bytes + device.overhead_bytes
            <= device.usable_bytes * (1.0 + 1e-9)
    );
}

#[test]
fn every_serving_row_the_engine_can_model_is_predicted_and_most_hold() {
    let c = catalog();
    let checks = check_serving(&c);
    // Every row is either predicted or has a stated reason not to be (no acceptance rate).
    let parallel = c
        .serving_benchmarks
        .iter()
        .filter(|b| {
            matches!(
                b.case,
                headroom::engine::types::ServingCase::Parallel { .. }
            )
        })
        .count();
    assert_eq!(
        checks.iter().filter(|c| c.case == "parallel").count(),
        parallel
    );
    // Held out: nothing is fitted to these rows. Half of all parallel rows fall within 30%.
    let within: usize = checks
        .iter()
        .filter(|c| c.case == "parallel" && c.error().abs() <= 0.30)
        .count();
    assert!(within * 2 >= parallel, "{within} of {parallel} within 30%");
}

#[test]
fn a_batched_step_costs_more_than_one_sequence_and_less_than_separate_steps() {
    use headroom::engine::memory::{plan_for_slots, LoadedModel};
    use headroom::engine::serving::batched_step_secs;
    use headroom::engine::speed::Hardware;
    let c = catalog();
    let kv = c.kv_type("f16").expect("f16");
    let mut checked = 0;
    for machine in c.machines.iter().step_by(3) {
        let Some(profile) = c.runtime(machine.default_runtime) else {
            continue;
        };
        let gb = machine
            .memory_options
            .iter()
            .map(|o| o.per_device_gb)
            .fold(0.0, f64::max);
        let hw = Hardware {
            machine,
            profile,
            cpu_profile: c.runtime(Runtime::Cpu),
        };
        for id in ["llama-3.1-8b", "qwen3-coder-30b-a3b", "gpt-oss-120b"] {
            let (Some(model), Some(quant)) = (c.model(id), c.quant("Q4_K_M")) else {
                continue;
            };
            let model = LoadedModel { model, quant, kv };
            for users in [2u32, 4, 16] {
                let plan = plan_for_slots(machine, gb, profile, &[(model, 8192)], users);
                if !plan.fits() {
                    continue;
                }
                let one = batched_step_secs(&hw, &model, &plan, 4096.0, 1);
                let many = batched_step_secs(&hw, &model, &plan, 4096.0, users);
                // Sharing the weight reads can only help, and a step never costs less than
                // one sequence's.
                assert!(
                    many >= one * (1.0 - 1e-9),
                    "{} {id} x{users}: {many} < {one}",
                    machine.id
                );
                assert!(
                    many <= one * f64::from(users) * (1.0 + 1e-9),
                    "{} {id} x{users}: {many} > {users} x {one}",
                    machine.id
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 20, "only {checked} cases checked");
}

#[test]
fn a_saved_count_of_billions_of_users_neither_hangs_nor_fits() {
    // A scenario file is not validated like the catalogue: its count is held to the most
    // the engine serves, so the queue's Erlang sum stays short.
    let c = catalog();
    let mut workload = c.workload("chat").expect("chat").clone();
    workload.parallel = u32::MAX;
    let started = std::time::Instant::now();
    let ranking = rank(&c, &workload, &RankOptions::default());
    assert!(started.elapsed().as_secs() < 10, "{:?}", started.elapsed());
    for e in &ranking.entries {
        assert!(e.mix.queue.slots <= headroom::engine::types::MAX_USERS_AT_ONCE);
    }
}

/// A case the catalogue knows the physics misses (BF16 weights decoding on Vulkan on AMD
/// runs at about a quarter of the physics) runs at the same measured share whether one
/// user decodes or several: two users never see more than twice one user's speed, and
/// the batched paths agree with the single-sequence decode at one user.
#[test]
fn a_known_miss_slows_every_decode_path_alike() {
    use headroom::engine::memory::{plan_for_slots, LoadedModel};
    use headroom::engine::serving::{decode_batched, parallel_decode};
    use headroom::engine::speed::{decode, Hardware};
    let c = catalog();
    let machine = c
        .machine("framework-desktop-ryzen-ai-max-395")
        .expect("the Strix Halo");
    let profile = c.runtime(Runtime::Vulkan).expect("vulkan");
    let hw = Hardware {
        machine,
        profile,
        cpu_profile: c.runtime(Runtime::Cpu),
    };
    let model = LoadedModel {
        model: c.model("qwen3-30b-a3b").expect("Qwen3 30B-A3B"),
        quant: c.quant("BF16").expect("BF16"),
        kv: c.kv_type("f16").expect("f16"),
    };
    let correction = hw.decode_correction(&model, 4096);
    assert!(
        correction < 0.5,
        "BF16 decode on Vulkan on AMD is a known miss"
    );
    let plan = plan_for_slots(machine, 128.0, profile, &[(model, 8192)], 2);
    assert!(plan.fits());
    let one = decode(&hw, &model, &plan, 4000, 96).tokens_per_s;
    let batched_one = decode_batched(&hw, &model, &plan, 4000, 96, 1).tokens_per_s;
    let batched_two = decode_batched(&hw, &model, &plan, 4000, 96, 2).tokens_per_s;
    assert!(
        (one - batched_one).abs() <= one * 1e-9,
        "{one} vs {batched_one}"
    );
    assert!(
        batched_two <= one * (1.0 + 1e-9),
        "{batched_two} per user > {one}"
    );
    let parallel_one = parallel_decode(&hw, &model, &plan, 4096.0, 1);
    let parallel_two = parallel_decode(&hw, &model, &plan, 4096.0, 2);
    assert!(
        (parallel_one.per_user_tokens_per_s - one).abs() <= one * 0.05,
        "{} vs {one}",
        parallel_one.per_user_tokens_per_s
    );
    assert!(parallel_two.aggregate_tokens_per_s <= 2.0 * parallel_one.aggregate_tokens_per_s);
}
