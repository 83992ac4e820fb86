//! The engine's side of [`crate::intake::JobEvidence`]: a status webhook whose callback data names
//! one of our jobs is proof that WhatsApp has the message. Every status counts, `failed` too (Meta
//! accepted the request and later could not deliver it): the job is resolved without a resend, and
//! the status is kept as the job's evidence (`outbound_evidence`), so a failure stays on record.

use mostrador_queue::JobId;

use super::{CallbackEvidence, Outbound, Resolution};
use crate::intake::{EvidenceFuture, JobEvidence, JobStatusEvidence};
use crate::org::OrgId;

/// The statuses WhatsApp sends for a message it accepted.
const KNOWN: [&str; 5] = ["sent", "delivered", "read", "played", "failed"];

impl JobEvidence for Outbound {
    fn job_status<'a>(&'a self, org: OrgId, evidence: JobStatusEvidence) -> EvidenceFuture<'a> {
        Box::pin(async move {
            if !KNOWN.contains(&evidence.status.as_str()) {
                // Not evidence of acceptance we understand; the status itself is stored by intake.
                tracing::debug!(job = evidence.job_id, status = %evidence.status, "status ignored as evidence");
                return Ok(());
            }
            let job = JobId(evidence.job_id);
            let callback = CallbackEvidence {
                provider_id: evidence.provider_id,
                status: evidence.status,
            };
            let r = self
                .resolve_by_callback(org, job, &callback)
                .await
                .map_err(|e| e.to_string())?;
            if r == Resolution::UnknownJob {
                tracing::debug!(%job, %org, "status names no job of this business");
            }
            Ok(())
        })
    }
}
