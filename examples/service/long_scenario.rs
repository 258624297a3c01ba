//! `--scenario --minutes N`: a longer run, for `memtrack report`. Steady traffic of
//! every kind for N minutes while `ad-context-request` leaks a little on every call
//! (each call too small to be logged on its own: only the monitor's figures show
//! it), a burst halfway through raises the growth and spike alerts, and the critical
//! RSS threshold is set so that the leak crosses it near the end.

use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::client::Http;

/// Bytes kept by each ordinary ad request: the leak.
const LEAK_PER_REQUEST: usize = 400_000;
/// Ad requests per second.
const ADS_PER_SECOND: u64 = 3;
/// Bytes kept by each ad request of the burst.
const BURST_BYTES: usize = 3_000_000;
/// Ad requests in the burst.
const BURST_REQUESTS: usize = 25;

/// The long scenario's thresholds: a 5 s monitor interval, 10 s cache stats, and
/// alert thresholds scaled to a run of minutes.
pub fn tune(config: &memtrack::Config, minutes: u32) -> memtrack::Config {
    let leak_mb = f64::from(minutes) * 60.0 * (ADS_PER_SECOND as f64) * LEAK_PER_REQUEST as f64
        / f64::from(1 << 20);
    let burst_mb = (BURST_BYTES * BURST_REQUESTS) as f64 / f64::from(1 << 20);
    let start_mb = memtrack::process::rss_bytes().map_or(30.0, |b| b as f64 / f64::from(1 << 20));
    config
        .to_builder()
        .monitor_interval(Duration::from_secs(5))
        .cache_stats_interval(Duration::from_secs(10))
        .delta_threshold_mb(1.0)
        .checkpoint_delta_mb(1.0)
        .heap_growth_mb(20.0)
        .critical_rss_spike_mb(60.0)
        .reclaim_rss_growth_mb(50.0)
        // Crossed when about four fifths of the leak has happened.
        .critical_rss_mb((start_mb + 40.0 + burst_mb + leak_mb * 0.8).round())
        .build()
        .unwrap_or_else(|_| config.clone())
}

async fn get(http: &Http, base: SocketAddr, path: &str, client: u64) -> u16 {
    let url = format!("http://{base}{path}");
    let ip = format!("198.51.100.{}", client % 250);
    http.get_from(&url, Some(&ip)).await.map_or(0, |r| r.status)
}

fn spawn(http: &Http, base: SocketAddr, path: String, client: u64) {
    let http = http.clone();
    tokio::spawn(async move { get(&http, base, &path, client).await });
}

/// Sends one second's worth of traffic (second `s` of the run).
fn second_of_traffic(http: &Http, base: SocketAddr, s: u64) {
    for i in 0..4 {
        let n = s * 4 + i;
        spawn(
            http,
            base,
            format!("/article?source=smry-fast&url=https://news.example.com/articles/small-{n}"),
            n,
        );
    }
    for i in 0..ADS_PER_SECOND {
        spawn(
            http,
            base,
            format!(
                "/ads?session=s-{}&len={LEAK_PER_REQUEST}",
                s * ADS_PER_SECOND + i
            ),
            s + i,
        );
    }
    if s.is_multiple_of(5) {
        spawn(
            http,
            base,
            format!("/article?source=smry-fast&url=https://news.example.com/articles/large-{s}"),
            s,
        );
    }
    if s % 7 == 3 {
        spawn(
            http,
            base,
            format!("/diffbot?url=https://news.example.com/articles/small-{s}"),
            s,
        );
    }
    if s % 20 == 11 {
        spawn(
            http,
            base,
            format!("/article?source=smry-slow&url=https://news.example.com/articles/broken-{s}"),
            s,
        );
    }
    if s % 30 == 17 {
        spawn(
            http,
            base,
            format!(
                "/article?source=wayback&url=https://archive.example.org/articles/archived-{s}"
            ),
            s,
        );
        spawn(http, base, "/signal".to_owned(), s);
    }
}

pub async fn run(base: SocketAddr, log: &Path, minutes: u32) -> Result<(), String> {
    let http = Http::new();
    let seconds = u64::from(minutes) * 60;
    println!(
        "long scenario: {minutes} minutes of traffic, a leak in ad-context-request, a burst halfway"
    );
    let started = Instant::now();
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    for s in 0..seconds {
        tick.tick().await;
        second_of_traffic(&http, base, s);
        if s == seconds / 2 {
            for i in 0..BURST_REQUESTS {
                spawn(
                    &http,
                    base,
                    format!("/ads?session=burst-{i}&len={BURST_BYTES}"),
                    i as u64,
                );
            }
        }
        if s % 60 == 59 {
            println!("  {} minutes done", (s + 1) / 60);
        }
    }
    // Let the last requests finish and a last snapshot see them.
    tokio::time::sleep(Duration::from_secs(6)).await;
    println!(
        "long scenario done in {:.0} s; read it with:\n  cargo run -p memtrack-cli -- report {} --svg memory.svg",
        started.elapsed().as_secs_f64(),
        log.display()
    );
    Ok(())
}
