//! Webhook events: `{id, type, created, data: {object}, …}` parsed into typed events for the five
//! types core acts on; any other type is kept raw. A webhook body is only a hint of what changed:
//! core dedupes on [`Event::id`] and then fetches the object it names ([`Event::fetch_target`]).

use serde::Deserialize;

use crate::charge::{Charge, Dispute};
use crate::checkout::CheckoutSession;
use crate::ids::{ChargeId, CheckoutSessionId, EventId, PaymentIntentId};
use crate::payment_intent::PaymentIntent;

/// The body is not an event, or a known type carries an object of the wrong shape.
#[derive(Debug, thiserror::Error)]
#[error("not a Stripe event ({0})")]
pub struct EventParseError(#[from] serde_json::Error);

/// What an event says happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// `payment_intent.succeeded`.
    PaymentSucceeded(PaymentIntent),
    /// `payment_intent.payment_failed` (a declined attempt; the customer may try again).
    PaymentFailed(PaymentIntent),
    /// `checkout.session.completed`.
    CheckoutCompleted(CheckoutSession),
    /// `charge.refunded` (total or partial).
    ChargeRefunded(Charge),
    /// `charge.dispute.created`: a chargeback.
    DisputeCreated(Dispute),
    /// `charge.dispute.updated` / `charge.dispute.closed`: a chargeback moved (won, lost, …).
    DisputeChanged(Dispute),
    /// Any other type, kept as received.
    Other {
        kind: String,
        object: serde_json::Value,
    },
}

/// A webhook event.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// The dedupe key: Stripe delivers the same event id again on retries.
    pub id: EventId,
    /// `type`, e.g. `payment_intent.succeeded`.
    pub kind_name: String,
    /// Unix seconds when the event was created (not delivered): order events by this and by the
    /// fetched object's state, never by arrival.
    pub created: i64,
    pub livemode: bool,
    pub api_version: Option<String>,
    pub kind: EventKind,
}

/// The object to fetch before applying an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FetchTarget {
    PaymentIntent(PaymentIntentId),
    CheckoutSession(CheckoutSessionId),
    /// A charge's PaymentIntent is unknown (a charge without one): fetch the charge.
    Charge(ChargeId),
}

impl Event {
    /// Parses the raw body (after [`crate::signature::Verifier`] has accepted it).
    pub fn parse(body: &[u8]) -> Result<Event, EventParseError> {
        #[derive(Deserialize)]
        struct Data {
            object: serde_json::Value,
        }
        #[derive(Deserialize)]
        struct Raw {
            id: EventId,
            #[serde(rename = "type")]
            kind: String,
            created: i64,
            #[serde(default)]
            livemode: bool,
            api_version: Option<String>,
            data: Data,
        }
        let raw: Raw = serde_json::from_slice(body)?;
        let obj = raw.data.object;
        let kind = match raw.kind.as_str() {
            "payment_intent.succeeded" => EventKind::PaymentSucceeded(serde_json::from_value(obj)?),
            "payment_intent.payment_failed" => {
                EventKind::PaymentFailed(serde_json::from_value(obj)?)
            }
            "checkout.session.completed" => {
                EventKind::CheckoutCompleted(serde_json::from_value(obj)?)
            }
            "charge.refunded" => EventKind::ChargeRefunded(serde_json::from_value(obj)?),
            "charge.dispute.created" => EventKind::DisputeCreated(serde_json::from_value(obj)?),
            "charge.dispute.updated" | "charge.dispute.closed" => {
                EventKind::DisputeChanged(serde_json::from_value(obj)?)
            }
            other => EventKind::Other {
                kind: other.to_owned(),
                object: obj,
            },
        };
        Ok(Event {
            id: raw.id,
            kind_name: raw.kind,
            created: raw.created,
            livemode: raw.livemode,
            api_version: raw.api_version,
            kind,
        })
    }

    /// The object whose current state core must fetch (never trusting this body). `None` for
    /// types core does not act on.
    pub fn fetch_target(&self) -> Option<FetchTarget> {
        match &self.kind {
            EventKind::PaymentSucceeded(pi) | EventKind::PaymentFailed(pi) => {
                Some(FetchTarget::PaymentIntent(pi.id.clone()))
            }
            EventKind::CheckoutCompleted(s) => Some(match &s.payment_intent {
                Some(pi) => FetchTarget::PaymentIntent(pi.clone()),
                None => FetchTarget::CheckoutSession(s.id.clone()),
            }),
            EventKind::ChargeRefunded(c) => Some(match &c.payment_intent {
                Some(pi) => FetchTarget::PaymentIntent(pi.clone()),
                None => FetchTarget::Charge(c.id.clone()),
            }),
            EventKind::DisputeCreated(d) | EventKind::DisputeChanged(d) => {
                Some(match &d.payment_intent {
                    Some(pi) => FetchTarget::PaymentIntent(pi.clone()),
                    None => FetchTarget::Charge(d.charge.clone()),
                })
            }
            EventKind::Other { .. } => None,
        }
    }

    /// Our reference as the event states it (a hint to find the invoice; confirm on the
    /// fetched object).
    pub fn external_reference(&self) -> Option<&str> {
        match &self.kind {
            EventKind::PaymentSucceeded(pi) | EventKind::PaymentFailed(pi) => {
                pi.external_reference()
            }
            EventKind::CheckoutCompleted(s) => s.external_reference(),
            EventKind::ChargeRefunded(c) => c.external_reference(),
            EventKind::DisputeCreated(_)
            | EventKind::DisputeChanged(_)
            | EventKind::Other { .. } => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::charge::DisputeStatus;
    use crate::payment_intent::PaymentIntentStatus;

    fn event(kind: &str, object: &str) -> Vec<u8> {
        format!(r#"{{"id":"evt_1","object":"event","api_version":"2024-06-20","created":1700000000,"livemode":false,"pending_webhooks":1,"request":{{"id":null,"idempotency_key":null}},"type":"{kind}","data":{{"object":{object}}}}}"#).into_bytes()
    }

    const PI: &str = r#"{"id":"pi_1","object":"payment_intent","amount":5990,"amount_received":5990,"currency":"usd","status":"succeeded","latest_charge":"ch_1","last_payment_error":null,"metadata":{"mostrador_ref":"inv-42"},"created":1700000000,"livemode":false}"#;

    #[test]
    fn typed_events() {
        let e = Event::parse(&event("payment_intent.succeeded", PI)).unwrap();
        assert_eq!(e.id.as_str(), "evt_1");
        let EventKind::PaymentSucceeded(pi) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
        assert_eq!(
            e.fetch_target(),
            Some(FetchTarget::PaymentIntent(
                PaymentIntentId::new("pi_1").unwrap()
            ))
        );
        assert_eq!(e.external_reference(), Some("inv-42"));

        let failed = PI.replace("\"succeeded\"", "\"requires_payment_method\"").replace(
            "\"last_payment_error\":null",
            r#""last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"generic_decline","message":"Your card was declined."}"#,
        );
        let e = Event::parse(&event("payment_intent.payment_failed", &failed)).unwrap();
        let EventKind::PaymentFailed(pi) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(
            pi.last_payment_error
                .as_ref()
                .unwrap()
                .decline_code
                .as_deref(),
            Some("generic_decline")
        );

        let cs = r#"{"id":"cs_test_1","object":"checkout.session","url":null,"status":"complete","payment_status":"paid","payment_intent":"pi_1","amount_total":5990,"currency":"usd","client_reference_id":"inv-42","metadata":{"mostrador_ref":"inv-42"},"expires_at":1700003600,"created":1700000000,"livemode":false}"#;
        let e = Event::parse(&event("checkout.session.completed", cs)).unwrap();
        assert!(matches!(e.kind, EventKind::CheckoutCompleted(_)));
        assert!(matches!(
            e.fetch_target(),
            Some(FetchTarget::PaymentIntent(_))
        ));

        let ch = r#"{"id":"ch_1","object":"charge","amount":5990,"amount_refunded":1000,"currency":"usd","payment_intent":"pi_1","refunded":false,"disputed":false,"status":"succeeded","metadata":{"mostrador_ref":"inv-42"}}"#;
        let e = Event::parse(&event("charge.refunded", ch)).unwrap();
        let EventKind::ChargeRefunded(c) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!((c.amount_refunded, c.refunded), (1000, false));

        let dp = r#"{"id":"dp_1","object":"dispute","amount":5990,"currency":"usd","charge":"ch_1","payment_intent":"pi_1","reason":"fraudulent","status":"needs_response","created":1700000000}"#;
        let e = Event::parse(&event("charge.dispute.created", dp)).unwrap();
        let EventKind::DisputeCreated(d) = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(d.status, DisputeStatus::NeedsResponse);
    }

    #[test]
    fn unknown_types_are_kept_raw_and_bad_bodies_refused() {
        let e = Event::parse(&event(
            "customer.created",
            r#"{"id":"cus_1","object":"customer"}"#,
        ))
        .unwrap();
        let EventKind::Other { kind, object } = &e.kind else {
            panic!("{e:?}")
        };
        assert_eq!(kind, "customer.created");
        assert_eq!(object["id"], "cus_1");
        assert_eq!(e.fetch_target(), None);
        // A known type whose object is not what it should be is an error, not "other".
        assert!(Event::parse(&event("payment_intent.succeeded", r#"{"id":"cus_1"}"#)).is_err());
        assert!(Event::parse(b"not json").is_err());
        assert!(
            Event::parse(br#"{"id":"nope","type":"x","created":1,"data":{"object":{}}}"#).is_err()
        );
    }
}
