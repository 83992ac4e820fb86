//! "Cobrar": a payment link (or a counter QR) for an invoice or for an amount, created through the
//! queue. The link row and its job are written in one transaction; a second "Cobrar" on the same
//! invoice while a link is open returns that link (a double click never makes two), and each link
//! has its own reference and idempotency key, so a preference is never reused for another invoice.

use mostrador_queue::{NewJob, Queue};
use serde::Deserialize;

use super::apply::mp_currency;
use super::error::{invalid, PaymentsError};
use super::events::{PaymentBus, PaymentEvent};
use super::jobs::{kinds, PreferenceJob};
use super::list::{link_view, PaymentLinkView};
use super::providers::ProviderName;
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::timestamp::now_text;
use crate::store::Store;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ChargeKind {
    /// A Checkout Pro link, sent in the conversation.
    Link,
    /// A dynamic QR shown full-screen at the counter.
    Qr,
}

impl ChargeKind {
    fn as_str(self) -> &'static str {
        match self {
            ChargeKind::Link => "link",
            ChargeKind::Qr => "qr",
        }
    }
}

/// One "Cobrar".
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ChargeRequest {
    /// Charge what is left of this invoice…
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub invoice_id: Option<i64>,
    /// …or an amount for a customer (or nobody, at the counter).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub customer_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub amount_cents: Option<i64>,
    pub title: Option<String>,
    pub kind: ChargeKind,
    /// Send the link in the customer's conversation.
    pub send_to_customer: bool,
    /// Who collects: absent, the only one configured (MercadoPago when both are, unless the
    /// currency is USD).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub provider: Option<ProviderName>,
    /// `ARS` or `USD` for an amount (an invoice is charged in its own currency). Absent: `ARS`.
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(optional))]
    pub currency: Option<String>,
}

/// Which providers an organization can charge with (secrets in the keychain).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConfiguredProviders {
    pub mercadopago: bool,
    pub stripe: bool,
}

impl ConfiguredProviders {
    pub async fn load(secrets: &SecretStore, org: OrgId) -> Result<Self, PaymentsError> {
        Ok(ConfiguredProviders {
            mercadopago: secrets
                .get(org, super::config::ACCESS_TOKEN)
                .await?
                .is_some(),
            stripe: super::stripe::is_configured(secrets, org).await?,
        })
    }

    fn has(self, p: ProviderName) -> bool {
        match p {
            ProviderName::MercadoPago => self.mercadopago,
            ProviderName::Stripe => self.stripe,
        }
    }

    /// The provider for a charge in `currency`: the asked one if configured; else MercadoPago for
    /// pesos and Stripe for dollars when both are, or the only one configured.
    pub fn choose(
        self,
        asked: Option<ProviderName>,
        currency: &str,
    ) -> Result<ProviderName, PaymentsError> {
        match asked {
            Some(p) if self.has(p) => Ok(p),
            Some(p) => Err(PaymentsError::ProviderNotConfigured(p)),
            None => match (self.mercadopago, self.stripe) {
                (true, true) if currency == "USD" => Ok(ProviderName::Stripe),
                (true, _) => Ok(ProviderName::MercadoPago),
                (false, true) => Ok(ProviderName::Stripe),
                (false, false) => Err(PaymentsError::NotConfigured(
                    "no payment provider is configured".into(),
                )),
            },
        }
    }
}

#[derive(sqlx::FromRow)]
struct Inv {
    total_cents: i64,
    currency: String,
    customer_id: Option<String>,
    state: String,
    point_of_sale: i64,
    number: Option<i64>,
}

/// Creates (or returns the open) link; the preference (or Checkout Session) is created by the
/// queue. The provider is chosen from what the keychain holds ([`ConfiguredProviders::choose`]):
/// one that is not configured is refused.
pub async fn charge_checked(
    store: &Store,
    queue: &Queue,
    secrets: &SecretStore,
    bus: &PaymentBus,
    org: OrgId,
    req: ChargeRequest,
) -> Result<PaymentLinkView, PaymentsError> {
    let configured = ConfiguredProviders::load(secrets, org).await?;
    charge_with(store, queue, bus, org, req, configured).await
}

/// [`charge_checked`] without looking at the keychain, as "Cobrar" was before Stripe: the asked
/// provider, else MercadoPago (a missing key then fails the link's job, shown on the link).
pub async fn charge(
    store: &Store,
    queue: &Queue,
    bus: &PaymentBus,
    org: OrgId,
    req: ChargeRequest,
) -> Result<PaymentLinkView, PaymentsError> {
    let assumed = ConfiguredProviders {
        mercadopago: req.provider != Some(ProviderName::Stripe),
        stripe: req.provider == Some(ProviderName::Stripe),
    };
    charge_with(store, queue, bus, org, req, assumed).await
}

/// [`charge`] with the configured providers already known.
pub async fn charge_with(
    store: &Store,
    queue: &Queue,
    bus: &PaymentBus,
    org: OrgId,
    req: ChargeRequest,
    configured: ConfiguredProviders,
) -> Result<PaymentLinkView, PaymentsError> {
    let now = now_text();
    let org_s = org.to_string();
    let asked_currency = match req.currency.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => match c.to_ascii_uppercase().as_str() {
            "ARS" => Some("ARS"),
            "USD" => Some("USD"),
            _ => {
                return Err(invalid(
                    "currency",
                    "Se cobra en pesos (ARS) o en dólares (USD).",
                ))
            }
        },
    };
    let mut tx = store.begin_immediate().await?;
    let mut expired: Option<i64> = None;
    let (amount, currency, title, customer_id, provider) = match req.invoice_id {
        Some(inv_id) => {
            let inv: Inv = sqlx::query_as(
                "SELECT total_cents, currency, customer_id, state, point_of_sale, number FROM invoices
                 WHERE org_id = ? AND id = ?",
            )
            .bind(&org_s)
            .bind(inv_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(PaymentsError::InvoiceNotFound(inv_id))?;
            let currency = mp_currency(&inv.currency);
            if asked_currency.is_some_and(|c| c != currency) {
                return Err(invalid(
                    "currency",
                    format!("La factura es en {currency}: se cobra en esa moneda."),
                ));
            }
            let provider = configured.choose(req.provider, &currency)?;
            let mut open: Option<(i64, String, Option<String>)> = sqlx::query_as(
                "SELECT id, provider, expires_at FROM payment_links WHERE org_id = ? AND invoice_id = ? AND kind = ?
                   AND state IN ('creating', 'ready')",
            )
            .bind(&org_s)
            .bind(inv_id)
            .bind(req.kind.as_str())
            .fetch_optional(&mut *tx)
            .await?;
            // A link past its stored expiry can no longer be paid: it is marked expired (which
            // frees the invoice for a NEW link, with a new idempotency key) instead of returned.
            if let Some((id, _, Some(until))) = &open {
                if until.as_str() <= now.as_str() {
                    sqlx::query(
                        "UPDATE payment_links SET state = 'cancelled', expired_at = ?1, updated_at = ?1,
                                error = 'El link venció sin pagarse.'
                         WHERE id = ?2",
                    )
                    .bind(&now)
                    .bind(*id)
                    .execute(&mut *tx)
                    .await?;
                    tracing::info!(%org, link_id = *id, "payment link expired (stored expiry): a new one is made");
                    expired = Some(*id);
                    open = None;
                }
            }
            if let Some((id, open_provider, _)) = open {
                drop(tx);
                // Two open links for one invoice could both be paid.
                if open_provider != provider.as_str() {
                    return Err(invalid(
                        "provider",
                        format!(
                            "Esa factura ya tiene un link de cobro de {} abierto: usá ese, o esperá a que venza.",
                            ProviderName::parse(&open_provider).map_or("otro medio", |p| p.display())
                        ),
                    ));
                }
                return link_view(store, org, id).await;
            }
            if matches!(inv.state.as_str(), "draft" | "rejected") {
                return Err(invalid(
                    "invoice_id",
                    "Esa factura no fue emitida: no se puede cobrar.",
                ));
            }
            let paid: i64 = sqlx::query_scalar(
                "SELECT paid_cents FROM invoice_payment_status WHERE invoice_id = ? AND org_id = ?",
            )
            .bind(inv_id)
            .bind(&org_s)
            .fetch_optional(&mut *tx)
            .await?
            .unwrap_or(0);
            let left = inv.total_cents - paid;
            if left <= 0 {
                return Err(invalid("invoice_id", "Esa factura ya está pagada."));
            }
            let title = match inv.number {
                Some(n) => format!("Factura {:05}-{n:08}", inv.point_of_sale),
                None => format!("Factura {inv_id}"),
            };
            let customer = req
                .customer_id
                .or(inv.customer_id.and_then(|c| c.parse().ok()));
            (left, currency, title, customer, provider)
        }
        None => {
            let amount = req
                .amount_cents
                .filter(|a| *a > 0)
                .ok_or_else(|| invalid("amount_cents", "Poné un importe mayor a cero."))?;
            let title = req
                .title
                .clone()
                .map(|t| t.trim().to_owned())
                .filter(|t| !t.is_empty())
                .unwrap_or_else(|| "Cobro".into());
            if title.chars().count() > 200 {
                return Err(invalid(
                    "title",
                    "El concepto es demasiado largo (máximo 200).",
                ));
            }
            let currency = asked_currency.unwrap_or("ARS").to_owned();
            let provider = configured.choose(req.provider, &currency)?;
            (amount, currency, title, req.customer_id, provider)
        }
    };
    if provider == ProviderName::Stripe && req.kind == ChargeKind::Qr {
        return Err(invalid(
            "kind",
            "Stripe no tiene cobro con QR de mostrador: usá un link.",
        ));
    }
    if provider == ProviderName::MercadoPago && currency != "ARS" {
        return Err(invalid(
            "currency",
            "MercadoPago cobra en pesos: para dólares usá Stripe.",
        ));
    }
    let conversation_id: Option<i64> = match customer_id {
        Some(c) => {
            let exists: Option<i64> =
                sqlx::query_scalar("SELECT id FROM customers WHERE org_id = ? AND id = ?")
                    .bind(&org_s)
                    .bind(c)
                    .fetch_optional(&mut *tx)
                    .await?;
            if exists.is_none() {
                return Err(invalid("customer_id", "Ese cliente no existe."));
            }
            sqlx::query_scalar(
                "SELECT id FROM conversations WHERE org_id = ? AND customer_id = ? AND channel = 'whatsapp'",
            )
            .bind(&org_s)
            .bind(c)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    // Random parts: a reinstalled app (ids from 1 again) on the same MercadoPago account must
    // never get an old preference back, nor have an old link's payment attached to a new invoice.
    let key = match provider {
        ProviderName::MercadoPago => format!("pref-{}", uuid::Uuid::new_v4().simple()),
        ProviderName::Stripe => format!("cs-{}", uuid::Uuid::new_v4().simple()),
    };
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO payment_links (org_id, kind, reference, invoice_id, customer_id, conversation_id,
             title, amount_cents, currency, idempotency_key, state, send_to_customer, created_at, updated_at,
             provider)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?3, 'creating', ?10, ?11, ?11, ?12) RETURNING id",
    )
    .bind(&org_s)
    .bind(req.kind.as_str())
    .bind(&key)
    .bind(req.invoice_id)
    .bind(customer_id)
    .bind(conversation_id)
    .bind(&title)
    .bind(amount)
    .bind(&currency)
    .bind(req.send_to_customer && req.kind == ChargeKind::Link)
    .bind(&now)
    .bind(provider.as_str())
    .fetch_one(&mut *tx)
    .await?;
    let suffix = &key[key.len() - 6..];
    let reference = match req.invoice_id {
        Some(inv) => format!("inv{inv}-{id}-{suffix}"),
        None => format!("cobro{id}-{suffix}"),
    };
    let job = NewJob::new(org.0, kinds(provider).0, &PreferenceJob { link_id: id })?
        .unique_key(match provider {
            ProviderName::MercadoPago => format!("mp-pref:{id}"),
            ProviderName::Stripe => format!("stripe-checkout:{id}"),
        })
        .max_attempts(8);
    let (enqueued, wake) = queue.enqueue_in(&mut tx, &job).await?;
    sqlx::query("UPDATE payment_links SET reference = ?, job_id = ? WHERE id = ?")
        .bind(&reference)
        .bind(enqueued.id().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await.map_err(crate::store::StoreError::Sqlx)?;
    wake.after_commit();
    if let Some(old) = expired {
        bus.emit(PaymentEvent::LinkChanged {
            org_id: org,
            link_id: old,
            state: "expired".into(),
        });
    }
    bus.emit(PaymentEvent::LinkChanged {
        org_id: org,
        link_id: id,
        state: "creating".into(),
    });
    tracing::info!(%org, link_id = id, provider = provider.as_str(), kind = req.kind.as_str(), invoice_id = ?req.invoice_id, "charge queued");
    link_view(store, org, id).await
}
