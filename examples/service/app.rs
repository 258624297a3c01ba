//! The service: routes, shared state, startup and shutdown.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{Query, State as Extract};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Json, Response};
use axum::routing::get;
use serde::Deserialize;
use serde_json::json;

use crate::args::Args;
use crate::client::Http;
use crate::long_scenario;
use crate::operations;
use crate::scenario;
use crate::store::Store;
use crate::upstream;

/// How long a signal broadcast may take before the service gives up on it.
pub const SIGNAL_TIMEOUT: Duration = Duration::from_millis(100);

pub struct Shared {
    pub http: Http,
    pub store: Arc<Store>,
    pub upstream: SocketAddr,
}

pub type State = Shared;

impl Shared {
    /// Where an article URL is really fetched from: the loopback origin, same path.
    pub fn origin(&self, url: &str) -> String {
        let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
        let path = rest.find('/').map_or("/", |i| &rest[i..]);
        format!("http://{}{}", self.upstream, path)
    }

    fn note_client(&self, headers: &HeaderMap) {
        if let Some(ip) = headers.get("x-client-ip").and_then(|v| v.to_str().ok()) {
            self.store.note_client(ip);
        }
    }
}

type App = Arc<Shared>;

#[derive(Deserialize)]
struct ArticleQuery {
    url: String,
    source: Option<String>,
}

async fn article(
    Extract(app): Extract<App>,
    headers: HeaderMap,
    Query(q): Query<ArticleQuery>,
) -> Response {
    app.note_client(&headers);
    let result = match q.source.as_deref().unwrap_or("smry-fast") {
        "smry-fast" => operations::fetch_smry_fast(&app, &q.url).await,
        "smry-slow" => operations::fetch_smry_slow(&app, &q.url).await,
        "wayback" => operations::fetch_wayback(&app, &q.url).await,
        other => {
            return (StatusCode::BAD_REQUEST, format!("unknown source {other:?}")).into_response();
        }
    };
    match result {
        Ok(text_bytes) => Json(json!({ "text_bytes": text_bytes })).into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err).into_response(),
    }
}

#[derive(Deserialize)]
struct DiffbotQuery {
    url: String,
}

async fn diffbot(
    Extract(app): Extract<App>,
    headers: HeaderMap,
    Query(q): Query<DiffbotQuery>,
) -> Response {
    app.note_client(&headers);
    match operations::diffbot_api_call(&app, &q.url).await {
        Ok(bytes) => Json(json!({ "html_bytes": bytes })).into_response(),
        Err(err) => (StatusCode::BAD_GATEWAY, err).into_response(),
    }
}

#[derive(Deserialize)]
struct AdsQuery {
    session: String,
    len: Option<usize>,
}

async fn ads(
    Extract(app): Extract<App>,
    headers: HeaderMap,
    Query(q): Query<AdsQuery>,
) -> Response {
    app.note_client(&headers);
    let len = q.len.unwrap_or(4096).min(64 << 20);
    match operations::ad_context_request(&app, &q.session, len).await {
        Ok(count) => Json(json!({ "ads": count })).into_response(),
        Err(err) => (StatusCode::INTERNAL_SERVER_ERROR, err).into_response(),
    }
}

async fn signal(Extract(app): Extract<App>, headers: HeaderMap) -> Response {
    app.note_client(&headers);
    match tokio::time::timeout(SIGNAL_TIMEOUT, operations::signal_broadcast(&app)).await {
        Ok(Ok(())) => StatusCode::NO_CONTENT.into_response(),
        Ok(Err(err)) => (StatusCode::BAD_GATEWAY, err).into_response(),
        Err(_) => (StatusCode::GATEWAY_TIMEOUT, "signal broadcast timed out").into_response(),
    }
}

/// The health report, read on a blocking thread: it waits for the caches' size
/// functions (up to `MEMTRACK_CACHE_SIZE_TIMEOUT_MS`), and a runtime worker waiting
/// with it would stall every request it serves.
async fn health() -> Response {
    let Ok(report) = tokio::task::spawn_blocking(memtrack::health::report).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let status = StatusCode::from_u16(report.http_status()).unwrap_or(StatusCode::OK);
    (status, Json(report)).into_response()
}

/// memtrack's metrics for Prometheus (built with `--features prometheus`).
#[cfg(feature = "prometheus")]
async fn metrics(headers: HeaderMap) -> Response {
    let accept = headers
        .get(axum::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    // On a blocking thread, as the health report: it reads the caches' sizes.
    let rendered = tokio::task::spawn_blocking(move || {
        memtrack::export::prometheus::render(accept.as_deref())
    })
    .await;
    let Ok(exposition) = rendered else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    (
        [(axum::http::header::CONTENT_TYPE, exposition.content_type)],
        exposition.body,
    )
        .into_response()
}

#[cfg(not(feature = "prometheus"))]
async fn metrics() -> Response {
    (
        StatusCode::NOT_FOUND,
        "built without metrics: cargo run --example service --features prometheus\n",
    )
        .into_response()
}

pub fn router(app: App) -> Router {
    Router::new()
        .route("/article", get(article))
        .route("/diffbot", get(diffbot))
        .route("/ads", get(ads))
        .route("/signal", get(signal))
        .route("/health", get(health))
        .route("/metrics", get(metrics))
        .with_state(app)
}

/// Starts everything, then runs the scenario or serves until Ctrl-C.
pub async fn run(args: Args, config: memtrack::Config) -> Result<(), String> {
    // Histograms count the operations that end from now on.
    memtrack::export::enable_histograms();
    let upstream = upstream::start()
        .await
        .map_err(|e| format!("upstream: {e}"))?;
    let app = Arc::new(Shared {
        http: Http::new(),
        store: Store::new(),
        upstream,
    });
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port))
        .await
        .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", args.port))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let server = tokio::spawn(axum::serve(listener, router(Arc::clone(&app))).into_future());
    println!("serving on http://{addr} (routes: /article /diffbot /ads /signal /health /metrics)");

    let monitor = memtrack::monitor::start(config).map_err(|e| format!("monitor: {e}"))?;
    let result = if let (true, Some(minutes)) = (args.scenario, args.minutes) {
        long_scenario::run(addr, &args.log, minutes).await
    } else if args.scenario {
        scenario::run(addr, &args.log, args.hold, &monitor).await
    } else {
        tokio::signal::ctrl_c().await.map_err(|e| e.to_string())
    };
    monitor.stop();
    server.abort();
    result
}
