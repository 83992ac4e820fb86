//! The `whatsapp.send` job payload: what to send and to whom, as stored in the job row. It is a
//! versioned wire format of ours (not Meta's), so a schema change is caught when the job runs.

use mostrador_whatsapp::ids::{MessageId, Recipient};
use mostrador_whatsapp::send::{CallbackData, Content, OutgoingMessage, Template, Text};
use serde::{Deserialize, Serialize};

/// One message to one customer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WhatsAppSend {
    /// A phone number in international form (digits) or a BSUID (`AR.…`).
    pub to: String,
    pub content: WhatsAppContent,
    /// The customer's message this one replies to (wamid).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reply_to: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum WhatsAppContent {
    Text {
        body: String,
        #[serde(default)]
        preview_url: bool,
    },
    /// An approved template with positional body parameters.
    Template {
        name: String,
        language: String,
        #[serde(default)]
        body_params: Vec<String>,
    },
}

impl WhatsAppSend {
    pub fn text(to: impl Into<String>, body: impl Into<String>) -> Self {
        WhatsAppSend {
            to: to.into(),
            content: WhatsAppContent::Text {
                body: body.into(),
                preview_url: false,
            },
            reply_to: None,
        }
    }

    /// The Graph API message, with the job id as `biz_opaque_callback_data` (the evidence key).
    pub fn to_message(&self, callback: &str) -> Result<OutgoingMessage, mostrador_whatsapp::Error> {
        let content = match &self.content {
            WhatsAppContent::Text { body, preview_url } => {
                let t = Text::new(body.clone())?;
                Content::Text(if *preview_url { t.with_preview() } else { t })
            }
            WhatsAppContent::Template {
                name,
                language,
                body_params,
            } => {
                let mut t = Template::new(name.clone(), language.clone());
                for p in body_params {
                    t = t.body_text(p.clone());
                }
                Content::Template(t)
            }
        };
        let mut m = OutgoingMessage::new(Recipient::parse(&self.to)?, content)
            .with_callback_data(CallbackData::new(callback)?);
        if let Some(r) = &self.reply_to {
            m = m.replying_to(MessageId::new(r.clone())?);
        }
        Ok(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_unknown_shapes_fail_to_parse() {
        let p = WhatsAppSend::text("5491112345678", "Tu pedido está listo");
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(serde_json::from_str::<WhatsAppSend>(&json).unwrap(), p);
        let m = p.to_message("42").unwrap().to_json();
        assert_eq!(m["biz_opaque_callback_data"], "42");
        assert_eq!(m["to"], "5491112345678");
        assert!(
            serde_json::from_str::<WhatsAppSend>(r#"{"to":"1","content":{"type":"fax"}}"#).is_err()
        );
        assert!(serde_json::from_str::<WhatsAppSend>(r#"{"recipient":"1"}"#).is_err());
    }
}
