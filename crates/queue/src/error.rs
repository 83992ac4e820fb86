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
