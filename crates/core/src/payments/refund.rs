//! Refunds from the app (total or partial): refused above what is left of the payment (minus
//! refunds already asked for), recorded with a fixed idempotency key and sent by the queue.

use mostrador_queue::{NewJob, Queue};
use serde::Deserialize;

use super::error::{invalid, PaymentsError};
use super::jobs::{kinds, RefundJob};
use super::providers::ProviderName;
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
