//! Stripe's events through the relay (`inbox_raw` rows with provider `stripe`), the per-provider
//! part of the signed-webhook path (payments/webhook.rs). An event is authentic only if one of the
//! `v1` signatures of `Stripe-Signature` verifies over the exact bytes the relay stored, with the
//! endpoint's signing secret from the keychain, and its signed timestamp is within 5 minutes of
//! when the relay received it (the relay's clock, not ours: a genuine event that waited in the
//! relay while this computer was off is not stale; a replay of an old delivery is). Anything else
//! is quarantined with the reason.
//!
//! Nothing is taken from the body but ids: each new event (dedupe on Stripe's event id, which
//! its retries repeat) becomes a `stripe.sync` job that fetches the PaymentIntent, session,
//! charge or dispute it names and applies that — the same path as MercadoPago's notifications.

use std::time::Duration;

use mostrador_queue::Queue;
use mostrador_stripe::signature::{SignatureError, Verifier, DEFAULT_TOLERANCE};
use mostrador_stripe::{Event, EventKind};
use mostrador_types::Secret;
use sqlx::SqliteConnection;

use super::jobs::STRIPE_SYNC_KIND;
use super::webhook::{self, Batch, Outcome, RawRow, SignedWebhook};
use crate::org::OrgId;

/// Stripe's tolerance between the signed timestamp and the delivery.
pub(crate) const TOLERANCE: Duration = DEFAULT_TOLERANCE;

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

pub(crate) struct Stripe;

impl SignedWebhook for Stripe {
    const PROVIDER: &'static str = "stripe";
    const SYNC_KIND: &'static str = STRIPE_SYNC_KIND;
    const SERIAL_PREFIX: &'static str = "stripe";
    const WHAT: &'static str = "stripe event";

    fn check(row: &RawRow, secret: Option<&Secret>) -> Outcome {
        let Some(secret) = secret else {
            return webhook::no_secret("secreto de firma de Stripe", "el evento", "Stripe");
        };
        let Some(received) = row.received_unix() else {
            return Outcome::Quarantined("El relay no dijo cuándo recibió el evento.".into());
        };
        let verifier = Verifier::new(secret.clone()).with_tolerance(TOLERANCE);
        let sig = row.header("stripe-signature");
        if let Err(e) = verifier.verify_at(&row.body, sig.as_deref(), received) {
            return Outcome::Quarantined(reason_es(e));
        }
        let ev = match Event::parse(&row.body) {
            Ok(ev) => ev,
            Err(e) => {
                return Outcome::Quarantined(format!("No es un evento de Stripe legible: {e}"))
            }
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
            // Stripe's answer that a link died unpaid: fetch the session to mark the link expired.
            EventKind::Other { kind, object } if kind == "checkout.session.expired" => object
                .get("id")
                .and_then(|id| id.as_str())
                .map(|id| ("checkout_session", id.to_owned())),
            EventKind::Other { .. } => None,
        };
        match target {
            Some((topic, id)) => Outcome::Fetch {
                dedupe_key: ev.id.to_string(),
                topic: topic.to_owned(),
                id,
            },
            None => Outcome::Ignored(format!("evento {} ignorado", ev.kind_name)),
        }
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
    webhook::process::<Stripe>(tx, queue, org, secret, now, limit).await
}
