//! Interactive messages: reply buttons and lists, with Meta's limits checked client-side.

use std::collections::HashSet;

use serde_json::{json, Map, Value};

use super::{check_len, ValidationError};
use crate::ids::MediaId;

/// The optional header of an interactive message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InteractiveHeader {
    /// Up to 60 characters.
    Text(String),
    Image(MediaId),
    Video(MediaId),
    Document {
        id: MediaId,
        filename: String,
    },
}

impl InteractiveHeader {
    fn validate(&self) -> Result<(), ValidationError> {
        match self {
            InteractiveHeader::Text(t) => check_len("interactive.header.text", t, 1, 60),
            InteractiveHeader::Document { filename, .. } => {
                check_len("interactive.header.document.filename", filename, 1, 240)
            }
            _ => Ok(()),
        }
    }

    fn to_json(&self) -> Value {
        match self {
            InteractiveHeader::Text(t) => json!({ "type": "text", "text": t }),
            InteractiveHeader::Image(id) => {
                json!({ "type": "image", "image": { "id": id.as_str() } })
            }
            InteractiveHeader::Video(id) => {
                json!({ "type": "video", "video": { "id": id.as_str() } })
            }
            InteractiveHeader::Document { id, filename } => json!({
                "type": "document", "document": { "id": id.as_str(), "filename": filename } }),
        }
    }
}

/// One reply button: `id` comes back in the customer's `button_reply`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyButton {
    pub id: String,
    pub title: String,
}

impl ReplyButton {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        ReplyButton {
            id: id.into(),
            title: title.into(),
        }
    }
}

/// 1–3 reply buttons under a body text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplyButtons {
    pub header: Option<InteractiveHeader>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<ReplyButton>,
}

fn common(
    header: &Option<InteractiveHeader>,
    body: &str,
    body_max: usize,
    footer: &Option<String>,
) -> Result<(), ValidationError> {
    if let Some(h) = header {
        h.validate()?;
    }
    check_len("interactive.body.text", body, 1, body_max)?;
    if let Some(f) = footer {
        check_len("interactive.footer.text", f, 1, 60)?;
    }
    Ok(())
}

fn envelope(
    kind: &str,
    header: &Option<InteractiveHeader>,
    body: &str,
    footer: &Option<String>,
    action: Value,
) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    if let Some(h) = header {
        m.insert("header".into(), h.to_json());
    }
    m.insert("body".into(), json!({ "text": body }));
    if let Some(f) = footer {
        m.insert("footer".into(), json!({ "text": f }));
    }
    m.insert("action".into(), action);
    Value::Object(m)
}

impl ReplyButtons {
    pub const MAX_BUTTONS: usize = 3;

    pub fn new(
        body: impl Into<String>,
        buttons: Vec<ReplyButton>,
    ) -> Result<Self, ValidationError> {
        let b = ReplyButtons {
            header: None,
            body: body.into(),
            footer: None,
            buttons,
        };
        b.validate()?;
        Ok(b)
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        common(&self.header, &self.body, 1024, &self.footer)?;
        if self.buttons.is_empty() || self.buttons.len() > Self::MAX_BUTTONS {
            return Err(ValidationError::new(
                "interactive.action.buttons",
                format!("must have 1 to 3 buttons, got {}", self.buttons.len()),
            ));
        }
        let (mut ids, mut titles) = (HashSet::new(), HashSet::new());
        for (i, b) in self.buttons.iter().enumerate() {
            let f = format!("interactive.action.buttons[{i}].reply");
            check_len(&format!("{f}.id"), &b.id, 1, 256)?;
            check_len(&format!("{f}.title"), &b.title, 1, 20)?;
            if !ids.insert(b.id.as_str()) {
                return Err(ValidationError::new(
                    format!("{f}.id"),
                    "button ids must be unique",
                ));
            }
            if !titles.insert(b.title.as_str()) {
                return Err(ValidationError::new(
                    format!("{f}.title"),
                    "button titles must be unique",
                ));
            }
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        let buttons: Vec<Value> = self
            .buttons
            .iter()
            .map(|b| json!({ "type": "reply", "reply": { "id": b.id, "title": b.title } }))
            .collect();
        envelope(
            "button",
            &self.header,
            &self.body,
            &self.footer,
            json!({ "buttons": buttons }),
        )
    }
}

/// One row of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListRow {
    pub id: String,
    pub title: String,
    pub description: Option<String>,
}

impl ListRow {
    pub fn new(id: impl Into<String>, title: impl Into<String>) -> Self {
        ListRow {
            id: id.into(),
            title: title.into(),
            description: None,
        }
    }

    pub fn described(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }
}

/// A section of a list; its title is required when the list has more than one section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSection {
    pub title: Option<String>,
    pub rows: Vec<ListRow>,
}

/// A list message: a button that opens up to 10 rows in up to 10 sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListMessage {
    /// Only a text header is allowed on lists.
    pub header: Option<String>,
    pub body: String,
    pub footer: Option<String>,
    /// The label of the button that opens the list (≤ 20 characters).
    pub button: String,
    pub sections: Vec<ListSection>,
}

impl ListMessage {
    pub const MAX_ROWS: usize = 10;
    pub const MAX_SECTIONS: usize = 10;

    pub fn new(
        body: impl Into<String>,
        button: impl Into<String>,
        sections: Vec<ListSection>,
    ) -> Result<Self, ValidationError> {
        let l = ListMessage {
            header: None,
            body: body.into(),
            footer: None,
            button: button.into(),
            sections,
        };
        l.validate()?;
        Ok(l)
    }

    fn header(&self) -> Option<InteractiveHeader> {
        self.header.clone().map(InteractiveHeader::Text)
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        common(&self.header(), &self.body, 4096, &self.footer)?;
        check_len("interactive.action.button", &self.button, 1, 20)?;
        let n = self.sections.len();
        if n == 0 || n > Self::MAX_SECTIONS {
            return Err(ValidationError::new(
                "interactive.action.sections",
                format!("must have 1 to 10 sections, got {n}"),
            ));
        }
        let total: usize = self.sections.iter().map(|s| s.rows.len()).sum();
        if total > Self::MAX_ROWS {
            return Err(ValidationError::new(
                "interactive.action.sections",
                format!("at most 10 rows in total, got {total}"),
            ));
        }
        let mut ids = HashSet::new();
        for (i, s) in self.sections.iter().enumerate() {
            let f = format!("interactive.action.sections[{i}]");
            match &s.title {
                Some(t) => check_len(&format!("{f}.title"), t, 1, 24)?,
                None if n > 1 => {
                    return Err(ValidationError::new(
                        format!("{f}.title"),
                        "required when the list has more than one section",
                    ))
                }
                None => {}
            }
            if s.rows.is_empty() {
                return Err(ValidationError::new(
                    format!("{f}.rows"),
                    "must have at least one row",
                ));
            }
            for (j, r) in s.rows.iter().enumerate() {
                let f = format!("{f}.rows[{j}]");
                check_len(&format!("{f}.id"), &r.id, 1, 200)?;
                check_len(&format!("{f}.title"), &r.title, 1, 24)?;
                if let Some(d) = &r.description {
                    check_len(&format!("{f}.description"), d, 1, 72)?;
                }
                if !ids.insert(r.id.as_str()) {
                    return Err(ValidationError::new(
                        format!("{f}.id"),
                        "row ids must be unique",
                    ));
                }
            }
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        let sections: Vec<Value> = self
            .sections
            .iter()
            .map(|s| {
                let rows: Vec<Value> = s
                    .rows
                    .iter()
                    .map(|r| {
                        let mut row = json!({ "id": r.id, "title": r.title });
                        if let Some(d) = &r.description {
                            row["description"] = json!(d);
                        }
                        row
                    })
                    .collect();
                let mut sec = json!({ "rows": rows });
                if let Some(t) = &s.title {
                    sec["title"] = json!(t);
                }
                sec
            })
            .collect();
        envelope(
            "list",
            &self.header(),
            &self.body,
            &self.footer,
            json!({ "button": self.button, "sections": sections }),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn button_limits() {
        let ok = ReplyButtons::new(
            "¿Confirmás?",
            vec![ReplyButton::new("si", "Sí"), ReplyButton::new("no", "No")],
        );
        let j = ok.unwrap().to_json();
        assert_eq!(j["type"], "button");
        assert_eq!(j["action"]["buttons"][1]["reply"]["id"], "no");
        assert!(ReplyButtons::new("x", vec![]).is_err());
        let four = (0..4)
            .map(|i| ReplyButton::new(i.to_string(), i.to_string()))
            .collect();
        assert!(ReplyButtons::new("x", four).is_err());
        let e = ReplyButtons::new("x", vec![ReplyButton::new("a", "t".repeat(21))]).unwrap_err();
        assert!(e.field.ends_with("title"), "{e}");
        assert!(ReplyButtons::new(
            "x",
            vec![ReplyButton::new("a", "t"), ReplyButton::new("b", "t")]
        )
        .is_err());
        assert!(ReplyButtons::new(
            "x",
            vec![ReplyButton::new("a", "t"), ReplyButton::new("a", "u")]
        )
        .is_err());
        assert!(ReplyButtons::new("x", vec![ReplyButton::new("i".repeat(257), "t")]).is_err());
    }

    #[test]
    fn list_limits() {
        let row = |i: usize| ListRow::new(format!("r{i}"), format!("Fila {i}"));
        let one = ListSection {
            title: None,
            rows: vec![row(0)],
        };
        assert!(ListMessage::new("Elegí", "Ver opciones", vec![one.clone()]).is_ok());
        assert!(ListMessage::new(
            "Elegí",
            "Ver opciones",
            vec![
                one.clone(),
                ListSection {
                    title: None,
                    rows: vec![row(1)]
                }
            ]
        )
        .is_err());
        let eleven = ListSection {
            title: None,
            rows: (0..11).map(row).collect(),
        };
        assert!(ListMessage::new("b", "Ver", vec![eleven]).is_err());
        assert!(ListMessage::new("b", "x".repeat(21), vec![one.clone()]).is_err());
        let long_desc = ListSection {
            title: None,
            rows: vec![row(0).described("d".repeat(73))],
        };
        assert!(ListMessage::new("b", "Ver", vec![long_desc]).is_err());
        let long_title = ListSection {
            title: None,
            rows: vec![ListRow::new("a", "t".repeat(25))],
        };
        assert!(ListMessage::new("b", "Ver", vec![long_title]).is_err());
        let dup = ListSection {
            title: None,
            rows: vec![row(0), row(0)],
        };
        assert!(ListMessage::new("b", "Ver", vec![dup]).is_err());
    }
}
