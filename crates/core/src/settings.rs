//! Key/value settings, global (`org = None`) or per organization.

use crate::org::OrgId;
use crate::store::{timestamp, Store, StoreError};

/// Global: the organization shown in the window.
pub const CURRENT_ORG: &str = "current_org_id";
/// Global: the UI language (`es` or `en`).
pub const LANGUAGE: &str = "language";
/// Global: whether the app looks for an update in the background at start-up (`true`/`false`;
/// absent means `true`).
pub const UPDATE_CHECK_ON_STARTUP: &str = "update_check_on_startup";
/// Global: the release channel updates come from (`stable` or `beta`; absent means `stable`).
pub const UPDATE_CHANNEL: &str = "update_channel";

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("setting {key} holds an invalid value: {reason}")]
    Invalid { key: String, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for SettingsError {
    fn from(e: sqlx::Error) -> Self {
        SettingsError::Store(StoreError::Sqlx(e))
    }
}

pub async fn get(
    store: &Store,
    org: Option<OrgId>,
    key: &str,
) -> Result<Option<String>, SettingsError> {
    let value =
        sqlx::query_scalar("SELECT value FROM settings WHERE coalesce(org_id, '') = ? AND key = ?")
            .bind(org.map(|o| o.to_string()).unwrap_or_default())
            .bind(key)
            .fetch_optional(store.reader())
            .await?;
    Ok(value)
}

/// Sets (inserts or replaces) a value.
pub async fn set(
    store: &Store,
    org: Option<OrgId>,
    key: &str,
    value: &str,
) -> Result<(), SettingsError> {
    sqlx::query(
        "INSERT INTO settings (org_id, key, value, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (coalesce(org_id, ''), key)
         DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    )
    .bind(org.map(|o| o.to_string()))
    .bind(key)
    .bind(value)
    .bind(timestamp::now_text())
    .execute(store.writer())
    .await?;
    Ok(())
}

pub async fn delete(store: &Store, org: Option<OrgId>, key: &str) -> Result<(), SettingsError> {
    sqlx::query("DELETE FROM settings WHERE coalesce(org_id, '') = ? AND key = ?")
        .bind(org.map(|o| o.to_string()).unwrap_or_default())
        .bind(key)
        .execute(store.writer())
        .await?;
    Ok(())
}
