//! The link between a message and the `whatsapp.send` job that sends it (`messages.job_id`): the
//! outbound engine reports here, inside its own transaction, when the provider accepted the job
//! (the message gets its wamid and `sent`) or when the job ended without sending (`failed`, with
//! the reason in Spanish). Jobs that are not a message (read receipts, other kinds) match nothing.

use sqlx::SqliteConnection;

use super::status::{explain_error_es, merge, MessageStatus};
use super::write;
use crate::events::ConversationEvent;
use crate::org::OrgId;

/// The provider accepted job `job_id` as `provider_id`: the message (if the job is one) gets the
/// wamid, moves to `sent`, and statuses that arrived first are applied.
pub(crate) async fn job_sent(
    conn: &mut SqliteConnection,
    org: OrgId,
    job_id: i64,
    provider_id: Option<&str>,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    let row: Option<(i64, i64, String, String)> = sqlx::query_as(
        "SELECT id, conversation_id, status, type FROM messages WHERE job_id = ? AND org_id = ? AND direction = 'out'",
    )
    .bind(job_id)
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((message_id, conversation_id, status, kind)) = row else {
        return Ok(());
    };
    if let Some(pid) = provider_id {
        // Another row may already hold this wamid (a status webhook raced us): keep the first.
        sqlx::query(
            "UPDATE messages SET provider_id = ? WHERE id = ? AND provider_id IS NULL
               AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.org_id = messages.org_id AND o.provider_id = ?)",
        )
        .bind(pid)
        .bind(message_id)
        .bind(pid)
        .execute(&mut *conn)
        .await?;
    }
    let current = MessageStatus::parse(&status).unwrap_or(MessageStatus::Pending);
    if let Some(next) = merge(current, MessageStatus::Sent) {
        sqlx::query(
            "UPDATE messages SET status = ?, status_rank = max(status_rank, ?), error_code = NULL,
                                 error_title = NULL, error_reason = NULL WHERE id = ?",
        )
        .bind(next.as_str())
        .bind(next.rank())
        .bind(message_id)
        .execute(&mut *conn)
        .await?;
        events.push(ConversationEvent::StatusChanged {
            org_id: org,
            conversation_id,
            message_id,
            status: next,
            error_code: None,
            error_reason: None,
        });
    }
    if let Some(pid) = provider_id {
        if kind != "reaction" {
            write::apply_pending_statuses(conn, org, pid, &super::ts_now(), events).await?;
            write::apply_pending_reactions(conn, org, pid, events).await?;
        }
    }
    Ok(())
}

/// Job `job_id` ended without sending (dead letter, expired, refused): its message is `failed`
/// with the reason for the owner, unless a status already proved delivery.
pub(crate) async fn job_failed(
    conn: &mut SqliteConnection,
    org: OrgId,
    job_id: i64,
    code: Option<&str>,
    message_es: &str,
    events: &mut Vec<ConversationEvent>,
) -> Result<(), sqlx::Error> {
    let row: Option<(i64, i64, String)> = sqlx::query_as(
        "SELECT id, conversation_id, status FROM messages WHERE job_id = ? AND org_id = ? AND direction = 'out'",
    )
    .bind(job_id)
    .bind(org.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    let Some((message_id, conversation_id, status)) = row else {
        return Ok(());
    };
    let current = MessageStatus::parse(&status).unwrap_or(MessageStatus::Pending);
    if merge(current, MessageStatus::Failed).is_none() {
        return Ok(());
    }
    // Meta's numeric codes get their explanation; ours (`timeout`, `expired`…) the engine's text.
    let numeric = code.and_then(|c| c.parse::<i64>().ok());
    let reason = numeric
        .map(explain_error_es)
        .unwrap_or_else(|| message_es.to_owned());
    sqlx::query(
        "UPDATE messages SET status = 'failed', error_code = ?, error_title = ?, error_reason = ? WHERE id = ?",
    )
    .bind(numeric)
    .bind(code)
    .bind(&reason)
    .bind(message_id)
    .execute(&mut *conn)
    .await?;
    if numeric == Some(131050) {
        crate::customers::set_marketing_opt_out_by_conversation(
            conn,
            conversation_id,
            true,
            &super::ts_now(),
        )
        .await?;
        write::conversation_event(conn, org, conversation_id, events).await?;
    }
    events.push(ConversationEvent::StatusChanged {
        org_id: org,
        conversation_id,
        message_id,
        status: MessageStatus::Failed,
        error_code: numeric,
        error_reason: Some(reason),
    });
    Ok(())
}
