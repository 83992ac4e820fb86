//! Inbound messages (`value.messages[]`), every type of reference §2.4. A type we do not know, or
//! a known type whose object is malformed, becomes [`MessageKind::Unknown`] with the raw JSON.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::contact::{lenient_bsuid, lenient_wa_id, Lenient};
use super::error::WebhookError;
use super::raw::RawJson;
use super::reason::Reason;
use super::scalar;
use crate::ids::{Bsuid, MediaId, MessageId, WaId};

/// A media attachment; download it with [`crate::Client::download_media`] within 7 days.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct InboundMedia {
    pub id: MediaId,
    pub mime_type: Option<String>,
    pub sha256: Option<String>,
    pub caption: Option<String>,
    /// Documents only.
    pub filename: Option<String>,
    /// Audio only: a voice note (recorded in WhatsApp) rather than an audio file.
    #[serde(default, deserialize_with = "scalar::opt_bool")]
    pub voice: Option<bool>,
    /// Stickers only.
    #[serde(default, deserialize_with = "scalar::opt_bool")]
    pub animated: Option<bool>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct InboundLocation {
    pub latitude: f64,
    pub longitude: f64,
    pub name: Option<String>,
    pub address: Option<String>,
    pub url: Option<String>,
}

/// A contact card the customer shared.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SharedContact {
    #[serde(default)]
    pub name: SharedName,
    #[serde(default)]
    pub phones: Vec<SharedPhone>,
    #[serde(default)]
    pub emails: Vec<SharedEmail>,
    pub org: Option<SharedOrg>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SharedName {
    pub formatted_name: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SharedPhone {
    pub phone: Option<String>,
    pub wa_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SharedEmail {
    pub email: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Default)]
pub struct SharedOrg {
    pub company: Option<String>,
    pub department: Option<String>,
    pub title: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct OrderItem {
    pub product_retailer_id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    pub quantity: Option<i64>,
    /// The price exactly as Meta wrote it (a decimal; never parsed into a float).
    #[serde(default, deserialize_with = "scalar::opt_string")]
    pub item_price: Option<String>,
    pub currency: Option<String>,
}

/// The quoted message (a reply) or the product a "Message business" click came from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Context {
    pub from: Option<String>,
    pub id: Option<MessageId>,
    #[serde(default, deserialize_with = "scalar::opt_bool")]
    pub forwarded: Option<bool>,
    #[serde(default, deserialize_with = "scalar::opt_bool")]
    pub frequently_forwarded: Option<bool>,
    pub referred_product: Option<ReferredProduct>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ReferredProduct {
    pub catalog_id: Option<String>,
    pub product_retailer_id: Option<String>,
}

/// A Click-to-WhatsApp ad or post the conversation started from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Referral {
    pub source_url: Option<String>,
    pub source_id: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    pub headline: Option<String>,
    pub body: Option<String>,
    pub media_type: Option<String>,
    pub image_url: Option<String>,
    pub video_url: Option<String>,
    pub thumbnail_url: Option<String>,
    pub ctwa_clid: Option<String>,
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq)]
pub enum MessageKind {
    Text {
        body: String,
    },
    Image(InboundMedia),
    Video(InboundMedia),
    /// `media.voice` tells a voice note from an audio file.
    Audio(InboundMedia),
    Document(InboundMedia),
    Sticker(InboundMedia),
    Location(InboundLocation),
    Contacts(Vec<SharedContact>),
    /// `emoji: None` means the customer removed their reaction.
    Reaction {
        message_id: MessageId,
        emoji: Option<String>,
    },
    /// The customer tapped one of our reply buttons.
    ButtonReply {
        id: String,
        title: String,
    },
    /// The customer picked a row of our list.
    ListReply {
        id: String,
        title: String,
        description: Option<String>,
    },
    /// A WhatsApp Flow was completed; `response_json` is the flow's answer, as sent.
    FlowReply {
        name: Option<String>,
        body: Option<String>,
        response_json: Option<String>,
    },
    /// A quick-reply button of a **template** was tapped.
    Button {
        payload: Option<String>,
        text: Option<String>,
    },
    Order {
        catalog_id: Option<String>,
        text: Option<String>,
        product_items: Vec<OrderItem>,
    },
    /// A system notice; for `user_changed_number`, `new_wa_id` is the customer's new number.
    System {
        kind: Option<String>,
        body: Option<String>,
        new_wa_id: Option<String>,
    },
    /// The customer opened the chat for the first time (`request_welcome`).
    RequestWelcome,
    /// Meta could not show it to us (`unsupported` / `unknown`); see the message's `errors`.
    Unsupported,
    /// A type we do not model, or a malformed known one: kept raw.
    Unknown {
        type_name: String,
        raw: RawJson,
    },
}

impl MessageKind {
    /// Media id to download, if the message carries media.
    pub fn media(&self) -> Option<&InboundMedia> {
        match self {
            MessageKind::Image(m)
            | MessageKind::Video(m)
            | MessageKind::Audio(m)
            | MessageKind::Document(m)
            | MessageKind::Sticker(m) => Some(m),
            _ => None,
        }
    }
}

/// One inbound message.
#[derive(Debug, Clone, PartialEq)]
pub struct InboundMessage {
    pub id: MessageId,
    /// The customer's number; may be missing for a customer with a username, and is `None` when
    /// it does not have a `wa_id`'s shape (see `from_raw`).
    pub from: Option<WaId>,
    /// `from` exactly as sent (a number rendered as digits), valid or not.
    pub from_raw: Option<String>,
    /// The customer's BSUID (`None` when it does not have a BSUID's shape).
    pub from_user_id: Option<Bsuid>,
    /// `from_user_id` exactly as sent, valid or not.
    pub from_user_id_raw: Option<String>,
    pub from_parent_user_id: Option<Bsuid>,
    /// Unix seconds.
    pub timestamp: Option<i64>,
    pub context: Option<Context>,
    pub referral: Option<Referral>,
    pub kind: MessageKind,
    pub errors: Vec<WebhookError>,
}

impl InboundMessage {
    /// The key to dedupe Meta's redeliveries on.
    pub fn dedupe_key(&self) -> &MessageId {
        &self.id
    }
}

#[derive(Deserialize)]
struct Text {
    body: String,
}

#[derive(Deserialize)]
struct ReactionWire {
    message_id: MessageId,
    emoji: Option<String>,
}

#[derive(Deserialize)]
struct InteractiveWire {
    #[serde(rename = "type")]
    kind: String,
    button_reply: Option<ReplyWire>,
    list_reply: Option<ReplyWire>,
    nfm_reply: Option<FlowWire>,
}

#[derive(Deserialize)]
struct ReplyWire {
    id: String,
    title: String,
    description: Option<String>,
}

#[derive(Deserialize)]
struct FlowWire {
    name: Option<String>,
    body: Option<String>,
    response_json: Option<String>,
}

#[derive(Deserialize)]
struct ButtonWire {
    payload: Option<String>,
    text: Option<String>,
}

#[derive(Deserialize)]
struct OrderWire {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    catalog_id: Option<String>,
    text: Option<String>,
    #[serde(default)]
    product_items: Vec<OrderItem>,
}

#[derive(Deserialize)]
struct SystemWire {
    body: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    wa_id: Option<String>,
    new_wa_id: Option<String>,
}

/// Every field of every type, all optional: one pass over the bytes.
#[derive(Deserialize)]
pub(crate) struct MessageWire {
    id: MessageId,
    #[serde(default, deserialize_with = "lenient_wa_id")]
    from: Lenient<WaId>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    from_user_id: Lenient<Bsuid>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    from_parent_user_id: Lenient<Bsuid>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    timestamp: Option<i64>,
    #[serde(rename = "type", default)]
    kind: String,
    context: Option<Context>,
    referral: Option<Referral>,
    #[serde(default)]
    errors: Vec<WebhookError>,
    text: Option<Text>,
    image: Option<InboundMedia>,
    video: Option<InboundMedia>,
    audio: Option<InboundMedia>,
    document: Option<InboundMedia>,
    sticker: Option<InboundMedia>,
    location: Option<InboundLocation>,
    contacts: Option<Vec<SharedContact>>,
    reaction: Option<ReactionWire>,
    interactive: Option<InteractiveWire>,
    button: Option<ButtonWire>,
    order: Option<OrderWire>,
    system: Option<SystemWire>,
}

/// The fields every message has, for when the typed parse failed.
#[derive(Deserialize)]
struct MinimalWire {
    id: MessageId,
    #[serde(default, deserialize_with = "lenient_wa_id")]
    from: Lenient<WaId>,
    #[serde(default, deserialize_with = "lenient_bsuid")]
    from_user_id: Lenient<Bsuid>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    timestamp: Option<i64>,
    #[serde(rename = "type", default, deserialize_with = "scalar::opt_string")]
    kind: Option<String>,
}

/// Parses one message; `Err` only when even its id is unreadable.
pub(crate) fn parse(raw: &RawValue) -> Result<InboundMessage, Reason> {
    match super::object::from_str::<MessageWire>(raw.get()) {
        Ok(w) => convert(w, Some(raw)).ok_or(Reason::shape("message")),
        Err(typed_err) => {
            let m: MinimalWire = super::object::from_str(raw.get())
                .map_err(|_| Reason::from_serde("message without a readable id", &typed_err))?;
            Ok(InboundMessage {
                id: m.id,
                from: m.from.typed,
                from_raw: m.from.raw,
                from_user_id: m.from_user_id.typed,
                from_user_id_raw: m.from_user_id.raw,
                from_parent_user_id: None,
                timestamp: m.timestamp,
                context: None,
                referral: None,
                kind: MessageKind::Unknown {
                    type_name: m.kind.unwrap_or_default(),
                    raw: RawJson::new(raw),
                },
                errors: Vec::new(),
            })
        }
    }
}

/// Converts a typed message. A type we do not model needs the raw JSON to be kept: without it
/// (the fast path) this returns `None` and the caller parses the item again with its raw text.
pub(crate) fn convert(w: MessageWire, raw: Option<&RawValue>) -> Option<InboundMessage> {
    let kind = match w.kind.as_str() {
        "text" => w.text.map(|t| MessageKind::Text { body: t.body }),
        "image" => w.image.map(MessageKind::Image),
        "video" => w.video.map(MessageKind::Video),
        "audio" => w.audio.map(MessageKind::Audio),
        "document" => w.document.map(MessageKind::Document),
        "sticker" => w.sticker.map(MessageKind::Sticker),
        "location" => w.location.map(MessageKind::Location),
        "contacts" => w.contacts.map(MessageKind::Contacts),
        "reaction" => w.reaction.map(|r| MessageKind::Reaction {
            message_id: r.message_id,
            emoji: r.emoji.filter(|e| !e.is_empty()),
        }),
        "interactive" => w.interactive.and_then(|i| match i.kind.as_str() {
            "button_reply" => i.button_reply.map(|r| MessageKind::ButtonReply {
                id: r.id,
                title: r.title,
            }),
            "list_reply" => i.list_reply.map(|r| MessageKind::ListReply {
                id: r.id,
                title: r.title,
                description: r.description,
            }),
            "nfm_reply" => i.nfm_reply.map(|f| MessageKind::FlowReply {
                name: f.name,
                body: f.body,
                response_json: f.response_json,
            }),
            _ => None,
        }),
        "button" => w.button.map(|b| MessageKind::Button {
            payload: b.payload,
            text: b.text,
        }),
        "order" => w.order.map(|o| MessageKind::Order {
            catalog_id: o.catalog_id,
            text: o.text,
            product_items: o.product_items,
        }),
        "system" => w.system.map(|s| MessageKind::System {
            kind: s.kind,
            body: s.body,
            new_wa_id: s.wa_id.or(s.new_wa_id),
        }),
        "request_welcome" => Some(MessageKind::RequestWelcome),
        "unsupported" | "unknown" => Some(MessageKind::Unsupported),
        _ => None,
    }
    .or_else(|| {
        raw.map(|raw| MessageKind::Unknown {
            type_name: w.kind.clone(),
            raw: RawJson::new(raw),
        })
    })?;
    Some(InboundMessage {
        id: w.id,
        from: w.from.typed,
        from_raw: w.from.raw,
        from_user_id: w.from_user_id.typed,
        from_user_id_raw: w.from_user_id.raw,
        from_parent_user_id: w.from_parent_user_id.typed,
        timestamp: w.timestamp,
        context: w.context,
        referral: w.referral,
        kind,
        errors: w.errors,
    })
}
