//! Media messages by uploaded media id (a desktop app has no public URL to link to).

use serde_json::{json, Map, Value};

use super::{check_len, ValidationError};
use crate::ids::MediaId;

/// The media message types.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MediaKind {
    Image,
    Video,
    /// Audio file or voice note (a voice note is an upload of `audio/ogg; codecs=opus`).
    Audio,
    Document,
    Sticker,
}

impl MediaKind {
    pub fn type_name(self) -> &'static str {
        match self {
            MediaKind::Image => "image",
            MediaKind::Video => "video",
            MediaKind::Audio => "audio",
            MediaKind::Document => "document",
            MediaKind::Sticker => "sticker",
        }
    }

    /// Meta allows a caption on images, videos and documents only.
    pub fn allows_caption(self) -> bool {
        matches!(
            self,
            MediaKind::Image | MediaKind::Video | MediaKind::Document
        )
    }
}

/// An image, video, audio, document or sticker, by media id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaMessage {
    pub kind: MediaKind,
    pub id: MediaId,
    pub caption: Option<String>,
    /// Documents only: the name the customer sees.
    pub filename: Option<String>,
}

impl MediaMessage {
    pub const MAX_CAPTION_CHARS: usize = 1024;

    fn build(
        kind: MediaKind,
        id: MediaId,
        caption: Option<String>,
        filename: Option<String>,
    ) -> Result<Self, ValidationError> {
        let m = MediaMessage {
            kind,
            id,
            caption,
            filename,
        };
        m.validate()?;
        Ok(m)
    }

    pub fn image(id: MediaId, caption: Option<String>) -> Result<Self, ValidationError> {
        Self::build(MediaKind::Image, id, caption, None)
    }

    pub fn video(id: MediaId, caption: Option<String>) -> Result<Self, ValidationError> {
        Self::build(MediaKind::Video, id, caption, None)
    }

    /// Audio or voice note; audio takes no caption.
    pub fn audio(id: MediaId) -> Self {
        MediaMessage {
            kind: MediaKind::Audio,
            id,
            caption: None,
            filename: None,
        }
    }

    pub fn document(
        id: MediaId,
        filename: impl Into<String>,
        caption: Option<String>,
    ) -> Result<Self, ValidationError> {
        Self::build(MediaKind::Document, id, caption, Some(filename.into()))
    }

    /// A sticker takes no caption.
    pub fn sticker(id: MediaId) -> Self {
        MediaMessage {
            kind: MediaKind::Sticker,
            id,
            caption: None,
            filename: None,
        }
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        let field = self.kind.type_name();
        if let Some(c) = &self.caption {
            if !self.kind.allows_caption() {
                return Err(ValidationError::new(
                    format!("{field}.caption"),
                    format!("WhatsApp does not allow a caption on {field} messages"),
                ));
            }
            check_len(&format!("{field}.caption"), c, 1, Self::MAX_CAPTION_CHARS)?;
        }
        match (&self.filename, self.kind) {
            (Some(f), MediaKind::Document) => {
                check_len("document.filename", f, 1, 240)?;
                if f.contains(['/', '\\']) {
                    return Err(ValidationError::new(
                        "document.filename",
                        "must be a file name, not a path",
                    ));
                }
            }
            (Some(_), _) => {
                return Err(ValidationError::new(
                    format!("{field}.filename"),
                    "only documents carry a file name",
                ))
            }
            (None, _) => {}
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("id".into(), json!(self.id.as_str()));
        if let Some(c) = &self.caption {
            m.insert("caption".into(), json!(c));
        }
        if let Some(f) = &self.filename {
            m.insert("filename".into(), json!(f));
        }
        Value::Object(m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> MediaId {
        MediaId::new("1234").unwrap()
    }

    #[test]
    fn captions_only_where_allowed() {
        assert!(MediaMessage::image(id(), Some("foto".into())).is_ok());
        let mut a = MediaMessage::audio(id());
        a.caption = Some("no".into());
        assert!(a.validate().unwrap_err().to_string().contains("caption"));
        let mut s = MediaMessage::sticker(id());
        s.caption = Some("no".into());
        assert!(s.validate().is_err());
        assert!(MediaMessage::image(id(), Some("x".repeat(1025))).is_err());
    }

    #[test]
    fn document_filename() {
        let d = MediaMessage::document(id(), "factura.pdf", None).unwrap();
        assert_eq!(d.to_json()["filename"], "factura.pdf");
        assert!(MediaMessage::document(id(), "../etc/passwd", None).is_err());
    }
}
