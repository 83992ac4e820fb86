//! MercadoPago behind the seam: Checkout Pro preferences and the counter's dynamic QR, payments
//! and chargebacks fetched by id, refunds — each with its fixed `X-Idempotency-Key`.

use std::time::Duration;

use chrono::{FixedOffset, Utc};
use mostrador_mercadopago::{
    Chargeback, Client, IdempotencyKey, NewPreference, Payment, PaymentId, QrOrder,
};
use mostrador_types::Money;

use super::{
    CheckoutLink, CheckoutRequest, Fetched, PaymentProvider, ProviderChargeback, ProviderName,
    ProviderPayment,
};
use crate::outbound::handler::BoxFuture;
use crate::outbound::Failure;
use crate::payments::config::{failure_of, not_configured, MercadoPagoSettings};

/// How long a link can be paid.
pub(crate) const LINK_VALID: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a counter QR can be paid.
const QR_VALID: Duration = Duration::from_secs(30 * 60);

pub(crate) struct MercadoPagoProvider {
    pub client: Client,
    pub settings: MercadoPagoSettings,
}

/// `d` from now, as MercadoPago's dates (Argentina) and as Unix seconds (the stored expiry).
fn iso_in(d: Duration) -> (String, i64) {
    let at = Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
    let iso = at
        .with_timezone(&FixedOffset::west_opt(3 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string();
    (iso, at.timestamp())
}

/// A date MercadoPago answered (`expiration_date_to`) as Unix seconds.
fn unix_of(iso: Option<&str>) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(iso?)
        .ok()
        .map(|d| d.timestamp())
}

fn key_of(k: &str) -> Result<IdempotencyKey, Failure> {
    IdempotencyKey::new(k.to_owned()).map_err(|e| Failure::bad_payload(e.to_string()))
}

/// Our view of a fetched MercadoPago payment.
pub(crate) fn payment_of(p: &Payment) -> ProviderPayment {
    ProviderPayment {
        provider: ProviderName::MercadoPago,
        provider_id: p.id.to_string(),
        external_reference: p.external_reference.clone(),
        status: p.status.as_str().to_owned(),
        status_detail: p.status_detail.clone(),
        amount_cents: p.transaction_amount.cents(),
        currency: p.currency_id.clone(),
        refunded_cents: p.refunded().cents(),
        fee_cents: p.fees().map(|m| m.cents()),
        net_cents: p.net().map(|m| m.cents()),
        method: p.payment_method_id.clone(),
        payment_type: p.payment_type_id.clone(),
        installments: p.installments.map(i64::from),
        created_at: p.date_created.clone(),
        updated_at: p.date_last_updated.clone(),
        approved_at: p.date_approved.clone(),
    }
}

pub(crate) fn chargeback_of(cb: &Chargeback) -> ProviderChargeback {
    ProviderChargeback {
        provider: ProviderName::MercadoPago,
        id: cb.id.clone(),
        provider_payment_id: cb.payments.first().map(|p| p.to_string()),
        state: match cb.resolved() {
            None => "open",
            Some(true) => "won",
            Some(false) => "lost",
        },
        amount_cents: cb.amount.map(|a| a.cents()),
        currency: cb.currency.clone(),
        documentation_status: cb.documentation_status.clone(),
        documentation_deadline: cb.date_documentation_deadline.clone(),
    }
}

impl PaymentProvider for MercadoPagoProvider {
    fn name(&self) -> ProviderName {
        ProviderName::MercadoPago
    }

    fn create_checkout<'a>(
        &'a self,
        req: &'a CheckoutRequest,
    ) -> BoxFuture<'a, Result<CheckoutLink, Failure>> {
        Box::pin(async move {
            let key = key_of(&req.idempotency_key)?;
            let amount = Money::from_cents(req.amount_cents);
            if req.kind == "qr" {
                let (Some(user), Some(pos)) =
                    (self.settings.user_id, self.settings.external_pos_id.clone())
                else {
                    return Err(not_configured(
                        "the counter QR needs the account (Probar) and a point of sale",
                    ));
                };
                let mut order = QrOrder::single(req.reference.clone(), req.title.clone(), amount);
                order.notification_url = self.settings.webhook_url();
                let (until, until_unix) = iso_in(QR_VALID);
                order.expiration_date = Some(until);
                let qr = self
                    .client
                    .create_dynamic_qr(user, &pos, &order, &key)
                    .await
                    .map_err(|e| failure_of(&e))?;
                Ok(CheckoutLink {
                    provider_ref: qr
                        .in_store_order_id
                        .unwrap_or_else(|| req.reference.clone()),
                    url: None,
                    qr_data: Some(qr.qr_data),
                    expires_unix: Some(until_unix),
                })
            } else {
                let mut pref = NewPreference::single(
                    req.title.clone(),
                    amount,
                    &req.currency,
                    req.reference.clone(),
                );
                pref.notification_url = self.settings.webhook_url();
                pref.expires = Some(true);
                let (until, until_unix) = iso_in(LINK_VALID);
                pref.expiration_date_to = Some(until);
                pref.statement_descriptor = None;
                let p = self
                    .client
                    .create_preference(&pref, &key)
                    .await
                    .map_err(|e| failure_of(&e))?;
                Ok(CheckoutLink {
                    provider_ref: p.id.clone(),
                    url: p.link().map(str::to_owned),
                    qr_data: None,
                    expires_unix: unix_of(p.expiration_date_to.as_deref()).or(Some(until_unix)),
                })
            }
        })
    }

    fn fetch<'a>(&'a self, topic: &'a str, id: &'a str) -> BoxFuture<'a, Result<Fetched, Failure>> {
        Box::pin(async move {
            let mut out = Fetched::default();
            let mut ids = Vec::new();
            if topic == "chargeback" {
                let cb = self
                    .client
                    .get_chargeback(id)
                    .await
                    .map_err(|e| failure_of(&e))?;
                ids.extend(cb.payments.iter().map(|p| PaymentId(*p)));
                out.chargebacks.push(chargeback_of(&cb));
            } else {
                ids.push(id.parse::<PaymentId>().map_err(Failure::bad_payload)?);
            }
            for pid in ids {
                let p = self
                    .client
                    .get_payment(pid)
                    .await
                    .map_err(|e| failure_of(&e))?;
                out.payments.push(payment_of(&p));
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
            let key = key_of(key)?;
            let pid: PaymentId = provider_payment_id.parse().map_err(Failure::bad_payload)?;
            let r = self
                .client
                .refund(pid, Some(Money::from_cents(amount_cents)), &key)
                .await
                .map_err(|e| failure_of(&e))?;
            Ok(r.id.to_string())
        })
    }
}
