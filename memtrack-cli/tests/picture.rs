//! The picture's SVG, parsed as XML: its series (RSS, heap, the critical threshold,
//! one line per top operation, the culprit's rising), its markers, its legend; and the
//! HTML page that embeds it with the tables.

use std::path::Path;
use std::process::Command;

use memtrack_cli::render::svg::{
    HEAP_COLOR, MARKER_COLORS, OPERATION_COLORS, RSS_COLOR, THRESHOLD_COLOR,
};
use plotters::style::RGBColor;

fn hex(c: RGBColor) -> String {
    format!("#{:02X}{:02X}{:02X}", c.0, c.1, c.2)
}

/// Runs `memtrack report leak-retained.log` with `extra` arguments; returns the JSON
/// report and the contents of the file written.
fn render(extra: &str, file: &str) -> (serde_json::Value, String) {
    let dir = std::env::temp_dir().join(format!(
        "memtrack-cli-picture-{}-{file}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let out_path = dir.join(file);
    let log = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/logs/leak-retained.log");
    let out = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .arg("report")
        .arg(&log)
        .arg("--json")
        .arg(extra)
        .arg(&out_path)
        .output()
        .expect("run memtrack");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report = serde_json::from_slice(&out.stdout).unwrap();
    let written = std::fs::read_to_string(&out_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (report, written)
}

/// `(x, y)` pairs of a `points` attribute.
fn points(node: roxmltree::Node<'_, '_>) -> Vec<(f64, f64)> {
    node.attribute("points")
        .unwrap_or_default()
        .split_whitespace()
        .map(|pair| {
            let (x, y) = pair.split_once(',').expect("x,y");
            (x.parse().unwrap(), y.parse().unwrap())
        })
        .collect()
}

fn polylines<'a>(
    doc: &'a roxmltree::Document<'a>,
    stroke: &str,
    opacity: &str,
) -> Vec<roxmltree::Node<'a, 'a>> {
    doc.descendants()
        .filter(|n| n.has_tag_name("polyline"))
        .filter(|n| {
            n.attribute("stroke") == Some(stroke) && n.attribute("opacity") == Some(opacity)
        })
        .collect()
}

/// The longest polyline of a colour: a series (legend swatches have two points).
fn series<'a>(doc: &'a roxmltree::Document<'a>, stroke: &str) -> Vec<(f64, f64)> {
    polylines(doc, stroke, "1")
        .into_iter()
        .map(points)
        .max_by_key(Vec::len)
        .unwrap_or_default()
}

#[test]
fn the_svg_holds_every_series_and_marker() {
    let (report, svg) = render("--svg", "leak.svg");
    let doc = roxmltree::Document::parse(&svg).expect("the SVG is well-formed XML");
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1200"));
    assert_eq!(root.attribute("height"), Some("860"));

    let texts: Vec<String> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| n.text().unwrap_or_default().trim().to_owned())
        .collect();
    for label in [
        "RSS",
        "heap (live bytes)",
        "critical RSS threshold 350 MB",
        "#1 session-cache-leak",
        "#2 article-cache-fill",
        "#3 image-resize",
        "alerts (10)",
        "spikes (2)",
        "reclaims (6)",
        "fetches > 1 MB (1)",
        "top operations: retained MB (live bytes each operation owns)",
    ] {
        assert!(
            texts.iter().any(|t| t == label),
            "no text {label:?} in {texts:?}"
        );
    }

    // RSS and heap: one point per reading the report kept.
    let rss = series(&doc, &hex(RSS_COLOR));
    let heap = series(&doc, &hex(HEAP_COLOR));
    assert_eq!(
        rss.len(),
        report["timeline"]["rss_mb"].as_array().unwrap().len()
    );
    assert_eq!(
        heap.len(),
        report["timeline"]["heap_mb"].as_array().unwrap().len()
    );
    assert_eq!(rss.len(), 57);
    // Time runs left to right.
    assert!(rss.windows(2).all(|w| w[0].0 <= w[1].0));

    // The threshold: a dashed line, many short horizontal segments at one height.
    let dashes: Vec<Vec<(f64, f64)>> = polylines(&doc, &hex(THRESHOLD_COLOR), "1")
        .into_iter()
        .map(points)
        .filter(|p| p.len() == 2 && p[0].1 == p[1].1)
        .collect();
    assert!(dashes.len() > 20, "{} dashes", dashes.len());
    let height = dashes[0][0].1;
    assert!(dashes.iter().filter(|d| d[0].1 == height).count() > 20);
    // It sits between the lowest and the highest RSS (350 MB, between 200 and 446).
    let (rss_low, rss_high) = rss.iter().fold((f64::MIN, f64::MAX), |(lo, hi), p| {
        (lo.max(p.1), hi.min(p.1))
    });
    assert!(
        height < rss_low && height > rss_high,
        "{height} vs {rss_high}..{rss_low}"
    );

    // Markers: a triangle per alert, a filled circle per spike, a cross (two
    // lines) per reclaim, a ring per large fetch.
    let fill = |color: RGBColor, tag: &str| {
        doc.descendants()
            .filter(|n| n.has_tag_name(tag) && n.attribute("fill") == Some(hex(color).as_str()))
            .count()
    };
    assert_eq!(fill(MARKER_COLORS[0], "polygon"), 10);
    assert_eq!(fill(MARKER_COLORS[1], "circle"), 2);
    let rings = doc
        .descendants()
        .filter(|n| {
            n.has_tag_name("circle")
                && n.attribute("stroke") == Some(hex(MARKER_COLORS[3]).as_str())
        })
        .count();
    assert_eq!(rings, 1);

    // One line per pictured operation; the culprit's (first colour, thickest) rises:
    // SVG y grows downwards.
    let operations = report["timeline"]["operations"].as_array().unwrap();
    assert_eq!(operations.len(), 3);
    let culprit = polylines(&doc, &hex(OPERATION_COLORS[0]), "1")
        .into_iter()
        .find(|n| n.attribute("stroke-width") == Some("3") && points(*n).len() > 2)
        .map(points)
        .expect("the culprit's line");
    assert_eq!(culprit.len(), 10);
    assert!(culprit.windows(2).all(|w| w[1].1 < w[0].1), "{culprit:?}");
    for (i, op) in operations.iter().enumerate().skip(1) {
        let line = series(&doc, &hex(OPERATION_COLORS[i]));
        assert_eq!(line.len(), op["points"].as_array().unwrap().len(), "{op}");
    }
    // Every series has a colour of its own.
    let mut colors: Vec<RGBColor> = vec![RSS_COLOR, HEAP_COLOR, THRESHOLD_COLOR];
    colors.extend(OPERATION_COLORS);
    let distinct: std::collections::HashSet<String> = colors.iter().map(|c| hex(*c)).collect();
    assert_eq!(distinct.len(), colors.len());
}

#[test]
fn the_html_page_embeds_the_picture_and_the_tables() {
    let (_, html) = render("--html", "leak.html");
    assert!(html.starts_with("<!DOCTYPE html>\n<html lang=\"en\">"));
    assert!(html.ends_with("</body>\n</html>\n"));
    assert_eq!(html.matches("<svg").count(), 1);
    assert!(html.contains("<h1>memtrack report: "));
    assert!(html.contains("<h2>culprits, ranked by retained growth, then net bytes, allocated bytes, spikes, RSS growth</h2>"));
    assert!(html.contains("<td class=\"warn\">session-cache-leak</td>"));
    assert!(html.contains("<td>storage answered HTTP 503</td>"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("http://www.w3.org/1999/xhtml\" src"));
    // Every table is closed.
    assert_eq!(
        html.matches("<table>").count(),
        html.matches("</table>").count()
    );
}

#[test]
fn a_log_without_readings_still_draws_a_picture() {
    let dir =
        std::env::temp_dir().join(format!("memtrack-cli-picture-empty-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("empty.log");
    std::fs::write(&log, "").unwrap();
    let svg_path = dir.join("empty.svg");
    let out = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .arg("report")
        .arg(&log)
        .arg("--svg")
        .arg(&svg_path)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let doc = roxmltree::Document::parse(&svg).unwrap();
    let texts: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .collect();
    assert!(
        texts.contains(&"no RSS or heap reading in the log"),
        "{texts:?}"
    );
    assert!(texts.contains(&"no per-operation memory figures in the log"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Writes `lines` as a log, renders it as SVG and HTML, and returns both files (the
/// run fails the test if it does not finish in time).
fn render_log(name: &str, lines: &str) -> (String, String) {
    let dir = std::env::temp_dir().join(format!("memtrack-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("in.log");
    std::fs::write(&log, lines).unwrap();
    let (svg_path, html_path) = (dir.join("out.svg"), dir.join("out.html"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .arg("report")
        .arg(&log)
        .arg("--svg")
        .arg(&svg_path)
        .arg("--html")
        .arg(&html_path)
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > std::time::Duration::from_secs(120) {
            let _ = child.kill();
            panic!("memtrack report did not finish on {name}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    assert!(status.success(), "{status}");
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    (svg, html)
}

#[test]
fn figures_near_the_largest_float_still_give_a_picture() {
    let lines = concat!(
        r#"{"timestamp":"2026-11-27T08:08:00.000Z","event":"memory_snapshot","rss_mb":1.7976931348623157e308,"heap_used_mb":1.7e308,"top_operations":[{"operation":"a","retained_mb":1.7976931348623157e308}],"top_operations_basis":"retained"}"#,
        "\n",
        r#"{"timestamp":"2026-11-27T08:09:00.000Z","event":"memory_snapshot","rss_mb":5,"top_operations":[{"operation":"a","retained_mb":-1.7976931348623157e308}],"top_operations_basis":"retained"}"#,
        "\n"
    );
    let (svg, _) = render_log("huge", lines);
    roxmltree::Document::parse(&svg).expect("well-formed SVG");
    // Small figures beside a hugely negative one.
    let lines = concat!(
        r#"{"timestamp":"2026-11-27T08:08:00.000Z","event":"memory_snapshot","rss_mb":-1.7976931348623157e308,"heap_used_mb":3,"critical_rss_mb":1.7e308}"#,
        "\n",
        r#"{"timestamp":"2026-11-27T08:09:00.000Z","event":"memory_snapshot","rss_mb":5,"heap_used_mb":4}"#,
        "\n"
    );
    let (svg, _) = render_log("negative", lines);
    roxmltree::Document::parse(&svg).expect("well-formed SVG");
}

#[test]
fn control_characters_in_names_do_not_break_the_markup() {
    let lines = concat!(
        r#"{"timestamp":"2026-11-27T08:00:00Z","event":"memory_snapshot","rss_mb":5,"top_operations":[{"operation":"bad\u0001na\u0000me","retained_mb":4}],"top_operations_basis":"retained"}"#,
        "\n",
        r#"{"timestamp":"2026-11-27T08:01:00Z","event":"memory_snapshot","rss_mb":6,"top_operations":[{"operation":"bad\u0001na\u0000me","retained_mb":5}],"top_operations_basis":"retained"}"#,
        "\n"
    );
    let (svg, html) = render_log("controls", lines);
    let doc = roxmltree::Document::parse(&svg).expect("well-formed SVG");
    let legend: Vec<&str> = doc
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .map(str::trim)
        .filter(|t| t.contains("bad"))
        .collect();
    assert_eq!(legend, ["#1 bad na me"]);
    assert!(
        !html
            .chars()
            .any(|c| c.is_control() && !matches!(c, '\n' | '\t' | '\r')),
        "a control character in the page"
    );
}

#[test]
fn text_from_the_log_and_its_file_name_is_cleaned_and_cut_everywhere() {
    let dir = std::env::temp_dir().join(format!("memtrack-cli-clean-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    // A file name with a control character, and names with terminal escapes, a
    // right-to-left override and a great length.
    let log = dir.join("app\u{1}\u{1b}[31m.log");
    let long = "x".repeat(5_000);
    let lines = [
        r#"{"timestamp":"2026-11-27T08:00:00Z","event":"cache_stats_snapshot","evil\u001b]0;title\u0007\ncache":1}"#
            .to_owned(),
        r#"{"timestamp":"2026-11-27T08:01:00Z","event":"cache_stats_snapshot","evil\u001b]0;title\u0007\ncache":9}"#
            .to_owned(),
        format!(
            r#"{{"timestamp":"2026-11-27T08:01:00Z","event":"memory_snapshot","rss_mb":6,"top_operations":[{{"operation":"\u202eevil{long}","retained_mb":5}}],"top_operations_basis":"retained"}}"#
        ),
        format!(
            r#"{{"timestamp":"2026-11-27T08:02:00Z","event":"memory_snapshot","rss_mb":7,"top_operations":[{{"operation":"\u202eevil{long}","retained_mb":6}}],"top_operations_basis":"retained"}}"#
        ),
        r#"{"timestamp":"2026-11-27T08:02:00Z","event":"no_such_event\u001b[2J"}"#.to_owned(),
    ];
    std::fs::write(&log, lines.join("\n") + "\n").unwrap();
    let (svg_path, html_path) = (dir.join("out.svg"), dir.join("out.html"));
    let out = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .arg("report")
        .arg(&log)
        .arg("--svg")
        .arg(&svg_path)
        .arg("--html")
        .arg(&html_path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let summary = String::from_utf8(out.stdout).unwrap();
    let svg = std::fs::read_to_string(&svg_path).unwrap();
    let html = std::fs::read_to_string(&html_path).unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    for (what, text) in [("summary", &summary), ("page", &html), ("picture", &svg)] {
        assert!(
            !text
                .chars()
                .any(|c| (c.is_control() && c != '\n') || c == '\u{202e}'),
            "a control or override character in the {what}"
        );
        assert!(text.contains("evil"), "{what}");
        assert!(
            !text.contains(&"x".repeat(200)),
            "a name not cut in the {what}"
        );
    }
    assert!(summary.contains("evil ]0;title  cache"), "{summary}");
    roxmltree::Document::parse(&svg).expect("well-formed SVG");
}
