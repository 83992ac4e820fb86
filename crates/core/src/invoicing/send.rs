//! "Enviar por WhatsApp": an authorized invoice goes to its customer as the `factura_disponible`
//! template with the invoice PDF as its document header, through the queue like any template
//! (the message row and its job in one transaction; the job uploads the PDF). Once per invoice:
//! a double click or a retried command finds the message already queued.

use std::path::Path;

use mostrador_afip::invoice::VoucherType;
use mostrador_queue::Queue;

use super::document::{self, DocumentError, PrintLayout};
use super::repo;
use crate::customers;
use crate::error::{AppError, ErrorCode};
use crate::events::EventBus;
use crate::org::OrgId;
use crate::payments::format_ars;
use crate::store::{Store, StoreError};
use crate::templates::{
    self, ContextField, HeaderFile, SendTemplate, SentTemplate, TemplateContext, TemplateError,
};

/// The suggested template that carries an invoice (document header = the PDF).
pub const TEMPLATE: &str = "factura_disponible";
pub const LANGUAGE: &str = "es_AR";

#[derive(Debug, thiserror::Error)]
pub enum SendInvoiceError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The invoice names no customer of this business (a sale at the counter).
    #[error("la factura no tiene un cliente con WhatsApp")]
    NoCustomer,
}

impl From<sqlx::Error> for SendInvoiceError {
    fn from(e: sqlx::Error) -> Self {
        SendInvoiceError::Store(StoreError::Sqlx(e))
    }
}

impl From<SendInvoiceError> for AppError {
    fn from(e: SendInvoiceError) -> Self {
        match e {
            SendInvoiceError::Document(d) => d.into(),
            SendInvoiceError::Template(t) => t.into(),
            SendInvoiceError::Store(s) => s.into(),
            SendInvoiceError::NoCustomer => AppError::new(
                ErrorCode::TemplateRecipientMissing,
                "Esta factura no tiene un cliente con WhatsApp: facturala desde su conversación para poder enviarla.",
            ),
        }
    }
}

/// Sends authorized invoice `id` to `customer_id`, or to the customer it was issued to.
pub async fn send_by_whatsapp(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    data_dir: &Path,
    org: OrgId,
    id: i64,
    customer_id: Option<i64>,
) -> Result<SentTemplate, SendInvoiceError> {
    let (inv, stored_customer) = {
        let mut conn = store.reader().acquire().await?;
        let inv = repo::get(&mut conn, id)
            .await?
            .filter(|i| i.org_id == org)
            .ok_or(DocumentError::NotFound)?;
        let stored: Option<String> =
            sqlx::query_scalar("SELECT customer_id FROM invoices WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
        (inv, stored)
    };
    let number = inv.number.ok_or(DocumentError::NotAuthorized)?;
    let customer_id = customer_id
        .or_else(|| stored_customer.and_then(|c| c.parse().ok()))
        .ok_or(SendInvoiceError::NoCustomer)?;
    let customer = customers::get(store.reader(), org, customer_id)
        .await?
        .ok_or(SendInvoiceError::NoCustomer)?;
    let letter = VoucherType::from_code(inv.seq.voucher_type)
        .map(|vt| format!("{:?} ", vt.class))
        .unwrap_or_default();
    // The PDF is content-addressed: the same invoice is the same file, however often it is sent.
    let pdf = document::render_to_store(store, data_dir, org, id, PrintLayout::A4).await?;
    let req = SendTemplate {
        customer_id,
        name: TEMPLATE.into(),
        language: LANGUAGE.into(),
        params: Default::default(),
        context: TemplateContext::default()
            .with(ContextField::CustomerName, customer.display_name())
            .with(
                ContextField::InvoiceNumber,
                format!("{letter}{:05}-{number:08}", inv.seq.point_of_sale),
            )
            .with(ContextField::InvoiceTotal, format_ars(inv.total.cents())),
        header_media_id: None,
        header_file: Some(HeaderFile {
            path: pdf.to_string_lossy().into_owned(),
            mime_type: "application/pdf".into(),
        }),
        header_filename: Some(document::file_name(store, org, id).await?),
        idempotency_key: format!("invoice:{id}:whatsapp:{customer_id}"),
    };
    tracing::info!(
        invoice_id = id,
        customer_id,
        "invoice sent by WhatsApp (queued)"
    );
    Ok(templates::send_template(store, queue, events, org, req).await?)
}
