//! `fetch_response`: logged for large or slow responses only, with the URL's host
//! only. Each test uses its own `source` to find its lines (the tests run in
//! parallel and share the capture).

use std::time::{Duration, Instant};

use memtrack::fetch::track_fetch_response;
use serde_json::Value;

fn lines_of(source: &str) -> Vec<Value> {
    memtrack::logging::capture_global()
        .events("fetch_response")
        .into_iter()
        .filter(|l| l["source"] == source)
        .collect()
}

fn raw_lines_of(source: &str) -> Vec<String> {
    memtrack::logging::capture_global()
        .raw_lines()
        .into_iter()
        .filter(|l| l.contains(&format!("\"source\":\"{source}\"")))
        .collect()
}

fn ago(ms: u64) -> Instant {
    Instant::now()
        .checked_sub(Duration::from_millis(ms))
        .expect("the clock is older than a few seconds")
}

#[test]
fn a_large_response_is_logged_with_the_host_only() {
    let _ = memtrack::logging::capture_global();
    let logged = track_fetch_response(
        "https://reader:s3cret-token@News.Example.com:8443/articles/42?session=abc#top",
        "fetch-large",
        200,
        2_000_000,
        Instant::now(),
    );
    assert!(logged);
    let lines = lines_of("fetch-large");
    assert_eq!(lines.len(), 1);
    let line = &lines[0];
    assert_eq!(line["level"], "info");
    assert_eq!(
        line["message"],
        "fetch_response: fetch-large news.example.com"
    );
    assert_eq!(line["url_host"], "news.example.com");
    assert_eq!(line["content_length_bytes"], 2_000_000);
    assert_eq!(line["content_length_mb"], 1.91);
    assert_eq!(line["status"], 200);
    assert_eq!(line["large"], true);
    assert_eq!(line["slow"], false);
    assert!(line["duration_ms"].as_f64().unwrap() < 1000.0);
    assert!(line["rss_mb"].as_f64().unwrap() > 0.0);
    assert!(
        line.get("heap_used_mb").is_none(),
        "no counting allocator here"
    );

    let raw = raw_lines_of("fetch-large").join("\n");
    for secret in ["s3cret", "reader", "8443", "articles", "session", "top"] {
        assert!(!raw.contains(secret), "{secret} leaked: {raw}");
    }
}

#[test]
fn the_threshold_is_inclusive_for_size() {
    let _ = memtrack::logging::capture_global();
    assert!(track_fetch_response(
        "https://a.example",
        "fetch-exact",
        200,
        500_000,
        Instant::now()
    ));
    assert!(!track_fetch_response(
        "https://a.example",
        "fetch-below",
        200,
        499_999,
        Instant::now()
    ));
    assert_eq!(lines_of("fetch-exact").len(), 1);
    assert_eq!(lines_of("fetch-below").len(), 0);
}

#[test]
fn a_slow_small_response_is_logged() {
    let _ = memtrack::logging::capture_global();
    assert!(track_fetch_response(
        "http://[2001:db8::7]:8080/x",
        "fetch-slow",
        504,
        1_234,
        ago(1_500)
    ));
    let line = &lines_of("fetch-slow")[0];
    assert_eq!(line["level"], "info");
    assert_eq!(line["url_host"], "[2001:db8::7]");
    assert_eq!(line["status"], 504);
    assert_eq!(line["large"], false);
    assert_eq!(line["slow"], true);
    assert_eq!(line["content_length_mb"], 0.0);
    assert!(line["duration_ms"].as_f64().unwrap() >= 1500.0);
}

#[test]
fn large_and_slow_is_a_warning() {
    let _ = memtrack::logging::capture_global();
    assert!(track_fetch_response(
        "wayback.example.org/web/2020",
        "fetch-both",
        200,
        7_340_032,
        ago(2_000)
    ));
    let line = &lines_of("fetch-both")[0];
    assert_eq!(line["level"], "warn");
    assert_eq!(line["url_host"], "wayback.example.org");
    assert_eq!(line["content_length_mb"], 7.0);
}

#[test]
fn small_and_fast_is_not_logged() {
    let _ = memtrack::logging::capture_global();
    assert!(!track_fetch_response(
        "https://example.com",
        "fetch-none",
        200,
        10_000,
        Instant::now()
    ));
    assert!(lines_of("fetch-none").is_empty());
}

#[test]
fn urls_with_odd_slashes_log_the_host_a_browser_would_use() {
    let _ = memtrack::logging::capture_global();
    for (i, url) in [
        "https:/user:pw@example.com/private",
        "https:\\\\user:pw@example.com/private",
        "https:example.com",
    ]
    .iter()
    .enumerate()
    {
        let source = format!("fetch-slashes-{i}");
        assert!(track_fetch_response(
            url,
            &source,
            200,
            1 << 20,
            Instant::now()
        ));
        let line = &lines_of(&source)[0];
        assert_eq!(line["url_host"], "example.com", "{url:?}");
        assert!(!line.to_string().contains("pw"), "{line}");
    }
}

#[test]
fn an_unparsable_url_is_logged_as_unknown() {
    let _ = memtrack::logging::capture_global();
    for (i, url) in [
        "",
        "not a url",
        "/only/a/path",
        "https://:80/",
        "mailto:a@b.example",
    ]
    .iter()
    .enumerate()
    {
        let source = format!("fetch-garbage-{i}");
        assert!(track_fetch_response(
            url,
            &source,
            0,
            1 << 20,
            Instant::now()
        ));
        assert_eq!(lines_of(&source)[0]["url_host"], "unknown", "{url:?}");
    }
}

#[test]
fn a_long_source_is_truncated() {
    let _ = memtrack::logging::capture_global();
    let source = "s".repeat(500);
    assert!(track_fetch_response(
        "https://example.com",
        &source,
        200,
        1 << 20,
        Instant::now()
    ));
    let cut = format!("{}…", "s".repeat(100));
    assert_eq!(lines_of(&cut).len(), 1);
}

#[cfg(feature = "http")]
#[test]
fn an_http_response_gives_its_status_and_content_length() {
    let _ = memtrack::logging::capture_global();
    use axum::http;
    let response = http::Response::builder()
        .status(206)
        .header(http::header::CONTENT_LENGTH, "3145728")
        .body(())
        .unwrap();
    assert!(memtrack::fetch::track_http_response(
        "https://cdn.example.net/a",
        "fetch-http",
        &response,
        Instant::now()
    ));
    let line = &lines_of("fetch-http")[0];
    assert_eq!(line["status"], 206);
    assert_eq!(line["content_length_bytes"], 3_145_728);
    assert_eq!(line["content_length_mb"], 3.0);

    let no_length = http::Response::builder().status(200).body(()).unwrap();
    assert!(!memtrack::fetch::track_http_response(
        "https://cdn.example.net/b",
        "fetch-http-none",
        &no_length,
        Instant::now()
    ));
}
