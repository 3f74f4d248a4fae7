//! The engine against published measurements: the figures of `headroom validate` on the
//! shipped catalogue, in-sample and held out (leave one machine out, leave one source out,
//! a time split), and the coverage of the likely range. Deterministic: no timing.

use headroom::catalog;
use headroom::engine::calibrate::{
    fit_all, leave_one_machine_out, leave_one_source_out, older_runs, predict_all, source_key,
    summaries, superseded, time_split, Summary, Superseded, SUPERSEDED_GROUP,
};
use headroom::engine::types::{RangeBasis, Runtime, TestKind};

fn summary(group: &str) -> Summary {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let predictions = predict_all(&catalog);
    assert_eq!(
        predictions.len(),
        catalog.benchmarks.len(),
        "every benchmark row must be predictable"
    );
    summaries(&predictions)
        .into_iter()
        .find(|s| s.group == group)
        .unwrap_or_else(|| panic!("no group {group}"))
}

#[track_caller]
fn check(group: &str, max_median_abs_pct_error: f64, min_within: f64, within_30: bool) {
    let s = summary(group);
    let within = if within_30 {
        s.share_within_30pct
    } else {
        s.share_within_25pct
    };
    eprintln!("{group}: {s:?}");
    assert!(s.rows >= 40, "{group}: only {} rows", s.rows);
    assert!(
        s.median_abs_pct_error <= max_median_abs_pct_error,
        "{group}: median |error| {:.1}%",
        s.median_abs_pct_error
    );
    assert!(
        within >= min_within,
        "{group}: {:.0}% within the band",
        within * 100.0
    );
    // Unbiased: the median prediction is within 5% of the measurement.
    assert!(
        (s.median_ratio - 1.0).abs() <= 0.05,
        "{group}: median ratio {:.3}",
        s.median_ratio
    );
}

#[test]
fn decode_meets_the_target() {
    // Median absolute error at most 10%; at least 85% of rows within 25%.
    check("decode", 10.0, 0.85, false);
}

/// In-sample figures of the rows outside the known misses (`known_misses` in
/// `runtimes.ron`, which are not fitted): (median |error| %, share within 30%).
fn prefill_outside_known_misses(deep: bool) -> (f64, f64) {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let mut errors: Vec<f64> = predict_all(&catalog)
        .iter()
        .filter(|p| p.superseded.is_none() && p.known_miss.is_none())
        .filter(|p| p.test.starts_with("pp") && (!deep || p.depth > 0))
        .map(|p| (p.ratio - 1.0).abs())
        .collect();
    errors.sort_by(f64::total_cmp);
    let within = errors.iter().filter(|e| **e <= 0.30).count() as f64 / errors.len() as f64;
    (errors[errors.len() / 2] * 100.0, within)
}

#[test]
fn prefill_meets_the_target() {
    // Every current row, the known misses' too (scaled by their corrections): median
    // absolute error at most 15%, at least 80% of rows within 30%.
    check("prefill", 15.0, 0.80, true);
    // Outside the known misses, the target: median at most 15%, 80% within 30%.
    let (median, within) = prefill_outside_known_misses(false);
    assert!(median <= 15.0 && within >= 0.80, "{median:.1}% {within:.2}");
}

#[test]
fn decode_at_depth_meets_the_target() {
    check("decode, depth > 0", 10.0, 0.85, false);
}

#[test]
fn prefill_at_depth_meets_the_target() {
    check("prefill, depth > 0", 15.0, 0.80, true);
    let (median, within) = prefill_outside_known_misses(true);
    assert!(median <= 15.0 && within >= 0.80, "{median:.1}% {within:.2}");
}

#[test]
fn the_benchmark_data_is_broad_enough() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let machines = catalog.benchmarked_machines();
    // Issue 15: at least 600 published rows on at least 22 catalogue machines, datacenter
    // GPUs among them.
    assert!(
        catalog.benchmarks.len() >= 600,
        "{} rows",
        catalog.benchmarks.len()
    );
    assert!(machines.len() >= 22, "{} machines", machines.len());
    for hbm in [
        "server-a100-pcie-80gb",
        "server-a100-sxm4-80gb",
        "server-h100-pcie-80gb",
    ] {
        assert!(machines.contains(&hbm), "no row of {hbm}");
    }
    assert!(
        catalog
            .benchmarks
            .iter()
            .all(|b| b.source.starts_with("https://")),
        "every row cites its source"
    );
}

/// Leave-one-machine-out must never see the machine it predicts: not its rows, and not the
/// fitted values stored in the catalogue (which were fitted with its rows). Scaling what the
/// held-out machine measured, and scrambling the stored fit, must not move its predictions.
#[test]
fn leave_one_machine_out_never_sees_the_held_out_machine() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let held_out = "dgx-spark";
    let before = leave_one_machine_out(&catalog);
    let mut altered = catalog.clone();
    for row in altered
        .benchmarks
        .iter_mut()
        .filter(|b| b.machine == held_out)
    {
        row.tokens_per_s *= 3.0;
    }
    for profile in &mut altered.runtimes {
        profile.bandwidth_efficiency.value *= 0.7;
        profile.compute_efficiency.value *= 1.9;
        profile.attention_efficiency.value *= 0.3;
        profile.moe_prefill_factor.value *= 0.5;
        profile.layer_overhead_us.value += 90.0;
    }
    let after = leave_one_machine_out(&altered);
    let held: Vec<_> = before.iter().filter(|p| p.machine == held_out).collect();
    assert!(held.len() >= 40, "{} rows of {held_out}", held.len());
    for p in held {
        let q = after
            .iter()
            .find(|q| q.index == p.index)
            .expect("the same rows are predicted");
        assert_eq!(
            p.predicted_tokens_per_s, q.predicted_tokens_per_s,
            "row {} of {held_out} moved with data the fit must not see",
            p.index
        );
    }
    // The check has teeth: the in-sample fit does move when those rows change.
    let fitted = |c: &headroom::engine::types::Catalog| {
        fit_all(c)
            .into_iter()
            .find(|p| p.runtime == headroom::engine::types::Runtime::Cuda)
            .map(|p| p.bandwidth_efficiency.value)
    };
    assert_ne!(fitted(&catalog), fitted(&altered));
}

/// The catalogue holds what `headroom calibrate` fits: the stored values are the fit's
/// output on the shipped rows, not hand-tuned.
#[test]
fn the_stored_profiles_are_the_fit() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    for fitted in fit_all(&catalog) {
        let stored = catalog
            .runtime(fitted.runtime)
            .expect("every runtime has a profile");
        for (name, a, b) in [
            (
                "bandwidth",
                fitted.bandwidth_efficiency.value,
                stored.bandwidth_efficiency.value,
            ),
            (
                "compute",
                fitted.compute_efficiency.value,
                stored.compute_efficiency.value,
            ),
            (
                "attention",
                fitted.attention_efficiency.value,
                stored.attention_efficiency.value,
            ),
            (
                "moe prefill",
                fitted.moe_prefill_factor.value,
                stored.moe_prefill_factor.value,
            ),
            (
                "moe routing",
                fitted.moe_layer_overhead_us.value,
                stored.moe_layer_overhead_us.value,
            ),
            (
                "kv read",
                fitted.kv_read_efficiency.value,
                stored.kv_read_efficiency.value,
            ),
        ] {
            // runtimes.ron keeps three or four significant digits.
            assert!(
                (a - b).abs() <= 0.001 * a.abs().max(1.0),
                "{} {name}: fit {a}, stored {b}",
                fitted.runtime
            );
        }
        let (a, b) = (
            fitted.layer_overhead_us.value,
            stored.layer_overhead_us.value,
        );
        assert!(
            (a - b).abs() <= 0.06,
            "{} overhead: fit {a}, stored {b}",
            fitted.runtime
        );
    }
}

/// The leave-one-machine-out targets (`headroom validate`), which the shipped data meets:
/// held so that a change to the engine or the data cannot quietly lose them.
#[test]
fn leave_one_machine_out_keeps_the_targets_it_meets() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let lomo = leave_one_machine_out(&catalog);
    assert_eq!(lomo.len(), catalog.benchmarks.len());
    let all = summaries(&lomo);
    let get = |group: &str| {
        all.iter()
            .find(|s| s.group == group)
            .unwrap_or_else(|| panic!("no group {group}"))
            .clone()
    };
    let decode = get("decode");
    assert!(decode.median_abs_pct_error <= 10.0, "{decode:?}");
    assert!(decode.share_within_25pct >= 0.85, "{decode:?}");
    let prefill = get("prefill");
    // 14.4% and 74.8% within 30% on the 1,012 rows of December 2026, the known misses
    // counted (README, "Accuracy"): held. Leaving a machine out takes every Strix Halo
    // source's rows of the Framework Desktop out together, so its ROCm prefill beyond 32k
    // tokens loses the correction the other sources' rows teach (48 of its rows came in
    // this round: 64.6% within 30% held out by machine, 100% by source).
    assert!(prefill.median_abs_pct_error <= 15.0, "{prefill:?}");
    assert!(prefill.share_within_30pct >= 0.74, "{prefill:?}");
    // At depth 19.5% and 73.5%: the Strix Halo's ROCm prefill beyond 32k tokens (above),
    // its Vulkan prefill at depths of 32k-64k and the R9700's tile-kernel rows (known
    // misses), Qwen3 30B-A3B at 24k-32k on the RTX 5090's Vulkan (0.70-0.73x) and the DGX
    // Spark's 7B at -ub 2048 (1.1-1.4x) miss. The figures reached are held.
    let deep_prefill = get("prefill, depth > 0");
    assert!(
        deep_prefill.median_abs_pct_error <= 20.0,
        "{deep_prefill:?}"
    );
    assert!(deep_prefill.share_within_30pct >= 0.73, "{deep_prefill:?}");
    let deep_decode = get("decode, depth > 0");
    assert!(deep_decode.median_abs_pct_error <= 10.0, "{deep_decode:?}");
    assert!(deep_decode.share_within_25pct >= 0.85, "{deep_decode:?}");
}

/// A shipped RTX PRO 6000 row, dated 2025-06-10.
fn pro_6000_row_of_2025_06_10() -> headroom::engine::types::Benchmark {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let mut row = catalog
        .benchmarks
        .iter()
        .find(|b| b.machine == "pc-rtx-pro-6000")
        .expect("a PRO 6000 row")
        .clone();
    row.date = Some("2025-06-10".to_owned());
    row
}

/// A row is superseded when the catalogue holds a later measurement of the same
/// case; dates compare at the precision both give, and undated rows never are.
#[test]
fn only_an_older_run_of_the_same_case_is_superseded() {
    let row = pro_6000_row_of_2025_06_10();
    let mut later = row.clone();
    later.date = Some("2026-01-02".to_owned());
    later.tokens_per_s *= 1.5;
    assert_eq!(older_runs(&[row.clone(), later.clone()]), [true, false]);
    assert_eq!(older_runs(&[later.clone(), row.clone()]), [false, true]);
    // Another depth is another case.
    let mut deeper = later.clone();
    deeper.depth += 4096;
    assert_eq!(older_runs(&[row.clone(), deeper]), [false, false]);
    // A month does not supersede a day within it, nor the other way round.
    let mut month = row.clone();
    month.date = Some("2025-06".to_owned());
    assert_eq!(older_runs(&[row.clone(), month]), [false, false]);
    // Undated rows are never superseded, and never supersede.
    let mut undated = later.clone();
    undated.date = None;
    assert_eq!(older_runs(&[row.clone(), undated]), [false, false]);
}

/// A newer run of one case outdates the whole run it came from: the run's other rows (other
/// tests, depths, settings) measured the same build. Another page, build or model is another
/// run, and keeps its rows.
#[test]
fn a_runs_other_rows_go_with_its_outdated_case() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let row = pro_6000_row_of_2025_06_10();
    let mut longer = row.clone();
    longer.tokens *= 4;
    longer.flash_attention = Some(longer.flash_attention != Some(true));
    let mut newer = row.clone();
    newer.date = Some("2026-01-02".to_owned());
    assert_eq!(
        older_runs(&[row.clone(), longer.clone(), newer.clone()]),
        [true, true, false]
    );
    let mut other_page = longer.clone();
    other_page.source = "https://example.org/another-page".to_owned();
    let mut other_build = longer.clone();
    other_build.build = Some("0123abc".to_owned());
    let mut other_model = longer.clone();
    other_model.model = "another-model".to_owned();
    for other in [other_page, other_build, other_model] {
        assert_eq!(
            older_runs(&[row.clone(), other.clone(), newer.clone()]),
            [true, false, false],
            "{other:?}"
        );
    }
    // Nor is a row of an outdated run shown as its case's measurement: the longer prompt has
    // no measurement of its own any more, the shorter one has the newer run's.
    let mut alone = catalog.clone();
    alone.benchmarks = vec![row.clone(), longer.clone(), newer.clone()];
    use headroom::engine::calibrate::{measured, Case};
    assert!(measured(&alone, Case::of(&longer)).is_none());
    assert_eq!(
        measured(&alone, Case::of(&row)).and_then(|m| m.date.clone()),
        newer.date
    );
    // The shipped catalogue: the M2 Ultra's August 2025 gpt-oss runs of the gpt-oss guide,
    // whose pp2048 rows were measured again in February 2026, go whole, decode included.
    let old = superseded(&catalog);
    let guide: Vec<_> = catalog
        .benchmarks
        .iter()
        .zip(&old)
        .filter(|(b, _)| {
            b.machine == "mac-studio-m2-ultra-76c"
                && b.source.ends_with("discussions/15396")
                && b.model.starts_with("gpt-oss")
        })
        .collect();
    assert_eq!(guide.len(), 10);
    assert!(guide.iter().all(|(_, o)| o.is_some()), "{guide:?}");
    assert!(guide.iter().all(|(b, o)| **o
        == Some(match b.kind {
            // Their prefill also ran Metal's expert matmul before PR #15541.
            TestKind::Prefill => Superseded::ReplacedKernel,
            TestKind::Decode => Superseded::NewerRun,
        })));
}

/// The shipped catalogue's superseded rows (the DGX Spark's November 2025 build, measured
/// again in February 2026, older Vulkan runs, the ROCm runs built with the since-removed
/// rocWMMA flash attention, the Vulkan runs on AMD's discontinued AMDVLK driver, and the
/// runs measured on kernels llama.cpp has since replaced) are listed with their error but
/// neither fitted nor counted: scaling them moves neither the fit nor the summaries.
#[test]
fn superseded_rows_are_shown_but_neither_fitted_nor_counted() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let old = superseded(&catalog);
    let count = |why: Superseded| old.iter().filter(|o| **o == Some(why)).count();
    assert_eq!(count(Superseded::NewerRun), 65, "rows with a newer run");
    assert_eq!(
        count(Superseded::RetiredBuildFlag),
        57,
        "rows on a retired flag"
    );
    assert_eq!(count(Superseded::RetiredDriver), 20, "rows on AMDVLK");
    assert_eq!(
        count(Superseded::ReplacedKernel),
        125,
        "rows measured before their kernel was replaced"
    );
    assert!(catalog
        .benchmarks
        .iter()
        .zip(&old)
        .filter(|(b, _)| b.machine == "dgx-spark" && b.date.as_deref() == Some("2025-11-02"))
        .all(|(_, o)| matches!(
            o,
            // Its MXFP4 prefill also ran the INT8 path that PR #17906 replaced.
            Some(Superseded::NewerRun | Superseded::ReplacedKernel)
        )));
    let mut altered = catalog.clone();
    for (row, _) in altered
        .benchmarks
        .iter_mut()
        .zip(&old)
        .filter(|(_, o)| o.is_some())
    {
        row.tokens_per_s *= 3.0;
    }
    let params = |c: &headroom::engine::types::Catalog| {
        fit_all(c)
            .iter()
            .map(|p| {
                headroom::engine::calibrate::fitted_params(p)
                    .map(|(_, v)| v)
                    .to_vec()
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(params(&catalog), params(&altered));
    let counted = |c: &headroom::engine::types::Catalog| {
        let s = summaries(&predict_all(c));
        let all = s.iter().find(|s| s.group == "all").cloned().expect("all");
        let old = s
            .iter()
            .find(|s| s.group == SUPERSEDED_GROUP)
            .cloned()
            .expect("superseded group");
        (all, old)
    };
    let (before, old_before) = counted(&catalog);
    let (after, old_after) = counted(&altered);
    assert_eq!(before, after);
    assert_eq!(before.rows + old_before.rows, catalog.benchmarks.len());
    // Their own line does move: they are shown, not hidden.
    assert_ne!(old_before, old_after);
}

/// The newest measurement of a case is the one shown beside a prediction.
#[test]
fn the_measurement_shown_is_the_newest() {
    use headroom::engine::calibrate::{measured, Case};
    use headroom::engine::types::{Runtime, TestKind};
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let row = measured(
        &catalog,
        Case {
            machine: "dgx-spark",
            runtime: Runtime::Cuda,
            model: "gpt-oss-20b",
            quant: "MXFP4",
            kind: TestKind::Prefill,
            tokens: 2048,
            depth: 4096,
        },
    )
    .expect("measured");
    assert_eq!(row.date.as_deref(), Some("2026-02-05"));
    assert_eq!(row.tokens_per_s, 4158.34);
}

/// Flash attention's two products run on the matrix units the runtime names: on CUDA the
/// scores accumulate in FP32 and the values in FP16, so a GeForce-class part (FP16
/// accumulation at twice the rate) reaches the harmonic mean of the two peaks; Metal runs
/// both at its one FP16 rate.
#[test]
fn attention_runs_against_the_peaks_of_its_two_products() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let card = catalog.machine("pc-rtx-4090").expect("4090");
    let cuda = catalog
        .runtime(headroom::engine::types::Runtime::Cuda)
        .expect("cuda");
    // The RTX 4090's FP16 peaks (catalogue): 165.2 TFLOPS accumulating in FP32, 330.3 in
    // FP16. Attention's FLOPs split evenly between its two products, so one TFLOP of
    // attention takes 0.5/165.2 + 0.5/330.3 s at those peaks; the attention peak must give
    // that time.
    let peak = cuda.attention_peak_tflops(card);
    let secs_per_tflop = 0.5 / 165.2 + 0.5 / 330.3;
    assert!((1.0 / peak - secs_per_tflop).abs() < 1e-12, "{peak}");
    assert!(165.2 < peak && peak < 330.3, "{peak}");
    // The DGX Spark's GB10 does not halve FP32 accumulation (its CUTLASS FP8 and PyTorch
    // BF16 GEMMs beat the halved rate): both products run at 125.
    let spark = catalog.machine("dgx-spark").expect("spark");
    assert!((cuda.attention_peak_tflops(spark) - 125.0).abs() < 1e-9);
    let mac = catalog.machine("mac-studio-m2-ultra-76c").expect("m2");
    let metal = catalog
        .runtime(headroom::engine::types::Runtime::Metal)
        .expect("metal");
    assert_eq!(metal.attention_peak_tflops(mac), mac.fp16_tflops.value);
}

/// A row built with an option its runtime lists as retired (llama.cpp removed its code)
/// measured a kernel no current build runs: it is superseded whatever its date, it is not
/// fitted, and it is not the measurement shown for its case. A flag nobody retired changes
/// nothing.
#[test]
fn a_row_built_with_a_retired_flag_is_superseded() {
    use headroom::engine::calibrate::{measured, retired_flag, Case};
    use headroom::engine::types::{Catalog, Runtime};
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let rocm = catalog.runtime(Runtime::Rocm).expect("rocm profile");
    assert!(rocm
        .retired_build_flags
        .iter()
        .any(|r| r.flag == "GGML_HIP_ROCWMMA_FATTN" && r.source.starts_with("https://")));
    let index = catalog
        .benchmarks
        .iter()
        .position(|b| b.machine == "pc-rx-7900-xtx" && b.runtime == Runtime::Rocm)
        .expect("a 7900 XTX ROCm row");
    let original = catalog.benchmarks[index].clone();
    assert_eq!(superseded(&catalog)[index], None);
    // Thirty runs of the same case at a fifth of the speed, built with `flags`.
    let with_slow_runs = |flags: &[&str]| {
        let mut c = catalog.clone();
        for _ in 0..30 {
            let mut run = original.clone();
            run.tokens_per_s *= 0.2;
            run.build_flags = flags.iter().map(|f| (*f).to_owned()).collect();
            c.benchmarks.push(run);
        }
        c
    };
    let shown = |c: &Catalog| measured(c, Case::of(&original)).map(|b| b.tokens_per_s);

    // Built with a flag nobody retired, they are current: they move the fit.
    let current = with_slow_runs(&["GGML_CUDA_FORCE_MMQ"]);
    assert!(superseded(&current)[catalog.benchmarks.len()..]
        .iter()
        .all(Option::is_none));
    assert!(retired_flag(&current, current.benchmarks.last().expect("a run")).is_none());
    assert_ne!(rocm_fit(&current), rocm_fit(&catalog));

    // Built with the retired flag too, they are superseded: not fitted, not shown.
    let retired = with_slow_runs(&["GGML_CUDA_FORCE_MMQ", "GGML_HIP_ROCWMMA_FATTN"]);
    assert!(superseded(&retired)[catalog.benchmarks.len()..]
        .iter()
        .all(|o| *o == Some(Superseded::RetiredBuildFlag)));
    assert_eq!(
        retired_flag(&retired, retired.benchmarks.last().expect("a run")).map(|r| r.flag.as_str()),
        Some("GGML_HIP_ROCWMMA_FATTN")
    );
    assert_eq!(rocm_fit(&retired), rocm_fit(&catalog));
    assert_eq!(shown(&retired), Some(original.tokens_per_s));

    // The case's only run on a retired flag: no measurement is shown for it.
    let mut alone = catalog.clone();
    alone.benchmarks[index]
        .build_flags
        .push("GGML_HIP_ROCWMMA_FATTN".to_owned());
    assert_eq!(
        superseded(&alone)[index],
        Some(Superseded::RetiredBuildFlag)
    );
    assert_eq!(shown(&catalog), Some(original.tokens_per_s));
    assert_eq!(shown(&alone), None);
}

/// A row measured before llama.cpp replaced the kernel that runs its case ran a kernel no
/// current build runs for it: it is superseded when it meets every condition of the
/// replacement (machine architecture, test kind, flash attention, head size) and is dated
/// before it, and then it is not fitted. A row that misses any condition, or is undated,
/// or is dated in or after the month of the change, is current.
#[test]
fn a_row_measured_before_its_kernel_was_replaced_is_superseded() {
    use headroom::engine::calibrate::replaced_kernel;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let rocm = catalog.runtime(Runtime::Rocm).expect("rocm profile");
    let change = rocm
        .replaced_kernels
        .iter()
        .find(|k| {
            k.source
                .starts_with("https://github.com/ggml-org/llama.cpp/pull/22880")
        })
        .expect("the RDNA3 flash-attention change");
    assert_eq!(change.before, "2026-05");
    let old = superseded(&catalog);
    // The shipped rows it covers: the Strix Halo's prefill runs with flash attention
    // measured before the change, and nothing else.
    for (row, why) in catalog.benchmarks.iter().zip(&old) {
        if *why == Some(Superseded::ReplacedKernel)
            && replaced_kernel(&catalog, row).is_some_and(|k| k == change)
        {
            assert_eq!(row.machine, "framework-desktop-ryzen-ai-max-395");
            assert_eq!((row.runtime, row.kind), (Runtime::Rocm, TestKind::Prefill));
            assert!(
                row.date.as_deref().is_some_and(|d| d < "2026-05"),
                "{:?}",
                row.date
            );
            assert_eq!(row.flash_attention, Some(true));
        }
    }
    let index = catalog
        .benchmarks
        .iter()
        .position(|b| {
            b.machine == "framework-desktop-ryzen-ai-max-395"
                && b.model == "llama-3.2-1b"
                && b.kind == TestKind::Prefill
                && b.depth == 16384
        })
        .expect("the Strix Halo's Llama 3.2 1B prefill at depth 16384");
    assert_eq!(old[index], Some(Superseded::ReplacedKernel));
    assert_eq!(
        replaced_kernel(&catalog, &catalog.benchmarks[index]).map(|k| k.before.as_str()),
        Some("2026-05")
    );
    // It is not shown as its case's measurement; dated after the change, it would be.
    let case = |c: &headroom::engine::types::Catalog| {
        headroom::engine::calibrate::measured(
            c,
            headroom::engine::calibrate::Case::of(&c.benchmarks[index]),
        )
        .map(|b| b.tokens_per_s)
    };
    assert_eq!(case(&catalog), None);
    let mut later = catalog.clone();
    later.benchmarks[index].date = Some("2026-06-01".into());
    assert_eq!(case(&later), Some(catalog.benchmarks[index].tokens_per_s));
    // Each variation of the row that misses one condition is current.
    let judged = |change: &dyn Fn(&mut headroom::engine::types::Benchmark)| {
        let mut c = catalog.clone();
        change(&mut c.benchmarks[index]);
        superseded(&c)[index]
    };
    assert_eq!(judged(&|b| b.date = None), None, "undated");
    assert_eq!(
        judged(&|b| b.date = Some("2026-05-20".into())),
        None,
        "same month"
    );
    assert_eq!(judged(&|b| b.date = Some("2026-07".into())), None, "after");
    assert_eq!(
        judged(&|b| b.date = Some("2026-04-30".into())),
        Some(Superseded::ReplacedKernel),
        "the day before the month"
    );
    assert_eq!(judged(&|b| b.flash_attention = Some(false)), None, "FA off");
    assert_eq!(judged(&|b| b.flash_attention = None), None, "FA unstated");
    assert_eq!(judged(&|b| b.kind = TestKind::Decode), None, "decode");
    assert_eq!(
        judged(&|b| b.machine = "server-mi300x".into()),
        None,
        "CDNA3"
    );
    assert_eq!(
        judged(&|b| b.machine = "pc-rx-7900-xtx".into()),
        old[index],
        "RDNA3"
    );
    assert_eq!(
        judged(&|b| b.model = "gemma-3-12b".into()),
        None,
        "head size 256"
    );
    assert_eq!(
        judged(&|b| b.runtime = Runtime::Vulkan),
        None,
        "another runtime"
    );

    // Superseded rows are not fitted: making them five times slower moves nothing.
    let mut slower = catalog.clone();
    for (row, why) in slower.benchmarks.iter_mut().zip(&old) {
        if *why == Some(Superseded::ReplacedKernel) {
            row.tokens_per_s *= 0.2;
        }
    }
    assert_eq!(rocm_fit(&slower), rocm_fit(&catalog));
    // Dated after the change, the same slow rows are current and move the fit.
    for (row, why) in slower.benchmarks.iter_mut().zip(&old) {
        if *why == Some(Superseded::ReplacedKernel) {
            row.date = Some("2026-06-01".into());
        }
    }
    assert_ne!(rocm_fit(&slower), rocm_fit(&catalog));
}

/// The ROCm profile's fitted parameters on `catalog`'s current rows.
fn rocm_fit(catalog: &headroom::engine::types::Catalog) -> Option<Vec<f64>> {
    fit_all(catalog)
        .iter()
        .find(|p| p.runtime == headroom::engine::types::Runtime::Rocm)
        .map(|p| {
            headroom::engine::calibrate::fitted_params(p)
                .map(|(_, v)| v)
                .to_vec()
        })
}

/// The figure of `group` among `summaries`.
fn group(all: &[Summary], group: &str) -> Summary {
    all.iter()
        .find(|s| s.group == group)
        .unwrap_or_else(|| panic!("no group {group}"))
        .clone()
}

/// Leave one source out: every row of a thread, page or repository predicted from a fit on
/// the others. The issue's targets are decode median <= 8% and >= 90% within 25%, prefill
/// median <= 15% and >= 80% within 30%, at depth too. The shipped data meets them all
/// (README, "Accuracy"); this holds the figures reached, so a change that loses ground
/// fails.
#[test]
fn leave_one_source_out_holds_its_figures() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let loso = leave_one_source_out(&catalog);
    assert_eq!(loso.len(), catalog.benchmarks.len(), "every row predicted");
    let all = summaries(&loso);
    eprintln!("{all:#?}");
    // Met since a second source measured the A100 and H100 at batch 1: 7.5%, 92%.
    let decode = group(&all, "decode");
    assert!(
        decode.median_abs_pct_error <= LOSO_DECODE_MEDIAN,
        "{decode:?}"
    );
    assert!(
        decode.share_within_25pct >= LOSO_DECODE_WITHIN,
        "{decode:?}"
    );
    let deep_decode = group(&all, "decode, depth > 0");
    assert!(deep_decode.median_abs_pct_error <= 8.0, "{deep_decode:?}");
    assert!(deep_decode.share_within_25pct >= 0.90, "{deep_decode:?}");
    let deep_prefill = group(&all, "prefill, depth > 0");
    assert!(
        deep_prefill.median_abs_pct_error <= LOSO_DEEP_PREFILL_MEDIAN,
        "{deep_prefill:?}"
    );
    assert!(
        deep_prefill.share_within_30pct >= LOSO_DEEP_PREFILL_WITHIN,
        "{deep_prefill:?}"
    );
    // Past the target (15%, 80% within 30%): the figure reached, held.
    let prefill = group(&all, "prefill");
    assert!(
        prefill.median_abs_pct_error <= LOSO_PREFILL_MEDIAN,
        "{prefill:?}"
    );
    assert!(
        prefill.share_within_30pct >= LOSO_PREFILL_WITHIN,
        "{prefill:?}"
    );
}

/// Leave-one-source-out figures reached on the 1,012 shipped rows (README, "Accuracy"),
/// the known misses counted. The decode target (8%, 90% within 25%) is met (7.9%, 92.4%);
/// the prefill target (median 15%, 80% within 30%) is met (12.9%, 83.2%; at depth 13.7%,
/// 88.1%). Of those rows, 48 (all at depth) are one source's, added this round and all
/// within 30% held out; without them prefill reads 13.5%, 81.0% and at depth 15.1%, 82.5%.
const LOSO_DECODE_MEDIAN: f64 = 8.0;
const LOSO_DECODE_WITHIN: f64 = 0.90;
const LOSO_PREFILL_MEDIAN: f64 = 13.5;
const LOSO_PREFILL_WITHIN: f64 = 0.82;
const LOSO_DEEP_PREFILL_MEDIAN: f64 = 14.5;
const LOSO_DEEP_PREFILL_WITHIN: f64 = 0.87;

/// The time split: fitted on the rows measured before July 2025, predicting the later ones.
/// Decode holds; prefill, fitted on the 2023-2024 rows and the priors, does not (CUDA's
/// prefill efficiency had one row to learn from). The figures reached are held.
#[test]
fn the_time_split_holds_its_figures() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let split = time_split(&catalog);
    assert!(
        split.training_rows >= 50,
        "{} rows fitted",
        split.training_rows
    );
    // Every row is fitted, predicted or counted as undated.
    let fitted_or_old = catalog
        .benchmarks
        .iter()
        .filter(|b| {
            headroom::engine::calibrate::split_date(b)
                .is_some_and(|d| d.as_str() < headroom::engine::calibrate::TIME_SPLIT)
        })
        .count();
    assert_eq!(
        fitted_or_old + split.predictions.len() + split.undated_rows,
        catalog.benchmarks.len()
    );
    let all = summaries(&split.predictions);
    eprintln!("{all:#?}");
    let decode = group(&all, "decode");
    // 9.5% and 88% within 25% on the 1,012 rows of December 2026: held.
    assert!(decode.median_abs_pct_error <= 9.5, "{decode:?}");
    assert!(decode.share_within_25pct >= 0.87, "{decode:?}");
    let prefill = group(&all, "prefill");
    assert!(
        prefill.median_abs_pct_error <= TIME_PREFILL_MEDIAN,
        "{prefill:?}"
    );
    assert!(
        prefill.share_within_30pct >= TIME_PREFILL_WITHIN,
        "{prefill:?}"
    );
}

/// Time-split prefill figures reached on the shipped rows (README, "Accuracy").
const TIME_PREFILL_MEDIAN: f64 = 25.5;
const TIME_PREFILL_WITHIN: f64 = 0.59;

/// The likely range is calibrated on held-out residuals: with bands read without the row's
/// source, about 80% of leave-one-source-out measurements fall inside (the issue asks for
/// about 80%), and the catalogue's bands hold at least that many of the rows they were read
/// from.
#[test]
fn the_likely_range_holds_about_four_in_five_held_out_measurements() {
    use headroom::engine::calibrate::{catalogue_band, coverage, nested_band_coverage};
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let loso = leave_one_source_out(&catalog);
    let nested = nested_band_coverage("nested", &catalog, &loso, |_| true);
    eprintln!("{nested:?}");
    assert!(
        (0.75..=0.90).contains(&nested.share),
        "bands without the row's source hold {:.0}%",
        nested.share * 100.0
    );
    let shipped = coverage("shipped", &loso, |_| true, |p| catalogue_band(&catalog, p));
    assert!(shipped.share >= 0.85, "{shipped:?}");
    // A range widened for want of measurements is never narrower than the measured one.
    for profile in &catalog.runtimes {
        for kind in [TestKind::Decode, TestKind::Prefill] {
            let measured = profile.band(kind, RangeBasis::Measured);
            let wide = profile.band(kind, RangeBasis::MachineUnmeasured);
            assert!(wide.low <= measured.low && wide.high >= measured.high);
        }
    }
}

/// A machine without published rows gets the widened range, and says so; one with rows
/// gets the measured one.
#[test]
fn a_machine_without_rows_gets_a_widened_range_that_says_why() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let model = catalog.model("llama-2-7b").expect("llama 2 7b");
    let quant = catalog.quant("Q4_0").expect("Q4_0");
    let f16 = catalog.quant("F16").expect("F16");
    let basis = |machine: &str, quant| {
        catalog.range_basis(machine, Runtime::Cuda, TestKind::Decode, model, quant)
    };
    assert_eq!(basis("pc-rtx-4090", quant), RangeBasis::Measured);
    let unmeasured = catalog
        .machines
        .iter()
        .find(|m| {
            m.runtimes.contains(&Runtime::Cuda)
                && !catalog.benchmarked_machines().contains(&m.id.as_str())
        })
        .expect("a CUDA machine without rows");
    assert_eq!(basis(&unmeasured.id, quant), RangeBasis::MachineUnmeasured);
    assert!(basis(&unmeasured.id, quant).widened());
    // Float weights on CUDA: a case no current CUDA row measured.
    if !catalog
        .benchmarks
        .iter()
        .any(|b| b.runtime == Runtime::Cuda && b.quant == "F16")
    {
        assert_eq!(basis("pc-rtx-4090", f16), RangeBasis::CaseUnmeasured);
    }
    // The widened band is read from held-out rows whose machine no other source measured,
    // and is never narrower than the measured one: wider where those rows missed by more
    // (CUDA's decode), as wide where they did not (CUDA's prefill).
    let cuda = catalog.runtime(Runtime::Cuda).expect("cuda");
    for kind in [TestKind::Decode, TestKind::Prefill] {
        let narrow = cuda.speed_range(kind, 1000.0, RangeBasis::Measured, None);
        let wide = cuda.speed_range(kind, 1000.0, RangeBasis::MachineUnmeasured, None);
        assert!(
            wide.0 <= narrow.0 && wide.1 >= narrow.1,
            "{kind:?} {narrow:?} {wide:?}"
        );
    }
    let narrow = cuda.speed_range(TestKind::Decode, 100.0, RangeBasis::Measured, None);
    let wide = cuda.speed_range(TestKind::Decode, 100.0, RangeBasis::MachineUnmeasured, None);
    assert!(
        wide.0 < narrow.0 || wide.1 > narrow.1,
        "{narrow:?} {wide:?}"
    );
}

/// The catalogue's measured cases, built at load without the quadratic newer-run check, are
/// those of its current rows.
#[test]
fn the_measured_cases_are_those_of_the_current_rows() {
    use headroom::engine::calibrate::{current_rows, measured_cases};
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let current = measured_cases(&catalog, &current_rows(&catalog));
    assert_eq!(catalog.measured.machines, current.machines);
    assert_eq!(catalog.measured.classes.len(), current.classes.len());
    assert!(current
        .classes
        .iter()
        .all(|c| catalog.measured.classes.contains(c)));
}

/// Leave-one-source-out never sees the held-out source: scaling what it measured and
/// scrambling the stored fit moves none of its predictions.
#[test]
fn leave_one_source_out_never_sees_the_held_out_source() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let held_out = "https://github.com/ggml-org/llama.cpp/discussions/4167";
    let before = leave_one_source_out(&catalog);
    let mut altered = catalog.clone();
    for row in altered
        .benchmarks
        .iter_mut()
        .filter(|b| source_key(&b.source) == held_out)
    {
        row.tokens_per_s *= 3.0;
    }
    for profile in &mut altered.runtimes {
        profile.bandwidth_efficiency.value *= 0.7;
        profile.compute_efficiency.value *= 1.9;
        profile.layer_overhead_us.value += 90.0;
    }
    let after = leave_one_source_out(&altered);
    let held: Vec<_> = before
        .iter()
        .filter(|p| source_key(&catalog.benchmarks[p.index].source) == held_out)
        .collect();
    assert!(held.len() >= 50, "{} rows", held.len());
    for p in held {
        let q = after
            .iter()
            .find(|q| q.index == p.index)
            .expect("same rows");
        assert_eq!(p.predicted_tokens_per_s, q.predicted_tokens_per_s);
    }
}

/// A source is a thread by its address, or a repository for any of its files at any
/// revision.
#[test]
fn a_source_is_a_thread_or_a_repository() {
    assert_eq!(
        source_key("https://github.com/ggml-org/llama.cpp/discussions/4167#discussioncomment-1"),
        "https://github.com/ggml-org/llama.cpp/discussions/4167"
    );
    assert_eq!(
        source_key("https://github.com/ggml-org/llama.cpp/blob/master/benches/dgx-spark/dgx-spark.md"),
        source_key("https://github.com/ggml-org/llama.cpp/blob/4c7e9893c4ca8eec35d032726d14b74fae76cff8/benches/dgx-spark.md")
    );
    assert_eq!(
        source_key(
            "https://github.com/lhl/strix-halo-testing/blob/937a/llama-cpp-fix-wmma/x.jsonl"
        ),
        "https://github.com/lhl/strix-halo-testing"
    );
    assert_ne!(
        source_key("https://github.com/ggml-org/llama.cpp/pull/21024"),
        source_key("https://github.com/ggml-org/llama.cpp/pull/19281")
    );
    assert_eq!(
        source_key("https://example.com/page#x"),
        "https://example.com/page"
    );
}

/// Issue 15: at batch 1 an HBM GPU does not stream weights at its spec bandwidth. Fitted
/// without the H100 PCIe's rows (leave one machine out), its Llama 3 8B decode is predicted
/// within 30% (Q4_K_M, a May 2024 build whose Q4_K kernel the RTX 4090's rows of the same
/// page show 1.1-1.2x slower than today's) and 10% (F16); scaling the RTX 4090's measurement
/// of the same page by spec bandwidth, as the engine did before, is 1.8x too fast.
#[test]
fn an_h100_decodes_at_its_batch1_issue_rate_not_its_bandwidth() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let lomo = leave_one_machine_out(&catalog);
    let row = |machine: &str, quant: &str| {
        catalog
            .benchmarks
            .iter()
            .position(|b| {
                b.machine == machine
                    && b.model == "llama-3-8b"
                    && b.quant == quant
                    && b.kind == TestKind::Decode
                    && b.tokens == 512
            })
            .unwrap_or_else(|| panic!("{machine} {quant} tg512"))
    };
    let h100_q4 = row("server-h100-pcie-80gb", "Q4_K_M");
    let h100_f16 = row("server-h100-pcie-80gb", "F16");
    let ratio = |i: usize| lomo[i].ratio;
    assert!(ratio(h100_q4) <= 1.30, "Q4_K_M {:.2}", ratio(h100_q4));
    assert!(
        (0.90..=1.10).contains(&ratio(h100_f16)),
        "F16 {:.2}",
        ratio(h100_f16)
    );
    // What spec bandwidth alone would say: the 4090's tg512 scaled by 2000 / 1008 GB/s.
    let rtx = &catalog.benchmarks[row("pc-rtx-4090", "Q4_K_M")];
    let h100 = &catalog.benchmarks[h100_q4];
    let bandwidth_scaled = rtx.tokens_per_s * 2000.0 / 1008.0;
    assert!(bandwidth_scaled / h100.tokens_per_s > 1.7);
    assert!(lomo[h100_q4].predicted_tokens_per_s < 0.75 * bandwidth_scaled);
}

/// Issue 15: llama.cpp's quantized matmuls (MMQ) use no more INT8 tensor work per SM per
/// clock on an A100 or H100 than a GeForce SM can do, although the datacenter SMs do two or
/// four times as much. Held out with their source, the A100s' Q4_K_M prefill rows are
/// predicted within 20% and are no longer a known miss. The H100's are predicted 0.6-1.0x:
/// a Hopper SM runs these kernels 1.2-1.4x faster per clock than an Ampere or Ada SM, which
/// the cap does not follow (the engine was 1.4-1.7x too fast on them before it). Scaling by
/// INT8 peak alone would put the A100 at twice its GeForce-class rate.
#[test]
fn datacenter_quantized_prefill_runs_at_a_geforce_sms_rate() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let loso = leave_one_source_out(&catalog);
    let mut checked = 0;
    for (i, b) in catalog.benchmarks.iter().enumerate() {
        let datacenter = [
            "server-a100-pcie-80gb",
            "server-a100-sxm4-80gb",
            "server-h100-pcie-80gb",
        ];
        if !datacenter.contains(&b.machine.as_str())
            || !b.source.contains("SpareCores")
            || b.quant != "Q4_K_M"
            || b.kind != TestKind::Prefill
            || b.tokens != 512
        {
            continue;
        }
        checked += 1;
        assert!(
            loso[i].known_miss.is_none(),
            "{} {} is a known miss",
            b.machine,
            b.model
        );
        let band = if b.machine.contains("h100") {
            0.6..=1.0
        } else {
            0.8..=1.2
        };
        assert!(
            band.contains(&loso[i].ratio),
            "{} {} pp512: {:.2}",
            b.machine,
            b.model,
            loso[i].ratio
        );
    }
    assert_eq!(
        checked, 6,
        "the A100 and H100 pp512 rows of phi-4 and Llama 3.3 70B"
    );
    let cuda = catalog.runtime(Runtime::Cuda).expect("cuda");
    let a100 = catalog.machine("server-a100-sxm4-80gb").expect("a100");
    let units = cuda.unit_clocks_per_s(a100).expect("sm_80 is counted");
    let cap = cuda
        .quantized_unit_ops_per_clock
        .as_ref()
        .expect("cap")
        .value;
    let int8 = a100.int8_tops.as_ref().expect("int8").value * 1e12;
    assert!(
        int8 / (units * cap) > 1.9,
        "the A100's INT8 peak is twice what MMQ uses"
    );
}

/// Issue 15: a narrow model's matmuls reach a smaller share of peak than a wide one's (each
/// tile's fixed work is amortised over a shorter reduction). On CUDA the Qwen3 30B-A3B
/// (width 2,048) keeps 0.8 of a very wide model's efficiency, Llama 3 8B (4,096) 0.89 and
/// Llama 3 70B (8,192) 0.94, so at equal FLOPs per token the narrow model prefills slower;
/// decode, bound by bandwidth, does not change.
#[test]
fn narrow_models_pay_for_their_narrow_matrices() {
    use headroom::engine::memory::LoadedModel;
    use headroom::engine::speed::Hardware;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let cuda = catalog.runtime(Runtime::Cuda).expect("cuda");
    let machine = catalog.machine("pc-rtx-4090").expect("4090");
    let hw = Hardware {
        machine,
        profile: cuda,
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let share = |id: &str| {
        let model = LoadedModel {
            model: catalog.model(id).expect("model"),
            quant: catalog.quant("Q4_K_M").expect("quant"),
            kv: catalog.kv_type("f16").expect("kv"),
        };
        (
            hw.width_efficiency(&model),
            hw.effective_flops_per_s(&model, false),
        )
    };
    let (qwen, qwen_flops) = share("qwen3-30b-a3b");
    let (small, small_flops) = share("llama-3-8b");
    let (large, large_flops) = share("llama-3-70b");
    assert!((qwen - 0.8).abs() < 0.005, "{qwen}");
    assert!((small - 0.889).abs() < 0.005, "{small}");
    assert!((large - 0.941).abs() < 0.005, "{large}");
    assert!(qwen_flops < small_flops && small_flops < large_flops);
    assert!((large_flops / small_flops - large / small).abs() < 1e-9);
}

/// Issue 15: each attention score pays for a softmax that does not shrink with the head
/// size, so gpt-oss's heads of 64 reach a smaller share of attention's matrix rate than
/// Llama's of 128, and Gemma 3's of 256 a larger one; the CPU, where the products and the
/// softmax share the vector units, pays nothing extra.
#[test]
fn narrow_attention_heads_pay_more_for_their_softmax() {
    use headroom::engine::memory::LoadedModel;
    use headroom::engine::speed::Hardware;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let machine = catalog.machine("pc-rtx-4090").expect("4090");
    let on = |runtime: Runtime| Hardware {
        machine,
        profile: catalog.runtime(runtime).expect("runtime"),
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let model = |id: &str, quant: &str| LoadedModel {
        model: catalog.model(id).expect("model"),
        quant: catalog.quant(quant).expect("quant"),
        kv: catalog.kv_type("f16").expect("kv"),
    };
    let cuda = on(Runtime::Cuda);
    let (gpt_oss, llama, gemma) = (
        model("gpt-oss-20b", "MXFP4"),
        model("llama-3-8b", "Q4_K_M"),
        model("gemma-3-12b", "Q4_K_M"),
    );
    assert_eq!(gpt_oss.model.head_dim, 64);
    assert_eq!(llama.model.head_dim, 128);
    assert_eq!(gemma.model.head_dim, 256);
    let softmax = cuda
        .profile
        .attention_softmax_head_dims
        .as_ref()
        .expect("cuda counts the softmax")
        .value;
    let expect = |d: f64| d / (d + softmax);
    assert!((cuda.softmax_efficiency(&gpt_oss) - expect(64.0)).abs() < 1e-12);
    assert!((cuda.softmax_efficiency(&llama) - expect(128.0)).abs() < 1e-12);
    assert!(cuda.softmax_efficiency(&gpt_oss) < cuda.softmax_efficiency(&llama));
    assert!(cuda.softmax_efficiency(&llama) < cuda.softmax_efficiency(&gemma));
    // The share scales attention's rate and nothing else.
    let ratio = cuda.effective_attention_flops_per_s(&gpt_oss)
        / cuda.effective_attention_flops_per_s(&llama);
    assert!(
        (ratio - expect(64.0) / expect(128.0)).abs() < 1e-9,
        "{ratio}"
    );
    let cpu = on(Runtime::Cpu);
    assert_eq!(cpu.softmax_efficiency(&gpt_oss), 1.0);
    // An A100 SM does four times a GeForce SM's FP16 matrix work per clock with the same
    // 16 exponentials, so its softmax weighs four times as much against the products.
    let a100 = Hardware {
        machine: catalog.machine("server-a100-sxm4-80gb").expect("A100"),
        ..cuda
    };
    let expect_a100 = 128.0 / (128.0 + 4.0 * softmax);
    assert!((a100.softmax_efficiency(&llama) - expect_a100).abs() < 1e-12);
}

/// Issue 15: long prompts without flash attention slow down more than the attention FLOPs
/// say, because every score is written to memory and read back. The RTX 4090's F16 rows of
/// one page fall from 9382 t/s at pp512 to 4744 at pp8192 (0.51x); in-sample the engine
/// follows within 15% at both ends, and with flash attention on it would predict a much
/// smaller fall.
#[test]
fn long_prompts_without_flash_attention_pay_for_their_scores() {
    use headroom::engine::calibrate::predict;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let cuda = catalog.runtime(Runtime::Cuda).expect("cuda");
    let find = |tokens: u64| {
        catalog
            .benchmarks
            .iter()
            .find(|b| {
                b.machine == "pc-rtx-4090"
                    && b.model == "llama-3-8b"
                    && b.quant == "F16"
                    && b.kind == TestKind::Prefill
                    && b.tokens == tokens
                    && b.flash_attention == Some(false)
            })
            .unwrap_or_else(|| panic!("4090 F16 pp{tokens}"))
            .clone()
    };
    let (short, long) = (find(512), find(8192));
    let predicted = |b: &headroom::engine::types::Benchmark| predict(&catalog, b, cuda).expect("p");
    for b in [&short, &long] {
        let r = predicted(b) / b.tokens_per_s;
        assert!((0.85..=1.15).contains(&r), "pp{}: {r:.2}", b.tokens);
    }
    let mut fused = long.clone();
    fused.flash_attention = Some(true);
    let fall_unfused = predicted(&long) / predicted(&short);
    let fall_fused = predicted(&fused) / predicted(&short);
    assert!(fall_unfused < 0.6, "{fall_unfused:.2}");
    assert!(fall_fused > fall_unfused + 0.15, "{fall_fused:.2}");
}

/// Issue 15: MXFP4 prefill on Blackwell runs on FP4 matrix units since llama.cpp PR #17906;
/// rows measured before it (the gpt-oss guide's GeForce runs of August 2025) are superseded,
/// the DGX Spark's February 2026 runs are not, and the FP4 path only applies to MXFP4 on
/// sm_120/sm_121.
#[test]
fn mxfp4_on_blackwell_runs_on_fp4_units_since_pr_17906() {
    use headroom::engine::types::MatmulPath;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let cuda = catalog.runtime(Runtime::Cuda).expect("cuda");
    let mxfp4 = catalog.quant("MXFP4").expect("MXFP4");
    let q4 = catalog.quant("Q4_K_M").expect("Q4_K_M");
    let machine = |id: &str| catalog.machine(id).expect(id);
    assert_eq!(
        cuda.weights_matmul(machine("pc-rtx-5090"), mxfp4),
        MatmulPath::Fp4
    );
    assert_eq!(
        cuda.weights_matmul(machine("dgx-spark"), mxfp4),
        MatmulPath::Fp4
    );
    assert_eq!(
        cuda.weights_matmul(machine("pc-rtx-4090"), mxfp4),
        MatmulPath::Int8
    );
    assert_eq!(
        cuda.weights_matmul(machine("pc-rtx-5090"), q4),
        MatmulPath::Int8
    );
    let old = superseded(&catalog);
    for (b, o) in catalog.benchmarks.iter().zip(&old) {
        let guide = b.source.ends_with("/discussions/15396");
        if guide && b.machine == "pc-rtx-5090" && b.kind == TestKind::Prefill {
            assert_eq!(*o, Some(Superseded::ReplacedKernel), "{b:?}");
        }
        if guide && b.machine == "pc-rtx-4090" {
            assert_eq!(*o, None, "{b:?}");
        }
        if b.machine == "dgx-spark" && b.date.as_deref() == Some("2026-02-05") {
            assert_eq!(*o, None, "{b:?}");
        }
    }
}

/// Issue 15: the likely range is read with each source weighing the same: a repository of
/// 176 rows of one build does not set the tails alone. Doubling every row of one source
/// moves the bands less than adding the same rows as new sources would.
#[test]
fn each_source_weighs_the_same_in_the_likely_range() {
    use headroom::engine::calibrate::error_bands;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let loso = leave_one_source_out(&catalog);
    let band = |rows: &[headroom::engine::calibrate::RowPrediction]| {
        error_bands(rows, Runtime::Cuda, TestKind::Decode, false).expect("a cuda decode band")
    };
    let base = band(&loso);
    let busiest = loso
        .iter()
        .filter(|p| p.runtime == Runtime::Cuda)
        .map(|p| p.source.clone())
        .max_by_key(|s| loso.iter().filter(|p| p.source == *s).count())
        .expect("a source");
    let doubled: Vec<_> = loso
        .iter()
        .cloned()
        .chain(loso.iter().filter(|p| p.source == busiest).cloned())
        .collect();
    assert_eq!(band(&doubled).low, base.low);
    assert_eq!(band(&doubled).high, base.high);
}

/// Each known miss's stored band is the spread of its held-out rows (leave-one-source-out,
/// as `headroom calibrate --write` stores it, with the correction the fit gives), and the
/// range the shipped prediction of the case shows holds at least nine in ten of its rows.
#[test]
fn a_known_miss_carries_the_spread_of_its_held_out_rows() {
    use headroom::engine::calibrate::known_miss_band;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let loso = leave_one_source_out(&catalog);
    let fitted = fit_all(&catalog);
    let mut cases = 0;
    for profile in &catalog.runtimes {
        for (i, miss) in profile.known_misses.iter().enumerate() {
            cases += 1;
            let band = known_miss_band(&loso, profile.runtime, i).expect("rows of the case");
            let stored = miss.band.expect("a stored band");
            let correction = fitted
                .iter()
                .find(|f| f.runtime == profile.runtime)
                .and_then(|f| f.known_misses.get(i))
                .and_then(|m| m.correction)
                .expect("a fitted correction");
            assert!(
                (correction - miss.correction.expect("a stored correction")).abs() < 0.001,
                "{}: fitted {correction}",
                miss.what
            );
            assert_eq!(band.rows, stored.rows, "{}", miss.what);
            assert!(
                (band.low - stored.low).abs() < 0.001 && (band.high - stored.high).abs() < 0.001,
                "{}: held out {band:?}, stored {stored:?}",
                miss.what
            );
            // The range shipped around the shipped (corrected) prediction.
            let (mut rows, mut inside) = (0, 0);
            for p in predict_all(&catalog)
                .iter()
                .filter(|p| p.runtime == profile.runtime && p.known_miss == Some(i))
                .filter(|p| p.superseded.is_none())
            {
                let kind = if p.test.starts_with("pp") {
                    TestKind::Prefill
                } else {
                    TestKind::Decode
                };
                let (low, high) =
                    profile.speed_range(kind, p.predicted_tokens_per_s, p.basis, Some(miss));
                rows += 1;
                // The catalogue keeps three decimals of the correction and the band.
                if low <= p.measured_tokens_per_s * 1.01 && p.measured_tokens_per_s <= high * 1.01 {
                    inside += 1;
                } else {
                    eprintln!(
                        "{} {} {}: measured {} outside {low}-{high}",
                        p.machine, p.model, p.test, p.measured_tokens_per_s
                    );
                }
            }
            // The tails of the case's held-out rows (each source weighing the same) leave
            // out at most a few of its rows under the shipped fit: a tenth, or two rows of a
            // case of fewer than ten, whose band's ends are its extreme held-out rows under
            // other fits (Vulkan's BF16 prefill on AMD, 3 rows of one source: Gemma 3 27B
            // runs 3.25x the shipped prediction against a band to 3.08x; RDNA 4's ROCm
            // prefill, 7 rows of two sources: the RX 9070 XT's Llama 3.1 8B Q4_K_M prompts
            // of 64 and 128 tokens run 2% below the band's low end, while its Q8_0 prompts
            // of the same lengths run 0.75x the prediction).
            assert!(
                inside as f64 >= 0.9 * rows as f64 || (rows < 10 && inside + 2 >= rows),
                "{}: {inside} of {rows}",
                miss.what
            );
        }
    }
    assert!(cases >= 3, "{cases} known misses");
}

/// A Vulkan run on AMD's AMDVLK driver, which AMD discontinued in September 2025 for Mesa's
/// RADV, measured a stack no one installing Vulkan today gets: it is superseded, not fitted.
/// A RADV run of the same case stays current, and one driver's run is never "a newer run"
/// of the other's.
#[test]
fn a_run_on_a_discontinued_driver_is_superseded_and_drivers_are_not_mixed() {
    use headroom::engine::calibrate::retired_driver;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let old = superseded(&catalog);
    let on = |driver: &'static str| {
        catalog
            .benchmarks
            .iter()
            .zip(&old)
            .filter(move |(b, _)| b.driver.as_deref() == Some(driver))
    };
    assert!(on("amdvlk").count() >= 10);
    for (row, why) in on("amdvlk") {
        assert_eq!(*why, Some(Superseded::RetiredDriver), "{row:?}");
        assert_eq!(
            retired_driver(&catalog, row).map(|d| d.since.as_str()),
            Some("2025-09-15")
        );
    }
    assert!(on("radv").any(|(_, why)| why.is_none()));
    // The same case on both drivers in one build: the AMDVLK run is not the RADV run's
    // newer run, however it is dated.
    let radv = catalog
        .benchmarks
        .iter()
        .position(|b| {
            b.driver.as_deref() == Some("radv")
                && b.model == "llama-2-7b"
                && b.date.as_deref() == Some("2026-05")
        })
        .expect("the Strix Halo's RADV Llama 2 7B run");
    let mut later = catalog.clone();
    let mut amdvlk = later.benchmarks[radv].clone();
    amdvlk.driver = Some("amdvlk".to_owned());
    amdvlk.date = Some("2026-11".to_owned());
    later.benchmarks.push(amdvlk.clone());
    let later_old = superseded(&later);
    assert_eq!(later_old[radv], None);
    assert_eq!(later_old.last(), Some(&Some(Superseded::RetiredDriver)));
    // Without a driver named, the later run is the same case's newer run.
    let mut unnamed = catalog.clone();
    amdvlk.driver = None;
    unnamed.benchmarks.push(amdvlk);
    assert_eq!(superseded(&unnamed)[radv], Some(Superseded::NewerRun));
}

/// The kernel replacements the catalogue lists after the RDNA3 one: RDNA4's flash-attention
/// prefill before its mma kernel (head sizes up to 128 only; Gemma 3's 256 still runs the
/// tile kernel), and Vulkan's mixture-of-experts prefill on NVIDIA before the August to
/// December 2025 rework (dense rows of the same GPUs stay current).
#[test]
fn rdna4_attention_and_vulkan_moe_rows_before_their_kernels_changed_are_superseded() {
    use headroom::engine::calibrate::replaced_kernel;
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let old = superseded(&catalog);
    let find = |machine: &str, runtime: Runtime, model: &str, depth: u64, date: &str| {
        catalog
            .benchmarks
            .iter()
            .position(|b| {
                b.machine == machine
                    && b.runtime == runtime
                    && b.model == model
                    && b.kind == TestKind::Prefill
                    && b.depth == depth
                    && b.date.as_deref().is_some_and(|d| d.starts_with(date))
                    && b.build_flags.is_empty()
            })
            .unwrap_or_else(|| panic!("{machine} {model} at {depth} ({date})"))
    };
    let r9700 = "pc-radeon-ai-pro-r9700";
    let llama = find(r9700, Runtime::Rocm, "llama-2-7b", 16384, "2025-12");
    assert_eq!(old[llama], Some(Superseded::ReplacedKernel));
    assert!(replaced_kernel(&catalog, &catalog.benchmarks[llama])
        .is_some_and(|k| k.source.contains("/pull/18481")));
    let gemma = find(r9700, Runtime::Rocm, "gemma-3-4b", 16384, "2025-12");
    assert_eq!(old[gemma], None, "head size 256 still runs the tile kernel");

    let before = find("pc-rtx-5090", Runtime::Vulkan, "gpt-oss-20b", 0, "2025-08");
    assert_eq!(old[before], Some(Superseded::ReplacedKernel));
    let after = find(
        "pc-rtx-5090",
        Runtime::Vulkan,
        "gpt-oss-20b",
        16384,
        "2026-02",
    );
    assert_eq!(old[after], None);
    let dense = find("pc-rtx-3090", Runtime::Vulkan, "llama-3-8b", 0, "2026-05");
    assert_eq!(old[dense], None);
}

/// The R9700's two known misses split by what the kernels do: heads wider than 128 (Gemma
/// 3's 256) over 8K tokens of context and more run flash attention on the tile kernel;
/// every other prefill on the card falls in its matrix-peak case, with its own correction.
#[test]
fn the_r9700s_known_misses_split_by_head_size_and_context() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let rocm = catalog.runtime(Runtime::Rocm).expect("rocm");
    let machine = catalog
        .machine("pc-radeon-ai-pro-r9700")
        .expect("the R9700");
    let quant = catalog.quant("Q4_K_M").expect("Q4_K_M");
    let gemma = catalog.model("gemma-3-4b").expect("Gemma 3 4B");
    let coder = catalog
        .model("qwen3-coder-30b-a3b")
        .expect("Qwen3-Coder 30B-A3B");
    assert!(gemma.head_dim > 128 && coder.head_dim <= 128);
    let case = |model, context| {
        rocm.known_miss_with(machine, TestKind::Prefill, model, quant, (context, true))
            .expect("an R9700 prefill is a known miss")
    };
    let tile = case(gemma, 18_432);
    assert!(tile.what.contains("wider than 128"), "{}", tile.what);
    let peak = case(gemma, 512);
    assert!(peak.what.contains("matrix peak"), "{}", peak.what);
    assert_eq!(case(coder, 18_432), peak);
    let (tile, peak) = (
        tile.correction.expect("fitted"),
        peak.correction.expect("fitted"),
    );
    assert!(
        tile < peak,
        "long contexts on the tile kernel run further below the physics"
    );
}
