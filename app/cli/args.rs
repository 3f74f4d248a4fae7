//! The command line's arguments (clap).

use super::*;

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
    /// Write the decision document: one HTML page, or Markdown with its charts as PNG files.
    Report {
        #[command(flatten)]
        rank: RankArgs,
        /// Where to write the document (charts beside a Markdown file: NAME-price.png, ...).
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// `html` or `md`; by default from the file name (.html or .htm is HTML, else Markdown).
        #[arg(long, value_enum)]
        format: Option<ReportFormat>,
        /// Diagnose the local setup first (Ollama store, running Ollama) and put the
        /// findings at the top; the workload's largest prompt and its timeout are used.
        #[arg(long)]
        diagnose: bool,
    },
    /// Find the settings (context window, timeout) that limit your local models before you buy.
    Diagnose(DiagnoseArgs),
}

/// The decision document's format on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ReportFormat {
    /// One self-contained HTML page, charts inline as SVG.
    Html,
    /// Markdown, with the charts as PNG files beside it.
    Md,
}

/// `diagnose` arguments.
#[derive(Debug, Args, Clone)]
pub struct DiagnoseArgs {
    /// Print the diagnosis as JSON.
    #[arg(long)]
    pub json: bool,
    /// A scenario saved by the window: the machine you have, the largest prompt and its
    /// timeout, the budget and the longest wait come from it (flags given here win).
    #[arg(long, value_name = "FILE")]
    pub scenario: Option<PathBuf>,
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
    #[arg(long, value_enum, default_value_t = ObjectiveArg::Cheapest)]
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
    /// Users or agents served at once (each holds its own conversation in memory and they
    /// share the machine's speed); default: the workload's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub users: Option<u32>,
    /// Hours a day the requests arrive in (for the queue); default: the workload's, else 24.
    #[arg(long, value_name = "HOURS")]
    pub active_hours: Option<f64>,
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
