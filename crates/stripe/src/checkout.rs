//! Checkout Sessions (`POST /v1/checkout/sessions`): a one-time hosted payment page for one
//! invoice, with its own expiry. Chosen over Payment Links, which are reusable by design (many
//! payments per link, no expiry, prices created beforehand): a link must never be reused for
//! another invoice, and a session is exactly one payment of one amount.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::Error;
use crate::form::Form;
use crate::ids::{CheckoutSessionId, PaymentIntentId};
use crate::money::{Currency, MinorUnits};

/// The metadata key that carries our external reference (invoice or charge id) on the session and
/// on its PaymentIntent, so that every event (`payment_intent.*`, `charge.*`) leads back to it.
pub const REFERENCE_KEY: &str = "mostrador_ref";

/// One line of the checkout page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineItem {
    pub name: String,
    pub unit_amount: MinorUnits,
    pub quantity: u32,
}

/// A session to create. Every field goes into the form, so the same value always encodes to the
/// same request (a retry with the same idempotency key must not differ).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCheckoutSession {
    pub currency: Currency,
    pub line_items: Vec<LineItem>,
    /// Where Stripe sends the customer after paying. May contain `{CHECKOUT_SESSION_ID}`.
    pub success_url: String,
    pub cancel_url: String,
    /// Our reference (invoice id): `client_reference_id` and `metadata[mostrador_ref]` on both
    /// the session and its PaymentIntent.
    pub external_reference: String,
    /// Unix seconds; Stripe accepts 30 minutes to 24 hours after creation. Absolute (not "in
    /// one hour") so that a retry sends the same value.
    pub expires_at: Option<i64>,
    pub customer_email: Option<String>,
    /// More metadata (at most 50 keys; keys up to 40 characters, values up to 500).
    pub metadata: BTreeMap<String, String>,
}

impl NewCheckoutSession {
    pub fn new(
        currency: Currency,
        external_reference: impl Into<String>,
        success_url: impl Into<String>,
        cancel_url: impl Into<String>,
    ) -> Self {
        NewCheckoutSession {
            currency,
            line_items: Vec::new(),
            success_url: success_url.into(),
            cancel_url: cancel_url.into(),
            external_reference: external_reference.into(),
            expires_at: None,
            customer_email: None,
            metadata: BTreeMap::new(),
        }
    }

    pub fn item(mut self, name: impl Into<String>, unit_amount: MinorUnits, quantity: u32) -> Self {
        self.line_items.push(LineItem {
            name: name.into(),
            unit_amount,
            quantity,
        });
        self
    }

    pub fn expires_at(mut self, unix_secs: i64) -> Self {
        self.expires_at = Some(unix_secs);
        self
    }

    /// The total the customer will pay, or `None` on overflow.
    pub fn total(&self) -> Option<MinorUnits> {
        self.line_items
            .iter()
            .try_fold(0i64, |acc, l| {
                l.unit_amount
                    .get()
                    .checked_mul(i64::from(l.quantity))
                    .and_then(|x| acc.checked_add(x))
            })
            .map(MinorUnits)
    }

    /// Checks what Stripe would refuse, before any call.
    pub fn validate(&self) -> Result<(), Error> {
        let bad = |m: String| Err(Error::Invalid(m));
        if self.line_items.is_empty() {
            return bad("a checkout session needs at least one line item".into());
        }
        for (i, l) in self.line_items.iter().enumerate() {
            if l.name.trim().is_empty() {
                return bad(format!("line item {i} has no name"));
            }
            if l.quantity == 0 {
                return bad(format!("line item {i} has quantity 0"));
            }
            if l.unit_amount.get() <= 0 {
                return bad(format!("line item {i} has a non-positive amount"));
            }
        }
        if self.total().is_none() {
            return bad("the total overflows".into());
        }
        let r = &self.external_reference;
        if r.is_empty() || r.len() > 200 {
            return bad("the external reference must have 1 to 200 characters".into());
        }
        for u in [&self.success_url, &self.cancel_url] {
            if url::Url::parse(u).map_or(true, |u| !matches!(u.scheme(), "http" | "https")) {
                return bad(format!("{u:?} is not an http(s) URL"));
            }
        }
        if self.metadata.len() + 1 > 50 {
            return bad("at most 49 extra metadata keys".into());
        }
        for (k, v) in &self.metadata {
            if k.is_empty() || k.len() > 40 || k.contains(['[', ']']) || v.len() > 500 {
                return bad(format!(
                    "metadata key {k:?} or its value is too long or invalid"
                ));
            }
            if k == REFERENCE_KEY {
                return bad(format!("metadata key {REFERENCE_KEY} is reserved"));
            }
        }
        if self.expires_at.is_some_and(|t| t <= 0) {
            return bad("expires_at must be a Unix time".into());
        }
        Ok(())
    }

    /// The form body (`mode=payment`, `line_items[i][price_data][…]`, metadata, …).
    pub fn to_form(&self) -> Form {
        let mut f = Form::new();
        f.push("mode", "payment");
        for (i, l) in self.line_items.iter().enumerate() {
            let p = format!("line_items[{i}]");
            f.push(format!("{p}[price_data][currency]"), &self.currency);
            f.push(format!("{p}[price_data][unit_amount]"), l.unit_amount);
            f.push(format!("{p}[price_data][product_data][name]"), &l.name);
            f.push(format!("{p}[quantity]"), l.quantity);
        }
        f.push("success_url", &self.success_url);
        f.push("cancel_url", &self.cancel_url);
        f.push("client_reference_id", &self.external_reference);
        f.push(
            format!("metadata[{REFERENCE_KEY}]"),
            &self.external_reference,
        );
        for (k, v) in &self.metadata {
            f.push(format!("metadata[{k}]"), v);
        }
        f.push(
            format!("payment_intent_data[metadata][{REFERENCE_KEY}]"),
            &self.external_reference,
        );
        f.push_opt("expires_at", self.expires_at);
        f.push_opt("customer_email", self.customer_email.as_ref());
        f
    }
}

/// `status` of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionStatus {
    Open,
    Complete,
    Expired,
    #[serde(other)]
    Unknown,
}

/// `payment_status` of a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionPaymentStatus {
    Paid,
    Unpaid,
    NoPaymentRequired,
    #[serde(other)]
    Unknown,
}

/// A Checkout Session as Stripe returns it (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CheckoutSession {
    pub id: CheckoutSessionId,
    /// The hosted page; `None` once the session is complete or expired.
    pub url: Option<String>,
    pub status: Option<SessionStatus>,
    pub payment_status: SessionPaymentStatus,
    /// Created when the customer confirms (recent API versions), so `None` before.
    pub payment_intent: Option<PaymentIntentId>,
    pub amount_total: Option<i64>,
    pub currency: Option<Currency>,
    pub client_reference_id: Option<String>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub expires_at: Option<i64>,
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

impl CheckoutSession {
    /// Our reference, from the metadata (or `client_reference_id`).
    pub fn external_reference(&self) -> Option<&str> {
        self.metadata
            .get(REFERENCE_KEY)
            .map(String::as_str)
            .or(self.client_reference_id.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> NewCheckoutSession {
        NewCheckoutSession::new(
            Currency::usd(),
            "inv-42",
            "https://shop.example/ok?s={CHECKOUT_SESSION_ID}",
            "https://shop.example/cancel",
        )
        .item("Mate de calabaza", MinorUnits(2_500), 2)
        .item("Bombilla", MinorUnits(990), 1)
        .expires_at(1_800_000_000)
    }

    #[test]
    fn form_has_nested_line_items_and_the_reference_everywhere() {
        let s = sample();
        s.validate().unwrap();
        assert_eq!(s.total(), Some(MinorUnits(5_990)));
        let f = s.to_form();
        let get = |k: &str| {
            f.pairs()
                .iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.as_str())
        };
        assert_eq!(get("mode"), Some("payment"));
        assert_eq!(get("line_items[0][price_data][currency]"), Some("usd"));
        assert_eq!(get("line_items[0][price_data][unit_amount]"), Some("2500"));
        assert_eq!(get("line_items[0][quantity]"), Some("2"));
        assert_eq!(
            get("line_items[1][price_data][product_data][name]"),
            Some("Bombilla")
        );
        assert_eq!(get("client_reference_id"), Some("inv-42"));
        assert_eq!(get("metadata[mostrador_ref]"), Some("inv-42"));
        assert_eq!(
            get("payment_intent_data[metadata][mostrador_ref]"),
            Some("inv-42")
        );
        assert_eq!(get("expires_at"), Some("1800000000"));
        assert_eq!(get("customer_email"), None);
        // Deterministic: a retry encodes to the same bytes.
        assert_eq!(s.to_form().encode(), sample().to_form().encode());
    }

    #[test]
    fn validation_refuses_what_stripe_would() {
        assert!(NewCheckoutSession {
            line_items: vec![],
            ..sample()
        }
        .validate()
        .is_err());
        assert!(sample().item("x", MinorUnits(1), 0).validate().is_err());
        assert!(sample().item("x", MinorUnits(-5), 1).validate().is_err());
        assert!(sample()
            .item("x", MinorUnits(i64::MAX), 2)
            .validate()
            .is_err());
        let mut s = sample();
        s.success_url = "javascript:alert(1)".into();
        assert!(s.validate().is_err());
        let mut s = sample();
        s.metadata.insert(REFERENCE_KEY.into(), "other".into());
        assert!(s.validate().is_err());
        let mut s = sample();
        s.external_reference = String::new();
        assert!(s.validate().is_err());
    }

    #[test]
    fn parses_a_session() {
        let body = r#"{"id":"cs_test_a1","object":"checkout.session","url":"https://checkout.stripe.com/c/pay/cs_test_a1","status":"open","payment_status":"unpaid","payment_intent":null,"amount_total":5990,"currency":"usd","client_reference_id":"inv-42","metadata":{"mostrador_ref":"inv-42"},"expires_at":1800000000,"created":1799990000,"livemode":false,"mode":"payment"}"#;
        let s: CheckoutSession = serde_json::from_str(body).unwrap();
        assert_eq!(s.status, Some(SessionStatus::Open));
        assert_eq!(s.payment_status, SessionPaymentStatus::Unpaid);
        assert_eq!(s.external_reference(), Some("inv-42"));
        assert!(s.payment_intent.is_none());
    }
}
