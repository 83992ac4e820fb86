//! The user's update preferences (global settings): channel and the start-up check.

use mostrador_core::settings::{self, UPDATE_CHANNEL, UPDATE_CHECK_ON_STARTUP};
use mostrador_core::store::Store;
use mostrador_core::AppError;

use super::channel::UpdateChannel;
use crate::boot::Boot;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UpdatePrefs {
    pub channel: UpdateChannel,
    pub check_on_startup: bool,
}

impl Default for UpdatePrefs {
    fn default() -> Self {
        UpdatePrefs {
            channel: UpdateChannel::Stable,
            check_on_startup: true,
        }
    }
}

/// The stored preferences; the defaults when the store did not open or a value is unreadable
/// (updates must keep working on a damaged install: they may be what fixes it).
pub async fn load(boot: &Boot) -> UpdatePrefs {
    let Ok(store) = boot.store().await else {
        return UpdatePrefs::default();
    };
    let store = &store;
    let read = |key: &'static str| async move {
        settings::get(store, None, key)
            .await
            .inspect_err(|e| tracing::warn!(key, error = %e, "cannot read update setting"))
            .ok()
            .flatten()
    };
    let mut prefs = UpdatePrefs::default();
    if let Some(c) = read(UPDATE_CHANNEL).await.as_deref() {
        prefs.channel = UpdateChannel::parse(c).unwrap_or_default();
    }
    if let Some(v) = read(UPDATE_CHECK_ON_STARTUP).await {
        prefs.check_on_startup = v != "false";
    }
    prefs
}

pub async fn set_channel(store: &Store, channel: UpdateChannel) -> Result<(), AppError> {
    Ok(settings::set(store, None, UPDATE_CHANNEL, channel.as_str()).await?)
}

pub async fn set_check_on_startup(store: &Store, enabled: bool) -> Result<(), AppError> {
    let value = if enabled { "true" } else { "false" };
    Ok(settings::set(store, None, UPDATE_CHECK_ON_STARTUP, value).await?)
}
