//! Text messages.

use serde_json::{json, Value};

use super::{check_len, ValidationError};

/// A text message; `preview_url` renders a link preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub body: String,
    pub preview_url: bool,
}

impl Text {
    pub const MAX_CHARS: usize = 4096;

    pub fn new(body: impl Into<String>) -> Result<Self, ValidationError> {
        let t = Text {
            body: body.into(),
            preview_url: false,
        };
        t.validate()?;
        Ok(t)
    }

    pub fn with_preview(mut self) -> Self {
        self.preview_url = true;
        self
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        check_len("text.body", &self.body, 1, Self::MAX_CHARS)?;
        if self.body.trim().is_empty() {
            return Err(ValidationError::new("text.body", "must not be blank"));
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({ "body": self.body, "preview_url": self.preview_url })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert!(Text::new("").is_err());
        assert!(Text::new("  ").is_err());
        assert!(Text::new("ñ".repeat(4096)).is_ok());
        let e = Text::new("a".repeat(4097)).unwrap_err();
        assert!(e.to_string().contains("4096"));
    }
}
