//! MercadoPago's notifications through the relay (`inbox_raw` rows with provider `mercadopago`),
//! the per-provider part of the signed-webhook path (payments/webhook.rs).
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
use mostrador_queue::Queue;
use mostrador_types::Secret;
use sqlx::SqliteConnection;

use super::jobs::SYNC_KIND;
use super::webhook::{self, Outcome, RawRow, SignedWebhook};
use crate::org::OrgId;

pub(crate) use super::webhook::Batch;

fn reason_es(e: SignatureError) -> String {
    match e {
        SignatureError::Missing => "Sin firma (falta x-signature): no viene de MercadoPago.".into(),
        SignatureError::Malformed => "Firma mal formada en x-signature: no viene de MercadoPago.".into(),
        SignatureError::Mismatch => "La firma de MercadoPago no coincide: el secreto de webhooks es otro, o el aviso fue alterado.".into(),
        SignatureError::Stale { age_secs } => format!("Aviso de MercadoPago vencido ({age_secs} s)."),
    }
}

pub(crate) struct MercadoPago;

impl SignedWebhook for MercadoPago {
    const PROVIDER: &'static str = "mercadopago";
    const SYNC_KIND: &'static str = SYNC_KIND;
    const SERIAL_PREFIX: &'static str = "mp";
    const WHAT: &'static str = "mercadopago notification";

    fn check(row: &RawRow, secret: Option<&Secret>) -> Outcome {
        let n = match notification::parse(&row.public_url, &row.body) {
            Ok(n) => n,
            Err(e) => {
                return Outcome::Quarantined(format!("No es un aviso de MercadoPago legible: {e}"))
            }
        };
        if !n.legacy_ipn {
            let Some(secret) = secret else {
                return webhook::no_secret(
                    "secreto de webhooks de MercadoPago",
                    "la firma",
                    "MercadoPago",
                );
            };
            let (sig, request_id) = (
                row.header(signature::SIGNATURE_HEADER),
                row.header(signature::REQUEST_ID_HEADER),
            );
            let signed = Signed {
                signature: sig.as_deref(),
                request_id: request_id.as_deref(),
                data_id: n.query_data_id.as_deref(),
            };
            if let Err(e) = signature::verify(secret.expose(), signed, SystemTime::now(), None) {
                return Outcome::Quarantined(reason_es(e));
            }
        }
        match n.topic {
            Topic::Payment | Topic::Chargeback => {
                if n.topic == Topic::Payment
                    && n.resource_id
                        .parse::<mostrador_mercadopago::PaymentId>()
                        .is_err()
                {
                    return Outcome::Quarantined(format!(
                        "Id de pago inválido: {:?}",
                        n.resource_id
                    ));
                }
                Outcome::Fetch {
                    dedupe_key: n.dedupe_key(),
                    topic: n.topic.as_str().to_owned(),
                    id: n.resource_id,
                }
            }
            other => Outcome::Ignored(format!("aviso de tipo {} ignorado", other.as_str())),
        }
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
    webhook::process::<MercadoPago>(tx, queue, org, secret, now, limit).await
}
