//! Command-line options.

use std::path::PathBuf;

pub const USAGE: &str = "usage: service [--scenario [--hold]] [--port N] [--log PATH]";

#[derive(Debug, Clone)]
pub struct Args {
    pub scenario: bool,
    pub hold: bool,
    pub port: u16,
    pub log: PathBuf,
}

impl Args {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Args {
            scenario: false,
            hold: false,
            port: 3000,
            log: PathBuf::from("target/memtrack-service.log"),
        };
        let mut port_given = false;
        while let Some(arg) = args.next() {
            match arg.as_str() {
                "--scenario" => parsed.scenario = true,
                "--hold" => parsed.hold = true,
                "--port" => {
                    let value = args.next().ok_or("--port needs a number")?;
                    parsed.port = value.parse().map_err(|_| {
                        format!("--port {value:?}: expected a port number (0-65535)")
                    })?;
                    port_given = true;
                }
                "--log" => parsed.log = PathBuf::from(args.next().ok_or("--log needs a path")?),
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        if parsed.hold && !parsed.scenario {
            return Err("--hold goes with --scenario".into());
        }
        if parsed.scenario && !port_given {
            parsed.port = 0;
        }
        Ok(parsed)
    }
}
