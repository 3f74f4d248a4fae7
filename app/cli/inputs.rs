//! From arguments to library inputs: the catalogue, the workload, the ranking options, the
//! machine you have (`--have ID@GB|this`), a saved scenario, and Diagnose's request.

use super::*;

/// Resolves `diagnose` arguments into a library request and runs it.
pub fn run_diagnose(
    catalog: &Catalog,
    args: &DiagnoseArgs,
) -> Result<crate::diagnose::Diagnosis, CliError> {
    check_ollama_url(&args.ollama_url)?;
    use crate::diagnose::request::{run, DiagnoseRequest, MachineChoice};
    let machine = match args.have.as_deref().filter(|t| *t != "this") {
        Some(text) => MachineChoice::Given {
            owned: parse_have(catalog, text)?,
            how: "given with --have".to_owned(),
        },
        None => MachineChoice::Detect,
    };
    let mut request = DiagnoseRequest {
        machine,
        model_files: args.model_files.clone(),
        ollama_dir: args.ollama_dir.clone(),
        ollama_url: (!args.no_api).then(|| args.ollama_url.clone()),
        user: crate::diagnose::UserLimits {
            client_limit_tokens: args.client_limit,
            timeout_secs: args.timeout_secs,
            largest_prompt_tokens: args.prompt_tokens,
            budget_max_usd: args.budget_max,
            max_wait_secs: args.max_wait,
        },
    };
    if let Some(path) = &args.scenario {
        // The scenario fills what the flags leave unset.
        let scenario = read_scenario(catalog, path)?;
        let from = DiagnoseRequest::from_decision(
            &scenario.workload,
            &scenario.options,
            "from the scenario",
        );
        if args.have.is_none() {
            request.machine = from.machine;
        }
        let (user, given) = (&mut request.user, from.user);
        user.timeout_secs = user.timeout_secs.or(given.timeout_secs);
        user.largest_prompt_tokens = user.largest_prompt_tokens.or(given.largest_prompt_tokens);
        user.max_wait_secs = user.max_wait_secs.or(given.max_wait_secs);
        user.budget_max_usd = given.budget_max_usd.min(args.budget_max);
    }
    run(catalog, &request).map_err(|e| {
        use crate::diagnose::request::DiagnoseError as E;
        let flag = match &e {
            E::BadTimeout(_) => "--timeout-secs",
            E::BadMaxWait(_) => "--max-wait",
            E::ZeroTokens("client context limit") => "--client-limit",
            E::ZeroTokens(_) => "--prompt-tokens",
            E::BadBudget(_) => "--budget-max",
            E::NoSuchModelFile(_) | E::NoReadableModelFile(_) => "--model-file",
            E::UnusableModelFile(_) => "--model-file",
            E::NoOllamaStore(_) => "--ollama-dir",
            E::UnknownMachine(_) => "--have",
        };
        CliError::Usage(format!("{flag}: {e}"))
    })
}

/// `--ollama-url` must be an http(s) URL with a host: anything else cannot be asked.
pub(crate) fn check_ollama_url(url: &str) -> Result<(), CliError> {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    match host {
        Some(h) if !h.is_empty() && !h.starts_with(':') && !h.contains(char::is_whitespace) => {
            Ok(())
        }
        _ => Err(CliError::Usage(format!(
            "--ollama-url {}: not an http:// or https:// URL with a host (e.g. {})",
            crate::local::printable(url),
            crate::local::ollama::OLLAMA_DEFAULT_URL
        ))),
    }
}

/// A refused or failed write: a target that is not a regular file or is read-only is bad
/// input (exit code 2), anything else a failure (exit code 1).
pub(crate) fn write_error(e: crate::fsio::FsError) -> CliError {
    match e {
        crate::fsio::FsError::Io { .. } => CliError::Other(anyhow::anyhow!("{e}")),
        _ => CliError::Usage(e.to_string()),
    }
}

pub(crate) fn unknown(
    what: &str,
    wanted: &str,
    candidates: impl Iterator<Item = String>,
) -> CliError {
    let all: Vec<String> = candidates.collect();
    let near = catalog::validate::closest(wanted, all.iter().map(String::as_str));
    CliError::Usage(format!(
        "unknown {what} \"{wanted}\" (closest: {})",
        near.join(", ")
    ))
}

pub(crate) fn parse_named<T: Copy>(
    what: &str,
    text: &str,
    parse: fn(&str) -> Option<T>,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, CliError> {
    parse(text).ok_or_else(|| unknown(what, text, all.iter().map(|v| name(*v).to_owned())))
}

/// `--have this`: the detected machine. A machine the catalogue lacks joins it as "this
/// machine", built from what was detected with every guess marked "estimate:" (the window
/// does the same).
pub(crate) fn have_this(catalog: &mut Catalog) -> Owned {
    crate::detect::detect_and_resolve(catalog, std::time::Duration::from_secs(3)).owned
}

/// Parses `ID@GB`.
pub fn parse_have(catalog: &Catalog, text: &str) -> Result<Owned, CliError> {
    let (id, gb) = match text.split_once('@') {
        Some((id, gb)) => {
            let gb: f64 = gb
                .trim_end_matches(|c: char| c.is_ascii_alphabetic())
                .parse()
                .map_err(|_| {
                    CliError::Usage(format!(
                        "--have {text}: \"{gb}\" is not a memory size in GB"
                    ))
                })?;
            (id, Some(gb))
        }
        None => (text, None),
    };
    let machine = catalog
        .machine(id)
        .ok_or_else(|| unknown("machine", id, catalog.machines.iter().map(|m| m.id.clone())))?;
    let per_device_gb = match gb {
        Some(gb) => {
            if machine.memory_option(gb).is_none() {
                let options: Vec<String> = machine
                    .memory_options
                    .iter()
                    .map(|o| format!("{}", o.per_device_gb))
                    .collect();
                return Err(CliError::Usage(format!(
                    "machine \"{id}\" has no {gb} GB option (options: {} GB)",
                    options.join(", ")
                )));
            }
            gb
        }
        None => match machine.memory_options.as_slice() {
            [only] => only.per_device_gb,
            options => {
                let options: Vec<String> = options
                    .iter()
                    .map(|o| format!("{id}@{}", o.per_device_gb))
                    .collect();
                return Err(CliError::Usage(format!(
                    "--have {text}: say which memory option you have, as ID@GB: {}",
                    options.join(", ")
                )));
            }
        },
    };
    Ok(Owned {
        machine: machine.id.clone(),
        per_device_gb,
    })
}

/// Resolves `rank`/`report` arguments.
pub fn rank_inputs(
    cli: &Cli,
    args: &RankArgs,
) -> Result<(Catalog, Workload, RankOptions), CliError> {
    if let Some(path) = &args.scenario {
        return scenario_inputs(cli, path);
    }
    let workload_arg = args.workload.clone().unwrap_or_default();
    let path = PathBuf::from(&workload_arg);
    let is_file = workload_arg.ends_with(".ron") || path.is_file();
    let extra = if is_file {
        vec![path.clone()]
    } else {
        Vec::new()
    };
    let mut catalog = load_catalog(cli, &extra)?;
    let mut workload = if is_file {
        let source = catalog::files::read_source(&path).map_err(|e| CliError::Catalog(vec![e]))?;
        let raw = catalog::validate::parse(&source).map_err(|e| CliError::Catalog(vec![e]))?;
        let Some(first) = raw.workloads.first() else {
            return Err(CliError::Usage(format!(
                "{} has no workloads",
                path.display()
            )));
        };
        catalog.workload(&first.id).cloned()
    } else {
        catalog.workload(&workload_arg).cloned()
    }
    .ok_or_else(|| {
        unknown(
            "workload",
            &workload_arg,
            catalog.workloads.iter().map(|w| w.id.clone()),
        )
    })?;
    let os = args
        .os
        .as_deref()
        .map(|t| parse_named("operating system", t, Os::parse, Os::ALL, Os::as_str))
        .transpose()?;
    let runtime = args
        .runtime
        .as_deref()
        .map(|t| parse_named("runtime", t, Runtime::parse, Runtime::ALL, Runtime::as_str))
        .transpose()?;
    let form_factor = args
        .form_factor
        .as_deref()
        .map(|t| {
            parse_named(
                "form factor",
                t,
                FormFactor::parse,
                FormFactor::ALL,
                FormFactor::as_str,
            )
        })
        .transpose()?;
    for model in &args.must_run {
        if catalog.model(model).is_none() {
            return Err(unknown(
                "model",
                model,
                catalog.models.iter().map(|m| m.id.clone()),
            ));
        }
    }
    if !(args.budget_min.is_finite()
        && args.budget_max.is_finite()
        && args.budget_min >= 0.0
        && args.budget_min <= args.budget_max)
    {
        return Err(CliError::Usage(format!(
            "budget ${} to ${} is not a range (min must be at least 0 and at most max)",
            args.budget_min, args.budget_max
        )));
    }
    let non_negative = |x: f64| x.is_finite() && x >= 0.0;
    if !non_negative(args.electricity) || !non_negative(args.years) {
        return Err(CliError::Usage(
            "--electricity and --years must be non-negative numbers".to_owned(),
        ));
    }
    let positive = |flag: &str, x: Option<f64>| match x {
        Some(v) if !(v.is_finite() && v > 0.0) => Err(CliError::Usage(format!(
            "{flag} {v} must be a positive number"
        ))),
        _ => Ok(()),
    };
    positive("--max-wait", args.max_wait)?;
    if let Some(hours) = args.active_hours {
        if !(hours.is_finite() && hours > 0.0 && hours <= 24.0) {
            return Err(CliError::Usage(format!(
                "--active-hours {hours} must be more than 0 and at most 24"
            )));
        }
        workload.active_hours_per_day = Some(hours);
    }
    if let Some(users) = args.users {
        workload.parallel = users;
    }
    positive("--seen-decode", args.seen_decode)?;
    positive("--seen-prefill", args.seen_prefill)?;
    let have = match args.have.as_deref() {
        Some("this") => Some(have_this(&mut catalog)),
        Some(text) => Some(parse_have(&catalog, text)?),
        None => None,
    };
    let objective = match args.objective {
        ObjectiveArg::Fastest => Objective::Fastest,
        ObjectiveArg::Cheapest => Objective::Cheapest,
        ObjectiveArg::BestValue => Objective::BestValue { years: args.years },
    };
    let options = RankOptions {
        budget_min_usd: args.budget_min,
        budget_max_usd: args.budget_max,
        os,
        runtime,
        form_factor,
        must_run_locally: args.must_run.clone(),
        objective,
        mix: MixOptions {
            allow_cloud: !args.no_cloud,
            electricity_usd_per_kwh: args.electricity,
            max_wait_secs: args.max_wait,
        },
        have,
        decision: crate::engine::DecisionInputs {
            found_settings: Vec::new(),
            seen: crate::engine::SeenSpeeds {
                decode_tokens_per_s: args.seen_decode,
                prefill_tokens_per_s: args.seen_prefill,
            },
        },
        price_overrides: Vec::new(),
    };
    Ok((catalog, workload, options))
}

/// `--scenario FILE`: the workload and every option as the window saved them.
pub(crate) fn scenario_inputs(
    cli: &Cli,
    path: &std::path::Path,
) -> Result<(Catalog, Workload, RankOptions), CliError> {
    let catalog = load_catalog(cli, &[])?;
    let scenario = read_scenario(&catalog, path)?;
    Ok((catalog, scenario.workload, scenario.options))
}

/// Reads a scenario file the window saved; the machine it names must be in the catalogue.
pub(crate) fn read_scenario(
    catalog: &Catalog,
    path: &std::path::Path,
) -> Result<crate::scenario::Scenario, CliError> {
    let source = catalog::files::read_source(path).map_err(|e| CliError::Catalog(vec![e]))?;
    let scenario = crate::scenario::Scenario::from_ron(&source.text)
        .map_err(|e| CliError::Usage(format!("--scenario {}: {e}", path.display())))?;
    if let Some(have) = &scenario.options.have {
        if catalog.machine(&have.machine).is_none() {
            return Err(CliError::Usage(format!(
                "--scenario {}: the machine you have, \"{}\", is not in the catalogue",
                path.display(),
                have.machine
            )));
        }
    }
    Ok(scenario)
}
