//! An article-reader service instrumented with memtrack, in the spirit of the system
//! memtrack's design comes from: article fetches from several sources, an external
//! extraction API, ad requests, a signal broadcast, caches that grow, one operation
//! that leaks and one that spikes. The monitor and cache stats run in the background,
//! `/health` is served, `/metrics` too when built with the `prometheus` feature, and
//! every event goes to a JSON log file.
//!
//! ```text
//! cargo run --example service -- --scenario      # run a bounded scenario and exit
//! cargo run --example service                    # serve on 127.0.0.1:3000 until Ctrl-C
//! cargo run --example service --features prometheus   # ... with /metrics
//! ```
//!
//! Options: `--port N` (0 picks a free port), `--log PATH` (default
//! `target/memtrack-service.log`), `--hold` (with `--scenario`: keep serving after the
//! scenario until standard input closes), `--minutes N` (with `--scenario`: the long
//! scenario, N minutes of traffic with a leak, for `memtrack report`). Thresholds
//! come from `MEMTRACK_*` variables; the scenarios set their own intervals.

mod app;
mod args;
mod client;
mod long_scenario;
mod operations;
mod scenario;
mod store;
mod upstream;

use std::process::ExitCode;

#[global_allocator]
static ALLOC: memtrack::Allocator = memtrack::Allocator::system();

fn main() -> ExitCode {
    let args = match args::Args::parse(std::env::args().skip(1)) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("service: {message}\n{}", args::USAGE);
            return ExitCode::from(2);
        }
    };
    let config = match memtrack::Config::from_env() {
        Ok(config) if args.scenario => match args.minutes {
            Some(minutes) => long_scenario::tune(&config, minutes),
            None => scenario::tune(&config),
        },
        Ok(config) => config,
        Err(err) => {
            eprintln!("service: {err}");
            return ExitCode::from(2);
        }
    };
    memtrack::config::set(config.clone());

    if args.scenario {
        // A fresh log per scenario run, so every count in it belongs to this run.
        let _ = std::fs::remove_file(&args.log);
    }
    if let Some(dir) = args.log.parent().filter(|d| !d.as_os_str().is_empty()) {
        let _ = std::fs::create_dir_all(dir);
    }
    let log = match memtrack::logging::init_json_file(&args.log) {
        Ok(path) => path,
        Err(err) => {
            eprintln!("service: cannot write the JSON log: {err}");
            return ExitCode::from(1);
        }
    };
    println!("JSON log: {}", log.display());

    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("service: cannot start the runtime: {err}");
            return ExitCode::from(1);
        }
    };
    match runtime.block_on(app::run(args, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("service: {err}");
            ExitCode::from(1)
        }
    }
}
