//! The inbox's SQLite side: one transaction per fetched batch, and the cursor.
//!
//! Cursor rules: every write names the cursor's `epoch` (bumped by each reset, when the relay's
//! stream changed) and is dropped when the epoch moved on; within an epoch `committed_seq` and
//! `acked_seq` only move forward (`MAX`), and an ack is never recorded above what is committed.

use super::alerts::{QuarantinedEvent, RelayGap};
use super::InboxError;
use crate::org::OrgId;
use crate::store::Store;
use chrono::{DateTime, Utc};
use mostrador_relay::{Event, EventsResponse};
use sqlx::Row as _;

/// Where an organization's poll stands.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cursor {
    /// Resets so far; writes from an older epoch are stale.
    pub epoch: i64,
    /// Highest seq stored in `inbox_raw`.
    pub committed_seq: i64,
    /// The relay's `event_id` at `committed_seq` (names the stream to the relay).
    pub committed_event_id: Option<String>,
    /// Highest seq the relay confirmed as acknowledged.
    pub acked_seq: i64,
    /// The relay's `event_id` at `acked_seq`.
    pub acked_event_id: Option<String>,
}

pub async fn load_cursor(store: &Store, org: OrgId) -> Result<Cursor, InboxError> {
    let row = sqlx::query(
        "SELECT epoch, committed_seq, committed_event_id, acked_seq, acked_event_id
         FROM relay_cursors WHERE org_id = ?",
    )
    .bind(org.to_string())
    .fetch_optional(store.reader())
    .await?;
    let Some(r) = row else {
        return Ok(Cursor::default());
    };
    Ok(Cursor {
        epoch: r.try_get("epoch")?,
        committed_seq: r.try_get("committed_seq")?,
        committed_event_id: r.try_get("committed_event_id")?,
        acked_seq: r.try_get("acked_seq")?,
        acked_event_id: r.try_get("acked_event_id")?,
    })
}

pub(super) fn now() -> String {
    crate::store::timestamp::now_text()
}

/// What [`commit_batch`] stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Committed {
    /// Rows that were new (an `event_id` already stored is skipped).
    pub inserted: u64,
    /// Events stored quarantined (unreadable body, digest or timestamp), in seq order.
    pub quarantined: Vec<QuarantinedEvent>,
    /// Holes in the seqs (events the relay dropped before we fetched them), in seq order.
    pub gaps: Vec<RelayGap>,
}

/// Why an event cannot be stored as readable, or its body and receive time.
fn read_event(e: &Event) -> Result<(Vec<u8>, String), String> {
    let body = e.body().map_err(|err| err.to_string())?;
    let received_at = DateTime::<Utc>::from_timestamp_millis(e.received_at_ms)
        .map(crate::store::timestamp::to_text)
        .ok_or_else(|| format!("received_at {} is out of range", e.received_at_ms))?;
    Ok((body, received_at))
}

/// The holes in `events`' seqs after `after` (seqs are strictly increasing).
fn gaps(
    after: i64,
    events: &[Event],
    dropped_total: i64,
    detected_at: DateTime<Utc>,
) -> Vec<RelayGap> {
    let mut out = Vec::new();
    let mut expected = after + 1;
    for e in events {
        if e.seq > expected {
            out.push(RelayGap {
                from_seq: expected,
                to_seq: e.seq - 1,
                dropped_total,
                detected_at,
            });
        }
        expected = e.seq + 1;
    }
    out
}

/// Stores a fetched batch (polled after `after` in cursor epoch `epoch`) and moves the cursor, in
/// ONE `BEGIN IMMEDIATE` transaction. Events already present (same `event_id`) are skipped. An
/// event whose body, digest or timestamp cannot be read is stored `quarantined` with its reason and
/// its raw envelope, and the cursor moves past it. Holes in the seqs are recorded as gaps.
///
/// Fails without storing anything if the relay broke the protocol (a seq not after `after`, not
/// increasing, or above `next_cursor`) or if the cursor's epoch is no longer `epoch`.
pub async fn commit_batch(
    store: &Store,
    org: OrgId,
    epoch: i64,
    after: i64,
    resp: &EventsResponse,
) -> Result<Committed, InboxError> {
    let events = &resp.events;
    let next_cursor = resp.next_cursor;
    let mut prev = after;
    for e in events {
        if e.seq <= prev || e.seq > next_cursor {
            return Err(InboxError::InvalidEvent {
                seq: e.seq,
                reason: format!(
                    "seq not in increasing order after {prev} up to next_cursor {next_cursor}"
                ),
            });
        }
        prev = e.seq;
    }
    let org_id = org.to_string();
    let fetched = Utc::now();
    let fetched_at = crate::store::timestamp::to_text(fetched);
    let mut out = Committed {
        gaps: gaps(after, events, resp.dropped_total, fetched),
        ..Committed::default()
    };
    let mut tx = store.begin_immediate().await?;
    sqlx::query(
        "INSERT INTO relay_cursors (org_id, updated_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(&org_id)
    .bind(&fetched_at)
    .execute(&mut *tx)
    .await?;
    let current: i64 = sqlx::query_scalar("SELECT epoch FROM relay_cursors WHERE org_id = ?")
        .bind(&org_id)
        .fetch_one(&mut *tx)
        .await?;
    if current != epoch {
        return Err(InboxError::StaleEpoch { epoch, current });
    }
    for e in events {
        let headers =
            serde_json::to_string(&e.headers).map_err(|err| InboxError::InvalidEvent {
                seq: e.seq,
                reason: err.to_string(),
            })?;
        let (status, reason, body, received_at, raw) = match read_event(e) {
            Ok((body, received_at)) => ("new", None, body, received_at, None),
            Err(reason) => {
                let raw = serde_json::to_string(e).map_err(|err| InboxError::InvalidEvent {
                    seq: e.seq,
                    reason: err.to_string(),
                })?;
                tracing::warn!(seq = e.seq, event_id = %e.event_id, %reason, "event quarantined");
                out.quarantined.push(QuarantinedEvent {
                    seq: e.seq,
                    event_id: e.event_id.clone(),
                    reason: reason.clone(),
                });
                // The body and time could not be read: the raw envelope keeps what was sent, and
                // received_at falls back to our fetch time.
                (
                    "quarantined",
                    Some(reason),
                    Vec::new(),
                    fetched_at.clone(),
                    Some(raw),
                )
            }
        };
        out.inserted += sqlx::query(
            "INSERT INTO inbox_raw (event_id, org_id, relay_seq, provider, received_at, method,
                                    public_url, headers, body, body_sha256, status, status_reason,
                                    raw_envelope, fetched_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
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
        .bind(status)
        .bind(reason)
        .bind(raw)
        .bind(&fetched_at)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    }
    for g in &out.gaps {
        tracing::warn!(
            from = g.from_seq,
            to = g.to_seq,
            dropped_total = g.dropped_total,
            "the relay dropped events before we fetched them"
        );
        sqlx::query(
            "INSERT INTO relay_gaps (org_id, from_seq, to_seq, dropped_total, detected_at)
             VALUES (?, ?, ?, ?, ?)",
        )
        .bind(&org_id)
        .bind(g.from_seq)
        .bind(g.to_seq)
        .bind(g.dropped_total)
        .bind(&fetched_at)
        .execute(&mut *tx)
        .await?;
    }
    let next_event_id = events
        .last()
        .filter(|e| e.seq == next_cursor)
        .map(|e| e.event_id.as_str());
    // Forward only: a re-delivered older batch leaves the cursor where it is.
    sqlx::query(
        "UPDATE relay_cursors
         SET committed_event_id = CASE WHEN ? > committed_seq THEN ? ELSE committed_event_id END,
             committed_seq = MAX(committed_seq, ?),
             updated_at = ?
         WHERE org_id = ? AND epoch = ?",
    )
    .bind(next_cursor)
    .bind(next_event_id)
    .bind(next_cursor)
    .bind(&fetched_at)
    .bind(&org_id)
    .bind(epoch)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(out)
}

/// Records what the relay confirmed (single statement, autocommit). Dropped (returns false) when
/// the epoch moved on, when it would move the ack backwards, or when it is above what is committed.
pub async fn record_ack(
    store: &Store,
    org: OrgId,
    epoch: i64,
    acked_seq: i64,
    event_id: Option<&str>,
) -> Result<bool, InboxError> {
    let n = sqlx::query(
        "UPDATE relay_cursors SET acked_seq = ?, acked_event_id = ?, updated_at = ?
         WHERE org_id = ? AND epoch = ? AND acked_seq < ? AND ? <= committed_seq",
    )
    .bind(acked_seq)
    .bind(event_id)
    .bind(now())
    .bind(org.to_string())
    .bind(epoch)
    .bind(acked_seq)
    .bind(acked_seq)
    .execute(store.writer())
    .await?
    .rows_affected();
    Ok(n == 1)
}

/// The relay's stream is not the one our cursor belongs to (its storage was reset or restored):
/// start again from 0 in a new epoch, so whatever is still in flight from the old one is stale.
/// Events already stored are skipped by the `event_id` dedupe. Returns the new epoch.
pub async fn reset_cursor(store: &Store, org: OrgId, from_epoch: i64) -> Result<i64, InboxError> {
    let now = now();
    sqlx::query(
        "INSERT INTO relay_cursors (org_id, updated_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(org.to_string())
    .bind(&now)
    .execute(store.writer())
    .await?;
    let epoch: Option<i64> = sqlx::query_scalar(
        "UPDATE relay_cursors
         SET epoch = epoch + 1, committed_seq = 0, committed_event_id = NULL,
             acked_seq = 0, acked_event_id = NULL, updated_at = ?
         WHERE org_id = ? AND epoch = ? RETURNING epoch",
    )
    .bind(&now)
    .bind(org.to_string())
    .bind(from_epoch)
    .fetch_optional(store.writer())
    .await?;
    match epoch {
        Some(e) => Ok(e),
        None => Ok(load_cursor(store, org).await?.epoch),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use mostrador_relay::protocol::{encode_body, sha256_hex, Provider};

    fn ev(seq: i64) -> Event {
        Event {
            seq,
            event_id: format!("e{seq}"),
            provider: Provider::Twilio,
            received_at_ms: 0,
            method: "POST".into(),
            public_url: "https://r/in/t/twilio".into(),
            headers: vec![],
            body_b64: encode_body(b"x"),
            body_sha256: sha256_hex(b"x"),
        }
    }

    #[test]
    fn gaps_are_holes_after_the_cursor_and_between_events() {
        let t = Utc::now();
        let g = gaps(3, &[ev(6), ev(7), ev(10)], 9, t);
        let spans: Vec<(i64, i64)> = g.iter().map(|g| (g.from_seq, g.to_seq)).collect();
        assert_eq!(spans, [(4, 5), (8, 9)]);
        assert!(g.iter().all(|g| g.dropped_total == 9));
        assert!(gaps(3, &[ev(4), ev(5)], 0, t).is_empty());
    }
}
