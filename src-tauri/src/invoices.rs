//! Facturas in the app: thin commands over `mostrador_core::invoicing` (one core call each),
//! the `afip.submit` handler handed to each store's outbound engine (the app's own and the
//! demo's), and every invoice state change forwarded to the window as `invoice-event`.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock, RwLock};

use chrono::NaiveDate;
use mostrador_core::activity::ActivityGate;
use mostrador_core::error::ErrorCode;
use mostrador_core::invoicing::document::{self, PrintLayout};
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
    fn get(&self) -> Result<AfipRuntime, AppError> {
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

/// The app's own runtime and the handler for its engine (see `outbound::start`).
pub(crate) fn real_handler(
    app: &AppHandle,
    store: Store,
    gate: ActivityGate,
) -> mostrador_core::invoicing::SubmitHandler {
    let base = std::env::var(crate::afip_setup::AFIP_URL_ENV)
        .ok()
        .filter(|b| !b.is_empty());
    let rt = runtime(app, store, base);
    let handler = rt.handler(gate);
    let _ = app.state::<Afip>().real.set(rt);
    handler
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

/// "Enviar por WhatsApp": the `factura disponible` template with the PDF as its header, to
/// `customer_id` or the customer the invoice was issued to; once per invoice and customer.
#[command]
pub async fn invoices_send_whatsapp(
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    engine: State<'_, Engine>,
    intakes: State<'_, crate::intake::Intakes>,
    org_id: OrgId,
    invoice_id: i64,
    customer_id: Option<i64>,
) -> Result<mostrador_core::templates::SentTemplate, AppError> {
    let rt = afip.get()?;
    let queue = engine.queue()?;
    Ok(mostrador_core::invoicing::send::send_by_whatsapp(
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
        Some(p) => PathBuf::from(p),
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

/// "Imprimir": opens the PDF with the system's viewer, whose print dialog prints it.
#[command]
pub async fn invoices_print(
    boot: State<'_, Boot>,
    afip: State<'_, Afip>,
    org_id: OrgId,
    invoice_id: i64,
    layout: PrintLayout,
) -> Result<SavedFile, AppError> {
    let rt = afip.get()?;
    let path = document::render_to_store(rt.store(), &boot.dirs().data, org_id, invoice_id, layout)
        .await?;
    open_with_os(&path)?;
    Ok(SavedFile {
        path: path.display().to_string(),
    })
}

/// Hands `path` to the OS's default application (not waited for).
fn open_with_os(path: &Path) -> Result<(), AppError> {
    #[cfg(target_os = "linux")]
    let mut cmd = std::process::Command::new("xdg-open");
    #[cfg(target_os = "macos")]
    let mut cmd = std::process::Command::new("open");
    #[cfg(target_os = "windows")]
    let mut cmd = {
        let mut c = std::process::Command::new("cmd");
        c.args(["/C", "start", ""]);
        c
    };
    cmd.arg(path)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    match cmd.spawn() {
        Ok(mut child) => {
            // Reaped in the background so it never lingers as a zombie.
            std::thread::spawn(move || {
                let _ = child.wait();
            });
            Ok(())
        }
        Err(e) => {
            tracing::warn!(error = %e, "opening the PDF failed");
            Err(AppError::new(
                ErrorCode::Internal,
                format!("No se pudo abrir el PDF; está en {}.", path.display()),
            ))
        }
    }
}
