//! What can go wrong with an update, classified from the plugin's errors, and how the UI is told
//! (`{code, message, details}`, Spanish messages; `details.reason` keeps the technical cause).

use mostrador_core::{AppError, ErrorCode};
use tauri_plugin_updater::Error as PluginError;

#[derive(Debug, thiserror::Error)]
pub enum UpdateError {
    #[error("the update server could not be reached: {0}")]
    ServerUnreachable(String),
    #[error("the update manifest is not valid: {0}")]
    ManifestInvalid(String),
    #[error("the downloaded update does not match its signature, it was rejected: {0}")]
    SignatureInvalid(String),
    #[error("the update download failed: {0}")]
    DownloadFailed(String),
    #[error("the verified update could not be installed: {0}")]
    InstallFailed(String),
    #[error("no downloaded update to install: check for updates and download first")]
    NotDownloaded,
    #[error("an update check or download is already running: wait for it to finish")]
    Busy,
    #[error("the updater is misconfigured (a packaging bug): {0}")]
    Misconfigured(String),
}

impl UpdateError {
    /// An error while fetching or reading the manifest.
    pub fn from_check(e: PluginError) -> UpdateError {
        let reason = e.to_string();
        match e {
            PluginError::Reqwest(r) if r.is_decode() => UpdateError::ManifestInvalid(reason),
            PluginError::Reqwest(_) | PluginError::Network(_) | PluginError::Io(_) => {
                UpdateError::ServerUnreachable(reason)
            }
            PluginError::ReleaseNotFound => UpdateError::ServerUnreachable(
                "no endpoint answered with a release manifest (HTTP error status)".into(),
            ),
            PluginError::Serialization(_)
            | PluginError::Semver(_)
            | PluginError::UrlParse(_)
            | PluginError::TargetNotFound(_)
            | PluginError::TargetsNotFound(_)
            | PluginError::FormatDate => UpdateError::ManifestInvalid(reason),
            other => UpdateError::Misconfigured(other.to_string()),
        }
    }

    /// An error while downloading and verifying the package.
    pub fn from_download(e: PluginError) -> UpdateError {
        match e {
            e if is_signature_error(&e) => UpdateError::SignatureInvalid(e.to_string()),
            e => UpdateError::DownloadFailed(e.to_string()),
        }
    }

    /// An error while installing the (already verified) package.
    pub fn from_install(e: PluginError) -> UpdateError {
        match e {
            e if is_signature_error(&e) => UpdateError::SignatureInvalid(e.to_string()),
            e => UpdateError::InstallFailed(e.to_string()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            UpdateError::ServerUnreachable(_) => ErrorCode::UpdateServerUnreachable,
            UpdateError::ManifestInvalid(_) => ErrorCode::UpdateManifestInvalid,
            UpdateError::SignatureInvalid(_) => ErrorCode::UpdateSignatureInvalid,
            UpdateError::DownloadFailed(_) => ErrorCode::UpdateDownloadFailed,
            UpdateError::InstallFailed(_) => ErrorCode::UpdateInstallFailed,
            UpdateError::NotDownloaded => ErrorCode::UpdateNotDownloaded,
            UpdateError::Busy => ErrorCode::UpdateBusy,
            UpdateError::Misconfigured(_) => ErrorCode::UpdateMisconfigured,
        }
    }

    fn message_es(&self) -> &'static str {
        match self {
            UpdateError::ServerUnreachable(_) => {
                "No se pudo conectar con el servidor de actualizaciones. Revisá la conexión a internet y probá de nuevo más tarde."
            }
            UpdateError::ManifestInvalid(_) => {
                "El servidor de actualizaciones respondió con datos inválidos. No se descargó nada; probá de nuevo más tarde."
            }
            UpdateError::SignatureInvalid(_) => {
                "La descarga fue rechazada porque su firma no coincide; no se instaló nada. Tu versión actual sigue funcionando."
            }
            UpdateError::DownloadFailed(_) => {
                "La descarga de la actualización se interrumpió; no se instaló nada. Probá de nuevo."
            }
            UpdateError::InstallFailed(_) => {
                "No se pudo instalar la actualización (¿se canceló el pedido de permisos?). Tu versión actual sigue funcionando; probá de nuevo."
            }
            UpdateError::NotDownloaded => {
                "Todavía no hay una actualización descargada: buscá actualizaciones y descargala primero."
            }
            UpdateError::Busy => {
                "Ya se está buscando o descargando una actualización: esperá a que termine."
            }
            UpdateError::Misconfigured(_) => {
                "Esta instalación de Mostrador no tiene bien configuradas las actualizaciones. Avisá a soporte."
            }
        }
    }
}

fn is_signature_error(e: &PluginError) -> bool {
    matches!(
        e,
        PluginError::Minisign(_)
            | PluginError::Base64(_)
            | PluginError::SignatureUtf8(_)
            | PluginError::SignedVersionMismatch { .. }
            | PluginError::MissingSignedVersion
    )
}

impl From<UpdateError> for AppError {
    fn from(e: UpdateError) -> Self {
        match &e {
            UpdateError::SignatureInvalid(_) | UpdateError::Misconfigured(_) => {
                tracing::error!(error = %e, "update failed")
            }
            _ => tracing::warn!(error = %e, "update failed"),
        }
        let details = match &e {
            UpdateError::ServerUnreachable(r)
            | UpdateError::ManifestInvalid(r)
            | UpdateError::SignatureInvalid(r)
            | UpdateError::DownloadFailed(r)
            | UpdateError::InstallFailed(r)
            | UpdateError::Misconfigured(r) => Some(serde_json::json!({ "reason": r })),
            UpdateError::NotDownloaded | UpdateError::Busy => None,
        };
        let err = AppError::new(e.code(), e.message_es());
        match details {
            Some(d) => err.with_details(d),
            None => err,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_signature_says_nothing_was_installed() {
        let e = UpdateError::from_download(PluginError::SignedVersionMismatch {
            signed: "0.1.0".into(),
            announced: "0.2.0".into(),
        });
        let app: AppError = e.into();
        assert_eq!(app.code, ErrorCode::UpdateSignatureInvalid);
        assert!(app.message.contains("firma no coincide"), "{}", app.message);
        assert!(
            app.message.contains("no se instaló nada"),
            "{}",
            app.message
        );
        assert!(app.details.unwrap()["reason"]
            .as_str()
            .unwrap()
            .contains("0.2.0"));
    }

    #[test]
    fn manifest_and_network_failures_are_told_apart() {
        assert!(matches!(
            UpdateError::from_check(PluginError::ReleaseNotFound),
            UpdateError::ServerUnreachable(_)
        ));
        let bad_json = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        assert!(matches!(
            UpdateError::from_check(PluginError::Serialization(bad_json)),
            UpdateError::ManifestInvalid(_)
        ));
        assert!(matches!(
            UpdateError::from_check(PluginError::EmptyEndpoints),
            UpdateError::Misconfigured(_)
        ));
    }
}
