//! Twilio's errors as the engine's [`Failure`]s: the same retry classes the queue uses for
//! WhatsApp (transient, rate limited, maybe sent, permanent, pauses the integration).

use mostrador_twilio::{Error, ErrorClass};

use crate::outbound::failure::{Failure, FailureKind, PanicSignal, ProviderError, RateScope};

/// What an SMS error means, for people (es-AR).
pub fn explain_sms_es(class: ErrorClass) -> &'static str {
    use ErrorClass::*;
    match class {
        Auth => "Twilio rechazó las credenciales: revisalas en Ajustes → SMS.",
        RateLimit => "Demasiados envíos a Twilio a la vez: se reintenta en un momento.",
        InvalidNumber => "El número no es válido para SMS: corregilo o usá el correo.",
        Unsubscribed => "El cliente pidió no recibir SMS (respondió STOP/BAJA).",
        NotReachable => "Ese número no puede recibir SMS desde esta cuenta.",
        TrialUnverified => "La cuenta de prueba de Twilio solo envía a números verificados.",
        QueueFull => "La cola del remitente está llena: se reintenta más tarde.",
        InvalidParameter => "Twilio rechazó el pedido como inválido (error de Mostrador).",
        Unreachable => "El teléfono está apagado o sin señal.",
        Blocked => "La operadora o el cliente bloquearon el mensaje.",
        UnknownDestination => "El número no existe o está inactivo.",
        Landline => "El número es un fijo o su operadora no recibe SMS.",
        Filtered => "La operadora filtró el mensaje como spam.",
        CarrierUnknown => "La operadora falló sin dar motivo.",
        ServerError => "Twilio tuvo un problema pasajero.",
        Unknown => "Twilio devolvió un error desconocido.",
    }
}

impl ProviderError for Error {
    fn to_failure(&self) -> Failure {
        let detail = self.to_string();
        let class = self.class();
        let code = match self {
            Error::Twilio(t) => t.code.to_string(),
            Error::MaybeSent { .. } => "maybe_sent".into(),
            Error::Timeout { .. } => "timeout".into(),
            Error::Network { .. } => "network".into(),
            Error::Http { status, .. } => format!("http_{status}"),
            Error::UnexpectedResponse { .. } => "unexpected_response".into(),
            Error::Invalid(_) | Error::Id(_) => "invalid".into(),
            Error::Config(_) => "sms_not_configured".into(),
        };
        let message_es = match (self, class) {
            (_, Some(c)) => explain_sms_es(c).to_owned(),
            (Error::MaybeSent { .. }, _) => {
                "Twilio no confirmó el envío: puede haber salido. No se reenvía solo.".into()
            }
            (Error::Timeout { .. } | Error::Network { .. }, _) => {
                "No se pudo hablar con Twilio: se reintenta.".into()
            }
            (Error::Invalid(_) | Error::Id(_), _) => {
                "El SMS no es válido (número o texto): no se envió.".into()
            }
            _ => "Twilio respondió algo inesperado: se reintenta.".into(),
        };
        let kind = if self.may_have_been_sent() {
            FailureKind::MaybeSent
        } else if self.pauses_integration() {
            FailureKind::PausesIntegration
        } else if matches!(class, Some(ErrorClass::RateLimit)) {
            FailureKind::RateLimited(RateScope::Integration)
        } else if matches!(self, Error::Config(_)) {
            FailureKind::NotConfigured
        } else if matches!(self, Error::UnexpectedResponse { .. }) {
            // A 2xx we cannot read: Twilio may have queued it. Never "sent", never resent blindly.
            FailureKind::MaybeSent
        } else if self.retryable() {
            FailureKind::Transient
        } else {
            FailureKind::Permanent
        };
        let mut f = Failure::new(kind, code, message_es).with_detail(detail);
        f.retry_after = self.retry_after();
        f.provider_health = matches!(
            self,
            Error::Timeout { .. } | Error::Network { .. } | Error::MaybeSent { .. }
        ) || matches!(self, Error::Http { status, .. } if *status >= 500)
            || matches!(class, Some(ErrorClass::ServerError | ErrorClass::Auth));
        f.panic = match class {
            Some(ErrorClass::Auth) => Some(PanicSignal::Immediate),
            Some(ErrorClass::RateLimit) => Some(PanicSignal::RateLimit),
            _ => None,
        };
        f
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mostrador_twilio::TwilioError;

    fn twilio(status: u16, code: i64) -> Error {
        let body = format!(r#"{{"code":{code},"message":"x","more_info":"m","status":{status}}}"#);
        Error::Twilio(Box::new(
            TwilioError::from_body(status, body.as_bytes()).unwrap(),
        ))
    }

    #[test]
    fn twilio_errors_map_to_the_queue_classes() {
        let cases = [
            (twilio(400, 21211), FailureKind::Permanent),
            (twilio(400, 21610), FailureKind::Permanent),
            (twilio(401, 20003), FailureKind::PausesIntegration),
            (
                twilio(429, 20429),
                FailureKind::RateLimited(RateScope::Integration),
            ),
            (twilio(500, 20500), FailureKind::Transient),
            (
                Error::MaybeSent {
                    operation: "send",
                    cause: "timeout".into(),
                },
                FailureKind::MaybeSent,
            ),
            (
                Error::UnexpectedResponse {
                    operation: "send",
                    cause: "garbage".into(),
                },
                FailureKind::MaybeSent,
            ),
            (
                Error::Network {
                    operation: "send",
                    cause: "refused".into(),
                },
                FailureKind::Transient,
            ),
        ];
        for (e, kind) in cases {
            let f = e.to_failure();
            assert_eq!(f.kind, kind, "{e}");
            assert!(!f.message_es.is_empty());
        }
        assert_eq!(twilio(400, 21211).to_failure().code, "21211");
        assert_eq!(
            twilio(401, 20003).to_failure().panic,
            Some(PanicSignal::Immediate)
        );
    }
}
