//! Writing a [`Report`](crate::model::Report): the terminal summary, the JSON
//! document, the SVG picture and the HTML page.

pub mod format;
pub mod style;
pub mod table;
pub mod text;
pub mod html;
pub mod svg;
