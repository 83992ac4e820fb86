//! Writes inside the caller's transaction: conversations, messages, statuses, reactions. Each
//! function returns the events to emit once the transaction has committed.

use sqlx::SqliteConnection;

use super::status::{explain_error_es, merge, MessageStatus};
use super::view::{load_message, load_summary};
use crate::events::ConversationEvent;
use crate::org::OrgId;

/// The conversation of an organization + customer + channel, created when missing (its activity
/// time is set by its first message, in the same transaction).
pub(crate) async fn conversation_for(
    conn: &mut SqliteConnection,
    org: OrgId,
    customer_id: i64,
    channel: &str,
    now: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO conversations (org_id, customer_id, channel, last_activity_at, created_at, updated_at)
         VALUES (?1, ?2, ?3, '', ?4, ?4)
         ON CONFLICT (org_id, customer_id, channel) DO UPDATE SET channel = excluded.channel
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(customer_id)
    .bind(channel)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
}

/// A message to store.
#[derive(Debug, Clone, Default)]
pub struct NewMessage<'a> {
    pub conversation_id: i64,
    pub provider_id: Option<&'a str>,
    /// `in` or `out`.
    pub direction: &'a str,
    pub kind: &'a str,
    pub text: Option<&'a str>,
    pub filename: Option<&'a str>,
    pub media_id: Option<i64>,
    pub reply_to_provider_id: Option<&'a str>,
    pub reaction_to_provider_id: Option<&'a str>,
    pub data: Option<String>,
    pub raw: Option<&'a str>,
    pub status: Option<MessageStatus>,
    pub job_id: Option<i64>,
    /// RFC 3339 UTC, when it was sent.
    pub at: &'a str,
}

/// Inserts a message; `None` when one with the same provider id exists (a redelivery).
pub(crate) async fn insert_message(
    conn: &mut SqliteConnection,
    org: OrgId,
    m: &NewMessage<'_>,
    now: &str,
) -> Result<Option<i64>, sqlx::Error> {
    let status = m.status.unwrap_or(if m.direction == "in" {
        MessageStatus::Received
    } else {
        MessageStatus::Pending
    });
    sqlx::query_scalar(
        "INSERT INTO messages (org_id, conversation_id, provider_id, direction, type, text, filename,
                               media_id, reply_to_provider_id, reaction_to_provider_id, data, raw,
                               status, status_rank, job_id, at, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (org_id, provider_id) WHERE provider_id IS NOT NULL DO NOTHING
         RETURNING id",
    )
    .bind(org.to_string())
    .bind(m.conversation_id)
    .bind(m.provider_id)
    .bind(m.direction)
    .bind(m.kind)
    .bind(m.text)
    .bind(m.filename)
    .bind(m.media_id)
    .bind(m.reply_to_provider_id)
    .bind(m.reaction_to_provider_id)
    .bind(&m.data)
    .bind(m.raw)
    .bind(status.as_str())
    .bind(status.rank().max(0))
    .bind(m.job_id)
    .bind(m.at)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
}

/// Short text for the conversation list.
pub(crate) fn preview(kind: &str, text: Option<&str>, filename: Option<&str>) -> String {
    let label = match kind {
        "text" => "",
        "image" => "📷 Foto",
        "video" => "🎥 Video",
        "audio" => "🎵 Audio",
        "voice" => "🎤 Mensaje de voz",
        "document" => "📄 Documento",
        "sticker" => "Sticker",
        "location" => "📍 Ubicación",
        "contacts" => "👤 Contacto",
        "order" => "🛒 Pedido",
        "system" => "ℹ️",
        "unsupported" => "Mensaje no soportado",
        _ => "",
    };
    let body = text.or(filename).unwrap_or("").trim();
    let s = match (label.is_empty(), body.is_empty()) {
        (true, _) => body.to_owned(),
        (false, true) => label.to_owned(),
        (false, false) => format!("{label}: {body}"),
    };
    s.chars().take(120).collect()
}

/// After a message was inserted: list row, unread count (inbound), 24 h window (inbound). An
/// older message arriving late does not replace the list's last message.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn touch_conversation(
    conn: &mut SqliteConnection,
    conversation_id: i64,
    message_id: i64,
    preview: &str,
    at: &str,
    inbound: bool,
    counts_as_unread: bool,
    now: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE conversations SET
           last_message_id = CASE WHEN ?4 >= last_activity_at OR last_message_id IS NULL THEN ?2 ELSE last_message_id END,
           last_message_preview = CASE WHEN ?4 >= last_activity_at OR last_message_id IS NULL THEN ?3 ELSE last_message_preview END,
           last_activity_at = max(last_activity_at, ?4),
           last_inbound_at = CASE WHEN ?5 THEN max(coalesce(last_inbound_at, ''), ?4) ELSE last_inbound_at END,
           unread_count = unread_count + CASE WHEN ?6 THEN 1 ELSE 0 END,
           status = CASE WHEN ?5 THEN 'abierta' ELSE status END,
           updated_at = ?7
         WHERE id = ?1",
    )
    .bind(conversation_id)
    .bind(message_id)
    .bind(preview)
    .bind(at)
    .bind(inbound)
    .bind(counts_as_unread)
    .bind(now)
    .execute(&mut *conn)
    .await?;
    if inbound {
        opt_out_keyword(conn, conversation_id, preview, now).await?;
    }
    Ok(())
}

/// A bare BAJA/STOP (or ALTA) from the customer: marketing is refused from now on (or again
/// allowed). The list row event that follows the message carries the new flag.
pub(crate) async fn opt_out_keyword(
    conn: &mut SqliteConnection,
    conversation_id: i64,
    preview: &str,
    now: &str,
) -> Result<(), sqlx::Error> {
    if let Some(opted_out) = crate::customers::opt_out_keyword(preview) {
        crate::customers::set_marketing_opt_out_by_conversation(
            conn,
            conversation_id,
            opted_out,
            now,
        )
        .await?;
    }
    Ok(())
}

/// A status webhook's content.
#[derive(Debug, Clone)]
pub struct StatusInput<'a> {
    pub provider_id: &'a str,
    pub status: MessageStatus,
    pub at: &'a str,
    pub error_code: Option<i64>,
    pub error_title: Option<&'a str>,
    pub error_details: Option<&'a str>,
    pub callback_data: Option<&'a str>,
}

/// What [`apply_status`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusOutcome {
    /// Seen before (same message id + status): nothing changed.
    Duplicate,
    /// The message is not known yet: kept, applied when it appears.
    Pending,
    /// Recorded in the history; the message's status moved (or not, when lower).
    Applied { changed: bool },
}

/// Applies a status to the message with that provider id (monotonic merge, history kept).
pub(crate) async fn apply_status(
    conn: &mut SqliteConnection,
    org: OrgId,
    s: &StatusInput<'_>,
    now: &str,
    events: &mut Vec<ConversationEvent>,
) -> Result<StatusOutcome, sqlx::Error> {
    let org_id = org.to_string();
    let msg: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, conversation_id, status FROM messages WHERE org_id = ? AND provider_id = ?",
    )
    .bind(&org_id)
    .bind(s.provider_id)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((message_id, conversation_id, current)) = msg else {
        let inserted = sqlx::query(
            "INSERT INTO pending_statuses (org_id, provider_id, status, at, error_code, error_title,
                                           error_details, callback_data, received_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .bind(&org_id)
        .bind(s.provider_id)
        .bind(s.status.as_str())
        .bind(s.at)
        .bind(s.error_code)
        .bind(s.error_title)
        .bind(s.error_details)
        .bind(s.callback_data)
        .bind(now)
        .execute(&mut *conn)
        .await?
        .rows_affected();
        return Ok(if inserted == 0 {
            StatusOutcome::Duplicate
        } else {
            StatusOutcome::Pending
        });
    };
    let inserted = sqlx::query(
        "INSERT INTO message_status_history (org_id, message_id, provider_id, status, at, error_code,
                                             callback_data, received_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
    )
    .bind(&org_id)
    .bind(message_id)
    .bind(s.provider_id)
    .bind(s.status.as_str())
    .bind(s.at)
    .bind(s.error_code)
    .bind(s.callback_data)
    .bind(now)
    .execute(&mut *conn)
    .await?
    .rows_affected();
    if inserted == 0 {
        return Ok(StatusOutcome::Duplicate);
    }
    let current = MessageStatus::parse(&current).unwrap_or(MessageStatus::Pending);
    let Some(next) = merge(current, s.status) else {
        return Ok(StatusOutcome::Applied { changed: false });
    };
    let (code, reason) = if next == MessageStatus::Failed {
        let code = s.error_code;
        let reason = code.map(explain_error_es).unwrap_or_else(|| {
            "WhatsApp no pudo entregar el mensaje (sin código de error).".to_owned()
        });
        (code, Some(reason))
    } else {
        (None, None)
    };
    sqlx::query(
        "UPDATE messages SET status = ?, status_rank = max(status_rank, ?), error_code = ?,
                             error_title = ?, error_reason = ?
         WHERE id = ?",
    )
    .bind(next.as_str())
    .bind(next.rank().max(0))
    .bind(code)
    .bind(if next == MessageStatus::Failed {
        s.error_title
    } else {
        None
    })
    .bind(&reason)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    if next == MessageStatus::Failed && code == Some(131050) {
        // Meta says the customer stopped marketing messages: remember it on the customer.
        if crate::customers::set_marketing_opt_out_by_conversation(conn, conversation_id, true, now)
            .await?
        {
            conversation_event(conn, org, conversation_id, events).await?;
        }
    }
    events.push(ConversationEvent::StatusChanged {
        org_id: org,
        conversation_id,
        message_id,
        status: next,
        error_code: code,
        error_reason: reason,
    });
    Ok(StatusOutcome::Applied { changed: true })
}

/// Applies the statuses that arrived before the message with `provider_id`, in arrival order.
pub(crate) async fn apply_pending_statuses(
    conn: &mut SqliteConnection,
    org: OrgId,
    provider_id: &str,
    now: &str,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    #[allow(clippy::type_complexity)]
    let rows: Vec<(
        String,
        String,
        Option<i64>,
        Option<String>,
        Option<String>,
        Option<String>,
    )> = sqlx::query_as(
        "DELETE FROM pending_statuses WHERE org_id = ? AND provider_id = ?
         RETURNING status, at, error_code, error_title, error_details, callback_data",
    )
    .bind(org.to_string())
    .bind(provider_id)
    .fetch_all(&mut *conn)
    .await?;
    let mut rows = rows;
    rows.sort_by(|a, b| a.1.cmp(&b.1));
    for (status, at, code, title, details, cb) in rows {
        let Some(status) = MessageStatus::parse(&status) else {
            continue;
        };
        let input = StatusInput {
            provider_id,
            status,
            at: &at,
            error_code: code,
            error_title: title.as_deref(),
            error_details: details.as_deref(),
            callback_data: cb.as_deref(),
        };
        apply_status(conn, org, &input, now, events).await?;
    }
    Ok(())
}

/// Puts (or with `emoji = None` removes) a reaction on the message with `target`; kept for later
/// when the target is unknown. Returns whether it was applied now.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn apply_reaction(
    conn: &mut SqliteConnection,
    org: OrgId,
    target: &str,
    reactor: &str,
    emoji: Option<&str>,
    provider_id: Option<&str>,
    at: &str,
    events: &mut Vec<ConversationEvent>,
) -> Result<bool, sqlx::Error> {
    let org_id = org.to_string();
    let msg: Option<(i64, i64)> = sqlx::query_as(
        "SELECT id, conversation_id FROM messages WHERE org_id = ? AND provider_id = ?",
    )
    .bind(&org_id)
    .bind(target)
    .fetch_optional(&mut *conn)
    .await?;
    let Some((message_id, conversation_id)) = msg else {
        // Only a newer reaction replaces a pending one.
        sqlx::query(
            "INSERT INTO pending_reactions (org_id, target_provider_id, reactor, emoji, provider_id, at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, target_provider_id, reactor) DO UPDATE SET
               emoji = excluded.emoji, provider_id = excluded.provider_id, at = excluded.at
             WHERE excluded.at >= pending_reactions.at",
        )
        .bind(&org_id)
        .bind(target)
        .bind(reactor)
        .bind(emoji.unwrap_or(""))
        .bind(provider_id)
        .bind(at)
        .execute(&mut *conn)
        .await?;
        return Ok(false);
    };
    let changed = match emoji {
        Some(e) => sqlx::query(
            "INSERT INTO reactions (message_id, org_id, reactor, emoji, provider_id, at)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (message_id, reactor) DO UPDATE SET
               emoji = excluded.emoji, provider_id = excluded.provider_id, at = excluded.at
             WHERE excluded.at >= reactions.at",
        )
        .bind(message_id)
        .bind(&org_id)
        .bind(reactor)
        .bind(e)
        .bind(provider_id)
        .bind(at)
        .execute(&mut *conn)
        .await?
        .rows_affected(),
        None => {
            sqlx::query("DELETE FROM reactions WHERE message_id = ? AND reactor = ? AND at <= ?")
                .bind(message_id)
                .bind(reactor)
                .bind(at)
                .execute(&mut *conn)
                .await?
                .rows_affected()
        }
    };
    if changed > 0 {
        events.push(ConversationEvent::ReactionChanged {
            org_id: org,
            conversation_id,
            message_id,
            reactor: reactor.to_owned(),
            emoji: emoji.map(str::to_owned),
        });
    }
    Ok(true)
}

/// Applies reactions that were waiting for the message with `provider_id`.
pub(crate) async fn apply_pending_reactions(
    conn: &mut SqliteConnection,
    org: OrgId,
    provider_id: &str,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    let rows: Vec<(String, String, Option<String>, String)> = sqlx::query_as(
        "DELETE FROM pending_reactions WHERE org_id = ? AND target_provider_id = ?
         RETURNING reactor, emoji, provider_id, at",
    )
    .bind(org.to_string())
    .bind(provider_id)
    .fetch_all(&mut *conn)
    .await?;
    for (reactor, emoji, pid, at) in rows {
        let emoji = (!emoji.is_empty()).then_some(emoji.as_str());
        apply_reaction(
            conn,
            org,
            provider_id,
            &reactor,
            emoji,
            pid.as_deref(),
            &at,
            events,
        )
        .await?;
    }
    Ok(())
}

/// Events for a stored message and its conversation's new list row.
pub(crate) async fn message_events(
    conn: &mut SqliteConnection,
    org: OrgId,
    message_id: i64,
    conversation_id: i64,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    if let Some(message) = load_message(conn, message_id).await? {
        events.push(ConversationEvent::NewMessage {
            org_id: org,
            message,
        });
    }
    conversation_event(conn, org, conversation_id, events).await
}

pub(crate) async fn conversation_event(
    conn: &mut SqliteConnection,
    org: OrgId,
    conversation_id: i64,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    if let Some(conversation) = load_summary(conn, conversation_id).await? {
        events.push(ConversationEvent::ConversationUpdated {
            org_id: org,
            conversation,
        });
    }
    Ok(())
}
