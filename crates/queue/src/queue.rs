//! The queue handle: pools, clock, boot id, wake-ups, and enqueue.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use sqlx::{SqliteConnection, SqlitePool};
use tokio::sync::Notify;

use crate::clock::{ts, Clock, SystemClock};
use crate::job::{BootId, Enqueued, JobId, NewJob};
use crate::QueueError;

/// Tunables; the defaults are the design's (§5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueueConfig {
    /// How long a claim holds a job before [`Queue::rescue`] may take it back from this same boot.
    /// Longer than any handler's own timeout.
    pub lease: Duration,
    /// Slow poll while nothing signals: catches jobs becoming due (run_at) and missed signals.
    pub backstop_poll: Duration,
    /// Completed jobs are pruned this long after finishing.
    pub completed_retention: chrono::Duration,
    /// Discarded and cancelled jobs (the dead letter) are pruned this long after finishing.
    pub discarded_retention: chrono::Duration,
    /// Rows deleted per pruning statement, so the write lock is held briefly.
    pub prune_batch: u32,
}

impl Default for QueueConfig {
    fn default() -> Self {
        QueueConfig {
            lease: Duration::from_secs(5 * 60),
            backstop_poll: Duration::from_secs(1),
            completed_retention: chrono::Duration::hours(24),
            discarded_retention: chrono::Duration::days(30),
            prune_batch: 1000,
        }
    }
}

/// Handle to the queue (cheap to clone). It owns no connection of its own: it writes on the pool it
/// is given (the app's single write connection) and reads on the reader pool if one is set.
#[derive(Debug, Clone)]
pub struct Queue {
    pub(crate) inner: Arc<Inner>,
}

#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) writer: SqlitePool,
    pub(crate) reader: SqlitePool,
    pub(crate) boot_id: BootId,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) config: QueueConfig,
    pub(crate) notify: Notify,
}

/// Builds a [`Queue`]; only the write pool is required.
#[derive(Debug)]
pub struct QueueBuilder {
    writer: SqlitePool,
    reader: Option<SqlitePool>,
    boot_id: Option<BootId>,
    clock: Arc<dyn Clock>,
    config: QueueConfig,
}

impl QueueBuilder {
    /// Read-only pool for listings and counts (defaults to the write pool).
    pub fn reader(mut self, pool: SqlitePool) -> Self {
        self.reader = Some(pool);
        self
    }
    /// Defaults to a fresh [`BootId`]; tests set it to simulate a restart.
    pub fn boot_id(mut self, id: BootId) -> Self {
        self.boot_id = Some(id);
        self
    }
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }
    pub fn config(mut self, config: QueueConfig) -> Self {
        self.config = config;
        self
    }
    pub fn build(self) -> Queue {
        Queue {
            inner: Arc::new(Inner {
                reader: self.reader.unwrap_or_else(|| self.writer.clone()),
                writer: self.writer,
                boot_id: self.boot_id.unwrap_or_default(),
                clock: self.clock,
                config: self.config,
                notify: Notify::new(),
            }),
        }
    }
}

/// Wakes the dispatcher once the caller's transaction has committed (see [`Queue::enqueue_in`]).
///
/// Call [`Wake::after_commit`] right after `commit()`. If it is dropped instead, it still wakes the
/// dispatcher (a wake-up before the commit is harmless: the dispatcher finds nothing yet and the
/// backstop poll picks the job up), so forgetting costs latency, never a lost job.
#[must_use = "call .after_commit() once the transaction has committed, so the dispatcher wakes now"]
#[derive(Debug)]
pub struct Wake {
    queue: Queue,
    armed: bool,
}

impl Wake {
    pub fn after_commit(mut self) {
        self.armed = false;
        self.queue.notify();
    }

    /// Combines two wake-ups from the same transaction into one.
    pub fn merge(mut self, mut other: Wake) -> Wake {
        self.armed |= other.armed;
        other.armed = false;
        self
    }
}

impl Drop for Wake {
    fn drop(&mut self) {
        if self.armed {
            self.queue.notify();
        }
    }
}

impl Queue {
    pub fn builder(writer: SqlitePool) -> QueueBuilder {
        QueueBuilder {
            writer,
            reader: None,
            boot_id: None,
            clock: Arc::new(SystemClock),
            config: QueueConfig::default(),
        }
    }

    /// A queue with the system clock, a fresh boot id and the default configuration.
    pub fn new(writer: SqlitePool) -> Queue {
        Self::builder(writer).build()
    }

    pub fn boot_id(&self) -> BootId {
        self.inner.boot_id
    }

    pub fn config(&self) -> &QueueConfig {
        &self.inner.config
    }

    /// "Now" by the queue's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.inner.clock.now()
    }

    pub fn writer(&self) -> &SqlitePool {
        &self.inner.writer
    }

    /// Signals the dispatcher that work may be ready (after a commit that made a job claimable).
    pub fn notify(&self) {
        // notify_one keeps a permit when nobody waits, so a signal between two waits is not lost.
        self.inner.notify.notify_one();
    }

    /// Waits until [`Queue::notify`] is called or the backstop poll interval passes.
    pub async fn wait_for_work(&self) {
        let _ = tokio::time::timeout(
            self.inner.config.backstop_poll,
            self.inner.notify.notified(),
        )
        .await;
    }

    /// Enqueues on the write pool (autocommit) and wakes the dispatcher.
    pub async fn enqueue(&self, job: &NewJob) -> Result<Enqueued, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let out = self.insert(&mut conn, job).await?;
        drop(conn);
        if let Enqueued::Inserted(_) = out {
            self.notify();
        }
        Ok(out)
    }

    /// Enqueues inside the caller's transaction (pass `&mut *tx`): the job exists if and only if the
    /// transaction commits. Call `.after_commit()` on the returned [`Wake`] after committing.
    pub async fn enqueue_in(
        &self,
        conn: &mut SqliteConnection,
        job: &NewJob,
    ) -> Result<(Enqueued, Wake), QueueError> {
        let out = self.insert(conn, job).await?;
        let wake = Wake {
            queue: self.clone(),
            armed: matches!(out, Enqueued::Inserted(_)),
        };
        Ok((out, wake))
    }

    async fn insert(
        &self,
        conn: &mut SqliteConnection,
        job: &NewJob,
    ) -> Result<Enqueued, QueueError> {
        job.validate()?;
        let now = self.now();
        let run_at = job.run_at.unwrap_or(now);
        let state = if run_at > now {
            "scheduled"
        } else {
            "available"
        };
        let org = job.org_id.hyphenated().to_string();
        let inserted: Option<i64> = sqlx::query_scalar(
            "INSERT INTO jobs (org_id, kind, payload, state, priority, run_at, max_attempts, \
                 expires_at, unique_key, serial_key, parent_id, created_at, updated_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) \
             ON CONFLICT DO NOTHING RETURNING id",
        )
        .bind(&org)
        .bind(&job.kind)
        .bind(&job.payload)
        .bind(state)
        .bind(i64::from(job.priority.get()))
        .bind(ts(run_at))
        .bind(i64::from(job.max_attempts))
        .bind(job.expires_at.map(ts))
        .bind(&job.unique_key)
        .bind(&job.serial_key)
        .bind(job.parent_id.map(|p| p.0))
        .bind(ts(now))
        .fetch_optional(&mut *conn)
        .await?;
        if let Some(id) = inserted {
            return Ok(Enqueued::Inserted(JobId(id)));
        }
        // Only the unique index can make DO NOTHING skip the row.
        let existing: i64 = sqlx::query_scalar(
            "SELECT id FROM jobs WHERE org_id = ?1 AND unique_key = ?2 AND unique_key IS NOT NULL",
        )
        .bind(&org)
        .bind(&job.unique_key)
        .fetch_one(&mut *conn)
        .await?;
        Ok(Enqueued::AlreadyExists(JobId(existing)))
    }
}
