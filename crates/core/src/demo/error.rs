//! What can go wrong starting, driving or leaving the demo.

use std::path::PathBuf;

use crate::error::{AppError, ErrorCode};
use crate::inbox::InboxError;
use crate::org::OrgError;
use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error("demo files at {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("the demo marker {path} is unreadable ({reason}); \"Salir del demo\" removes it")]
    Marker { path: PathBuf, reason: String },
    #[error("the demo's provider simulators could not start: {0}")]
    Sandbox(std::io::Error),
    #[error("the demo's local relay failed: {0}")]
    Relay(String),
    #[error("the demo's WhatsApp simulator refused a customer message: {0}")]
    Simulator(String),
    #[error("the demo's AFIP set-up failed: {0}")]
    Afip(String),
    #[error("the demo's MercadoPago set-up failed: {0}")]
    MercadoPago(String),
    #[error("no demo is running")]
    NotRunning,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error(transparent)]
    Inbox(#[from] InboxError),
}

impl From<mostrador_relay::server::ServerError> for DemoError {
    fn from(e: mostrador_relay::server::ServerError) -> Self {
        DemoError::Relay(e.to_string())
    }
}

impl From<mostrador_relay::server::StorageError> for DemoError {
    fn from(e: mostrador_relay::server::StorageError) -> Self {
        DemoError::Relay(e.to_string())
    }
}

impl From<DemoError> for AppError {
    fn from(e: DemoError) -> Self {
        match e {
            DemoError::Store(s) => s.into(),
            DemoError::Settings(s) => s.into(),
            DemoError::Secret(s) => s.into(),
            DemoError::Org(o) => o.into(),
            DemoError::NotRunning => AppError::new(
                ErrorCode::DemoFailed,
                "El modo de prueba no está funcionando: salí del demo y volvé a entrar.",
            ),
            other => {
                tracing::error!(error = %other, "demo error");
                AppError::new(
                    ErrorCode::DemoFailed,
                    "El modo de prueba no pudo funcionar en esta computadora. Salí del demo y probá de nuevo; si sigue, revisá los registros.",
                )
            }
        }
    }
}
