//! Fetch response tracking: large or slow responses, logged with their host.
//!
//! [`track_fetch_response`] logs `fetch_response` for a response of at least
//! [`large_response_bytes`](crate::Config::large_response_bytes) (500 KB by default)
//! or slower than [`slow_fetch_threshold`](crate::Config::slow_fetch_threshold)
//! (1 s), with the URL's host only (never its path, query, credentials or port), so
//! that
//!
//! ```text
//! grep "fetch_response" logs.json | jq 'select(.content_length_bytes > 1000000)'
//! ```
//!
//! finds the large ones. The level is `info`, `warn` when the response is both large
//! and slow.
//!
//! The host is the one a browser would connect to (the WHATWG URL standard): after
//! `http`, `https`, `ws`, `wss` or `ftp`, any run of `/` and `\` leads to the
//! authority, so `https:/user:pw@example.com` logs `example.com`; tabs and newlines
//! are ignored. A URL with no plausible host logs `unknown`.
//!
//! With the `http` feature, `track_http_response` reads the status and
//! `Content-Length` from an `http::Response`.

mod host;

use std::time::Instant;

pub use host::{UNKNOWN_HOST, url_host};

use crate::alloc;
use crate::config;
use crate::events::emit;
use crate::metadata::Value;
use crate::process;
use crate::units::{self, mb};

/// Logs `fetch_response` when the response is large or slow; returns whether it
/// logged.
///
/// - `url`: the requested URL; only its host is logged (`unknown` when it has none).
/// - `source`: what fetched it (`"article-fetch-smry-fast"`, `"diffbot"`, ...).
/// - `status`: the HTTP status code.
/// - `content_length`: the body's size in bytes (the bytes read, or `Content-Length`).
/// - `started`: when the request was sent; the duration is measured up to this call.
///
/// Fields: `source`, `url_host`, `content_length_bytes`, `content_length_mb` (two
/// decimals), `duration_ms`, `status`, `large`, `slow`, `heap_used_mb` (with the
/// counting allocator) and `rss_mb`.
///
/// ```
/// use std::time::Instant;
///
/// let started = Instant::now();
/// let body = vec![b'x'; 2_000_000];
/// let logged = memtrack::fetch::track_fetch_response(
///     "https://user:pw@news.example.com/article?id=1",
///     "article-fetch",
///     200,
///     body.len() as u64,
///     started,
/// );
/// assert!(logged);
/// assert!(!memtrack::fetch::track_fetch_response("https://example.com", "x", 200, 10, Instant::now()));
/// ```
pub fn track_fetch_response(
    url: &str,
    source: &str,
    status: u16,
    content_length: u64,
    started: Instant,
) -> bool {
    let config = config::get();
    let duration = started.elapsed();
    let large = content_length >= config.large_response_bytes();
    let slow = duration >= config.slow_fetch_threshold();
    if !large && !slow {
        return false;
    }
    let level = if large && slow {
        tracing::Level::WARN
    } else {
        tracing::Level::INFO
    };
    // memtrack's own work, charged to no operation; the event is shielded.
    crate::events::write(|| {
        let host = Value::text(&url_host(url));
        let source = Value::text(source);
        emit!(
            level,
            event = "fetch_response",
            source = %source,
            url_host = %host,
            content_length_bytes = content_length,
            content_length_mb = mb(content_length),
            duration_ms = units::millis(duration),
            status = status,
            large = large,
            slow = slow,
            heap_used_mb = alloc::heap_stats().map(|h| mb(h.live_bytes)),
            rss_mb = process::rss_bytes().map(mb),
            "fetch_response: {} {}",
            source,
            host
        );
    });
    true
}

/// [`track_fetch_response`] for an `http::Response`: the status and the
/// `Content-Length` header (0 when absent or not a number; pass the bytes read to
/// [`track_fetch_response`] for a streamed body).
///
/// ```
/// use std::time::Instant;
///
/// let response = http::Response::builder()
///     .status(200)
///     .header(http::header::CONTENT_LENGTH, "900000")
///     .body(())
///     .unwrap();
/// assert!(memtrack::fetch::track_http_response(
///     "https://example.com/big", "doc", &response, Instant::now()
/// ));
/// ```
#[cfg(feature = "http")]
pub fn track_http_response<B>(
    url: &str,
    source: &str,
    response: &http::Response<B>,
    started: Instant,
) -> bool {
    let content_length = response
        .headers()
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(0);
    track_fetch_response(
        url,
        source,
        response.status().as_u16(),
        content_length,
        started,
    )
}
