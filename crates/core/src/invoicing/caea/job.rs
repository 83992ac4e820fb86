//! The `afip.caea` job: one [`Contingency::tick`] for the job's organization (CAEA ahead of time,
//! pending invoices informed before `FchTopeInf`, unused points declared). AFIP unreachable is a
//! transient failure, so the queue retries it with backoff; the runtime enqueues one per
//! organization at start-up ([`job`] for now) and every finished pass enqueues the next one
//! ([`next_run`]). The key is the organization's time slot, so a restart inside a slot adds
//! nothing and the chain lives in the jobs table across restarts.

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use mostrador_queue::{NewJob, Queue, QueueError};
use serde::{Deserialize, Serialize};
use tracing::Instrument;

use super::{CaeaError, Contingency};
use crate::invoicing::session::TicketError;
use crate::org::OrgId;
use crate::outbound::handler::queue_error;
use crate::outbound::{BoxFuture, Failure, FailureKind, Handled, JobHandler, JobRun};
use crate::store::StoreError;
use mostrador_afip::wsfe::WsfeError;

pub const KIND: &str = "afip.caea";

/// How often the pass runs when nothing is pending (the next fortnight's window is 5 days long
/// and FchTopeInf a few days after the fortnight, so a few hours is plenty).
pub const EVERY: Duration = Duration::hours(4);

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct CaeaPayload {}

/// The time slot (of [`EVERY`]) `at` falls in.
pub fn slot(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(EVERY.num_seconds())
}

/// The job for `org` at `at` (one per org and time slot: enqueueing twice is harmless; the
/// queue's unique keys are per organization).
pub fn job(org: OrgId, at: DateTime<Utc>) -> Result<NewJob, QueueError> {
    base(org, at, format!("{KIND}:slot:{}", slot(at)))
}

/// A pass as soon as possible for CAEA invoice `caea_id` (issued while AFIP was down), so it is
/// informed when AFIP answers again rather than at the next slot.
pub fn soon(org: OrgId, at: DateTime<Utc>, caea_id: i64) -> Result<NewJob, QueueError> {
    soon_key(org, at, format!("invoice:{caea_id}"))
}

/// A pass at `at` under key `tag` (e.g. right after the settings are saved).
pub fn soon_key(org: OrgId, at: DateTime<Utc>, tag: String) -> Result<NewJob, QueueError> {
    base(org, at, format!("{KIND}:{tag}"))
}

fn base(org: OrgId, at: DateTime<Utc>, key: String) -> Result<NewJob, QueueError> {
    // No serial key: the chain's next pass waits hours ahead and would block every pass queued
    // after it; the handler serializes passes itself.
    Ok(NewJob::new(org.0, KIND, &CaeaPayload {})?
        .run_at(at)
        .unique_key(key)
        .max_attempts(i32::MAX as u32))
}

/// When the next pass is due after one at `now`.
pub fn next_run(now: DateTime<Utc>) -> DateTime<Utc> {
    now + EVERY
}

pub struct CaeaHandler {
    contingency: Contingency,
    /// On the same store as the engine: the next pass is written like any job (the dispatcher
    /// finds it by its run_at).
    queue: Queue,
    /// One pass at a time (a kick and a slot's pass never report the same invoices at once).
    running: tokio::sync::Mutex<()>,
}

impl CaeaHandler {
    pub fn new(contingency: Contingency) -> Self {
        let queue = Queue::new(contingency.store().writer().clone());
        CaeaHandler {
            contingency,
            queue,
            running: tokio::sync::Mutex::new(()),
        }
    }

    /// Enqueues the pass after one that ran at `now` (idempotent per slot).
    async fn schedule_next(&self, org: OrgId, now: DateTime<Utc>) {
        let r = match job(org, next_run(now)) {
            Ok(j) => self.queue.enqueue(&j).await.map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = r {
            // The start-up pass of the next launch picks the chain up again.
            tracing::warn!(error = %e, %org, "next CAEA pass not scheduled");
        }
    }

    async fn record(&self, org: OrgId, failure: Option<&Failure>) {
        let text = failure.map(|f| match f.detail.as_str() {
            "" => f.message_es.clone(),
            d => format!("{} ({d})", f.message_es),
        });
        if let Err(e) = self.contingency.set_last_error(org, text.as_deref()).await {
            tracing::warn!(error = %e, "CAEA pass outcome not recorded");
        }
    }
}

fn offline(e: &CaeaError) -> bool {
    match e {
        CaeaError::Wsfe(w) => w.is_transient() || matches!(w, WsfeError::Auth { .. }),
        CaeaError::Ticket(t) => t.is_offline(),
        _ => false,
    }
}

impl JobHandler for CaeaHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        Box::pin(async move {
            let org = OrgId(run.job.org_id);
            let span = tracing::info_span!("invoicing.caea", job_id = %run.job.id, %org);
            let _one = self.running.lock().await;
            let started = Instant::now();
            let handled = match self.contingency.tick(org).instrument(span).await {
                Ok(summary) => {
                    tracing::info!(?summary, "CAEA pass finished");
                    Handled::Done {
                        provider_id: None,
                        latency: started.elapsed(),
                    }
                }
                Err(CaeaError::Store(StoreError::Sqlx(e))) => queue_error(QueueError::Sqlx(e)),
                Err(e @ CaeaError::NotConfigured)
                | Err(e @ CaeaError::Ticket(TicketError::Keychain(_))) => Handled::Failed {
                    failure: Failure::new(
                        FailureKind::NotConfigured,
                        "afip_not_configured",
                        "Falta configurar ARCA (AFIP): cargá el certificado y el punto de venta en Ajustes",
                    )
                    .with_detail(e.to_string()),
                    latency: None,
                },
                Err(e) if offline(&e) => Handled::Failed {
                    failure: Failure::new(
                        FailureKind::Transient,
                        "afip_pending",
                        "ARCA (AFIP) no respondió: el CAEA y las facturas de contingencia se informan solos cuando responda",
                    )
                    .with_detail(e.to_string()),
                    latency: None,
                },
                Err(e) => Handled::Failed {
                    failure: Failure::new(
                        FailureKind::Permanent,
                        "caea_failed",
                        "ARCA (AFIP) rechazó la operación del CAEA: revisá el detalle",
                    )
                    .with_detail(e.to_string()),
                    latency: None,
                },
            };
            match &handled {
                Handled::Done { .. } => self.record(org, None).await,
                Handled::Failed { failure, .. } => self.record(org, Some(failure)).await,
                _ => {}
            }
            // A transient failure is retried by the queue; anything else waits for the next slot.
            let retried = matches!(&handled, Handled::Failed { failure, .. } if failure.kind == FailureKind::Transient);
            if !retried && !matches!(handled, Handled::Store(_) | Handled::LeaseLost) {
                self.schedule_next(org, self.contingency.clock().now())
                    .await;
            }
            handled
        })
    }
}
