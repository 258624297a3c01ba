//! [`FileWriter`]: log lines appended to a file, each written whole or not at all,
//! and to whatever file the path names now, when the old one was rotated away.

use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use super::error::LoggingError;
use super::writer::LineSink;

/// How often the writer checks that its path still names the file it writes.
const RECHECK: Duration = Duration::from_secs(1);

/// Appends lines to a file (created if missing), one write per line.
///
/// - A `File` has no user-space buffer, so every line is in the operating system's
///   hands as soon as the write returns: nothing is lost when the process ends, even
///   without dropping the writer.
/// - A line is written whole or not at all: when a write fails partway (the disk
///   is full), the part written is cut off again, so the file never holds half a
///   line that the next line would run into. (Should the cut itself fail, the next
///   line starts on a line of its own.)
/// - When the path no longer names the file being written (the log was rotated by
///   renaming or deleting it), the writer opens the path again, at most a second
///   later, so lines go to the new file rather than to one nobody reads. (On Unix;
///   elsewhere, rotate by truncating the file in place.)
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
    recheck: Duration,
    open: Mutex<OpenFile>,
}

/// The file being written.
#[derive(Debug)]
struct OpenFile {
    file: File,
    /// Which file it is, to notice when the path names another.
    identity: Option<Identity>,
    /// When the path was last compared with it.
    checked: Instant,
    /// A write failed partway and the part could not be cut off: the file may end
    /// in the middle of a line.
    mid_line: bool,
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
        Self::open_checking_every(path, RECHECK)
    }

    fn open_checking_every(
        path: impl AsRef<Path>,
        recheck: Duration,
    ) -> Result<Self, LoggingError> {
        let path = path.as_ref().to_path_buf();
        match OpenFile::open(&path) {
            Ok(open) => Ok(FileWriter {
                path,
                recheck,
                open: Mutex::new(open),
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
        let mut open = self.open.lock().unwrap_or_else(PoisonError::into_inner);
        if open.checked.elapsed() >= self.recheck {
            open.follow(&self.path);
        }
        if open.mid_line {
            open.file.write_all(b"\n")?;
            open.mid_line = false;
        }
        let result = write_whole(&mut open.file, line);
        if let Err(Partial::Kept(e)) = result {
            open.mid_line = true;
            return Err(e);
        }
        result.map_err(Partial::into_error)
    }
}

impl OpenFile {
    fn open(path: &Path) -> io::Result<Self> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        Ok(OpenFile {
            identity: file.metadata().ok().and_then(|m| Identity::of(&m)),
            file,
            checked: Instant::now(),
            mid_line: false,
        })
    }

    /// Opens the path again when it names another file than the one being written
    /// (or none); keeps the old file when that fails.
    fn follow(&mut self, path: &Path) {
        self.checked = Instant::now();
        let Some(identity) = self.identity else {
            return;
        };
        let now = std::fs::metadata(path).ok().and_then(|m| Identity::of(&m));
        if now != Some(identity)
            && let Ok(reopened) = OpenFile::open(path)
        {
            *self = reopened;
        }
    }
}

/// A file's device and inode number: the same for as long as the file exists,
/// whatever its name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Identity {
    device: u64,
    inode: u64,
}

impl Identity {
    #[cfg(unix)]
    #[allow(clippy::unnecessary_wraps)]
    fn of(metadata: &std::fs::Metadata) -> Option<Self> {
        use std::os::unix::fs::MetadataExt;
        Some(Identity {
            device: metadata.dev(),
            inode: metadata.ino(),
        })
    }

    #[cfg(not(unix))]
    fn of(_: &std::fs::Metadata) -> Option<Self> {
        None
    }
}

/// Where a failed line stands.
#[derive(Debug)]
enum Partial {
    /// Nothing of it is in the file.
    Gone(io::Error),
    /// Part of it stayed in the file.
    Kept(io::Error),
}

impl Partial {
    fn into_error(self) -> io::Error {
        match self {
            Partial::Gone(e) | Partial::Kept(e) => e,
        }
    }
}

/// A file lines are appended to, whose end can be cut off again.
trait AppendFile: Write {
    /// Removes the last `bytes` bytes.
    fn cut_back(&mut self, bytes: u64) -> io::Result<()>;
}

impl AppendFile for File {
    fn cut_back(&mut self, bytes: u64) -> io::Result<()> {
        let len = self.metadata()?.len();
        self.set_len(len.saturating_sub(bytes))
    }
}

/// Writes `line` whole, or cuts off again what part of it was written.
fn write_whole(file: &mut impl AppendFile, line: &[u8]) -> Result<(), Partial> {
    let mut written = 0;
    while written < line.len() {
        match file.write(&line[written..]) {
            Ok(0) => {
                return Err(undo(file, written, io::ErrorKind::WriteZero.into()));
            }
            Ok(n) => written += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(undo(file, written, e)),
        }
    }
    Ok(())
}

fn undo(file: &mut impl AppendFile, written: usize, error: io::Error) -> Partial {
    if written == 0 || file.cut_back(written as u64).is_ok() {
        Partial::Gone(error)
    } else {
        Partial::Kept(error)
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

    #[cfg(unix)]
    #[test]
    fn a_log_renamed_or_deleted_away_is_followed_by_a_new_file_at_the_path() {
        let path = temp_path("rotated.log");
        let old = temp_path("rotated.log.1");
        let _ = std::fs::remove_file(&path);
        let writer = FileWriter::open_checking_every(&path, Duration::ZERO).unwrap();
        writer.write_line(b"one\n").unwrap();
        std::fs::rename(&path, &old).unwrap();
        writer.write_line(b"two\n").unwrap();
        assert_eq!(std::fs::read_to_string(&old).unwrap(), "one\n");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "two\n");
        std::fs::remove_file(&path).unwrap();
        writer.write_line(b"three\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "three\n");
        // Truncated in place (copytruncate): the same file, written from its end.
        std::fs::OpenOptions::new()
            .write(true)
            .open(&path)
            .unwrap()
            .set_len(0)
            .unwrap();
        writer.write_line(b"four\n").unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "four\n");
        std::fs::remove_file(&path).unwrap();
        std::fs::remove_file(&old).unwrap();
    }

    /// A file that takes `room` bytes and then reports the disk full.
    struct Full {
        bytes: Vec<u8>,
        room: usize,
        can_cut: bool,
    }

    impl Write for Full {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let n = buf.len().min(self.room - self.bytes.len().min(self.room));
            if n == 0 {
                return Err(io::ErrorKind::StorageFull.into());
            }
            self.bytes.extend_from_slice(&buf[..n]);
            Ok(n)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    impl AppendFile for Full {
        fn cut_back(&mut self, bytes: u64) -> io::Result<()> {
            if !self.can_cut {
                return Err(io::ErrorKind::PermissionDenied.into());
            }
            let keep = self.bytes.len() - usize::try_from(bytes).unwrap();
            self.bytes.truncate(keep);
            Ok(())
        }
    }

    #[test]
    fn a_line_cut_short_by_a_full_disk_is_taken_back_whole() {
        let mut file = Full {
            bytes: b"a\n".to_vec(),
            room: 6,
            can_cut: true,
        };
        assert!(matches!(
            write_whole(&mut file, b"line\n"),
            Err(Partial::Gone(_))
        ));
        assert_eq!(file.bytes, b"a\n");
        file.room = 100;
        assert!(write_whole(&mut file, b"line\n").is_ok());
        assert_eq!(file.bytes, b"a\nline\n");
        let mut stuck = Full {
            bytes: Vec::new(),
            room: 2,
            can_cut: false,
        };
        assert!(matches!(
            write_whole(&mut stuck, b"line\n"),
            Err(Partial::Kept(_))
        ));
        assert_eq!(stuck.bytes, b"li");
    }
}
