//! A bounded scenario: a burst of concurrent requests of every kind, with exactly
//! known large, slow, failing, leaking and spiking operations, while the monitor and
//! cache stats tick fast enough to see the caches grow.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use crate::client::Http;

/// The scenario's thresholds: the defaults, with intervals short enough for a
/// run of a few seconds and a 1 MB significance threshold so that large fetches are
/// logged while small ones are not.
pub fn tune(config: &memtrack::Config) -> memtrack::Config {
    config
        .to_builder()
        .monitor_interval(Duration::from_millis(250))
        .cache_stats_interval(Duration::from_millis(250))
        .delta_threshold_mb(1.0)
        .checkpoint_delta_mb(1.0)
        .build()
        .unwrap_or_else(|_| config.clone())
}

/// What the scenario plants, as the debugging workflow should find it.
pub const PLANTED: &str = "\
planted: 2 memory_spike_operation (diffbot-api-call, ad-context-request),
         3 fetch_response over 1,000,000 bytes, 1 memory_operation over 1000 ms (article-fetch-wayback),
         2 article-fetch-smry-fast operations logged, 2 failed operations (article-fetch-smry-slow, zeroclick-signal-broadcast)";

async fn get(http: &Http, base: SocketAddr, path: &str, client: usize) -> u16 {
    let url = format!("http://{base}{path}");
    let ip = format!("203.0.113.{client}");
    http.get_from(&url, Some(&ip)).await.map_or(0, |r| r.status)
}

/// Has the monitor take its snapshots now, on its own thread (so that the log
/// stays in the order the snapshots were taken).
fn tick(monitor: &memtrack::monitor::MonitorHandle) {
    tokio::task::block_in_place(|| monitor.tick_now());
}

pub async fn run(
    base: SocketAddr,
    log: &Path,
    hold: bool,
    monitor: &memtrack::monitor::MonitorHandle,
) -> Result<(), String> {
    let http = Http::new();
    // An empty-cache snapshot first, asked for rather than waited for (the
    // monitor's own ticks may come late on a busy machine).
    tick(monitor);
    tokio::time::sleep(Duration::from_millis(400)).await;

    // Phase 1: eight articles, two of them large.
    let mut phase1 = Vec::new();
    for i in 0..8 {
        let slug = if i < 2 {
            format!("large-{i}")
        } else {
            format!("small-{i}")
        };
        let path = format!(
            "/article?source=smry-fast&url=https://news.example.com/articles/{slug}?ref=home"
        );
        let http = http.clone();
        phase1.push(tokio::spawn(
            async move { get(&http, base, &path, i).await },
        ));
    }
    for task in phase1 {
        let _ = task.await;
    }
    tokio::time::sleep(Duration::from_millis(600)).await;

    // Phase 2: everything else at once.
    let mut paths: Vec<String> = vec![
        "/article?source=wayback&url=https://archive.example.org/articles/archived-1".into(),
        "/article?source=smry-slow&url=https://news.example.com/articles/broken-1".into(),
        "/diffbot?url=https://news.example.com/articles/small-9".into(),
        "/ads?session=s-42&len=25000000".into(),
        "/signal".into(),
    ];
    for i in 10..14 {
        paths.push(format!(
            "/article?source=smry-fast&url=https://news.example.com/articles/small-{i}"
        ));
    }
    let tasks: Vec<_> = paths
        .into_iter()
        .enumerate()
        .map(|(i, path)| {
            let http = http.clone();
            tokio::spawn(async move { get(&http, base, &path, 100 + i).await })
        })
        .collect();
    for task in tasks {
        let _ = task.await;
    }
    // Let the monitor tick on its own, then ask for a last snapshot of the final
    // cache sizes.
    tokio::time::sleep(Duration::from_millis(600)).await;
    tick(monitor);

    let health = http
        .get(&format!("http://{base}/health"))
        .await
        .map(|r| String::from_utf8_lossy(&r.body).into_owned())
        .unwrap_or_else(|e| format!("health check failed: {e}"));
    println!("GET /health -> {health}");
    print_highlights(log);
    println!("{PLANTED}");
    println!("scenario done");

    if hold {
        // Serve until standard input closes (tests query /health meanwhile).
        let _ = tokio::task::spawn_blocking(|| {
            let mut sink = String::new();
            while std::io::stdin().read_line(&mut sink).is_ok_and(|n| n > 0) {
                sink.clear();
            }
        })
        .await;
    }
    Ok(())
}

/// Prints the log lines an on-call engineer would look at first: spikes and failures.
fn print_highlights(log: &Path) {
    let Ok(text) = std::fs::read_to_string(log) else {
        return;
    };
    println!("log lines worth a look:");
    for line in text.lines() {
        let Ok(event) = serde_json::from_str::<serde_json::Value>(line) else {
            continue;
        };
        let spike = event["event"] == "memory_spike_operation";
        let failed = event["event"] == "memory_operation" && event["success"] == false;
        if spike || failed {
            let fields = [
                "event",
                "op_name",
                "ended_by",
                "error",
                "duration_ms",
                "alloc_bytes",
                "net_bytes",
                "retained_bytes",
                "peak_bytes",
                "rss_delta_mb",
            ];
            let shown: serde_json::Map<String, serde_json::Value> = fields
                .iter()
                .filter_map(|f| event.get(*f).map(|v| ((*f).to_owned(), v.clone())))
                .collect();
            println!("  {}", serde_json::Value::Object(shown));
        }
    }
}
