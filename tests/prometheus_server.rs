//! The example service scraped by a real Prometheus server: its scenario plants
//! known operations, Prometheus scrapes `/metrics` every second on loopback, and
//! the values it stored are read back through its HTTP API. `promtool check
//! metrics` lints the exposition. Skipped (and says so) when Prometheus is not
//! installed (`apt-get install prometheus`).
#![cfg(feature = "prometheus")]

mod support;

use std::fs;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long anything may take on a busy machine before the test gives up.
const DEADLINE: Duration = Duration::from_secs(120);

fn installed(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The example service, built with the features this test was built with.
fn service_binary() -> PathBuf {
    let mut features = vec!["prometheus"];
    if cfg!(feature = "opentelemetry") {
        features.push("opentelemetry");
    }
    support::service::binary(&features)
}

/// A child process killed when the test ends, however it ends.
struct Killed(Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The service running its scenario and holding on afterwards.
struct Service {
    process: Killed,
    stdin: Option<ChildStdin>,
    base: String,
    done: mpsc::Receiver<()>,
}

fn start_service(dir: &Path) -> Service {
    let mut child = Command::new(service_binary())
        .args(["--scenario", "--hold", "--log"])
        .arg(dir.join("service.log"))
        .env_remove("MEMTRACK_LOG_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the example service");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("stdout");
    let (base_tx, base_rx) = mpsc::channel();
    let (done_tx, done_rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(rest) = line.strip_prefix("serving on ") {
                let base = rest.split_whitespace().next().unwrap_or_default();
                let _ = base_tx.send(base.to_owned());
            }
            if line == "scenario done" {
                let _ = done_tx.send(());
            }
        }
    });
    let base = base_rx
        .recv_timeout(DEADLINE)
        .expect("the service printed its address");
    Service {
        process: Killed(child),
        stdin,
        base,
        done: done_rx,
    }
}

/// A port nobody listens on now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// A Prometheus server scraping `target` every second, with its own data dir.
fn start_prometheus(dir: &Path, target: &str) -> (Killed, String) {
    let config = dir.join("prometheus.yml");
    fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n\
             scrape_configs:\n  - job_name: memtrack-service\n    static_configs:\n      - targets: ['{target}']\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let log = fs::File::create(dir.join("prometheus.log")).unwrap();
    let child = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address=127.0.0.1:{port}"))
        .arg("--log.level=warn")
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .expect("start prometheus");
    (Killed(child), format!("http://127.0.0.1:{port}"))
}

fn get(url: &str) -> Option<String> {
    let mut response = ureq::get(url).call().ok()?;
    response.body_mut().read_to_string().ok()
}

/// The value of a PromQL instant query with one result, once Prometheus has one.
fn query(prometheus: &str, promql: &str) -> Option<f64> {
    let url = format!("{prometheus}/api/v1/query?query={}", percent_encode(promql));
    let body: Value = serde_json::from_str(&get(&url)?).ok()?;
    let result = body["data"]["result"].as_array()?;
    if result.len() != 1 {
        return None;
    }
    result[0]["value"][1].as_str()?.parse().ok()
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The value of `series` (name and labels as exposed) in a text exposition.
fn exposed(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' '))
        .unwrap_or_else(|| panic!("{series} is not exposed"))
        .parse()
        .unwrap()
}

/// Polls `promql` until Prometheus stores `expected`.
fn wait_for(prometheus: &str, promql: &str, expected: f64, log: &Path) {
    let started = Instant::now();
    let mut last = None;
    while started.elapsed() < DEADLINE {
        last = query(prometheus, promql);
        if last == Some(expected) {
            return;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
    panic!(
        "Prometheus never stored {promql} = {expected} (last: {last:?}); its log:\n{}",
        fs::read_to_string(log).unwrap_or_default()
    );
}

#[test]
fn prometheus_stores_what_the_scenario_planted() {
    if !installed("prometheus") || !installed("promtool") {
        eprintln!(
            "skipped: prometheus and promtool are not installed (apt-get install prometheus)"
        );
        return;
    }
    let dir = std::env::temp_dir().join(format!("memtrack-prometheus-{}", std::process::id()));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap();

    let mut service = start_service(&dir);
    let target = service.base.trim_start_matches("http://").to_owned();
    let (_prometheus, prometheus) = start_prometheus(&dir, &target);
    let log = dir.join("prometheus.log");
    service
        .done
        .recv_timeout(DEADLINE)
        .expect("the scenario finished");

    // What the service exposes once the scenario is over: its counters are final.
    let text = get(&format!("{}/metrics", service.base)).expect("GET /metrics");
    assert!(
        support::promtool::check_metrics(&text),
        "promtool is installed"
    );
    let ok_fetches =
        "memtrack_operations_ended_total{operation=\"article-fetch-smry-fast\",ended_by=\"ok\"}";
    assert_eq!(exposed(&text, ok_fetches), 12.0);
    let slow_err =
        "memtrack_operations_ended_total{operation=\"article-fetch-smry-slow\",ended_by=\"err\"}";
    assert_eq!(exposed(&text, slow_err), 1.0);
    let ad_allocated = "memtrack_operation_allocated_bytes_total{operation=\"ad-context-request\"}";
    let allocated = exposed(&text, ad_allocated);
    assert!(allocated >= 25_000_000.0, "{allocated}");

    // Prometheus stores the same figures.
    wait_for(&prometheus, ok_fetches, 12.0, &log);
    wait_for(&prometheus, slow_err, 1.0, &log);
    wait_for(&prometheus, ad_allocated, allocated, &log);
    assert_eq!(
        query(
            &prometheus,
            "sum(memtrack_operations_ended_total{ended_by!=\"ok\"})"
        ),
        Some(2.0),
        "one failed fetch and one cancelled broadcast"
    );
    assert_eq!(
        query(
            &prometheus,
            "memtrack_operations_ended_total{operation=\"zeroclick-signal-broadcast\",ended_by=\"cancelled\"}"
        ),
        Some(1.0)
    );
    // One peak of about 25 MB in the (16 MiB, 64 MiB] bucket: the median is
    // interpolated to the bucket's middle.
    assert_eq!(
        query(
            &prometheus,
            "histogram_quantile(0.5, memtrack_operation_peak_bytes_bucket{operation=\"ad-context-request\"})"
        ),
        Some(41_943_040.0)
    );
    // The archive fetch waits 1.5 s for its origin.
    let wayback = query(
        &prometheus,
        "histogram_quantile(0.5, memtrack_operation_duration_seconds_bucket{operation=\"article-fetch-wayback\"})",
    )
    .expect("the wayback duration");
    assert!(wayback >= 1.0, "{wayback}");
    // The leaked ad context is still held, and RSS is below the critical threshold.
    let retained = query(
        &prometheus,
        "memtrack_operation_retained_bytes{operation=\"ad-context-request\"}",
    )
    .expect("retained bytes");
    assert!(retained >= 25_000_000.0, "{retained}");
    let ratio = query(
        &prometheus,
        "memtrack_process_resident_memory_bytes / memtrack_rss_critical_threshold_bytes",
    )
    .expect("the RSS ratio");
    assert!(ratio > 0.0 && ratio < 1.0, "{ratio}");

    drop(service.stdin.take());
    let deadline = Instant::now() + DEADLINE;
    while service.process.0.try_wait().expect("wait").is_none() {
        assert!(Instant::now() < deadline, "the service did not exit");
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = fs::remove_dir_all(&dir);
}
