//! What the payments façade can refuse, with messages for people.

use crate::error::{AppError, ErrorCode};
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum PaymentsError {
    #[error("the payment provider is not configured: {0}")]
    NotConfigured(String),
    /// The charge asked for a provider whose keys are not in the keychain.
    #[error("{} is not configured", .0.as_str())]
    ProviderNotConfigured(super::providers::ProviderName),
    #[error("invoice {0} not found")]
    InvoiceNotFound(i64),
    #[error("payment {0} not found")]
    PaymentNotFound(i64),
    #[error("link {0} not found")]
    LinkNotFound(i64),
    #[error("invalid {field}: {problem}")]
    Invalid {
        field: &'static str,
        /// For people (es-AR).
        problem: String,
    },
    #[error("refund of {asked} cents refused: only {left} cents can be refunded")]
    RefundTooLarge { asked: i64, left: i64 },
    #[error("MercadoPago refused: {0}")]
    Provider(String),
    #[error("Stripe refused: {0}")]
    Stripe(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Queue(#[from] mostrador_queue::QueueError),
    #[error(transparent)]
    Secret(#[from] crate::secrets::SecretError),
}

impl From<sqlx::Error> for PaymentsError {
    fn from(e: sqlx::Error) -> Self {
        PaymentsError::Store(StoreError::Sqlx(e))
    }
}

impl From<crate::settings::SettingsError> for PaymentsError {
    fn from(e: crate::settings::SettingsError) -> Self {
        match e {
            crate::settings::SettingsError::Store(s) => PaymentsError::Store(s),
            other => {
                PaymentsError::Store(StoreError::Sqlx(sqlx::Error::Protocol(other.to_string())))
            }
        }
    }
}

pub(crate) fn invalid(field: &'static str, problem: impl Into<String>) -> PaymentsError {
    PaymentsError::Invalid {
        field,
        problem: problem.into(),
    }
}

impl From<PaymentsError> for AppError {
    fn from(e: PaymentsError) -> Self {
        match e {
            PaymentsError::NotConfigured(what) => AppError::new(
                ErrorCode::PaymentsNotConfigured,
                if what.contains("stripe") {
                    "Stripe no está configurado: cargá la clave secreta y el secreto de firma del webhook en Ajustes → Stripe."
                } else if what.contains("no payment provider") {
                    "No hay ningún medio de cobro configurado: cargá MercadoPago o Stripe en Ajustes."
                } else {
                    "MercadoPago no está configurado: cargá el access token y el secreto de webhooks en Ajustes → MercadoPago."
                },
            )
            .with_details(serde_json::json!({ "missing": what })),
            PaymentsError::ProviderNotConfigured(p) => AppError::new(
                ErrorCode::PaymentsNotConfigured,
                match p {
                    super::providers::ProviderName::Stripe => "Stripe no está configurado: cargá la clave secreta en Ajustes → Stripe, o cobrá con MercadoPago.",
                    super::providers::ProviderName::MercadoPago => "MercadoPago no está configurado: cargá el access token en Ajustes → MercadoPago, o cobrá con Stripe.",
                },
            )
            .with_details(serde_json::json!({ "provider": p.as_str() })),
            PaymentsError::InvoiceNotFound(id) => {
                AppError::new(ErrorCode::InvoiceNotFound, "Esa factura no existe.")
                    .with_details(serde_json::json!({ "invoice_id": id }))
            }
            PaymentsError::PaymentNotFound(id) => {
                AppError::new(ErrorCode::PaymentNotFound, "Ese pago no existe.")
                    .with_details(serde_json::json!({ "payment_id": id }))
            }
            PaymentsError::LinkNotFound(id) => {
                AppError::new(ErrorCode::PaymentNotFound, "Ese cobro no existe.")
                    .with_details(serde_json::json!({ "link_id": id }))
            }
            PaymentsError::Invalid { field, problem } => {
                AppError::new(ErrorCode::PaymentInvalid, problem)
                    .with_details(serde_json::json!({ "field": field }))
            }
            PaymentsError::RefundTooLarge { asked, left } => AppError::new(
                ErrorCode::RefundTooLarge,
                format!(
                    "No se puede devolver {}: de ese pago quedan {} para devolver.",
                    super::format_ars(asked),
                    super::format_ars(left)
                ),
            )
            .with_details(serde_json::json!({ "asked_cents": asked, "left_cents": left })),
            PaymentsError::Provider(m) => AppError::new(
                ErrorCode::ProviderRejected,
                format!("MercadoPago rechazó el pedido: {m}"),
            ),
            PaymentsError::Stripe(m) => AppError::new(ErrorCode::ProviderRejected, format!("Stripe: {m}")),
            PaymentsError::Store(s) => s.into(),
            PaymentsError::Queue(q) => {
                tracing::error!(error = %q, "queue error in payments");
                AppError::new(
                    ErrorCode::PaymentInvalid,
                    "No se pudo encolar el cobro: reintentá en unos segundos.",
                )
            }
            PaymentsError::Secret(s) => AppError::new(
                ErrorCode::PaymentsNotConfigured,
                format!("No se pudo leer el llavero del sistema: {s}"),
            ),
        }
    }
}
