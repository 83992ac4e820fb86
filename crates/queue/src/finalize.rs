//! What a worker does with a leased job: mark the send as started, then finish it. Every update
//! here is fenced by the [`Lease`], so a worker that lost its job cannot touch it.

use chrono::{DateTime, Utc};
use sqlx::SqliteConnection;

use crate::clock::ts;
use crate::job::{JobError, JobId, Lease};
use crate::{Queue, QueueError};

/// The fence: still running, still ours, still the same claim.
const FENCE: &str = "id = ?1 AND state = 'running' AND lease_owner = ?2 AND claims = ?3";

/// Appends one entry to `errors` (?4 = now, ?5 class, ?6 code, ?7 message; attempt = `attempts`).
const APPEND_ERROR: &str = "errors = json_insert(errors, '$[#]', json_object('attempt', attempts, \
    'at', ?4, 'class', ?5, 'code', ?6, 'message', ?7))";

/// What [`Queue::retry_at`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RetryOutcome {
    /// Back in the queue (`retryable`) for `run_at`.
    Scheduled,
    /// `max_attempts` reached: moved to the dead letter (`discarded`) instead.
    Exhausted,
}

impl Queue {
    /// Records that the provider call is about to start. Must succeed (and commit) BEFORE the call:
    /// if the process dies after this, the job becomes `in_doubt`, never silently resent.
    /// `LeaseLost` means: do not call the provider.
    pub async fn mark_send_started(&self, lease: &Lease) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.mark_send_started_in(&mut conn, lease).await
    }

    /// [`Queue::mark_send_started`] in the caller's transaction; the provider call may start only
    /// once that transaction has committed.
    pub async fn mark_send_started_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
    ) -> Result<(), QueueError> {
        let sql = format!("UPDATE jobs SET send_started_at = ?4, updated_at = ?4 WHERE {FENCE}");
        let done = bind_lease(sqlx::query(&sql), lease)
            .bind(ts(self.now()))
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)
    }

    /// Marks many sends as started in one transaction (one commit, one fsync: group commit before
    /// a burst of provider calls). Returns the ids whose lease was lost: do not send those.
    pub async fn mark_send_started_many(&self, leases: &[Lease]) -> Result<Vec<JobId>, QueueError> {
        let mut tx = self.inner.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut lost = Vec::new();
        for lease in leases {
            match self.mark_send_started_in(&mut tx, lease).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost { job_id }) => lost.push(job_id),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        Ok(lost)
    }

    /// The job succeeded.
    pub async fn complete(&self, lease: &Lease) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.complete_in(&mut conn, lease).await?;
        // Leaving `running` may unblock the next job of its serial_key.
        self.notify();
        Ok(())
    }

    /// [`Queue::complete`] in the caller's transaction (e.g. together with storing the provider's id).
    pub async fn complete_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
    ) -> Result<(), QueueError> {
        let sql = format!(
            "UPDATE jobs SET state = 'completed', finished_at = ?4, updated_at = ?4, \
               lease_owner = NULL, lease_until = NULL WHERE {FENCE}"
        );
        let done = bind_lease(sqlx::query(&sql), lease)
            .bind(ts(self.now()))
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)
    }

    /// [`Queue::complete`], storing `result` (JSON) on the job, e.g. the provider's message id.
    pub async fn complete_with(
        &self,
        lease: &Lease,
        result: &impl serde::Serialize,
    ) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.complete_with_in(&mut conn, lease, result).await?;
        self.notify();
        Ok(())
    }

    /// [`Queue::complete_with`] in the caller's transaction.
    pub async fn complete_with_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
        result: &impl serde::Serialize,
    ) -> Result<(), QueueError> {
        let result = serde_json::to_string(result)?;
        let sql = format!(
            "UPDATE jobs SET state = 'completed', finished_at = ?4, updated_at = ?4, result = ?5, \
               lease_owner = NULL, lease_until = NULL WHERE {FENCE}"
        );
        let done = bind_lease(sqlx::query(&sql), lease)
            .bind(ts(self.now()))
            .bind(result)
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)
    }

    /// Completes many jobs in one transaction (one commit). Returns the ids whose lease was lost;
    /// those were left untouched, the others completed.
    pub async fn complete_many(&self, leases: &[Lease]) -> Result<Vec<JobId>, QueueError> {
        let mut tx = self.inner.writer.begin_with("BEGIN IMMEDIATE").await?;
        let mut lost = Vec::new();
        for lease in leases {
            match self.complete_in(&mut tx, lease).await {
                Ok(()) => {}
                Err(QueueError::LeaseLost { job_id }) => lost.push(job_id),
                Err(e) => return Err(e),
            }
        }
        tx.commit().await?;
        self.notify();
        Ok(lost)
    }

    /// The attempt failed and may be retried at `run_at` (the caller's backoff). Out of attempts ⇒
    /// `discarded` instead. The error is appended to `errors` either way.
    pub async fn retry_at(
        &self,
        lease: &Lease,
        run_at: DateTime<Utc>,
        error: &JobError,
    ) -> Result<RetryOutcome, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let out = self.retry_at_in(&mut conn, lease, run_at, error).await?;
        // Leaving `running` may unblock the next job of its serial_key.
        self.notify();
        Ok(out)
    }

    /// [`Queue::retry_at`] in the caller's transaction.
    pub async fn retry_at_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
        run_at: DateTime<Utc>,
        error: &JobError,
    ) -> Result<RetryOutcome, QueueError> {
        let sql = format!(
            "UPDATE jobs SET \
               state = CASE WHEN attempts >= max_attempts THEN 'discarded' ELSE 'retryable' END, \
               finished_at = CASE WHEN attempts >= max_attempts THEN ?4 END, \
               run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE ?8 END, \
               send_started_at = NULL, lease_owner = NULL, lease_until = NULL, updated_at = ?4, \
               {APPEND_ERROR} \
             WHERE {FENCE} RETURNING state"
        );
        let state: Option<String> = bind_error(bind_lease(sqlx::query(&sql), lease), self, error)
            .bind(ts(run_at))
            .fetch_optional(&mut *conn)
            .await?
            .map(|row: sqlx::sqlite::SqliteRow| sqlx::Row::get(&row, 0));
        match state.as_deref() {
            None => Err(QueueError::LeaseLost {
                job_id: lease.job_id,
            }),
            Some("discarded") => Ok(RetryOutcome::Exhausted),
            Some(_) => Ok(RetryOutcome::Scheduled),
        }
    }

    /// The job failed for good: dead letter, with the error appended.
    pub async fn discard(&self, lease: &Lease, error: &JobError) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.discard_in(&mut conn, lease, error).await?;
        // Leaving `running` may unblock the next job of its serial_key.
        self.notify();
        Ok(())
    }

    /// [`Queue::discard`] in the caller's transaction (e.g. together with a fallback child job).
    pub async fn discard_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
        error: &JobError,
    ) -> Result<(), QueueError> {
        let sql = format!(
            "UPDATE jobs SET state = 'discarded', finished_at = ?4, updated_at = ?4, \
               lease_owner = NULL, lease_until = NULL, {APPEND_ERROR} WHERE {FENCE}"
        );
        let done = bind_error(bind_lease(sqlx::query(&sql), lease), self, error)
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)
    }

    /// The provider may have received the request (timeout after sending, `MaybeSent`): never
    /// retried automatically; see [`Queue::resolve_sent`] and [`Queue::retry_dead`].
    pub async fn in_doubt(&self, lease: &Lease, error: &JobError) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        self.in_doubt_in(&mut conn, lease, error).await?;
        // Leaving `running` may unblock the next job of its serial_key.
        self.notify();
        Ok(())
    }

    /// [`Queue::in_doubt`] in the caller's transaction.
    pub async fn in_doubt_in(
        &self,
        conn: &mut SqliteConnection,
        lease: &Lease,
        error: &JobError,
    ) -> Result<(), QueueError> {
        let sql = format!(
            "UPDATE jobs SET state = 'in_doubt', updated_at = ?4, \
               lease_owner = NULL, lease_until = NULL, {APPEND_ERROR} WHERE {FENCE}"
        );
        let done = bind_error(bind_lease(sqlx::query(&sql), lease), self, error)
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)
    }

    /// Puts the job back untouched until `run_at` without consuming the attempt (e.g. the token is
    /// missing from the keychain: wait, don't burn attempts). Refused once the send has started.
    pub async fn snooze(&self, lease: &Lease, run_at: DateTime<Utc>) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let sql = format!(
            "UPDATE jobs SET state = CASE WHEN ?5 > ?4 THEN 'scheduled' ELSE 'available' END, \
               run_at = ?5, attempts = max(attempts - 1, 0), updated_at = ?4, \
               lease_owner = NULL, lease_until = NULL \
             WHERE {FENCE} AND send_started_at IS NULL"
        );
        let done = bind_lease(sqlx::query(&sql), lease)
            .bind(ts(self.now()))
            .bind(ts(run_at))
            .execute(&mut *conn)
            .await?;
        if done.rows_affected() == 1 {
            self.notify();
            return Ok(());
        }
        match self.get_on(&mut conn, lease.job_id).await? {
            Some(job) if job.state == crate::JobState::Running && job.claims == lease.token => {
                Err(QueueError::InvalidState {
                    job_id: lease.job_id,
                    state: job.state,
                    action: "snooze (its send already started; mark it in doubt)",
                })
            }
            _ => Err(QueueError::LeaseLost {
                job_id: lease.job_id,
            }),
        }
    }
    /// The provider definitely refused the request after `send_started_at` was set (rate limited:
    /// 130429, 131056 — nothing was sent): back to waiting until `run_at` without consuming the
    /// attempt, `send_started_at` cleared, the refusal appended to `errors`. Only for answers that
    /// prove nothing was accepted; anything ambiguous is [`Queue::in_doubt`].
    pub async fn snooze_refused(
        &self,
        lease: &Lease,
        run_at: DateTime<Utc>,
        error: &JobError,
    ) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let sql = format!(
            "UPDATE jobs SET state = CASE WHEN ?8 > ?4 THEN 'scheduled' ELSE 'available' END, \
               run_at = ?8, {APPEND_ERROR}, attempts = max(attempts - 1, 0), \
               send_started_at = NULL, updated_at = ?4, lease_owner = NULL, lease_until = NULL \
             WHERE {FENCE}"
        );
        let done = bind_error(bind_lease(sqlx::query(&sql), lease), self, error)
            .bind(ts(run_at))
            .execute(&mut *conn)
            .await?;
        fenced(done.rows_affected(), lease)?;
        self.notify();
        Ok(())
    }
}

fn bind_lease<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    lease: &Lease,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(lease.job_id.0)
        .bind(lease.owner.to_string())
        .bind(lease.token)
}

fn bind_error<'q>(
    q: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>>,
    queue: &Queue,
    error: &JobError,
) -> sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments<'q>> {
    q.bind(ts(queue.now()))
        .bind(error.class.clone())
        .bind(error.code.clone())
        .bind(error.message.clone())
}

fn fenced(rows: u64, lease: &Lease) -> Result<(), QueueError> {
    if rows == 1 {
        Ok(())
    } else {
        Err(QueueError::LeaseLost {
            job_id: lease.job_id,
        })
    }
}
