//! `Config::from_env` with values the process really has: a value that is not
//! UTF-8 is an error naming its variable (never silently the default), and a huge
//! value is echoed cut. Its own binary: it changes the process's environment, with
//! a single test so that no other thread reads it meanwhile.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;

use memtrack::Config;

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
}
