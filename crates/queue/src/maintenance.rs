//! Housekeeping: rescue of orphaned leases, expiry, pruning. The engine runs `rescue` at start-up
//! and all three on its maintenance tick.

use sqlx::SqliteConnection;

use crate::clock::ts;
use crate::job::{Job, JobId, COLUMNS};
use crate::{Queue, QueueError};

/// What [`Queue::rescue`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RescueReport {
    /// Interrupted after `send_started_at`: the provider may have the request.
    pub in_doubt: Vec<JobId>,
    /// Interrupted before the send started: safe to run again.
    pub retryable: Vec<JobId>,
}

/// What [`Queue::prune`] deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneReport {
    pub completed: u64,
    pub discarded: u64,
    pub cancelled: u64,
}

impl Queue {
    /// Takes back every `running` job this worker cannot be running: leased by another boot (at
    /// start-up: all of them) or whose lease has run out. With `send_started_at` set it becomes
    /// `in_doubt` (attempt kept: it may have been sent); without, `retryable` now with the attempt
    /// given back (the provider never saw it, so a crash or a kill must not use up a message's
    /// attempts). Each rescue is appended to `errors` so the history shows it.
    pub async fn rescue(&self) -> Result<RescueReport, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let rows: Vec<(i64, String)> = sqlx::query_as(
            "UPDATE jobs SET \
               state = CASE WHEN send_started_at IS NULL THEN 'retryable' ELSE 'in_doubt' END, \
               attempts = CASE WHEN send_started_at IS NULL THEN max(attempts - 1, 0) ELSE attempts END, \
               run_at = CASE WHEN send_started_at IS NULL THEN ?1 ELSE run_at END, \
               errors = json_insert(errors, '$[#]', json_object('attempt', attempts, 'at', ?1, \
                 'class', CASE WHEN send_started_at IS NULL THEN 'interrupted' ELSE 'interrupted_in_send' END, \
                 'code', NULL, \
                 'message', CASE WHEN send_started_at IS NULL \
                   THEN 'La app se cerró antes de enviar; se vuelve a intentar.' \
                   ELSE 'La app se cerró durante el envío: puede haber llegado. No se reenvía sin confirmarlo.' END)), \
               lease_owner = NULL, lease_until = NULL, updated_at = ?1 \
             WHERE state IN ('running', 'completed', 'discarded', 'cancelled', 'in_doubt') \
               AND state = 'running' AND (lease_owner <> ?2 OR lease_until < ?1) \
             RETURNING id, state",
        )
        .bind(ts(self.now()))
        .bind(self.inner.boot_id.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut report = RescueReport::default();
        for (id, state) in rows {
            match state.as_str() {
                "in_doubt" => report.in_doubt.push(JobId(id)),
                _ => report.retryable.push(JobId(id)),
            }
        }
        report.in_doubt.sort();
        report.retryable.sort();
        if !report.in_doubt.is_empty() || !report.retryable.is_empty() {
            tracing::warn!(
                in_doubt = report.in_doubt.len(),
                retryable = report.retryable.len(),
                "rescued interrupted jobs"
            );
            self.notify();
        }
        Ok(report)
    }

    /// Moves up to `limit` expired waiting jobs to `discarded` (class "expired") and returns them.
    /// Expired jobs are never claimed whether or not this runs; use [`Queue::expire_in`] to hand
    /// them to a fallback channel in the same transaction.
    pub async fn expire(&self, limit: u32) -> Result<Vec<Job>, QueueError> {
        let mut conn = self.inner.writer.acquire().await?;
        let jobs = self.expire_in(&mut conn, limit).await?;
        if !jobs.is_empty() {
            // Expired heads no longer block their serial_key.
            self.notify();
        }
        Ok(jobs)
    }

    /// [`Queue::expire`] in the caller's transaction.
    pub async fn expire_in(
        &self,
        conn: &mut SqliteConnection,
        limit: u32,
    ) -> Result<Vec<Job>, QueueError> {
        let sql = format!(
            "UPDATE jobs SET state = 'discarded', finished_at = ?1, updated_at = ?1, \
               errors = json_insert(errors, '$[#]', json_object('attempt', attempts, 'at', ?1, \
                 'class', 'expired', 'code', NULL, \
                 'message', 'Venció antes de poder enviarse; no se envía tarde.')) \
             WHERE id IN (SELECT id FROM jobs \
                 WHERE expires_at IS NOT NULL AND expires_at <= ?1 \
                   AND state IN ('scheduled', 'available', 'retryable') \
                 ORDER BY expires_at LIMIT ?2) \
             RETURNING {COLUMNS}"
        );
        let rows = sqlx::query(&sql)
            .bind(ts(self.now()))
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await?;
        let mut jobs = rows
            .iter()
            .map(Job::from_row)
            .collect::<Result<Vec<_>, _>>()?;
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    /// Deletes finished job rows past their retention (completed 24 h; discarded and cancelled
    /// 30 days by default), in batches so the write lock is never held long. Touches no other table.
    pub async fn prune(&self) -> Result<PruneReport, QueueError> {
        let now = self.now();
        let cfg = &self.inner.config;
        let completed_cut = ts(now - cfg.completed_retention);
        let dead_cut = ts(now - cfg.discarded_retention);
        Ok(PruneReport {
            completed: self.prune_state("completed", &completed_cut).await?,
            discarded: self.prune_state("discarded", &dead_cut).await?,
            cancelled: self.prune_state("cancelled", &dead_cut).await?,
        })
    }

    async fn prune_state(&self, state: &str, cut: &str) -> Result<u64, QueueError> {
        let batch = i64::from(self.inner.config.prune_batch.max(1));
        let mut total = 0;
        loop {
            let done = sqlx::query(
                // The newest row is kept whatever its age: ids are max(id) + 1, so deleting it
                // would hand its id out again.
                "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs \
                   WHERE state = ?1 AND finished_at IS NOT NULL AND finished_at < ?2 \
                     AND id < (SELECT max(id) FROM jobs) LIMIT ?3)",
            )
            .bind(state)
            .bind(cut)
            .bind(batch)
            .execute(&self.inner.writer)
            .await?;
            total += done.rows_affected();
            if done.rows_affected() < batch as u64 {
                return Ok(total);
            }
        }
    }
}
