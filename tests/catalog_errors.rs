//! Broken catalogue files: each kind of error names the file, line, column, entry and field.

use headroom::catalog::{self, CatalogError, SourceText};
use headroom::engine::types::Origin;

fn user(text: &str) -> SourceText {
    SourceText {
        origin: Origin::User("my.ron".to_owned()),
        label: "my.ron".to_owned(),
        text: text.to_owned(),
    }
}

/// Loads the built-in catalogue plus `text` as a user file and returns the errors.
#[track_caller]
fn errors_of(text: &str) -> Vec<CatalogError> {
    let mut sources = catalog::built_in_sources();
    sources.push(user(text));
    match catalog::load(&sources) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(errors) => errors,
    }
}

#[track_caller]
fn check(text: &str, expected_message: &str, expected_line: usize) {
    let errors = errors_of(text);
    let hit = errors
        .iter()
        .find(|e| e.to_string().contains(expected_message))
        .unwrap_or_else(|| {
            panic!(
                "no error contains {expected_message:?}; got:\n{}",
                catalog::error::join(&errors)
            )
        });
    let location = hit.location().expect("a location");
    assert_eq!(location.file, "my.ron", "{hit}");
    assert_eq!(location.line, expected_line, "{hit}");
    assert!(location.column >= 1);
}

/// A valid machine entry with one field replaced.
fn machine_with(field: &str, value: &str) -> String {
    let base = [
        ("id", "\"my-box\""),
        ("name", "\"My box\""),
        ("vendor", "\"Me\""),
        ("form_factor", "\"desktop\""),
        ("os", "[\"linux\"]"),
        ("runtimes", "[\"cuda\", \"cpu\"]"),
        ("default_runtime", "\"cuda\""),
        ("memory_kind", "\"discrete\""),
        ("device_count", "1"),
        ("memory_options", "[(per_device_gb: 24, price_usd: Some(2000), price_date: \"2025\", source: \"estimate: test\")]"),
        ("system_ram_gb", "Some(64)"),
        ("bandwidth_gb_per_s", "(value: 1000, source: \"estimate: test\")"),
        ("compute_tflops", "(fp16: Some((value: 100, source: \"estimate: test\")))"),
        ("cpu_cores", "16"),
        ("accelerator_memory", "(default_share: (value: 1.0, source: \"estimate: test\"))"),
        ("power_watts", "(value: 400, source: \"estimate: test\")"),
    ];
    let mut out = String::from("(\n    machines: [\n        (\n");
    for (k, v) in base {
        let v = if k == field { value } else { v };
        out += &format!("            {k}: {v},\n");
    }
    out += "        ),\n    ],\n)\n";
    out
}

#[test]
fn a_valid_user_machine_loads_and_keeps_its_origin() {
    let mut sources = catalog::built_in_sources();
    sources.push(user(&machine_with("", "")));
    let catalog = catalog::load(&sources).expect("valid");
    let m = catalog.machine("my-box").expect("added");
    assert_eq!(m.origin, Origin::User("my.ron".to_owned()));
}

#[test]
fn unknown_runtime_names_the_value_entry_and_place() {
    // Line 9 is `default_runtime`; the value "cuda12" is also not in `runtimes`.
    check(
        &machine_with("default_runtime", "\"cuda12\""),
        "unknown runtime \"cuda12\" in machine \"my-box\"",
        10,
    );
}

#[test]
fn unknown_runtime_in_a_list_points_at_the_list() {
    check(
        &machine_with("runtimes", "[\"cuda\", \"metl\"]"),
        "unknown runtime \"metl\"",
        9,
    );
}

#[test]
fn negative_bandwidth_is_rejected() {
    check(
        &machine_with(
            "bandwidth_gb_per_s",
            "(value: -3, source: \"estimate: test\")",
        ),
        "bandwidth_gb_per_s -3 is outside",
        15,
    );
}

#[test]
fn a_source_that_is_neither_url_nor_estimate_is_rejected() {
    check(
        &machine_with("power_watts", "(value: 400, source: \"my friend said\")"),
        "source \"my friend said\" must be a URL",
        19,
    );
}

#[test]
fn missing_compute_is_rejected() {
    check(
        &machine_with("compute_tflops", "()"),
        "compute_tflops.fp16 is required",
        16,
    );
}

#[test]
fn syntax_error_has_line_and_column() {
    let text = "(\n    machines: [\n        (id: \"x\" name: \"y\"),\n    ],\n)\n";
    let errors = errors_of(text);
    assert!(
        matches!(errors[0], CatalogError::Syntax { .. }),
        "{errors:?}"
    );
    let location = errors[0].location().expect("location");
    assert_eq!((location.file.as_str(), location.line), ("my.ron", 3));
}

#[test]
fn unknown_field_is_named() {
    let text = "(\n    machines: [\n        (id: \"x\", colour: \"red\"),\n    ],\n)\n";
    let errors = errors_of(text);
    let message = errors[0].to_string();
    assert!(message.contains("colour"), "{message}");
    assert!(message.contains("in entry \"x\""), "{message}");
    assert!(message.contains("my.ron:3:"), "{message}");
}

#[test]
fn unknown_section_is_named() {
    let errors = errors_of("(gadgets: [])");
    assert!(errors[0].to_string().contains("gadgets"), "{}", errors[0]);
}

const TASK: &str = "(name: \"t\", share: 1.0, prompt_tokens: 1000, output_tokens: 100, private: true, timeout_secs: 60, model: \"qwen3-coder-30b\", quant: \"Q4_K_M\", requests_per_day: 10)";

#[test]
fn unknown_model_in_a_workload_suggests_the_closest_ids() {
    let text = format!("(\n    workloads: [\n        (\n            id: \"w\",\n            name: \"W\",\n            tasks: [\n                {TASK},\n            ],\n        ),\n    ],\n)\n");
    let errors = errors_of(&text);
    let message = catalog::error::join(&errors);
    assert!(
        message.contains("unknown model \"qwen3-coder-30b\""),
        "{message}"
    );
    assert!(
        message.contains("closest: qwen3-coder-30b-a3b"),
        "{message}"
    );
    assert_eq!(errors[0].location().map(|l| l.line), Some(7));
}

#[test]
fn shares_that_do_not_sum_to_one_are_rejected() {
    let task = TASK
        .replace("share: 1.0", "share: 0.5")
        .replace("qwen3-coder-30b\"", "qwen3-coder-30b-a3b\"");
    let text = format!("(workloads: [(id: \"w\", name: \"W\", tasks: [{task}])])");
    let message = catalog::error::join(&errors_of(&text));
    assert!(
        message.contains("task shares sum to 0.500, not 1"),
        "{message}"
    );
}

#[test]
fn duplicate_ids_in_one_file_are_rejected() {
    let one = machine_with("", "");
    let entry = one
        .split_once("machines: [\n")
        .and_then(|(_, rest)| rest.rsplit_once("    ],"))
        .map(|(entry, _)| entry.to_owned())
        .expect("entry");
    let text = format!("(\n    machines: [\n{entry}{entry}    ],\n)\n");
    let message = catalog::error::join(&errors_of(&text));
    assert!(
        message.contains("duplicate machine id \"my-box\""),
        "{message}"
    );
}

#[test]
fn a_user_entry_with_an_existing_id_replaces_the_built_in_one() {
    let text = machine_with("id", "\"dgx-spark\"");
    let mut sources = catalog::built_in_sources();
    sources.push(user(&text));
    let catalog = catalog::load(&sources).expect("valid override");
    let spark = catalog.machine("dgx-spark").expect("still there");
    assert_eq!(spark.name, "My box");
    assert_eq!(spark.origin, Origin::User("my.ron".to_owned()));
    assert_eq!(
        catalog
            .machines
            .iter()
            .filter(|m| m.id == "dgx-spark")
            .count(),
        1
    );
}

#[test]
fn unreadable_and_oversized_files_are_io_errors() {
    let missing = catalog::files::read_source(std::path::Path::new("/nonexistent/headroom.ron"));
    assert!(matches!(missing, Err(CatalogError::Io { .. })));
    let dir = tempfile::tempdir().expect("tempdir");
    let big = dir.path().join("big.ron");
    let file = std::fs::File::create(&big).expect("create");
    file.set_len(catalog::files::MAX_FILE_BYTES + 1)
        .expect("size");
    let err = catalog::files::read_source(&big).expect_err("too big");
    assert!(err.to_string().contains("byte limit"), "{err}");
}

#[test]
fn the_built_in_catalogue_loads_and_has_every_required_id() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    for id in [
        "mac-studio-m2-ultra-60c",
        "mac-studio-m2-ultra-76c",
        "mac-studio-m3-ultra-60c",
        "mac-studio-m3-ultra-80c",
        "mac-studio-m1-ultra-64c",
        "macbook-pro-m1-max-32c",
        "macbook-pro-m3-max-40c",
        "mac-studio-m4-max-40c",
        "mac-mini-m4-pro-20c",
        "dgx-spark",
        "dgx-spark-x2",
        "framework-desktop-ryzen-ai-max-395",
        "rog-flow-z13-ryzen-ai-max-395",
        "threadripper-2x-rx-7900-xtx",
        "pc-rx-7900-xtx",
        "pc-rtx-3090",
        "pc-rtx-4090",
        "pc-rtx-5090",
        "server-a100-pcie-80gb",
        "server-a100-sxm4-80gb",
        "server-h100-pcie-80gb",
        "server-h100-sxm-80gb",
        "server-mi300x",
    ] {
        assert!(catalog.machine(id).is_some(), "machine {id}");
    }
    for id in [
        "qwen3-coder-30b-a3b",
        "qwen3-30b-a3b",
        "qwen3-32b",
        "qwen3-235b-a22b",
        "qwen3-coder-480b-a35b",
        "qwen2.5-coder-7b",
        "llama-2-7b",
        "llama-3-8b",
        "llama-3-70b",
        "llama-3.1-8b",
        "llama-3.1-70b",
        "llama-3.1-405b",
        "gpt-oss-20b",
        "gpt-oss-120b",
        "devstral-small-2-24b",
        "deepseek-v3",
        "glm-4.5-air",
        "gemma-3-27b",
    ] {
        assert!(catalog.model(id).is_some(), "model {id}");
    }
    for id in [
        "F16", "BF16", "Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q4_0", "IQ4_XS", "Q3_K_M", "Q2_K",
        "MXFP4",
    ] {
        assert!(catalog.quant(id).is_some(), "quant {id}");
    }
    assert!(catalog.workload("agentic-coding").is_some());
    assert!(catalog.cloud.len() >= 2);
    let m2 = catalog.machine("mac-studio-m2-ultra-76c").expect("m2 76c");
    let sizes: Vec<f64> = m2.memory_options.iter().map(|o| o.per_device_gb).collect();
    assert_eq!(sizes, vec![64.0, 128.0, 192.0]);
    let two = catalog
        .machine("threadripper-2x-rx-7900-xtx")
        .expect("2x xtx");
    assert_eq!(
        (two.device_count, two.memory_options[0].per_device_gb),
        (2, 24.0)
    );
}

/// A user profile for `runtime`, with `extra` lines inside it.
fn runtime_profile_with(extra: &str) -> String {
    format!(
        r#"(
    runtimes: [
        (
            runtime: "vulkan",
            bandwidth_efficiency: (value: 0.8, source: "assumed: test"),
            compute_efficiency: (value: 0.5, source: "assumed: test"),
            attention_efficiency: (value: 0.5, source: "assumed: test"),
            moe_prefill_factor: (value: 0.8, source: "assumed: test"),
            moe_layer_overhead_us: (value: 0.8, source: "assumed: test"),
            layer_overhead_us: (value: 30.0, source: "assumed: test"),
            overhead_gb: (value: 0.5, source: "assumed: test"),
            kv_read_efficiency: (value: 1.0, source: "assumed: test"),
{extra}
        ),
    ],
)"#
    )
}

/// The Vulkan profile after loading the built-in catalogue plus `profile` (which must load).
fn loaded_vulkan(profile: &str) -> headroom::engine::types::RuntimeProfile {
    let mut sources = catalog::built_in_sources();
    sources.push(user(profile));
    let loaded = catalog::load(&sources).unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    loaded
        .runtime(headroom::engine::types::Runtime::Vulkan)
        .expect("vulkan")
        .clone()
}

#[test]
fn unknown_matmul_path_is_named_with_the_valid_ones() {
    let text = runtime_profile_with(r#"            quantized_matmul: Some("int4"),"#);
    check(&text, "unknown matmul path \"int4\"", 13);
    let errors = errors_of(&text);
    let all = catalog::error::join(&errors);
    assert!(all.contains("fp16, fp16-acc16, int8"), "{all}");
    assert!(all.contains("quantized_matmul"), "{all}");
}

#[test]
fn an_unknown_attention_path_is_named_with_its_field() {
    let text = runtime_profile_with(
        r#"            attention_matmul: Some((scores: "fp16", values: "fp8", source: "assumed: test")),"#,
    );
    check(&text, "unknown matmul path \"fp8\"", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("attention_matmul.values"), "{all}");
    // A valid pair loads.
    let good = runtime_profile_with(
        r#"            attention_matmul: Some((scores: "fp16", values: "fp16-acc16", source: "assumed: test")),"#,
    );
    let vulkan = loaded_vulkan(&good);
    assert_eq!(
        vulkan.attention_values,
        headroom::engine::types::MatmulPath::Fp16Acc16
    );
}

#[test]
fn a_fit_prior_out_of_range_is_rejected() {
    let text = runtime_profile_with(
        r#"            fit_prior: (weight: 2.0, bandwidth_efficiency: 1.7, compute_efficiency: 0.5, attention_efficiency: 0.5, moe_prefill_factor: 0.8, moe_layer_overhead_us: 0.8, layer_overhead_us: 30.0, kv_read_efficiency: 1.0, source: "assumed: test"),"#,
    );
    let errors = errors_of(&text);
    let all = catalog::error::join(&errors);
    assert!(all.contains("fit_prior"), "{all}");
    assert!(all.contains("1.7"), "{all}");
}

#[test]
fn an_achieved_share_out_of_range_is_rejected() {
    // A measured GEMM cannot reach seven times the spec peak; line 16 is compute_tflops.
    check(
        &machine_with(
            "compute_tflops",
            "(fp16: Some((value: 100, source: \"estimate: test\")), achieved_share: Some((value: 7, source: \"estimate: test\")))",
        ),
        "achieved_share 7 is outside",
        16,
    );
}

/// A valid RTX 4090 benchmark row with `extra` as its line 10.
fn benchmark_with(extra: &str) -> String {
    format!(
        r#"(
    benchmarks: [
        (
            machine: "pc-rtx-4090",
            runtime: "cuda",
            model: "llama-2-7b",
            quant: "Q4_0",
            test: "pp512",
            tokens_per_s: 12000,
{extra}
            source: "https://example.com/run",
        ),
    ],
)
"#
    )
}

#[test]
fn a_benchmark_with_a_zero_micro_batch_is_rejected() {
    let text = benchmark_with("            ubatch: Some(0),");
    let errors = errors_of(&text);
    let all = catalog::error::join(&errors);
    assert!(all.contains("ubatch 0 is outside"), "{all}");
}

#[test]
fn a_build_flag_that_is_not_a_cmake_option_is_named_with_its_line() {
    let text = benchmark_with(r#"            build_flags: ["-DGGML_CUDA_FORCE_MMQ=ON"],"#);
    check(&text, "must be a CMake option name", 10);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("build_flags"), "{all}");
    assert!(all.contains("-DGGML_CUDA_FORCE_MMQ=ON"), "{all}");
}

#[test]
fn a_driver_that_is_not_a_plain_name_is_named_with_its_line() {
    let text = benchmark_with(r#"            driver: Some("AMDVLK 2025.Q2"),"#);
    check(&text, "must be a lower-case driver name", 10);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("driver"), "{all}");
}

#[test]
fn a_retired_driver_needs_a_plain_name_and_a_source() {
    let text = runtime_profile_with(
        r#"            retired_drivers: [(driver: "AMDVLK", since: "2025-09", source: "")],"#,
    );
    check(&text, "must be a lower-case driver name", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("retired_drivers.driver"), "{all}");
    assert!(all.contains("retired_drivers.source"), "{all}");
    let good = runtime_profile_with(
        r#"            retired_drivers: [(driver: "amdvlk", since: "2025-09", source: "assumed: test")],"#,
    );
    let vulkan = loaded_vulkan(&good);
    assert_eq!(vulkan.retired_drivers.len(), 1);
    assert_eq!(vulkan.retired_drivers[0].driver, "amdvlk");
}

#[test]
fn a_case_whose_smallest_head_size_is_above_its_largest_is_refused() {
    let text = runtime_profile_with(
        r#"            replaced_kernels: [(kernel: "tile", before: "2026-01", min_head_dim: Some(256), max_head_dim: Some(128), source: "assumed: test")],"#,
    );
    check(&text, "min_head_dim 256 is above max_head_dim 128", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("replaced_kernels.min_head_dim"), "{all}");
}

#[test]
fn a_retired_build_flag_needs_a_cmake_name_and_a_source() {
    let text = runtime_profile_with(
        r#"            retired_build_flags: [(flag: "rocwmma", since: "b1", source: "")],"#,
    );
    check(&text, "must be a CMake option name", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("retired_build_flags.flag"), "{all}");
    assert!(all.contains("retired_build_flags.source"), "{all}");
    // A well-formed one loads.
    let good = runtime_profile_with(
        r#"            retired_build_flags: [(flag: "GGML_VULKAN_TEST", since: "b1", source: "assumed: test")],"#,
    );
    let vulkan = loaded_vulkan(&good);
    assert_eq!(vulkan.retired_build_flags.len(), 1);
    assert_eq!(vulkan.retired_build_flags[0].flag, "GGML_VULKAN_TEST");
}

#[test]
fn a_benchmark_date_that_is_not_a_date_is_named_with_its_line() {
    let text = benchmark_with(r#"            date: Some("2026-13"),"#);
    check(&text, "must be a date like 2026-05 or 2026-05-09", 10);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("date"), "{all}");
    for good in ["2026-05", "2026-05-09"] {
        let mut sources = catalog::built_in_sources();
        sources.push(user(&benchmark_with(&format!(
            "            date: Some(\"{good}\"),"
        ))));
        let loaded =
            catalog::load(&sources).unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
        assert_eq!(
            loaded.benchmarks.last().and_then(|b| b.date.as_deref()),
            Some(good)
        );
    }
}

#[test]
fn a_machine_gpu_arch_must_be_a_compiler_target() {
    // Line 20: the field after power_watts.
    let text = machine_with(
        "power_watts",
        "(value: 400, source: \"estimate: test\"),\n            gpu_arch: Some(\"RDNA 3\")",
    );
    check(&text, "must be a compiler target like gfx1151", 20);
}

#[test]
fn a_replaced_kernel_needs_a_date_compiler_targets_and_a_source() {
    let text = runtime_profile_with(
        r#"            replaced_kernels: [(kernel: "tile FA", before: "May 2026", gpu_archs: ["GFX1100"], source: "")],"#,
    );
    check(&text, "must be a date like", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("replaced_kernels.before"), "{all}");
    assert!(all.contains("replaced_kernels.gpu_archs"), "{all}");
    assert!(all.contains("replaced_kernels.source"), "{all}");
    // A well-formed one loads, with its conditions.
    let good = runtime_profile_with(
        r#"            replaced_kernels: [(kernel: "tile FA", before: "2026-05", gpu_archs: ["gfx1100"], test: Some(Prefill), flash_attention: Some(true), max_head_dim: Some(128), source: "assumed: test")],"#,
    );
    let vulkan = loaded_vulkan(&good);
    assert_eq!(vulkan.replaced_kernels.len(), 1);
    let kernel = &vulkan.replaced_kernels[0];
    assert_eq!(kernel.before, "2026-05");
    assert_eq!(
        kernel.test,
        Some(headroom::engine::types::TestKind::Prefill)
    );
    assert_eq!(kernel.max_head_dim, Some(128));
}

#[test]
fn a_price_date_condition_or_discontinued_date_that_is_not_one_is_named() {
    let option = |extra: &str| {
        format!("[(per_device_gb: 24, price_usd: Some(900), {extra}, source: \"estimate: test\")]")
    };
    let text = machine_with("memory_options", &option("price_date: \"March 2026\""));
    check(&text, "\"March 2026\" must be a date like 2026-05", 13);
    let text = machine_with(
        "memory_options",
        &option("price_date: \"2026-03\", condition: Some(\"mint\")"),
    );
    check(&text, "unknown price condition \"mint\" in machine \"my-box\" (field `condition`); expected one of: new, used, refurbished", 13);
    let text = machine_with(
        "power_watts",
        "(value: 400, source: \"estimate: test\"),\n            discontinued: Some(\"soon\")",
    );
    check(&text, "\"soon\" must be a date like 2026-05", 20);
}

#[test]
fn a_used_price_and_a_machine_not_sold_alone_load() {
    let text = machine_with(
        "memory_options",
        "[(per_device_gb: 24, price_usd: Some(900), price_date: \"2026-02\", condition: Some(\"used\"), source: \"estimate: test\")]",
    )
    .replace(
        "            power_watts:",
        "            sold_alone: false,\n            discontinued: Some(\"2026-08\"),\n            power_watts:",
    );
    let mut sources = catalog::built_in_sources();
    sources.push(user(&text));
    let catalog =
        catalog::load(&sources).unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let m = catalog.machine("my-box").expect("added");
    assert!(!m.sold_alone);
    assert_eq!(m.discontinued.as_deref(), Some("2026-08"));
    assert_eq!(
        m.memory_options[0].condition,
        headroom::engine::types::PriceCondition::Used
    );
}

#[test]
fn a_serving_row_naming_an_unknown_draft_is_refused_where_it_is_written() {
    let text = r#"(
    serving_benchmarks: [
        (
            machine: "dgx-spark",
            runtime: "cuda",
            model: "qwen2.5-coder-14b",
            quant: "Q4_K_M",
            source: "https://example.com/row",
            case: Speculative(
                draft_model: "no-such-draft",
                draft_quant: "Q8_0",
                draft_max: None,
                acceptance_rate: Some(1.5),
                task: "code",
                baseline_decode_tokens_per_s: 30.0,
                speculative_decode_tokens_per_s: 45.0,
            ),
        ),
    ],
)"#;
    let errors = errors_of(text);
    let all = catalog::error::join(&errors);
    assert!(all.contains("unknown model \"no-such-draft\""), "{all}");
    assert!(all.contains("acceptance_rate 1.5 is outside"), "{all}");
    let hit = errors
        .iter()
        .find(|e| e.to_string().contains("no-such-draft"))
        .expect("the draft error");
    assert!(hit.to_string().contains("field `draft_model`"), "{hit}");
    let location = hit.location().expect("a location");
    assert_eq!(location.file, "my.ron");
    assert_eq!(location.line, 10, "{hit}");
}

#[test]
fn a_session_of_no_turns_and_zero_users_are_refused() {
    let text = r#"(
    workloads: [
        (
            id: "my-mix",
            name: "Mine",
            parallel: Some(0),
            tasks: [
                (
                    name: "agent",
                    share: 1.0,
                    prompt_tokens: 1000,
                    output_tokens: 100,
                    private: true,
                    timeout_secs: 60,
                    model: "llama-3.1-8b",
                    quant: "Q4_K_M",
                    requests_per_day: 10,
                    session: Some((turns: 0, new_tokens_per_turn: 100)),
                ),
            ],
        ),
    ],
)"#;
    check(
        text,
        "turns 0 of task \"agent\" must be between 1 and 10,000",
        18,
    );
    check(text, "parallel 0 is outside 1..=1024", 6);
}

#[test]
fn a_known_miss_needs_words_and_an_ordered_band() {
    let text = runtime_profile_with(
        r#"            known_misses: [(what: "", test: Some(Prefill), source: "assumed: test", band: Some((low: 2.0, high: 0.5, rows: 3)))],"#,
    );
    check(&text, "say in words what headroom gets wrong", 13);
    let all = catalog::error::join(&errors_of(&text));
    assert!(all.contains("known_misses.band"), "{all}");
    // A band off to one side (below 1) is a known miss's, and loads.
    let good = runtime_profile_with(
        r#"            known_misses: [(what: "slow attention", min_context: 32768, source: "assumed: test", band: Some((low: 0.3, high: 0.8, rows: 8)))],"#,
    );
    let vulkan = loaded_vulkan(&good);
    assert_eq!(vulkan.known_misses.len(), 1);
    assert_eq!(vulkan.known_misses[0].min_context, 32768);
}

/// A user file that breaks a runtime profile or a model the built-in catalogue's machines,
/// benchmarks and workloads depend on yields the one error that names the cause, not an
/// echo for every machine on that runtime and every benchmark of those machines.
#[test]
fn a_broken_profile_or_model_is_reported_once_not_echoed_by_what_depends_on_it() {
    let shipped = catalog::built_in_sources();
    let entry = |file: &str, open: &str, next: &str| {
        let text = &shipped
            .iter()
            .find(|s| s.label.ends_with(file))
            .unwrap_or_else(|| panic!("{file}"))
            .text;
        let start = text.find(open).unwrap_or_else(|| panic!("{open}"));
        let end = start + text[start..].find(next).unwrap_or_else(|| panic!("{next}"));
        text[start..end].trim_end().trim_end_matches(',').to_owned()
    };
    let metal = entry(
        "runtimes.ron",
        "        (\n            runtime: \"metal\"",
        "        (\n            runtime: \"cuda\"",
    )
    .replace(
        "            layer_overhead_us: (value: ",
        "            layer_overhead_us: (value: -",
    );
    let errors = errors_of(&format!("(\n    runtimes: [\n{metal},\n    ],\n)\n"));
    assert_eq!(errors.len(), 1, "{}", catalog::error::join(&errors));
    assert!(
        errors[0].to_string().contains("layer_overhead_us"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].location().expect("a location").file, "my.ron");

    let qwen = entry(
        "models.ron",
        "        (\n            id: \"qwen3-30b-a3b\"",
        "        (\n            id: \"qwen3-32b\"",
    )
    .replace("layers: 48,", "layers: 0,");
    let errors = errors_of(&format!("(\n    models: [\n{qwen},\n    ],\n)\n"));
    assert_eq!(errors.len(), 1, "{}", catalog::error::join(&errors));
    assert!(errors[0].to_string().contains("layers"), "{}", errors[0]);
}

/// A runtime profile written before the small-batch curve covered dense layers names its
/// half point `moe_half_batch_tokens`: it still loads, as the same figure, and a bad value of
/// the attention softmax figure is named with its place.
#[test]
fn a_profile_with_the_old_half_batch_name_loads_and_a_bad_softmax_figure_is_named() {
    let shipped = catalog::built_in_sources();
    let text = &shipped
        .iter()
        .find(|s| s.label.ends_with("runtimes.ron"))
        .expect("runtimes.ron")
        .text;
    let start = text
        .find("        (\n            runtime: \"cuda\"")
        .expect("cuda");
    let end = start
        + text[start..]
            .find("        (\n            runtime: \"rocm\"")
            .expect("rocm");
    let cuda = text[start..end].trim_end().trim_end_matches(',');
    assert!(cuda.contains("matmul_half_batch_tokens: Some((value: "));
    let renamed = {
        let at = cuda
            .find("matmul_half_batch_tokens: Some((value: ")
            .expect("field");
        let value_start = at + "matmul_half_batch_tokens: Some((value: ".len();
        let value_end = value_start + cuda[value_start..].find(',').expect("comma");
        format!(
            "{}moe_half_batch_tokens: Some((value: 17.5{}",
            &cuda[..at],
            &cuda[value_end..]
        )
    };
    let mut sources = catalog::built_in_sources();
    sources.push(user(&format!(
        "(\n    runtimes: [\n{renamed},\n    ],\n)\n"
    )));
    let loaded = catalog::load(&sources).unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let profile = loaded
        .runtime(headroom::engine::types::Runtime::Cuda)
        .expect("cuda");
    assert_eq!(
        profile.matmul_half_batch_tokens.as_ref().map(|s| s.value),
        Some(17.5)
    );

    let at = cuda
        .find("attention_softmax_head_dims: Some((value: ")
        .expect("softmax figure");
    let value_start = at + "attention_softmax_head_dims: Some((value: ".len();
    let value_end = value_start + cuda[value_start..].find(',').expect("comma");
    let bad = format!("{}-3.0{}", &cuda[..value_start], &cuda[value_end..]);
    let errors = errors_of(&format!("(\n    runtimes: [\n{bad},\n    ],\n)\n"));
    assert_eq!(errors.len(), 1, "{}", catalog::error::join(&errors));
    assert!(
        errors[0]
            .to_string()
            .contains("attention_softmax_head_dims"),
        "{}",
        errors[0]
    );
    assert_eq!(errors[0].location().expect("a location").file, "my.ron");
}
