//! Speed: decode from bandwidth, prefill from compute, each checked against the other
//! (a roofline), with the runtime's fitted efficiencies.

use serde::Serialize;

use super::memory::{LoadedModel, MemoryPlan};
use super::types::{Machine, MatmulPath, Runtime, RuntimeProfile, TestKind};

/// What limits a phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Limit {
    /// Streaming weights and cache from memory.
    Bandwidth,
    /// Matrix throughput.
    Compute,
    /// Attention over a long context.
    Attention,
    /// Layers that live in system RAM.
    Offload,
    /// Fixed time per token: each layer's kernel launches and minimum kernel times, MoE
    /// routing, the link between devices.
    Overhead,
}

/// The hardware a model runs on, with the efficiencies of its runtime.
#[derive(Clone, Copy, Debug)]
pub struct Hardware<'a> {
    pub machine: &'a Machine,
    pub profile: &'a RuntimeProfile,
    /// Efficiencies of the CPU runtime, for offloaded layers.
    pub cpu_profile: Option<&'a RuntimeProfile>,
}

impl Hardware<'_> {
    /// Whether the model runs on the CPU: then system RAM and the CPU's cores are the
    /// hardware (`Machine::cpu_side`), never the accelerator's memory or matrix units.
    pub fn on_cpu(&self) -> bool {
        self.profile.runtime == Runtime::Cpu
    }

    /// Spec bandwidth of the memory the runtime reads, GB/s.
    fn spec_bandwidth_gb_per_s(&self) -> f64 {
        if self.on_cpu() {
            self.machine.cpu_side(0.0).bandwidth_gb_per_s
        } else {
            self.machine.bandwidth_gb_per_s.value
        }
    }

    /// Effective bandwidth of the device the runtime runs on for weights, bytes/s.
    pub fn effective_bandwidth_bytes_per_s(&self) -> f64 {
        (self.spec_bandwidth_gb_per_s() * 1e9 * self.profile.bandwidth_efficiency.value).max(1.0)
    }

    /// Effective bandwidth of a batch-1 decode, bytes/s: the streaming efficiency of the
    /// runtime, but never faster than the machine's compute units can issue loads (compute
    /// units x clock x the runtime's fitted bytes per unit per clock). On an HBM GPU the
    /// second binds: an A100 or H100 streams a decoded token's weights at about half its
    /// spec bandwidth, while a GeForce card's fewer bytes per second of memory bind first.
    pub fn batch1_bandwidth_bytes_per_s(&self) -> f64 {
        let streaming = self.effective_bandwidth_bytes_per_s();
        if self.on_cpu() {
            return streaming;
        }
        match self.profile.unit_clocks_per_s(self.machine) {
            Some(unit_clocks) => {
                let issue = unit_clocks * self.profile.batch1_bytes_per_unit_cycle.value;
                streaming.min(issue.max(1.0))
            }
            None => streaming,
        }
    }

    /// The measured share of this model's physics a phase of `kind` reaching `context`
    /// tokens runs at, when the catalogue lists it as a known miss (else 1).
    fn miss_correction(
        &self,
        model: &LoadedModel<'_>,
        kind: TestKind,
        context: u64,
        flash_attention: bool,
    ) -> f64 {
        self.profile.miss_correction(
            self.machine,
            kind,
            model.model,
            model.quant,
            (context.max(1), flash_attention),
        )
    }

    /// [`Self::miss_correction`] for decoding with flash attention on (as headroom predicts)
    /// to `context` tokens: every decode path (one sequence, several at once, a draft's
    /// verification) runs a known miss at the same measured share of its physics.
    pub fn decode_correction(&self, model: &LoadedModel<'_>, context: u64) -> f64 {
        self.miss_correction(model, TestKind::Decode, context, true)
    }

    /// Fixed seconds per decoded token: each layer's kernel launches and the minimum time
    /// each kernel takes however little it reads, the per-layer routing of a mixture of
    /// experts (router, top-k, gather and scatter kernels that a dense layer does not run),
    /// and the link between devices. Both layer terms grow with the model's depth: a
    /// 48-layer model pays half again what a 32-layer one does.
    fn overhead_secs_per_token(&self, model: &LoadedModel<'_>) -> f64 {
        let layers = f64::from(model.model.layers);
        let routing = if model.model.moe.is_some() {
            self.profile.moe_layer_overhead_us.value
        } else {
            0.0
        };
        (self.profile.layer_overhead_us.value + routing) * 1e-6 * layers
            + self.link_secs_per_token(model)
    }

    /// Effective dense throughput for the weight matmuls of `model`, FLOP/s: the peak of the
    /// matrix units its weights' type runs on in this runtime (INT8 for quantized weights
    /// in CUDA's MMQ kernels, FP16 otherwise), times the share of that peak a measured GEMM
    /// reaches on this machine, times the runtime's fitted efficiency.
    pub fn effective_flops_per_s(&self, model: &LoadedModel<'_>, moe: bool) -> f64 {
        let factor = if moe {
            self.profile.moe_prefill_factor.value
        } else {
            1.0
        };
        if self.on_cpu() {
            return (self.machine.cpu_side(0.0).tflops
                * 1e12
                * self.profile.compute_efficiency.value
                * factor)
                .max(1.0);
        }
        // Float weights run another library's kernels (cuBLAS on CUDA), which reach their
        // own share of their own peak.
        let path = self.profile.weights_matmul(self.machine, model.quant);
        let peak = path.peak(self.machine).value * 1e12 * self.machine.matmul_share();
        let rate = if model.quant.is_float() {
            peak * self.profile.float_compute_efficiency.value
        } else {
            // The quantized kernels use no more INT8 MMA per unit clock than a GeForce SM
            // has, however much more a datacenter SM's tensor cores could do.
            let usable = match (
                path,
                self.profile.unit_clocks_per_s(self.machine),
                &self.profile.quantized_unit_ops_per_clock,
            ) {
                (MatmulPath::Int8, Some(unit_clocks), Some(per_unit)) => {
                    peak.min(unit_clocks * per_unit.value)
                }
                _ => peak,
            };
            usable * self.profile.compute_efficiency.value
        };
        (rate * factor * self.width_efficiency(model)).max(1.0)
    }

    /// The share of its matmuls' efficiency a model of this width keeps:
    /// `w / (w + half)`, with `half` the profile's [`RuntimeProfile::matmul_half_width`]
    /// (1 without one). A narrow model's matrices give each tile a short reduction to
    /// amortise its fixed work over.
    pub fn width_efficiency(&self, model: &LoadedModel<'_>) -> f64 {
        let Some(half) = &self.profile.matmul_half_width else {
            return 1.0;
        };
        let width = f64::from(model.model.hidden_size.max(1));
        width / (width + half.value.max(0.0))
    }

    /// The share of the matmuls' efficiency left at this micro-batch: a dense layer
    /// multiplies the micro-batch's tokens (`min(tokens, ubatch)` rows), each expert of a MoE
    /// layer only the tokens routed to it (`ubatch * k / E`), and a matmul of few rows
    /// leaves the matrix units idle: `t / (t + half)`, with `half` the profile's
    /// [`RuntimeProfile::matmul_half_batch_tokens`]. 1 for a profile without the figure.
    pub fn batch_efficiency(&self, model: &LoadedModel<'_>, tokens: u64, ubatch: u64) -> f64 {
        let Some(half) = &self.profile.matmul_half_batch_tokens else {
            return 1.0;
        };
        let rows = match model.model.moe {
            Some(moe) => moe.tokens_per_expert(tokens, ubatch),
            None => tokens.clamp(1, ubatch.max(1)) as f64,
        };
        rows / (rows + half.value.max(0.0))
    }

    /// Effective throughput for attention, FLOP/s: the peak of the matrix units its two
    /// products run on in this runtime, times the runtime's fitted attention efficiency,
    /// times the share left after each score's softmax ([`Self::softmax_efficiency`]).
    pub fn effective_attention_flops_per_s(&self, model: &LoadedModel<'_>) -> f64 {
        let peak = if self.on_cpu() {
            self.machine.cpu_side(0.0).tflops
        } else {
            self.profile.attention_peak_tflops(self.machine)
        };
        (peak * 1e12 * self.profile.attention_efficiency.value * self.softmax_efficiency(model))
            .max(1.0)
    }

    /// The share of attention's matrix rate left after the softmax: each score (one query
    /// against one key) costs `4 d` FLOPs of matrix work for heads of size `d`, plus a
    /// softmax that costs the same whatever `d`, worth `s` head sizes of matrix work
    /// ([`RuntimeProfile::attention_softmax_head_dims`]): `d / (d + s)`. 1 without the
    /// figure, and on the CPU, where both run on the same vector units.
    ///
    /// The figure is for a GeForce SM; an architecture the profile lists in
    /// [`RuntimeProfile::compute_units`] with more matrix FLOPs per unit per clock but the
    /// same 16 exponentials per clock (an A100 SM does four times a GeForce SM's FP16 matrix
    /// work with FP32 accumulation, an H100 SM eight times, a GB10 SM twice) pays for its
    /// softmax in proportion.
    pub fn softmax_efficiency(&self, model: &LoadedModel<'_>) -> f64 {
        let Some(softmax) = &self.profile.attention_softmax_head_dims else {
            return 1.0;
        };
        if self.on_cpu() {
            return 1.0;
        }
        let unit_rate = self.profile.compute_unit(self.machine).map_or(1.0, |r| {
            (r.fp16_flops_per_unit_clock / GEFORCE_SM_FP16_FLOPS_PER_CLOCK).max(1.0)
        });
        let head = f64::from(model.model.head_dim.max(1));
        head / (head + softmax.value.max(0.0) * unit_rate)
    }

    fn system_ram_bytes_per_s(&self) -> f64 {
        let bw = self.machine.cpu_side(0.0).bandwidth_gb_per_s;
        let eff = self
            .cpu_profile
            .map_or(0.5, |p| p.bandwidth_efficiency.value);
        (bw * 1e9 * eff).max(1.0)
    }

    /// Seconds to pass one token's activations between devices.
    fn link_secs_per_token(&self, model: &LoadedModel<'_>) -> f64 {
        if self.on_cpu() {
            // One CPU (or the cores of one host) holds the whole model.
            return 0.0;
        }
        let hops = f64::from(self.machine.device_count.max(1) - 1);
        if hops == 0.0 {
            return 0.0;
        }
        let Some(link) = &self.machine.interconnect else {
            return 0.0;
        };
        let bytes = f64::from(model.model.hidden_size) * 4.0;
        hops * (bytes / (link.bandwidth_gb_per_s.value * 1e9).max(1.0)
            + link.latency_us.value * 1e-6)
    }
}

/// Dense FP16 matrix FLOPs (FP32 accumulation) per SM per clock of an Ampere GA10x or Ada
/// GeForce SM, the SM [`RuntimeProfile::attention_softmax_head_dims`] is stated for: RTX
/// 4090, 165.2 TFLOPS over 128 SMs at 2,520 MHz
/// (https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf).
pub const GEFORCE_SM_FP16_FLOPS_PER_CLOCK: f64 = 512.0;

/// The host link a discrete accelerator's expert copies cross: PCIe 4.0 x16, 16 GT/s per
/// lane times 16 lanes with 128b/130b encoding, 31.5 GB/s each way (PCI-SIG, PCI Express
/// Base Specification 4.0). The catalogue does not give each machine's link; newer PCIe 5.0
/// hosts are twice as fast, so expert-offload prefill on them is predicted slow.
pub const HOST_LINK_BYTES_PER_S: f64 = 31.5e9;

/// Time per decoded token at one depth, split by cause.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct DecodeStep {
    pub memory_secs: f64,
    pub compute_secs: f64,
    pub offload_secs: f64,
    pub overhead_secs: f64,
    pub total_secs: f64,
    pub limit: Limit,
}

/// Seconds to decode one token with `depth` tokens already in the cache, with flash
/// attention on, as current llama.cpp runs it by default.
pub fn decode_step(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
) -> DecodeStep {
    decode_step_with_attention(hw, model, plan, depth, true)
}

/// How many times a decoded token reads its cache: once with flash attention, which loads
/// each cached key and value once for all the query heads that share it (grouped-query
/// attention); once per query head without it, where the scores and values products are
/// matrix-vector products per query head that each load the shared cache again.
fn cache_reads(model: &LoadedModel<'_>, flash_attention: bool) -> f64 {
    if flash_attention {
        return 1.0;
    }
    let m = model.model;
    f64::from(m.attention_heads.max(1)) / f64::from(m.kv_heads.max(1))
}

/// [`decode_step`] with flash attention on or off (see [`cache_reads`]).
pub fn decode_step_with_attention(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: f64,
    flash_attention: bool,
) -> DecodeStep {
    let on_device = 1.0 - plan.offloaded_share;
    let bandwidth = hw.batch1_bandwidth_bytes_per_s();
    let weights = model.active_weights_bytes();
    let kv = model.kv_cache_bytes(depth.max(0.0) as u64)
        * hw.profile.kv_read_efficiency.value
        * cache_reads(model, flash_attention);
    // Two kernels in turn, each limited by its own roofline: the weight matmuls, then
    // attention over the cache (a vector kernel: one query row per head).
    // Expert offload: the routed experts' share in system RAM is read (and multiplied) by
    // the CPU; the rest stays on the device.
    let experts_in_ram = model.active_weights_split().1 * plan.expert_offload_share;
    let weights_memory = (weights - experts_in_ram).max(0.0) * on_device / bandwidth;
    let weights_compute = model.weight_flops_per_token() / hw.effective_flops_per_s(model, false);
    let attention_memory = kv * on_device / bandwidth;
    let attention_compute =
        model.attention_flops_per_token(depth) / hw.effective_attention_flops_per_s(model);
    let memory_secs = weights_memory + attention_memory;
    let compute_secs = weights_compute + attention_compute;
    let offload_secs =
        ((weights + kv) * plan.offloaded_share + experts_in_ram) / hw.system_ram_bytes_per_s();
    let overhead_secs = hw.overhead_secs_per_token(model);
    let weights_secs = weights_memory.max(weights_compute);
    let attention_secs = attention_memory.max(attention_compute);
    let device_secs = weights_secs + attention_secs;
    let total_secs = device_secs + offload_secs + overhead_secs;
    let limit = if offload_secs >= device_secs && offload_secs >= overhead_secs {
        Limit::Offload
    } else if overhead_secs > device_secs {
        Limit::Overhead
    } else if attention_compute > attention_memory && attention_secs > weights_secs {
        Limit::Attention
    } else if weights_compute > weights_memory {
        Limit::Compute
    } else {
        Limit::Bandwidth
    };
    DecodeStep {
        memory_secs,
        compute_secs,
        offload_secs,
        overhead_secs,
        total_secs,
        limit,
    }
}

/// Decoding `tokens` tokens starting at `depth`.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Decode {
    pub secs: f64,
    pub tokens_per_s: f64,
    pub limit: Limit,
}

/// Decodes `tokens` tokens starting at `depth`: Simpson's rule over the per-token time,
/// which grows with depth as the cache does. Flash attention on, as llama.cpp defaults.
pub fn decode(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
) -> Decode {
    decode_with_attention(hw, model, plan, depth, tokens, true)
}

/// [`decode`] with flash attention on or off.
pub fn decode_with_attention(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
    flash_attention: bool,
) -> Decode {
    let n = tokens.max(1) as f64;
    let d0 = depth as f64;
    let step = |d: f64| decode_step_with_attention(hw, model, plan, d, flash_attention);
    let start = step(d0);
    let mid = step(d0 + n / 2.0);
    let end = step(d0 + n);
    let per_token = (start.total_secs + 4.0 * mid.total_secs + end.total_secs) / 6.0;
    let correction = hw.miss_correction(model, TestKind::Decode, depth + tokens, flash_attention);
    let secs = per_token * n / correction;
    Decode {
        secs,
        tokens_per_s: n / secs.max(f64::MIN_POSITIVE),
        limit: mid.limit,
    }
}

/// Prefilling a prompt.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
pub struct Prefill {
    pub secs: f64,
    pub tokens_per_s: f64,
    /// Seconds in weight matmuls (compute- or memory-bound, whichever is slower).
    pub weights_secs: f64,
    /// Seconds in attention over the context.
    pub attention_secs: f64,
    /// Seconds streaming offloaded layers from system RAM.
    pub offload_secs: f64,
    pub limit: Limit,
}

/// Prefills `tokens` prompt tokens on top of `depth` cached ones in micro-batches of
/// `ubatch` tokens (llama-bench `pp N -d D -ub U`; runtimes default to [`UBATCH_TOKENS`]),
/// with flash attention on, as current llama.cpp runs it by default.
pub fn prefill(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
    ubatch: u64,
) -> Prefill {
    prefill_with_attention(hw, model, plan, depth, tokens, ubatch, true)
}

/// [`prefill`] with flash attention on or off. Off, every attention score (one query
/// against one cached key) is written to memory, read and written by the softmax and read
/// by the values product, so attention also streams
/// `scores x unfused_attention_bytes_per_score` bytes, which grows with the square of the
/// prompt: the reason long prompts without flash attention slow down so much.
pub fn prefill_with_attention(
    hw: &Hardware<'_>,
    model: &LoadedModel<'_>,
    plan: &MemoryPlan,
    depth: u64,
    tokens: u64,
    ubatch: u64,
    flash_attention: bool,
) -> Prefill {
    let moe = model.model.moe.is_some();
    let n = tokens.max(1) as f64;
    let ubatch = ubatch.max(1);
    let compute = n * model.weight_flops_per_token()
        / (hw.effective_flops_per_s(model, moe) * hw.batch_efficiency(model, tokens, ubatch));
    // Each ubatch streams the weights once; a MoE batch touches nearly all experts.
    let ubatches = (n / ubatch as f64).ceil();
    let on_device = 1.0 - plan.offloaded_share;
    // Expert offload: for a batch this large llama.cpp copies the experts held in system
    // RAM over the host link to the device and multiplies them there, once per ubatch.
    let experts_in_ram = model.routed_expert_bytes() * plan.expert_offload_share;
    let stream = ubatches * (model.weights_bytes() * on_device - experts_in_ram).max(0.0)
        / hw.effective_bandwidth_bytes_per_s();
    let weights_secs = compute.max(stream);
    // Token i attends over depth + i tokens; the mean is depth + n/2.
    let mean_context = depth as f64 + n / 2.0;
    let attention_flops = n * model.attention_flops_per_token(mean_context);
    let unfused_secs = if flash_attention {
        0.0
    } else {
        // Each score costs 4 x head_dim FLOPs (a multiply-add in each of the two products).
        let scores = attention_flops / (4.0 * f64::from(model.model.head_dim.max(1)));
        scores * hw.profile.unfused_attention_bytes_per_score.value
            / hw.effective_bandwidth_bytes_per_s()
    };
    let attention_secs = attention_flops / hw.effective_attention_flops_per_s(model) + unfused_secs;
    let offload_secs = ubatches
        * (model.weights_bytes() * plan.offloaded_share / hw.system_ram_bytes_per_s()
            + experts_in_ram / HOST_LINK_BYTES_PER_S);
    // A case the catalogue knows the physics above misses runs at its measured share of it.
    let correction = hw.miss_correction(model, TestKind::Prefill, depth + tokens, flash_attention);
    let secs = (weights_secs + attention_secs + offload_secs) / correction;
    let limit = if offload_secs > weights_secs.max(attention_secs) {
        Limit::Offload
    } else if attention_secs > weights_secs {
        Limit::Attention
    } else if stream > compute {
        Limit::Bandwidth
    } else {
        Limit::Compute
    };
    Prefill {
        secs,
        tokens_per_s: n / secs.max(f64::MIN_POSITIVE),
        weights_secs,
        attention_secs,
        offload_secs,
        limit,
    }
}

/// The physical ceiling on decode speed: spec bandwidth over the bytes of active weights,
/// with no runtime losses. Published claims above it are impossible.
pub fn decode_bound_tokens_per_s(machine: &Machine, model: &LoadedModel<'_>) -> f64 {
    machine.bandwidth_gb_per_s.value * 1e9 / model.active_weights_bytes().max(1.0)
}

/// [`decode_bound_tokens_per_s`] on `runtime`: the CPU runtime reads system RAM, so its
/// ceiling is the RAM's spec bandwidth (`Machine::cpu_side`).
pub fn decode_bound_on(machine: &Machine, runtime: Runtime, model: &LoadedModel<'_>) -> f64 {
    if runtime == Runtime::Cpu {
        machine.cpu_side(0.0).bandwidth_gb_per_s * 1e9 / model.active_weights_bytes().max(1.0)
    } else {
        decode_bound_tokens_per_s(machine, model)
    }
}

/// The fastest `machine` could run a test of `kind` on `runtime` with no runtime losses at
/// all: decode at spec bandwidth over the active weights; prefill at the highest matrix
/// peak the machine states (any precision) over the FLOPs of a token's weight matmuls.
/// Imported and catalogued measurements are checked against it.
pub fn physical_bound_tokens_per_s(
    machine: &Machine,
    runtime: Runtime,
    model: &LoadedModel<'_>,
    kind: TestKind,
) -> f64 {
    match kind {
        TestKind::Decode => decode_bound_on(machine, runtime, model),
        TestKind::Prefill => {
            let peak_tflops = if runtime == Runtime::Cpu {
                machine.cpu_side(0.0).tflops
            } else {
                [
                    Some(&machine.fp16_tflops),
                    machine.fp16_acc16_tflops.as_ref(),
                    machine.int8_tops.as_ref(),
                    machine.fp8_tflops.as_ref(),
                    machine.fp4_tflops.as_ref(),
                ]
                .into_iter()
                .flatten()
                .map(|s| s.value)
                .fold(0.0, f64::max)
            };
            peak_tflops * 1e12 * f64::from(machine.device_count.max(1))
                / model.weight_flops_per_token().max(1.0)
        }
    }
}
