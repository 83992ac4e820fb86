//! PaymentIntents (`GET /v1/payment_intents/{id}`): the state of a payment, which is what core
//! applies — never the body of a webhook.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::checkout::REFERENCE_KEY;
use crate::ids::{ChargeId, PaymentIntentId};
use crate::money::Currency;

/// `status` of a PaymentIntent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentIntentStatus {
    RequiresPaymentMethod,
    RequiresConfirmation,
    RequiresAction,
    Processing,
    RequiresCapture,
    Canceled,
    Succeeded,
    #[serde(other)]
    Unknown,
}

impl PaymentIntentStatus {
    /// No further change is expected without a new action (succeeded or canceled).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            PaymentIntentStatus::Succeeded | PaymentIntentStatus::Canceled
        )
    }
}

/// Why the last attempt failed (a declined card).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct LastPaymentError {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub code: Option<String>,
    pub decline_code: Option<String>,
    pub message: Option<String>,
}

/// A PaymentIntent (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct PaymentIntent {
    pub id: PaymentIntentId,
    /// Minor units asked.
    pub amount: i64,
    /// Minor units actually received (0 until it succeeds).
    #[serde(default)]
    pub amount_received: i64,
    pub currency: Currency,
    pub status: PaymentIntentStatus,
    pub latest_charge: Option<ChargeId>,
    pub last_payment_error: Option<LastPaymentError>,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
    #[serde(default)]
    pub livemode: bool,
}

impl PaymentIntent {
    pub fn external_reference(&self) -> Option<&str> {
        self.metadata.get(REFERENCE_KEY).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_payment_intent() {
        let body = r#"{"id":"pi_3Mtw","object":"payment_intent","amount":5990,"amount_received":5990,"currency":"usd","status":"succeeded","latest_charge":"ch_3Mtw","last_payment_error":null,"metadata":{"mostrador_ref":"inv-42"},"created":1799990000,"livemode":false,"payment_method_types":["card"]}"#;
        let pi: PaymentIntent = serde_json::from_str(body).unwrap();
        assert_eq!(pi.status, PaymentIntentStatus::Succeeded);
        assert!(pi.status.is_final());
        assert_eq!(pi.external_reference(), Some("inv-42"));
        let odd: PaymentIntentStatus = serde_json::from_str("\"requires_something_new\"").unwrap();
        assert_eq!(odd, PaymentIntentStatus::Unknown);
    }
}
