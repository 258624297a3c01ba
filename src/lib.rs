//! # memtrack
//!
//! Tells a service *which operation* made its memory grow.
//!
//! Wrap each significant operation (fetching an article, calling an API) and memtrack
//! logs its duration, its RSS and heap movement and, with the counting allocator
//! installed, exactly how many heap bytes *that operation* allocated, freed and held
//! at its peak, even while hundreds of others run concurrently on a multi-threaded
//! runtime. A background monitor, cache-size stats, large-allocation warnings, slow
//! or large fetch logs, critical alerts and a health report complete the picture.
//! Every event is a [`tracing`](https://docs.rs/tracing) event at target `memtrack`;
//! [`logging`] writes them as flat JSON lines that `jq` reads directly.
//!
//! ```
//! // In a binary: charge every heap byte to the operation that allocated it.
//! // #[global_allocator]
//! // static ALLOC: memtrack::Allocator = memtrack::Allocator::system();
//!
//! #[memtrack::memtrack("article-fetch-smry-fast", url_host = host)]
//! fn fetch(host: &str) -> Result<String, std::io::Error> {
//!     let html = format!("<html>{host}</html>");
//!     memtrack::checkpoint!("response-received");
//!     memtrack::record!(html_bytes = html.len());
//!     Ok(html)
//! }
//!
//! assert!(fetch("example.com").is_ok());
//! assert_eq!(memtrack::active_operations(), 0);
//! ```
//!
//! ## Where things are
//!
//! - [`macro@memtrack`], [`checkpoint!`], [`large_alloc!`], [`record!`]: the macros.
//! - [`start`] / [`Tracker`]: the explicit API for code the attribute cannot wrap;
//!   [`future::Track`] for futures (`tokio::spawn(work.track("name"))`).
//! - [`Allocator`]: the counting global allocator.
//! - [`monitor`], [`reclaim`], [`caches`], [`fetch`], [`health`]: the operational half.
//! - [`config`]: thresholds, a builder and `MEMTRACK_*` environment variables.
//! - [`logging`]: one-call JSON log setup, and a composable layer.
#![warn(missing_docs)]

pub use memtrack_runtime::*;

/// Tracks every call of a function as an operation.
///
/// ```
/// #[memtrack::memtrack("diffbot-api-call", method = "article")]
/// async fn call_api(url: &str) -> Result<usize, String> {
///     Ok(url.len())
/// }
/// # let _ = call_api("https://example.com");
/// ```
///
/// See the macro crate's documentation of the grammar: a literal name, then
/// `key = expr` metadata (`%expr` for `Display`, `?expr` for `Debug`), and
/// `crate = "path"` when memtrack is renamed.
pub use memtrack_macros::memtrack;

/// Marks a step of the innermost operation (`memory_checkpoint`); does nothing
/// outside an operation.
///
/// ```
/// #[memtrack::memtrack("parse")]
/// fn parse() {
///     memtrack::checkpoint!("tokenized", tokens = 42_u32);
/// }
/// parse();
/// ```
pub use memtrack_macros::checkpoint;

/// Warns before a large allocation (`large_allocation`, from 500,000 bytes by
/// default), naming the innermost operation when there is one.
///
/// ```
/// let len = 2_000_000_usize;
/// memtrack::large_alloc!("html-buffer", len, source = "wayback");
/// let buffer = vec![0_u8; len];
/// # drop(buffer);
/// ```
pub use memtrack_macros::large_alloc;

/// Adds metadata to the innermost operation; does nothing outside an operation.
///
/// ```
/// #[memtrack::memtrack("ad-context-request")]
/// fn ads(count: usize) {
///     memtrack::record!(ad_count = count, status = "served");
/// }
/// ads(3);
/// ```
pub use memtrack_macros::record;

#[doc(hidden)]
pub use memtrack_runtime::__private;
