//! Where the lines go: the [`LineSink`] trait, standard output and any writer
//! behind a mutex (files: `file_writer`).

use std::io::{self, Write};
use std::sync::{Mutex, PoisonError};

/// A destination for complete log lines.
///
/// [`JsonLayer`](super::JsonLayer) formats each event into one buffer ending in `\n`
/// and hands it over with a single call, so an implementation that writes the
/// buffer while holding a lock never interleaves lines from different threads.
/// Implementations should also flush per line, so that no line is lost when the
/// process ends. Errors are ignored by the layer (logging never fails the
/// application).
///
/// Implemented by [`StdoutWriter`], [`FileWriter`](super::FileWriter), [`CaptureWriter`](super::CaptureWriter)
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

#[cfg(test)]
mod tests {
    use super::*;

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
