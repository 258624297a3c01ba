//! Writing a [`Report`](crate::model::Report): the terminal summary, the JSON
//! document, the SVG picture and the HTML page.

pub mod format;
pub mod html;
pub mod markup;
pub mod style;
pub mod summary;
pub mod svg;
pub mod table;
pub mod terminal;
