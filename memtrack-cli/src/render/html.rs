//! The HTML page (placeholder).

use crate::model::Report;

/// The HTML document.
#[must_use]
pub fn render(_report: &Report) -> String {
    String::new()
}
