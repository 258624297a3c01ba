//! # memtrack
//!
//! Tells a service *which operation* made its memory grow.
//!
//! ```
//! #[memtrack::memtrack("article-fetch")]
//! fn fetch(url: &str) -> Result<String, std::io::Error> {
//!     Ok(format!("<html>{url}</html>"))
//! }
//! # assert!(fetch("x").is_ok());
//! ```
#![warn(missing_docs)]

pub use memtrack_runtime::*;

#[doc(hidden)]
pub use memtrack_runtime::__private;
