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
pub mod document;
pub mod list;
pub mod model;
pub mod padron;
pub mod repo;
pub mod runtime;
pub mod send;
pub mod session;
pub mod submit;
pub mod validate;

use std::sync::Arc;

use mostrador_afip::invoice::{InvoiceSettings, Money, VoucherKind, VoucherType};
use mostrador_queue::{Clock, Enqueued, NewJob, Queue, QueueError};
use sqlx::Row;

pub use model::{FieldError, InvoiceEvent, InvoiceState, NewInvoice};
pub use runtime::AfipRuntime;
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
    events: Option<tokio::sync::broadcast::Sender<InvoiceEvent>>,
}

impl Invoicing {
    pub fn new(store: Store, queue: Queue, setups: AfipSetups, clock: Arc<dyn Clock>) -> Self {
        Invoicing {
            store,
            queue,
            setups,
            clock,
            events: None,
        }
    }

    /// Announces the invoices it queues (the submissions announce the rest).
    pub fn with_events(mut self, events: tokio::sync::broadcast::Sender<InvoiceEvent>) -> Self {
        self.events = Some(events);
        self
    }

    fn announce(&self, org_id: OrgId, invoice_id: i64, state: InvoiceState) {
        if let Some(events) = &self.events {
            let _ = events.send(InvoiceEvent {
                org_id,
                invoice_id,
                state,
                hold: None,
            });
        }
    }

    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
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
        self.create_keyed(org, new, None).await
    }

    /// [`Invoicing::create`] with the window's idempotency key: the same key again (a double
    /// click, a command retried after a lost answer) returns the first invoice and queues
    /// nothing. The key is the job's `unique_key`, checked in the same transaction.
    pub async fn create_once(
        &self,
        org: OrgId,
        key: &str,
        new: NewInvoice,
    ) -> Result<i64, InvoicingError> {
        let key = key.trim();
        if key.is_empty() || key.len() > 100 {
            return Err(FieldError::new(
                "idempotency_key",
                "IDEMPOTENCY_KEY",
                "Falta la clave de la operación (actualizá la ventana).",
            )
            .into());
        }
        self.create_keyed(org, new, Some(key)).await
    }

    /// Only validates (the window shows the errors beside the fields before queuing): the
    /// amounts and the voucher type the invoice would have.
    pub async fn check(
        &self,
        org: OrgId,
        new: &NewInvoice,
    ) -> Result<validate::Prepared, InvoicingError> {
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
        Ok(validate::prepare(
            new,
            &issuer,
            &settings,
            associated.as_ref(),
            today,
        )?)
    }

    async fn create_keyed(
        &self,
        org: OrgId,
        new: NewInvoice,
        key: Option<&str>,
    ) -> Result<i64, InvoicingError> {
        let prepared = self.check(org, &new).await?;
        let cuit = org::get(&self.store, org).await?.cuit;
        let seq = repo::Sequence {
            cuit,
            point_of_sale: prepared.invoice.point_of_sale,
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
        let wake = match self.enqueue(&mut tx, org, id, &seq, key).await? {
            Ok(wake) => wake,
            Err(existing) => {
                // Same key as an earlier call: that invoice stands; this row never existed.
                drop(tx);
                let job = self
                    .queue
                    .get(existing)
                    .await?
                    .ok_or(InvoicingError::NotFound)?;
                let first: SubmitPayload = serde_json::from_str(&job.payload).map_err(|e| {
                    InvoicingError::Store(StoreError::Sqlx(sqlx::Error::Protocol(e.to_string())))
                })?;
                tracing::info!(
                    invoice_id = first.invoice_id,
                    "same idempotency key: the first invoice stands"
                );
                return Ok(first.invoice_id);
            }
        };
        tx.commit().await?;
        wake.after_commit();
        tracing::info!(
            invoice_id = id,
            voucher_type = seq.voucher_type,
            "invoice queued"
        );
        self.announce(org, id, InvoiceState::Queued);
        Ok(id)
    }

    /// Enqueues the submission; `Err(job)` when `key` was already used (nothing inserted).
    async fn enqueue(
        &self,
        tx: &mut sqlx::SqliteConnection,
        org: OrgId,
        id: i64,
        seq: &repo::Sequence,
        key: Option<&str>,
    ) -> Result<Result<mostrador_queue::Wake, mostrador_queue::JobId>, InvoicingError> {
        // An invoice never gives up: it stays queued until AFIP answers (attempts are only a
        // count here), and one sequence goes out in order, one at a time.
        let mut job = NewJob::new(org.0, KIND, &SubmitPayload { invoice_id: id })?
            .serial_key(seq.serial_key())
            .max_attempts(i32::MAX as u32);
        if let Some(key) = key {
            job = job.unique_key(format!("invoice:{key}"));
        }
        let (enq, wake) = self.queue.enqueue_in(tx, &job).await?;
        let job_id = match enq {
            Enqueued::Inserted(job_id) => job_id,
            Enqueued::AlreadyExists(job_id) if key.is_some() => return Ok(Err(job_id)),
            Enqueued::AlreadyExists(job_id) => job_id,
        };
        repo::set_job(tx, id, job_id.0).await?;
        Ok(Ok(wake))
    }

    /// "Hacer nota de crédito": a credit note for all of authorized factura `id` (same receiver,
    /// lines and currency), for the window to trim to a partial one before queuing it.
    pub async fn credit_note_draft(
        &self,
        org: OrgId,
        id: i64,
    ) -> Result<NewInvoice, InvoicingError> {
        // Refuses what cannot be credited (not authorized, not a factura), naming the field.
        let info = self.associated(org, id).await?;
        if info.remaining.cents() <= 0 {
            return Err(FieldError::new(
                "associated_invoice_id",
                "NOTHING_LEFT_TO_CREDIT",
                "Esa factura ya tiene notas de crédito por todo su importe.",
            )
            .into());
        }
        let mut conn = self
            .store
            .reader()
            .acquire()
            .await
            .map_err(StoreError::Sqlx)?;
        let inv = repo::get(&mut conn, id)
            .await?
            .ok_or(InvoicingError::NotFound)?;
        let row = sqlx::query(
            "SELECT receiver_name, receiver_address, customer_id FROM invoices WHERE id = ?",
        )
        .bind(id)
        .fetch_one(&mut *conn)
        .await?;
        let items = sqlx::query(
            "SELECT description, quantity_hundredths, unit_price_cents, discount_cents, iva
             FROM invoice_items WHERE invoice_id = ? ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .into_iter()
        .map(|r| {
            let discount: i64 = r.get("discount_cents");
            model::ItemInput {
                description: r.get("description"),
                quantity: decimal(r.get("quantity_hundredths")),
                unit_price: decimal(r.get("unit_price_cents")),
                discount: (discount != 0).then(|| decimal(discount)),
                iva: model::ItemIva::parse(&r.get::<String, _>("iva")),
            }
        })
        .collect();
        let draft = &inv.draft;
        use mostrador_afip::invoice::ReceiverDoc;
        let doc = match draft.receiver.doc {
            ReceiverDoc::Cuit(c) => model::ReceiverDocInput::Cuit(c.digits()),
            ReceiverDoc::Cuil(c) => model::ReceiverDocInput::Cuil(c.digits()),
            ReceiverDoc::Dni(n) => model::ReceiverDocInput::Dni(n.to_string()),
            _ => model::ReceiverDocInput::ConsumidorFinal,
        };
        let concept = match draft.concept.service_period() {
            None => model::ConceptInput::default(),
            Some(p) => model::ConceptInput {
                kind: match draft.concept {
                    mostrador_afip::invoice::Concept::Services(_) => model::ConceptKind::Services,
                    _ => model::ConceptKind::Both,
                },
                service_from: Some(p.from),
                service_to: Some(p.to),
                payment_due: Some(p.payment_due),
            },
        };
        Ok(NewInvoice {
            kind: model::DocumentKind::NotaCredito,
            date: None,
            concept,
            receiver: model::ReceiverInput {
                doc,
                condition: draft.receiver.condition,
                name: row.get("receiver_name"),
                address: row.get("receiver_address"),
            },
            items,
            currency: (!draft.currency.is_pesos()).then(|| model::CurrencyInput {
                code: draft.currency.code.clone(),
                rate: draft.currency.rate.to_wire(),
            }),
            associated_invoice_id: Some(id),
            customer_id: row.get("customer_id"),
        })
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
        let wake = match self.enqueue(&mut tx, org, id, &inv.seq, None).await? {
            Ok(wake) => wake,
            Err(_) => unreachable!("no key, no conflict"),
        };
        tx.commit().await?;
        wake.after_commit();
        self.announce(org, id, InvoiceState::Queued);
        Ok(())
    }
}

/// Hundredths as the decimal string the form takes (`150` → `1.50`).
fn decimal(hundredths: i64) -> String {
    let sign = if hundredths < 0 { "-" } else { "" };
    let h = hundredths.unsigned_abs();
    format!("{sign}{}.{:02}", h / 100, h % 100)
}
