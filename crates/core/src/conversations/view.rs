//! What the UI reads: a conversation's list row and a message, loaded by id.

use serde::Serialize;
use sqlx::SqliteConnection;

use super::status::MessageStatus;
use super::window::{window_closed_at, window_until};

/// A media attachment of a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MediaView {
    pub id: i64,
    pub mime_type: Option<String>,
    /// `pending` (not downloaded yet), `downloaded` or `failed`.
    pub state: String,
    /// Relative to the data dir (`media/ab/ab12…`), once downloaded.
    pub path: Option<String>,
    pub size_bytes: Option<i64>,
}

/// A reaction on a message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReactionView {
    /// `customer` or `business`.
    pub reactor: String,
    pub emoji: String,
}

/// One message of a thread.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MessageView {
    pub id: i64,
    pub conversation_id: i64,
    pub provider_id: Option<String>,
    /// `in` (from the customer) or `out`.
    pub direction: String,
    /// `text`, `image`, `video`, `audio`, `voice`, `document`, `sticker`, `location`, `contacts`,
    /// `button_reply`, `list_reply`, `flow_reply`, `template_button`, `order`, `system`,
    /// `request_welcome`, `unsupported` ("mensaje no soportado").
    pub kind: String,
    /// The text, or the media caption.
    pub text: Option<String>,
    /// A document's name as the sender gave it (display only).
    pub filename: Option<String>,
    pub media: Option<MediaView>,
    pub reply_to_provider_id: Option<String>,
    /// Type-specific details (location, shared contacts, selected option, order lines…).
    #[cfg_attr(feature = "ts", ts(type = "Record<string, unknown> | null"))]
    pub data: Option<serde_json::Value>,
    pub status: MessageStatus,
    pub error_code: Option<i64>,
    pub error_reason: Option<String>,
    /// RFC 3339 UTC.
    pub at: String,
    pub reactions: Vec<ReactionView>,
}

/// A conversation's row in the list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationSummary {
    pub id: i64,
    pub customer_id: i64,
    pub customer_name: String,
    pub customer_wa_id: Option<String>,
    pub customer_username: Option<String>,
    /// `+54 9 11 1234-5678`.
    pub customer_phone_display: Option<String>,
    pub channel: String,
    /// `abierta` or `resuelta`.
    pub status: String,
    pub labels: Vec<String>,
    pub unread_count: i64,
    pub last_message_preview: Option<String>,
    pub last_activity_at: String,
    pub last_inbound_at: Option<String>,
    /// Until when free-form replies are allowed (last inbound + 24 h); `None`: only templates.
    pub window_open_until: Option<String>,
    /// When the window closed (last inbound + 24 h, in the past); `None` while open or never
    /// opened. The composer names it: "Pasaron más de 24 h desde…".
    pub window_closed_at: Option<String>,
    /// The customer asked for no messages at all (free-form sends are refused).
    pub customer_opted_out: bool,
    /// The customer asked for no marketing (BAJA/STOP, or Meta's 131050).
    pub customer_opted_out_marketing: bool,
}

#[derive(sqlx::FromRow)]
pub(crate) struct MessageRow {
    pub id: i64,
    pub conversation_id: i64,
    pub provider_id: Option<String>,
    pub direction: String,
    #[sqlx(rename = "type")]
    pub kind: String,
    pub text: Option<String>,
    pub filename: Option<String>,
    pub media_id: Option<i64>,
    pub m_mime: Option<String>,
    pub m_state: Option<String>,
    pub m_path: Option<String>,
    pub m_size: Option<i64>,
    pub reply_to_provider_id: Option<String>,
    pub data: Option<String>,
    pub status: String,
    pub error_code: Option<i64>,
    pub error_reason: Option<String>,
    pub at: String,
    pub reactions: Option<String>,
}

pub(crate) const MESSAGE_SELECT: &str =
    "SELECT m.id, m.conversation_id, m.provider_id, m.direction, m.type, m.text,
        m.filename, m.media_id, md.mime_type AS m_mime, md.state AS m_state, md.path AS m_path,
        md.size_bytes AS m_size, m.reply_to_provider_id, m.data, m.status, m.error_code,
        m.error_reason, m.at,
        (SELECT json_group_array(json_object('reactor', r.reactor, 'emoji', r.emoji))
           FROM reactions r WHERE r.message_id = m.id) AS reactions
    FROM messages m LEFT JOIN media md ON md.id = m.media_id";

impl MessageRow {
    pub(crate) fn into_view(self) -> MessageView {
        let reactions = self
            .reactions
            .as_deref()
            .and_then(|r| serde_json::from_str::<Vec<serde_json::Value>>(r).ok())
            .unwrap_or_default()
            .into_iter()
            .filter_map(|v| {
                Some(ReactionView {
                    reactor: v.get("reactor")?.as_str()?.to_owned(),
                    emoji: v.get("emoji")?.as_str()?.to_owned(),
                })
            })
            .collect();
        MessageView {
            id: self.id,
            conversation_id: self.conversation_id,
            provider_id: self.provider_id,
            direction: self.direction,
            kind: self.kind,
            text: self.text,
            filename: self.filename,
            media: self.media_id.map(|id| MediaView {
                id,
                mime_type: self.m_mime,
                state: self.m_state.unwrap_or_else(|| "pending".into()),
                path: self.m_path,
                size_bytes: self.m_size,
            }),
            reply_to_provider_id: self.reply_to_provider_id,
            data: self.data.and_then(|d| serde_json::from_str(&d).ok()),
            status: MessageStatus::parse(&self.status).unwrap_or(MessageStatus::Received),
            error_code: self.error_code,
            error_reason: self.error_reason,
            at: self.at,
            reactions,
        }
    }
}

pub(crate) async fn load_message(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<MessageView>, sqlx::Error> {
    let row: Option<MessageRow> = sqlx::query_as(&format!("{MESSAGE_SELECT} WHERE m.id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(MessageRow::into_view))
}

#[derive(sqlx::FromRow)]
pub(crate) struct SummaryRow {
    pub id: i64,
    pub customer_id: i64,
    pub c_name: Option<String>,
    pub c_wa_id: Option<String>,
    pub c_username: Option<String>,
    pub c_phone: Option<String>,
    pub channel: String,
    pub status: String,
    pub labels: Option<String>,
    pub unread_count: i64,
    pub last_message_preview: Option<String>,
    pub last_activity_at: String,
    pub last_inbound_at: Option<String>,
    pub c_opted_out: bool,
    pub c_opted_out_marketing: bool,
}

pub(crate) const SUMMARY_SELECT: &str = "SELECT v.id, v.customer_id, coalesce(c.owner_name, c.name) AS c_name, c.wa_id AS c_wa_id,
        c.username AS c_username, c.phone AS c_phone, v.channel, v.status,
        (SELECT json_group_array(l.label) FROM conversation_labels l WHERE l.conversation_id = v.id) AS labels,
        v.unread_count, v.last_message_preview, v.last_activity_at, v.last_inbound_at,
        c.opted_out != 0 AS c_opted_out, c.opted_out_marketing != 0 AS c_opted_out_marketing
    FROM conversations v JOIN customers c ON c.id = v.customer_id";

impl SummaryRow {
    pub(crate) fn into_view(self, now: chrono::DateTime<chrono::Utc>) -> ConversationSummary {
        let phone = self
            .c_phone
            .as_deref()
            .and_then(|p| mostrador_types::Phone::from_wa_id(p).ok());
        let name = self
            .c_name
            .clone()
            .filter(|n| !n.trim().is_empty())
            .or_else(|| self.c_username.as_ref().map(|u| format!("@{u}")))
            .or_else(|| phone.as_ref().map(|p| p.display()))
            .unwrap_or_else(|| "Cliente".to_owned());
        let mut labels: Vec<String> = self
            .labels
            .as_deref()
            .and_then(|l| serde_json::from_str(l).ok())
            .unwrap_or_default();
        labels.sort();
        ConversationSummary {
            id: self.id,
            customer_id: self.customer_id,
            customer_name: name,
            customer_wa_id: self.c_wa_id,
            customer_username: self.c_username,
            customer_phone_display: phone.map(|p| p.display()),
            channel: self.channel,
            status: self.status,
            labels,
            unread_count: self.unread_count,
            last_message_preview: self.last_message_preview,
            window_open_until: window_until(self.last_inbound_at.as_deref(), now),
            window_closed_at: window_closed_at(self.last_inbound_at.as_deref(), now),
            customer_opted_out: self.c_opted_out,
            customer_opted_out_marketing: self.c_opted_out_marketing,
            last_activity_at: self.last_activity_at,
            last_inbound_at: self.last_inbound_at,
        }
    }
}

pub(crate) async fn load_summary(
    conn: &mut SqliteConnection,
    id: i64,
) -> Result<Option<ConversationSummary>, sqlx::Error> {
    let row: Option<SummaryRow> = sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE v.id = ?"))
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| r.into_view(chrono::Utc::now())))
}
