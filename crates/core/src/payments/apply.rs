//! Applies what a provider's API reports — never what a notification body claims — to the
//! payment row, its history, the invoice it pays, and the follow-ups (one "pago recibido" job per
//! payment, alerts). One code path for every provider: the adapters (providers/) turn their
//! objects into [`ProviderPayment`] / [`ProviderChargeback`]. States only move forward in the
//! provider's own time when it gives one (MercadoPago's `date_last_updated`): a fetch that raced
//! with a newer one changes nothing. Stripe gives none; its fetches of one PaymentIntent are
//! serialized by the queue, so the last fetch is the newest state.

use chrono::DateTime;
use mostrador_queue::{NewJob, Queue, Wake};
use sqlx::SqliteConnection;

use super::events::{PaymentAlert, PaymentEvent};
use super::jobs::{ThanksJob, THANKS_KIND};
use super::notice::format_money;
use super::providers::{ProviderChargeback, ProviderPayment};
use crate::org::OrgId;
use crate::store::Store;

/// What applying produced, for after the commit.
#[derive(Default)]
pub(crate) struct Applied {
    pub events: Vec<PaymentEvent>,
    pub wakes: Vec<Wake>,
}

/// MercadoPago's currency for an invoice's AFIP currency code.
pub(crate) fn mp_currency(afip: &str) -> String {
    match afip {
        "PES" => "ARS".into(),
        "DOL" => "USD".into(),
        "060" => "EUR".into(),
        other => other.to_owned(),
    }
}

fn newer_or_same(stored: Option<&str>, fetched: Option<&str>) -> bool {
    let parse = |s: &str| DateTime::parse_from_rfc3339(s).ok();
    match (stored.and_then(parse), fetched.and_then(parse)) {
        (Some(s), Some(f)) => f >= s,
        _ => true,
    }
}

#[derive(sqlx::FromRow)]
struct Existing {
    status: String,
    status_detail: Option<String>,
    refunded_cents: i64,
    provider_updated_at: Option<String>,
}

#[derive(sqlx::FromRow)]
struct Link {
    id: i64,
    invoice_id: Option<i64>,
    customer_id: Option<i64>,
    conversation_id: Option<i64>,
}

/// Applies a fetched payment in one transaction.
pub(crate) async fn apply_payment(
    store: &Store,
    queue: &Queue,
    org: OrgId,
    p: &ProviderPayment,
    now: &str,
) -> Result<Applied, sqlx::Error> {
    let mut tx = store.begin_immediate().await.map_err(store_err)?;
    let mut out = Applied::default();
    let org_s = org.to_string();
    let pid = p.provider_id.clone();
    let provider = p.provider.as_str();
    let existing: Option<Existing> = sqlx::query_as(
        "SELECT status, status_detail, refunded_cents, provider_updated_at FROM payments
         WHERE org_id = ? AND provider = ? AND provider_payment_id = ?",
    )
    .bind(&org_s)
    .bind(provider)
    .bind(&pid)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(e) = &existing {
        if !newer_or_same(e.provider_updated_at.as_deref(), p.updated_at.as_deref()) {
            tracing::debug!(payment = %pid, "older state than the stored one: ignored");
            return Ok(out);
        }
    }
    let refunded = p.refunded_cents;
    let changed = existing.as_ref().is_none_or(|e| {
        e.status != p.status
            || e.status_detail.as_deref() != p.status_detail.as_deref()
            || e.refunded_cents != refunded
    });
    let link: Option<Link> = match p.external_reference.as_deref().filter(|r| !r.is_empty()) {
        Some(r) => {
            // Our reference, on a link of the same provider: never attached by guess.
            sqlx::query_as(
                "SELECT id, invoice_id, customer_id, conversation_id FROM payment_links
                 WHERE org_id = ? AND reference = ? AND provider = ?",
            )
            .bind(&org_s)
            .bind(r)
            .bind(provider)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let approved_at = p.approved_at.clone();
    let row_id: i64 = sqlx::query_scalar(
        "INSERT INTO payments (org_id, provider, provider_payment_id, link_id, invoice_id, customer_id,
             conversation_id, external_reference, unsolicited, status, status_detail, amount_cents,
             currency, refunded_cents, fee_cents, net_cents, method, payment_type, installments,
             provider_created_at, provider_updated_at, approved_at, created_at, updated_at)
         VALUES (?1, ?23, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                 ?17, ?18, ?19, ?20, ?21, ?22, ?22)
         ON CONFLICT (org_id, provider, provider_payment_id) DO UPDATE SET
             status = excluded.status, status_detail = excluded.status_detail,
             amount_cents = excluded.amount_cents, currency = excluded.currency,
             refunded_cents = excluded.refunded_cents, fee_cents = excluded.fee_cents,
             net_cents = excluded.net_cents, method = excluded.method,
             payment_type = excluded.payment_type, installments = excluded.installments,
             provider_updated_at = excluded.provider_updated_at,
             approved_at = coalesce(payments.approved_at, excluded.approved_at),
             updated_at = excluded.updated_at
         RETURNING id",
    )
    .bind(&org_s)
    .bind(&pid)
    .bind(link.as_ref().map(|l| l.id))
    .bind(link.as_ref().and_then(|l| l.invoice_id))
    .bind(link.as_ref().and_then(|l| l.customer_id))
    .bind(link.as_ref().and_then(|l| l.conversation_id))
    .bind(p.external_reference.as_deref())
    .bind(link.is_none())
    .bind(&p.status)
    .bind(p.status_detail.as_deref())
    .bind(p.amount_cents)
    .bind(&p.currency)
    .bind(refunded)
    .bind(p.fee_cents)
    .bind(p.net_cents)
    .bind(p.method.as_deref())
    .bind(p.payment_type.as_deref())
    .bind(p.installments)
    .bind(p.created_at.as_deref())
    .bind(p.updated_at.as_deref())
    .bind(approved_at.as_deref())
    .bind(now)
    .bind(provider)
    .fetch_one(&mut *tx)
    .await?;
    if !changed {
        tx.commit().await?;
        return Ok(out);
    }
    // Whether the payment was ever credited before this update (a chargeback won back credits
    // it again, a refund updates it: neither is a new payment to the owner).
    let credited_before = match &existing {
        None => false,
        Some(_) => sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM payment_history WHERE payment_id = ? AND status = 'approved')",
        )
        .bind(row_id)
        .fetch_one(&mut *tx)
        .await?,
    };
    sqlx::query(
        "INSERT INTO payment_history (payment_id, status, status_detail, refunded_cents, provider_updated_at, at)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(row_id)
    .bind(&p.status)
    .bind(p.status_detail.as_deref())
    .bind(refunded)
    .bind(p.updated_at.as_deref())
    .bind(now)
    .execute(&mut *tx)
    .await?;
    let invoice_id = link.as_ref().and_then(|l| l.invoice_id);
    let invoice_state = match invoice_id {
        Some(inv) => recompute_invoice(&mut tx, org, inv, now).await?,
        None => None,
    };
    out.events.push(PaymentEvent::PaymentChanged {
        org_id: org,
        payment_id: row_id,
        status: p.status.clone(),
    });
    let mut alert = |alert: PaymentAlert, message: String| {
        out.events.push(PaymentEvent::Alert {
            org_id: org,
            alert,
            payment_id: row_id,
            invoice_id,
            message,
        })
    };
    let amount = format_money(p.amount_cents, &p.currency);
    let who = p.provider.display();
    if existing.is_none() && link.is_none() {
        alert(
            PaymentAlert::Unsolicited,
            format!(
                "Llegó un pago de {amount} que no corresponde a ningún cobro de Mostrador (referencia {:?}): quedó registrado sin asociarlo a ninguna factura.",
                p.external_reference.as_deref().unwrap_or("")
            ),
        );
    }
    match p.status.as_str() {
        "rejected" => alert(
            PaymentAlert::Rejected,
            format!(
                "{who} rechazó un pago de {amount} ({}).",
                p.status_detail.as_deref().unwrap_or("sin detalle")
            ),
        ),
        "charged_back" => alert(
            PaymentAlert::Chargeback,
            format!("Contracargo sobre un pago de {amount}: la factura quedó marcada."),
        ),
        "in_mediation" => alert(
            PaymentAlert::Mediation,
            format!("El comprador abrió una disputa sobre un pago de {amount}: la factura quedó marcada."),
        ),
        _ => {}
    }
    if p.is_credited() {
        // How the payment leaves its invoice is said when the payment is first credited. A later
        // update of the same payment is not a new "pago parcial": a refund says what was given
        // back instead.
        let newly_credited = !credited_before;
        let refunded_now = existing
            .as_ref()
            .map(|e| refunded - e.refunded_cents)
            .filter(|d| *d > 0);
        if let Some(state) = invoice_state.as_deref().filter(|s| *s != "paid") {
            let message = match (newly_credited, refunded_now, state) {
                (true, _, "partial") => Some(format!(
                    "Pago parcial de {amount}: la factura todavía no está paga del todo."
                )),
                (true, _, "overpaid") => Some(format!(
                    "Con el pago de {amount} la factura quedó pagada de más."
                )),
                (true, _, _) => Some(format!(
                    "El pago de {amount} es en otra moneda ({}) que la factura: no cuenta como pagada.",
                    p.currency
                )),
                (false, Some(back), "partial") => Some(format!(
                    "Se devolvieron {} de un pago de {amount}: la factura quedó con saldo pendiente.",
                    format_money(back, &p.currency)
                )),
                _ => None,
            };
            if let Some(message) = message {
                alert(PaymentAlert::AmountMismatch, message);
            }
        }
        if let Some(customer) = link.as_ref().and_then(|l| l.customer_id) {
            // One notice job per payment, ever: the unique key is the payment.
            let job = NewJob::new(org.0, THANKS_KIND, &ThanksJob { payment_id: row_id })
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?
                .unique_key(format!("mp-thanks:{row_id}"))
                .serial_key(format!("customer:{customer}"));
            let (_, wake) = queue
                .enqueue_in(&mut tx, &job)
                .await
                .map_err(|e| sqlx::Error::Protocol(e.to_string()))?;
            out.wakes.push(wake);
        }
    }
    tx.commit().await?;
    tracing::info!(%org, provider, payment = %pid, status = %p.status, row_id, "payment applied");
    Ok(out)
}

fn store_err(e: crate::store::StoreError) -> sqlx::Error {
    match e {
        crate::store::StoreError::Sqlx(s) => s,
        other => sqlx::Error::Protocol(other.to_string()),
    }
}

/// Recomputes what an invoice has been paid from its payments; returns the new state.
pub(crate) async fn recompute_invoice(
    conn: &mut SqliteConnection,
    org: OrgId,
    invoice_id: i64,
    now: &str,
) -> Result<Option<String>, sqlx::Error> {
    let inv: Option<(i64, String)> =
        sqlx::query_as("SELECT total_cents, currency FROM invoices WHERE id = ? AND org_id = ?")
            .bind(invoice_id)
            .bind(org.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some((due, afip_currency)) = inv else {
        return Ok(None);
    };
    let currency = mp_currency(&afip_currency);
    // A payment under an open (or lost) chargeback is not money the shop has: Stripe keeps such
    // a PaymentIntent `succeeded`, MercadoPago moves it to `charged_back`; both stop counting.
    let rows: Vec<(String, i64, i64, String, bool)> = sqlx::query_as(
        "SELECT p.status, p.amount_cents, p.refunded_cents, p.currency,
                EXISTS (SELECT 1 FROM payment_chargebacks c WHERE c.payment_id = p.id AND c.state IN ('open', 'lost'))
         FROM payments p WHERE p.org_id = ? AND p.invoice_id = ?",
    )
    .bind(org.to_string())
    .bind(invoice_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut paid = 0i64;
    let mut other_currency = false;
    let mut flag: Option<&str> = None;
    for (status, amount, refunded, cur, disputed) in &rows {
        match status.as_str() {
            "approved" if *disputed => {}
            "approved" => {
                if *cur == currency {
                    paid = paid.saturating_add(amount - refunded);
                } else {
                    other_currency = true;
                }
            }
            "charged_back" => flag = Some("Contracargo sobre un pago de esta factura."),
            "in_mediation" => {
                flag = flag.or(Some("Disputa abierta sobre un pago de esta factura."))
            }
            _ => {}
        }
    }
    let open_cb: Option<String> = sqlx::query_scalar(
        "SELECT c.state FROM payment_chargebacks c JOIN payments p ON p.id = c.payment_id
         WHERE p.invoice_id = ? AND c.org_id = ? AND c.state IN ('open', 'lost') LIMIT 1",
    )
    .bind(invoice_id)
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    if open_cb.is_some() && flag.is_none() {
        flag = Some("Contracargo sobre un pago de esta factura.");
    }
    let state = if other_currency {
        "currency_mismatch"
    } else if paid <= 0 {
        "unpaid"
    } else if paid < due {
        "partial"
    } else if paid == due {
        "paid"
    } else {
        "overpaid"
    };
    sqlx::query(
        "INSERT INTO invoice_payment_status (invoice_id, org_id, state, paid_cents, due_cents, flagged, flag_reason, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (invoice_id) DO UPDATE SET state = excluded.state, paid_cents = excluded.paid_cents,
             due_cents = excluded.due_cents, flagged = excluded.flagged, flag_reason = excluded.flag_reason,
             updated_at = excluded.updated_at",
    )
    .bind(invoice_id)
    .bind(org.to_string())
    .bind(state)
    .bind(paid)
    .bind(due)
    .bind(flag.is_some())
    .bind(flag)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    Ok(Some(state.to_owned()))
}

/// Applies a fetched chargeback (tracked until MercadoPago decides).
pub(crate) async fn apply_chargeback(
    store: &Store,
    org: OrgId,
    cb: &ProviderChargeback,
    now: &str,
) -> Result<Applied, sqlx::Error> {
    let mut tx = store.begin_immediate().await.map_err(store_err)?;
    let mut out = Applied::default();
    let state = cb.state;
    let who = cb.provider.display();
    let provider_payment = cb.provider_payment_id.clone();
    let payment: Option<(i64, Option<i64>)> = match &provider_payment {
        Some(pp) => {
            sqlx::query_as(
                "SELECT id, invoice_id FROM payments WHERE org_id = ? AND provider = ? AND provider_payment_id = ?",
            )
            .bind(org.to_string())
            .bind(cb.provider.as_str())
            .bind(pp)
            .fetch_optional(&mut *tx)
            .await?
        }
        None => None,
    };
    let before: Option<String> = sqlx::query_scalar(
        "SELECT state FROM payment_chargebacks WHERE org_id = ? AND provider_chargeback_id = ?",
    )
    .bind(org.to_string())
    .bind(&cb.id)
    .fetch_optional(&mut *tx)
    .await?;
    sqlx::query(
        "INSERT INTO payment_chargebacks (org_id, provider_chargeback_id, payment_id, provider_payment_id,
             state, amount_cents, currency, documentation_status, documentation_deadline, created_at,
             updated_at, resolved_at, provider)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, CASE WHEN ?5 = 'open' THEN NULL ELSE ?10 END, ?11)
         ON CONFLICT (org_id, provider_chargeback_id) DO UPDATE SET
             payment_id = coalesce(excluded.payment_id, payment_chargebacks.payment_id),
             state = excluded.state, documentation_status = excluded.documentation_status,
             documentation_deadline = excluded.documentation_deadline, updated_at = excluded.updated_at,
             resolved_at = coalesce(payment_chargebacks.resolved_at, excluded.resolved_at)",
    )
    .bind(org.to_string())
    .bind(&cb.id)
    .bind(payment.map(|p| p.0))
    .bind(provider_payment.as_deref())
    .bind(state)
    .bind(cb.amount_cents)
    .bind(cb.currency.as_deref())
    .bind(cb.documentation_status.as_deref())
    .bind(cb.documentation_deadline.as_deref())
    .bind(now)
    .bind(cb.provider.as_str())
    .execute(&mut *tx)
    .await?;
    if let Some((_, Some(inv))) = payment {
        recompute_invoice(&mut tx, org, inv, now).await?;
    }
    if before.as_deref() != Some(state) {
        if let Some((pid, inv)) = payment {
            let (alert, message) = match state {
                "open" => (PaymentAlert::Chargeback, format!("Se abrió un contracargo: {who} puede pedir documentación del envío o la venta.")),
                "won" => (PaymentAlert::ChargebackWon, format!("{who} resolvió el contracargo a tu favor.")),
                _ => (PaymentAlert::Chargeback, format!("{who} resolvió el contracargo a favor del comprador.")),
            };
            out.events.push(PaymentEvent::Alert {
                org_id: org,
                alert,
                payment_id: pid,
                invoice_id: inv,
                message,
            });
        }
    }
    tx.commit().await?;
    tracing::info!(%org, chargeback = %cb.id, state, "chargeback applied");
    Ok(out)
}
