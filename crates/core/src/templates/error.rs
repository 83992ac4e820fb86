//! What can go wrong with templates, and how the UI is told (Spanish, with the field named).

use serde_json::json;

use crate::error::{AppError, ErrorCode};
use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
    #[error("the job queue: {0}")]
    Queue(#[from] mostrador_queue::QueueError),
    /// WhatsApp is not connected for this business (settings or token missing).
    #[error("WhatsApp is not configured: {0}")]
    NotConfigured(String),
    /// Refused before reaching Meta: a limit of Meta's, or a parameter Meta would refuse.
    #[error("invalid {field}: {message_es}")]
    Invalid { field: String, message_es: String },
    /// Meta refused the new template.
    #[error("Meta refused the template ({field}): {meta}")]
    Rejected {
        field: &'static str,
        meta: String,
        code: i64,
        subcode: Option<i64>,
    },
    /// The call to Meta failed (network, timeout, auth, rate limit…).
    #[error(transparent)]
    WhatsApp(mostrador_whatsapp::Error),
    #[error("no template {name} ({language})")]
    NotFound { name: String, language: String },
    #[error("template {name} is {status}, not approved")]
    NotApproved { name: String, status: String },
    /// Marketing to a customer who opted out, or anything to one who opted out of everything.
    #[error("the customer opted out")]
    OptedOut { marketing_only: bool },
    #[error("no such customer, or no WhatsApp number for them")]
    NoRecipient,
}

impl From<sqlx::Error> for TemplateError {
    fn from(e: sqlx::Error) -> Self {
        TemplateError::Store(StoreError::Sqlx(e))
    }
}

impl TemplateError {
    pub(crate) fn invalid(field: impl Into<String>, message_es: impl Into<String>) -> Self {
        TemplateError::Invalid {
            field: field.into(),
            message_es: message_es.into(),
        }
    }
}

/// The form field a request field belongs to, in Spanish.
pub fn field_label_es(field: &str) -> String {
    if field == "name" {
        return "el nombre".into();
    }
    if field == "language" {
        return "el idioma".into();
    }
    if field.starts_with("components.HEADER") {
        return "el encabezado".into();
    }
    if field.starts_with("components.BODY.example") {
        return "los ejemplos de las variables".into();
    }
    if field.starts_with("components.BODY") {
        return "el texto del mensaje".into();
    }
    if field.starts_with("components.FOOTER") {
        return "el pie".into();
    }
    if let Some(rest) = field.strip_prefix("components.BUTTONS[") {
        if let Some(i) = rest.split(']').next().and_then(|n| n.parse::<usize>().ok()) {
            return format!("el botón {}", i + 1);
        }
    }
    if field.starts_with("components.BUTTONS") {
        return "los botones".into();
    }
    "la plantilla".into()
}

/// Meta's rejection reason (`rejected_reason` / webhook `reason`) in Spanish.
pub fn rejection_reason_es(reason: &str) -> String {
    match reason {
        "PROMOTIONAL" => {
            "Meta la considera promocional: creala como Marketing o quitale el tono de venta."
                .into()
        }
        "ABUSIVE_CONTENT" => "Meta encontró contenido abusivo o que viola sus políticas.".into(),
        "INCORRECT_CATEGORY" => "La categoría elegida no corresponde al contenido.".into(),
        "INVALID_FORMAT" => {
            "El formato no es válido: revisá variables, ejemplos y caracteres especiales.".into()
        }
        "SCAM" => "Meta la marcó como posible estafa.".into(),
        "TAG_CONTENT_MISMATCH" => {
            "El contenido no coincide con la categoría o el idioma elegidos.".into()
        }
        "NONE" | "" => String::new(),
        other => format!("Meta la rechazó (motivo {other})."),
    }
}

impl From<TemplateError> for AppError {
    fn from(e: TemplateError) -> Self {
        match e {
            TemplateError::Store(s) => s.into(),
            TemplateError::Settings(s) => s.into(),
            TemplateError::Secret(s) => s.into(),
            TemplateError::Queue(q) => {
                tracing::error!(error = %q, "queue error while sending a template");
                AppError::new(
                    ErrorCode::DatabaseError,
                    "No se pudo encolar el envío. No se envió nada; probá de nuevo.",
                )
            }
            TemplateError::NotConfigured(_) => AppError::new(
                ErrorCode::InvalidSetting,
                "WhatsApp no está conectado en este negocio: configuralo en Ajustes → WhatsApp.",
            ),
            TemplateError::Invalid { field, message_es } => {
                AppError::new(ErrorCode::TemplateInvalid, message_es)
                    .with_details(json!({ "field": field }))
            }
            TemplateError::Rejected {
                field,
                meta,
                code,
                subcode,
            } => AppError::new(
                ErrorCode::TemplateRejected,
                format!(
                    "WhatsApp rechazó la plantilla: revisá {}. Detalle de Meta: {meta}",
                    field_label_es(field)
                ),
            )
            .with_details(json!({ "field": field, "code": code, "subcode": subcode })),
            TemplateError::WhatsApp(w) => {
                tracing::warn!(error = %w, "template call to WhatsApp failed");
                let message = if w.pauses_integration() {
                    "WhatsApp rechazó la conexión (token vencido o sin permisos): reconectá WhatsApp en Ajustes."
                } else if w.retryable() {
                    "No se pudo hablar con WhatsApp ahora. Probá de nuevo en unos minutos."
                } else {
                    "WhatsApp devolvió un error inesperado. Probá de nuevo; si sigue, revisá los registros."
                };
                AppError::new(ErrorCode::WhatsappRequestFailed, message).with_details(json!({
                    "code": w.graph().map(|g| g.code),
                    "fbtrace_id": w.fbtrace_id(),
                }))
            }
            TemplateError::NotFound { name, language } => AppError::new(
                ErrorCode::TemplateNotFound,
                format!("No existe la plantilla «{name}» ({language}). Sincronizá las plantillas."),
            )
            .with_details(json!({ "name": name, "language": language })),
            TemplateError::NotApproved { name, status } => AppError::new(
                ErrorCode::TemplateNotApproved,
                format!("La plantilla «{name}» no está aprobada por WhatsApp (estado: {status}): todavía no se puede enviar."),
            )
            .with_details(json!({ "name": name, "status": status })),
            TemplateError::OptedOut { marketing_only } => AppError::new(
                ErrorCode::CustomerOptedOut,
                if marketing_only {
                    "El cliente pidió no recibir mensajes de marketing: usá una plantilla de utilidad."
                } else {
                    "El cliente pidió no recibir más mensajes."
                },
            ),
            TemplateError::NoRecipient => AppError::new(
                ErrorCode::TemplateRecipientMissing,
                "Ese cliente no existe o no tiene un número de WhatsApp.",
            ),
        }
    }
}
