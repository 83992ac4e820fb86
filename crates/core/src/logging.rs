//! Logging: `tracing` to stderr and to a daily-rolling file. `RUST_LOG` overrides the default
//! filter. Secrets never reach a log line because they are `Secret` (prints `***`) and span fields
//! only carry ids and names.
//!
//! Log files rotate out: at start-up every `mostrador.log.YYYY-MM-DD` older than
//! [`LogOptions::keep_days`] days is deleted, and while the app runs the appender keeps at most
//! that many daily files. `MOSTRADOR_LOG_KEEP_DAYS` sets it (default 14).

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};

use tracing_appender::non_blocking::WorkerGuard;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{fmt, EnvFilter};

/// File name prefix of the log files (`mostrador.log.2026-11-23`).
pub const LOG_FILE_PREFIX: &str = "mostrador.log";

const DEFAULT_FILTER: &str = "info,mostrador=debug,mostrador_core=debug";

/// Environment variable: how many days of log files to keep.
pub const KEEP_DAYS_ENV: &str = "MOSTRADOR_LOG_KEEP_DAYS";
pub const DEFAULT_KEEP_DAYS: u16 = 14;

/// How logging is set up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogOptions {
    /// Days of log files kept, today included (at least 1).
    pub keep_days: u16,
}

impl Default for LogOptions {
    fn default() -> Self {
        LogOptions {
            keep_days: DEFAULT_KEEP_DAYS,
        }
    }
}

impl LogOptions {
    /// The defaults, with `MOSTRADOR_LOG_KEEP_DAYS` applied when it is a positive number.
    pub fn from_env() -> Self {
        let mut options = LogOptions::default();
        if let Ok(raw) = std::env::var(KEEP_DAYS_ENV) {
            match raw.trim().parse::<u16>() {
                Ok(days) if days > 0 => options.keep_days = days,
                _ => eprintln!(
                    "Mostrador: ignoring {KEEP_DAYS_ENV}={raw:?} (expected a number of days, 1 or more); keeping {} days",
                    options.keep_days
                ),
            }
        }
        options
    }
}

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
    #[error("cannot open a log file in {path}: {source}")]
    File {
        path: std::path::PathBuf,
        source: tracing_appender::rolling::InitError,
    },
    #[error("logging was already initialized")]
    AlreadyInitialized,
}

/// Installs the global subscriber: stderr plus a daily file in `log_dir`, with the options from
/// the environment ([`LogOptions::from_env`]).
pub fn init(log_dir: &Path) -> Result<LogGuard, LoggingError> {
    init_with(log_dir, LogOptions::from_env())
}

/// Installs the global subscriber: stderr plus a daily file in `log_dir`.
pub fn init_with(log_dir: &Path, options: LogOptions) -> Result<LogGuard, LoggingError> {
    std::fs::create_dir_all(log_dir).map_err(|source| LoggingError::Dir {
        path: log_dir.to_owned(),
        source,
    })?;
    let keep_days = options.keep_days.max(1);
    // Before the subscriber exists: report on stderr, and never fail start-up over old files.
    let removed = match prune_old_logs(log_dir, Utc::now().date_naive(), keep_days) {
        Ok(removed) => removed,
        Err(e) => {
            eprintln!("Mostrador: cannot remove old log files: {e}");
            Vec::new()
        }
    };
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    // The appender names files by UTC date (as `prune_old_logs` reads them) and, while running,
    // keeps at most `keep_days` of them (one per day).
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix(LOG_FILE_PREFIX)
        .max_log_files(usize::from(keep_days))
        .build(log_dir)
        .map_err(|source| LoggingError::File {
            path: log_dir.to_owned(),
            source,
        })?;
    let (file_writer, guard) = tracing_appender::non_blocking(appender);
    tracing_subscriber::registry()
        .with(filter)
        .with(fmt::layer().with_writer(std::io::stderr))
        .with(fmt::layer().with_ansi(false).with_writer(file_writer))
        .try_init()
        .map_err(|_| LoggingError::AlreadyInitialized)?;
    tracing::debug!(
        keep_days,
        removed = removed.len(),
        "old log files rotated out"
    );
    Ok(LogGuard { _file: guard })
}

/// Deletes the daily log files (`mostrador.log.YYYY-MM-DD`) older than `keep_days` days counted
/// back from `today` (today's file is day 1). Other files are left alone. Returns what it removed.
pub fn prune_old_logs(
    log_dir: &Path,
    today: NaiveDate,
    keep_days: u16,
) -> std::io::Result<Vec<PathBuf>> {
    let oldest_kept = today - chrono::Days::new(u64::from(keep_days.max(1)) - 1);
    let mut removed = Vec::new();
    for entry in std::fs::read_dir(log_dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let Some(date) = name
            .to_str()
            .and_then(|n| n.strip_prefix(LOG_FILE_PREFIX))
            .and_then(|rest| rest.strip_prefix('.'))
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        else {
            continue;
        };
        if date < oldest_kept && entry.file_type()?.is_file() {
            std::fs::remove_file(entry.path())?;
            removed.push(entry.path());
        }
    }
    removed.sort();
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn old_daily_files_rotate_out_and_nothing_else_is_touched() {
        let dir = tempfile::tempdir().unwrap();
        let today = day("2026-11-29");
        // 20 days of logs, today included, plus files that are not Mostrador's daily logs.
        for back in 0..20u64 {
            let date = today - chrono::Days::new(back);
            std::fs::write(dir.path().join(format!("{LOG_FILE_PREFIX}.{date}")), "x").unwrap();
        }
        for other in [
            "notes.txt",
            "mostrador.log.backup",
            "mostrador.log.2020-13-40",
        ] {
            std::fs::write(dir.path().join(other), "x").unwrap();
        }

        let removed = prune_old_logs(dir.path(), today, 14).unwrap();
        assert_eq!(removed.len(), 6);

        let mut left: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .collect();
        left.sort();
        let daily: Vec<&String> = left
            .iter()
            .filter(|n| n.starts_with("mostrador.log.2026"))
            .collect();
        assert_eq!(daily.len(), 14);
        assert_eq!(
            daily[0], "mostrador.log.2026-11-16",
            "oldest kept: 14 days back, today included"
        );
        assert_eq!(daily[13], "mostrador.log.2026-11-29");
        for other in [
            "notes.txt",
            "mostrador.log.backup",
            "mostrador.log.2020-13-40",
        ] {
            assert!(left.iter().any(|n| n == other), "{other} was removed");
        }

        // Keeping one day keeps only today's file.
        prune_old_logs(dir.path(), today, 1).unwrap();
        assert!(dir.path().join("mostrador.log.2026-11-29").exists());
        assert!(!dir.path().join("mostrador.log.2026-11-28").exists());
    }

    #[test]
    fn keep_days_comes_from_the_environment_when_valid() {
        // One test touches the variable, so tests running in parallel do not race on it.
        std::env::set_var(KEEP_DAYS_ENV, "30");
        assert_eq!(LogOptions::from_env().keep_days, 30);
        for bad in ["0", "-3", "dos semanas", ""] {
            std::env::set_var(KEEP_DAYS_ENV, bad);
            assert_eq!(
                LogOptions::from_env().keep_days,
                DEFAULT_KEEP_DAYS,
                "{bad:?}"
            );
        }
        std::env::remove_var(KEEP_DAYS_ENV);
        assert_eq!(LogOptions::from_env(), LogOptions::default());
    }
}
