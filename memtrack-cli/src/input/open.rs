//! Opening the log: a file or standard input, plain or gzip (recognised by its first
//! two bytes, so a rotated `.gz` read from standard input works too).

use std::fmt;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::bufread::MultiGzDecoder;

/// Read buffer size: large enough that most lines are found in one buffer.
const BUFFER_BYTES: usize = 256 * 1024;
/// The first two bytes of every gzip member.
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Where the log comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Standard input (`-`).
    Stdin,
    /// A file.
    File(PathBuf),
}

impl Source {
    /// `-` is standard input, anything else a path.
    ///
    /// ```
    /// use memtrack_cli::input::Source;
    ///
    /// assert_eq!(Source::from_arg("-".as_ref()), Source::Stdin);
    /// assert_eq!(Source::from_arg("a.log".as_ref()), Source::File("a.log".into()));
    /// ```
    #[must_use]
    pub fn from_arg(arg: &std::ffi::OsStr) -> Source {
        if arg == "-" {
            Source::Stdin
        } else {
            Source::File(PathBuf::from(arg))
        }
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Stdin => f.write_str("standard input"),
            Source::File(path) => write!(f, "{}", path.display()),
        }
    }
}

/// The log could not be opened.
#[derive(Debug)]
pub struct OpenError {
    /// What was being opened.
    pub source: Source,
    /// Why it failed.
    pub error: io::Error,
}

impl fmt::Display for OpenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot read {}: {}", self.source, self.error)
    }
}

impl std::error::Error for OpenError {}

/// An open log, decompressed if it was gzip.
pub struct Opened {
    /// The bytes of the log.
    pub reader: Box<dyn BufRead>,
    /// Whether it was gzip.
    pub gzip: bool,
}

/// Opens `source` for reading.
///
/// # Errors
///
/// [`OpenError`] when the file cannot be opened or read (a directory, no
/// permission, missing).
///
/// ```
/// use std::io::Read;
/// use memtrack_cli::input::{open, Source};
///
/// let path = std::env::temp_dir().join("memtrack-cli-doc-open.log");
/// std::fs::write(&path, "{}\n").unwrap();
/// let mut opened = open(&Source::File(path)).unwrap();
/// let mut text = String::new();
/// opened.reader.read_to_string(&mut text).unwrap();
/// assert_eq!(text, "{}\n");
/// assert!(!opened.gzip);
/// ```
pub fn open(source: &Source) -> Result<Opened, OpenError> {
    let fail = |error| OpenError {
        source: source.clone(),
        error,
    };
    let raw: Box<dyn Read> = match source {
        Source::Stdin => Box::new(io::stdin()),
        Source::File(path) => Box::new(open_file(path).map_err(fail)?),
    };
    let mut buffered = BufReader::with_capacity(BUFFER_BYTES, raw);
    let head = buffered.fill_buf().map_err(fail)?;
    if head.starts_with(&GZIP_MAGIC) {
        let decoder = MultiGzDecoder::new(buffered);
        Ok(Opened {
            reader: Box::new(BufReader::with_capacity(BUFFER_BYTES, decoder)),
            gzip: true,
        })
    } else {
        Ok(Opened {
            reader: Box::new(buffered),
            gzip: false,
        })
    }
}

fn open_file(path: &Path) -> io::Result<File> {
    let file = File::open(path)?;
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("it is a directory"));
    }
    Ok(file)
}
