//! The inbox's SQLite side: one transaction per fetched batch, and the cursor.

use super::InboxError;
use crate::org::OrgId;
use crate::store::Store;
use chrono::{DateTime, SecondsFormat, Utc};
use mostrador_relay::Event;

/// Where an organization's poll stands.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Highest seq stored in `inbox_raw`.
    pub committed_seq: i64,
    /// Highest seq the relay confirmed as acknowledged.
    pub acked_seq: i64,
}

pub async fn load_cursor(store: &Store, org: OrgId) -> Result<Cursor, InboxError> {
    let row: Option<(i64, i64)> =
        sqlx::query_as("SELECT committed_seq, acked_seq FROM relay_cursors WHERE org_id = ?")
            .bind(org.to_string())
            .fetch_optional(store.reader())
            .await?;
    Ok(row
        .map(|(committed_seq, acked_seq)| Cursor {
            committed_seq,
            acked_seq,
        })
        .unwrap_or_default())
}

fn now() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Stores a fetched batch and the new cursor in ONE `BEGIN IMMEDIATE` transaction. Events already
/// present (same `event_id`) are skipped. Returns how many rows were new.
///
/// Every event is checked first (body digest, seq above the old cursor); an invalid batch is not
/// stored at all.
pub async fn commit_batch(
    store: &Store,
    org: OrgId,
    events: &[Event],
    next_cursor: i64,
) -> Result<u64, InboxError> {
    let mut bodies = Vec::with_capacity(events.len());
    for e in events {
        let body = e.body().map_err(|err| InboxError::InvalidEvent {
            seq: e.seq,
            reason: err.to_string(),
        })?;
        if e.seq > next_cursor {
            return Err(InboxError::InvalidEvent {
                seq: e.seq,
                reason: format!("seq above next_cursor {next_cursor}"),
            });
        }
        bodies.push(body);
    }
    let org_id = org.to_string();
    let fetched_at = now();
    let mut tx = store.begin_immediate().await?;
    let mut inserted = 0;
    for (e, body) in events.iter().zip(bodies) {
        let headers =
            serde_json::to_string(&e.headers).map_err(|err| InboxError::InvalidEvent {
                seq: e.seq,
                reason: err.to_string(),
            })?;
        let received_at = DateTime::<Utc>::from_timestamp_millis(e.received_at_ms)
            .ok_or_else(|| InboxError::InvalidEvent {
                seq: e.seq,
                reason: "received_at out of range".into(),
            })?
            .to_rfc3339_opts(SecondsFormat::Millis, true);
        inserted += sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method,
                                    public_url, headers, body, body_sha256, fetched_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (event_id) DO NOTHING",
        )
        .bind(&e.event_id)
        .bind(&org_id)
        .bind(e.seq)
        .bind(e.provider.as_str())
        .bind(received_at)
        .bind(&e.method)
        .bind(&e.public_url)
        .bind(headers)
        .bind(body)
        .bind(&e.body_sha256)
        .bind(&fetched_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    sqlx::query(
        "INSERT INTO relay_cursors (org_id, committed_seq, acked_seq, updated_at) VALUES (?, ?, 0, ?)
         ON CONFLICT (org_id) DO UPDATE SET committed_seq = excluded.committed_seq,
                                            updated_at = excluded.updated_at",
    )
    .bind(&org_id)
    .bind(next_cursor)
    .bind(&fetched_at)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(inserted)
}

/// Records what the relay confirmed (single statement, autocommit).
pub async fn record_ack(store: &Store, org: OrgId, acked_seq: i64) -> Result<(), InboxError> {
    sqlx::query(
        "INSERT INTO relay_cursors (org_id, committed_seq, acked_seq, updated_at) VALUES (?, 0, ?, ?)
         ON CONFLICT (org_id) DO UPDATE SET acked_seq = excluded.acked_seq,
                                            updated_at = excluded.updated_at",
    )
    .bind(org.to_string())
    .bind(acked_seq)
    .bind(now())
    .execute(store.writer())
    .await?;
    Ok(())
}

/// The relay's storage was reset (its last seq is below our cursor): start again from 0. Events
/// already stored are skipped by the `event_id` dedupe.
pub(super) async fn reset_cursor(store: &Store, org: OrgId) -> Result<(), InboxError> {
    sqlx::query("UPDATE relay_cursors SET committed_seq = 0, acked_seq = 0, updated_at = ? WHERE org_id = ?")
        .bind(now())
        .bind(org.to_string())
        .execute(store.writer())
        .await?;
    Ok(())
}
