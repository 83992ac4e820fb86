//! Refunds from the app (total or partial): refused above what is left of the payment (minus
//! refunds already asked for), recorded with a fixed idempotency key and sent by the queue.

use mostrador_queue::{NewJob, Queue};
use serde::Deserialize;

use super::error::{invalid, PaymentsError};
use super::jobs::{kinds, RefundJob};
use super::providers::ProviderName;
use crate::invoicing::model::{ItemInput, ItemIva};
use crate::org::OrgId;
use crate::store::timestamp::now_text;
use crate::store::Store;

#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RefundRequest {
    /// Our payment id (the Cobros row).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub payment_id: i64,
    /// `None`: everything that is left.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub amount_cents: Option<i64>,
    /// Chosen by the UI once per intent: a double click refunds once.
    pub idempotency_key: String,
}

/// Queues a refund; returns its id (the earlier one for the same key).
pub async fn request_refund(
    store: &Store,
    queue: &Queue,
    org: OrgId,
    req: RefundRequest,
) -> Result<i64, PaymentsError> {
    let k = req.idempotency_key.trim();
    if k.is_empty() || k.len() > 50 || !k.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(invalid(
            "idempotency_key",
            "Falta la clave de la devolución (error de la app).",
        ));
    }
    let key = format!("refund-{k}");
    let org_s = org.to_string();
    let mut tx = store.begin_immediate().await?;
    let existing: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM payment_refunds WHERE org_id = ? AND idempotency_key = ?",
    )
    .bind(&org_s)
    .bind(&key)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = existing {
        return Ok(id);
    }
    let p: (String, i64, i64, String) = sqlx::query_as(
        "SELECT status, amount_cents, refunded_cents, provider FROM payments WHERE org_id = ? AND id = ?",
    )
    .bind(&org_s)
    .bind(req.payment_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(PaymentsError::PaymentNotFound(req.payment_id))?;
    if p.0 != "approved" {
        return Err(invalid(
            "payment_id",
            "Solo se puede devolver un pago aprobado.",
        ));
    }
    let pending: i64 = sqlx::query_scalar(
        "SELECT coalesce(sum(amount_cents), 0) FROM payment_refunds WHERE payment_id = ? AND state = 'requested'",
    )
    .bind(req.payment_id)
    .fetch_one(&mut *tx)
    .await?;
    let left = p.1 - p.2 - pending;
    let asked = req.amount_cents.unwrap_or(left);
    if asked <= 0 || asked > left {
        return Err(PaymentsError::RefundTooLarge {
            asked,
            left: left.max(0),
        });
    }
    let now = now_text();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO payment_refunds (org_id, payment_id, amount_cents, idempotency_key, state, created_at, updated_at)
         VALUES (?, ?, ?, ?, 'requested', ?, ?) RETURNING id",
    )
    .bind(&org_s)
    .bind(req.payment_id)
    .bind(asked)
    .bind(&key)
    .bind(&now)
    .bind(&now)
    .fetch_one(&mut *tx)
    .await?;
    let provider = ProviderName::parse(&p.3).unwrap_or(ProviderName::MercadoPago);
    let job = NewJob::new(org.0, kinds(provider).2, &RefundJob { refund_id: id })?
        .unique_key(format!("mp-refund:{id}"))
        .max_attempts(8);
    let (enqueued, wake) = queue.enqueue_in(&mut tx, &job).await?;
    sqlx::query("UPDATE payment_refunds SET job_id = ? WHERE id = ?")
        .bind(enqueued.id().0)
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await.map_err(crate::store::StoreError::Sqlx)?;
    wake.after_commit();
    tracing::info!(%org, refund_id = id, payment_id = req.payment_id, asked, "refund queued");
    Ok(id)
}

/// Why "Hacer nota de crédito" after a refund could not be pre-filled.
#[derive(Debug, thiserror::Error)]
pub enum RefundNoteError {
    #[error(transparent)]
    Payments(#[from] PaymentsError),
    #[error(transparent)]
    Invoicing(#[from] crate::invoicing::InvoicingError),
}

impl From<RefundNoteError> for crate::error::AppError {
    fn from(e: RefundNoteError) -> Self {
        match e {
            RefundNoteError::Payments(p) => p.into(),
            RefundNoteError::Invoicing(i) => i.into(),
        }
    }
}

/// "Hacer nota de crédito" after refunding `amount_cents` of payment `payment_id`: the credit note
/// of the payment's invoice (through the invoicing's own draft: same receiver, linked to the
/// invoice) for exactly that amount — the whole draft when it is everything, else one line per
/// IVA rate whose total is the refunded amount. The owner reviews it before issuing.
pub async fn credit_note_for_refund(
    store: &Store,
    invoicing: &crate::invoicing::Invoicing,
    org: OrgId,
    payment_id: i64,
    amount_cents: i64,
) -> Result<crate::invoicing::model::NewInvoice, RefundNoteError> {
    let row: Option<(Option<i64>, i64, String, Option<String>)> = sqlx::query_as(
        "SELECT p.invoice_id, p.amount_cents, p.currency, i.currency FROM payments p
         LEFT JOIN invoices i ON i.id = p.invoice_id WHERE p.org_id = ? AND p.id = ?",
    )
    .bind(org.to_string())
    .bind(payment_id)
    .fetch_optional(store.reader())
    .await
    .map_err(PaymentsError::from)?;
    let (invoice, paid, currency, invoice_currency) =
        row.ok_or(PaymentsError::PaymentNotFound(payment_id))?;
    let Some(invoice) = invoice else {
        return Err(invalid(
            "payment_id",
            "Ese pago no es de ninguna factura: no hay nota de crédito que hacer.",
        )
        .into());
    };
    if invoice_currency.as_deref().map(super::apply::mp_currency) != Some(currency) {
        return Err(invalid(
            "payment_id",
            "El pago y la factura están en monedas distintas: hacé la nota de crédito a mano.",
        )
        .into());
    }
    if amount_cents <= 0 || amount_cents > paid {
        return Err(PaymentsError::RefundTooLarge {
            asked: amount_cents,
            left: paid,
        }
        .into());
    }
    let draft = invoicing.credit_note_draft(org, invoice).await?;
    let total = invoicing
        .check(org, &draft)
        .await?
        .invoice
        .amounts
        .total
        .cents();
    if amount_cents >= total {
        return Ok(draft);
    }
    let mut note = draft.clone();
    note.items = partial_items(&draft.items, amount_cents);
    // The core's rounding decides: nudge the last line's net until the total is the refund.
    for _ in 0..6 {
        let got = invoicing
            .check(org, &note)
            .await?
            .invoice
            .amounts
            .total
            .cents();
        let diff = amount_cents - got;
        if diff == 0 {
            break;
        }
        let last = note.items.last_mut().expect("at least one line");
        let net = cents_of(&last.unit_price) + diff.signum();
        last.unit_price = decimal(net.max(1));
    }
    Ok(note)
}

/// IVA rate in hundredths of a percent (`21` ⇒ 2100); none for exento, no gravado or Factura C.
fn rate_bp(iva: Option<ItemIva>) -> i64 {
    match iva {
        Some(ItemIva::TwoPointFive) => 250,
        Some(ItemIva::Five) => 500,
        Some(ItemIva::TenPointFive) => 1050,
        Some(ItemIva::TwentyOne) => 2100,
        Some(ItemIva::TwentySeven) => 2700,
        _ => 0,
    }
}

fn decimal(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn cents_of(text: &str) -> i64 {
    let (int, frac) = text.split_once('.').unwrap_or((text, "0"));
    let frac = format!("{frac:0<2}");
    int.parse::<i64>().unwrap_or(0) * 100 + frac[..2].parse::<i64>().unwrap_or(0)
}

/// One line per IVA rate of `items`, sharing `amount` (IVA included) in proportion to what each
/// rate weighs in the invoice; each line's price is its share without IVA.
fn partial_items(items: &[ItemInput], amount: i64) -> Vec<ItemInput> {
    let mut groups: Vec<(Option<ItemIva>, i64)> = Vec::new();
    for it in items {
        let q = cents_of(&it.quantity);
        let gross_net =
            q * cents_of(&it.unit_price) / 100 - it.discount.as_deref().map(cents_of).unwrap_or(0);
        let gross = gross_net + gross_net * rate_bp(it.iva) / 10_000;
        match groups.iter_mut().find(|g| g.0 == it.iva) {
            Some(g) => g.1 += gross,
            None => groups.push((it.iva, gross)),
        }
    }
    let whole: i64 = groups.iter().map(|g| g.1).sum::<i64>().max(1);
    let mut left = amount;
    let n = groups.len();
    groups
        .iter()
        .enumerate()
        .map(|(i, (iva, weight))| {
            let share = if i + 1 == n {
                left
            } else {
                amount * weight / whole
            };
            left -= share;
            let bp = rate_bp(*iva);
            // share / (1 + rate), rounded to the nearest cent.
            let net = (share * 10_000 * 2 + (10_000 + bp)) / ((10_000 + bp) * 2);
            ItemInput {
                description: "Devolución parcial".into(),
                quantity: "1".into(),
                unit_price: decimal(net.max(1)),
                discount: None,
                iva: *iva,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(price: &str, iva: Option<ItemIva>) -> ItemInput {
        ItemInput {
            description: "x".into(),
            quantity: "2".into(),
            unit_price: price.into(),
            discount: None,
            iva,
        }
    }

    #[test]
    fn a_partial_refund_is_one_line_per_rate_without_iva() {
        // 2 × 1000 at 21 % = 2420 with IVA: a 1210 refund is 1000 net.
        let lines = partial_items(&[item("1000.00", Some(ItemIva::TwentyOne))], 121_000);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].unit_price, "1000.00");
        assert_eq!(lines[0].iva, Some(ItemIva::TwentyOne));
        // Factura C: no IVA, the refund is the price.
        let c = partial_items(&[item("500", None)], 33_333);
        assert_eq!(c[0].unit_price, "333.33");
        // Two rates share the refund by weight: 2420 at 21 %, 1105 at 10.5 %.
        let two = partial_items(
            &[
                item("1000.00", Some(ItemIva::TwentyOne)),
                item("500.00", Some(ItemIva::TenPointFive)),
            ],
            100_000,
        );
        assert_eq!(two.len(), 2);
        let gross: i64 = two
            .iter()
            .map(|l| {
                let n = cents_of(&l.unit_price);
                n + n * rate_bp(l.iva) / 10_000
            })
            .sum();
        assert!((gross - 100_000).abs() <= 2, "{gross}");
    }

    #[test]
    fn decimals_round_trip() {
        assert_eq!(cents_of("12.5"), 1250);
        assert_eq!(cents_of("7"), 700);
        assert_eq!(decimal(cents_of("1234.05")), "1234.05");
    }
}
