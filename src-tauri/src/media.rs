//! Customers' media in the window: where a message's file is, for the asset protocol (scoped in
//! tauri.conf.json, and here for a `MOSTRADOR_DATA_DIR` data dir, to the `media/` folder only).

use mostrador_core::intake::media::{self, MediaLocation, MEDIA_DIR};
use mostrador_core::org::OrgId;
use mostrador_core::AppError;
use tauri::{AppHandle, Manager, State};

use crate::boot::Boot;
use crate::ipc::command;

/// Lets the asset protocol serve the data dir's media folder (and nothing else of it). The
/// static scope in tauri.conf.json covers the default data dir; this covers an overridden one.
pub fn allow(app: &AppHandle, data_dir: &std::path::Path) {
    let dir = data_dir.join(MEDIA_DIR);
    if let Err(e) = app.asset_protocol_scope().allow_directory(&dir, true) {
        tracing::warn!(error = %e, "media folder not added to the asset protocol scope");
    }
}

/// The media of a message: its state and, once downloaded, the file's absolute path (give it to
/// `convertFileSrc`). `previewable` says whether to show it inline; `null` when the message has
/// no media.
#[command]
pub async fn message_media(
    boot: State<'_, Boot>,
    org_id: OrgId,
    message_id: i64,
) -> Result<Option<MediaLocation>, AppError> {
    let store = boot.store().await?;
    Ok(media::locate(&store, &boot.dirs().data, org_id, message_id).await?)
}
