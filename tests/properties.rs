//! Properties the engine must keep for every input, checked with proptest.

use headroom::catalog;
use headroom::engine::memory::{plan, LoadedModel};
use headroom::engine::mix::{evaluate, MixOptions, Setup};
use headroom::engine::rank::{rank, RankOptions};
use headroom::engine::speed::{decode, prefill, Hardware};
use headroom::engine::types::{Catalog, RangeBasis, Runtime, Task, Workload};
use proptest::prelude::*;
use std::sync::OnceLock;

fn catalog() -> &'static Catalog {
    static CATALOG: OnceLock<Catalog> = OnceLock::new();
    CATALOG.get_or_init(|| {
        catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)))
    })
}

fn pick<T>(items: &[T], i: usize) -> &T {
    &items[i % items.len()]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn more_bandwidth_is_never_slower(m in 0usize..100, model in 0usize..100, depth in 0u64..200_000, scale in 1.0f64..8.0) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let mut faster = machine.clone();
        faster.bandwidth_gb_per_s.value *= scale;
        let loaded = LoadedModel { model: pick(&c.models, model), quant: c.quant("Q4_K_M").unwrap(), kv: c.kv_type("f16").unwrap() };
        let profile = c.runtime(machine.default_runtime).unwrap();
        let gb = machine.largest_memory_option().unwrap().per_device_gb;
        let mem = plan(machine, gb, profile, &[(loaded, depth + 1024)]);
        let hw = Hardware { machine, profile, cpu_profile: c.runtime(Runtime::Cpu) };
        let hw_fast = Hardware { machine: &faster, profile, cpu_profile: c.runtime(Runtime::Cpu) };
        let slow = decode(&hw, &loaded, &mem, depth, 128).tokens_per_s;
        let fast = decode(&hw_fast, &loaded, &mem, depth, 128).tokens_per_s;
        prop_assert!(fast >= slow * (1.0 - 1e-12), "{fast} < {slow}");
        let slow = prefill(&hw, &loaded, &mem, depth, 512, 512).tokens_per_s;
        let fast = prefill(&hw_fast, &loaded, &mem, depth, 512, 512).tokens_per_s;
        prop_assert!(fast >= slow * (1.0 - 1e-12));
    }

    #[test]
    fn a_machine_reaching_less_of_its_peak_never_prefills_faster(m in 0usize..100, model in 0usize..100, depth in 0u64..100_000, share in 0.1f64..1.0) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let mut weaker = machine.clone();
        let base = machine.matmul_share();
        weaker.matmul_achieved_share = Some(headroom::engine::types::Sourced {
            value: base * share,
            source: "estimate: test".to_owned(),
        });
        let loaded = LoadedModel { model: pick(&c.models, model), quant: c.quant("Q4_K_M").unwrap(), kv: c.kv_type("f16").unwrap() };
        let profile = c.runtime(machine.default_runtime).unwrap();
        let gb = machine.largest_memory_option().unwrap().per_device_gb;
        let mem = plan(machine, gb, profile, &[(loaded, depth + 1024)]);
        let hw = Hardware { machine, profile, cpu_profile: c.runtime(Runtime::Cpu) };
        let hw_weak = Hardware { machine: &weaker, profile, cpu_profile: c.runtime(Runtime::Cpu) };
        let full = prefill(&hw, &loaded, &mem, depth, 512, 512);
        let weak = prefill(&hw_weak, &loaded, &mem, depth, 512, 512);
        prop_assert!(weak.tokens_per_s <= full.tokens_per_s * (1.0 + 1e-12));
        // Only the weight matmuls slow down: attention and offload keep their time.
        prop_assert!((weak.attention_secs - full.attention_secs).abs() <= 1e-12 * full.attention_secs.max(1.0));
        prop_assert!(weak.weights_secs >= full.weights_secs * (1.0 - 1e-12));
    }

    #[test]
    fn a_larger_micro_batch_never_prefills_slower(m in 0usize..100, model in 0usize..100, depth in 0u64..50_000, small in 1u64..1024, factor in 1u64..8) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let loaded = LoadedModel { model: pick(&c.models, model), quant: c.quant("Q4_K_M").unwrap(), kv: c.kv_type("f16").unwrap() };
        let profile = c.runtime(machine.default_runtime).unwrap();
        let gb = machine.largest_memory_option().unwrap().per_device_gb;
        let mem = plan(machine, gb, profile, &[(loaded, depth + 4096)]);
        let hw = Hardware { machine, profile, cpu_profile: c.runtime(Runtime::Cpu) };
        // Fewer weight passes, and for a MoE more tokens per expert per matmul.
        let narrow = prefill(&hw, &loaded, &mem, depth, 4096, small).tokens_per_s;
        let wide = prefill(&hw, &loaded, &mem, depth, 4096, small * factor).tokens_per_s;
        prop_assert!(wide >= narrow * (1.0 - 1e-12), "{wide} < {narrow}");
    }

    #[test]
    fn more_context_never_needs_less_memory(m in 0usize..100, model in 0usize..100, kv in 0usize..10, a in 0u64..2_000_000, b in 0u64..2_000_000) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let loaded = LoadedModel { model: pick(&c.models, model), quant: c.quant("Q4_K_M").unwrap(), kv: pick(&c.kv_types, kv) };
        let profile = c.runtime(machine.default_runtime).unwrap();
        let gb = machine.memory_options[0].per_device_gb;
        let (lo, hi) = (a.min(b), a.max(b));
        let small = plan(machine, gb, profile, &[(loaded, lo)]);
        let large = plan(machine, gb, profile, &[(loaded, hi)]);
        prop_assert!(large.total_bytes >= small.total_bytes);
        prop_assert!(large.kv_cache_bytes >= small.kv_cache_bytes);
    }

    #[test]
    fn a_larger_budget_never_drops_a_candidate(w in 0usize..10, a in 0.0f64..60_000.0, b in 0.0f64..60_000.0) {
        let c = catalog();
        let workload = pick(&c.workloads, w);
        let (lo, hi) = (a.min(b), a.max(b));
        let small = rank(c, workload, &RankOptions { budget_max_usd: lo, ..RankOptions::default() });
        let large = rank(c, workload, &RankOptions { budget_max_usd: hi, ..RankOptions::default() });
        for e in &small.entries {
            prop_assert!(large.entries.iter().any(|l| l.machine_id == e.machine_id && l.per_device_gb == e.per_device_gb),
                "{} {} dropped when the budget rose from {lo} to {hi}", e.machine_id, e.per_device_gb);
        }
    }

    #[test]
    fn no_input_panics(
        m in 0usize..100, model in 0usize..100, quant in 0usize..100, kv in 0usize..10,
        prompt in 0u64..u64::MAX / 4, cached in 0u64..u64::MAX / 4, output in 0u64..u64::MAX / 4,
        share in -1.0f64..2.0, timeout in -10.0f64..1e12, per_day in -10.0f64..1e9,
        gb in -1.0f64..1e7, bandwidth in -1.0f64..1e7, context in proptest::option::of(0u64..u64::MAX),
        private in any::<bool>(), cloud in any::<bool>(), together in any::<bool>(),
    ) {
        let c = catalog();
        let mut machine = pick(&c.machines, m).clone();
        machine.bandwidth_gb_per_s.value = bandwidth;
        let task = Task {
            name: "t".into(), share, prompt_tokens: prompt, cached_tokens: cached, output_tokens: output, private,
            timeout_secs: timeout, model: pick(&c.models, model).id.clone(), quant: pick(&c.quants, quant).id.clone(),
            kv_type: pick(&c.kv_types, kv).id.clone(), context_tokens: context, requests_per_day: per_day, max_wait_secs: None, streaming: true, session: None,
        };
        let workload = Workload { id: "w".into(), name: "w".into(), description: String::new(), models_resident_together: together,
            min_decode_tokens_per_s: Some(10.0), tasks: vec![task.clone(), Task { model: "no-such-model".into(), ..task }], sources: vec![], parallel: 1, active_hours_per_day: None };
        let options = MixOptions { allow_cloud: cloud, electricity_usd_per_kwh: 0.3, max_wait_secs: None };
        let result = evaluate(c, Setup { machine: &machine, per_device_gb: gb, runtime: machine.default_runtime }, &workload, &options);
        prop_assert!(result.share_failed >= 0.0);
        let ranking = rank(c, &workload, &RankOptions::default());
        prop_assert!(!ranking.entries.is_empty() || ranking.filtered_out > 0);
    }
}

proptest! {
    /// A decode range never promises more than physics allows, always contains the
    /// prediction, and is ordered.
    #[test]
    fn decode_ranges_respect_the_bandwidth_bound(
        runtime in prop::sample::select(vec![Runtime::Metal, Runtime::Cuda, Runtime::Rocm, Runtime::Vulkan]),
        predicted in 0.1f64..500.0,
        headroom in 0.5f64..3.0,
        basis in prop::sample::select(vec![RangeBasis::Measured, RangeBasis::MachineUnmeasured, RangeBasis::CaseUnmeasured]),
    ) {
        let profile = catalog().runtime(runtime).expect("profile");
        let bound = predicted * headroom;
        let (low, high) = profile.decode_range(predicted, bound, basis, None);
        prop_assert!(low <= predicted && predicted <= high, "{low} {predicted} {high}");
        prop_assert!(high <= bound.max(predicted), "{high} above the bound {bound}");
        prop_assert!(low > 0.0);
    }
}

/// A decoded token looks up one row of its input embedding table and never streams the
/// rest, unless the table is also the output head (tied), which it multiplies by whole.
#[test]
fn a_dense_token_streams_all_but_its_input_embedding_table() {
    let c = catalog();
    let kv = c.kv_type("f16").expect("f16");
    let untied = c.model("llama-3.1-8b").expect("in the catalogue");
    let loaded = LoadedModel {
        model: untied,
        quant: c.quant("Q8_0").expect("in the catalogue"),
        kv,
    };
    let table = 128_256.0 * 4_096.0;
    let share = 1.0 - table / (untied.params_total_b * 1e9);
    let (read, file) = (loaded.active_weights_bytes(), loaded.weights_bytes());
    assert!((read / file - share).abs() < 1e-9, "{read} of {file}");
    assert!(
        (loaded.weight_flops_per_token() - 2.0 * (untied.params_total_b * 1e9 - table)).abs() < 1.0
    );
    let tied = c.model("llama-3.2-1b").expect("in the catalogue");
    let loaded = LoadedModel {
        model: tied,
        quant: c.quant("Q4_K_M").expect("in the catalogue"),
        kv,
    };
    assert_eq!(loaded.active_weights_bytes(), loaded.weights_bytes());
    assert!((loaded.weight_flops_per_token() - 2.0 * tied.params_active_b * 1e9).abs() < 1.0);
}

/// A MoE token reads every always-on tensor and its experts' share of the rest. gpt-oss
/// ships its experts in MXFP4 (4.25 bits) and the rest at 8 bits or more, so splitting the
/// file's bytes in proportion to parameters would undercount what a token reads.
#[test]
fn a_moe_token_reads_all_dense_tensors_and_its_experts_share() {
    let c = catalog();
    let model = c.model("gpt-oss-20b").expect("in the catalogue");
    let loaded = LoadedModel {
        model,
        quant: c.quant("MXFP4").expect("in the catalogue"),
        kv: c.kv_type("f16").expect("in the catalogue"),
    };
    let file = loaded.weights_bytes();
    // 32 experts, 4 per token. The card's active count (3.61B) leaves out the input
    // embedding E (201,088 x 2,880) but the total includes it, so the routed parameters X
    // satisfy total - E - active = X * 7/8; the card's own MLP figure is 19.12B.
    let embedding = 201_088.0 * 2_880.0;
    let experts =
        (model.params_total_b * 1e9 - embedding - model.params_active_b * 1e9) / (1.0 - 4.0 / 32.0);
    assert!((experts / 19.12e9 - 1.0).abs() < 0.01, "{experts}");
    // Bounds from the card alone, not from the code's split: a token reads its 4 experts'
    // share in MXFP4 (4.25 bits) and the other active parameters (attention, router, norms,
    // output head) at 8 to 16 bits each.
    let routed = experts * 4.0 / 32.0;
    let other = model.params_active_b * 1e9 - routed;
    let (lowest, highest) = (
        routed * 4.25 / 8.0 + other * 8.0 / 8.0,
        routed * 4.25 / 8.0 + other * 16.0 / 8.0,
    );
    let active = loaded.active_weights_bytes();
    assert!(
        lowest <= active && active <= highest,
        "{active} outside {lowest}..{highest}"
    );
    let proportional = file * model.params_active_b / model.params_total_b;
    assert!(active > 1.2 * proportional, "{active} vs {proportional}");
    assert!(active < file);
    // Every MoE model reads at least its parameter share and never more than its file.
    for model in c.models.iter().filter(|m| m.moe.is_some()) {
        for quant in &c.quants {
            let loaded = LoadedModel {
                model,
                quant,
                kv: c.kv_type("f16").expect("f16"),
            };
            let (active, file) = (loaded.active_weights_bytes(), loaded.weights_bytes());
            assert!(
                active > 0.0 && active <= file,
                "{} {}: {active} of {file}",
                model.id,
                quant.id
            );
        }
    }
}

/// A decoded token pays a fixed time in every layer (launches, and kernels that take a
/// minimum time however little they read), so the fixed cost grows with depth: the same
/// weights in 48 layers pay half again what they pay in 32, on every runtime.
#[test]
fn a_token_pays_the_fixed_time_of_every_layer() {
    use headroom::engine::speed::decode_step;
    let c = catalog();
    let machine = c
        .machine("mac-studio-m2-ultra-76c")
        .expect("in the catalogue");
    let base = c.model("llama-2-7b").expect("in the catalogue");
    let mut deeper = base.clone();
    deeper.layers = base.layers * 3 / 2;
    for runtime in [
        Runtime::Metal,
        Runtime::Cuda,
        Runtime::Rocm,
        Runtime::Vulkan,
    ] {
        let profile = c.runtime(runtime).expect("a profile");
        let hw = Hardware {
            machine,
            profile,
            cpu_profile: c.runtime(Runtime::Cpu),
        };
        let overhead_in = |model, quant: &str| {
            let loaded = LoadedModel {
                model,
                quant: c.quant(quant).expect("in the catalogue"),
                kv: c.kv_type("f16").expect("in the catalogue"),
            };
            let gb = machine
                .largest_memory_option()
                .expect("memory")
                .per_device_gb;
            let mem = plan(machine, gb, profile, &[(loaded, 512)]);
            decode_step(&hw, &loaded, &mem, 0.0).overhead_secs
        };
        let (shallow, deep) = (overhead_in(base, "Q4_0"), overhead_in(&deeper, "Q4_0"));
        assert!(shallow > 0.0, "{runtime}");
        assert!(
            (deep / shallow - 1.5).abs() < 1e-9,
            "{runtime}: {deep} vs {shallow}"
        );
        // Fixed means fixed: twice the bytes per weight read in the same layers take longer
        // to stream, not to launch.
        let heavier = overhead_in(base, "Q8_0");
        assert!(
            (heavier - shallow).abs() < 1e-12,
            "{runtime}: {heavier} vs {shallow}"
        );
    }
}

proptest! {
    /// Sessions, users at once and the hours requests arrive in never panic or give a time
    /// that is not a number, whatever they are set to.
    #[test]
    fn serving_inputs_never_panic(
        m in 0usize..100, w in 0usize..10,
        turns in 0u32..20_000, new in 0u64..u64::MAX / 4, survives in any::<bool>(),
        parallel in any::<u32>(), hours in proptest::option::of(-5.0f64..50.0),
    ) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let mut workload = pick(&c.workloads, w).clone();
        workload.parallel = parallel;
        workload.active_hours_per_day = hours;
        for task in &mut workload.tasks {
            task.session = Some(headroom::engine::types::Session { turns, new_tokens_per_turn: new, cache_survives: survives });
        }
        let gb = machine.memory_options.first().map_or(0.0, |o| o.per_device_gb);
        let result = evaluate(c, Setup { machine, per_device_gb: gb, runtime: machine.default_runtime }, &workload, &MixOptions::default());
        for task in &result.tasks {
            if let Some(secs) = task.secs {
                prop_assert!(secs.is_finite() && secs >= 0.0, "{secs}");
            }
        }
        prop_assert!(!result.queue.utilization.is_nan());
    }

    /// A session that keeps its cache never takes longer than one that does not.
    #[test]
    fn a_kept_conversation_is_never_slower(m in 0usize..100, turns in 2u32..40, new in 1u64..50_000) {
        let c = catalog();
        let machine = pick(&c.machines, m);
        let Some(base) = c.workload("agentic-coding") else { return Ok(()) };
        let gb = machine.memory_options.last().map_or(0.0, |o| o.per_device_gb);
        let setup = Setup { machine, per_device_gb: gb, runtime: machine.default_runtime };
        let mut times = Vec::new();
        for survives in [true, false] {
            let mut workload = base.clone();
            for task in &mut workload.tasks {
                task.session = Some(headroom::engine::types::Session { turns, new_tokens_per_turn: new, cache_survives: survives });
            }
            let result = evaluate(c, setup, &workload, &MixOptions { allow_cloud: false, ..MixOptions::default() });
            times.push(result.tasks.iter().map(|t| t.session.as_ref().map(|s| s.total_secs)).collect::<Vec<_>>());
        }
        for (kept, lost) in times[0].iter().zip(&times[1]) {
            if let (Some(kept), Some(lost)) = (kept, lost) {
                prop_assert!(*kept <= lost * (1.0 + 1e-9), "{kept} > {lost}");
            }
        }
    }
}
