//! The command line: the same engine as the window, headless, with `--json` everywhere.

pub mod add_model;
pub mod args;
pub mod calibrate;
pub mod estimate;
pub mod import;
pub mod inputs;
pub mod machine;
pub mod render;
pub mod validate;
pub mod validate_serving;

pub use args::*;
pub use estimate::{estimate, Estimate, EstimateBottleneck, EstimateMemory, Measured};
use inputs::*;
pub use inputs::{parse_have, rank_inputs, run_diagnose};
pub use render::ranking_text;
use render::*;

pub use calibrate::{rewrite_runtimes, Calibration};

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use serde::Serialize;

use crate::catalog::{self, CatalogError};
use crate::engine::memory::{max_context_tokens, plan, LoadedModel};
use crate::engine::mix::{gib, request, KnownMissNote, MixOptions};
use crate::engine::rank::{rank, thousands, Objective, Owned, RankOptions, Ranking};
use crate::engine::speed::Hardware;
use crate::engine::types::*;
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
            format,
            diagnose,
        } => {
            if args.json {
                return Err(CliError::Usage(
                    "report --json: the report is a document (HTML or Markdown); for JSON use `headroom rank --json`"
                        .to_owned(),
                ));
            }
            let (catalog, workload, mut options) = rank_inputs(cli, args)?;
            let diagnosis = if *diagnose {
                let request = crate::diagnose::request::DiagnoseRequest::from_decision(
                    &workload,
                    &options,
                    "the machine you have",
                );
                let d = crate::diagnose::request::run(&catalog, &request)
                    .map_err(|e| CliError::Usage(format!("--diagnose: {e}")))?;
                // What Diagnose found weighs in the verdict the summary opens with.
                options.decision.found_settings = d.found_settings();
                Some(d)
            } else {
                None
            };
            let ranking = rank(&catalog, &workload, &options);
            let series = crate::engine::series::chart_series(&catalog, &workload, &ranking);
            let format = match format {
                Some(args::ReportFormat::Html) => crate::report::Format::Html,
                Some(args::ReportFormat::Md) => crate::report::Format::Markdown,
                None => crate::report::Format::from_path(out),
            };
            let inputs = crate::report::DecisionInputs {
                catalog: &catalog,
                workload: &workload,
                options: &options,
                ranking: &ranking,
                series: &series,
                rows: args.top,
                diagnosis: diagnosis.as_ref(),
                have_note: if args.have.as_deref().is_some_and(|h| h.starts_with("this")) {
                    "detected on this computer"
                } else {
                    "as given"
                },
            };
            let files = crate::report::document_files(&inputs, out, format)
                .map_err(|e| CliError::Other(anyhow::anyhow!(e)))?;
            for (path, bytes) in &files {
                crate::fsio::write_file(path, bytes).map_err(write_error)?;
                println!("wrote {}", path.display());
            }
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

pub(crate) fn to_json<T: Serialize>(value: &T) -> Result<String, CliError> {
    serde_json::to_string_pretty(value).map_err(|e| CliError::Other(e.into()))
}
