//! Writes a synthetic memtrack JSON log of a given size to standard output, for
//! measuring `memtrack report` on large logs:
//!
//! ```text
//! cargo run --release -p memtrack-cli --example synth_log -- --mb 1024 > /tmp/big.log
//! ```
//!
//! The lines follow the runtime's JSON layer (same keys, same order): mostly
//! `memory_operation` events of a dozen operations, a snapshot every 30 simulated
//! seconds with `top_operations`, cache stats every minute, spikes, large fetches,
//! slow and failed operations, leak suspects, and one application line in twenty
//! that is not memtrack's. One operation (`session-restore`) leaks steadily.

use std::io::{self, BufWriter, Write};

const MB: f64 = 1_048_576.0;
/// 2026-11-27T00:00:00Z.
const START_MS: i64 = 1_795_737_600_000;

const OPERATIONS: [&str; 12] = [
    "article-fetch-smry-fast",
    "article-fetch-smry-slow",
    "article-fetch-wayback",
    "diffbot-api-call",
    "ad-context-request",
    "zeroclick-signal-broadcast",
    "session-restore",
    "thumbnail-render",
    "search-index-update",
    "user-profile-load",
    "feed-rank",
    "pdf-export",
];

/// xorshift64*: small, fast, deterministic.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1_u64 << 53) as f64
    }
}

fn timestamp(ms: i64) -> String {
    let days = ms.div_euclid(86_400_000);
    let in_day = ms.rem_euclid(86_400_000);
    // Days since 2026-11-27 stay within a few months: count forward.
    let (mut y, mut m, mut d) = (2026, 11, 27 + days);
    let month_len = |y: i64, m: i64| match m {
        2 if y % 4 == 0 => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    let _ = days;
    while d > month_len(y, m) {
        d -= month_len(y, m);
        m += 1;
        if m > 12 {
            m = 1;
            y += 1;
        }
    }
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1_000 % 60,
        in_day % 1_000
    )
}

struct World {
    rng: Rng,
    now: i64,
    op_number: u64,
    rss_mb: f64,
    heap_mb: f64,
    leaked_mb: f64,
    articles: u64,
    clients: u64,
    next_snapshot: i64,
    next_cache_stats: i64,
    interval_alloc: [f64; OPERATIONS.len()],
    interval_net: [f64; OPERATIONS.len()],
    interval_count: [u64; OPERATIONS.len()],
    retained: [f64; OPERATIONS.len()],
    leak_intervals: u64,
    /// The leaking operation's growth over the last ten intervals (MB).
    leak_window: Vec<f64>,
}

fn r2(v: f64) -> f64 {
    (v * 100.0).round() / 100.0
}

impl World {
    fn ts(&self) -> String {
        timestamp(self.now - START_MS)
    }

    fn operation(&mut self, out: &mut impl Write) -> io::Result<()> {
        let i = self.rng.below(OPERATIONS.len() as u64) as usize;
        let name = OPERATIONS[i];
        self.op_number += 1;
        let alloc = (self.rng.unit() * 8.0 + 0.1) * MB;
        let leak = name == "session-restore";
        let net = if leak {
            alloc * 0.002
        } else {
            alloc * (self.rng.unit() * 0.02 - 0.01)
        };
        let spike = self.rng.below(400) == 0;
        let peak = if spike {
            alloc * 4.0 + 21.0 * MB
        } else {
            alloc * 0.7
        };
        let slow = self.rng.below(200) == 0;
        let duration = if slow {
            5_000 + self.rng.below(20_000)
        } else {
            20 + self.rng.below(1_500)
        };
        let (ended_by, success) = match self.rng.below(100) {
            0 => ("err", false),
            1 => ("cancelled", false),
            _ => ("ok", true),
        };
        let retained = if leak { net } else { net.max(0.0) * 0.1 };
        self.interval_alloc[i] += alloc;
        self.interval_net[i] += net;
        self.interval_count[i] += 1;
        self.retained[i] += retained;
        if leak {
            self.leaked_mb += net / MB;
        }
        self.heap_mb = 40.0 + self.leaked_mb + self.rng.unit() * 30.0;
        self.rss_mb = self.heap_mb * 1.3 + 20.0;
        let rss_start = self.rss_mb - self.rng.unit() * 3.0;
        let error = if ended_by == "err" {
            ",\"error\":\"origin answered HTTP 502\""
        } else {
            ""
        };
        let event = if spike {
            "memory_spike_operation"
        } else {
            "memory_operation"
        };
        let level = if spike { "warn" } else { "info" };
        writeln!(
            out,
            "{{\"timestamp\":\"{ts}\",\"level\":\"{level}\",\"target\":\"memtrack\",\"event\":\"{event}\",\"message\":\"{event}: {name}\",\"op_id\":\"{name}-{n}\",\"op_name\":\"{name}\",\"duration_ms\":{duration},\"ended_by\":\"{ended_by}\",\"success\":{success}{error},\"rss_start_mb\":{rs},\"rss_end_mb\":{re},\"rss_delta_mb\":{rd},\"heap_start_mb\":{hs},\"heap_end_mb\":{he},\"heap_delta_mb\":{hd},\"alloc_bytes\":{alloc},\"freed_bytes\":{freed},\"net_bytes\":{net},\"peak_bytes\":{peak},\"allocs\":{allocs},\"retained_bytes\":{retained},\"article_cache\":{articles},\"rate_limiter_ips\":{clients},\"url_host\":\"news.example.com\"}}",
            ts = self.ts(),
            n = self.op_number,
            rs = r2(rss_start),
            re = r2(self.rss_mb),
            rd = r2(self.rss_mb - rss_start),
            hs = r2(self.heap_mb - net / MB),
            he = r2(self.heap_mb),
            hd = r2(net / MB),
            alloc = alloc as u64,
            freed = (alloc - net) as u64,
            net = net as i64,
            peak = peak as u64,
            allocs = 10 + self.rng.below(5_000),
            retained = retained.max(0.0) as u64,
            articles = self.articles,
            clients = self.clients,
        )
    }

    fn fetch(&mut self, out: &mut impl Write) -> io::Result<()> {
        let bytes = 500_000 + self.rng.below(3_000_000);
        writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"memtrack\",\"event\":\"fetch_response\",\"message\":\"fetch_response: smry-fast news.example.com\",\"source\":\"smry-fast\",\"url_host\":\"news.example.com\",\"content_length_bytes\":{bytes},\"content_length_mb\":{},\"duration_ms\":{},\"status\":200,\"large\":true,\"slow\":false,\"heap_used_mb\":{},\"rss_mb\":{}}}",
            self.ts(),
            r2(bytes as f64 / MB),
            30 + self.rng.below(900),
            r2(self.heap_mb),
            r2(self.rss_mb)
        )
    }

    fn app_line(&mut self, out: &mut impl Write) -> io::Result<()> {
        writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"service::http\",\"message\":\"request served\",\"status\":200,\"path\":\"/article\",\"latency_ms\":{}}}",
            self.ts(),
            self.rng.below(400)
        )
    }

    fn top_operations(&self) -> String {
        let mut order: Vec<usize> = (0..OPERATIONS.len()).collect();
        order.sort_by(|a, b| self.retained[*b].total_cmp(&self.retained[*a]));
        let items: Vec<String> = order
            .iter()
            .take(5)
            .map(|&i| {
                format!(
                    "{{\"operation\":\"{}\",\"retained_mb\":{},\"retained_growth_mb\":{},\"alloc_mb\":{},\"net_mb\":{},\"count\":{},\"active\":{}}}",
                    OPERATIONS[i],
                    r2(self.retained[i] / MB),
                    r2(self.interval_net[i].max(0.0) / MB),
                    r2(self.interval_alloc[i] / MB),
                    r2(self.interval_net[i] / MB),
                    self.interval_count[i],
                    u64::from(i % 3 == 0)
                )
            })
            .collect();
        format!("[{}]", items.join(","))
    }

    fn snapshot(&mut self, out: &mut impl Write) -> io::Result<()> {
        let top = self.top_operations();
        let uptime = (self.now - START_MS) as f64 / 60_000.0;
        writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"memtrack\",\"event\":\"memory_snapshot\",\"message\":\"memory_snapshot: rss {} MB\",\"uptime_minutes\":{},\"rss_mb\":{},\"rss_delta_mb\":0.5,\"heap_used_mb\":{},\"heap_total_mb\":{},\"heap_used_delta_mb\":0.4,\"active_operations\":3,\"top_operation\":\"session-restore\",\"article_cache\":{},\"rate_limiter_ips\":{},\"top_operations\":{top},\"top_operations_basis\":\"retained\"}}",
            self.ts(),
            r2(self.rss_mb),
            r2(uptime),
            r2(self.rss_mb),
            r2(self.heap_mb),
            r2(self.heap_mb * 1.2),
            self.articles,
            self.clients
        )?;
        let leak = OPERATIONS
            .iter()
            .position(|n| *n == "session-restore")
            .unwrap_or(0);
        if self.interval_net[leak] > 0.0 {
            self.leak_intervals += 1;
        }
        if self.leak_window.len() == 10 {
            self.leak_window.remove(0);
        }
        self.leak_window.push(r2(self.interval_net[leak] / MB));
        if self.leak_intervals >= 10 && self.leak_intervals.is_multiple_of(10) {
            let growth: Vec<String> = self.leak_window.iter().map(f64::to_string).collect();
            let total: f64 = self.leak_window.iter().sum();
            writeln!(
                out,
                "{{\"timestamp\":\"{}\",\"level\":\"warn\",\"target\":\"memtrack\",\"event\":\"memory_leak_suspect\",\"message\":\"memory_leak_suspect: session-restore\",\"operation\":\"session-restore\",\"intervals\":10,\"growth_mb_per_interval\":[{}],\"retained_mb\":{},\"total_growth_mb\":{},\"threshold_mb\":0.5}}",
                self.ts(),
                growth.join(","),
                r2(self.retained[leak] / MB),
                r2(total)
            )?;
        }
        self.interval_alloc = [0.0; OPERATIONS.len()];
        self.interval_net = [0.0; OPERATIONS.len()];
        self.interval_count = [0; OPERATIONS.len()];
        Ok(())
    }

    fn cache_stats(&mut self, out: &mut impl Write) -> io::Result<()> {
        self.articles = (self.articles + self.rng.below(3)).min(50);
        self.clients += self.rng.below(20);
        writeln!(
            out,
            "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"memtrack\",\"event\":\"cache_stats_snapshot\",\"message\":\"cache_stats_snapshot: 2 caches\",\"cache_count\":2,\"active_operations\":3,\"rss_mb\":{},\"heap_used_mb\":{},\"heap_total_mb\":{},\"article_cache\":{},\"rate_limiter_ips\":{},\"cache_max\":{{\"article_cache\":50,\"rate_limiter_ips\":10000}}}}",
            self.ts(),
            r2(self.rss_mb),
            r2(self.heap_mb),
            r2(self.heap_mb * 1.2),
            self.articles,
            self.clients
        )
    }
}

fn main() -> io::Result<()> {
    let mut target_mb: u64 = 64;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--mb" => {
                target_mb = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(|| io::Error::other("--mb needs a number of megabytes"))?;
            }
            other => {
                return Err(io::Error::other(format!(
                    "unknown option {other:?}; usage: synth_log [--mb N]"
                )));
            }
        }
    }
    let target = target_mb * (1 << 20);
    let stdout = io::stdout();
    let mut out = CountingWriter {
        inner: BufWriter::with_capacity(1 << 20, stdout.lock()),
        written: 0,
    };
    let mut w = World {
        rng: Rng(0x9e37_79b9_7f4a_7c15),
        now: START_MS,
        op_number: 0,
        rss_mb: 60.0,
        heap_mb: 40.0,
        leaked_mb: 0.0,
        articles: 0,
        clients: 0,
        next_snapshot: START_MS + 30_000,
        next_cache_stats: START_MS + 60_000,
        interval_alloc: [0.0; OPERATIONS.len()],
        interval_net: [0.0; OPERATIONS.len()],
        interval_count: [0; OPERATIONS.len()],
        retained: [0.0; OPERATIONS.len()],
        leak_intervals: 0,
        leak_window: Vec::new(),
    };
    writeln!(
        out,
        "{{\"timestamp\":\"{}\",\"level\":\"info\",\"target\":\"memtrack\",\"event\":\"memory_monitor_started\",\"message\":\"memory_monitor_started: every 30000 ms\",\"initial_heap_mb\":40.0,\"initial_rss_mb\":60.0,\"critical_rss_threshold_mb\":1500.0,\"critical_spike_threshold_mb\":400.0,\"interval_ms\":30000,\"cache_stats_interval_ms\":60000}}",
        w.ts()
    )?;
    while out.written < target {
        w.now += 5 + w.rng.below(20) as i64;
        if w.now >= w.next_snapshot {
            w.snapshot(&mut out)?;
            w.next_snapshot += 30_000;
        }
        if w.now >= w.next_cache_stats {
            w.cache_stats(&mut out)?;
            w.next_cache_stats += 60_000;
        }
        match w.rng.below(20) {
            0 => w.app_line(&mut out)?,
            1 => w.fetch(&mut out)?,
            _ => w.operation(&mut out)?,
        }
    }
    out.flush()
}

struct CountingWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> Write for CountingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.written += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}
