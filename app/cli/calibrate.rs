//! `calibrate [--write FILE] [--force]`: fit each runtime's efficiencies and, with --write,
//! put them and the error bands into a runtimes file in place.
//!
//! The edit is span-aware: the file is scanned as RON (strings, comments, nesting), each
//! runtime entry's fields are located, and only the value of a fitted field or an error band
//! is replaced, wherever it sits (two fields on one line, a value over several lines).
//! Comments, layout and every other field are kept byte for byte. A value whose source the
//! user marked "assumed:" is left alone unless `--force`; the "assumed:" sources this
//! command writes itself (a parameter no row informs) stay under its control.

use std::path::Path;

use super::CliError;
use crate::catalog::span::Scanner;
use crate::engine::calibrate::{error_bands, known_miss_band};
use crate::engine::types::{Catalog, Runtime, RuntimeProfile, TestKind};

/// Largest runtimes file read.
const MAX_RUNTIMES_FILE_BYTES: u64 = crate::catalog::files::MAX_FILE_BYTES;

/// The source written beside a fitted value.
const FITTED_SOURCE: &str = "fitted: `headroom calibrate` on catalog/benchmarks.ron";

/// The start of the "assumed:" source this command writes for a parameter no row informs.
fn prior_only_source(runtime: Runtime) -> String {
    format!("assumed: no {runtime} row informs it, so it keeps the prior's typical value")
}

/// `headroom calibrate`.
pub fn calibrate_command(
    catalog: &Catalog,
    write: Option<&Path>,
    force: bool,
) -> Result<(), CliError> {
    let calibration = Calibration::of(catalog);
    print!("{}", calibration.summary());
    let Some(path) = write else {
        return Ok(());
    };
    let text = crate::fsio::read_text_bounded(path, MAX_RUNTIMES_FILE_BYTES, "a runtimes file")
        .map_err(|e| CliError::Usage(e.to_string()))?;
    let edit = rewrite_runtimes(&text, &calibration, force)
        .map_err(|e| CliError::Usage(format!("{}: {e}", path.display())))?;
    // The result must still load as a catalogue file before it replaces the old one.
    let source = crate::catalog::SourceText {
        origin: crate::engine::types::Origin::User(path.display().to_string()),
        label: path.display().to_string(),
        text: edit.text.clone(),
    };
    crate::catalog::validate::parse(&source).map_err(|e| {
        CliError::Usage(format!(
            "{}: the edited file would not load ({e}); nothing written",
            path.display()
        ))
    })?;
    crate::fsio::write_file(path, edit.text.as_bytes()).map_err(super::write_error)?;
    for kept in &edit.kept_assumed {
        eprintln!("kept {kept}: its source says \"assumed:\" (use --force to replace it)");
    }
    eprintln!(
        "wrote {} fitted values and error bands into {}",
        edit.replaced,
        path.display()
    );
    Ok(())
}

/// What [`rewrite_runtimes`] did.
#[derive(Debug)]
pub struct RuntimesEdit {
    pub text: String,
    /// Values and bands replaced.
    pub replaced: usize,
    /// `runtime.field` of values left alone because the user marked them "assumed:".
    pub kept_assumed: Vec<String>,
}

/// Replaces, in the text of a runtimes file, each fitted runtime's fitted values (their
/// sources become "fitted: ...") and its two error bands; everything else is kept byte for
/// byte (module docs). A file with no runtime entries, or none the fit produced, is refused.
pub fn rewrite_runtimes(
    text: &str,
    calibration: &Calibration,
    force: bool,
) -> Result<RuntimesEdit, String> {
    let Calibration {
        fitted,
        uninformed,
        held_out,
    } = calibration;
    let ron = Scanner::new(text);
    let top = ron.skip_ws(ron.skip_attributes(0));
    let top_open = ron
        .struct_open(top)
        .ok_or("not a RON catalogue file: no top-level ( ... )")?;
    let runtimes = ron
        .fields(top_open)?
        .into_iter()
        .find(|f| f.name == "runtimes")
        .ok_or("no `runtimes` list: this is not a runtimes file")?;
    if ron.bytes.get(runtimes.value.0) != Some(&b'[') {
        return Err("`runtimes` is not a list".to_owned());
    }
    let entries = ron.items(runtimes.value.0)?;
    if entries.is_empty() {
        return Err("the `runtimes` list is empty: nothing to calibrate".to_owned());
    }
    // (start, end, replacement), in file order.
    let mut edits: Vec<(usize, usize, String)> = Vec::new();
    let mut kept_assumed = Vec::new();
    let mut matched = 0;
    for (start, _) in entries {
        let Some(open) = ron.struct_open(start) else {
            continue;
        };
        let fields = ron.fields(open)?;
        let Some(name) = fields
            .iter()
            .find(|f| f.name == "runtime")
            .and_then(|f| ron::from_str::<String>(ron.slice(f.value)).ok())
        else {
            continue;
        };
        let Some(p) = fitted.iter().find(|p| p.runtime.as_str() == name) else {
            continue;
        };
        matched += 1;
        // The CPU profile is assumed throughout: no published row is fitted to it.
        if p.runtime == Runtime::Cpu {
            continue;
        }
        let values = crate::engine::calibrate::fitted_params(p).map(|(name, v)| {
            // Three or four significant digits, as the file has always kept them.
            let decimals = match name {
                "attention_efficiency" => 4,
                "layer_overhead_us" => 1,
                "moe_layer_overhead_us" => 2,
                "batch1_bytes_per_unit_cycle" => 2,
                "unfused_attention_bytes_per_score" => 1,
                "matmul_half_batch_tokens" => 1,
                _ => 3,
            };
            (name, format!("{v:.decimals$}"))
        });
        let own_assumed = prior_only_source(p.runtime);
        for field in &fields {
            if let Some((fname, value)) = values.iter().find(|(n, _)| *n == field.name) {
                // An optional figure is written `Some((value: .., source: ".."))`.
                let text = ron.slice(field.value).trim();
                let unwrapped = text.strip_prefix("Some(").and_then(|t| t.strip_suffix(')'));
                let wrapped = unwrapped.is_some();
                let inner = unwrapped.unwrap_or(text);
                let old = ron::from_str::<crate::catalog::raw::Sourced>(inner).map_err(|e| {
                    format!(
                        "{name}.{fname} at {}: not (value: N, source: \"...\"): {e}",
                        ron.position(field.value.0)
                    )
                })?;
                let user_assumed =
                    old.source.trim_start().starts_with("assumed:") && old.source != own_assumed;
                if user_assumed && !force {
                    kept_assumed.push(format!("{name}.{fname}"));
                    continue;
                }
                let prior_only = uninformed
                    .iter()
                    .any(|(r, names)| *r == p.runtime && names.contains(fname));
                let source = if prior_only {
                    own_assumed.clone()
                } else {
                    FITTED_SOURCE.to_owned()
                };
                let fitted = format!("(value: {value}, source: \"{source}\")");
                edits.push((
                    field.value.0,
                    field.value.1,
                    if wrapped {
                        format!("Some({fitted})")
                    } else {
                        fitted
                    },
                ));
                continue;
            }
            if field.name == "known_misses" {
                // Each known miss's `band` field (which must be written, `band: None` at
                // first) takes the spread of its held-out rows.
                for (i, (item, _)) in ron.items(field.value.0)?.into_iter().enumerate() {
                    let Some(open) = ron.struct_open(item) else {
                        continue;
                    };
                    let fields = ron.fields(open)?;
                    let correction = p.known_misses.get(i).and_then(|m| m.correction);
                    if let Some(field) = fields.iter().find(|f| f.name == "correction") {
                        let text =
                            correction.map_or("None".to_owned(), |c| format!("Some({c:.3})"));
                        edits.push((field.value.0, field.value.1, text));
                    }
                    let Some(band_field) = fields.into_iter().find(|f| f.name == "band") else {
                        continue;
                    };
                    let text = match known_miss_band(held_out, p.runtime, i) {
                        Some(b) => format!(
                            "Some((low: {:.3}, high: {:.3}, rows: {}))",
                            b.low, b.high, b.rows
                        ),
                        None => "None".to_owned(),
                    };
                    edits.push((band_field.value.0, band_field.value.1, text));
                }
                continue;
            }
            let band = match field.name.as_str() {
                "decode_error_band" => error_bands(held_out, p.runtime, TestKind::Decode, false),
                "prefill_error_band" => error_bands(held_out, p.runtime, TestKind::Prefill, false),
                "decode_unmeasured_band" => {
                    error_bands(held_out, p.runtime, TestKind::Decode, true)
                }
                "prefill_unmeasured_band" => {
                    error_bands(held_out, p.runtime, TestKind::Prefill, true)
                }
                _ => None,
            };
            if let Some(b) = band {
                edits.push((
                    field.value.0,
                    field.value.1,
                    format!("(low: {:.3}, high: {:.3}, rows: {})", b.low, b.high, b.rows),
                ));
            }
        }
    }
    if matched == 0 {
        return Err("no runtime entry in this file is one the fit produced".to_owned());
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    let replaced = edits.len();
    for (start, end, new) in edits {
        out.push_str(&text[at..start]);
        out.push_str(&new);
        at = end;
    }
    out.push_str(&text[at..]);
    Ok(RuntimesEdit {
        text: out,
        replaced,
        kept_assumed,
    })
}

/// One calibration run: the profiles fitted on every row, the parameters no row of a
/// runtime informs, and the leave-one-source-out predictions the error bands come from.
pub struct Calibration {
    pub fitted: Vec<RuntimeProfile>,
    pub uninformed: Vec<(Runtime, Vec<&'static str>)>,
    pub held_out: Vec<crate::engine::calibrate::RowPrediction>,
}

impl Calibration {
    pub fn of(catalog: &Catalog) -> Self {
        use crate::engine::calibrate::{fit_all, leave_one_source_out, uninformed_params};
        let rows = crate::engine::calibrate::current_rows(catalog);
        let fitted = fit_all(catalog);
        let uninformed = fitted
            .iter()
            .map(|p| (p.runtime, uninformed_params(catalog, &rows, p.runtime)))
            .collect();
        Calibration {
            fitted,
            uninformed,
            held_out: leave_one_source_out(catalog),
        }
    }

    /// Fitted profiles and error bands as lines for a reader.
    pub fn summary(&self) -> String {
        let mut out = String::new();
        for p in &self.fitted {
            if let Some((_, names)) = self
                .uninformed
                .iter()
                .find(|(r, names)| *r == p.runtime && !names.is_empty())
            {
                out += &format!(
                    "{}: no rows inform {}; they keep the prior's typical values\n",
                    p.runtime,
                    names.join(", ")
                );
            }
            out += &format!(
                "{}: bandwidth {:.3}, compute {:.3}, attention {:.4}, moe_prefill {:.3}, moe routing {:.1} µs/layer, overhead {:.1} µs/layer, kv_read {:.3}, batch-1 {:.2} B/unit/clock, unfused attention {:.1} B/score, float compute {:.3}\n",
                p.runtime,
                p.bandwidth_efficiency.value,
                p.compute_efficiency.value,
                p.attention_efficiency.value,
                p.moe_prefill_factor.value,
                p.moe_layer_overhead_us.value,
                p.layer_overhead_us.value,
                p.kv_read_efficiency.value,
                p.batch1_bytes_per_unit_cycle.value,
                p.unfused_attention_bytes_per_score.value,
                p.float_compute_efficiency.value
            );
            for (name, kind, widened) in [
                ("decode_error_band", TestKind::Decode, false),
                ("prefill_error_band", TestKind::Prefill, false),
                ("decode_unmeasured_band", TestKind::Decode, true),
                ("prefill_unmeasured_band", TestKind::Prefill, true),
            ] {
                if let Some(b) = error_bands(&self.held_out, p.runtime, kind, widened) {
                    out += &format!(
                        "    {name}: (low: {:.3}, high: {:.3}, rows: {}),\n",
                        b.low, b.high, b.rows
                    );
                }
            }
        }
        out
    }
}
