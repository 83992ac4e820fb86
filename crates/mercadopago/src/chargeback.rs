//! Chargebacks (`GET /v1/chargebacks/{id}`, reference §1.7).

use mostrador_types::Money;
use serde::{Deserialize, Serialize};

/// A chargeback (the fields dispute handling uses).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Chargeback {
    /// Alphanumeric on some accounts.
    #[serde(deserialize_with = "id_text")]
    pub id: String,
    #[serde(default)]
    pub payments: Vec<u64>,
    #[serde(default, with = "crate::amount::opt")]
    pub amount: Option<Money>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub coverage_applied: Option<bool>,
    #[serde(default)]
    pub coverage_eligible: Option<bool>,
    #[serde(default)]
    pub documentation_required: Option<bool>,
    /// `pending`, `review_pending`, `valid`, `invalid`…
    #[serde(default)]
    pub documentation_status: Option<String>,
    #[serde(default)]
    pub date_documentation_deadline: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_last_updated: Option<String>,
    #[serde(default)]
    pub live_mode: Option<bool>,
}

impl Chargeback {
    /// `coverage_applied` is set once MercadoPago decided: true for the seller.
    pub fn resolved(&self) -> Option<bool> {
        self.coverage_applied
    }
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(d)? {
        serde_json::Value::String(s) => Ok(s),
        serde_json::Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!("chargeback id {other}"))),
    }
}
