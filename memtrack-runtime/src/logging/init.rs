//! One-call setup: installing a [`JsonLayer`] as the process's global subscriber.

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use tracing::level_filters::LevelFilter;
use tracing_subscriber::layer::SubscriberExt;

use super::capture::CaptureWriter;
use super::env::read_env;
use super::error::LoggingError;
use super::layer::JsonLayer;

/// Installs `layer` as the global default subscriber (on a
/// `tracing_subscriber::Registry`, filtered at the layer's level).
///
/// # Errors
///
/// [`LoggingError::GlobalAlreadySet`] when a global subscriber already exists.
///
/// ```
/// use memtrack_runtime::logging::{install, JsonLayer};
/// use tracing::level_filters::LevelFilter;
///
/// if let Err(err) = install(JsonLayer::stdout().with_level(LevelFilter::WARN)) {
///     eprintln!("logging not set up: {err}");
/// }
/// ```
pub fn install(layer: JsonLayer) -> Result<(), LoggingError> {
    let subscriber = tracing_subscriber::registry()
        .with(layer.level())
        .with(layer);
    tracing::subscriber::set_global_default(subscriber).map_err(|_| LoggingError::GlobalAlreadySet)
}

/// Sends every event at `INFO` and above to standard output as flat JSON lines.
///
/// # Errors
///
/// [`LoggingError::GlobalAlreadySet`] when a global subscriber already exists.
///
/// ```
/// if let Err(err) = memtrack_runtime::logging::init_json() {
///     eprintln!("logging not set up: {err}");
/// }
/// tracing::info!(target: "memtrack", event = "memory_monitor_started", "memory_monitor_started");
/// ```
pub fn init_json() -> Result<(), LoggingError> {
    install(JsonLayer::stdout())
}

/// Appends every event at `INFO` and above to the file at `path` (created if
/// missing) as flat JSON lines. Returns the path.
///
/// # Errors
///
/// [`LoggingError::OpenFile`] naming the path and the cause when the file cannot be
/// opened; [`LoggingError::GlobalAlreadySet`] when a global subscriber already exists.
///
/// ```
/// let path = std::env::temp_dir().join("memtrack-doc-init.log");
/// match memtrack_runtime::logging::init_json_file(&path) {
///     Ok(path) => println!("logging to {}", path.display()),
///     Err(err) => eprintln!("logging not set up: {err}"),
/// }
/// ```
pub fn init_json_file(path: impl AsRef<Path>) -> Result<PathBuf, LoggingError> {
    refuse_if_already_set()?;
    let layer = JsonLayer::file(path.as_ref())?;
    install(layer)?;
    Ok(path.as_ref().to_path_buf())
}

/// Sets up JSON logging as the environment says: `MEMTRACK_LOG_FILE` (a path;
/// unset or empty: standard output) and `MEMTRACK_LOG_LEVEL` (`trace`, `debug`,
/// `info`, `warn`, `error` or `off`; unset or empty: `info`). Returns the file's
/// path when logging to a file.
///
/// # Errors
///
/// [`LoggingError::InvalidEnv`] for a bad level, [`LoggingError::OpenFile`] when the
/// file cannot be opened, [`LoggingError::GlobalAlreadySet`] when a global
/// subscriber already exists.
///
/// ```
/// match memtrack_runtime::logging::init_from_env() {
///     Ok(Some(path)) => println!("logging to {}", path.display()),
///     Ok(None) => println!("logging to standard output"),
///     Err(err) => eprintln!("logging not set up: {err}"),
/// }
/// ```
pub fn init_from_env() -> Result<Option<PathBuf>, LoggingError> {
    let settings = read_env()?;
    refuse_if_already_set()?;
    let layer = match &settings.file {
        Some(path) => JsonLayer::file(path)?,
        None => JsonLayer::stdout(),
    };
    install(layer.with_level(settings.level))?;
    Ok(settings.file)
}

/// [`LoggingError::GlobalAlreadySet`] before a log file is created or opened for a
/// subscriber that could not be installed. (Installing still reports it, should
/// another thread set one in between.)
fn refuse_if_already_set() -> Result<(), LoggingError> {
    if tracing::dispatcher::has_been_set() {
        Err(LoggingError::GlobalAlreadySet)
    } else {
        Ok(())
    }
}

impl JsonLayer {
    /// The layer [`init_from_env`] would install, to add to an existing subscriber.
    ///
    /// # Errors
    ///
    /// [`LoggingError::InvalidEnv`] for a bad level, [`LoggingError::OpenFile`] when
    /// the file cannot be opened.
    ///
    /// ```
    /// use memtrack_runtime::logging::JsonLayer;
    /// use tracing_subscriber::layer::SubscriberExt;
    ///
    /// let layer = JsonLayer::from_env()?;
    /// let subscriber = tracing_subscriber::registry().with(layer);
    /// # let _ = subscriber;
    /// # Ok::<(), memtrack_runtime::logging::LoggingError>(())
    /// ```
    pub fn from_env() -> Result<JsonLayer, LoggingError> {
        let settings = read_env()?;
        let layer = match &settings.file {
            Some(path) => JsonLayer::file(path)?,
            None => JsonLayer::stdout(),
        };
        Ok(layer.with_level(settings.level))
    }
}

/// The writer installed by [`try_capture_global`], and whether installing worked.
static CAPTURE: OnceLock<(CaptureWriter, bool)> = OnceLock::new();

/// Installs, once per process, a global subscriber that writes every event (all
/// levels) as JSON lines into a [`CaptureWriter`], and returns that writer; later
/// calls return the same writer.
///
/// Meant for tests: events emitted on any thread (a multi-threaded `tokio` runtime,
/// spawned threads) are captured, which a thread-local subscriber cannot do. All
/// tests of one test binary share the writer, so filter the lines by something
/// unique to each test (an operation name), or give such tests their own binary.
///
/// # Errors
///
/// [`LoggingError::GlobalAlreadySet`] when another global subscriber was installed
/// before the first call (every later call returns the same error).
///
/// ```
/// use memtrack_runtime::logging::try_capture_global;
///
/// let logs = try_capture_global()?;
/// std::thread::spawn(|| {
///     tracing::info!(target: "memtrack", event = "memory_operation", op_name = "doc-capture", "memory_operation: doc-capture");
/// })
/// .join()
/// .unwrap();
/// let mine: Vec<_> = logs
///     .events("memory_operation")
///     .into_iter()
///     .filter(|line| line["op_name"] == "doc-capture")
///     .collect();
/// assert_eq!(mine.len(), 1);
/// # Ok::<(), memtrack_runtime::logging::LoggingError>(())
/// ```
pub fn try_capture_global() -> Result<CaptureWriter, LoggingError> {
    let (writer, installed) = CAPTURE.get_or_init(|| {
        let writer = CaptureWriter::new();
        let layer = JsonLayer::new(writer.clone()).with_level(LevelFilter::TRACE);
        let installed = install(layer).is_ok();
        (writer, installed)
    });
    if *installed {
        Ok(writer.clone())
    } else {
        Err(LoggingError::GlobalAlreadySet)
    }
}

/// Like [`try_capture_global`], but always returns the writer: when another global
/// subscriber was installed first, the writer stays empty.
///
/// ```
/// let logs = memtrack_runtime::logging::capture_global();
/// tracing::warn!(target: "memtrack", event = "critical_rss_spike", rss_delta_mb = 420_i64, "critical_rss_spike");
/// let spikes = logs.events("critical_rss_spike");
/// assert_eq!(spikes.len(), 1);
/// assert_eq!(spikes[0]["rss_delta_mb"], 420);
/// assert!(logs.lines().len() >= 1);
/// ```
pub fn capture_global() -> CaptureWriter {
    match try_capture_global() {
        Ok(writer) => writer,
        Err(_) => CAPTURE
            .get()
            .map(|(writer, _)| writer.clone())
            .unwrap_or_default(),
    }
}
