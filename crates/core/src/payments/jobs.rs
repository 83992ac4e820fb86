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
use mostrador_mercadopago::{Client, IdempotencyKey, NewPreference, PaymentId, QrOrder};
use mostrador_queue::{Queue, QueueError};
use mostrador_types::Money;
use serde::{Deserialize, Serialize};
use tracing::Instrument as _;

use super::apply::{self, Applied};
use super::config::{failure_of, load_client, not_configured, MercadoPagoSettings};
use super::error::PaymentsError;
use super::events::{PaymentBus, PaymentEvent};
use super::notice::{self, format_ars, Notice, Sent};
use crate::events::EventBus;
use crate::org::OrgId;
use crate::outbound::failure::{Failure, FailureKind};
use crate::outbound::handler::{queue_error, BoxFuture, Handled, JobHandler, JobRun};
use crate::outbound::Handlers;
use crate::secrets::SecretStore;
use crate::store::timestamp::now_text;
use crate::store::{Store, StoreError};

pub const PREFERENCE_KIND: &str = "mercadopago.preference";
pub const SYNC_KIND: &str = "mercadopago.sync";
pub const REFUND_KIND: &str = "mercadopago.refund";
pub const THANKS_KIND: &str = "mercadopago.thanks";

/// How long a link can be paid.
const LINK_VALID: Duration = Duration::from_secs(7 * 24 * 3600);
/// How long a counter QR can be paid.
const QR_VALID: Duration = Duration::from_secs(30 * 60);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct PreferenceJob {
    pub link_id: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct SyncJob {
    /// `payment` or `chargeback`.
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
    h.with(PREFERENCE_KIND, Handler(ctx.clone(), Kind::Preference))
        .with(SYNC_KIND, Handler(ctx.clone(), Kind::Sync))
        .with(REFUND_KIND, Handler(ctx.clone(), Kind::Refund))
        .with(THANKS_KIND, Handler(ctx, Kind::Thanks))
}

#[derive(Clone, Copy)]
enum Kind {
    Preference,
    Sync,
    Refund,
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
                    Kind::Preference => self.0.preference(run, org).await,
                    Kind::Sync => self.0.sync(run, org).await,
                    Kind::Refund => self.0.refund(run, org).await,
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

fn iso_in(d: Duration) -> String {
    let at = Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
    at.with_timezone(&FixedOffset::west_opt(3 * 3600).expect("offset"))
        .format("%Y-%m-%dT%H:%M:%S%.3f%:z")
        .to_string()
}

/// The day (Argentina) a link stops working: the template's "vence el".
fn until_day(d: Duration) -> String {
    let at = Utc::now() + chrono::Duration::from_std(d).unwrap_or_default();
    at.with_timezone(&FixedOffset::west_opt(3 * 3600).expect("offset"))
        .format("%d/%m/%Y")
        .to_string()
}

fn failed(e: &mostrador_mercadopago::Error, started: Instant) -> Handled {
    Handled::Failed {
        failure: failure_of(e),
        latency: Some(started.elapsed()),
    }
}

/// customer, amount, approved at, thanked message, provider id.
type ThanksRow = (Option<i64>, i64, Option<String>, Option<i64>, String);

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
}

impl Ctx {
    async fn client(&self, org: OrgId) -> Result<(Client, MercadoPagoSettings), Handled> {
        match load_client(&self.store, &self.secrets, org).await {
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

    async fn preference(&self, run: &mut JobRun, org: OrgId) -> Result<Handled, Handled> {
        let job: PreferenceJob = run.job.payload().map_err(bad_payload)?;
        let link: Option<LinkRow> = sqlx::query_as(
            "SELECT kind, reference, title, amount_cents, currency, idempotency_key, state, customer_id,
                    send_to_customer != 0 AS send_to_customer, preference_id, url, message_id
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
            let (client, settings) = self.client(org).await?;
            let key =
                IdempotencyKey::new(link.idempotency_key.clone()).map_err(|e| Handled::Failed {
                    failure: Failure::bad_payload(e.to_string()),
                    latency: None,
                })?;
            let amount = Money::from_cents(link.amount_cents);
            let created = if link.kind == "qr" {
                let (Some(user), Some(pos)) = (settings.user_id, settings.external_pos_id.clone())
                else {
                    return Err(Handled::Failed {
                        failure: not_configured(
                            "the counter QR needs the account (Probar) and a point of sale",
                        ),
                        latency: None,
                    });
                };
                let mut order = QrOrder::single(link.reference.clone(), link.title.clone(), amount);
                order.notification_url = settings.webhook_url();
                order.expiration_date = Some(iso_in(QR_VALID));
                client
                    .create_dynamic_qr(user, &pos, &order, &key)
                    .await
                    .map(|qr| {
                        (
                            qr.in_store_order_id
                                .unwrap_or_else(|| link.reference.clone()),
                            None,
                            Some(qr.qr_data),
                        )
                    })
            } else {
                let mut pref = NewPreference::single(
                    link.title.clone(),
                    amount,
                    &link.currency,
                    link.reference.clone(),
                );
                pref.notification_url = settings.webhook_url();
                pref.expires = Some(true);
                pref.expiration_date_to = Some(iso_in(LINK_VALID));
                pref.statement_descriptor = None;
                client
                    .create_preference(&pref, &key)
                    .await
                    .map(|p| (p.id.clone(), p.link().map(str::to_owned), None))
            };
            match created {
                Ok((pref_id, url, qr)) => {
                    sqlx::query(
                        "UPDATE payment_links SET state = 'ready', preference_id = ?, url = ?, qr_data = ?,
                                error = NULL, updated_at = ? WHERE id = ?",
                    )
                    .bind(&pref_id)
                    .bind(url.as_deref())
                    .bind(qr.as_deref())
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
                    tracing::info!(link_id = job.link_id, preference = %pref_id, "payment link ready");
                    (Some(pref_id), url)
                }
                Err(e) => {
                    let f = failure_of(&e);
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
                    return Err(failed(&e, started));
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
            let amount = format_ars(link.amount_cents);
            let n = Notice {
                key: format!("mp-link-{}", link.idempotency_key),
                text: format!("Hola {name}, para pagar {} ({amount}) podés usar este link de Mercado Pago: {url}", link.title),
                template: "recordatorio_de_pago",
                params: vec![name, amount, until_day(LINK_VALID), url.to_owned()],
            };
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

    async fn sync(&self, run: &mut JobRun, org: OrgId) -> Result<Handled, Handled> {
        let job: SyncJob = run.job.payload().map_err(bad_payload)?;
        let (client, _) = self.client(org).await?;
        let started = Instant::now();
        let mut payments = Vec::new();
        match job.topic.as_str() {
            "chargeback" => {
                let cb = client
                    .get_chargeback(&job.id)
                    .await
                    .map_err(|e| failed(&e, started))?;
                let out = apply::apply_chargeback(&self.store, org, &cb, &now_text())
                    .await
                    .map_err(store_handled)?;
                self.emit(out);
                payments.extend(cb.payments.iter().map(|p| PaymentId(*p)));
            }
            _ => payments.push(job.id.parse::<PaymentId>().map_err(|e| Handled::Failed {
                failure: Failure::bad_payload(e),
                latency: None,
            })?),
        }
        for id in payments {
            let p = client
                .get_payment(id)
                .await
                .map_err(|e| failed(&e, started))?;
            let out = apply::apply_payment(&self.store, &self.queue, org, &p, &now_text())
                .await
                .map_err(store_handled)?;
            self.emit(out);
        }
        Ok(Handled::Done {
            provider_id: Some(job.id),
            latency: started.elapsed(),
        })
    }

    async fn refund(&self, run: &mut JobRun, org: OrgId) -> Result<Handled, Handled> {
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
        let (client, _) = self.client(org).await?;
        let key = IdempotencyKey::new(key).map_err(|e| Handled::Failed {
            failure: Failure::bad_payload(e.to_string()),
            latency: None,
        })?;
        let pid: PaymentId = provider_payment
            .parse()
            .map_err(|e: String| Handled::Failed {
                failure: Failure::bad_payload(e),
                latency: None,
            })?;
        let started = Instant::now();
        match client
            .refund(pid, Some(Money::from_cents(amount)), &key)
            .await
        {
            Ok(r) => {
                sqlx::query("UPDATE payment_refunds SET state = 'done', provider_refund_id = ?, error = NULL, updated_at = ? WHERE id = ?")
                    .bind(r.id.to_string())
                    .bind(now_text())
                    .bind(job.refund_id)
                    .execute(self.store.writer())
                    .await
                    .map_err(store_handled)?;
                // The payment's refunded amount now, without waiting for the webhook.
                if let Ok(p) = client.get_payment(pid).await {
                    let out = apply::apply_payment(&self.store, &self.queue, org, &p, &now_text())
                        .await
                        .map_err(store_handled)?;
                    self.emit(out);
                }
                Ok(Handled::Done {
                    provider_id: Some(r.id.to_string()),
                    latency: started.elapsed(),
                })
            }
            Err(e) => {
                let f = failure_of(&e);
                if matches!(f.kind, FailureKind::Permanent) {
                    sqlx::query("UPDATE payment_refunds SET state = 'failed', error = ?, updated_at = ? WHERE id = ?")
                        .bind(&f.message_es)
                        .bind(now_text())
                        .bind(job.refund_id)
                        .execute(self.store.writer())
                        .await
                        .map_err(store_handled)?;
                }
                Err(failed(&e, started))
            }
        }
    }

    async fn thanks(&self, run: &mut JobRun, org: OrgId) -> Result<Handled, Handled> {
        let job: ThanksJob = run.job.payload().map_err(bad_payload)?;
        let row: Option<ThanksRow> = sqlx::query_as(
            "SELECT customer_id, amount_cents, approved_at, thanked_message_id, provider_payment_id
             FROM payments WHERE org_id = ? AND id = ?",
        )
        .bind(org.to_string())
        .bind(job.payment_id)
        .fetch_optional(self.store.reader())
        .await
        .map_err(store_handled)?;
        let Some((Some(customer), amount, approved_at, None, provider_id)) = row else {
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
        let amount = format_ars(amount);
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
