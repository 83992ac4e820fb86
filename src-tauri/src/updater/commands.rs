//! Update commands: each one call into the update flow or the preferences.

use mostrador_core::activity::{ActivityGate, InFlight};
use mostrador_core::AppError;
use serde::Serialize;
use tauri::{AppHandle, State};

use super::{channel, emit_progress, endpoints_for, prefs, UpdateChannel, UpdateInfo, Updates};
use crate::boot::Boot;
use crate::ipc::command;

/// What Ajustes → Acerca de shows.
#[derive(Debug, Serialize, ts_rs::TS)]
pub struct UpdaterStatus {
    pub current_version: String,
    pub channel: UpdateChannel,
    pub check_on_startup: bool,
    /// Set when `MOSTRADOR_UPDATE_ENDPOINT` overrides the configured endpoints (testing/staging).
    pub endpoint_override: Option<String>,
    /// The newer release found by the last check, if any.
    pub available: Option<UpdateInfo>,
    /// `available` is downloaded and verified: "Reiniciar para actualizar" can install it.
    pub downloaded: bool,
    pub in_flight: InFlight,
}

#[command]
pub async fn update_status(
    app: AppHandle,
    boot: State<'_, Boot>,
    updates: State<'_, Updates>,
    gate: State<'_, ActivityGate>,
) -> Result<UpdaterStatus, AppError> {
    let prefs = prefs::load(&boot).await;
    let known = updates.known();
    Ok(UpdaterStatus {
        current_version: app.package_info().version.to_string(),
        channel: prefs.channel,
        check_on_startup: prefs.check_on_startup,
        endpoint_override: channel::override_from_env(),
        available: known.available,
        downloaded: known.downloaded,
        in_flight: gate.in_flight(),
    })
}

#[command]
pub async fn check_for_update(
    app: AppHandle,
    boot: State<'_, Boot>,
    updates: State<'_, Updates>,
) -> Result<Option<UpdateInfo>, AppError> {
    let prefs = prefs::load(&boot).await;
    Ok(updates
        .check(&app, endpoints_for(&app, prefs.channel)?)
        .await?)
}

#[command]
pub async fn download_update(
    app: AppHandle,
    updates: State<'_, Updates>,
) -> Result<UpdateInfo, AppError> {
    Ok(updates.download(|p| emit_progress(&app, p)).await?)
}

/// Waits until no send or invoice submission is in flight, installs, restarts.
#[command]
pub async fn restart_to_update(
    app: AppHandle,
    updates: State<'_, Updates>,
    gate: State<'_, ActivityGate>,
) -> Result<(), AppError> {
    let _hold = updates.install(&gate, |p| emit_progress(&app, p)).await?;
    app.restart()
}

#[command]
pub async fn set_update_channel(
    boot: State<'_, Boot>,
    channel: UpdateChannel,
) -> Result<(), AppError> {
    prefs::set_channel(&boot.store().await?, channel).await
}

#[command]
pub async fn set_update_check_on_startup(
    boot: State<'_, Boot>,
    enabled: bool,
) -> Result<(), AppError> {
    prefs::set_check_on_startup(&boot.store().await?, enabled).await
}
