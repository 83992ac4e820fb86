//! The printout of an authorized invoice: the row, its items and the issuer data of Ajustes →
//! AFIP become a `mostrador_documents::InvoiceDocument`, rendered (A4 or 80 mm ticket) and kept
//! on disk content-addressed by sha256 (`<data>/documents/<sha256>.pdf`), so a reprint is the
//! same file and nothing large lives in SQLite.

use std::path::{Path, PathBuf};

use mostrador_afip::invoice::{IvaRate, VoucherClass, VoucherType};
use mostrador_afip::qr::{AuthorizationKind, DEFAULT_QR_URL};
use mostrador_documents::{
    Authorization, Customer, InvoiceDocument, Issuer, Layout, Line, LineIva, Quantity, ServiceDates,
};
use mostrador_types::Money;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::certificate::IssuerProfile;
use super::model::{InvoiceState, ItemIva};
use super::repo;
use crate::error::{AppError, ErrorCode};
use crate::org::{self, OrgId};
use crate::store::{Store, StoreError};

/// Folder under the data dir.
pub const DOCUMENTS_DIR: &str = "documents";

/// A4 invoice or 80 mm ticket, as the window asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum PrintLayout {
    A4,
    Ticket,
}

impl From<PrintLayout> for Layout {
    fn from(l: PrintLayout) -> Layout {
        match l {
            PrintLayout::A4 => Layout::A4,
            PrintLayout::Ticket => Layout::Ticket80,
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("no such invoice")]
    NotFound,
    #[error("only an invoice authorized by AFIP (with its CAE) can be printed or sent")]
    NotAuthorized,
    #[error("the issuer data for the printout is incomplete: {0}")]
    IssuerIncomplete(&'static str),
    #[error("stored invoice unreadable: {0}")]
    Corrupt(String),
    #[error("rendering failed: {0}")]
    Render(#[from] mostrador_documents::RenderError),
    #[error("writing {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Org(#[from] crate::org::OrgError),
    #[error(transparent)]
    Cert(#[from] super::certificate::CertError),
}

impl From<sqlx::Error> for DocumentError {
    fn from(e: sqlx::Error) -> Self {
        DocumentError::Store(StoreError::Sqlx(e))
    }
}

impl From<DocumentError> for AppError {
    fn from(e: DocumentError) -> Self {
        match e {
            DocumentError::NotFound => {
                AppError::new(ErrorCode::InvoiceNotFound, "Esa factura no existe.")
            }
            DocumentError::NotAuthorized => AppError::new(
                ErrorCode::InvoiceInvalid,
                "Solo se puede imprimir o enviar una factura autorizada por AFIP (con CAE).",
            ),
            DocumentError::IssuerIncomplete(field) => AppError::new(
                ErrorCode::InvoiceInvalid,
                "Faltan datos del emisor para imprimir: completalos en Ajustes → AFIP.",
            )
            .with_details(serde_json::json!({ "field": field })),
            DocumentError::Store(s) => s.into(),
            other => {
                tracing::error!(error = %other, "invoice document failed");
                AppError::new(
                    ErrorCode::Internal,
                    "No se pudo generar el PDF de la factura.",
                )
            }
        }
    }
}

fn corrupt(e: impl std::fmt::Display) -> DocumentError {
    DocumentError::Corrupt(e.to_string())
}

/// The printable document of authorized invoice `id` of `org`.
pub async fn build(store: &Store, org: OrgId, id: i64) -> Result<InvoiceDocument, DocumentError> {
    let mut conn = store.reader().acquire().await.map_err(StoreError::Sqlx)?;
    let inv = repo::get(&mut conn, id)
        .await?
        .filter(|i| i.org_id == org)
        .ok_or(DocumentError::NotFound)?;
    if inv.state != InvoiceState::Authorized {
        return Err(DocumentError::NotAuthorized);
    }
    let r = sqlx::query(
        "SELECT number, cae, cae_due, receiver_name, receiver_address, emission FROM invoices WHERE id = ?",
    )
    .bind(id)
    .fetch_one(&mut *conn)
    .await?;
    let number = r
        .get::<Option<i64>, _>("number")
        .ok_or(DocumentError::NotAuthorized)? as u64;
    let cae: u64 = r
        .get::<Option<String>, _>("cae")
        .ok_or(DocumentError::NotAuthorized)?
        .parse()
        .map_err(corrupt)?;
    let due = r
        .get::<Option<String>, _>("cae_due")
        .ok_or(DocumentError::NotAuthorized)?
        .parse()
        .map_err(corrupt)?;
    let voucher_type = VoucherType::from_code(inv.seq.voucher_type)
        .ok_or_else(|| corrupt(format!("voucher type {}", inv.seq.voucher_type)))?;
    let class = voucher_type.class;
    let items = sqlx::query(
        "SELECT description, quantity_hundredths, unit_price_cents, discount_cents, iva, amount_cents
         FROM invoice_items WHERE invoice_id = ? ORDER BY position",
    )
    .bind(id)
    .fetch_all(&mut *conn)
    .await?;
    let mut lines = Vec::with_capacity(items.len());
    for it in items {
        let iva = it.get::<String, _>("iva");
        let iva = match ItemIva::parse(&iva) {
            None => LineIva::None,
            Some(ItemIva::Exento) => LineIva::Exempt,
            Some(ItemIva::NoGravado) => LineIva::NotTaxed,
            Some(rate) => LineIva::Rate(match rate {
                ItemIva::Zero => IvaRate::Zero,
                ItemIva::TwoPointFive => IvaRate::TwoPointFive,
                ItemIva::Five => IvaRate::Five,
                ItemIva::TenPointFive => IvaRate::TenPointFive,
                ItemIva::TwentyOne => IvaRate::TwentyOne,
                _ => IvaRate::TwentySeven,
            }),
        };
        let unit = Money::from_cents(it.get("unit_price_cents"));
        let discount = Money::from_cents(it.get("discount_cents"));
        let amount = Money::from_cents(it.get("amount_cents"));
        // Class B prints prices with the IVA included (class A itemizes it; C has none).
        let gross = |m: Money| match (class, iva) {
            (VoucherClass::B, LineIva::Rate(rate)) => rate
                .basis_points()
                .of(m)
                .and_then(|tax| m.checked_add(tax))
                .unwrap_or(m),
            _ => m,
        };
        lines.push(Line {
            description: it.get("description"),
            quantity: Quantity(it.get::<i64, _>("quantity_hundredths") * 10),
            unit_price: gross(unit),
            discount: gross(discount),
            iva: if class == VoucherClass::C {
                LineIva::None
            } else {
                iva
            },
            subtotal: gross(amount),
        });
    }
    drop(conn);

    let organization = org::get(store, org).await?;
    let profile = IssuerProfile::load(store, org).await?;
    if profile.address.trim().is_empty() {
        return Err(DocumentError::IssuerIncomplete("address"));
    }
    let activity_start = profile
        .activity_start
        .ok_or(DocumentError::IssuerIncomplete("activity_start"))?;
    let draft = &inv.draft;
    Ok(InvoiceDocument {
        issuer: Issuer {
            cuit: organization.cuit,
            legal_name: profile
                .legal_name
                .clone()
                .filter(|n| !n.trim().is_empty())
                .unwrap_or(organization.name),
            trade_name: profile.trade_name.clone(),
            address: profile.address.clone(),
            iva_condition: organization.iva_condition,
            iibb: if profile.iibb.trim().is_empty() {
                "-".into()
            } else {
                profile.iibb.clone()
            },
            activity_start,
        },
        voucher_type,
        point_of_sale: inv.seq.point_of_sale,
        number,
        date: inv.date,
        customer: Customer {
            doc: draft.receiver.doc,
            iva_condition: draft.receiver.condition,
            name: r
                .get::<Option<String>, _>("receiver_name")
                .unwrap_or_default(),
            address: r.get("receiver_address"),
        },
        lines,
        amounts: draft.amounts.clone(),
        currency: draft.currency.clone(),
        service: draft.concept.service_period().map(|p| ServiceDates {
            from: p.from,
            to: p.to,
            payment_due: p.payment_due,
        }),
        authorization: Authorization {
            // Issued in contingency: "CAEA" on the page and tipoCodAut "A" in the QR.
            kind: if r.get::<String, _>("emission") == "CAEA" {
                AuthorizationKind::Caea
            } else {
                AuthorizationKind::Cae
            },
            code: cae,
            due,
        },
        qr_base_url: DEFAULT_QR_URL.into(),
    })
}

/// Renders the invoice and stores it under `data_dir`; returns the file (same content, same
/// path: a reprint never duplicates it).
pub async fn render_to_store(
    store: &Store,
    data_dir: &Path,
    org: OrgId,
    id: i64,
    layout: PrintLayout,
) -> Result<PathBuf, DocumentError> {
    let doc = build(store, org, id).await?;
    // Rendering and hashing are CPU work: off the async runtime.
    let (bytes, hash) = tokio::task::spawn_blocking(move || {
        let bytes = mostrador_documents::render(&doc, layout.into())?;
        let hash = hex(&Sha256::digest(&bytes));
        Ok::<_, DocumentError>((bytes, hash))
    })
    .await
    .map_err(|e| corrupt(format!("render task: {e}")))??;
    let dir = data_dir.join(DOCUMENTS_DIR);
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DocumentError::Io { path, source }
    };
    tokio::fs::create_dir_all(&dir).await.map_err(io(&dir))?;
    let path = dir.join(format!("{hash}.pdf"));
    if tokio::fs::try_exists(&path).await.unwrap_or(false) {
        return Ok(path);
    }
    // Written whole, then renamed: a reader never sees half a PDF under its hash.
    let tmp = dir.join(format!(".{hash}.{}.tmp", std::process::id()));
    tokio::fs::write(&tmp, &bytes).await.map_err(io(&tmp))?;
    tokio::fs::rename(&tmp, &path).await.map_err(io(&path))?;
    tracing::info!(invoice_id = id, ?layout, "invoice PDF stored");
    Ok(path)
}

/// A file name for "Guardar PDF": `Factura-B-00003-00001842.pdf`.
pub async fn file_name(store: &Store, org: OrgId, id: i64) -> Result<String, DocumentError> {
    let mut conn = store.reader().acquire().await.map_err(StoreError::Sqlx)?;
    let inv = repo::get(&mut conn, id)
        .await?
        .filter(|i| i.org_id == org)
        .ok_or(DocumentError::NotFound)?;
    let number = inv.number.ok_or(DocumentError::NotAuthorized)?;
    let name = match VoucherType::from_code(inv.seq.voucher_type) {
        Some(vt) => format!("{:?}-{:?}", vt.kind, vt.class),
        None => format!("Comprobante-{}", inv.seq.voucher_type),
    };
    Ok(format!(
        "{name}-{:05}-{:08}.pdf",
        inv.seq.point_of_sale, number
    ))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
