use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the relay is not configured for this organization (missing {0})")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Relay(#[from] mostrador_relay::ClientError),
    #[error("the relay sent an invalid event (seq {seq}): {reason}")]
    InvalidEvent { seq: i64, reason: String },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<sqlx::Error> for InboxError {
    fn from(e: sqlx::Error) -> Self {
        InboxError::Store(StoreError::Sqlx(e))
    }
}
