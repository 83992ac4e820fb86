//! Mark a customer's message as read, optionally showing "typing…".

use serde_json::{json, Value};

use crate::ids::MessageId;

/// `{"status":"read","message_id":…}` (+ `typing_indicator`). Marks that message and every earlier
/// one in the conversation as read (blue ticks for the customer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkRead {
    pub message_id: MessageId,
    /// Also show a typing indicator (dismissed when we answer, or after ~25 s).
    pub typing_indicator: bool,
}

impl MarkRead {
    pub fn new(message_id: MessageId) -> Self {
        MarkRead {
            message_id,
            typing_indicator: false,
        }
    }

    pub fn with_typing(mut self) -> Self {
        self.typing_indicator = true;
        self
    }

    pub fn to_json(&self) -> Value {
        let mut v = json!({
            "messaging_product": "whatsapp",
            "status": "read",
            "message_id": self.message_id.as_str(),
        });
        if self.typing_indicator {
            v["typing_indicator"] = json!({ "type": "text" });
        }
        v
    }
}
