//! The culprit ranking on logs of planted scenarios: retained growth first, then
//! net bytes, allocated bytes, spikes and RSS growth.

mod support;

use memtrack_cli::model::Options;
use support::{event, ranking, report_of};

const MB: u64 = 1 << 20;

fn operation(seconds: u64, name: &str, alloc: u64, net: i64, extra: &str) -> String {
    let freed = i64::try_from(alloc).unwrap() - net;
    event(
        seconds,
        "memory_operation",
        &format!(
            "\"op_name\":\"{name}\",\"duration_ms\":100,\"ended_by\":\"ok\",\"success\":true,\"alloc_bytes\":{alloc},\"freed_bytes\":{freed},\"net_bytes\":{net},\"peak_bytes\":{alloc}{extra}"
        ),
    )
}

fn spike(seconds: u64, name: &str, rss_delta_mb: f64) -> String {
    event(
        seconds,
        "memory_spike_operation",
        &format!(
            "\"op_name\":\"{name}\",\"duration_ms\":100,\"ended_by\":\"ok\",\"success\":true,\"rss_delta_mb\":{rss_delta_mb}"
        ),
    )
}

#[test]
fn a_slow_leak_below_the_logging_threshold_outranks_churn_and_spikes() {
    // The leak never logs an operation event (each call keeps a few KB); only the
    // monitor's retained figures show it. The churner allocates gigabytes and frees
    // them; the spiky operation holds 40 MB at its peak and frees it.
    let mut log = String::new();
    for minute in 1..=6_u64 {
        let t = minute * 60;
        log += &operation(t - 30, "image-churn", 900 * MB, 0, ",\"retained_bytes\":0");
        log += &event(
            t - 20,
            "memory_spike_operation",
            &format!(
                "\"op_name\":\"pdf-spike\",\"alloc_bytes\":{},\"net_bytes\":0,\"peak_bytes\":{}",
                40 * MB,
                40 * MB
            ),
        );
        log += &event(
            t,
            "memory_snapshot",
            &format!(
                "\"rss_mb\":{rss},\"heap_used_mb\":{heap},\"top_operations\":[{{\"operation\":\"image-churn\",\"retained_mb\":1.0,\"retained_growth_mb\":0.0,\"alloc_mb\":900.0,\"net_mb\":0.0,\"count\":1,\"active\":0}},{{\"operation\":\"session-leak\",\"retained_mb\":{leak},\"retained_growth_mb\":1.5,\"alloc_mb\":1.6,\"net_mb\":1.5,\"count\":400,\"active\":0}}],\"top_operations_basis\":\"retained\"",
                rss = 100 + minute * 2,
                heap = 50 + minute * 2,
                leak = 1.5 * minute as f64
            ),
        );
    }
    let report = report_of(&log, Options::default());
    // Allocated bytes come before spikes.
    assert_eq!(
        ranking(&report),
        ["session-leak", "image-churn", "pdf-spike"]
    );
    let leak = &report.culprits[0];
    assert_eq!(leak.retained_growth_bytes, Some(9.0 * MB as f64));
    assert_eq!(leak.retained_mb, Some(9.0));
    assert_eq!(leak.logged, 0);
    assert_eq!(leak.monitor_intervals, 6);
    assert_eq!(report.culprits[1].alloc_bytes, Some(5_400.0 * MB as f64));
    assert_eq!(report.culprits[2].spikes, 6);
    // The picture draws the retained figures, the leak first and rising.
    let series = &report.timeline.operations;
    assert_eq!(series[0].operation, "session-leak");
    let values: Vec<f64> = series[0].points.iter().map(|p| p.v).collect();
    assert_eq!(values, [1.5, 3.0, 4.5, 6.0, 7.5, 9.0]);
}

#[test]
fn without_retained_figures_net_bytes_come_before_allocated_bytes() {
    let mut log = String::new();
    log += &operation(1, "big-churn", 5_000 * MB, 0, "");
    log += &operation(2, "keeps-ten", 12 * MB, 10 * i64::try_from(MB).unwrap(), "");
    log += &operation(
        3,
        "keeps-fifty",
        60 * MB,
        50 * i64::try_from(MB).unwrap(),
        "",
    );
    log += &operation(4, "frees-others", MB, -20 * i64::try_from(MB).unwrap(), "");
    let report = report_of(&log, Options::default());
    assert_eq!(
        ranking(&report),
        ["keeps-fifty", "keeps-ten", "big-churn", "frees-others"]
    );
    assert_eq!(report.culprits[0].retained_growth_bytes, None);
    assert_eq!(report.culprits[0].net_bytes, Some(50.0 * MB as f64));
}

#[test]
fn a_leak_suspect_ranks_its_operation_by_the_growth_it_reports() {
    let mut log = String::new();
    log += &operation(
        1,
        "cache-fill",
        30 * MB,
        20 * i64::try_from(MB).unwrap(),
        &format!(",\"retained_bytes\":{}", 20 * MB),
    );
    log += &event(
        60,
        "memory_leak_suspect",
        "\"operation\":\"slow-leak\",\"intervals\":5,\"growth_mb_per_interval\":[6,6,6,6,6],\"retained_mb\":30,\"total_growth_mb\":30,\"threshold_mb\":1",
    );
    let report = report_of(&log, Options::default());
    assert_eq!(ranking(&report), ["slow-leak", "cache-fill"]);
    assert!(report.culprits[0].leak_suspect);
    assert_eq!(
        report.culprits[0].retained_growth_bytes,
        Some(30.0 * MB as f64)
    );
    assert_eq!(
        report.culprits[1].retained_growth_bytes,
        Some(20.0 * MB as f64)
    );
    assert_eq!(report.alerts.total, 1);
    assert_eq!(report.alerts.shown[0].operations, ["slow-leak"]);
}

#[test]
fn operation_events_retained_bytes_rank_when_snapshots_lack_them() {
    let mut log = String::new();
    for i in 0..4 {
        log += &operation(
            i,
            "holds-some",
            10 * MB,
            5 * i64::try_from(MB).unwrap(),
            &format!(",\"retained_bytes\":{}", MB),
        );
        log += &operation(
            i,
            "holds-more",
            4 * MB,
            2 * i64::try_from(MB).unwrap(),
            &format!(",\"retained_bytes\":{}", 2 * MB),
        );
    }
    let report = report_of(&log, Options::default());
    assert_eq!(ranking(&report), ["holds-more", "holds-some"]);
    assert_eq!(
        report.culprits[0].retained_growth_bytes,
        Some(8.0 * MB as f64)
    );
}

#[test]
fn without_the_allocator_spikes_then_rss_growth_decide() {
    let mut log = String::new();
    log += &spike(1, "pdf-render", 60.0);
    log += &spike(2, "pdf-render", 55.0);
    log += &spike(3, "thumbnail", 70.0);
    log += &event(
        30,
        "memory_snapshot",
        "\"rss_mb\":300,\"top_operations\":[{\"operation\":\"feed-rank\",\"rss_growth_mb\":90,\"count\":3,\"active\":0},{\"operation\":\"quiet\",\"rss_growth_mb\":1,\"count\":3,\"active\":0}],\"top_operations_basis\":\"rss\"",
    );
    let report = report_of(&log, Options::default());
    assert_eq!(
        ranking(&report),
        ["pdf-render", "thumbnail", "feed-rank", "quiet"]
    );
    assert_eq!(report.culprits[2].rss_growth_mb, Some(90.0));
    assert_eq!(report.culprits[0].alloc_bytes, None);
}

#[test]
fn equal_figures_are_ranked_by_name() {
    let mut log = String::new();
    for name in ["zeta", "alpha", "mid"] {
        log += &operation(1, name, MB, 0, "");
    }
    let report = report_of(&log, Options::default());
    assert_eq!(ranking(&report), ["alpha", "mid", "zeta"]);
    let ranks: Vec<usize> = report.culprits.iter().map(|c| c.rank).collect();
    assert_eq!(ranks, [1, 2, 3]);
}

#[test]
fn one_operation_keeps_only_its_own_figures() {
    let mut log = String::new();
    log += &operation(1, "mine", 3 * MB, 0, "");
    log += &operation(2, "other", 9 * MB, 9 * i64::try_from(MB).unwrap(), "");
    log += &event(
        3,
        "memory_snapshot",
        "\"rss_mb\":100,\"top_operations\":[{\"operation\":\"other\",\"alloc_mb\":9,\"net_mb\":9},{\"operation\":\"mine\",\"alloc_mb\":3,\"net_mb\":0}]",
    );
    let options = Options {
        operation: Some("mine".to_owned()),
        ..Options::default()
    };
    let report = report_of(&log, options);
    assert_eq!(ranking(&report), ["mine"]);
    assert_eq!(report.lines.other_operations, 1);
    assert_eq!(report.lines.used, 2);
    let history = report.history.expect("history with --op");
    assert_eq!(history.total, 1);
    assert_eq!(report.memory.rss_mb.map(|r| r.end), Some(100.0));
}

#[test]
fn operation_names_past_the_limit_are_pooled() {
    use memtrack_cli::model::builder::{MAX_OPERATIONS, OTHER_OPERATIONS};
    let mut log = String::new();
    for i in 0..MAX_OPERATIONS + 5 {
        log += &operation(1, &format!("op-{i}"), MB, 0, "");
    }
    // The pooled names together grew most, but they are no one operation: they
    // rank last.
    for i in 0..50 {
        log += &operation(2, &format!("late-{i}"), 100 * MB, 0, "");
    }
    let report = report_of(&log, Options::default());
    assert_eq!(report.culprits.len(), MAX_OPERATIONS + 1);
    assert_eq!(
        report.culprits.last().map(|c| c.operation.as_str()),
        Some(OTHER_OPERATIONS)
    );
    let pooled = report
        .culprits
        .iter()
        .find(|c| c.operation == OTHER_OPERATIONS)
        .expect("the pooled operations");
    assert_eq!(pooled.logged, 55);
}
