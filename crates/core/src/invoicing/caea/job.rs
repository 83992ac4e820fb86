//! The `afip.caea` job: one [`Contingency::tick`] for the job's organization (CAEA ahead of time,
//! pending invoices informed before `FchTopeInf`, unused points declared). AFIP unreachable is a
//! transient failure, so the queue retries it with backoff; the app enqueues one at start-up and
//! after each run schedules the next with [`next_run`].

use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use mostrador_queue::{NewJob, QueueError};
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

/// The job for `org` at `at` (one per org and time slot: enqueueing twice is harmless).
pub fn job(org: OrgId, at: DateTime<Utc>) -> Result<NewJob, QueueError> {
    Ok(NewJob::new(org.0, KIND, &CaeaPayload {})?
        .run_at(at)
        .unique_key(format!("{KIND}:{}", at.timestamp()))
        .serial_key(format!("{KIND}:{org}"))
        .max_attempts(i32::MAX as u32))
}

/// When the next pass is due after one at `now`.
pub fn next_run(now: DateTime<Utc>) -> DateTime<Utc> {
    now + EVERY
}

pub struct CaeaHandler {
    contingency: Contingency,
}

impl CaeaHandler {
    pub fn new(contingency: Contingency) -> Self {
        CaeaHandler { contingency }
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
            let started = Instant::now();
            match self.contingency.tick(org).instrument(span).await {
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
            }
        })
    }
}
