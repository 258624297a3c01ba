//! The README's quick start, runnable: a few tracked operations whose JSON log lines
//! go to standard output.
//!
//! ```text
//! cargo run --example quickstart
//! ```

use std::sync::{Arc, Mutex};
use std::time::Duration;

// 1. Charge every heap byte to the operation that allocated it.
#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

#[derive(Debug)]
struct FetchError(String);

impl std::fmt::Display for FetchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Pretends to download a page of `size` bytes.
async fn download(host: &str, size: usize) -> Result<String, FetchError> {
    tokio::time::sleep(Duration::from_millis(5)).await;
    if host.ends_with(".invalid") {
        return Err(FetchError(format!("cannot resolve {host}")));
    }
    Ok("<p>text</p>".repeat(size / 11))
}

// 2. Track operations. Metadata expressions are evaluated once, by reference.
#[memtrack::memtrack("article-fetch-smry-fast", url_host = %host)]
async fn fetch_article(
    host: &str,
    size: usize,
    cache: &Mutex<Vec<String>>,
) -> Result<usize, FetchError> {
    let html = download(host, size).await?; // `?` ends the operation as `err`
    memtrack::checkpoint!("response-received", bytes = html.len());
    memtrack::large_alloc!("html-buffer", html.len()); // warns from 500,000 bytes
    let text = html.replace("<p>", "").replace("</p>", "\n");
    memtrack::record!(text_bytes = text.len()); // metadata of the operation
    let len = text.len();
    if let Ok(mut cache) = cache.lock() {
        cache.push(text);
    }
    Ok(len)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 3. Thresholds from MEMTRACK_* variables (a bad value is an error naming it).
    memtrack::config::set(memtrack::Config::from_env()?);
    // 4. Flat JSON lines on standard output.
    memtrack::logging::init_json()?;
    // 5. Snapshots, alerts, reclaim and cache stats in the background.
    let monitor = memtrack::monitor::start(memtrack::config::get().clone())?;
    // 6. Caches report their size; memtrack holds only a weak reference.
    let cache = Arc::new(Mutex::new(Vec::<String>::new()));
    memtrack::caches::register_weak("article_cache", Some(50), &cache, |c| {
        c.lock().map_or(0, |v| v.len())
    })
    .forget();

    // A small page (quiet: under every threshold), a large one (logged: its
    // memory moved by more than 5 MB) and a failing one (failures are always logged).
    for (host, size) in [
        ("news.example.com", 20_000),
        ("news.example.com", 8_000_000),
        ("gone.invalid", 1),
    ] {
        let _ = fetch_article(host, size, &cache).await;
    }
    println!("health: {}", memtrack::health::report().to_json());
    monitor.stop();
    Ok(())
}
