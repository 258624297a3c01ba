//! The example service's `/health` over real HTTP: 200 with the report, then 503
//! once the unhealthy threshold is below the process's RSS.

#[allow(dead_code)]
#[path = "../examples/health_server.rs"]
mod health_server;

use std::net::SocketAddr;
use std::sync::mpsc;

use serde_json::Value;

/// Serves the example's router on a loopback port chosen by the system, on a
/// runtime of its own thread.
fn serve() -> SocketAddr {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind");
            tx.send(listener.local_addr().expect("addr"))
                .expect("send addr");
            axum::serve(listener, health_server::app())
                .await
                .expect("serve");
        });
    });
    rx.recv().expect("server address")
}

fn get(agent: &ureq::Agent, url: &str) -> (u16, Option<String>, String) {
    let mut response = agent.get(url).call().expect("request");
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.body_mut().read_to_string().expect("body");
    (status, content_type, body)
}

#[test]
fn health_answers_200_then_503_above_the_threshold() {
    let addr = serve();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .build()
        .into();
    let health = format!("http://{addr}/health");

    let (status, content_type, body) = get(&agent, &health);
    assert_eq!(status, 200);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["status"], "ok");
    assert!(report.get("reason").is_none());
    assert_eq!(report["caches"]["article_cache"], 0);
    assert!(report["memory"]["rssMb"].as_f64().unwrap() > 0.0);
    // The example installs the counting allocator.
    assert!(report["memory"]["heapUsedMb"].as_f64().unwrap() > 0.0);
    assert!(
        report["memory"]["heapTotalMb"].as_f64().unwrap()
            >= report["memory"]["heapUsedMb"].as_f64().unwrap()
    );

    let (status, _, body) = get(&agent, &format!("http://{addr}/articles/7"));
    assert_eq!(status, 200);
    assert!(body.starts_with("<article id=\"7\">"));
    let (_, _, body) = get(&agent, &format!("http://{addr}/articles/8"));
    assert!(body.starts_with("<article id=\"8\">"));
    let (_, _, body) = get(&agent, &health);
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["caches"]["article_cache"], 2);
    assert_eq!(report["caches"]["active_operations"], 0);

    memtrack::config::set(
        memtrack::Config::builder()
            .unhealthy_rss_mb(1.0)
            .build()
            .unwrap(),
    );
    let (status, content_type, body) = get(&agent, &health);
    assert_eq!(status, 503);
    assert_eq!(content_type.as_deref(), Some("application/json"));
    let report: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(report["status"], "unhealthy");
    let reason = report["reason"].as_str().unwrap();
    assert!(
        reason.ends_with("MB is above the unhealthy threshold of 1 MB"),
        "{reason}"
    );
    assert_eq!(report["caches"]["article_cache"], 2);
    memtrack::config::set(memtrack::Config::default());

    let (status, _, body) = get(&agent, &format!("http://{addr}/render/8"));
    assert_eq!(status, 200);
    assert_eq!(body, format!("rendered {} bytes\n", 8 << 20));
}
