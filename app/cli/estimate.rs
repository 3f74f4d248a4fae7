//! `estimate`: one machine, one model, one request, with every number the engine used.

use super::*;

/// The `estimate` answer; its JSON keys are a stable interface.
#[derive(Debug, Serialize)]
pub struct Estimate {
    pub machine: String,
    pub memory_gb: f64,
    pub runtime: Runtime,
    pub model: String,
    pub quant: String,
    pub kv_type: String,
    pub context_tokens: u64,
    pub fits: bool,
    pub placement: &'static str,
    pub needs_setting: Option<String>,
    pub memory: EstimateMemory,
    pub max_context_tokens: u64,
    pub max_context_tokens_with_setting: Option<u64>,
    pub prompt_tokens: u64,
    pub depth_tokens: u64,
    pub gen_tokens: u64,
    pub prefill_tokens_per_s: Option<f64>,
    pub prefill_secs: Option<f64>,
    pub decode_tokens_per_s: Option<f64>,
    pub total_secs: Option<f64>,
    pub decode_bound_tokens_per_s: f64,
    /// What limits the request: memory, or each phase's limit.
    pub bottleneck: EstimateBottleneck,
    /// Speeds corrected by the user's own llama-bench runs on this machine.
    pub calibrated_from_your_runs: bool,
    /// Speed ranges from the runtime's validation residuals (low, high).
    pub prefill_tokens_per_s_range: Option<(f64, f64)>,
    pub decode_tokens_per_s_range: Option<(f64, f64)>,
    /// What those ranges rest on: widened where no published row measured this machine or
    /// this case (the less measured of prefill and decode).
    pub range_basis: RangeBasis,
    /// The case is one headroom is known to predict badly; its ranges are that case's.
    pub known_miss: Option<KnownMissNote>,
    /// Published measurements of exactly this case, if any.
    pub measured_prefill: Option<Measured>,
    pub measured_decode: Option<Measured>,
    /// Published claims for this machine and model, checked against the bandwidth bound.
    pub claims: Vec<crate::engine::claims::ClaimCheck>,
}

/// What limits an estimated request; `present::limit_words` words the limits.
#[derive(Debug, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum EstimateBottleneck {
    /// The model does not fit: no speed to predict.
    Capacity,
    /// What limits prefill and decode.
    Phases {
        prefill: crate::engine::speed::Limit,
        decode: crate::engine::speed::Limit,
    },
}

/// A published measurement shown beside a prediction.
#[derive(Debug, Serialize)]
pub struct Measured {
    pub tokens_per_s: f64,
    pub source: String,
}

/// Memory figures of `estimate`.
#[derive(Debug, Serialize)]
pub struct EstimateMemory {
    pub weights_bytes: u64,
    pub kv_cache_bytes: u64,
    pub overhead_bytes: u64,
    pub total_bytes: u64,
    pub usable_bytes: u64,
    pub headroom_bytes: i64,
}

/// `--prompt`, `--gen` and `--depth` against the context: a request that does not fit its
/// context window is refused, not predicted.
pub(crate) fn check_estimate_tokens(args: &EstimateArgs, context: u64) -> Result<(), CliError> {
    for (flag, value) in [("--prompt", args.prompt), ("--gen", args.r#gen)] {
        if value == 0 {
            return Err(CliError::Usage(format!(
                "{flag} 0 must be at least 1 token"
            )));
        }
    }
    let needed = args
        .depth
        .saturating_add(args.prompt)
        .saturating_add(args.r#gen);
    if needed > context {
        return Err(CliError::Usage(format!(
            "--depth {} + --prompt {} + --gen {} = {} tokens do not fit --context {} (the context window{}); raise --context or shorten the request",
            args.depth,
            args.prompt,
            args.r#gen,
            needed,
            context,
            if args.context.is_none() { ", the model's native context by default" } else { "" }
        )));
    }
    Ok(())
}

/// Computes the `estimate` answer.
pub fn estimate(catalog: &Catalog, args: &EstimateArgs) -> Result<Estimate, CliError> {
    let machine = catalog.machine(&args.machine).ok_or_else(|| {
        unknown(
            "machine",
            &args.machine,
            catalog.machines.iter().map(|m| m.id.clone()),
        )
    })?;
    let model = catalog.model(&args.model).ok_or_else(|| {
        unknown(
            "model",
            &args.model,
            catalog.models.iter().map(|m| m.id.clone()),
        )
    })?;
    let quant = catalog.quant(&args.quant).ok_or_else(|| {
        unknown(
            "quant",
            &args.quant,
            catalog.quants.iter().map(|q| q.id.clone()),
        )
    })?;
    let kv = catalog.kv_type(&args.kv_type).ok_or_else(|| {
        unknown(
            "KV type",
            &args.kv_type,
            catalog.kv_types.iter().map(|k| k.id.clone()),
        )
    })?;
    let per_device_gb = match args.memory_gb {
        Some(gb) => machine
            .memory_option(gb)
            .map(|o| o.per_device_gb)
            .ok_or_else(|| {
                let options: Vec<String> = machine
                    .memory_options
                    .iter()
                    .map(|o| format!("{}", o.per_device_gb))
                    .collect();
                CliError::Usage(format!(
                    "machine \"{}\" has no {gb} GB option (options: {} GB)",
                    machine.id,
                    options.join(", ")
                ))
            })?,
        None => machine
            .largest_memory_option()
            .map_or(0.0, |o| o.per_device_gb),
    };
    let runtime = match &args.runtime {
        Some(r) => {
            let r = parse_named("runtime", r, Runtime::parse, Runtime::ALL, Runtime::as_str)?;
            if !machine.runtimes.contains(&r) {
                return Err(CliError::Usage(format!(
                    "machine \"{}\" does not run {r} (it runs: {})",
                    machine.id,
                    machine
                        .runtimes
                        .iter()
                        .map(|r| r.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                )));
            }
            r
        }
        None => machine.default_runtime,
    };
    let profile = catalog.runtime(runtime).ok_or_else(|| {
        CliError::Usage(format!("no efficiency profile for runtime \"{runtime}\""))
    })?;
    let context = args.context.unwrap_or(model.context_native);
    if context == 0 || context > 100_000_000 {
        return Err(CliError::Usage(format!(
            "--context {context} must be between 1 and 100,000,000"
        )));
    }
    check_estimate_tokens(args, context)?;
    let loaded = LoadedModel { model, quant, kv };
    let memory = plan(machine, per_device_gb, profile, &[(loaded, context)]);
    let hw = Hardware {
        machine,
        profile,
        cpu_profile: catalog.runtime(Runtime::Cpu),
    };
    let cap = model
        .context_extended
        .unwrap_or(model.context_native)
        .max(context);
    let max_ctx = max_context_tokens(machine, per_device_gb, profile, loaded, cap, false);
    let max_ctx_tuned = machine
        .accelerator_memory
        .tuned_reserve_gb
        .as_ref()
        .map(|_| max_context_tokens(machine, per_device_gb, profile, loaded, cap, true));
    let mut speed = memory.fits().then(|| {
        request(
            &hw,
            &loaded,
            &memory,
            args.prompt.max(1),
            args.depth,
            args.r#gen.max(1),
        )
    });
    let basis = |kind| catalog.range_basis(&machine.id, runtime, kind, model, quant);
    let (prefill_basis, decode_basis) = (basis(TestKind::Prefill), basis(TestKind::Decode));
    let prompt_context = args.depth + args.prompt.max(1);
    let prefill_miss = profile.known_miss(machine, TestKind::Prefill, model, quant, prompt_context);
    let decode_miss = profile.known_miss(
        machine,
        TestKind::Decode,
        model,
        quant,
        prompt_context + args.r#gen.max(1),
    );
    let calibrated_from_your_runs = match speed.as_mut() {
        Some(req) => crate::engine::mix::correct_from_user_runs(
            catalog,
            crate::engine::mix::Setup {
                machine,
                per_device_gb,
                runtime,
            },
            req,
            args.r#gen.max(1),
        ),
        None => false,
    };
    let bottleneck = match &speed {
        None => EstimateBottleneck::Capacity,
        Some(r) => EstimateBottleneck::Phases {
            prefill: r.prefill.limit,
            decode: r.decode.limit,
        },
    };
    Ok(Estimate {
        machine: machine.id.clone(),
        // The memory the runtime holds the model in: system RAM on the CPU runtime.
        memory_gb: if runtime == Runtime::Cpu {
            machine.cpu_side(per_device_gb).ram_gb.unwrap_or(0.0)
        } else {
            per_device_gb * f64::from(machine.device_count)
        },
        runtime,
        model: model.id.clone(),
        quant: quant.id.clone(),
        kv_type: kv.id.clone(),
        context_tokens: context,
        fits: memory.fits(),
        placement: memory.placement.as_str(),
        needs_setting: memory.needs_setting.then(|| {
            machine
                .accelerator_memory
                .setting
                .clone()
                .unwrap_or_default()
        }),
        memory: EstimateMemory {
            weights_bytes: memory.weights_bytes.round() as u64,
            kv_cache_bytes: memory.kv_cache_bytes.round() as u64,
            overhead_bytes: memory.overhead_bytes.round() as u64,
            total_bytes: memory.total_bytes.round() as u64,
            usable_bytes: memory.usable_bytes.round() as u64,
            headroom_bytes: memory.headroom_bytes.round() as i64,
        },
        max_context_tokens: max_ctx,
        max_context_tokens_with_setting: max_ctx_tuned,
        prompt_tokens: args.prompt.max(1),
        depth_tokens: args.depth,
        gen_tokens: args.r#gen.max(1),
        prefill_tokens_per_s: speed.as_ref().map(|r| r.prefill.tokens_per_s),
        prefill_secs: speed.as_ref().map(|r| r.prefill.secs),
        decode_tokens_per_s: speed.as_ref().map(|r| r.decode.tokens_per_s),
        total_secs: speed.as_ref().map(|r| r.total_secs),
        decode_bound_tokens_per_s: crate::engine::speed::decode_bound_on(machine, runtime, &loaded),
        bottleneck,
        calibrated_from_your_runs,
        prefill_tokens_per_s_range: speed.as_ref().map(|r| {
            profile.speed_range(
                TestKind::Prefill,
                r.prefill.tokens_per_s,
                prefill_basis,
                prefill_miss,
            )
        }),
        decode_tokens_per_s_range: speed.as_ref().map(|r| {
            profile.decode_range(
                r.decode.tokens_per_s,
                crate::engine::speed::decode_bound_on(machine, runtime, &loaded),
                decode_basis,
                decode_miss,
            )
        }),
        range_basis: prefill_basis.max(decode_basis),
        known_miss: prefill_miss.or(decode_miss).map(KnownMissNote::of),
        measured_prefill: measured_case(
            catalog,
            machine,
            runtime,
            model,
            quant,
            TestKind::Prefill,
            args.prompt,
            args.depth,
        ),
        measured_decode: measured_case(
            catalog,
            machine,
            runtime,
            model,
            quant,
            TestKind::Decode,
            args.r#gen,
            args.depth,
        ),
        claims: crate::engine::claims::check(catalog, machine)
            .into_iter()
            .filter(|c| c.model == model.id)
            .collect(),
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn measured_case(
    catalog: &Catalog,
    machine: &Machine,
    runtime: Runtime,
    model: &Model,
    quant: &Quant,
    kind: TestKind,
    tokens: u64,
    depth: u64,
) -> Option<Measured> {
    let case = crate::engine::calibrate::Case {
        machine: &machine.id,
        runtime,
        model: &model.id,
        quant: &quant.id,
        kind,
        tokens,
        depth,
    };
    crate::engine::calibrate::measured(catalog, case).map(|b| Measured {
        tokens_per_s: b.tokens_per_s,
        source: b.source.clone(),
    })
}
