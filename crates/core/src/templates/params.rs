//! Template parameter values as Meta would refuse them at send time (error 132018 / #100): empty,
//! with a new line or a tab, with more than four spaces in a row, or too long. Checked before the
//! send is queued, naming the variable, so the owner fixes it in the picker instead of reading a
//! failed tick later.

use std::fmt;

/// Longest value of a body variable (the filled body must also stay within 1024 characters).
pub const BODY_PARAM_MAX: usize = 1024;
/// Longest value of a text header's variable (the filled header stays within 60).
pub const HEADER_PARAM_MAX: usize = 60;
/// Longest suffix of a dynamic URL button.
pub const BUTTON_PARAM_MAX: usize = 2000;

/// What is wrong with one value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ParamIssue {
    Empty,
    NewLine,
    Tab,
    TooManySpaces,
    TooLong,
}

/// A refused value: which variable (`body.1`, `header.1`, `body.nombre`, `button.0`) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParamError {
    pub field: String,
    pub issue: ParamIssue,
    pub max: usize,
}

impl ParamError {
    /// For people, es-AR, naming the field by its label.
    pub fn message_es(&self, label: &str) -> String {
        match self.issue {
            ParamIssue::Empty => {
                format!("Completá «{label}»: WhatsApp no acepta variables vacías.")
            }
            ParamIssue::NewLine => {
                format!("«{label}» no puede tener saltos de línea (WhatsApp lo rechaza).")
            }
            ParamIssue::Tab => {
                format!("«{label}» no puede tener tabulaciones (WhatsApp lo rechaza).")
            }
            ParamIssue::TooManySpaces => {
                format!("«{label}» no puede tener más de cuatro espacios seguidos (WhatsApp lo rechaza).")
            }
            ParamIssue::TooLong => {
                format!("«{label}» puede tener hasta {} caracteres.", self.max)
            }
        }
    }
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {:?}", self.field, self.issue)
    }
}

/// Checks one value; `max` in characters.
pub fn check(field: &str, value: &str, max: usize) -> Result<(), ParamError> {
    let err = |issue| ParamError {
        field: field.to_owned(),
        issue,
        max,
    };
    if value.trim().is_empty() {
        return Err(err(ParamIssue::Empty));
    }
    if value.contains('\n') || value.contains('\r') {
        return Err(err(ParamIssue::NewLine));
    }
    if value.contains('\t') {
        return Err(err(ParamIssue::Tab));
    }
    if value.contains("     ") {
        return Err(err(ParamIssue::TooManySpaces));
    }
    if value.chars().count() > max {
        return Err(err(ParamIssue::TooLong));
    }
    Ok(())
}

/// Replaces each `{{var}}` of `text` by `value(var)`, leaving unknown ones as they are.
pub fn fill(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let var = after[..end].trim();
                match value(var) {
                    Some(v) => out.push_str(&v),
                    None => {
                        out.push_str("{{");
                        out.push_str(&after[..end]);
                        out.push_str("}}");
                    }
                }
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_meta_refuses_naming_the_field() {
        let issue = |v: &str| check("body.1", v, 10).unwrap_err().issue;
        assert_eq!(issue(""), ParamIssue::Empty);
        assert_eq!(issue("   "), ParamIssue::Empty);
        assert_eq!(issue("a\nb"), ParamIssue::NewLine);
        assert_eq!(issue("a\r\nb"), ParamIssue::NewLine);
        assert_eq!(issue("a\tb"), ParamIssue::Tab);
        assert_eq!(issue("a     b"), ParamIssue::TooManySpaces);
        assert_eq!(issue("12345678901"), ParamIssue::TooLong);
        check("body.1", "a    b", 10).unwrap();
        check("body.1", "áéíóúñ", 6).unwrap();
        let e = check("body.nombre", "", 10).unwrap_err();
        assert_eq!(e.field, "body.nombre");
        assert!(e
            .message_es("Nombre del cliente")
            .contains("Nombre del cliente"));
    }

    #[test]
    fn fills_known_variables_only() {
        let v = |k: &str| (k == "1").then(|| "Ana".to_owned());
        assert_eq!(fill("Hola {{1}}, {{2}}.", v), "Hola Ana, {{2}}.");
        assert_eq!(fill("sin variables", v), "sin variables");
        assert_eq!(fill("roto {{1", v), "roto {{1");
    }
}
