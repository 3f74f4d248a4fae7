//! Diagnose before you buy: finds the settings (context window, client timeout, GPU memory
//! limit) that limit the user's local models before the hardware does, and writes the fix.
//!
//! Everything in this module except [`gather`] is pure: it takes the local models already
//! read, the machine, the user's limits and the catalogue, and returns a serializable
//! [`Diagnosis`]. [`gather`] is the edge that reads the Ollama store, GGUF files and the
//! Ollama API.

pub mod context;
pub mod gather;
pub mod hardware;
pub mod identify;
pub mod kv;
pub mod render;
pub mod request;
pub mod timeout;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::engine::memory::LoadedModel;
use crate::engine::types::{Catalog, Machine, Runtime};
use crate::local::scan::{LocalModel, ModelSource};

pub use context::{ContextFinding, ContextLimit, LimitDetail, LimitSource};
pub use hardware::{BetterMachine, HardwareFinding};
pub use identify::{Identity, MatchedBy, Resolved};
pub use kv::{KvNote, KvSuggestion};
pub use render::{markdown, text};
pub use timeout::PrefillFinding;

/// What the user says about their client and their work.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct UserLimits {
    /// The context limit the user's client (agent framework, editor plugin) enforces.
    pub client_limit_tokens: Option<u64>,
    /// The client's request timeout.
    pub timeout_secs: Option<f64>,
    /// The largest prompt the user sends.
    pub largest_prompt_tokens: Option<u64>,
    /// The most the user would spend on a new machine.
    pub budget_max_usd: f64,
    /// The longest the user accepts to wait for the first token (a requirement). When set,
    /// the hardware finding looks for a machine within it; else within the timeout.
    #[serde(default)]
    pub max_wait_secs: Option<f64>,
}

/// The machine the diagnosis runs on.
#[derive(Clone, Copy, Debug)]
pub struct MachineSetup<'a> {
    /// The catalogue machine.
    pub machine: &'a Machine,
    /// Its memory option, per device.
    pub per_device_gb: f64,
    /// The runtime the models run on.
    pub runtime: Runtime,
}

/// Everything the diagnosis reads besides the catalogue.
#[derive(Clone, Debug)]
pub struct DiagnoseInput<'a> {
    /// Models found on the machine (Ollama store, GGUF files, the Ollama API).
    pub models: &'a [LocalModel],
    /// The context each model is loaded with now, by name (Ollama's `/api/ps`).
    pub loaded_context_tokens: BTreeMap<String, u64>,
    /// The machine.
    pub setup: MachineSetup<'a>,
    /// How the machine was chosen, in words ("given with --have", "detected: ...").
    pub machine_how: String,
    /// The user's limits.
    pub user: UserLimits,
    /// `OLLAMA_CONTEXT_LENGTH` when set: the server's context for models without `num_ctx`.
    pub ollama_default_context_tokens: Option<u64>,
    /// `OLLAMA_KV_CACHE_TYPE` and `OLLAMA_FLASH_ATTENTION`: the cache type of Ollama's models.
    pub ollama_kv: crate::local::ollama::OllamaKvSettings,
    /// Notes from reading the setup (Ollama not running, unreadable folders), shown as is.
    pub notes: Vec<String>,
}

/// The machine, as the diagnosis reports it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MachineSummary {
    /// Catalogue id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Memory per device.
    pub per_device_gb: f64,
    /// The runtime used.
    pub runtime: Runtime,
    /// How the machine was chosen.
    pub how: String,
}

/// The overall answer for one model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Nothing limits this model below what the user asks of it.
    Fine,
    /// Settings limit it; after the fix the machine serves everything asked.
    Settings,
    /// Even with every setting fixed, the machine cannot serve what is asked.
    Hardware,
    /// The model could not be read, so nothing could be diagnosed.
    Unreadable,
}

/// The fix, ready to paste.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Fix {
    /// A Modelfile that re-creates the model with a larger `num_ctx`.
    pub modelfile: Option<String>,
    /// The name of the re-created model.
    pub new_model_name: Option<String>,
    /// `ollama create <new-name> -f Modelfile`.
    pub ollama_create: Option<String>,
    /// The context to set in the client (at least this many tokens).
    pub client_limit_tokens: Option<u64>,
    /// The client timeout to set (at least this many seconds).
    pub timeout_secs: Option<u64>,
    /// A machine setting to change (the GPU memory limit), when the fix needs it.
    pub memory_setting: Option<String>,
    /// The steps in order.
    pub steps: Vec<FixStep>,
}

/// One step of the fix, with its values; the front ends word it.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum FixStep {
    /// Raise the GPU memory limit (`setting` says how) so `tokens` of context fit.
    RaiseGpuMemoryLimit { tokens: u64, setting: String },
    /// Re-create the Ollama model with the Modelfile (`create` is the command) and point the
    /// client at `new_name`.
    RecreateOllamaModel { create: String, new_name: String },
    /// Load the model (llama.cpp, LM Studio) with a context of `tokens`.
    LoadWithContext { tokens: u64 },
    /// Set the client's context limit to `tokens`.
    ClientContextLimit { tokens: u64 },
    /// Set the client's request timeout to at least `at_least_secs`.
    ClientTimeout {
        at_least_secs: u64,
        prompt_tokens: u64,
        predicted_secs: f64,
    },
    /// Start the Ollama server with a quantized KV cache, so `max_fit_tokens` fit.
    QuantizedKvCache {
        kv_type: String,
        max_fit_tokens: u64,
    },
}

impl Fix {
    /// Whether there is anything to do.
    pub fn is_empty(&self) -> bool {
        self.steps.is_empty()
    }
}

/// The diagnosis of one local model.
#[derive(Clone, Debug, Serialize)]
pub struct ModelDiagnosis {
    /// Display name (Ollama's `model:tag`, else the file name).
    pub name: String,
    /// Where it was found.
    pub source: ModelSource,
    /// The GGUF file (or the manifest).
    pub path: PathBuf,
    /// The overall answer.
    pub verdict: Verdict,
    /// Why the model could not be read, naming the file.
    pub error: Option<String>,
    /// What the model is.
    pub identity: Option<Identity>,
    /// Native vs configured vs fitting context.
    pub context: Option<ContextFinding>,
    /// Prefill of the largest prompt vs the timeout.
    pub prefill: Option<PrefillFinding>,
    /// What to change.
    pub fix: Fix,
    /// Whether another machine would help, after the fix.
    pub hardware: Option<HardwareFinding>,
    /// What the server's environment does to the KV cache (Ollama).
    pub kv_note: Option<KvNote>,
    /// A quantized KV cache that would fit more context, when memory binds.
    pub kv_suggestion: Option<KvSuggestion>,
    /// Problems met reading the model.
    pub problems: Vec<String>,
}

/// The whole diagnosis; its JSON keys are a stable interface.
#[derive(Clone, Debug, Serialize)]
pub struct Diagnosis {
    /// The machine diagnosed on.
    pub machine: MachineSummary,
    /// The user's limits.
    pub user: UserLimits,
    /// One entry per local model.
    pub models: Vec<ModelDiagnosis>,
    /// Notes from reading the setup.
    pub notes: Vec<String>,
    /// What to do first.
    pub headline: Headline,
}

/// What to do first, over every model; the front ends word it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Headline {
    /// No local model was found.
    NoModels,
    /// Settings limit `settings` of `models`, and nothing needs hardware.
    FixSettings { settings: usize, models: usize },
    /// `hardware` of `models` need more than this machine gives, settings fixed.
    Hardware { hardware: usize, models: usize },
    /// Nothing to fix.
    NothingToFix,
    /// Some models could not be read.
    SomeUnreadable,
}

impl Diagnosis {
    /// The settings this diagnosis found to change, as inputs of the verdict: the ranking
    /// then weighs them with the cloud and the hardware in one decision.
    pub fn found_settings(&self) -> Vec<crate::engine::Setting> {
        use crate::engine::Setting;
        let mut out = Vec::new();
        for m in self
            .models
            .iter()
            .filter(|m| m.verdict == Verdict::Settings)
        {
            if let (Some(_), Some(context)) = (&m.fix.modelfile, &m.context) {
                out.push(Setting::ContextWindow {
                    model: m.name.clone(),
                    current_tokens: context.effective_limit_tokens,
                    new_tokens: context.target_tokens,
                });
            }
            if let Some(tokens) = m.fix.client_limit_tokens {
                out.push(Setting::ClientContextLimit {
                    at_least_tokens: tokens,
                });
            }
            if let (Some(secs), Some(prefill)) = (m.fix.timeout_secs, &m.prefill) {
                out.push(Setting::ClientTimeout {
                    task: format!("{} (your largest prompt)", m.name),
                    current_secs: self.user.timeout_secs.unwrap_or(0.0),
                    at_least_secs: secs,
                    predicted_wait_secs: prefill.predicted_secs.unwrap_or(0.0),
                });
            }
            if let Some(how) = &m.fix.memory_setting {
                out.push(Setting::GpuMemoryLimit { how: how.clone() });
            }
        }
        out.dedup();
        out
    }
}

/// The KV cache type Ollama and llama.cpp use unless told otherwise.
pub const DEFAULT_KV_TYPE: &str = "f16";

/// Diagnoses every local model on the machine.
pub fn diagnose(catalog: &Catalog, input: &DiagnoseInput<'_>) -> Diagnosis {
    let setup = input.setup;
    let models: Vec<ModelDiagnosis> = input
        .models
        .iter()
        .map(|m| diagnose_model(catalog, input, m))
        .collect();
    let headline = headline(&models);
    Diagnosis {
        machine: MachineSummary {
            id: setup.machine.id.clone(),
            name: setup.machine.name.clone(),
            per_device_gb: setup.per_device_gb,
            runtime: setup.runtime,
            how: input.machine_how.clone(),
        },
        user: input.user.clone(),
        models,
        notes: input.notes.clone(),
        headline,
    }
}

fn headline(models: &[ModelDiagnosis]) -> Headline {
    if models.is_empty() {
        return Headline::NoModels;
    }
    let count = |v: Verdict| models.iter().filter(|m| m.verdict == v).count();
    let settings = count(Verdict::Settings);
    let hardware = count(Verdict::Hardware);
    if settings > 0 && hardware == 0 {
        Headline::FixSettings {
            settings,
            models: models.len(),
        }
    } else if hardware > 0 {
        Headline::Hardware {
            hardware,
            models: models.len(),
        }
    } else if count(Verdict::Fine) == models.len() {
        Headline::NothingToFix
    } else {
        Headline::SomeUnreadable
    }
}

fn unreadable(m: &LocalModel, error: String) -> ModelDiagnosis {
    ModelDiagnosis {
        name: m.name.clone(),
        source: m.source,
        path: m.path.clone(),
        verdict: Verdict::Unreadable,
        error: Some(error),
        identity: None,
        context: None,
        prefill: None,
        fix: Fix::default(),
        hardware: None,
        kv_note: None,
        kv_suggestion: None,
        problems: m.problems.clone(),
    }
}

fn diagnose_model(catalog: &Catalog, input: &DiagnoseInput<'_>, m: &LocalModel) -> ModelDiagnosis {
    let mut resolved = match identify::resolve(catalog, m) {
        Ok(r) => r,
        Err(error) => return unreadable(m, error),
    };
    let ollama = m.source == ModelSource::Ollama;
    let kv_note = if ollama {
        kv::apply(catalog, &input.ollama_kv, &mut resolved)
    } else {
        None
    };
    let setup = input.setup;
    let Some(profile) = catalog.runtime(setup.runtime) else {
        return unreadable(
            m,
            format!(
                "the catalogue has no efficiency profile for runtime \"{}\"",
                setup.runtime
            ),
        );
    };
    let loaded = LoadedModel {
        model: &resolved.model,
        quant: &resolved.quant,
        kv: &resolved.kv,
    };
    let context = context::find(
        m,
        &resolved,
        loaded,
        setup,
        profile,
        &input.user,
        input.loaded_context_tokens.get(&m.name).copied(),
        input.ollama_default_context_tokens,
    );
    let prefill = timeout::find(catalog, loaded, setup, profile, &context, &input.user);
    let kv_fix = if ollama {
        kv::suggest(catalog, loaded, setup, profile, &context)
    } else {
        None
    };
    let mut fix = context::fix(m, &context, &input.user);
    if let Some(p) = &prefill {
        timeout::add_fix(p, &mut fix);
    }
    if let Some(s) = &kv_fix {
        fix.steps.push(FixStep::QuantizedKvCache {
            kv_type: s.kv_type.clone(),
            max_fit_tokens: s.max_fit_tokens,
        });
    }
    let hardware = hardware::find(
        catalog,
        &resolved,
        setup,
        &context,
        prefill.as_ref(),
        &input.user,
    );
    let kv_fits = kv_fix.as_ref().is_some_and(|s| s.fits_asked);
    let verdict = verdict(&context, prefill.as_ref(), &fix, kv_fits);
    // A file that could not be read while the catalogue identified the model: the
    // catalogue's figures stand in, and the error is still shown.
    let error = resolved.file_error.clone();
    ModelDiagnosis {
        name: m.name.clone(),
        source: m.source,
        path: m.path.clone(),
        verdict,
        error,
        identity: Some(resolved.identity),
        context: Some(context),
        prefill,
        fix,
        hardware,
        kv_note,
        kv_suggestion: kv_fix,
        problems: m.problems.clone(),
    }
}

/// `kv_fits`: a quantized KV cache (a server setting) makes the context asked for fit.
fn verdict(
    context: &ContextFinding,
    prefill: Option<&PrefillFinding>,
    fix: &Fix,
    kv_fits: bool,
) -> Verdict {
    let prompt_too_big_for_memory = prefill.is_some_and(|p| !p.fits_in_memory) && !kv_fits;
    if (context.memory_binding && !kv_fits) || prompt_too_big_for_memory {
        Verdict::Hardware
    } else if fix.is_empty() {
        Verdict::Fine
    } else {
        Verdict::Settings
    }
}
