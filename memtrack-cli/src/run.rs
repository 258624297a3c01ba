//! Running `memtrack report`: read the log, build the report, write what was asked.

use std::ffi::OsString;
use std::io::Write;
use std::path::Path;

use crate::cli::{Command, ReportArgs, USAGE, parse_args};
use crate::input::{LineReader, Source, open};
use crate::model::{Builder, Report};
use crate::render::format::one_line;
use crate::render::style::Style;
use crate::render::terminal;

/// Exit status: the report was made.
pub const EXIT_OK: u8 = 0;
/// Exit status: the log holds no memtrack event.
pub const EXIT_NO_EVENTS: u8 = 1;
/// Exit status: bad arguments, unreadable log or unwritable output.
pub const EXIT_TROUBLE: u8 = 2;

/// Reads the whole log into a report.
///
/// # Errors
///
/// The log could not be opened (a read error later is noted in the report's
/// problems instead).
///
/// ```
/// use memtrack_cli::input::Source;
/// use memtrack_cli::model::Options;
/// use memtrack_cli::run::read_report;
///
/// let path = std::env::temp_dir().join("memtrack-cli-doc-read.log");
/// std::fs::write(&path, concat!(
///     r#"{"timestamp":"2026-11-27T08:00:00.000Z","event":"memory_operation","op_name":"fetch","duration_ms":7000,"success":false,"ended_by":"err"}"#,
///     "\nplain text\n",
/// )).unwrap();
/// let report = read_report(&Source::File(path), Options::default()).unwrap();
/// assert_eq!(report.lines.used, 1);
/// assert_eq!(report.culprits[0].operation, "fetch");
/// assert_eq!(report.slow_operations.total, 1);
/// assert_eq!(report.problems.not_json.lines, 1);
/// ```
pub fn read_report(
    source: &Source,
    options: crate::model::Options,
) -> Result<Report, crate::input::OpenError> {
    let opened = open(source)?;
    let mut builder = Builder::new(&source.to_string(), options);
    builder.gzip(opened.gzip);
    let mut lines = LineReader::new(opened.reader);
    loop {
        match lines.next_line() {
            Ok(Some(line)) => builder.feed(&line),
            Ok(None) => break,
            Err(error) => {
                builder.read_error(&error);
                break;
            }
        }
    }
    Ok(builder.finish())
}

/// Writes `contents` to `path`.
fn write_file(path: &Path, contents: &str, what: &str, stderr: &mut dyn Write) -> bool {
    match std::fs::write(path, contents) {
        Ok(()) => {
            let _ = writeln!(stderr, "memtrack: wrote the {what} to {}", path.display());
            true
        }
        Err(e) => {
            let _ = writeln!(stderr, "memtrack: cannot write {}: {e}", path.display());
            false
        }
    }
}

/// Runs the command line `args` (without the program name), writing to `stdout`
/// and `stderr`, and returns the exit status.
///
/// ```
/// use memtrack_cli::run::{run, EXIT_TROUBLE};
///
/// let (mut out, mut err) = (Vec::new(), Vec::new());
/// let status = run(["report", "/no/such/file.log"], &mut out, &mut err);
/// assert_eq!(status, EXIT_TROUBLE);
/// assert!(String::from_utf8(err).unwrap().starts_with("memtrack: cannot read /no/such/file.log"));
/// ```
pub fn run<I>(args: I, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8
where
    I: IntoIterator,
    I::Item: Into<OsString>,
{
    let command = match parse_args(args) {
        Ok(command) => command,
        Err(message) => {
            let _ = writeln!(stderr, "memtrack: {message}\n\n{USAGE}");
            return EXIT_TROUBLE;
        }
    };
    match command {
        Command::Help => {
            let _ = writeln!(stdout, "{USAGE}");
            EXIT_OK
        }
        Command::Version => {
            let _ = writeln!(stdout, "memtrack {}", env!("CARGO_PKG_VERSION"));
            EXIT_OK
        }
        Command::Report(args) => report(&args, stdout, stderr),
    }
}

fn report(args: &ReportArgs, stdout: &mut dyn Write, stderr: &mut dyn Write) -> u8 {
    let report = match read_report(&args.log, args.options.clone()) {
        Ok(report) => report,
        Err(e) => {
            let _ = writeln!(stderr, "memtrack: {e}");
            return EXIT_TROUBLE;
        }
    };
    let written = if args.json {
        serde_json::to_writer_pretty(&mut *stdout, &report)
            .map_err(std::io::Error::from)
            .and_then(|()| writeln!(stdout))
    } else {
        write!(stdout, "{}", terminal::render(&report, Style::detect()))
    }
    .and_then(|()| stdout.flush());
    let log = one_line(&report.log);
    let mut status = if report.lines.used == 0 {
        let filtered = report.lines.outside_window + report.lines.other_operations;
        let _ = if filtered > 0 {
            writeln!(
                stderr,
                "memtrack: none of the memtrack events of {log} is within the times and operation asked for ({filtered} outside)"
            )
        } else {
            writeln!(
                stderr,
                "memtrack: {log} holds no memtrack event{}",
                if report.lines.read == 0 {
                    " (it is empty)"
                } else {
                    ""
                }
            )
        };
        EXIT_NO_EVENTS
    } else {
        EXIT_OK
    };
    match written {
        // A reader that stopped early (`| head`) wants no more: not a failure.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        Err(e) => {
            let _ = writeln!(stderr, "memtrack: cannot write the report: {e}");
            status = EXIT_TROUBLE;
        }
        Ok(()) => {}
    }
    if let Some((after, error)) = &report.problems.read_error {
        let _ = writeln!(
            stderr,
            "memtrack: reading {log} stopped after line {after}: {error}"
        );
        status = EXIT_TROUBLE;
    }
    if let Some(path) = &args.svg
        && !write_file(
            path,
            &crate::render::svg::render(&report),
            "picture",
            stderr,
        )
    {
        status = EXIT_TROUBLE;
    }
    if let Some(path) = &args.html
        && !write_file(path, &crate::render::html::render(&report), "page", stderr)
    {
        status = EXIT_TROUBLE;
    }
    status
}
