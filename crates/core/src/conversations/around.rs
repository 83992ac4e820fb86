//! A thread loaded around one message (a search hit older than the loaded page, a quoted reply
//! far up): a keyset window on `(at, id)` — some messages before the target, the target and some
//! after it — and the cursors to page further either way. [`thread_page`](super::thread_page)
//! pages older from either cursor's `older`; [`thread_after`] pages newer until the newest.

use serde::Serialize;

use super::view::{MessageRow, MessageView, MESSAGE_SELECT};
use super::{ThreadCursor, MAX_PAGE};
use crate::org::OrgId;
use crate::store::{Store, StoreError};

/// A slice of a thread that need not reach its newest message.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ThreadWindow {
    /// Oldest first.
    pub messages: Vec<MessageView>,
    /// Cursor for older messages (its oldest); `None` when this reaches the first message.
    pub older: Option<ThreadCursor>,
    /// Cursor for newer messages (its newest); `None` when this reaches the newest message.
    pub newer: Option<ThreadCursor>,
}

fn cursor(m: &MessageView) -> ThreadCursor {
    ThreadCursor {
        at: m.at.clone(),
        id: m.id,
    }
}

/// Up to `limit` messages older than `(at, id)`, newest first, plus whether there are more.
async fn older_than(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
    at: &str,
    id: i64,
    limit: u32,
) -> Result<(Vec<MessageView>, bool), StoreError> {
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT}
         WHERE m.conversation_id = ?1 AND m.org_id = ?2 AND m.type <> 'reaction'
           AND (m.at, m.id) < (?3, ?4)
         ORDER BY m.at DESC, m.id DESC LIMIT ?5"
    ))
    .bind(conversation_id)
    .bind(org.to_string())
    .bind(at)
    .bind(id)
    .bind(limit as i64 + 1)
    .fetch_all(store.reader())
    .await?;
    let more = rows.len() > limit as usize;
    Ok((
        rows.into_iter()
            .take(limit as usize)
            .map(MessageRow::into_view)
            .collect(),
        more,
    ))
}

/// Up to `limit` messages from `(at, id)` on (`inclusive`: that one too), oldest first, plus
/// whether there are more.
async fn newer_than(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
    from: (&str, i64),
    inclusive: bool,
    limit: u32,
) -> Result<(Vec<MessageView>, bool), StoreError> {
    let op = if inclusive { ">=" } else { ">" };
    let rows: Vec<MessageRow> = sqlx::query_as(&format!(
        "{MESSAGE_SELECT}
         WHERE m.conversation_id = ?1 AND m.org_id = ?2 AND m.type <> 'reaction'
           AND (m.at, m.id) {op} (?3, ?4)
         ORDER BY m.at ASC, m.id ASC LIMIT ?5"
    ))
    .bind(conversation_id)
    .bind(org.to_string())
    .bind(from.0)
    .bind(from.1)
    .bind(limit as i64 + 1)
    .fetch_all(store.reader())
    .await?;
    let more = rows.len() > limit as usize;
    Ok((
        rows.into_iter()
            .take(limit as usize)
            .map(MessageRow::into_view)
            .collect(),
        more,
    ))
}

/// The thread around `message_id`: about half of `limit` older messages, the message, and the
/// rest newer. `None` when the message is not one of this conversation's (or is a reaction,
/// which shows on its target).
pub async fn thread_around(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
    message_id: i64,
    limit: u32,
) -> Result<Option<ThreadWindow>, StoreError> {
    let limit = limit.clamp(2, MAX_PAGE);
    let target: Option<String> = sqlx::query_scalar(
        "SELECT at FROM messages
         WHERE id = ?1 AND conversation_id = ?2 AND org_id = ?3 AND type <> 'reaction'",
    )
    .bind(message_id)
    .bind(conversation_id)
    .bind(org.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some(at) = target else { return Ok(None) };
    let before = limit / 2;
    let (mut messages, more_older) =
        older_than(store, org, conversation_id, &at, message_id, before).await?;
    messages.reverse();
    let (after, more_newer) = newer_than(
        store,
        org,
        conversation_id,
        (&at, message_id),
        true,
        limit - before,
    )
    .await?;
    messages.extend(after);
    Ok(Some(ThreadWindow {
        older: more_older.then(|| cursor(&messages[0])),
        newer: more_newer.then(|| cursor(messages.last().expect("the target itself"))),
        messages,
    }))
}

/// The `limit` messages after `after` (a [`ThreadWindow::newer`]), oldest first. `older` is the
/// page's oldest (so it joins the window already shown); `newer` is `None` once this reaches
/// the newest message.
pub async fn thread_after(
    store: &Store,
    org: OrgId,
    conversation_id: i64,
    after: &ThreadCursor,
    limit: u32,
) -> Result<ThreadWindow, StoreError> {
    let limit = limit.clamp(1, MAX_PAGE);
    let (messages, more) = newer_than(
        store,
        org,
        conversation_id,
        (&after.at, after.id),
        false,
        limit,
    )
    .await?;
    Ok(ThreadWindow {
        older: messages.first().map(cursor),
        newer: if more {
            messages.last().map(cursor)
        } else {
            None
        },
        messages,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conversations::{record_outbound, thread_page, MessageStatus, NewMessage};
    use crate::customers::{upsert_whatsapp, WhatsAppIdentity};
    use crate::org::{self, NewOrganization};

    /// A conversation of `n` messages one second apart (every tenth followed by a reaction,
    /// which the thread never lists); returns the store, org, conversation and ids oldest first.
    async fn thread_of(n: usize) -> (tempfile::TempDir, Store, OrgId, i64, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.sqlite3")).await.unwrap();
        let org = org::create(
            &store,
            NewOrganization {
                name: "Almacén".into(),
                cuit: "20-12345678-6".into(),
                iva_condition: mostrador_types::IvaCondition::Monotributo,
            },
        )
        .await
        .unwrap()
        .id;
        let mut tx = store.begin_immediate().await.unwrap();
        let customer = upsert_whatsapp(
            &mut tx,
            org,
            &WhatsAppIdentity {
                wa_id: Some("5491111111111"),
                name: Some("Ana"),
                ..Default::default()
            },
            "2026-01-01T00:00:00.000Z",
        )
        .await
        .unwrap();
        let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .with_timezone(&chrono::Utc);
        let mut ids = Vec::new();
        let mut conversation = 0;
        for i in 0..n {
            let at = crate::store::timestamp::to_text(start + chrono::Duration::seconds(i as i64));
            let pid = format!("wamid.{i}");
            let (id, _) = record_outbound(
                &mut tx,
                org,
                customer,
                NewMessage {
                    provider_id: Some(&pid),
                    kind: "text",
                    text: Some("hola"),
                    status: Some(MessageStatus::Sent),
                    at: &at,
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            ids.push(id);
            if i % 10 == 0 {
                let rid = format!("wamid.r{i}");
                record_outbound(
                    &mut tx,
                    org,
                    customer,
                    NewMessage {
                        provider_id: Some(&rid),
                        kind: "reaction",
                        text: Some("👍"),
                        reaction_to_provider_id: Some(&pid),
                        at: &at,
                        ..Default::default()
                    },
                )
                .await
                .unwrap();
            }
            conversation = sqlx::query_scalar("SELECT conversation_id FROM messages WHERE id = ?")
                .bind(id)
                .fetch_one(&mut *tx)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        (dir, store, org, conversation, ids)
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_message_older_than_the_first_page_loads_with_its_neighbours_and_pages_both_ways() {
        let (_dir, store, org, c, ids) = thread_of(500).await;
        let first = thread_page(&store, org, c, None, 50).await.unwrap();
        let target = ids[123];
        assert!(first.messages.iter().all(|m| m.id != target));

        let w = thread_around(&store, org, c, target, 50)
            .await
            .unwrap()
            .unwrap();
        let got: Vec<i64> = w.messages.iter().map(|m| m.id).collect();
        assert_eq!(got, ids[98..148].to_vec(), "25 before, the hit, 24 after");
        assert!(w.messages.iter().all(|m| m.kind == "text"));
        // Older from the window's start: exactly the messages before it.
        let up = thread_page(&store, org, c, w.older.as_ref(), 200)
            .await
            .unwrap();
        assert_eq!(
            up.messages.iter().map(|m| m.id).collect::<Vec<_>>(),
            ids[0..98].to_vec()
        );
        assert!(up.older.is_none());
        // Newer from its end, page by page, up to the newest with nothing skipped or repeated.
        let mut seen = got.clone();
        let mut next = w.newer.clone();
        while let Some(cur) = next {
            let p = thread_after(&store, org, c, &cur, 120).await.unwrap();
            seen.extend(p.messages.iter().map(|m| m.id));
            next = p.newer;
        }
        assert_eq!(seen, ids[98..].to_vec());

        // The newest itself: nothing newer.
        let last = thread_around(&store, org, c, *ids.last().unwrap(), 50)
            .await
            .unwrap()
            .unwrap();
        assert!(last.newer.is_none() && last.older.is_some());
        assert_eq!(last.messages.last().unwrap().id, *ids.last().unwrap());
        // The first: nothing older.
        let w0 = thread_around(&store, org, c, ids[0], 50)
            .await
            .unwrap()
            .unwrap();
        assert!(w0.older.is_none());
        assert_eq!(w0.messages[0].id, ids[0]);
        // Another conversation's id, or a reaction: not here.
        assert!(thread_around(&store, org, c + 1, target, 50)
            .await
            .unwrap()
            .is_none());
        let reaction: i64 =
            sqlx::query_scalar("SELECT id FROM messages WHERE type = 'reaction' LIMIT 1")
                .fetch_one(store.reader())
                .await
                .unwrap();
        assert!(thread_around(&store, org, c, reaction, 50)
            .await
            .unwrap()
            .is_none());
    }
}
