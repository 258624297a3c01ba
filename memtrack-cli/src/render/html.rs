//! The HTML page: the picture inline, then the summary's sections as tables. One
//! self-contained file, no script, no external resource.

use std::fmt::Write as _;

use super::format::one_line;
pub use super::markup::escape;
use super::summary::{Block, sections};
use crate::model::Report;

const STYLE: &str = "\
body{font-family:sans-serif;margin:24px;color:#222;max-width:1240px}\
h1{font-size:20px}h2{font-size:16px;margin:28px 0 8px}\
table{border-collapse:collapse;font-size:13px;margin:4px 0 8px}\
th,td{padding:3px 10px;border-bottom:1px solid #e6e6e6;white-space:nowrap}\
th{background:#f4f4f4;font-weight:600}\
td.r,th.r{text-align:right;font-variant-numeric:tabular-nums}\
p{margin:4px 0;font-size:14px}\
.bad{color:#c62828}.warn{color:#b35900;font-weight:600}.dim{color:#777}\
.picture{border:1px solid #ddd;margin:8px 0}";

/// The page for `report`.
///
/// ```
/// use memtrack_cli::model::{Builder, Options};
///
/// let report = Builder::new("a<b>.log", Options::default()).finish();
/// let page = memtrack_cli::render::html::render(&report);
/// assert!(page.contains("<h1>memtrack report: a&lt;b&gt;.log</h1>"));
/// assert_eq!(page.matches("<svg").count(), 1);
/// ```
#[must_use]
pub fn render(report: &Report) -> String {
    let mut out = String::new();
    let title = escape(&format!("memtrack report: {}", one_line(&report.log)));
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n"
    );
    let svg = super::svg::render(report);
    for (i, section) in sections(report).iter().enumerate() {
        if i == 0 {
            let _ = writeln!(out, "<h1>{}</h1>", escape(&section.title));
        } else {
            let _ = writeln!(out, "<h2>{}</h2>", escape(&section.title));
        }
        for block in &section.blocks {
            match block {
                Block::Text(text, paint) => {
                    let _ = writeln!(
                        out,
                        "<p class=\"{}\">{}</p>",
                        paint.css_class(),
                        escape(text)
                    );
                }
                Block::Table(table) => out.push_str(&table.to_html()),
                Block::Gap => {}
            }
        }
        if i == 0 {
            let _ = writeln!(out, "<div class=\"picture\">{svg}</div>");
        }
    }
    out.push_str("</body>\n</html>\n");
    out
}
