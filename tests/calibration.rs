//! The engine against published measurements: the in-sample figures of `headroom validate`
//! on the shipped catalogue, which must meet the accuracy targets. Deterministic: no timing.

use headroom::catalog;
use headroom::engine::calibrate::{predict_all, summaries, Summary};

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
    assert!(s.rows >= 50, "{group}: only {} rows", s.rows);
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

#[test]
fn prefill_meets_the_target() {
    // Median absolute error at most 15%; at least 80% of rows within 30%.
    check("prefill", 15.0, 0.80, true);
}

#[test]
fn decode_at_depth_meets_the_target() {
    check("decode, depth > 0", 10.0, 0.85, false);
}

#[test]
fn prefill_at_depth_meets_the_target() {
    check("prefill, depth > 0", 15.0, 0.80, true);
}

#[test]
fn the_benchmark_data_is_broad_enough() {
    let catalog = catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)));
    let machines = catalog.benchmarked_machines();
    assert!(
        catalog.benchmarks.len() >= 150,
        "{} rows",
        catalog.benchmarks.len()
    );
    assert!(machines.len() >= 12, "{} machines", machines.len());
    assert!(
        catalog
            .benchmarks
            .iter()
            .all(|b| b.source.starts_with("https://")),
        "every row cites its source"
    );
}
