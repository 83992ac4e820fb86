//! The hook through which status webhooks reach the outbound engine: a status whose
//! `biz_opaque_callback_data` names a job is evidence that the job's send reached WhatsApp
//! (design §5, resolving `in_doubt`). The engine implements [`JobEvidence`]; the processor calls it
//! after the status's transaction committed.

use std::future::Future;
use std::pin::Pin;

use crate::org::OrgId;

/// What a status webhook says about one of our jobs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobStatusEvidence {
    /// The job id, parsed from `biz_opaque_callback_data`.
    pub job_id: i64,
    /// The wamid.
    pub provider_id: String,
    /// `sent`, `delivered`, `read`, `played` or `failed`.
    pub status: String,
}

pub type EvidenceFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Implemented by the outbound engine. Must be idempotent: the same evidence may come twice (a
/// retried batch). An `Err` is logged; the status itself is already stored.
pub trait JobEvidence: Send + Sync + 'static {
    fn job_status<'a>(&'a self, org: OrgId, evidence: JobStatusEvidence) -> EvidenceFuture<'a>;
}

/// Our callback data is the job id in decimal; anything else is not ours.
pub fn job_id_from_callback(data: &str) -> Option<i64> {
    let d = data.trim();
    (!d.is_empty() && d.len() <= 19 && d.bytes().all(|b| b.is_ascii_digit()))
        .then(|| d.parse().ok())
        .flatten()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_decimal_job_ids() {
        assert_eq!(job_id_from_callback("42"), Some(42));
        assert_eq!(job_id_from_callback("outbox-42"), None);
        assert_eq!(job_id_from_callback(""), None);
        assert_eq!(job_id_from_callback("99999999999999999999"), None);
    }
}
