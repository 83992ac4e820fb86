//! Outgoing messages: `POST /{phone-number-id}/messages`.
//!
//! An [`OutgoingMessage`] is a recipient, a [`Content`], an optional quoted message (`context`) and
//! optional `biz_opaque_callback_data` (our outbox id, echoed back in status webhooks). Meta's
//! limits are checked by [`OutgoingMessage::validate`] before anything goes on the wire.

mod contacts;
mod interactive;
mod location;
mod media;
mod reaction;
mod read;
mod template;
mod text;

pub use contacts::{
    ContactAddress, ContactCard, ContactEmail, ContactName, ContactOrg, ContactPhone, ContactUrl,
};
pub use interactive::{
    InteractiveHeader, ListMessage, ListRow, ListSection, ReplyButton, ReplyButtons,
};
pub use location::Location;
pub use media::{MediaKind, MediaMessage};
pub use reaction::Reaction;
pub use read::MarkRead;
pub use template::{
    BodyParameter, ButtonParameter, HeaderParameter, MediaSource, Template, TextParameter,
};
pub use text::Text;

use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::ids::{MessageId, Recipient, WaId};

/// A request Meta would refuse, caught before sending.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {problem}")]
pub struct ValidationError {
    /// Where the problem is (`interactive.action.buttons[1].reply.title`).
    pub field: String,
    pub problem: String,
}

impl ValidationError {
    pub(crate) fn new(field: impl Into<String>, problem: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            problem: problem.into(),
        }
    }
}

/// Checks a character count (Meta counts characters, not bytes).
pub(crate) fn check_len(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
) -> Result<(), ValidationError> {
    let n = value.chars().count();
    if n < min || n > max {
        let problem = if min == 0 {
            format!("at most {max} characters allowed, got {n}")
        } else if min == max {
            format!("must be {min} characters, got {n}")
        } else {
            format!("must be {min} to {max} characters, got {n}")
        };
        return Err(ValidationError::new(field, problem));
    }
    Ok(())
}

/// Our id for a message, echoed back by Meta in every status webhook (≤ 512 bytes).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CallbackData(String);

impl CallbackData {
    pub const MAX_BYTES: usize = 512;

    pub fn new(value: impl Into<String>) -> Result<Self, ValidationError> {
        let value = value.into();
        if value.is_empty() || value.len() > Self::MAX_BYTES {
            return Err(ValidationError::new(
                "biz_opaque_callback_data",
                format!("must be 1 to {} bytes", Self::MAX_BYTES),
            ));
        }
        Ok(CallbackData(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// What a message carries.
#[derive(Debug, Clone, PartialEq)]
pub enum Content {
    Text(Text),
    Media(MediaMessage),
    Template(Template),
    ReplyButtons(ReplyButtons),
    List(ListMessage),
    Location(Location),
    Contacts(Vec<ContactCard>),
    Reaction(Reaction),
}

impl Content {
    /// The `type` of the request.
    pub fn type_name(&self) -> &'static str {
        match self {
            Content::Text(_) => "text",
            Content::Media(m) => m.kind.type_name(),
            Content::Template(_) => "template",
            Content::ReplyButtons(_) | Content::List(_) => "interactive",
            Content::Location(_) => "location",
            Content::Contacts(_) => "contacts",
            Content::Reaction(_) => "reaction",
        }
    }

    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            Content::Text(t) => t.validate(),
            Content::Media(m) => m.validate(),
            Content::Template(t) => t.validate(),
            Content::ReplyButtons(b) => b.validate(),
            Content::List(l) => l.validate(),
            Content::Location(l) => l.validate(),
            Content::Contacts(c) => contacts::validate_all(c),
            Content::Reaction(r) => r.validate(),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            Content::Text(t) => t.to_json(),
            Content::Media(m) => m.to_json(),
            Content::Template(t) => t.to_json(),
            Content::ReplyButtons(b) => b.to_json(),
            Content::List(l) => l.to_json(),
            Content::Location(l) => l.to_json(),
            Content::Contacts(c) => Value::Array(c.iter().map(ContactCard::to_json).collect()),
            Content::Reaction(r) => r.to_json(),
        }
    }
}

/// One message to one recipient.
#[derive(Debug, Clone, PartialEq)]
pub struct OutgoingMessage {
    pub recipient: Recipient,
    pub content: Content,
    /// The message this one quotes (a reply).
    pub reply_to: Option<MessageId>,
    /// Our id, echoed in status webhooks (use the outbox id).
    pub callback_data: Option<CallbackData>,
}

impl OutgoingMessage {
    pub fn new(recipient: impl Into<Recipient>, content: Content) -> Self {
        OutgoingMessage {
            recipient: recipient.into(),
            content,
            reply_to: None,
            callback_data: None,
        }
    }

    /// Quotes `message` (a reply `context`).
    pub fn replying_to(mut self, message: MessageId) -> Self {
        self.reply_to = Some(message);
        self
    }

    pub fn with_callback_data(mut self, data: CallbackData) -> Self {
        self.callback_data = Some(data);
        self
    }

    /// Checks Meta's documented limits.
    pub fn validate(&self) -> Result<(), ValidationError> {
        if self.reply_to.is_some() && matches!(self.content, Content::Reaction(_)) {
            return Err(ValidationError::new(
                "context",
                "a reaction already names its message; it cannot quote another",
            ));
        }
        self.content.validate()
    }

    /// The JSON body Meta expects.
    pub fn to_json(&self) -> Value {
        let mut body = Map::new();
        body.insert("messaging_product".into(), json!("whatsapp"));
        body.insert("recipient_type".into(), json!("individual"));
        match &self.recipient {
            Recipient::WaId(w) => body.insert("to".into(), json!(w.as_str())),
            Recipient::Bsuid(b) => body.insert("recipient".into(), json!(b.as_str())),
        };
        let kind = self.content.type_name();
        body.insert("type".into(), json!(kind));
        body.insert(kind.into(), self.content.to_json());
        if let Some(id) = &self.reply_to {
            body.insert("context".into(), json!({ "message_id": id.as_str() }));
        }
        if let Some(cb) = &self.callback_data {
            body.insert("biz_opaque_callback_data".into(), json!(cb.as_str()));
        }
        Value::Object(body)
    }
}

/// How Meta took the message (`messages[].message_status`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AcceptStatus {
    Accepted,
    HeldForQualityAssessment,
    Paused,
    Other(String),
}

/// One `contacts[]` entry of the send response: what we sent and the canonical `wa_id`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ResolvedContact {
    pub input: String,
    pub wa_id: Option<WaId>,
}

/// A 200 from the send endpoint: Meta **accepted** the message. Delivery comes by webhook.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendOutcome {
    pub message_id: MessageId,
    pub status: AcceptStatus,
    pub contacts: Vec<ResolvedContact>,
}

impl SendOutcome {
    pub(crate) fn from_body(body: &[u8]) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Resp {
            #[serde(default)]
            contacts: Vec<ResolvedContact>,
            messages: Vec<Msg>,
        }
        #[derive(Deserialize)]
        struct Msg {
            id: MessageId,
            message_status: Option<String>,
        }
        let r: Resp = serde_json::from_slice(body)
            .map_err(|e| crate::webhook::describe("send answer", &e))?;
        let m = r
            .messages
            .into_iter()
            .next()
            .ok_or("no messages[] in the send response")?;
        let status = match m.message_status.as_deref() {
            None | Some("accepted") => AcceptStatus::Accepted,
            Some("held_for_quality_assessment") => AcceptStatus::HeldForQualityAssessment,
            Some("paused") => AcceptStatus::Paused,
            Some(other) => AcceptStatus::Other(other.to_owned()),
        };
        Ok(SendOutcome {
            message_id: m.id,
            status,
            contacts: r.contacts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::Bsuid;

    #[test]
    fn envelope_uses_to_for_numbers_and_recipient_for_bsuid() {
        let text = Content::Text(Text::new("Hola").unwrap());
        let m = OutgoingMessage::new(WaId::new("5491112345678").unwrap(), text.clone())
            .replying_to(MessageId::new("wamid.ABC").unwrap())
            .with_callback_data(CallbackData::new("outbox-1").unwrap());
        let j = m.to_json();
        assert_eq!(j["to"], "5491112345678");
        assert!(j.get("recipient").is_none());
        assert_eq!(j["type"], "text");
        assert_eq!(j["context"]["message_id"], "wamid.ABC");
        assert_eq!(j["biz_opaque_callback_data"], "outbox-1");

        let m = OutgoingMessage::new(Bsuid::new("AR.123abc").unwrap(), text);
        let j = m.to_json();
        assert_eq!(j["recipient"], "AR.123abc");
        assert!(j.get("to").is_none());
    }

    #[test]
    fn callback_data_limit() {
        assert!(CallbackData::new("x".repeat(512)).is_ok());
        assert!(CallbackData::new("x".repeat(513)).is_err());
        assert!(CallbackData::new("").is_err());
    }

    #[test]
    fn send_outcome_parses_meta_example() {
        let body = br#"{"messaging_product":"whatsapp","contacts":[{"input":"+5491112345678","wa_id":"5491112345678"}],"messages":[{"id":"wamid.HBgL","message_status":"accepted"}]}"#;
        let o = SendOutcome::from_body(body).unwrap();
        assert_eq!(o.message_id.as_str(), "wamid.HBgL");
        assert_eq!(o.status, AcceptStatus::Accepted);
        assert_eq!(
            o.contacts[0].wa_id.as_ref().unwrap().as_str(),
            "5491112345678"
        );
    }
}
