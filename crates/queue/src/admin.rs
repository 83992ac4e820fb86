//! What the owner and the health page do: look, cancel, retry the dead letter, resolve in-doubt
//! jobs, count.

use chrono::{DateTime, Utc};
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use crate::clock::{parse_ts, ts};
use crate::job::{Job, JobId, JobState, COLUMNS};
use crate::{Queue, QueueError};

/// A page of [`Queue::list`], newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub jobs: Vec<Job>,
    /// Pass as `before` for the next page; `None` on the last page.
    pub next: Option<JobId>,
}

/// What [`Queue::list`] returns: one state, optionally one org, keyset-paginated by id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListQuery {
    pub state: JobState,
    pub org_id: Option<Uuid>,
    /// Only jobs with a smaller id (the previous page's `next`).
    pub before: Option<JobId>,
    pub limit: u32,
}

/// Jobs of one (org, lane) in one state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Depth {
    pub org_id: Uuid,
    pub lane: String,
    pub state: JobState,
    pub count: u64,
}

/// The longest-waiting claimable job of one (org, lane).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OldestWaiting {
    pub org_id: Uuid,
    pub lane: String,
    /// When it became due.
    pub since: DateTime<Utc>,
    pub age: chrono::Duration,
}

impl Queue {
    /// One job, or `None` if it does not exist (or was pruned).
    pub async fn get(&self, id: JobId) -> Result<Option<Job>, QueueError> {
        let mut conn = self.inner.reader.acquire().await?;
        self.get_on(&mut conn, id).await
    }

    pub(crate) async fn get_on(
        &self,
        conn: &mut SqliteConnection,
        id: JobId,
    ) -> Result<Option<Job>, QueueError> {
        let sql = format!("SELECT {COLUMNS} FROM jobs WHERE id = ?1");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await?;
        row.as_ref().map(Job::from_row).transpose()
    }

    /// Stops a job that is not running: waiting, in doubt, or in the dead letter (there it means
    /// "drop it"). A running job cannot be cancelled (its send may be on the wire).
    pub async fn cancel(&self, id: JobId) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let done = sqlx::query(
            "UPDATE jobs SET state = 'cancelled', finished_at = ?2, updated_at = ?2 \
             WHERE id = ?1 AND state IN ('scheduled', 'available', 'retryable', 'in_doubt', 'discarded')",
        )
        .bind(id.0)
        .bind(ts(self.now()))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            self.notify();
            return Ok(());
        }
        Err(self.refusal(&mut conn, id, "cancel").await)
    }

    /// Owner-initiated retry of a dead-letter (`discarded`, `cancelled`) or `in_doubt` job ("Reintentar",
    /// "reenviar"): back to `available` now with attempts reset to 0 (a fresh series; `errors` keeps
    /// the history), and `expires_at` set to the given value (the old one has usually passed).
    /// For an in-doubt job this is the owner accepting the risk of a double send.
    pub async fn retry_dead(
        &self,
        id: JobId,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<(), QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let now = ts(self.now());
        let done = sqlx::query(
            "UPDATE jobs SET state = 'available', attempts = 0, run_at = ?2, expires_at = ?3, \
               send_started_at = NULL, finished_at = NULL, updated_at = ?2 \
             WHERE id = ?1 AND state IN ('discarded', 'cancelled', 'in_doubt')",
        )
        .bind(id.0)
        .bind(&now)
        .bind(expires_at.map(ts))
        .execute(&mut *conn)
        .await?;
        if done.rows_affected() == 1 {
            self.notify();
            return Ok(());
        }
        Err(self.refusal(&mut conn, id, "retry").await)
    }

    /// Evidence shows the in-doubt job's request did reach the provider (a status webhook carrying
    /// its id, a provider lookup): `completed`, with the evidence noted in `errors`' history.
    /// Returns `false` if the job is not in doubt (already resolved, or still running): the caller
    /// decides what the evidence means then.
    pub async fn resolve_sent(&self, id: JobId, evidence: &str) -> Result<bool, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let out = self.resolve_sent_in(&mut conn, id, evidence).await?;
        if out {
            self.notify();
        }
        Ok(out)
    }

    /// [`Queue::resolve_sent`] in the caller's transaction (with the message status update).
    pub async fn resolve_sent_in(
        &self,
        conn: &mut SqliteConnection,
        id: JobId,
        evidence: &str,
    ) -> Result<bool, QueueError> {
        let done = sqlx::query(
            "UPDATE jobs SET state = 'completed', finished_at = ?2, updated_at = ?2, \
               errors = json_insert(errors, '$[#]', json_object('attempt', attempts, 'at', ?2, \
                 'class', 'resolved_sent', 'code', NULL, 'message', ?3)) \
             WHERE id = ?1 AND state = 'in_doubt'",
        )
        .bind(id.0)
        .bind(ts(self.now()))
        .bind(evidence)
        .execute(&mut *conn)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Jobs in one state, newest first, `limit` per page (keyset on id: stable while rows change).
    pub async fn list(&self, q: &ListQuery) -> Result<Page, QueueError> {
        // Settled states are listed through `jobs_settled`, whose WHERE term must appear verbatim;
        // the optional filters are left out of the SQL (not `?2 IS NULL OR …`) so the index is used.
        let mut sql = format!("SELECT {COLUMNS} FROM jobs WHERE state = ?1");
        if !q.state.is_waiting() {
            sql.push_str(
                " AND state IN ('running', 'completed', 'discarded', 'cancelled', 'in_doubt')",
            );
        }
        if q.org_id.is_some() {
            sql.push_str(" AND org_id = ?2");
        }
        if q.before.is_some() {
            sql.push_str(" AND id < ?3");
        }
        sql.push_str(" ORDER BY id DESC LIMIT ?4");
        let limit = q.limit.max(1);
        let rows = sqlx::query(&sql)
            .bind(q.state.as_str())
            .bind(q.org_id.map(|o| o.hyphenated().to_string()))
            .bind(q.before.map(|b| b.0))
            .bind(i64::from(limit))
            .fetch_all(&self.inner.reader)
            .await?;
        let jobs = rows
            .iter()
            .map(Job::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let next = (jobs.len() == limit as usize)
            .then(|| jobs.last().map(|j| j.id))
            .flatten();
        Ok(Page { jobs, next })
    }

    /// How many jobs each (org, lane) has in each state, completed ones excluded (they are only
    /// history and the bulk of the table).
    pub async fn counts(&self) -> Result<Vec<Depth>, QueueError> {
        let rows = sqlx::query(
            "SELECT org_id, lane, state, count(*) AS n FROM jobs \
             WHERE state IN ('scheduled', 'available', 'running', 'retryable', 'discarded', \
                             'cancelled', 'in_doubt') \
             GROUP BY org_id, lane, state ORDER BY org_id, lane, state",
        )
        .fetch_all(&self.inner.reader)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(Depth {
                    org_id: uuid_col(row, "org_id")?,
                    lane: row.try_get("lane")?,
                    state: row.try_get::<String, _>("state")?.parse()?,
                    count: row.try_get::<i64, _>("n")? as u64,
                })
            })
            .collect()
    }

    /// Per (org, lane), the due, unexpired waiting job that has waited longest.
    pub async fn oldest_waiting(&self) -> Result<Vec<OldestWaiting>, QueueError> {
        let now = self.now();
        let rows = sqlx::query(
            "SELECT org_id, lane, min(run_at) AS since FROM jobs \
             WHERE state IN ('scheduled', 'available', 'retryable') AND run_at <= ?1 \
               AND (expires_at IS NULL OR expires_at > ?1) \
             GROUP BY org_id, lane ORDER BY org_id, lane",
        )
        .bind(ts(now))
        .fetch_all(&self.inner.reader)
        .await?;
        rows.iter()
            .map(|row| {
                let since = parse_ts("run_at", &row.try_get::<String, _>("since")?)?;
                Ok(OldestWaiting {
                    org_id: uuid_col(row, "org_id")?,
                    lane: row.try_get("lane")?,
                    since,
                    age: now - since,
                })
            })
            .collect()
    }

    /// Why an update by id matched nothing.
    async fn refusal(
        &self,
        conn: &mut SqliteConnection,
        id: JobId,
        action: &'static str,
    ) -> QueueError {
        match self.get_on(conn, id).await {
            Ok(Some(job)) => QueueError::InvalidState {
                job_id: id,
                state: job.state,
                action,
            },
            Ok(None) => QueueError::NotFound { job_id: id },
            Err(e) => e,
        }
    }
}

fn uuid_col(row: &sqlx::sqlite::SqliteRow, col: &'static str) -> Result<Uuid, QueueError> {
    let s: String = row.try_get(col)?;
    Uuid::parse_str(&s).map_err(|e| QueueError::Decode {
        column: col,
        detail: format!("{s:?}: {e}"),
    })
}
