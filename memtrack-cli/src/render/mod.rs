//! Writing a [`Report`](crate::model::Report): the terminal summary, the JSON
//! document, the SVG picture and the HTML page.

pub mod format;
pub mod style;
pub mod table;
pub mod summary;
pub mod terminal;
pub mod html;
pub mod svg;
