//! Installment options for an amount (`GET /v1/payment_methods/installments?amount=…`): the
//! "cuotas" a shop can quote before sending a link.

use mostrador_types::Money;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PayerCost {
    pub installments: u32,
    /// Percent, e.g. `0` (sin interés) or `15.5`. Kept as the decimal text MercadoPago sent.
    #[serde(default, deserialize_with = "rate_text")]
    pub installment_rate: Option<String>,
    #[serde(default, with = "crate::amount::opt")]
    pub installment_amount: Option<Money>,
    #[serde(default, with = "crate::amount::opt")]
    pub total_amount: Option<Money>,
    #[serde(default)]
    pub recommended_message: Option<String>,
}

impl PayerCost {
    /// No interest for the buyer.
    pub fn interest_free(&self) -> bool {
        self.installment_rate
            .as_deref()
            .and_then(crate::amount::parse_number)
            .is_some_and(|r| r.is_zero())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InstallmentOption {
    pub payment_method_id: String,
    #[serde(default)]
    pub payment_type_id: Option<String>,
    #[serde(default)]
    pub issuer: Option<serde_json::Value>,
    #[serde(default)]
    pub payer_costs: Vec<PayerCost>,
}

fn rate_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let raw = Option::<Box<serde_json::value::RawValue>>::deserialize(d)?;
    Ok(raw.map(|r| r.get().to_owned()).filter(|s| s != "null"))
}
