//! Twilio's POSTs through the relay (`inbox_raw` rows with provider `twilio`): status callbacks
//! of our SMS and inbound SMS. Each is authentic only if `X-Twilio-Signature` verifies over the
//! exact public URL the relay recorded plus the sorted form parameters, with the auth token from
//! the keychain; a forged, altered or unsigned one is quarantined, nothing applied. A replay is a
//! duplicate (same sid + status), so it changes nothing.
//!
//! SMS live in the customer's one conversation as messages of channel `sms` with their own
//! statuses; STOP/BAJA opts the customer out of SMS.

use mostrador_twilio::callback::parse_form;
use mostrador_twilio::{InboundSms, MessageStatus as SmsStatus, SignatureError, StatusCallback};
use mostrador_types::{Phone, Secret};
use sqlx::{Connection as _, SqliteConnection};

use super::evidence::JobStatusEvidence;
use crate::channels::sms::explain_sms_es;
use crate::conversations::write::{self, NewMessage, StatusInput};
use crate::conversations::MessageStatus;
use crate::events::ConversationEvent;
use crate::org::OrgId;
// The relay's recorded headers, read as for the payment providers' signed webhooks.
use crate::payments::webhook::header;

/// What one batch of Twilio rows did.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub processed: u64,
    pub quarantined: u64,
    pub failed: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub events: Vec<ConversationEvent>,
    pub evidence: Vec<JobStatusEvidence>,
}

#[derive(sqlx::FromRow)]
struct RawRow {
    event_id: String,
    public_url: String,
    headers: String,
    body: Vec<u8>,
}

/// Our status for Twilio's; `None` for statuses that say nothing new (`accepted`, `scheduled`…).
fn status_of(s: &SmsStatus) -> Option<MessageStatus> {
    Some(match s {
        SmsStatus::Queued | SmsStatus::Sending => MessageStatus::Queued,
        SmsStatus::Sent => MessageStatus::Sent,
        SmsStatus::Delivered => MessageStatus::Delivered,
        SmsStatus::Undelivered | SmsStatus::Failed => MessageStatus::Failed,
        _ => return None,
    })
}

/// The job named in our status callback URL (`…?job=42`).
fn job_of(public_url: &str) -> Option<i64> {
    url::Url::parse(public_url)
        .ok()?
        .query_pairs()
        .find(|(k, _)| k == "job")
        .and_then(|(_, v)| v.parse().ok())
}

enum Outcome {
    Processed,
    Duplicate,
    Quarantined(String),
}

/// Processes up to `limit` `new` Twilio rows of `org` inside the caller's transaction.
pub(crate) async fn process(
    tx: &mut SqliteConnection,
    org: OrgId,
    token: Option<&Secret>,
    account_sid: Option<&str>,
    now: &str,
    limit: u32,
) -> Result<Batch, sqlx::Error> {
    let rows: Vec<RawRow> = sqlx::query_as(
        "SELECT event_id, public_url, headers, body FROM inbox_raw
         WHERE org_id = ? AND status = 'new' AND provider = 'twilio'
         ORDER BY relay_seq LIMIT ?",
    )
    .bind(org.to_string())
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Batch::default();
    for row in rows {
        let outcome = 'o: {
            let Some(token) = token else {
                break 'o Ok(Outcome::Quarantined(
                    "No hay auth token de Twilio guardado: no se puede verificar la firma. Cargalo en Ajustes → SMS.".into(),
                ));
            };
            let headers: serde_json::Value =
                serde_json::from_str(&row.headers).unwrap_or(serde_json::Value::Null);
            let form = parse_form(&row.body);
            if let Err(e) = mostrador_twilio::verify(
                token.expose(),
                &row.public_url,
                &form,
                header(&headers, "x-twilio-signature"),
            ) {
                break 'o Ok(Outcome::Quarantined(match e {
                    SignatureError::Missing => {
                        "Sin firma (falta X-Twilio-Signature): no viene de Twilio.".into()
                    }
                    SignatureError::Mismatch => "La firma de Twilio no coincide: el auth token es otro, o el pedido fue alterado.".into(),
                }));
            }
            let account = form
                .iter()
                .find(|(k, _)| k == "AccountSid")
                .map(|(_, v)| v.as_str());
            if let (Some(ours), Some(theirs)) = (account_sid, account) {
                if ours != theirs {
                    break 'o Ok(Outcome::Quarantined(format!(
                        "El aviso es de otra cuenta de Twilio ({theirs}): no se aplicó."
                    )));
                }
            }
            let is_status = form.iter().any(|(k, _)| k == "MessageStatus")
                || form
                    .iter()
                    .any(|(k, v)| k == "SmsStatus" && v != "received");
            let mut sp = tx.begin().await?;
            let r = if is_status {
                match StatusCallback::from_form(&form) {
                    Ok(s) => {
                        apply_status(&mut sp, org, &s, job_of(&row.public_url), now, &mut out).await
                    }
                    Err(e) => {
                        break 'o Ok(Outcome::Quarantined(format!(
                            "Aviso de Twilio ilegible: {e}"
                        )))
                    }
                }
            } else {
                match InboundSms::from_form(&form) {
                    Ok(m) => apply_inbound(&mut sp, org, &m, now, &mut out).await,
                    Err(e) => {
                        break 'o Ok(Outcome::Quarantined(format!("SMS entrante ilegible: {e}")))
                    }
                }
            };
            match r {
                Ok(o) => {
                    sp.commit().await?;
                    Ok(o)
                }
                Err(e) => Err(e),
            }
        };
        let (status, reason) = match outcome {
            Ok(Outcome::Processed) => {
                out.processed += 1;
                out.applied += 1;
                ("processed", None)
            }
            Ok(Outcome::Duplicate) => {
                out.processed += 1;
                out.duplicates += 1;
                ("processed", None)
            }
            Ok(Outcome::Quarantined(r)) => {
                tracing::warn!(event_id = %row.event_id, reason = %r, "twilio callback quarantined");
                out.quarantined += 1;
                ("quarantined", Some(r))
            }
            Err(e) => {
                tracing::error!(event_id = %row.event_id, error = %e, "twilio callback failed to apply (kept for retry)");
                out.failed += 1;
                ("failed", Some(e.to_string()))
            }
        };
        sqlx::query(
            "UPDATE inbox_raw SET status = ?, status_reason = ?, processed_at = ?,
                                  attempts = attempts + 1
             WHERE event_id = ?",
        )
        .bind(status)
        .bind(reason)
        .bind(now)
        .bind(&row.event_id)
        .execute(&mut *tx)
        .await?;
    }
    Ok(out)
}

async fn apply_status(
    conn: &mut SqliteConnection,
    org: OrgId,
    s: &StatusCallback,
    job: Option<i64>,
    now: &str,
    out: &mut Batch,
) -> Result<Outcome, sqlx::Error> {
    let Some(status) = status_of(&s.status) else {
        return Ok(Outcome::Duplicate);
    };
    let callback = job.map(|j| j.to_string());
    let input = StatusInput {
        provider_id: s.message_sid.as_str(),
        status,
        at: now,
        error_code: s.error_code,
        error_title: None,
        error_details: None,
        callback_data: callback.as_deref(),
    };
    let mut events = Vec::new();
    let r = write::apply_status(conn, org, &input, now, &mut events).await?;
    if r == write::StatusOutcome::Duplicate {
        return Ok(Outcome::Duplicate);
    }
    if status == MessageStatus::Failed {
        // apply_status explains WhatsApp's codes; an SMS gets Twilio's meaning.
        let reason = s
            .error_class()
            .map(explain_sms_es)
            .unwrap_or("Twilio no pudo entregar el SMS (sin código de error).");
        sqlx::query(
            "UPDATE messages SET error_reason = ? WHERE org_id = ? AND provider_id = ? AND status = 'failed'",
        )
        .bind(reason)
        .bind(org.to_string())
        .bind(s.message_sid.as_str())
        .execute(&mut *conn)
        .await?;
        for e in &mut events {
            if let ConversationEvent::StatusChanged { error_reason, .. } = e {
                *error_reason = Some(reason.to_owned());
            }
        }
    }
    out.events.extend(events);
    if let Some(job_id) = job {
        out.evidence.push(JobStatusEvidence {
            job_id,
            provider_id: s.message_sid.as_str().to_owned(),
            status: if status == MessageStatus::Failed {
                "failed".into()
            } else {
                status.as_str().to_owned()
            },
        });
    }
    Ok(Outcome::Processed)
}

async fn apply_inbound(
    conn: &mut SqliteConnection,
    org: OrgId,
    m: &InboundSms,
    now: &str,
    out: &mut Batch,
) -> Result<Outcome, sqlx::Error> {
    let org_id = org.to_string();
    let digits = Phone::from_wa_id(&m.from)
        .map(|p| p.digits().to_owned())
        .unwrap_or_else(|_| m.from.trim_start_matches('+').to_owned());
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM customers WHERE org_id = ? AND (phone = ? OR wa_id = ?) ORDER BY id LIMIT 1",
    )
    .bind(&org_id)
    .bind(&digits)
    .bind(&digits)
    .fetch_optional(&mut *conn)
    .await?;
    let customer_id =
        match existing {
            Some(id) => id,
            None => sqlx::query_scalar(
                "INSERT INTO customers (org_id, phone, first_contact_at, created_at, updated_at)
                 VALUES (?1, ?2, ?3, ?3, ?3) RETURNING id",
            )
            .bind(&org_id)
            .bind(&digits)
            .bind(now)
            .fetch_one(&mut *conn)
            .await?,
        };
    let conversation_id = write::conversation_for(conn, org, customer_id, "whatsapp", now).await?;
    let msg = NewMessage {
        conversation_id,
        provider_id: Some(m.message_sid.as_str()),
        direction: "in",
        kind: "text",
        text: Some(&m.body),
        at: now,
        ..Default::default()
    };
    let Some(message_id) = write::insert_message(conn, org, &msg, now).await? else {
        return Ok(Outcome::Duplicate);
    };
    sqlx::query("UPDATE messages SET channel = 'sms' WHERE id = ?")
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
    let preview = write::preview("text", Some(&m.body), None);
    // Not `inbound` for the conversation: an SMS does not open WhatsApp's 24 h window.
    write::touch_conversation(
        conn,
        conversation_id,
        message_id,
        &preview,
        now,
        false,
        true,
        now,
    )
    .await?;
    sqlx::query("UPDATE conversations SET status = 'abierta' WHERE id = ?")
        .bind(conversation_id)
        .execute(&mut *conn)
        .await?;
    if m.is_opt_out() {
        crate::channels::sms::opt_out(conn, org, customer_id).await?;
        tracing::info!(%org, customer_id, "customer opted out of SMS");
    }
    write::message_events(conn, org, message_id, conversation_id, &mut out.events).await?;
    Ok(Outcome::Processed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_job_comes_from_our_callback_url() {
        assert_eq!(
            job_of("https://relay.example.com/in/abc/twilio?job=42"),
            Some(42)
        );
        assert_eq!(job_of("https://relay.example.com/in/abc/twilio"), None);
        assert_eq!(
            status_of(&SmsStatus::Undelivered),
            Some(MessageStatus::Failed)
        );
        assert_eq!(status_of(&SmsStatus::Accepted), None);
    }
}
