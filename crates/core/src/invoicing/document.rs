//! The printout of an authorized invoice: the row, its items and the issuer data of Ajustes →
//! AFIP become a `mostrador_documents::InvoiceDocument`, rendered (A4 or 80 mm ticket) and kept
//! on disk content-addressed by sha256 (`<data>/documents/<sha256>.pdf`), so a reprint is the
//! same file and nothing large lives in SQLite. The issuer's optional logo is checked when
//! chosen and kept the same way (`<data>/logos/<sha256>.png|jpg`), its file name in the
//! issuer settings.

use std::path::{Path, PathBuf};

use mostrador_afip::invoice::{IvaRate, VoucherClass, VoucherType};
use mostrador_afip::qr::{AuthorizationKind, DEFAULT_QR_URL};
use mostrador_documents::{
    Authorization, Customer, InvoiceDocument, Issuer, Layout, Line, LineIva, Logo, LogoError,
    LogoFormat, Quantity, ServiceDates, MAX_LOGO_BYTES,
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
/// Folder under the data dir for the issuer logos (content-addressed).
pub const LOGOS_DIR: &str = "logos";

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
    #[error("the logo cannot be used: {0}")]
    Logo(#[from] LogoError),
    #[error("reading the logo {path}: {source}")]
    LogoUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
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
            DocumentError::Logo(e) => {
                // `reason` lets the window say it in the owner's language.
                let reason = match e {
                    LogoError::TooLarge { .. } => "too_large",
                    LogoError::NotAnImage => "not_image",
                    LogoError::PixelSize { .. } => "pixel_size",
                    LogoError::Unsupported(_) => "unsupported",
                    LogoError::Corrupt(_) => "corrupt",
                };
                AppError::new(ErrorCode::InvalidSetting, logo_message(&e))
                    .with_details(serde_json::json!({ "field": "logo", "reason": reason }))
            }
            DocumentError::LogoUnreadable { path, .. } => AppError::new(
                ErrorCode::InvalidSetting,
                format!(
                    "No se pudo leer {}: revisá que el archivo exista y se pueda abrir.",
                    path.display()
                ),
            )
            .with_details(serde_json::json!({ "field": "logo", "reason": "unreadable" })),
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

/// What the owner reads when a logo is refused (Spanish; the window shows it beside the field).
fn logo_message(e: &LogoError) -> String {
    match e {
        LogoError::TooLarge { bytes } => format!(
            "El logo pesa {:.1} MB: elegí una imagen de hasta 1 MB.",
            *bytes as f64 / (1024.0 * 1024.0)
        ),
        LogoError::NotAnImage => {
            "El archivo no es una imagen PNG ni JPEG: elegí el logo en uno de esos formatos.".into()
        }
        LogoError::PixelSize { width, height } => format!(
            "La imagen mide {width}×{height} píxeles: cada lado tiene que estar entre {} y {}.",
            mostrador_documents::MIN_LOGO_SIDE,
            mostrador_documents::MAX_LOGO_SIDE
        ),
        LogoError::Unsupported(what) => {
            format!("Ese tipo de imagen no se puede usar ({what}): guardala como PNG o JPEG RGB.")
        }
        LogoError::Corrupt(_) => {
            "La imagen está dañada o incompleta: abrila y volvé a guardarla.".into()
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
    let lines = items
        .iter()
        .map(|it| {
            printed_line(
                class,
                it.get("description"),
                it.get("quantity_hundredths"),
                ItemIva::parse(&it.get::<String, _>("iva")),
                Money::from_cents(it.get("unit_price_cents")),
                Money::from_cents(it.get("discount_cents")),
                Money::from_cents(it.get("amount_cents")),
            )
        })
        .collect();
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
            // Read from disk by `render_to_store`, which knows the data dir.
            logo: None,
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
    let mut doc = build(store, org, id).await?;
    doc.issuer.logo = load_logo(store, data_dir, org).await;
    // Rendering and hashing are CPU work: off the async runtime.
    let (bytes, hash) = tokio::task::spawn_blocking(move || {
        let bytes = mostrador_documents::render(&doc, layout.into())?;
        let hash = hex(&Sha256::digest(&bytes));
        Ok::<_, DocumentError>((bytes, hash))
    })
    .await
    .map_err(|e| corrupt(format!("render task: {e}")))??;
    let dir = data_dir.join(DOCUMENTS_DIR);
    let path = dir.join(format!("{hash}.pdf"));
    write_once(&dir, &path, &bytes).await?;
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

/// The logo chosen in Ajustes → AFIP, as the settings screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LogoInfo {
    /// The stored file's name (`<sha256>.png|jpg`), also what the issuer settings keep.
    pub file: String,
    /// Where it is on this computer (for the window's preview).
    pub path: String,
    /// `png` or `jpeg`.
    pub format: String,
    pub width: u32,
    pub height: u32,
}

impl LogoInfo {
    fn new(file: String, path: &Path, logo: &Logo) -> LogoInfo {
        LogoInfo {
            file,
            path: path.display().to_string(),
            format: match logo.format() {
                LogoFormat::Png => "png".into(),
                LogoFormat::Jpeg => "jpeg".into(),
            },
            width: logo.width(),
            height: logo.height(),
        }
    }
}

/// A stored logo's name: what `import_logo` writes, nothing else (the setting used to take any
/// path; such a value, or a tampered one, never names a file outside the logos folder).
fn stored_logo_name(value: &str) -> Option<&str> {
    let (hash, ext) = value.split_once('.')?;
    (hash.len() == 64
        && hash.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(ext, "png" | "jpg"))
    .then_some(value)
}

/// Checks the image at `source` (PNG or JPEG by its bytes, ≤ 1 MB, sane pixel size), keeps a
/// copy under `<data>/logos/` named by its sha256 and makes it the issuer's logo. Nothing is
/// stored when it is refused.
pub async fn import_logo(
    store: &Store,
    data_dir: &Path,
    org: OrgId,
    source: &Path,
) -> Result<LogoInfo, DocumentError> {
    let unreadable = |e| DocumentError::LogoUnreadable {
        path: source.to_path_buf(),
        source: e,
    };
    // The size before reading: a wrong pick (a video) is refused without loading it.
    let meta = tokio::fs::metadata(source).await.map_err(unreadable)?;
    if !meta.is_file() {
        return Err(LogoError::NotAnImage.into());
    }
    if meta.len() > MAX_LOGO_BYTES as u64 {
        return Err(LogoError::TooLarge { bytes: meta.len() }.into());
    }
    let bytes = tokio::fs::read(source).await.map_err(unreadable)?;
    // Decoding a PNG is CPU work: off the async runtime.
    let (logo, hash) = tokio::task::spawn_blocking(move || {
        let hash = hex(&Sha256::digest(&bytes));
        Logo::from_bytes(bytes).map(|logo| (logo, hash))
    })
    .await
    .map_err(|e| corrupt(format!("logo task: {e}")))??;
    let file = format!("{hash}.{}", logo.format().extension());
    let dir = data_dir.join(LOGOS_DIR);
    let path = dir.join(&file);
    write_once(&dir, &path, logo.bytes()).await?;
    let mut profile = IssuerProfile::load(store, org).await?;
    profile.logo_path = Some(file.clone());
    profile.save(store, org).await?;
    tracing::info!(org_id = %org, width = logo.width(), height = logo.height(), "issuer logo set");
    Ok(LogoInfo::new(file, &path, &logo))
}

/// Prints without a logo from now on (the file stays: a reprint of an old invoice is the same
/// stored PDF anyway).
pub async fn remove_logo(store: &Store, org: OrgId) -> Result<(), DocumentError> {
    let mut profile = IssuerProfile::load(store, org).await?;
    profile.logo_path = None;
    profile.save(store, org).await?;
    Ok(())
}

/// The issuer's logo, if one was chosen and its file is still usable.
pub async fn current_logo(
    store: &Store,
    data_dir: &Path,
    org: OrgId,
) -> Result<Option<LogoInfo>, DocumentError> {
    let profile = IssuerProfile::load(store, org).await?;
    let Some(file) = profile.logo_path.as_deref().and_then(stored_logo_name) else {
        return Ok(None);
    };
    let path = data_dir.join(LOGOS_DIR).join(file);
    Ok(read_logo(&path)
        .await
        .map(|logo| LogoInfo::new(file.to_owned(), &path, &logo)))
}

/// The logo to print: a missing or damaged file prints the invoice without it (logged), never
/// blocks a sale.
async fn load_logo(store: &Store, data_dir: &Path, org: OrgId) -> Option<Logo> {
    let profile = match IssuerProfile::load(store, org).await {
        Ok(p) => p,
        Err(e) => {
            tracing::warn!(error = %e, "issuer settings unreadable; printing without the logo");
            return None;
        }
    };
    let value = profile.logo_path?;
    let Some(file) = stored_logo_name(&value) else {
        tracing::warn!("the logo setting does not name a stored logo; printing without it");
        return None;
    };
    read_logo(&data_dir.join(LOGOS_DIR).join(file)).await
}

async fn read_logo(path: &Path) -> Option<Logo> {
    let bytes = match tokio::fs::read(path).await {
        Ok(b) => b,
        Err(e) => {
            tracing::warn!(error = %e, "the stored logo is unreadable; printing without it");
            return None;
        }
    };
    match tokio::task::spawn_blocking(move || Logo::from_bytes(bytes)).await {
        Ok(Ok(logo)) => Some(logo),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "the stored logo is unusable; printing without it");
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "logo task failed");
            None
        }
    }
}

/// Writes `bytes` at `path` unless it exists (content-addressed: same name, same bytes), whole
/// then renamed, so a reader never sees half a file under its hash.
async fn write_once(dir: &Path, path: &Path, bytes: &[u8]) -> Result<(), DocumentError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| DocumentError::Io { path, source }
    };
    tokio::fs::create_dir_all(dir).await.map_err(io(dir))?;
    if tokio::fs::try_exists(path).await.unwrap_or(false) {
        return Ok(());
    }
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    tokio::fs::write(&tmp, bytes).await.map_err(io(&tmp))?;
    tokio::fs::rename(&tmp, path).await.map_err(io(path))?;
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
/// An invoice item as printed. Class B prints prices with the IVA included (class A itemizes it;
/// class C has none).
pub fn printed_line(
    class: VoucherClass,
    description: String,
    quantity_hundredths: i64,
    iva: Option<ItemIva>,
    unit_price: Money,
    discount: Money,
    amount: Money,
) -> Line {
    let iva = match iva {
        _ if class == VoucherClass::C => LineIva::None,
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
    let gross = |m: Money| match (class, iva) {
        (VoucherClass::B, LineIva::Rate(rate)) => rate
            .basis_points()
            .of(m)
            .and_then(|tax| m.checked_add(tax))
            .unwrap_or(m),
        _ => m,
    };
    Line {
        description,
        quantity: Quantity(quantity_hundredths * 10),
        unit_price: gross(unit_price),
        discount: gross(discount),
        iva,
        subtotal: gross(amount),
    }
}

#[cfg(test)]
mod printed_line_tests {
    use super::*;

    fn line(class: VoucherClass, iva: Option<ItemIva>) -> Line {
        printed_line(
            class,
            "Yerba".into(),
            150,
            iva,
            Money::from_cents(100_000),
            Money::from_cents(10_000),
            Money::from_cents(140_000),
        )
    }

    #[test]
    fn class_b_prints_prices_with_iva_class_a_net_class_c_without_iva() {
        let b = line(VoucherClass::B, Some(ItemIva::TwentyOne));
        assert_eq!(b.quantity, Quantity(1500));
        assert_eq!(b.iva, LineIva::Rate(IvaRate::TwentyOne));
        assert_eq!(b.unit_price.cents(), 121_000);
        assert_eq!(b.discount.cents(), 12_100);
        assert_eq!(b.subtotal.cents(), 169_400);

        let a = line(VoucherClass::A, Some(ItemIva::TenPointFive));
        assert_eq!(a.iva, LineIva::Rate(IvaRate::TenPointFive));
        assert_eq!(a.unit_price.cents(), 100_000);
        assert_eq!(a.subtotal.cents(), 140_000);

        let exempt = line(VoucherClass::B, Some(ItemIva::Exento));
        assert_eq!(exempt.iva, LineIva::Exempt);
        assert_eq!(exempt.unit_price.cents(), 100_000);

        let c = line(VoucherClass::C, Some(ItemIva::TwentyOne));
        assert_eq!(c.iva, LineIva::None);
        assert_eq!(c.unit_price.cents(), 100_000);
    }
}
