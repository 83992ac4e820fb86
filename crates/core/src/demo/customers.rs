//! The demo's fake customers and what they write: every message is a real Meta message object
//! that the Graph simulator wraps in a signed webhook.

use base64::Engine as _;
use rand::seq::IndexedRandom as _;
use rand::Rng as _;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

/// A fake customer (Argentine mobile numbers in WhatsApp's `wa_id` form: 54 9 area number).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FakeCustomer {
    pub wa_id: &'static str,
    pub name: &'static str,
}

pub const CUSTOMERS: [FakeCustomer; 5] = [
    FakeCustomer {
        wa_id: "5491134567890",
        name: "María González",
    },
    FakeCustomer {
        wa_id: "5491145678901",
        name: "Juan Pérez",
    },
    FakeCustomer {
        wa_id: "5493514567890",
        name: "Lucía Fernández",
    },
    FakeCustomer {
        wa_id: "5492614567891",
        name: "Diego Romero",
    },
    FakeCustomer {
        wa_id: "5493415678902",
        name: "Sofía Martínez",
    },
];

/// What a simulated customer message is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum DemoMessageKind {
    Text,
    Image,
    Audio,
    /// A reaction to the customer's previous message (a text when there is none yet).
    Reaction,
    /// A reply quoting the customer's previous message (a text when there is none yet).
    Reply,
    Location,
}

impl DemoMessageKind {
    pub const ALL: [DemoMessageKind; 6] = [
        DemoMessageKind::Text,
        DemoMessageKind::Image,
        DemoMessageKind::Audio,
        DemoMessageKind::Reaction,
        DemoMessageKind::Reply,
        DemoMessageKind::Location,
    ];

    pub fn random() -> Self {
        *Self::ALL.choose(&mut rand::rng()).expect("not empty")
    }
}

const TEXTS: [&str; 10] = [
    "Hola, ¿tienen yerba Playadito de 1 kg?",
    "¿A qué hora cierran hoy?",
    "¿Hacen envíos a Caballito?",
    "Buenas! Quería encargar 2 docenas de facturas para mañana",
    "¿Aceptan Mercado Pago?",
    "¿Me pasás el precio del aceite de girasol de 1,5 L?",
    "¿Tienen pan sin TACC?",
    "Hola! ¿Les quedan huevos de campo?",
    "¿Puedo pasar a buscar el pedido a las 18?",
    "Necesito factura A, ¿me la pueden hacer?",
];
const CAPTIONS: [&str; 3] = [
    "¿Tienen este producto?",
    "Así me llegó el pedido",
    "Este es el que busco",
];
const REPLIES: [&str; 4] = [
    "Perfecto, gracias!",
    "Dale, paso a la tarde",
    "¿Y en qué marca?",
    "Buenísimo 🙌",
];
const EMOJIS: [&str; 4] = ["👍", "❤️", "😂", "🙏"];
const PLACES: [(f64, f64, &str, &str); 3] = [
    (-34.6037, -58.3816, "Casa", "Av. Corrientes 1234, CABA"),
    (
        -34.6158,
        -58.4333,
        "Trabajo",
        "Av. Rivadavia 5100, Caballito",
    ),
    (-31.4201, -64.1888, "Depto", "Bv. San Juan 450, Córdoba"),
];

// A 1×1 PNG and a few bytes standing in for a voice note: the pipeline stores and checks them
// (sha256) like any media; their content is not the point of the demo.
const PNG_1X1: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==";

/// A message object for the simulator (`customer_sends`), the text it carries if any, and its
/// kind: a reaction or reply without a `previous` message (the customer's last one) is a text.
pub(super) fn build(
    kind: DemoMessageKind,
    previous: Option<&str>,
) -> (Value, Option<String>, DemoMessageKind) {
    let mut rng = rand::rng();
    let pick = |list: &[&'static str], rng: &mut rand::rngs::ThreadRng| -> &'static str {
        list.choose(rng).copied().expect("not empty")
    };
    match (kind, previous) {
        (DemoMessageKind::Image, _) => {
            let caption = pick(&CAPTIONS, &mut rng);
            (
                json!({ "type": "image", "image": { "caption": caption },
                    "media": { "mime_type": "image/png", "data_base64": PNG_1X1 } }),
                Some(caption.to_owned()),
                kind,
            )
        }
        (DemoMessageKind::Audio, _) => {
            let mut bytes = b"OggS demo voice note ".to_vec();
            bytes.extend((0..32).map(|_| rng.random::<u8>()));
            let data = base64::engine::general_purpose::STANDARD.encode(bytes);
            (
                json!({ "type": "audio", "audio": { "voice": true },
                    "media": { "mime_type": "audio/ogg; codecs=opus", "data_base64": data } }),
                None,
                kind,
            )
        }
        (DemoMessageKind::Location, _) => {
            let (lat, long, name, address) = *PLACES.choose(&mut rng).expect("not empty");
            (
                json!({ "type": "location", "location": {
                    "latitude": lat, "longitude": long, "name": name, "address": address } }),
                Some(name.to_owned()),
                kind,
            )
        }
        (DemoMessageKind::Reaction, Some(target)) => {
            let emoji = pick(&EMOJIS, &mut rng);
            (
                json!({ "type": "reaction", "reaction": { "message_id": target, "emoji": emoji } }),
                Some(emoji.to_owned()),
                kind,
            )
        }
        (DemoMessageKind::Reply, Some(target)) => {
            let body = pick(&REPLIES, &mut rng);
            (
                json!({ "type": "text", "text": { "body": body }, "context": { "id": target } }),
                Some(body.to_owned()),
                kind,
            )
        }
        (DemoMessageKind::Text | DemoMessageKind::Reaction | DemoMessageKind::Reply, _) => {
            let body = pick(&TEXTS, &mut rng);
            (
                json!({ "type": "text", "text": { "body": body } }),
                Some(body.to_owned()),
                DemoMessageKind::Text,
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn customers_are_argentine_mobiles() {
        for c in CUSTOMERS {
            assert!(c.wa_id.starts_with("549"), "{}", c.wa_id);
            assert_eq!(c.wa_id.len(), 13, "{}", c.wa_id);
        }
    }

    #[test]
    fn reactions_and_replies_need_a_target() {
        let (v, _, kind) = build(DemoMessageKind::Reaction, None);
        assert_eq!(v["type"], "text");
        assert_eq!(kind, DemoMessageKind::Text);
        let (v, emoji, kind) = build(DemoMessageKind::Reaction, Some("wamid.X"));
        assert_eq!(v["reaction"]["message_id"], "wamid.X");
        assert_eq!(v["reaction"]["emoji"].as_str(), emoji.as_deref());
        assert_eq!(kind, DemoMessageKind::Reaction);
        let (v, _, _) = build(DemoMessageKind::Reply, Some("wamid.X"));
        assert_eq!(v["context"]["id"], "wamid.X");
    }
}
