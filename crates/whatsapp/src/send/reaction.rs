//! Reactions to a message, and their removal.

use serde_json::{json, Value};

use super::ValidationError;
use crate::ids::MessageId;

/// An emoji on a message. An empty emoji removes our reaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reaction {
    pub message_id: MessageId,
    pub emoji: String,
}

impl Reaction {
    pub fn new(message_id: MessageId, emoji: impl Into<String>) -> Result<Self, ValidationError> {
        let r = Reaction {
            message_id,
            emoji: emoji.into(),
        };
        if r.emoji.is_empty() {
            return Err(ValidationError::new(
                "reaction.emoji",
                "empty; use Reaction::remove to take a reaction back",
            ));
        }
        r.validate()?;
        Ok(r)
    }

    /// Removes our reaction from `message_id`.
    pub fn remove(message_id: MessageId) -> Self {
        Reaction {
            message_id,
            emoji: String::new(),
        }
    }

    pub fn is_removal(&self) -> bool {
        self.emoji.is_empty()
    }

    pub(crate) fn validate(&self) -> Result<(), ValidationError> {
        // One emoji, possibly with modifiers and joiners: a handful of code points, no text.
        let n = self.emoji.chars().count();
        if n > 10
            || self
                .emoji
                .chars()
                .any(|c| c.is_ascii_alphanumeric() || c.is_whitespace())
        {
            return Err(ValidationError::new(
                "reaction.emoji",
                "must be a single emoji",
            ));
        }
        Ok(())
    }

    pub(crate) fn to_json(&self) -> Value {
        json!({ "message_id": self.message_id.as_str(), "emoji": self.emoji })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emoji_rules() {
        let id = MessageId::new("wamid.X").unwrap();
        assert!(Reaction::new(id.clone(), "👍").is_ok());
        assert!(Reaction::new(id.clone(), "👍🏽").is_ok());
        assert!(Reaction::new(id.clone(), "ok").is_err());
        assert!(Reaction::new(id.clone(), "").is_err());
        let r = Reaction::remove(id);
        assert!(r.is_removal());
        assert_eq!(r.to_json()["emoji"], "");
    }
}
