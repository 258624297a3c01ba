//! HTML markup shared by the page and its tables: escaping text.

/// Escapes text for HTML (and XML): markup characters become entities, and control
/// characters other than tab and line ends, which XML does not allow, spaces.
///
/// ```
/// use memtrack_cli::render::markup::escape;
///
/// assert_eq!(escape("<a & \"b\">"), "&lt;a &amp; &quot;b&quot;&gt;");
/// assert_eq!(escape("a\u{0}b\u{1}c\n"), "a b c\n");
/// ```
#[must_use]
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}
