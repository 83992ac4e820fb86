//! Logging: `tracing` to stderr and to a daily-rolling file. `RUST_LOG` overrides the default
//! filter. Secrets never reach a log line because they are `Secret` (prints `***`) and span fields
//! only carry ids and names.

use std::path::Path;

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// File name prefix of the log files (`mostrador.log.2026-11-23`).
pub const LOG_FILE_PREFIX: &str = "mostrador.log";

const DEFAULT_FILTER: &str = "info,mostrador=debug,mostrador_core=debug";

/// Keeps the file writer alive; dropping it flushes pending lines.
pub struct LogGuard {
    _file: WorkerGuard,
}

#[derive(Debug, thiserror::Error)]
pub enum LoggingError {
    #[error("cannot create the log directory {path}: {source}")]
    Dir {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
    #[error("logging was already initialized")]
    AlreadyInitialized,
}

/// Installs the global subscriber: stderr plus a daily file in `log_dir`.
pub fn init(log_dir: &Path) -> Result<LogGuard, LoggingError> {
    std::fs::create_dir_all(log_dir).map_err(|source| LoggingError::Dir {
        path: log_dir.to_owned(),
        source,
    })?;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let appender = tracing_appender::rolling::daily(log_dir, LOG_FILE_PREFIX);
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(fmt::layer().with_ansi(false).with_writer(file_writer))
        .try_init()
        .map_err(|_| LoggingError::AlreadyInitialized)?;
    Ok(LogGuard { _file: guard })
}
