//! The error shape that crosses to the UI (design §7): a closed code, a message for people
//! (Spanish, es-AR), and optional structured details the UI can use (which field, what value).

use serde::Serialize;

use crate::intake::IntakeError;
use crate::org::OrgError;
use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

/// Every code the UI may receive. Closed and documented: adding one is a UI change too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    /// The business name is empty or too long.
    InvalidName,
    /// The CUIT is malformed or its check digit is wrong.
    InvalidCuit,
    /// The IVA condition cannot be a business's own.
    InvalidIvaCondition,
    /// A business with that CUIT and name already exists.
    DuplicateOrganization,
    /// No business with that id.
    OrganizationNotFound,
    /// The database file is damaged or is not ours.
    DatabaseCorrupt,
    /// The database file or its folder cannot be written.
    DatabaseReadOnly,
    /// The database was written by a newer app version.
    DatabaseTooNew,
    /// Any other database failure.
    DatabaseError,
    /// There is no usable OS keychain (Secret Service, Keychain, Credential Manager).
    KeychainUnavailable,
    /// The keychain answered with an error.
    KeychainError,
    /// A settings value is not what was expected.
    InvalidSetting,
    /// The update server could not be reached (offline, DNS, timeout, HTTP error).
    UpdateServerUnreachable,
    /// The update server answered, but not with a usable release manifest (`latest.json`).
    UpdateManifestInvalid,
    /// The downloaded update does not match its signature: it was rejected, nothing installed.
    UpdateSignatureInvalid,
    /// The update download broke off; nothing was installed.
    UpdateDownloadFailed,
    /// The verified update could not be installed (permission prompt dismissed, package error).
    UpdateInstallFailed,
    /// "Restart to update" without a downloaded, verified update.
    UpdateNotDownloaded,
    /// Another update check or download is already running.
    UpdateBusy,
    /// The updater configuration (endpoints, public key) is unusable: a packaging bug.
    UpdateMisconfigured,
    /// A customer's media file could not be downloaded or did not match its checksum (kept
    /// pending; it can be retried while WhatsApp still has it, 7 days).
    MediaDownloadFailed,
    /// The app is still starting or failed to start.
    NotReady,
    /// An outbound job (a send) does not exist any more (pruned) or never did.
    JobNotFound,
    /// An outbound job is no longer in the state the action needs (e.g. already resolved).
    JobStateConflict,
    /// The outbound engine (sends) is still starting, or could not start.
    OutboundNotRunning,
    /// A bug: something that should not happen.
    Internal,
    /// Meta rejected the WhatsApp access token (Graph code 190: invalid or expired).
    WhatsappTokenInvalid,
    /// Meta does not know the phone number id or WABA id, or the token cannot see it (code 100).
    WhatsappWrongId,
    /// The token lacks a permission on the WhatsApp account (codes 10, 200–299).
    WhatsappPermissionDenied,
    /// Meta could not be reached or is temporarily unavailable.
    WhatsappUnreachable,
    /// Meta refused for another reason (account blocked, unknown code): see `details.graph_code`.
    WhatsappRejected,
    /// The business has no WhatsApp connection (Ajustes → WhatsApp), or the customer has no
    /// WhatsApp id to write to.
    WhatsappNotConnected,
    /// The relay refused the device token (wrong, or rotated with `tenant rotate-token`).
    RelayTokenRejected,
    /// The relay could not be reached, or answered with an error.
    RelayUnreachable,
    /// The pasted relay data lacks the URL or the device token, or they are malformed.
    RelayBlockInvalid,
    /// That relay tenant already feeds another business here (one tenant, one business).
    RelayTenantInUse,
    /// The conversation does not exist (any more).
    ConversationNotFound,
    /// The message does not exist (any more).
    MessageNotFound,
    /// More than 24 h since the customer's last message: only a template may be sent.
    WindowClosed,
    /// The customer asked not to receive messages (or marketing, for a marketing send).
    CustomerOptedOut,
    /// A message WhatsApp would refuse (empty, too long, a file of the wrong type or size).
    InvalidMessage,
    /// Demo mode ("Probar con datos de ejemplo") could not start or is not running.
    DemoFailed,
    /// A template or a template parameter breaks one of WhatsApp's rules (`details.field`).
    TemplateInvalid,
    /// Meta refused a new template (`details.field`, Meta's code and subcode).
    TemplateRejected,
    /// No template with that name and language (sync the templates).
    TemplateNotFound,
    /// The template is not approved (pending, rejected, paused, disabled).
    TemplateNotApproved,
    /// The customer does not exist or has no WhatsApp number.
    TemplateRecipientMissing,
    /// A call to WhatsApp failed (network, timeout, authorization, rate limit).
    WhatsappRequestFailed,
    /// A phone number or e-mail address cannot be used (invalid, missing, or the customer opted
    /// out of that channel).
    InvalidRecipient,
    /// The channel (SMS, e-mail) is not set up in Ajustes.
    ChannelNotConfigured,
    /// The provider refused a test send ("Probar"); the message says why.
    ProviderRejected,
    /// A reminder was already sent, cancelled or missed: it cannot change.
    ReminderNotEditable,
    /// An invoice broke a local rule before queuing (`details.field` names the field).
    InvoiceInvalid,
    /// The invoice does not exist.
    InvoiceNotFound,
    /// AFIP set-up: the file is not a certificate, key or .p12 that can be read.
    AfipCertificateInvalid,
    /// AFIP set-up: the .p12 password is wrong.
    AfipWrongPassword,
    /// AFIP set-up: the certificate is for another private key.
    AfipKeyMismatch,
    /// AFIP set-up: the certificate represents another CUIT.
    AfipCuitMismatch,
    /// AFIP set-up: the certificate is expired (or not valid yet).
    AfipCertificateExpired,
    /// AFIP is not set up for the business: no key, certificate or point of sale yet.
    AfipNotConfigured,
    /// AFIP answered and refused (not authorized, untrusted certificate, service error).
    AfipRejected,
    /// AFIP could not be reached.
    AfipUnreachable,
    /// MercadoPago is not set up (access token or webhook secret missing).
    PaymentsNotConfigured,
    /// The payment (or payment link) does not exist.
    PaymentNotFound,
    /// A "Cobrar" or refund broke a local rule (`details.field` names it).
    PaymentInvalid,
    /// A refund above what is left of the payment.
    RefundTooLarge,
}

/// An error as the UI sees it: `{code, message, details}`.
#[derive(Debug, Clone, PartialEq, Serialize, thiserror::Error)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[error("{code:?}: {message}")]
pub struct AppError {
    pub code: ErrorCode,
    /// For people, in Spanish (es-AR). The UI may localize by `code` + `details`.
    pub message: String,
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub details: Option<serde_json::Value>,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
            details: None,
        }
    }

    /// The Estado page asked the outbound engine for something before it was running.
    pub fn outbound_not_running() -> Self {
        AppError::new(
            ErrorCode::OutboundNotRunning,
            "Los envíos todavía se están iniciando o no pudieron arrancar: esperá unos segundos; si sigue, reiniciá Mostrador y revisá los registros.",
        )
    }

    pub fn with_details(mut self, details: serde_json::Value) -> Self {
        self.details = Some(details);
        self
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        let (code, message) = match &e {
            StoreError::Corrupt { path } => (
                ErrorCode::DatabaseCorrupt,
                format!(
                    "La base de datos ({}) está dañada o no es de Mostrador. No la modificamos: hacé una copia y contactá a soporte.",
                    path.display()
                ),
            ),
            StoreError::ReadOnly { path } | StoreError::CreateDir { path, .. } => (
                ErrorCode::DatabaseReadOnly,
                format!(
                    "No se puede escribir la base de datos ({}). Revisá los permisos de la carpeta o si el disco está lleno o protegido.",
                    path.display()
                ),
            ),
            StoreError::NewerSchema { .. } => (
                ErrorCode::DatabaseTooNew,
                "Esta base de datos es de una versión más nueva de Mostrador. Actualizá la aplicación.".to_string(),
            ),
            StoreError::Migration { .. } | StoreError::Sqlx(_) => (
                ErrorCode::DatabaseError,
                "Ocurrió un error con la base de datos. Tus datos no se modificaron; probá de nuevo.".to_string(),
            ),
        };
        tracing::error!(error = %e, code = ?code, "store error");
        AppError::new(code, message)
    }
}

impl From<SecretError> for AppError {
    fn from(e: SecretError) -> Self {
        match &e {
            SecretError::Unavailable { .. } => AppError::new(
                ErrorCode::KeychainUnavailable,
                format!(
                    "No hay un llavero del sistema disponible para guardar claves de forma segura. {}",
                    crate::secrets::how_to_get_a_keychain_es()
                ),
            ),
            SecretError::Keychain { .. } | SecretError::Join => {
                tracing::error!(error = %e, "keychain error");
                AppError::new(
                    ErrorCode::KeychainError,
                    "El llavero del sistema devolvió un error. Probá de nuevo.",
                )
            }
        }
    }
}

impl From<SettingsError> for AppError {
    fn from(e: SettingsError) -> Self {
        match e {
            SettingsError::Store(s) => s.into(),
            SettingsError::Invalid { key, .. } => AppError::new(
                ErrorCode::InvalidSetting,
                format!("El ajuste «{key}» tiene un valor inválido."),
            )
            .with_details(serde_json::json!({ "key": key })),
        }
    }
}

impl From<OrgError> for AppError {
    fn from(e: OrgError) -> Self {
        match e {
            OrgError::Store(s) => s.into(),
            OrgError::EmptyName => AppError::new(
                ErrorCode::InvalidName,
                "Ingresá el nombre del negocio.",
            )
            .with_details(serde_json::json!({ "field": "name" })),
            OrgError::NameTooLong { max } => AppError::new(
                ErrorCode::InvalidName,
                format!("El nombre puede tener hasta {max} caracteres."),
            )
            .with_details(serde_json::json!({ "field": "name", "max": max })),
            OrgError::InvalidCuit(c) => {
                let mut details = serde_json::json!({ "field": "cuit" });
                if let mostrador_types::CuitError::WrongCheckDigit { expected, found, .. } = &c {
                    details["expected_check_digit"] = (*expected).into();
                    details["found_check_digit"] = (*found).into();
                }
                AppError::new(ErrorCode::InvalidCuit, c.message_es()).with_details(details)
            }
            OrgError::IvaConditionNotForIssuer(c) => AppError::new(
                ErrorCode::InvalidIvaCondition,
                "Un negocio no puede tener esa condición frente al IVA: elegí responsable inscripto, monotributo o exento.",
            )
            .with_details(serde_json::json!({ "field": "iva_condition", "value": c.as_str() })),
            OrgError::Duplicate => AppError::new(
                ErrorCode::DuplicateOrganization,
                "Ya existe un negocio con ese nombre y CUIT.",
            )
            .with_details(serde_json::json!({ "field": "name" })),
            OrgError::NotFound => AppError::new(
                ErrorCode::OrganizationNotFound,
                "Ese negocio no existe.",
            ),
        }
    }
}

impl From<IntakeError> for AppError {
    fn from(e: IntakeError) -> Self {
        match e {
            IntakeError::Store(s) => s.into(),
            IntakeError::Settings(s) => s.into(),
            IntakeError::Secret(s) => s.into(),
            IntakeError::NotConfigured(what) => AppError::new(
                ErrorCode::InvalidSetting,
                "WhatsApp no está conectado en este negocio: configuralo en Ajustes → WhatsApp.",
            )
            .with_details(serde_json::json!({ "missing": what })),
            IntakeError::UnknownMedia(_) | IntakeError::Download(_) | IntakeError::Io { .. } => {
                tracing::warn!(error = %e, "media download failed");
                AppError::new(
                    ErrorCode::MediaDownloadFailed,
                    "No se pudo descargar el archivo del cliente. Probá de nuevo más tarde.",
                )
            }
        }
    }
}
