//! The `email.send` payload and the enqueue that records the message (channel `email`) in the
//! customer's conversation in the same transaction as its job. An invalid address is refused
//! here, at entry, with a Spanish message.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_email::{Address, AddressError, AttachmentError};
use mostrador_queue::{Enqueued, JobId, NewJob, Queue, QueueError, Wake};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::conversations::{self, NewMessage};
use crate::events::ConversationEvent;
use crate::org::OrgId;

/// A file attached from the app's data folder (an invoice PDF).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttachmentRef {
    pub filename: String,
    pub content_type: String,
    /// Absolute path, read when the job runs.
    pub path: String,
    /// The content's sha256 (hex) when the file is content-addressed: the job checks it, so a
    /// file replaced meanwhile is never sent as this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sha256: Option<String>,
}

impl AttachmentRef {
    /// Checked at entry: a file that exists, within the e-mail limits (name, type, size).
    pub async fn check(list: &[AttachmentRef]) -> Result<(), EmailError> {
        let mut sizes = Vec::with_capacity(list.len());
        for a in list {
            mostrador_email::Attachment::new(&a.filename, &a.content_type, vec![0])?;
            let meta = tokio::fs::metadata(&a.path)
                .await
                .ok()
                .filter(|m| m.is_file() && std::path::Path::new(&a.path).is_absolute())
                .ok_or_else(|| EmailError::AttachmentMissing(a.filename.clone()))?;
            mostrador_email::attachment::check_size(&a.filename, meta.len())?;
            sizes.push(meta.len());
        }
        mostrador_email::attachment::check_total(sizes)?;
        Ok(())
    }
}

/// One e-mail, as stored in the job row. Rendered (HTML + text) when it is sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmailSend {
    pub to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to_name: Option<String>,
    pub subject: String,
    /// The notice's text; greeting and signature are added by the template.
    pub body: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub attachments: Vec<AttachmentRef>,
}

pub const EMAIL_EXPIRES_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

impl EmailSend {
    pub fn job(&self, org: OrgId, now: DateTime<Utc>) -> Result<NewJob, QueueError> {
        Ok(NewJob::new(org.0, super::KIND, self)?
            .expires_at(now + chrono::Duration::from_std(EMAIL_EXPIRES_AFTER).unwrap_or_default())
            .serial_key(format!("email:{org}:{}", self.to)))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum EmailError {
    #[error("El cliente no tiene correo guardado: no se le puede mandar un e-mail.")]
    NoAddress,
    #[error(transparent)]
    InvalidAddress(#[from] AddressError),
    #[error("El asunto y el texto del correo no pueden estar vacíos.")]
    Empty,
    #[error("No existe ese cliente.")]
    UnknownCustomer,
    #[error(transparent)]
    Attachment(#[from] AttachmentError),
    #[error("No se encuentra el archivo del adjunto «{0}».")]
    AttachmentMissing(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

#[derive(Debug, Clone)]
pub struct EmailRequest<'a> {
    pub customer_id: i64,
    /// `None`: the customer's stored address.
    pub to: Option<&'a str>,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachments: Vec<AttachmentRef>,
    pub unique_key: Option<String>,
    pub parent: Option<JobId>,
    pub fallback_note: Option<String>,
}

/// Queues an e-mail inside the caller's transaction and records it in the customer's
/// conversation (channel `email`, pending, linked to the job).
pub async fn enqueue_in(
    conn: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    req: EmailRequest<'_>,
) -> Result<(JobId, Wake, Option<i64>, Vec<ConversationEvent>), EmailError> {
    let row: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT email, name FROM customers WHERE id = ? AND org_id = ?")
            .bind(req.customer_id)
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let (stored, name) = row.ok_or(EmailError::UnknownCustomer)?;
    let to = req
        .to
        .map(str::to_owned)
        .or(stored)
        .filter(|t| !t.trim().is_empty())
        .ok_or(EmailError::NoAddress)?;
    let to = Address::parse(&to)?;
    if req.subject.trim().is_empty() || req.body.trim().is_empty() {
        return Err(EmailError::Empty);
    }
    AttachmentRef::check(&req.attachments).await?;
    let payload = EmailSend {
        to: to.as_str().to_owned(),
        to_name: name,
        subject: req.subject.trim().to_owned(),
        body: req.body.to_owned(),
        attachments: req.attachments,
    };
    let mut job = payload.job(org, queue.now())?;
    if let Some(k) = req.unique_key {
        job = job.unique_key(k);
    }
    if let Some(p) = req.parent {
        job = job.parent(p);
    }
    let (enqueued, wake) = queue.enqueue_in(conn, &job).await?;
    let job_id = enqueued.id();
    if let Enqueued::AlreadyExists(_) = enqueued {
        return Ok((job_id, wake, None, Vec::new()));
    }
    let at = crate::conversations::ts_now();
    let text = format!("{}\n\n{}", payload.subject, payload.body);
    let (message_id, events) = conversations::record_outbound(
        conn,
        org,
        req.customer_id,
        NewMessage {
            kind: "text",
            text: Some(&text),
            job_id: Some(job_id.0),
            at: &at,
            ..Default::default()
        },
    )
    .await?;
    sqlx::query("UPDATE messages SET channel = 'email', fallback_note = ? WHERE id = ?")
        .bind(&req.fallback_note)
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    Ok((job_id, wake, Some(message_id), events))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips() {
        let p = EmailSend {
            to: "ana@example.com".into(),
            to_name: Some("Ana".into()),
            subject: "Turno".into(),
            body: "Mañana a las 10".into(),
            attachments: vec![],
        };
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<EmailSend>(&s).unwrap(), p);
        let j = p.job(OrgId::new(), Utc::now()).unwrap();
        assert_eq!(j.kind, "email.send");
    }
}
