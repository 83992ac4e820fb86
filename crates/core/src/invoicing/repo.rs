//! The invoice rows: every state change is one fenced UPDATE (it names the state it leaves) plus a
//! history row, in the caller's transaction.

use chrono::{DateTime, NaiveDate, Utc};
use mostrador_afip::invoice::{Invoice, InvoiceDraft, InvoiceSettings, Money};
use mostrador_afip::wsfe::ConsultedInvoice;
use mostrador_types::Cuit;
use sqlx::{Row, SqliteConnection};

use super::model::InvoiceState;
use super::validate::Prepared;
use crate::org::OrgId;
use crate::store::timestamp;

/// (issuer CUIT, point of sale, voucher type): one numbering sequence at AFIP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Sequence {
    pub cuit: Cuit,
    pub point_of_sale: u32,
    pub voucher_type: u16,
}

impl Sequence {
    /// The queue's serial key: one submission in flight per sequence, in enqueue order.
    pub fn serial_key(&self) -> String {
        format!(
            "afip:{}:{}:{}",
            self.cuit.digits(),
            self.point_of_sale,
            self.voucher_type
        )
    }
}

/// An invoice row as the submission needs it.
#[derive(Debug, Clone)]
pub struct InvoiceRow {
    pub id: i64,
    pub org_id: OrgId,
    pub seq: Sequence,
    pub state: InvoiceState,
    pub number: Option<u64>,
    pub date: NaiveDate,
    pub draft: InvoiceDraft,
    pub payload_xml: Option<String>,
    pub hold: Option<String>,
    pub total: Money,
}

impl InvoiceRow {
    /// The invoice as validated at queuing time. The identification threshold was checked then;
    /// it is not re-checked so a setting changed later cannot strand a queued invoice.
    pub fn invoice(&self) -> Result<Invoice, String> {
        let settings = InvoiceSettings {
            identification_threshold: Money::MAX,
        };
        self.draft.validate(&settings).map_err(|e| e.to_string())
    }
}

pub type Tx<'a> = &'a mut SqliteConnection;

fn now_text(now: DateTime<Utc>) -> String {
    timestamp::to_text(now)
}

pub async fn insert(
    conn: Tx<'_>,
    org: OrgId,
    prepared: &Prepared,
    state: InvoiceState,
    associated_invoice_id: Option<i64>,
    customer_id: Option<&str>,
    now: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    let inv = &prepared.invoice;
    let a = &inv.amounts;
    let draft_json = serde_json::to_string(inv.draft()).expect("the draft serializes");
    let at = now_text(now);
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO invoices (org_id, issuer_cuit, point_of_sale, voucher_type, state, date, concept,
            receiver_doc_type, receiver_doc_number, receiver_condition, receiver_name, receiver_address,
            customer_id, currency, currency_rate, net_cents, not_taxed_cents, exempt_cents, iva_cents,
            tributes_cents, total_cents, draft_json, associated_invoice_id, created_at, updated_at)
         VALUES (?, (SELECT cuit FROM organizations WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
                 ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(org.to_string())
    .bind(inv.point_of_sale as i64)
    .bind(inv.voucher_type.code() as i64)
    .bind(state.as_str())
    .bind(inv.date.to_string())
    .bind(inv.concept.code() as i64)
    .bind(inv.receiver.doc.doc_tipo() as i64)
    .bind(inv.receiver.doc.doc_nro() as i64)
    .bind(inv.receiver.condition.as_str())
    .bind(&prepared.receiver_name)
    .bind(&prepared.receiver_address)
    .bind(customer_id)
    .bind(&inv.currency.code)
    .bind(inv.currency.rate.millionths())
    .bind(a.net.cents())
    .bind(a.not_taxed.cents())
    .bind(a.exempt.cents())
    .bind(a.iva_total.cents())
    .bind(a.tributes_total.cents())
    .bind(a.total.cents())
    .bind(draft_json)
    .bind(associated_invoice_id)
    .bind(&at)
    .bind(&at)
    .fetch_one(&mut *conn)
    .await?;
    for (i, it) in prepared.items.iter().enumerate() {
        sqlx::query(
            "INSERT INTO invoice_items (invoice_id, position, description, quantity_hundredths,
                unit_price_cents, discount_cents, iva, amount_cents) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(i as i64)
        .bind(&it.description)
        .bind(it.quantity_hundredths)
        .bind(it.unit_price.cents())
        .bind(it.discount.cents())
        .bind(it.iva.map_or("none", |v| v.as_str()))
        .bind(it.amount.cents())
        .execute(&mut *conn)
        .await?;
    }
    for l in &a.iva {
        sqlx::query(
            "INSERT INTO invoice_iva_lines (invoice_id, afip_id, base_cents, amount_cents) VALUES (?, ?, ?, ?)",
        )
        .bind(id)
        .bind(l.rate.afip_id() as i64)
        .bind(l.base.cents())
        .bind(l.amount.cents())
        .execute(&mut *conn)
        .await?;
    }
    for asoc in &inv.associated {
        sqlx::query(
            "INSERT INTO invoice_associated (invoice_id, voucher_type, point_of_sale, number, cuit, date)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(asoc.voucher_type as i64)
        .bind(asoc.point_of_sale as i64)
        .bind(asoc.number as i64)
        .bind(asoc.cuit.map(|c| c.digits()))
        .bind(asoc.date.map(|d| d.to_string()))
        .execute(&mut *conn)
        .await?;
    }
    history(conn, id, None, state, None, "", now).await?;
    Ok(id)
}

pub async fn history(
    conn: Tx<'_>,
    id: i64,
    from: Option<InvoiceState>,
    to: InvoiceState,
    number: Option<u64>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO invoice_state_history (invoice_id, at, from_state, to_state, number, note)
         VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(id)
    .bind(now_text(now))
    .bind(from.map(|s| s.as_str()))
    .bind(to.as_str())
    .bind(number.map(|n| n as i64))
    .bind(note)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

pub async fn set_job(conn: Tx<'_>, id: i64, job_id: i64) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET submit_job_id = ? WHERE id = ?")
        .bind(job_id)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

pub async fn get(conn: Tx<'_>, id: i64) -> Result<Option<InvoiceRow>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT id, org_id, issuer_cuit, point_of_sale, voucher_type, state, number, date, draft_json,
                payload_xml, hold, total_cents
         FROM invoices WHERE id = ?",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(r) = row else { return Ok(None) };
    let decode =
        |what: &str, e: String| sqlx::Error::Decode(format!("invoice {id} {what}: {e}").into());
    let cuit: String = r.get("issuer_cuit");
    let state: String = r.get("state");
    let date: String = r.get("date");
    let draft: String = r.get("draft_json");
    let org: String = r.get("org_id");
    Ok(Some(InvoiceRow {
        id,
        org_id: org
            .parse()
            .map_err(|e: uuid::Error| decode("org_id", e.to_string()))?,
        seq: Sequence {
            cuit: Cuit::parse(&cuit).map_err(|e| decode("issuer_cuit", e.to_string()))?,
            point_of_sale: r.get::<i64, _>("point_of_sale") as u32,
            voucher_type: r.get::<i64, _>("voucher_type") as u16,
        },
        state: state
            .parse()
            .map_err(|e: super::model::UnknownState| decode("state", e.to_string()))?,
        number: r.get::<Option<i64>, _>("number").map(|n| n as u64),
        date: date
            .parse()
            .map_err(|e: chrono::ParseError| decode("date", e.to_string()))?,
        draft: serde_json::from_str(&draft).map_err(|e| decode("draft_json", e.to_string()))?,
        payload_xml: r.get("payload_xml"),
        hold: r.get("hold"),
        total: Money::from_cents(r.get("total_cents")),
    }))
}

/// Changes the state if it still is `from`; returns whether it did.
pub async fn transition(
    conn: Tx<'_>,
    id: i64,
    from: InvoiceState,
    to: InvoiceState,
    number: Option<u64>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done =
        sqlx::query("UPDATE invoices SET state = ?, updated_at = ? WHERE id = ? AND state = ?")
            .bind(to.as_str())
            .bind(now_text(now))
            .bind(id)
            .bind(from.as_str())
            .execute(&mut *conn)
            .await?
            .rows_affected()
            == 1;
    if done {
        history(conn, id, Some(from), to, number, note, now).await?;
    }
    Ok(done)
}

/// Takes `number` for a queued invoice with the exact FECAEDetRequest, BEFORE the HTTP call.
pub async fn take_number(
    conn: Tx<'_>,
    id: i64,
    number: u64,
    payload_xml: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    use sha2::Digest;
    let sha = hex::encode(sha2::Sha256::digest(payload_xml.as_bytes()));
    let done = sqlx::query(
        "UPDATE invoices SET state = 'submitting', number = ?, payload_xml = ?, payload_sha256 = ?,
                updated_at = ?
         WHERE id = ? AND state = 'queued' AND number IS NULL",
    )
    .bind(number as i64)
    .bind(payload_xml)
    .bind(sha)
    .bind(now_text(now))
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        history(
            conn,
            id,
            Some(InvoiceState::Queued),
            InvoiceState::Submitting,
            Some(number),
            "número tomado y pedido guardado antes de enviar",
            now,
        )
        .await?;
    }
    Ok(done)
}

/// Authorized: the CAE is written in the same statement that marks it.
#[allow(clippy::too_many_arguments)]
pub async fn authorize(
    conn: Tx<'_>,
    id: i64,
    from: InvoiceState,
    number: u64,
    cae: &str,
    cae_due: Option<NaiveDate>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invoices SET state = 'authorized', cae = ?, cae_due = ?, authorized_at = ?, updated_at = ?
         WHERE id = ? AND state = ? AND number = ?",
    )
    .bind(cae)
    .bind(cae_due.map(|d| d.to_string()))
    .bind(now_text(now))
    .bind(now_text(now))
    .bind(id)
    .bind(from.as_str())
    .bind(number as i64)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        history(
            conn,
            id,
            Some(from),
            InvoiceState::Authorized,
            Some(number),
            note,
            now,
        )
        .await?;
    }
    Ok(done)
}

/// AFIP did not issue it under `number` (rejected, or someone else's invoice is there): the number
/// is released; it stays in the history. `to` is `queued` (take another) or `rejected`.
#[allow(clippy::too_many_arguments)]
pub async fn release_number(
    conn: Tx<'_>,
    id: i64,
    from: InvoiceState,
    number: u64,
    to: InvoiceState,
    reason: Option<&str>,
    hold: Option<&str>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invoices SET state = ?, number = NULL, reject_reason = coalesce(?, reject_reason),
                hold = ?, updated_at = ?
         WHERE id = ? AND state = ? AND number = ?",
    )
    .bind(to.as_str())
    .bind(reason)
    .bind(hold)
    .bind(now_text(now))
    .bind(id)
    .bind(from.as_str())
    .bind(number as i64)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        history(conn, id, Some(from), to, Some(number), note, now).await?;
    }
    Ok(done)
}

/// Puts a queued invoice on hold for the owner (date window), or rejects one without a number.
pub async fn hold_or_reject_queued(
    conn: Tx<'_>,
    id: i64,
    to: InvoiceState,
    hold: Option<&str>,
    reason: Option<&str>,
    note: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE invoices SET state = ?, hold = ?, reject_reason = coalesce(?, reject_reason), updated_at = ?
         WHERE id = ? AND state = 'queued'",
    )
    .bind(to.as_str())
    .bind(hold)
    .bind(reason)
    .bind(now_text(now))
    .bind(id)
    .execute(&mut *conn)
    .await?
    .rows_affected()
        == 1;
    if done {
        history(conn, id, Some(InvoiceState::Queued), to, None, note, now).await?;
    }
    Ok(done)
}

pub async fn set_warning(conn: Tx<'_>, id: i64, warning: Option<&str>) -> Result<(), sqlx::Error> {
    sqlx::query("UPDATE invoices SET warning = ? WHERE id = ?")
        .bind(warning)
        .bind(id)
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// The highest number of the sequence we know about: ours (any state) or a recorded foreign one.
pub async fn max_known_number(conn: Tx<'_>, seq: &Sequence) -> Result<u64, sqlx::Error> {
    let n: Option<i64> = sqlx::query_scalar(
        "SELECT max(n) FROM (
            SELECT max(number) AS n FROM invoices
             WHERE issuer_cuit = ?1 AND point_of_sale = ?2 AND voucher_type = ?3 AND number IS NOT NULL
            UNION ALL
            SELECT max(number) FROM afip_foreign_invoices
             WHERE issuer_cuit = ?1 AND point_of_sale = ?2 AND voucher_type = ?3)",
    )
    .bind(seq.cuit.digits())
    .bind(seq.point_of_sale as i64)
    .bind(seq.voucher_type as i64)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n.unwrap_or(0) as u64)
}

/// Whether `number` of the sequence is one of ours.
pub async fn ours(conn: Tx<'_>, seq: &Sequence, number: u64) -> Result<bool, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM invoices
         WHERE issuer_cuit = ? AND point_of_sale = ? AND voucher_type = ? AND number = ?",
    )
    .bind(seq.cuit.digits())
    .bind(seq.point_of_sale as i64)
    .bind(seq.voucher_type as i64)
    .bind(number as i64)
    .fetch_one(&mut *conn)
    .await?;
    Ok(n > 0)
}

/// The date of `number` in the sequence, from our row or the recorded foreign one.
pub async fn date_of(
    conn: Tx<'_>,
    seq: &Sequence,
    number: u64,
) -> Result<Option<NaiveDate>, sqlx::Error> {
    let d: Option<String> = sqlx::query_scalar(
        "SELECT date FROM invoices
          WHERE issuer_cuit = ?1 AND point_of_sale = ?2 AND voucher_type = ?3 AND number = ?4
         UNION ALL
         SELECT date FROM afip_foreign_invoices
          WHERE issuer_cuit = ?1 AND point_of_sale = ?2 AND voucher_type = ?3 AND number = ?4
         LIMIT 1",
    )
    .bind(seq.cuit.digits())
    .bind(seq.point_of_sale as i64)
    .bind(seq.voucher_type as i64)
    .bind(number as i64)
    .fetch_optional(&mut *conn)
    .await?
    .flatten();
    Ok(d.and_then(|d| d.parse().ok()))
}

/// Records an invoice AFIP holds that we did not issue; its number is never reused.
pub async fn record_foreign(
    conn: Tx<'_>,
    org: OrgId,
    seq: &Sequence,
    found: &ConsultedInvoice,
    displaced: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "INSERT INTO afip_foreign_invoices (org_id, issuer_cuit, point_of_sale, voucher_type, number,
            date, total_cents, doc_type, doc_number, cae, found_at, displaced_invoice_id)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (issuer_cuit, point_of_sale, voucher_type, number)
         DO UPDATE SET displaced_invoice_id = coalesce(excluded.displaced_invoice_id, displaced_invoice_id)",
    )
    .bind(org.to_string())
    .bind(seq.cuit.digits())
    .bind(seq.point_of_sale as i64)
    .bind(seq.voucher_type as i64)
    .bind(found.number as i64)
    .bind(found.date.to_string())
    .bind(found.total.cents())
    .bind(found.doc_tipo as i64)
    .bind(found.doc_nro as i64)
    .bind(&found.authorization_code)
    .bind(now_text(now))
    .bind(displaced)
    .execute(&mut *conn)
    .await?;
    Ok(())
}
