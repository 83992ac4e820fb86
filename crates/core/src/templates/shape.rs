//! A template's parts as Meta lists them (`components`), read into what the picker and the send
//! need: header, body, footer, buttons and every variable with its place.

use serde::Serialize;
use serde_json::Value;

/// The header's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HeaderFormat {
    Text,
    Image,
    Video,
    Document,
    Location,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HeaderShape {
    pub format: HeaderFormat,
    /// A text header's text (may hold one variable).
    pub text: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ButtonShape {
    /// `quick_reply`, `url`, `phone_number`, `copy_code` or Meta's name for another kind.
    pub kind: String,
    pub text: Option<String>,
    pub url: Option<String>,
    pub phone_number: Option<String>,
}

/// Where a variable sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum Part {
    Header,
    Body,
    /// A dynamic URL button's suffix; its variable is the button's index.
    Button,
}

impl Part {
    pub fn as_str(self) -> &'static str {
        match self {
            Part::Header => "header",
            Part::Body => "body",
            Part::Button => "button",
        }
    }
}

/// One variable to fill: its key is `{part}.{variable}` (`body.1`, `body.nombre`, `button.0`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VariableShape {
    pub key: String,
    pub part: Part,
    /// `1`, `2`… or the parameter name; for a button, its index.
    pub variable: String,
    /// Meta's example value, when the template carries one.
    pub example: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TemplateShape {
    pub header: Option<HeaderShape>,
    pub body: String,
    pub footer: Option<String>,
    pub buttons: Vec<ButtonShape>,
    pub variables: Vec<VariableShape>,
}

fn kind_of(c: &Value) -> String {
    c.get("type")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_ascii_uppercase()
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_owned)
}

/// The example of `var` in a component, positional (`index`) or named.
fn example(c: &Value, positional: &str, named: &str, var: &str, index: usize) -> Option<String> {
    if let Some(list) = c
        .pointer(&format!("/example/{named}"))
        .and_then(Value::as_array)
    {
        return list
            .iter()
            .find(|e| e.get("param_name").and_then(Value::as_str) == Some(var))
            .and_then(|e| s(e, "example"));
    }
    let list = c.pointer(&format!("/example/{positional}"))?;
    // body_text is a list of lists; header_text a flat list.
    let flat = match list.get(0).and_then(Value::as_array) {
        Some(inner) => inner,
        None => list.as_array()?,
    };
    flat.get(index).and_then(Value::as_str).map(str::to_owned)
}

impl TemplateShape {
    pub fn from_components(components: &[Value]) -> TemplateShape {
        let mut shape = TemplateShape::default();
        for c in components {
            match kind_of(c).as_str() {
                "HEADER" => {
                    let format = match s(c, "format")
                        .unwrap_or_else(|| "TEXT".into())
                        .to_ascii_uppercase()
                        .as_str()
                    {
                        "IMAGE" => HeaderFormat::Image,
                        "VIDEO" => HeaderFormat::Video,
                        "DOCUMENT" => HeaderFormat::Document,
                        "LOCATION" => HeaderFormat::Location,
                        _ => HeaderFormat::Text,
                    };
                    let text = s(c, "text");
                    if let Some(t) = &text {
                        for (i, v) in mostrador_whatsapp::templates::variables(t)
                            .into_iter()
                            .enumerate()
                        {
                            shape.variables.push(VariableShape {
                                key: format!("header.{v}"),
                                part: Part::Header,
                                example: example(
                                    c,
                                    "header_text",
                                    "header_text_named_params",
                                    &v,
                                    i,
                                ),
                                variable: v,
                            });
                        }
                    }
                    shape.header = Some(HeaderShape { format, text });
                }
                "BODY" => {
                    shape.body = s(c, "text").unwrap_or_default();
                    for (i, v) in mostrador_whatsapp::templates::variables(&shape.body)
                        .into_iter()
                        .enumerate()
                    {
                        shape.variables.push(VariableShape {
                            key: format!("body.{v}"),
                            part: Part::Body,
                            example: example(c, "body_text", "body_text_named_params", &v, i),
                            variable: v,
                        });
                    }
                }
                "FOOTER" => shape.footer = s(c, "text"),
                "BUTTONS" => {
                    let buttons = c.get("buttons").and_then(Value::as_array);
                    for (i, b) in buttons.into_iter().flatten().enumerate() {
                        let kind = kind_of(b).to_ascii_lowercase();
                        let url = s(b, "url");
                        if kind == "url"
                            && url
                                .as_deref()
                                .is_some_and(|u| u.contains("{{") && u.ends_with("}}"))
                        {
                            shape.variables.push(VariableShape {
                                key: format!("button.{i}"),
                                part: Part::Button,
                                variable: i.to_string(),
                                example: b
                                    .pointer("/example/0")
                                    .and_then(Value::as_str)
                                    .map(str::to_owned),
                            });
                        }
                        shape.buttons.push(ButtonShape {
                            kind,
                            text: s(b, "text"),
                            url,
                            phone_number: s(b, "phone_number"),
                        });
                    }
                }
                _ => {}
            }
        }
        shape
    }

    /// Whether the header needs a media file at send time.
    pub fn media_header(&self) -> Option<HeaderFormat> {
        self.header.as_ref().map(|h| h.format).filter(|f| {
            matches!(
                f,
                HeaderFormat::Image | HeaderFormat::Video | HeaderFormat::Document
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_every_part_and_variable() {
        let comps = json!([
            {"type": "HEADER", "format": "TEXT", "text": "Hola {{first_name}}",
                "example": {"header_text_named_params": [{"param_name": "first_name", "example": "Juan"}]}},
            {"type": "BODY", "text": "Tu turno es el {{fecha}} a las {{hora}}.",
                "example": {"body_text_named_params": [
                    {"param_name": "fecha", "example": "lunes 3"},
                    {"param_name": "hora", "example": "10:00"}]}},
            {"type": "FOOTER", "text": "Mostrador"},
            {"type": "BUTTONS", "buttons": [
                {"type": "QUICK_REPLY", "text": "Confirmo"},
                {"type": "URL", "text": "Ver", "url": "https://x.example/t/{{1}}", "example": ["https://x.example/t/9"]}]}
        ]);
        let s = TemplateShape::from_components(comps.as_array().unwrap());
        assert_eq!(s.header.as_ref().unwrap().format, HeaderFormat::Text);
        let keys: Vec<_> = s.variables.iter().map(|v| v.key.as_str()).collect();
        assert_eq!(
            keys,
            ["header.first_name", "body.fecha", "body.hora", "button.1"]
        );
        assert_eq!(s.variables[2].example.as_deref(), Some("10:00"));
        assert_eq!(
            s.variables[3].example.as_deref(),
            Some("https://x.example/t/9")
        );
        assert_eq!(s.footer.as_deref(), Some("Mostrador"));
        assert!(s.media_header().is_none());

        let pos = json!([{"type": "HEADER", "format": "DOCUMENT"},
            {"type": "BODY", "text": "Factura {{1}} por {{2}}.", "example": {"body_text": [["A-1", "$ 10"]]}}]);
        let s = TemplateShape::from_components(pos.as_array().unwrap());
        assert_eq!(s.media_header(), Some(HeaderFormat::Document));
        assert_eq!(s.variables[1].example.as_deref(), Some("$ 10"));
    }
}
