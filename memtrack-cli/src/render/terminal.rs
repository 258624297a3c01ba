//! The summary as terminal text.

use super::style::Style;
use super::summary::{Block, sections};
use super::table::Paint;
use crate::model::Report;

/// The summary, with colour when `style` says so.
///
/// ```
/// use memtrack_cli::model::{Builder, Options};
/// use memtrack_cli::render::{style::Style, terminal};
///
/// let report = Builder::new("empty.log", Options::default()).finish();
/// let text = terminal::render(&report, Style::plain());
/// assert!(text.starts_with("memtrack report: empty.log\n  span    no memtrack event with a timestamp\n"));
/// assert!(text.ends_with("\nskipped lines: none\n"));
/// assert!(terminal::render(&report, Style { color: true }).contains("\x1b[1m"));
/// ```
#[must_use]
pub fn render(report: &Report, style: Style) -> String {
    let mut out = String::new();
    for (i, section) in sections(report).iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        out.push_str(&style.heading(&section.title));
        out.push('\n');
        for block in &section.blocks {
            match block {
                Block::Text(text, paint) => {
                    let text = match paint {
                        Paint::None => text.clone(),
                        Paint::Bad => style.bad(text),
                        Paint::Warn => style.warn(text),
                        Paint::Dim => style.dim(text),
                    };
                    out.push_str("  ");
                    out.push_str(&text);
                    out.push('\n');
                }
                Block::Table(table) => out.push_str(&table.render(style)),
                Block::Gap => out.push('\n'),
            }
        }
    }
    out
}
