//! Why an option ranks where it does, as data: every reason carries its numbers, and each
//! front end words it (`crate::present::reason_words`). The engine emits no English here.

use serde::Serialize;

use super::claims::ClaimCheck;
use super::mix::KnownMissNote;
use super::speed::Limit;
use super::types::RangeBasis;

/// One reason behind a ranked option, with the numbers it rests on.
#[derive(Clone, Debug, Serialize, PartialEq)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Reason {
    /// The mix's peak memory fits in the usable memory, with this much to spare.
    Memory {
        needed_bytes: f64,
        usable_bytes: f64,
        headroom_bytes: f64,
        /// It fits only after the machine's GPU memory limit is raised.
        after_setting: bool,
    },
    /// The accelerator holds only some of the layers; the rest run from system RAM.
    PartialOffload {
        needed_bytes: f64,
        usable_bytes: f64,
        layers_offloaded: u32,
        layers_total: u32,
    },
    /// A task's model and context do not fit.
    DoesNotFit {
        task: String,
        needed_bytes: f64,
        usable_bytes: f64,
    },
    /// A task's client waits longer than the user accepts.
    TooSlow {
        task: String,
        /// The wait the client sees: the first token when it streams, else the whole answer.
        wait_secs: f64,
        max_wait_secs: f64,
        prefill_secs: f64,
        prompt_tokens: u64,
        streaming: bool,
    },
    /// A task names a model, quant or KV type the catalogue lacks (`what` is its kind and
    /// id, as the mix reports it).
    UnknownEntry { task: String, what: String },
    /// How fast a local task decodes and what limits it, with its prefill.
    Decode {
        task: String,
        /// What limits decode.
        limit: Limit,
        tokens_per_s: f64,
        /// The likely range from the runtime's validation residuals (low, high).
        range_tokens_per_s: Option<(f64, f64)>,
        /// The bandwidth ceiling, when the model is known.
        bound: Option<BandwidthBound>,
        prefill_tokens_per_s: f64,
        first_token_secs: f64,
    },
    /// A local task decodes slower than the mix's target.
    BelowTarget {
        task: String,
        tokens_per_s: f64,
        target_tokens_per_s: f64,
    },
    /// A task is sent to a cloud offer.
    Cloud {
        task: String,
        offer: String,
        usd_per_request: f64,
    },
    /// A published claim for a model of the mix exceeds the bandwidth bound.
    ClaimBreaksPhysics { claim: ClaimCheck },
    /// Several devices split the layers: their memory adds up, their decode speed does not.
    SplitDevices { devices: u32 },
    /// A mixture of experts larger than the GPU: the routed experts of some layers live in
    /// system RAM (llama.cpp's `--n-cpu-moe`), everything else on the GPU.
    ExpertOffload {
        needed_bytes: f64,
        usable_bytes: f64,
        layers_on_cpu: u32,
        layers_total: u32,
    },
    /// A task that runs as a session: its cold first turn, its warm turns, the whole session.
    Session {
        task: String,
        turns: u32,
        first_turn_secs: f64,
        /// The first warm turn (the second).
        warm_turn_secs: f64,
        /// The last turn, on the deepest context.
        last_turn_secs: f64,
        session_secs: f64,
        cache_survives: bool,
    },
    /// Several users or agents at once: each one's decode and all together, and how long a
    /// request may wait for a free slot.
    Parallel {
        users: u32,
        /// The task the speeds are of (the first served locally).
        task: String,
        per_user_tokens_per_s: f64,
        aggregate_tokens_per_s: f64,
        /// The chance a request waits for a free slot, and the wait 95% stay under.
        wait_probability: f64,
        p95_queue_secs: f64,
    },
    /// The day's requests need more of the machine than the hours they arrive in.
    Overloaded {
        hours_needed: f64,
        active_hours: f64,
        slots: u32,
    },
    /// A catalogued draft model would change a task's decode speed (speculative decoding).
    Draft {
        task: String,
        draft: String,
        speedup: f64,
        tokens_per_s: f64,
        /// The verdict counts on it: without it the task misses the decode target.
        in_use: bool,
    },
    /// A task's likely ranges are wider than its runtime's usual ones: no published row
    /// measured this machine or this case, or the case is one headroom is known to miss.
    Uncertain {
        task: String,
        basis: RangeBasis,
        known_miss: Option<KnownMissNote>,
    },
}

/// Decode's physical ceiling: spec bandwidth over the bytes read per token.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct BandwidthBound {
    pub bandwidth_gb_per_s: f64,
    pub read_gb_per_token: f64,
    pub bound_tokens_per_s: f64,
}
