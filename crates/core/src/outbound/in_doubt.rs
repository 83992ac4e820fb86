//! In-doubt jobs (the provider may have the request) are resolved by evidence, never by an
//! automatic resend: a status webhook whose `biz_opaque_callback_data` names the job marks it
//! sent. Without evidence after a configurable wait, the owner decides ("reenviar" with the risk
//! of a double message, or "descartar").

use chrono::{DateTime, Utc};
use mostrador_queue::{JobId, JobState, ListQuery, Queue, QueueError};
use serde::Serialize;
use sqlx::SqliteConnection;

use super::ts;
use crate::org::OrgId;
use crate::store::Store;

/// What a status webhook says about a job: the provider's message id and its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallbackEvidence {
    /// The wamid.
    pub provider_id: String,
    /// `sent`, `delivered`, `read` or `failed` (a failed status still proves Meta accepted it).
    pub status: String,
}

/// What [`resolve_by_callback`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolution {
    /// The job was in doubt and is now completed.
    Resolved,
    /// The job is not in doubt (yet): the evidence is kept, and resolves it if it ever becomes
    /// in doubt (e.g. a crash not yet rescued).
    Recorded,
    /// The job had already finished; nothing to do.
    AlreadyFinished,
    /// No such job of that organization (pruned, or not ours).
    UnknownJob,
}

pub(crate) async fn record_evidence(
    conn: &mut SqliteConnection,
    job: JobId,
    org: OrgId,
    source: &str,
    provider_id: &str,
    status: &str,
    now: DateTime<Utc>,
) -> Result<(), QueueError> {
    sqlx::query(
        "INSERT INTO outbound_evidence (job_id, org_id, source, provider_id, status, at)
         VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO NOTHING",
    )
    .bind(job.0)
    .bind(org.to_string())
    .bind(source)
    .bind(provider_id)
    .bind(status)
    .bind(ts(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

fn note(provider_id: &str, status: &str) -> String {
    format!("Confirmado por el proveedor (id {provider_id}, estado {status}): no se reenvía.")
}

/// Called by the inbound processor for every status webhook whose callback data names a job of
/// `org`. Idempotent: the same webhook twice changes nothing the second time.
pub async fn resolve_by_callback(
    queue: &Queue,
    store: &Store,
    org: OrgId,
    job_id: JobId,
    evidence: &CallbackEvidence,
) -> Result<Resolution, QueueError> {
    let Some(job) = queue.get(job_id).await? else {
        return Ok(Resolution::UnknownJob);
    };
    if job.org_id != org.0 {
        return Ok(Resolution::UnknownJob);
    }
    let mut tx = store
        .begin_immediate()
        .await
        .map_err(|e| QueueError::Sqlx(sqlx::Error::Protocol(e.to_string())))?;
    record_evidence(
        &mut tx,
        job_id,
        org,
        "webhook",
        &evidence.provider_id,
        &evidence.status,
        queue.now(),
    )
    .await?;
    let resolved = queue
        .resolve_sent_in(
            &mut tx,
            job_id,
            &note(&evidence.provider_id, &evidence.status),
        )
        .await?;
    if resolved {
        // Its message row (if the job is one) gets the wamid, so the statuses that follow land.
        // The window learns of it when it next loads the thread (no bus here).
        let mut events = Vec::new();
        crate::conversations::jobs::job_sent(
            &mut tx,
            org,
            job_id.0,
            Some(&evidence.provider_id),
            &mut events,
        )
        .await?;
    }
    tx.commit().await?;
    if resolved {
        queue.notify();
        tracing::info!(%job_id, "in-doubt job resolved by a status webhook");
        return Ok(Resolution::Resolved);
    }
    Ok(match job.state {
        s if s.is_finished() => Resolution::AlreadyFinished,
        _ => Resolution::Recorded,
    })
}

/// Resolves one in-doubt job if evidence for it is already stored.
pub(crate) async fn apply_evidence(
    queue: &Queue,
    store: &Store,
    job_id: JobId,
) -> Result<bool, QueueError> {
    let row: Option<(String, String)> =
        sqlx::query_as("SELECT provider_id, status FROM outbound_evidence WHERE job_id = ?")
            .bind(job_id.0)
            .fetch_optional(store.reader())
            .await?;
    let Some((pid, status)) = row else {
        return Ok(false);
    };
    queue.resolve_sent(job_id, &note(&pid, &status)).await
}

/// Resolves every in-doubt job that has stored evidence (start-up and maintenance tick).
pub(crate) async fn apply_all_evidence(queue: &Queue, store: &Store) -> Result<u32, QueueError> {
    let ids: Vec<i64> = sqlx::query_scalar(
        "SELECT j.id FROM jobs AS j JOIN outbound_evidence AS e ON e.job_id = j.id
         WHERE j.state = 'in_doubt'",
    )
    .fetch_all(store.reader())
    .await?;
    let mut n = 0;
    for id in ids {
        if apply_evidence(queue, store, JobId(id)).await? {
            n += 1;
        }
    }
    if n > 0 {
        tracing::info!(count = n, "in-doubt jobs resolved from stored evidence");
    }
    Ok(n)
}

/// An in-doubt job waiting for the owner's decision.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InDoubtJob {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub job_id: i64,
    pub kind: String,
    /// Since when it is in doubt.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub since: DateTime<Utc>,
    /// The last error, in Spanish.
    pub last_error: Option<String>,
    /// What "reenviar" risks, in Spanish.
    pub risk_es: String,
}

const RISK_ES: &str = "No sabemos si llegó: el proveedor no respondió y no recibimos confirmación. Si lo reenviás, el cliente podría recibirlo dos veces; si lo descartás, podría no haberle llegado nunca.";

/// In-doubt jobs of `org` with no evidence for at least `wait`: the owner decides.
pub async fn awaiting_owner(
    queue: &Queue,
    store: &Store,
    org: OrgId,
    wait: std::time::Duration,
) -> Result<Vec<InDoubtJob>, QueueError> {
    let cut = queue.now() - chrono::Duration::from_std(wait).unwrap_or_default();
    let mut out = Vec::new();
    let mut before = None;
    loop {
        let page = queue
            .list(&ListQuery {
                state: JobState::InDoubt,
                org_id: Some(org.0),
                before,
                limit: 200,
            })
            .await?;
        for j in page.jobs {
            if j.updated_at > cut {
                continue;
            }
            let has: Option<i64> =
                sqlx::query_scalar("SELECT job_id FROM outbound_evidence WHERE job_id = ?")
                    .bind(j.id.0)
                    .fetch_optional(store.reader())
                    .await?;
            if has.is_some() {
                continue;
            }
            out.push(InDoubtJob {
                job_id: j.id.0,
                kind: j.kind.clone(),
                since: j.updated_at,
                last_error: j.errors.last().map(|e| e.message.clone()),
                risk_es: RISK_ES.to_owned(),
            });
        }
        match page.next {
            Some(n) => before = Some(n),
            None => break,
        }
    }
    Ok(out)
}

/// The owner chose "reenviar": the job runs again (the owner accepted the risk of a double send).
/// It gets a fresh deadline of `fresh_for`.
pub async fn resend(
    queue: &Queue,
    job_id: JobId,
    fresh_for: std::time::Duration,
) -> Result<(), QueueError> {
    let expires = queue.now() + chrono::Duration::from_std(fresh_for).unwrap_or_default();
    require_in_doubt(queue, job_id, "resend").await?;
    queue.retry_dead(job_id, Some(expires)).await
}

/// The owner chose "descartar".
pub async fn discard(queue: &Queue, job_id: JobId) -> Result<(), QueueError> {
    require_in_doubt(queue, job_id, "discard").await?;
    queue.cancel(job_id).await
}

async fn require_in_doubt(
    queue: &Queue,
    job_id: JobId,
    action: &'static str,
) -> Result<(), QueueError> {
    match queue.get(job_id).await? {
        None => Err(QueueError::NotFound { job_id }),
        Some(j) if j.state != JobState::InDoubt => Err(QueueError::InvalidState {
            job_id,
            state: j.state,
            action,
        }),
        Some(_) => Ok(()),
    }
}
