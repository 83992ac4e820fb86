//! The `sms.send` payload, the segment measure shown before sending, and the enqueue that records
//! the outbound message (channel `sms`) in the customer's conversation in the same transaction as
//! its job.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::{Enqueued, JobId, NewJob, Queue, QueueError, Wake};
use mostrador_twilio::ids::PhoneNumber;
use mostrador_twilio::message::ValidationError;
use mostrador_twilio::segments::{self, Encoding};
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::conversations::{self, NewMessage};
use crate::events::ConversationEvent;
use crate::org::OrgId;

/// One SMS to one number, as stored in the job row (our versioned format, not Twilio's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmsSend {
    /// E.164 (`+5491112345678`).
    pub to: String,
    pub body: String,
    /// The customer, to honour an opt-out that arrived after the job was queued.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer_id: Option<i64>,
}

/// A notice is not sent more than a week late.
pub const SMS_EXPIRES_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

impl SmsSend {
    pub fn job(&self, org: OrgId, now: DateTime<Utc>) -> Result<NewJob, QueueError> {
        Ok(NewJob::new(org.0, super::KIND, self)?
            .expires_at(now + chrono::Duration::from_std(SMS_EXPIRES_AFTER).unwrap_or_default())
            .serial_key(format!("sms:{org}:{}", self.to)))
    }
}

/// What the owner sees before sending: encoding, segments and the cost class.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmsMeasure {
    /// `gsm7` (160 per SMS) or `ucs2` (70: one accent outside GSM-7 is enough).
    pub encoding: String,
    pub characters: u32,
    pub segments: u32,
    /// Characters left in the last segment.
    pub remaining: u32,
    /// Spanish, for the composer: "2 SMS (UCS-2: 70 caracteres por SMS por las tildes)".
    pub summary_es: String,
}

pub fn measure(text: &str) -> SmsMeasure {
    let c = segments::count(text);
    let (single, multi, name) = match c.encoding {
        Encoding::Gsm7 => (160, 153, "gsm7"),
        Encoding::Ucs2 => (70, 67, "ucs2"),
    };
    let per = if c.segments <= 1 { single } else { multi };
    let remaining = (per * c.segments.max(1)).saturating_sub(c.units);
    let summary_es = match c.encoding {
        Encoding::Gsm7 => format!("{} SMS ({} caracteres por SMS)", c.segments, single),
        Encoding::Ucs2 => format!(
            "{} SMS (con tildes o emojis: {} caracteres por SMS, no 160)",
            c.segments, single
        ),
    };
    SmsMeasure {
        encoding: name.into(),
        characters: text.chars().count() as u32,
        segments: c.segments as u32,
        remaining: remaining as u32,
        summary_es,
    }
}

/// Why an SMS cannot be queued. The texts are for people (es-AR).
#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    #[error("El cliente no tiene un número de celular guardado: no se le puede mandar SMS.")]
    NoPhone,
    #[error("El número {0} no sirve para SMS (tiene que ser internacional, como +54 9 11 …).")]
    InvalidPhone(String),
    #[error("El cliente pidió no recibir SMS (respondió STOP o BAJA).")]
    OptedOut,
    #[error("El texto no se puede mandar por SMS: {0}")]
    InvalidText(#[from] ValidationError),
    #[error("No existe ese cliente.")]
    UnknownCustomer,
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
}

/// What to queue.
#[derive(Debug, Clone)]
pub struct SmsRequest<'a> {
    pub customer_id: i64,
    pub body: &'a str,
    /// Idempotency key (a notice step: `notice:<id>:sms`).
    pub unique_key: Option<String>,
    pub parent: Option<JobId>,
    /// Shown on the message in the thread ("enviado por SMS porque WhatsApp falló: …").
    pub fallback_note: Option<String>,
}

/// Queues an SMS inside the caller's transaction and records it in the customer's conversation
/// (channel `sms`, status pending, linked to the job). Returns the job, its wake-up (call
/// `after_commit`), the message id (None when the job already existed) and the events to emit
/// after commit.
pub async fn enqueue_in(
    conn: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    req: SmsRequest<'_>,
) -> Result<(JobId, Wake, Option<i64>, Vec<ConversationEvent>), SmsError> {
    let row: Option<(Option<String>, i64)> =
        sqlx::query_as("SELECT phone, sms_opted_out FROM customers WHERE id = ? AND org_id = ?")
            .bind(req.customer_id)
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let (phone, opted_out) = row.ok_or(SmsError::UnknownCustomer)?;
    if opted_out != 0 {
        return Err(SmsError::OptedOut);
    }
    let phone = phone.filter(|p| !p.is_empty()).ok_or(SmsError::NoPhone)?;
    let to = if phone.starts_with('+') {
        phone
    } else {
        format!("+{phone}")
    };
    PhoneNumber::new(to.clone()).map_err(|_| SmsError::InvalidPhone(to.clone()))?;
    // Refused here, not at send time: empty or over Twilio's 1600 characters.
    mostrador_twilio::NewSms::new(
        PhoneNumber::new(to.clone()).expect("checked"),
        mostrador_twilio::Sender::From(PhoneNumber::new("+10000000000").expect("constant")),
        req.body,
    )?;
    let payload = SmsSend {
        to,
        body: req.body.to_owned(),
        customer_id: Some(req.customer_id),
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
    let (message_id, events) = conversations::record_outbound(
        conn,
        org,
        req.customer_id,
        NewMessage {
            kind: "text",
            text: Some(req.body),
            job_id: Some(job_id.0),
            at: &at,
            ..Default::default()
        },
    )
    .await?;
    sqlx::query("UPDATE messages SET channel = 'sms', fallback_note = ? WHERE id = ?")
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
    fn one_accent_turns_160_into_70() {
        let plain = measure(&"a".repeat(160));
        assert_eq!((plain.encoding.as_str(), plain.segments), ("gsm7", 1));
        assert_eq!(plain.remaining, 0);
        let accent = measure(&format!("á{}", "a".repeat(69)));
        assert_eq!((accent.encoding.as_str(), accent.segments), ("ucs2", 1));
        let over = measure(&format!("á{}", "a".repeat(70)));
        assert_eq!(over.segments, 2);
        assert!(over.summary_es.contains("70"), "{}", over.summary_es);
        assert_eq!(measure("Hola").remaining, 156);
    }

    #[test]
    fn payload_round_trips_and_names_its_kind() {
        let p = SmsSend {
            to: "+5491112345678".into(),
            body: "Tu turno es mañana".into(),
            customer_id: Some(3),
        };
        let s = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<SmsSend>(&s).unwrap(), p);
        assert!(serde_json::from_str::<SmsSend>(r#"{"to":"+1","body":"x","fax":1}"#).is_err());
        let org = OrgId::new();
        let j = p.job(org, Utc::now()).unwrap();
        assert_eq!(j.kind, "sms.send");
        assert_eq!(j.serial_key, Some(format!("sms:{org}:+5491112345678")));
    }
}
