//! The job kinds of payments and their handlers.
//!
//! - `mercadopago.preference`: creates a link's preference (or QR) with the link's fixed
//!   idempotency key, then sends the link to the customer once.
//! - `mercadopago.sync`: fetches a payment (or chargeback) a notification named, and applies it.
//! - `mercadopago.refund`: asks MercadoPago for a refund with the refund's fixed key.
//! - `mercadopago.thanks`: the one "pago recibido" of a payment.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{FixedOffset, Utc};
use mostrador_queue::{Queue, QueueError};
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use super::apply::{self, Applied};
use super::error::PaymentsError;
use super::events::{PaymentBus, PaymentEvent};
use super::notice::{self, format_money, Notice, Sent};
use super::providers::{self, CheckoutRequest, PaymentProvider, ProviderName};
use crate::events::EventBus;
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::outbound::Handlers;
use crate::secrets::SecretStore;
use crate::store::timestamp::{now_text, to_text};
use crate::store::{Store, StoreError};

pub const PREFERENCE_KIND: &str = "mercadopago.preference";
pub const SYNC_KIND: &str = "mercadopago.sync";
pub const REFUND_KIND: &str = "mercadopago.refund";
pub const THANKS_KIND: &str = "mercadopago.thanks";
/// A link's Checkout Session (Stripe's counterpart of the preference job).
pub const STRIPE_CHECKOUT_KIND: &str = "stripe.checkout";
/// Fetches what a verified Stripe event named, and applies it.
pub const STRIPE_SYNC_KIND: &str = "stripe.sync";
pub const STRIPE_REFUND_KIND: &str = "stripe.refund";

/// The job kinds of one provider: (link, sync, refund).
pub(crate) fn kinds(p: ProviderName) -> (&'static str, &'static str, &'static str) {
    match p {
        ProviderName::MercadoPago => (PREFERENCE_KIND, SYNC_KIND, REFUND_KIND),
        ProviderName::Stripe => (STRIPE_CHECKOUT_KIND, STRIPE_SYNC_KIND, STRIPE_REFUND_KIND),
    }
}

/// The fetch topic of a payment itself, per provider (what the refund job re-reads).
fn payment_topic(p: ProviderName) -> &'static str {
    match p {
        ProviderName::MercadoPago => "payment",
        ProviderName::Stripe => "payment_intent",
    }
}

/// How long a link can be paid, per provider (the template's "vence el").
fn link_valid(p: ProviderName) -> Duration {
    match p {
        ProviderName::MercadoPago => providers::mercadopago::LINK_VALID,
        ProviderName::Stripe => {
            Duration::from_secs(providers::stripe::SESSION_VALID_SECS.unsigned_abs())
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PreferenceJob {
    pub link_id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SyncJob {
    /// MercadoPago: `payment` or `chargeback`. Stripe: `payment_intent`, `checkout_session`,
    /// `charge` or `dispute`.
    pub topic: String,
    pub id: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RefundJob {
    pub refund_id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct ThanksJob {
    pub payment_id: i64,
}

struct Ctx {
    store: Store,
    secrets: SecretStore,
    queue: Queue,
    events: EventBus,
    bus: PaymentBus,
}

/// Adds the payments handlers. Jobs they enqueue (thanks, messages) are found by the engine's
/// backstop poll.
pub fn handlers(
    h: Handlers,
    store: Store,
    secrets: SecretStore,
    events: EventBus,
    bus: PaymentBus,
) -> Handlers {
    let queue = Queue::builder(store.writer().clone())
        .reader(store.reader().clone())
        .build();
    let ctx = Arc::new(Ctx {
        store,
        secrets,
        queue,
        events,
        bus,
    });
    let mut h = h.with(THANKS_KIND, Handler(ctx.clone(), Kind::Thanks));
    for p in [ProviderName::MercadoPago, ProviderName::Stripe] {
        let (link, sync, refund) = kinds(p);
        h = h
            .with(link, Handler(ctx.clone(), Kind::Link(p)))
            .with(sync, Handler(ctx.clone(), Kind::Sync(p)))
            .with(refund, Handler(ctx.clone(), Kind::Refund(p)));
    }
    h
}

#[derive(Clone, Copy)]
enum Kind {
    Link(ProviderName),
    Sync(ProviderName),
    Refund(ProviderName),
    Thanks,
}

struct Handler(Arc<Ctx>, Kind);

impl JobHandler for Handler {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        let org = OrgId(run.job.org_id);
        let span =
            tracing::info_span!("payments.job", job_id = run.job.id.0, kind = %run.job.kind, %org);
        Box::pin(
            async move {
                let r = match self.1 {
                    Kind::Link(p) => self.0.link(run, org, p).await,
                    Kind::Sync(p) => self.0.sync(run, org, p).await,
                    Kind::Refund(p) => self.0.refund(run, org, p).await,
                    Kind::Thanks => self.0.thanks(run, org).await,
                };
                r.unwrap_or_else(|h| h)
            }
            .instrument(span),
        )
    }
}

fn store_handled(e: impl Into<StoreFail>) -> Handled {
    let StoreFail(s) = e.into();
    queue_error(QueueError::Sqlx(s))
}

struct StoreFail(sqlx::Error);

impl From<sqlx::Error> for StoreFail {
    fn from(e: sqlx::Error) -> Self {
        StoreFail(e)
    }
}

impl From<StoreError> for StoreFail {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Sqlx(s) => StoreFail(s),
            other => StoreFail(sqlx::Error::Protocol(other.to_string())),
        }
    }
}

fn bad_payload(e: serde_json::Error) -> Handled {
    Handled::Failed {
        failure: Failure::bad_payload(e.to_string()),
        latency: None,
    }
}

/// The day (Argentina) a link stops working: the template's "vence el".
fn until_day(d: Duration) -> String {
    let at = Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
    at.with_timezone(&FixedOffset::west_opt(3 * 3600).expect("offset"))
        .format("%d/%m/%Y")
        .to_string()
}

/// The message that carries a ready link to its customer, whoever sends it first (the link job
/// or "Enviar por WhatsApp"): the same key, so it goes out once, and a text that names the
/// provider that made the link.
pub(crate) fn link_notice(
    provider: ProviderName,
    idempotency_key: &str,
    name: String,
    title: &str,
    amount: String,
    url: &str,
) -> Notice<'static> {
    let text = match provider {
        ProviderName::MercadoPago => format!(
            "Hola {name}, para pagar {title} ({amount}) podés usar este link de Mercado Pago: {url}"
        ),
        ProviderName::Stripe => format!(
            "Hola {name}, para pagar {title} ({amount}) con tarjeta podés usar este link de Stripe: {url}"
        ),
    };
    Notice {
        key: format!("mp-link-{idempotency_key}"),
        text,
        template: "recordatorio_de_pago",
        params: vec![
            name,
            amount,
            until_day(link_valid(provider)),
            url.to_owned(),
        ],
    }
}

fn failed(f: Failure, started: Instant) -> Handled {
    Handled::Failed {
        failure: f,
        latency: Some(started.elapsed()),
    }
}

/// customer, amount, currency, approved at, thanked message, provider id.
type ThanksRow = (
    Option<i64>,
    i64,
    String,
    Option<String>,
    Option<i64>,
    String,
);

#[derive(sqlx::FromRow)]
struct LinkRow {
    kind: String,
    reference: String,
    title: String,
    amount_cents: i64,
    currency: String,
    idempotency_key: String,
    state: String,
    customer_id: Option<i64>,
    send_to_customer: bool,
    preference_id: Option<String>,
    url: Option<String>,
    message_id: Option<i64>,
    created_at: String,
}

impl Ctx {
    async fn provider(
        &self,
        org: OrgId,
        p: ProviderName,
    ) -> Result<Box<dyn PaymentProvider>, Handled> {
        let not_configured = |what: &str| match p {
            ProviderName::MercadoPago => super::config::not_configured(what),
            ProviderName::Stripe => super::stripe::not_configured(what),
        };
        match providers::load(&self.store, &self.secrets, org, p).await {
            Ok(c) => Ok(c),
            Err(PaymentsError::NotConfigured(what)) => Err(Handled::Failed {
                failure: not_configured(&what),
                latency: None,
            }),
            Err(PaymentsError::Store(s)) => Err(store_handled(s)),
            Err(other) => Err(Handled::Failed {
                failure: not_configured(&other.to_string()),
                latency: None,
            }),
        }
    }

    async fn customer_name(&self, org: OrgId, customer: i64) -> String {
        sqlx::query_scalar::<_, Option<String>>(
            "SELECT coalesce(owner_name, name) FROM customers WHERE org_id = ? AND id = ?",
        )
        .bind(org.to_string())
        .bind(customer)
        .fetch_optional(self.store.reader())
        .await
        .ok()
        .flatten()
        .flatten()
        .and_then(|n| n.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "¡hola".into())
    }

    fn emit(&self, out: Applied) {
        for w in out.wakes {
            w.after_commit();
        }
        self.bus.emit_all(out.events);
    }

    async fn link(
        &self,
        run: &mut JobRun,
        org: OrgId,
        provider: ProviderName,
    ) -> Result<Handled, Handled> {
        let job: PreferenceJob = run.job.payload().map_err(bad_payload)?;
        let link: Option<LinkRow> = sqlx::query_as(
            "SELECT kind, reference, title, amount_cents, currency, idempotency_key, state, customer_id,
                    send_to_customer != 0 AS send_to_customer, preference_id, url, message_id, created_at
             FROM payment_links WHERE org_id = ? AND id = ?",
        )
        .bind(org.to_string())
        .bind(job.link_id)
        .fetch_optional(self.store.reader())
        .await
        .map_err(store_handled)?;
        let Some(link) = link else {
            return Ok(Handled::Done {
                provider_id: None,
                latency: Duration::ZERO,
            });
        };
        if link.state == "cancelled" || link.state == "failed" {
            return Ok(Handled::Done {
                provider_id: None,
                latency: Duration::ZERO,
            });
        }
        let started = Instant::now();
        let (preference_id, url) = if link.state == "ready" {
            (link.preference_id.clone(), link.url.clone())
        } else {
            let client = self.provider(org, provider).await?;
            let req = CheckoutRequest {
                kind: link.kind.clone(),
                reference: link.reference.clone(),
                title: link.title.clone(),
                amount_cents: link.amount_cents,
                currency: link.currency.clone(),
                idempotency_key: link.idempotency_key.clone(),
                created_unix: chrono::DateTime::parse_from_rfc3339(&link.created_at)
                    .map(|d| d.timestamp())
                    .unwrap_or_else(|_| Utc::now().timestamp()),
            };
            match client.create_checkout(&req).await {
                Ok(created) => {
                    let expires_at = created
                        .expires_unix
                        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                        .map(to_text);
                    sqlx::query(
                        "UPDATE payment_links SET state = 'ready', preference_id = ?, url = ?, qr_data = ?,
                                expires_at = ?, error = NULL, updated_at = ? WHERE id = ?",
                    )
                    .bind(&created.provider_ref)
                    .bind(created.url.as_deref())
                    .bind(created.qr_data.as_deref())
                    .bind(expires_at)
                    .bind(now_text())
                    .bind(job.link_id)
                    .execute(self.store.writer())
                    .await
                    .map_err(store_handled)?;
                    self.bus.emit(PaymentEvent::LinkChanged {
                        org_id: org,
                        link_id: job.link_id,
                        state: "ready".into(),
                    });
                    tracing::info!(link_id = job.link_id, provider = provider.as_str(), checkout = %created.provider_ref, "payment link ready");
                    (Some(created.provider_ref), created.url)
                }
                Err(f) => {
                    if matches!(f.kind, FailureKind::Permanent) {
                        sqlx::query("UPDATE payment_links SET state = 'failed', error = ?, updated_at = ? WHERE id = ?")
                            .bind(&f.message_es)
                            .bind(now_text())
                            .bind(job.link_id)
                            .execute(self.store.writer())
                            .await
                            .map_err(store_handled)?;
                        self.bus.emit(PaymentEvent::LinkChanged {
                            org_id: org,
                            link_id: job.link_id,
                            state: "failed".into(),
                        });
                    }
                    return Err(failed(f, started));
                }
            }
        };
        if let (true, Some(customer), None, Some(url), "link") = (
            link.send_to_customer,
            link.customer_id,
            link.message_id,
            url.as_deref(),
            link.kind.as_str(),
        ) {
            let name = self.customer_name(org, customer).await;
            let amount = format_money(link.amount_cents, &link.currency);
            let n = link_notice(
                provider,
                &link.idempotency_key,
                name,
                &link.title,
                amount,
                url,
            );
            match notice::send(&self.store, &self.queue, &self.events, org, customer, n).await {
                Ok(Sent::Message(id)) => {
                    sqlx::query(
                        "UPDATE payment_links SET message_id = ?, updated_at = ? WHERE id = ?",
                    )
                    .bind(id)
                    .bind(now_text())
                    .bind(job.link_id)
                    .execute(self.store.writer())
                    .await
                    .map_err(store_handled)?;
                }
                Ok(Sent::NotSent(why)) => {
                    tracing::warn!(link_id = job.link_id, reason = %why, "payment link not sent to the customer");
                    sqlx::query("UPDATE payment_links SET error = ?, updated_at = ? WHERE id = ?")
                        .bind(format!(
                            "El link está listo pero no se envió al cliente: {why}"
                        ))
                        .bind(now_text())
                        .bind(job.link_id)
                        .execute(self.store.writer())
                        .await
                        .map_err(store_handled)?;
                }
                Err(e) => return Err(store_handled(e)),
            }
        }
        Ok(Handled::Done {
            provider_id: preference_id,
            latency: started.elapsed(),
        })
    }

    /// Fetches and applies: the payments first (a chargeback then finds its payment row), then
    /// the chargebacks.
    async fn fetch_and_apply(
        &self,
        org: OrgId,
        client: &dyn PaymentProvider,
        topic: &str,
        id: &str,
        started: Instant,
    ) -> Result<(), Handled> {
        let fetched = client
            .fetch(topic, id)
            .await
            .map_err(|f| failed(f, started))?;
        tracing::debug!(
            provider = client.name().as_str(),
            topic,
            payments = fetched.payments.len(),
            chargebacks = fetched.chargebacks.len(),
            "fetched"
        );
        for p in &fetched.payments {
            let out = apply::apply_payment(&self.store, &self.queue, org, p, &now_text())
                .await
                .map_err(store_handled)?;
            self.emit(out);
        }
        for cb in &fetched.chargebacks {
            let out = apply::apply_chargeback(&self.store, org, cb, &now_text())
                .await
                .map_err(store_handled)?;
            self.emit(out);
        }
        for checkout in &fetched.expired_checkouts {
            let link: Option<i64> = sqlx::query_scalar(
                "UPDATE payment_links SET state = 'cancelled', expired_at = ?1, updated_at = ?1,
                        error = 'El link venció sin pagarse.'
                 WHERE org_id = ?2 AND provider = ?3 AND preference_id = ?4
                   AND state IN ('creating', 'ready') RETURNING id",
            )
            .bind(now_text())
            .bind(org.to_string())
            .bind(client.name().as_str())
            .bind(checkout)
            .fetch_optional(self.store.writer())
            .await
            .map_err(store_handled)?;
            if let Some(link_id) = link {
                tracing::info!(
                    link_id,
                    provider = client.name().as_str(),
                    "payment link expired (provider's answer)"
                );
                self.bus.emit(PaymentEvent::LinkChanged {
                    org_id: org,
                    link_id,
                    state: "expired".into(),
                });
            }
        }
        Ok(())
    }

    async fn sync(
        &self,
        run: &mut JobRun,
        org: OrgId,
        provider: ProviderName,
    ) -> Result<Handled, Handled> {
        let job: SyncJob = run.job.payload().map_err(bad_payload)?;
        let client = self.provider(org, provider).await?;
        let started = Instant::now();
        self.fetch_and_apply(org, client.as_ref(), &job.topic, &job.id, started)
            .await?;
        Ok(Handled::Done {
            provider_id: Some(job.id),
            latency: started.elapsed(),
        })
    }

    async fn refund(
        &self,
        run: &mut JobRun,
        org: OrgId,
        provider: ProviderName,
    ) -> Result<Handled, Handled> {
        let job: RefundJob = run.job.payload().map_err(bad_payload)?;
        let row: Option<(i64, String, String, String)> = sqlx::query_as(
            "SELECT r.amount_cents, r.idempotency_key, r.state, p.provider_payment_id
             FROM payment_refunds r JOIN payments p ON p.id = r.payment_id
             WHERE r.org_id = ? AND r.id = ?",
        )
        .bind(org.to_string())
        .bind(job.refund_id)
        .fetch_optional(self.store.reader())
        .await
        .map_err(store_handled)?;
        let Some((amount, key, state, provider_payment)) = row else {
            return Ok(Handled::Done {
                provider_id: None,
                latency: Duration::ZERO,
            });
        };
        if state != "requested" {
            return Ok(Handled::Done {
                provider_id: None,
                latency: Duration::ZERO,
            });
        }
        let client = self.provider(org, provider).await?;
        let started = Instant::now();
        match client.refund(&provider_payment, amount, &key).await {
            Ok(refund_id) => {
                sqlx::query("UPDATE payment_refunds SET state = 'done', provider_refund_id = ?, error = NULL, updated_at = ? WHERE id = ?")
                    .bind(&refund_id)
                    .bind(now_text())
                    .bind(job.refund_id)
                    .execute(self.store.writer())
                    .await
                    .map_err(store_handled)?;
                // The payment's refunded amount now, without waiting for the webhook.
                // The refund itself succeeded: a failed re-read is not this job's failure.
                let topic = payment_topic(provider);
                if self
                    .fetch_and_apply(org, client.as_ref(), topic, &provider_payment, started)
                    .await
                    .is_err()
                {
                    tracing::warn!(
                        refund_id = job.refund_id,
                        "refund done; the payment is re-read on its webhook"
                    );
                }
                Ok(Handled::Done {
                    provider_id: Some(refund_id),
                    latency: started.elapsed(),
                })
            }
            Err(f) => {
                if matches!(f.kind, FailureKind::Permanent) {
                    sqlx::query("UPDATE payment_refunds SET state = 'failed', error = ?, updated_at = ? WHERE id = ?")
                        .bind(&f.message_es)
                        .bind(now_text())
                        .bind(job.refund_id)
                        .execute(self.store.writer())
                        .await
                        .map_err(store_handled)?;
                }
                Err(failed(f, started))
            }
        }
    }

    async fn thanks(&self, run: &mut JobRun, org: OrgId) -> Result<Handled, Handled> {
        let job: ThanksJob = run.job.payload().map_err(bad_payload)?;
        let row: Option<ThanksRow> = sqlx::query_as(
            "SELECT customer_id, amount_cents, currency, approved_at, thanked_message_id, provider_payment_id
             FROM payments WHERE org_id = ? AND id = ?",
        )
        .bind(org.to_string())
        .bind(job.payment_id)
        .fetch_optional(self.store.reader())
        .await
        .map_err(store_handled)?;
        let Some((Some(customer), amount, currency, approved_at, None, provider_id)) = row else {
            return Ok(Handled::Done {
                provider_id: None,
                latency: Duration::ZERO,
            });
        };
        let name = self.customer_name(org, customer).await;
        let day = approved_at
            .as_deref()
            .and_then(|a| chrono::DateTime::parse_from_rfc3339(a).ok())
            .map(|d| d.format("%d/%m/%Y").to_string())
            .unwrap_or_else(|| "hoy".into());
        let amount = format_money(amount, &currency);
        let n = Notice {
            key: format!("mp-paid-{provider_id}"),
            text: format!("Hola {name}, recibimos tu pago de {amount} el {day}. ¡Muchas gracias!"),
            template: "pago_recibido",
            params: vec![name, amount, day],
        };
        match notice::send(&self.store, &self.queue, &self.events, org, customer, n).await {
            Ok(Sent::Message(id)) => {
                sqlx::query("UPDATE payments SET thanked_message_id = ? WHERE id = ? AND thanked_message_id IS NULL")
                    .bind(id)
                    .bind(job.payment_id)
                    .execute(self.store.writer())
                    .await
                    .map_err(store_handled)?;
                Ok(Handled::Done {
                    provider_id: None,
                    latency: Duration::ZERO,
                })
            }
            Ok(Sent::NotSent(why)) => Ok(Handled::Failed {
                failure: Failure::new(
                    FailureKind::Permanent,
                    "notice_not_sent",
                    format!("No se pudo avisar al cliente que recibimos su pago: {why}"),
                ),
                latency: None,
            }),
            Err(e) => Err(store_handled(e)),
        }
    }
}
