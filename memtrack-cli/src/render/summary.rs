//! The summary's content, as sections of text lines and tables that the terminal
//! and the HTML page both render.

use std::fmt::Write as _;

use super::format::{
    Clock, bytes, count, mb, millis, number, one_line, short, signed_bytes, signed_mb,
};
use super::table::{Align, Cell, Paint, Table};
use crate::model::Report;
use crate::model::findings::{Alert, OperationRow};
use crate::model::memory::LevelSummary;
use crate::model::operations::Culprit;
use crate::model::problems::Count;

/// Culprits listed (all are in `--json`).
pub const CULPRITS_SHOWN: usize = 10;
/// Cache-size rows shown over time.
const CACHE_ROWS: usize = 8;
/// Caches shown over time.
const CACHE_COLUMNS: usize = 5;

/// One part of the summary: a title, then lines and tables.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// The heading.
    pub title: String,
    /// What follows it.
    pub blocks: Vec<Block>,
}

/// A line of text or a table.
#[derive(Debug, Clone)]
pub enum Block {
    /// A line, with its colour.
    Text(String, Paint),
    /// A table.
    Table(Table),
    /// A blank line.
    Gap,
}

/// Builds the sections: each function below adds one or more.
struct Doc {
    sections: Vec<Section>,
}

impl Doc {
    fn section(&mut self, title: impl Into<String>) {
        self.sections.push(Section {
            title: title.into(),
            blocks: Vec::new(),
        });
    }

    fn block(&mut self, block: Block) {
        if let Some(last) = self.sections.last_mut() {
            last.blocks.push(block);
        }
    }

    fn text(&mut self, text: impl Into<String>) {
        self.block(Block::Text(text.into(), Paint::None));
    }

    fn painted(&mut self, text: impl Into<String>, paint: Paint) {
        self.block(Block::Text(text.into(), paint));
    }

    fn table(&mut self, table: Table) {
        self.block(Block::Table(table.without_empty_columns()));
    }
}

/// The summary's sections, in order.
#[must_use]
pub fn sections(report: &Report) -> Vec<Section> {
    let clock = report.span.map_or(Clock { with_date: true }, |s| {
        Clock::for_span(s.start.0, s.end.0)
    });
    let mut doc = Doc {
        sections: Vec::new(),
    };
    let out = &mut doc;
    header(out, report);
    memory(out, report, clock);
    alerts(out, report, clock);
    culprits(out, report);
    if let Some(history) = &report.history {
        operation_history(out, report, history, clock);
    }
    spikes(out, report, clock);
    fetches(out, report, clock);
    operations(
        out,
        &format!("operations slower than {}", millis(report.window.slow_ms)),
        &report.slow_operations,
        clock,
    );
    operations(out, "failed operations", &report.failed_operations, clock);
    caches(out, report, clock);
    problems(out, report);
    doc.sections
}

fn or_dash(v: Option<String>) -> String {
    v.unwrap_or_else(|| "-".to_owned())
}

fn header(out: &mut Doc, report: &Report) {
    out.section(format!("memtrack report: {}", one_line(&report.log)));
    match report.span {
        Some(span) => {
            let clock = Clock::for_span(span.start.0, span.end.0);
            let start = Clock { with_date: true }.time(span.start.0);
            out.text(format!(
                "span    {start} to {} UTC ({})",
                clock.time(span.end.0),
                millis(span.seconds * 1_000.0)
            ));
        }
        None if report.lines.outside_window > 0 || report.lines.other_operations > 0 => {
            out.text("span    no memtrack event within the times and operation asked for");
        }
        None => {
            out.text("span    no memtrack event with a timestamp");
        }
    }
    let l = &report.lines;
    let skipped = report.problems.skipped_lines();
    let mut lines = format!(
        "lines   {} read{}: {} memtrack events used",
        count(l.read),
        if l.gzip { " (gzip)" } else { "" },
        count(l.used)
    );
    if skipped > 0 {
        let _ = write!(lines, ", {} skipped (see the end)", count(skipped));
    }
    if l.outside_window > 0 {
        let _ = write!(
            lines,
            ", {} outside the time window",
            count(l.outside_window)
        );
    }
    if l.other_operations > 0 {
        let _ = write!(lines, ", {} of other operations", count(l.other_operations));
    }
    out.text(lines);
    let w = &report.window;
    if w.since.is_some() || w.until.is_some() || w.operation.is_some() {
        let mut parts = Vec::new();
        if let Some(s) = w.since {
            parts.push(format!("since {}", Clock { with_date: true }.time(s.0)));
        }
        if let Some(u) = w.until {
            parts.push(format!("until {}", Clock { with_date: true }.time(u.0)));
        }
        if let Some(op) = &w.operation {
            parts.push(format!("operation {op}"));
        }
        out.text(format!("window  {}", parts.join(", ")));
    }
}

fn level_row(t: &mut Table, name: &str, level: Option<&LevelSummary>, clock: Clock) {
    match level {
        Some(l) => t.row(vec![
            name.into(),
            mb(l.start).into(),
            mb(l.peak).into(),
            clock.time(l.peak_at.0).into(),
            mb(l.end).into(),
            signed_mb(l.end - l.start).into(),
        ]),
        None => t.row(vec![
            name.into(),
            Cell::painted("not in the log", Paint::Dim),
        ]),
    }
}

fn memory(out: &mut Doc, report: &Report, clock: Clock) {
    out.section("process memory");
    let m = &report.memory;
    let mut t = Table::new(&[
        ("", Align::Left),
        ("start", Align::Right),
        ("peak", Align::Right),
        ("peak at", Align::Left),
        ("end", Align::Right),
        ("end - start", Align::Right),
    ]);
    level_row(&mut t, "RSS", m.rss_mb.as_ref(), clock);
    level_row(&mut t, "heap", m.heap_mb.as_ref(), clock);
    if m.rss_mb.is_none() && m.heap_mb.is_none() {
        out.text(format!("no RSS or heap reading {}", report.looked_in()));
    } else {
        out.table(t);
    }
    if let Some(threshold) = m.critical_rss_mb {
        let peak = m.rss_mb.map(|r| r.peak);
        let (note, paint) = match peak {
            Some(p) if p > threshold => (
                format!(
                    " (crossed: peak {} is {:.0} % of it)",
                    mb(p),
                    p / threshold * 100.0
                ),
                Paint::Bad,
            ),
            Some(p) => (
                format!(
                    " (not reached: peak is {:.0} % of it)",
                    p / threshold * 100.0
                ),
                Paint::None,
            ),
            None => (String::new(), Paint::None),
        };
        out.painted(
            format!("critical RSS threshold {} MB{note}", number(threshold)),
            paint,
        );
    }
    let r = &report.reclaims;
    let mut facts = vec![format!("{} monitor snapshots", count(m.snapshots))];
    if r.runs > 0 {
        facts.push(format!(
            "{} reclaims ({} effective, {} freed)",
            count(r.runs),
            count(r.effective),
            mb(r.freed_mb)
        ));
    }
    out.text(facts.join(", "));
}

fn alert_figure(a: &Alert) -> String {
    let threshold = a
        .threshold_mb
        .map(|t| format!(" (threshold {})", number(t)))
        .unwrap_or_default();
    match a.kind.as_str() {
        "critical_rss_spike" => format!(
            "RSS {} in one interval{threshold}",
            or_dash(a.delta_mb.map(signed_mb))
        ),
        "critical_memory_exceeded" => {
            format!("RSS {}{threshold}", or_dash(a.rss_mb.map(mb)))
        }
        "memory_growth_detected" => format!(
            "heap {} in one interval{threshold}",
            or_dash(a.delta_mb.map(signed_mb))
        ),
        "memory_leak_suspect" => format!(
            "{} over {} intervals, {} retained",
            or_dash(a.delta_mb.map(signed_mb)),
            or_dash(a.intervals.map(number)),
            or_dash(a.retained_mb.map(mb))
        ),
        _ => String::new(),
    }
}

fn alerts(out: &mut Doc, report: &Report, clock: Clock) {
    let total = report.alerts.total;
    if total == 0 {
        out.section("alerts: none");
        return;
    }
    let kinds: Vec<String> = report
        .alert_kinds
        .iter()
        .map(|(k, n)| format!("{k} {}", count(*n)))
        .collect();
    out.section(format!("alerts: {} ({})", count(total), kinds.join(", ")));
    let mut t = Table::new(&[
        ("time", Align::Left),
        ("alert", Align::Left),
        ("figure", Align::Left),
        ("operations named", Align::Left),
    ]);
    for a in &report.alerts.shown {
        t.row(vec![
            clock.time(a.time.0).into(),
            Cell::painted(a.kind.clone(), Paint::Bad),
            alert_figure(a).into(),
            a.operations.join(", ").into(),
        ]);
    }
    out.table(t);
    more(
        out,
        report.alerts.total,
        report.alerts.shown.len(),
        "first and last",
    );
}

fn more(out: &mut Doc, total: u64, shown: usize, which: &str) {
    let shown = shown as u64;
    if total > shown {
        out.painted(
            format!(
                "({} more; these are the {which} {}; --json has the same)",
                count(total - shown),
                count(shown)
            ),
            Paint::Dim,
        );
    }
}

fn spread(p50: Option<f64>, p95: Option<f64>, max: Option<f64>, f: fn(f64) -> String) -> [Cell; 3] {
    [
        or_dash(p50.map(f)).into(),
        or_dash(p95.map(f)).into(),
        or_dash(max.map(f)).into(),
    ]
}

fn culprit_notes(c: &Culprit) -> String {
    let mut notes = Vec::new();
    if c.leak_suspect {
        notes.push("leak suspect".to_owned());
    }
    if c.alerts_named_first > 0 {
        notes.push(format!(
            "first in {}",
            plural(c.alerts_named_first, "alert", "alerts")
        ));
    }
    if c.monitor_intervals > 0 {
        notes.push(format!(
            "top in {}",
            plural(c.monitor_intervals, "snapshot", "snapshots")
        ));
    }
    notes.join(", ")
}

fn culprits(out: &mut Doc, report: &Report) {
    if report.culprits.is_empty() {
        out.section(format!("culprits: no operation {}", report.looked_in()));
        return;
    }
    out.section(format!("culprits, ranked by {}", report.ranking));
    let shown = report.culprits.iter().take(CULPRITS_SHOWN);
    // RSS growth charged to an operation includes whatever ran beside it: shown
    // only when the log has no heap figures to go by.
    let heap_figures = report.culprits.iter().any(|c| c.alloc_bytes.is_some());
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("operation", Align::Left),
        ("retained growth", Align::Right),
        ("held now", Align::Right),
        ("net", Align::Right),
        ("allocated", Align::Right),
        ("spikes", Align::Right),
        ("RSS growth", Align::Right),
        ("notes", Align::Left),
    ]);
    for c in shown.clone() {
        let top = c.rank == 1;
        let name = if top {
            Cell::painted(c.operation.clone(), Paint::Warn)
        } else {
            c.operation.clone().into()
        };
        t.row(vec![
            c.rank.to_string().into(),
            name,
            or_dash(c.retained_growth_bytes.map(signed_bytes)).into(),
            or_dash(c.retained_mb.map(mb)).into(),
            or_dash(c.net_bytes.map(signed_bytes)).into(),
            or_dash(c.alloc_bytes.map(bytes)).into(),
            count(c.spikes).into(),
            if heap_figures {
                "-".into()
            } else {
                or_dash(c.rss_growth_mb.map(signed_mb)).into()
            },
            culprit_notes(c).into(),
        ]);
    }
    out.table(t);

    out.block(Block::Gap);
    let mut t = Table::new(&[
        ("#", Align::Right),
        ("operation", Align::Left),
        ("logged", Align::Right),
        ("failed", Align::Left),
        ("duration p50", Align::Right),
        ("p95", Align::Right),
        ("max", Align::Right),
        ("peak p50", Align::Right),
        ("p95", Align::Right),
        ("max", Align::Right),
    ]);
    for c in shown {
        let failed = if c.failed == 0 {
            "-".into()
        } else {
            let endings: Vec<String> = c
                .ended_by
                .iter()
                .filter(|(e, _)| e != "ok")
                .map(|(e, n)| format!("{e} {}", count(*n)))
                .collect();
            Cell::painted(endings.join(", "), Paint::Bad)
        };
        let mut row = vec![
            c.rank.to_string().into(),
            c.operation.clone().into(),
            count(c.logged).into(),
            failed,
        ];
        row.extend(spread(
            c.duration_ms.p50,
            c.duration_ms.p95,
            c.duration_ms.max,
            millis,
        ));
        row.extend(spread(
            c.peak_bytes.p50,
            c.peak_bytes.p95,
            c.peak_bytes.max,
            bytes,
        ));
        t.row(row);
    }
    out.table(t);
    let total = report.culprits.len();
    if total > CULPRITS_SHOWN {
        out.painted(
            format!(
                "({} operations in all; --json lists every one, --op NAME shows one)",
                count(total as u64)
            ),
            Paint::Dim,
        );
    }
}

fn operation_history(
    out: &mut Doc,
    report: &Report,
    history: &crate::model::findings::Listing<crate::model::findings::HistoryEntry>,
    clock: Clock,
) {
    let name = report.window.operation.as_deref().unwrap_or_default();
    out.section(format!("history of {name}: {} lines", count(history.total)));
    if history.shown.is_empty() {
        return;
    }
    let mut t = Table::new(&[
        ("time", Align::Left),
        ("event", Align::Left),
        ("duration", Align::Right),
        ("ended_by", Align::Left),
        ("allocated", Align::Right),
        ("net", Align::Right),
        ("peak", Align::Right),
        ("retained", Align::Right),
        ("RSS change", Align::Right),
        ("note", Align::Left),
    ]);
    for h in &history.shown {
        t.row(vec![
            clock.time(h.time.0).into(),
            h.event.clone().into(),
            or_dash(h.duration_ms.map(millis)).into(),
            or_dash(h.ended_by.clone()).into(),
            or_dash(h.alloc_bytes.map(bytes)).into(),
            or_dash(h.net_bytes.map(signed_bytes)).into(),
            or_dash(h.peak_bytes.map(bytes)).into(),
            or_dash(h.retained_bytes.map(bytes)).into(),
            or_dash(h.rss_delta_mb.map(signed_mb)).into(),
            h.note.clone().unwrap_or_default().into(),
        ]);
    }
    out.table(t);
    more(out, history.total, history.shown.len(), "first and last");
}

fn spikes(out: &mut Doc, report: &Report, clock: Clock) {
    let s = &report.spikes;
    if s.total == 0 {
        out.section("spike operations: none");
        return;
    }
    out.section(format!("spike operations: {}", count(s.total)));
    let mut t = Table::new(&[
        ("time", Align::Left),
        ("operation", Align::Left),
        ("peak", Align::Right),
        ("net", Align::Right),
        ("retained", Align::Right),
        ("RSS change", Align::Right),
        ("duration", Align::Right),
        ("ended_by", Align::Left),
    ]);
    for r in &s.shown {
        t.row(vec![
            clock.time(r.time.0).into(),
            Cell::painted(r.operation.clone(), Paint::Warn),
            or_dash(r.peak_bytes.map(bytes)).into(),
            or_dash(r.net_bytes.map(signed_bytes)).into(),
            or_dash(r.retained_bytes.map(bytes)).into(),
            or_dash(r.rss_delta_mb.map(signed_mb)).into(),
            or_dash(r.duration_ms.map(millis)).into(),
            or_dash(r.ended_by.clone()).into(),
        ]);
    }
    out.table(t);
    more(out, s.total, s.shown.len(), "largest");
}

fn fetches(out: &mut Doc, report: &Report, clock: Clock) {
    let f = &report.large_fetches;
    let title = format!(
        "fetches over {}",
        bytes_or_mb(report.window.large_fetch_bytes)
    );
    if f.total == 0 {
        out.section(format!("{title}: none"));
        return;
    }
    out.section(format!("{title}: {}", count(f.total)));
    let mut t = Table::new(&[
        ("time", Align::Left),
        ("host", Align::Left),
        ("source", Align::Left),
        ("size", Align::Right),
        ("duration", Align::Right),
        ("status", Align::Right),
    ]);
    for r in &f.shown {
        t.row(vec![
            clock.time(r.time.0).into(),
            or_dash(r.url_host.clone()).into(),
            or_dash(r.source.clone()).into(),
            bytes(r.bytes).into(),
            or_dash(r.duration_ms.map(millis)).into(),
            or_dash(r.status.map(number)).into(),
        ]);
    }
    out.table(t);
    more(out, f.total, f.shown.len(), "largest");
}

/// `1 MB` for the default 1,000,000 bytes (as the workflow says it), else bytes.
fn bytes_or_mb(v: f64) -> String {
    if (v - 1_000_000.0).abs() < f64::EPSILON {
        "1 MB".to_owned()
    } else {
        format!("{} bytes", number(v))
    }
}

fn operations(
    out: &mut Doc,
    title: &str,
    rows: &crate::model::findings::Listing<OperationRow>,
    clock: Clock,
) {
    if rows.total == 0 {
        out.section(format!("{title}: none"));
        return;
    }
    out.section(format!("{title}: {}", count(rows.total)));
    let mut t = Table::new(&[
        ("time", Align::Left),
        ("operation", Align::Left),
        ("duration", Align::Right),
        ("ended_by", Align::Left),
        ("error", Align::Left),
    ]);
    for r in &rows.shown {
        let ended = or_dash(r.ended_by.clone());
        let ended = if r.success == Some(false) {
            Cell::painted(ended, Paint::Bad)
        } else {
            ended.into()
        };
        t.row(vec![
            clock.time(r.time.0).into(),
            r.operation.clone().into(),
            or_dash(r.duration_ms.map(millis)).into(),
            ended,
            r.error.clone().unwrap_or_default().into(),
        ]);
    }
    out.table(t);
    more(out, rows.total, rows.shown.len(), "kept");
}

fn caches(out: &mut Doc, report: &Report, clock: Clock) {
    let c = &report.caches;
    if c.caches.is_empty() {
        out.section(format!(
            "caches: no cache_stats_snapshot {}",
            report.looked_in()
        ));
        return;
    }
    let grew: Vec<String> = c
        .caches
        .iter()
        .filter(|s| s.growth > 0.0)
        .take(3)
        .map(|s| format!("{} +{}", short(&s.name, 40), number(s.growth)))
        .collect();
    let grew = if grew.is_empty() {
        "none grew".to_owned()
    } else {
        format!("grew most: {}", grew.join(", "))
    };
    out.section(format!("caches: {} snapshots; {grew}", count(c.snapshots)));
    let mut t = Table::new(&[
        ("cache", Align::Left),
        ("first", Align::Right),
        ("last", Align::Right),
        ("min", Align::Right),
        ("max", Align::Right),
        ("growth", Align::Right),
        ("bound", Align::Right),
        ("at bound", Align::Right),
    ]);
    for s in &c.caches {
        let growth = if s.growth > 0.0 {
            Cell::painted(format!("+{}", number(s.growth)), Paint::Warn)
        } else {
            number(s.growth).into()
        };
        t.row(vec![
            s.name.clone().into(),
            number(s.first).into(),
            number(s.last).into(),
            number(s.min).into(),
            number(s.max).into(),
            growth,
            or_dash(s.max_size.map(number)).into(),
            if s.at_capacity > 0 {
                Cell::painted(count(s.at_capacity), Paint::Warn)
            } else {
                "-".into()
            },
        ]);
    }
    out.table(t);

    if c.over_time.len() < 2 {
        return;
    }
    out.block(Block::Gap);
    out.text("sizes over time");
    let columns: Vec<(usize, &str)> = c
        .caches
        .iter()
        .take(CACHE_COLUMNS)
        .filter_map(|s| {
            c.names
                .iter()
                .position(|n| *n == s.name)
                .map(|i| (i, s.name.as_str()))
        })
        .collect();
    let mut header = vec![("time", Align::Left)];
    header.extend(columns.iter().map(|(_, n)| (*n, Align::Right)));
    let mut t = Table::new(&header);
    for row in evenly(&c.over_time, CACHE_ROWS) {
        let mut cells: Vec<Cell> = vec![clock.time(row.t).into()];
        cells.extend(
            columns
                .iter()
                .map(|(i, _)| or_dash(row.sizes.get(*i).copied().flatten().map(number)).into()),
        );
        t.row(cells);
    }
    out.table(t);
}

/// At most `n` items spread evenly, the first and last included.
fn evenly<T>(items: &[T], n: usize) -> Vec<&T> {
    if items.len() <= n || n < 2 {
        return items.iter().collect();
    }
    (0..n)
        .map(|i| &items[i * (items.len() - 1) / (n - 1)])
        .collect()
}

fn line_ref(n: u64, first: u64) -> String {
    if n == 1 {
        format!("line {first}")
    } else {
        format!("first at line {first}")
    }
}

fn plural(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{} {many}", count(n))
    }
}

fn lines_word(n: u64) -> String {
    plural(n, "line", "lines")
}

fn problems(out: &mut Doc, report: &Report) {
    let p = &report.problems;
    let mut messages = Vec::new();
    let mut read_error = None;
    if let Some((after, error)) = &p.read_error {
        read_error = Some(format!(
            "reading stopped after line {}: {error}; the report covers the lines before",
            count(*after)
        ));
    }
    if let Some(line) = p.truncated_last_line {
        messages.push(format!(
            "the last line (line {}) is cut short (no newline, incomplete JSON): skipped",
            count(line)
        ));
    }
    let kinds: [(&Count, &str, &str, &str); 8] = [
        (
            &p.broken_json,
            "starts like JSON but is not valid JSON",
            "start like JSON but are not valid JSON",
            "",
        ),
        (
            &p.not_json,
            "is not JSON (plain text or another format)",
            "are not JSON (plain text or another format)",
            "",
        ),
        (
            &p.not_memtrack,
            "is JSON without an `event` field (not memtrack's)",
            "are JSON without an `event` field (not memtrack's)",
            "",
        ),
        (
            &p.unknown_event,
            "has an event memtrack does not write",
            "have an event memtrack does not write",
            "unknown",
        ),
        (
            &p.no_timestamp,
            "has no `timestamp`",
            "have no `timestamp`",
            "",
        ),
        (
            &p.bad_timestamp,
            "has a `timestamp` that is not an RFC 3339 date-time",
            "have a `timestamp` that is not an RFC 3339 date-time",
            "",
        ),
        (
            &p.too_long,
            "is longer than 16 MiB",
            "are longer than 16 MiB",
            "",
        ),
        (&p.blank, "is blank", "are blank", ""),
    ];
    for (c, one, many, names) in kinds {
        if !c.any() {
            continue;
        }
        let what = if c.lines == 1 { one } else { many };
        let detail = if names == "unknown" {
            let names: Vec<String> = p
                .unknown_event_names
                .iter()
                .map(|(n, c)| format!("{} ×{}", short(n, 40), count(*c)))
                .collect();
            format!(" ({})", names.join(", "))
        } else {
            String::new()
        };
        messages.push(format!(
            "{} {what}{detail}: skipped ({})",
            lines_word(c.lines),
            line_ref(c.lines, c.first_line)
        ));
    }
    if p.wrong_type.any() {
        let fields: Vec<String> = p
            .wrong_type_fields
            .iter()
            .map(|(f, c)| format!("{f} ×{}", count(*c)))
            .collect();
        let have = if p.wrong_type.lines == 1 {
            "has"
        } else {
            "have"
        };
        messages.push(format!(
            "{} {have} fields of the wrong type ({}): those fields ignored, the rest used ({})",
            lines_word(p.wrong_type.lines),
            fields.join(", "),
            line_ref(p.wrong_type.lines, p.wrong_type.first_line)
        ));
    }
    if p.not_utf8.any() {
        messages.push(format!(
            "{} {} bytes that are not UTF-8: read with U+FFFD in their place ({})",
            lines_word(p.not_utf8.lines),
            if p.not_utf8.lines == 1 { "has" } else { "have" },
            line_ref(p.not_utf8.lines, p.not_utf8.first_line)
        ));
    }
    if messages.is_empty() && read_error.is_none() {
        out.section("skipped lines: none");
        return;
    }
    out.section("skipped lines");
    if let Some(message) = read_error {
        out.painted(message, Paint::Bad);
    }
    for m in messages {
        out.text(m);
    }
}
