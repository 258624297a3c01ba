//! Aligned text tables.

use super::format::short;
use super::style::Style;

/// Longest cell printed; longer ones are cut with `…`.
const MAX_CELL_CHARS: usize = 60;

/// Column alignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Numbers.
    Right,
}

/// One cell: its text and an optional colour applied after alignment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    text: String,
    paint: Paint,
}

/// The colour of a cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paint {
    /// As is.
    None,
    /// [`Style::bad`].
    Bad,
    /// [`Style::warn`].
    Warn,
    /// [`Style::dim`].
    Dim,
}

impl Paint {
    /// The CSS class of this paint in the HTML page.
    pub(crate) fn css_class(self) -> &'static str {
        match self {
            Paint::None => "",
            Paint::Bad => "bad",
            Paint::Warn => "warn",
            Paint::Dim => "dim",
        }
    }
}

impl Cell {
    /// A cell painted with `paint`.
    #[must_use]
    pub fn painted(text: impl Into<String>, paint: Paint) -> Self {
        Cell {
            text: text.into(),
            paint,
        }
    }
}

impl From<String> for Cell {
    fn from(text: String) -> Self {
        Cell::painted(text, Paint::None)
    }
}

impl From<&str> for Cell {
    fn from(text: &str) -> Self {
        Cell::painted(text, Paint::None)
    }
}

/// A table with a header row.
#[derive(Debug, Clone, Default)]
pub struct Table {
    columns: Vec<(String, Align)>,
    rows: Vec<Vec<Cell>>,
}

fn cut(text: &str) -> String {
    short(text, MAX_CELL_CHARS)
}

impl Table {
    /// A table with these columns.
    #[must_use]
    pub fn new(columns: &[(&str, Align)]) -> Self {
        Table {
            columns: columns
                .iter()
                // Headers can come from the log too (cache names).
                .map(|(name, align)| (cut(name), *align))
                .collect(),
            rows: Vec::new(),
        }
    }

    /// Adds a row (missing cells are empty, extra ones dropped).
    pub fn row(&mut self, cells: Vec<Cell>) {
        self.rows.push(cells);
    }

    /// The table without the columns (but the first) in which no row has a value
    /// (every cell empty or `-`), so that figures a log lacks take no room.
    ///
    /// ```
    /// use memtrack_cli::render::style::Style;
    /// use memtrack_cli::render::table::{Align, Table};
    ///
    /// let mut t = Table::new(&[("name", Align::Left), ("retained", Align::Right), ("net", Align::Right)]);
    /// t.row(vec!["a".into(), "-".into(), "1 B".into()]);
    /// assert_eq!(t.without_empty_columns().render(Style::plain()), "  name  net\n  a     1 B\n");
    /// ```
    #[must_use]
    pub fn without_empty_columns(self) -> Table {
        if self.rows.is_empty() {
            return self;
        }
        let keep: Vec<bool> = (0..self.columns.len())
            .map(|i| {
                i == 0
                    || self.rows.iter().any(|row| {
                        row.get(i)
                            .is_some_and(|c| !c.text.is_empty() && c.text != "-")
                    })
            })
            .collect();
        fn pick<T>(items: Vec<T>, keep: &[bool]) -> Vec<T> {
            items
                .into_iter()
                .zip(keep)
                .filter_map(|(item, k)| k.then_some(item))
                .collect()
        }
        Table {
            columns: pick(self.columns, &keep),
            rows: self.rows.into_iter().map(|row| pick(row, &keep)).collect(),
        }
    }

    /// Whether it has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as an HTML `<table>`.
    ///
    /// ```
    /// use memtrack_cli::render::table::{Align, Table};
    ///
    /// let mut t = Table::new(&[("name", Align::Left), ("size", Align::Right)]);
    /// t.row(vec!["<a>".into(), "10".into()]);
    /// assert_eq!(
    ///     t.to_html(),
    ///     "<table>\n<tr><th>name</th><th class=\"r\">size</th></tr>\n<tr><td>&lt;a&gt;</td><td class=\"r\">10</td></tr>\n</table>\n"
    /// );
    /// ```
    #[must_use]
    pub fn to_html(&self) -> String {
        use super::markup::escape;
        let align = |a: Align| {
            if a == Align::Right {
                " class=\"r\""
            } else {
                ""
            }
        };
        let mut out = String::from("<table>\n<tr>");
        for (name, a) in &self.columns {
            out.push_str(&format!("<th{}>{}</th>", align(*a), escape(name)));
        }
        out.push_str("</tr>\n");
        for row in &self.rows {
            out.push_str("<tr>");
            for (i, (_, a)) in self.columns.iter().enumerate() {
                let (text, paint) = row
                    .get(i)
                    .map_or((String::new(), Paint::None), |c| (cut(&c.text), c.paint));
                let classes = [paint.css_class(), if *a == Align::Right { "r" } else { "" }]
                    .into_iter()
                    .filter(|c| !c.is_empty())
                    .collect::<Vec<_>>()
                    .join(" ");
                if classes.is_empty() {
                    out.push_str(&format!("<td>{}</td>", escape(&text)));
                } else {
                    out.push_str(&format!("<td class=\"{classes}\">{}</td>", escape(&text)));
                }
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
        out
    }

    /// The table, each line indented by two spaces and ending in `\n`.
    ///
    /// ```
    /// use memtrack_cli::render::style::Style;
    /// use memtrack_cli::render::table::{Align, Table};
    ///
    /// let mut t = Table::new(&[("name", Align::Left), ("size", Align::Right)]);
    /// t.row(vec!["a".into(), "10".into()]);
    /// t.row(vec!["bbb".into(), "2".into()]);
    /// assert_eq!(t.render(Style::plain()), "  name  size\n  a       10\n  bbb      2\n");
    /// ```
    #[must_use]
    pub fn render(&self, style: Style) -> String {
        let cells: Vec<Vec<(String, Paint)>> = self
            .rows
            .iter()
            .map(|row| {
                (0..self.columns.len())
                    .map(|i| {
                        row.get(i)
                            .map_or((String::new(), Paint::None), |c| (cut(&c.text), c.paint))
                    })
                    .collect()
            })
            .collect();
        let widths: Vec<usize> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, (name, _))| {
                cells
                    .iter()
                    .map(|row| row[i].0.chars().count())
                    .chain([name.chars().count()])
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let line = |texts: Vec<(String, Paint)>, header: bool| {
            let mut out = String::from("  ");
            let last = texts.len().saturating_sub(1);
            for (i, (text, paint)) in texts.into_iter().enumerate() {
                let pad = widths[i].saturating_sub(text.chars().count());
                let painted = if header {
                    style.header(&text)
                } else {
                    match paint {
                        Paint::None => text,
                        Paint::Bad => style.bad(&text),
                        Paint::Warn => style.warn(&text),
                        Paint::Dim => style.dim(&text),
                    }
                };
                match self.columns[i].1 {
                    Align::Right => {
                        out.push_str(&" ".repeat(pad));
                        out.push_str(&painted);
                    }
                    Align::Left => {
                        out.push_str(&painted);
                        if i != last {
                            out.push_str(&" ".repeat(pad));
                        }
                    }
                }
                if i != last {
                    out.push_str("  ");
                }
            }
            let trimmed = out.trim_end().len();
            out.truncate(trimmed);
            out.push('\n');
            out
        };
        let mut out = line(
            self.columns
                .iter()
                .map(|(n, _)| (n.clone(), Paint::None))
                .collect(),
            true,
        );
        for row in cells {
            out.push_str(&line(row, false));
        }
        out
    }
}
