//! The engine's input types: a validated catalogue of machines, models, quantisations,
//! runtimes, workloads and cloud offers. Plain data; built by `crate::catalog`.

use serde::{Deserialize, Serialize};

// The types below are read from the catalogue as written (the catalogue's raw schema
// re-exports them), so they live here: the engine depends on nothing outside itself.

/// A number and where it comes from: a URL, or text starting with "estimate" or "assumed".
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Sourced {
    /// The figure, in the unit the field name states.
    pub value: f64,
    /// A URL, or "estimate: how", "assumed: why", "fitted: how".
    pub source: String,
}

/// The token-embedding table (vocabulary x hidden size): whether the output head is the same
/// table, and whether the published active-parameter count includes it. A decoded token
/// looks up one row of the input table but multiplies by the whole output head, so an
/// input table of its own is neither streamed nor multiplied.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq, Eq)]
pub enum Embeddings {
    /// Separate input and output tables, both counted in the active parameters (most models).
    #[default]
    Untied,
    /// One table serves as input and as output head (Gemma, Llama 3.2 1B): read as the head.
    Tied,
    /// Separate tables, and the published active count leaves the input table out (gpt-oss).
    UntiedOutsideActive,
}

/// How a model's layers attend, which decides the size of the KV cache.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
pub enum Attention {
    /// Every layer attends over the whole context.
    Full,
    /// `sliding_layers` of the layers keep only the last `window` tokens.
    SlidingWindow { window: u64, sliding_layers: u32 },
    /// Multi-head latent attention: each layer caches `kv_lora_rank + rope_head_dim` values.
    Mla {
        kv_lora_rank: u32,
        rope_head_dim: u32,
    },
    /// `linear_layers` keep a fixed-size state instead of a KV cache.
    Hybrid {
        linear_layers: u32,
        state_bytes_per_layer: u64,
    },
}

/// Mixture-of-experts shape.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Moe {
    pub experts: u32,
    pub experts_per_token: u32,
    #[serde(default)]
    pub shared_experts: u32,
    /// Bits per weight of the routed-expert tensors where a model ships them in one format
    /// whatever its files' labels (gpt-oss: MXFP4, 4.25). Without it, the experts take the
    /// file's quantization like every other tensor.
    #[serde(default)]
    pub expert_bits_per_weight: Option<f64>,
}

impl Moe {
    /// Tokens each routed expert multiplies at once when `tokens` prompt tokens are
    /// processed in micro-batches of `ubatch`: `batch x k / E`, routing taken as even.
    pub fn tokens_per_expert(&self, tokens: u64, ubatch: u64) -> f64 {
        let batch = tokens.clamp(1, ubatch.max(1)) as f64;
        batch * f64::from(self.experts_per_token) / f64::from(self.experts.max(1))
    }
}

/// A build option llama.cpp no longer has: its name, since when (a build or date, as the
/// source gives it), and the source that says so.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetiredBuildFlag {
    pub flag: String,
    pub since: String,
    pub source: String,
}

/// A GPU driver its vendor has discontinued in favour of another, so that no user installing
/// the runtime today gets it: a benchmark row run on it measured a stack no current setup
/// runs (AMD's AMDVLK Vulkan driver, replaced by Mesa's RADV on Linux).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RetiredDriver {
    /// The driver's name as benchmark rows give it (`Benchmark::driver`), lower case.
    pub driver: String,
    /// Since when (a date or release, as the source gives it).
    pub since: String,
    pub source: String,
}

/// A kernel llama.cpp has replaced for the cases it names. A benchmark row is such a case
/// when it matches every condition given (an empty list or `None` matches anything), and
/// ran the old kernel when its date is before `before`. An undated row is never judged.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ReplacedKernel {
    /// What was replaced, by what, in words.
    pub kernel: String,
    /// The date of the change (`2026-05` or `2026-05-09`): rows dated before it ran the old
    /// kernel. Compared on the precision both give, so a row of the same month is kept.
    pub before: String,
    /// The machines' `gpu_arch` values the change applies to.
    #[serde(default)]
    pub gpu_archs: Vec<String>,
    /// The test kind it applies to: `Some(Prefill)` or `Some(Decode)`.
    #[serde(default)]
    pub test: Option<TestKind>,
    /// Whether it applies only to rows run with flash attention on (`Some(true)`) or off.
    #[serde(default)]
    pub flash_attention: Option<bool>,
    /// The largest attention head size it applies to.
    #[serde(default)]
    pub max_head_dim: Option<u32>,
    /// The smallest attention head size it applies to.
    #[serde(default)]
    pub min_head_dim: Option<u32>,
    /// Only mixtures of experts (`Some(true)`) or only dense models (`Some(false)`).
    #[serde(default)]
    pub moe: Option<bool>,
    /// Whether it applies only to quantized weights (`Some(true)`) or only to unquantized
    /// (F16, BF16, F32) ones (`Some(false)`).
    #[serde(default)]
    pub quantized: Option<bool>,
    /// The weight types (`Quant::id`) it applies to; empty: any.
    #[serde(default)]
    pub quants: Vec<String>,
    pub source: String,
}

impl ReplacedKernel {
    /// The conditions a run must meet to be of the replaced kernel's case.
    pub fn conditions(&self) -> CaseConditions<'_> {
        CaseConditions {
            gpu_archs: &self.gpu_archs,
            test: self.test,
            moe: self.moe,
            flash_attention: self.flash_attention,
            quants: &self.quants,
            quantized: self.quantized,
            max_head_dim: self.max_head_dim,
            min_head_dim: self.min_head_dim,
            min_context: 0,
        }
    }
}

/// The conditions a catalogued case (a replaced kernel, a known miss) puts on a run; a
/// `None`, an empty list or a zero matches anything. One definition for both, so a case
/// means the same run whichever list it is written in.
#[derive(Clone, Copy, Debug)]
pub struct CaseConditions<'a> {
    /// The machines' `gpu_arch` values.
    pub gpu_archs: &'a [String],
    pub test: Option<TestKind>,
    /// Mixture of experts or dense.
    pub moe: Option<bool>,
    /// Flash attention on or off.
    pub flash_attention: Option<bool>,
    /// Weight types (`Quant::id`).
    pub quants: &'a [String],
    /// Quantized weights, or unquantized (F16, BF16, F32) ones.
    pub quantized: Option<bool>,
    /// The largest attention head size.
    pub max_head_dim: Option<u32>,
    /// The smallest attention head size.
    pub min_head_dim: Option<u32>,
    /// The shortest context: cached tokens plus the tokens the step processes.
    pub min_context: u64,
}

/// A run to test against [`CaseConditions`]: a published row, or a phase headroom predicts.
#[derive(Clone, Copy, Debug)]
pub struct CaseRun<'a> {
    pub machine: &'a Machine,
    pub kind: TestKind,
    pub model: &'a Model,
    pub quant: &'a Quant,
    /// Cached tokens plus the tokens the step processes.
    pub context: u64,
    /// Whether flash attention was on; `None` where a row does not say.
    pub flash_attention: Option<bool>,
}

impl CaseConditions<'_> {
    /// Whether `run` meets every condition.
    pub fn matches(&self, run: &CaseRun<'_>) -> bool {
        // The number comparisons first: this runs on every predicted phase.
        self.test.is_none_or(|t| t == run.kind)
            && run.context >= self.min_context
            && self
                .flash_attention
                .is_none_or(|f| run.flash_attention == Some(f))
            && self.moe.is_none_or(|m| m == run.model.moe.is_some())
            && self
                .max_head_dim
                .is_none_or(|max| run.model.head_dim <= max)
            && self
                .min_head_dim
                .is_none_or(|min| run.model.head_dim >= min)
            && self.quantized.is_none_or(|q| q != run.quant.is_float())
            && (self.quants.is_empty() || self.quants.contains(&run.quant.id))
            && (self.gpu_archs.is_empty()
                || run
                    .machine
                    .gpu_arch
                    .as_deref()
                    .is_some_and(|a| self.gpu_archs.iter().any(|g| g == a)))
    }
}

/// A case headroom is known to predict badly: the physics it models or the data it was
/// fitted on cannot get it right (a kernel path no spec figure describes, a case only one
/// source measured). A prediction of such a case says so in words and carries the spread
/// its held-out rows measured, instead of a range that looks surer than it is.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct KnownMiss {
    /// What goes wrong, in words a user reads after "headroom is known to miss this case:".
    pub what: String,
    /// The machines' `gpu_arch` values it applies to; empty: any.
    #[serde(default)]
    pub gpu_archs: Vec<String>,
    /// The test kind it applies to; `None`: both.
    #[serde(default)]
    pub test: Option<TestKind>,
    /// Only mixtures of experts (`Some(true)`) or only dense models (`Some(false)`).
    #[serde(default)]
    pub moe: Option<bool>,
    /// Only with flash attention on (`Some(true)`) or off (`Some(false)`). headroom's own
    /// predictions run with it on, as llama.cpp does by default.
    #[serde(default)]
    pub flash_attention: Option<bool>,
    /// The weight types (`Quant::id`) it applies to; empty: any.
    #[serde(default)]
    pub quants: Vec<String>,
    /// The smallest attention head size it applies to (kernels chosen by head size).
    #[serde(default)]
    pub min_head_dim: Option<u32>,
    /// The shortest context it applies to: tokens already in the cache plus the tokens the
    /// step processes (a prefill of a 40,000-token prompt reaches 40,000).
    #[serde(default)]
    pub min_context: u64,
    pub source: String,
    /// Measured over predicted among the held-out rows of this case (leave-one-source-out,
    /// after `correction`), written by `headroom calibrate --write`; `None` until then.
    #[serde(default)]
    pub band: Option<ErrorBand>,
    /// The median of measured over predicted among the rows of this case, under the profile
    /// fitted on the other rows (`calibrate::fit_runtimes`; written by `headroom calibrate
    /// --write`): a prediction of the case is scaled by it, so that a case known to run at
    /// a fifth of the prediction is not offered at five times its speed. `None` where no
    /// row measured the case.
    #[serde(default)]
    pub correction: Option<f64>,
}

impl KnownMiss {
    /// The conditions a run must meet to be of this case.
    pub fn conditions(&self) -> CaseConditions<'_> {
        CaseConditions {
            gpu_archs: &self.gpu_archs,
            test: self.test,
            moe: self.moe,
            flash_attention: self.flash_attention,
            quants: &self.quants,
            quantized: None,
            max_head_dim: None,
            min_head_dim: self.min_head_dim,
            min_context: self.min_context,
        }
    }

    /// Whether a prediction of `kind` on `machine` for `model` in `quant`, reaching
    /// `context` tokens with flash attention on or off, is of this case.
    pub fn applies(
        &self,
        machine: &Machine,
        kind: TestKind,
        model: &Model,
        quant: &Quant,
        (context, flash_attention): (u64, bool),
    ) -> bool {
        self.conditions().matches(&CaseRun {
            machine,
            kind,
            model,
            quant,
            context,
            flash_attention: Some(flash_attention),
        })
    }
}

/// Weight types a runtime multiplies natively on FP4 matrix units on some architectures
/// (llama.cpp's MXFP4 MMA on Blackwell), instead of its usual quantized path.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Fp4Matmul {
    /// The weight types (`Quant::id`), e.g. `MXFP4`.
    pub quants: Vec<String>,
    /// The machines' `gpu_arch` values with the FP4 instructions the kernel uses.
    pub gpu_archs: Vec<String>,
    pub source: String,
}

/// The calibration prior of a runtime (see `engine::calibrate`): what the fit assumes
/// before it sees a row. Used as read; validation checks the ranges.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct FitPrior {
    /// Pull toward the typical values: the loss added per parameter, per factor of two away
    /// (per 300 µs for the per-layer time, per 100 µs for the MoE routing time), in the
    /// units of the fit's loss (the sum of |log(predicted / measured)| over the rows).
    pub weight: f64,
    pub bandwidth_efficiency: f64,
    pub compute_efficiency: f64,
    pub attention_efficiency: f64,
    pub moe_prefill_factor: f64,
    pub moe_layer_overhead_us: f64,
    pub layer_overhead_us: f64,
    pub kv_read_efficiency: f64,
    /// Typical bytes one compute unit (an SM) streams per clock in a batch-1 matrix-vector
    /// kernel (see [`RuntimeProfile::batch1_bytes_per_unit_cycle`]).
    #[serde(default = "default_batch1_bytes_per_unit_cycle")]
    pub batch1_bytes_per_unit_cycle: f64,
    /// Typical bytes moved per attention score when flash attention is off (see
    /// [`RuntimeProfile::unfused_attention_bytes_per_score`]).
    #[serde(default = "default_unfused_attention_bytes_per_score")]
    pub unfused_attention_bytes_per_score: f64,
    /// Typical share of the float matmul path's peak (see
    /// [`RuntimeProfile::float_compute_efficiency`]).
    #[serde(default = "default_float_compute_efficiency")]
    pub float_compute_efficiency: f64,
    /// Typical rows (tokens) at which a prefill matmul reaches half its large-batch
    /// efficiency (see [`RuntimeProfile::matmul_half_batch_tokens`]).
    #[serde(
        default = "default_matmul_half_batch_tokens",
        alias = "moe_half_batch_tokens"
    )]
    pub matmul_half_batch_tokens: f64,
    pub source: String,
}

/// A prior without the figure: the value leave-one-machine-out error chose among 8, 16, 32
/// and 64 before the figure was fitted.
fn default_matmul_half_batch_tokens() -> f64 {
    32.0
}

/// A prior without the figure: the typical value its source states (`runtimes.ron`).
fn default_batch1_bytes_per_unit_cycle() -> f64 {
    8.0
}

/// A prior without the figure: an F32 score written, read and written by the softmax, and
/// read by the values product (four passes of four bytes).
fn default_unfused_attention_bytes_per_score() -> f64 {
    16.0
}

/// A prior without the figure: half of peak, as for the other matmuls.
fn default_float_compute_efficiency() -> f64 {
    0.5
}

/// How many matrix FLOPs one compute unit of a GPU architecture does per clock, in the
/// convention of the catalogue's `compute_tflops.fp16` figure for that architecture: with
/// it, a machine's `fp16` peak gives its compute units times clock, and so the rate at which
/// batch-1 kernels can issue loads (see [`RuntimeProfile::batch1_bytes_per_unit_cycle`]).
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ComputeUnitRate {
    /// The compiler target (`Machine::gpu_arch`), e.g. `sm_80`.
    pub gpu_arch: String,
    /// Dense FP16 matrix FLOPs per compute unit per clock, as the catalogue's `fp16` figure
    /// counts them (FP32 accumulation on GeForce parts).
    pub fp16_flops_per_unit_clock: f64,
    pub source: String,
}

/// The spread of measured over predicted speeds: a prediction `p` means "between
/// `p * low` and `p * high`" for 80% of published measurements.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ErrorBand {
    pub low: f64,
    pub high: f64,
    /// Rows the band was measured on; 0 means assumed.
    #[serde(default)]
    pub rows: usize,
}

impl ErrorBand {
    /// This band joined with a known miss's measured spread `own`: never narrower than
    /// either, and never excluding the prediction itself; `own`'s row count.
    pub fn joined(self, own: ErrorBand) -> ErrorBand {
        ErrorBand {
            low: self.low.min(own.low).min(1.0),
            high: self.high.max(own.high).max(1.0),
            rows: own.rows,
        }
    }
}

/// Bytes in one GiB; memory capacities are sold in binary gigabytes.
pub const GIB: f64 = 1_073_741_824.0;

/// Where a catalogue entry came from.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Origin {
    /// Embedded in the binary from `catalog/<file>`.
    BuiltIn(String),
    /// A user file, by path.
    User(String),
}

impl std::fmt::Display for Origin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Origin::BuiltIn(file) => write!(f, "built-in catalog/{file}"),
            Origin::User(path) => write!(f, "{path}"),
        }
    }
}

/// Declares a string-backed enum with its catalogue spellings.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        pub enum $name { $($(#[$vmeta])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The spelling used in catalogue files and on the command line.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the catalogue spelling.
            pub fn parse(text: &str) -> Option<Self> {
                match text { $($text => Some($name::$variant),)+ _ => None }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

named_enum! {
    /// An inference backend.
    Runtime { Metal = "metal", Cuda = "cuda", Rocm = "rocm", Vulkan = "vulkan", Cpu = "cpu" }
}
named_enum! {
    /// An operating system a machine runs.
    Os { MacOs = "macos", Linux = "linux", Windows = "windows" }
}
named_enum! {
    /// The shape of a machine.
    FormFactor { Desktop = "desktop", Laptop = "laptop", Tablet = "tablet", MiniPc = "mini-pc", Workstation = "workstation", Server = "server" }
}
named_enum! {
    /// What a memory option's price buys.
    PriceCondition { New = "new", Used = "used", Refurbished = "refurbished" }
}
named_enum! {
    /// Whether CPU and accelerator share one memory pool.
    MemoryKind { Unified = "unified", Discrete = "discrete" }
}

/// A validated machine.
#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub id: String,
    pub name: String,
    pub vendor: String,
    pub form_factor: FormFactor,
    pub os: Vec<Os>,
    pub runtimes: Vec<Runtime>,
    pub default_runtime: Runtime,
    pub memory_kind: MemoryKind,
    /// Accelerators that each hold a share of the model.
    pub device_count: u32,
    pub memory_options: Vec<MemoryOption>,
    pub system_ram_gb: Option<f64>,
    /// Spec memory bandwidth of one device.
    pub bandwidth_gb_per_s: Sourced,
    pub system_ram_bandwidth_gb_per_s: Option<Sourced>,
    /// Dense FP16/BF16 matrix throughput of one device.
    pub fp16_tflops: Sourced,
    /// Dense FP16 throughput with FP16 accumulation, where it differs from `fp16_tflops`.
    pub fp16_acc16_tflops: Option<Sourced>,
    /// Dense INT8 matrix throughput, where it differs from `fp16_tflops`.
    pub int8_tops: Option<Sourced>,
    pub fp8_tflops: Option<Sourced>,
    pub fp4_tflops: Option<Sourced>,
    /// Share of the spec peaks a measured dense GEMM reaches on this machine, where one is
    /// published (`compute_tflops.achieved_share`).
    pub matmul_achieved_share: Option<Sourced>,
    pub cpu_cores: u32,
    /// The CPU's dense FP32 matrix peak, where the catalogue states it.
    pub cpu_tflops: Option<Sourced>,
    pub accelerator_memory: AcceleratorMemory,
    pub interconnect: Option<Interconnect>,
    pub power_watts: Sourced,
    pub idle_watts: Option<Sourced>,
    pub released: String,
    /// The accelerator's compiler target (`gfx1151`, `sm_89`, `apple8`), where known.
    pub gpu_arch: Option<String>,
    pub sources: Vec<String>,
    pub notes: String,
    pub claims: Vec<Claim>,
    pub origin: Origin,
    /// Whether a person can buy it on its own; `false` for one GPU's share of an HGX board,
    /// which the ranking does not offer as a purchase.
    pub sold_alone: bool,
    /// When the maker stopped selling it new, if it has.
    pub discontinued: Option<String>,
}

/// What the CPU runtime runs on: system RAM and the CPU's cores, not the accelerator.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CpuSide {
    /// Memory the CPU reads, GB/s (spec).
    pub bandwidth_gb_per_s: f64,
    /// Dense matrix peak of all cores, TFLOPS.
    pub tflops: f64,
    /// Memory the CPU can hold a model in, GiB; `None` when the catalogue does not say.
    pub ram_gb: Option<f64>,
}

/// Estimate of a core's FP32 FLOPs per cycle: two 256-bit FMA units (2 x 8 lanes x 2), as
/// on current x86 (AVX2) cores; Apple's P-cores do four 128-bit FMAs, the same 32.
const CPU_FLOPS_PER_CYCLE: f64 = 32.0;
/// Estimate of the all-core clock, GHz, where the catalogue gives no CPU peak.
const CPU_ALL_CORE_GHZ: f64 = 3.0;
/// Share of a unified memory's spec bandwidth its CPU cores can reach: about half (the M1
/// Max's CPU cores reached ~204 of 400 GB/s, AnandTech's M1 Max review, 2021), where the
/// catalogue gives no system-RAM bandwidth.
const UNIFIED_CPU_BANDWIDTH_SHARE: f64 = 0.5;
/// Share of spec accelerator bandwidth assumed for system RAM beside a discrete accelerator
/// where the catalogue gives none (the offload path's long-standing fallback).
const DISCRETE_RAM_BANDWIDTH_SHARE: f64 = 0.1;

impl Machine {
    /// The CPU runtime's hardware on this machine with `per_device_gb` per accelerator:
    /// system RAM bandwidth (catalogue figure; else half a unified memory's, or a tenth of a
    /// discrete accelerator's), the CPU's matrix peak (catalogue figure, else estimated from
    /// the core count), and the RAM it can hold (system RAM beside a discrete accelerator,
    /// the whole unified memory otherwise).
    pub fn cpu_side(&self, per_device_gb: f64) -> CpuSide {
        let unified = self.memory_kind == MemoryKind::Unified;
        let bandwidth_gb_per_s = match &self.system_ram_bandwidth_gb_per_s {
            Some(s) => s.value,
            None if unified => self.bandwidth_gb_per_s.value * UNIFIED_CPU_BANDWIDTH_SHARE,
            None => self.bandwidth_gb_per_s.value * DISCRETE_RAM_BANDWIDTH_SHARE,
        };
        let tflops = self.cpu_tflops.as_ref().map_or_else(
            || f64::from(self.cpu_cores.max(1)) * CPU_ALL_CORE_GHZ * CPU_FLOPS_PER_CYCLE / 1e3,
            |s| s.value,
        );
        let ram_gb = if unified {
            Some(per_device_gb * f64::from(self.device_count.max(1)))
        } else {
            self.system_ram_gb
        };
        CpuSide {
            bandwidth_gb_per_s: bandwidth_gb_per_s.max(f64::MIN_POSITIVE),
            tflops: tflops.max(f64::MIN_POSITIVE),
            ram_gb,
        }
    }

    /// The share of its spec matrix peak this machine reaches in a dense GEMM: measured
    /// where published, else 1 (the spec peak is taken as reachable).
    pub fn matmul_share(&self) -> f64 {
        self.matmul_achieved_share.as_ref().map_or(1.0, |s| s.value)
    }

    /// The memory option with this per-device capacity, if any.
    pub fn memory_option(&self, per_device_gb: f64) -> Option<&MemoryOption> {
        self.memory_options
            .iter()
            .find(|o| (o.per_device_gb - per_device_gb).abs() < 0.5)
    }

    /// The largest memory option.
    pub fn largest_memory_option(&self) -> Option<&MemoryOption> {
        self.memory_options
            .iter()
            .max_by(|a, b| a.per_device_gb.total_cmp(&b.per_device_gb))
    }
}

/// A memory configuration and its price.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MemoryOption {
    pub per_device_gb: f64,
    pub price_usd: Option<f64>,
    pub price_date: String,
    /// What the price buys: new, used or refurbished.
    pub condition: PriceCondition,
    pub source: String,
}

/// How much of a device's memory the accelerator may use.
#[derive(Clone, Debug, Serialize)]
pub struct AcceleratorMemory {
    /// Share usable out of the box.
    pub default_share: Sourced,
    /// With `setting` changed, all but this many GiB are usable.
    pub tuned_reserve_gb: Option<Sourced>,
    /// The setting that raises the share.
    pub setting: Option<String>,
}

/// The link between devices.
#[derive(Clone, Debug, Serialize)]
pub struct Interconnect {
    pub kind: String,
    pub bandwidth_gb_per_s: Sourced,
    pub latency_us: Sourced,
}

/// A published speed claim, checked against the bandwidth bound.
#[derive(Clone, Debug, Serialize)]
pub struct Claim {
    pub by: String,
    pub text: String,
    pub model: String,
    pub quant: String,
    pub decode_tokens_per_s: f64,
}

/// A validated model architecture.
#[derive(Clone, Debug, Serialize)]
pub struct Model {
    pub id: String,
    pub name: String,
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
    pub context_extended: Option<u64>,
    pub attention: Attention,
    pub moe: Option<Moe>,
    pub embeddings: Embeddings,
    pub gguf_files: Vec<GgufFile>,
    pub sources: Vec<String>,
    pub notes: String,
    pub origin: Origin,
}

/// A published GGUF file size.
#[derive(Clone, Debug, Serialize)]
pub struct GgufFile {
    pub quant: String,
    pub bytes: u64,
    pub source: String,
}

/// A weight quantisation.
#[derive(Clone, Debug, Serialize)]
pub struct Quant {
    pub id: String,
    pub bits_per_weight: Sourced,
    pub block_bits_per_weight: Option<f64>,
    pub notes: String,
    pub origin: Origin,
}

impl Quant {
    /// Unquantized floating point (F32, F16, BF16): 16 or more bits in every block. These
    /// run through float GEMMs, not the quantized-matmul kernels.
    pub fn is_float(&self) -> bool {
        self.block_bits_per_weight
            .unwrap_or(self.bits_per_weight.value)
            >= 16.0
    }
}

/// A KV cache element type.
#[derive(Clone, Debug, Serialize)]
pub struct KvType {
    pub id: String,
    pub bytes_per_element: Sourced,
    pub notes: String,
    pub origin: Origin,
}

/// Efficiency of a runtime relative to hardware peaks.
#[derive(Clone, Debug, Serialize)]
pub struct RuntimeProfile {
    pub runtime: Runtime,
    pub bandwidth_efficiency: Sourced,
    pub compute_efficiency: Sourced,
    pub attention_efficiency: Sourced,
    pub moe_prefill_factor: Sourced,
    pub moe_layer_overhead_us: Sourced,
    /// Rows (tokens) at which a prefill matmul reaches half its large-batch efficiency: a
    /// dense layer's micro-batch, or a MoE expert's share of it (see
    /// `speed::Hardware::batch_efficiency`).
    pub matmul_half_batch_tokens: Option<Sourced>,
    /// Fixed time each layer adds to a decoded token, microseconds.
    pub layer_overhead_us: Sourced,
    pub overhead_gb: Sourced,
    pub kv_read_efficiency: Sourced,
    /// Bytes one compute unit streams per clock in a batch-1 matrix-vector kernel: a decoded
    /// token's weights stream no faster than compute units x clock x this, however fast the
    /// memory (HBM GPUs at batch 1 issue loads too slowly to fill it). Applies to machines
    /// whose `gpu_arch` is in [`RuntimeProfile::compute_units`].
    pub batch1_bytes_per_unit_cycle: Sourced,
    /// Bytes moved per attention score (one query against one cached key) in prefill when
    /// flash attention is off: the scores are written to memory, the softmax reads and
    /// writes them, the values product reads them.
    pub unfused_attention_bytes_per_score: Sourced,
    /// Share of the float matmul path's peak (`float_matmul`) that unquantized weights'
    /// matmuls reach: a different library (cuBLAS) from the quantized kernels (MMQ).
    pub float_compute_efficiency: Sourced,
    /// The model width (hidden size) at which the weight matmuls reach half the efficiency
    /// of very wide ones: a width-w model's matmuls run at w / (w + this) of it. Narrow
    /// matrices give each tile a short reduction to amortise its fixed work over (loading
    /// and writing its output, scales, synchronisation). `None`: no such loss. Not fitted:
    /// the rows cannot tell it from the compute efficiency.
    pub matmul_half_width: Option<Sourced>,
    /// The attention head size whose matrix work per score takes as long as the score's
    /// softmax (a max, an exponential, a sum and a rescale on the vector units, which do
    /// not grow with the head size): attention runs at `d / (d + this)` of its matrix
    /// products' rate for heads of size `d`, so narrow heads (gpt-oss's 64) lose more to
    /// the softmax than wide ones (Llama's 128). `None`: the softmax is free. Not fitted.
    pub attention_softmax_head_dims: Option<Sourced>,
    /// The INT8 matrix operations per compute unit (an SM) per clock that the quantized
    /// matmul kernels can use, on the architectures [`RuntimeProfile::compute_units`]
    /// lists: an A100's or H100's SM does two or four times a GeForce SM's INT8 MMA per
    /// clock, but the kernels' tiles, tuned on GeForce cards, run no faster per unit clock.
    /// The quantized matmuls' peak is the lower of the machine's INT8 peak and units x clock
    /// x this. `None`: the machine's peak.
    pub quantized_unit_ops_per_clock: Option<Sourced>,
    /// Matrix FLOPs per compute unit per clock by GPU architecture (see
    /// [`ComputeUnitRate`]); empty where batch-1 issue rates are not modelled.
    pub compute_units: Vec<ComputeUnitRate>,
    /// Weight types multiplied on FP4 matrix units on some architectures.
    pub fp4_matmul: Option<Fp4Matmul>,
    /// Measured over predicted speed, the band-tail quantiles (2.5th and 97.5th
    /// percentile), leave-one-source-out, on rows whose machine other sources measured:
    /// the range for a machine with rows.
    pub decode_error_band: ErrorBand,
    pub prefill_error_band: ErrorBand,
    /// The same on rows whose machine, or whose case (runtime, test kind, dense or MoE,
    /// quantized or float weights), no other source measured: the wider range for a
    /// machine or case without published measurements ([`RangeBasis`]).
    pub decode_unmeasured_band: ErrorBand,
    pub prefill_unmeasured_band: ErrorBand,
    /// The matrix units quantized weights' matmuls run on (llama.cpp's MMQ kernels use
    /// INT8 tensor cores on CUDA).
    pub quantized_matmul: MatmulPath,
    /// The matrix units unquantized weights' matmuls run on.
    pub float_matmul: MatmulPath,
    pub matmul_source: String,
    /// The matrix units flash attention's scores (QK^T) and values (PV) products run on.
    pub attention_scores: MatmulPath,
    pub attention_values: MatmulPath,
    pub attention_source: String,
    /// Build options llama.cpp has since removed (rows built with one are superseded).
    pub retired_build_flags: Vec<RetiredBuildFlag>,
    /// Drivers their vendor has discontinued (rows run on one are superseded).
    pub retired_drivers: Vec<RetiredDriver>,
    /// Kernels llama.cpp has since replaced for some cases (rows of such a case measured
    /// before the change are superseded).
    pub replaced_kernels: Vec<ReplacedKernel>,
    /// Cases this runtime's predictions are known to miss.
    pub known_misses: Vec<KnownMiss>,
    /// The calibration prior, when the catalogue gives one.
    pub fit_prior: Option<FitPrior>,
    pub notes: String,
    pub origin: Origin,
}

/// Which peak a matmul runs against.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MatmulPath {
    /// FP16 inputs, FP32 accumulation: `Machine::fp16_tflops`.
    Fp16,
    /// FP16 inputs and accumulation: `Machine::fp16_acc16_tflops`, else `fp16_tflops`.
    Fp16Acc16,
    /// INT8 dot products: `Machine::int8_tops`, else `fp16_tflops`.
    Int8,
    /// FP4 matrix units: `Machine::fp4_tflops`, else the INT8 path's peak.
    Fp4,
}

impl MatmulPath {
    pub const ALL: &'static [(&'static str, MatmulPath)] = &[
        ("fp16", MatmulPath::Fp16),
        ("fp16-acc16", MatmulPath::Fp16Acc16),
        ("int8", MatmulPath::Int8),
        ("fp4", MatmulPath::Fp4),
    ];

    /// The peak of `machine` on this path, and the figure it comes from.
    pub fn peak(self, machine: &Machine) -> &Sourced {
        match self {
            MatmulPath::Fp16 => &machine.fp16_tflops,
            MatmulPath::Fp16Acc16 => machine
                .fp16_acc16_tflops
                .as_ref()
                .unwrap_or(&machine.fp16_tflops),
            MatmulPath::Int8 => machine.int8_tops.as_ref().unwrap_or(&machine.fp16_tflops),
            MatmulPath::Fp4 => machine
                .fp4_tflops
                .as_ref()
                .unwrap_or_else(|| MatmulPath::Int8.peak(machine)),
        }
    }
}

/// The band used where a runtime has no measured one: plus or minus a third, an assumption.
pub const ASSUMED_ERROR_BAND: ErrorBand = ErrorBand {
    low: 0.67,
    high: 1.33,
    rows: 0,
};

impl RuntimeProfile {
    /// The matrix path the weight matmuls of `quant` run on for `machine`: the FP4 path for
    /// the weight types and architectures [`RuntimeProfile::fp4_matmul`] lists, else the
    /// float or quantized path.
    pub fn weights_matmul(&self, machine: &Machine, quant: &Quant) -> MatmulPath {
        if quant.is_float() {
            return self.float_matmul;
        }
        let native_fp4 = self.fp4_matmul.as_ref().is_some_and(|f| {
            f.quants.contains(&quant.id)
                && machine
                    .gpu_arch
                    .as_deref()
                    .is_some_and(|a| f.gpu_archs.iter().any(|g| g == a))
        });
        if native_fp4 {
            MatmulPath::Fp4
        } else {
            self.quantized_matmul
        }
    }

    /// Compute units times clock per second of `machine` on this runtime, from its `fp16`
    /// peak and its architecture's FLOPs per unit per clock ([`ComputeUnitRate`]); `None`
    /// when the profile does not list the machine's architecture.
    pub fn unit_clocks_per_s(&self, machine: &Machine) -> Option<f64> {
        let rate = self.compute_unit(machine)?;
        (rate.fp16_flops_per_unit_clock > 0.0)
            .then(|| machine.fp16_tflops.value * 1e12 / rate.fp16_flops_per_unit_clock)
    }

    /// The profile's [`ComputeUnitRate`] for `machine`'s architecture, if it lists one.
    pub fn compute_unit(&self, machine: &Machine) -> Option<&ComputeUnitRate> {
        let arch = machine.gpu_arch.as_deref()?;
        self.compute_units.iter().find(|r| r.gpu_arch == arch)
    }

    /// The peak flash attention runs against on `machine`, TFLOPS: its two products do
    /// equal FLOPs, so the peak is the harmonic mean of their two paths' peaks.
    pub fn attention_peak_tflops(&self, machine: &Machine) -> f64 {
        let scores = self
            .attention_scores
            .peak(machine)
            .value
            .max(f64::MIN_POSITIVE);
        let values = self
            .attention_values
            .peak(machine)
            .value
            .max(f64::MIN_POSITIVE);
        2.0 / (1.0 / scores + 1.0 / values)
    }

    /// The band a prediction of `kind` stands for, on what `basis` says was measured: a
    /// machine or case without published measurements gets the wider band.
    pub fn band(&self, kind: TestKind, basis: RangeBasis) -> ErrorBand {
        match (kind, basis) {
            (TestKind::Prefill, RangeBasis::Measured) => self.prefill_error_band,
            (TestKind::Decode, RangeBasis::Measured) => self.decode_error_band,
            (TestKind::Prefill, _) => self.prefill_unmeasured_band,
            (TestKind::Decode, _) => self.decode_unmeasured_band,
        }
    }

    /// The factor a prediction of `kind` reaching `context` tokens is scaled by: its known
    /// miss's `correction`, or 1.
    pub fn miss_correction(
        &self,
        machine: &Machine,
        kind: TestKind,
        model: &Model,
        quant: &Quant,
        (context, flash_attention): (u64, bool),
    ) -> f64 {
        self.known_miss_with(machine, kind, model, quant, (context, flash_attention))
            .and_then(|m| m.correction)
            .filter(|c| c.is_finite() && *c > 0.0)
            .unwrap_or(1.0)
    }

    /// The first case of `known_misses` a prediction of `kind` on `machine` reaching
    /// `context` tokens falls in, with flash attention on (as headroom predicts).
    pub fn known_miss(
        &self,
        machine: &Machine,
        kind: TestKind,
        model: &Model,
        quant: &Quant,
        context: u64,
    ) -> Option<&KnownMiss> {
        self.known_miss_with(machine, kind, model, quant, (context, true))
    }

    /// [`RuntimeProfile::known_miss`] with flash attention on or off.
    pub fn known_miss_with(
        &self,
        machine: &Machine,
        kind: TestKind,
        model: &Model,
        quant: &Quant,
        case: (u64, bool),
    ) -> Option<&KnownMiss> {
        self.known_misses
            .iter()
            .find(|m| m.applies(machine, kind, model, quant, case))
    }

    /// The band of a prediction in a known miss: its measured spread joined with the band
    /// the basis gives (never narrower than that, and never excluding the prediction), or
    /// the widened band while the miss has no measured spread yet.
    pub fn band_with_miss(
        &self,
        kind: TestKind,
        basis: RangeBasis,
        miss: Option<&KnownMiss>,
    ) -> ErrorBand {
        let band = self.band(kind, basis);
        match miss {
            None => band,
            Some(miss) => {
                let wide = self.band(kind, RangeBasis::CaseUnmeasured);
                band.joined(miss.band.unwrap_or(wide))
            }
        }
    }

    /// The range a predicted speed stands for: (low, high) tokens/s.
    /// `miss` is the known miss the prediction falls in, if any.
    pub fn speed_range(
        &self,
        kind: TestKind,
        tokens_per_s: f64,
        basis: RangeBasis,
        miss: Option<&KnownMiss>,
    ) -> (f64, f64) {
        let band = self.band_with_miss(kind, basis, miss);
        (tokens_per_s * band.low, tokens_per_s * band.high)
    }

    /// The range of a predicted decode speed, never above `bound_tokens_per_s`, the
    /// physical ceiling (spec bandwidth over the bytes read per token): an error band wider
    /// than physics allows says nothing a user can act on.
    pub fn decode_range(
        &self,
        tokens_per_s: f64,
        bound_tokens_per_s: f64,
        basis: RangeBasis,
        miss: Option<&KnownMiss>,
    ) -> (f64, f64) {
        let (low, high) = self.speed_range(TestKind::Decode, tokens_per_s, basis, miss);
        let high = high.min(bound_tokens_per_s).max(tokens_per_s);
        (low.min(high), high)
    }
}

/// What the likely range of a prediction rests on: whether published measurements cover
/// the machine and the case. A front end says why a range is wide from this, e.g. "no
/// published measurement of this machine: range widened".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RangeBasis {
    /// The catalogue holds current measurements of this machine on this runtime and test
    /// kind: the runtime's error band.
    #[default]
    Measured,
    /// No published measurement of this machine on this runtime and test kind: the
    /// runtime's wider `*_unmeasured_band`.
    MachineUnmeasured,
    /// No published measurement of this case on this runtime on any machine (test kind,
    /// dense or MoE, quantized or float weights): the wider band too.
    CaseUnmeasured,
}

impl RangeBasis {
    /// Whether the range was widened for want of measurements.
    pub fn widened(self) -> bool {
        self != RangeBasis::Measured
    }
}

/// The case classes a prediction's range depends on (see [`RangeBasis`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
pub struct CaseClass {
    pub runtime: Runtime,
    pub kind: TestKind,
    pub moe: bool,
    pub float: bool,
}

/// Which machines and cases the current published rows measure, so a range can say what it
/// rests on ([`RangeBasis`]). Built from the rows (`calibrate::measured_cases`).
#[derive(Clone, Debug, Default, Serialize)]
pub struct MeasuredCases {
    /// (machine id, runtime, test kind), sorted, each once: a ranking asks per option, so
    /// the lookup is a binary search.
    pub machines: Vec<(String, Runtime, TestKind)>,
    /// Case classes measured on any machine.
    pub classes: Vec<CaseClass>,
}

impl MeasuredCases {
    /// What a prediction of `class` on `machine` rests on.
    pub fn basis(&self, machine: &str, class: CaseClass) -> RangeBasis {
        if !self.classes.contains(&class) {
            RangeBasis::CaseUnmeasured
        } else if self
            .machines
            .binary_search_by(|(m, r, k)| {
                (m.as_str(), *r, *k).cmp(&(machine, class.runtime, class.kind))
            })
            .is_ok()
        {
            RangeBasis::Measured
        } else {
            RangeBasis::MachineUnmeasured
        }
    }
}

/// A validated workload mix; its tasks refer to catalogue entries by index.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Workload {
    pub id: String,
    pub name: String,
    pub description: String,
    pub models_resident_together: bool,
    pub min_decode_tokens_per_s: Option<f64>,
    pub tasks: Vec<Task>,
    pub sources: Vec<String>,
    /// Users or agents served at once (llama.cpp `-np N`, Ollama `OLLAMA_NUM_PARALLEL`):
    /// each holds its own KV cache, and their decodes share each step's weight reads.
    #[serde(default = "one")]
    pub parallel: u32,
    /// Hours per day the requests arrive in (a working day, or all 24): the request rate
    /// behind the queueing estimate. `None`: spread over the whole day.
    #[serde(default)]
    pub active_hours_per_day: Option<f64>,
}

fn one() -> u32 {
    1
}

/// The most users or agents at once a workload may have (the catalogue refuses more; a
/// saved scenario or an edited mix is held to it here, so no count can stall a ranking).
pub const MAX_USERS_AT_ONCE: u32 = 1024;

impl Workload {
    /// Users or agents at once, from 1 to [`MAX_USERS_AT_ONCE`].
    pub fn slots(&self) -> u32 {
        self.parallel.clamp(1, MAX_USERS_AT_ONCE)
    }

    /// Hours per day the requests arrive in, within (0, 24].
    pub fn active_hours(&self) -> f64 {
        self.active_hours_per_day
            .filter(|h| h.is_finite() && *h > 0.0)
            .map_or(24.0, |h| h.min(24.0))
    }
}

/// A task that runs as a session of turns on one growing context, as a coding agent does:
/// the first turn sends the whole prompt; each later turn adds new tokens (tool results, the
/// user's next message) to the context the previous turns left.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq)]
pub struct Session {
    /// Requests per session, the first included.
    pub turns: u32,
    /// Prompt tokens each later turn adds.
    pub new_tokens_per_turn: u64,
    /// The runtime keeps the previous turn's KV cache, so a later turn prefills only its new
    /// tokens. llama.cpp's server and Ollama reuse a slot's cache when the prompt starts with
    /// the tokens already in it (the agent appends, the prefix is unchanged); `false` when the
    /// client rewrites the prefix (a changing system prompt, history summarised) or the
    /// cache is evicted between turns, and every turn prefills the whole context again.
    #[serde(default = "yes")]
    pub cache_survives: bool,
}

impl Session {
    /// Turns per session, at least one.
    pub fn turn_count(&self) -> u32 {
        self.turns.max(1)
    }
}

/// One kind of request of a mix.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Task {
    pub name: String,
    /// Share of requests, 0..=1.
    pub share: f64,
    pub prompt_tokens: u64,
    /// Tokens already in the KV cache when the request arrives (prompt caching).
    pub cached_tokens: u64,
    pub output_tokens: u64,
    /// Must stay on the machine.
    pub private: bool,
    pub timeout_secs: f64,
    pub model: String,
    pub quant: String,
    pub kv_type: String,
    pub context_tokens: Option<u64>,
    pub requests_per_day: f64,
    /// The longest wait the user accepts for one request (to the first token when the
    /// client streams, else for the whole answer): a requirement. `None`: no limit beyond
    /// the decode target. Unlike `timeout_secs`, which is a client setting that can be
    /// raised at no cost, this is what the user actually needs.
    #[serde(default)]
    pub max_wait_secs: Option<f64>,
    /// The client streams the answer, so its timeout covers the time to the first token;
    /// a client that does not stream waits for the whole answer.
    #[serde(default = "yes")]
    pub streaming: bool,
    /// The task runs as a session of turns on one growing context; `None`: each request
    /// arrives alone and cold. `prompt_tokens` is then the first turn's prompt and
    /// `output_tokens` each turn's output; `share` and `requests_per_day` count turns.
    #[serde(default)]
    pub session: Option<Session>,
}

fn yes() -> bool {
    true
}

impl Task {
    /// Tokens the request occupies in the KV cache when it finishes: for a session, when its
    /// last turn finishes.
    pub fn needed_context_tokens(&self) -> u64 {
        let first = self
            .cached_tokens
            .saturating_add(self.prompt_tokens)
            .saturating_add(self.output_tokens);
        match self.session {
            Some(s) => first.saturating_add(
                u64::from(s.turn_count() - 1)
                    .saturating_mul(s.new_tokens_per_turn.saturating_add(self.output_tokens)),
            ),
            None => first,
        }
    }

    /// Tokens in the context before `turn` (1-based) starts: the cached prefix, then each
    /// earlier turn's prompt and output. Fractional turns interpolate (for integration).
    pub fn context_before_turn(&self, turn: f64) -> f64 {
        let base = self.cached_tokens as f64;
        if turn <= 1.0 {
            return base;
        }
        let (new, out) = (
            self.session.map_or(0, |s| s.new_tokens_per_turn) as f64,
            self.output_tokens as f64,
        );
        base + self.prompt_tokens as f64 + (turn - 1.0) * out + (turn - 2.0) * new
    }

    /// Input tokens a client sends with `turn` (1-based): the whole context so far and the
    /// turn's new tokens. A cloud API bills all of them.
    pub fn turn_input_tokens(&self, turn: f64) -> f64 {
        if turn <= 1.0 {
            return (self.cached_tokens + self.prompt_tokens) as f64;
        }
        let new = self.session.map_or(0, |s| s.new_tokens_per_turn) as f64;
        self.context_before_turn(turn) + new
    }

    /// Turns per session; 1 for a task without one.
    pub fn turns(&self) -> u32 {
        self.session.map_or(1, |s| s.turn_count())
    }

    /// Mean input tokens per request over a session (exact: input grows linearly by turn).
    pub fn mean_input_tokens(&self) -> f64 {
        let n = f64::from(self.turns());
        if n <= 1.0 {
            return self.turn_input_tokens(1.0);
        }
        let warm = (self.turn_input_tokens(2.0) + self.turn_input_tokens(n)) / 2.0;
        (self.turn_input_tokens(1.0) + (n - 1.0) * warm) / n
    }

    /// The largest input of any request of the task: the last turn of a session.
    pub fn max_input_tokens(&self) -> f64 {
        self.turn_input_tokens(f64::from(self.turns()))
            .max(self.turn_input_tokens(1.0))
    }

    /// Context the runtime allocates for this task's model.
    pub fn allocated_context_tokens(&self) -> u64 {
        self.context_tokens
            .unwrap_or(0)
            .max(self.needed_context_tokens())
    }
}

/// A cloud alternative for non-private tasks.
#[derive(Clone, Debug, Serialize)]
pub struct CloudOffer {
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
    pub free_tier: Option<String>,
    pub sources: Vec<String>,
    pub notes: String,
    pub origin: Origin,
}

/// What a llama-bench test measured.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum TestKind {
    /// Prompt processing of `n` tokens (`ppN`).
    Prefill,
    /// Token generation of `n` tokens (`tgN`).
    Decode,
}

/// A published measurement.
#[derive(Clone, Debug, Serialize)]
pub struct Benchmark {
    pub machine: String,
    pub runtime: Runtime,
    pub model: String,
    pub quant: String,
    pub kind: TestKind,
    pub tokens: u64,
    pub depth: u64,
    pub tokens_per_s: f64,
    pub build: Option<String>,
    pub date: Option<String>,
    pub flash_attention: Option<bool>,
    /// Tokens per micro-batch the run used.
    pub ubatch: u64,
    /// CMake options the build used beyond its backend's defaults.
    pub build_flags: Vec<String>,
    /// The GPU driver the run used, where the source names it and the runtime has several
    /// on the same system (Vulkan on Linux with AMD GPUs: `radv` or `amdvlk`).
    pub driver: Option<String>,
    pub source: String,
    pub notes: String,
    pub origin: Origin,
}

/// A draft model that pairs with a target for speculative decoding (same tokenizer), with
/// the acceptance rate published for one kind of text.
#[derive(Clone, Debug, Serialize)]
pub struct DraftPairing {
    pub target: String,
    pub draft: String,
    pub draft_quant: String,
    /// Tokens drafted per step at most (`--draft-max`).
    pub draft_max: u32,
    /// Accepted draft tokens over drafted tokens.
    pub acceptance_rate: Sourced,
    /// The text the rate was measured on: code, chat or other.
    pub task: String,
    pub notes: String,
    pub origin: Origin,
}

/// What a serving measurement measured beyond one cold request.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub enum ServingCase {
    /// Several sequences decoding at once (`llama-batched-bench`, `-np N`).
    Parallel {
        users: u32,
        prompt_tokens: u64,
        output_tokens: u64,
        per_user_decode_tokens_per_s: Option<f64>,
        aggregate_decode_tokens_per_s: Option<f64>,
    },
    /// Decoding with a draft model.
    Speculative {
        draft_model: String,
        draft_quant: String,
        draft_max: Option<u32>,
        acceptance_rate: Option<f64>,
        task: String,
        baseline_decode_tokens_per_s: f64,
        speculative_decode_tokens_per_s: f64,
    },
    /// A mixture of experts with expert tensors in system RAM (`--n-cpu-moe`, `-ot exps=CPU`).
    ExpertOffload {
        setting: String,
        cpu_moe_layers: Option<u32>,
        host_ram: String,
        host_ram_gb_per_s: Option<f64>,
        prompt_tokens: Option<u64>,
        decode_tokens_per_s: Option<f64>,
        prefill_tokens_per_s: Option<f64>,
    },
}

/// A published measurement of a serving case (several users, a draft model, expert offload).
#[derive(Clone, Debug, Serialize)]
pub struct ServingBenchmark {
    pub machine: String,
    pub runtime: Runtime,
    pub model: String,
    pub quant: String,
    pub source: String,
    pub date: Option<String>,
    pub build: Option<String>,
    pub notes: String,
    pub case: ServingCase,
    pub origin: Origin,
}

/// The whole validated catalogue.
#[derive(Clone, Debug, Default, Serialize)]
pub struct Catalog {
    pub machines: Vec<Machine>,
    pub models: Vec<Model>,
    pub quants: Vec<Quant>,
    pub kv_types: Vec<KvType>,
    pub runtimes: Vec<RuntimeProfile>,
    pub workloads: Vec<Workload>,
    pub cloud: Vec<CloudOffer>,
    pub benchmarks: Vec<Benchmark>,
    /// Draft models for speculative decoding.
    pub drafts: Vec<DraftPairing>,
    /// Published measurements of several users, draft models and expert offload.
    pub serving_benchmarks: Vec<ServingBenchmark>,
    /// Corrections from the user's own llama-bench runs (see `calibrate::user_corrections`).
    pub corrections: Vec<Correction>,
    /// The machines and cases the current rows measure (see `calibrate::measured_cases`).
    pub measured: MeasuredCases,
}

/// Measured over predicted speed on one machine and runtime, from the user's own runs.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Correction {
    pub machine: String,
    pub runtime: Runtime,
    pub kind: TestKind,
    /// Multiply predicted tokens/s by this.
    pub factor: f64,
    pub rows: usize,
}

impl Catalog {
    /// The correction for a machine, runtime and test kind, if the user has runs there.
    pub fn correction(
        &self,
        machine: &str,
        runtime: Runtime,
        kind: TestKind,
    ) -> Option<&Correction> {
        self.corrections
            .iter()
            .find(|c| c.machine == machine && c.runtime == runtime && c.kind == kind)
    }
}

impl Catalog {
    /// Machine by id.
    pub fn machine(&self, id: &str) -> Option<&Machine> {
        self.machines.iter().find(|m| m.id == id)
    }
    /// Model by id.
    pub fn model(&self, id: &str) -> Option<&Model> {
        self.models.iter().find(|m| m.id == id)
    }
    /// Quant by id.
    pub fn quant(&self, id: &str) -> Option<&Quant> {
        self.quants.iter().find(|q| q.id == id)
    }
    /// KV type by id.
    pub fn kv_type(&self, id: &str) -> Option<&KvType> {
        self.kv_types.iter().find(|k| k.id == id)
    }
    /// Runtime profile.
    pub fn runtime(&self, runtime: Runtime) -> Option<&RuntimeProfile> {
        self.runtimes.iter().find(|r| r.runtime == runtime)
    }
    /// What the likely range of `model` with `quant` on `machine` rests on (see
    /// [`RangeBasis`]).
    pub fn range_basis(
        &self,
        machine: &str,
        runtime: Runtime,
        kind: TestKind,
        model: &Model,
        quant: &Quant,
    ) -> RangeBasis {
        let class = CaseClass {
            runtime,
            kind,
            moe: model.moe.is_some(),
            float: quant.is_float(),
        };
        self.measured.basis(machine, class)
    }
    /// Ids of the machines with published measurements, sorted, each once.
    pub fn benchmarked_machines(&self) -> Vec<&str> {
        let mut machines: Vec<&str> = self.benchmarks.iter().map(|b| b.machine.as_str()).collect();
        machines.sort_unstable();
        machines.dedup();
        machines
    }
    /// Workload by id.
    pub fn workload(&self, id: &str) -> Option<&Workload> {
        self.workloads.iter().find(|w| w.id == id)
    }
}

/// Whether a source string marks an estimate or assumption rather than a citation.
pub fn is_estimate(source: &str) -> bool {
    !(source.starts_with("http://") || source.starts_with("https://"))
}
