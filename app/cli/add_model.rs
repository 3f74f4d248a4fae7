//! `headroom add-model`: a catalogue model entry from a Hugging Face `config.json` or a GGUF
//! file, printed as RON or appended to the user's catalogue file.

use std::io::Read;
use std::path::{Path, PathBuf};

use clap::Args;

use super::{load_catalog, Cli, CliError};
use crate::catalog::raw::{RawFile, RawModel};
use crate::catalog::{self, SourceText};
use crate::engine::types::Origin;
use crate::local::hf_config::{self, EntryNames, MAX_CONFIG_BYTES};

/// Arguments of `add-model`.
#[derive(Debug, Args)]
pub struct AddModelArgs {
    /// A Hugging Face config.json, or a GGUF file (only its header is read).
    pub file: PathBuf,
    /// Catalogue id for the entry; default: derived from the model's name.
    #[arg(long)]
    pub id: Option<String>,
    /// Display name; default: the name in the file, else the file's name.
    #[arg(long)]
    pub name: Option<String>,
    /// The model's Hugging Face repository (owner/name), recorded with its config URL.
    #[arg(long, value_name = "OWNER/NAME")]
    pub hf_repo: Option<String>,
    /// Append the entry to this catalogue file (created if missing) instead of printing it.
    /// The file is rewritten whole, atomically; comments in it are not kept.
    #[arg(long, value_name = "FILE.ron")]
    pub save_to: Option<PathBuf>,
}

/// Reads the file, builds the entry, checks it loads with the rest of the catalogue, then
/// prints it or saves it. Nothing is written on any error.
pub fn run(cli: &Cli, args: &AddModelArgs) -> Result<(), CliError> {
    let names = EntryNames {
        id: args.id.clone(),
        name: args.name.clone(),
        hf_repo: args.hf_repo.clone(),
    };
    let model = entry_from_file(&args.file, &names)?;
    let text = hf_config::catalogue_text(&model)
        .map_err(|e| anyhow::anyhow!("cannot write the entry as RON: {e}"))?;

    // The entry must load with everything the user already has.
    let catalog = load_catalog(cli, &[])?;
    let overrides = catalog
        .models
        .iter()
        .find(|m| m.id == model.id)
        .map(|m| m.origin.clone());

    let Some(path) = &args.save_to else {
        check_loads(&catalog_sources(cli)?, "add-model output", &text)?;
        if let Some(origin) = overrides {
            eprintln!("note: id {} is already in {origin}; this entry would override it (use --id to add it alongside)", model.id);
        }
        print!("{text}");
        return Ok(());
    };

    let mut file = RawFile::default();
    if path.exists() {
        let source = catalog::files::read_source(path).map_err(|e| CliError::Catalog(vec![e]))?;
        file = catalog::validate::parse(&source).map_err(|e| CliError::Catalog(vec![e]))?;
        if file.models.iter().any(|m| m.id == model.id) {
            return Err(CliError::Usage(format!(
                "{} already has a model with id \"{}\"; remove it or choose another with --id",
                path.display(),
                model.id
            )));
        }
    }
    file.models.push(model.clone());
    let body = ron::ser::to_string_pretty(&file, ron::ser::PrettyConfig::default())
        .map_err(|e| anyhow::anyhow!("cannot write RON: {e}"))?;
    let contents =
        format!("// Your own catalogue entries; models added by `headroom add-model`.\n{body}\n");
    // The saved file replaces the old one among the user's catalogues, so check it in place.
    let label = path.display().to_string();
    let others: Vec<SourceText> = catalog_sources(cli)?
        .into_iter()
        .filter(|s| s.origin != Origin::User(label.clone()))
        .collect();
    check_loads(&others, &label, &contents)?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| anyhow::anyhow!("cannot create {}: {e}", dir.display()))?;
    }
    crate::report::write_atomic(path, contents.as_bytes())
        .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", path.display()))?;
    if let Some(origin) = overrides.filter(|o| *o != Origin::User(label.clone())) {
        eprintln!("note: id {} is also in {origin}; the entry in {label} overrides it when that file loads later", model.id);
    }
    println!(
        "added model {} to {}: use it with --catalog {} (or keep the file in the config directory's catalog folder)",
        model.id,
        path.display(),
        path.display()
    );
    Ok(())
}

/// The entry a file describes: GGUF by its magic, else JSON.
pub fn entry_from_file(path: &Path, names: &EntryNames) -> Result<RawModel, CliError> {
    let shown = path.display();
    let mut file = std::fs::File::open(path)
        .map_err(|e| CliError::Usage(format!("cannot open {shown}: {e}")))?;
    let len = file.metadata().map(|m| m.len()).ok();
    let mut head = [0u8; 4];
    let read = file
        .read(&mut head)
        .map_err(|e| CliError::Usage(format!("cannot read {shown}: {e}")))?;
    if hf_config::is_gguf(&head[..read]) {
        let info = crate::local::gguf::read_gguf(path)
            .map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
        let local = hf_config::local_model_for(path, &info, len);
        let model = crate::diagnose::identify::model_from_gguf(&local, &info)
            .map_err(|e| CliError::Usage(format!("{shown}: {e}")))?;
        let quants = catalog::built_in().map_err(CliError::Catalog)?;
        return Ok(hf_config::raw_from_gguf_model(
            &model,
            &info,
            path,
            names,
            |q| quants.quant(q).is_some(),
        ));
    }
    if len.is_some_and(|l| l > MAX_CONFIG_BYTES) {
        return Err(CliError::Usage(format!(
            "{shown} is neither a GGUF file nor a config.json of at most {} KiB",
            MAX_CONFIG_BYTES / 1024
        )));
    }
    let mut bytes = head[..read].to_vec();
    file.take(MAX_CONFIG_BYTES)
        .read_to_end(&mut bytes)
        .map_err(|e| CliError::Usage(format!("cannot read {shown}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|_| CliError::Usage(format!("{shown} is neither a GGUF file nor UTF-8 JSON")))?;
    hf_config::model_from_hf_config(&text, path, names)
        .map_err(|e| CliError::Usage(format!("{shown}: {e}")))
}

/// The sources the catalogue loads from, as `load_catalog` finds them.
fn catalog_sources(cli: &Cli) -> Result<Vec<SourceText>, CliError> {
    catalog::files::all_sources(&cli.catalogs, !cli.no_user_catalog).map_err(CliError::Catalog)
}

/// Loads `sources` plus `text` (labelled `label`); the loader's errors name file:line:column.
fn check_loads(sources: &[SourceText], label: &str, text: &str) -> Result<(), CliError> {
    let mut all = sources.to_vec();
    all.push(SourceText {
        origin: Origin::User(label.to_owned()),
        label: label.to_owned(),
        text: text.to_owned(),
    });
    catalog::load(&all).map(|_| ()).map_err(CliError::Catalog)
}
