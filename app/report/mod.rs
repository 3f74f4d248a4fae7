//! The decision document: Markdown (with its charts as PNG files beside it) or one
//! self-contained HTML file (charts inline as SVG, styles inline, a print stylesheet), both
//! rendered from the same blocks ([`document`]), and written through the program's one
//! writer. The CLI's `report` and the window's *Save summary* both call [`document_files`].

pub mod charts;
pub mod document;
mod html;
mod sections;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::diagnose::Diagnosis;
use crate::engine::rank::{RankOptions, Ranking};
use crate::engine::series::chart_series;
use crate::engine::types::{Catalog, Workload};

pub use charts::{ChartInputs, ChartKind};
pub use document::{Block, DecisionInputs};

/// The document's file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// Markdown, with the charts as PNG images beside it.
    Markdown,
    /// One HTML file with everything inside.
    Html,
}

impl Format {
    /// The format a file name asks for: `.html` or `.htm` is HTML, anything else Markdown.
    pub fn from_path(path: &Path) -> Format {
        let ext = path
            .extension()
            .map(|e| e.to_string_lossy().to_ascii_lowercase());
        match ext.as_deref() {
            Some("html" | "htm") => Format::Html,
            _ => Format::Markdown,
        }
    }
}

/// Renders the decision summary as Markdown, without chart images.
pub fn markdown(
    catalog: &Catalog,
    workload: &Workload,
    options: &RankOptions,
    ranking: &Ranking,
    top: usize,
) -> String {
    markdown_with_diagnosis(catalog, workload, options, ranking, top, None)
}

/// Renders the decision summary as Markdown, without chart images, with the diagnosis of
/// the user's local setup right after the verdict: settings come before purchases.
pub fn markdown_with_diagnosis(
    catalog: &Catalog,
    workload: &Workload,
    options: &RankOptions,
    ranking: &Ranking,
    top: usize,
    diagnosis: Option<&Diagnosis>,
) -> String {
    let series = chart_series(catalog, workload, ranking);
    let inputs = DecisionInputs {
        catalog,
        workload,
        options,
        ranking,
        series: &series,
        rows: top,
        diagnosis,
        have_note: "as given",
    };
    render_markdown(&document::blocks(&inputs), None)
}

/// The charts' inputs for a document.
pub fn chart_inputs<'a>(d: &DecisionInputs<'a>) -> ChartInputs<'a> {
    ChartInputs {
        series: d.series,
        workload: d.workload,
        budget_usd: (d.options.budget_min_usd, d.options.budget_max_usd),
        rows: d.rows,
    }
}

/// The files of a decision document at `path`: for Markdown, the text and one PNG per chart
/// beside it (`<name>-price.png`, ...); for HTML, the one file.
pub fn document_files(
    d: &DecisionInputs<'_>,
    path: &Path,
    format: Format,
) -> Result<Vec<(PathBuf, Vec<u8>)>, String> {
    let blocks = document::blocks(d);
    let charts = chart_inputs(d);
    match format {
        Format::Html => {
            let page = html::render(&blocks, &charts)?;
            Ok(vec![(path.to_path_buf(), page.into_bytes())])
        }
        Format::Markdown => {
            let stem = path.file_stem().map_or_else(
                || "decision".to_owned(),
                |s| s.to_string_lossy().into_owned(),
            );
            let mut files = vec![(
                path.to_path_buf(),
                render_markdown(&blocks, Some(&stem)).into_bytes(),
            )];
            for kind in ChartKind::ALL {
                if blocks.contains(&Block::Chart(kind)) {
                    let png = charts::png(kind, &charts).map_err(|e| {
                        format!("could not draw the {} chart: {e}", kind.file_suffix())
                    })?;
                    files.push((path.with_file_name(chart_file_name(&stem, kind)), png));
                }
            }
            Ok(files)
        }
    }
}

/// The file name of a chart's image beside a Markdown document.
pub fn chart_file_name(stem: &str, kind: ChartKind) -> String {
    format!("{stem}-{}.png", kind.file_suffix())
}

/// A table cell in Markdown: pipes escaped, on one line.
fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// Renders blocks as Markdown; charts become image links to `<stem>-<chart>.png` when a stem
/// is given, and are left out otherwise.
pub fn render_markdown(blocks: &[Block], chart_stem: Option<&str>) -> String {
    let mut md = String::new();
    for block in blocks {
        match block {
            Block::Title(t) => {
                let _ = writeln!(md, "# {t}\n");
            }
            Block::Lead(t) => {
                let _ = writeln!(md, "**{t}**\n");
            }
            Block::Paragraph(t) => {
                let _ = writeln!(md, "{t}\n");
            }
            Block::Heading(t) => {
                let _ = writeln!(md, "## {t}\n");
            }
            Block::Subheading(t) => {
                let _ = writeln!(md, "### {t}\n");
            }
            Block::Bullets(items) => {
                for item in items {
                    let _ = writeln!(md, "- {item}");
                }
                md.push('\n');
            }
            Block::Table {
                header,
                numeric,
                rows,
            } => {
                let _ = writeln!(
                    md,
                    "| {} |",
                    header
                        .iter()
                        .map(|h| cell(h))
                        .collect::<Vec<_>>()
                        .join(" | ")
                );
                let _ = writeln!(
                    md,
                    "|{}|",
                    numeric
                        .iter()
                        .map(|n| if *n { "---:" } else { "---" })
                        .collect::<Vec<_>>()
                        .join("|")
                );
                for row in rows {
                    let _ = writeln!(
                        md,
                        "| {} |",
                        row.iter().map(|c| cell(c)).collect::<Vec<_>>().join(" | ")
                    );
                }
                md.push('\n');
            }
            Block::Chart(kind) => {
                if let Some(stem) = chart_stem {
                    let _ = writeln!(
                        md,
                        "![{}]({})\n",
                        kind.title(),
                        chart_file_name(stem, *kind)
                    );
                }
            }
            Block::Diagnosis { markdown, .. } => {
                md.push_str(markdown);
                md.push('\n');
            }
        }
    }
    md
}

/// Writes `contents` to `path` through [`crate::fsio::write_file`], the program's one writer
/// (regular files only, atomic, permissions kept). Kept for callers of the old name.
pub fn write_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    crate::fsio::write_file(path, contents).map_err(std::io::Error::from)
}

/// Writes every file through [`crate::fsio::write_file`]; stops at the first failure,
/// naming the path last. Returns the paths written.
pub fn write_files(files: &[(PathBuf, Vec<u8>)]) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    for (path, bytes) in files {
        crate::fsio::write_file(path, bytes)
            .map_err(|e| format!("could not write: {} ({})", e.reason(), path.display()))?;
        written.push(path.clone());
    }
    Ok(written)
}
