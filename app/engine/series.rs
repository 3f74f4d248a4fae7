//! Chart series: the plain, serializable data the window's charts draw, computed from a
//! ranking. Price against performance, memory stacks, prefill time against prompt length,
//! decode speed against context depth, and decode speed against users at once.
//!
//! Pure, like the rest of the engine: the UI draws these numbers and never computes physics.

use serde::Serialize;

use super::memory::{plan_for_slots, LoadedModel, MemoryPlan, UBATCH_TOKENS};
use super::rank::{RankEntry, Ranking};
use super::serving::{batched_step_secs, parallel_decode};
use super::speed::{prefill, Hardware};
use super::types::{Catalog, Machine, Runtime, Task, TestKind, Workload, GIB};

/// Points per curve: enough for a smooth line, few enough to recompute while dragging.
pub const CURVE_POINTS: usize = 32;

/// The shortest prompt on the prefill chart.
pub const MIN_PROMPT_TOKENS: u64 = 1_000;

/// The longest prompt on the prefill chart, unless the model's context is shorter.
pub const MAX_PROMPT_TOKENS: u64 = 1_000_000;

/// One machine option on the price/performance chart.
///
/// The y value is the wait a buyer feels: minutes per request of the option's slowest task,
/// the largest figure in the "request" column of its card (served locally or by the cloud;
/// a task that fails still shows how long it takes here). Lower is better, and an option that
/// fails a task is drawn at that task's time, never as faster.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct PricePoint {
    /// Index into [`Ranking::entries`].
    pub entry: usize,
    /// "Mac Studio M3 Ultra 256 GB".
    pub label: String,
    pub price_usd: f64,
    /// Minutes per request of the slowest task.
    pub slowest_request_mins: f64,
    /// The task those minutes belong to.
    pub slowest_task: String,
    /// No option at this price or less is faster: the point sits on the frontier.
    pub best_for_price: bool,
    pub is_current: bool,
    pub meets_targets: bool,
}

/// One machine option's peak memory, stacked against what the accelerator may use.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MemoryStack {
    /// Index into [`Ranking::entries`].
    pub entry: usize,
    pub label: String,
    pub weights_gib: f64,
    pub kv_cache_gib: f64,
    pub overhead_gib: f64,
    pub usable_gib: f64,
    /// `usable - total`; negative when the mix does not fit on the accelerator.
    pub headroom_gib: f64,
    /// Runs at all (on the accelerator or with layers offloaded to system RAM).
    pub fits: bool,
    pub is_current: bool,
}

/// A line of one machine option: `(x, y)` points in the chart's units.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Curve {
    /// Index into [`Ranking::entries`].
    pub entry: usize,
    pub label: String,
    pub is_current: bool,
    pub points: Vec<[f64; 2]>,
}

/// A task's timeout, drawn as a horizontal line on the prefill chart.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct TimeoutLine {
    pub task: String,
    pub timeout_secs: f64,
}

/// Prefill seconds (y) against prompt tokens (x), per machine option.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct PrefillChart {
    /// The task whose model the curves use: the one with the longest prompt.
    pub task: String,
    pub model: String,
    pub curves: Vec<Curve>,
    pub timeouts: Vec<TimeoutLine>,
    /// Machine options left out because the model does not fit them.
    pub left_out: Vec<String>,
}

/// Decode tokens per second (y) against context depth in tokens (x), per machine option.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct DecodeChart {
    pub task: String,
    pub model: String,
    pub curves: Vec<Curve>,
    /// The mix's decode target, when it has one.
    pub target_tokens_per_s: Option<f64>,
    pub left_out: Vec<String>,
}

/// Decode speed (y) against users at once (x): each user's and all together, per machine
/// option, as far as one conversation's memory per user fits.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct UsersChart {
    pub task: String,
    pub model: String,
    /// The context depth the speeds are at: the task's prompt.
    pub depth_tokens: u64,
    /// Tokens per second of one user.
    pub per_user: Vec<Curve>,
    /// Tokens per second of all users together.
    pub aggregate: Vec<Curve>,
    /// The workload's users at once, marked on the chart.
    pub users_now: u32,
}

/// Every chart of the window, from one ranking.
#[derive(Clone, Debug, Default, Serialize, PartialEq)]
pub struct ChartSeries {
    pub price: Vec<PricePoint>,
    /// Options left off the price chart: some task does not run on them at all.
    pub price_left_out: Vec<String>,
    /// The best time for the money as a staircase `(price, minutes)`, sorted by price.
    pub frontier: Vec<[f64; 2]>,
    pub memory: Vec<MemoryStack>,
    pub prefill: PrefillChart,
    pub decode: DecodeChart,
    pub users: UsersChart,
}

/// Machine options on the users chart: the first of the ranking (more lines would not read).
pub const USERS_CHART_OPTIONS: usize = 6;

/// Users at once on the users chart's x axis.
pub const USERS_AXIS: [u32; 9] = [1, 2, 4, 8, 12, 16, 24, 32, 64];

/// The users chart's tick marks: powers of two, so narrow plots keep their labels apart.
pub const USERS_TICKS: [u32; 7] = [1, 2, 4, 8, 16, 32, 64];

/// The label charts and cards use for an entry: name and total memory.
pub fn entry_label(entry: &RankEntry) -> String {
    format!(
        "{} {:.0} GB{}",
        entry.machine_name,
        entry.total_memory_gb,
        if entry.is_current { " (yours)" } else { "" }
    )
}

/// `n` whole numbers spaced evenly on a log scale from `min` to `max` (both included).
pub fn log_spaced(min: u64, max: u64, n: usize) -> Vec<u64> {
    let (lo, hi) = (min.max(1) as f64, max.max(min.max(1)) as f64);
    if n < 2 {
        return vec![lo as u64];
    }
    let step = (hi / lo).ln() / (n - 1) as f64;
    let mut out: Vec<u64> = (0..n)
        .map(|i| (lo * (step * i as f64).exp()).round() as u64)
        .collect();
    out.dedup();
    out
}

/// Every chart series for a ranking of `workload`.
pub fn chart_series(catalog: &Catalog, workload: &Workload, ranking: &Ranking) -> ChartSeries {
    let (price, price_left_out) = price_points(ranking);
    let memory = ranking
        .entries
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let peak = e.mix.peak_memory.as_ref()?;
            Some(MemoryStack {
                entry: i,
                label: entry_label(e),
                weights_gib: peak.weights_bytes / GIB,
                kv_cache_gib: peak.kv_cache_bytes / GIB,
                overhead_gib: peak.overhead_bytes / GIB,
                usable_gib: peak.usable_bytes / GIB,
                headroom_gib: peak.headroom_bytes / GIB,
                fits: peak.fits(),
                is_current: e.is_current,
            })
        })
        .collect();
    ChartSeries {
        frontier: frontier(&price),
        price,
        price_left_out,
        memory,
        prefill: prefill_chart(catalog, workload, ranking),
        decode: decode_chart(catalog, workload, ranking),
        users: users_chart(catalog, workload, ranking),
    }
}

/// The slowest task of an entry and its seconds per request: where a task is served, the time
/// it is served in (locally or by the cloud); where it fails, the time it takes here. `None`
/// when some task does not run here at all (it does not fit and the cloud does not take it).
fn slowest_task(entry: &RankEntry) -> Option<(String, f64)> {
    let mut slowest: Option<(String, f64)> = None;
    for task in &entry.mix.tasks {
        let secs = task
            .secs
            .or_else(|| task.local.as_ref().map(|l| l.total_secs))?;
        if slowest.as_ref().is_none_or(|(_, s)| secs > *s) {
            slowest = Some((task.name.clone(), secs));
        }
    }
    slowest
}

/// One point per entry whose every task runs, with the frontier flag; the rest left out.
fn price_points(ranking: &Ranking) -> (Vec<PricePoint>, Vec<String>) {
    let mut points = Vec::new();
    let mut left_out = Vec::new();
    for (i, e) in ranking.entries.iter().enumerate() {
        let Some((task, secs)) = slowest_task(e) else {
            left_out.push(entry_label(e));
            continue;
        };
        points.push(PricePoint {
            entry: i,
            label: entry_label(e),
            price_usd: e.price_usd,
            slowest_request_mins: secs / 60.0,
            slowest_task: task,
            best_for_price: false,
            is_current: e.is_current,
            meets_targets: e.mix.meets_targets,
        });
    }
    let snapshot: Vec<(f64, f64)> = points
        .iter()
        .map(|p| (p.price_usd, p.slowest_request_mins))
        .collect();
    for (i, p) in points.iter_mut().enumerate() {
        // Dominated: another option costs no more and is no slower, and is better in one.
        let dominated = snapshot.iter().enumerate().any(|(j, &(price, mins))| {
            j != i
                && price <= p.price_usd
                && mins <= p.slowest_request_mins
                && (price < p.price_usd || mins < p.slowest_request_mins)
        });
        p.best_for_price = !dominated;
    }
    (points, left_out)
}

/// The frontier points joined as a staircase: each step holds its time until the next price.
fn frontier(points: &[PricePoint]) -> Vec<[f64; 2]> {
    let mut best: Vec<[f64; 2]> = points
        .iter()
        .filter(|p| p.best_for_price)
        .map(|p| [p.price_usd, p.slowest_request_mins])
        .collect();
    best.sort_by(|a, b| a[0].total_cmp(&b[0]).then(b[1].total_cmp(&a[1])));
    best.dedup_by(|a, b| a == b);
    let mut out = Vec::with_capacity(best.len() * 2);
    for (i, p) in best.iter().enumerate() {
        if i > 0 {
            out.push([p[0], best[i - 1][1]]);
        }
        out.push(*p);
    }
    out
}

/// The task whose prompt is longest: the one that meets a timeout first.
fn longest_prompt_task(workload: &Workload) -> Option<(usize, &Task)> {
    workload
        .tasks
        .iter()
        .enumerate()
        .max_by_key(|(_, t)| t.prompt_tokens)
}

/// What a curve needs: the machine, its runtime profiles, the loaded model and its memory plan.
struct CurveInputs<'c> {
    hw: Hardware<'c>,
    model: LoadedModel<'c>,
    /// The user's own runs on this machine (measured over predicted), as the cards use them.
    prefill_factor: f64,
    decode_factor: f64,
}

fn curve_inputs<'c>(
    catalog: &'c Catalog,
    entry: &RankEntry,
    task: &Task,
) -> Option<CurveInputs<'c>> {
    let machine: &Machine = catalog.machine(&entry.machine_id)?;
    let profile = catalog.runtime(entry.runtime)?;
    let model = LoadedModel {
        model: catalog.model(&task.model)?,
        quant: catalog.quant(&task.quant)?,
        kv: catalog.kv_type(&task.kv_type)?,
    };
    Some(CurveInputs {
        hw: Hardware {
            machine,
            profile,
            cpu_profile: catalog.runtime(Runtime::Cpu),
        },
        model,
        prefill_factor: user_factor(catalog, entry, TestKind::Prefill),
        decode_factor: user_factor(catalog, entry, TestKind::Decode),
    })
}

/// The correction from the user's imported runs, as [`super::mix::correct_from_user_runs`]
/// applies it to the cards, so a chart and a card never disagree.
fn user_factor(catalog: &Catalog, entry: &RankEntry, kind: TestKind) -> f64 {
    catalog
        .correction(&entry.machine_id, entry.runtime, kind)
        .map_or(1.0, |c| c.factor.max(1e-6))
}

/// One curve per ranked entry whose task `index` fits, each point from `point(inputs, plan,
/// x)` at every `x`; the entries that do not fit are listed as left out.
fn curves_for(
    catalog: &Catalog,
    ranking: &Ranking,
    index: usize,
    task: &Task,
    xs: &[u64],
    point: impl Fn(&CurveInputs<'_>, &MemoryPlan, u64) -> [f64; 2],
) -> (Vec<Curve>, Vec<String>) {
    let mut curves = Vec::new();
    let mut left_out = Vec::new();
    for (i, entry) in ranking.entries.iter().enumerate() {
        let plan = entry
            .mix
            .tasks
            .get(index)
            .and_then(|t| t.memory.as_ref())
            .filter(|p| p.fits());
        let (Some(plan), Some(inputs)) = (plan, curve_inputs(catalog, entry, task)) else {
            left_out.push(entry_label(entry));
            continue;
        };
        curves.push(Curve {
            entry: i,
            label: entry_label(entry),
            is_current: entry.is_current,
            points: xs.iter().map(|&x| point(&inputs, plan, x)).collect(),
        });
    }
    (curves, left_out)
}

fn prefill_chart(catalog: &Catalog, workload: &Workload, ranking: &Ranking) -> PrefillChart {
    let Some((index, task)) = longest_prompt_task(workload) else {
        return PrefillChart::default();
    };
    let model_name = catalog
        .model(&task.model)
        .map_or_else(|| task.model.clone(), |m| m.name.clone());
    let context = catalog
        .model(&task.model)
        .map_or(MAX_PROMPT_TOKENS, |m| m.context_native);
    let lengths = log_spaced(
        MIN_PROMPT_TOKENS,
        context.min(MAX_PROMPT_TOKENS),
        CURVE_POINTS,
    );
    let (curves, left_out) = curves_for(catalog, ranking, index, task, &lengths, |c, plan, n| {
        [
            n as f64,
            prefill(&c.hw, &c.model, plan, task.cached_tokens, n, UBATCH_TOKENS).secs
                / c.prefill_factor,
        ]
    });
    let mut timeouts: Vec<TimeoutLine> = workload
        .tasks
        .iter()
        .map(|t| TimeoutLine {
            task: t.name.clone(),
            timeout_secs: t.timeout_secs,
        })
        .collect();
    timeouts.dedup_by(|a, b| (a.timeout_secs - b.timeout_secs).abs() < 1e-9);
    PrefillChart {
        task: task.name.clone(),
        model: model_name,
        curves,
        timeouts,
        left_out,
    }
}

fn decode_chart(catalog: &Catalog, workload: &Workload, ranking: &Ranking) -> DecodeChart {
    let Some((index, task)) = longest_prompt_task(workload) else {
        return DecodeChart::default();
    };
    let model_name = catalog
        .model(&task.model)
        .map_or_else(|| task.model.clone(), |m| m.name.clone());
    // Depth runs up to the context the runtime allocates, where the cache is fullest.
    let max_depth = task.allocated_context_tokens().max(1);
    let depths: Vec<u64> = (0..CURVE_POINTS)
        .map(|i| max_depth * i as u64 / (CURVE_POINTS as u64 - 1))
        .collect();
    // Each user's speed when the workload's users decode together, as the cards have it.
    let users = workload.slots();
    let (curves, left_out) = curves_for(catalog, ranking, index, task, &depths, |c, plan, d| {
        let step = batched_step_secs(&c.hw, &c.model, plan, d as f64, users);
        [d as f64, c.decode_factor / step.max(f64::MIN_POSITIVE)]
    });
    DecodeChart {
        task: task.name.clone(),
        model: model_name,
        curves,
        target_tokens_per_s: workload.min_decode_tokens_per_s,
        left_out,
    }
}

fn users_chart(catalog: &Catalog, workload: &Workload, ranking: &Ranking) -> UsersChart {
    let Some((index, task)) = longest_prompt_task(workload) else {
        return UsersChart::default();
    };
    let model_name = catalog
        .model(&task.model)
        .map_or_else(|| task.model.clone(), |m| m.name.clone());
    let depth = task.cached_tokens + task.prompt_tokens;
    let mut chart = UsersChart {
        task: task.name.clone(),
        model: model_name,
        depth_tokens: depth,
        users_now: workload.slots(),
        ..UsersChart::default()
    };
    for (i, entry) in ranking.entries.iter().enumerate().take(USERS_CHART_OPTIONS) {
        let fits = entry
            .mix
            .tasks
            .get(index)
            .and_then(|t| t.memory.as_ref())
            .is_some_and(|p| p.fits());
        let Some(c) = curve_inputs(catalog, entry, task).filter(|_| fits) else {
            continue;
        };
        let Some(machine) = catalog.machine(&entry.machine_id) else {
            continue;
        };
        let context = task.allocated_context_tokens();
        let (mut per_user, mut aggregate) = (Vec::new(), Vec::new());
        for users in USERS_AXIS {
            let plan = plan_for_slots(
                machine,
                entry.per_device_gb,
                c.hw.profile,
                &[(c.model, context)],
                users,
            );
            if !plan.fits() {
                break;
            }
            let speed = parallel_decode(&c.hw, &c.model, &plan, depth as f64, users);
            per_user.push([
                f64::from(users),
                speed.per_user_tokens_per_s * c.decode_factor,
            ]);
            aggregate.push([
                f64::from(users),
                speed.aggregate_tokens_per_s * c.decode_factor,
            ]);
        }
        let label = entry_label(entry);
        chart.per_user.push(Curve {
            entry: i,
            label: label.clone(),
            is_current: entry.is_current,
            points: per_user,
        });
        chart.aggregate.push(Curve {
            entry: i,
            label,
            is_current: entry.is_current,
            points: aggregate,
        });
    }
    chart
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check_log_spaced(min: u64, max: u64, n: usize, expected: &[u64]) {
        assert_eq!(log_spaced(min, max, n), expected);
    }

    #[test]
    fn log_spaced_covers_both_ends() {
        // 1000 * 10^(i/3) for i = 0..=3.
        check_log_spaced(1_000, 1_000_000, 4, &[1_000, 10_000, 100_000, 1_000_000]);
        check_log_spaced(5, 5, 3, &[5]);
        check_log_spaced(7, 100, 1, &[7]);
    }

    #[test]
    fn frontier_is_a_staircase_sorted_by_price() {
        let point = |price_usd: f64, slowest_request_mins: f64, best_for_price: bool| PricePoint {
            entry: 0,
            label: String::new(),
            price_usd,
            slowest_request_mins,
            slowest_task: String::new(),
            best_for_price,
            is_current: false,
            meets_targets: true,
        };
        let points = [
            point(4000.0, 5.0, true),
            point(0.0, 17.0, true),
            point(5000.0, 20.0, false),
        ];
        // $0 at 17 min holds until $4,000, where the time drops to 5 min.
        assert_eq!(
            frontier(&points),
            vec![[0.0, 17.0], [4000.0, 17.0], [4000.0, 5.0]]
        );
    }
}
