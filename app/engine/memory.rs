//! Memory: weights, KV cache, compute buffers and runtime overhead against the memory the
//! accelerator may use; placement across devices and the largest context that fits.

use serde::Serialize;

use super::types::{
    Attention, Embeddings, KvType, Machine, MemoryKind, Model, Quant, Runtime, RuntimeProfile, GIB,
};

/// llama.cpp's default physical batch (`-ub 512`): prefill runs in chunks of this many tokens,
/// and the compute buffers are sized for it.
pub const UBATCH_TOKENS: u64 = 512;

/// Bytes of one f32 activation; llama.cpp keeps logits and most activations in f32.
const F32_BYTES: f64 = 4.0;

/// Bytes of one f16 value of the attention mask, which spans the ubatch times the context.
const F16_BYTES: f64 = 2.0;

/// Activations alive at once per token in a layer's compute graph, in units of the hidden size.
/// An estimate of llama.cpp's graph allocator peak; it is a few hundred MB at most.
const ACTIVATION_HIDDEN_MULTIPLE: f64 = 8.0;

/// A model at a quantisation with a KV cache type: what a runtime loads.
#[derive(Clone, Copy, Debug)]
pub struct LoadedModel<'a> {
    pub model: &'a Model,
    pub quant: &'a Quant,
    pub kv: &'a KvType,
}

impl LoadedModel<'_> {
    /// Bytes of all weights: a published GGUF size when the catalogue has one, else
    /// parameters times the quant's effective bits per weight.
    pub fn weights_bytes(&self) -> f64 {
        if let Some(file) = self
            .model
            .gguf_files
            .iter()
            .find(|f| f.quant == self.quant.id)
        {
            return file.bytes as f64;
        }
        self.model.params_total_b * 1e9 * self.quant.bits_per_weight.value / 8.0
    }

    /// Parameters of the input token-embedding table that a token does not stream: one row
    /// is looked up, the rest is never read. Zero when the table is also the output head
    /// (tied), which multiplies by all of it.
    fn unread_embedding_params(&self) -> f64 {
        let m = self.model;
        match m.embeddings {
            Embeddings::Tied => 0.0,
            Embeddings::Untied | Embeddings::UntiedOutsideActive => {
                f64::from(m.vocab_size) * f64::from(m.hidden_size)
            }
        }
    }

    /// Active parameters that take part in matmuls: the published active count less an
    /// input embedding table it includes.
    fn multiplied_params(&self) -> f64 {
        let m = self.model;
        let active = m.params_active_b * 1e9;
        match m.embeddings {
            Embeddings::Untied => (active - self.unread_embedding_params()).max(0.0),
            Embeddings::Tied | Embeddings::UntiedOutsideActive => active,
        }
    }

    /// Bytes of weights read for one decoded token: every tensor but the input embedding
    /// table for a dense model; for a mixture of experts, the always-read tensors and the
    /// routed experts' share.
    pub fn active_weights_bytes(&self) -> f64 {
        let (always, routed) = self.active_weights_split();
        always + routed
    }

    /// [`Self::active_weights_bytes`] in two parts: the bytes every token reads (all of a
    /// dense model's), and the routed experts' bytes a token reads (zero for a dense model).
    pub fn active_weights_split(&self) -> (f64, f64) {
        let m = self.model;
        let file = self.weights_bytes();
        let total = (m.params_total_b * 1e9).max(f64::MIN_POSITIVE);
        let read = self.multiplied_params();
        let proportional = file * (read / total).clamp(0.0, 1.0);
        let Some(moe) = m.moe else {
            return (proportional, 0.0);
        };
        let routed = f64::from(moe.experts_per_token) / f64::from(moe.experts.max(1));
        if routed >= 1.0 {
            return (proportional, 0.0);
        }
        // Routed-expert parameters X, the input embedding E when the token does not stream
        // it, and the always-read rest D (attention, norms, shared experts, output head):
        // total = D + E + X and read = D + X * routed. Every token reads all of D and its
        // experts' share of X; the two can be stored at different widths (gpt-oss keeps
        // experts in MXFP4 and the rest at 8 bits or more), so a byte split in proportion to
        // parameters would undercount what a token reads.
        let unread = self.unread_embedding_params();
        let experts = ((total - unread - read) / (1.0 - routed)).clamp(0.0, total);
        let bits = moe
            .expert_bits_per_weight
            .unwrap_or(self.quant.bits_per_weight.value);
        let expert_bytes = (experts * bits / 8.0).min(file);
        // D and E share the non-expert bytes at one average width.
        let rest_params = (total - experts).max(f64::MIN_POSITIVE);
        let always_read = (read - experts * routed).max(0.0);
        let rest_bytes = (file - expert_bytes) * (always_read / rest_params).clamp(0.0, 1.0);
        (rest_bytes, expert_bytes * routed)
    }

    /// Bytes of all routed experts (what expert offload can move to system RAM): the
    /// routed bytes a token reads over the share of experts it routes to; 0 when dense.
    pub fn routed_expert_bytes(&self) -> f64 {
        let Some(moe) = self.model.moe else {
            return 0.0;
        };
        let routed = f64::from(moe.experts_per_token) / f64::from(moe.experts.max(1));
        if routed >= 1.0 || routed <= 0.0 {
            return 0.0;
        }
        (self.active_weights_split().1 / routed).min(self.weights_bytes())
    }

    /// Bytes the KV cache holds for `context_tokens` tokens.
    pub fn kv_cache_bytes(&self, context_tokens: u64) -> f64 {
        let m = self.model;
        let bytes_per_element = self.kv.bytes_per_element.value;
        let per_layer_per_token = 2.0 * f64::from(m.kv_heads) * f64::from(m.head_dim);
        let ctx = context_tokens as f64;
        let elements = match m.attention {
            Attention::Full => per_layer_per_token * f64::from(m.layers) * ctx,
            Attention::SlidingWindow {
                window,
                sliding_layers,
            } => {
                let sliding = sliding_layers.min(m.layers);
                let full = m.layers - sliding;
                per_layer_per_token
                    * (f64::from(full) * ctx + f64::from(sliding) * ctx.min(window as f64))
            }
            Attention::Mla {
                kv_lora_rank,
                rope_head_dim,
            } => f64::from(m.layers) * f64::from(kv_lora_rank + rope_head_dim) * ctx,
            Attention::Hybrid {
                linear_layers,
                state_bytes_per_layer,
            } => {
                let linear = linear_layers.min(m.layers);
                let attn = m.layers - linear;
                // The linear layers' state is a fixed size, not elements of the KV type.
                return per_layer_per_token * f64::from(attn) * ctx * bytes_per_element
                    + f64::from(linear) * state_bytes_per_layer as f64;
            }
        };
        elements * bytes_per_element
    }

    /// Compute buffer of one device for a context allocation: logits and activations of one
    /// ubatch, plus the attention mask over the context. An estimate.
    pub fn compute_buffer_bytes(&self, context_tokens: u64) -> f64 {
        let ub = UBATCH_TOKENS as f64;
        let m = self.model;
        ub * F32_BYTES
            * (f64::from(m.vocab_size) + ACTIVATION_HIDDEN_MULTIPLE * f64::from(m.hidden_size))
            + ub * context_tokens as f64 * F16_BYTES
    }

    /// FLOPs of the weight matmuls for one token: two per active parameter that multiplies
    /// (the input embedding is a lookup).
    pub fn weight_flops_per_token(&self) -> f64 {
        2.0 * self.multiplied_params()
    }

    /// FLOPs of attention (QK^T and AV) for one token attending over `depth` earlier tokens.
    pub fn attention_flops_per_token(&self, depth: f64) -> f64 {
        let m = self.model;
        let per_layer = 4.0 * f64::from(m.attention_heads) * f64::from(m.head_dim);
        let depth = depth.max(0.0);
        match m.attention {
            Attention::Full | Attention::Mla { .. } => per_layer * f64::from(m.layers) * depth,
            Attention::SlidingWindow {
                window,
                sliding_layers,
            } => {
                let sliding = sliding_layers.min(m.layers);
                let full = m.layers - sliding;
                per_layer
                    * (f64::from(full) * depth + f64::from(sliding) * depth.min(window as f64))
            }
            Attention::Hybrid { linear_layers, .. } => {
                per_layer * f64::from(m.layers - linear_layers.min(m.layers)) * depth
            }
        }
    }
}

/// Where the model ends up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Placement {
    /// Everything on the accelerator(s).
    Accelerator,
    /// Some layers in system RAM, run at its bandwidth.
    PartialOffload {
        layers_offloaded: u32,
        layers_total: u32,
    },
    /// A mixture of experts with the routed experts of some layers in system RAM, run by the
    /// CPU, and everything else (attention, shared tensors, the KV cache) on the accelerator:
    /// llama.cpp's `--n-cpu-moe N`.
    ExpertOffload {
        expert_layers_on_cpu: u32,
        layers_total: u32,
    },
    /// Neither the accelerator nor system RAM can hold it.
    DoesNotFit,
}

impl Placement {
    /// The JSON spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Placement::Accelerator => "accelerator",
            Placement::PartialOffload { .. } => "partial-offload",
            Placement::ExpertOffload { .. } => "expert-offload",
            Placement::DoesNotFit => "does-not-fit",
        }
    }
}

/// One device's share.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct DeviceShare {
    pub weights_bytes: f64,
    pub kv_cache_bytes: f64,
    pub overhead_bytes: f64,
    pub usable_bytes: f64,
}

/// The memory verdict for a set of models at their context allocations on a machine.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct MemoryPlan {
    pub weights_bytes: f64,
    pub kv_cache_bytes: f64,
    /// Compute buffers plus the runtime's own memory, over all devices.
    pub overhead_bytes: f64,
    pub total_bytes: f64,
    /// Accelerator-usable bytes over all devices, with the setting in effect.
    pub usable_bytes: f64,
    /// `usable_bytes - total_bytes`; negative when it does not fit on the accelerator.
    pub headroom_bytes: f64,
    /// Physical memory over all devices.
    pub installed_bytes: f64,
    pub placement: Placement,
    /// The machine's setting had to be changed for the model to fit (the default share is too small).
    pub needs_setting: bool,
    /// Share of weights and cache that lives in system RAM (whole layers offloaded).
    pub offloaded_share: f64,
    /// Share of the routed experts' bytes that lives in system RAM (expert offload).
    #[serde(default)]
    pub expert_offload_share: f64,
    pub devices: Vec<DeviceShare>,
}

impl MemoryPlan {
    /// Whether the model runs at all on this machine.
    pub fn fits(&self) -> bool {
        self.placement != Placement::DoesNotFit
    }
}

/// Accelerator-usable bytes of one device under the default setting, and with the setting
/// changed (when the machine has such a setting).
pub fn usable_bytes_per_device(machine: &Machine, per_device_gb: f64) -> (f64, Option<f64>) {
    let installed = per_device_gb * GIB;
    let default = installed
        * machine
            .accelerator_memory
            .default_share
            .value
            .clamp(0.0, 1.0);
    let tuned = machine
        .accelerator_memory
        .tuned_reserve_gb
        .as_ref()
        .map(|reserve| (installed - reserve.value * GIB).max(default));
    (default, tuned)
}

/// The share of RAM a model may fill when the CPU runs it or layers are offloaded to it:
/// the operating system and the rest of the process need part of RAM; keep a quarter free.
const RAM_USABLE_SHARE: f64 = 0.75;

/// Bytes of RAM the CPU runtime may fill on `machine` (`Machine::cpu_side`); 0 when the
/// catalogue does not say how much RAM the machine has.
pub fn cpu_usable_bytes(machine: &Machine, per_device_gb: f64) -> f64 {
    machine
        .cpu_side(per_device_gb)
        .ram_gb
        .unwrap_or(0.0)
        .max(0.0)
        * GIB
        * RAM_USABLE_SHARE
}

/// Plans memory for `models` (each with its context allocation) loaded together.
pub fn plan(
    machine: &Machine,
    per_device_gb: f64,
    profile: &RuntimeProfile,
    models: &[(LoadedModel<'_>, u64)],
) -> MemoryPlan {
    plan_for_slots(machine, per_device_gb, profile, models, 1)
}

/// Plans memory for `models` served to `slots` users at once: each slot holds its own KV
/// cache at the model's context allocation (Ollama multiplies `num_ctx` by
/// `OLLAMA_NUM_PARALLEL`; llama.cpp's `-np N` needs `-c` times N for every slot to keep the
/// full context), while the weights are loaded once.
pub fn plan_for_slots(
    machine: &Machine,
    per_device_gb: f64,
    profile: &RuntimeProfile,
    models: &[(LoadedModel<'_>, u64)],
    slots: u32,
) -> MemoryPlan {
    let footprint = |profile: &RuntimeProfile, models: &[(LoadedModel<'_>, u64)]| {
        let (weights, kv, overhead) = footprint(profile, models);
        (weights, kv * f64::from(slots.max(1)), overhead)
    };
    if profile.runtime == Runtime::Cpu {
        let (weights, kv, overhead) = footprint(profile, models);
        return plan_on_cpu(machine, per_device_gb, weights, kv, overhead);
    }
    let devices = machine.device_count.max(1);
    // Every device holds its own runtime context and compute buffers.
    let (weights, kv, overhead_per_device) = footprint(profile, models);
    let overhead = overhead_per_device * f64::from(devices);
    let total = weights + kv + overhead;
    let (default_usable, tuned_usable) = usable_bytes_per_device(machine, per_device_gb);
    let installed = per_device_gb * GIB * f64::from(devices);
    let layers_total: u32 = models
        .iter()
        .map(|(m, _)| m.model.layers)
        .max()
        .unwrap_or(1);

    let fits_with = |usable_per_device: f64| {
        (weights + kv) / f64::from(devices) + overhead_per_device <= usable_per_device
    };
    let mut expert_share = 0.0;
    let (usable_per_device, needs_setting, placement, offloaded_share) =
        if fits_with(default_usable) {
            (default_usable, false, Placement::Accelerator, 0.0)
        } else if let Some(tuned) = tuned_usable.filter(|t| fits_with(*t)) {
            (tuned, true, Placement::Accelerator, 0.0)
        } else if let Some((layers, share)) = expert_offload(
            machine,
            models,
            weights + kv + overhead,
            tuned_usable.unwrap_or(default_usable) * f64::from(devices),
        ) {
            expert_share = share;
            (
                tuned_usable.unwrap_or(default_usable),
                tuned_usable.is_some(),
                Placement::ExpertOffload {
                    expert_layers_on_cpu: layers,
                    layers_total,
                },
                0.0,
            )
        } else {
            let usable = tuned_usable.unwrap_or(default_usable);
            let offload =
                offload_share(machine, weights + kv, overhead, usable * f64::from(devices));
            match offload {
                Some(share) => {
                    let layers =
                        ((share * f64::from(layers_total)).ceil() as u32).clamp(1, layers_total);
                    (
                        usable,
                        tuned_usable.is_some(),
                        Placement::PartialOffload {
                            layers_offloaded: layers,
                            layers_total,
                        },
                        f64::from(layers) / f64::from(layers_total),
                    )
                }
                None => (usable, false, Placement::DoesNotFit, 0.0),
            }
        };
    let on_devices = 1.0 - offloaded_share;
    let experts_in_ram = models
        .first()
        .map_or(0.0, |(m, _)| m.routed_expert_bytes() * expert_share);
    let device = DeviceShare {
        weights_bytes: (weights * on_devices - experts_in_ram) / f64::from(devices),
        kv_cache_bytes: kv * on_devices / f64::from(devices),
        overhead_bytes: overhead_per_device,
        usable_bytes: usable_per_device,
    };
    let usable = usable_per_device * f64::from(devices);
    MemoryPlan {
        weights_bytes: weights,
        kv_cache_bytes: kv,
        overhead_bytes: overhead,
        total_bytes: total,
        usable_bytes: usable,
        headroom_bytes: usable - total,
        installed_bytes: installed,
        placement,
        needs_setting,
        offloaded_share,
        expert_offload_share: expert_share,
        devices: vec![device; devices as usize],
    }
}

/// Weights, KV cache and the overhead one device holds (the largest compute buffer plus the
/// runtime's own), for `models` at their context allocations.
fn footprint(profile: &RuntimeProfile, models: &[(LoadedModel<'_>, u64)]) -> (f64, f64, f64) {
    let weights: f64 = models.iter().map(|(m, _)| m.weights_bytes()).sum();
    let kv: f64 = models.iter().map(|(m, c)| m.kv_cache_bytes(*c)).sum();
    let compute: f64 = models
        .iter()
        .map(|(m, c)| m.compute_buffer_bytes(*c))
        .fold(0.0, f64::max);
    (weights, kv, compute + profile.overhead_gb.value * GIB)
}

/// The CPU runtime's plan: everything in RAM, one device, no setting and no offload;
/// `Placement::Accelerator` then means "all on the device the runtime uses", the CPU.
fn plan_on_cpu(
    machine: &Machine,
    per_device_gb: f64,
    weights: f64,
    kv: f64,
    overhead: f64,
) -> MemoryPlan {
    let total = weights + kv + overhead;
    let usable = cpu_usable_bytes(machine, per_device_gb);
    let placement = if total <= usable {
        Placement::Accelerator
    } else {
        Placement::DoesNotFit
    };
    MemoryPlan {
        weights_bytes: weights,
        kv_cache_bytes: kv,
        overhead_bytes: overhead,
        total_bytes: total,
        usable_bytes: usable,
        headroom_bytes: usable - total,
        installed_bytes: machine.cpu_side(per_device_gb).ram_gb.unwrap_or(0.0) * GIB,
        placement,
        needs_setting: false,
        offloaded_share: 0.0,
        expert_offload_share: 0.0,
        devices: vec![DeviceShare {
            weights_bytes: weights,
            kv_cache_bytes: kv,
            overhead_bytes: overhead,
            usable_bytes: usable,
        }],
    }
}

/// Expert offload for a single mixture of experts on a discrete accelerator: the fewest
/// layers whose routed experts, moved to system RAM, leave `total` bytes (weights, cache,
/// overhead) within `usable`; the layers and the share of expert bytes moved. `None` for a
/// dense model, several models, unified memory, or when even every layer's experts in RAM
/// leave too much on the accelerator or overfill RAM.
fn expert_offload(
    machine: &Machine,
    models: &[(LoadedModel<'_>, u64)],
    total: f64,
    usable: f64,
) -> Option<(u32, f64)> {
    let [(model, _)] = models else {
        return None;
    };
    model.model.moe?;
    if machine.memory_kind != MemoryKind::Discrete {
        return None;
    }
    let experts = model.routed_expert_bytes();
    let layers = model.model.layers.max(1);
    if experts <= 0.0 {
        return None;
    }
    let excess = total - usable;
    if excess <= 0.0 {
        return None;
    }
    let per_layer = experts / f64::from(layers);
    let moved = (excess / per_layer).ceil();
    if moved > f64::from(layers) {
        return None;
    }
    let n = moved.max(1.0) as u32;
    let share = f64::from(n) / f64::from(layers);
    let ram = machine.system_ram_gb? * GIB * RAM_USABLE_SHARE;
    (experts * share <= ram).then_some((n, share))
}

/// Share of weights and cache that must go to system RAM for the rest to fit the
/// accelerator, or `None` when that is impossible (unified memory, or RAM too small).
fn offload_share(machine: &Machine, payload: f64, overhead: f64, usable: f64) -> Option<f64> {
    if machine.memory_kind != MemoryKind::Discrete || payload <= 0.0 {
        return None;
    }
    let ram = machine.system_ram_gb? * GIB;
    let room = (usable - overhead).max(0.0);
    let share = (1.0 - room / payload).clamp(0.0, 1.0);
    let ram_usable = ram * RAM_USABLE_SHARE;
    (share * payload <= ram_usable && share < 1.0).then_some(share)
}

/// The largest context (tokens, capped at `cap_tokens`) at which `model` fits on the
/// accelerator alone, under the default setting (`tuned = false`) or with it changed.
pub fn max_context_tokens(
    machine: &Machine,
    per_device_gb: f64,
    profile: &RuntimeProfile,
    model: LoadedModel<'_>,
    cap_tokens: u64,
    tuned: bool,
) -> u64 {
    let on_cpu = profile.runtime == Runtime::Cpu;
    let devices = if on_cpu {
        1.0
    } else {
        f64::from(machine.device_count.max(1))
    };
    let (default_usable, tuned_usable) = usable_bytes_per_device(machine, per_device_gb);
    let usable = if on_cpu {
        cpu_usable_bytes(machine, per_device_gb)
    } else if tuned {
        tuned_usable.unwrap_or(default_usable)
    } else {
        default_usable
    };
    let fits = |ctx: u64| {
        let need = (model.weights_bytes() + model.kv_cache_bytes(ctx)) / devices
            + model.compute_buffer_bytes(ctx)
            + profile.overhead_gb.value * GIB;
        need <= usable
    };
    if !fits(0) {
        return 0;
    }
    if fits(cap_tokens) {
        return cap_tokens;
    }
    // Memory grows monotonically with context, so bisect.
    let (mut lo, mut hi) = (0u64, cap_tokens);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}
