//! Reading log lines: timestamps, lenient field values, and whole lines.

pub mod line;
pub mod timestamp;
pub mod value;
