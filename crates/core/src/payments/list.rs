//! The read side: the Cobros list (filters), one payment, one link, an invoice's payment status.

use serde::{Deserialize, Serialize};

use super::error::PaymentsError;
use crate::org::OrgId;
use crate::store::Store;

/// One payment as the Cobros list shows it.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub provider: String,
    pub provider_payment_id: String,
    pub status: String,
    pub status_detail: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub amount_cents: i64,
    pub currency: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub refunded_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub fee_cents: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub net_cents: Option<i64>,
    pub method: Option<String>,
    pub payment_type: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub installments: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub invoice_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub customer_id: Option<i64>,
    pub customer_name: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub conversation_id: Option<i64>,
    pub external_reference: Option<String>,
    /// No link of ours: recorded, never attached.
    pub unsolicited: bool,
    /// A chargeback or dispute is open (or was lost).
    pub disputed: bool,
    pub thanked: bool,
    pub approved_at: Option<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// Filters of the Cobros list (all optional).
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentFilter {
    pub status: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub invoice_id: Option<i64>,
    /// One customer's payments (the conversation's customer panel).
    #[serde(default)]
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub customer_id: Option<i64>,
    #[serde(default)]
    pub unsolicited_only: bool,
    #[serde(default)]
    pub disputed_only: bool,
    pub limit: Option<u32>,
}

const SELECT: &str = "SELECT p.id, p.provider, p.provider_payment_id, p.status, p.status_detail, p.amount_cents,
        p.currency, p.refunded_cents, p.fee_cents, p.net_cents, p.method, p.payment_type, p.installments,
        p.invoice_id, p.customer_id, coalesce(c.owner_name, c.name) AS customer_name, p.conversation_id,
        p.external_reference, p.unsolicited != 0 AS unsolicited,
        (p.status IN ('charged_back', 'in_mediation') OR EXISTS (SELECT 1 FROM payment_chargebacks cb
            WHERE cb.payment_id = p.id AND cb.state IN ('open', 'lost'))) AS disputed,
        p.thanked_message_id IS NOT NULL AS thanked, p.approved_at, p.created_at, p.updated_at
     FROM payments p LEFT JOIN customers c ON c.id = p.customer_id";

pub async fn list_payments(
    store: &Store,
    org: OrgId,
    f: &PaymentFilter,
) -> Result<Vec<PaymentView>, PaymentsError> {
    let sql = format!(
        "{SELECT} WHERE p.org_id = ?1 AND (?2 IS NULL OR p.status = ?2) AND (?3 IS NULL OR p.invoice_id = ?3)
           AND (?4 = 0 OR p.unsolicited = 1) AND (?5 = 0 OR p.status IN ('charged_back', 'in_mediation')
                OR EXISTS (SELECT 1 FROM payment_chargebacks cb WHERE cb.payment_id = p.id AND cb.state IN ('open', 'lost')))
           AND (?7 IS NULL OR p.customer_id = ?7)
         ORDER BY p.id DESC LIMIT ?6"
    );
    Ok(sqlx::query_as(&sql)
        .bind(org.to_string())
        .bind(f.status.as_deref())
        .bind(f.invoice_id)
        .bind(f.unsolicited_only)
        .bind(f.disputed_only)
        .bind(i64::from(f.limit.unwrap_or(200).min(1000)))
        .bind(f.customer_id)
        .fetch_all(store.reader())
        .await?)
}

pub async fn get_payment(store: &Store, org: OrgId, id: i64) -> Result<PaymentView, PaymentsError> {
    sqlx::query_as(&format!("{SELECT} WHERE p.org_id = ? AND p.id = ?"))
        .bind(org.to_string())
        .bind(id)
        .fetch_optional(store.reader())
        .await?
        .ok_or(PaymentsError::PaymentNotFound(id))
}

/// A "Cobrar" link or QR.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PaymentLinkView {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    /// `link` or `qr`.
    pub kind: String,
    /// `mercadopago` or `stripe`.
    pub provider: String,
    /// `creating`, `ready`, `failed`, `cancelled`, `expired` (can no longer be paid: a new
    /// "Cobrar" makes a new link).
    pub state: String,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub invoice_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub customer_id: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub conversation_id: Option<i64>,
    pub title: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub amount_cents: i64,
    pub currency: String,
    pub url: Option<String>,
    pub qr_data: Option<String>,
    pub error: Option<String>,
    /// Paid (an approved payment references this link).
    pub paid: bool,
    pub created_at: String,
    /// When the provider stops taking payments on it (known once it is ready).
    pub expires_at: Option<String>,
}

pub(crate) async fn link_view(
    store: &Store,
    org: OrgId,
    id: i64,
) -> Result<PaymentLinkView, PaymentsError> {
    sqlx::query_as(
        "SELECT l.id, l.kind, l.provider,
                CASE WHEN l.expired_at IS NOT NULL THEN 'expired' ELSE l.state END AS state, l.invoice_id, l.customer_id, l.conversation_id, l.title, l.amount_cents,
                l.currency, l.url, l.qr_data, l.error,
                EXISTS (SELECT 1 FROM payments p WHERE p.link_id = l.id AND p.status = 'approved') AS paid,
                l.created_at, l.expires_at
         FROM payment_links l WHERE l.org_id = ? AND l.id = ?",
    )
    .bind(org.to_string())
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    .ok_or(PaymentsError::LinkNotFound(id))
}

pub async fn get_link(
    store: &Store,
    org: OrgId,
    id: i64,
) -> Result<PaymentLinkView, PaymentsError> {
    link_view(store, org, id).await
}

/// What an invoice has been paid.
#[derive(Debug, Clone, PartialEq, Serialize, sqlx::FromRow)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvoicePaymentStatus {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub invoice_id: i64,
    /// `unpaid`, `partial`, `paid`, `overpaid`, `currency_mismatch`.
    pub state: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub paid_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub due_cents: i64,
    pub flagged: bool,
    pub flag_reason: Option<String>,
}

pub async fn invoice_status(
    store: &Store,
    org: OrgId,
    invoice_id: i64,
) -> Result<Option<InvoicePaymentStatus>, PaymentsError> {
    Ok(sqlx::query_as(
        "SELECT invoice_id, state, paid_cents, due_cents, flagged != 0 AS flagged, flag_reason
         FROM invoice_payment_status WHERE org_id = ? AND invoice_id = ?",
    )
    .bind(org.to_string())
    .bind(invoice_id)
    .fetch_optional(store.reader())
    .await?)
}
