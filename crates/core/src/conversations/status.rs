//! Message delivery status and its rank (design §6): pending 0 < queued 1 < sent 2 < delivered 3
//! < read 4 < played 5. A status only moves up; `failed` is terminal unless a later delivered or
//! read proves the message arrived after all.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MessageStatus {
    /// An inbound message (statuses are about ours).
    Received,
    Pending,
    Queued,
    Sent,
    Delivered,
    Read,
    /// A voice note was played.
    Played,
    Failed,
}

impl MessageStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Received => "received",
            MessageStatus::Pending => "pending",
            MessageStatus::Queued => "queued",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Read => "read",
            MessageStatus::Played => "played",
            MessageStatus::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<MessageStatus> {
        Some(match s {
            "received" => MessageStatus::Received,
            "pending" => MessageStatus::Pending,
            "queued" => MessageStatus::Queued,
            "sent" => MessageStatus::Sent,
            "delivered" => MessageStatus::Delivered,
            "read" => MessageStatus::Read,
            "played" => MessageStatus::Played,
            "failed" => MessageStatus::Failed,
            _ => return None,
        })
    }

    /// The rank of design §6; `failed` ranks by what it replaced (see [`merge`]).
    pub fn rank(self) -> i64 {
        match self {
            MessageStatus::Pending | MessageStatus::Received => 0,
            MessageStatus::Queued => 1,
            MessageStatus::Sent => 2,
            MessageStatus::Delivered => 3,
            MessageStatus::Read => 4,
            MessageStatus::Played => 5,
            MessageStatus::Failed => -1,
        }
    }
}

/// The status after `incoming` arrives on a message at `current`, or `None` to keep `current`.
pub fn merge(current: MessageStatus, incoming: MessageStatus) -> Option<MessageStatus> {
    use MessageStatus::*;
    match (current, incoming) {
        (_, Received) => None,
        // Failed is terminal, unless the message was seen to arrive after all.
        (Failed, Delivered | Read | Played) => Some(incoming),
        (Failed, _) => None,
        // A failure after proof of delivery is contradictory: the proof wins.
        (Delivered | Read | Played, Failed) => None,
        (_, Failed) => Some(Failed),
        (c, i) if i.rank() > c.rank() => Some(i),
        _ => None,
    }
}

/// Meta's error code explained for the shop owner (reference §3.2).
pub fn explain_error_es(code: i64) -> String {
    match code {
        131047 => "Pasaron más de 24 h desde el último mensaje del cliente: hay que usar una plantilla.".into(),
        131026 => "No se pudo entregar: el número no tiene WhatsApp o no aceptó las condiciones, o usa una versión muy vieja.".into(),
        131049 => "WhatsApp no lo entregó para cuidar la experiencia del cliente (límite de mensajes de marketing). Probá más adelante o por SMS.".into(),
        131050 => "El cliente pidió no recibir mensajes de marketing.".into(),
        131048 => "WhatsApp limitó los envíos porque mensajes anteriores fueron bloqueados o denunciados.".into(),
        131056 => "Demasiados mensajes seguidos al mismo cliente: esperá un momento.".into(),
        130429 => "Se alcanzó el límite de envíos por segundo del número.".into(),
        131051 => "Tipo de mensaje no soportado por WhatsApp.".into(),
        131052 | 131053 => "Hubo un problema con el archivo adjunto (formato o tamaño).".into(),
        131000 | 131016 => "WhatsApp tuvo un problema temporal al enviar el mensaje.".into(),
        131021 => "No se puede enviar un mensaje al mismo número que lo envía.".into(),
        131030 => "El número no está en la lista de destinatarios permitidos de la cuenta de prueba.".into(),
        131042 => "Hay un problema con el medio de pago de la cuenta de WhatsApp Business.".into(),
        132000 | 132012 => "Los datos de la plantilla no coinciden con lo que la plantilla espera.".into(),
        132001 => "La plantilla no existe en ese idioma o no está aprobada.".into(),
        132015 | 132016 => "La plantilla está pausada o deshabilitada por baja calidad.".into(),
        190 => "El token de acceso de WhatsApp venció o no es válido: reconectá la cuenta.".into(),
        368 => "La cuenta está bloqueada temporalmente por incumplir políticas de WhatsApp.".into(),
        other => format!("WhatsApp no pudo entregar el mensaje (código {other})."),
    }
}

#[cfg(test)]
mod tests {
    use super::MessageStatus::*;
    use super::*;

    #[test]
    fn only_moves_up_and_failed_needs_evidence() {
        assert_eq!(merge(Sent, Delivered), Some(Delivered));
        assert_eq!(merge(Read, Delivered), None);
        assert_eq!(merge(Read, Sent), None);
        assert_eq!(merge(Read, Played), Some(Played));
        assert_eq!(merge(Sent, Failed), Some(Failed));
        assert_eq!(merge(Failed, Sent), None);
        assert_eq!(merge(Failed, Delivered), Some(Delivered));
        assert_eq!(merge(Failed, Read), Some(Read));
        assert_eq!(merge(Delivered, Failed), None);
        assert_eq!(merge(Pending, Queued), Some(Queued));
        assert_eq!(merge(Sent, Sent), None);
    }

    #[test]
    fn strings_round_trip() {
        for s in [
            Received, Pending, Queued, Sent, Delivered, Read, Played, Failed,
        ] {
            assert_eq!(MessageStatus::parse(s.as_str()), Some(s));
        }
        assert!(explain_error_es(131047).contains("24 h"));
        assert!(explain_error_es(1).contains("código 1"));
    }
}
