//! The command line: the same engine as the window, headless, with `--json` everywhere.

pub mod add_model;
pub mod calibrate;
pub mod import;
pub mod machine;
pub mod validate;

pub use calibrate::{rewrite_runtimes, Calibration};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::catalog::{self, CatalogError};
use crate::engine::memory::{max_context_tokens, plan, LoadedModel};
use crate::engine::mix::{gib, request, MixOptions};
use crate::engine::rank::{rank, thousands, Objective, Owned, RankOptions, Ranking};
use crate::engine::speed::Hardware;
use crate::engine::types::*;

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(name = "headroom", version, about = "Is your machine enough for your local language models? And if not, what should you buy?", long_about = None)]
pub struct Cli {
    /// Extra catalogue file (RON, same schema); entries with an existing id replace it. Repeatable.
    #[arg(long = "catalog", value_name = "PATH", global = true)]
    pub catalogs: Vec<PathBuf>,
    /// Ignore the catalogue files in the platform config directory.
    #[arg(long, global = true)]
    pub no_user_catalog: bool,
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// List catalogue entries.
    Catalog {
        /// Which section.
        #[arg(value_enum, default_value_t = Section::Machines)]
        section: Section,
        #[arg(long)]
        json: bool,
    },
    /// Memory and speed of one model on one machine.
    Estimate(EstimateArgs),
    /// Rank every machine and memory option on a workload mix.
    Rank(RankArgs),
    /// Every published benchmark row predicted vs measured, with summary figures, in-sample
    /// and held out three ways: leave one machine out, leave one source out, a time split.
    Validate {
        #[arg(long)]
        json: bool,
        /// Only the summary figures.
        #[arg(long)]
        summary: bool,
        /// Count the superseded rows (older runs of a case measured again) in the figures
        /// too, as if they still described llama.cpp. They are still not fitted.
        #[arg(long)]
        count_superseded: bool,
    },
    /// Fit each runtime's efficiencies to the benchmark rows and print them; with --write,
    /// put them and the error bands into a runtimes file in place.
    Calibrate {
        /// A runtimes file (e.g. catalog/runtimes.ron) whose fitted values and error bands
        /// to replace; its other lines are kept as they are.
        #[arg(long, value_name = "FILE")]
        write: Option<PathBuf>,
        /// Also replace values whose source says "assumed:" (kept by default).
        #[arg(long, requires = "write")]
        force: bool,
    },
    /// Detect this machine's hardware and match it to the catalogue.
    Detect {
        #[arg(long)]
        json: bool,
        /// Also measure memory bandwidth (a few seconds).
        #[arg(long)]
        bandwidth: bool,
    },
    /// Write a catalogue model entry from a Hugging Face config.json or a GGUF file: printed
    /// as RON, or appended to a catalogue file with --save-to.
    AddModel(add_model::AddModelArgs),
    /// Import your own llama-bench results (-o json, jsonl, csv or md): they become
    /// measurements for your machine and correct its predictions.
    ImportBench {
        /// The llama-bench output file.
        file: PathBuf,
        /// The machine the runs were made on, as ID@GB; default: the detected machine.
        #[arg(long, value_name = "ID@GB")]
        have: Option<String>,
        /// Where to keep the imported rows; default: the config directory's catalog folder.
        #[arg(long, value_name = "FILE.ron")]
        save_to: Option<PathBuf>,
        /// Show the comparison without saving anything.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Write the decision summary as Markdown.
    Report {
        #[command(flatten)]
        rank: RankArgs,
        /// Where to write the Markdown.
        #[arg(long, value_name = "FILE.md")]
        out: PathBuf,
        /// Diagnose the local setup first (Ollama store, running Ollama) and put the
        /// findings at the top; the workload's largest prompt and its timeout are used.
        #[arg(long)]
        diagnose: bool,
    },
    /// Find the settings (context window, timeout) that limit your local models before you buy.
    Diagnose(DiagnoseArgs),
}

/// `diagnose` arguments.
#[derive(Debug, Args, Clone)]
pub struct DiagnoseArgs {
    /// Print the diagnosis as JSON.
    #[arg(long)]
    pub json: bool,
    /// The machine, as ID@GB (memory per device); default: the detected machine.
    #[arg(long, value_name = "ID@GB")]
    pub have: Option<String>,
    /// A GGUF file to diagnose. Repeatable. With this or --ollama-dir, only these are read.
    #[arg(long = "model-file", value_name = "PATH")]
    pub model_files: Vec<PathBuf>,
    /// The Ollama model store (holds manifests/ and blobs/); default: $OLLAMA_MODELS or ~/.ollama/models.
    #[arg(long, value_name = "DIR")]
    pub ollama_dir: Option<PathBuf>,
    /// The context limit your client enforces, in tokens.
    #[arg(long, value_name = "N")]
    pub client_limit: Option<u64>,
    /// Your client's request timeout, in seconds.
    #[arg(long, value_name = "S")]
    pub timeout_secs: Option<f64>,
    /// Your largest prompt, in tokens.
    #[arg(long, value_name = "P")]
    pub prompt_tokens: Option<u64>,
    /// Do not ask a running Ollama.
    #[arg(long)]
    pub no_api: bool,
    /// The running Ollama to ask.
    #[arg(long, value_name = "URL", default_value = crate::local::ollama::OLLAMA_DEFAULT_URL)]
    pub ollama_url: String,
    /// The most you would spend on a new machine, for the hardware finding.
    #[arg(long, value_name = "USD", default_value_t = 50_000.0)]
    pub budget_max: f64,
    /// The longest you accept to wait for the first token, in seconds (a requirement): the
    /// hardware finding looks for a machine within it instead of within the timeout.
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<f64>,
}

/// Catalogue sections.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Section {
    Machines,
    Models,
    Quants,
    Workloads,
    Cloud,
    Runtimes,
    Benchmarks,
}

/// `estimate` arguments.
#[derive(Debug, Args)]
pub struct EstimateArgs {
    #[arg(long)]
    pub machine: String,
    /// Memory per device; default: the largest option.
    #[arg(long)]
    pub memory_gb: Option<f64>,
    /// Runtime; default: the machine's.
    #[arg(long)]
    pub runtime: Option<String>,
    #[arg(long)]
    pub model: String,
    #[arg(long)]
    pub quant: String,
    #[arg(long, default_value = "f16")]
    pub kv_type: String,
    /// Context allocation in tokens; default: the model's native context.
    #[arg(long)]
    pub context: Option<u64>,
    /// Prompt tokens to prefill.
    #[arg(long, default_value_t = 512)]
    pub prompt: u64,
    /// Tokens already in the cache.
    #[arg(long, default_value_t = 0)]
    pub depth: u64,
    /// Tokens to generate.
    #[arg(long, default_value_t = 128)]
    pub r#gen: u64,
    #[arg(long)]
    pub json: bool,
}

/// `rank` and `report` arguments.
#[derive(Debug, Args, Clone)]
pub struct RankArgs {
    /// Workload id from the catalogue, or a RON file with a `workloads` list (the first is used).
    #[arg(long, required_unless_present = "scenario")]
    pub workload: Option<String>,
    /// A scenario saved by the window (every input of a decision); it replaces the workload
    /// and the ranking flags, except --top and --json.
    #[arg(long, value_name = "FILE", conflicts_with = "workload")]
    pub scenario: Option<PathBuf>,
    /// The longest you accept to wait for any request, in seconds (to the first token when
    /// the client streams): a requirement. The client timeout is a setting headroom raises.
    #[arg(long, value_name = "SECS")]
    pub max_wait: Option<f64>,
    /// The decode speed you see on the machine you have (tokens/s): checked against physics.
    #[arg(long, value_name = "TOK_S")]
    pub seen_decode: Option<f64>,
    /// The prompt reading (prefill) speed you see on the machine you have (tokens/s).
    #[arg(long, value_name = "TOK_S")]
    pub seen_prefill: Option<f64>,
    /// The machine you have, as ID@GB (memory per device), e.g. mac-studio-m2-ultra-60c@64,
    /// or `this` to detect it (a machine the catalogue lacks is ranked as "this machine").
    #[arg(long, value_name = "ID@GB|this")]
    pub have: Option<String>,
    #[arg(long, default_value_t = 0.0)]
    pub budget_min: f64,
    #[arg(long, default_value_t = 50_000.0)]
    pub budget_max: f64,
    /// Only machines that run this OS (macos, linux, windows).
    #[arg(long)]
    pub os: Option<String>,
    /// Only machines with this runtime (metal, cuda, rocm, vulkan, cpu).
    #[arg(long)]
    pub runtime: Option<String>,
    /// Only this form factor (desktop, laptop, tablet, mini-pc, workstation, server).
    #[arg(long)]
    pub form_factor: Option<String>,
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Fastest)]
    pub objective: ObjectiveArg,
    /// Horizon of best-value, in years.
    #[arg(long, default_value_t = 3.0)]
    pub years: f64,
    /// Never send tasks to the cloud.
    #[arg(long)]
    pub no_cloud: bool,
    /// Electricity price.
    #[arg(long, default_value_t = 0.30, value_name = "USD_PER_KWH")]
    pub electricity: f64,
    /// A model that must run locally. Repeatable.
    #[arg(long = "must-run", value_name = "MODEL")]
    pub must_run: Vec<String>,
    /// Rows to show.
    #[arg(long, default_value_t = 15)]
    pub top: usize,
    #[arg(long)]
    pub json: bool,
}

/// Objectives on the command line.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum ObjectiveArg {
    Fastest,
    Cheapest,
    BestValue,
}

/// A failure the CLI reports; `exit_code` says how.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad input: exit code 2.
    #[error("{0}")]
    Usage(String),
    /// A broken catalogue file: exit code 2.
    #[error("{}", catalog::error::join(.0))]
    Catalog(Vec<CatalogError>),
    /// Anything else: exit code 1.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl CliError {
    /// The process exit code.
    pub fn exit_code(&self) -> i32 {
        match self {
            CliError::Usage(_) | CliError::Catalog(_) => 2,
            CliError::Other(_) => 1,
        }
    }
}

/// Loads the built-in catalogue plus the user's files and `extra`.
pub fn load_catalog(cli: &Cli, extra: &[PathBuf]) -> Result<Catalog, CliError> {
    let mut paths = cli.catalogs.clone();
    paths.extend_from_slice(extra);
    let sources =
        catalog::files::all_sources(&paths, !cli.no_user_catalog).map_err(CliError::Catalog)?;
    catalog::load(&sources).map_err(CliError::Catalog)
}

/// Runs a subcommand, printing to stdout.
pub fn run(cli: &Cli, command: &Command) -> Result<(), CliError> {
    match command {
        Command::Catalog { section, json } => {
            let catalog = load_catalog(cli, &[])?;
            print_catalog(&catalog, *section, *json)
        }
        Command::Estimate(args) => {
            let catalog = load_catalog(cli, &[])?;
            let estimate = estimate(&catalog, args)?;
            if args.json {
                println!("{}", to_json(&estimate)?);
            } else {
                print!("{}", estimate.text());
            }
            Ok(())
        }
        Command::Rank(args) => {
            let (catalog, workload, options) = rank_inputs(cli, args)?;
            let ranking = rank(&catalog, &workload, &options);
            if args.json {
                println!("{}", to_json(&ranking)?);
            } else {
                print!("{}", ranking_text(&ranking, args.top));
            }
            Ok(())
        }
        Command::Validate {
            json,
            summary,
            count_superseded,
        } => {
            let catalog = load_catalog(cli, &[])?;
            validate::validate(&catalog, *json, *summary, *count_superseded)
        }
        Command::Detect { json, bandwidth } => {
            let catalog = load_catalog(cli, &[])?;
            crate::cli::machine::detect_command(&catalog, *json, *bandwidth)
        }
        Command::AddModel(args) => add_model::run(cli, args),
        Command::ImportBench {
            file,
            have,
            save_to,
            dry_run,
            json,
        } => {
            let catalog = load_catalog(cli, &[])?;
            crate::cli::import::import_bench_command(
                cli,
                &catalog,
                file,
                have.as_deref(),
                save_to.as_deref(),
                *dry_run,
                *json,
            )
        }
        Command::Calibrate { write, force } => {
            let catalog = load_catalog(cli, &[])?;
            calibrate::calibrate_command(&catalog, write.as_deref(), *force)
        }
        Command::Report {
            rank: args,
            out,
            diagnose,
        } => {
            if args.json {
                return Err(CliError::Usage(
                    "report --json: the report is Markdown; for JSON use `headroom rank --json`"
                        .to_owned(),
                ));
            }
            let (catalog, workload, mut options) = rank_inputs(cli, args)?;
            let diagnosis = if *diagnose {
                let largest = workload.tasks.iter().max_by_key(|t| t.prompt_tokens);
                let request = crate::diagnose::request::DiagnoseRequest {
                    machine: match &options.have {
                        Some(owned) => crate::diagnose::request::MachineChoice::Given {
                            owned: owned.clone(),
                            how: "given with --have".to_owned(),
                        },
                        None => crate::diagnose::request::MachineChoice::Detect,
                    },
                    model_files: Vec::new(),
                    ollama_dir: None,
                    ollama_url: Some(crate::local::ollama::OLLAMA_DEFAULT_URL.to_owned()),
                    user: crate::diagnose::UserLimits {
                        client_limit_tokens: None,
                        timeout_secs: largest.map(|t| t.timeout_secs),
                        largest_prompt_tokens: largest.map(|t| t.prompt_tokens),
                        budget_max_usd: options.budget_max_usd,
                        max_wait_secs: options.mix.max_wait_secs,
                    },
                };
                let d = crate::diagnose::request::run(&catalog, &request)
                    .map_err(|e| CliError::Usage(format!("--diagnose: {e}")))?;
                // What Diagnose found weighs in the verdict the summary opens with.
                options.decision.found_settings = d.found_settings();
                Some(d)
            } else {
                None
            };
            let ranking = rank(&catalog, &workload, &options);
            let md = crate::report::markdown_with_diagnosis(
                &catalog,
                &workload,
                &options,
                &ranking,
                args.top,
                diagnosis.as_ref(),
            );
            crate::fsio::write_file(out, md.as_bytes()).map_err(write_error)?;
            println!("wrote {}", out.display());
            Ok(())
        }
        Command::Diagnose(args) => {
            let catalog = load_catalog(cli, &[])?;
            let diagnosis = run_diagnose(&catalog, args)?;
            if args.json {
                println!("{}", to_json(&diagnosis)?);
            } else {
                print!("{}", crate::diagnose::text(&diagnosis));
            }
            Ok(())
        }
    }
}

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
    let request = DiagnoseRequest {
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
            E::UnknownMachine(_) | E::UndetectedMachine(_) => "--have",
        };
        let hint = if matches!(e, E::UndetectedMachine(_)) {
            " (pass --have ID@GB; see `headroom catalog machines`)"
        } else {
            ""
        };
        CliError::Usage(format!("{flag}: {e}{hint}"))
    })
}

/// `--ollama-url` must be an http(s) URL with a host: anything else cannot be asked.
fn check_ollama_url(url: &str) -> Result<(), CliError> {
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

fn to_json<T: Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::Other(e.into()))
}

fn unknown(what: &str, wanted: &str, candidates: impl Iterator<Item = String>) -> CliError {
    let all: Vec<String> = candidates.collect();
    let near = catalog::validate::closest(wanted, all.iter().map(String::as_str));
    CliError::Usage(format!(
        "unknown {what} \"{wanted}\" (closest: {})",
        near.join(", ")
    ))
}

fn parse_named<T: Copy>(
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
fn have_this(catalog: &mut Catalog) -> Owned {
    use crate::detect::MachineMatch;
    let detection = crate::detect::detect_all(std::time::Duration::from_secs(3));
    let refs = crate::detect::machine_refs(catalog);
    match crate::detect::match_machine(&detection, &refs) {
        MachineMatch::Exact { id, memory_gb, .. } | MachineMatch::Family { id, memory_gb, .. } => {
            Owned {
                machine: id,
                per_device_gb: memory_gb,
            }
        }
        MachineMatch::Unknown { guessed } => {
            let machine = crate::detect::this_machine::this_machine(&detection, &guessed, None);
            let owned = Owned {
                machine: machine.id.clone(),
                per_device_gb: machine
                    .memory_options
                    .first()
                    .map_or(0.0, |o| o.per_device_gb),
            };
            catalog.machines.retain(|m| m.id != machine.id);
            catalog.machines.push(machine);
            owned
        }
    }
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
    let workload = if is_file {
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
    };
    Ok((catalog, workload, options))
}

/// `--scenario FILE`: the workload and every option as the window saved them.
fn scenario_inputs(
    cli: &Cli,
    path: &std::path::Path,
) -> Result<(Catalog, Workload, RankOptions), CliError> {
    let catalog = load_catalog(cli, &[])?;
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
    Ok((catalog, scenario.workload, scenario.options))
}

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
    pub bottleneck: String,
    /// Speeds corrected by the user's own llama-bench runs on this machine.
    pub calibrated_from_your_runs: bool,
    /// Speed ranges from the runtime's validation residuals (low, high).
    pub prefill_tokens_per_s_range: Option<(f64, f64)>,
    pub decode_tokens_per_s_range: Option<(f64, f64)>,
    /// What those ranges rest on: widened where no published row measured this machine or
    /// this case (the less measured of prefill and decode).
    pub range_basis: RangeBasis,
    /// Published measurements of exactly this case, if any.
    pub measured_prefill: Option<Measured>,
    pub measured_decode: Option<Measured>,
    /// Published claims for this machine and model, checked against the bandwidth bound.
    pub claims: Vec<crate::engine::claims::ClaimCheck>,
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

impl Estimate {
    fn text(&self) -> String {
        let mut s = format!(
            "{} ({} GB, {}) running {} {} with {} KV at {} tokens of context\n",
            self.machine,
            self.memory_gb,
            self.runtime,
            self.model,
            self.quant,
            self.kv_type,
            thousands(self.context_tokens)
        );
        let m = &self.memory;
        s += &format!(
            "  memory: weights {} + KV cache {} + overhead {} = {} of {} usable: {} ({} headroom)\n",
            gib(m.weights_bytes as f64),
            gib(m.kv_cache_bytes as f64),
            gib(m.overhead_bytes as f64),
            gib(m.total_bytes as f64),
            gib(m.usable_bytes as f64),
            if self.runtime == Runtime::Cpu && self.placement == "accelerator" {
                "all in system RAM (CPU runtime)"
            } else {
                self.placement
            },
            gib(m.headroom_bytes as f64)
        );
        if let Some(setting) = &self.needs_setting {
            s += &format!("  fits only after changing a setting: {setting}\n");
        }
        s += &format!(
            "  largest context that fits: {} tokens",
            thousands(self.max_context_tokens)
        );
        if let Some(t) = self.max_context_tokens_with_setting {
            s += &format!(" ({} with the setting changed)", thousands(t));
        }
        s += "\n";
        if let (Some(pp), Some(ps), Some(tg), Some(total)) = (
            self.prefill_tokens_per_s,
            self.prefill_secs,
            self.decode_tokens_per_s,
            self.total_secs,
        ) {
            s += &format!(
                "  prefill {} tokens at depth {}: {:.0} tok/s{}, {:.1} s{}\n  decode {} tokens: {:.1} tok/s{} (physical bound {:.1} tok/s){}\n  total {:.1} s; bottleneck: {}\n",
                thousands(self.prompt_tokens),
                thousands(self.depth_tokens),
                pp,
                range_words(self.prefill_tokens_per_s_range),
                ps,
                measured_words(self.measured_prefill.as_ref()),
                self.gen_tokens,
                tg,
                range_words(self.decode_tokens_per_s_range),
                self.decode_bound_tokens_per_s,
                measured_words(self.measured_decode.as_ref()),
                total,
                self.bottleneck
            );
        } else {
            s += "  does not run here: no speed to predict\n";
        }
        match self.range_basis {
            RangeBasis::Measured => {}
            RangeBasis::MachineUnmeasured => {
                s += "  likely ranges widened: no published measurement of this machine on this runtime\n";
            }
            RangeBasis::CaseUnmeasured => {
                s += "  likely ranges widened: no published measurement of this case (runtime, dense or MoE, weight type) on any machine\n";
            }
        }
        if self.calibrated_from_your_runs {
            s += "  calibrated from your runs (headroom import-bench)\n";
        }
        for claim in &self.claims {
            s += &format!("  {}\n", crate::present::claim_words(claim));
        }
        s
    }
}

fn range_words(range: Option<(f64, f64)>) -> String {
    range.map_or(String::new(), |(lo, hi)| {
        format!(" ({lo:.0}-{hi:.0} likely)")
    })
}

fn measured_words(measured: Option<&Measured>) -> String {
    measured.map_or(String::new(), |m| {
        format!("; measured {:.1} tok/s ({})", m.tokens_per_s, m.source)
    })
}

/// `--prompt`, `--gen` and `--depth` against the context: a request that does not fit its
/// context window is refused, not predicted.
fn check_estimate_tokens(args: &EstimateArgs, context: u64) -> Result<(), CliError> {
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
        None => "memory capacity".to_owned(),
        Some(r) => format!(
            "prefill {}, decode {}",
            r.prefill.limit.as_str(),
            r.decode.limit.as_str()
        ),
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
        prefill_tokens_per_s_range: speed
            .as_ref()
            .map(|r| profile.speed_range(TestKind::Prefill, r.prefill.tokens_per_s, prefill_basis)),
        decode_tokens_per_s_range: speed.as_ref().map(|r| {
            profile.decode_range(
                r.decode.tokens_per_s,
                crate::engine::speed::decode_bound_on(machine, runtime, &loaded),
                decode_basis,
            )
        }),
        range_basis: prefill_basis.max(decode_basis),
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
fn measured_case(
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

/// The ranking as a text table.
pub fn ranking_text(ranking: &Ranking, top: usize) -> String {
    let mut s = String::new();
    for line in crate::present::verdict_lines(&ranking.verdict) {
        s += &line;
        s.push('\n');
    }
    s.push('\n');
    s += &format!(
        "{:>3}  {:<48} {:>7} {:>8} {:>6} {:>6} {:>6} {:>9} {:>8}  {}\n",
        "#",
        "machine",
        "memory",
        "price",
        "local",
        "cloud",
        "failed",
        "mean req",
        "decode",
        "bottleneck"
    );
    for (i, e) in ranking.entries.iter().take(top).enumerate() {
        let name = if e.is_current {
            format!("{} (yours)", e.machine_name)
        } else {
            e.machine_name.clone()
        };
        s += &format!(
            "{:>3}{} {:<48} {:>5.0}GB {:>8} {:>5.0}% {:>5.0}% {:>5.0}% {:>8.1}s {:>8.1}  {}\n",
            crate::present::rank_number(i, e),
            if e.pareto { "*" } else { " " },
            truncate(&name, 48),
            e.total_memory_gb,
            crate::present::usd(e.price_usd),
            e.mix.share_local * 100.0,
            e.mix.share_cloud * 100.0,
            e.mix.share_failed * 100.0,
            e.mix.mean_request_secs,
            e.mix.local_decode_tokens_per_s,
            e.bottleneck
        );
        for reason in &e.reasons {
            s += &format!("        {reason}\n");
        }
        for setting in &e.settings {
            s += &format!(
                "        setting to change: {}\n",
                crate::present::setting_words(setting)
            );
        }
    }
    s += &format!(
        "\n* = on the price/performance frontier; = tied with the row above within the prediction error. {} options shown of {}; {} filtered out.\n",
        top.min(ranking.entries.len()),
        ranking.entries.len(),
        ranking.filtered_out
    );
    s
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_owned()
    } else {
        format!("{}~", s.chars().take(n - 1).collect::<String>())
    }
}

fn print_catalog(catalog: &Catalog, section: Section, json: bool) -> Result<(), CliError> {
    if json {
        let text = match section {
            Section::Machines => to_json(&catalog.machines)?,
            Section::Models => to_json(&catalog.models)?,
            Section::Quants => to_json(&(&catalog.quants, &catalog.kv_types))?,
            Section::Workloads => to_json(&catalog.workloads)?,
            Section::Cloud => to_json(&catalog.cloud)?,
            Section::Runtimes => to_json(&catalog.runtimes)?,
            Section::Benchmarks => to_json(&catalog.benchmarks)?,
        };
        println!("{text}");
        return Ok(());
    }
    match section {
        Section::Machines => {
            for m in &catalog.machines {
                let options: Vec<String> = m
                    .memory_options
                    .iter()
                    .map(|o| {
                        let mut text = format!("{}GB", o.per_device_gb);
                        if let Some(p) = o.price_usd {
                            text += &format!(" ${p:.0}");
                            if o.condition != PriceCondition::New {
                                text += &format!(" {}", o.condition);
                            }
                            if !o.price_date.is_empty() {
                                text += &format!(" as of {}", o.price_date);
                            }
                        }
                        text
                    })
                    .collect();
                let mut status = String::new();
                if let Some(date) = &m.discontinued {
                    status += &format!("  no longer sold new since {date}");
                }
                if !m.sold_alone {
                    status += "  not sold alone";
                }
                println!(
                    "{:<38} {}x {:>6.0} GB/s {:>7.1} TFLOPS  {:<8} [{}]{}  ({})",
                    m.id,
                    m.device_count,
                    m.bandwidth_gb_per_s.value,
                    m.fp16_tflops.value,
                    m.default_runtime,
                    options.join(", "),
                    status,
                    m.origin
                );
            }
        }
        Section::Models => {
            for m in &catalog.models {
                println!(
                    "{:<26} {:>7.1}B total {:>6.1}B active  {:>3} layers  {:>2} KV heads  {:>9} ctx  ({})",
                    m.id,
                    m.params_total_b,
                    m.params_active_b,
                    m.layers,
                    m.kv_heads,
                    thousands(m.context_native),
                    m.origin
                );
            }
        }
        Section::Quants => {
            for q in &catalog.quants {
                println!(
                    "{:<10} {:>6.3} bits/weight  ({})",
                    q.id, q.bits_per_weight.value, q.origin
                );
            }
            for k in &catalog.kv_types {
                println!(
                    "KV {:<7} {:>6.4} bytes/element  ({})",
                    k.id, k.bytes_per_element.value, k.origin
                );
            }
        }
        Section::Workloads => {
            for w in &catalog.workloads {
                println!("{:<18} {}", w.id, w.name);
                for t in &w.tasks {
                    println!(
                        "    {:>4.0}%  {:<28} prompt {:>8}  output {:>6}  {} {}  timeout {:.0} s{}",
                        t.share * 100.0,
                        t.name,
                        thousands(t.prompt_tokens),
                        thousands(t.output_tokens),
                        t.model,
                        t.quant,
                        t.timeout_secs,
                        if t.private { "  private" } else { "" }
                    );
                }
            }
        }
        Section::Cloud => {
            for c in &catalog.cloud {
                println!(
                    "{:<28} {:>9} ctx  ${:.2}/${:.2} per M in/out  ({})",
                    c.id,
                    thousands(c.context_tokens),
                    c.input_usd_per_mtok.value,
                    c.output_usd_per_mtok.value,
                    c.origin
                );
            }
        }
        Section::Runtimes => {
            for r in &catalog.runtimes {
                println!(
                    "{:<7} bandwidth {:.2}  compute {:.2}  attention {:.2}  overhead {:.0} µs/layer  ({})",
                    r.runtime,
                    r.bandwidth_efficiency.value,
                    r.compute_efficiency.value,
                    r.attention_efficiency.value,
                    r.layer_overhead_us.value,
                    r.origin
                );
            }
        }
        Section::Benchmarks => {
            for b in &catalog.benchmarks {
                println!(
                    "{:<36} {:<7} {:<22} {:<7} {}{} @ d{:<6} {:>9.2} tok/s",
                    b.machine,
                    b.runtime,
                    b.model,
                    b.quant,
                    if b.kind == TestKind::Prefill {
                        "pp"
                    } else {
                        "tg"
                    },
                    b.tokens,
                    b.depth,
                    b.tokens_per_s
                );
            }
        }
    }
    Ok(())
}
