//! Command-line options.

use std::path::PathBuf;

pub const USAGE: &str =
    "usage: service [--scenario [--hold | --minutes N]] [--port N] [--log PATH]";

#[derive(Debug, Clone)]
pub struct Args {
    pub scenario: bool,
    pub hold: bool,
    /// With `--scenario`: run the long scenario for this many minutes.
    pub minutes: Option<u32>,
    pub port: u16,
    pub log: PathBuf,
}

impl Args {
    pub fn parse(mut args: impl Iterator<Item = String>) -> Result<Self, String> {
        let mut parsed = Args {
            scenario: false,
            hold: false,
            minutes: None,
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
                "--minutes" => {
                    let value = args.next().ok_or("--minutes needs a number")?;
                    parsed.minutes = Some(
                        value
                            .parse()
                            .ok()
                            .filter(|m| (1..=1440).contains(m))
                            .ok_or_else(|| format!("--minutes {value:?}: expected 1 to 1440"))?,
                    );
                }
                "--log" => parsed.log = PathBuf::from(args.next().ok_or("--log needs a path")?),
                other => return Err(format!("unknown option {other:?}")),
            }
        }
        if parsed.hold && !parsed.scenario {
            return Err("--hold goes with --scenario".into());
        }
        if parsed.minutes.is_some() && !parsed.scenario {
            return Err("--minutes goes with --scenario".into());
        }
        if parsed.minutes.is_some() && parsed.hold {
            return Err("--hold goes with the short scenario, not with --minutes".into());
        }
        if parsed.scenario && !port_given {
            parsed.port = 0;
        }
        Ok(parsed)
    }
}
