//! Notices and their channels (issue 12): a notice is not a chat reply — it must reach the customer
//! by the first channel that works, exactly once, and the owner sees which. Each notification type
//! has an ordered chain of channels (default WhatsApp → SMS → e-mail); every step is a job, and
//! when one gives up the next is created as its child job, in the same transaction that records
//! the give-up ([`crate::outbound::fallback`]). Scheduled notices ("Recordatorios") live in
//! [`schedule`].

mod chain;
pub mod schedule;
mod seed;

pub use chain::{chain_for, set_chain, Channel, DEFAULT_CHAIN};
pub use schedule::{
    NewScheduled, ScheduleError, ScheduledNotice, ScheduledSeed, ScheduledState, Scheduler, When,
};
pub use seed::{seed_kind, send_seed_notice, SeedNotice};

use mostrador_queue::{JobId, Queue, QueueError, Wake};
use sqlx::SqliteConnection;

use crate::channels::email::{self, AttachmentRef, EmailError, EmailRequest};
use crate::channels::sms::{self, SmsError, SmsRequest};
use crate::channels::whatsapp::{TemplateHeader, WhatsAppContent, WhatsAppSend};
use crate::conversations::{self, NewMessage};
use crate::events::{ConversationEvent, EventBus};
use crate::org::OrgId;
use crate::store::{Store, StoreError};

/// A notice to send.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewNotice {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub customer_id: i64,
    /// Notification type (`turno`, `factura`, `pago`, `recordatorio`…): picks the chain.
    pub kind: String,
    /// The e-mail subject.
    pub subject: String,
    /// Plain text: the SMS and the e-mail body (and the WhatsApp text when no template is set).
    pub body: String,
    /// The WhatsApp step's content (an approved template outside the 24 h window).
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(default, skip)]
    pub whatsapp: Option<WhatsAppContent>,
    /// The WhatsApp step's text in the thread when `whatsapp` is a template (its filled body).
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(default, skip)]
    pub whatsapp_preview: Option<String>,
    /// Why WhatsApp cannot carry this notice (Spanish): its step is skipped with this reason.
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(default, skip)]
    pub whatsapp_unusable: Option<String>,
    /// Files the e-mail step attaches (the SMS and WhatsApp steps do not).
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(default, skip)]
    pub attachments: Vec<AttachmentRef>,
    /// Once per intent: a second notice with the same key sends nothing and answers the first.
    #[cfg_attr(feature = "ts", ts(skip))]
    #[serde(default, skip)]
    pub idempotency_key: Option<String>,
}

/// A notice as sent (or found already sent): its first step.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SentNotice {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub notice_id: i64,
    /// The first step's message in the customer's thread.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub message_id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub conversation_id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub job_id: i64,
    /// The channel of the first step that could be used.
    pub channel: Channel,
    /// The idempotency key had been used: this is the earlier notice, nothing new was queued.
    pub already_sent: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("No existe ese cliente.")]
    UnknownCustomer,
    #[error("El cliente pidió no recibir mensajes: no se le manda el aviso.")]
    OptedOut,
    #[error("El aviso no tiene texto.")]
    Empty,
    #[error("Ningún canal puede llevar este aviso: {0}")]
    NoChannel(String),
    /// A field the notice's text needs is not in its context.
    #[error("Falta «{label}» para armar el aviso.")]
    MissingContext {
        field: &'static str,
        label: &'static str,
    },
    #[error("«{0}» no es uno de los avisos sugeridos.")]
    UnknownSeed(String),
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What started a step.
pub struct Started {
    pub job: JobId,
    pub wake: Wake,
    pub channel: Channel,
    pub events: Vec<ConversationEvent>,
}

/// Sends a notice (own transaction). Returns the notice id and its first job.
pub async fn send_notice(
    store: &Store,
    queue: &Queue,
    org: OrgId,
    notice: &NewNotice,
) -> Result<(i64, JobId), NotifyError> {
    let mut tx = store.begin_immediate().await?;
    let (id, started) = send_notice_in(&mut tx, queue, org, notice).await?;
    tx.commit().await?;
    let job = started.job;
    started.wake.after_commit();
    Ok((id, job))
}

/// Sends a notice once per `idempotency_key` (own transaction; the thread's events are emitted
/// after the commit). A second call with the same key queues nothing and answers the first.
pub async fn send_notice_once(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    org: OrgId,
    notice: &NewNotice,
) -> Result<SentNotice, NotifyError> {
    let mut tx = store.begin_immediate().await?;
    if let Some(key) = &notice.idempotency_key {
        let earlier: Option<i64> =
            sqlx::query_scalar("SELECT id FROM notices WHERE org_id = ? AND idempotency_key = ?")
                .bind(org.to_string())
                .bind(key)
                .fetch_optional(&mut *tx)
                .await?;
        if let Some(notice_id) = earlier {
            let first: Option<(i64, String, i64, i64)> = sqlx::query_as(
                "SELECT ns.job_id, ns.channel, m.id, m.conversation_id
                 FROM notice_sends ns JOIN messages m ON m.org_id = ns.org_id AND m.job_id = ns.job_id
                 WHERE ns.notice_id = ? ORDER BY ns.step LIMIT 1",
            )
            .bind(notice_id)
            .fetch_optional(&mut *tx)
            .await?;
            drop(tx);
            let (job_id, channel, message_id, conversation_id) = first.ok_or_else(|| {
                NotifyError::NoChannel("el aviso anterior no salió por ningún canal".into())
            })?;
            return Ok(SentNotice {
                notice_id,
                message_id,
                conversation_id,
                job_id,
                channel: Channel::of_kind(&channel).unwrap_or(Channel::WhatsApp),
                already_sent: true,
            });
        }
    }
    let (notice_id, started) = send_notice_in(&mut tx, queue, org, notice).await?;
    let (message_id, conversation_id): (i64, i64) =
        sqlx::query_as("SELECT id, conversation_id FROM messages WHERE org_id = ? AND job_id = ?")
            .bind(org.to_string())
            .bind(started.job.0)
            .fetch_one(&mut *tx)
            .await?;
    tx.commit().await?;
    let Started {
        job,
        wake,
        channel,
        events: out,
    } = started;
    wake.after_commit();
    events.emit_all(out);
    Ok(SentNotice {
        notice_id,
        message_id,
        conversation_id,
        job_id: job.0,
        channel,
        already_sent: false,
    })
}

/// Records the notice and creates its first usable step's job in the caller's transaction.
pub async fn send_notice_in(
    conn: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    notice: &NewNotice,
) -> Result<(i64, Started), NotifyError> {
    if notice.body.trim().is_empty() {
        return Err(NotifyError::Empty);
    }
    let opted: Option<i64> =
        sqlx::query_scalar("SELECT opted_out FROM customers WHERE id = ? AND org_id = ?")
            .bind(notice.customer_id)
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    match opted {
        None => return Err(NotifyError::UnknownCustomer),
        Some(1) => return Err(NotifyError::OptedOut),
        _ => {}
    }
    let chain = chain_for(&mut *conn, org, &notice.kind).await?;
    let chain_json = serde_json::to_string(&chain).expect("channels serialize");
    let whatsapp = notice
        .whatsapp
        .as_ref()
        .map(|w| serde_json::to_string(w).expect("content serializes"));
    let attachments = serde_json::to_string(&notice.attachments).expect("refs serialize");
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO notices (org_id, customer_id, kind, subject, body, whatsapp, chain, created_at,
                              attachments, idempotency_key, whatsapp_preview, whatsapp_unusable)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(org.to_string())
    .bind(notice.customer_id)
    .bind(&notice.kind)
    .bind(&notice.subject)
    .bind(&notice.body)
    .bind(whatsapp)
    .bind(chain_json)
    .bind(conversations::ts_now())
    .bind(attachments)
    .bind(&notice.idempotency_key)
    .bind(&notice.whatsapp_preview)
    .bind(&notice.whatsapp_unusable)
    .fetch_one(&mut *conn)
    .await?;
    match start_step_in(conn, queue, org, id, 0, None, None).await? {
        Some(s) => Ok((id, s)),
        None => Err(NotifyError::NoChannel(
            "el cliente no tiene WhatsApp, celular ni correo utilizables, o los canales no están configurados".into(),
        )),
    }
}

struct NoticeRow {
    customer_id: i64,
    subject: String,
    body: String,
    whatsapp: Option<String>,
    chain: Vec<Channel>,
    attachments: Vec<AttachmentRef>,
    whatsapp_preview: Option<String>,
    whatsapp_unusable: Option<String>,
}

async fn load_notice(
    conn: &mut SqliteConnection,
    org: OrgId,
    id: i64,
) -> Result<Option<NoticeRow>, sqlx::Error> {
    type Row = (
        i64,
        String,
        String,
        Option<String>,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let row: Option<Row> = sqlx::query_as(
        "SELECT customer_id, subject, body, whatsapp, chain, attachments, whatsapp_preview,
                whatsapp_unusable
         FROM notices WHERE id = ? AND org_id = ?",
    )
    .bind(id)
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(
        |(customer_id, subject, body, whatsapp, chain, attachments, preview, unusable)| NoticeRow {
            customer_id,
            subject,
            body,
            whatsapp,
            chain: serde_json::from_str(&chain).unwrap_or_else(|_| DEFAULT_CHAIN.to_vec()),
            // Written by us as a JSON array (checked by the table): unreadable means none.
            attachments: serde_json::from_str(&attachments).unwrap_or_else(|e| {
                tracing::error!(notice_id = id, error = %e, "unreadable notice attachments");
                Vec::new()
            }),
            whatsapp_preview: preview,
            whatsapp_unusable: unusable,
        },
    ))
}

/// Whether a channel is set up for the organization at all.
async fn configured(
    conn: &mut SqliteConnection,
    org: OrgId,
    channel: Channel,
) -> Result<bool, sqlx::Error> {
    let key = match channel {
        Channel::WhatsApp => crate::channels::whatsapp::PHONE_NUMBER_ID,
        Channel::Sms => sms::ACCOUNT_SID,
        Channel::Email => email::PROVIDER,
    };
    let v: Option<String> =
        sqlx::query_scalar("SELECT value FROM settings WHERE org_id = ? AND key = ?")
            .bind(org.to_string())
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    Ok(v.is_some_and(|v| !v.is_empty()))
}

/// Creates the job of the first usable step at or after `from` (in the caller's transaction).
/// `why` is why the previous step gave up (for the thread's note). Steps that cannot be used (no
/// number, opted out of SMS, no e-mail, channel not configured) are skipped, their reason added.
/// `None`: no step left.
pub async fn start_step_in(
    conn: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    notice_id: i64,
    from: usize,
    parent: Option<JobId>,
    why: Option<String>,
) -> Result<Option<Started>, NotifyError> {
    let Some(n) = load_notice(conn, org, notice_id).await? else {
        return Ok(None);
    };
    let mut reasons: Vec<String> = why.into_iter().collect();
    let mut failed_channel: Option<Channel> = if from > 0 {
        n.chain.get(from - 1).copied()
    } else {
        None
    };
    for step in from..n.chain.len() {
        let channel = n.chain[step];
        let note = failed_channel.map(|prev| {
            format!(
                "enviado por {} porque {} falló: {}",
                channel.display_es(),
                prev.display_es(),
                if reasons.is_empty() {
                    "sin motivo informado".to_owned()
                } else {
                    reasons.join("; ")
                }
            )
        });
        if !configured(conn, org, channel).await? {
            reasons.push(format!("{} no está configurado", channel.display_es()));
            failed_channel.get_or_insert(channel);
            continue;
        }
        let key = format!("notice:{notice_id}:{step}");
        let r = match channel {
            Channel::WhatsApp => whatsapp_step(conn, queue, org, &n, key, parent, note).await,
            Channel::Sms => {
                match sms::enqueue_in(
                    conn,
                    queue,
                    org,
                    SmsRequest {
                        customer_id: n.customer_id,
                        body: &n.body,
                        unique_key: Some(key),
                        parent,
                        fallback_note: note,
                    },
                )
                .await
                {
                    Ok((job, wake, _, events)) => Ok(Ok((job, wake, events))),
                    Err(SmsError::Queue(q)) => Err(NotifyError::Queue(q)),
                    Err(SmsError::Sqlx(s)) => Err(NotifyError::Sqlx(s)),
                    Err(e) => Ok(Err(e.to_string())),
                }
            }
            Channel::Email => {
                match email::enqueue_in(
                    conn,
                    queue,
                    org,
                    EmailRequest {
                        customer_id: n.customer_id,
                        to: None,
                        subject: &n.subject,
                        body: &n.body,
                        attachments: n.attachments.clone(),
                        unique_key: Some(key),
                        parent,
                        fallback_note: note,
                    },
                )
                .await
                {
                    Ok((job, wake, _, events)) => Ok(Ok((job, wake, events))),
                    Err(EmailError::Queue(q)) => Err(NotifyError::Queue(q)),
                    Err(EmailError::Sqlx(s)) => Err(NotifyError::Sqlx(s)),
                    Err(e) => Ok(Err(e.to_string())),
                }
            }
        }?;
        match r {
            Ok((job, wake, events)) => {
                sqlx::query(
                    "INSERT INTO notice_sends (job_id, notice_id, org_id, step, channel)
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(job.0)
                .bind(notice_id)
                .bind(org.to_string())
                .bind(step as i64)
                .bind(channel.as_str())
                .execute(&mut *conn)
                .await?;
                tracing::info!(notice_id, step, channel = channel.as_str(), job_id = %job, "notice step queued");
                return Ok(Some(Started {
                    job,
                    wake,
                    channel,
                    events,
                }));
            }
            Err(reason) => {
                reasons.push(reason);
                failed_channel.get_or_insert(channel);
            }
        }
    }
    tracing::warn!(notice_id, "no channel left for the notice");
    Ok(None)
}

type StepResult = Result<Result<(JobId, Wake, Vec<ConversationEvent>), String>, NotifyError>;

async fn whatsapp_step(
    conn: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    n: &NoticeRow,
    key: String,
    parent: Option<JobId>,
    note: Option<String>,
) -> StepResult {
    if let Some(reason) = &n.whatsapp_unusable {
        return Ok(Err(reason.clone()));
    }
    let to: Option<(Option<String>, Option<String>)> =
        sqlx::query_as("SELECT wa_id, phone FROM customers WHERE id = ? AND org_id = ?")
            .bind(n.customer_id)
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(to) = to.and_then(|(w, p)| w.or(p)).filter(|t| !t.is_empty()) else {
        return Ok(Err("el cliente no tiene número de WhatsApp".into()));
    };
    let content = n
        .whatsapp
        .as_deref()
        .and_then(|w| serde_json::from_str(w).ok())
        .unwrap_or(WhatsAppContent::Text {
            body: n.body.clone(),
            preview_url: false,
        });
    let send = WhatsAppSend {
        to,
        content,
        reply_to: None,
    };
    let mut job = send.job(org, queue.now())?.unique_key(key);
    if let Some(p) = parent {
        job = job.parent(p);
    }
    let (enqueued, wake) = queue.enqueue_in(conn, &job).await?;
    let id = enqueued.id();
    if let mostrador_queue::Enqueued::AlreadyExists(_) = enqueued {
        return Ok(Ok((id, wake, Vec::new())));
    }
    let at = conversations::ts_now();
    // A template shows as one in the thread (its filled body), like one sent from the picker.
    let (kind, text, data) = match &send.content {
        WhatsAppContent::Template { name, language, .. } => (
            "template",
            n.whatsapp_preview.as_deref().unwrap_or(&n.body),
            Some(
                serde_json::json!({ "template": { "name": name, "language": language } })
                    .to_string(),
            ),
        ),
        _ => ("text", n.body.as_str(), None),
    };
    // A document header's name: the thread shows the file the template carried (the invoice PDF).
    let filename = match &send.content {
        WhatsAppContent::Template {
            header: Some(TemplateHeader::Document { filename, .. }),
            ..
        } => filename.clone(),
        WhatsAppContent::Template {
            header:
                Some(TemplateHeader::File {
                    filename,
                    mime_type,
                    ..
                }),
            ..
        } if !mime_type.starts_with("image/") && !mime_type.starts_with("video/") => {
            filename.clone()
        }
        _ => None,
    };
    let (message_id, events) = conversations::record_outbound(
        conn,
        org,
        n.customer_id,
        NewMessage {
            kind,
            text: Some(text),
            filename: filename.as_deref(),
            data,
            job_id: Some(id.0),
            at: &at,
            ..Default::default()
        },
    )
    .await?;
    sqlx::query("UPDATE messages SET fallback_note = ? WHERE id = ?")
        .bind(note)
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    Ok(Ok((id, wake, events)))
}

/// A message's channel and fallback note, for the thread (`None` if unknown).
pub async fn message_channel(
    store: &Store,
    org: OrgId,
    message_id: i64,
) -> Result<Option<(String, Option<String>)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT channel, fallback_note FROM messages WHERE id = ? AND org_id = ?")
            .bind(message_id)
            .bind(org.to_string())
            .fetch_optional(store.reader())
            .await?,
    )
}

impl From<NotifyError> for crate::AppError {
    fn from(e: NotifyError) -> Self {
        use crate::ErrorCode;
        match e {
            NotifyError::Sqlx(s) => StoreError::Sqlx(s).into(),
            NotifyError::Store(s) => s.into(),
            NotifyError::Queue(q) => {
                tracing::error!(error = %q, "queue error while sending a notice");
                crate::AppError::new(
                    ErrorCode::DatabaseError,
                    "No se pudo guardar el aviso: probá de nuevo.",
                )
            }
            NotifyError::NoChannel(_) => {
                crate::AppError::new(ErrorCode::ChannelNotConfigured, e.to_string())
            }
            NotifyError::MissingContext { field, .. } => {
                crate::AppError::new(ErrorCode::TemplateInvalid, e.to_string())
                    .with_details(serde_json::json!({ "field": field }))
            }
            NotifyError::UnknownSeed(_) => {
                crate::AppError::new(ErrorCode::TemplateNotFound, e.to_string())
            }
            other => crate::AppError::new(ErrorCode::InvalidRecipient, other.to_string()),
        }
    }
}

impl From<ScheduleError> for crate::AppError {
    fn from(e: ScheduleError) -> Self {
        use crate::ErrorCode;
        match e {
            ScheduleError::Store(s) => s.into(),
            ScheduleError::Seed(n) => n.into(),
            ScheduleError::NotEditable | ScheduleError::NotFound => {
                crate::AppError::new(ErrorCode::ReminderNotEditable, e.to_string())
            }
            ScheduleError::UnknownCustomer => {
                crate::AppError::new(ErrorCode::InvalidRecipient, e.to_string())
            }
            ScheduleError::InPast | ScheduleError::Empty => {
                crate::AppError::new(ErrorCode::InvalidSetting, e.to_string())
                    .with_details(serde_json::json!({ "field": "when" }))
            }
        }
    }
}
