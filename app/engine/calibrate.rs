//! Calibration: predict every published llama-bench row, fit each runtime's efficiencies to
//! those rows, and measure the error honestly on rows the fit never saw: leave one machine
//! out, leave one source out (every row of one page or repository at once), and a time
//! split (fit on the rows measured before [`TIME_SPLIT`], predict the later ones).
//!
//! The fit is a deterministic coordinate search on the median-like L1 loss of log errors,
//! within physical bounds, so that one odd row cannot drag a parameter anywhere.

use serde::Serialize;

use super::memory::{plan, LoadedModel};
use super::speed::{decode_with_attention, prefill_with_attention, Hardware};
use super::types::{
    Benchmark, CaseClass, CaseRun, Catalog, ErrorBand, FitPrior, MeasuredCases, RangeBasis,
    ReplacedKernel, RetiredBuildFlag, RetiredDriver, Runtime, RuntimeProfile, Sourced, TestKind,
};

/// One row predicted.
#[derive(Clone, Debug, Serialize)]
pub struct RowPrediction {
    pub index: usize,
    pub machine: String,
    pub runtime: Runtime,
    pub model: String,
    pub quant: String,
    pub test: String,
    pub depth: u64,
    pub measured_tokens_per_s: f64,
    pub predicted_tokens_per_s: f64,
    /// Predicted over measured.
    pub ratio: f64,
    /// Why the row no longer describes llama.cpp as it is now (see [`superseded`]), if it
    /// does not: listed, but neither fitted nor counted in the summaries.
    pub superseded: Option<Superseded>,
    /// What the prediction's likely range rests on: whether the rows its fit saw measured
    /// this machine and this case.
    pub basis: RangeBasis,
    /// The row's source as the held-out protocols group it ([`source_key`]).
    pub source: String,
    /// The position, among its runtime's `known_misses`, of the case headroom is known to
    /// predict badly that the row falls in. Such rows are not fitted and set that case's
    /// band, not the runtime's (which the case's is joined with: a known miss only widens).
    pub known_miss: Option<usize>,
}

/// Why a published row no longer describes llama.cpp as it is now.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Superseded {
    /// The catalogue holds a newer measurement of the same case.
    NewerRun,
    /// The build used an option whose code llama.cpp has since removed
    /// (`retired_build_flags` in `runtimes.ron`).
    RetiredBuildFlag,
    /// It ran on a GPU driver its vendor has since discontinued
    /// (`retired_drivers` in `runtimes.ron`).
    RetiredDriver,
    /// It was measured before llama.cpp replaced the kernel that ran its case
    /// (`replaced_kernels` in `runtimes.ron`).
    ReplacedKernel,
}

/// Predicts one benchmark row with a given profile for its runtime.
pub fn predict(catalog: &Catalog, row: &Benchmark, profile: &RuntimeProfile) -> Option<f64> {
    let machine = catalog.machine(&row.machine)?;
    let loaded = LoadedModel {
        model: catalog.model(&row.model)?,
        quant: catalog.quant(&row.quant)?,
        kv: catalog.kv_type("f16")?,
    };
    let gb = machine.largest_memory_option()?.per_device_gb;
    let memory = plan(machine, gb, profile, &[(loaded, row.depth + row.tokens)]);
    if !memory.fits() {
        return None;
    }
    let hw = Hardware {
        machine,
        profile,
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let speed = match row.kind {
        TestKind::Prefill => {
            // A row that says flash attention was off ran the unfused attention path; one
            // that does not say is taken as run with it on, as llama.cpp runs by default.
            let flash_attention = row.flash_attention != Some(false);
            prefill_with_attention(
                &hw,
                &loaded,
                &memory,
                row.depth,
                row.tokens,
                row.ubatch,
                flash_attention,
            )
            .tokens_per_s
        }
        TestKind::Decode => {
            decode_with_attention(
                &hw,
                &loaded,
                &memory,
                row.depth,
                row.tokens,
                row.flash_attention != Some(false),
            )
            .tokens_per_s
        }
    };
    speed.is_finite().then_some(speed)
}

/// Predicts every row with the catalogue's own profiles.
pub fn predict_all(catalog: &Catalog) -> Vec<RowPrediction> {
    let old = superseded(catalog);
    let measured = measured_cases(catalog, &not_superseded(&catalog.benchmarks, &old));
    catalog
        .benchmarks
        .iter()
        .enumerate()
        .filter_map(|(index, row)| {
            let profile = catalog.runtime(row.runtime)?;
            let predicted = predict(catalog, row, profile)?;
            let basis = row_basis(catalog, &measured, row);
            Some(row_prediction(
                catalog, index, row, predicted, old[index], basis,
            ))
        })
        .collect()
}

/// The case class of a row: its runtime, test kind, and whether its model is a MoE and its
/// weights unquantized.
fn row_class(catalog: &Catalog, row: &Benchmark) -> Option<CaseClass> {
    Some(CaseClass {
        runtime: row.runtime,
        kind: row.kind,
        moe: catalog.model(&row.model)?.moe.is_some(),
        float: catalog.quant(&row.quant)?.is_float(),
    })
}

/// The machines and case classes `rows` measure.
pub fn measured_cases(catalog: &Catalog, rows: &[&Benchmark]) -> MeasuredCases {
    let mut machines: Vec<(String, Runtime, TestKind)> = rows
        .iter()
        .map(|b| (b.machine.clone(), b.runtime, b.kind))
        .collect();
    machines.sort();
    machines.dedup();
    let mut classes: Vec<CaseClass> = Vec::new();
    for class in rows.iter().filter_map(|b| row_class(catalog, b)) {
        if !classes.contains(&class) {
            classes.push(class);
        }
    }
    MeasuredCases { machines, classes }
}

/// The machines and case classes the catalogue's current rows measure (`Catalog::measured`).
/// A row superseded by a newer run of its case measures what that run does, so only the
/// rows on a kernel no current build runs are left out: linear, where [`superseded`] is
/// quadratic, for every catalogue load.
pub fn catalogue_measured_cases(catalog: &Catalog) -> MeasuredCases {
    let rows: Vec<&Benchmark> = catalog
        .benchmarks
        .iter()
        .filter(|b| gone_kernel(catalog, b).is_none())
        .collect();
    measured_cases(catalog, &rows)
}

/// What a prediction of `row` rests on, when the fit saw the rows `measured` describes.
fn row_basis(catalog: &Catalog, measured: &MeasuredCases, row: &Benchmark) -> RangeBasis {
    match row_class(catalog, row) {
        Some(class) => measured.basis(&row.machine, class),
        None => RangeBasis::CaseUnmeasured,
    }
}

/// Whether two rows measured the same case: machine, runtime, model, quant, test, depth,
/// micro-batch and flash attention all alike.
fn same_case(a: &Benchmark, b: &Benchmark) -> bool {
    Case::of(a).matches(b)
        && a.ubatch == b.ubatch
        && a.flash_attention == b.flash_attention
        && !different_drivers(a, b)
}

/// Whether both rows name their driver and the names differ: a run on one driver is not a
/// newer run of a case measured on another (RADV and AMDVLK differ by up to 4x in prefill).
fn different_drivers(a: &Benchmark, b: &Benchmark) -> bool {
    matches!((&a.driver, &b.driver), (Some(x), Some(y)) if x != y)
}

/// Whether dated `a` is older than dated `b`. Dates are ISO (`2025-11` or `2025-11-02`) and
/// compare on the precision both give: a month is not older than a day within it.
fn older(a: &Benchmark, b: &Benchmark) -> bool {
    let (Some(a), Some(b)) = (a.date.as_deref(), b.date.as_deref()) else {
        return false;
    };
    date_before(a, b)
}

/// Whether ISO date `a` is before `b` on the precision both give.
fn date_before(a: &str, b: &str) -> bool {
    let n = a.len().min(b.len());
    a.get(..n) < b.get(..n)
}

/// For each row, whether the catalogue holds a newer measurement of its case or of another
/// case of its run.
///
/// When a case was published twice (the same machine, model, quant, test and settings on
/// two dates), the older row measured kernels that have since changed: the DGX Spark's
/// gpt-oss prefill ran 1.2-1.4x faster in February 2026 than in November 2025 after native
/// MXFP4 matmuls for Blackwell (llama.cpp PR #17906). The other rows of that older run
/// ([`same_run`]: one source's measurements of one build on one machine, runtime, model and
/// weights) measured the same outdated build, and go with it: the M2 Ultra's gpt-oss-20b
/// pp2048 ran 2,191 tok/s in August 2025 and 2,713 in February 2026, and the August run's
/// longer prompts ran on the August kernels too. Undated rows are never older.
pub fn older_runs(rows: &[Benchmark]) -> Vec<bool> {
    let outdated: Vec<&Benchmark> = rows.iter().filter(|a| has_newer_run(rows, a)).collect();
    rows.iter()
        .map(|a| outdated.iter().any(|b| same_run(a, b)))
        .collect()
}

/// Whether a row of `row`'s run ([`same_run`]) has a newer run of its case: what
/// [`older_runs`] finds for every row at once, for one row.
fn in_outdated_run(rows: &[Benchmark], row: &Benchmark) -> bool {
    rows.iter()
        .filter(|mate| same_run(row, mate))
        .any(|mate| has_newer_run(rows, mate))
}

/// Whether `rows` hold a newer measurement of `row`'s case.
fn has_newer_run(rows: &[Benchmark], row: &Benchmark) -> bool {
    rows.iter().any(|b| same_case(row, b) && older(row, b))
}

/// Whether two rows come from one run: one published page or log (the same `source`) of
/// one build (the same build, date, build options and driver) on the same machine, runtime,
/// model and weights. Tests, depths and settings such as flash attention may differ.
fn same_run(a: &Benchmark, b: &Benchmark) -> bool {
    a.machine == b.machine
        && a.runtime == b.runtime
        && a.model == b.model
        && a.quant == b.quant
        && a.source == b.source
        && a.build == b.build
        && a.date == b.date
        && a.build_flags == b.build_flags
        && a.driver == b.driver
}

/// The build option of `row` that llama.cpp has since removed, if any: its runtime's
/// profile lists it under `retired_build_flags`.
pub fn retired_flag<'c>(catalog: &'c Catalog, row: &Benchmark) -> Option<&'c RetiredBuildFlag> {
    let profile = catalog.runtime(row.runtime)?;
    profile
        .retired_build_flags
        .iter()
        .find(|retired| row.build_flags.contains(&retired.flag))
}

/// The discontinued driver `row` ran on, if any: its runtime's profile lists the row's
/// `driver` under `retired_drivers`.
pub fn retired_driver<'c>(catalog: &'c Catalog, row: &Benchmark) -> Option<&'c RetiredDriver> {
    let driver = row.driver.as_deref()?;
    let profile = catalog.runtime(row.runtime)?;
    profile.retired_drivers.iter().find(|r| r.driver == driver)
}

/// The kernel replacement that makes `row` describe a kernel no current build runs for its
/// case, if any: its runtime's profile lists one under `replaced_kernels` whose conditions
/// the row meets ([`super::types::CaseConditions`]), and the row is dated before the
/// change. An undated row is never judged.
pub fn replaced_kernel<'c>(catalog: &'c Catalog, row: &Benchmark) -> Option<&'c ReplacedKernel> {
    let profile = catalog.runtime(row.runtime)?;
    let date = row.date.as_deref()?;
    let run = CaseRun {
        machine: catalog.machine(&row.machine)?,
        kind: row.kind,
        model: catalog.model(&row.model)?,
        quant: catalog.quant(&row.quant)?,
        context: row.depth + row.tokens,
        flash_attention: row.flash_attention,
    };
    profile
        .replaced_kernels
        .iter()
        .find(|k| date_before(date, &k.before) && k.conditions().matches(&run))
}

/// Why `row` measured a kernel no current build runs for its case, if it did: its build
/// used an option llama.cpp has since removed ([`retired_flag`]), it ran on a driver its
/// vendor has discontinued ([`retired_driver`]), or it was measured before llama.cpp
/// replaced the kernel of its case ([`replaced_kernel`]).
fn gone_kernel(catalog: &Catalog, row: &Benchmark) -> Option<Superseded> {
    if retired_flag(catalog, row).is_some() {
        Some(Superseded::RetiredBuildFlag)
    } else if retired_driver(catalog, row).is_some() {
        Some(Superseded::RetiredDriver)
    } else if replaced_kernel(catalog, row).is_some() {
        Some(Superseded::ReplacedKernel)
    } else {
        None
    }
}

/// For each row, why it no longer describes llama.cpp as it is now, if it does not.
///
/// headroom predicts the runtime as it is now. A row is superseded when it measured a
/// kernel no current build runs for its case ([`gone_kernel`]), or when the catalogue holds
/// a newer run of the same case or of another case of its run ([`older_runs`]). It stays in
/// the catalogue, as published, and `headroom validate` lists it with its error, but it is
/// not fitted and not counted.
pub fn superseded(catalog: &Catalog) -> Vec<Option<Superseded>> {
    let rows = &catalog.benchmarks;
    older_runs(rows)
        .into_iter()
        .zip(rows)
        .map(|(older, row)| gone_kernel(catalog, row).or(older.then_some(Superseded::NewerRun)))
        .collect()
}

/// The rows that describe the runtime as it is now: all but the superseded ones.
pub fn current_rows(catalog: &Catalog) -> Vec<&Benchmark> {
    not_superseded(&catalog.benchmarks, &superseded(catalog))
}

/// The rows without a `superseded` reason.
fn not_superseded<'c>(rows: &'c [Benchmark], old: &[Option<Superseded>]) -> Vec<&'c Benchmark> {
    rows.iter()
        .zip(old)
        .filter(|(_, old)| old.is_none())
        .map(|(b, _)| b)
        .collect()
}

/// The position of the known miss `row` falls in among its runtime's `known_misses`.
pub fn row_known_miss(catalog: &Catalog, row: &Benchmark) -> Option<usize> {
    let profile = catalog.runtime(row.runtime)?;
    let machine = catalog.machine(&row.machine)?;
    let model = catalog.model(&row.model)?;
    let quant = catalog.quant(&row.quant)?;
    let context = row.depth + row.tokens;
    profile.known_misses.iter().position(|m| {
        let flash_attention = row.flash_attention != Some(false);
        m.applies(machine, row.kind, model, quant, (context, flash_attention))
    })
}

fn row_prediction(
    catalog: &Catalog,
    index: usize,
    row: &Benchmark,
    predicted: f64,
    superseded: Option<Superseded>,
    basis: RangeBasis,
) -> RowPrediction {
    RowPrediction {
        index,
        machine: row.machine.clone(),
        runtime: row.runtime,
        model: row.model.clone(),
        quant: row.quant.clone(),
        test: format!(
            "{}{}",
            if row.kind == TestKind::Prefill {
                "pp"
            } else {
                "tg"
            },
            row.tokens
        ),
        depth: row.depth,
        measured_tokens_per_s: row.tokens_per_s,
        predicted_tokens_per_s: predicted,
        ratio: predicted / row.tokens_per_s,
        superseded,
        basis,
        source: source_key(&row.source),
        known_miss: row_known_miss(catalog, row),
    }
}

/// The parameters the fit may move, with their physical bounds, and the start used when a
/// runtime's profile gives no prior (half of peak, no MoE penalty, no fixed time per layer,
/// KV read like weights).
const PARAMS: &[(&str, f64, f64, f64)] = &[
    ("bandwidth_efficiency", 0.2, 1.0, 0.5),
    ("compute_efficiency", 0.02, 3.0, 0.5),
    ("attention_efficiency", 0.005, 3.0, 0.5),
    ("moe_prefill_factor", 0.05, 1.5, 1.0),
    ("moe_layer_overhead_us", 0.0, 500.0, 0.0),
    ("layer_overhead_us", 0.0, 1000.0, 0.0),
    ("kv_read_efficiency", 0.2, 4.0, 1.0),
    ("batch1_bytes_per_unit_cycle", 1.0, 64.0, 8.0),
    ("unfused_attention_bytes_per_score", 1.0, 256.0, 16.0),
    ("float_compute_efficiency", 0.02, 3.0, 0.5),
    ("matmul_half_batch_tokens", 2.0, 512.0, 32.0),
];

/// Times (rather than shares) move in additive steps and are pulled toward the prior per
/// this many units away: 300 µs per layer, 100 µs per MoE layer.
fn additive_scale(i: usize) -> Option<f64> {
    match i {
        4 => Some(100.0),
        5 => Some(300.0),
        _ => None,
    }
}

const PARAM_COUNT: usize = 11;

/// Points of the coarse scan of each parameter's range that starts a fit.
const SCAN_POINTS: u32 = 24;

/// The prior's typical values in `PARAMS` order.
fn prior_centre(prior: &FitPrior) -> [f64; PARAM_COUNT] {
    [
        prior.bandwidth_efficiency,
        prior.compute_efficiency,
        prior.attention_efficiency,
        prior.moe_prefill_factor,
        prior.moe_layer_overhead_us,
        prior.layer_overhead_us,
        prior.kv_read_efficiency,
        prior.batch1_bytes_per_unit_cycle,
        prior.unfused_attention_bytes_per_score,
        prior.float_compute_efficiency,
        prior.matmul_half_batch_tokens,
    ]
}

/// The fitted parameters of a profile, by their names in `runtimes.ron`.
pub fn fitted_params(p: &RuntimeProfile) -> [(&'static str, f64); PARAM_COUNT] {
    std::array::from_fn(|i| (PARAMS[i].0, get(p, i)))
}

fn get(p: &RuntimeProfile, i: usize) -> f64 {
    match i {
        0 => p.bandwidth_efficiency.value,
        1 => p.compute_efficiency.value,
        2 => p.attention_efficiency.value,
        3 => p.moe_prefill_factor.value,
        4 => p.moe_layer_overhead_us.value,
        5 => p.layer_overhead_us.value,
        6 => p.kv_read_efficiency.value,
        7 => p.batch1_bytes_per_unit_cycle.value,
        8 => p.unfused_attention_bytes_per_score.value,
        9 => p.float_compute_efficiency.value,
        _ => p
            .matmul_half_batch_tokens
            .as_ref()
            .map_or(PARAMS[10].3, |s| s.value),
    }
}

fn set(p: &mut RuntimeProfile, i: usize, v: f64) {
    let slot = match i {
        0 => &mut p.bandwidth_efficiency,
        1 => &mut p.compute_efficiency,
        2 => &mut p.attention_efficiency,
        3 => &mut p.moe_prefill_factor,
        4 => &mut p.moe_layer_overhead_us,
        5 => &mut p.layer_overhead_us,
        6 => &mut p.kv_read_efficiency,
        7 => &mut p.batch1_bytes_per_unit_cycle,
        8 => &mut p.unfused_attention_bytes_per_score,
        9 => &mut p.float_compute_efficiency,
        _ => p.matmul_half_batch_tokens.get_or_insert_with(|| Sourced {
            value: v,
            source: "fitted".to_owned(),
        }),
    };
    slot.value = v;
}

/// Sum of |log(predicted / measured)| over the rows (a robust fit: one odd row cannot drag
/// a parameter far), plus the prior's pull toward the typical values: `weight` per
/// parameter per factor of two away (per [`additive_scale`] units for times). Both terms are
/// absolute values, so the pull is a constant force: it settles parameters the rows leave
/// free and gives way to any parameter the rows clearly move.
fn loss(
    catalog: &Catalog,
    rows: &[&Benchmark],
    weights: &[f64],
    profile: &RuntimeProfile,
    prior: Option<&FitPrior>,
) -> f64 {
    let data: f64 = rows
        .iter()
        .zip(weights)
        .map(|(row, w)| {
            w * match predict(catalog, row, profile) {
                Some(p) if p > 0.0 => (p / row.tokens_per_s).ln().abs(),
                _ => 5.0,
            }
        })
        .sum();
    let Some(prior) = prior else {
        return data;
    };
    let pull: f64 = prior_centre(prior)
        .iter()
        .enumerate()
        .map(|(i, &c)| {
            let v = get(profile, i);
            match additive_scale(i) {
                Some(scale) => (v - c).abs() / scale,
                None => (v / c).ln().abs() / std::f64::consts::LN_2,
            }
        })
        .sum();
    data + prior.weight * pull
}

/// How much a machine's row count adds to its say in a fit: each (machine, test kind)
/// group weighs its row count to this power. At 1 every row counts alike, and one machine
/// that published 41 rows of one build outvotes three cards with a handful each; at 0 every
/// machine counts alike, and one odd row of a machine that published few moves as much as
/// all rows of another. The square root sits between; leave-one-machine-out error chose it
/// among 0, 0.5 and 1 (`headroom validate`).
const ROWS_WEIGHT_EXPONENT: f64 = 0.5;

/// Each row's weight in the fit (see [`ROWS_WEIGHT_EXPONENT`]), scaled so the weights sum
/// to the number of rows and the prior's pull keeps its meaning.
fn row_weights(rows: &[&Benchmark]) -> Vec<f64> {
    let key = |b: &Benchmark| (b.machine.clone(), b.kind == TestKind::Decode);
    let mut counts: std::collections::HashMap<(String, bool), usize> =
        std::collections::HashMap::new();
    for row in rows {
        *counts.entry(key(row)).or_default() += 1;
    }
    let raw: Vec<f64> = rows
        .iter()
        .map(|row| (counts[&key(row)] as f64).powf(ROWS_WEIGHT_EXPONENT - 1.0))
        .collect();
    let total: f64 = raw.iter().sum();
    let scale = if total > 0.0 {
        rows.len() as f64 / total
    } else {
        1.0
    };
    raw.into_iter().map(|w| w * scale).collect()
}

/// Fits a runtime's profile to `rows` (all of that runtime). The search starts from the
/// profile's prior (its typical values) and is pulled toward it, so that a parameter few
/// rows inform stays near what is typical instead of wandering along a flat valley (decode
/// rows of one model size cannot tell bandwidth from per-layer overhead), and a parameter
/// no row informs stays at its typical value. Nothing from an earlier fit carries over.
pub fn fit(catalog: &Catalog, rows: &[&Benchmark], template: &RuntimeProfile) -> RuntimeProfile {
    let mut start = template.clone();
    for (i, &(_, _, _, neutral)) in PARAMS.iter().enumerate() {
        set(&mut start, i, neutral);
    }
    if let Some(prior) = &template.fit_prior {
        for (i, c) in prior_centre(prior).into_iter().enumerate() {
            set(&mut start, i, c);
        }
    }
    let informed = informed_params(catalog, rows);
    search(catalog, rows, start, informed, template.fit_prior.as_ref())
}

/// A coarse scan, then coordinate search, on the parameters in `free`, from `start`; the
/// others stay put.
fn search(
    catalog: &Catalog,
    rows: &[&Benchmark],
    start: RuntimeProfile,
    free: [bool; PARAM_COUNT],
    prior: Option<&FitPrior>,
) -> RuntimeProfile {
    let mut best = start;
    if rows.is_empty() {
        return best;
    }
    let weights = row_weights(rows);
    let mut best_loss = loss(catalog, rows, &weights, &best, prior);
    // Keeps parameter i at `candidate` if that lowers the loss.
    let mut try_value = |best: &mut RuntimeProfile, i: usize, candidate: f64| {
        let mut trial = best.clone();
        set(&mut trial, i, candidate);
        let l = loss(catalog, rows, &weights, &trial, prior);
        let better = l < best_loss - 1e-12;
        if better {
            *best = trial;
            best_loss = l;
        }
        better
    };
    // First a coarse scan of each parameter over its whole range: a roofline's max() leaves
    // flat stretches (a kernel that does not bind moves no prediction), and small steps
    // from a start on one of them never find the valley beyond it.
    for (i, &(_, lo, hi, _)) in PARAMS.iter().enumerate() {
        if !free[i] {
            continue;
        }
        for k in 0..=SCAN_POINTS {
            let t = f64::from(k) / f64::from(SCAN_POINTS);
            let candidate = match additive_scale(i) {
                Some(_) => lo + (hi - lo) * t,
                None => lo * (hi / lo).powf(t),
            };
            try_value(&mut best, i, candidate);
        }
    }
    let mut step: f64 = 0.5;
    while step > 0.002 {
        let mut improved = false;
        for (i, &(_, lo, hi, _)) in PARAMS.iter().enumerate() {
            if !free[i] {
                continue;
            }
            for direction in [1.0, -1.0] {
                let current = get(&best, i);
                // Multiplicative steps for shares, additive ones for times.
                let candidate = match additive_scale(i) {
                    Some(scale) => (current + direction * step * 0.4 * scale).clamp(lo, hi),
                    None => (current * (1.0 + direction * step)).clamp(lo, hi),
                };
                if candidate != current && try_value(&mut best, i, candidate) {
                    improved = true;
                }
            }
        }
        if !improved {
            step /= 2.0;
        }
    }
    best
}

/// The parameters `rows` of `runtime` cannot inform, which keep their prior values.
pub fn uninformed_params(
    catalog: &Catalog,
    rows: &[&Benchmark],
    runtime: Runtime,
) -> Vec<&'static str> {
    let own: Vec<&Benchmark> = rows
        .iter()
        .copied()
        .filter(|b| b.runtime == runtime && row_known_miss(catalog, b).is_none())
        .collect();
    if own.is_empty() {
        return Vec::new();
    }
    let informed = informed_params(catalog, &own);
    PARAMS
        .iter()
        .zip(informed)
        .filter(|(_, informed)| !informed)
        .map(|((name, ..), _)| *name)
        .collect()
}

/// Fits every runtime that has rows among `rows`, each on its own rows. A runtime without
/// any row takes its prior's typical values (nothing fitted on other rows leaks into a
/// held-out prediction); one without a prior (the CPU) keeps the catalogue's values. Rows
/// of a known miss are not fitted: the case is one the model cannot follow, and fitting the
/// runtime's shared efficiencies to it would move every other machine's predictions (they
/// are still predicted and counted, and set the case's own band).
pub fn fit_runtimes(catalog: &Catalog, rows: &[&Benchmark]) -> Vec<RuntimeProfile> {
    catalog
        .runtimes
        .iter()
        .map(|profile| {
            let own: Vec<&Benchmark> = rows
                .iter()
                .copied()
                .filter(|b| b.runtime == profile.runtime && row_known_miss(catalog, b).is_none())
                .collect();
            let mut fitted = if own.is_empty() && profile.fit_prior.is_none() {
                profile.clone()
            } else {
                fit(catalog, &own, profile)
            };
            fit_miss_corrections(catalog, rows, &mut fitted);
            fitted
        })
        .collect()
}

/// Sets each known miss's `correction` on `profile` (already fitted on the other rows): the
/// median of measured over predicted among the rows of `rows` in that case, `None` where
/// none is.
fn fit_miss_corrections(catalog: &Catalog, rows: &[&Benchmark], profile: &mut RuntimeProfile) {
    for miss in &mut profile.known_misses {
        miss.correction = None;
    }
    if profile.known_misses.is_empty() {
        return;
    }
    let uncorrected = profile.clone();
    // Each row's case is found once, then its ratio goes to that case.
    let mut ratios: Vec<Vec<f64>> = vec![Vec::new(); profile.known_misses.len()];
    for row in rows.iter().filter(|b| b.runtime == uncorrected.runtime) {
        let Some(i) = row_known_miss(catalog, row) else {
            continue;
        };
        let Some(predicted) = predict(catalog, row, &uncorrected) else {
            continue;
        };
        let ratio = row.tokens_per_s / predicted;
        if ratio.is_finite() && ratio > 0.0 {
            ratios[i].push(ratio);
        }
    }
    for (miss, mut ratios) in profile.known_misses.iter_mut().zip(ratios) {
        if !ratios.is_empty() {
            miss.correction = Some(median(&mut ratios));
        }
    }
}

/// Which parameters the rows can inform: MoE factors need MoE rows, attention and KV reads
/// need rows at depth, and so on. The others keep their assumed values.
fn informed_params(catalog: &Catalog, rows: &[&Benchmark]) -> [bool; PARAM_COUNT] {
    let moe = |r: &&&Benchmark| catalog.model(&r.model).is_some_and(|m| m.moe.is_some());
    let decode = |r: &&&Benchmark| r.kind == TestKind::Decode;
    let dense_decode = rows.iter().filter(|r| decode(r) && !moe(r)).count();
    let dense_prefill = rows.iter().filter(|r| !decode(r) && !moe(r)).count();
    let moe_decode = rows.iter().filter(|r| decode(r) && moe(r)).count();
    let moe_prefill = rows.iter().filter(|r| !decode(r) && moe(r)).count();
    let deep_decode = rows.iter().filter(|r| decode(r) && r.depth >= 4096).count();
    let deep_prefill = rows
        .iter()
        .filter(|r| !decode(r) && r.depth >= 4096)
        .count();
    // Decode rows of machines whose compute units the runtime's profile counts.
    let counted_units = |r: &&&Benchmark| {
        catalog
            .machine(&r.machine)
            .zip(catalog.runtime(r.runtime))
            .is_some_and(|(m, p)| p.unit_clocks_per_s(m).is_some())
    };
    let unit_decode = rows
        .iter()
        .filter(|r| decode(r) && counted_units(r))
        .count();
    let long_unfused_prefill = rows
        .iter()
        .filter(|r| !decode(r) && r.flash_attention == Some(false) && r.depth + r.tokens >= 4096)
        .count();
    let float = |r: &&&Benchmark| catalog.quant(&r.quant).is_some_and(|q| q.is_float());
    let float_prefill = rows.iter().filter(|r| !decode(r) && float(r)).count();
    // Tokens each expert multiplies at once in MoE prefill rows: the per-expert batch curve
    // needs at least two different ones, or it cannot be told from the MoE prefill factor.
    let mut per_expert: Vec<f64> = rows
        .iter()
        .filter(|r| !decode(r))
        .filter_map(|r| {
            Some(
                catalog
                    .model(&r.model)?
                    .moe?
                    .tokens_per_expert(r.tokens, r.ubatch),
            )
        })
        .collect();
    per_expert.sort_by(f64::total_cmp);
    per_expert.dedup();
    [
        dense_decode + moe_decode >= 2,
        dense_prefill + moe_prefill >= 2,
        deep_prefill >= 2,
        moe_prefill >= 2 && dense_prefill >= 2,
        moe_decode >= 2 && dense_decode >= 2,
        dense_decode + moe_decode >= 4,
        deep_decode >= 2,
        unit_decode >= 2,
        long_unfused_prefill >= 2,
        float_prefill >= 2,
        moe_prefill >= 3 && per_expert.len() >= 2,
    ]
}

/// Which group a figure describes.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Summary {
    pub group: String,
    pub rows: usize,
    pub median_ratio: f64,
    /// Median of |predicted - measured| / measured.
    pub median_abs_pct_error: f64,
    pub share_within_25pct: f64,
    pub share_within_30pct: f64,
}

fn median(values: &mut [f64]) -> f64 {
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

/// Summary figures of a set of predictions.
pub fn summarize(group: &str, predictions: &[&RowPrediction]) -> Summary {
    let mut ratios: Vec<f64> = predictions.iter().map(|p| p.ratio).collect();
    let mut errors: Vec<f64> = predictions.iter().map(|p| (p.ratio - 1.0).abs()).collect();
    let n = predictions.len().max(1) as f64;
    Summary {
        group: group.to_owned(),
        rows: predictions.len(),
        median_ratio: median(&mut ratios),
        median_abs_pct_error: median(&mut errors) * 100.0,
        share_within_25pct: errors.iter().filter(|e| **e <= 0.25).count() as f64 / n,
        share_within_30pct: errors.iter().filter(|e| **e <= 0.30).count() as f64 / n,
    }
}

/// The summary group of the [`superseded`] rows: shown, not counted in any other group.
pub const SUPERSEDED_GROUP: &str = "superseded (not counted)";

/// Summaries overall, per runtime, per test kind and at depth, of the current rows; then,
/// apart, of the superseded ones.
pub fn summaries(predictions: &[RowPrediction]) -> Vec<Summary> {
    let all: Vec<&RowPrediction> = predictions
        .iter()
        .filter(|p| p.superseded.is_none())
        .collect();
    let mut out = vec![summarize("all", &all)];
    let is_decode = |p: &&RowPrediction| p.test.starts_with("tg");
    type Keep = Box<dyn Fn(&&RowPrediction) -> bool>;
    let groups: Vec<(String, Keep)> = vec![
        ("decode".into(), Box::new(is_decode)),
        (
            "prefill".into(),
            Box::new(move |p: &&RowPrediction| !is_decode(p)),
        ),
        (
            "decode, depth > 0".into(),
            Box::new(move |p: &&RowPrediction| is_decode(p) && p.depth > 0),
        ),
        (
            "prefill, depth > 0".into(),
            Box::new(move |p: &&RowPrediction| !is_decode(p) && p.depth > 0),
        ),
    ];
    for (name, keep) in groups {
        let rows: Vec<&RowPrediction> = all.iter().copied().filter(|p| keep(p)).collect();
        out.push(summarize(&name, &rows));
    }
    for runtime in Runtime::ALL {
        for (kind, decode) in [("decode", true), ("prefill", false)] {
            let rows: Vec<&RowPrediction> = all
                .iter()
                .copied()
                .filter(|p| p.runtime == *runtime && is_decode(p) == decode)
                .collect();
            if !rows.is_empty() {
                out.push(summarize(&format!("{runtime} {kind}"), &rows));
            }
        }
    }
    let old: Vec<&RowPrediction> = predictions
        .iter()
        .filter(|p| p.superseded.is_some())
        .collect();
    if !old.is_empty() {
        out.push(summarize(SUPERSEDED_GROUP, &old));
    }
    out
}

/// Fits every runtime on all rows: the values to store in `catalog/runtimes.ron`.
pub fn fit_all(catalog: &Catalog) -> Vec<RuntimeProfile> {
    fit_runtimes(catalog, &current_rows(catalog))
}

/// Leave one machine out: for each machine, fit every runtime without its rows (the same
/// procedure as [`fit_all`], from the same neutral start), then predict its rows. The
/// error a user sees for a machine with no measurements.
pub fn leave_one_machine_out(catalog: &Catalog) -> Vec<RowPrediction> {
    held_out(catalog, |b| b.machine.clone())
}

/// Leave one source out: every row of one source (a page, a thread, or a repository's
/// files, [`source_key`]) held out together, predicted from a fit on the rest. Rows of one
/// page share a build, flags, settings and a method; holding them out together measures
/// the error on a publication the fit never saw. The likely ranges come from these
/// residuals ([`error_bands`]).
pub fn leave_one_source_out(catalog: &Catalog) -> Vec<RowPrediction> {
    held_out(catalog, |b| source_key(&b.source))
}

/// Where a row was published, as the unit [`leave_one_source_out`] holds out: a GitHub
/// thread (discussion, issue, pull request) by its address; any file of a GitHub repository
/// (`/blob/`, `/tree/`, `/raw/`, raw.githubusercontent.com), at any revision, as the
/// repository: one author's measurement files share a method, and a file moved or rerun
/// stays the same source; any other address as it is, without its fragment.
pub fn source_key(url: &str) -> String {
    let url = url
        .split(['#', '?'])
        .next()
        .unwrap_or(url)
        .trim_end_matches('/');
    let repo_file = |rest: &str, kinds: &[&str]| -> Option<String> {
        let parts: Vec<&str> = rest.split('/').collect();
        match parts.as_slice() {
            [owner, name, kind, ..] if kinds.contains(kind) => {
                Some(format!("https://github.com/{owner}/{name}"))
            }
            _ => None,
        }
    };
    if let Some(rest) = url.strip_prefix("https://github.com/") {
        if let Some(repo) = repo_file(rest, &["blob", "tree", "raw", "commit"]) {
            return repo;
        }
        let parts: Vec<&str> = rest.split('/').collect();
        if let [owner, name, kind, number, ..] = parts.as_slice() {
            if matches!(*kind, "discussions" | "issues" | "pull") {
                return format!("https://github.com/{owner}/{name}/{kind}/{number}");
            }
        }
    }
    if let Some(rest) = url.strip_prefix("https://raw.githubusercontent.com/") {
        let parts: Vec<&str> = rest.split('/').collect();
        if let [owner, name, ..] = parts.as_slice() {
            return format!("https://github.com/{owner}/{name}");
        }
    }
    url.to_owned()
}

/// Holds out every group of rows in turn (rows alike under `group`), fits every runtime
/// on the current rows of the other groups, and predicts the held-out rows, superseded
/// ones included (they are listed apart). Each prediction carries what its fit saw of its
/// machine and case ([`RangeBasis`]).
fn held_out(catalog: &Catalog, group: impl Fn(&Benchmark) -> String) -> Vec<RowPrediction> {
    let old = superseded(catalog);
    let current = not_superseded(&catalog.benchmarks, &old);
    let keys: Vec<String> = catalog.benchmarks.iter().map(&group).collect();
    let mut groups = keys.clone();
    groups.sort();
    groups.dedup();
    let mut out = Vec::new();
    for key in groups {
        let training: Vec<&Benchmark> = current
            .iter()
            .copied()
            .filter(|b| group(b) != key)
            .collect();
        out.extend(predict_held_out(
            catalog,
            &training,
            catalog
                .benchmarks
                .iter()
                .enumerate()
                .filter(|(i, _)| keys[*i] == key),
            &old,
        ));
    }
    out.sort_by_key(|p| p.index);
    out
}

/// Fits every runtime on `training` and predicts the `held` rows (by index) with it.
fn predict_held_out<'c>(
    catalog: &Catalog,
    training: &[&Benchmark],
    held: impl Iterator<Item = (usize, &'c Benchmark)>,
    old: &[Option<Superseded>],
) -> Vec<RowPrediction> {
    let fitted = fit_runtimes(catalog, training);
    let measured = measured_cases(catalog, training);
    held.filter_map(|(index, row)| {
        let profile = fitted.iter().find(|p| p.runtime == row.runtime)?;
        let p = predict(catalog, row, profile)?;
        let basis = row_basis(catalog, &measured, row);
        Some(row_prediction(catalog, index, row, p, old[index], basis))
    })
    .collect()
}

/// The time split's cut: rows measured before this month are fitted, later ones predicted.
/// July 2025 splits the catalogue's dated history about where llama.cpp's current CUDA and
/// ROCm matmul paths arrived (MFMA MMQ on CDNA3, PR #14624).
pub const TIME_SPLIT: &str = "2025-07";

/// Threads of ggml-org/llama.cpp numbered from this one were opened in July 2025 or later
/// (PR #14624 was opened on 2025-07-10), so an undated row from one was measured no earlier
/// than [`TIME_SPLIT`].
const FIRST_THREAD_AFTER_SPLIT: u64 = 14624;

/// When a row was measured, as far as the time split can tell: its date, or for an undated
/// row from a ggml-org/llama.cpp thread opened after [`TIME_SPLIT`], that month (a lower
/// bound, enough to place it after the cut). Otherwise nothing: the split cannot place it.
pub fn split_date(row: &Benchmark) -> Option<String> {
    if let Some(date) = &row.date {
        return Some(date.clone());
    }
    let key = source_key(&row.source);
    let number = ["discussions", "issues", "pull"].iter().find_map(|kind| {
        key.strip_prefix(&format!("https://github.com/ggml-org/llama.cpp/{kind}/"))?
            .parse::<u64>()
            .ok()
    })?;
    (number >= FIRST_THREAD_AFTER_SPLIT).then(|| TIME_SPLIT.to_owned())
}

/// The time split: every runtime fitted on the current rows measured before [`TIME_SPLIT`]
/// ([`split_date`]), then the rows measured since predicted. Undated rows the split cannot
/// place are in neither set; `undated` counts them.
pub struct TimeSplit {
    /// Predictions of the rows measured since the cut (superseded ones included, marked).
    pub predictions: Vec<RowPrediction>,
    /// Current rows fitted (measured before the cut).
    pub training_rows: usize,
    /// Rows the split cannot place (no date, no dated source): neither fitted nor predicted.
    pub undated_rows: usize,
}

/// Fits on the rows measured before [`TIME_SPLIT`] and predicts the later ones.
pub fn time_split(catalog: &Catalog) -> TimeSplit {
    let old = superseded(catalog);
    let dates: Vec<Option<String>> = catalog.benchmarks.iter().map(split_date).collect();
    let before = |i: usize| {
        dates[i]
            .as_deref()
            .is_some_and(|d| date_before(d, TIME_SPLIT))
    };
    let training: Vec<&Benchmark> = catalog
        .benchmarks
        .iter()
        .enumerate()
        .filter(|(i, _)| old[*i].is_none() && before(*i))
        .map(|(_, b)| b)
        .collect();
    let held = catalog
        .benchmarks
        .iter()
        .enumerate()
        .filter(|(i, _)| dates[*i].is_some() && !before(*i));
    let mut predictions = predict_held_out(catalog, &training, held, &old);
    predictions.sort_by_key(|p| p.index);
    TimeSplit {
        predictions,
        training_rows: training.len(),
        undated_rows: dates.iter().filter(|d| d.is_none()).count(),
    }
}

/// A llama-bench case: what was run, where.
#[derive(Clone, Copy, Debug)]
pub struct Case<'a> {
    pub machine: &'a str,
    pub runtime: Runtime,
    pub model: &'a str,
    pub quant: &'a str,
    pub kind: TestKind,
    pub tokens: u64,
    pub depth: u64,
}

impl<'a> Case<'a> {
    /// The case a row measured.
    pub fn of(b: &'a Benchmark) -> Self {
        Case {
            machine: &b.machine,
            runtime: b.runtime,
            model: &b.model,
            quant: &b.quant,
            kind: b.kind,
            tokens: b.tokens,
            depth: b.depth,
        }
    }

    /// Whether `b` measured this case.
    pub fn matches(&self, b: &Benchmark) -> bool {
        b.machine == self.machine
            && b.runtime == self.runtime
            && b.model == self.model
            && b.quant == self.quant
            && b.kind == self.kind
            && b.tokens == self.tokens
            && b.depth == self.depth
    }
}

/// The measurement for exactly this case, when the catalogue has one; of several, the
/// newest (see [`older_runs`]). A row built with a retired option, or measured before the
/// kernel of its case was replaced, measured a kernel no current build runs, and a row of a
/// run a newer run has outdated measured an outdated build: neither is this case's
/// measurement.
pub fn measured<'c>(catalog: &'c Catalog, case: Case<'_>) -> Option<&'c Benchmark> {
    let rows = &catalog.benchmarks;
    let mut found = rows.iter().filter(|b| {
        case.matches(b) && gone_kernel(catalog, b).is_none() && !in_outdated_run(rows, b)
    });
    let first = found.next()?;
    Some(found.fold(first, |newest, b| if older(newest, b) { b } else { newest }))
}

/// Fewest held-out rows a band is read from; below it, the band pools every runtime's rows
/// of the same test kind and basis (the tail quantiles of fewer rows are the
/// extremes of a handful).
const MIN_BAND_ROWS: usize = 8;

/// The likely range of a prediction: the [`BAND_TAIL`] quantiles of measured over
/// predicted among held-out `predictions` (leave-one-source-out when the catalogue's bands
/// are written) of the current rows of `runtime` and `kind`, on rows whose machine and case
/// the fit saw measured (`widened` false) or not (`widened` true). With fewer than
/// [`MIN_BAND_ROWS`] such rows, the rows of every runtime of that kind. A widened band is
/// never narrower than the measured one: no measurement cannot make a prediction surer.
pub fn error_bands(
    predictions: &[RowPrediction],
    runtime: Runtime,
    kind: TestKind,
    widened: bool,
) -> Option<ErrorBand> {
    let band = |widened: bool| {
        let pick = |same_runtime: bool| {
            percentile_band(predictions.iter().filter(|p| {
                p.superseded.is_none()
                    && p.known_miss.is_none()
                    && (!same_runtime || p.runtime == runtime)
                    && is_kind(p, kind)
                    && p.basis.widened() == widened
            }))
        };
        pick(true).or_else(|| pick(false))
    };
    let measured = band(false);
    if !widened {
        return measured;
    }
    let wide = band(true)?;
    Some(match measured {
        Some(m) => ErrorBand {
            low: wide.low.min(m.low),
            high: wide.high.max(m.high),
            rows: wide.rows,
        },
        None => wide,
    })
}

/// The measured spread of a known miss (the `miss`-th of `runtime`'s `known_misses`):
/// measured over predicted among the held-out current rows of that case. Where two or more
/// sources measured the case, every held-out row was predicted with a `correction` learnt
/// from the others, and the spread is theirs: from the lowest to the highest while there
/// are fewer than [`MIN_BAND_ROWS`], the [`BAND_TAIL`] quantiles beyond. Where one source
/// did, no held-out row could learn a correction: the spread within that source about its
/// median (the correction the shipped profile applies), joined with the runtime's widened
/// band, since how far another page would land is unknown. `None` without any row.
pub fn known_miss_band(
    predictions: &[RowPrediction],
    runtime: Runtime,
    miss: usize,
) -> Option<ErrorBand> {
    let rows: Vec<&RowPrediction> = predictions
        .iter()
        .filter(|p| {
            p.superseded.is_none()
                && p.runtime == runtime
                && p.known_miss == Some(miss)
                && p.ratio > 0.0
        })
        .collect();
    let mut ratios: Vec<f64> = rows.iter().map(|p| 1.0 / p.ratio).collect();
    let low = ratios.iter().copied().reduce(f64::min)?;
    let high = ratios.iter().copied().reduce(f64::max)?;
    let sources: std::collections::HashSet<&str> = rows.iter().map(|p| p.source.as_str()).collect();
    if sources.len() >= 2 {
        return Some(quantile_band(rows.iter().copied()).unwrap_or(ErrorBand {
            low,
            high,
            rows: rows.len(),
        }));
    }
    let centre = median(&mut ratios);
    let own = ErrorBand {
        low: low / centre,
        high: high / centre,
        rows: rows.len(),
    };
    let kind = if rows.iter().any(|p| is_kind(p, TestKind::Prefill)) {
        TestKind::Prefill
    } else {
        TestKind::Decode
    };
    Some(match error_bands(predictions, runtime, kind, true) {
        Some(wide) => wide.joined(own),
        None => own,
    })
}

fn is_kind(p: &RowPrediction, kind: TestKind) -> bool {
    p.test.starts_with(if kind == TestKind::Prefill {
        "pp"
    } else {
        "tg"
    })
}

/// The share of held-out measurements a band leaves out on each side (quantiles weighted
/// so that each source counts once, `percentile_band`). 10% each side would hold 80% of the
/// residuals it is read from, but fewer of a source it never saw. On the 669 rows of
/// December 2026, read without the row's source, bands hold 75% of the leave-one-source-out
/// rows at 5% and 83% at 2.5% (`headroom validate`, "bands without the row's source"); 2.5%
/// was chosen as the one closest to 80% of a new source's measurements inside. (On the 314
/// rows before, the same nested coverage had chosen 5% among 10%, 7.5% and 5%.) Once each
/// attention score's softmax was counted (860 rows, 610 current), 2.5% held 76% (463 of
/// 610) and 1.25% 80% (485 of 610): 1.25%, by the same rule. Once GB10's FP32-accumulate
/// rate was corrected (890 rows, 638 current), 1.25% held 83% (528 of 638) and 2.5% 79%
/// (502 of 638): 2.5% again; with the 34 rows added after it, 2.5% held 81% (542 of 672).
/// With the 88 rows of eight more sources (1,012 rows, 745 current), 2.5% held 83% (617 of
/// 745) and 5% 78% (579 of 745): 5%, by the same rule.
const BAND_TAIL: f64 = 0.05;

/// The [`BAND_TAIL`] and 1 - [`BAND_TAIL`] quantiles of measured over predicted, if there
/// are enough rows.
fn percentile_band<'a>(rows: impl Iterator<Item = &'a RowPrediction>) -> Option<ErrorBand> {
    let band = quantile_band(rows)?;
    Some(ErrorBand {
        low: band.low.min(1.0),
        high: band.high.max(1.0),
        rows: band.rows,
    })
}

/// [`percentile_band`] without holding 1 inside: the spread of a case that is off to one
/// side stays off to that side.
fn quantile_band<'a>(rows: impl Iterator<Item = &'a RowPrediction>) -> Option<ErrorBand> {
    let rows: Vec<&RowPrediction> = rows.filter(|p| p.ratio > 0.0).collect();
    if rows.len() < MIN_BAND_ROWS {
        return None;
    }
    // Each source weighs the same however many rows it published: a page never seen is one
    // more source, and one repository's hundred rows of one build, flags and method must
    // not set the tails alone.
    let mut per_source: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for p in &rows {
        *per_source.entry(p.source.as_str()).or_default() += 1;
    }
    let mut weighted: Vec<(f64, f64)> = rows
        .iter()
        .map(|p| {
            let n = per_source
                .get(p.source.as_str())
                .copied()
                .unwrap_or(1)
                .max(1);
            (1.0 / p.ratio, 1.0 / n as f64)
        })
        .collect();
    weighted.sort_by(|a, b| a.0.total_cmp(&b.0));
    let total: f64 = weighted.iter().map(|(_, w)| w).sum();
    let at = |q: f64| {
        let mut cumulative = 0.0;
        for &(value, w) in &weighted {
            cumulative += w;
            if cumulative >= q * total {
                return value;
            }
        }
        weighted.last().map_or(1.0, |&(value, _)| value)
    };
    Some(ErrorBand {
        low: at(BAND_TAIL),
        high: at(1.0 - BAND_TAIL),
        rows: rows.len(),
    })
}

/// How often the likely range held the measurement.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Coverage {
    pub group: String,
    pub rows: usize,
    pub inside: usize,
    pub share: f64,
}

/// The share of the current rows among `predictions` whose measurement falls inside the
/// likely range `band` gives each prediction (decode ranges are not capped at the
/// bandwidth bound here: a measurement above it would be a bad row, not a good range).
pub fn coverage(
    group: &str,
    predictions: &[RowPrediction],
    keep: impl Fn(&RowPrediction) -> bool,
    mut band: impl FnMut(&RowPrediction) -> Option<ErrorBand>,
) -> Coverage {
    let (mut rows, mut inside) = (0, 0);
    for p in predictions
        .iter()
        .filter(|p| p.superseded.is_none() && keep(p))
    {
        let Some(b) = band(p) else { continue };
        rows += 1;
        let measured_over_predicted = 1.0 / p.ratio;
        if (b.low..=b.high).contains(&measured_over_predicted) {
            inside += 1;
        }
    }
    Coverage {
        group: group.to_owned(),
        rows,
        inside,
        share: inside as f64 / rows.max(1) as f64,
    }
}

/// The band the catalogue gives a prediction of this row's runtime, kind and basis.
pub fn catalogue_band(catalog: &Catalog, p: &RowPrediction) -> Option<ErrorBand> {
    let kind = if is_kind(p, TestKind::Prefill) {
        TestKind::Prefill
    } else {
        TestKind::Decode
    };
    let profile = catalog.runtime(p.runtime)?;
    let miss = p.known_miss.and_then(|i| profile.known_misses.get(i));
    Some(profile.band_with_miss(kind, p.basis, miss))
}

/// Coverage of bands that never saw the row: for each leave-one-source-out prediction, the
/// band [`error_bands`] reads from the other sources' leave-one-source-out residuals. The
/// shipped bands were read from every source's residuals, so their coverage of those same
/// residuals is about 80% by construction; this is the coverage to expect on a new source.
pub fn nested_band_coverage(
    group: &str,
    catalog: &Catalog,
    loso: &[RowPrediction],
    keep: impl Fn(&RowPrediction) -> bool,
) -> Coverage {
    let sources: Vec<String> = catalog
        .benchmarks
        .iter()
        .map(|b| source_key(&b.source))
        .collect();
    type Key = (String, Runtime, bool, bool, Option<usize>);
    let mut cache: std::collections::HashMap<Key, Option<ErrorBand>> =
        std::collections::HashMap::new();
    coverage(group, loso, keep, |p| {
        let source = sources.get(p.index)?.clone();
        let prefill = is_kind(p, TestKind::Prefill);
        let widened = p.basis.widened();
        *cache
            .entry((source.clone(), p.runtime, prefill, widened, p.known_miss))
            .or_insert_with(|| {
                let rest: Vec<RowPrediction> = loso
                    .iter()
                    .filter(|q| sources.get(q.index) != Some(&source))
                    .cloned()
                    .collect();
                let kind = if prefill {
                    TestKind::Prefill
                } else {
                    TestKind::Decode
                };
                let band = error_bands(&rest, p.runtime, kind, widened)?;
                let Some(miss) = p.known_miss else {
                    return Some(band);
                };
                // A known miss: its spread among the other sources' rows of the case, joined
                // with the widened band (the widened band alone where no other source
                // measured the case), as `RuntimeProfile::band_with_miss` joins them.
                let wide = error_bands(&rest, p.runtime, kind, true).unwrap_or(band);
                Some(band.joined(known_miss_band(&rest, p.runtime, miss).unwrap_or(wide)))
            })
    })
}

/// Corrections from benchmark rows that came from the user's files (imported llama-bench
/// runs): per machine, runtime and test kind, the median of measured over predicted.
pub fn user_corrections(catalog: &Catalog) -> Vec<super::types::Correction> {
    use super::types::Origin;
    let mut groups: Vec<((String, Runtime, TestKind), Vec<f64>)> = Vec::new();
    for row in catalog
        .benchmarks
        .iter()
        .filter(|b| matches!(b.origin, Origin::User(_)))
    {
        let Some(profile) = catalog.runtime(row.runtime) else {
            continue;
        };
        let Some(predicted) = predict(catalog, row, profile) else {
            continue;
        };
        if predicted <= 0.0 {
            continue;
        }
        let key = (row.machine.clone(), row.runtime, row.kind);
        let ratio = row.tokens_per_s / predicted;
        match groups.iter_mut().find(|(k, _)| *k == key) {
            Some((_, ratios)) => ratios.push(ratio),
            None => groups.push((key, vec![ratio])),
        }
    }
    groups
        .into_iter()
        .map(
            |((machine, runtime, kind), mut ratios)| super::types::Correction {
                machine,
                runtime,
                kind,
                factor: median(&mut ratios),
                rows: ratios.len(),
            },
        )
        .collect()
}
