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
    /// The category it had before Meta re-categorized it; absent when Meta never did.
    #[serde(default)]
    pub previous_category: Option<TemplateCategory>,
}

impl TemplateInfo {
    /// The quality rating (`GREEN`, `YELLOW`, `RED`, `UNKNOWN`): Meta sends `{"score": …}`.
    pub fn quality(&self) -> Option<String> {
        match self.quality_score.as_ref()? {
            Value::String(s) => Some(s.clone()),
            v => v.get("score").and_then(Value::as_str).map(str::to_owned),
        }
    }

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

/// Meta's limits for a new template (template components reference).
pub mod limits {
    pub const NAME: usize = 512;
    pub const HEADER_TEXT: usize = 60;
    pub const BODY: usize = 1024;
    pub const FOOTER: usize = 60;
    pub const BUTTONS: usize = 10;
    pub const BUTTON_TEXT: usize = 25;
    pub const URL_BUTTONS: usize = 2;
    pub const URL: usize = 2000;
    pub const PHONE_BUTTONS: usize = 1;
    pub const PHONE_NUMBER: usize = 20;
    pub const COPY_CODE_BUTTONS: usize = 1;
    pub const COPY_CODE: usize = 15;
}

/// Distinct `{{…}}` variables of a text, in order of first appearance.
pub fn variables(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        let name = after[..end].trim().to_owned();
        if !out.contains(&name) {
            out.push(name);
        }
        rest = &after[end + 2..];
    }
    out
}

/// A named variable: lowercase letters, digits and underscores, starting with a letter.
fn valid_param_name(n: &str) -> bool {
    !n.is_empty()
        && n.len() <= 64
        && n.as_bytes()[0].is_ascii_lowercase()
        && n.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// The variable rules Meta applies to a body or header text: positional ones are `{{1}}…{{n}}`
/// without gaps, named ones are snake_case, and none may open or close the text.
fn check_variables(field: &str, text: &str, named: bool) -> Result<Vec<String>, ValidationError> {
    let vars = variables(text);
    if vars.is_empty() {
        return Ok(vars);
    }
    if named {
        if let Some(bad) = vars.iter().find(|v| !valid_param_name(v)) {
            return Err(ValidationError::new(
                field,
                format!("variable {{{{{bad}}}}} must be lowercase letters, digits and underscores, starting with a letter"),
            ));
        }
    } else {
        let mut nums: Vec<u32> = Vec::new();
        for v in &vars {
            match v.parse::<u32>() {
                Ok(n) => nums.push(n),
                Err(_) => {
                    return Err(ValidationError::new(
                        field,
                        format!("variable {{{{{v}}}}} is not a number: use {{{{1}}}}, {{{{2}}}}… or named parameters"),
                    ))
                }
            }
        }
        nums.sort_unstable();
        if nums.iter().enumerate().any(|(i, n)| *n as usize != i + 1) {
            return Err(ValidationError::new(
                field,
                "variables must be numbered {{1}}, {{2}}… without gaps",
            ));
        }
    }
    let t = text.trim();
    if t.starts_with("{{") || t.ends_with("}}") {
        return Err(ValidationError::new(
            field,
            "a variable cannot be at the start or the end of the text",
        ));
    }
    Ok(vars)
}

impl NewTemplate {
    /// Whether the body uses `{{name}}` variables.
    pub fn named(&self) -> bool {
        matches!(self.body_examples, BodyExamples::Named(_))
    }

    /// Meta's limits, checked before submitting; the error names the field.
    pub fn validate(&self) -> Result<(), ValidationError> {
        use limits::*;
        let name_ok = !self.name.is_empty()
            && self.name.len() <= NAME
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
        if self.language.trim().is_empty() {
            return Err(ValidationError::new(
                "language",
                "choose a language (es_AR)",
            ));
        }
        let named = self.named();
        match &self.header {
            Some(NewHeader::Text { text, example }) => {
                let f = "components.HEADER.text";
                crate::send::check_len(f, text, 1, HEADER_TEXT)?;
                let vars = check_variables(f, text, named)?;
                if vars.len() > 1 {
                    return Err(ValidationError::new(
                        f,
                        "a text header has at most one variable",
                    ));
                }
                match (vars.len(), example) {
                    (1, None) => {
                        return Err(ValidationError::new(
                            "components.HEADER.example",
                            "give an example for the header's variable",
                        ))
                    }
                    (1, Some(e)) if e.trim().is_empty() => {
                        return Err(ValidationError::new(
                            "components.HEADER.example",
                            "the header's example is empty",
                        ))
                    }
                    _ => {}
                }
            }
            Some(
                NewHeader::Image { example_handle }
                | NewHeader::Video { example_handle }
                | NewHeader::Document { example_handle },
            ) if example_handle.trim().is_empty() => {
                return Err(ValidationError::new(
                    "components.HEADER.example",
                    "a media header needs an example file handle from the resumable upload API",
                ))
            }
            _ => {}
        }
        let f = "components.BODY.text";
        crate::send::check_len(f, &self.body, 1, BODY)?;
        let vars = check_variables(f, &self.body, named)?;
        let examples: Vec<(&str, &str)> = match &self.body_examples {
            BodyExamples::None => vec![],
            BodyExamples::Positional(v) => v.iter().map(|e| ("", e.as_str())).collect(),
            BodyExamples::Named(v) => v.iter().map(|(n, e)| (n.as_str(), e.as_str())).collect(),
        };
        if vars.len() != examples.len() {
            return Err(ValidationError::new(
                "components.BODY.example",
                format!(
                    "the body has {} variables but {} examples",
                    vars.len(),
                    examples.len()
                ),
            ));
        }
        for (i, (n, e)) in examples.iter().enumerate() {
            let field = if named {
                format!("components.BODY.example.{n}")
            } else {
                format!("components.BODY.example.{}", i + 1)
            };
            if named && !vars.iter().any(|v| v == n) {
                return Err(ValidationError::new(
                    field,
                    "no variable of that name in the body",
                ));
            }
            if e.trim().is_empty() {
                return Err(ValidationError::new(field, "the example is empty"));
            }
        }
        if let Some(footer) = &self.footer {
            let f = "components.FOOTER.text";
            crate::send::check_len(f, footer, 1, FOOTER)?;
            if !variables(footer).is_empty() {
                return Err(ValidationError::new(f, "a footer cannot have variables"));
            }
        }
        if self.buttons.len() > BUTTONS {
            return Err(ValidationError::new(
                "components.BUTTONS",
                format!("at most {BUTTONS} buttons"),
            ));
        }
        let (mut urls, mut phones, mut codes) = (0, 0, 0);
        for (i, b) in self.buttons.iter().enumerate() {
            let at = |what: &str| format!("components.BUTTONS[{i}].{what}");
            match b {
                NewButton::QuickReply { text } => {
                    crate::send::check_len(&at("text"), text, 1, BUTTON_TEXT)?;
                }
                NewButton::Url { text, url, example } => {
                    urls += 1;
                    crate::send::check_len(&at("text"), text, 1, BUTTON_TEXT)?;
                    crate::send::check_len(&at("url"), url, 1, URL)?;
                    if !(url.starts_with("https://") || url.starts_with("http://")) {
                        return Err(ValidationError::new(at("url"), "must start with https://"));
                    }
                    let vars = variables(url);
                    if vars.len() > 1 || (vars.len() == 1 && !url.ends_with("}}")) {
                        return Err(ValidationError::new(
                            at("url"),
                            "a URL may have one variable, at its end",
                        ));
                    }
                    if vars.len() == 1 && example.as_deref().is_none_or(|e| e.trim().is_empty()) {
                        return Err(ValidationError::new(
                            at("example"),
                            "give an example URL for the variable",
                        ));
                    }
                }
                NewButton::PhoneNumber { text, phone_number } => {
                    phones += 1;
                    crate::send::check_len(&at("text"), text, 1, BUTTON_TEXT)?;
                    let digits = phone_number.trim_start_matches('+');
                    if digits.is_empty()
                        || phone_number.len() > PHONE_NUMBER
                        || !digits.bytes().all(|b| b.is_ascii_digit())
                    {
                        return Err(ValidationError::new(
                            at("phone_number"),
                            "an international number, digits only (+5491112345678), at most 20",
                        ));
                    }
                }
                NewButton::CopyCode { example } => {
                    codes += 1;
                    crate::send::check_len(&at("example"), example, 1, COPY_CODE)?;
                }
            }
        }
        if urls > URL_BUTTONS {
            return Err(ValidationError::new(
                "components.BUTTONS",
                format!("at most {URL_BUTTONS} URL buttons"),
            ));
        }
        if phones > PHONE_BUTTONS {
            return Err(ValidationError::new(
                "components.BUTTONS",
                "at most one phone number button",
            ));
        }
        if codes > COPY_CODE_BUTTONS {
            return Err(ValidationError::new(
                "components.BUTTONS",
                "at most one copy code button",
            ));
        }
        // Meta wants quick replies grouped together, not interleaved with call-to-action buttons.
        let kinds: Vec<bool> = self
            .buttons
            .iter()
            .map(|b| matches!(b, NewButton::QuickReply { .. }))
            .collect();
        let switches = kinds.windows(2).filter(|w| w[0] != w[1]).count();
        if switches > 1 {
            return Err(ValidationError::new(
                "components.BUTTONS",
                "group the quick replies together, before or after the other buttons",
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

/// One page of [`Client::list_templates_page`].
#[derive(Debug, Clone, PartialEq)]
pub struct TemplatePage {
    pub templates: Vec<TemplateInfo>,
    /// The cursor of the next page; `None` on the last one.
    pub after: Option<String>,
}

/// Meta's answer to a template creation.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct CreatedTemplate {
    pub id: TemplateId,
    pub status: TemplateStatus,
    pub category: Option<TemplateCategory>,
}

/// Meta's refusal of a new template, tied to the field it concerns (for the form).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreateRejection {
    /// The field of the request Meta refused (`name`, `components.HEADER.example`…).
    pub field: &'static str,
    pub code: i64,
    pub subcode: Option<i64>,
    /// Meta's own words (message and details), for the record.
    pub meta: String,
}

impl CreateRejection {
    /// Reads a failed [`Client::create_template`]: `None` when it is not Meta refusing the
    /// content (network, auth, rate limit: those keep their own handling).
    pub fn from_error(e: &Error) -> Option<CreateRejection> {
        let g = e.graph()?;
        if g.http_status >= 500 || g.class().retryable() || g.class().pauses_integration() {
            return None;
        }
        let field = match g.subcode {
            // Same name and language exists, or a deleted one's name is still reserved.
            Some(2388024) | Some(2388023) => "name",
            Some(2388043) => "components.BODY.example",
            Some(2388273) => "components.HEADER.example",
            Some(2388299) => "components.BODY.text",
            Some(2388047) => "components.HEADER",
            Some(2388072) => "components.BODY.text",
            Some(2388293) => "components.BODY.text",
            Some(2388040) | Some(2388019) => "components",
            Some(2388158) => "components.BUTTONS",
            _ => "template",
        };
        let mut meta = g.message.clone();
        if let Some(d) = &g.details {
            meta.push_str(" — ");
            meta.push_str(d);
        }
        Some(CreateRejection {
            field,
            code: g.code,
            subcode: g.subcode,
            meta,
        })
    }
}

/// One page of `GET /{waba}/message_templates` as Meta sends it.
#[derive(Deserialize)]
struct ListPage {
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

impl ListPage {
    /// The templates and the next cursor. We follow the cursor on our own base URL rather than
    /// the absolute `next` link; a cursor that does not move (`after` asked again) ends it.
    fn into_page(self, after: Option<&str>) -> TemplatePage {
        let next = match self.paging {
            Some(Paging {
                next: Some(_),
                cursors: Some(Cursors { after: Some(a) }),
            }) if after != Some(a.as_str()) => Some(a),
            _ => None,
        };
        TemplatePage {
            templates: self.data,
            after: next,
        }
    }
}

const TEMPLATE_FIELDS: &str =
    "id,name,language,status,category,previous_category,components,parameter_format,rejected_reason,quality_score";

impl Client {
    /// Every template of the WABA, following the pagination to the end.
    pub async fn list_templates(&self) -> Result<Vec<TemplateInfo>, Error> {
        let mut all = Vec::new();
        let mut after: Option<String> = None;
        // A hard stop against a server that never ends its pagination.
        for _ in 0..1000 {
            let page = self.list_templates_page(after.as_deref()).await?;
            all.extend(page.templates);
            match page.after {
                Some(a) => after = Some(a),
                None => return Ok(all),
            }
        }
        Err(Error::UnexpectedResponse {
            operation: "list templates",
            cause: "more than 1000 pages".into(),
        })
    }

    /// One page of templates (up to 100) after the cursor `after`; the page's `after` is the
    /// cursor of the next page, `None` on the last one. For callers that show progress.
    pub async fn list_templates_page(&self, after: Option<&str>) -> Result<TemplatePage, Error> {
        let mut url = self.url(&[self.cfg.waba_id.as_str(), "message_templates"]);
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("fields", TEMPLATE_FIELDS)
                .append_pair("limit", "100");
            if let Some(a) = after {
                q.append_pair("after", a);
            }
        }
        let page: ListPage = self
            .execute_json(
                "list templates",
                Effect::Safe,
                self.request(Method::GET, url),
            )
            .await?;
        Ok(page.into_page(after))
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
    fn a_list_page_reads_previous_category_when_meta_sends_it() {
        let page: ListPage = serde_json::from_value(json!({
            "data": [
                {"id": "101", "name": "bienvenida", "language": "es_AR", "status": "APPROVED",
                 "category": "MARKETING", "previous_category": "UTILITY",
                 "components": [{"type": "BODY", "text": "Hola {{1}}"}],
                 "parameter_format": "POSITIONAL", "rejected_reason": "NONE",
                 "quality_score": {"score": "GREEN"}},
                {"id": "102", "name": "pago_recibido", "language": "es_AR", "status": "APPROVED",
                 "category": "UTILITY", "components": []}
            ],
            "paging": {"cursors": {"before": "a", "after": "b"}, "next": "https://graph/next"}
        }))
        .unwrap();
        let page = page.into_page(None);
        assert_eq!(page.after.as_deref(), Some("b"));
        let [moved, kept] = page.templates.as_slice() else {
            panic!("two templates")
        };
        assert_eq!(moved.category, Some(TemplateCategory::Marketing));
        assert_eq!(moved.previous_category, Some(TemplateCategory::Utility));
        assert_eq!(moved.quality().as_deref(), Some("GREEN"));
        assert_eq!(kept.previous_category, None, "absent: never re-categorized");
        // The last page: no `next`, no further cursor.
        let last: ListPage = serde_json::from_value(json!({"data": []})).unwrap();
        assert_eq!(last.into_page(Some("b")).after, None);
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
