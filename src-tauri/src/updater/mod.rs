//! Signed auto-update through `tauri-plugin-updater`.
//!
//! The manifest (`latest.json`) is fetched from the channel's endpoints (see [`channel`]); the
//! package is verified against `plugins.updater.pubkey` before it is kept, and installed only when
//! no outbound send or invoice submission is in flight (`mostrador_core::activity`). At start-up
//! one background check runs unless turned off in Ajustes; it tells the window through
//! [`UPDATE_AVAILABLE`]. Releases are cut with `scripts/release` (docs/releasing.md).

pub mod channel;
pub mod commands;
mod error;
mod prefs;
mod service;

pub use channel::UpdateChannel;
pub use error::UpdateError;
pub use service::{UpdateInfo, UpdateProgress, Updates};

use tauri::{AppHandle, Manager, Runtime, Url};

use crate::boot::Boot;

crate::event! {
    /// The start-up check found a newer release.
    pub UPDATE_AVAILABLE: "update-available" => UpdateInfo
}
crate::event! {
    /// Download and install progress.
    pub UPDATE_PROGRESS: "update-progress" => UpdateProgress
}

/// The plugin, configured from `plugins.updater` in `tauri.conf.json`. Its JavaScript commands
/// are not granted to the window (capabilities): the UI goes through [`commands`].
pub fn plugin<R: Runtime>() -> tauri::plugin::TauriPlugin<R, tauri_plugin_updater::Config> {
    tauri_plugin_updater::Builder::new().build()
}

/// The manifest URLs for `channel`, from the app's config (or the testing override).
pub fn endpoints_for<R: Runtime>(
    app: &AppHandle<R>,
    channel: UpdateChannel,
) -> Result<Vec<Url>, UpdateError> {
    let configured = channel::configured(app.config().plugins.0.get("updater"));
    channel::endpoints(
        &configured,
        channel,
        channel::override_from_env().as_deref(),
    )
}

pub fn emit_progress<R: Runtime>(app: &AppHandle<R>, progress: UpdateProgress) {
    if let Err(e) = UPDATE_PROGRESS.emit(app, progress) {
        tracing::warn!(error = %e, "cannot send update progress to the window");
    }
}

/// Checks once in the background, unless the user turned it off; never delays start-up.
pub fn spawn_startup_check(app: AppHandle) {
    tauri::async_runtime::spawn(async move {
        let prefs = prefs::load(&app.state::<Boot>()).await;
        if !prefs.check_on_startup {
            tracing::info!("start-up update check is turned off");
            return;
        }
        let updates = app.state::<Updates>();
        let found = match endpoints_for(&app, prefs.channel) {
            Ok(endpoints) => updates.check(&app, endpoints).await,
            Err(e) => Err(e),
        };
        match found {
            Ok(Some(info)) => {
                if let Err(e) = UPDATE_AVAILABLE.emit(&app, info) {
                    tracing::warn!(error = %e, "cannot tell the window about the update");
                }
            }
            Ok(None) => {}
            Err(e) => tracing::warn!(error = %e, "start-up update check failed"),
        }
    });
}
