//! `Config::from_env` with values the process really has: a value that is not
//! UTF-8 is an error naming its variable (never silently the default), and a huge
//! value is echoed cut; then any bytes at all, fuzzed (`PROPTEST_CASES` cases, 256
//! unless set). Its own binary: it changes the process's environment, with a single
//! test so that no other thread reads it meanwhile.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use memtrack::Config;
use memtrack::logging::{JsonLayer, LOG_LEVEL_ENV, LoggingError};
use proptest::prelude::*;
use proptest::test_runner::{Config as ProptestConfig, TestRunner};

fn set(name: &str, value: &OsStr) {
    // SAFETY: the only test of this binary; no other thread reads the environment.
    unsafe { std::env::set_var(name, value) };
}

fn unset(name: &str) {
    // SAFETY: as in `set`.
    unsafe { std::env::remove_var(name) };
}

#[test]
fn bad_environment_values_are_errors_naming_their_variable() {
    for name in Config::ENV_VARS {
        set(name, OsStr::from_bytes(b"\xff5"));
        let err = Config::from_env().expect_err(name);
        assert_eq!(err.invalid().len(), 1, "{name}: {err}");
        let setting = &err.invalid()[0];
        assert_eq!(setting.name, *name);
        assert_eq!(setting.value, "\u{fffd}5");
        assert!(err.to_string().contains(name), "{err}");
        unset(name);
    }
    assert!(Config::from_env().is_ok());

    let huge = "7".repeat(1 << 20);
    set("MEMTRACK_SPIKE_RSS_MB", OsStr::new(&format!("x{huge}")));
    let err = Config::from_env().unwrap_err();
    let value = &err.invalid()[0].value;
    assert_eq!(value, &format!("x{}…", &huge[..63]));
    assert!(
        err.to_string().len() < 300,
        "{} bytes",
        err.to_string().len()
    );
    unset("MEMTRACK_SPIKE_RSS_MB");

    any_bytes_in_any_variable_are_parsed_or_rejected_with_a_bounded_echo();
}

fn any_bytes_in_any_variable_are_parsed_or_rejected_with_a_bounded_echo() {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    // Bytes without NUL (an environment value cannot hold one): short, or long.
    let value = prop_oneof![
        4 => prop::collection::vec(1..=255_u8, 0..80),
        1 => (1..=255_u8, 1_000..100_000_usize).prop_map(|(b, n)| vec![b; n]),
    ];
    let names = Config::ENV_VARS.len() + 1;
    let result = runner.run(&(0..names, value), |(index, bytes)| {
        let name = Config::ENV_VARS
            .get(index)
            .copied()
            .unwrap_or(LOG_LEVEL_ENV);
        set(name, OsStr::from_bytes(&bytes));
        let outcome = if name == LOG_LEVEL_ENV {
            match JsonLayer::from_env() {
                Ok(_) => Ok(()),
                Err(LoggingError::InvalidEnv {
                    variable, value, ..
                }) => {
                    prop_assert_eq!(variable, LOG_LEVEL_ENV);
                    prop_assert!(value.chars().count() <= 64);
                    Ok(())
                }
                Err(other) => Err(TestCaseError::fail(format!("{other}"))),
            }
        } else {
            match Config::from_env() {
                Ok(_) => Ok(()),
                Err(err) => {
                    prop_assert_eq!(err.invalid().len(), 1);
                    prop_assert_eq!(&err.invalid()[0].name, name);
                    prop_assert!(err.invalid()[0].value.chars().count() <= 65);
                    prop_assert!(err.to_string().len() <= 1024);
                    Ok(())
                }
            }
        };
        unset(name);
        outcome
    });
    if let Err(failure) = result {
        panic!("{failure}");
    }
}
