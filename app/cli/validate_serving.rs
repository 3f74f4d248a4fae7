//! `validate`'s section on serving cases: several users at once, draft models and expert
//! offload, each published row against the engine's prediction (nothing is fitted to them).

use crate::engine::serving::{check_serving, ServingCheck};
use crate::engine::types::{Catalog, ServingCase};

/// One case's figures.
struct Summary {
    case: &'static str,
    catalogued: usize,
    checks: Vec<ServingCheck>,
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    }
}

fn case_name(case: &ServingCase) -> &'static str {
    match case {
        ServingCase::Parallel { .. } => "parallel",
        ServingCase::Speculative { .. } => "speculative",
        ServingCase::ExpertOffload { .. } => "expert-offload",
    }
}

/// Prints the serving section: per case, the rows catalogued, the rows predicted, the median
/// predicted/measured and |error|, and the share within 25%; with `listing`, every row.
pub fn print(catalog: &Catalog, listing: bool) {
    let checks = check_serving(catalog);
    let summaries: Vec<Summary> = ["parallel", "speculative", "expert-offload"]
        .into_iter()
        .map(|case| Summary {
            case,
            catalogued: catalog
                .serving_benchmarks
                .iter()
                .filter(|b| case_name(&b.case) == case)
                .count(),
            checks: checks.iter().filter(|c| c.case == case).cloned().collect(),
        })
        .collect();
    println!(
        "serving cases: {} published rows of several users, draft models and expert offload, none fitted: every row is held out",
        catalog.serving_benchmarks.len()
    );
    println!(
        "  {:<16} {:>10} {:>10} {:>11} {:>13} {:>11}",
        "case", "catalogued", "predicted", "median p/m", "median |err|", "within 25%"
    );
    for s in &summaries {
        let ratios: Vec<f64> = s.checks.iter().map(|c| 1.0 + c.error()).collect();
        let errors: Vec<f64> = s.checks.iter().map(|c| c.error().abs()).collect();
        let within = errors.iter().filter(|e| **e <= 0.25).count();
        println!(
            "  {:<16} {:>10} {:>10} {:>11.3} {:>12.1}% {:>10.0}%",
            s.case,
            s.catalogued,
            s.checks.len(),
            median(ratios),
            median(errors) * 100.0,
            within as f64 * 100.0 / s.checks.len().max(1) as f64
        );
    }
    println!("  rows not predicted: a parallel row that does not fit the machine, a draft pairing without any published acceptance rate, an offload row without a decode figure");
    if listing {
        for c in &checks {
            println!(
                "  {:<15} {:<32} {:<24} {:<44} measured {:>8.2} predicted {:>8.2} ({:+.0}%)",
                c.case,
                c.machine,
                c.model,
                c.what,
                c.measured,
                c.predicted,
                c.error() * 100.0
            );
        }
    }
}
