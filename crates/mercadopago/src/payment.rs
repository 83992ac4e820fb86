//! Payments (`GET /v1/payments/{id}`, reference §1.3) and their refunds.

use std::fmt;
use std::str::FromStr;

use mostrador_types::Money;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A payment id: numeric on MercadoPago's payments API (it arrives as a string in webhooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PaymentId(pub u64);

impl fmt::Display for PaymentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl FromStr for PaymentId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        s.trim()
            .parse::<u64>()
            .map(PaymentId)
            .map_err(|_| format!("{s:?} is not a MercadoPago payment id"))
    }
}

/// A payment's status (reference §1.3). Unknown values are kept, not guessed.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PaymentStatus {
    Pending,
    Approved,
    Authorized,
    InProcess,
    InMediation,
    Rejected,
    Cancelled,
    Refunded,
    ChargedBack,
    Other(String),
}

impl PaymentStatus {
    pub fn as_str(&self) -> &str {
        use PaymentStatus::*;
        match self {
            Pending => "pending",
            Approved => "approved",
            Authorized => "authorized",
            InProcess => "in_process",
            InMediation => "in_mediation",
            Rejected => "rejected",
            Cancelled => "cancelled",
            Refunded => "refunded",
            ChargedBack => "charged_back",
            Other(s) => s,
        }
    }

    pub fn parse(s: &str) -> PaymentStatus {
        use PaymentStatus::*;
        match s {
            "pending" => Pending,
            "approved" => Approved,
            "authorized" => Authorized,
            "in_process" => InProcess,
            "in_mediation" => InMediation,
            "rejected" => Rejected,
            "cancelled" => Cancelled,
            "refunded" => Refunded,
            "charged_back" => ChargedBack,
            other => Other(other.to_owned()),
        }
    }

    /// Money is with the shop (possibly partly refunded).
    pub fn is_credited(&self) -> bool {
        matches!(self, PaymentStatus::Approved)
    }

    /// A dispute is open or was lost.
    pub fn is_disputed(&self) -> bool {
        matches!(
            self,
            PaymentStatus::InMediation | PaymentStatus::ChargedBack
        )
    }
}

impl fmt::Display for PaymentStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for PaymentStatus {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for PaymentStatus {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(PaymentStatus::parse(&String::deserialize(d)?))
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeeDetail {
    #[serde(rename = "type", default)]
    pub kind: Option<String>,
    #[serde(with = "crate::amount")]
    pub amount: Money,
    #[serde(default)]
    pub fee_payer: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TransactionDetails {
    #[serde(default, with = "crate::amount::opt")]
    pub net_received_amount: Option<Money>,
    #[serde(default, with = "crate::amount::opt")]
    pub total_paid_amount: Option<Money>,
    #[serde(default, with = "crate::amount::opt")]
    pub installment_amount: Option<Money>,
}

/// A refund of a payment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Refund {
    pub id: u64,
    #[serde(default)]
    pub payment_id: Option<u64>,
    #[serde(with = "crate::amount")]
    pub amount: Money,
    #[serde(default)]
    pub status: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PayerInfo {
    #[serde(default)]
    pub email: Option<String>,
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
}

/// A payment as `GET /v1/payments/{id}` returns it (the fields we use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Payment {
    pub id: PaymentId,
    pub status: PaymentStatus,
    #[serde(default)]
    pub status_detail: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(with = "crate::amount")]
    pub transaction_amount: Money,
    #[serde(default, with = "crate::amount::opt")]
    pub transaction_amount_refunded: Option<Money>,
    pub currency_id: String,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub date_approved: Option<String>,
    /// Orders the states of one payment: apply only what is newer than what we hold.
    #[serde(default)]
    pub date_last_updated: Option<String>,
    #[serde(default)]
    pub payment_method_id: Option<String>,
    #[serde(default)]
    pub payment_type_id: Option<String>,
    #[serde(default)]
    pub installments: Option<u32>,
    #[serde(default)]
    pub live_mode: Option<bool>,
    #[serde(default)]
    pub collector_id: Option<i64>,
    #[serde(default)]
    pub payer: Option<PayerInfo>,
    #[serde(default)]
    pub fee_details: Vec<FeeDetail>,
    #[serde(default)]
    pub transaction_details: Option<TransactionDetails>,
    #[serde(default)]
    pub refunds: Vec<Refund>,
    #[serde(default)]
    pub metadata: Option<serde_json::Value>,
}

impl Payment {
    /// MercadoPago's fees, summed.
    pub fn fees(&self) -> Option<Money> {
        if self.fee_details.is_empty() {
            return None;
        }
        Money::checked_sum(self.fee_details.iter().map(|f| f.amount))
    }

    /// What the shop receives, when reported.
    pub fn net(&self) -> Option<Money> {
        self.transaction_details
            .as_ref()
            .and_then(|t| t.net_received_amount)
    }

    /// Refunded so far (the field, or the sum of refunds).
    pub fn refunded(&self) -> Money {
        self.transaction_amount_refunded
            .or_else(|| Money::checked_sum(self.refunds.iter().map(|r| r.amount)))
            .unwrap_or(Money::ZERO)
    }
}

/// `POST /v1/payments/{id}/refunds` body: empty for a total refund.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct RefundRequest {
    #[serde(skip_serializing_if = "Option::is_none", with = "crate::amount::opt")]
    pub amount: Option<Money>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_payment() {
        let body = r#"{ "id": 2798247250, "status": "approved", "status_detail": "accredited",
          "external_reference": "inv-7", "transaction_amount": 1500.5, "currency_id": "ARS",
          "transaction_amount_refunded": 0,
          "date_created": "2017-06-16T21:10:06.000-04:00", "date_approved": "2017-06-16T21:10:06.000-04:00",
          "date_last_updated": "2017-06-16T21:10:07.000-04:00", "payment_method_id": "visa",
          "payment_type_id": "credit_card", "installments": 3,
          "fee_details": [{"type":"mercadopago_fee","amount":62.27,"fee_payer":"collector"}],
          "transaction_details": {"net_received_amount": 1438.23, "total_paid_amount": 1500.5},
          "order": { "id": 26262399173, "type": "mercadopago" }, "live_mode": true, "new_field": [1] }"#;
        let p: Payment = serde_json::from_str(body).unwrap();
        assert_eq!(p.id, PaymentId(2798247250));
        assert_eq!(p.status, PaymentStatus::Approved);
        assert_eq!(p.transaction_amount, Money::from_cents(150050));
        assert_eq!(p.fees(), Some(Money::from_cents(6227)));
        assert_eq!(p.net(), Some(Money::from_cents(143823)));
        assert_eq!(p.refunded(), Money::ZERO);
        assert_eq!(p.installments, Some(3));
        let q: Payment = serde_json::from_str(
            r#"{"id":1,"status":"weird_new","transaction_amount":10,"currency_id":"ARS"}"#,
        )
        .unwrap();
        assert_eq!(q.status, PaymentStatus::Other("weird_new".into()));
        assert_eq!("123".parse::<PaymentId>().unwrap(), PaymentId(123));
        assert!("ORD01".parse::<PaymentId>().is_err());
        assert_eq!(
            serde_json::to_string(&RefundRequest {
                amount: Some(Money::from_cents(500))
            })
            .unwrap(),
            r#"{"amount":5.00}"#
        );
        assert_eq!(
            serde_json::to_string(&RefundRequest::default()).unwrap(),
            "{}"
        );
    }
}
