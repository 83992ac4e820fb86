//! Template management: list (every page), create, delete.

use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::client::{expect_success, Client, Effect};
use crate::error::Error;
use crate::ids::TemplateId;
use crate::send::ValidationError;

/// A template's review status. Unknown values are kept.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateStatus {
    Approved,
    Pending,
    Rejected,
    Paused,
    Disabled,
    Flagged,
    InAppeal,
    Reinstated,
    PendingDeletion,
    Deleted,
    Archived,
    Unarchived,
    LimitExceeded,
    Locked,
    #[serde(untagged)]
    Other(String),
}

/// What a template is billed as. Meta may re-categorize: always read it back.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum TemplateCategory {
    Marketing,
    Utility,
    Authentication,
    #[serde(untagged)]
    Other(String),
}

/// Whether variables are `{{1}}` or `{{name}}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ParameterFormat {
    Positional,
    Named,
}

/// A template as listed by Meta. Components are kept as Meta sends them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct TemplateInfo {
    pub id: TemplateId,
    pub name: String,
    pub language: String,
    pub status: TemplateStatus,
    pub category: Option<TemplateCategory>,
    #[serde(default)]
    pub components: Vec<Value>,
    pub parameter_format: Option<ParameterFormat>,
    pub rejected_reason: Option<String>,
    pub quality_score: Option<Value>,
}

impl TemplateInfo {
    /// How many `{{…}}` variables the body has, counted from its text.
    pub fn body_parameter_count(&self) -> usize {
        self.components
            .iter()
            .find(|c| c.get("type").and_then(Value::as_str) == Some("BODY"))
            .and_then(|c| c.get("text").and_then(Value::as_str))
            .map(count_variables)
            .unwrap_or(0)
    }
}

/// Counts distinct `{{…}}` placeholders in a template text.
pub fn count_variables(text: &str) -> usize {
    let mut seen = std::collections::HashSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                seen.insert(after[..end].trim().to_owned());
                rest = &after[end + 2..];
            }
            None => break,
        }
    }
    seen.len()
}

/// The format of a header in a new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewHeader {
    /// Text, with an example for its variable if it has one.
    Text {
        text: String,
        example: Option<String>,
    },
    /// A media header needs an example handle from the resumable upload API.
    Image {
        example_handle: String,
    },
    Video {
        example_handle: String,
    },
    Document {
        example_handle: String,
    },
    Location,
}

/// A button of a new template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NewButton {
    QuickReply {
        text: String,
    },
    /// `url` may end in `{{1}}`; then `example` is a full example URL.
    Url {
        text: String,
        url: String,
        example: Option<String>,
    },
    PhoneNumber {
        text: String,
        phone_number: String,
    },
    CopyCode {
        example: String,
    },
}

/// Examples for the body's variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BodyExamples {
    None,
    Positional(Vec<String>),
    /// `(parameter name, example)` pairs.
    Named(Vec<(String, String)>),
}

/// A template to submit for review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTemplate {
    pub name: String,
    pub language: String,
    pub category: TemplateCategory,
    pub header: Option<NewHeader>,
    pub body: String,
    pub body_examples: BodyExamples,
    pub footer: Option<String>,
    pub buttons: Vec<NewButton>,
}

impl NewTemplate {
    pub fn validate(&self) -> Result<(), ValidationError> {
        let name_ok = !self.name.is_empty()
            && self.name.len() <= 512
            && self
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !name_ok {
            return Err(ValidationError::new(
                "name",
                "must be lowercase letters, digits and underscores (≤ 512)",
            ));
        }
        crate::send::check_len("components.BODY.text", &self.body, 1, 1024)?;
        if let Some(f) = &self.footer {
            crate::send::check_len("components.FOOTER.text", f, 1, 60)?;
        }
        let vars = count_variables(&self.body);
        let examples = match &self.body_examples {
            BodyExamples::None => 0,
            BodyExamples::Positional(v) => v.len(),
            BodyExamples::Named(v) => v.len(),
        };
        if vars != examples {
            return Err(ValidationError::new(
                "components.BODY.example",
                format!("the body has {vars} variables but {examples} examples"),
            ));
        }
        if self.buttons.len() > 10 {
            return Err(ValidationError::new(
                "components.BUTTONS",
                "at most 10 buttons",
            ));
        }
        Ok(())
    }

    pub fn to_json(&self) -> Value {
        let mut components = Vec::new();
        if let Some(h) = &self.header {
            components.push(match h {
                NewHeader::Text { text, example } => {
                    let mut c = json!({ "type": "HEADER", "format": "TEXT", "text": text });
                    if let Some(e) = example {
                        c["example"] = json!({ "header_text": [e] });
                    }
                    c
                }
                NewHeader::Image { example_handle } => json!({ "type": "HEADER", "format": "IMAGE", "example": { "header_handle": [example_handle] } }),
                NewHeader::Video { example_handle } => json!({ "type": "HEADER", "format": "VIDEO", "example": { "header_handle": [example_handle] } }),
                NewHeader::Document { example_handle } => json!({ "type": "HEADER", "format": "DOCUMENT", "example": { "header_handle": [example_handle] } }),
                NewHeader::Location => json!({ "type": "HEADER", "format": "LOCATION" }),
            });
        }
        let mut body = json!({ "type": "BODY", "text": self.body });
        match &self.body_examples {
            BodyExamples::None => {}
            BodyExamples::Positional(v) => body["example"] = json!({ "body_text": [v] }),
            BodyExamples::Named(v) => {
                let named: Vec<Value> = v
                    .iter()
                    .map(|(n, e)| json!({ "param_name": n, "example": e }))
                    .collect();
                body["example"] = json!({ "body_text_named_params": named });
            }
        }
        components.push(body);
        if let Some(f) = &self.footer {
            components.push(json!({ "type": "FOOTER", "text": f }));
        }
        if !self.buttons.is_empty() {
            let buttons: Vec<Value> = self
                .buttons
                .iter()
                .map(|b| match b {
                    NewButton::QuickReply { text } => json!({ "type": "QUICK_REPLY", "text": text }),
                    NewButton::Url { text, url, example } => {
                        let mut v = json!({ "type": "URL", "text": text, "url": url });
                        if let Some(e) = example {
                            v["example"] = json!([e]);
                        }
                        v
                    }
                    NewButton::PhoneNumber { text, phone_number } => {
                        json!({ "type": "PHONE_NUMBER", "text": text, "phone_number": phone_number })
                    }
                    NewButton::CopyCode { example } => json!({ "type": "COPY_CODE", "example": example }),
                })
                .collect();
            components.push(json!({ "type": "BUTTONS", "buttons": buttons }));
        }
        let mut m = Map::new();
        m.insert("name".into(), json!(self.name));
        m.insert("language".into(), json!(self.language));
        m.insert(
            "category".into(),
            serde_json::to_value(&self.category).unwrap_or(Value::Null),
        );
        if matches!(self.body_examples, BodyExamples::Named(_)) {
            m.insert("parameter_format".into(), json!("NAMED"));
        }
        m.insert("components".into(), Value::Array(components));
        Value::Object(m)
    }
}

/// Meta's answer to a template creation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedTemplate {
    pub id: TemplateId,
    pub status: TemplateStatus,
    pub category: Option<TemplateCategory>,
}

const TEMPLATE_FIELDS: &str =
    "id,name,language,status,category,components,parameter_format,rejected_reason,quality_score";

impl Client {
    /// Every template of the WABA, following the pagination to the end.
    pub async fn list_templates(&self) -> Result<Vec<TemplateInfo>, Error> {
        #[derive(Deserialize)]
        struct Page {
            #[serde(default)]
            data: Vec<TemplateInfo>,
            paging: Option<Paging>,
        }
        #[derive(Deserialize)]
        struct Paging {
            cursors: Option<Cursors>,
            next: Option<String>,
        }
        #[derive(Deserialize)]
        struct Cursors {
            after: Option<String>,
        }
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        // A hard stop against a server that never ends its pagination.
        for _ in 0..1000 {
            let mut url = self.url(&[self.cfg.waba_id.as_str(), "message_templates"]);
            {
                let mut q = url.query_pairs_mut();
                q.append_pair("fields", TEMPLATE_FIELDS)
                    .append_pair("limit", "100");
                if let Some(a) = &after {
                    q.append_pair("after", a);
                }
            }
            let page: Page = self
                .execute_json(
                    "list templates",
                    Effect::Safe,
                    self.request(Method::GET, url),
                )
                .await?;
            all.extend(page.data);
            // Follow the cursor on our own base URL rather than the absolute `next` link.
            match page.paging {
                Some(Paging {
                    next: Some(_),
                    cursors: Some(Cursors { after: Some(a) }),
                }) if after.as_deref() != Some(a.as_str()) => after = Some(a),
                _ => return Ok(all),
            }
        }
        Err(Error::UnexpectedResponse {
            operation: "list templates",
            cause: "more than 1000 pages".into(),
        })
    }

    /// Submits a template for review.
    pub async fn create_template(&self, t: &NewTemplate) -> Result<CreatedTemplate, Error> {
        t.validate()?;
        let url = self.url(&[self.cfg.waba_id.as_str(), "message_templates"]);
        let req = self.request(Method::POST, url).json(&t.to_json());
        self.execute_json("create template", Effect::Safe, req)
            .await
    }

    /// Deletes a template by name (every language), or only the one with `id`.
    pub async fn delete_template(&self, name: &str, id: Option<&TemplateId>) -> Result<(), Error> {
        let mut url = self.url(&[self.cfg.waba_id.as_str(), "message_templates"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("name", name);
            if let Some(id) = id {
                q.append_pair("hsm_id", id.as_str());
            }
        }
        let v: Value = self
            .execute_json(
                "delete template",
                Effect::Safe,
                self.request(Method::DELETE, url),
            )
            .await?;
        expect_success("delete template", &v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_variables() {
        assert_eq!(count_variables("Hola {{1}}, tu pedido {{2}} está listo"), 2);
        assert_eq!(count_variables("Hola {{first_name}} {{first_name}}"), 1);
        assert_eq!(count_variables("sin variables"), 0);
    }

    #[test]
    fn status_keeps_unknown_values() {
        let s: TemplateStatus = serde_json::from_str("\"APPROVED\"").unwrap();
        assert_eq!(s, TemplateStatus::Approved);
        let s: TemplateStatus = serde_json::from_str("\"SOMETHING_NEW\"").unwrap();
        assert_eq!(s, TemplateStatus::Other("SOMETHING_NEW".into()));
    }

    #[test]
    fn new_template_examples_must_match() {
        let mut t = NewTemplate {
            name: "pedido_listo".into(),
            language: "es_AR".into(),
            category: TemplateCategory::Utility,
            header: None,
            body: "Hola {{1}}, tu pedido está listo".into(),
            body_examples: BodyExamples::None,
            footer: None,
            buttons: vec![],
        };
        assert!(t.validate().is_err());
        t.body_examples = BodyExamples::Positional(vec!["Juan".into()]);
        t.validate().unwrap();
        let j = t.to_json();
        assert_eq!(j["category"], "UTILITY");
        assert_eq!(j["components"][0]["example"]["body_text"][0][0], "Juan");
    }
}
