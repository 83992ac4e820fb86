//! Checkout Pro preferences (`POST /checkout/preferences`, reference §1.2): the payment link.

use mostrador_types::Money;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One line of the preference. `quantity` ≥ 1, `unit_price` > 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub quantity: u32,
    /// `ARS`.
    pub currency_id: String,
    #[serde(with = "crate::amount")]
    pub unit_price: Money,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Phone {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub area_code: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Identification {
    /// `DNI`, `CUIT`…
    #[serde(rename = "type")]
    pub kind: String,
    pub number: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Payer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surname: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<Phone>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identification: Option<Identification>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct BackUrls {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure: Option<String>,
}

/// A preference to create. Back URLs are a courtesy for the buyer's browser, never a payment
/// signal: the webhook and a fetch of the payment are.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct NewPreference {
    pub items: Vec<Item>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payer: Option<Payer>,
    /// Our reference (the invoice): how a payment is attached to what it pays.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_reference: Option<String>,
    /// The shop's relay URL (with `source_news=webhooks`, so no legacy IPN duplicates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub notification_url: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub back_urls: Option<BackUrls>,
    /// `approved` or `all`; requires `back_urls.success`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_return: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub binary_mode: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires: Option<bool>,
    /// ISO 8601 with offset, e.g. `2026-05-01T00:00:00.000-03:00`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expiration_date_to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub statement_descriptor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metadata: Option<serde_json::Value>,
}

impl NewPreference {
    /// One item for `amount`, referencing `external_reference`.
    pub fn single(
        title: impl Into<String>,
        amount: Money,
        currency: &str,
        external_reference: impl Into<String>,
    ) -> Self {
        NewPreference {
            items: vec![Item {
                id: None,
                title: title.into(),
                description: None,
                quantity: 1,
                currency_id: currency.to_owned(),
                unit_price: amount,
            }],
            external_reference: Some(external_reference.into()),
            ..Default::default()
        }
    }

    /// The rules MercadoPago enforces, checked before sending (reference §1.2, §1.11).
    pub fn validate(&self) -> Result<(), Error> {
        if self.items.is_empty() {
            return Err(Error::Invalid(
                "a preference needs at least one item".into(),
            ));
        }
        for (i, it) in self.items.iter().enumerate() {
            if it.title.trim().is_empty() {
                return Err(Error::Invalid(format!("item {i} has no title")));
            }
            if it.quantity < 1 {
                return Err(Error::Invalid(format!("item {i}: quantity must be ≥ 1")));
            }
            if it.unit_price.cents() <= 0 {
                return Err(Error::Invalid(format!("item {i}: unit_price must be > 0")));
            }
        }
        if self.auto_return.is_some()
            && self
                .back_urls
                .as_ref()
                .and_then(|b| b.success.as_ref())
                .is_none()
        {
            return Err(Error::Invalid("auto_return needs back_urls.success".into()));
        }
        if let Some(r) = &self.external_reference {
            if r.len() > 256 {
                return Err(Error::Invalid(
                    "external_reference is longer than 256".into(),
                ));
            }
        }
        Ok(())
    }
}

/// A created preference (the fields we use).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Preference {
    /// `<collector_id>-<uuid>`.
    pub id: String,
    #[serde(default)]
    pub init_point: Option<String>,
    #[serde(default)]
    pub sandbox_init_point: Option<String>,
    #[serde(default)]
    pub external_reference: Option<String>,
    #[serde(default)]
    pub collector_id: Option<i64>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub expiration_date_to: Option<String>,
}

impl Preference {
    /// The link to send the customer. `init_point` is null when MercadoPago refused the
    /// back URLs (IP hosts): that is an error for us.
    pub fn link(&self) -> Option<&str> {
        self.init_point.as_deref().filter(|s| !s.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serializes_amounts_exactly_and_validates() {
        let mut p =
            NewPreference::single("Factura 0001", Money::from_cents(150050), "ARS", "inv-1");
        p.notification_url =
            Some("https://relay.example/in/t/mercadopago?source_news=webhooks".into());
        let json = serde_json::to_string(&p).unwrap();
        assert!(json.contains(r#""unit_price":1500.50"#), "{json}");
        assert!(json.contains(r#""external_reference":"inv-1""#));
        assert!(!json.contains("payer"));
        p.validate().unwrap();
        p.auto_return = Some("approved".into());
        assert!(p.validate().is_err());
        p.back_urls = Some(BackUrls {
            success: Some("https://x/ok".into()),
            ..Default::default()
        });
        p.validate().unwrap();
        p.items[0].unit_price = Money::ZERO;
        assert!(p.validate().is_err());
        assert!(NewPreference::default().validate().is_err());
        let back: NewPreference = serde_json::from_str(&json).unwrap();
        assert_eq!(back.items[0].unit_price, Money::from_cents(150050));
    }
}
