use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("WhatsApp is not connected for this organization (missing {0})")]
    NotConfigured(&'static str),
    #[error("media {0} is not known")]
    UnknownMedia(String),
    #[error("media download failed: {0}")]
    Download(String),
    #[error("could not write the media file {path}: {source}")]
    Io {
        path: std::path::PathBuf,
        source: std::io::Error,
    },
}

impl From<sqlx::Error> for IntakeError {
    fn from(e: sqlx::Error) -> Self {
        IntakeError::Store(StoreError::Sqlx(e))
    }
}
