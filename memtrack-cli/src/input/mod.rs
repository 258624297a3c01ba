//! The log's bytes: opening a file or standard input (plain or gzip) and reading it
//! line by line.

mod lines;
mod open;

pub use lines::{Line, LineReader, MAX_LINE_BYTES};
pub use open::{OpenError, Opened, Source, open};
