//! `memtrack report LOG`: see `memtrack --help`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    let mut stderr = std::io::stderr().lock();
    ExitCode::from(memtrack_cli::run::run(
        std::env::args_os().skip(1),
        &mut stdout,
        &mut stderr,
    ))
}
