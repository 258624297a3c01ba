//! Bad input never makes `memtrack report` panic: unreadable logs exit with status 2,
//! empty ones with 1, and every kind of bad line is skipped, counted and named.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use flate2::Compression;
use flate2::write::GzEncoder;
use support::event;

struct Run {
    stdout: String,
    stderr: String,
    status: i32,
}

fn memtrack(args: &[&str], stdin: Option<&[u8]>) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_memtrack"))
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start memtrack");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait for memtrack");
    Run {
        stdout: String::from_utf8(out.stdout).expect("utf-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("utf-8 stderr"),
        status: out.status.code().unwrap_or(-1),
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("memtrack-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write log");
    path.to_string_lossy().into_owned()
}

fn good_log() -> String {
    let mut log = String::new();
    log += &event(
        1,
        "memory_operation",
        "\"op_name\":\"fetch\",\"duration_ms\":7000,\"success\":false,\"ended_by\":\"err\",\"alloc_bytes\":1048576,\"net_bytes\":0",
    );
    log += &event(
        2,
        "memory_snapshot",
        "\"rss_mb\":50.5,\"heap_used_mb\":20.25",
    );
    log
}

#[test]
fn a_missing_file_or_a_directory_exits_2_with_one_line() {
    let run = memtrack(&["report", "/no/such/dir/app.log"], None);
    assert_eq!(run.status, 2);
    assert_eq!(run.stdout, "");
    assert_eq!(
        run.stderr,
        "memtrack: cannot read /no/such/dir/app.log: No such file or directory (os error 2)\n"
    );

    let dir = temp_dir("directory");
    let run = memtrack(&["report", &dir.to_string_lossy()], None);
    assert_eq!(run.status, 2);
    assert_eq!(
        run.stderr,
        format!(
            "memtrack: cannot read {}: it is a directory\n",
            dir.display()
        )
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn an_empty_file_says_so_and_exits_1() {
    let dir = temp_dir("empty");
    let path = write(&dir, "empty.log", b"");
    let run = memtrack(&["report", &path], None);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        format!("memtrack: {path} holds no memtrack event (it is empty)\n")
    );
    assert!(
        run.stdout
            .contains("  span    no memtrack event with a timestamp\n")
    );
    assert!(
        run.stdout
            .contains("  lines   0 read: 0 memtrack events used\n")
    );

    let path = write(
        &dir,
        "other.log",
        b"INFO starting\n{\"level\":\"info\",\"message\":\"hi\"}\n",
    );
    let run = memtrack(&["report", &path], None);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        format!("memtrack: {path} holds no memtrack event\n")
    );
    assert!(
        run.stdout
            .contains("  1 line is not JSON (plain text or another format): skipped (line 1)\n")
    );
    assert!(run.stdout.contains(
        "  1 line is JSON without an `event` field (not memtrack's): skipped (line 2)\n"
    ));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn gzip_and_standard_input_read_like_the_plain_file() {
    let dir = temp_dir("gzip");
    let plain = write(&dir, "app.log", good_log().as_bytes());
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(good_log().as_bytes()).unwrap();
    let gz = write(&dir, "app.log.gz", &gz.finish().unwrap());

    let from_plain = memtrack(&["report", &plain, "--json"], None);
    let from_gz = memtrack(&["report", &gz, "--json"], None);
    let from_stdin = memtrack(&["report", "-", "--json"], Some(good_log().as_bytes()));
    for run in [&from_plain, &from_gz, &from_stdin] {
        assert_eq!((run.status, run.stderr.as_str()), (0, ""));
    }
    let strip = |text: &str| {
        let mut v: serde_json::Value = serde_json::from_str(text).unwrap();
        v["log"] = serde_json::Value::Null;
        v["lines"]["gzip"] = serde_json::Value::Null;
        v
    };
    assert_eq!(strip(&from_plain.stdout), strip(&from_gz.stdout));
    assert_eq!(strip(&from_plain.stdout), strip(&from_stdin.stdout));
    let gz_json: serde_json::Value = serde_json::from_str(&from_gz.stdout).unwrap();
    assert_eq!(gz_json["lines"]["gzip"], true);
    assert_eq!(gz_json["slow_operations"]["total"], 1);
    let stdin_json: serde_json::Value = serde_json::from_str(&from_stdin.stdout).unwrap();
    assert_eq!(stdin_json["log"], "standard input");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_corrupt_gzip_stream_reports_what_was_read_and_exits_2() {
    let dir = temp_dir("corrupt");
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    gz.write_all(good_log().repeat(2_000).as_bytes()).unwrap();
    let mut bytes = gz.finish().unwrap();
    let middle = bytes.len() / 2;
    for b in &mut bytes[middle..middle + 64] {
        *b ^= 0x5a;
    }
    let path = write(&dir, "broken.log.gz", &bytes);
    let run = memtrack(&["report", &path], None);
    assert_eq!(run.status, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .starts_with(&format!("memtrack: reading {path} stopped after line ")),
        "{}",
        run.stderr
    );
    assert!(
        run.stdout.contains("reading stopped after line"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("the report covers the lines before"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_kind_of_bad_line_is_counted_once_and_good_lines_still_count() {
    let mut log = good_log();
    log += "plain text from another logger\n";
    log += "{\"timestamp\":\"2026-11-27T08:00:03.000Z\",\"level\":\"info\",\"target\":\"app\",\"message\":\"not ours\"}\n";
    log += "{\"timestamp\":\"2026-11-27T08:00:04.000Z\",\"event\":\"memory_operation\",\"op_name\":\"fetch\",\"duration_ms\":true,\"net_bytes\":{\"a\":1}}\n";
    log += "{\"event\":\"memory_operation\",\"op_name\":\"fetch\"}\n";
    log += "{\"timestamp\":\"27/11/2026\",\"event\":\"memory_operation\",\"op_name\":\"fetch\"}\n";
    log += "{\"timestamp\":\"2026-11-27T08:00:05.000Z\",\"event\":\"made_up\"}\n";
    log += "{\"timestamp\":\"2026-11-27T08:00:06.000Z\",\"event\":\"memory_op\n";
    log += "\n";
    let mut bytes = log.into_bytes();
    bytes.extend_from_slice(b"{\"timestamp\":\"2026-11-27T08:00:07.000Z\",\"event\":\"memory_operation\",\"op_name\":\"\xff\xfe\"}\n");
    bytes.extend_from_slice(&vec![b'x'; 17 << 20]);
    bytes.push(b'\n');
    bytes.extend_from_slice(
        event(
            9,
            "memory_operation",
            "\"op_name\":\"fetch\",\"duration_ms\":10",
        )
        .as_bytes(),
    );
    bytes
        .extend_from_slice(b"{\"timestamp\":\"2026-11-27T08:00:10.000Z\",\"event\":\"memory_opera");

    let run = memtrack(&["report", "-", "--json"], Some(&bytes));
    assert_eq!((run.status, run.stderr.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    let p = &v["problems"];
    let count = |kind: &str| {
        (
            p[kind]["lines"].as_u64().unwrap(),
            p[kind]["first_line"].as_u64().unwrap(),
        )
    };
    assert_eq!(count("not_json"), (1, 3));
    assert_eq!(count("not_memtrack"), (1, 4));
    assert_eq!(count("wrong_type"), (1, 5));
    assert_eq!(count("no_timestamp"), (1, 6));
    assert_eq!(count("bad_timestamp"), (1, 7));
    assert_eq!(count("unknown_event"), (1, 8));
    assert_eq!(count("broken_json"), (1, 9));
    // Read with U+FFFD for the bytes that are not UTF-8.
    assert_eq!(count("not_utf8"), (1, 11));
    assert_eq!(count("blank"), (1, 10));
    assert_eq!(count("too_long"), (1, 12));
    assert_eq!(p["truncated_last_line"], 14);
    assert_eq!(
        p["wrong_type_fields"],
        serde_json::json!({"duration_ms as a boolean": 1, "net_bytes as an object": 1})
    );
    assert_eq!(p["unknown_event_names"], serde_json::json!({"made_up": 1}));
    assert_eq!(v["lines"]["read"], 14);
    assert_eq!(v["lines"]["used"], 5);
    assert_eq!(v["culprits"][0]["logged"], 3);

    let text = memtrack(&["report", "-"], Some(&bytes)).stdout;
    let skipped: Vec<&str> = text
        .split("\nskipped lines\n")
        .nth(1)
        .expect("a skipped-lines section")
        .lines()
        .collect();
    assert_eq!(
        skipped,
        [
            "  the last line (line 14) is cut short (no newline, incomplete JSON): skipped",
            "  1 line starts like JSON but is not valid JSON: skipped (line 9)",
            "  1 line is not JSON (plain text or another format): skipped (line 3)",
            "  1 line is JSON without an `event` field (not memtrack's): skipped (line 4)",
            "  1 line has an event memtrack does not write (made_up ×1): skipped (line 8)",
            "  1 line has no `timestamp`: skipped (line 6)",
            "  1 line has a `timestamp` that is not an RFC 3339 date-time: skipped (line 7)",
            "  1 line is longer than 16 MiB: skipped (line 12)",
            "  1 line is blank: skipped (line 10)",
            "  1 line has fields of the wrong type (duration_ms as a boolean ×1, net_bytes as an object ×1): those fields ignored, the rest used (line 5)",
            "  1 line has bytes that are not UTF-8: read with U+FFFD in their place (line 11)",
        ]
    );
}

#[test]
fn random_bytes_never_crash_it() {
    // Deterministic noise rich in JSON punctuation.
    let alphabet = b"{}[]\":,0123456789.eE-+truefalsnul \\\n\t\xc3\xa9\xff_timestamp event";
    let mut state: u64 = 0x1234_5678_9abc_def1;
    let mut bytes = Vec::with_capacity(2 << 20);
    for _ in 0..(2 << 20) {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.push(alphabet[(state % alphabet.len() as u64) as usize]);
    }
    let run = memtrack(&["report", "-"], Some(&bytes));
    assert!(
        run.status == 0 || run.status == 1,
        "status {}: {}",
        run.status,
        run.stderr
    );
    assert!(run.stdout.contains("skipped lines"));
}

#[test]
fn bad_arguments_and_unwritable_outputs_exit_2() {
    let run = memtrack(&["report"], None);
    assert_eq!(run.status, 2);
    assert!(run.stderr.starts_with("memtrack: missing the log: memtrack report LOG (- for standard input)\n\nusage: memtrack report LOG"));
    let run = memtrack(&["report", "-", "--since", "lunchtime"], Some(b""));
    assert_eq!(run.status, 2);
    assert!(
        run.stderr
            .starts_with("memtrack: \"lunchtime\" is not a time")
    );

    let run = memtrack(
        &["report", "-", "--svg", "/no/such/dir/picture.svg"],
        Some(good_log().as_bytes()),
    );
    assert_eq!(run.status, 2);
    assert_eq!(
        run.stderr,
        "memtrack: cannot write /no/such/dir/picture.svg: No such file or directory (os error 2)\n"
    );
    assert!(run.stdout.starts_with("memtrack report: standard input\n"));

    let run = memtrack(&["--help"], None);
    assert_eq!(run.status, 0);
    assert!(run.stdout.starts_with("usage: memtrack report LOG"));
}

/// A stdout that takes nothing: the disk is full, or the reader went away.
struct Refusing(std::io::ErrorKind);

impl Write for Refusing {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::from(self.0))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_report_that_cannot_be_written_exits_with_trouble_unless_the_reader_left() {
    let dir = temp_dir("unwritable-stdout");
    let log = write(&dir, "good.log", good_log().as_bytes());
    for json in [false, true] {
        let mut args = vec!["report", log.as_str()];
        if json {
            args.push("--json");
        }
        let mut stderr = Vec::new();
        let status = memtrack_cli::run::run(
            args.clone(),
            &mut Refusing(std::io::ErrorKind::StorageFull),
            &mut stderr,
        );
        let stderr = String::from_utf8(stderr).expect("utf-8");
        assert_eq!(status, memtrack_cli::run::EXIT_TROUBLE, "{stderr}");
        assert!(stderr.contains("cannot write the report"), "{stderr}");
        let mut stderr = Vec::new();
        let status = memtrack_cli::run::run(
            args,
            &mut Refusing(std::io::ErrorKind::BrokenPipe),
            &mut stderr,
        );
        assert_eq!(
            status,
            memtrack_cli::run::EXIT_OK,
            "{:?}",
            String::from_utf8(stderr)
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_byte_order_mark_and_bytes_that_are_not_utf8_lose_no_event() {
    let dir = temp_dir("encoding");
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(good_log().as_bytes());
    bytes.extend_from_slice(
        b"{\"timestamp\":\"2026-11-27T08:00:03.000Z\",\"event\":\"memory_operation\",\"op_name\":\"fetch\",\"duration_ms\":9000,\"success\":false,\"error\":\"bad \xFF byte\"}\n",
    );
    let path = write(&dir, "encoded.log", &bytes);
    let run = memtrack(&["report", &path, "--json"], None);
    assert_eq!((run.status, run.stderr.as_str()), (0, ""));
    let v: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(v["lines"]["used"], 3, "{v:#}");
    assert_eq!(v["problems"]["not_utf8"]["lines"], 1, "{v:#}");
    assert_eq!(v["problems"]["not_utf8"]["first_line"], 3, "{v:#}");
    assert_eq!(v["slow_operations"]["total"], 2, "{v:#}");
    let run = memtrack(&["report", &path], None);
    assert!(
        run.stdout.contains(
            "  1 line has bytes that are not UTF-8: read with U+FFFD in their place (line 3)\n"
        ),
        "{}",
        run.stdout
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_window_that_holds_no_event_is_told_apart_from_an_empty_log() {
    let dir = temp_dir("window");
    let log = write(&dir, "good.log", good_log().as_bytes());
    let run = memtrack(&["report", &log, "--since", "2030-01-01T00:00:00Z"], None);
    assert_eq!(run.status, 1);
    assert_eq!(
        run.stderr,
        format!(
            "memtrack: none of the memtrack events of {log} is within the times and operation asked for (2 outside)\n"
        )
    );
    assert!(
        run.stdout
            .contains("  span    no memtrack event within the times and operation asked for\n"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout
            .contains("no RSS or heap reading within the times and operation asked for"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("in the log"), "{}", run.stdout);
    let _ = std::fs::remove_dir_all(dir);
}
