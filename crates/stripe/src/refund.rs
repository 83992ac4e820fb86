//! Refunds (`POST /v1/refunds`): total (no amount) or partial, always with an idempotency key so
//! that a retried refund never refunds twice.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::form::Form;
use crate::ids::{ChargeId, PaymentIntentId, RefundId};
use crate::money::{Currency, MinorUnits};

/// `reason` of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundReason {
    Duplicate,
    Fraudulent,
    RequestedByCustomer,
    #[serde(other)]
    Other,
}

impl RefundReason {
    pub fn as_str(self) -> &'static str {
        match self {
            RefundReason::Duplicate => "duplicate",
            RefundReason::Fraudulent => "fraudulent",
            RefundReason::RequestedByCustomer => "requested_by_customer",
            // Not a value Stripe accepts on create; never sent (see `to_form`).
            RefundReason::Other => "other",
        }
    }
}

/// A refund to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub payment_intent: PaymentIntentId,
    /// `None`: everything not yet refunded.
    pub amount: Option<MinorUnits>,
    pub reason: Option<RefundReason>,
    pub metadata: BTreeMap<String, String>,
}

impl NewRefund {
    pub fn total(payment_intent: PaymentIntentId) -> Self {
        NewRefund {
            payment_intent,
            amount: None,
            reason: None,
            metadata: BTreeMap::new(),
        }
    }

    pub fn partial(payment_intent: PaymentIntentId, amount: MinorUnits) -> Self {
        NewRefund {
            amount: Some(amount),
            ..NewRefund::total(payment_intent)
        }
    }

    pub fn reason(mut self, reason: RefundReason) -> Self {
        self.reason = Some(reason);
        self
    }

    pub fn to_form(&self) -> Form {
        let mut f = Form::new();
        f.push("payment_intent", &self.payment_intent);
        f.push_opt("amount", self.amount);
        f.push_opt(
            "reason",
            self.reason
                .filter(|r| *r != RefundReason::Other)
                .map(RefundReason::as_str),
        );
        for (k, v) in &self.metadata {
            f.push(format!("metadata[{k}]"), v);
        }
        f
    }
}

/// `status` of a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    RequiresAction,
    Succeeded,
    Failed,
    Canceled,
    #[serde(other)]
    Unknown,
}

/// A refund as Stripe returns it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Refund {
    pub id: RefundId,
    pub amount: i64,
    pub currency: Currency,
    pub status: RefundStatus,
    pub payment_intent: Option<PaymentIntentId>,
    pub charge: Option<ChargeId>,
    pub reason: Option<RefundReason>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn total_and_partial_forms() {
        let pi = PaymentIntentId::new("pi_1").unwrap();
        let total = NewRefund::total(pi.clone()).to_form();
        assert_eq!(total.encode(), "payment_intent=pi_1");
        let partial = NewRefund::partial(pi, MinorUnits(500))
            .reason(RefundReason::RequestedByCustomer)
            .to_form();
        assert_eq!(
            partial.encode(),
            "payment_intent=pi_1&amount=500&reason=requested_by_customer"
        );
        let r: Refund = serde_json::from_str(r#"{"id":"re_1","object":"refund","amount":500,"currency":"usd","status":"succeeded","payment_intent":"pi_1","charge":"ch_1","reason":"requested_by_customer","metadata":{},"created":1}"#).unwrap();
        assert_eq!(r.status, RefundStatus::Succeeded);
    }
}
