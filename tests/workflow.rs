//! The debugging workflow of the README, end to end: run the example service's
//! scenario, query its `/health` over HTTP, then perform each debugging step on the
//! JSON log it wrote and check that each finds exactly the lines the scenario planted.
//! When `jq` is installed, the README's own commands are run as printed too.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

struct Run {
    log: PathBuf,
    health_status: u16,
    health: Value,
    stdout: Vec<String>,
}

/// Runs the scenario with `--hold`, checks `/health` while it still serves, then
/// lets it exit.
fn run_scenario(dir: &Path) -> Run {
    let log = dir.join("memtrack-service.log");
    let mut child = Command::new(support::service::binary(&[]))
        .args(["--scenario", "--hold", "--log"])
        .arg(&log)
        .env_remove("MEMTRACK_LOG_FILE")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the example service");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = Vec::new();
    let mut base = None;
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read stdout");
        if let Some(rest) = line.strip_prefix("serving on ") {
            base = rest.split_whitespace().next().map(str::to_owned);
        }
        let done = line == "scenario done";
        lines.push(line);
        if done {
            break;
        }
    }
    let base = base.expect("the service printed its address");
    let mut response = ureq::get(&format!("{base}/health"))
        .call()
        .expect("GET /health");
    let health_status = response.status().as_u16();
    let health: Value =
        serde_json::from_str(&response.body_mut().read_to_string().unwrap()).unwrap();

    drop(child.stdin.take());
    let deadline = Instant::now() + Duration::from_secs(20);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        assert!(Instant::now() < deadline, "the service did not exit");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "service exited with {status}");
    Run {
        log,
        health_status,
        health,
        stdout: lines,
    }
}

fn parse(log: &Path) -> Vec<Value> {
    std::fs::read_to_string(log)
        .expect("read the log")
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

fn names(lines: &[&Value], field: &str) -> Vec<String> {
    let mut v: Vec<String> = lines
        .iter()
        .map(|l| l[field].as_str().unwrap_or("?").to_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn the_debugging_workflow_finds_exactly_what_the_scenario_planted() {
    let dir = std::env::temp_dir().join(format!("memtrack-workflow-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let run = run_scenario(&dir);
    assert!(run.stdout[0].starts_with("JSON log: "), "{:?}", run.stdout);

    // Step 1: the health endpoint.
    assert_eq!(run.health_status, 200);
    let h = &run.health;
    assert_eq!(h["status"], "ok");
    assert!(h["timestamp"].as_str().unwrap().ends_with('Z'));
    for field in ["heapUsedMb", "heapTotalMb", "rssMb"] {
        assert!(h["memory"][field].as_f64().unwrap() > 0.0, "{field}: {h}");
    }
    assert_eq!(h["caches"]["article_cache"], 13);
    assert_eq!(h["caches"]["rate_limiter_ips"], 17);
    assert_eq!(h["caches"]["ad_session_buffers"], 1);
    assert_eq!(h["caches"]["active_operations"], 0);

    let lines = parse(&run.log);
    let of =
        |event: &str| -> Vec<&Value> { lines.iter().filter(|l| l["event"] == event).collect() };

    // Step 2: spikes, large fetches, slow operations.
    let spikes = of("memory_spike_operation");
    assert_eq!(
        names(&spikes, "op_name"),
        ["ad-context-request", "diffbot-api-call"]
    );
    let leak = spikes
        .iter()
        .find(|l| l["op_name"] == "ad-context-request")
        .unwrap();
    assert!(leak["net_bytes"].as_i64().unwrap() >= 25_000_000, "{leak}");
    let blowup = spikes
        .iter()
        .find(|l| l["op_name"] == "diffbot-api-call")
        .unwrap();
    assert!(
        blowup["peak_bytes"].as_u64().unwrap() >= 32_000_000,
        "{blowup}"
    );
    assert!(
        blowup["net_bytes"].as_i64().unwrap() < 1_000_000,
        "{blowup}"
    );

    let large: Vec<&Value> = of("fetch_response")
        .into_iter()
        .filter(|l| l["content_length_bytes"].as_u64().unwrap() > 1_000_000)
        .collect();
    assert_eq!(
        names(&large, "url_host"),
        [
            "archive.example.org",
            "news.example.com",
            "news.example.com"
        ]
    );

    let slow: Vec<&Value> = of("memory_operation")
        .into_iter()
        .filter(|l| l["duration_ms"].as_f64().unwrap() > 1000.0)
        .collect();
    assert_eq!(names(&slow, "op_name"), ["article-fetch-wayback"]);

    // Step 3: cache growth over time.
    let snapshots = of("cache_stats_snapshot");
    assert!(snapshots.len() >= 4, "{} snapshots", snapshots.len());
    let times: Vec<&str> = snapshots
        .iter()
        .map(|l| l["timestamp"].as_str().unwrap())
        .collect();
    assert!(times.windows(2).all(|w| w[0] <= w[1]));
    let articles: Vec<u64> = snapshots
        .iter()
        .map(|l| l["article_cache"].as_u64().unwrap())
        .collect();
    assert_eq!(articles[0], 0);
    assert_eq!(*articles.last().unwrap(), 13);
    assert!(articles.windows(2).all(|w| w[0] <= w[1]), "{articles:?}");

    // Step 4: one operation's lines, and failed operations.
    let fast: Vec<&Value> = lines
        .iter()
        .filter(|l| l["op_name"] == "article-fetch-smry-fast")
        .collect();
    assert_eq!(
        names(&fast, "event"),
        [
            "large_allocation",
            "large_allocation",
            "memory_operation",
            "memory_operation"
        ]
    );
    let failed: Vec<&Value> = of("memory_operation")
        .into_iter()
        .filter(|l| l["success"] == false)
        .collect();
    let mut failures: Vec<(String, String)> = failed
        .iter()
        .map(|l| {
            (
                l["op_name"].as_str().unwrap().to_owned(),
                l["ended_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    failures.sort();
    assert_eq!(
        failures,
        [
            ("article-fetch-smry-slow".to_owned(), "err".to_owned()),
            (
                "zeroclick-signal-broadcast".to_owned(),
                "cancelled".to_owned()
            )
        ]
    );

    readme_commands_find_the_same(
        &run.log,
        &BTreeMap::from([
            ("memory_spike_operation", 2),
            ("content_length_bytes > 1000000", 3),
            ("duration_ms > 1000", 1),
            ("cache_stats_snapshot", snapshots.len()),
            ("\"op_name\":\"article-fetch-smry-fast\"", 4),
            ("success == false", 2),
        ]),
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Runs each command of the README's workflow block with `LOG` pointing at the log,
/// and counts the JSON values it prints.
fn readme_commands_find_the_same(log: &Path, expected: &BTreeMap<&str, usize>) {
    if Command::new("jq").arg("--version").output().is_err() {
        println!("jq is not installed: the README's jq commands were not run (apt-get install jq)");
        return;
    }
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let block = readme
        .split("<!-- workflow:start -->")
        .nth(1)
        .and_then(|rest| rest.split("<!-- workflow:end -->").next())
        .expect("README has the workflow block");
    let commands: Vec<&str> = block
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("grep "))
        .collect();
    assert_eq!(commands.len(), expected.len(), "{commands:#?}");
    for command in commands {
        let (_, want) = expected
            .iter()
            .find(|(needle, _)| command.contains(*needle))
            .unwrap_or_else(|| panic!("no expectation for {command}"));
        let output = Command::new("sh")
            .arg("-c")
            .arg(command)
            .env("LOG", log)
            .output()
            .expect("run sh");
        let text = String::from_utf8(output.stdout).unwrap();
        let found = serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .count();
        assert_eq!(found, *want, "{command} printed:\n{text}");
    }
}
