//! Facturas (issue 13): validated locally, stored, and submitted to AFIP by the `afip.submit` job
//! so that an invoice is never issued twice and a sequence never has an unexplained gap, online
//! or offline (design §6). `src-tauri` calls the [`Invoicing`] façade.
//!
//! - [`model`]: what the owner types and the states;
//! - [`validate`]: local rules naming the field, the voucher class, totals from `crates/afip`;
//! - [`repo`]: the rows and their fenced state changes;
//! - [`session`]: the AFIP setup per organization and the WSAA ticket (one login per backlog);
//! - [`submit`]: the job handler (numbering, in-doubt resolution, reconciliation, date windows).

pub mod caea;
pub mod certificate;
pub mod list;
pub mod model;
pub mod padron;
pub mod repo;
pub mod session;
pub mod submit;
pub mod validate;

use std::sync::Arc;

use mostrador_afip::invoice::{InvoiceSettings, Money, VoucherKind, VoucherType};
use mostrador_queue::{Clock, Enqueued, NewJob, Queue, QueueError};
use sqlx::Row;

pub use model::{FieldError, InvoiceState, NewInvoice};
pub use session::{AfipSetup, AfipSetups, Tickets};
pub use submit::{SubmitHandler, SubmitPayload, KIND};

use crate::error::{AppError, ErrorCode};
use crate::org::{self, OrgError, OrgId};
use crate::settings;
use crate::store::{Store, StoreError};
use validate::{AssociatedInfo, Issuer};

/// Setting (org): the final-consumer identification threshold in ARS cents (RG 5700/2025 default).
pub const SETTING_IDENTIFICATION_THRESHOLD: &str = "invoicing.identification_threshold_cents";

#[derive(Debug, thiserror::Error)]
pub enum InvoicingError {
    #[error(transparent)]
    Field(#[from] FieldError),
    #[error("AFIP is not set up for this business (certificate and point of sale)")]
    NotConfigured,
    #[error("no such invoice")]
    NotFound,
    #[error("the invoice is not waiting for the owner's confirmation")]
    NotHeld,
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] QueueError),
}

impl From<sqlx::Error> for InvoicingError {
    fn from(e: sqlx::Error) -> Self {
        InvoicingError::Store(StoreError::Sqlx(e))
    }
}

impl From<InvoicingError> for AppError {
    fn from(e: InvoicingError) -> Self {
        match e {
            InvoicingError::Field(f) => AppError::new(ErrorCode::InvoiceInvalid, f.message.clone())
                .with_details(serde_json::json!({ "field": f.field, "rule": f.rule })),
            InvoicingError::NotConfigured => AppError::new(
                ErrorCode::AfipNotConfigured,
                "Falta configurar ARCA (AFIP): cargá el certificado y elegí el punto de venta en Ajustes → AFIP.",
            ),
            InvoicingError::NotFound => {
                AppError::new(ErrorCode::InvoiceNotFound, "Esa factura no existe.")
            }
            InvoicingError::NotHeld => AppError::new(
                ErrorCode::InvoiceInvalid,
                "Esa factura ya no está esperando tu confirmación: actualizá la lista.",
            ),
            InvoicingError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "invoicing error");
                AppError::new(ErrorCode::Internal, "No se pudo guardar la factura.")
            }
        }
    }
}

/// The façade: create invoices (queued with their job in one transaction), confirm held ones.
#[derive(Clone)]
pub struct Invoicing {
    store: Store,
    queue: Queue,
    setups: AfipSetups,
    clock: Arc<dyn Clock>,
}

impl Invoicing {
    pub fn new(store: Store, queue: Queue, setups: AfipSetups, clock: Arc<dyn Clock>) -> Self {
        Invoicing {
            store,
            queue,
            setups,
            clock,
        }
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    async fn settings(&self, org: OrgId) -> Result<InvoiceSettings, InvoicingError> {
        let mut s = InvoiceSettings::default();
        if let Some(v) = settings::get(&self.store, Some(org), SETTING_IDENTIFICATION_THRESHOLD)
            .await
            .map_err(|e| {
                InvoicingError::Store(StoreError::Sqlx(sqlx::Error::Protocol(e.to_string())))
            })?
        {
            if let Ok(cents) = v.trim().parse::<i64>() {
                s.identification_threshold = Money::from_cents(cents);
            }
        }
        Ok(s)
    }

    /// The authorized invoice a note refers to, with what is left to credit.
    async fn associated(&self, org: OrgId, id: i64) -> Result<AssociatedInfo, InvoicingError> {
        let mut conn = self
            .store
            .reader()
            .acquire()
            .await
            .map_err(StoreError::Sqlx)?;
        let Some(inv) = repo::get(&mut conn, id).await? else {
            return Err(InvoicingError::NotFound);
        };
        let not_authorized = || {
            FieldError::new(
                "associated_invoice_id",
                "ASSOCIATED_NOT_AUTHORIZED",
                "La nota tiene que referirse a una factura autorizada por AFIP.",
            )
        };
        if inv.org_id != org {
            return Err(InvoicingError::NotFound);
        }
        let (InvoiceState::Authorized, Some(number)) = (inv.state, inv.number) else {
            return Err(not_authorized().into());
        };
        let vt = VoucherType::from_code(inv.seq.voucher_type).ok_or_else(not_authorized)?;
        if vt.kind != VoucherKind::Factura {
            return Err(not_authorized().into());
        }
        let credited: i64 = sqlx::query(
            "SELECT coalesce(sum(total_cents), 0) AS s FROM invoices
             WHERE associated_invoice_id = ? AND voucher_type IN (3, 8, 13) AND state <> 'rejected'",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?
        .get("s");
        Ok(AssociatedInfo {
            voucher_type: vt,
            point_of_sale: inv.seq.point_of_sale,
            number,
            date: inv.date,
            receiver: inv.draft.receiver,
            remaining: Money::from_cents(inv.total.cents() - credited),
        })
    }

    /// Validates and queues an invoice (or note): the row and its `afip.submit` job are written in
    /// one transaction. Returns the invoice id.
    pub async fn create(&self, org: OrgId, new: NewInvoice) -> Result<i64, InvoicingError> {
        let organization = org::get(&self.store, org).await?;
        let point_of_sale = self
            .setups
            .point_of_sale(org)
            .ok_or(InvoicingError::NotConfigured)?;
        let issuer = Issuer {
            cuit: organization.cuit,
            condition: organization.iva_condition,
            point_of_sale,
        };
        let settings = self.settings(org).await?;
        let associated = match new.associated_invoice_id {
            Some(id) => Some(self.associated(org, id).await?),
            None => None,
        };
        let today = submit::argentina_today(self.clock.now());
        let prepared = validate::prepare(&new, &issuer, &settings, associated.as_ref(), today)?;
        let seq = repo::Sequence {
            cuit: issuer.cuit,
            point_of_sale,
            voucher_type: prepared.invoice.voucher_type.code(),
        };
        let now = self.clock.now();
        let mut tx = self.store.begin_immediate().await?;
        let id = repo::insert(
            &mut tx,
            org,
            &prepared,
            InvoiceState::Queued,
            new.associated_invoice_id,
            new.customer_id.as_deref(),
            now,
        )
        .await?;
        let wake = self.enqueue(&mut tx, org, id, &seq).await?;
        tx.commit().await?;
        wake.after_commit();
        tracing::info!(
            invoice_id = id,
            voucher_type = seq.voucher_type,
            "invoice queued"
        );
        Ok(id)
    }

    async fn enqueue(
        &self,
        tx: &mut sqlx::SqliteConnection,
        org: OrgId,
        id: i64,
        seq: &repo::Sequence,
    ) -> Result<mostrador_queue::Wake, InvoicingError> {
        // An invoice never gives up: it stays queued until AFIP answers (attempts are only a
        // count here), and one sequence goes out in order, one at a time.
        let job = NewJob::new(org.0, KIND, &SubmitPayload { invoice_id: id })?
            .serial_key(seq.serial_key())
            .max_attempts(i32::MAX as u32);
        let (enq, wake) = self.queue.enqueue_in(tx, &job).await?;
        let (Enqueued::Inserted(job_id) | Enqueued::AlreadyExists(job_id)) = enq;
        repo::set_job(tx, id, job_id.0).await?;
        Ok(wake)
    }

    /// The owner confirms issuing a held invoice (its date fell out of AFIP's window, or is
    /// earlier than the last invoice) with today's date. Never done without this call.
    pub async fn confirm_with_today(&self, org: OrgId, id: i64) -> Result<(), InvoicingError> {
        let now = self.clock.now();
        let today = submit::argentina_today(now);
        let mut tx = self.store.begin_immediate().await?;
        let Some(inv) = repo::get(&mut tx, id).await? else {
            return Err(InvoicingError::NotFound);
        };
        if inv.org_id != org {
            return Err(InvoicingError::NotFound);
        }
        if inv.state != InvoiceState::Queued || inv.hold.is_none() {
            return Err(InvoicingError::NotHeld);
        }
        let mut draft = inv.draft.clone();
        let old = draft.date;
        draft.date = today;
        sqlx::query(
            "UPDATE invoices SET date = ?, draft_json = ?, hold = NULL, warning = NULL, updated_at = ?
             WHERE id = ? AND state = 'queued' AND hold IS NOT NULL",
        )
        .bind(today.to_string())
        .bind(serde_json::to_string(&draft).expect("the draft serializes"))
        .bind(crate::store::timestamp::to_text(now))
        .bind(id)
        .execute(&mut *tx)
        .await?;
        repo::history(
            &mut tx,
            id,
            Some(InvoiceState::Queued),
            InvoiceState::Queued,
            None,
            &format!("el dueño confirmó emitirla con fecha de hoy ({today}; antes {old})"),
            now,
        )
        .await?;
        let wake = self.enqueue(&mut tx, org, id, &inv.seq).await?;
        tx.commit().await?;
        wake.after_commit();
        Ok(())
    }
}
