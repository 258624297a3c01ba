//! Compile-time behaviour of the macros: misuse gives one clear error at the
//! offending token, and correct use compiles without warnings under strict lints.
//!
//! The compile-fail cases compare rustc's own messages with the `.stderr` files,
//! and those messages change between compiler releases. They run only on the
//! release the files were recorded with; on any other, the pass cases still run
//! and the test says that the compile-fail cases were skipped. To record them
//! again on a new release: `TRYBUILD=overwrite cargo test --test ui`, review the
//! diff, and update [`RECORDED_WITH`].

use std::io::Write;
use std::process::Command;

/// The `rustc --version` release the `.stderr` files were recorded with.
const RECORDED_WITH: &str = "1.95.0";

#[test]
fn ui() {
    let cases = trybuild::TestCases::new();
    cases.pass("tests/ui/pass/*.rs");
    match rustc_release() {
        Some(release) if release == RECORDED_WITH => cases.compile_fail("tests/ui/fail/*.rs"),
        found => {
            let found = found.unwrap_or_else(|| String::from("an unknown release"));
            // Straight to stderr: the test harness would keep a `println!` to itself.
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED tests/ui/fail/*.rs: their messages were recorded with rustc {RECORDED_WITH}, this is rustc {found}"
            );
        }
    }
}

/// The release of the compiler cargo builds with (`1.95.0`, `1.97.0-nightly`),
/// from `rustc --version` (`$RUSTC` when set, as cargo would use it).
fn rustc_release() -> Option<String> {
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let output = Command::new(rustc).arg("--version").output().ok()?;
    let text = String::from_utf8(output.stdout).ok()?;
    release_of(&text).map(str::to_owned)
}

/// `1.95.0` from `rustc 1.95.0 (59807616e 2026-04-14)`.
fn release_of(version: &str) -> Option<&str> {
    let mut words = version.split_whitespace();
    (words.next() == Some("rustc"))
        .then(|| words.next())
        .flatten()
}

#[test]
fn release_is_read_from_the_version_line() {
    assert_eq!(
        release_of("rustc 1.95.0 (59807616e 2026-04-14)"),
        Some("1.95.0")
    );
    assert_eq!(
        release_of("rustc 1.97.0-nightly (abcdef012 2026-06-01)\n"),
        Some("1.97.0-nightly")
    );
    assert_eq!(release_of("clippy 0.1.95"), None);
    assert_eq!(release_of(""), None);
}
