//! Conversations and messages: the read side the UI calls (list page, thread page, search, mark
//! read, the 24 h window) and the writes the inbox processor and the outbound engine share.
//!
//! Pages use keyset pagination: the list by `(last_activity_at, id)` descending, a thread by
//! `(at, id)` upward from the newest. Pass back the cursor of the last page to get the next one.

mod around;
mod compose;
pub(crate) mod jobs;
pub mod outgoing_media;
pub mod quick_replies;
mod status;
mod view;
mod window;
pub(crate) mod write;

pub use around::{thread_after, thread_around, ThreadWindow};
pub use compose::{
    add_note, open, retry, send, send_storing, ComposeError, Outgoing, SendRequest, MAX_TEXT,
    READ_RECEIPTS,
};
pub use status::{explain_error_es, merge as merge_status, MessageStatus};
pub use view::{ConversationSummary, MediaView, MessageView, ReactionView};
pub use window::{window_closed_at, window_until, WINDOW};
pub use write::{NewMessage, StatusInput, StatusOutcome};

use chrono::Utc;
use serde::{Deserialize, Serialize};
use sqlx::SqliteConnection;

use crate::events::{ConversationEvent, EventBus};
use crate::org::OrgId;
use crate::store::{Store, StoreError};
// pub(crate): the intake processor loads a batch's new messages and list rows in one query each.
pub(crate) use view::{MessageRow, SummaryRow, MESSAGE_SELECT, SUMMARY_SELECT};

/// Which conversations the list shows.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "filter", content = "label", rename_all = "snake_case")]
pub enum ListFilter {
    /// Todas.
    #[default]
    All,
    /// No leídas.
    Unread,
    /// Abiertas.
    Open,
    /// Resueltas.
    Resolved,
    /// With a label.
    Label(String),
}

/// Where the previous list page ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ListCursor {
    pub last_activity_at: String,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ConversationPage {
    pub conversations: Vec<ConversationSummary>,
    /// `None`: this was the last page.
    pub next: Option<ListCursor>,
}

/// Where the previous thread page ended (its oldest message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadCursor {
    pub at: String,
    pub id: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadPage {
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// Cursor for older messages; `None` when this page reaches the first message.
    pub older: Option<ThreadCursor>,
}

/// A search result: a message (with a snippet) or a customer match (no message).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SearchHit {
    pub conversation_id: i64,
    pub customer_name: String,
    pub message_id: Option<i64>,
    /// The matching text with the match between `[` and `]`.
    pub snippet: Option<String>,
    pub at: String,
}

/// Most rows one page may ask for.
pub const MAX_PAGE: u32 = 200;

pub(crate) fn ts_now() -> String {
    crate::store::timestamp::now_text()
}

/// A page of the conversation list, newest activity first.
pub async fn list_page(
    store: &Store,
    org: OrgId,
    filter: &ListFilter,
    after: Option<&ListCursor>,
    limit: u32,
) -> Result<ConversationPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (cond, label) = match filter {
        ListFilter::All => ("", None),
        ListFilter::Unread => (" AND v.unread_count > 0", None),
        ListFilter::Open => (" AND v.status = 'abierta'", None),
        ListFilter::Resolved => (" AND v.status = 'resuelta'", None),
        ListFilter::Label(l) => (
            " AND EXISTS (SELECT 1 FROM conversation_labels l WHERE l.conversation_id = v.id AND l.label = ?4)",
            Some(l.as_str()),
        ),
    };
    // Two shapes rather than `?2 IS NULL OR …`, so SQLite plans an index range scan.
    let keyset = if after.is_some() {
        " AND (v.last_activity_at, v.id) < (?2, ?3)"
    } else {
        " AND ?2 IS NULL AND ?3 = 0"
    };
    let sql = format!(
        "{SUMMARY_SELECT}
         WHERE v.org_id = ?1{keyset}{cond}
         ORDER BY v.last_activity_at DESC, v.id DESC LIMIT ?5"
    );
    let rows: Vec<SummaryRow> = sqlx::query_as(&sql)
        .bind(org.to_string())
        .bind(after.map(|c| c.last_activity_at.as_str()))
        .bind(after.map(|c| c.id).unwrap_or(0))
        .bind(label)
        .bind(limit as i64 + 1)
        .fetch_all(store.reader())
        .await?;
    let now = Utc::now();
    let mut conversations: Vec<ConversationSummary> =
        rows.into_iter().map(|r| r.into_view(now)).collect();
    let next = if conversations.len() > limit as usize {
        conversations.truncate(limit as usize);
        conversations.last().map(|c| ListCursor {
            last_activity_at: c.last_activity_at.clone(),
            id: c.id,
        })
    } else {
        None
    };
    Ok(ConversationPage {
        conversations,
        next,
    })
}

/// One conversation's list row.
pub async fn get(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
) -> Result<Option<ConversationSummary>, StoreError> {
    let row: Option<SummaryRow> =
        sqlx::query_as(&format!("{SUMMARY_SELECT} WHERE v.org_id = ? AND v.id = ?"))
            .bind(org.to_string())
            .bind(conversation_id)
            .fetch_optional(store.reader())
            .await?;
    Ok(row.map(|r| r.into_view(Utc::now())))
}

/// A page of a thread: the newest `limit` messages before `before` (or the newest overall),
/// returned oldest first. Reaction messages are not listed: they show on their target.
pub async fn thread_page(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
    before: Option<&ThreadCursor>,
    limit: u32,
) -> Result<ThreadPage, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let keyset = if before.is_some() {
        " AND (m.at, m.id) < (?3, ?4)"
    } else {
        " AND ?3 IS NULL AND ?4 = 0"
    };
    let sql = format!(
        "{MESSAGE_SELECT}
         WHERE m.conversation_id = ?1 AND m.org_id = ?2 AND m.type <> 'reaction'{keyset}
         ORDER BY m.at DESC, m.id DESC LIMIT ?5"
    );
    let rows: Vec<MessageRow> = sqlx::query_as(&sql)
        .bind(conversation_id)
        .bind(org.to_string())
        .bind(before.map(|c| c.at.as_str()))
        .bind(before.map(|c| c.id).unwrap_or(0))
        .bind(limit as i64 + 1)
        .fetch_all(store.reader())
        .await?;
    let mut messages: Vec<MessageView> = rows.into_iter().map(MessageRow::into_view).collect();
    let older = if messages.len() > limit as usize {
        messages.truncate(limit as usize);
        messages.last().map(|m| ThreadCursor {
            at: m.at.clone(),
            id: m.id,
        })
    } else {
        None
    };
    messages.reverse();
    Ok(ThreadPage { messages, older })
}

/// What the customer search matches: a phone number as typed ("11 3456-7890", "+54 (11) …") by
/// its digits, the way numbers are stored; anything else as typed, without quotes.
fn customer_query(q: &str) -> String {
    let q = q.trim();
    let phone_like = q.chars().any(|c| c.is_ascii_digit())
        && q.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '-' | '+' | '(' | ')' | '.'));
    if phone_like {
        q.chars().filter(char::is_ascii_digit).collect()
    } else {
        q.chars().filter(|c| *c != '"').collect()
    }
}

/// Turns what a person typed into an FTS5 query: each word a prefix match, all required. Quotes
/// keep FTS syntax characters from being interpreted.
fn fts_query(q: &str, min_len: usize) -> Option<String> {
    let words: Vec<String> = q
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= min_len)
        .map(|w| format!("\"{}\"*", w.replace('"', "")))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Above this many matching customers, the customer search walks the list instead of sorting the
/// matches' conversations (see [`search`]).
const MANY_CUSTOMERS: usize = 1_000;

/// Full-text search over message text, captions and filenames, and over customer names,
/// usernames and numbers. Newest first, at most `limit` hits.
#[allow(clippy::type_complexity)]
pub async fn search(
    store: &Store,
    org: OrgId,
    query: &str,
    limit: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE) as i64;
    let mut hits = Vec::new();
    // Customers (trigram: any 3+ characters of a name or number), newest activity first.
    let cq = customer_query(query);
    if cq.chars().count() >= 3 {
        // The matches first, then their conversations through (org, customer): a lookup each
        // and one sort. Left to choose, SQLite may walk the whole list newest first probing the
        // matches, which reads all 50,000 rows when few customers match.
        let matched: Vec<i64> =
            sqlx::query_scalar("SELECT rowid FROM customer_search WHERE customer_search MATCH ?")
                .bind(format!("\"{cq}\""))
                .fetch_all(store.reader())
                .await?;
        let rows: Vec<(i64, Option<String>, Option<String>, Option<String>, String)> = if matched
            .is_empty()
        {
            Vec::new()
        } else if matched.len() > MANY_CUSTOMERS {
            // A common name ("Pérez": thousands of customers): joining every match and sorting
            // costs more than walking the list newest first, which meets a page of them soon.
            // The unary `+` keeps SQLite from looking the matches up by customer instead.
            sqlx::query_as(
                "SELECT v.id, coalesce(c.owner_name, c.name), c.username, c.phone, v.last_activity_at
                 FROM conversations v
                 CROSS JOIN customers c ON c.id = v.customer_id
                 WHERE v.org_id = ?1 AND +v.customer_id IN (SELECT value FROM json_each(?2))
                 ORDER BY v.last_activity_at DESC, v.id DESC LIMIT ?3",
            )
            .bind(org.to_string())
            .bind(serde_json::to_string(&matched).expect("integers"))
            .bind(limit)
            .fetch_all(store.reader())
            .await?
        } else {
            sqlx::query_as(
                    // CROSS JOIN fixes the order: from the matches, never a walk of the list.
                    "SELECT v.id, coalesce(c.owner_name, c.name), c.username, c.phone, v.last_activity_at
                     FROM json_each(?2) j
                     CROSS JOIN conversations v ON v.org_id = ?1 AND v.customer_id = j.value
                     CROSS JOIN customers c ON c.id = v.customer_id
                     WHERE c.org_id = ?1
                     ORDER BY v.last_activity_at DESC, v.id DESC LIMIT ?3",
                )
                .bind(org.to_string())
                .bind(serde_json::to_string(&matched).expect("integers"))
                .bind(limit)
                .fetch_all(store.reader())
                .await?
        };
        for (conversation_id, name, username, phone, at) in rows {
            hits.push(SearchHit {
                conversation_id,
                customer_name: display(name, username, phone),
                message_id: None,
                snippet: None,
                at,
            });
        }
    }
    if let Some(fq) = fts_query(query, 1) {
        let rows: Vec<(
            i64,
            i64,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            String,
        )> = sqlx::query_as(
            "SELECT m.id, m.conversation_id, snippet(message_search, 0, '[', ']', '…', 12),
                        coalesce(c.owner_name, c.name), c.username, c.phone, m.at
                 FROM message_search s JOIN messages m ON m.id = s.rowid
                 JOIN conversations v ON v.id = m.conversation_id
                 JOIN customers c ON c.id = v.customer_id
                 WHERE message_search MATCH ?1 AND m.org_id = ?2
                 ORDER BY s.rowid DESC LIMIT ?3",
        )
        .bind(fq)
        .bind(org.to_string())
        .bind(limit)
        .fetch_all(store.reader())
        .await?;
        for (id, conversation_id, snippet, name, username, phone, at) in rows {
            hits.push(SearchHit {
                conversation_id,
                customer_name: display(name, username, phone),
                message_id: Some(id),
                snippet: Some(snippet),
                at,
            });
        }
    }
    hits.truncate(limit as usize);
    Ok(hits)
}

fn display(name: Option<String>, username: Option<String>, phone: Option<String>) -> String {
    name.filter(|n| !n.trim().is_empty())
        .or_else(|| username.map(|u| format!("@{u}")))
        .or_else(|| {
            phone
                .as_deref()
                .and_then(|p| mostrador_types::Phone::from_wa_id(p).ok())
                .map(|p| p.display())
        })
        .unwrap_or_else(|| "Cliente".to_owned())
}

/// Marks a conversation read locally (unread count to zero) and announces it. Reading on
/// WhatsApp (blue ticks to the customer) is an outbound job, not this.
pub async fn mark_read(
    store: &Store,
    events: &EventBus,
    org: OrgId,
    conversation_id: i64,
) -> Result<(), StoreError> {
    let mut tx = store.begin_immediate().await?;
    let changed = sqlx::query(
        "UPDATE conversations SET unread_count = 0, updated_at = ? WHERE org_id = ? AND id = ? AND unread_count > 0",
    )
    .bind(ts_now())
    .bind(org.to_string())
    .bind(conversation_id)
    .execute(&mut *tx)
    .await?
    .rows_affected();
    let mut out = Vec::new();
    if changed > 0 {
        write::conversation_event(&mut tx, org, conversation_id, &mut out).await?;
    }
    tx.commit().await?;
    events.emit_all(out);
    Ok(())
}

/// Sets a conversation's status (`abierta` / `resuelta`).
pub async fn set_resolved(
    store: &Store,
    events: &EventBus,
    org: OrgId,
    conversation_id: i64,
    resolved: bool,
) -> Result<(), StoreError> {
    let mut tx = store.begin_immediate().await?;
    sqlx::query("UPDATE conversations SET status = ?, updated_at = ? WHERE org_id = ? AND id = ?")
        .bind(if resolved { "resuelta" } else { "abierta" })
        .bind(ts_now())
        .bind(org.to_string())
        .bind(conversation_id)
        .execute(&mut *tx)
        .await?;
    let mut out = Vec::new();
    write::conversation_event(&mut tx, org, conversation_id, &mut out).await?;
    tx.commit().await?;
    events.emit_all(out);
    Ok(())
}

/// Replaces a conversation's labels.
pub async fn set_labels(
    store: &Store,
    events: &EventBus,
    org: OrgId,
    conversation_id: i64,
    labels: &[String],
) -> Result<(), StoreError> {
    let mut tx = store.begin_immediate().await?;
    sqlx::query("DELETE FROM conversation_labels WHERE conversation_id = ? AND org_id = ?")
        .bind(conversation_id)
        .bind(org.to_string())
        .execute(&mut *tx)
        .await?;
    for l in labels.iter().map(|l| l.trim()).filter(|l| !l.is_empty()) {
        sqlx::query(
            "INSERT INTO conversation_labels (conversation_id, org_id, label)
             SELECT id, org_id, ? FROM conversations WHERE id = ? AND org_id = ?
             ON CONFLICT DO NOTHING",
        )
        .bind(l)
        .bind(conversation_id)
        .bind(org.to_string())
        .execute(&mut *tx)
        .await?;
    }
    let mut out = Vec::new();
    write::conversation_event(&mut tx, org, conversation_id, &mut out).await?;
    tx.commit().await?;
    events.emit_all(out);
    Ok(())
}

/// For the outbound engine, inside its own transaction: records a message we sent (or are
/// sending) in the customer's conversation, and applies any statuses that arrived before it.
/// `provider_id` may be set later with [`attach_provider_id`]. Returns the message id and the
/// events to emit after commit.
pub async fn record_outbound(
    conn: &mut SqliteConnection,
    org: OrgId,
    customer_id: i64,
    message: NewMessage<'_>,
) -> Result<(i64, Vec<ConversationEvent>), sqlx::Error> {
    let now = ts_now();
    let conversation_id = write::conversation_for(conn, org, customer_id, "whatsapp", &now).await?;
    let m = NewMessage {
        conversation_id,
        direction: "out",
        ..message
    };
    let mut events = Vec::new();
    let id = match write::insert_message(conn, org, &m, &now).await? {
        Some(id) => id,
        None => {
            // Already recorded (same provider id): return it unchanged.
            let id: i64 =
                sqlx::query_scalar("SELECT id FROM messages WHERE org_id = ? AND provider_id = ?")
                    .bind(org.to_string())
                    .bind(m.provider_id)
                    .fetch_one(&mut *conn)
                    .await?;
            return Ok((id, events));
        }
    };
    let preview = write::preview(m.kind, m.text, m.filename);
    write::touch_conversation(
        conn,
        conversation_id,
        id,
        &preview,
        m.at,
        false,
        false,
        &now,
    )
    .await?;
    if let Some(pid) = m.provider_id {
        write::apply_pending_statuses(conn, org, pid, &now, &mut events).await?;
        write::apply_pending_reactions(conn, org, pid, &mut events).await?;
    }
    write::message_events(conn, org, id, conversation_id, &mut events).await?;
    Ok((id, events))
}

/// For the outbound engine: the provider accepted the message and named it `provider_id`;
/// statuses that were waiting for it are applied.
pub async fn attach_provider_id(
    conn: &mut SqliteConnection,
    org: OrgId,
    message_id: i64,
    provider_id: &str,
) -> Result<Vec<ConversationEvent>, sqlx::Error> {
    let now = ts_now();
    sqlx::query(
        "UPDATE messages SET provider_id = ? WHERE id = ? AND org_id = ? AND provider_id IS NULL",
    )
    .bind(provider_id)
    .bind(message_id)
    .bind(org.to_string())
    .execute(&mut *conn)
    .await?;
    let mut events = Vec::new();
    write::apply_pending_statuses(conn, org, provider_id, &now, &mut events).await?;
    write::apply_pending_reactions(conn, org, provider_id, &mut events).await?;
    Ok(events)
}

/// For the outbound engine, when a job's send was accepted: the message queued with that job
/// (if any, and if no other message has that provider id yet) gets the provider id, and statuses
/// that were waiting for it are applied. The events are left to the status webhooks that follow.
pub async fn attach_to_job(
    conn: &mut SqliteConnection,
    org: OrgId,
    job_id: i64,
    provider_id: &str,
) -> Result<(), sqlx::Error> {
    let id: Option<i64> = sqlx::query_scalar(
        "SELECT id FROM messages WHERE org_id = ?1 AND job_id = ?2 AND provider_id IS NULL
           AND NOT EXISTS (SELECT 1 FROM messages WHERE org_id = ?1 AND provider_id = ?3)
         ORDER BY id LIMIT 1",
    )
    .bind(org.to_string())
    .bind(job_id)
    .bind(provider_id)
    .fetch_optional(&mut *conn)
    .await?;
    if let Some(id) = id {
        attach_provider_id(conn, org, id, provider_id).await?;
    }
    Ok(())
}

/// The status history of a message, oldest first: `(status, at)`.
pub async fn status_history(
    store: &Store,
    org: OrgId,
    message_id: i64,
) -> Result<Vec<(String, String)>, StoreError> {
    Ok(sqlx::query_as(
        "SELECT status, at FROM message_status_history WHERE org_id = ? AND message_id = ? ORDER BY id",
    )
    .bind(org.to_string())
    .bind(message_id)
    .fetch_all(store.reader())
    .await?)
}

/// Unread customer messages over all conversations (window title, tray, badge).
pub async fn unread_total(store: &Store, org: OrgId) -> Result<i64, StoreError> {
    Ok(sqlx::query_scalar(
        "SELECT coalesce(sum(unread_count), 0) FROM conversations WHERE org_id = ? AND unread_count > 0",
    )
    .bind(org.to_string())
    .fetch_one(store.reader())
    .await?)
}

/// Every conversation with unread messages, over all businesses: `(conversation id, unread)`.
/// The desktop shell seeds its unread total (window title) with it at start.
pub async fn unread_counts(store: &Store) -> Result<Vec<(i64, i64)>, StoreError> {
    Ok(
        sqlx::query_as("SELECT id, unread_count FROM conversations WHERE unread_count > 0")
            .fetch_all(store.reader())
            .await?,
    )
}

#[cfg(test)]
mod customer_query_tests {
    use super::customer_query;

    #[test]
    fn a_typed_phone_number_is_searched_by_its_digits() {
        assert_eq!(customer_query(" 11 3456-7890 "), "1134567890");
        assert_eq!(customer_query("+54 (11) 3456.7890"), "541134567890");
        assert_eq!(customer_query("María González"), "María González");
        assert_eq!(customer_query("Local 3"), "Local 3");
        assert_eq!(customer_query("--"), "--");
        assert_eq!(customer_query("\"Ana\""), "Ana");
    }
}
