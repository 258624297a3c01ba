//! The tracked operations: what `#[memtrack]` looks like in a real service.

use std::sync::Arc;
use std::time::Instant;

use memtrack::fetch::url_host;
use memtrack::memtrack;

use crate::app::State;
use crate::upstream;

/// Reads an article from the fast source and keeps its text in the cache.
#[memtrack("article-fetch-smry-fast", url_host = url_host(url))]
pub async fn fetch_smry_fast(state: &State, url: &str) -> Result<usize, String> {
    fetch_article(state, url, "smry-fast").await
}

/// Reads an article through the slow source (it fails when the origin does).
#[memtrack("article-fetch-smry-slow", url_host = url_host(url))]
pub async fn fetch_smry_slow(state: &State, url: &str) -> Result<usize, String> {
    fetch_article(state, url, "smry-slow").await
}

/// Reads an article from the archive.
#[memtrack("article-fetch-wayback", url_host = url_host(url))]
pub async fn fetch_wayback(state: &State, url: &str) -> Result<usize, String> {
    fetch_article(state, url, "wayback").await
}

async fn fetch_article(state: &State, url: &str, source: &'static str) -> Result<usize, String> {
    let started = Instant::now();
    let fetched = state.http.get(&state.origin(url)).await?;
    memtrack::checkpoint!("response-received", status = fetched.status);
    memtrack::track_fetch_response(
        url,
        source,
        fetched.status,
        fetched.body.len() as u64,
        started,
    );
    if fetched.status != 200 {
        return Err(format!("origin answered HTTP {}", fetched.status));
    }
    memtrack::large_alloc!("article-text", fetched.body.len(), source = source);
    let html = String::from_utf8_lossy(&fetched.body);
    let text: Arc<str> = extract_text(&html).into();
    memtrack::record!(html_bytes = fetched.body.len(), text_bytes = text.len());
    state.store.cache_article(url, Arc::clone(&text));
    Ok(text.len())
}

/// Keeps the text between tags.
fn extract_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    for c in html.chars() {
        match c {
            '<' => in_tag = true,
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    text
}

/// Calls the extraction API, then builds a DOM-like model forty times the size of
/// the answer and drops it: a spike that RSS alone might never show.
#[memtrack("diffbot-api-call", url_host = url_host(url))]
pub async fn diffbot_api_call(state: &State, url: &str) -> Result<usize, String> {
    let started = Instant::now();
    let api = format!("http://{}/v3/analyze?url={}", state.upstream, url_host(url));
    let fetched = state.http.get(&api).await?;
    memtrack::track_fetch_response(
        &api,
        "diffbot",
        fetched.status,
        fetched.body.len() as u64,
        started,
    );
    let body = String::from_utf8_lossy(&fetched.body);
    let nodes: Vec<String> = (0..40).map(|_| body.to_string()).collect();
    let dom_bytes: usize = nodes.iter().map(String::len).sum();
    memtrack::record!(dom_bytes = dom_bytes, extraction = "article");
    drop(nodes);
    Ok(body.len().min(upstream::ANALYZE_BYTES))
}

/// Builds the ad context of a session and keeps it per session, forever: the leak.
#[memtrack("ad-context-request", session_id = session)]
pub async fn ad_context_request(
    state: &State,
    session: &str,
    content_length: usize,
) -> Result<usize, String> {
    let context = vec![7_u8; content_length];
    memtrack::record!(content_length = content_length, ad_count = 3_u32);
    state.store.keep_ad_context(context);
    Ok(3)
}

/// Broadcasts a signal through an upstream that stalls; callers give up after a
/// timeout, which cancels the operation.
#[memtrack("zeroclick-signal-broadcast")]
pub async fn signal_broadcast(state: &State) -> Result<(), String> {
    let url = format!("http://{}/articles/stalled-signal", state.upstream);
    state.http.get(&url).await.map(|_| ())
}
