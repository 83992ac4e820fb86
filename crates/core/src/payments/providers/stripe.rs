//! Stripe behind the seam: a Checkout Session per link (one payment of one amount, our reference
//! in its metadata and its PaymentIntent's), PaymentIntents fetched with their charge (refunds)
//! and disputes fetched by id, refunds by PaymentIntent — each POST with its fixed
//! `Idempotency-Key`. Stripe's states are mapped onto the payments table's vocabulary:
//!
//! | PaymentIntent | ours |
//! |---|---|
//! | `succeeded` (charge not fully refunded) | `approved` |
//! | `succeeded` (charge fully refunded) | `refunded` |
//! | `requires_payment_method` with `last_payment_error` | `rejected` (the decline as detail) |
//! | `requires_payment_method` / `requires_confirmation` | `pending` |
//! | `processing` / `requires_action` / `requires_capture` | `in_process` |
//! | `canceled` | `cancelled` |
//!
//! A dispute does not change the payment's state (Stripe's PaymentIntent stays `succeeded`): it
//! is a chargeback row (`open` until `won` / `lost`), and an open or lost one keeps the payment
//! out of what the invoice has been paid (apply.rs).

use chrono::{DateTime, Utc};
use mostrador_stripe::ids::{ChargeId, CheckoutSessionId, DisputeId, PaymentIntentId};
use mostrador_stripe::{
    Client, Currency, DisputeStatus, IdempotencyKey, MinorUnits, NewCheckoutSession, NewRefund,
    PaymentIntent, PaymentIntentStatus, SessionStatus,
};

use super::{
    CheckoutLink, CheckoutRequest, Fetched, PaymentProvider, ProviderChargeback, ProviderName,
    ProviderPayment,
};
use crate::outbound::handler::BoxFuture;
use crate::outbound::{Failure, FailureKind};
use crate::payments::stripe::failure_of;

/// A session can be paid for at most 24 h (Stripe's limit); ours for 23 h after the "Cobrar",
/// fixed from the link's creation so every retry sends the same `expires_at`.
pub(crate) const SESSION_VALID_SECS: i64 = 23 * 3600;

pub(crate) struct StripeProvider {
    pub client: Client,
    /// Where the customer lands after paying (or cancelling).
    pub return_url: String,
}

fn bad(e: impl std::fmt::Display) -> Failure {
    Failure::bad_payload(e.to_string())
}

fn rfc3339(unix: i64) -> Option<String> {
    DateTime::<Utc>::from_timestamp(unix, 0).map(|d| d.to_rfc3339())
}

impl StripeProvider {
    async fn payment(&self, id: &PaymentIntentId) -> Result<ProviderPayment, Failure> {
        let pi = self
            .client
            .retrieve_payment_intent(id)
            .await
            .map_err(|e| failure_of(&e))?;
        let refunded = match &pi.latest_charge {
            Some(ch) if pi.status == PaymentIntentStatus::Succeeded => {
                let c = self
                    .client
                    .retrieve_charge(ch)
                    .await
                    .map_err(|e| failure_of(&e))?;
                c.amount_refunded
            }
            _ => 0,
        };
        Ok(payment_of(&pi, refunded))
    }
}

/// Our view of a fetched PaymentIntent (`refunded`: its charge's refunded amount).
pub(crate) fn payment_of(pi: &PaymentIntent, refunded: i64) -> ProviderPayment {
    use PaymentIntentStatus as S;
    let amount = if pi.amount_received > 0 {
        pi.amount_received
    } else {
        pi.amount
    };
    let (status, detail) = match pi.status {
        S::Succeeded if refunded >= amount && amount > 0 => ("refunded", None),
        S::Succeeded => ("approved", None),
        S::RequiresPaymentMethod => match &pi.last_payment_error {
            Some(e) => (
                "rejected",
                Some(
                    [
                        e.decline_code.as_deref(),
                        e.code.as_deref(),
                        e.message.as_deref(),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(": "),
                ),
            ),
            None => ("pending", None),
        },
        S::RequiresConfirmation => ("pending", None),
        S::Processing | S::RequiresAction | S::RequiresCapture => ("in_process", None),
        S::Canceled => ("cancelled", None),
        S::Unknown => ("pending", Some("estado de Stripe desconocido".to_owned())),
    };
    ProviderPayment {
        provider: ProviderName::Stripe,
        provider_id: pi.id.to_string(),
        external_reference: pi.external_reference().map(str::to_owned),
        status: status.to_owned(),
        status_detail: detail.filter(|d| !d.is_empty()),
        amount_cents: amount,
        currency: pi.currency.as_str().to_ascii_uppercase(),
        refunded_cents: refunded,
        fee_cents: None,
        net_cents: None,
        method: Some("card".into()),
        payment_type: None,
        installments: None,
        created_at: rfc3339(pi.created),
        updated_at: None,
        // Stripe gives no "succeeded at" on the PaymentIntent: the first fetch that sees it is
        // close enough, and apply.rs keeps the first value.
        approved_at: (status == "approved").then(|| Utc::now().to_rfc3339()),
    }
}

impl PaymentProvider for StripeProvider {
    fn name(&self) -> ProviderName {
        ProviderName::Stripe
    }

    fn create_checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<CheckoutLink, Failure>> {
        Box::pin(async move {
            if req.kind != "link" {
                return Err(Failure::new(
                    FailureKind::Permanent,
                    "stripe_no_qr",
                    "Stripe no tiene cobro con QR de mostrador: usá un link.",
                ));
            }
            let key = IdempotencyKey::new(req.idempotency_key.clone()).map_err(bad)?;
            let currency = Currency::new(&req.currency).map_err(bad)?;
            let amount = MinorUnits::positive(req.amount_cents).map_err(bad)?;
            let session = NewCheckoutSession::new(
                currency,
                req.reference.clone(),
                self.return_url.clone(),
                self.return_url.clone(),
            )
            .item(req.title.clone(), amount, 1)
            .expires_at(req.created_unix + SESSION_VALID_SECS);
            let sent_expiry = req.created_unix + SESSION_VALID_SECS;
            let s = self
                .client
                .create_checkout_session(&session, &key)
                .await
                .map_err(|e| failure_of(&e))?;
            Ok(CheckoutLink {
                provider_ref: s.id.to_string(),
                url: s.url,
                qr_data: None,
                expires_unix: s.expires_at.or(Some(sent_expiry)),
            })
        })
    }

    fn fetch<'a>(&'a self, topic: &'a str, id: &'a str) -> BoxFuture<'a, Result<Fetched, Failure>> {
        Box::pin(async move {
            let mut out = Fetched::default();
            let pi = match topic {
                "payment_intent" => Some(PaymentIntentId::new(id).map_err(bad)?),
                "checkout_session" => {
                    let sid = CheckoutSessionId::new(id).map_err(bad)?;
                    let s = self
                        .client
                        .retrieve_checkout_session(&sid)
                        .await
                        .map_err(|e| failure_of(&e))?;
                    // Stripe's answer that the link is dead (`checkout.session.expired`).
                    if s.status == Some(SessionStatus::Expired) && s.payment_intent.is_none() {
                        out.expired_checkouts.push(s.id.to_string());
                    }
                    s.payment_intent
                }
                "charge" => {
                    let cid = ChargeId::new(id).map_err(bad)?;
                    self.client
                        .retrieve_charge(&cid)
                        .await
                        .map_err(|e| failure_of(&e))?
                        .payment_intent
                }
                "dispute" => {
                    let did = DisputeId::new(id).map_err(bad)?;
                    let d = self
                        .client
                        .retrieve_dispute(&did)
                        .await
                        .map_err(|e| failure_of(&e))?;
                    let pi = match d.payment_intent.clone() {
                        Some(pi) => Some(pi),
                        None => {
                            self.client
                                .retrieve_charge(&d.charge)
                                .await
                                .map_err(|e| failure_of(&e))?
                                .payment_intent
                        }
                    };
                    out.chargebacks.push(ProviderChargeback {
                        provider: ProviderName::Stripe,
                        id: d.id.to_string(),
                        provider_payment_id: pi.as_ref().map(|p| p.to_string()),
                        state: match d.status {
                            DisputeStatus::Won | DisputeStatus::WarningClosed => "won",
                            DisputeStatus::Lost => "lost",
                            _ => "open",
                        },
                        amount_cents: Some(d.amount),
                        currency: Some(d.currency.as_str().to_ascii_uppercase()),
                        documentation_status: Some(format!("{:?}", d.status).to_lowercase()),
                        documentation_deadline: None,
                    });
                    pi
                }
                other => return Err(bad(format!("unknown Stripe fetch topic {other:?}"))),
            };
            if let Some(pi) = pi {
                out.payments.push(self.payment(&pi).await?);
            }
            Ok(out)
        })
    }

    fn refund<'a>(
        &'a self,
        provider_payment_id: &'a str,
        amount_cents: i64,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, Failure>> {
        Box::pin(async move {
            let key = IdempotencyKey::new(key.to_owned()).map_err(bad)?;
            let pi = PaymentIntentId::new(provider_payment_id).map_err(bad)?;
            let amount = MinorUnits::positive(amount_cents).map_err(bad)?;
            let r = self
                .client
                .create_refund(&NewRefund::partial(pi, amount), &key)
                .await
                .map_err(|e| failure_of(&e))?;
            Ok(r.id.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pi(json: &str) -> PaymentIntent {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn stripe_states_map_onto_ours() {
        let ok = pi(
            r#"{"id":"pi_1","amount":2500,"amount_received":2500,"currency":"usd","status":"succeeded","latest_charge":"ch_1","last_payment_error":null,"metadata":{"mostrador_ref":"inv1-1-abc"},"created":1700000000}"#,
        );
        let p = payment_of(&ok, 0);
        assert_eq!(
            (p.status.as_str(), p.amount_cents, p.currency.as_str()),
            ("approved", 2500, "USD")
        );
        assert_eq!(p.external_reference.as_deref(), Some("inv1-1-abc"));
        assert!(p.approved_at.is_some());
        assert_eq!(payment_of(&ok, 1000).status, "approved");
        assert_eq!(payment_of(&ok, 2500).status, "refunded");
        let declined = pi(
            r#"{"id":"pi_2","amount":2500,"amount_received":0,"currency":"ars","status":"requires_payment_method","latest_charge":null,"last_payment_error":{"type":"card_error","code":"card_declined","decline_code":"insufficient_funds","message":"Your card has insufficient funds."},"metadata":{},"created":1700000000}"#,
        );
        let p = payment_of(&declined, 0);
        assert_eq!(p.status, "rejected");
        assert_eq!(p.currency, "ARS");
        assert!(p.status_detail.unwrap().starts_with("insufficient_funds"));
        assert!(p.approved_at.is_none());
        let waiting = pi(
            r#"{"id":"pi_3","amount":2500,"currency":"usd","status":"requires_payment_method","latest_charge":null,"last_payment_error":null,"metadata":{},"created":1700000000}"#,
        );
        assert_eq!(payment_of(&waiting, 0).status, "pending");
    }
}
