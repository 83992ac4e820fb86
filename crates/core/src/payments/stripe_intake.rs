//! Stripe's events through the relay (`inbox_raw` rows with provider `stripe`). An event is
//! authentic only if one of the `v1` signatures of `Stripe-Signature` verifies over the exact
//! bytes the relay stored, with the endpoint's signing secret from the keychain, and its signed
//! timestamp is within 5 minutes of when the relay received it (the relay's clock, not ours: a
//! genuine event that waited in the relay while this computer was off is not stale; a replay of
//! an old delivery is). Anything else is quarantined with the reason.
//!
//! Nothing is taken from the body but ids: each new event (dedupe on Stripe's event id, which
//! its retries repeat) becomes a `stripe.sync` job that fetches the PaymentIntent, session,
//! charge or dispute it names and applies that — the same path as MercadoPago's notifications.

use std::time::Duration;

use chrono::DateTime;
use mostrador_queue::{NewJob, Queue};
use mostrador_stripe::signature::{SignatureError, Verifier, DEFAULT_TOLERANCE};
use mostrador_stripe::{Event, EventKind};
use mostrador_types::Secret;
use sqlx::SqliteConnection;

use super::intake::Batch;
use super::jobs::{SyncJob, STRIPE_SYNC_KIND};
use crate::org::OrgId;

/// Stripe's tolerance between the signed timestamp and the delivery.
pub(crate) const TOLERANCE: Duration = DEFAULT_TOLERANCE;

#[derive(sqlx::FromRow)]
struct RawRow {
    event_id: String,
    received_at: String,
    headers: String,
    body: Vec<u8>,
}

fn header<'a>(headers: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    headers.as_array()?.iter().find_map(|h| {
        let n = h.get("name")?.as_str()?;
        n.eq_ignore_ascii_case(name)
            .then(|| h.get("value")?.as_str())
            .flatten()
    })
}

fn reason_es(e: SignatureError) -> String {
    match e {
        SignatureError::Missing => "Sin firma (falta Stripe-Signature): no viene de Stripe.".into(),
        SignatureError::Malformed(_) | SignatureError::NoV1 => {
            "Firma mal formada en Stripe-Signature: no viene de Stripe.".into()
        }
        SignatureError::Mismatch => "La firma de Stripe no coincide: el secreto de firma del webhook es otro, o el evento fue alterado.".into(),
        SignatureError::OutsideTolerance { age_secs, .. } => format!(
            "Evento de Stripe firmado {age_secs} s antes de llegar al relay (más de 5 minutos): se descarta como repetición."
        ),
    }
}

enum Outcome {
    /// (event id, topic, object id)
    Fetch(String, &'static str, String),
    Ignored(String),
    Quarantined(String),
}

fn check(row: &RawRow, secret: Option<&Secret>) -> Outcome {
    let Some(secret) = secret else {
        return Outcome::Quarantined(
            "No hay secreto de firma de Stripe guardado: no se puede verificar el evento. Cargalo en Ajustes → Stripe.".into(),
        );
    };
    let headers: serde_json::Value =
        serde_json::from_str(&row.headers).unwrap_or(serde_json::Value::Null);
    let Some(received) = DateTime::parse_from_rfc3339(&row.received_at)
        .ok()
        .map(|d| d.timestamp())
    else {
        return Outcome::Quarantined("El relay no dijo cuándo recibió el evento.".into());
    };
    let verifier = Verifier::new(secret.clone()).with_tolerance(TOLERANCE);
    if let Err(e) = verifier.verify_at(&row.body, header(&headers, "stripe-signature"), received) {
        return Outcome::Quarantined(reason_es(e));
    }
    let ev = match Event::parse(&row.body) {
        Ok(ev) => ev,
        Err(e) => return Outcome::Quarantined(format!("No es un evento de Stripe legible: {e}")),
    };
    let target = match &ev.kind {
        EventKind::PaymentSucceeded(pi) | EventKind::PaymentFailed(pi) => {
            Some(("payment_intent", pi.id.to_string()))
        }
        EventKind::CheckoutCompleted(s) => Some(match &s.payment_intent {
            Some(pi) => ("payment_intent", pi.to_string()),
            None => ("checkout_session", s.id.to_string()),
        }),
        EventKind::ChargeRefunded(c) => Some(match &c.payment_intent {
            Some(pi) => ("payment_intent", pi.to_string()),
            None => ("charge", c.id.to_string()),
        }),
        EventKind::DisputeCreated(d) | EventKind::DisputeChanged(d) => {
            Some(("dispute", d.id.to_string()))
        }
        EventKind::Other { .. } => None,
    };
    match target {
        Some((topic, id)) => Outcome::Fetch(ev.id.to_string(), topic, id),
        None => Outcome::Ignored(format!("evento {} ignorado", ev.kind_name)),
    }
}

/// Processes up to `limit` `new` Stripe rows of `org` inside the caller's transaction.
pub(crate) async fn process(
    tx: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    secret: Option<&Secret>,
    now: &str,
    limit: u32,
) -> Result<Batch, sqlx::Error> {
    let rows: Vec<RawRow> = sqlx::query_as(
        "SELECT event_id, received_at, headers, body FROM inbox_raw
         WHERE org_id = ? AND status = 'new' AND provider = 'stripe'
         ORDER BY relay_seq LIMIT ?",
    )
    .bind(org.to_string())
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Batch::default();
    for row in rows {
        let (status, reason) = match check(&row, secret) {
            Outcome::Quarantined(r) => {
                tracing::warn!(event_id = %row.event_id, reason = %r, "stripe event quarantined");
                out.quarantined += 1;
                ("quarantined", Some(r))
            }
            Outcome::Ignored(r) => {
                out.processed += 1;
                ("processed", Some(r))
            }
            Outcome::Fetch(stripe_event, topic, id) => {
                let fresh = sqlx::query(
                    "INSERT INTO payment_notifications (org_id, provider, dedupe_key, event_id, at)
                     VALUES (?, 'stripe', ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(org.to_string())
                .bind(&stripe_event)
                .bind(&row.event_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                out.processed += 1;
                if fresh {
                    let job = SyncJob {
                        topic: topic.to_owned(),
                        id: id.clone(),
                    };
                    let j = NewJob::new(org.0, STRIPE_SYNC_KIND, &job)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                        // One fetch of an object at a time, in arrival order.
                        .serial_key(format!("stripe:{topic}:{id}"))
                        .max_attempts(10);
                    let (_, wake) = queue
                        .enqueue_in(&mut *tx, &j)
                        .await
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    out.wakes.push(wake);
                    out.applied += 1;
                    tracing::debug!(event_id = %row.event_id, stripe_event = %stripe_event, topic, object = %id, "stripe event: fetch queued");
                    ("processed", None)
                } else {
                    out.duplicates += 1;
                    ("processed", Some("repetido".to_owned()))
                }
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
