//! "Facturas": the list (pending and in-doubt first, with what the app is doing about each),
//! totals per period, and the period's CSV with the libro IVA ventas columns.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use super::model::InvoiceState;
use super::submit::{age_warning, argentina_today, HOLD_DATE_BEFORE_LAST, HOLD_DATE_WINDOW};
use crate::org::OrgId;
use crate::store::Store;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
// Conversations have a `ListFilter` of their own in the bindings.
#[cfg_attr(feature = "ts", ts(rename = "InvoiceListFilter"))]
pub struct ListFilter {
    #[serde(default)]
    pub from: Option<NaiveDate>,
    #[serde(default)]
    pub to: Option<NaiveDate>,
    #[serde(default)]
    pub voucher_type: Option<u16>,
    #[serde(default)]
    pub state: Option<InvoiceState>,
    #[serde(default)]
    pub customer_id: Option<String>,
    /// Matches the receiver's name or document, or the number.
    #[serde(default)]
    pub search: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvoiceListItem {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    pub state: InvoiceState,
    pub voucher_type: u16,
    pub point_of_sale: u32,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub number: Option<u64>,
    pub date: NaiveDate,
    pub receiver_name: Option<String>,
    pub receiver_doc_type: u8,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub receiver_doc_number: u64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
    pub cae: Option<String>,
    pub cae_due: Option<String>,
    pub hold: Option<String>,
    pub reject_reason: Option<String>,
    /// Ageing in the queue (date window closing), when it applies.
    pub warning: Option<String>,
    /// What the app is doing about it (pending and in-doubt invoices), es-AR.
    pub doing: Option<String>,
    /// `CAE`, or `CAEA` for one issued in contingency (its code is in `cae`, its due date the
    /// CAEA's last day).
    pub emission: String,
    /// A CAEA invoice's report to AFIP: `pending` (a informar), `informed` or `rejected`.
    pub caea_inform: Option<String>,
    /// AFIP's reasons when it rejected the report.
    pub caea_reject_reason: Option<String>,
    /// Queued without a number while AFIP is not answering the business's submissions: it may be
    /// issued with the CAEA ("Emitir con CAEA") when the contingency is enabled.
    pub afip_unreachable: bool,
}

fn is_note_credit(t: u16) -> bool {
    matches!(t, 3 | 8 | 13)
}

/// What the app does about an unfinished invoice, for the owner.
pub fn doing(state: InvoiceState, hold: Option<&str>, number: Option<u64>) -> Option<String> {
    Some(match (state, hold) {
        (InvoiceState::Queued, Some(HOLD_DATE_WINDOW)) => {
            "Su fecha quedó fuera de la ventana que acepta AFIP: confirmá emitirla con la fecha de hoy."
                .into()
        }
        (InvoiceState::Queued, Some(HOLD_DATE_BEFORE_LAST)) => {
            "Su fecha es anterior a la última factura de ese tipo: confirmá emitirla con la fecha de hoy."
                .into()
        }
        (InvoiceState::Queued, _) => {
            "En cola: sale sola, en orden, cuando AFIP responda.".into()
        }
        (InvoiceState::Submitting, _) => format!(
            "Enviando a AFIP con el número {}.",
            number.map_or("-".into(), |n| n.to_string())
        ),
        (InvoiceState::InDoubt, _) => format!(
            "No sabemos si AFIP autorizó el número {}: lo consultamos antes de reintentar, así nunca se emite dos veces.",
            number.map_or("-".into(), |n| n.to_string())
        ),
        _ => return None,
    })
}

/// The list, pending and in-doubt first, then newest first.
pub async fn list(
    store: &Store,
    org: OrgId,
    f: &ListFilter,
    today: NaiveDate,
    limit: u32,
) -> Result<Vec<InvoiceListItem>, sqlx::Error> {
    list_page(store, org, f, today, limit, 0).await
}

/// A page of [`list`]: `limit` rows after skipping `offset` (pending ones stay on the first
/// pages, so an offset is stable enough for a list the owner scrolls).
pub async fn list_page(
    store: &Store,
    org: OrgId,
    f: &ListFilter,
    today: NaiveDate,
    limit: u32,
    offset: u32,
) -> Result<Vec<InvoiceListItem>, sqlx::Error> {
    let search = f.search.as_ref().map(|s| format!("%{}%", s.trim()));
    let rows = sqlx::query(
        "SELECT id, state, voucher_type, point_of_sale, number, date, receiver_name, receiver_doc_type,
                receiver_doc_number, total_cents, cae, cae_due, hold, reject_reason, concept,
                emission,
                (SELECT c.state FROM caea_invoices c WHERE c.invoice_id = invoices.id) AS caea_inform,
                (SELECT c.reject_reason FROM caea_invoices c WHERE c.invoice_id = invoices.id) AS caea_reject_reason,
                (state = 'queued' AND number IS NULL AND hold IS NULL AND EXISTS (SELECT 1 FROM jobs j
                   WHERE j.org_id = invoices.org_id AND j.kind = 'afip.submit' AND j.finished_at IS NULL
                     AND json_extract(j.errors, '$[#-1].code') = 'afip_pending')) AS afip_unreachable
         FROM invoices
         WHERE org_id = ?1
           -- Unfinished ones stay on top whatever the period: one queued last month (offline)
           -- or in doubt must not hide behind the month shown.
           AND ((?2 IS NULL OR date >= ?2) AND (?3 IS NULL OR date <= ?3)
                OR state IN ('queued', 'submitting', 'in_doubt'))
           AND (?4 IS NULL OR voucher_type = ?4) AND (?5 IS NULL OR state = ?5)
           AND (?6 IS NULL OR customer_id = ?6)
           AND (?7 IS NULL OR receiver_name LIKE ?7 OR CAST(receiver_doc_number AS TEXT) LIKE ?7
                OR CAST(number AS TEXT) LIKE ?7)
         ORDER BY CASE WHEN state IN ('queued', 'submitting', 'in_doubt') THEN 0 ELSE 1 END,
                  date DESC, id DESC
         LIMIT ?8 OFFSET ?9",
    )
    .bind(org.to_string())
    .bind(f.from.map(|d| d.to_string()))
    .bind(f.to.map(|d| d.to_string()))
    .bind(f.voucher_type.map(i64::from))
    .bind(f.state.map(|s| s.as_str()))
    .bind(&f.customer_id)
    .bind(search)
    .bind(i64::from(limit))
    .bind(i64::from(offset))
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| item_of(&r, today))
        .collect())
}

/// The row decoding shared by the list and the detail.
fn item_of(r: &sqlx::sqlite::SqliteRow, today: NaiveDate) -> Option<InvoiceListItem> {
    let state: InvoiceState = r.get::<String, _>("state").parse().ok()?;
    let date: NaiveDate = r.get::<String, _>("date").parse().ok()?;
    let number = r.get::<Option<i64>, _>("number").map(|n| n as u64);
    let hold: Option<String> = r.get("hold");
    let window = if r.get::<i64, _>("concept") == 1 {
        5
    } else {
        10
    };
    let warning = (state == InvoiceState::Queued && hold.is_none())
        .then(|| age_warning(date, today, window))
        .flatten();
    Some(InvoiceListItem {
        id: r.get("id"),
        state,
        voucher_type: r.get::<i64, _>("voucher_type") as u16,
        point_of_sale: r.get::<i64, _>("point_of_sale") as u32,
        number,
        date,
        receiver_name: r.get("receiver_name"),
        receiver_doc_type: r.get::<i64, _>("receiver_doc_type") as u8,
        receiver_doc_number: r.get::<i64, _>("receiver_doc_number") as u64,
        total_cents: r.get("total_cents"),
        cae: r.get("cae"),
        cae_due: r.get("cae_due"),
        doing: doing(state, hold.as_deref(), number),
        hold,
        reject_reason: r.get("reject_reason"),
        warning,
        emission: r.get("emission"),
        caea_inform: r.get("caea_inform"),
        caea_reject_reason: r.get("caea_reject_reason"),
        afip_unreachable: r.get::<Option<i64>, _>("afip_unreachable").unwrap_or(0) != 0,
    })
}

/// One line of an invoice as stored (amounts in cents, quantity in hundredths).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvoiceLine {
    pub description: String,
    /// Quantity in hundredths (`150` is 1,5).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quantity_hundredths: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub unit_price_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub discount_cents: i64,
    /// `21`, `10.5`, `exento`, `no_gravado`…; `null` on class C.
    pub iva: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub amount_cents: i64,
}

/// One step of the invoice's history, for the detail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HistoryEntry {
    pub at: String,
    pub from_state: Option<InvoiceState>,
    pub to_state: InvoiceState,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub number: Option<u64>,
    pub note: String,
}

/// "Ver factura": the row, its lines, its history, and what a credit note may still take.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct InvoiceDetail {
    pub invoice: InvoiceListItem,
    pub receiver_address: Option<String>,
    pub receiver_condition: String,
    pub customer_id: Option<String>,
    pub currency: String,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub net_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub iva_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub associated_invoice_id: Option<i64>,
    pub lines: Vec<InvoiceLine>,
    pub history: Vec<HistoryEntry>,
    /// An authorized factura: what credit notes have not taken yet (`null` otherwise).
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub creditable_cents: Option<i64>,
}

/// The detail of invoice `id` of `org`, or `None`.
pub async fn detail(
    store: &Store,
    org: OrgId,
    id: i64,
    today: NaiveDate,
) -> Result<Option<InvoiceDetail>, sqlx::Error> {
    let Some(r) = sqlx::query(
        "SELECT id, state, voucher_type, point_of_sale, number, date, receiver_name, receiver_doc_type,
                receiver_doc_number, total_cents, cae, cae_due, hold, reject_reason, concept,
                emission,
                (SELECT c.state FROM caea_invoices c WHERE c.invoice_id = invoices.id) AS caea_inform,
                (SELECT c.reject_reason FROM caea_invoices c WHERE c.invoice_id = invoices.id) AS caea_reject_reason,
                (state = 'queued' AND number IS NULL AND hold IS NULL AND EXISTS (SELECT 1 FROM jobs j
                   WHERE j.org_id = invoices.org_id AND j.kind = 'afip.submit' AND j.finished_at IS NULL
                     AND json_extract(j.errors, '$[#-1].code') = 'afip_pending')) AS afip_unreachable,
                receiver_address, receiver_condition, customer_id, currency,
                net_cents + not_taxed_cents + exempt_cents AS net, iva_cents, associated_invoice_id
         FROM invoices WHERE org_id = ? AND id = ?",
    )
    .bind(org.to_string())
    .bind(id)
    .fetch_optional(store.reader())
    .await?
    else {
        return Ok(None);
    };
    let Some(invoice) = item_of(&r, today) else {
        return Ok(None);
    };
    let lines = sqlx::query(
        "SELECT description, quantity_hundredths, unit_price_cents, discount_cents, iva, amount_cents
         FROM invoice_items WHERE invoice_id = ? ORDER BY position",
    )
    .bind(id)
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .map(|l| InvoiceLine {
        description: l.get("description"),
        quantity_hundredths: l.get("quantity_hundredths"),
        unit_price_cents: l.get("unit_price_cents"),
        discount_cents: l.get("discount_cents"),
        iva: Some(l.get::<String, _>("iva")).filter(|v| v != "none"),
        amount_cents: l.get("amount_cents"),
    })
    .collect();
    let history = sqlx::query(
        "SELECT at, from_state, to_state, number, note FROM invoice_state_history
         WHERE invoice_id = ? ORDER BY id",
    )
    .bind(id)
    .fetch_all(store.reader())
    .await?
    .into_iter()
    .filter_map(|h| {
        Some(HistoryEntry {
            at: h.get("at"),
            from_state: h
                .get::<Option<String>, _>("from_state")
                .and_then(|s| s.parse().ok()),
            to_state: h.get::<String, _>("to_state").parse().ok()?,
            number: h.get::<Option<i64>, _>("number").map(|n| n as u64),
            note: h.get("note"),
        })
    })
    .collect();
    let creditable_cents = if invoice.state == InvoiceState::Authorized
        && matches!(invoice.voucher_type, 1 | 6 | 11)
    {
        let credited: i64 = sqlx::query_scalar(
            "SELECT coalesce(sum(total_cents), 0) FROM invoices
             WHERE associated_invoice_id = ? AND voucher_type IN (3, 8, 13) AND state <> 'rejected'",
        )
        .bind(id)
        .fetch_one(store.reader())
        .await?;
        Some(invoice.total_cents - credited)
    } else {
        None
    };
    Ok(Some(InvoiceDetail {
        receiver_address: r.get("receiver_address"),
        receiver_condition: r.get("receiver_condition"),
        customer_id: r.get("customer_id"),
        currency: r.get("currency"),
        net_cents: r.get("net"),
        iva_cents: r.get("iva_cents"),
        associated_invoice_id: r.get("associated_invoice_id"),
        invoice,
        lines,
        history,
        creditable_cents,
    }))
}

/// Authorized totals of a period per voucher type (notas de crédito count negative in `net_cents`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PeriodTotals {
    pub voucher_type: u16,
    pub count: u32,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub net_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub iva_cents: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub total_cents: i64,
}

pub async fn totals(
    store: &Store,
    org: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PeriodTotals>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT voucher_type, count(*) AS c, sum(net_cents + not_taxed_cents + exempt_cents) AS net,
                sum(iva_cents) AS iva, sum(total_cents) AS total
         FROM invoices WHERE org_id = ? AND state = 'authorized' AND date >= ? AND date <= ?
         GROUP BY voucher_type ORDER BY voucher_type",
    )
    .bind(org.to_string())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| {
            let t = r.get::<i64, _>("voucher_type") as u16;
            let sign = if is_note_credit(t) { -1 } else { 1 };
            PeriodTotals {
                voucher_type: t,
                count: r.get::<i64, _>("c") as u32,
                net_cents: sign * r.get::<i64, _>("net"),
                iva_cents: sign * r.get::<i64, _>("iva"),
                total_cents: sign * r.get::<i64, _>("total"),
            }
        })
        .collect())
}

fn money(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let c = cents.unsigned_abs();
    format!("{sign}{}.{:02}", c / 100, c % 100)
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n', ';']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The period's authorized vouchers as CSV with the libro IVA ventas columns (credit notes
/// negative), amounts with a dot and two decimals.
pub async fn libro_iva_ventas_csv(
    store: &Store,
    org: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<String, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT i.id, i.date, i.voucher_type, i.point_of_sale, i.number, i.cae, i.receiver_doc_type,
                i.receiver_doc_number, i.receiver_name, i.receiver_condition, i.net_cents,
                i.not_taxed_cents, i.exempt_cents, i.iva_cents, i.tributes_cents, i.total_cents,
                i.currency, i.currency_rate,
                coalesce((SELECT amount_cents FROM invoice_iva_lines l WHERE l.invoice_id = i.id AND l.afip_id = 4), 0) AS iva105,
                coalesce((SELECT amount_cents FROM invoice_iva_lines l WHERE l.invoice_id = i.id AND l.afip_id = 5), 0) AS iva21,
                coalesce((SELECT amount_cents FROM invoice_iva_lines l WHERE l.invoice_id = i.id AND l.afip_id = 6), 0) AS iva27,
                coalesce((SELECT sum(amount_cents) FROM invoice_iva_lines l WHERE l.invoice_id = i.id AND l.afip_id NOT IN (4, 5, 6)), 0) AS iva_other
         FROM invoices i
         WHERE i.org_id = ? AND i.state = 'authorized' AND i.date >= ? AND i.date <= ?
         ORDER BY i.date, i.voucher_type, i.point_of_sale, i.number",
    )
    .bind(org.to_string())
    .bind(from.to_string())
    .bind(to.to_string())
    .fetch_all(store.reader())
    .await?;
    let mut out = String::from(
        "Fecha,Tipo de comprobante,Punto de venta,Número,CAE,Tipo doc. receptor,Nro. doc. receptor,Receptor,Condición IVA receptor,Moneda,Cotización,Neto gravado,No gravado,Exento,IVA 10.5%,IVA 21%,IVA 27%,IVA otras alícuotas,Otros tributos,Total\n",
    );
    for r in rows {
        let t = r.get::<i64, _>("voucher_type") as u16;
        let s = if is_note_credit(t) { -1 } else { 1 };
        let m = |col: &str| money(s * r.get::<i64, _>(col));
        let rate: i64 = r.get("currency_rate");
        let line = [
            r.get::<String, _>("date"),
            t.to_string(),
            format!("{:05}", r.get::<i64, _>("point_of_sale")),
            format!("{:08}", r.get::<i64, _>("number")),
            r.get::<Option<String>, _>("cae").unwrap_or_default(),
            r.get::<i64, _>("receiver_doc_type").to_string(),
            r.get::<i64, _>("receiver_doc_number").to_string(),
            csv_field(
                &r.get::<Option<String>, _>("receiver_name")
                    .unwrap_or_default(),
            ),
            r.get::<String, _>("receiver_condition"),
            r.get::<String, _>("currency"),
            format!("{}.{:06}", rate / 1_000_000, rate % 1_000_000),
            m("net_cents"),
            m("not_taxed_cents"),
            m("exempt_cents"),
            m("iva105"),
            m("iva21"),
            m("iva27"),
            m("iva_other"),
            m("tributes_cents"),
            m("total_cents"),
        ];
        out.push_str(&line.join(","));
        out.push('\n');
    }
    Ok(out)
}

/// Today's date for the list's warnings.
pub fn today(clock: &dyn mostrador_queue::Clock) -> NaiveDate {
    argentina_today(clock.now())
}
