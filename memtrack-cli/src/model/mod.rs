//! What the log says, folded line by line into a [`Report`].

pub mod bucket_counts;
pub mod builder;
pub mod caches;
pub mod findings;
pub mod keep;
pub mod memory;
pub mod names;
pub mod operations;
pub mod problems;
pub mod quantiles;
pub mod report;
pub mod series;

pub use builder::{Builder, Options, TimeBound};
pub use report::Report;
