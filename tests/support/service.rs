//! The example service's binary, for tests that run it.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example service built with `features` (none for an empty slice), brought up
/// to date first: `cargo test` builds examples too, but not when only one test is
/// selected, and not with the features a test needs.
pub fn binary(features: &[&str]) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let profile_dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target profile dir");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = Command::new(cargo);
    build.args(["build", "--quiet", "--example", "service"]);
    if !features.is_empty() {
        build.arg("--features").arg(features.join(","));
    }
    if profile_dir.ends_with("release") {
        build.arg("--release");
    }
    let status = build
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .status()
        .expect("cargo build --example service");
    assert!(status.success());
    profile_dir
        .join("examples")
        .join(format!("service{}", std::env::consts::EXE_SUFFIX))
}
