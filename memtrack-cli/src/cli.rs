//! The command line: `memtrack report LOG [options]`.

use std::ffi::OsString;
use std::path::PathBuf;

use crate::input::Source;
use crate::model::{Options, TimeBound};
use crate::parse::timestamp::parse_rfc3339;

/// The help text.
pub const USAGE: &str = "\
usage: memtrack report LOG [--since T] [--until T] [--op NAME]
                           [--svg FILE] [--html FILE] [--json] [--slow-ms N]

Reads a memtrack JSON log (a file, a .gz file, or - for standard input) and
reports what happened to memory and which operation did it.

  --since T      leave out events before T
  --until T      leave out events after T
                 T is an RFC 3339 time (2026-11-27T08:00:00Z, offsets allowed)
                 or +DURATION after the log's first event (+90s, +15m, +1h30m)
  --op NAME      one operation: its history; process figures stay whole
  --svg FILE     draw memory over time, with the top operations, as SVG
  --html FILE    a page with the picture and the tables
  --json         print the report as one JSON document instead of text
  --slow-ms N    list operations slower than N ms (default 5000)
  -h, --help     this text
  -V, --version  the version

exit status: 0 report made, 1 the log holds no memtrack event,
             2 bad arguments, unreadable log or unwritable output file";

/// What to do.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    /// Print [`USAGE`].
    Help,
    /// Print the version.
    Version,
    /// Make a report.
    Report(ReportArgs),
}

/// `memtrack report`'s arguments.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportArgs {
    /// The log.
    pub log: Source,
    /// What to report on.
    pub options: Options,
    /// `--svg`.
    pub svg: Option<PathBuf>,
    /// `--html`.
    pub html: Option<PathBuf>,
    /// `--json`.
    pub json: bool,
}

/// Reads `+90s`, `+15m`, `+1h30m`, `+2d` as milliseconds.
fn parse_offset(text: &str) -> Option<i64> {
    let rest = text.strip_prefix('+')?;
    if rest.is_empty() {
        return None;
    }
    let mut total: i64 = 0;
    let mut digits = String::new();
    for c in rest.chars() {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        let unit: i64 = match c {
            's' => 1_000,
            'm' => 60_000,
            'h' => 3_600_000,
            'd' => 86_400_000,
            _ => return None,
        };
        let n: i64 = digits.parse().ok()?;
        total = total.checked_add(n.checked_mul(unit)?)?;
        digits.clear();
    }
    digits.is_empty().then_some(total)
}

/// Reads a `--since`/`--until` value.
///
/// # Errors
///
/// A message naming the accepted forms.
///
/// ```
/// use memtrack_cli::cli::parse_time;
/// use memtrack_cli::model::TimeBound;
///
/// assert_eq!(parse_time("+1h30m"), Ok(TimeBound::AfterStart(5_400_000)));
/// assert_eq!(parse_time("1970-01-01T00:00:01Z"), Ok(TimeBound::At(1_000)));
/// assert!(parse_time("yesterday").is_err());
/// ```
pub fn parse_time(text: &str) -> Result<TimeBound, String> {
    if let Some(ms) = parse_offset(text) {
        return Ok(TimeBound::AfterStart(ms));
    }
    parse_rfc3339(text).map(TimeBound::At).ok_or_else(|| {
        format!(
            "{text:?} is not a time: give an RFC 3339 time such as 2026-11-27T08:00:00Z, \
             or +DURATION after the log's first event such as +15m"
        )
    })
}

fn value(parser: &mut lexopt::Parser, name: &str) -> Result<OsString, String> {
    parser.value().map_err(|_| format!("{name} needs a value"))
}

fn text(value: OsString, name: &str) -> Result<String, String> {
    value
        .into_string()
        .map_err(|_| format!("{name}: the value is not valid UTF-8"))
}

/// Reads the arguments (without the program name).
///
/// # Errors
///
/// A one-line message for a missing, unknown or malformed argument.
///
/// ```
/// use memtrack_cli::cli::{parse_args, Command};
///
/// let Ok(Command::Report(args)) = parse_args(["report", "app.log", "--json", "--op", "fetch"]) else {
///     panic!("not a report");
/// };
/// assert!(args.json);
/// assert_eq!(args.options.operation.as_deref(), Some("fetch"));
/// assert!(parse_args(["report"]).is_err());
/// ```
pub fn parse_args<I>(args: I) -> Result<Command, String>
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    use lexopt::prelude::*;

    let mut parser = lexopt::Parser::from_args(args);
    let mut subcommand = None;
    let mut log = None;
    let mut options = Options::default();
    let mut svg = None;
    let mut html = None;
    let mut json = false;
    while let Some(arg) = parser.next().map_err(|e| e.to_string())? {
        match arg {
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            Long("since") => {
                options.since = Some(parse_time(&text(
                    value(&mut parser, "--since")?,
                    "--since",
                )?)?);
            }
            Long("until") => {
                options.until = Some(parse_time(&text(
                    value(&mut parser, "--until")?,
                    "--until",
                )?)?);
            }
            Long("op") => options.operation = Some(text(value(&mut parser, "--op")?, "--op")?),
            Long("svg") => svg = Some(PathBuf::from(value(&mut parser, "--svg")?)),
            Long("html") => html = Some(PathBuf::from(value(&mut parser, "--html")?)),
            Long("json") => json = true,
            Long("slow-ms") => {
                let v = text(value(&mut parser, "--slow-ms")?, "--slow-ms")?;
                options.slow_ms = v
                    .parse::<f64>()
                    .ok()
                    .filter(|ms| ms.is_finite() && *ms >= 0.0)
                    .ok_or_else(|| {
                        format!("--slow-ms {v:?}: expected milliseconds, such as 5000")
                    })?;
            }
            Value(v) if subcommand.is_none() => {
                let name = text(v, "the command")?;
                if name != "report" {
                    return Err(format!(
                        "unknown command {name:?} (the command is `report`)"
                    ));
                }
                subcommand = Some(name);
            }
            Value(v) if log.is_none() => log = Some(Source::from_arg(&v)),
            Value(v) => {
                return Err(format!(
                    "one log at a time: {:?} is a second one",
                    v.to_string_lossy()
                ));
            }
            other => return Err(other.unexpected().to_string()),
        }
    }
    if subcommand.is_none() {
        return Err("missing the command: memtrack report LOG".to_owned());
    }
    let log = log.ok_or("missing the log: memtrack report LOG (- for standard input)")?;
    if let (Some(TimeBound::At(s)), Some(TimeBound::At(u))) = (options.since, options.until)
        && s > u
    {
        return Err("--since is after --until: nothing could be reported".to_owned());
    }
    Ok(Command::Report(ReportArgs {
        log,
        options,
        svg,
        html,
        json,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets() {
        assert_eq!(parse_offset("+90s"), Some(90_000));
        assert_eq!(parse_offset("+15m"), Some(900_000));
        assert_eq!(parse_offset("+2d"), Some(172_800_000));
        assert_eq!(parse_offset("+1h30m10s"), Some(5_410_000));
        for bad in ["90s", "+", "+15", "+m", "+15x", "+99999999999999999999s"] {
            assert_eq!(parse_offset(bad), None, "{bad}");
        }
    }

    #[test]
    fn every_option() {
        let Ok(Command::Report(args)) = parse_args([
            "report",
            "-",
            "--since",
            "+1m",
            "--until",
            "2026-11-27T08:00:00Z",
            "--svg",
            "a.svg",
            "--html=b.html",
            "--slow-ms",
            "1000",
        ]) else {
            panic!()
        };
        assert_eq!(args.log, Source::Stdin);
        assert_eq!(args.options.since, Some(TimeBound::AfterStart(60_000)));
        assert_eq!(args.options.until, Some(TimeBound::At(1_795_766_400_000)));
        assert_eq!(args.svg, Some(PathBuf::from("a.svg")));
        assert_eq!(args.html, Some(PathBuf::from("b.html")));
        assert_eq!(args.options.slow_ms, 1000.0);
        assert!(!args.json);
    }

    #[test]
    fn errors_are_one_line_each() {
        for (args, message) in [
            (vec![], "missing the command: memtrack report LOG"),
            (
                vec!["report"],
                "missing the log: memtrack report LOG (- for standard input)",
            ),
            (
                vec!["show", "x"],
                "unknown command \"show\" (the command is `report`)",
            ),
            (
                vec!["report", "a", "b"],
                "one log at a time: \"b\" is a second one",
            ),
            (vec!["report", "a", "--op"], "--op needs a value"),
            (
                vec!["report", "a", "--slow-ms", "soon"],
                "--slow-ms \"soon\": expected milliseconds, such as 5000",
            ),
            (vec!["report", "a", "--bogus"], "invalid option '--bogus'"),
            (
                vec![
                    "report",
                    "a",
                    "--since",
                    "2026-11-27T09:00:00Z",
                    "--until",
                    "2026-11-27T08:00:00Z",
                ],
                "--since is after --until: nothing could be reported",
            ),
        ] {
            assert_eq!(
                parse_args(args.clone()),
                Err(message.to_owned()),
                "{args:?}"
            );
        }
        assert!(
            parse_args(["report", "a", "--since", "noon"])
                .unwrap_err()
                .starts_with("\"noon\" is not a time")
        );
        assert_eq!(parse_args(["--help"]), Ok(Command::Help));
        assert_eq!(parse_args(["report", "-V"]), Ok(Command::Version));
    }
}
