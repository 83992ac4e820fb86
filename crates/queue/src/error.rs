use crate::job::{JobId, JobState};

/// What can go wrong in the queue. `LeaseLost` is expected and must be handled: it means this worker
/// no longer owns the job (it was rescued, reclaimed or cancelled) and must not touch the provider.
#[derive(Debug, thiserror::Error)]
pub enum QueueError {
    #[error("job {job_id} is no longer leased by this worker (rescued, reclaimed or cancelled); drop its result")]
    LeaseLost { job_id: JobId },
    #[error("job {job_id} does not exist (it may have been pruned)")]
    NotFound { job_id: JobId },
    #[error("job {job_id} is {state}; cannot {action} it")]
    InvalidState {
        job_id: JobId,
        state: JobState,
        action: &'static str,
    },
    #[error("invalid job: {0}")]
    InvalidJob(String),
    #[error("job payload cannot be encoded as JSON: {0}")]
    Payload(#[from] serde_json::Error),
    #[error("unexpected value in jobs.{column}: {detail}")]
    Decode {
        column: &'static str,
        detail: String,
    },
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

/// A database failure that retrying will not fix: the dispatcher must stop and show it, not burn
/// attempts (nothing already queued is lost: the failed statement changed nothing).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StorageFailure {
    /// SQLITE_FULL: the disk is full.
    Full,
    /// SQLITE_READONLY / SQLITE_CANTOPEN / SQLITE_PERM: the file or folder cannot be written.
    ReadOnly,
    /// SQLITE_IOERR: the disk failed.
    Io,
    /// SQLITE_CORRUPT / SQLITE_NOTADB.
    Corrupt,
}

impl QueueError {
    /// `Some` when the error is the database refusing writes for good (full, read-only, I/O, corrupt).
    pub fn storage_failure(&self) -> Option<StorageFailure> {
        let QueueError::Sqlx(e) = self else {
            return None;
        };
        let code: i32 = e.as_database_error()?.code()?.parse().ok()?;
        // The primary result code is the low byte of an extended one.
        match code & 0xff {
            13 => Some(StorageFailure::Full),
            3 | 8 | 14 => Some(StorageFailure::ReadOnly),
            10 => Some(StorageFailure::Io),
            11 | 26 => Some(StorageFailure::Corrupt),
            _ => None,
        }
    }
}
