//! What a failed attempt means for the engine, whatever the provider. Each protocol crate's
//! error is turned into a [`Failure`] (WhatsApp here; AFIP's fault classes implement
//! [`ProviderError`] the same way): the retry policy, the breaker and panic mode read only this.

use std::time::Duration;

use mostrador_whatsapp::{Error as WaError, ErrorClass};
use serde::{Deserialize, Serialize};

/// How a failure is handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// The same request may succeed later (5xx, a connection never made, a transient code).
    Transient,
    /// Too fast for the provider: wait (the provider's hint) without burning an attempt.
    RateLimited(RateScope),
    /// The request may have reached the provider and been acted on: never resent automatically.
    MaybeSent,
    /// The request can never succeed as it is (invalid, window closed, not a WhatsApp number).
    Permanent,
    /// The whole integration must stop until a person acts (token, permission, policy, payment).
    PausesIntegration,
    /// Our side is not set up (no token in the keychain): pause, do not burn attempts.
    NotConfigured,
}

/// What a rate limit applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateScope {
    /// One recipient (WhatsApp's pair rate, 131056).
    Recipient,
    /// Every send of the integration (throughput 130429, API rate 4/80007).
    Integration,
}

/// Why panic mode may trigger on this failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PanicSignal {
    /// Triggers at once (auth failures, account blocks).
    Immediate,
    /// Triggers when repeated within the window (provider rate limiting).
    RateLimit,
}

/// One failed attempt, classified.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Failure {
    pub kind: FailureKind,
    /// Stable code: the provider's (`131047`), or ours (`http_503`, `timeout`, `network`,
    /// `maybe_sent`, `token_missing`, `bad_payload`).
    pub code: String,
    /// The provider's hint (`Retry-After`, throttle codes).
    #[serde(with = "opt_secs")]
    pub retry_after: Option<Duration>,
    /// Counts for the breaker and the failure rate: the provider looks unhealthy (5xx, timeouts,
    /// auth suddenly failing), as opposed to a problem with one message or recipient.
    pub provider_health: bool,
    pub panic: Option<PanicSignal>,
    /// For people (es-AR).
    pub message_es: String,
    /// For logs (English); never a token or a message body.
    pub detail: String,
}

mod opt_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_some(&d.as_secs_f64()),
            None => s.serialize_none(),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Duration>, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.map(Duration::from_secs_f64))
    }
}

/// A provider error the engine can classify.
pub trait ProviderError {
    fn to_failure(&self) -> Failure;
}

impl Failure {
    pub fn new(kind: FailureKind, code: impl Into<String>, message_es: impl Into<String>) -> Self {
        Failure {
            kind,
            code: code.into(),
            retry_after: None,
            provider_health: false,
            panic: None,
            message_es: message_es.into(),
            detail: String::new(),
        }
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = detail.into();
        self
    }

    /// The WhatsApp token is not in the keychain.
    pub fn whatsapp_token_missing() -> Self {
        Failure::new(
            FailureKind::NotConfigured,
            "token_missing",
            "Falta el token de WhatsApp: cargalo en Ajustes",
        )
    }

    /// The org's WhatsApp settings are missing or unusable.
    pub fn whatsapp_not_configured(detail: impl Into<String>) -> Self {
        Failure::new(
            FailureKind::NotConfigured,
            "not_configured",
            "WhatsApp no está configurado: conectalo en Ajustes",
        )
        .with_detail(detail)
    }

    /// The job's payload no longer parses (a schema change): discarded, never retried.
    pub fn bad_payload(detail: impl Into<String>) -> Self {
        Failure::new(
            FailureKind::Permanent,
            "bad_payload",
            "El mensaje guardado no se puede leer (cambió el formato): se descartó sin enviarlo.",
        )
        .with_detail(detail)
    }

    /// The job's deadline passed before it could be sent.
    pub fn expired() -> Self {
        Failure::new(
            FailureKind::Permanent,
            "expired",
            "El mensaje venció antes de poder enviarse: no se manda tarde.",
        )
    }
}

/// WhatsApp codes that trigger panic mode on the first occurrence beyond what `ErrorClass`
/// pauses: 131005 (access denied) is not in the class table but is an auth failure.
const WA_AUTH_CODES: [i64; 2] = [190, 131005];
const WA_BLOCK_CODES: [i64; 2] = [368, 131031];
const WA_RATE_CODES: [i64; 3] = [130429, 131056, 80007];

impl ProviderError for WaError {
    fn to_failure(&self) -> Failure {
        let detail = self.to_string();
        match self {
            WaError::Graph(g) => {
                let class = g.class();
                let code = g.code;
                let mut f = Failure::new(
                    FailureKind::Permanent,
                    code.to_string(),
                    explain_whatsapp_es(class, code),
                )
                .with_detail(detail);
                f.retry_after = self.retry_after();
                let server_side = g.http_status >= 500;
                f.kind = if WA_AUTH_CODES.contains(&code)
                    || WA_BLOCK_CODES.contains(&code)
                    || class.pauses_integration()
                {
                    FailureKind::PausesIntegration
                } else if matches!(class, ErrorClass::PairRateLimit) {
                    FailureKind::RateLimited(RateScope::Recipient)
                } else if matches!(class, ErrorClass::Throughput | ErrorClass::ApiRateLimit) {
                    FailureKind::RateLimited(RateScope::Integration)
                } else if self.retryable() {
                    FailureKind::Transient
                } else {
                    FailureKind::Permanent
                };
                f.provider_health = server_side
                    || WA_AUTH_CODES.contains(&code)
                    || matches!(
                        class,
                        ErrorClass::Generic
                            | ErrorClass::ServiceUnavailable
                            | ErrorClass::Maintenance
                            | ErrorClass::Permission
                    );
                f.panic = if WA_AUTH_CODES.contains(&code)
                    || WA_BLOCK_CODES.contains(&code)
                    || class.pauses_integration()
                {
                    Some(PanicSignal::Immediate)
                } else if WA_RATE_CODES.contains(&code) || class == ErrorClass::ApiRateLimit {
                    Some(PanicSignal::RateLimit)
                } else {
                    None
                };
                f
            }
            WaError::MaybeSent { .. } => {
                let mut f = Failure::new(
                    FailureKind::MaybeSent,
                    "maybe_sent",
                    "WhatsApp no confirmó el envío (sin respuesta o con un error de su servidor) y el mensaje pudo haber salido: no se reenvía hasta confirmarlo.",
                )
                .with_detail(detail);
                f.provider_health = true;
                f
            }
            WaError::Timeout { .. } => {
                let mut f = Failure::new(
                    FailureKind::Transient,
                    "timeout",
                    "WhatsApp no respondió a tiempo.",
                )
                .with_detail(detail);
                f.provider_health = true;
                f
            }
            WaError::Network { .. } => {
                let mut f = Failure::new(
                    FailureKind::Transient,
                    "network",
                    "No se pudo conectar con WhatsApp (¿hay internet?).",
                )
                .with_detail(detail);
                f.provider_health = true;
                f
            }
            WaError::Http { status, .. } => {
                let kind = if *status == 429 {
                    FailureKind::RateLimited(RateScope::Integration)
                } else if self.retryable() {
                    FailureKind::Transient
                } else {
                    FailureKind::Permanent
                };
                let mut f = Failure::new(
                    kind,
                    format!("http_{status}"),
                    format!("WhatsApp respondió con un error HTTP {status}."),
                )
                .with_detail(detail);
                f.provider_health = *status >= 500;
                f.panic = (*status == 429).then_some(PanicSignal::RateLimit);
                f
            }
            WaError::UnexpectedResponse { .. } => Failure::new(
                FailureKind::Permanent,
                "unexpected_response",
                "WhatsApp respondió algo inesperado.",
            )
            .with_detail(detail),
            WaError::Invalid(_) | WaError::Id(_) => Failure::new(
                FailureKind::Permanent,
                "invalid_message",
                "El mensaje no cumple las reglas de WhatsApp y no se puede enviar.",
            )
            .with_detail(detail),
            WaError::Config(_) => Failure::whatsapp_not_configured(detail),
        }
    }
}

/// A short Spanish explanation of a WhatsApp error, for the health card and the dead letter.
pub fn explain_whatsapp_es(class: ErrorClass, code: i64) -> String {
    use ErrorClass::*;
    let text = match class {
        Throughput => "Se alcanzó el límite de mensajes por segundo del número; se reintenta en unos segundos.",
        PairRateLimit => "Demasiados mensajes seguidos al mismo cliente; se espera antes de reintentar.",
        SpamRateLimit => "WhatsApp restringió los envíos porque mensajes anteriores fueron marcados como spam.",
        MarketingCap => "WhatsApp limitó los mensajes de marketing a este cliente; no reenviar antes de 24 h.",
        WindowClosed => "Pasaron más de 24 h desde el último mensaje del cliente: usá una plantilla.",
        Undeliverable => "Ese número no puede recibir mensajes de WhatsApp.",
        MarketingOptOut => "El cliente pidió no recibir mensajes de marketing.",
        UnsupportedMessageType => "WhatsApp no admite este tipo de mensaje.",
        MediaDownload | MediaUpload => "Hubo un problema con el archivo adjunto (tipo o tamaño).",
        Generic => "WhatsApp tuvo un problema momentáneo; se reintenta.",
        ServiceUnavailable => "WhatsApp no está disponible en este momento; se reintenta.",
        Maintenance => "La cuenta de WhatsApp está en mantenimiento; se reintenta en unos minutos.",
        InvalidParameter => "El mensaje tiene un dato inválido.",
        TemplateParamCount | TemplateParamValue | TemplateParamFormat => {
            "Los datos de la plantilla no coinciden con la plantilla aprobada."
        }
        TemplateNotFound => "La plantilla no existe o no está aprobada en ese idioma.",
        TemplateTextTooLong => "El texto de la plantilla completa es demasiado largo.",
        TemplatePolicy | TemplateOther => "WhatsApp rechazó la plantilla.",
        TemplatePaused | TemplateDisabled => "La plantilla está pausada o deshabilitada; usá otra.",
        AccessToken => "El token de WhatsApp venció o no es válido: volvé a conectar WhatsApp en Ajustes.",
        Permission => "Al token de WhatsApp le falta un permiso: volvé a conectar WhatsApp en Ajustes.",
        ApiRateLimit => "Se alcanzó el límite de llamadas de la cuenta; se espera unos minutos.",
        PolicyBlocked => "WhatsApp bloqueó la cuenta temporalmente por una infracción de políticas.",
        AccountLocked => "La cuenta de WhatsApp está bloqueada: revisala en WhatsApp Manager.",
        CountryRestricted => "La cuenta no puede enviar mensajes a ese país.",
        Payment => "Hay un problema con el medio de pago de WhatsApp: revisalo en WhatsApp Manager.",
        NotInAllowedList => "El número de prueba sólo puede escribir a números de la lista permitida.",
        TemplateClassificationLimit => "WhatsApp limitó los envíos por plantillas mal clasificadas.",
        RecipientIsSender => "No se puede enviar un mensaje al propio número del negocio.",
        BsuidUnsupported => "Este mensaje no se puede enviar a ese tipo de destinatario.",
        IdentityKeyMismatch => "Cambió la identidad del cliente en WhatsApp; confirmá antes de reenviar.",
        Unknown if code == 131005 => {
            "WhatsApp negó el acceso: volvé a conectar WhatsApp en Ajustes."
        }
        Unknown => "WhatsApp devolvió un error desconocido.",
    };
    format!("{text} (código {code})")
}

#[cfg(test)]
mod tests {
    use super::*;
    use mostrador_whatsapp::GraphError;

    fn graph(code: i64, status: u16, retry_after: Option<u64>) -> WaError {
        WaError::Graph(Box::new(GraphError {
            http_status: status,
            code,
            subcode: None,
            kind: None,
            message: "x".into(),
            details: None,
            fbtrace_id: None,
            retry_after_header: retry_after.map(Duration::from_secs),
        }))
    }

    #[test]
    fn whatsapp_errors_are_classified_by_what_to_do() {
        let f = graph(131047, 400, None).to_failure();
        assert_eq!(f.kind, FailureKind::Permanent);
        assert!(!f.provider_health && f.panic.is_none());
        assert!(f.message_es.contains("24 h"));

        let f = graph(130429, 400, Some(7)).to_failure();
        assert_eq!(f.kind, FailureKind::RateLimited(RateScope::Integration));
        assert_eq!(f.retry_after, Some(Duration::from_secs(7)));
        assert_eq!(f.panic, Some(PanicSignal::RateLimit));
        assert!(!f.provider_health);

        let f = graph(131056, 400, None).to_failure();
        assert_eq!(f.kind, FailureKind::RateLimited(RateScope::Recipient));
        assert_eq!(f.retry_after, Some(Duration::from_secs(6)));

        for code in [190, 131005, 368, 131031] {
            let f = graph(code, 401, None).to_failure();
            assert_eq!(f.kind, FailureKind::PausesIntegration, "{code}");
            assert_eq!(f.panic, Some(PanicSignal::Immediate), "{code}");
        }
        assert!(graph(190, 401, None).to_failure().provider_health);
        assert!(!graph(368, 400, None).to_failure().provider_health);

        let f = graph(131000, 500, None).to_failure();
        assert_eq!(f.kind, FailureKind::Transient);
        assert!(f.provider_health);

        let f = WaError::Http {
            operation: "send message",
            status: 503,
            trace: None,
        }
        .to_failure();
        assert_eq!(
            (f.kind, f.code.as_str()),
            (FailureKind::Transient, "http_503")
        );
        assert!(f.provider_health);

        let f = WaError::MaybeSent {
            operation: "send message",
            cause: "timed out".into(),
            trace: None,
        }
        .to_failure();
        assert_eq!(f.kind, FailureKind::MaybeSent);
    }

    #[test]
    fn failures_round_trip_through_json() {
        let f = graph(130429, 400, Some(3)).to_failure();
        let back: Failure = serde_json::from_value(serde_json::to_value(&f).unwrap()).unwrap();
        assert_eq!(back, f);
    }
}
