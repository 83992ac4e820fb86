//! A queued invoice AFIP could not take (unreachable, 5xx, timeout; never a rejection) issued
//! with the fortnight's CAEA instead, on the contingency point of sale.
//!
//! It stays the SAME `invoices` row, so Facturas lists, prints and sends it like any invoice:
//! one fenced UPDATE (only `queued`, without a number and not held) moves it to the contingency
//! point of sale with the next local number, marks it authorized with `emission = 'CAEA'` and the
//! CAEA as its code, and inserts the `caea_invoices` row the inform job reports, in the same
//! transaction. A number taken under the CAE (submitting, in doubt) fails the fence: that invoice
//! stays on its path and is never renumbered, so one sale never gets both a CAE and a CAEA.

use mostrador_afip::wsfe::envelope;
use sha2::Digest;

use super::{ymd, CaeaError, Contingency, IssuedCaeaInvoice};
use crate::invoicing::model::InvoiceState;
use crate::invoicing::repo;
use crate::org::OrgId;
use crate::store::timestamp;

/// Who asks for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    /// The owner ("Emitir con CAEA"): only while AFIP is not answering the submissions.
    Owner,
    /// The submission just failed with AFIP unreachable and the contingency is automatic.
    Automatic,
}

/// AFIP did not answer the business's submissions: some unfinished `afip.submit` job's last
/// attempt ended `afip_pending` (unreachable, 5xx, timeout, in doubt; a rejection ends the
/// invoice instead). Org-wide because a queued invoice may wait behind one in doubt on its
/// sequence and never be attempted itself.
async fn afip_unreachable(
    conn: &mut sqlx::SqliteConnection,
    org: OrgId,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM jobs WHERE org_id = ? AND kind = 'afip.submit'
                  AND finished_at IS NULL AND json_extract(errors, '$[#-1].code') = 'afip_pending')",
    )
    .bind(org.to_string())
    .fetch_one(&mut *conn)
    .await
}

impl Contingency {
    /// Automatic contingency, AFIP unreachable on invoice `invoice_id`'s submission: every other
    /// queued invoice without a number on its (CUIT, point of sale, voucher type) is issued with
    /// the CAEA too, oldest first. Their submissions wait behind `invoice_id`'s in the queue (one
    /// per sequence), and when it is in doubt — it may have been authorized, so it keeps its number
    /// under the CAE until FECompConsultar answers — that wait has no end while AFIP is down.
    /// `invoice_id` itself is left to [`Contingency::issue_queued`]. Stops at the first failure
    /// that is not about one invoice (no CAEA for the date, the store).
    pub async fn issue_queued_behind(
        &self,
        org: OrgId,
        invoice_id: i64,
    ) -> Result<Vec<IssuedCaeaInvoice>, CaeaError> {
        let seq = {
            let mut conn = self.store.reader().acquire().await?;
            match repo::get(&mut conn, invoice_id)
                .await?
                .filter(|i| i.org_id == org)
            {
                Some(inv) => inv.seq,
                None => return Ok(Vec::new()),
            }
        };
        let waiting: Vec<i64> = sqlx::query_scalar(
            "SELECT id FROM invoices
             WHERE org_id = ? AND issuer_cuit = ? AND point_of_sale = ? AND voucher_type = ?
               AND state = 'queued' AND number IS NULL AND hold IS NULL AND id <> ?
             ORDER BY id",
        )
        .bind(org.to_string())
        .bind(seq.cuit.digits())
        .bind(seq.point_of_sale as i64)
        .bind(seq.voucher_type as i64)
        .bind(invoice_id)
        .fetch_all(self.store.reader())
        .await?;
        let mut issued = Vec::new();
        for id in waiting {
            match self.issue_queued(org, id, Trigger::Automatic).await {
                Ok(done) => issued.push(done),
                // Taken by its own submission meanwhile: it stays on the CAE path.
                Err(CaeaError::NotEligible(why)) => {
                    tracing::info!(invoice_id = id, why, "not issued with CAEA")
                }
                Err(e) => return Err(e),
            }
        }
        if !issued.is_empty() {
            tracing::info!(%org, blocked_by = invoice_id, count = issued.len(), "queued invoices behind an unanswered one issued with CAEA");
        }
        Ok(issued)
    }

    /// Issues queued invoice `invoice_id` with the CAEA (see the module). Returns what it got.
    pub async fn issue_queued(
        &self,
        org: OrgId,
        invoice_id: i64,
        trigger: Trigger,
    ) -> Result<IssuedCaeaInvoice, CaeaError> {
        if !self.enabled(org).await? {
            return Err(CaeaError::Disabled);
        }
        let pos = *self
            .points_of_sale(org)
            .await?
            .first()
            .ok_or(CaeaError::Disabled)?;
        let inv = {
            let mut conn = self.store.reader().acquire().await?;
            let inv = repo::get(&mut conn, invoice_id)
                .await?
                .filter(|i| i.org_id == org)
                .ok_or(CaeaError::NotEligible("no such invoice"))?;
            if trigger == Trigger::Owner && !afip_unreachable(&mut conn, org).await? {
                return Err(CaeaError::AfipAnswering);
            }
            inv
        };
        if inv.state != InvoiceState::Queued || inv.number.is_some() {
            return Err(CaeaError::NotEligible(
                "it already has a number under the CAE (or a final state): it stays on that path",
            ));
        }
        if inv.hold.is_some() {
            return Err(CaeaError::NotEligible(
                "it waits for the owner to confirm its date",
            ));
        }
        let mut draft = inv.draft.clone();
        draft.point_of_sale = pos;
        let invoice = super::revalidate(&draft)?;
        let caea = self
            .caea_for(org, invoice.date)
            .await?
            .filter(|c| (c.valid_from..=c.valid_to).contains(&invoice.date))
            .ok_or(CaeaError::NoCaea(invoice.date))?;
        let tipo = invoice.voucher_type.code();
        let now = self.now();
        let at = timestamp::to_text(now);
        let generated_at = self.local_now().format("%Y-%m-%dT%H:%M:%S").to_string();
        let draft_json =
            serde_json::to_string(&draft).map_err(|e| CaeaError::Invalid(e.to_string()))?;

        let mut tx = self.store.begin_immediate().await?;
        // The next number of the contingency sequence: past every CAEA row and every invoice
        // row on it (the same sequence at AFIP).
        let number: i64 = sqlx::query_scalar(
            "SELECT max(
                (SELECT coalesce(max(number), 0) FROM caea_invoices
                  WHERE org_id = ?1 AND point_of_sale = ?2 AND voucher_type = ?3),
                (SELECT coalesce(max(number), 0) FROM invoices
                  WHERE issuer_cuit = ?4 AND point_of_sale = ?2 AND voucher_type = ?3)) + 1",
        )
        .bind(org.to_string())
        .bind(pos as i64)
        .bind(tipo as i64)
        .bind(inv.seq.cuit.digits())
        .fetch_one(&mut *tx)
        .await?;
        // The payload column holds what identifies the voucher (the same FECAEDetRequest shape).
        let xml = envelope::fe_det_request(&invoice, number as u64);
        let sha = hex::encode(sha2::Sha256::digest(xml.as_bytes()));
        let switched = sqlx::query(
            "UPDATE invoices SET point_of_sale = ?, draft_json = ?, number = ?, payload_xml = ?,
                    payload_sha256 = ?, state = 'authorized', emission = 'CAEA', cae = ?, cae_due = ?,
                    authorized_at = ?, warning = NULL, updated_at = ?
             WHERE id = ? AND org_id = ? AND state = 'queued' AND number IS NULL AND hold IS NULL",
        )
        .bind(pos as i64)
        .bind(&draft_json)
        .bind(number)
        .bind(&xml)
        .bind(&sha)
        .bind(caea.code.to_string())
        .bind(ymd(caea.valid_to))
        .bind(&at)
        .bind(&at)
        .bind(invoice_id)
        .bind(org.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if !switched {
            // The submission took a number meanwhile: the CAE path owns it now.
            return Err(CaeaError::NotEligible(
                "the submission to AFIP took it meanwhile",
            ));
        }
        let caea_id: i64 = sqlx::query_scalar(
            "INSERT INTO caea_invoices (org_id, point_of_sale, voucher_type, number, caea, date,
               generated_at, draft_json, total_cents, state, created_at, updated_at, invoice_id)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?, ?) RETURNING id",
        )
        .bind(org.to_string())
        .bind(pos as i64)
        .bind(tipo as i64)
        .bind(number)
        .bind(caea.code.to_string())
        .bind(ymd(invoice.date))
        .bind(&generated_at)
        .bind(&draft_json)
        .bind(invoice.amounts.total.cents())
        .bind(&at)
        .bind(&at)
        .bind(invoice_id)
        .fetch_one(&mut *tx)
        .await?;
        let who = match trigger {
            Trigger::Owner => "el dueño eligió",
            Trigger::Automatic => "automático:",
        };
        repo::history(
            &mut tx,
            invoice_id,
            Some(InvoiceState::Queued),
            InvoiceState::Authorized,
            Some(number as u64),
            &format!(
                "AFIP no respondía; {who} emitirla en contingencia con el CAEA {} en el punto de venta {pos} (se informa a AFIP antes del {})",
                caea.code,
                caea.report_by.format("%d/%m/%Y")
            ),
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(%org, invoice_id, caea_id, point_of_sale = pos, voucher_type = tipo, number, "queued invoice issued with CAEA");
        self.announce_caea_row(caea_id).await;
        // Informed as soon as AFIP answers again (retried with backoff), not at the next slot.
        let kick = match super::job::soon(org, now, caea_id) {
            Ok(j) => mostrador_queue::Queue::new(self.store.writer().clone())
                .enqueue(&j)
                .await
                .map(|_| ()),
            Err(e) => Err(e),
        };
        if let Err(e) = kick {
            tracing::warn!(error = %e, "CAEA inform pass not queued; the periodic one informs it");
        }
        Ok(IssuedCaeaInvoice {
            id: caea_id,
            point_of_sale: pos,
            voucher_type: tipo,
            number: number as u64,
            caea: caea.code,
        })
    }
}
