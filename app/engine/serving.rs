//! Serving beyond one cold request: several users decoding at once (one batched step reads
//! the weights once for every slot), and how long requests queue at the mix's request rate.

use serde::Serialize;

use super::memory::{LoadedModel, MemoryPlan};
use super::speed::{decode, decode_step, Decode, Hardware};

/// How many times the weight bytes of one token a step of `batch` tokens reads: each token
/// reads the always-read tensors and `k` of `E` routed experts, and a batch touches
/// `1 - (1 - k/E)^batch` of the experts (routing taken as independent between tokens).
/// 1 for a dense model, whose every token reads every weight.
pub fn batch_weight_read_factor(model: &LoadedModel<'_>, batch: u32) -> f64 {
    let Some(moe) = model.model.moe else {
        return 1.0;
    };
    let (always, routed_bytes) = model.active_weights_split();
    let routed = (f64::from(moe.experts_per_token) / f64::from(moe.experts.max(1))).min(1.0);
    if routed_bytes <= 0.0 || routed <= 0.0 {
        return 1.0;
    }
    let touched = 1.0 - (1.0 - routed).powi(batch.max(1).min(1 << 20) as i32);
    let read = always + routed_bytes * touched / routed;
    (read / (always + routed_bytes).max(f64::MIN_POSITIVE)).max(1.0)
}

/// Seconds for one decode step of `batch` sequences, each with `depth` tokens cached.
///
/// The single-sequence step ([`decode_step`]) is taken apart into its kernels: at depth 0
/// it is the weight matmuls alone, and the difference at `depth` is attention over the
/// cache. A batched step reads the weights once for every sequence (a mixture of experts
/// reads the union of the experts its tokens route to) and multiplies `batch` times the
/// FLOPs; each sequence reads its own cache. The fixed per-step overhead is paid once.
/// At `batch = 1` this is exactly [`decode_step`]'s total.
pub fn batched_step_secs(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    batch: u32,
) -> f64 {
    let weights_only = decode_step(hw, model, plan, 0.0);
    let at_depth = decode_step(hw, model, plan, depth);
    if batch <= 1 {
        return at_depth.total_secs;
    }
    let n = f64::from(batch);
    let touched = batch_weight_read_factor(model, batch);
    let weights_memory = weights_only.memory_secs * touched;
    let weights_compute = weights_only.compute_secs * n;
    let attention_memory = (at_depth.memory_secs - weights_only.memory_secs).max(0.0) * n;
    let attention_compute = (at_depth.compute_secs - weights_only.compute_secs).max(0.0) * n;
    let weights_offload = weights_only.offload_secs * touched;
    let cache_offload = (at_depth.offload_secs - weights_only.offload_secs).max(0.0) * n;
    weights_memory.max(weights_compute)
        + attention_memory.max(attention_compute)
        + weights_offload
        + cache_offload
        + weights_only.overhead_secs
}

/// Decoding `tokens` tokens from `depth` while `batch` sequences decode together, each
/// sequence's speed: Simpson's rule over the step time, as [`decode`] does for one.
pub fn decode_batched(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
    batch: u32,
) -> Decode {
    let single = decode(hw, model, plan, depth, tokens);
    if batch <= 1 {
        return single;
    }
    let n = tokens.max(1) as f64;
    let d0 = depth as f64;
    let step = |d: f64| batched_step_secs(hw, model, plan, d, batch);
    let per_token = (step(d0) + 4.0 * step(d0 + n / 2.0) + step(d0 + n)) / 6.0;
    let secs = per_token * n;
    Decode {
        secs,
        tokens_per_s: n / secs.max(f64::MIN_POSITIVE),
        limit: single.limit,
    }
}

/// Decode speed with `users` sequences at once: each one's and all together.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct ParallelDecode {
    pub users: u32,
    pub per_user_tokens_per_s: f64,
    pub aggregate_tokens_per_s: f64,
}

/// Per-user and aggregate decode speed for `users` sequences at `depth`.
pub fn parallel_decode(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    users: u32,
) -> ParallelDecode {
    let users = users.max(1);
    let step = batched_step_secs(hw, model, plan, depth, users).max(f64::MIN_POSITIVE);
    ParallelDecode {
        users,
        per_user_tokens_per_s: 1.0 / step,
        aggregate_tokens_per_s: f64::from(users) / step,
    }
}

/// How requests queue for the machine's slots.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct QueueEstimate {
    /// Requests per hour in the active hours.
    pub arrivals_per_hour: f64,
    /// Users or agents served at once.
    pub slots: u32,
    /// Share of the slots' time busy; at 1 or more, requests arrive faster than the machine
    /// serves them and the queue grows without bound.
    pub utilization: f64,
    /// Chance that a request waits for a free slot.
    pub wait_probability: f64,
    /// The wait for a free slot that 95% of requests stay under, seconds; infinite when
    /// overloaded.
    pub p95_queue_secs: f64,
}

impl QueueEstimate {
    /// Requests arrive faster than they are served.
    pub fn overloaded(&self) -> bool {
        self.utilization >= 1.0
    }
}

/// The M/M/c queue (Poisson arrivals, exponential service, `slots` servers) at
/// `arrivals_per_hour` with a mean service time of `service_secs`: Erlang C for the chance
/// of waiting, and the 95th percentile of the wait from its exponential tail,
/// `P(W > t) = C e^{-(c mu - lambda) t}`. An estimate: agent turns arrive less randomly than
/// Poisson and their lengths vary less than exponentially, so real queues are usually shorter.
pub fn queue_estimate(arrivals_per_hour: f64, service_secs: f64, slots: u32) -> QueueEstimate {
    let c = slots.max(1);
    let lambda = (arrivals_per_hour / 3600.0).max(0.0);
    let service = service_secs.max(0.0);
    let offered = lambda * service;
    let utilization = offered / f64::from(c);
    let mut estimate = QueueEstimate {
        arrivals_per_hour: arrivals_per_hour.max(0.0),
        slots: c,
        utilization,
        wait_probability: 0.0,
        p95_queue_secs: 0.0,
    };
    if !utilization.is_finite() || utilization >= 1.0 {
        estimate.wait_probability = 1.0;
        estimate.p95_queue_secs = f64::INFINITY;
        return estimate;
    }
    if offered <= 0.0 {
        return estimate;
    }
    // Erlang C through the Erlang B recursion, which stays stable for many servers.
    let mut erlang_b = 1.0;
    for k in 1..=c {
        let k = f64::from(k);
        erlang_b = offered * erlang_b / (k + offered * erlang_b);
    }
    let erlang_c = erlang_b / (1.0 - utilization * (1.0 - erlang_b));
    estimate.wait_probability = erlang_c.clamp(0.0, 1.0);
    let drain_per_s = f64::from(c) / service - lambda;
    if estimate.wait_probability > 0.05 {
        estimate.p95_queue_secs = (estimate.wait_probability / 0.05).ln() / drain_per_s;
    }
    estimate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_server_queue_matches_the_textbook_m_m_1() {
        // M/M/1: P(wait) = rho and P(W > t) = rho e^{-(mu - lambda) t}.
        let (per_hour, service) = (30.0, 60.0); // rho = 0.5
        let q = queue_estimate(per_hour, service, 1);
        assert!((q.utilization - 0.5).abs() < 1e-12);
        assert!((q.wait_probability - 0.5).abs() < 1e-12);
        let t = q.p95_queue_secs;
        let tail = 0.5 * (-(1.0 / 60.0 - 30.0 / 3600.0) * t).exp();
        assert!((tail - 0.05).abs() < 1e-9, "{tail}");
    }

    #[test]
    fn erlang_c_matches_a_published_table_value() {
        // Two servers at 1 Erlang offered: C(2, 1) = 1/3 (Erlang C tables).
        let q = queue_estimate(60.0, 60.0, 2);
        assert!((q.wait_probability - 1.0 / 3.0).abs() < 1e-9, "{q:?}");
    }

    #[test]
    fn overload_has_no_finite_wait() {
        let q = queue_estimate(120.0, 60.0, 1);
        assert!(q.overloaded());
        assert!(q.p95_queue_secs.is_infinite());
    }

    #[test]
    fn more_slots_never_queue_longer() {
        let mut last = f64::INFINITY;
        for slots in 1..8 {
            let q = queue_estimate(100.0, 60.0, slots);
            assert!(q.p95_queue_secs <= last, "{slots}: {q:?}");
            last = q.p95_queue_secs;
        }
    }
}
