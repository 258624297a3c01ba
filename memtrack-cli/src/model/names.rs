//! Names read from the log (operations, caches, event kinds) kept at a bounded
//! length, so that a log of very long names cannot make the report's memory grow
//! with them.

use std::borrow::Cow;

/// Longest operation or cache name kept, in characters: memtrack itself writes at
/// most 128 (and a mark of the cut), so its names are never cut here.
pub const MAX_NAME_CHARS: usize = 160;

/// Longest name of an unknown event kind kept, in characters.
pub const MAX_EVENT_CHARS: usize = 64;

/// `name`, cut to `max_chars` characters with `…` at the cut when it is longer.
///
/// ```
/// use memtrack_cli::model::names::bounded;
///
/// assert_eq!(bounded("fetch", 4), "fet…");
/// assert_eq!(bounded("fetch", 5), "fetch");
/// ```
#[must_use]
pub fn bounded(name: &str, max_chars: usize) -> Cow<'_, str> {
    match name.char_indices().nth(max_chars) {
        None => Cow::Borrowed(name),
        Some(_) => {
            let keep = max_chars.saturating_sub(1);
            let end = name.char_indices().nth(keep).map_or(name.len(), |(i, _)| i);
            Cow::Owned(format!("{}…", &name[..end]))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cut_on_character_boundaries() {
        let long = "é".repeat(MAX_NAME_CHARS + 10);
        let cut = bounded(&long, MAX_NAME_CHARS);
        assert_eq!(cut.chars().count(), MAX_NAME_CHARS);
        assert!(cut.ends_with('…'));
        let runtime_cut = format!("{}…", "a".repeat(128));
        assert_eq!(bounded(&runtime_cut, MAX_NAME_CHARS), runtime_cut);
        assert_eq!(bounded("", 3), "");
        assert_eq!(bounded("abc", 0), "…");
    }
}
