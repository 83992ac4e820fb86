//! "Enviar al cliente": an authorized invoice becomes a `factura` notice to its customer, which
//! goes by the first channel that works ([`crate::notifications`], default WhatsApp → SMS →
//! e-mail): on WhatsApp the `factura_disponible` template with the PDF as its document header; by
//! SMS a short text without the PDF; by e-mail the PDF attached. Once per invoice and customer: a
//! double click or a retried command finds the notice already there.

use std::path::Path;

use mostrador_afip::invoice::VoucherType;
use mostrador_queue::Queue;

use super::document::{self, DocumentError, PrintLayout};
use super::repo;
use crate::channels::email::AttachmentRef;
use crate::customers;
use crate::error::{AppError, ErrorCode};
use crate::events::EventBus;
use crate::notifications::{self, NewNotice, NotifyError, SentNotice};
use crate::org::OrgId;
use crate::payments::format_ars;
use crate::store::{Store, StoreError};
use crate::templates::{
    self, ContextField, HeaderFile, SendTemplate, TemplateContext, TemplateError,
};

/// The suggested template that carries an invoice (document header = the PDF).
pub const TEMPLATE: &str = "factura_disponible";
pub const LANGUAGE: &str = "es_AR";
/// The notification type (its chain is set per type).
pub const NOTICE_KIND: &str = "factura";

#[derive(Debug, thiserror::Error)]
pub enum SendInvoiceError {
    #[error(transparent)]
    Document(#[from] DocumentError),
    #[error(transparent)]
    Template(#[from] TemplateError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The invoice names no customer of this business (a sale at the counter).
    #[error("la factura no tiene un cliente")]
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
            SendInvoiceError::Notify(n) => n.into(),
            SendInvoiceError::Store(s) => s.into(),
            SendInvoiceError::NoCustomer => AppError::new(
                ErrorCode::TemplateRecipientMissing,
                "Esta factura no tiene un cliente: facturala desde su conversación para poder enviarla.",
            ),
        }
    }
}

/// Why WhatsApp cannot carry the invoice (for the thread: "enviado por correo porque WhatsApp
/// falló: …"), or the error when it is not about WhatsApp at all.
fn whatsapp_unusable(e: TemplateError) -> Result<String, SendInvoiceError> {
    Ok(match e {
        TemplateError::NotFound { .. } => {
            format!("la plantilla {TEMPLATE} no existe: creala en Plantillas")
        }
        TemplateError::NotApproved { status, .. } => {
            format!("la plantilla {TEMPLATE} no está aprobada ({status})")
        }
        TemplateError::NoRecipient => "el cliente no tiene WhatsApp".into(),
        TemplateError::OptedOut {
            marketing_only: true,
        } => format!(
            "Meta pasó la plantilla {TEMPLATE} a Marketing y el cliente no recibe publicidad"
        ),
        TemplateError::OptedOut { .. } => "el cliente pidió no recibir mensajes".into(),
        TemplateError::Invalid { message_es, .. } => message_es,
        other => return Err(other.into()),
    })
}

/// Sends authorized invoice `id` to `customer_id`, or to the customer it was issued to.
pub async fn send_to_customer(
    store: &Store,
    queue: &Queue,
    events: &EventBus,
    data_dir: &Path,
    org: OrgId,
    id: i64,
    customer_id: Option<i64>,
) -> Result<SentNotice, SendInvoiceError> {
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
    let shown_number = format!("{letter}{:05}-{number:08}", inv.seq.point_of_sale);
    let total = format_ars(inv.total.cents());
    // The PDF is content-addressed (`<sha256>.pdf`): the same invoice is the same file, however
    // often it is sent, and the e-mail job checks it is still that content.
    let pdf = document::render_to_store(store, data_dir, org, id, PrintLayout::A4).await?;
    let filename = document::file_name(store, org, id).await?;
    let sha256 = pdf
        .file_stem()
        .and_then(|s| s.to_str())
        .filter(|s| s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit()))
        .map(str::to_owned);
    let path = pdf.to_string_lossy().into_owned();
    let template = SendTemplate {
        customer_id,
        name: TEMPLATE.into(),
        language: LANGUAGE.into(),
        params: Default::default(),
        context: TemplateContext::default()
            .with(ContextField::CustomerName, customer.display_name())
            .with(ContextField::InvoiceNumber, shown_number.clone())
            .with(ContextField::InvoiceTotal, total.clone()),
        header_media_id: None,
        header_file: Some(HeaderFile {
            path: path.clone(),
            mime_type: "application/pdf".into(),
        }),
        header_filename: Some(filename.clone()),
        idempotency_key: format!("invoice:{id}:whatsapp:{customer_id}"),
    };
    let (whatsapp, whatsapp_preview, whatsapp_unusable) =
        match templates::prepare_template(store, org, &template).await {
            Ok(p) => (Some(p.send.content), Some(p.preview), None),
            Err(e) => (None, None, Some(whatsapp_unusable(e)?)),
        };
    let notice = NewNotice {
        customer_id,
        kind: NOTICE_KIND.into(),
        subject: format!("Tu factura {shown_number}"),
        // The SMS, and the e-mail's text (which adds the greeting, the attachment and the shop).
        body: format!("Tu factura {shown_number} por {total} ya fue emitida."),
        whatsapp,
        whatsapp_preview,
        whatsapp_unusable,
        attachments: vec![AttachmentRef {
            filename,
            content_type: "application/pdf".into(),
            path,
            sha256,
        }],
        idempotency_key: Some(format!("invoice:{id}:customer:{customer_id}")),
    };
    let sent = notifications::send_notice_once(store, queue, events, org, &notice).await?;
    tracing::info!(
        invoice_id = id,
        customer_id,
        notice_id = sent.notice_id,
        channel = sent.channel.as_str(),
        already_sent = sent.already_sent,
        "invoice sent to the customer (queued)"
    );
    Ok(sent)
}

/// The former name ("Enviar por WhatsApp"): the invoice now goes by the first channel that works.
pub use self::send_to_customer as send_by_whatsapp;
