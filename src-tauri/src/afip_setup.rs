//! Ajustes → AFIP: thin commands over `mostrador_core::invoicing::certificate`. Files travel as
//! base64 (the window reads them with an `<input type="file">`); the CSR is written to the
//! Downloads folder (or the data folder) and its path returned. Also the contingency (CAEA)
//! section and "Emitir con CAEA".

use std::path::PathBuf;

use base64::Engine as _;
use chrono::Utc;
use mostrador_afip::transport::HttpClient;
use mostrador_afip::Endpoints;
use mostrador_core::error::ErrorCode;
use mostrador_core::invoicing::caea::issue::Trigger;
use mostrador_core::invoicing::caea::settings::{ContingencySettings, ContingencyStatus};
use mostrador_core::invoicing::certificate::{
    AfipEnvironment, AfipSetup, CertificateSummary, IssuerProfile, ProbeReport, SetupStatus,
};
use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_core::AppError;
use mostrador_types::Secret;
use serde::Serialize;
use tauri::{AppHandle, Manager, State};

use crate::boot::Boot;
use crate::ipc::command;

/// `MOSTRADOR_AFIP_URL=http://127.0.0.1:PORT/afip` points WSAA and WSFE at a simulator (tests,
/// "try it" mode); otherwise the environment's own AFIP URLs.
pub const AFIP_URL_ENV: &str = "MOSTRADOR_AFIP_URL";

fn endpoints(env: AfipEnvironment) -> Result<Endpoints, AppError> {
    match std::env::var(AFIP_URL_ENV) {
        Ok(base) if !base.is_empty() => Endpoints::under(&base).map_err(|e| {
            AppError::new(
                ErrorCode::InvalidSetting,
                format!("{AFIP_URL_ENV} no es una URL válida: {e}"),
            )
        }),
        _ => Ok(env.endpoints()),
    }
}

async fn setup(boot: &Boot) -> Result<AfipSetup, AppError> {
    Ok(AfipSetup::new(boot.store().await?, SecretStore::default()))
}

fn decode(field: &'static str, b64: &str) -> Result<Vec<u8>, AppError> {
    base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| {
            AppError::new(
                ErrorCode::AfipCertificateInvalid,
                "No se pudo leer el archivo.",
            )
            .with_details(serde_json::json!({ "field": field }))
        })
}

/// The CSR written to disk, ready to upload to AFIP.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct SavedRequest {
    pub path: String,
    pub pem: String,
}

fn csr_dir(app: &AppHandle, boot: &Boot) -> PathBuf {
    app.path()
        .download_dir()
        .ok()
        .filter(|d| d.is_dir())
        .unwrap_or_else(|| boot.dirs().data.clone())
}

/// Where the set-up stands (environment, pending CSR, certificate and expiry, point of sale).
#[command]
pub async fn afip_status(boot: State<'_, Boot>, org_id: OrgId) -> Result<SetupStatus, AppError> {
    Ok(setup(&boot).await?.status(org_id, Utc::now()).await?)
}

/// Homologación or producción: certificates, tickets and points of sale are per environment.
#[command]
pub async fn afip_set_environment(
    boot: State<'_, Boot>,
    org_id: OrgId,
    environment: AfipEnvironment,
) -> Result<(), AppError> {
    Ok(setup(&boot)
        .await?
        .set_environment(org_id, environment)
        .await?)
}

/// Generates the private key (kept in the keychain) and the CSR, and saves the CSR file.
#[command]
pub async fn afip_generate_request(
    app: AppHandle,
    boot: State<'_, Boot>,
    org_id: OrgId,
    alias: String,
) -> Result<SavedRequest, AppError> {
    let request = setup(&boot).await?.generate_request(org_id, &alias).await?;
    let path = csr_dir(&app, &boot).join(&request.file_name);
    tokio::fs::write(&path, request.pem.as_bytes())
        .await
        .map_err(|e| {
            tracing::warn!(error = %e, "writing the CSR failed");
            AppError::new(
                ErrorCode::Internal,
                format!("No se pudo guardar el pedido en {}.", path.display()),
            )
        })?;
    Ok(SavedRequest {
        path: path.display().to_string(),
        pem: request.pem,
    })
}

/// Imports the certificate AFIP issued for the CSR (.crt/.pem/.der, as base64).
#[command]
pub async fn afip_import_certificate(
    boot: State<'_, Boot>,
    org_id: OrgId,
    certificate_base64: String,
) -> Result<CertificateSummary, AppError> {
    let bytes = decode("certificate", &certificate_base64)?;
    Ok(setup(&boot)
        .await?
        .import_certificate(org_id, &bytes, Utc::now())
        .await?)
}

/// Imports an existing certificate with its PEM private key.
#[command]
pub async fn afip_import_pem_pair(
    boot: State<'_, Boot>,
    org_id: OrgId,
    certificate_base64: String,
    key_base64: String,
) -> Result<CertificateSummary, AppError> {
    let cert = decode("certificate", &certificate_base64)?;
    let key = String::from_utf8(decode("key", &key_base64)?).map_err(|_| {
        AppError::new(
            ErrorCode::AfipCertificateInvalid,
            "Ese archivo no es una clave privada en formato PEM.",
        )
    })?;
    Ok(setup(&boot)
        .await?
        .import_pem_pair(org_id, &cert, &Secret::new(key), Utc::now())
        .await?)
}

/// Imports a .p12/.pfx with its password.
#[command]
pub async fn afip_import_p12(
    boot: State<'_, Boot>,
    org_id: OrgId,
    p12_base64: String,
    password: String,
) -> Result<CertificateSummary, AppError> {
    let p12 = decode("p12", &p12_base64)?;
    Ok(setup(&boot)
        .await?
        .import_p12(org_id, &p12, &Secret::new(password), Utc::now())
        .await?)
}

/// "Probar": WSAA login (or the stored ticket), FEDummy and the points of sale.
#[command]
pub async fn afip_probe(boot: State<'_, Boot>, org_id: OrgId) -> Result<ProbeReport, AppError> {
    let setup = setup(&boot).await?;
    let env = setup.environment(org_id).await?;
    let endpoints = endpoints(env)?;
    Ok(setup
        .probe(org_id, &endpoints, &HttpClient::default(), Utc::now())
        .await?)
}

/// Saves this computer's point of sale (one of those the last "Probar" listed).
#[command]
pub async fn afip_set_point_of_sale(
    boot: State<'_, Boot>,
    org_id: OrgId,
    number: u32,
) -> Result<(), AppError> {
    Ok(setup(&boot)
        .await?
        .set_point_of_sale(org_id, number)
        .await?)
}

/// The issuer data printed on invoices.
#[command]
pub async fn afip_issuer(boot: State<'_, Boot>, org_id: OrgId) -> Result<IssuerProfile, AppError> {
    Ok(setup(&boot).await?.issuer(org_id).await?)
}

/// Saves the issuer data printed on invoices (validated: lengths, no future start date).
#[command]
pub async fn afip_set_issuer(
    boot: State<'_, Boot>,
    org_id: OrgId,
    profile: IssuerProfile,
) -> Result<(), AppError> {
    Ok(setup(&boot).await?.set_issuer(org_id, &profile).await?)
}

/// The runtime of the shown store (the demo's while in demo mode), its set-up fresh.
async fn shown_runtime(
    app: &AppHandle,
    org_id: OrgId,
) -> Result<mostrador_core::invoicing::AfipRuntime, AppError> {
    let rt = app.state::<crate::invoices::Afip>().get()?;
    rt.refresh(org_id).await?;
    Ok(rt)
}

/// Ajustes → AFIP → "Contingencia (CAEA)": enabled, automatic, points of sale, the current and
/// next CAEA, invoices waiting to be informed and the last error.
#[command]
pub async fn afip_caea_status(
    app: AppHandle,
    org_id: OrgId,
) -> Result<ContingencyStatus, AppError> {
    let rt = app.state::<crate::invoices::Afip>().get()?;
    Ok(rt.contingency().status(org_id).await?)
}

/// Saves the contingency section (enabling it checks the points of sale with AFIP) and returns
/// its new state; the CAEA is asked for right away.
#[command]
pub async fn afip_caea_configure(
    app: AppHandle,
    org_id: OrgId,
    settings: ContingencySettings,
) -> Result<ContingencyStatus, AppError> {
    let rt = shown_runtime(&app, org_id).await?;
    let contingency = rt.contingency();
    contingency.configure(org_id, &settings).await?;
    Ok(contingency.status(org_id).await?)
}

/// "Emitir con CAEA": a queued invoice whose last attempt found AFIP unreachable is issued now
/// with the CAEA on the contingency point of sale (never one numbered under the CAE).
#[command]
pub async fn invoices_issue_with_caea(
    app: AppHandle,
    org_id: OrgId,
    invoice_id: i64,
) -> Result<(), AppError> {
    let rt = shown_runtime(&app, org_id).await?;
    rt.contingency()
        .issue_queued(org_id, invoice_id, Trigger::Owner)
        .await?;
    Ok(())
}
