//! Charges and disputes as they arrive in `charge.refunded` and `charge.dispute.created` events.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::checkout::REFERENCE_KEY;
use crate::ids::{ChargeId, DisputeId, PaymentIntentId};
use crate::money::Currency;

/// A charge (the fields we use).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Charge {
    pub id: ChargeId,
    pub amount: i64,
    #[serde(default)]
    pub amount_refunded: i64,
    pub currency: Currency,
    pub payment_intent: Option<PaymentIntentId>,
    /// Fully refunded.
    #[serde(default)]
    pub refunded: bool,
    #[serde(default)]
    pub disputed: bool,
    pub status: String,
    #[serde(default)]
    pub metadata: BTreeMap<String, String>,
}

impl Charge {
    pub fn external_reference(&self) -> Option<&str> {
        self.metadata.get(REFERENCE_KEY).map(String::as_str)
    }
}

/// `status` of a dispute. A chargeback is not a refund: the money is withdrawn until resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DisputeStatus {
    WarningNeedsResponse,
    WarningUnderReview,
    WarningClosed,
    NeedsResponse,
    UnderReview,
    Won,
    Lost,
    #[serde(other)]
    Unknown,
}

/// A dispute (chargeback).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Dispute {
    pub id: DisputeId,
    pub amount: i64,
    pub currency: Currency,
    pub charge: ChargeId,
    pub payment_intent: Option<PaymentIntentId>,
    /// `fraudulent`, `product_not_received`, … (kept as text: the list grows).
    pub reason: String,
    pub status: DisputeStatus,
    pub created: i64,
}
