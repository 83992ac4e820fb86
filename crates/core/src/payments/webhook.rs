//! One path for a payment provider's signed webhooks that arrive through the relay (`inbox_raw`
//! rows): read the org's `new` rows of that provider, let the provider's part verify and read
//! each one, and then — the same for every provider — quarantine with the reason, ignore, or
//! dedupe it (`payment_notifications`) and queue one sync job that fetches the truth. Nothing is
//! ever applied from a body.
//!
//! The per-provider part ([`SignedWebhook`]) says which rows, which header and verify function,
//! and what to fetch: payments/intake.rs (MercadoPago) and payments/stripe_intake.rs (Stripe).
//! Twilio's callbacks share only [`header`]: they are applied as they come (a status or an SMS),
//! not turned into fetches, so the rest of this loop does not fit them.

use chrono::DateTime;
use mostrador_queue::{NewJob, Queue, Wake};
use mostrador_types::Secret;
use sqlx::SqliteConnection;

use super::jobs::SyncJob;
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

/// One relay row as the provider's part sees it.
#[derive(sqlx::FromRow)]
pub(crate) struct RawRow {
    pub event_id: String,
    pub public_url: String,
    pub received_at: String,
    pub headers: String,
    pub body: Vec<u8>,
}

impl RawRow {
    /// A header the relay recorded (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<String> {
        let headers: serde_json::Value =
            serde_json::from_str(&self.headers).unwrap_or(serde_json::Value::Null);
        header(&headers, name).map(str::to_owned)
    }

    /// When the relay received it (Unix seconds): the reference of a signature's tolerance, so a
    /// delivery that waited in the relay while this computer was off is not stale.
    pub fn received_unix(&self) -> Option<i64> {
        DateTime::parse_from_rfc3339(&self.received_at)
            .ok()
            .map(|d| d.timestamp())
    }
}

/// A header in the relay's recorded list (`[{"name": …, "value": …}]`), case-insensitive.
pub(crate) fn header<'a>(headers: &'a serde_json::Value, name: &str) -> Option<&'a str> {
    headers.as_array()?.iter().find_map(|h| {
        let n = h.get("name")?.as_str()?;
        n.eq_ignore_ascii_case(name)
            .then(|| h.get("value")?.as_str())
            .flatten()
    })
}

/// What the provider's part made of one row.
pub(crate) enum Outcome {
    /// Authentic: fetch `topic`/`id` unless `dedupe_key` was seen.
    Fetch {
        dedupe_key: String,
        topic: String,
        id: String,
    },
    /// Authentic, but nothing we act on (the reason is kept on the row).
    Ignored(String),
    /// Not authentic or not readable: kept with the reason, nothing applied.
    Quarantined(String),
}

/// The per-provider part of a signed webhook.
pub(crate) trait SignedWebhook {
    /// `inbox_raw.provider` and `payment_notifications.provider`.
    const PROVIDER: &'static str;
    /// The job that fetches what a row names.
    const SYNC_KIND: &'static str;
    /// Prefix of the sync job's serial key: one fetch of an object at a time, in arrival order.
    const SERIAL_PREFIX: &'static str;
    /// For logs: "mercadopago notification", "stripe event".
    const WHAT: &'static str;

    /// Verifies the row with the webhook secret from the keychain (`None`: none is stored) and
    /// says what to fetch.
    fn check(row: &RawRow, secret: Option<&Secret>) -> Outcome;
}

/// Processes up to `limit` `new` rows of provider `W` of `org` inside the caller's transaction.
pub(crate) async fn process<W: SignedWebhook>(
    tx: &mut SqliteConnection,
    queue: &Queue,
    org: OrgId,
    secret: Option<&Secret>,
    now: &str,
    limit: u32,
) -> Result<Batch, sqlx::Error> {
    let rows: Vec<RawRow> = sqlx::query_as(
        "SELECT event_id, public_url, received_at, headers, body FROM inbox_raw
         WHERE org_id = ? AND status = 'new' AND provider = ?
         ORDER BY relay_seq LIMIT ?",
    )
    .bind(org.to_string())
    .bind(W::PROVIDER)
    .bind(limit as i64)
    .fetch_all(&mut *tx)
    .await?;
    let mut out = Batch::default();
    for row in rows {
        let (status, reason) = match W::check(&row, secret) {
            Outcome::Quarantined(r) => {
                tracing::warn!(event_id = %row.event_id, reason = %r, "{} quarantined", W::WHAT);
                out.quarantined += 1;
                ("quarantined", Some(r))
            }
            Outcome::Ignored(r) => {
                out.processed += 1;
                ("processed", Some(r))
            }
            Outcome::Fetch {
                dedupe_key,
                topic,
                id,
            } => {
                let fresh = sqlx::query(
                    "INSERT INTO payment_notifications (org_id, provider, dedupe_key, event_id, at)
                     VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                )
                .bind(org.to_string())
                .bind(W::PROVIDER)
                .bind(&dedupe_key)
                .bind(&row.event_id)
                .bind(now)
                .execute(&mut *tx)
                .await?
                .rows_affected()
                    == 1;
                out.processed += 1;
                if fresh {
                    let serial = format!("{}:{topic}:{id}", W::SERIAL_PREFIX);
                    let job = SyncJob {
                        topic: topic.clone(),
                        id: id.clone(),
                    };
                    let j = NewJob::new(org.0, W::SYNC_KIND, &job)
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                        .serial_key(serial)
                        .max_attempts(10);
                    let (_, wake) = queue
                        .enqueue_in(&mut *tx, &j)
                        .await
                        .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
                    out.wakes.push(wake);
                    out.applied += 1;
                    tracing::debug!(event_id = %row.event_id, dedupe = %dedupe_key, topic = %topic, object = %id, "{}: fetch queued", W::WHAT);
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

/// The quarantine reason when no webhook secret is stored for `provider` (`where_` is the
/// settings page that takes it).
pub(crate) fn no_secret(what: &str, verify: &str, where_: &str) -> Outcome {
    Outcome::Quarantined(format!(
        "No hay {what} guardado: no se puede verificar {verify}. Cargalo en Ajustes → {where_}."
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_is_case_insensitive_and_absent_is_none() {
        let h = serde_json::json!([{"name": "X-Signature", "value": "ts=1,v1=ab"}]);
        assert_eq!(header(&h, "x-signature"), Some("ts=1,v1=ab"));
        assert_eq!(header(&h, "stripe-signature"), None);
        assert_eq!(header(&serde_json::Value::Null, "x-signature"), None);
    }
}
