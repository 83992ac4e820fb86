//! The webhook model: the whole envelope, iterating **every** entry, change, message and status.
//!
//! Parsing is lenient below the envelope: an item we cannot read (a malformed message, an unknown
//! change field) is kept raw and never fails the rest of the payload. Verify the signature on the
//! raw bytes ([`crate::signature::verify`]) before trusting anything parsed here.

mod contact;
mod error;
mod message;
mod object;
mod raw;
mod reason;
pub(crate) mod scalar;
mod status;
mod template_event;

pub use contact::{Contact, Profile};
pub use error::WebhookError;
pub use message::{
    Context, InboundLocation, InboundMedia, InboundMessage, MessageKind, OrderItem, Referral,
    ReferredProduct, SharedContact, SharedEmail, SharedName, SharedOrg, SharedPhone,
};
pub use raw::RawJson;
pub(crate) use reason::describe;
pub use reason::{FailureKind, Reason};
pub use status::{Conversation, Origin, Pricing, Status, StatusKind};
pub use template_event::{TemplateCategoryUpdate, TemplateQualityUpdate, TemplateStatusUpdate};

use object::Obj;
use serde::Deserialize;
use serde_json::value::RawValue;

/// The `object` of a WhatsApp Business Account webhook.
pub const OBJECT: &str = "whatsapp_business_account";

/// The body is not a WhatsApp webhook at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    #[error("the webhook body is not a JSON envelope with `entry`: {0}")]
    NotAnEnvelope(Reason),
    #[error("the webhook is for {0:?}, not {OBJECT:?}: check where the relay routes it")]
    WrongObject(String),
}

/// A parsed webhook delivery.
#[derive(Debug, Clone, PartialEq)]
pub struct Notification {
    pub entries: Vec<Entry>,
    /// Items that could not be read, kept raw with the reason.
    pub unparsed: Vec<Unparsed>,
}

/// One `entry[]`: the WABA it concerns and its changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// The WABA id.
    pub id: Option<String>,
    /// Unix seconds (template updates carry their time here).
    pub time: Option<i64>,
    pub changes: Vec<Change>,
}

/// One `changes[]` item, by `field`.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    /// `messages`: inbound messages, statuses and errors for one phone number.
    Messages(MessagesValue),
    /// `message_template_status_update`.
    TemplateStatus(TemplateStatusUpdate),
    /// `template_category_update`.
    TemplateCategory(TemplateCategoryUpdate),
    /// `message_template_quality_update`.
    TemplateQuality(TemplateQualityUpdate),
    /// Any other field (`account_update`, `phone_number_quality_update`…), kept raw.
    Other { field: String, value: RawJson },
}

/// The `value` of a `messages` change.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct MessagesValue {
    pub metadata: Metadata,
    pub contacts: Vec<Contact>,
    pub messages: Vec<InboundMessage>,
    pub statuses: Vec<Status>,
    /// System-level errors.
    pub errors: Vec<WebhookError>,
}

/// Which of the shop's numbers the change is for: route by `phone_number_id`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize)]
pub struct Metadata {
    pub display_phone_number: Option<String>,
    pub phone_number_id: Option<String>,
}

/// Something that could not be read, with where it was and why.
#[derive(Clone, PartialEq)]
pub struct Unparsed {
    /// `entry[0].changes[1].value.messages[2]`.
    pub path: String,
    pub reason: Reason,
    pub raw: RawJson,
}

impl std::fmt::Debug for Unparsed {
    // The raw item may be a customer's message: only its size is shown.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Unparsed")
            .field("path", &self.path)
            .field("reason", &format_args!("{}", self.reason))
            .field("raw_bytes", &self.raw.get().len())
            .finish()
    }
}

/// An inbound message with what routes it.
#[derive(Debug, Clone, Copy)]
pub struct MessageEvent<'a> {
    pub phone_number_id: Option<&'a str>,
    /// The sender's profile, when the change carries it.
    pub contact: Option<&'a Contact>,
    pub message: &'a InboundMessage,
}

/// A status with what routes it.
#[derive(Debug, Clone, Copy)]
pub struct StatusEvent<'a> {
    pub phone_number_id: Option<&'a str>,
    /// The recipient's current ids, when the change carries them (Meta sends `contacts` with
    /// statuses: the business-scoped user id may change).
    pub contact: Option<&'a Contact>,
    pub status: &'a Status,
}

impl Notification {
    fn messages_values(&self) -> impl Iterator<Item = &MessagesValue> {
        self.entries.iter().flat_map(|e| {
            e.changes.iter().filter_map(|c| match c {
                Change::Messages(v) => Some(v),
                _ => None,
            })
        })
    }

    /// Every inbound message of every entry and change.
    pub fn messages(&self) -> impl Iterator<Item = MessageEvent<'_>> {
        self.messages_values().flat_map(|v| {
            v.messages.iter().map(move |m| MessageEvent {
                phone_number_id: v.metadata.phone_number_id.as_deref(),
                contact: find_contact(&v.contacts, m),
                message: m,
            })
        })
    }

    /// Every status of every entry and change.
    pub fn statuses(&self) -> impl Iterator<Item = StatusEvent<'_>> {
        self.messages_values().flat_map(|v| {
            v.statuses.iter().map(move |s| StatusEvent {
                phone_number_id: v.metadata.phone_number_id.as_deref(),
                contact: status_contact(&v.contacts, s),
                status: s,
            })
        })
    }

    /// Every change of every entry.
    pub fn changes(&self) -> impl Iterator<Item = (&Entry, &Change)> {
        self.entries
            .iter()
            .flat_map(|e| e.changes.iter().map(move |c| (e, c)))
    }
}

/// The contact whose ids match the message's. A batch's single contact is attached to a message
/// only when the message carries no id at all: a message from another number or BSUID is not
/// that person.
fn find_contact<'a>(contacts: &'a [Contact], m: &InboundMessage) -> Option<&'a Contact> {
    let same = |a: &Option<String>, b: &Option<String>| a.is_some() && a == b;
    contacts
        .iter()
        .find(|c| same(&m.from_user_id_raw, &c.user_id_raw) || same(&m.from_raw, &c.wa_id_raw))
        .or_else(|| match contacts {
            [only] if m.from_raw.is_none() && m.from_user_id_raw.is_none() => Some(only),
            _ => None,
        })
}

/// The contact whose ids match the status's recipient; the single contact only when the status
/// names no recipient at all.
fn status_contact<'a>(contacts: &'a [Contact], s: &Status) -> Option<&'a Contact> {
    contacts
        .iter()
        .find(|c| {
            (s.recipient_user_id.is_some() && c.user_id == s.recipient_user_id)
                || (s.recipient_id.is_some() && c.wa_id == s.recipient_id)
        })
        .or_else(|| match contacts {
            [only] if s.recipient_id.is_none() && s.recipient_user_id.is_none() => Some(only),
            _ => None,
        })
}

#[derive(Deserialize)]
struct EnvelopeWire<'a> {
    #[serde(default)]
    object: Option<String>,
    #[serde(borrow)]
    entry: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct EntryWire<'a> {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    time: Option<i64>,
    #[serde(borrow, default)]
    changes: Vec<&'a RawValue>,
}

#[derive(Deserialize)]
struct ChangeWire<'a> {
    field: String,
    #[serde(borrow)]
    value: &'a RawValue,
}

#[derive(Deserialize)]
struct MessagesValueWire<'a> {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(borrow, default)]
    contacts: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    messages: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    statuses: Vec<&'a RawValue>,
    #[serde(borrow, default)]
    errors: Vec<&'a RawValue>,
}

/// The common case in one pass: every level typed down to each change's value.
#[derive(Deserialize)]
struct FastEnvelope<'a> {
    #[serde(default)]
    object: Option<String>,
    #[serde(borrow)]
    entry: Vec<Obj<FastEntry<'a>>>,
}

#[derive(Deserialize)]
struct FastEntry<'a> {
    #[serde(default, deserialize_with = "scalar::opt_string")]
    id: Option<String>,
    #[serde(default, deserialize_with = "scalar::opt_i64")]
    time: Option<i64>,
    #[serde(borrow, default)]
    changes: Vec<Obj<ChangeWire<'a>>>,
}

#[derive(Deserialize)]
struct FastMessagesValue {
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    contacts: Vec<Obj<Contact>>,
    #[serde(default)]
    messages: Vec<Obj<message::MessageWire>>,
    #[serde(default)]
    statuses: Vec<Obj<status::StatusWire>>,
    #[serde(default)]
    errors: Vec<Obj<WebhookError>>,
}

/// Parses a webhook body. Fails only when the body is not a WhatsApp envelope at all.
///
/// Well-formed payloads take a typed fast path; anything unusual at any level (a malformed item,
/// an unknown message type) is parsed again item by item so that it can be kept raw.
pub fn parse(body: &[u8]) -> Result<Notification, ParseError> {
    if let Ok(env) = object::from_slice::<FastEnvelope<'_>>(body) {
        if let Some(o) = &env.object {
            if o != OBJECT {
                return Err(ParseError::WrongObject(o.clone()));
            }
        }
        let mut n = Notification {
            entries: Vec::with_capacity(env.entry.len()),
            unparsed: Vec::new(),
        };
        for (i, Obj(e)) in env.entry.into_iter().enumerate() {
            let mut entry = Entry {
                id: e.id,
                time: e.time,
                changes: Vec::with_capacity(e.changes.len()),
            };
            for (j, Obj(c)) in e.changes.into_iter().enumerate() {
                let value = c.value;
                match change_from(
                    c.field,
                    value,
                    || format!("entry[{i}].changes[{j}]"),
                    &mut n.unparsed,
                ) {
                    Ok(change) => entry.changes.push(change),
                    Err(reason) => {
                        n.unparsed
                            .push(unparsed(format!("entry[{i}].changes[{j}]"), reason, value))
                    }
                }
            }
            n.entries.push(entry);
        }
        return Ok(n);
    }
    parse_item_by_item(body)
}

fn parse_item_by_item(body: &[u8]) -> Result<Notification, ParseError> {
    let env: EnvelopeWire<'_> = object::from_slice(body)
        .map_err(|e| ParseError::NotAnEnvelope(Reason::from_serde("envelope", &e)))?;
    if let Some(o) = &env.object {
        if o != OBJECT {
            return Err(ParseError::WrongObject(o.clone()));
        }
    }
    let mut n = Notification {
        entries: Vec::with_capacity(env.entry.len()),
        unparsed: Vec::new(),
    };
    for (i, raw) in env.entry.iter().enumerate() {
        let path = || format!("entry[{i}]");
        let e: EntryWire<'_> = match object::from_str(raw.get()) {
            Ok(e) => e,
            Err(err) => {
                n.unparsed
                    .push(unparsed(path(), Reason::from_serde("entry", &err), raw));
                continue;
            }
        };
        let mut entry = Entry {
            id: e.id,
            time: e.time,
            changes: Vec::with_capacity(e.changes.len()),
        };
        for (j, raw) in e.changes.iter().enumerate() {
            let path = format!("entry[{i}].changes[{j}]");
            let c = match object::from_str::<ChangeWire<'_>>(raw.get()) {
                Ok(c) => c,
                Err(e) => {
                    n.unparsed
                        .push(unparsed(path, Reason::from_serde("change", &e), raw));
                    continue;
                }
            };
            let value = c.value;
            match change_from(c.field, value, || path.clone(), &mut n.unparsed) {
                Ok(c) => entry.changes.push(c),
                Err(reason) => n.unparsed.push(unparsed(path, reason, value)),
            }
        }
        n.entries.push(entry);
    }
    Ok(n)
}

fn unparsed(path: String, reason: Reason, raw: &RawValue) -> Unparsed {
    Unparsed {
        path,
        reason,
        raw: RawJson::new(raw),
    }
}

fn change_from(
    field: String,
    value: &RawValue,
    path: impl Fn() -> String,
    bad: &mut Vec<Unparsed>,
) -> Result<Change, Reason> {
    let c = ChangeWire { field, value };
    let typed = |r: Result<Change, serde_json::Error>| {
        r.map_err(|e| Reason::from_serde("template update", &e))
    };
    match c.field.as_str() {
        "messages" => {
            if let Some(v) = fast_messages_value(c.value) {
                return Ok(Change::Messages(v));
            }
            parse_messages_value(c.value, &format!("{}.value", path()), bad).map(Change::Messages)
        }
        "message_template_status_update" => {
            typed(object::from_str(c.value.get()).map(Change::TemplateStatus))
        }
        "template_category_update" => {
            typed(object::from_str(c.value.get()).map(Change::TemplateCategory))
        }
        "message_template_quality_update" => {
            typed(object::from_str(c.value.get()).map(Change::TemplateQuality))
        }
        _ => Ok(Change::Other {
            field: c.field,
            value: RawJson::new(c.value),
        }),
    }
}

/// `None` when anything in the value needs the item-by-item path.
fn fast_messages_value(raw: &RawValue) -> Option<MessagesValue> {
    let w: FastMessagesValue = object::from_str(raw.get()).ok()?;
    let mut messages = Vec::with_capacity(w.messages.len());
    for Obj(m) in w.messages {
        messages.push(message::convert(m, None)?);
    }
    Some(MessagesValue {
        metadata: w.metadata.unwrap_or_default(),
        contacts: object::inner(w.contacts),
        messages,
        statuses: w
            .statuses
            .into_iter()
            .map(|s| status::convert(s.0))
            .collect(),
        errors: object::inner(w.errors),
    })
}

fn parse_messages_value(
    raw: &RawValue,
    path: &str,
    bad: &mut Vec<Unparsed>,
) -> Result<MessagesValue, Reason> {
    let w: MessagesValueWire<'_> =
        object::from_str(raw.get()).map_err(|e| Reason::from_serde("messages value", &e))?;
    let mut v = MessagesValue {
        metadata: w.metadata.unwrap_or_default(),
        contacts: Vec::with_capacity(w.contacts.len()),
        messages: Vec::with_capacity(w.messages.len()),
        statuses: Vec::with_capacity(w.statuses.len()),
        errors: Vec::new(),
    };
    for (k, c) in w.contacts.iter().enumerate() {
        match object::from_str::<Contact>(c.get()) {
            Ok(c) => v.contacts.push(c),
            Err(e) => bad.push(unparsed(
                format!("{path}.contacts[{k}]"),
                Reason::from_serde("contact", &e),
                c,
            )),
        }
    }
    for (k, m) in w.messages.iter().enumerate() {
        match message::parse(m) {
            Ok(m) => v.messages.push(m),
            Err(e) => bad.push(unparsed(format!("{path}.messages[{k}]"), e, m)),
        }
    }
    for (k, s) in w.statuses.iter().enumerate() {
        match status::parse(s) {
            Ok(s) => v.statuses.push(s),
            Err(e) => bad.push(unparsed(format!("{path}.statuses[{k}]"), e, s)),
        }
    }
    for (k, e) in w.errors.iter().enumerate() {
        match object::from_str::<WebhookError>(e.get()) {
            Ok(err) => v.errors.push(err),
            Err(x) => bad.push(unparsed(
                format!("{path}.errors[{k}]"),
                Reason::from_serde("error", &x),
                e,
            )),
        }
    }
    Ok(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fast path and the item-by-item path give the same model for every fixture.
    #[test]
    fn fast_path_agrees_with_item_by_item() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/webhooks");
        let mut n = 0;
        for f in std::fs::read_dir(dir).unwrap() {
            let path = f.unwrap().path();
            let body = std::fs::read(&path).unwrap();
            let fast = parse(&body).unwrap();
            let slow = parse_item_by_item(&body).unwrap();
            assert_eq!(fast, slow, "{}", path.display());
            n += 1;
        }
        assert!(n > 30);
    }
}
