//! The picture: process RSS and heap over time with the critical threshold, a strip
//! of markers (alerts, spikes, reclaims, large fetches), and the top operations'
//! figures over time, one colour each. Drawn with plotters' SVG backend, whose text
//! needs no font file (the viewer picks a sans-serif font).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::format::{millis, number, short};
use crate::model::Report;
use crate::model::series::Point;
use crate::parse::timestamp::{format_clock, format_date};

/// The picture's size in pixels.
pub const WIDTH: u32 = 1200;
/// The picture's height in pixels.
pub const HEIGHT: u32 = 860;

/// RSS line colour (also used to find the series in tests).
pub const RSS_COLOR: RGBColor = RGBColor(0x1f, 0x77, 0xb4);
/// Heap line colour.
pub const HEAP_COLOR: RGBColor = RGBColor(0x2c, 0xa0, 0x2c);
/// Critical threshold line colour.
pub const THRESHOLD_COLOR: RGBColor = RGBColor(0xd6, 0x27, 0x28);
/// Marker colours: alerts, spikes, reclaims, large fetches.
pub const MARKER_COLORS: [RGBColor; 4] = [
    RGBColor(0xd6, 0x27, 0x28),
    RGBColor(0xff, 0x7f, 0x0e),
    RGBColor(0x2c, 0xa0, 0x2c),
    RGBColor(0x94, 0x67, 0xbd),
];
/// One colour per pictured operation, the top culprit first (none equal to the
/// memory panel's colours, so every series has its own).
pub const OPERATION_COLORS: [RGBColor; 6] = [
    RGBColor(0xe6, 0x19, 0x4b),
    RGBColor(0x43, 0x63, 0xd8),
    RGBColor(0xf5, 0x82, 0x31),
    RGBColor(0x91, 0x1e, 0xb4),
    RGBColor(0x00, 0x99, 0x88),
    RGBColor(0x80, 0x80, 0x00),
];
/// The marker rows, top to bottom.
pub const MARKER_ROWS: [&str; 4] = ["alerts", "spikes", "reclaims", "fetches > 1 MB"];

const FONT: &str = "sans-serif";
const GRID: RGBColor = RGBColor(0xe6, 0xe6, 0xe6);
const TEXT: RGBColor = RGBColor(0x33, 0x33, 0x33);

/// The time axis: the first event's time rounded down to a whole unit (second,
/// minute or hour, after the span) is the origin, and x counts units from it, so
/// that plotters' round tick values fall on round clock times.
struct TimeAxis {
    origin: i64,
    unit_ms: i64,
    /// Whether the span is long enough (most of a year or more) for labels to
    /// need the year.
    with_year: bool,
    /// Where the data start and end, in units.
    first: f64,
    last: f64,
}

impl TimeAxis {
    fn new(start: i64, end: i64) -> Self {
        let span = (end - start).max(1);
        let unit_ms = if span <= 3 * 60_000 {
            1_000
        } else if span <= 3 * 3_600_000 {
            60_000
        } else {
            3_600_000
        };
        let origin = start.div_euclid(unit_ms) * unit_ms;
        let mut axis = TimeAxis {
            origin,
            unit_ms,
            with_year: span > 300 * 86_400_000,
            first: 0.0,
            last: 1.0,
        };
        axis.first = axis.x(start);
        axis.last = axis.x(end).max(axis.first + 1.0);
        axis
    }

    fn x(&self, t: i64) -> f64 {
        #[allow(clippy::cast_precision_loss)]
        let x = (t - self.origin) as f64 / self.unit_ms as f64;
        x
    }

    /// From the first event to the last, with a little room at either end so that
    /// markers there are drawn whole.
    fn range(&self) -> std::ops::Range<f64> {
        let room = (self.last - self.first) * 0.012;
        self.first - room..self.last + room
    }

    fn label(&self, x: f64) -> String {
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let t = self.origin + (x * self.unit_ms as f64).round() as i64;
        let clock = format_clock(t);
        // As precise as the tick needs: 14:52, 14:52:30, 14:52:30.5.
        let clock = if t % 1_000 != 0 {
            clock.trim_end_matches('0').to_owned()
        } else if t % 60_000 != 0 {
            clock[..8].to_owned()
        } else {
            clock[..5].to_owned()
        };
        if self.with_year {
            format_date(t)
        } else if self.unit_ms >= 3_600_000 {
            format!("{} {clock}", &format_date(t)[5..])
        } else {
            clock
        }
    }
}

/// Room for the y labels, the same in every panel so their x axes line up.
const Y_LABEL_AREA: u32 = 132;

type Area<'a> = DrawingArea<SVGBackend<'a>, Shift>;

/// The SVG document for `report`.
///
/// ```
/// use memtrack_cli::model::{Builder, Options};
///
/// let report = Builder::new("empty.log", Options::default()).finish();
/// let svg = memtrack_cli::render::svg::render(&report);
/// assert!(svg.starts_with("<svg"));
/// assert!(svg.contains("no RSS or heap reading in the log"));
/// ```
#[must_use]
pub fn render(report: &Report) -> String {
    let mut svg = String::new();
    if let Err(e) = draw(report, &mut svg) {
        // Drawing into a string has no I/O to fail; should plotters refuse anyway,
        // say so in a picture rather than fail the report.
        svg = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"80\"><text x=\"10\" y=\"40\">the picture could not be drawn: {}</text></svg>",
            escape(&e)
        );
    }
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn draw(report: &Report, svg: &mut String) -> Result<(), String> {
    let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
    root.fill(&WHITE).map_err(|e| e.to_string())?;
    let axis = match report.span {
        Some(span) => TimeAxis::new(span.start.0, span.end.0),
        None => TimeAxis::new(0, 1_000),
    };
    let (title, rest) = root.split_vertically(44);
    let title_text = match report.span {
        Some(span) => format!(
            "memory over time: {}  ({} UTC, {})",
            short(&report.log, 60),
            format_date(span.start.0),
            millis(span.seconds * 1_000.0)
        ),
        None => format!(
            "memory over time: {} (no memtrack event)",
            short(&report.log, 60)
        ),
    };
    title
        .draw_text(&title_text, &(FONT, 20).into_font().color(&TEXT), (16, 14))
        .map_err(|e| e.to_string())?;
    let areas = rest.split_by_breakpoints([0; 0], [340, 470]);
    let [memory, markers, operations] = areas.as_slice() else {
        return Err("the picture's areas could not be laid out".to_owned());
    };
    draw_memory(report, &axis, memory).map_err(|e| e.to_string())?;
    draw_markers(report, &axis, markers).map_err(|e| e.to_string())?;
    draw_operations(report, &axis, operations).map_err(|e| e.to_string())?;
    root.present().map_err(|e| e.to_string())?;
    Ok(())
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// The legend of a chart's named series, in its upper left corner.
/// The corner of a panel whose box holds the fewest of `points` (`(x, y)`, each
/// scaled to `0..=1` across the panel), so that the legend hides as little data as
/// it can: upper left when that is clear, as it is for memory that grows.
fn legend_corner(points: impl Iterator<Item = (f64, f64)>) -> SeriesLabelPosition {
    // The share of the panel a legend box may cover, from its corner.
    const WIDE: f64 = 0.4;
    const HIGH: f64 = 0.45;
    let mut hidden = [0_usize; 4];
    for (x, y) in points {
        let left = x <= WIDE;
        let right = x >= 1.0 - WIDE;
        let upper = y >= 1.0 - HIGH;
        let lower = y <= HIGH;
        for (count, inside) in
            hidden
                .iter_mut()
                .zip([left && upper, right && upper, left && lower, right && lower])
        {
            *count += usize::from(inside);
        }
    }
    let best = (0..4).min_by_key(|&i| hidden[i]).unwrap_or(0);
    match best {
        1 => SeriesLabelPosition::UpperRight,
        2 => SeriesLabelPosition::LowerLeft,
        3 => SeriesLabelPosition::LowerRight,
        _ => SeriesLabelPosition::UpperLeft,
    }
}

/// `(x, y)` scaled to `0..=1` across `x_range` and `y_low..y_high`.
fn scaled(
    x_range: &std::ops::Range<f64>,
    y_low: f64,
    y_high: f64,
) -> impl Fn((f64, f64)) -> (f64, f64) {
    let x0 = x_range.start;
    let xw = (x_range.end - x_range.start).max(f64::MIN_POSITIVE);
    let yw = (y_high - y_low).max(f64::MIN_POSITIVE);
    move |(x, y)| ((x - x0) / xw, (y - y_low) / yw)
}

fn draw_legend<'a, DB, CT>(
    chart: &mut ChartContext<'a, DB, CT>,
    corner: SeriesLabelPosition,
) -> DrawResult
where
    DB: DrawingBackend + 'a,
    DB::ErrorType: 'static,
    CT: CoordTranslate,
{
    chart
        .configure_series_labels()
        .position(corner)
        .background_style(WHITE.mix(0.85))
        .border_style(GRID)
        .label_font((FONT, 13).into_font().color(&TEXT))
        .draw()?;
    Ok(())
}

fn max_of(points: &[Point]) -> f64 {
    points.iter().map(|p| plottable(p.v)).fold(0.0, f64::max)
}

fn min_of(points: &[Point]) -> f64 {
    points.iter().map(|p| plottable(p.v)).fold(0.0, f64::min)
}

/// Largest magnitude an axis reaches: a range computed from absurd figures in a
/// log (up to `f64::MAX`, where a margin overflows to infinity) would leave the
/// axis with no labels to find.
const AXIS_LIMIT: f64 = 1e300;

/// `v` within the axes' limits (and 0 for a value that is not a number). A point is
/// also kept within its chart's range: plotters computes the pixel of a point far
/// outside it with an integer overflow.
fn plottable(v: f64) -> f64 {
    if v.is_nan() {
        0.0
    } else {
        v.clamp(-AXIS_LIMIT, AXIS_LIMIT)
    }
}

fn note(area: &Area<'_>, text: &str) -> DrawResult {
    area.draw_text(text, &(FONT, 15).into_font().color(&TEXT), (90, 60))?;
    Ok(())
}

fn draw_memory(report: &Report, axis: &TimeAxis, area: &Area<'_>) -> DrawResult {
    let t = &report.timeline;
    let peak = max_of(&t.rss_mb).max(max_of(&t.heap_mb));
    // The threshold is drawn when the data come within half of it; further away it
    // would flatten the lines, so the caption gives it instead.
    let threshold = report
        .memory
        .critical_rss_mb
        .filter(|th| *th > 0.0)
        .map(plottable);
    let draw_threshold = threshold.filter(|th| peak >= th / 2.0);
    let top = plottable(draw_threshold.map_or(peak, |th| th.max(peak)) * 1.1);
    let mut caption = "process memory (MB)".to_owned();
    if let Some(th) = threshold
        && draw_threshold.is_none()
    {
        caption = format!(
            "{caption}; critical threshold {} MB is off the chart (peak {} MB)",
            number(th),
            number(peak.round())
        );
    }
    let mut chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(24)
        .margin_top(6)
        .caption(&caption, (FONT, 16).into_font().color(&TEXT))
        .x_label_area_size(28)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(axis.range(), 0.0..top.max(1.0))?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|x| axis.label(*x))
        .y_label_formatter(&|y| number(y.round()))
        .label_style((FONT, 13).into_font().color(&TEXT))
        .draw()?;
    if t.rss_mb.is_empty() && t.heap_mb.is_empty() {
        return note(
            area,
            &format!("no RSS or heap reading {}", report.looked_in()),
        );
    }
    if let Some(th) = draw_threshold {
        chart
            .draw_series(DashedLineSeries::new(
                [(axis.range().start, th), (axis.range().end, th)],
                8,
                6,
                THRESHOLD_COLOR.stroke_width(2),
            ))?
            .label(format!("critical RSS threshold {} MB", number(th)))
            .legend(|(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], THRESHOLD_COLOR.stroke_width(2))
            });
    }
    let mut drawn: Vec<(f64, f64)> = Vec::new();
    if let Some(th) = draw_threshold {
        let r = axis.range();
        drawn.extend((0..=20).map(|i| (r.start + (r.end - r.start) * f64::from(i) / 20.0, th)));
    }
    for (points, color, name) in [
        (&t.rss_mb, RSS_COLOR, "RSS"),
        (&t.heap_mb, HEAP_COLOR, "heap (live bytes)"),
    ] {
        if points.is_empty() {
            continue;
        }
        let coords: Vec<(f64, f64)> = points
            .iter()
            .map(|p| (axis.x(p.t), plottable(p.v).clamp(0.0, top)))
            .collect();
        drawn.extend(&coords);
        // One reading makes no line: it is drawn as a dot.
        if coords.len() == 1 {
            chart.draw_series(coords.iter().map(|c| Circle::new(*c, 4, color.filled())))?;
        }
        chart
            .draw_series(LineSeries::new(coords, color.stroke_width(2)))?
            .label(name)
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
            });
    }
    // Alerts as vertical lines through the memory panel, so the rise that raised
    // them is in view.
    if t.alerts.len() <= 64 {
        for a in &t.alerts {
            let x = axis.x(a.t);
            chart.draw_series(std::iter::once(PathElement::new(
                vec![(x, 0.0), (x, top)],
                MARKER_COLORS[0].mix(0.35).stroke_width(1),
            )))?;
        }
    }
    let corner = legend_corner(
        drawn
            .into_iter()
            .map(scaled(&axis.range(), 0.0, top.max(1.0))),
    );
    draw_legend(&mut chart, corner)
}

fn draw_markers(report: &Report, axis: &TimeAxis, area: &Area<'_>) -> DrawResult {
    let t = &report.timeline;
    let rows = [&t.alerts, &t.spikes, &t.reclaims, &t.large_fetches];
    let mut chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(24)
        .margin_top(4)
        .x_label_area_size(0)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(axis.range(), -0.5..3.5)?;
    chart
        .configure_mesh()
        .disable_x_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .y_labels(4)
        .y_label_formatter(&|y: &f64| {
            let y = *y;
            let row = 3.0 - y.round();
            if (y - y.round()).abs() > 0.01 || !(0.0..=3.0).contains(&row) {
                return String::new();
            }
            #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
            let index = row as usize;
            let count = rows[index].len();
            format!("{} ({count})", MARKER_ROWS[index])
        })
        .label_style((FONT, 13).into_font().color(&TEXT))
        .draw()?;
    for (index, points) in rows.iter().enumerate() {
        #[allow(clippy::cast_precision_loss)]
        let y = 3.0 - index as f64;
        let color = MARKER_COLORS[index];
        let at = points.iter().map(move |p| (axis.x(p.t), y));
        match index {
            0 => {
                chart.draw_series(at.map(|c| TriangleMarker::new(c, 6, color.filled())))?;
            }
            1 => {
                chart.draw_series(at.map(|c| Circle::new(c, 4, color.filled())))?;
            }
            2 => {
                chart.draw_series(at.map(|c| Cross::new(c, 5, color.stroke_width(2))))?;
            }
            _ => {
                chart.draw_series(at.map(|c| Circle::new(c, 4, color.stroke_width(2))))?;
            }
        }
    }
    Ok(())
}

fn draw_operations(report: &Report, axis: &TimeAxis, area: &Area<'_>) -> DrawResult {
    let t = &report.timeline;
    let caption = t.operations_basis.map_or_else(
        || "top operations".to_owned(),
        |b| format!("top operations: {}", b.label()),
    );
    let (low, high) = t.operations.iter().fold((0.0_f64, 0.0_f64), |(lo, hi), s| {
        (lo.min(min_of(&s.points)), hi.max(max_of(&s.points)))
    });
    let span = (high - low).max(1.0);
    let (y_low, y_high) = (
        plottable((low - span * 0.05).min(0.0)),
        plottable(high + span * 0.1),
    );
    let mut chart = ChartBuilder::on(area)
        .margin_left(16)
        .margin_right(24)
        .margin_top(10)
        .margin_bottom(8)
        .caption(&caption, (FONT, 16).into_font().color(&TEXT))
        .x_label_area_size(28)
        .y_label_area_size(Y_LABEL_AREA)
        .build_cartesian_2d(axis.range(), y_low..y_high)?;
    chart
        .configure_mesh()
        .light_line_style(WHITE)
        .bold_line_style(GRID)
        .x_labels(8)
        .y_labels(6)
        .x_label_formatter(&|x| axis.label(*x))
        .y_label_formatter(&|y| number((y * 10.0).round() / 10.0))
        .label_style((FONT, 13).into_font().color(&TEXT))
        .draw()?;
    if t.operations.is_empty() {
        return note(
            area,
            &format!("no per-operation memory figures {}", report.looked_in()),
        );
    }
    let mut drawn: Vec<(f64, f64)> = Vec::new();
    for (rank, series) in t.operations.iter().enumerate() {
        let color = OPERATION_COLORS[rank % OPERATION_COLORS.len()];
        let width = if rank == 0 { 3 } else { 2 };
        let points: Vec<(f64, f64)> = series
            .points
            .iter()
            .map(|p| (axis.x(p.t), plottable(p.v).clamp(y_low, y_high)))
            .collect();
        drawn.extend(&points);
        let label = format!("#{} {}", rank + 1, short(&series.operation, 48));
        if points.len() == 1 {
            chart
                .draw_series(points.iter().map(|c| Circle::new(*c, 4, color.filled())))?
                .label(label)
                .legend(move |(x, y)| Circle::new((x + 10, y), 4, color.filled()));
        } else {
            chart
                .draw_series(LineSeries::new(points, color.stroke_width(width)))?
                .label(label)
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(width))
                });
        }
    }
    let corner = legend_corner(drawn.into_iter().map(scaled(&axis.range(), y_low, y_high)));
    draw_legend(&mut chart, corner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corner(points: &[(f64, f64)]) -> &'static str {
        match legend_corner(points.iter().copied()) {
            SeriesLabelPosition::UpperLeft => "upper left",
            SeriesLabelPosition::UpperRight => "upper right",
            SeriesLabelPosition::LowerLeft => "lower left",
            SeriesLabelPosition::LowerRight => "lower right",
            _ => "elsewhere",
        }
    }

    #[test]
    fn labels_of_a_span_of_years_carry_the_year() {
        let day = 86_400_000;
        let start = 1_795_766_462_345; // 2026-11-27
        let long = TimeAxis::new(start, start + 400 * day);
        assert_eq!(long.label(long.x(start)), "2026-11-27");
        let short = TimeAxis::new(start, start + 2 * day);
        assert_eq!(
            short.label(short.x(start - start % 3_600_000)),
            "11-27 08:00"
        );
    }

    #[test]
    fn the_legend_goes_to_the_corner_with_the_least_data() {
        // Growth from the lower left to the upper right: the upper left is clear.
        let growth: Vec<(f64, f64)> = (0..=10)
            .map(|i| (f64::from(i) / 10.0, f64::from(i) / 10.0))
            .collect();
        assert_eq!(corner(&growth), "upper left");
        // A single reading at the top of the first instant.
        assert_eq!(corner(&[(0.0, 1.0), (0.0, 0.5)]), "upper right");
        // High everywhere along the top.
        let top: Vec<(f64, f64)> = (0..=10).map(|i| (f64::from(i) / 10.0, 0.95)).collect();
        assert_eq!(corner(&top), "lower left");
        assert_eq!(corner(&[]), "upper left");
    }
}
