//! Where the lines go: the [`LineSink`] trait, standard output and files.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use super::error::LoggingError;

/// A destination for complete log lines.
///
/// [`JsonLayer`](super::JsonLayer) formats each event into one buffer ending in `\n`
/// and hands it over with a single call, so an implementation that writes the
/// buffer while holding a lock never interleaves lines from different threads.
/// Implementations should also flush per line, so that no line is lost when the
/// process ends. Errors are ignored by the layer (logging never fails the
/// application).
///
/// Implemented by [`StdoutWriter`], [`FileWriter`], [`CaptureWriter`](super::CaptureWriter)
/// and by `Mutex<W>` for any `W: io::Write + Send` (which flushes after each line).
///
/// ```
/// use std::sync::Mutex;
/// use memtrack_runtime::logging::{JsonLayer, LineSink};
///
/// // Any `io::Write` behind a mutex is a sink.
/// let sink: Mutex<Vec<u8>> = Mutex::new(Vec::new());
/// sink.write_line(b"{}\n").unwrap();
/// assert_eq!(sink.lock().unwrap().as_slice(), b"{}\n");
///
/// let _layer = JsonLayer::new(Mutex::new(std::io::sink()));
/// ```
pub trait LineSink: Send + Sync + 'static {
    /// Writes one complete line (including its final `\n`) in one piece.
    ///
    /// # Errors
    ///
    /// The underlying writer's error; the layer ignores it.
    fn write_line(&self, line: &[u8]) -> io::Result<()>;
}

impl<W: Write + Send + 'static> LineSink for Mutex<W> {
    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        let mut writer = self.lock().unwrap_or_else(PoisonError::into_inner);
        writer.write_all(line)?;
        writer.flush()
    }
}

/// Writes lines to the process's standard output, flushing after each line.
///
/// Holds the standard output lock while writing a line, so lines do not interleave
/// with each other or with `println!` output.
///
/// ```
/// use memtrack_runtime::logging::{JsonLayer, StdoutWriter};
///
/// let layer = JsonLayer::new(StdoutWriter);
/// # let _ = layer;
/// ```
#[derive(Debug, Clone, Copy, Default)]
pub struct StdoutWriter;

impl LineSink for StdoutWriter {
    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(line)?;
        out.flush()
    }
}

/// Appends lines to a file (created if missing), one write per line.
///
/// A `File` has no user-space buffer, so every line is in the operating system's
/// hands as soon as the write returns: nothing is lost when the process ends, even
/// without dropping the writer.
///
/// ```
/// use memtrack_runtime::logging::{FileWriter, LineSink};
///
/// let path = std::env::temp_dir().join(format!("memtrack-doc-{}.log", std::process::id()));
/// # let _ = std::fs::remove_file(&path);
/// let writer = FileWriter::open(&path)?;
/// writer.write_line(b"{\"a\":1}\n")?;
/// assert_eq!(writer.path(), path.as_path());
/// assert_eq!(std::fs::read_to_string(&path)?, "{\"a\":1}\n");
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct FileWriter {
    path: PathBuf,
    file: Mutex<File>,
}

impl FileWriter {
    /// Opens `path` for appending, creating it if needed.
    ///
    /// # Errors
    ///
    /// [`LoggingError::OpenFile`] naming the path and the reason.
    ///
    /// ```
    /// use memtrack_runtime::logging::FileWriter;
    ///
    /// let err = FileWriter::open("/nonexistent-memtrack-dir/x/app.log").unwrap_err();
    /// assert!(err.to_string().contains("/nonexistent-memtrack-dir/x/app.log"));
    /// ```
    pub fn open(path: impl AsRef<Path>) -> Result<Self, LoggingError> {
        let path = path.as_ref().to_path_buf();
        match OpenOptions::new().create(true).append(true).open(&path) {
            Ok(file) => Ok(FileWriter {
                path,
                file: Mutex::new(file),
            }),
            Err(source) => Err(LoggingError::OpenFile { path, source }),
        }
    }

    /// The path the writer was opened with.
    ///
    /// ```
    /// use memtrack_runtime::logging::FileWriter;
    ///
    /// let path = std::env::temp_dir().join("memtrack-doc-path.log");
    /// let writer = FileWriter::open(&path)?;
    /// assert_eq!(writer.path(), path.as_path());
    /// # Ok::<(), memtrack_runtime::logging::LoggingError>(())
    /// ```
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl LineSink for FileWriter {
    fn write_line(&self, line: &[u8]) -> io::Result<()> {
        let mut file = self.file.lock().unwrap_or_else(PoisonError::into_inner);
        file.write_all(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_path(name: &str) -> PathBuf {
        std::env::temp_dir().join(format!("memtrack-writer-{}-{name}", std::process::id()))
    }

    #[test]
    fn file_writer_appends_to_existing_content() {
        let path = temp_path("append.log");
        std::fs::write(&path, "old\n").unwrap();
        let writer = FileWriter::open(&path).unwrap();
        writer.write_line(b"new1\n").unwrap();
        writer.write_line(b"new2\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "old\nnew1\nnew2\n");
        std::fs::remove_file(&path).unwrap();
    }

    #[test]
    fn file_writer_error_names_the_path() {
        let path = temp_path("missing-dir").join("app.log");
        let err = FileWriter::open(&path).unwrap_err();
        match &err {
            LoggingError::OpenFile { path: p, source } => {
                assert_eq!(p, &path);
                assert_eq!(source.kind(), io::ErrorKind::NotFound);
            }
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn mutex_sink_survives_poisoning() {
        let sink = std::sync::Arc::new(Mutex::new(Vec::<u8>::new()));
        let poisoner = std::sync::Arc::clone(&sink);
        let _ = std::thread::spawn(move || {
            let _guard = poisoner.lock().unwrap();
            panic!("poison the lock");
        })
        .join();
        assert!(sink.is_poisoned());
        sink.write_line(b"line\n").unwrap();
        let bytes = sink.lock().unwrap_or_else(PoisonError::into_inner).clone();
        assert_eq!(bytes, b"line\n");
    }

    #[test]
    fn stdout_writer_writes() {
        assert!(StdoutWriter.write_line(b"").is_ok());
    }
}
