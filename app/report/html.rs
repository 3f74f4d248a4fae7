//! The decision document as one self-contained HTML page: styles inline, charts inline as
//! SVG, no script, nothing fetched (links to sources are links, not assets). A print
//! stylesheet keeps tables and charts whole on paper. Words a buyer may not know carry
//! their meaning as a tooltip.

use std::fmt::Write as _;

use super::charts::{self, ChartInputs};
use super::document::{Block, GLOSSARY};

const STYLE: &str = r#"
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Ubuntu, sans-serif; color: #222;
  background: #fff; margin: 0; line-height: 1.45; }
main { max-width: 1100px; margin: 0 auto; padding: 24px 32px 48px; }
h1 { font-size: 1.5rem; margin: 0 0 12px; color: #444; font-weight: 600; }
h2 { font-size: 1.25rem; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
h3 { font-size: 1.05rem; margin: 20px 0 6px; }
.verdict { font-size: 1.3rem; font-weight: 700; background: #eef6ee; border-left: 6px solid #3c9a5a;
  padding: 12px 16px; margin: 12px 0; }
.table { overflow-x: auto; }
table { border-collapse: collapse; margin: 8px 0 12px; font-size: 0.9rem; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 4px 8px; vertical-align: top; text-align: left; }
th { background: #f4f4f4; font-weight: 600; }
td.n, th.n { text-align: right; }
td.n { white-space: nowrap; }
th { font-size: 0.85rem; }
td:nth-child(2) { min-width: 14em; }
figure { margin: 12px 0 20px; }
figure svg { max-width: 100%; height: auto; display: block; }
figcaption { font-size: 0.85rem; color: #555; }
abbr[title] { text-decoration: underline dotted; cursor: help; }
pre { background: #f7f7f7; padding: 12px; overflow-x: auto; font-size: 0.85rem; }
ul { padding-left: 22px; }
li { margin: 2px 0; }
a { color: #2a5db0; overflow-wrap: anywhere; }
@media print {
  main { max-width: none; padding: 0; }
  body { font-size: 10.5pt; }
  .verdict { background: none; border: 2px solid #3c9a5a; }
  h2, h3 { break-after: avoid; }
  figure, tr, .verdict { break-inside: avoid; }
  .table { overflow: visible; }
  table { font-size: 8pt; width: 100%; }
  th, td { padding: 2px 4px; }
  td.n { white-space: normal; }
  td:nth-child(2) { min-width: 0; }
  a { color: inherit; text-decoration: none; }
  abbr[title] { text-decoration: none; }
}
"#;

/// Escapes text for HTML.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            _ => out.push(c),
        }
    }
    out
}

/// Escaped text with each glossary term wrapped in an `<abbr>` carrying its meaning, and
/// web addresses made links.
fn rich(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    'scan: while !rest.is_empty() {
        for scheme in ["https://", "http://"] {
            if rest.starts_with(scheme) {
                let end = rest
                    .find(|c: char| c.is_whitespace() || c == ')')
                    .unwrap_or(rest.len());
                let url = rest[..end].trim_end_matches(['.', ',', ';']);
                let _ = write!(out, "<a href=\"{0}\">{0}</a>", escape(url));
                rest = &rest[url.len()..];
                continue 'scan;
            }
        }
        for (term, meaning) in GLOSSARY {
            if rest.starts_with(term) {
                let _ = write!(
                    out,
                    "<abbr title=\"{}\">{}</abbr>",
                    escape(meaning),
                    escape(term)
                );
                rest = &rest[term.len()..];
                continue 'scan;
            }
        }
        let mut chars = rest.chars();
        if let Some(c) = chars.next() {
            out.push_str(&escape(&c.to_string()));
        }
        rest = chars.as_str();
    }
    out
}

/// Renders the blocks as a page; charts are drawn here, as SVG.
pub fn render(blocks: &[Block], charts: &ChartInputs<'_>) -> Result<String, String> {
    let title = blocks
        .iter()
        .find_map(|b| match b {
            Block::Title(t) => Some(t.as_str()),
            _ => None,
        })
        .unwrap_or("headroom decision summary");
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n",
        escape(title)
    );
    for block in blocks {
        match block {
            Block::Title(t) => {
                let _ = writeln!(h, "<h1>{}</h1>", escape(t));
            }
            Block::Lead(t) => {
                let _ = writeln!(h, "<p class=\"verdict\">{}</p>", rich(t));
            }
            Block::Paragraph(t) => {
                let _ = writeln!(h, "<p>{}</p>", rich(t));
            }
            Block::Heading(t) => {
                let _ = writeln!(h, "<h2>{}</h2>", escape(t));
            }
            Block::Subheading(t) => {
                let _ = writeln!(h, "<h3>{}</h3>", escape(t));
            }
            Block::Bullets(items) => {
                h.push_str("<ul>\n");
                for item in items {
                    let _ = writeln!(h, "<li>{}</li>", rich(item));
                }
                h.push_str("</ul>\n");
            }
            Block::Table {
                header,
                numeric,
                rows,
            } => {
                let class = |i: usize| {
                    if numeric.get(i).copied().unwrap_or(false) {
                        " class=\"n\""
                    } else {
                        ""
                    }
                };
                h.push_str("<div class=\"table\"><table>\n<thead><tr>");
                for (i, head) in header.iter().enumerate() {
                    let _ = write!(h, "<th{}>{}</th>", class(i), rich(head));
                }
                h.push_str("</tr></thead>\n<tbody>\n");
                for row in rows {
                    h.push_str("<tr>");
                    for (i, c) in row.iter().enumerate() {
                        let _ = write!(h, "<td{}>{}</td>", class(i), escape(c));
                    }
                    h.push_str("</tr>\n");
                }
                h.push_str("</tbody></table></div>\n");
            }
            Block::Chart(kind) => {
                let svg = charts::svg(*kind, charts)
                    .map_err(|e| format!("could not draw the {} chart: {e}", kind.file_suffix()))?;
                let _ = writeln!(
                    h,
                    "<figure role=\"img\" aria-label=\"{0}\">\n{svg}\n<figcaption>{0}</figcaption>\n</figure>",
                    escape(kind.title())
                );
            }
            Block::Diagnosis { text, .. } => {
                let _ = writeln!(
                    h,
                    "<h2>Diagnose before you buy</h2>\n<pre>{}</pre>",
                    escape(text)
                );
            }
        }
    }
    h.push_str("</main>\n</body>\n</html>\n");
    Ok(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terms_get_their_meaning_and_addresses_become_links() {
        let html = rich("the KV cache grows; see https://example.org/a?b=1&c=2.");
        assert!(
            html.contains("<abbr title=\"memory the model keeps"),
            "{html}"
        );
        assert!(
            html.contains("<a href=\"https://example.org/a?b=1&amp;c=2\">"),
            "{html}"
        );
        assert!(html.ends_with("</a>."), "{html}");
    }
}
