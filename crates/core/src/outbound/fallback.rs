//! The fallback chain's engine side (design §5: the fallback is a child job created in the same
//! transaction). A notice step gives up when:
//!
//! - its job expires or is discarded (a permanent refusal, out of attempts): [`FallbackHook`],
//!   inside the dispatcher's transaction that finalizes the job;
//! - the provider later reports it undelivered (WhatsApp 131026 and friends, Twilio 30003…): the
//!   status webhook's evidence ([`FallbackEvidence`]);
//! - its integration is in panic mode, or its breaker has been open longer than a threshold, while
//!   the job still waits ([`Fallback::sweep`]): the job is cancelled and the notice moves on.
//!
//! Each give-up is recorded once (`notice_sends.fell_back_at`, guarded by `IS NULL`) in the same
//! transaction as the next step's job, whose idempotency key is `notice:<id>:<step>`: the next
//! channel is tried exactly once. Chat replies typed by the owner are not notices: no row in
//! `notice_sends`, so they never fall back.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use mostrador_queue::{Job, JobId, Queue, QueueError};
use sqlx::SqliteConnection;

use super::dispatcher::FallbackHook;
use super::handler::BoxFuture;
use super::Outbound;
use crate::conversations;
use crate::events::EventBus;
use crate::intake::{EvidenceFuture, JobEvidence, JobStatusEvidence};
use crate::notifications::{self, NotifyError};
use crate::org::OrgId;
use crate::store::Store;

/// The fallback engine. Give it to [`super::Wiring::fallback`], then [`Fallback::bind`] the
/// running engine's queue.
pub struct Fallback {
    store: Store,
    queue: OnceLock<Queue>,
    events: Option<EventBus>,
    /// How long an open breaker may hold a notice before it moves on.
    pub breaker_patience: Duration,
}

fn to_queue(e: NotifyError) -> QueueError {
    match e {
        NotifyError::Queue(q) => q,
        NotifyError::Sqlx(s) => QueueError::Sqlx(s),
        other => QueueError::Sqlx(sqlx::Error::Protocol(other.to_string())),
    }
}

impl Fallback {
    pub fn new(store: Store) -> Arc<Fallback> {
        Arc::new(Fallback {
            store,
            queue: OnceLock::new(),
            events: None,
            breaker_patience: Duration::from_secs(10 * 60),
        })
    }

    pub fn with_events(store: Store, events: EventBus, breaker_patience: Duration) -> Arc<Self> {
        Arc::new(Fallback {
            store,
            queue: OnceLock::new(),
            events: Some(events),
            breaker_patience,
        })
    }

    /// The running engine's queue (its `Notify` wakes the dispatcher for the child jobs).
    pub fn bind(&self, queue: Queue) {
        let _ = self.queue.set(queue);
    }

    fn queue(&self) -> Option<&Queue> {
        self.queue.get()
    }

    /// Records that the step of `job_id` gave up (once) and creates the next step's job, in the
    /// caller's transaction. Returns the child job, if one was created now.
    pub async fn give_up_in(
        &self,
        conn: &mut SqliteConnection,
        org: OrgId,
        job_id: JobId,
        reason_es: &str,
    ) -> Result<Option<JobId>, QueueError> {
        let Some(queue) = self.queue() else {
            tracing::error!(%job_id, "fallback not bound to a queue: no next step");
            return Ok(None);
        };
        let step: Option<(i64, i64)> = sqlx::query_as(
            "UPDATE notice_sends SET fell_back_at = ?, reason = ?
             WHERE job_id = ? AND org_id = ? AND fell_back_at IS NULL
             RETURNING notice_id, step",
        )
        .bind(conversations::ts_now())
        .bind(reason_es)
        .bind(job_id.0)
        .bind(org.to_string())
        .fetch_optional(&mut *conn)
        .await?;
        let Some((notice_id, step)) = step else {
            return Ok(None);
        };
        let started = notifications::start_step_in(
            conn,
            queue,
            org,
            notice_id,
            step as usize + 1,
            Some(job_id),
            Some(reason_es.to_owned()),
        )
        .await
        .map_err(to_queue)?;
        Ok(started.map(|s| {
            // Dropped armed: it wakes the dispatcher (harmless before the commit; the backstop
            // poll covers the gap).
            if let Some(bus) = &self.events {
                bus.emit_all(s.events);
            }
            tracing::info!(%job_id, child = %s.job, channel = s.channel.as_str(), "notice falls back");
            s.job
        }))
    }

    /// Same, in its own transaction.
    pub async fn give_up(
        &self,
        org: OrgId,
        job_id: JobId,
        reason_es: &str,
    ) -> Result<Option<JobId>, QueueError> {
        let mut tx = self
            .store
            .begin_immediate()
            .await
            .map_err(|e| QueueError::Sqlx(sqlx::Error::Protocol(e.to_string())))?;
        let child = self.give_up_in(&mut tx, org, job_id, reason_es).await?;
        tx.commit().await?;
        if child.is_some() {
            if let Some(q) = self.queue() {
                q.notify();
            }
        }
        Ok(child)
    }

    /// Notice steps still waiting while their integration is in panic mode, or its breaker has
    /// been open for longer than `breaker_patience`: cancelled, and the notice moves on. Run it
    /// from maintenance or the scheduler's tick. Returns how many moved.
    pub async fn sweep(&self) -> Result<usize, QueueError> {
        let Some(queue) = self.queue() else {
            return Ok(0);
        };
        let cutoff = crate::store::timestamp::to_text(
            queue.now() - chrono::Duration::from_std(self.breaker_patience).unwrap_or_default(),
        );
        let stuck: Vec<(i64, String, String, Option<String>)> = sqlx::query_as(
            "SELECT ns.job_id, ns.org_id, ns.channel,
                    coalesce(p.reason_es, 'el servicio está cortado hace rato (muchas fallas seguidas)')
             FROM notice_sends ns
             JOIN jobs j ON j.id = ns.job_id
             LEFT JOIN outbound_panic p ON p.org_id = ns.org_id AND p.integration = ns.channel
             LEFT JOIN outbound_breakers b ON b.org_id = ns.org_id AND b.integration = ns.channel
             WHERE ns.fell_back_at IS NULL
               AND j.state IN ('scheduled', 'available', 'retryable')
               AND (p.org_id IS NOT NULL OR (b.state = 'open' AND b.opened_at <= ?))",
        )
        .bind(&cutoff)
        .fetch_all(self.store.reader())
        .await?;
        let mut moved = 0;
        for (job, org, _channel, reason) in stuck {
            let Ok(org) = org.parse::<uuid::Uuid>().map(OrgId) else {
                continue;
            };
            match queue.cancel(JobId(job)).await {
                Ok(()) => {}
                // Claimed meanwhile: it runs, and its outcome decides.
                Err(QueueError::InvalidState { .. }) => continue,
                Err(e) => return Err(e),
            }
            let reason = reason.unwrap_or_default();
            if self.give_up(org, JobId(job), &reason).await?.is_some() {
                moved += 1;
            }
        }
        Ok(moved)
    }
}

impl FallbackHook for Fallback {
    fn on_expired<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            self.give_up_in(
                conn,
                OrgId(job.org_id),
                job.id,
                "venció antes de poder enviarse",
            )
            .await
            .map(|_| ())
        })
    }

    fn on_discarded<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        job: &'a Job,
        reason_es: &'a str,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async move {
            self.give_up_in(conn, OrgId(job.org_id), job.id, reason_es)
                .await
                .map(|_| ())
        })
    }
}

/// The processor's evidence hook: forwards to the engine (in-doubt resolution), attaches the
/// provider id to a notice's message, and moves a notice on when the provider reports its step
/// undelivered.
pub struct FallbackEvidence {
    pub outbound: Arc<Outbound>,
    pub fallback: Arc<Fallback>,
}

impl JobEvidence for FallbackEvidence {
    fn job_status<'a>(&'a self, org: OrgId, evidence: JobStatusEvidence) -> EvidenceFuture<'a> {
        Box::pin(async move {
            let job = JobId(evidence.job_id);
            let failed = evidence.status == "failed";
            let pid = evidence.provider_id.clone();
            self.outbound.job_status(org, evidence).await?;
            let store = &self.fallback.store;
            // WhatsApp's handler does not know the thread: a notice's message gets its wamid
            // here, and the statuses kept pending for it are applied.
            let mut tx = store.begin_immediate().await.map_err(|e| e.to_string())?;
            let msg: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM messages WHERE org_id = ? AND job_id = ? AND provider_id IS NULL",
            )
            .bind(org.to_string())
            .bind(job.0)
            .fetch_optional(&mut *tx)
            .await
            .map_err(|e| e.to_string())?;
            let mut events = Vec::new();
            if let Some(id) = msg {
                events = conversations::attach_provider_id(&mut tx, org, id, &pid)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            let mut child = None;
            if failed {
                let reason: Option<String> = sqlx::query_scalar(
                    "SELECT coalesce(error_reason, 'no se pudo entregar') FROM messages
                     WHERE org_id = ? AND provider_id = ?",
                )
                .bind(org.to_string())
                .bind(&pid)
                .fetch_optional(&mut *tx)
                .await
                .map_err(|e| e.to_string())?;
                let reason = reason.unwrap_or_else(|| "no se pudo entregar".into());
                child = self
                    .fallback
                    .give_up_in(&mut tx, org, job, &reason)
                    .await
                    .map_err(|e| e.to_string())?;
            }
            tx.commit().await.map_err(|e| e.to_string())?;
            if let Some(bus) = &self.fallback.events {
                bus.emit_all(events);
            }
            if child.is_some() {
                self.outbound.queue().notify();
            }
            Ok(())
        })
    }
}
