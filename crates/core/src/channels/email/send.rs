//! The `email.send` handler: render the notice (HTML + text from one template, the shop's name),
//! read attachments, load the org's sender (SMTP or SendGrid), mark the send started, send.

use std::time::Instant;

use mostrador_email::{Address, Email, Error as MailError, ErrorClass, Notice};
use mostrador_queue::QueueError;
use tracing::Instrument;

use super::config::load_sender;
use super::enqueue::{AttachmentRef, EmailSend};
use crate::conversations;
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind, PanicSignal, ProviderError, RateScope};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::secrets::SecretStore;
use crate::store::Store;
use sha2::{Digest, Sha256};

pub const KIND: &str = "email.send";

impl ProviderError for MailError {
    fn to_failure(&self) -> Failure {
        let (kind, es) = match self.class() {
            ErrorClass::Transient => (
                FailureKind::Transient,
                "No se pudo entregar el correo al servidor: se reintenta.",
            ),
            ErrorClass::RateLimited => (
                FailureKind::RateLimited(RateScope::Integration),
                "Demasiados correos a la vez: se reintenta en un momento.",
            ),
            ErrorClass::Auth => (
                FailureKind::PausesIntegration,
                "El servidor de correo rechazó el usuario o la clave: revisalos en Ajustes → E-mail.",
            ),
            ErrorClass::Permanent => (
                FailureKind::Permanent,
                "El servidor de correo rechazó el mensaje o la dirección.",
            ),
            ErrorClass::MaybeSent => (
                FailureKind::MaybeSent,
                "El servidor no confirmó el envío: el correo puede haber salido. No se reenvía solo.",
            ),
            ErrorClass::Config => (
                FailureKind::NotConfigured,
                "El correo no está bien configurado: revisalo en Ajustes → E-mail.",
            ),
        };
        let mut f = Failure::new(kind, self.code(), es).with_detail(self.to_string());
        f.retry_after = self.retry_after();
        f.provider_health = matches!(
            self,
            MailError::SmtpConnect(_)
                | MailError::SendGridConnect(_)
                | MailError::SmtpMaybeSent(_)
                | MailError::SendGridMaybeSent(_)
        ) || matches!(self, MailError::SendGrid { status, .. } if *status >= 500)
            || self.class() == ErrorClass::Auth;
        f.panic = match self.class() {
            ErrorClass::Auth => Some(PanicSignal::Immediate),
            ErrorClass::RateLimited => Some(PanicSignal::RateLimit),
            _ => None,
        };
        f
    }
}

pub struct SendHandler {
    store: Store,
    secrets: SecretStore,
}

impl SendHandler {
    pub fn new(store: Store, secrets: SecretStore) -> Self {
        SendHandler { store, secrets }
    }

    async fn mark(
        &self,
        org: OrgId,
        job_id: i64,
        status: &str,
        provider_id: Option<&str>,
        reason: Option<&str>,
    ) -> Result<(), sqlx::Error> {
        let mut tx = self.store.writer().begin().await?;
        let msg: Option<i64> =
            sqlx::query_scalar("SELECT id FROM messages WHERE org_id = ? AND job_id = ?")
                .bind(org.to_string())
                .bind(job_id)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(id) = msg {
            if let Some(pid) = provider_id {
                conversations::attach_provider_id(&mut tx, org, id, pid).await?;
            }
            // An accepted e-mail has no later delivery report here: "sent" is what we know.
            sqlx::query(
                "UPDATE messages SET status = ?, status_rank = max(status_rank, ?), error_reason = ? WHERE id = ?",
            )
            .bind(status)
            .bind(if status == "sent" { 2 } else { 0 })
            .bind(reason)
            .bind(id)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await
    }

    async fn run(&self, run: &mut JobRun) -> Handled {
        let p: EmailSend = match run.job.payload() {
            Ok(p) => p,
            Err(e) => {
                return Handled::Failed {
                    failure: Failure::bad_payload(format!("email.send payload: {e}")),
                    latency: None,
                }
            }
        };
        let org = OrgId(run.job.org_id);
        let job_id = run.job.id.0;
        let (sender, from, from_name) = match load_sender(&self.store, &self.secrets, org).await {
            Ok(s) => s,
            Err(Ok(f)) => {
                return Handled::Failed {
                    failure: f,
                    latency: None,
                }
            }
            Err(Err(e)) => {
                return queue_error(QueueError::Sqlx(sqlx::Error::Protocol(format!(
                    "reading the e-mail settings: {e}"
                ))))
            }
        };
        let shop: String = match sqlx::query_scalar("SELECT name FROM organizations WHERE id = ?")
            .bind(org.to_string())
            .fetch_optional(self.store.reader())
            .await
        {
            Ok(n) => n.unwrap_or_default(),
            Err(e) => return queue_error(QueueError::Sqlx(e)),
        };
        let shop_name = from_name.clone().unwrap_or(shop);
        let names: Vec<String> = p.attachments.iter().map(|a| a.filename.clone()).collect();
        let notice = Notice {
            shop_name: &shop_name,
            customer_name: p.to_name.as_deref(),
            body: &p.body,
            attachments: &names,
        };
        let mut attachments = Vec::new();
        for a in &p.attachments {
            match read_attachment(a).await {
                Ok(att) => attachments.push(att),
                Err(failure) => {
                    if failure.kind == FailureKind::Permanent {
                        let _ = self
                            .mark(org, job_id, "failed", None, Some(&failure.message_es))
                            .await;
                    }
                    return Handled::Failed {
                        failure,
                        latency: None,
                    };
                }
            }
        }
        let to = match Address::parse(&p.to) {
            Ok(a) => a,
            Err(e) => {
                let f = Failure::new(FailureKind::Permanent, "invalid_address", e.to_string());
                let _ = self
                    .mark(org, job_id, "failed", None, Some(&f.message_es))
                    .await;
                return Handled::Failed {
                    failure: f,
                    latency: None,
                };
            }
        };
        let email = Email {
            from,
            from_name: shop_name.clone(),
            to,
            to_name: p.to_name.clone(),
            subject: p.subject.clone(),
            text: notice.text(),
            html: notice.html(),
            attachments,
            reference: job_id.to_string(),
        };
        if let Err(not) = run.mark_send_started().await {
            return not.0;
        }
        let started = Instant::now();
        match sender.send(&email).await {
            Ok(accepted) => {
                if let Err(e) = self
                    .mark(org, job_id, "sent", Some(&accepted.provider_id), None)
                    .await
                {
                    tracing::warn!(error = %e, "could not mark the e-mail sent in the thread");
                }
                Handled::Done {
                    provider_id: Some(accepted.provider_id),
                    latency: started.elapsed(),
                }
            }
            Err(e) => {
                let failure = e.to_failure();
                if failure.kind == FailureKind::Permanent {
                    let _ = self
                        .mark(org, job_id, "failed", None, Some(&failure.message_es))
                        .await;
                }
                Handled::Failed {
                    failure,
                    latency: Some(started.elapsed()),
                }
            }
        }
    }
}

/// Reads an attachment and checks it is still what was queued: the recorded sha256 (a
/// content-addressed file never changes, so a mismatch is a different file) and the e-mail limits.
async fn read_attachment(a: &AttachmentRef) -> Result<mostrador_email::Attachment, Failure> {
    let bytes = tokio::fs::read(&a.path).await.map_err(|e| {
        // Maybe a moment's trouble (a disk being mounted): retried, then the notice moves on.
        Failure::new(
            FailureKind::Transient,
            "attachment_missing",
            format!("No se encuentra el adjunto «{}».", a.filename),
        )
        .with_detail(e.to_string())
    })?;
    if let Some(want) = &a.sha256 {
        let got = hex::encode(Sha256::digest(&bytes));
        if !got.eq_ignore_ascii_case(want) {
            return Err(Failure::new(
                FailureKind::Permanent,
                "attachment_changed",
                format!(
                    "El adjunto «{}» cambió desde que se preparó el correo: no se manda otro archivo en su lugar.",
                    a.filename
                ),
            ));
        }
    }
    mostrador_email::Attachment::new(&a.filename, &a.content_type, bytes)
        .map_err(|e| Failure::new(FailureKind::Permanent, "attachment", e.to_string()))
}

impl JobHandler for SendHandler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        let span =
            tracing::info_span!("email.send_job", job_id = %run.job.id, org_id = %run.job.org_id);
        Box::pin(self.run(run).instrument(span))
    }
}

/// "Enviar correo de prueba" in Ajustes → E-mail: one e-mail now (not queued).
pub async fn send_test(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    to: &str,
) -> Result<(), crate::AppError> {
    use crate::ErrorCode;
    let to = Address::parse(to)
        .map_err(|e| crate::AppError::new(ErrorCode::InvalidRecipient, e.to_string()))?;
    let (sender, from, from_name) =
        load_sender(store, secrets, org)
            .await
            .map_err(|e| match e {
                Ok(f) => crate::AppError::new(ErrorCode::ChannelNotConfigured, f.message_es),
                Err(s) => s.into(),
            })?;
    let shop: Option<String> = sqlx::query_scalar("SELECT name FROM organizations WHERE id = ?")
        .bind(org.to_string())
        .fetch_optional(store.reader())
        .await
        .map_err(crate::store::StoreError::Sqlx)?;
    let shop = from_name.or(shop).unwrap_or_else(|| "Mostrador".into());
    let notice = Notice {
        shop_name: &shop,
        customer_name: None,
        body: "Este es un correo de prueba de Mostrador. Si te llegó, el correo está bien configurado.",
        attachments: &[],
    };
    let mail = Email {
        from,
        from_name: shop.clone(),
        to,
        to_name: None,
        subject: "Correo de prueba de Mostrador".into(),
        text: notice.text(),
        html: notice.html(),
        attachments: vec![],
        reference: format!("test-{}", uuid::Uuid::new_v4().simple()),
    };
    sender
        .send(&mail)
        .await
        .map(|_| ())
        .map_err(|e| crate::AppError::new(ErrorCode::ProviderRejected, e.to_failure().message_es))
}
