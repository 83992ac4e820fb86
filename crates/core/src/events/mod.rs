//! Typed events for the UI: every change the processor (or a local action) applies to
//! conversations is announced here, after its transaction committed. src-tauri forwards them as
//! Tauri events; nothing here knows Tauri.

use serde::Serialize;
use tokio::sync::broadcast;

use crate::conversations::{ConversationSummary, MediaView, MessageStatus, MessageView};
use crate::org::OrgId;

/// What changed.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ConversationEvent {
    /// A message was stored (inbound, or an outbound recorded locally).
    NewMessage { org_id: OrgId, message: MessageView },
    /// A message's delivery status moved (sent → delivered → read, or failed).
    StatusChanged {
        org_id: OrgId,
        conversation_id: i64,
        message_id: i64,
        status: MessageStatus,
        error_code: Option<i64>,
        error_reason: Option<String>,
    },
    /// A reaction was put on (or, with `emoji: null`, taken off) a message.
    ReactionChanged {
        org_id: OrgId,
        conversation_id: i64,
        message_id: i64,
        reactor: String,
        emoji: Option<String>,
    },
    /// The conversation's list row changed (last message, unread count, status, labels…).
    ConversationUpdated {
        org_id: OrgId,
        conversation: ConversationSummary,
    },
    /// A message's media changed state: downloaded (its path is ready to show), too large (kept
    /// as metadata) or failed for good.
    MediaChanged {
        org_id: OrgId,
        conversation_id: i64,
        message_id: i64,
        media: MediaView,
    },
    /// A template's status, category or quality changed (a Meta webhook the processor applied):
    /// not a conversation, but it travels the same bus so the Plantillas page updates live.
    TemplateChanged {
        org_id: OrgId,
        name: String,
        language: String,
    },
}

/// The broadcast channel of [`ConversationEvent`]s (cheap to clone). A slow receiver that lags
/// gets `RecvError::Lagged` and should reload what it shows.
#[derive(Debug, Clone)]
pub struct EventBus {
    tx: broadcast::Sender<ConversationEvent>,
}

impl Default for EventBus {
    fn default() -> Self {
        EventBus::new(1024)
    }
}

impl EventBus {
    pub fn new(capacity: usize) -> Self {
        EventBus {
            tx: broadcast::channel(capacity).0,
        }
    }

    pub fn subscribe(&self) -> broadcast::Receiver<ConversationEvent> {
        self.tx.subscribe()
    }

    /// Sends to whoever listens; no listener is fine.
    pub fn emit(&self, event: ConversationEvent) {
        let _ = self.tx.send(event);
    }

    pub(crate) fn emit_all(&self, events: Vec<ConversationEvent>) {
        for e in events {
            self.emit(e);
        }
    }
}
