//! The `whatsapp.send` job payload: what to send and to whom, as stored in the job row. It is a
//! versioned wire format of ours (not Meta's), so a schema change is caught when the job runs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::{NewJob, QueueError};
use mostrador_whatsapp::ids::{IdError, MediaId, MessageId, Recipient};
use mostrador_whatsapp::send::{
    BodyParameter, ButtonParameter, CallbackData, Content, HeaderParameter, MediaKind,
    MediaMessage, MediaSource, OutgoingMessage, Reaction, Template, Text, TextParameter,
};
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
    /// An approved template with its body parameters (positional, or named with
    /// `body_param_names`), an optional header parameter and dynamic URL button suffixes.
    Template {
        name: String,
        language: String,
        #[serde(default)]
        body_params: Vec<String>,
        /// NAMED templates: each body parameter's variable name, in the same order.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        body_param_names: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        header: Option<TemplateHeader>,
        /// Dynamic URL buttons: (button index, URL suffix).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        url_buttons: Vec<(u8, String)>,
    },
    /// A reaction on a customer's (or our) message; an empty emoji takes it off.
    Reaction { message_id: String, emoji: String },
    /// A file from the owner's disk: uploaded by the job (a new media id per attempt is
    /// harmless), then sent by id. `path` is absolute and read only when the job runs.
    Media {
        path: String,
        mime_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        caption: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// Read receipt (blue ticks) for a customer's message: not a message, nothing to deliver.
    MarkRead { message_id: String },
}

/// A template's header parameter: its variable's text, or the media file (an uploaded media id).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum TemplateHeader {
    Text {
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        name: Option<String>,
    },
    Image {
        media_id: String,
    },
    Video {
        media_id: String,
    },
    Document {
        media_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
    /// A file on this computer (the invoice PDF, a photo): uploaded by the job like an
    /// attachment, then sent as the header of its kind (image, video or document). `path` is
    /// absolute and read only when the job runs.
    File {
        path: String,
        mime_type: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<String>,
    },
}

impl WhatsAppContent {
    /// The file this content uploads before it can be sent (path, MIME type, name), if any.
    pub fn file_to_upload(&self) -> Option<(&str, &str, Option<&str>)> {
        match self {
            WhatsAppContent::Media {
                path,
                mime_type,
                filename,
                ..
            }
            | WhatsAppContent::Template {
                header:
                    Some(TemplateHeader::File {
                        path,
                        mime_type,
                        filename,
                    }),
                ..
            } => Some((path, mime_type, filename.as_deref())),
            _ => None,
        }
    }
}

/// A chat message is never sent more than a day late (design §5: chat goes stale).
pub const TEXT_EXPIRES_AFTER: Duration = Duration::from_secs(24 * 3600);
/// A template (a notice outside the 24 h window) by default within a week.
pub const TEMPLATE_EXPIRES_AFTER: Duration = Duration::from_secs(7 * 24 * 3600);

impl WhatsAppSend {
    /// The `whatsapp.send` job for this message, with the default deadline for its kind and
    /// the recipient as serial key (one customer's messages go out in order, one at a time).
    /// Callers may override both (`expires_at`, `serial_key`: e.g. the conversation id).
    pub fn job(&self, org: crate::org::OrgId, now: DateTime<Utc>) -> Result<NewJob, QueueError> {
        let ttl = match self.content {
            WhatsAppContent::Template { .. } => TEMPLATE_EXPIRES_AFTER,
            _ => TEXT_EXPIRES_AFTER,
        };
        Ok(NewJob::new(org.0, super::KIND, self)?
            .expires_at(now + chrono::Duration::from_std(ttl).unwrap_or_default())
            .serial_key(format!("whatsapp:{org}:{}", self.to)))
    }

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
        self.to_message_with_media(callback, None)
    }

    /// [`WhatsAppSend::to_message`] for a media send, once its file was uploaded as `media`.
    pub fn to_message_with_media(
        &self,
        callback: &str,
        media: Option<(MediaId, MediaKind)>,
    ) -> Result<OutgoingMessage, mostrador_whatsapp::Error> {
        let content = match &self.content {
            WhatsAppContent::Reaction { message_id, emoji } => {
                let id = MessageId::new(message_id.clone())?;
                Content::Reaction(if emoji.is_empty() {
                    Reaction::remove(id)
                } else {
                    Reaction::new(id, emoji.clone())?
                })
            }
            WhatsAppContent::Media {
                caption, filename, ..
            } => {
                let Some((id, kind)) = media else {
                    return Err(IdError {
                        kind: "media id",
                        reason: "the file must be uploaded first",
                    }
                    .into());
                };
                Content::Media(match kind {
                    MediaKind::Image => MediaMessage::image(id, caption.clone())?,
                    MediaKind::Video => MediaMessage::video(id, caption.clone())?,
                    MediaKind::Audio => MediaMessage::audio(id),
                    MediaKind::Sticker => MediaMessage::sticker(id),
                    MediaKind::Document => MediaMessage::document(
                        id,
                        filename.clone().unwrap_or_else(|| "archivo".to_owned()),
                        caption.clone(),
                    )?,
                })
            }
            WhatsAppContent::MarkRead { .. } => {
                return Err(IdError {
                    kind: "message",
                    reason: "a read receipt is not a message",
                }
                .into())
            }
            WhatsAppContent::Text { body, preview_url } => {
                let t = Text::new(body.clone())?;
                Content::Text(if *preview_url { t.with_preview() } else { t })
            }
            WhatsAppContent::Template {
                name,
                language,
                body_params,
                body_param_names,
                header,
                url_buttons,
            } => {
                let mut t = Template::new(name.clone(), language.clone());
                for (i, p) in body_params.iter().enumerate() {
                    t = match body_param_names.get(i) {
                        Some(n) => t.body_param(BodyParameter::Text(TextParameter::named(
                            n.clone(),
                            p.clone(),
                        ))),
                        None => t.body_text(p.clone()),
                    };
                }
                if let Some(h) = header {
                    let by_id = |id: &str| -> Result<MediaSource, mostrador_whatsapp::Error> {
                        Ok(MediaSource::Id(MediaId::new(id.to_owned())?))
                    };
                    t = t.header(match h {
                        TemplateHeader::Text { text, name: None } => {
                            HeaderParameter::Text(TextParameter::positional(text.clone()))
                        }
                        TemplateHeader::Text {
                            text,
                            name: Some(n),
                        } => HeaderParameter::Text(TextParameter::named(n.clone(), text.clone())),
                        TemplateHeader::Image { media_id } => {
                            HeaderParameter::Image(by_id(media_id)?)
                        }
                        TemplateHeader::Video { media_id } => {
                            HeaderParameter::Video(by_id(media_id)?)
                        }
                        TemplateHeader::Document { media_id, filename } => {
                            HeaderParameter::Document {
                                source: by_id(media_id)?,
                                filename: filename.clone(),
                            }
                        }
                        TemplateHeader::File { filename, .. } => {
                            let Some((id, kind)) = media else {
                                return Err(IdError {
                                    kind: "media id",
                                    reason: "the header file must be uploaded first",
                                }
                                .into());
                            };
                            let source = MediaSource::Id(id);
                            match kind {
                                MediaKind::Image => HeaderParameter::Image(source),
                                MediaKind::Video => HeaderParameter::Video(source),
                                MediaKind::Document => HeaderParameter::Document {
                                    source,
                                    filename: filename.clone(),
                                },
                                MediaKind::Audio | MediaKind::Sticker => return Err(IdError {
                                    kind: "template header",
                                    reason:
                                        "only an image, a video or a document can head a template",
                                }
                                .into()),
                            }
                        }
                    });
                }
                for (index, suffix) in url_buttons {
                    t = t.button(ButtonParameter::Url {
                        index: *index,
                        text: suffix.clone(),
                    });
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
        let now = Utc::now();
        let org = crate::org::OrgId::new();
        let j = p.job(org, now).unwrap();
        assert_eq!(j.kind, "whatsapp.send");
        assert_eq!(j.expires_at, Some(now + chrono::Duration::hours(24)));
        assert_eq!(j.serial_key, Some(format!("whatsapp:{org}:5491112345678")));
    }
}
