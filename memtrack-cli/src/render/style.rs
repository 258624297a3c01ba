//! Terminal colour: on when standard output is a terminal and `NO_COLOR` is unset.

/// Whether to colour, and the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    /// Whether escape sequences are written.
    pub color: bool,
}

impl Style {
    /// Colour for a terminal unless `NO_COLOR` is set (to anything non-empty).
    #[must_use]
    pub fn detect() -> Self {
        use std::io::IsTerminal;
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Style {
            color: std::io::stdout().is_terminal() && !no_color,
        }
    }

    /// No colour.
    ///
    /// ```
    /// use memtrack_cli::render::style::Style;
    ///
    /// assert_eq!(Style::plain().bad("x"), "x");
    /// assert_eq!(Style { color: true }.bad("x"), "\x1b[31mx\x1b[0m");
    /// ```
    #[must_use]
    pub fn plain() -> Self {
        Style { color: false }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color && !text.is_empty() {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A section heading.
    #[must_use]
    pub fn heading(self, text: &str) -> String {
        self.paint("1", text)
    }

    /// A table's header row.
    #[must_use]
    pub fn header(self, text: &str) -> String {
        self.paint("2;4", text)
    }

    /// Something bad (alerts, failures).
    #[must_use]
    pub fn bad(self, text: &str) -> String {
        self.paint("31", text)
    }

    /// Something to look at (the top culprit, growth).
    #[must_use]
    pub fn warn(self, text: &str) -> String {
        self.paint("33", text)
    }

    /// Less important text.
    #[must_use]
    pub fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}
