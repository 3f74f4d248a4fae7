//! Diagnose as a library call: a request struct in, a [`Diagnosis`] or a [`DiagnoseError`]
//! out. The CLI and the window both call [`run`]; neither builds the other's arguments.

use std::path::PathBuf;

use crate::engine::rank::Owned;
use crate::engine::types::Catalog;

use super::{diagnose, gather, DiagnoseInput, Diagnosis, MachineSetup, UserLimits};

/// Which machine to diagnose on.
#[derive(Clone, Debug, PartialEq)]
pub enum MachineChoice {
    /// The machine the user has, already resolved against the catalogue, and how it was
    /// chosen, in words ("given with --have", "chosen by you").
    Given { owned: Owned, how: String },
    /// Detect it; a machine the catalogue lacks is diagnosed as an entry built from detection.
    Detect,
}

/// Everything a diagnosis needs besides the catalogue.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagnoseRequest {
    pub machine: MachineChoice,
    /// GGUF files to diagnose; with these or `ollama_dir`, only these are read.
    pub model_files: Vec<PathBuf>,
    /// The Ollama model store (holds manifests/ and blobs/).
    pub ollama_dir: Option<PathBuf>,
    /// Ask this running Ollama (its base URL), or none.
    pub ollama_url: Option<String>,
    /// The user's limits: client context limit, timeout, largest prompt, budget.
    pub user: UserLimits,
}

impl DiagnoseRequest {
    /// The request a decision's inputs imply: the machine you have (or detection), the
    /// workload's largest prompt and its timeout, the budget and the longest acceptable wait.
    /// The window, `report --diagnose` and `diagnose --scenario` all build it here.
    pub fn from_decision(
        workload: &crate::engine::types::Workload,
        options: &crate::engine::rank::RankOptions,
        how: &str,
    ) -> Self {
        let largest = workload.tasks.iter().max_by_key(|t| t.prompt_tokens);
        Self {
            machine: match &options.have {
                Some(owned) => MachineChoice::Given {
                    owned: owned.clone(),
                    how: how.to_owned(),
                },
                None => MachineChoice::Detect,
            },
            model_files: Vec::new(),
            ollama_dir: None,
            ollama_url: Some(crate::local::ollama::OLLAMA_DEFAULT_URL.to_owned()),
            user: UserLimits {
                client_limit_tokens: None,
                timeout_secs: largest.map(|t| t.timeout_secs),
                largest_prompt_tokens: largest.map(|t| t.prompt_tokens),
                budget_max_usd: options.budget_max_usd,
                max_wait_secs: options.mix.max_wait_secs,
            },
        }
    }
}

/// Why a diagnosis could not run; every variant names the input at fault.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum DiagnoseError {
    #[error("the timeout {0} must be a positive number of seconds")]
    BadTimeout(f64),
    #[error("the longest wait {0} must be a positive number of seconds")]
    BadMaxWait(f64),
    #[error("the {0} must be at least 1 token")]
    ZeroTokens(&'static str),
    #[error("the budget {0} must be a non-negative number")]
    BadBudget(f64),
    #[error("no such file: {}", .0.display())]
    NoSuchModelFile(PathBuf),
    #[error("{0}")]
    UnusableModelFile(String),
    #[error("no file could be read as a GGUF model:\n  {0}")]
    NoReadableModelFile(String),
    #[error("no Ollama model store (no manifests/ folder) in {}", .0.display())]
    NoOllamaStore(PathBuf),
    #[error("unknown machine \"{0}\"")]
    UnknownMachine(String),
}

/// Checks the request, reads the local setup (files, a running Ollama) and diagnoses it.
pub fn run(catalog: &Catalog, request: &DiagnoseRequest) -> Result<Diagnosis, DiagnoseError> {
    use crate::local::scan::ScanRoots;
    let user = &request.user;
    if let Some(t) = user.timeout_secs {
        if !(t.is_finite() && t > 0.0) {
            return Err(DiagnoseError::BadTimeout(t));
        }
    }
    if user.client_limit_tokens == Some(0) {
        return Err(DiagnoseError::ZeroTokens("client context limit"));
    }
    if user.largest_prompt_tokens == Some(0) {
        return Err(DiagnoseError::ZeroTokens("largest prompt"));
    }
    if let Some(w) = user.max_wait_secs {
        if !(w.is_finite() && w > 0.0) {
            return Err(DiagnoseError::BadMaxWait(w));
        }
    }
    if !(user.budget_max_usd.is_finite() && user.budget_max_usd >= 0.0) {
        return Err(DiagnoseError::BadBudget(user.budget_max_usd));
    }
    for path in &request.model_files {
        match crate::fsio::open_regular(path) {
            Ok(_) => {}
            Err(e) if e.is_not_found() => return Err(DiagnoseError::NoSuchModelFile(path.clone())),
            Err(e) => return Err(DiagnoseError::UnusableModelFile(e.to_string())),
        }
    }
    if let Some(dir) = &request.ollama_dir {
        if !dir.join("manifests").is_dir() {
            return Err(DiagnoseError::NoOllamaStore(dir.clone()));
        }
    }
    // A detected machine the catalogue lacks joins a copy of it, as in the window and
    // `rank --have this`: one resolution of the machine you have everywhere.
    let mut with_this_machine = None;
    let (owned, how) = match &request.machine {
        MachineChoice::Given { owned, how } => (owned.clone(), how.clone()),
        MachineChoice::Detect => {
            let mut local = catalog.clone();
            let resolved =
                crate::detect::detect_and_resolve(&mut local, std::time::Duration::from_secs(3));
            with_this_machine = Some(local);
            (resolved.owned, resolved.how)
        }
    };
    let catalog = with_this_machine.as_ref().unwrap_or(catalog);
    let machine = catalog
        .machine(&owned.machine)
        .ok_or_else(|| DiagnoseError::UnknownMachine(owned.machine.clone()))?;
    let roots = if request.ollama_dir.is_some() || !request.model_files.is_empty() {
        ScanRoots {
            ollama_models: request.ollama_dir.clone(),
            files: request.model_files.clone(),
            ..ScanRoots::default()
        }
    } else {
        ScanRoots::from_env()
    };
    let client = request
        .ollama_url
        .as_deref()
        .map(crate::local::ollama::OllamaClient::new);
    let found = gather::gather(&roots, client.as_ref());
    if !request.model_files.is_empty() && request.ollama_dir.is_none() {
        let unreadable: Vec<String> = found
            .models
            .iter()
            .filter(|m| request.model_files.contains(&m.path))
            .filter_map(|m| {
                m.gguf
                    .as_ref()
                    .err()
                    .map(|e| format!("{}: {e}", m.path.display()))
            })
            .collect();
        if unreadable.len() == request.model_files.len() {
            return Err(DiagnoseError::NoReadableModelFile(
                crate::local::printable_lines(&unreadable.join("\n  ")),
            ));
        }
    }
    let input = DiagnoseInput {
        models: &found.models,
        loaded_context_tokens: found.loaded_context_tokens.clone(),
        setup: MachineSetup {
            machine,
            per_device_gb: owned.per_device_gb,
            runtime: machine.default_runtime,
        },
        machine_how: how,
        user: user.clone(),
        ollama_default_context_tokens: crate::local::ollama::env_context_length_tokens(),
        ollama_kv: crate::local::ollama::OllamaKvSettings::from_env(),
        notes: found.notes.clone(),
    };
    Ok(diagnose(catalog, &input))
}
