//! The decision document as a reader gets it: `headroom report` writes one self-contained
//! HTML page (charts inline as SVG with axis titles, ticks and a legend) or Markdown with
//! PNG charts beside it; the memory chart shows the table's rows; an option that fails
//! requests is never shown as the faster one.

use std::process::Command;

use headroom::catalog;
use headroom::engine::rank::{rank, Owned, RankOptions};
use headroom::engine::series::chart_series;
use headroom::engine::types::Catalog;
use headroom::report::{self, charts, Block, ChartKind, DecisionInputs, Format};

fn headroom(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_headroom"))
        .args(["--no-user-catalog"])
        .args(args)
        .output()
        .expect("run headroom");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn built_in() -> Catalog {
    catalog::built_in().unwrap_or_else(|e| panic!("{}", catalog::error::join(&e)))
}

const FOUNDING: &[&str] = &[
    "--workload",
    "agentic-coding",
    "--have",
    "mac-studio-m2-ultra-60c@64",
    "--budget-max",
    "5000",
    "--top",
    "6",
];

/// The SVG documents inside an HTML page, in order.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .filter_map(|(start, _)| {
            let end = html[start..].find("</svg>")?;
            Some(&html[start..start + end + 6])
        })
        .collect()
}

#[test]
fn report_writes_one_self_contained_html_page_with_svg_charts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("decision.html");
    let mut args = vec!["report"];
    args.extend_from_slice(FOUNDING);
    args.extend_from_slice(&["--out", out.to_str().expect("utf8")]);
    let (code, stdout, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout.lines().count(), 1, "one file: {stdout}");
    let html = std::fs::read_to_string(&out).expect("written");
    assert!(html.starts_with("<!DOCTYPE html>"));
    // The verdict comes first, in the words `rank` prints.
    let (_, rank_out, _) = headroom(&{
        let mut a = vec!["rank"];
        a.extend_from_slice(FOUNDING);
        a
    });
    let verdict = rank_out.lines().next().expect("a verdict");
    let lead = html.find("class=\"verdict\"").expect("the verdict");
    assert!(html[lead..].contains(&verdict.replace('"', "&quot;")[..40]));
    assert!(lead < html.find("<h2>").expect("sections"));
    // Self-contained: nothing is fetched; links to sources are links, not assets.
    for fetched in ["src=\"http", "<link", "<script", "@import", "url(http"] {
        assert!(!html.contains(fetched), "{fetched} in the page");
    }
    assert!(html.contains("@media print"));
    let charts = svgs(&html);
    assert_eq!(charts.len(), 4, "price, memory, prefill, decode");
    let memory = charts[0];
    assert!(memory.contains("GiB at the busiest moment of the mix"));
    assert!(memory.contains("context memory (KV cache)"), "legend");
    for axis in [
        "price (US dollars",
        "minutes per request, slowest task (log)",
        "your machine",
        "best time for the money",
    ] {
        assert!(charts[1].contains(axis), "{axis} on the price chart");
    }
    // Tick labels in dollars with separators.
    assert!(charts[1].contains("$1,000"), "price ticks");
    assert!(charts[2].contains("timeout 5 min: everyday coding, multi-file edits"));
    assert!(charts[2].contains("prompt length in tokens (log scale)"));
    assert!(charts[3].contains("tokens written per second"));
    // Every listed option is named on the memory chart, numbered as in the tables.
    let (_, json, _) = headroom(&{
        let mut a = vec!["rank", "--json"];
        a.extend_from_slice(FOUNDING);
        a
    });
    let ranking: serde_json::Value = serde_json::from_str(&json).expect("rank --json");
    let names: Vec<String> = ranking["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["machine_name"].as_str().unwrap_or_default().to_owned())
        .collect();
    for (i, name) in names.iter().take(6).enumerate() {
        let start: String = name.chars().take(20).collect();
        let label = format!("#{} {start}", i + 1);
        assert!(memory.contains(&label), "{label} on the memory chart");
    }
    assert!(!memory.contains("#7 "), "only the listed rows");
}

#[test]
fn report_writes_markdown_with_png_charts_beside_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("decision.md");
    let mut args = vec!["report", "--format", "md"];
    args.extend_from_slice(FOUNDING);
    args.extend_from_slice(&["--out", out.to_str().expect("utf8")]);
    let (code, _, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(&out).expect("written");
    for kind in ChartKind::ALL {
        let name = format!("decision-{}.png", kind.file_suffix());
        assert!(md.contains(&format!("]({name})")), "{name} linked");
        let bytes = std::fs::read(dir.path().join(&name)).expect("chart written");
        let image = image::load_from_memory(&bytes).expect("a PNG that decodes");
        if kind == ChartKind::Price {
            assert_eq!((image.width(), image.height()), (900, 560));
        }
        assert_eq!(image.width(), 900);
    }
    // Dollars carry thousands separators; no internal words.
    assert!(md.contains("$3,000"), "{md}");
    // headroom's own flags stay out; a setting may name the runtime's option to set.
    for jargon in [
        "Pareto",
        "seed podcast",
        "overhead-bound",
        "catalog/",
        "--have",
        "--max-wait",
        "--top",
    ] {
        assert!(!md.contains(jargon), "{jargon} in the document");
    }
}

/// The founding mix with a five-minute limit on the wait and the cloud off: the M2 Ultra
/// fails the multi-file edits, so its average over the answered requests (everyday coding
/// only) would look faster than any machine that answers everything.
fn failing_inputs() -> (Catalog, headroom::engine::types::Workload, RankOptions) {
    let c = built_in();
    let w = c.workload("agentic-coding").expect("preset").clone();
    let mut options = RankOptions {
        have: Some(Owned {
            machine: "mac-studio-m2-ultra-60c".to_owned(),
            per_device_gb: 64.0,
        }),
        budget_max_usd: 5000.0,
        ..RankOptions::default()
    };
    options.mix.allow_cloud = false;
    options.mix.max_wait_secs = Some(300.0);
    (c, w, options)
}

/// The rows of the document's table that has a column named `column`.
#[track_caller]
fn table_with(inputs: &DecisionInputs<'_>, column: &str) -> Vec<Vec<String>> {
    report::document::blocks(inputs)
        .into_iter()
        .find_map(|b| match b {
            Block::Table { header, rows, .. } if header.iter().any(|h| h == column) => Some(rows),
            _ => None,
        })
        .unwrap_or_else(|| panic!("a table with a column \"{column}\""))
}

#[test]
fn an_option_that_fails_requests_is_not_shown_as_faster() {
    let (c, w, options) = failing_inputs();
    let ranking = rank(&c, &w, &options);
    let series = chart_series(&c, &w, &ranking);
    let (index, yours) = ranking
        .entries
        .iter()
        .enumerate()
        .find(|(_, e)| e.is_current)
        .expect("yours is ranked");
    assert!(yours.mix.share_failed > 0.1, "the M2 Ultra fails a task");
    // The table's average says the failures first.
    let inputs = DecisionInputs {
        catalog: &c,
        workload: &w,
        options: &options,
        ranking: &ranking,
        series: &series,
        rows: ranking.entries.len(),
        diagnosis: None,
        have_note: "as given",
    };
    let table = table_with(&inputs, "average request");
    let row = &table[index];
    assert!(row[5].starts_with("20% fail"), "{row:?}");
    // On the price chart it sits at its slowest task's time, above every option that
    // answers everything within the wait.
    let point = series
        .price
        .iter()
        .find(|p| p.entry == index)
        .expect("yours is drawn");
    assert_eq!(point.slowest_task, "multi-file edits");
    assert!(point.slowest_request_mins > 10.0, "{point:?}");
    for other in series.price.iter().filter(|p| {
        ranking.entries[p.entry].mix.share_failed == 0.0
            && ranking.entries[p.entry].mix.meets_targets
    }) {
        assert!(
            other.slowest_request_mins < point.slowest_request_mins,
            "{other:?} drawn slower than the failing {point:?}"
        );
    }
}

#[test]
fn the_memory_chart_shows_the_rows_of_the_memory_table() {
    let (c, w, options) = failing_inputs();
    let ranking = rank(&c, &w, &options);
    let series = chart_series(&c, &w, &ranking);
    for rows in [3, 15] {
        let inputs = DecisionInputs {
            catalog: &c,
            workload: &w,
            options: &options,
            ranking: &ranking,
            series: &series,
            rows,
            diagnosis: None,
            have_note: "as given",
        };
        let table_rows = table_with(&inputs, "KV cache");
        let chart = report::chart_inputs(&inputs);
        let chart_rows: Vec<String> = chart
            .memory_rows()
            .iter()
            .map(|s| (s.entry + 1).to_string())
            .collect();
        let numbers: Vec<String> = table_rows.iter().map(|r| r[0].clone()).collect();
        assert_eq!(chart_rows.len(), numbers.len(), "rows = {rows}");
        let svg = charts::svg(ChartKind::Memory, &chart).expect("drawn");
        for n in &chart_rows {
            assert!(svg.contains(&format!("#{n} ")), "row #{n} on the chart");
        }
        assert!(!svg.contains(&format!("#{} ", chart_rows.len() + 1)));
    }
}

#[test]
fn each_timeout_line_names_every_task_it_belongs_to() {
    let c = built_in();
    let mut w = c.workload("agentic-coding").expect("preset").clone();
    assert_eq!(
        charts::timeout_lines(&w),
        vec![(
            300.0,
            "timeout 5 min: everyday coding, multi-file edits".to_owned()
        )]
    );
    w.tasks[1].timeout_secs = 1_200.0;
    assert_eq!(
        charts::timeout_lines(&w),
        vec![
            (300.0, "timeout 5 min: everyday coding".to_owned()),
            (1_200.0, "timeout 20 min: multi-file edits".to_owned()),
        ]
    );
}

#[test]
fn the_format_follows_the_file_name() {
    use std::path::Path;
    assert_eq!(Format::from_path(Path::new("a.HTML")), Format::Html);
    assert_eq!(Format::from_path(Path::new("a.htm")), Format::Html);
    assert_eq!(Format::from_path(Path::new("a.md")), Format::Markdown);
    assert_eq!(Format::from_path(Path::new("a")), Format::Markdown);
}

/// Against a machine that fails a task, an option that answers it is not said to add hours
/// of waiting: it answers the requests yours fails.
#[test]
fn what_an_option_buys_counts_the_requests_yours_fails() {
    let (c, w, options) = failing_inputs();
    let ranking = rank(&c, &w, &options);
    let series = chart_series(&c, &w, &ranking);
    let inputs = DecisionInputs {
        catalog: &c,
        workload: &w,
        options: &options,
        ranking: &ranking,
        series: &series,
        rows: 5,
        diagnosis: None,
        have_note: "as given",
    };
    let md = report::render_markdown(&report::document::blocks(&inputs), None);
    let section = md
        .split("### What each option buys you against your machine")
        .nth(1)
        .expect("the section");
    let first = section
        .lines()
        .find(|l| l.starts_with("- #"))
        .expect("an option");
    assert!(
        first.contains("it answers the 20% of requests your machine fails"),
        "{first}"
    );
    assert!(!first.contains("hours of waiting added"), "{first}");
}

/// Sessions and users at once reach the document: the assumptions name them, and each
/// listed option gives its cold and warm turns or each user's speed against all together.
#[test]
fn the_document_gives_sessions_and_users_at_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("team.md");
    let (code, _, stderr) = headroom(&[
        "report",
        "--workload",
        "gpt-oss-team",
        "--out",
        out.to_str().expect("utf8"),
    ]);
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(&out).expect("written");
    assert!(md.contains("## Sessions and users at once"), "{md}");
    assert!(md.contains("4 users or agents"), "{md}");
    assert!(md.contains("4 at once:"), "{md}");
    assert!(md.contains("together"), "{md}");

    let out = dir.path().join("founding.md");
    let mut args = vec!["report", "--format", "md"];
    args.extend_from_slice(FOUNDING);
    args.extend_from_slice(&["--out", out.to_str().expect("utf8")]);
    let (code, _, stderr) = headroom(&args);
    assert_eq!(code, 0, "{stderr}");
    let md = std::fs::read_to_string(&out).expect("written");
    assert!(md.contains("runs as sessions of 6 turns"), "{md}");
    assert!(md.contains("a session of 6 turns takes"), "{md}");
}
