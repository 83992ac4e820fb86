//! What the desktop API reads and writes: polls (bounded in count and bytes, cursor identity
//! checked), acks, status and the backlog.

use super::{Storage, StorageError};
use crate::protocol::{Header, Provider};
use futures::TryStreamExt as _;
use sqlx::Row;

#[derive(Debug, Clone)]
pub struct StoredEvent {
    pub seq: i64,
    pub event_id: String,
    pub provider: Provider,
    pub received_at_ms: i64,
    pub method: String,
    pub public_url: String,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

impl StoredEvent {
    /// About what this event takes in a JSON response (base64 body, hex digest, headers, URL).
    fn wire_size(&self, headers_json: usize) -> usize {
        self.body.len().div_ceil(3) * 4
            + headers_json
            + self.public_url.len()
            + self.event_id.len()
            + self.method.len()
            + 256
    }
}

/// What `fetch` found.
#[derive(Debug, Clone)]
pub struct Fetched {
    pub events: Vec<StoredEvent>,
    pub last_seq: i64,
    pub dropped_total: i64,
    /// The client's cursor names another event at its seq: nothing returned.
    pub cursor_mismatch: bool,
}

/// What an ack did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AckOutcome {
    /// The tenant's acknowledged position now, and how many events this ack newly acknowledged.
    Acked { acked_seq: i64, newly: u64 },
    /// The ack names an event the relay does not hold at that seq: nothing acknowledged.
    Mismatch,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TenantStatus {
    pub last_seq: i64,
    pub acked_seq: i64,
    pub backlog: i64,
    pub oldest_unacked_ms: Option<i64>,
    pub dropped_total: i64,
}

impl Storage {
    /// Events with `seq > after`, oldest first, at most `limit` of them and (beyond the first)
    /// about `max_bytes` on the wire, and the tenant's counters. When `after_event_id`
    /// is given and the event stored at `after` has another id, nothing is returned and
    /// `cursor_mismatch` is set: the client's cursor belongs to another stream.
    pub async fn fetch(
        &self,
        tenant_id: &str,
        after: i64,
        after_event_id: Option<&str>,
        limit: i64,
        max_bytes: usize,
    ) -> Result<Fetched, StorageError> {
        let fetched = read_pool!(self, pool => {
            let counters: Option<(i64, i64)> =
                sqlx::query_as("SELECT last_seq, dropped_total FROM tenants WHERE id = $1")
                    .bind(tenant_id)
                    .fetch_optional(pool)
                    .await?;
            let (last_seq, dropped_total) = counters.unwrap_or((0, 0));
            if let Some(expected) = after_event_id.filter(|_| after > 0) {
                let at: Option<String> =
                    sqlx::query_scalar("SELECT event_id FROM events WHERE tenant_id = $1 AND seq = $2")
                        .bind(tenant_id)
                        .bind(after)
                        .fetch_optional(pool)
                        .await?;
                if at.is_some_and(|id| id != expected) {
                    return Ok(Fetched { events: Vec::new(), last_seq, dropped_total, cursor_mismatch: true });
                }
            }
            // Streamed, so the rows past the byte budget are never held in memory.
            let mut rows = sqlx::query(
                "SELECT seq, event_id, provider, received_at, method, public_url, headers, body
                 FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            )
            .bind(tenant_id)
            .bind(after)
            .bind(limit)
            .fetch(pool);
            let mut out = Vec::new();
            let mut bytes = 0usize;
            while let Some(r) = rows.try_next().await? {
                let provider: String = r.try_get("provider")?;
                let headers: String = r.try_get("headers")?;
                let event = StoredEvent {
                    seq: r.try_get("seq")?,
                    event_id: r.try_get("event_id")?,
                    provider: provider.parse().map_err(|_| StorageError::CorruptProvider)?,
                    received_at_ms: r.try_get("received_at")?,
                    method: r.try_get("method")?,
                    public_url: r.try_get("public_url")?,
                    headers: serde_json::from_str(&headers)?,
                    body: r.try_get("body")?,
                };
                let size = event.wire_size(headers.len());
                // Always at least one event, so a single large one still gets through.
                if !out.is_empty() && bytes + size > max_bytes {
                    break;
                }
                bytes += size;
                out.push(event);
            }
            drop(rows);
            // Read after the events: a seq committed meanwhile is then never above last_seq.
            let last: Option<i64> = sqlx::query_scalar("SELECT last_seq FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?;
            Fetched { events: out, last_seq: last.unwrap_or(last_seq), dropped_total, cursor_mismatch: false }
        });
        Ok(fetched)
    }

    /// Cumulative ack. Returns (the new acked_seq, how many events it newly acknowledged).
    /// A repeated ack writes nothing; a new one marks only the events between the old and the new
    /// position, so its cost does not grow with the events kept for retention.
    ///
    /// With `event_id` (what the client stored at `up_to_seq`) an ack from another stream is
    /// refused ([`AckOutcome::Mismatch`]): the relay holds another event at that seq, or its
    /// sequence has not reached it.
    pub async fn ack(
        &self,
        tenant_id: &str,
        up_to_seq: i64,
        event_id: Option<&str>,
        now_ms: i64,
    ) -> Result<AckOutcome, StorageError> {
        let current: Option<(i64, i64)> = write_pool!(self, pool => sqlx::query_as(
            "SELECT acked_seq, last_seq FROM tenants WHERE id = $1",
        )
        .bind(tenant_id)
        .fetch_optional(pool)
        .await?);
        let Some((old, last)) = current else {
            return Ok(AckOutcome::Acked {
                acked_seq: 0,
                newly: 0,
            });
        };
        if let Some(expected) = event_id.filter(|_| up_to_seq > 0) {
            if up_to_seq > last {
                return Ok(AckOutcome::Mismatch);
            }
            let at: Option<String> = write_pool!(self, pool => sqlx::query_scalar(
                "SELECT event_id FROM events WHERE tenant_id = $1 AND seq = $2",
            )
            .bind(tenant_id)
            .bind(up_to_seq)
            .fetch_optional(pool)
            .await?);
            if at.is_some_and(|id| id != expected) {
                return Ok(AckOutcome::Mismatch);
            }
        }
        let new = up_to_seq.min(last);
        if new <= old {
            return Ok(AckOutcome::Acked {
                acked_seq: old,
                newly: 0,
            });
        }
        let out = write_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            // Never backwards, even when another relay instance acked further meanwhile.
            sqlx::query("UPDATE tenants SET acked_seq = $2 WHERE id = $1 AND acked_seq < $2")
                .bind(tenant_id)
                .bind(new)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query(
                "UPDATE events SET acked_at = $4
                 WHERE tenant_id = $1 AND seq > $2 AND seq <= $3 AND acked_at IS NULL",
            )
            .bind(tenant_id)
            .bind(old)
            .bind(new)
            .bind(now_ms)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            let acked: i64 = sqlx::query_scalar("SELECT acked_seq FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_one(&mut *tx)
                .await?;
            tx.commit().await?;
            AckOutcome::Acked { acked_seq: acked, newly: n }
        });
        Ok(out)
    }

    pub async fn status(&self, tenant_id: &str) -> Result<TenantStatus, StorageError> {
        let st = read_pool!(self, pool => {
            let row = sqlx::query("SELECT last_seq, acked_seq, dropped_total FROM tenants WHERE id = $1")
                .bind(tenant_id)
                .fetch_optional(pool)
                .await?;
            let Some(row) = row else {
                return Ok(TenantStatus { last_seq: 0, acked_seq: 0, backlog: 0, oldest_unacked_ms: None, dropped_total: 0 });
            };
            let last_seq: i64 = row.try_get("last_seq")?;
            let acked_seq: i64 = row.try_get("acked_seq")?;
            let dropped_total: i64 = row.try_get("dropped_total")?;
            let oldest = sqlx::query(
                "SELECT seq, received_at FROM events WHERE tenant_id = $1 AND seq > $2 ORDER BY seq LIMIT 1",
            )
            .bind(tenant_id)
            .bind(acked_seq)
            .fetch_optional(pool)
            .await?;
            let oldest_unacked_ms = oldest
                .map(|r| r.try_get::<i64, _>("received_at"))
                .transpose()?;
            // Counted, not last_seq - first + 1: retention may leave holes among stored events.
            let backlog: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM events WHERE tenant_id = $1 AND seq > $2",
            )
            .bind(tenant_id)
            .bind(acked_seq)
            .fetch_one(pool)
            .await?;
            TenantStatus { last_seq, acked_seq, backlog, oldest_unacked_ms, dropped_total }
        });
        Ok(st)
    }

    /// Total backlog over all tenants (for /metrics): stored events not yet acknowledged, the same
    /// count as each tenant's `/v1/status` backlog (events dropped by the cap or expiry are gone,
    /// so they are not in it).
    pub async fn total_backlog(&self) -> Result<i64, StorageError> {
        let v: Option<i64> = read_pool!(self, pool => sqlx::query_scalar(
            "SELECT CAST(COUNT(*) AS BIGINT) FROM events e
             JOIN tenants t ON t.id = e.tenant_id AND e.seq > t.acked_seq",
        )
        .fetch_one(pool)
        .await?);
        Ok(v.unwrap_or(0))
    }
}
