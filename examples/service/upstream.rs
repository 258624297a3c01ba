//! The outside world, on loopback: a news site, an archive and an extraction API that
//! the service fetches from over real HTTP. What each article path returns is fixed,
//! so a scenario knows which operations will be large, slow or failing.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::extract::{Path, Query};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

/// What an article path serves.
pub struct Page {
    pub bytes: usize,
    pub delay: Duration,
    pub status: StatusCode,
}

/// `/articles/<slug>`: `small-*` 20 KB, `large-*` 1.5 MB, `archived-*` 1.5 MB after
/// 3 s, `broken-*` a 502, `stalled-*` 2 s before answering.
///
/// The scenario's slow operation (an archived page) takes three times the 1 s that
/// marks an operation as slow, and its fast ones do little work (a large page is
/// just above the 1 MB that makes a fetch large), so that a busy machine cannot
/// move an operation across that line.
pub fn page(slug: &str) -> Page {
    let (bytes, delay, status) = match slug.split('-').next().unwrap_or_default() {
        "large" => (1_500_000, 0, StatusCode::OK),
        "archived" => (1_500_000, 3000, StatusCode::OK),
        "broken" => (512, 0, StatusCode::BAD_GATEWAY),
        "stalled" => (1024, 2000, StatusCode::OK),
        _ => (20_000, 0, StatusCode::OK),
    };
    Page {
        bytes,
        delay: Duration::from_millis(delay),
        status,
    }
}

/// Bytes of the extraction API's answer (above the 500 KB fetch-log threshold, below
/// the 1 MB the debugging workflow looks for).
pub const ANALYZE_BYTES: usize = 800_000;

fn html(bytes: usize) -> String {
    let paragraph = "<p>Memory grows when nobody is looking, one buffer at a time.</p>\n";
    let mut body = String::with_capacity(bytes);
    body.push_str("<html><head><title>An article</title></head><body>\n");
    while body.len() + paragraph.len() + 15 <= bytes {
        body.push_str(paragraph);
    }
    body.push_str("</body></html>");
    while body.len() < bytes {
        body.push(' ');
    }
    body
}

async fn article(Path(slug): Path<String>) -> Response {
    let page = page(&slug);
    tokio::time::sleep(page.delay).await;
    (
        page.status,
        [(header::CONTENT_TYPE, "text/html")],
        html(page.bytes),
    )
        .into_response()
}

#[derive(Deserialize)]
struct AnalyzeQuery {
    url: String,
}

async fn analyze(Query(q): Query<AnalyzeQuery>) -> Response {
    let words = html(ANALYZE_BYTES);
    let body = format!("{{\"url\":{:?},\"html\":{:?}}}", q.url, words);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// Starts the upstream server on a free loopback port.
pub async fn start() -> std::io::Result<SocketAddr> {
    let router = Router::new()
        .route("/articles/{slug}", get(article))
        .route("/v3/analyze", get(analyze));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(addr)
}
