//! Template messages: the only kind allowed outside the 24 h customer service window.
//!
//! Components are sent as Meta documents them (reference §1.3): one `header`, one `body`, and one
//! `button` component per button parameter with its `sub_type` and string `index`. The language
//! policy is always `deterministic`.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::{check_len, Location, ValidationError};
use crate::ids::MediaId;

/// A text parameter, positional (`{{1}}`) or named (`{{first_name}}`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextParameter {
    pub text: String,
    /// Set for templates created with `parameter_format: NAMED`.
    pub name: Option<String>,
}

impl TextParameter {
    pub fn positional(text: impl Into<String>) -> Self {
        TextParameter {
            text: text.into(),
            name: None,
        }
    }

    pub fn named(name: impl Into<String>, text: impl Into<String>) -> Self {
        TextParameter {
            text: text.into(),
            name: Some(name.into()),
        }
    }

    fn validate(&self, field: &str, max: usize) -> Result<(), ValidationError> {
        check_len(field, &self.text, 1, max)?;
        if self.text.trim().is_empty() {
            return Err(ValidationError::new(field, "must not be blank"));
        }
        if let Some(n) = &self.name {
            let ok = !n.is_empty()
                && n.len() <= 64
                && n.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
                && n.as_bytes()[0].is_ascii_lowercase();
            if !ok {
                return Err(ValidationError::new(
                    format!("{field}.parameter_name"),
                    "must be lowercase letters, digits and underscores, starting with a letter",
                ));
            }
        }
        Ok(())
    }

    fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("type".into(), json!("text"));
        if let Some(n) = &self.name {
            m.insert("parameter_name".into(), json!(n));
        }
        m.insert("text".into(), json!(self.text));
        Value::Object(m)
    }
}

/// Where a header's media comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MediaSource {
    /// An uploaded media id (what a desktop app uses).
    Id(MediaId),
    /// A public HTTPS link.
    Link(url::Url),
}

impl MediaSource {
    fn to_json(&self) -> Value {
        match self {
            MediaSource::Id(id) => json!({ "id": id.as_str() }),
            MediaSource::Link(u) => json!({ "link": u.as_str() }),
        }
    }

    fn validate(&self, field: &str) -> Result<(), ValidationError> {
        if let MediaSource::Link(u) = self {
            if u.scheme() != "https" && u.scheme() != "http" {
                return Err(ValidationError::new(field, "a media link must be HTTP(S)"));
            }
        }
        Ok(())
    }
}

/// The header parameter, matching the template's header format.
#[derive(Debug, Clone, PartialEq)]
pub enum HeaderParameter {
    Text(TextParameter),
    Image(MediaSource),
    Video(MediaSource),
    /// A PDF; documents in template headers take no caption.
    Document {
        source: MediaSource,
        filename: Option<String>,
    },
    /// Name and address are required in a location header.
    Location(Location),
}

/// A body parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyParameter {
    Text(TextParameter),
    /// Money: `amount_1000` is the amount times 1000 (ARS 1.500,00 ⇒ 1_500_000).
    Currency {
        fallback_value: String,
        code: String,
        amount_1000: i64,
    },
    /// Cloud API always shows `fallback_value` as-is.
    DateTime {
        fallback_value: String,
    },
}

/// A button parameter; `index` is the button's position in the template (0-based).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonParameter {
    /// The suffix appended to a dynamic URL button.
    Url { index: u8, text: String },
    /// The payload returned when the customer taps a quick reply.
    QuickReply { index: u8, payload: String },
    /// The code a copy-code button copies.
    CopyCode { index: u8, coupon_code: String },
}

impl ButtonParameter {
    fn index(&self) -> u8 {
        match self {
            ButtonParameter::Url { index, .. }
            | ButtonParameter::QuickReply { index, .. }
            | ButtonParameter::CopyCode { index, .. } => *index,
        }
    }
}

/// A template to send: name, language and the values for its variables.
#[derive(Debug, Clone, PartialEq)]
pub struct Template {
    pub name: String,
    /// `es_AR`, `es`, `en_US`…
    pub language: String,
    pub header: Option<HeaderParameter>,
    pub body: Vec<BodyParameter>,
    pub buttons: Vec<ButtonParameter>,
}

impl Template {
    pub fn new(name: impl Into<String>, language: impl Into<String>) -> Self {
        Template {
            name: name.into(),
            language: language.into(),
            header: None,
            body: Vec::new(),
            buttons: Vec::new(),
        }
    }

    pub fn header(mut self, header: HeaderParameter) -> Self {
        self.header = Some(header);
        self
    }

    pub fn body_param(mut self, p: BodyParameter) -> Self {
        self.body.push(p);
        self
    }

    pub fn body_text(self, text: impl Into<String>) -> Self {
        self.body_param(BodyParameter::Text(TextParameter::positional(text)))
    }

    pub fn button(mut self, b: ButtonParameter) -> Self {
        self.buttons.push(b);
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 512
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(ValidationError::new(
                "template.name",
                "must be 1 to 512 lowercase letters, digits or underscores",
            ));
        }
        if !valid_language(&self.language) {
            return Err(ValidationError::new(
                "template.language.code",
                "must be a language code like es, es_AR or en_US",
            ));
        }
        let mut named = Vec::new();
        match &self.header {
            Some(HeaderParameter::Text(t)) => {
                t.validate("template.header.text", 60)?;
                named.push(t.name.is_some());
            }
            Some(HeaderParameter::Image(s)) | Some(HeaderParameter::Video(s)) => {
                s.validate("template.header")?
            }
            Some(HeaderParameter::Document { source, filename }) => {
                source.validate("template.header.document")?;
                if let Some(f) = filename {
                    check_len("template.header.document.filename", f, 1, 240)?;
                }
            }
            Some(HeaderParameter::Location(l)) => {
                l.validate()?;
                if l.name.is_none() || l.address.is_none() {
                    return Err(ValidationError::new(
                        "template.header.location",
                        "a location header needs a name and an address",
                    ));
                }
            }
            None => {}
        }
        for (i, p) in self.body.iter().enumerate() {
            let field = format!("template.body.parameters[{i}]");
            match p {
                BodyParameter::Text(t) => {
                    t.validate(&field, 1024)?;
                    named.push(t.name.is_some());
                }
                BodyParameter::Currency {
                    fallback_value,
                    code,
                    ..
                } => {
                    check_len(&format!("{field}.fallback_value"), fallback_value, 1, 1024)?;
                    if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_uppercase()) {
                        return Err(ValidationError::new(
                            format!("{field}.code"),
                            "must be an ISO 4217 code like ARS",
                        ));
                    }
                }
                BodyParameter::DateTime { fallback_value } => {
                    check_len(&format!("{field}.fallback_value"), fallback_value, 1, 1024)?
                }
            }
        }
        if named.iter().any(|&n| n) && !named.iter().all(|&n| n) {
            return Err(ValidationError::new(
                "template",
                "text parameters must be all named or all positional",
            ));
        }
        let mut seen = HashSet::new();
        for (i, b) in self.buttons.iter().enumerate() {
            let field = format!("template.buttons[{i}]");
            if b.index() > 9 || !seen.insert(b.index()) {
                return Err(ValidationError::new(
                    format!("{field}.index"),
                    "must be a distinct button position from 0 to 9",
                ));
            }
            match b {
                ButtonParameter::Url { text, .. } => check_len(&field, text, 1, 2000)?,
                ButtonParameter::QuickReply { payload, .. } => check_len(&field, payload, 1, 128)?,
                ButtonParameter::CopyCode { coupon_code, .. } => {
                    check_len(&field, coupon_code, 1, 15)?
                }
            }
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut components = Vec::new();
        if let Some(h) = &self.header {
            let p = match h {
                HeaderParameter::Text(t) => t.to_json(),
                HeaderParameter::Image(s) => json!({ "type": "image", "image": s.to_json() }),
                HeaderParameter::Video(s) => json!({ "type": "video", "video": s.to_json() }),
                HeaderParameter::Document { source, filename } => {
                    let mut d = source.to_json();
                    if let Some(f) = filename {
                        d["filename"] = json!(f);
                    }
                    json!({ "type": "document", "document": d })
                }
                HeaderParameter::Location(l) => {
                    json!({ "type": "location", "location": l.to_json() })
                }
            };
            components.push(json!({ "type": "header", "parameters": [p] }));
        }
        if !self.body.is_empty() {
            let params: Vec<Value> = self
                .body
                .iter()
                .map(|p| match p {
                    BodyParameter::Text(t) => t.to_json(),
                    BodyParameter::Currency {
                        fallback_value,
                        code,
                        amount_1000,
                    } => json!({ "type": "currency", "currency": {
                        "fallback_value": fallback_value, "code": code, "amount_1000": amount_1000 } }),
                    BodyParameter::DateTime { fallback_value } => {
                        json!({ "type": "date_time", "date_time": { "fallback_value": fallback_value } })
                    }
                })
                .collect();
            components.push(json!({ "type": "body", "parameters": params }));
        }
        for b in &self.buttons {
            let (sub_type, param) = match b {
                ButtonParameter::Url { text, .. } => {
                    ("url", json!({ "type": "text", "text": text }))
                }
                ButtonParameter::QuickReply { payload, .. } => (
                    "quick_reply",
                    json!({ "type": "payload", "payload": payload }),
                ),
                ButtonParameter::CopyCode { coupon_code, .. } => (
                    "copy_code",
                    json!({ "type": "coupon_code", "coupon_code": coupon_code }),
                ),
            };
            components.push(json!({
                "type": "button", "sub_type": sub_type,
                "index": b.index().to_string(), "parameters": [param],
            }));
        }
        let mut t = Map::new();
        t.insert("name".into(), json!(self.name));
        t.insert(
            "language".into(),
            json!({ "code": self.language, "policy": "deterministic" }),
        );
        if !components.is_empty() {
            t.insert("components".into(), Value::Array(components));
        }
        Value::Object(t)
    }
}

fn valid_language(code: &str) -> bool {
    let (lang, region) = match code.split_once('_') {
        Some((l, r)) => (l, Some(r)),
        None => (code, None),
    };
    let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
    let region_ok = region
        .is_none_or(|r| (2..=4).contains(&r.len()) && r.bytes().all(|b| b.is_ascii_alphanumeric()));
    lang_ok && region_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_template_serializes_like_meta_example() {
        let t = Template::new("pedido_listo", "es_AR")
            .header(HeaderParameter::Image(MediaSource::Id(
                MediaId::new("99").unwrap(),
            )))
            .body_text("Juan")
            .body_param(BodyParameter::Currency {
                fallback_value: "$1.500".into(),
                code: "ARS".into(),
                amount_1000: 1_500_000,
            })
            .body_param(BodyParameter::DateTime {
                fallback_value: "25 de marzo".into(),
            })
            .button(ButtonParameter::Url {
                index: 0,
                text: "ABC123".into(),
            })
            .button(ButtonParameter::QuickReply {
                index: 1,
                payload: "CANCELAR_123".into(),
            })
            .button(ButtonParameter::CopyCode {
                index: 2,
                coupon_code: "DESC10".into(),
            });
        t.validate().unwrap();
        let j = t.to_json();
        assert_eq!(j["language"]["policy"], "deterministic");
        let c = j["components"].as_array().unwrap();
        assert_eq!(c[0]["type"], "header");
        assert_eq!(c[0]["parameters"][0]["image"]["id"], "99");
        assert_eq!(c[1]["parameters"][1]["currency"]["amount_1000"], 1_500_000);
        assert_eq!(c[2]["sub_type"], "url");
        assert_eq!(c[2]["index"], "0");
        assert_eq!(c[3]["parameters"][0]["payload"], "CANCELAR_123");
        assert_eq!(c[4]["parameters"][0]["coupon_code"], "DESC10");
    }

    #[test]
    fn named_parameters() {
        let t = Template::new("bienvenida", "es").body_param(BodyParameter::Text(
            TextParameter::named("first_name", "Ana"),
        ));
        t.validate().unwrap();
        assert_eq!(
            t.to_json()["components"][0]["parameters"][0]["parameter_name"],
            "first_name"
        );
        let mixed = t.clone().body_text("x");
        assert!(mixed.validate().is_err());
    }

    #[test]
    fn rejects_bad_shapes() {
        assert!(Template::new("Pedido Listo", "es").validate().is_err());
        assert!(Template::new("ok", "spanish").validate().is_err());
        let dup = Template::new("ok", "es")
            .button(ButtonParameter::QuickReply {
                index: 0,
                payload: "a".into(),
            })
            .button(ButtonParameter::QuickReply {
                index: 0,
                payload: "b".into(),
            });
        assert!(dup.validate().is_err());
        let long = Template::new("ok", "es").button(ButtonParameter::CopyCode {
            index: 0,
            coupon_code: "X".repeat(16),
        });
        assert!(long.validate().is_err());
        let loc = Template::new("ok", "es").header(HeaderParameter::Location(
            Location::new(-34.6, -58.4).unwrap(),
        ));
        assert!(loc.validate().is_err());
        assert!(Template::new("ok", "es").body_text("").validate().is_err());
    }
}
