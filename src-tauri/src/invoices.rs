//! Facturas in the app: thin commands over `mostrador_core::invoicing` (one core call each),
//! the `afip.submit` handler handed to each store's outbound engine (the app's own and the
//! demo's), and every invoice state change forwarded to the window as `invoice-event`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use chrono::NaiveDate;
use mostrador_core::activity::ActivityGate;
use mostrador_core::error::ErrorCode;
use mostrador_core::invoicing::document::{self, LogoInfo, PrintLayout};
use mostrador_core::invoicing::list::{
    self, InvoiceDetail, InvoiceListItem, ListFilter, PeriodTotals,
};
use mostrador_core::invoicing::padron::Lookup;
use mostrador_core::invoicing::{AfipRuntime, InvoiceEvent, Invoicing, NewInvoice};
use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::AppError;
use mostrador_queue::SystemClock;
use mostrador_types::Cuit;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};
use tokio::sync::broadcast::error::RecvError;

use crate::boot::Boot;
use crate::ipc::command;
use crate::outbound::Engine;

crate::event! {
    /// An invoice changed state (queued, authorized, rejected, in doubt, held).
    pub INVOICE_EVENT: "invoice-event" => InvoiceEvent
}

/// Page size of the list.
const PAGE: u32 = 50;

/// The invoicing runtime of the store the window shows (the demo's while in demo mode).
#[derive(Default)]
pub struct Afip {
    real: OnceLock<AfipRuntime>,
    demo: RwLock<Option<AfipRuntime>>,
}

impl Afip {
    pub(crate) fn get(&self) -> Result<AfipRuntime, AppError> {
        if let Some(demo) = self.demo.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(demo);
        }
        self.real
            .get()
            .cloned()
            .ok_or_else(AppError::outbound_not_running)
    }

    /// Entering (`Some`) or leaving (`None`) the demo.
    pub(crate) fn set_demo(&self, runtime: Option<AfipRuntime>) {
        *self.demo.write().unwrap_or_else(|p| p.into_inner()) = runtime;
    }
}

/// A runtime for `store` (AFIP at `base`, a simulator, or AFIP's own URLs when `None`) whose
/// events reach the window. Its set-ups load in the background, so invoices queued before a
/// restart go out. Register [`AfipRuntime::handler`] with the store's engine.
pub(crate) fn runtime(app: &AppHandle, store: Store, base: Option<String>) -> AfipRuntime {
    let rt = AfipRuntime::new(store, SecretStore::default(), base, Arc::new(SystemClock));
    let mut rx = rt.subscribe();
    let handle = app.clone();
    tauri::async_runtime::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(e) => {
                    let _ = INVOICE_EVENT.emit(&handle, e);
                }
                Err(RecvError::Lagged(n)) => tracing::warn!(missed = n, "invoice events lagged"),
                Err(RecvError::Closed) => return,
            }
        }
    });
    let loading = rt.clone();
    tauri::async_runtime::spawn(async move { loading.refresh_all().await });
    rt
}

/// The app's own runtime, its `afip.submit` and `afip.caea` handlers added to `handlers` (see
/// `outbound::start`).
pub(crate) fn real_handlers(
    app: &AppHandle,
    store: Store,
    gate: ActivityGate,
    handlers: mostrador_core::outbound::Handlers,
) -> mostrador_core::outbound::Handlers {
    let base = std::env::var(crate::afip_setup::AFIP_URL_ENV)
        .ok()
        .filter(|b| !b.is_empty());
    let rt = runtime(app, store, base);
    let handlers = rt.register(handlers, gate);
    let _ = app.state::<Afip>().real.set(rt);
    handlers
}

/// The façade on the shown store, with its set-up fresh from Ajustes → AFIP.
pub(crate) async fn invoicing(
    afip: &Afip,
    engine: &Engine,
    org: OrgId,
) -> Result<(AfipRuntime, Invoicing), AppError> {
    let rt = afip.get()?;
    rt.refresh(org).await?;
    let inv = rt.invoicing(engine.queue()?);
    Ok((rt, inv))
}

fn today(rt: &AfipRuntime) -> NaiveDate {
    list::today(rt.clock().as_ref())
}

/// Core's list queries answer with the database's error.
fn db(e: impl Into<mostrador_core::store::StoreError>) -> AppError {
    e.into().into()
}

/// What "Nueva factura" will issue: the voucher type and the totals computed by core.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct InvoicePreview {
    /// AFIP's CbteTipo (1, 6, 11…).
    pub voucher_type: u16,
    /// `A`, `B` or `C`.
    pub class: String,
    #[ts(type = "number")]
    pub net_cents: i64,
    #[ts(type = "number")]
    pub not_taxed_cents: i64,
    #[ts(type = "number")]
    pub exempt_cents: i64,
    #[ts(type = "number")]
    pub iva_cents: i64,
    #[ts(type = "number")]
    pub total_cents: i64,
    /// One entry per aliquot: (AFIP id, base, amount).
    pub iva_lines: Vec<IvaLine>,
}

#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct IvaLine {
    pub afip_id: u8,
    #[ts(type = "number")]
    pub base_cents: i64,
    #[ts(type = "number")]
    pub amount_cents: i64,
}

/// Validates "Nueva factura" without queuing: errors name the field (`details.field`).
#[command]
pub async fn invoices_check(
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    invoice: NewInvoice,
) -> Result<InvoicePreview, AppError> {
    let (_, inv) = invoicing(&afip, &engine, org_id).await?;
    let p = inv.check(org_id, &invoice).await?;
    let a = &p.invoice.amounts;
    Ok(InvoicePreview {
        voucher_type: p.invoice.voucher_type.code(),
        class: format!("{:?}", p.invoice.voucher_type.class),
        net_cents: a.net.cents(),
        not_taxed_cents: a.not_taxed.cents(),
        exempt_cents: a.exempt.cents(),
        iva_cents: a.iva_total.cents(),
        total_cents: a.total.cents(),
        iva_lines: a
            .iva
            .iter()
            .map(|l| IvaLine {
                afip_id: l.rate.afip_id(),
                base_cents: l.base.cents(),
                amount_cents: l.amount.cents(),
            })
            .collect(),
    })
}

/// "Emitir": validated and queued with its submission in one transaction. The same
/// `idempotency_key` again (a double click) returns the first invoice's id.
#[command]
pub async fn invoices_create(
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    idempotency_key: String,
    invoice: NewInvoice,
) -> Result<i64, AppError> {
    let (_, inv) = invoicing(&afip, &engine, org_id).await?;
    Ok(inv.create_once(org_id, &idempotency_key, invoice).await?)
}

/// A held invoice (date window): the owner confirms issuing it with today's date.
#[command]
pub async fn invoices_confirm_today(
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    invoice_id: i64,
) -> Result<(), AppError> {
    let (_, inv) = invoicing(&afip, &engine, org_id).await?;
    Ok(inv.confirm_with_today(org_id, invoice_id).await?)
}

/// "Hacer nota de crédito": a draft crediting all of the invoice, for the form to edit.
#[command]
pub async fn invoices_credit_note_draft(
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    org_id: OrgId,
    invoice_id: i64,
) -> Result<NewInvoice, AppError> {
    let (_, inv) = invoicing(&afip, &engine, org_id).await?;
    Ok(inv.credit_note_draft(org_id, invoice_id).await?)
}

/// A page of Facturas: pending and in-doubt first (with what the app is doing about them).
#[command]
pub async fn invoices_list(
    afip: State<'_, Afip>,
    org_id: OrgId,
    filter: ListFilter,
    page: u32,
) -> Result<Vec<InvoiceListItem>, AppError> {
    let rt = afip.get()?;
    list::list_page(
        rt.store(),
        org_id,
        &filter,
        today(&rt),
        PAGE,
        page.saturating_mul(PAGE),
    )
    .await
    .map_err(db)
}

/// One invoice with its lines and history.
#[command]
pub async fn invoices_get(
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
) -> Result<InvoiceDetail, AppError> {
    let rt = afip.get()?;
    list::detail(rt.store(), org_id, invoice_id, today(&rt))
        .await
        .map_err(db)?
        .ok_or_else(|| AppError::new(ErrorCode::InvoiceNotFound, "Esa factura no existe."))
}

/// Authorized totals of the period per voucher type.
#[command]
pub async fn invoices_totals(
    afip: State<'_, Afip>,
    org_id: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<Vec<PeriodTotals>, AppError> {
    let rt = afip.get()?;
    list::totals(rt.store(), org_id, from, to).await.map_err(db)
}

/// A file written for the owner.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SavedFile {
    pub path: String,
}

fn downloads(app: &AppHandle, boot: &Boot) -> PathBuf {
    app.path()
        .download_dir()
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| boot.dirs().data.clone())
}

async fn write_file(path: &Path, bytes: &[u8]) -> Result<(), AppError> {
    tokio::fs::write(path, bytes).await.map_err(|e| {
        tracing::warn!(error = %e, "writing a file for the owner failed");
        AppError::new(
            ErrorCode::Internal,
            format!("No se pudo guardar el archivo en {}.", path.display()),
        )
    })
}

/// "Exportar CSV": the period's libro IVA ventas, saved to Descargas.
#[command]
pub async fn invoices_export_csv(
    app: AppHandle,
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<SavedFile, AppError> {
    let rt = afip.get()?;
    let csv = list::libro_iva_ventas_csv(rt.store(), org_id, from, to)
        .await
        .map_err(db)?;
    let path = downloads(&app, &boot).join(format!("libro-iva-ventas-{from}-{to}.csv"));
    write_file(&path, csv.as_bytes()).await?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}

/// Receiver by CUIT in AFIP's padrón: cached, and never holds the sale (AFIP down ⇒ what the
/// cache has, or nothing, and the owner types the rest).
#[command]
pub async fn invoices_padron(
    afip: State<'_, Afip>,
    org_id: OrgId,
    cuit: String,
) -> Result<Lookup, AppError> {
    let cuit = Cuit::parse(&cuit).map_err(|e| {
        AppError::new(ErrorCode::InvoiceInvalid, format!("Revisá el CUIT: {e}"))
            .with_details(serde_json::json!({ "field": "receiver.doc" }))
    })?;
    let rt = afip.get()?;
    // A failed refresh (keychain) only means no lookup: the form goes on.
    let _ = rt.refresh(org_id).await;
    rt.padron().lookup(org_id, cuit).await.map_err(db)
}

/// The PDF (A4 or ticket) in the content-addressed store; returns its path.
#[command]
pub async fn invoices_pdf(
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
    layout: PrintLayout,
) -> Result<SavedFile, AppError> {
    let rt = afip.get()?;
    let path = document::render_to_store(rt.store(), &boot.dirs().data, org_id, invoice_id, layout)
        .await?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}

/// "Enviar al cliente": a `factura` notice to `customer_id` or the customer the invoice was issued
/// to, by the first channel that works (WhatsApp with the `factura disponible` template and the PDF
/// as its header, SMS, e-mail with the PDF attached); once per invoice and customer.
#[command]
pub async fn invoices_send_whatsapp(
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    intakes: State<'_, crate::intake::Intakes>,
    org_id: OrgId,
    invoice_id: i64,
    customer_id: Option<i64>,
) -> Result<mostrador_core::notifications::SentNotice, AppError> {
    let rt = afip.get()?;
    let queue = engine.queue()?;
    Ok(mostrador_core::invoicing::send::send_to_customer(
        rt.store(),
        &queue,
        &intakes.bus(),
        &boot.dirs().data,
        org_id,
        invoice_id,
        customer_id,
    )
    .await?)
}

/// "Guardar PDF": a copy at `path`, or in Descargas with the voucher's name.
#[command]
pub async fn invoices_save_pdf(
    app: AppHandle,
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
    layout: PrintLayout,
    path: Option<String>,
) -> Result<SavedFile, AppError> {
    let rt = afip.get()?;
    let stored =
        document::render_to_store(rt.store(), &boot.dirs().data, org_id, invoice_id, layout)
            .await?;
    let target = match path.filter(|p| !p.trim().is_empty()) {
        Some(p) => with_pdf_extension(PathBuf::from(p)),
        None => {
            downloads(&app, &boot).join(document::file_name(rt.store(), org_id, invoice_id).await?)
        }
    };
    let bytes = tokio::fs::read(&stored).await.map_err(|e| {
        tracing::warn!(error = %e, "reading the stored PDF failed");
        AppError::new(ErrorCode::Internal, "No se pudo leer el PDF generado.")
    })?;
    write_file(&target, &bytes).await?;
    Ok(SavedFile {
        path: target.display().to_string(),
    })
}

/// The file always ends in `.pdf`: a name typed without it still opens as a PDF, and the
/// window can never have a PDF written over a file of another kind.
fn with_pdf_extension(path: PathBuf) -> PathBuf {
    let is_pdf = path
        .extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("pdf"));
    if is_pdf {
        return path;
    }
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(".pdf");
    path.with_file_name(name)
}

/// "Guardar PDF": the system's save dialog, opened on Descargas with the voucher's name
/// (`Factura-B-00003-00000042.pdf`, `-ticket` for the 80 mm layout); the chosen path, or
/// `None` when the owner cancels. The window then calls [`invoices_save_pdf`] with it.
#[command]
pub async fn invoices_choose_pdf_path(
    app: AppHandle,
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
    layout: PrintLayout,
) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    let rt = afip.get()?;
    let mut name = document::file_name(rt.store(), org_id, invoice_id).await?;
    if layout == PrintLayout::Ticket {
        name = name.replace(".pdf", "-ticket.pdf");
    }
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Guardar PDF")
        .set_directory(downloads(&app, &boot))
        .set_file_name(name)
        .add_filter("PDF", &["pdf"])
        .save_file(move |chosen| {
            let _ = tx.send(chosen);
        });
    // Waits for the owner, however long: a dialog has no timeout.
    let chosen = rx.await.ok().flatten();
    Ok(chosen
        .and_then(|p| p.into_path().ok())
        .map(|p| with_pdf_extension(p).display().to_string()))
}

/// "Imprimir": the PDF opened with the system's PDF viewer, whose print dialog prints it (a
/// webview cannot print a PDF file itself, and the viewer knows the printers and the paper).
#[command]
pub async fn invoices_print(
    app: AppHandle,
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
    layout: PrintLayout,
) -> Result<SavedFile, AppError> {
    use tauri_plugin_opener::OpenerExt;
    let rt = afip.get()?;
    let path = document::render_to_store(rt.store(), &boot.dirs().data, org_id, invoice_id, layout)
        .await?;
    tracing::info!(invoice_id, ?layout, "invoice PDF opened to print");
    app.opener()
        .open_path(path.display().to_string(), None::<&str>)
        .map_err(|e| {
            tracing::warn!(error = %e, "no program to open the PDF");
            AppError::new(
                ErrorCode::Internal,
                format!(
                    "No hay un programa para abrir PDF en la computadora; el archivo está en {}.",
                    path.display()
                ),
            )
        })?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}

/// Ajustes → AFIP → logo: the one chosen, if any.
#[command]
pub async fn invoices_logo(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<Option<LogoInfo>, AppError> {
    let store = boot.store().await?;
    Ok(document::current_logo(&store, &boot.dirs().data, org_id).await?)
}

/// The system's open dialog for a logo (PNG or JPEG); `None` when cancelled. The window then
/// calls [`invoices_set_logo`] with the path (which can also be typed).
#[command]
pub async fn invoices_choose_logo(app: AppHandle) -> Result<Option<String>, AppError> {
    use tauri_plugin_dialog::DialogExt;
    let (tx, rx) = tokio::sync::oneshot::channel();
    app.dialog()
        .file()
        .set_title("Logo para las facturas")
        .add_filter("PNG / JPEG", &["png", "jpg", "jpeg", "PNG", "JPG", "JPEG"])
        .pick_file(move |chosen| {
            let _ = tx.send(chosen);
        });
    let chosen = rx.await.ok().flatten();
    Ok(chosen
        .and_then(|p| p.into_path().ok())
        .map(|p| p.display().to_string()))
}

/// Uses the image at `path` as the logo: checked (PNG/JPEG by its bytes, ≤ 1 MB, sane pixel
/// size) and copied into Mostrador's data; refused files store nothing (`details.field` = logo).
#[command]
pub async fn invoices_set_logo(
    boot: State<'_, Boot>,
    org_id: OrgId,
    path: String,
) -> Result<LogoInfo, AppError> {
    let store = boot.store().await?;
    Ok(document::import_logo(&store, &boot.dirs().data, org_id, Path::new(path.trim())).await?)
}

/// Prints without a logo from now on.
#[command]
pub async fn invoices_remove_logo(boot: State<'_, Boot>, org_id: OrgId) -> Result<(), AppError> {
    let store = boot.store().await?;
    Ok(document::remove_logo(&store, org_id).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_pdf_always_ends_in_pdf() {
        let p = |s: &str| with_pdf_extension(PathBuf::from(s));
        assert_eq!(p("/tmp/Factura-B.pdf"), PathBuf::from("/tmp/Factura-B.pdf"));
        assert_eq!(p("/tmp/Factura-B.PDF"), PathBuf::from("/tmp/Factura-B.PDF"));
        assert_eq!(p("/tmp/factura"), PathBuf::from("/tmp/factura.pdf"));
        assert_eq!(p("/home/me/.bashrc"), PathBuf::from("/home/me/.bashrc.pdf"));
        assert_eq!(p("/tmp/a.b.txt"), PathBuf::from("/tmp/a.b.txt.pdf"));
    }
}
