//! What can go wrong in the AFIP set-up, and how it reads in the UI.

use chrono::{DateTime, Utc};
use mostrador_types::Cuit;

use crate::error::{AppError, ErrorCode};
use crate::org::OrgError;
use crate::secrets::SecretError;
use crate::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum CertError {
    #[error("the alias must be 1 to {max} letters, digits, '-' or '_'")]
    InvalidAlias { max: usize },
    #[error("the file is not an X.509 certificate (PEM or DER)")]
    NotACertificate,
    #[error("the file is not a PEM private key (the key itself is not shown)")]
    NotAKey,
    #[error("the file is not a PKCS#12 (.p12/.pfx) file")]
    NotAP12,
    #[error("the .p12 password is wrong")]
    WrongP12Password,
    #[error("the .p12 file lacks the certificate or the private key")]
    P12Incomplete,
    #[error("the certificate does not belong to this computer's private key")]
    KeyMismatch,
    #[error("the certificate is for CUIT {certificate:?}, the business is {organization}")]
    CuitMismatch {
        certificate: Option<Cuit>,
        organization: Cuit,
    },
    #[error("the certificate expired on {not_after}")]
    Expired { not_after: DateTime<Utc> },
    #[error("the certificate is valid only from {not_before}")]
    NotYetValid { not_before: DateTime<Utc> },
    #[error("no private key: generate the key and CSR first")]
    NoKey,
    #[error("no certificate imported for this environment")]
    NoCertificate,
    #[error("the stored certificate or key cannot be used: {0}")]
    Stored(String),
    #[error("AFIP's login (WSAA) failed: {0}")]
    Wsaa(#[from] mostrador_afip::wsaa::WsaaError),
    #[error("AFIP's invoicing service (WSFE) failed: {0}")]
    Wsfe(#[from] mostrador_afip::wsfe::WsfeError),
    #[error("no such point of sale among the ones AFIP lists: {0}")]
    UnknownPointOfSale(u32),
    #[error("{field} is invalid: {reason}")]
    InvalidField { field: &'static str, reason: String },
    #[error("cryptography failed: {0}")]
    Crypto(String),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Org(#[from] OrgError),
    #[error("the key generation task was cancelled")]
    Join,
}

fn date_es(t: DateTime<Utc>) -> String {
    t.format("%d/%m/%Y").to_string()
}

impl From<CertError> for AppError {
    fn from(e: CertError) -> Self {
        use mostrador_afip::wsaa::WsaaError;
        let err = |code, msg: String| AppError::new(code, msg);
        match e {
            CertError::Secret(s) => s.into(),
            CertError::Settings(s) => s.into(),
            CertError::Org(o) => o.into(),
            CertError::InvalidAlias { max } => err(
                ErrorCode::InvalidSetting,
                format!("El alias puede tener de 1 a {max} letras sin acentos, números, «-» o «_» (por ejemplo «mostrador-caja1»)."),
            )
            .with_details(serde_json::json!({ "field": "alias" })),
            CertError::InvalidField { field, reason } => err(
                ErrorCode::InvalidSetting,
                format!("El dato «{field}» no es válido: {reason}"),
            )
            .with_details(serde_json::json!({ "field": field })),
            CertError::NotACertificate => err(
                ErrorCode::AfipCertificateInvalid,
                "Ese archivo no es un certificado. Elegí el .crt (o .pem) que descargaste de AFIP.".into(),
            ),
            CertError::NotAKey => err(
                ErrorCode::AfipCertificateInvalid,
                "Ese archivo no es una clave privada en formato PEM.".into(),
            ),
            CertError::NotAP12 => err(
                ErrorCode::AfipCertificateInvalid,
                "Ese archivo no es un .p12/.pfx válido.".into(),
            ),
            CertError::P12Incomplete => err(
                ErrorCode::AfipCertificateInvalid,
                "El .p12 no trae el certificado y la clave privada juntos. Exportalo de nuevo incluyendo la clave.".into(),
            ),
            CertError::WrongP12Password => err(
                ErrorCode::AfipWrongPassword,
                "La contraseña del .p12 no es correcta. No se guardó nada.".into(),
            ),
            CertError::KeyMismatch => err(
                ErrorCode::AfipKeyMismatch,
                "Ese certificado no corresponde a la clave de esta computadora: fue generado con otro pedido (CSR). Subí a AFIP el CSR que generó Mostrador y descargá el certificado nuevo. No se guardó nada.".into(),
            ),
            CertError::CuitMismatch { certificate, organization } => err(
                ErrorCode::AfipCuitMismatch,
                match certificate {
                    Some(c) => format!("El certificado es del CUIT {c} y este negocio es {organization}. No se guardó nada."),
                    None => format!("El certificado no indica un CUIT; este negocio es {organization}. No se guardó nada."),
                },
            )
            .with_details(serde_json::json!({
                "certificate_cuit": certificate.map(|c| c.digits()),
                "organization_cuit": organization.digits(),
            })),
            CertError::Expired { not_after } => err(
                ErrorCode::AfipCertificateExpired,
                format!("El certificado venció el {}. Generá un pedido nuevo y descargá otro certificado. No se guardó nada.", date_es(not_after)),
            ),
            CertError::NotYetValid { not_before } => err(
                ErrorCode::AfipCertificateExpired,
                format!("El certificado recién es válido desde el {}. Revisá la fecha y hora de la computadora.", date_es(not_before)),
            ),
            CertError::NoKey => err(
                ErrorCode::AfipNotConfigured,
                "Todavía no hay una clave: tocá «Generar clave y pedido (CSR)» o importá tu certificado con su clave.".into(),
            ),
            CertError::NoCertificate => err(
                ErrorCode::AfipNotConfigured,
                "Todavía no importaste el certificado de AFIP para este ambiente.".into(),
            ),
            CertError::UnknownPointOfSale(n) => err(
                ErrorCode::InvalidSetting,
                format!("AFIP no lista el punto de venta {n} para este CUIT. Tocá «Probar» y elegí uno de la lista."),
            )
            .with_details(serde_json::json!({ "field": "point_of_sale" })),
            CertError::Wsaa(w) => {
                tracing::warn!(error = %w, "AFIP probe: WSAA failed");
                let msg = match &w {
                    WsaaError::NotAuthorized { .. } => "AFIP rechazó el ingreso: el certificado no está autorizado para «wsfe». En AFIP, asociá el certificado al servicio de Facturación Electrónica (ver los pasos) y probá de nuevo.".to_string(),
                    WsaaError::CertificateUntrusted { .. } => "AFIP no reconoce el certificado. ¿Es del otro ambiente (homologación/producción)?".to_string(),
                    WsaaError::CertificateExpired { .. } => "AFIP dice que el certificado venció. Generá uno nuevo.".to_string(),
                    WsaaError::ClockSkew { .. } => "La hora de la computadora no coincide con la de AFIP. Sincronizá el reloj y probá de nuevo.".to_string(),
                    WsaaError::AlreadyAuthenticated => "AFIP ya entregó un ticket de acceso a otro programa o instalación con este certificado; esperá unos minutos y probá de nuevo.".to_string(),
                    WsaaError::Transport(_) | WsaaError::Unavailable { .. } => "No se pudo conectar con AFIP. Revisá la conexión a internet y probá de nuevo.".to_string(),
                    _ => "AFIP rechazó el ingreso (WSAA). Revisá el certificado y probá de nuevo.".to_string(),
                };
                let code = match &w {
                    WsaaError::Transport(_) | WsaaError::Unavailable { .. } => ErrorCode::AfipUnreachable,
                    _ => ErrorCode::AfipRejected,
                };
                err(code, msg).with_details(serde_json::json!({ "service": "wsaa" }))
            }
            CertError::Wsfe(w) => {
                tracing::warn!(error = %w, "AFIP probe: WSFE failed");
                let code = match &w {
                    mostrador_afip::wsfe::WsfeError::Transport(_) => ErrorCode::AfipUnreachable,
                    _ => ErrorCode::AfipRejected,
                };
                err(
                    code,
                    "El servicio de facturación de AFIP (WSFE) no respondió bien. Probá de nuevo en unos minutos.".into(),
                )
                .with_details(serde_json::json!({ "service": "wsfe" }))
            }
            CertError::Stored(_) | CertError::Crypto(_) | CertError::Join => {
                tracing::error!(error = %e, "AFIP set-up failed");
                err(
                    ErrorCode::Internal,
                    "No se pudo completar la operación con el certificado. Probá de nuevo; si sigue, revisá los registros.".into(),
                )
            }
        }
    }
}
