//! The payment-provider seam: the link job, the sync (fetch) job and the refund job talk to a
//! [`PaymentProvider`], never to a provider crate, and every fetched state arrives as a
//! [`ProviderPayment`] / [`ProviderChargeback`] so that applying it (apply.rs) is one code path
//! for MercadoPago and Stripe. Each adapter maps its crate's errors onto the queue's [`Failure`].

pub(crate) mod mercadopago;
pub(crate) mod stripe;

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use crate::org::OrgId;
use crate::outbound::handler::BoxFuture;
use crate::outbound::Failure;
use crate::secrets::SecretStore;
use crate::store::Store;

/// Who collects a payment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ProviderName {
    /// `mercadopago`, as in the tables and job kinds.
    #[serde(rename = "mercadopago")]
    MercadoPago,
    Stripe,
}

impl ProviderName {
    /// The name in the tables (`payments.provider`, `payment_links.provider`), the relay path
    /// and the job kinds.
    pub fn as_str(self) -> &'static str {
        match self {
            ProviderName::MercadoPago => "mercadopago",
            ProviderName::Stripe => "stripe",
        }
    }

    pub fn parse(s: &str) -> Option<ProviderName> {
        match s {
            "mercadopago" => Some(ProviderName::MercadoPago),
            "stripe" => Some(ProviderName::Stripe),
            _ => None,
        }
    }

    /// The name people see.
    pub fn display(self) -> &'static str {
        match self {
            ProviderName::MercadoPago => "MercadoPago",
            ProviderName::Stripe => "Stripe",
        }
    }
}

/// What the link job asks a provider to create (with the link's fixed idempotency key).
#[derive(Debug, Clone)]
pub(crate) struct CheckoutRequest {
    /// `link` or `qr`.
    pub kind: String,
    /// Our reference: the only way a payment is attached to the link.
    pub reference: String,
    pub title: String,
    pub amount_cents: i64,
    /// ISO 4217, upper-case (`ARS`, `USD`).
    pub currency: String,
    pub idempotency_key: String,
    /// When the "Cobrar" was made (Unix seconds): expiries derive from it, so a retry sends the
    /// same request.
    pub created_unix: i64,
}

/// What the provider created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CheckoutLink {
    /// Preference / in-store order id (MercadoPago), Checkout Session id (Stripe).
    pub provider_ref: String,
    pub url: Option<String>,
    pub qr_data: Option<String>,
    /// When it stops taking payments (Unix seconds): the provider's answer, else what was sent.
    pub expires_unix: Option<i64>,
}

/// A payment as its provider's API reports it, in our vocabulary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderPayment {
    pub provider: ProviderName,
    pub provider_id: String,
    pub external_reference: Option<String>,
    /// `pending`, `in_process`, `approved`, `rejected`, `refunded`, `cancelled`,
    /// `charged_back`, `in_mediation` (MercadoPago's words; Stripe's states are mapped onto them).
    pub status: String,
    /// Why (a rejection's reason), for people and the list.
    pub status_detail: Option<String>,
    pub amount_cents: i64,
    /// ISO 4217, upper-case.
    pub currency: String,
    pub refunded_cents: i64,
    pub fee_cents: Option<i64>,
    pub net_cents: Option<i64>,
    pub method: Option<String>,
    pub payment_type: Option<String>,
    pub installments: Option<i64>,
    pub created_at: Option<String>,
    /// Orders the states of one payment when the provider gives it (RFC 3339).
    pub updated_at: Option<String>,
    pub approved_at: Option<String>,
}

impl ProviderPayment {
    /// Money reached the shop (a thank-you is due).
    pub fn is_credited(&self) -> bool {
        self.status == "approved"
    }
}

/// A chargeback (dispute) as its provider reports it, tracked until decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ProviderChargeback {
    pub provider: ProviderName,
    pub id: String,
    pub provider_payment_id: Option<String>,
    /// `open`, `won`, `lost`.
    pub state: &'static str,
    pub amount_cents: Option<i64>,
    pub currency: Option<String>,
    pub documentation_status: Option<String>,
    pub documentation_deadline: Option<String>,
}

/// What a sync job fetched: apply the payments, then the chargebacks.
#[derive(Debug, Default)]
pub(crate) struct Fetched {
    pub payments: Vec<ProviderPayment>,
    pub chargebacks: Vec<ProviderChargeback>,
    /// Checkouts (`payment_links.preference_id`) the provider says expired unpaid.
    pub expired_checkouts: Vec<String>,
}

/// One payment provider, as core's jobs use it.
pub(crate) trait PaymentProvider: Send + Sync {
    fn name(&self) -> ProviderName;

    /// Creates the checkout (preference, QR order, Checkout Session) with `req`'s fixed key: a
    /// retry gets the same one back.
    fn create_checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<CheckoutLink, Failure>>;

    /// Fetches what a verified notification named (`topic`, `id` as the intake queued them):
    /// the truth to apply, never the notification's body.
    fn fetch<'a>(&'a self, topic: &'a str, id: &'a str) -> BoxFuture<'a, Result<Fetched, Failure>>;

    /// Refunds `amount_cents` of a payment with a fixed key; returns the provider's refund id.
    fn refund<'a>(
        &'a self,
        provider_payment_id: &'a str,
        amount_cents: i64,
        key: &'a str,
    ) -> BoxFuture<'a, Result<String, Failure>>;
}

/// The organization's provider `name`, built from its settings and keychain.
pub(crate) async fn load(
    store: &Store,
    secrets: &SecretStore,
    org: OrgId,
    name: ProviderName,
) -> Result<Box<dyn PaymentProvider>, PaymentsError> {
    Ok(match name {
        ProviderName::MercadoPago => {
            let (client, settings) = super::config::load_client(store, secrets, org).await?;
            Box::new(mercadopago::MercadoPagoProvider { client, settings })
        }
        ProviderName::Stripe => {
            let client = super::stripe::load_client(store, secrets, org).await?;
            let s = super::stripe::StripeSettings::load(store, org).await?;
            Box::new(stripe::StripeProvider {
                client,
                return_url: s
                    .return_url
                    .unwrap_or_else(|| super::stripe::DEFAULT_RETURN_URL.to_owned()),
            })
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_the_tables_names_everywhere() {
        for p in [ProviderName::MercadoPago, ProviderName::Stripe] {
            let json = serde_json::to_string(&p).unwrap();
            assert_eq!(json, format!("\"{}\"", p.as_str()));
            assert_eq!(ProviderName::parse(p.as_str()), Some(p));
        }
        assert_eq!(ProviderName::parse("paypal"), None);
    }
}
