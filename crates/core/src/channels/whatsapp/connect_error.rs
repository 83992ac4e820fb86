//! Why connecting WhatsApp failed, and how the UI says it (Spanish, with a stable code per cause).

use mostrador_whatsapp::{Error as GraphCallError, ErrorClass};
use serde_json::json;

use crate::error::{AppError, ErrorCode};
use crate::secrets::SecretError;
use crate::settings::SettingsError;

#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    /// A field of the form is empty or has the wrong shape (checked before calling Meta).
    #[error("{field} is invalid: {reason}")]
    InvalidField { field: &'static str, reason: String },
    /// Meta refused the test, or could not be reached. `phone_number_id`/`waba_id` let the UI
    /// name the field an "unknown object" error is about.
    #[error("the WhatsApp connection test failed: {source}")]
    Graph {
        source: GraphCallError,
        phone_number_id: String,
        waba_id: String,
    },
    /// Rotate or subscribe asked of a business that has no WhatsApp connection.
    #[error("WhatsApp is not connected for this business")]
    NotConnected,
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<ConnectError> for AppError {
    fn from(e: ConnectError) -> Self {
        match e {
            ConnectError::InvalidField { field, reason } => AppError::new(
                ErrorCode::InvalidSetting,
                format!("Revisá el campo «{}»: {}.", field_es(field), reason),
            )
            .with_details(json!({ "field": field })),
            ConnectError::NotConnected => AppError::new(
                ErrorCode::WhatsappNotConnected,
                "WhatsApp no está conectado en este negocio: conectalo en Ajustes → WhatsApp.",
            ),
            ConnectError::Settings(s) => s.into(),
            ConnectError::Secret(s) => s.into(),
            ConnectError::Graph {
                source,
                phone_number_id,
                waba_id,
            } => graph_error(&source, &phone_number_id, &waba_id),
        }
    }
}

fn field_es(field: &str) -> &'static str {
    match field {
        "phone_number_id" => "ID del número de teléfono",
        "waba_id" => "ID de la cuenta de WhatsApp Business",
        "access_token" => "Token de acceso",
        "app_secret" => "Clave secreta de la app",
        "graph_version" => "Versión de la API Graph",
        "base_url" => "Dirección de la API",
        "app_id" => "ID de la app de Meta",
        _ => "dato",
    }
}

/// Meta's answer in Spanish, by code (never by Meta's English title, which changes).
fn graph_error(e: &GraphCallError, phone_number_id: &str, waba_id: &str) -> AppError {
    tracing::info!(error = %e, "whatsapp connection test failed");
    let Some(g) = e.graph() else {
        return match e {
            GraphCallError::Timeout { .. }
            | GraphCallError::Network { .. }
            | GraphCallError::Http { .. }
            | GraphCallError::MaybeSent { .. } => AppError::new(
                ErrorCode::WhatsappUnreachable,
                "No se pudo comunicar con WhatsApp (Meta). Revisá la conexión a internet y probá de nuevo en unos minutos.",
            ),
            GraphCallError::Config(_) | GraphCallError::Id(_) | GraphCallError::Invalid(_) => {
                AppError::new(
                    ErrorCode::InvalidSetting,
                    "Algún dato de la conexión tiene un formato inválido: revisá los IDs, la versión de la API y la dirección.",
                )
            }
            GraphCallError::UnexpectedResponse { .. } | GraphCallError::Graph(_) => AppError::new(
                ErrorCode::WhatsappRejected,
                "WhatsApp respondió algo inesperado. Probá de nuevo; si sigue, revisá los registros.",
            ),
        };
    };
    let mut details = json!({ "graph_code": g.code });
    if let Some(s) = g.subcode {
        details["graph_subcode"] = s.into();
    }
    if let Some(t) = &g.fbtrace_id {
        details["fbtrace_id"] = t.clone().into();
    }
    let (code, message) = match g.class() {
        ErrorClass::AccessToken if g.subcode == Some(463) => (
            ErrorCode::WhatsappTokenInvalid,
            "El token de acceso venció (código 190 de Meta). Los tokens temporales duran 24 horas: generá un token permanente de un Usuario del sistema en Meta Business y pegalo acá.".to_string(),
        ),
        ErrorClass::AccessToken => (
            ErrorCode::WhatsappTokenInvalid,
            "Meta rechazó el token de acceso: no es válido o venció (código 190). Copiá de nuevo el token del Usuario del sistema en Meta Business, sin espacios.".to_string(),
        ),
        ErrorClass::Permission => (
            ErrorCode::WhatsappPermissionDenied,
            format!("El token no tiene permiso para esta cuenta (código {} de Meta). En Meta Business, asigná al Usuario del sistema la cuenta de WhatsApp y los permisos whatsapp_business_messaging y whatsapp_business_management, y generá el token de nuevo.", g.code),
        ),
        ErrorClass::InvalidParameter => {
            // Meta's "Object with ID 'X' does not exist" names the id it could not find.
            let field = if !phone_number_id.is_empty() && g.message.contains(phone_number_id) {
                Some("phone_number_id")
            } else if !waba_id.is_empty() && g.message.contains(waba_id) {
                Some("waba_id")
            } else {
                None
            };
            if let Some(f) = field {
                details["field"] = f.into();
            }
            let which = match field {
                Some("phone_number_id") => "el ID del número de teléfono",
                Some("waba_id") => "el ID de la cuenta de WhatsApp Business",
                _ => "el ID del número de teléfono y el de la cuenta de WhatsApp Business",
            };
            (
                ErrorCode::WhatsappWrongId,
                format!("Meta no encuentra ese número o cuenta, o el token no tiene acceso a ellos (código 100). Revisá {which} en WhatsApp Manager → Configuración de la API."),
            )
        }
        ErrorClass::ApiRateLimit
        | ErrorClass::Generic
        | ErrorClass::ServiceUnavailable
        | ErrorClass::Maintenance => (
            ErrorCode::WhatsappUnreachable,
            format!("WhatsApp no está disponible en este momento (código {} de Meta). Probá de nuevo en unos minutos.", g.code),
        ),
        ErrorClass::AccountLocked | ErrorClass::PolicyBlocked | ErrorClass::Payment => (
            ErrorCode::WhatsappRejected,
            format!("Meta tiene bloqueada o restringida esta cuenta (código {}). Revisalo en WhatsApp Manager.", g.code),
        ),
        _ => (
            ErrorCode::WhatsappRejected,
            format!("Meta rechazó la prueba de conexión (código {}). Revisá los datos en WhatsApp Manager.", g.code),
        ),
    };
    AppError::new(code, message).with_details(details)
}
