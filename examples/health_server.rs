//! A small axum service instrumented with memtrack.
//!
//! - `GET /health`: the health report, 200 or 503 above `MEMTRACK_UNHEALTHY_RSS_MB`.
//! - `GET /articles/{id}`: a tracked operation (`#[memtrack]`) filling a registered,
//!   bounded cache.
//! - `GET /render/{mb}`: a tracked operation allocating `mb` megabytes (at most 256),
//!   reported as a fetched response when large.
//!
//! The monitor logs `memory_snapshot` and `cache_stats_snapshot` as flat JSON lines
//! on standard output (intervals and thresholds from the `MEMTRACK_*` variables).
//!
//! ```text
//! cargo run --example health_server
//! curl -s localhost:3000/articles/7 && curl -s localhost:3000/health | jq
//! ```

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;

#[global_allocator]
static ALLOC: memtrack::alloc::Allocator = memtrack::alloc::Allocator::system();

/// Most articles the cache keeps.
const ARTICLE_CACHE_MAX: usize = 1000;

type ArticleCache = Arc<Mutex<HashMap<u64, String>>>;

/// The service's routes. The article cache is registered with memtrack through a
/// `Weak`: its entry disappears with the router.
pub fn app() -> Router {
    let cache: ArticleCache = Arc::default();
    memtrack::caches::register_weak("article_cache", Some(ARTICLE_CACHE_MAX), &cache, |c| {
        c.lock().map_or(0, |m| m.len())
    })
    .forget();
    Router::new()
        .route("/health", get(health))
        .route("/articles/{id}", get(article))
        .route("/render/{mb}", get(render))
        .with_state(cache)
}

/// The health report, with the status code it calls for. It is read on a blocking
/// thread: it waits for the caches' size functions (up to
/// `MEMTRACK_CACHE_SIZE_TIMEOUT_MS`), and a runtime worker waiting with it would
/// stall every request it serves.
async fn health() -> impl IntoResponse {
    match tokio::task::spawn_blocking(memtrack::health::report).await {
        Ok(report) => (
            StatusCode::from_u16(report.http_status()).unwrap_or(StatusCode::OK),
            [(header::CONTENT_TYPE, "application/json")],
            report.to_json(),
        ),
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(header::CONTENT_TYPE, "application/json")],
            r#"{"status":"unknown"}"#.to_owned(),
        ),
    }
}

async fn article(State(cache): State<ArticleCache>, Path(id): Path<u64>) -> String {
    fetch_article(&cache, id).await
}

#[memtrack::memtrack("article-fetch", article_id = id)]
async fn fetch_article(cache: &ArticleCache, id: u64) -> String {
    if let Some(html) = cache
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .get(&id)
    {
        return html.clone();
    }
    tokio::task::yield_now().await;
    let html = format!(
        "<article id=\"{id}\">{}</article>",
        "<p>text</p>".repeat(100)
    );
    let mut cache = cache.lock().unwrap_or_else(PoisonError::into_inner);
    if cache.len() < ARTICLE_CACHE_MAX {
        cache.insert(id, html.clone());
    }
    html
}

async fn render(Path(mb): Path<usize>) -> String {
    let started = Instant::now();
    let bytes = render_pages(mb.min(256)).await;
    memtrack::fetch::track_fetch_response(
        "https://renderer.internal/pages",
        "example-render",
        200,
        bytes as u64,
        started,
    );
    format!("rendered {bytes} bytes\n")
}

#[memtrack::memtrack("render-pages", mb = mb)]
async fn render_pages(mb: usize) -> usize {
    let mut pages = vec![0_u8; mb << 20];
    for i in (0..pages.len()).step_by(4096) {
        pages[i] = 1;
    }
    tokio::task::yield_now().await;
    pages.len()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = memtrack::Config::from_env()?;
    memtrack::config::set(config.clone());
    memtrack::logging::init_from_env()?;
    let _monitor = memtrack::monitor::start(config)?;

    let addr =
        std::env::var("MEMTRACK_EXAMPLE_ADDR").unwrap_or_else(|_| "127.0.0.1:3000".to_owned());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!("listening on http://{}", listener.local_addr()?);
    axum::serve(listener, app()).await?;
    Ok(())
}
