//! The catalogue as written in RON: plain serde types, the first of the two input stages.
//!
//! Everything here mirrors the files in `catalog/` one to one. Enumerations such as runtimes
//! and operating systems are strings at this stage so that validation can name the bad
//! value, its entry and its place in the file, and suggest the closest valid one.

use serde::{Deserialize, Serialize};

pub use crate::engine::types::{
    Attention, ComputeUnitRate, Embeddings, ErrorBand, FitPrior, Fp4Matmul, KnownMiss, Moe,
    ReplacedKernel, RetiredBuildFlag, RetiredDriver, ServingCase, Session, Sourced,
};

/// One catalogue file: any subset of the sections. The built-in files each fill one section;
/// a user file may fill several.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawFile {
    /// Machines (`machines.ron`).
    pub machines: Vec<RawMachine>,
    /// Model architectures (`models.ron`).
    pub models: Vec<RawModel>,
    /// Weight quantisation types (`quants.ron`).
    pub quants: Vec<RawQuant>,
    /// KV cache element types (`quants.ron`).
    pub kv_types: Vec<RawKvType>,
    /// Workload mixes (`workloads.ron`).
    pub workloads: Vec<RawWorkload>,
    /// Cloud alternatives (`cloud.ron`).
    pub cloud: Vec<RawCloud>,
    /// Per-runtime efficiency profiles (`runtimes.ron`).
    pub runtimes: Vec<RawRuntimeProfile>,
    /// Published llama-bench measurements (`benchmarks.ron`).
    pub benchmarks: Vec<RawBenchmark>,
    /// Draft models for speculative decoding (`drafts.ron`).
    pub drafts: Vec<RawDraft>,
    /// Published measurements of serving cases (`serving_benchmarks.ron`).
    pub serving_benchmarks: Vec<RawServingBenchmark>,
}

/// A draft pairing as written in `drafts.ron`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawDraft {
    pub target: String,
    pub draft: String,
    pub draft_quant: String,
    pub draft_max: u32,
    pub acceptance_rate: Sourced,
    pub task: String,
    #[serde(default)]
    pub notes: String,
}

/// A serving measurement as written in `serving_benchmarks.ron`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawServingBenchmark {
    pub machine: String,
    pub runtime: String,
    pub model: String,
    pub quant: String,
    pub source: String,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub notes: String,
    pub case: ServingCase,
}

/// A machine as written in `machines.ron`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMachine {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub form_factor: String,
    pub os: Vec<String>,
    pub runtimes: Vec<String>,
    pub default_runtime: String,
    pub memory_kind: String,
    pub device_count: u32,
    pub memory_options: Vec<RawMemoryOption>,
    #[serde(default)]
    pub system_ram_gb: Option<f64>,
    pub bandwidth_gb_per_s: Sourced,
    #[serde(default)]
    pub system_ram_bandwidth_gb_per_s: Option<Sourced>,
    pub compute_tflops: RawCompute,
    pub cpu_cores: u32,
    /// The CPU's dense FP32 matrix peak (all cores, FMA), for the CPU runtime; absent, it is
    /// estimated from `cpu_cores` (`Machine::cpu_side`).
    #[serde(default)]
    pub cpu_tflops: Option<Sourced>,
    pub accelerator_memory: RawAcceleratorMemory,
    #[serde(default)]
    pub interconnect: Option<RawInterconnect>,
    pub power_watts: Sourced,
    #[serde(default)]
    pub idle_watts: Option<Sourced>,
    #[serde(default)]
    pub released: String,
    /// The accelerator's compiler target, as llama.cpp's kernels select on it: an LLVM
    /// AMDGPU target ("gfx1151"), a CUDA SM ("sm_89") or a Metal GPU family ("apple8").
    #[serde(default)]
    pub gpu_arch: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
    #[serde(default)]
    pub claims: Vec<RawClaim>,
    /// Whether a person can buy this configuration on its own. `false` for one GPU's share
    /// of an HGX or OAM board, which is sold only inside a whole server: such an entry still
    /// describes a machine someone has (`--have`, detection), but the ranking does not offer
    /// it as a purchase.
    #[serde(default = "default_true")]
    pub sold_alone: bool,
    /// When the maker stopped selling it new (`2026-08`). Its prices are then used,
    /// refurbished or launch figures, as each option's `condition` and source say.
    #[serde(default)]
    pub discontinued: Option<String>,
}

fn default_true() -> bool {
    true
}

/// One purchasable memory configuration of a machine.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawMemoryOption {
    pub per_device_gb: f64,
    pub price_usd: Option<f64>,
    /// When the price was seen or set (`2026-09` or `2026-09-14`): a launch date for a list
    /// price, the date of the listing for a street or used price.
    #[serde(default)]
    pub price_date: String,
    /// What the price buys: "new" (the default), "used" or "refurbished".
    #[serde(default)]
    pub condition: Option<String>,
    pub source: String,
}

/// Dense matrix throughput per device.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(default, deny_unknown_fields)]
pub struct RawCompute {
    /// Dense FP16 matrix throughput with FP32 accumulation (the rate cuBLAS-style GEMMs get).
    pub fp16: Option<Sourced>,
    /// Dense FP16 matrix throughput with FP16 accumulation, where it differs (GeForce parts
    /// run FP32 accumulation at half rate).
    pub fp16_acc16: Option<Sourced>,
    /// Dense INT8 matrix throughput, TOPS, where it differs from `fp16`.
    pub int8: Option<Sourced>,
    pub fp8: Option<Sourced>,
    pub fp4: Option<Sourced>,
    /// The share of these peaks a measured dense GEMM reaches on this machine (a chip that
    /// cannot hold its rated clock, or whose memory system starves its matrix units, stays
    /// below 1; a GeForce card that boosts past its rated clock goes above). Absent where no
    /// measurement is published: the spec peak is then taken as reachable.
    #[serde(default)]
    pub achieved_share: Option<Sourced>,
}

/// How much of each device's memory the accelerator may use, and what changes it.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawAcceleratorMemory {
    pub default_share: Sourced,
    #[serde(default)]
    pub tuned_reserve_gb: Option<Sourced>,
    #[serde(default)]
    pub setting: Option<String>,
}

/// The link between devices of a multi-device machine.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawInterconnect {
    pub kind: String,
    pub bandwidth_gb_per_s: Sourced,
    pub latency_us: Sourced,
}

/// A published speed claim to check against physics.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawClaim {
    pub by: String,
    pub text: String,
    pub model: String,
    pub quant: String,
    pub decode_tokens_per_s: f64,
}

/// A model architecture as written in `models.ron`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawModel {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub hf_repo: String,
    pub params_total_b: f64,
    pub params_active_b: f64,
    pub layers: u32,
    pub hidden_size: u32,
    pub attention_heads: u32,
    pub kv_heads: u32,
    pub head_dim: u32,
    pub vocab_size: u32,
    pub context_native: u64,
    #[serde(default)]
    pub context_extended: Option<u64>,
    pub attention: Attention,
    #[serde(default)]
    pub moe: Option<Moe>,
    /// How the token-embedding table is shared and counted; `Untied` when absent.
    #[serde(default)]
    pub embeddings: Embeddings,
    #[serde(default)]
    pub gguf_files: Vec<RawGgufFile>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

/// A published GGUF file size.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawGgufFile {
    pub quant: String,
    pub bytes: u64,
    pub source: String,
}

/// A weight quantisation type.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawQuant {
    pub id: String,
    pub bits_per_weight: Sourced,
    #[serde(default)]
    pub block_bits_per_weight: Option<f64>,
    #[serde(default)]
    pub notes: String,
}

/// A KV cache element type.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawKvType {
    pub id: String,
    pub bytes_per_element: Sourced,
    #[serde(default)]
    pub notes: String,
}

/// A named workload mix.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawWorkload {
    pub id: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    /// Whether every model of the mix must be loaded at once (else one at a time).
    #[serde(default)]
    pub models_resident_together: bool,
    #[serde(default)]
    pub min_decode_tokens_per_s: Option<f64>,
    pub tasks: Vec<RawTask>,
    #[serde(default)]
    pub sources: Vec<String>,
    /// Users or agents served at once; 1 when absent.
    #[serde(default)]
    pub parallel: Option<u32>,
    /// Hours per day the requests arrive in; the whole day when absent.
    #[serde(default)]
    pub active_hours_per_day: Option<f64>,
}

/// One kind of request in a mix.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RawTask {
    pub name: String,
    /// Share of requests, 0..=1; the shares of a mix sum to 1.
    pub share: f64,
    pub prompt_tokens: u64,
    #[serde(default)]
    pub cached_tokens: u64,
    pub output_tokens: u64,
    pub private: bool,
    pub timeout_secs: f64,
    pub model: String,
    pub quant: String,
    #[serde(default = "default_kv_type")]
    pub kv_type: String,
    /// Context the runtime allocates for the model; defaults to prompt plus output.
    #[serde(default)]
    pub context_tokens: Option<u64>,
    pub requests_per_day: f64,
    /// The longest wait the user accepts for one request, in seconds (a requirement; the
    /// timeout is a setting). Absent: no limit beyond the decode target.
    #[serde(default)]
    pub max_wait_secs: Option<f64>,
    /// The client streams its answer (its timeout then covers the first token only).
    #[serde(default = "default_streaming")]
    pub streaming: bool,
    /// The task runs as a session of turns on one growing context.
    #[serde(default)]
    pub session: Option<Session>,
}

fn default_streaming() -> bool {
    true
}

fn default_kv_type() -> String {
    "f16".to_owned()
}

/// A cloud alternative.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawCloud {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub context_tokens: u64,
    pub input_usd_per_mtok: Sourced,
    pub output_usd_per_mtok: Sourced,
    pub decode_tokens_per_s: Sourced,
    pub time_to_first_token_secs: Sourced,
    pub prefill_tokens_per_s: Sourced,
    pub data_leaves_machine: bool,
    #[serde(default)]
    pub free_tier: Option<String>,
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub notes: String,
}

/// Efficiency of one runtime: what share of the hardware's peak it reaches.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawRuntimeProfile {
    pub runtime: String,
    /// Share of spec bandwidth reached when streaming weights in decode.
    pub bandwidth_efficiency: Sourced,
    /// Share of dense peak reached by the weight matmuls in prefill.
    pub compute_efficiency: Sourced,
    /// Share of dense peak reached by attention (QK^T and AV) in prefill.
    pub attention_efficiency: Sourced,
    /// Multiplier on compute efficiency for mixture-of-experts prefill.
    pub moe_prefill_factor: Sourced,
    /// Fixed time each mixture-of-experts layer adds to a decoded token (router, top-k,
    /// gather and scatter kernels a dense layer does not run), microseconds.
    pub moe_layer_overhead_us: Sourced,
    /// Rows (tokens) at which a prefill matmul reaches half its large-batch efficiency: a
    /// dense layer multiplies a micro-batch of U tokens, each of a MoE layer's E experts
    /// U*k/E of them, and small matmuls leave the matrix units idle. Absent: no such loss.
    /// Catalogues written before it covered dense layers call it `moe_half_batch_tokens`.
    #[serde(default, alias = "moe_half_batch_tokens")]
    pub matmul_half_batch_tokens: Option<Sourced>,
    /// Fixed time each layer adds to a decoded token (its kernels' launches and the minimum
    /// time each takes however little it reads), microseconds.
    pub layer_overhead_us: Sourced,
    /// Memory the runtime itself takes per device (context, kernels), GB.
    pub overhead_gb: Sourced,
    /// Share of the KV cache read per decoded token that costs bandwidth like weights do.
    pub kv_read_efficiency: Sourced,
    /// Bytes a compute unit streams per clock at batch 1 (absent: the prior's, assumed).
    #[serde(default)]
    pub batch1_bytes_per_unit_cycle: Option<Sourced>,
    /// Bytes per attention score without flash attention (absent: the prior's, assumed).
    #[serde(default)]
    pub unfused_attention_bytes_per_score: Option<Sourced>,
    /// Share of the float matmul path's peak (absent: `compute_efficiency`).
    #[serde(default)]
    pub float_compute_efficiency: Option<Sourced>,
    /// The matrix operations per compute unit per clock the quantized kernels can use
    /// (absent: no cap beyond the machine's peak).
    #[serde(default)]
    pub quantized_unit_ops_per_clock: Option<Sourced>,
    /// Model width at which the weight matmuls reach half their efficiency (absent: no
    /// loss for narrow models).
    #[serde(default)]
    pub matmul_half_width: Option<Sourced>,
    /// Attention head size whose matrix work per score equals the score's softmax (absent:
    /// the softmax is free).
    #[serde(default)]
    pub attention_softmax_head_dims: Option<Sourced>,
    /// Matrix FLOPs per compute unit per clock by GPU architecture.
    #[serde(default)]
    pub compute_units: Vec<ComputeUnitRate>,
    /// Weight types multiplied on FP4 matrix units on some architectures.
    #[serde(default)]
    pub fp4_matmul: Option<Fp4Matmul>,
    /// Measured over predicted decode speed: the band-tail quantiles (2.5th and 97.5th
    /// percentile), leave-one-source-out, on rows whose machine other sources measured.
    #[serde(default)]
    pub decode_error_band: Option<ErrorBand>,
    /// The same for prefill.
    #[serde(default)]
    pub prefill_error_band: Option<ErrorBand>,
    /// Measured over predicted decode speed, leave-one-source-out, on rows whose machine or
    /// case no other source measured: the band of a machine without published rows.
    #[serde(default)]
    pub decode_unmeasured_band: Option<ErrorBand>,
    /// The same for prefill.
    #[serde(default)]
    pub prefill_unmeasured_band: Option<ErrorBand>,
    /// Which matrix units the weight matmuls of quantized models run on: "fp16" (the
    /// default), "fp16-acc16" or "int8".
    #[serde(default)]
    pub quantized_matmul: Option<String>,
    /// The same for unquantized (F16, BF16, F32) weights.
    #[serde(default)]
    pub float_matmul: Option<String>,
    /// Where the two matmul paths come from (the kernels' source).
    #[serde(default)]
    pub matmul_source: Option<String>,
    /// Which matrix units the two products of flash attention run on. Absent: both on
    /// "fp16" (FP32 accumulation).
    #[serde(default)]
    pub attention_matmul: Option<AttentionMatmul>,
    /// Build options whose code llama.cpp has since removed: a benchmark row built with one
    /// measured a kernel no current build runs.
    #[serde(default)]
    pub retired_build_flags: Vec<RetiredBuildFlag>,
    /// Drivers their vendor has discontinued: a benchmark row run on one measured a stack
    /// no user installing the runtime today gets.
    #[serde(default)]
    pub retired_drivers: Vec<RetiredDriver>,
    /// Kernels llama.cpp has since replaced for some cases: a benchmark row of such a case
    /// measured before the change ran a kernel no current build runs for it.
    #[serde(default)]
    pub replaced_kernels: Vec<ReplacedKernel>,
    /// Cases headroom predicts badly, said with every prediction of them.
    #[serde(default)]
    pub known_misses: Vec<KnownMiss>,
    /// What the fit assumes before it sees a row: each parameter's typical value, and how
    /// hard the fit is pulled toward it.
    #[serde(default)]
    pub fit_prior: Option<FitPrior>,
    #[serde(default)]
    pub notes: String,
}

/// The matrix units of flash attention's two products: the scores (Q times K transposed)
/// and the values (softmax times V), with where that comes from (the kernel's source).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AttentionMatmul {
    pub scores: String,
    pub values: String,
    pub source: String,
}

/// A published llama-bench measurement.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RawBenchmark {
    pub machine: String,
    pub runtime: String,
    pub model: String,
    pub quant: String,
    pub test: String,
    #[serde(default)]
    pub depth: u64,
    pub tokens_per_s: f64,
    #[serde(default)]
    pub build: Option<String>,
    #[serde(default)]
    pub date: Option<String>,
    #[serde(default)]
    pub flash_attention: Option<bool>,
    /// Tokens per micro-batch (llama-bench `-ub`); llama-bench's default, 512, when absent.
    #[serde(default)]
    pub ubatch: Option<u64>,
    /// The CMake options the llama.cpp build was configured with beyond its backend's
    /// defaults, as the source states them (`GGML_HIP_ROCWMMA_FATTN`).
    #[serde(default)]
    pub build_flags: Vec<String>,
    /// The GPU driver the run used, lower case, where the source names it and the runtime
    /// has several on one system (Vulkan on Linux with an AMD GPU: `radv` or `amdvlk`).
    #[serde(default)]
    pub driver: Option<String>,
    pub source: String,
    #[serde(default)]
    pub notes: String,
}
