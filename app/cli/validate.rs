//! `headroom validate`: every published benchmark row predicted, in-sample and under three
//! protocols that keep the row out of the fit (leave one machine out, leave one source out,
//! a time split), with summary figures and the coverage of the likely range.

use serde::Serialize;

use super::{to_json, CliError};
use crate::engine::calibrate::{
    catalogue_band, coverage, leave_one_machine_out, leave_one_source_out, nested_band_coverage,
    predict_all, replaced_kernel, retired_driver, retired_flag, summaries, time_split, Coverage,
    RowPrediction, Summary, Superseded, TIME_SPLIT,
};
use crate::engine::types::Catalog;

/// One protocol's predictions and figures.
#[derive(Serialize)]
struct Protocol {
    name: &'static str,
    /// What the protocol fits on and predicts, in words.
    about: String,
    predictions: Vec<RowPrediction>,
    summary: Vec<Summary>,
    /// Coverage of the likely range: all rows, then the rows whose range was widened and
    /// those whose was not, with the catalogue's bands; for leave-one-source-out also with
    /// bands read without the row's source.
    coverage: Vec<Coverage>,
}

impl Protocol {
    fn new(
        catalog: &Catalog,
        name: &'static str,
        about: String,
        mut predictions: Vec<RowPrediction>,
        count_superseded: bool,
    ) -> Self {
        if count_superseded {
            for p in &mut predictions {
                p.superseded = None;
            }
        }
        let summary = summaries(&predictions);
        let band = |p: &RowPrediction| catalogue_band(catalog, p);
        let mut coverage = vec![
            self::coverage("likely range, all rows", &predictions, |_| true, band),
            self::coverage(
                "  machine and case measured",
                &predictions,
                |p| !p.basis.widened() && p.known_miss.is_none(),
                band,
            ),
            self::coverage(
                "  widened (unmeasured)",
                &predictions,
                |p| p.basis.widened() && p.known_miss.is_none(),
                band,
            ),
            self::coverage(
                "  known misses (their own band)",
                &predictions,
                |p| p.known_miss.is_some(),
                band,
            ),
        ];
        if name == "leave-one-source-out" {
            coverage.push(nested_band_coverage(
                "bands without the row's source",
                catalog,
                &predictions,
                |_| true,
            ));
            coverage.push(nested_band_coverage(
                "  known misses, without the row's source",
                catalog,
                &predictions,
                |p| p.known_miss.is_some(),
            ));
        }
        Protocol {
            name,
            about,
            predictions,
            summary,
            coverage,
        }
    }
}

/// `validate`: the predictions of every protocol and their summaries.
pub fn validate(
    catalog: &Catalog,
    json: bool,
    summary_only: bool,
    count_superseded: bool,
) -> Result<(), CliError> {
    let split = time_split(catalog);
    let all = catalog.benchmarks.len();
    let protocols = [
        Protocol::new(
            catalog,
            "in-sample",
            "fitted on every current row, predicting them".into(),
            predict_all(catalog),
            count_superseded,
        ),
        Protocol::new(
            catalog,
            "leave-one-machine-out",
            "each machine's rows predicted from a fit on the other machines' rows".into(),
            leave_one_machine_out(catalog),
            count_superseded,
        ),
        Protocol::new(
            catalog,
            "leave-one-source-out",
            "each source's rows (a thread, a page, a repository's files) predicted from a fit \
             on the other sources' rows"
                .into(),
            leave_one_source_out(catalog),
            count_superseded,
        ),
        Protocol::new(
            catalog,
            "time split",
            format!(
                "fitted on the {} current rows measured before {TIME_SPLIT}, predicting the {} \
                 measured since; {} of {all} rows are undated (no date, no dated thread) and in \
                 neither set",
                split.training_rows,
                split.predictions.len(),
                split.undated_rows
            ),
            split.predictions,
            count_superseded,
        ),
    ];
    if json {
        #[derive(Serialize)]
        struct Out<'a> {
            rows: usize,
            in_sample: &'a Protocol,
            leave_one_machine_out: &'a Protocol,
            leave_one_source_out: &'a Protocol,
            time_split: &'a Protocol,
            /// Every serving row the engine predicts (several users, draft models, expert
            /// offload), none fitted.
            serving: Vec<crate::engine::serving::ServingCheck>,
        }
        let [in_sample, lomo, loso, time] = &protocols;
        let out = Out {
            rows: all,
            in_sample,
            leave_one_machine_out: lomo,
            leave_one_source_out: loso,
            time_split: time,
            serving: crate::engine::serving::check_serving(catalog),
        };
        println!("{}", to_json(&out)?);
        return Ok(());
    }
    if !summary_only {
        listing(catalog, &protocols);
    }
    if count_superseded {
        println!("{all} published rows; the superseded ones are counted as if current (still not fitted).");
    } else {
        println!("{all} published rows; every protocol below counts each row it predicts, the superseded ones on a line of their own.");
    }
    for protocol in &protocols {
        println!("{}: {}", protocol.name, protocol.about);
        println!(
            "  {:<30} {:>5} {:>13} {:>14} {:>11} {:>11}",
            "group", "rows", "median p/m", "median |err|", "within 25%", "within 30%"
        );
        for s in &protocol.summary {
            println!(
                "  {:<30} {:>5} {:>13.3} {:>13.1}% {:>10.0}% {:>10.0}%",
                s.group,
                s.rows,
                s.median_ratio,
                s.median_abs_pct_error,
                s.share_within_25pct * 100.0,
                s.share_within_30pct * 100.0
            );
        }
        if let Some(note) = unpredicted(protocol, all) {
            println!("  {note}");
        }
        for c in &protocol.coverage {
            println!(
                "  {:<30} {:>5} rows, measurement inside: {:>3.0}% ({} of {})",
                c.group,
                c.rows,
                c.share * 100.0,
                c.inside,
                c.rows
            );
        }
    }
    super::validate_serving::print(catalog, !summary_only);
    Ok(())
}

/// Words for the rows a protocol did not predict, if any (the time split leaves the
/// earlier and the undated rows out on purpose; any other gap is a row that does not fit).
fn unpredicted(protocol: &Protocol, all: usize) -> Option<String> {
    let predicted = protocol.predictions.len();
    (protocol.name != "time split" && predicted < all).then(|| {
        format!(
            "{} of {all} rows could not be predicted (the model does not fit in memory)",
            all - predicted
        )
    })
}

/// The row-by-row listing: each row's measurement, its in-sample prediction, and its ratio
/// under each held-out protocol; then why the superseded rows are set apart.
fn listing(catalog: &Catalog, protocols: &[Protocol]) {
    println!(
        "{:<36} {:<7} {:<22} {:<7} {:<7} {:>6} {:>10} {:>10} {:>7} {:>6} {:>6} {:>6}",
        "machine",
        "runtime",
        "model",
        "quant",
        "test",
        "depth",
        "measured",
        "predicted",
        "ratio",
        "LOMO",
        "LOSO",
        "time"
    );
    let (mut newer, mut retired, mut drivers, mut replaced) =
        (0, Vec::new(), Vec::new(), Vec::new());
    let in_sample = &protocols[0].predictions;
    for p in in_sample {
        let held = |k: usize| {
            protocols[k]
                .predictions
                .iter()
                .find(|l| l.index == p.index)
                .map(|l| format!("{:.2}", l.ratio))
                .unwrap_or_else(|| "-".into())
        };
        let mark = match p.superseded {
            None => "",
            Some(Superseded::NewerRun) => "  superseded: newer run",
            Some(Superseded::RetiredBuildFlag) => "  superseded: retired build flag",
            Some(Superseded::RetiredDriver) => "  superseded: retired driver",
            Some(Superseded::ReplacedKernel) => "  superseded: replaced kernel",
        };
        let row = catalog.benchmarks.get(p.index);
        match p.superseded {
            Some(Superseded::NewerRun) => newer += 1,
            Some(Superseded::RetiredBuildFlag) => {
                retired.extend(row.and_then(|row| retired_flag(catalog, row)))
            }
            Some(Superseded::RetiredDriver) => {
                drivers.extend(row.and_then(|row| retired_driver(catalog, row)))
            }
            Some(Superseded::ReplacedKernel) => {
                replaced.extend(row.and_then(|row| replaced_kernel(catalog, row)))
            }
            None => {}
        }
        println!(
            "{:<36} {:<7} {:<22} {:<7} {:<7} {:>6} {:>10.2} {:>10.2} {:>7.2} {:>6} {:>6} {:>6}{}",
            p.machine,
            p.runtime,
            p.model,
            p.quant,
            p.test,
            p.depth,
            p.measured_tokens_per_s,
            p.predicted_tokens_per_s,
            p.ratio,
            held(1),
            held(2),
            held(3),
            mark
        );
    }
    println!();
    let any_superseded =
        newer > 0 || !retired.is_empty() || !drivers.is_empty() || !replaced.is_empty();
    if newer > 0 {
        println!(
            "{newer} rows superseded by a newer run: the catalogue holds a newer measurement \
             of the same case (machine, model, quant, test, depth, micro-batch, flash \
             attention)."
        );
    }
    if !retired.is_empty() {
        println!(
            "{} rows superseded by a retired build flag: built with an option whose code \
             llama.cpp has since removed, so no current build runs the kernel they measured.",
            retired.len()
        );
        retired.sort_by(|a, b| a.flag.cmp(&b.flag));
        retired.dedup_by(|a, b| a.flag == b.flag);
        for flag in retired {
            println!("  {} removed {}: {}", flag.flag, flag.since, flag.source);
        }
    }
    if !drivers.is_empty() {
        println!(
            "{} rows superseded by a retired driver: run on a GPU driver its vendor has since \
             discontinued, so no one installing the runtime today runs what they measured.",
            drivers.len()
        );
        drivers.sort_by(|a, b| a.driver.cmp(&b.driver));
        drivers.dedup_by(|a, b| a.driver == b.driver);
        for driver in drivers {
            println!(
                "  {} discontinued {}: {}",
                driver.driver, driver.since, driver.source
            );
        }
    }
    if !replaced.is_empty() {
        println!(
            "{} rows superseded by a replaced kernel: measured before llama.cpp replaced the \
             kernel that runs their case, so no current build runs the kernel they measured.",
            replaced.len()
        );
        replaced.sort_by(|a, b| (&a.before, &a.kernel).cmp(&(&b.before, &b.kernel)));
        replaced.dedup_by(|a, b| a.kernel == b.kernel && a.before == b.before);
        for kernel in replaced {
            println!("  before {}: {}", kernel.before, kernel.kernel);
            println!("    {}", kernel.source);
        }
    }
    if any_superseded {
        println!(
            "Superseded rows are neither fitted nor counted in the figures below, apart from \
             their own line."
        );
        println!();
    }
}
