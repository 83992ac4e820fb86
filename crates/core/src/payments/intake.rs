//! MercadoPago's notifications through the relay (`inbox_raw` rows with provider `mercadopago`).
//! A webhook is authentic only if `x-signature` verifies over `data.id` of the exact URL the relay
//! recorded, `x-request-id` and `ts`, with the webhook secret from the keychain; a forged, altered
//! or unsigned one is quarantined. The legacy IPN form cannot be signed: it is accepted only as a
//! reason to fetch. Nothing is ever taken from the body but the id: each new notification becomes
//! a `mercadopago.sync` job that fetches the resource (dedupe on resource + action + notification
//! id; the fetch makes any replay harmless).
//!
//! No timestamp tolerance: a replayed notification can only cause a fetch of the truth, and
//! MercadoPago's retries after a long relay outage are legitimately old.

use std::time::SystemTime;

use mostrador_mercadopago::notification::{self, Topic};
use mostrador_mercadopago::signature::{self, SignatureError, Signed};
use mostrador_queue::{NewJob, Queue, Wake};
use mostrador_types::Secret;
use sqlx::SqliteConnection;

use super::jobs::{SyncJob, SYNC_KIND};
use crate::org::OrgId;

/// What one batch did.
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub processed: u64,
    pub quarantined: u64,
    pub applied: u64,
    pub duplicates: u64,
    pub wakes: Vec<Wake>,
}

#[derive(sqlx::FromRow)]
struct RawRow {
    event_id: String,
    public_url: String,
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
        SignatureError::Missing => "Sin firma (falta x-signature): no viene de MercadoPago.".into(),
        SignatureError::Malformed => "Firma mal formada en x-signature: no viene de MercadoPago.".into(),
        SignatureError::Mismatch => "La firma de MercadoPago no coincide: el secreto de webhooks es otro, o el aviso fue alterado.".into(),
        SignatureError::Stale { age_secs } => format!("Aviso de MercadoPago vencido ({age_secs} s)."),
    }
}

enum Outcome {
    Fetch(Topic, String, String),
    Ignored(String),
    Quarantined(String),
}

fn check(row: &RawRow, secret: Option<&Secret>) -> Outcome {
    let n = match notification::parse(&row.public_url, &row.body) {
        Ok(n) => n,
        Err(e) => {
            return Outcome::Quarantined(format!("No es un aviso de MercadoPago legible: {e}"))
        }
    };
    if !n.legacy_ipn {
        let Some(secret) = secret else {
            return Outcome::Quarantined(
                "No hay secreto de webhooks de MercadoPago guardado: no se puede verificar la firma. Cargalo en Ajustes → MercadoPago.".into(),
            );
        };
        let headers: serde_json::Value =
            serde_json::from_str(&row.headers).unwrap_or(serde_json::Value::Null);
        let signed = Signed {
            signature: header(&headers, signature::SIGNATURE_HEADER),
            request_id: header(&headers, signature::REQUEST_ID_HEADER),
            data_id: n.query_data_id.as_deref(),
        };
        if let Err(e) = signature::verify(secret.expose(), signed, SystemTime::now(), None) {
            return Outcome::Quarantined(reason_es(e));
        }
    }
    match n.topic {
        Topic::Payment => {
            if n.resource_id
                .parse::<mostrador_mercadopago::PaymentId>()
                .is_err()
            {
                return Outcome::Quarantined(format!("Id de pago inválido: {:?}", n.resource_id));
            }
            let key = n.dedupe_key();
            Outcome::Fetch(Topic::Payment, n.resource_id, key)
        }
        Topic::Chargeback => {
            let key = n.dedupe_key();
            Outcome::Fetch(Topic::Chargeback, n.resource_id, key)
        }
        other => Outcome::Ignored(format!("aviso de tipo {} ignorado", other.as_str())),
    }
}

/// Processes up to `limit` `new` MercadoPago rows of `org` inside the caller's transaction.
pub(crate) async fn process(
    tx: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    secret: Option<&Secret>,
    now: &str,
    limit: u32,
) -> Result<Batch, sqlx::Error> {
    let rows: Vec<RawRow> = sqlx::query_as(
        "SELECT event_id, public_url, headers, body FROM inbox_raw
         WHERE org_id = ? AND status = 'new' AND provider = 'mercadopago'
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
                tracing::warn!(event_id = %row.event_id, reason = %r, "mercadopago notification quarantined");
                out.quarantined += 1;
                ("quarantined", Some(r))
            }
            Outcome::Ignored(r) => {
                out.processed += 1;
                ("processed", Some(r))
            }
            Outcome::Fetch(topic, id, key) => {
                let fresh = sqlx::query(
                    "INSERT INTO payment_notifications (org_id, provider, dedupe_key, event_id, at)
                     VALUES (?, 'mercadopago', ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(org.to_string())
                .bind(&key)
                .bind(&row.event_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                out.processed += 1;
                if fresh {
                    let job = SyncJob {
                        topic: topic.as_str().to_owned(),
                        id: id.clone(),
                    };
                    let j = NewJob::new(org.0, SYNC_KIND, &job)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                        // One fetch of a resource at a time, in arrival order.
                        .serial_key(format!("mp:{}:{id}", topic.as_str()))
                        .max_attempts(10);
                    let (_, wake) = queue
                        .enqueue_in(&mut *tx, &j)
                        .await
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    out.wakes.push(wake);
                    out.applied += 1;
                    tracing::debug!(event_id = %row.event_id, topic = topic.as_str(), resource = %id, "mercadopago notification: fetch queued");
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
