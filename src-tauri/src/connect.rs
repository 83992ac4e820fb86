//! Ajustes → WhatsApp and Ajustes → Relay: one core call per command; a saved or removed
//! connection restarts the business's intake.

use mostrador_core::channels::whatsapp::{
    ConnectionTest, WhatsAppConnect, WhatsAppCredentials, WhatsAppStatus,
};
use mostrador_core::intake::{RelayCheck, RelayConnect, RelayInput, RelayStatus};
use mostrador_core::org::OrgId;
use mostrador_core::secrets::SecretStore;
use mostrador_core::AppError;
use mostrador_types::Secret;
use serde::Serialize;
use tauri::State;

use crate::boot::Boot;
use crate::intake::Intakes;
use crate::ipc::command;

/// Points "Conectar WhatsApp" at another Graph API (the sandbox simulator: end-to-end tests and
/// development). Unset in production: Meta's own.
pub const GRAPH_URL_ENV: &str = "MOSTRADOR_WHATSAPP_GRAPH_URL";

async fn whatsapp(boot: &Boot) -> Result<WhatsAppConnect, AppError> {
    Ok(WhatsAppConnect::new(
        boot.store().await?,
        SecretStore::default(),
        std::env::var(GRAPH_URL_ENV).ok(),
    ))
}

async fn relay(boot: &Boot) -> Result<RelayConnect, AppError> {
    Ok(RelayConnect::new(
        boot.store().await?,
        SecretStore::default(),
    ))
}

/// A saved WhatsApp connection: what its test found and what Ajustes now shows.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct WhatsAppSaved {
    pub test: ConnectionTest,
    pub status: WhatsAppStatus,
}

/// A saved relay: what "Probar" found and what Ajustes now shows.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct RelaySaved {
    pub check: RelayCheck,
    pub status: RelayStatus,
}

/// What Ajustes → WhatsApp shows (never a secret: "termina en 1234").
#[command]
pub async fn whatsapp_status(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<WhatsAppStatus, AppError> {
    Ok(whatsapp(&boot).await?.status(org_id).await?)
}

/// "Probar conexión" with the form's data: number, verified name, quality, subscription.
/// Nothing is stored.
#[command]
pub async fn whatsapp_test(
    boot: State<'_, Boot>,
    credentials: WhatsAppCredentials,
) -> Result<ConnectionTest, AppError> {
    Ok(whatsapp(&boot).await?.test_connection(&credentials).await?)
}

/// "Probar conexión" of the saved connection (the window never holds the saved token).
#[command]
pub async fn whatsapp_test_saved(
    boot: State<'_, Boot>,
    org_id: OrgId,
) -> Result<ConnectionTest, AppError> {
    let w = whatsapp(&boot).await?;
    let creds = w.saved_credentials(org_id).await?;
    Ok(w.test_connection(&creds).await?)
}

/// "Suscribir": subscribes the app to the WABA's webhooks, with the form's data or, without
/// it, the saved connection's. Resolves with the new test.
#[command]
pub async fn whatsapp_subscribe(
    boot: State<'_, Boot>,
    org_id: OrgId,
    credentials: Option<WhatsAppCredentials>,
) -> Result<ConnectionTest, AppError> {
    let w = whatsapp(&boot).await?;
    let creds = match credentials {
        Some(c) => c,
        None => w.saved_credentials(org_id).await?,
    };
    Ok(w.subscribe(&creds).await?)
}

/// "Guardar": tests again and stores only if it passes (ids in settings, token and app secret
/// in the keychain); the intake restarts with them.
#[command]
pub async fn whatsapp_save(
    boot: State<'_, Boot>,
    intakes: State<'_, Intakes>,
    engine: State<'_, crate::outbound::Engine>,
    org_id: OrgId,
    credentials: WhatsAppCredentials,
) -> Result<WhatsAppSaved, AppError> {
    let (test, status) = whatsapp(&boot).await?.save(org_id, &credentials).await?;
    engine.credentials_changed(org_id);
    intakes.restart(org_id).await;
    Ok(WhatsAppSaved { test, status })
}

/// "Cambiar token": the new token replaces the old one only if it passes the test.
#[command]
pub async fn whatsapp_rotate_token(
    boot: State<'_, Boot>,
    intakes: State<'_, Intakes>,
    engine: State<'_, crate::outbound::Engine>,
    org_id: OrgId,
    access_token: String,
) -> Result<WhatsAppSaved, AppError> {
    let (test, status) = whatsapp(&boot)
        .await?
        .rotate_token(org_id, Secret::new(access_token))
        .await?;
    engine.credentials_changed(org_id);
    intakes.restart(org_id).await;
    Ok(WhatsAppSaved { test, status })
}

/// Changes the Meta app id of the saved connection (blank removes it); the token stays.
#[command]
pub async fn whatsapp_set_app_id(
    boot: State<'_, Boot>,
    org_id: OrgId,
    app_id: Option<String>,
) -> Result<WhatsAppStatus, AppError> {
    Ok(whatsapp(&boot)
        .await?
        .set_app_id(org_id, app_id.as_deref())
        .await?)
}

/// "Desconectar": removes the token, app secret and settings; conversations stay.
#[command]
pub async fn whatsapp_disconnect(
    boot: State<'_, Boot>,
    intakes: State<'_, Intakes>,
    engine: State<'_, crate::outbound::Engine>,
    org_id: OrgId,
) -> Result<WhatsAppStatus, AppError> {
    let w = whatsapp(&boot).await?;
    w.disconnect(org_id).await?;
    engine.credentials_changed(org_id);
    intakes.restart(org_id).await;
    Ok(w.status(org_id).await?)
}

/// What Ajustes → Relay shows, with Meta's webhook URL and verify token when they were pasted.
#[command]
pub async fn relay_status(boot: State<'_, Boot>, org_id: OrgId) -> Result<RelayStatus, AppError> {
    Ok(relay(&boot).await?.status(org_id).await?)
}

/// "Probar": reads the pasted block (or the typed fields) and asks the relay `/v1/status`.
#[command]
pub async fn relay_test(
    boot: State<'_, Boot>,
    org_id: OrgId,
    input: RelayInput,
) -> Result<RelayCheck, AppError> {
    Ok(relay(&boot).await?.test(org_id, &input).await?)
}

/// "Guardar": tests, stores the URL and the keychain token, restarts the intake.
#[command]
pub async fn relay_save(
    boot: State<'_, Boot>,
    intakes: State<'_, Intakes>,
    org_id: OrgId,
    input: RelayInput,
) -> Result<RelaySaved, AppError> {
    let (check, status) = relay(&boot).await?.save(org_id, &input).await?;
    intakes.restart(org_id).await;
    Ok(RelaySaved { check, status })
}

/// "Desconectar": removes the relay's settings and tokens and stops the intake.
#[command]
pub async fn relay_disconnect(
    boot: State<'_, Boot>,
    intakes: State<'_, Intakes>,
    org_id: OrgId,
) -> Result<RelayStatus, AppError> {
    let r = relay(&boot).await?;
    r.disconnect(org_id).await?;
    intakes.restart(org_id).await;
    Ok(r.status(org_id).await?)
}
