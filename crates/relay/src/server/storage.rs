//! Durable storage of tenants and events, on SQLite (one file, one process) or PostgreSQL (several
//! relay instances on one database). The SQL is shared: both accept `$n` placeholders, `RETURNING`
//! and `ON CONFLICT`; only the schema files and the wake-up notification differ.
//!
//! Ordering: each tenant row holds a `last_seq` counter, bumped in the same transaction that inserts
//! the events. On PostgreSQL the row lock makes a second instance wait until the first commits, so
//! a reader can never see seq n+1 committed while seq n is still in flight (the client's cursor
//! would skip it).

use crate::protocol::{Header, Provider};
use futures::TryStreamExt as _;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

/// PostgreSQL channel on which committed batches announce their tenants.
pub const PG_NOTIFY_CHANNEL: &str = "mostrador_relay_events";

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration error: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("unsupported DATABASE_URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    #[error("no tenant named {0:?}")]
    NoSuchTenant(String),
    #[error("a tenant named {0:?} already exists")]
    TenantExists(String),
    #[error("stored headers are corrupt: {0}")]
    CorruptHeaders(#[from] serde_json::Error),
    #[error("stored provider is unknown")]
    CorruptProvider,
}

#[derive(Clone, Debug)]
pub enum Storage {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to the pool of either backend (for reads).
macro_rules! read_pool {
    ($self:expr, $pool:ident => $body:expr) => {
        match $self {
            Storage::Sqlite { reader: $pool, .. } => $body,
            Storage::Postgres($pool) => $body,
        }
    };
}

/// Same for writes (SQLite: the single writer connection).
macro_rules! write_pool {
    ($self:expr, $pool:ident => $body:expr) => {
        match $self {
            Storage::Sqlite { writer: $pool, .. } => $body,
            Storage::Postgres($pool) => $body,
        }
    };
}

/// A tenant as the server needs it in memory (hashes only, never tokens).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantRow {
    pub id: String,
    pub name: String,
    pub ingress_hash: String,
    pub device_hash: String,
    pub verify_hash: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSummary {
    pub id: String,
    pub name: String,
    pub last_seq: i64,
    pub acked_seq: i64,
    pub dropped_total: i64,
    /// Stored events not yet acknowledged (what `/v1/status` and `/metrics` report).
    pub backlog: i64,
    pub created_at_ms: i64,
}

/// An event about to be stored (the seq is assigned at commit).
#[derive(Debug, Clone)]
pub struct NewEvent {
    pub tenant_id: String,
    pub event_id: String,
    pub provider: Provider,
    pub received_at_ms: i64,
    pub method: String,
    pub public_url: String,
    pub headers: Vec<Header>,
    pub body: Vec<u8>,
}

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

impl NewEvent {
    /// About what this event holds in memory while it waits for its commit.
    pub fn queued_size(&self) -> usize {
        self.body.len()
            + self.public_url.len()
            + self
                .headers
                .iter()
                .map(|h| h.name.len() + h.value.len())
                .sum::<usize>()
            + 256
    }
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

/// What a batch commit changed, for notifications and metrics.
#[derive(Debug, Default)]
pub struct BatchOutcome {
    /// The seq of each event, in input order; `None` when its tenant no longer exists (deleted
    /// since the server's tenant index was refreshed): that event was not stored.
    pub seqs: Vec<Option<i64>>,
    /// (tenant id, its new last_seq).
    pub tenants: Vec<(String, i64)>,
    /// Unacknowledged events dropped because a tenant reached its cap.
    pub dropped: u64,
}

#[derive(Debug, Default, Clone, Copy)]
pub struct PruneOutcome {
    pub acked_pruned: u64,
    pub unacked_expired: u64,
}

pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

impl Storage {
    /// Opens (creating if needed) and migrates the database, with PostgreSQL's default statement
    /// timeout (15 s).
    pub async fn open(url: &str) -> Result<Storage, StorageError> {
        Storage::open_with(url, Duration::from_secs(15)).await
    }

    /// Opens and migrates the database. On PostgreSQL every connection gets `statement_timeout`
    /// (zero: none), so a stuck statement fails its request instead of holding locks forever.
    pub async fn open_with(
        url: &str,
        statement_timeout: Duration,
    ) -> Result<Storage, StorageError> {
        if is_postgres_url(url) {
            let opts = PgConnectOptions::from_str(url)?.options([(
                "statement_timeout",
                format!("{}ms", statement_timeout.as_millis()),
            )]);
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            sqlx::migrate!("./migrations/postgres").run(&pool).await?;
            Ok(Storage::Postgres(pool))
        } else if url.starts_with("sqlite:") {
            let opts = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(5));
            let writer = SqlitePoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.clone())
                .await?;
            sqlx::migrate!("./migrations/sqlite").run(&writer).await?;
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts.read_only(true))
                .await?;
            Ok(Storage::Sqlite { writer, reader })
        } else {
            Err(StorageError::UnsupportedUrl)
        }
    }

    pub fn is_postgres(&self) -> bool {
        matches!(self, Storage::Postgres(_))
    }

    pub async fn close(&self) {
        match self {
            Storage::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Storage::Postgres(pool) => pool.close().await,
        }
    }

    pub async fn ping(&self) -> Result<(), StorageError> {
        read_pool!(self, pool => { sqlx::query("SELECT 1").execute(pool).await?; });
        Ok(())
    }

    // ---- tenants ----

    pub async fn create_tenant(&self, t: &TenantRow, now_ms: i64) -> Result<(), StorageError> {
        let res = write_pool!(self, pool => sqlx::query(
            "INSERT INTO tenants (id, name, ingress_hash, device_hash, verify_hash, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (name) DO NOTHING",
        )
        .bind(&t.id)
        .bind(&t.name)
        .bind(&t.ingress_hash)
        .bind(&t.device_hash)
        .bind(&t.verify_hash)
        .bind(now_ms)
        .execute(pool)
        .await?
        .rows_affected());
        if res == 0 {
            return Err(StorageError::TenantExists(t.name.clone()));
        }
        Ok(())
    }

    pub async fn tenants(&self) -> Result<Vec<TenantRow>, StorageError> {
        let rows = read_pool!(self, pool => sqlx::query(
            "SELECT id, name, ingress_hash, device_hash, verify_hash FROM tenants ORDER BY name",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| -> Result<TenantRow, sqlx::Error> {
            Ok(TenantRow {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                ingress_hash: r.try_get("ingress_hash")?,
                device_hash: r.try_get("device_hash")?,
                verify_hash: r.try_get("verify_hash")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    pub async fn tenant_summaries(&self) -> Result<Vec<TenantSummary>, StorageError> {
        let rows = read_pool!(self, pool => sqlx::query(
            "SELECT t.id, t.name, t.last_seq, t.acked_seq, t.dropped_total, t.created_at,
                    (SELECT COUNT(*) FROM events e WHERE e.tenant_id = t.id AND e.seq > t.acked_seq) AS backlog
             FROM tenants t ORDER BY t.name",
        )
        .fetch_all(pool)
        .await?
        .into_iter()
        .map(|r| -> Result<TenantSummary, sqlx::Error> {
            Ok(TenantSummary {
                id: r.try_get("id")?,
                name: r.try_get("name")?,
                last_seq: r.try_get("last_seq")?,
                acked_seq: r.try_get("acked_seq")?,
                dropped_total: r.try_get("dropped_total")?,
                backlog: r.try_get("backlog")?,
                created_at_ms: r.try_get("created_at")?,
            })
        })
        .collect::<Result<Vec<_>, _>>()?);
        Ok(rows)
    }

    /// Replaces one token hash (`column` is one of the three hash columns).
    pub async fn set_tenant_hash(
        &self,
        name: &str,
        column: HashColumn,
        hash: &str,
    ) -> Result<(), StorageError> {
        let sql = format!(
            "UPDATE tenants SET {} = $1 WHERE name = $2",
            column.as_str()
        );
        let n = write_pool!(self, pool => sqlx::query(&sql).bind(hash).bind(name).execute(pool).await?.rows_affected());
        if n == 0 {
            return Err(StorageError::NoSuchTenant(name.to_owned()));
        }
        Ok(())
    }

    /// Deletes a tenant and all its events.
    pub async fn delete_tenant(&self, name: &str) -> Result<(), StorageError> {
        let n = write_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            sqlx::query("DELETE FROM events WHERE tenant_id IN (SELECT id FROM tenants WHERE name = $1)")
                .bind(name)
                .execute(&mut *tx)
                .await?;
            let n = sqlx::query("DELETE FROM tenants WHERE name = $1")
                .bind(name)
                .execute(&mut *tx)
                .await?
                .rows_affected();
            tx.commit().await?;
            n
        });
        if n == 0 {
            return Err(StorageError::NoSuchTenant(name.to_owned()));
        }
        Ok(())
    }

    // ---- events ----

    /// Stores a batch of events in ONE transaction (group commit): one durable commit for all.
    /// Tenants are locked in id order so two relay instances cannot deadlock. Enforces the
    /// per-tenant cap by dropping the oldest events.
    pub async fn insert_batch(
        &self,
        events: &[NewEvent],
        max_events_per_tenant: i64,
    ) -> Result<BatchOutcome, StorageError> {
        // Group by tenant, keeping input order within each tenant.
        let mut order: Vec<usize> = (0..events.len()).collect();
        order.sort_by(|&a, &b| {
            events[a]
                .tenant_id
                .cmp(&events[b].tenant_id)
                .then(a.cmp(&b))
        });
        let headers_json: Vec<String> = events
            .iter()
            .map(|e| serde_json::to_string(&e.headers))
            .collect::<Result<_, _>>()?;
        let is_pg = self.is_postgres();
        let mut outcome = BatchOutcome {
            seqs: vec![None; events.len()],
            ..Default::default()
        };
        write_pool!(self, pool => {
            let mut tx = pool.begin().await?;
            let mut i = 0;
            while i < order.len() {
                let tenant = &events[order[i]].tenant_id;
                let mut j = i;
                while j < order.len() && &events[order[j]].tenant_id == tenant {
                    j += 1;
                }
                let n = (j - i) as i64;
                let last: Option<i64> = sqlx::query_scalar(
                    "UPDATE tenants SET last_seq = last_seq + $1 WHERE id = $2 RETURNING last_seq",
                )
                .bind(n)
                .bind(tenant)
                .fetch_optional(&mut *tx)
                .await?;
                let Some(last) = last else {
                    // Deleted tenant: skip its events, store the others.
                    i = j;
                    continue;
                };
                let first = last - n + 1;
                for (k, chunk) in order[i..j].chunks(100).enumerate() {
                    let mut qb = sqlx::QueryBuilder::new(
                        "INSERT INTO events (tenant_id, seq, event_id, provider, received_at, method, public_url, headers, body) ",
                    );
                    qb.push_values(chunk.iter().enumerate(), |mut row, (m, &idx)| {
                        let e = &events[idx];
                        let seq = first + (k * 100 + m) as i64;
                        row.push_bind(&e.tenant_id)
                            .push_bind(seq)
                            .push_bind(&e.event_id)
                            .push_bind(e.provider.as_str())
                            .push_bind(e.received_at_ms)
                            .push_bind(&e.method)
                            .push_bind(&e.public_url)
                            .push_bind(&headers_json[idx])
                            .push_bind(&e.body);
                    });
                    qb.build().execute(&mut *tx).await?;
                }
                for (m, &idx) in order[i..j].iter().enumerate() {
                    outcome.seqs[idx] = Some(first + m as i64);
                }
                // Per-tenant cap: seqs are contiguous and only prefixes are ever deleted, so the
                // stored count is last - min + 1.
                let min: Option<i64> = sqlx::query_scalar("SELECT MIN(seq) FROM events WHERE tenant_id = $1")
                    .bind(tenant)
                    .fetch_one(&mut *tx)
                    .await?;
                if let Some(min) = min {
                    if last - min + 1 > max_events_per_tenant {
                        let cut = last - max_events_per_tenant;
                        let dropped = sqlx::query(
                            "DELETE FROM events WHERE tenant_id = $1 AND seq <= $2 AND acked_at IS NULL",
                        )
                        .bind(tenant)
                        .bind(cut)
                        .execute(&mut *tx)
                        .await?
                        .rows_affected();
                        sqlx::query("DELETE FROM events WHERE tenant_id = $1 AND seq <= $2")
                            .bind(tenant)
                            .bind(cut)
                            .execute(&mut *tx)
                            .await?;
                        if dropped > 0 {
                            sqlx::query("UPDATE tenants SET dropped_total = dropped_total + $1 WHERE id = $2")
                                .bind(dropped as i64)
                                .bind(tenant)
                                .execute(&mut *tx)
                                .await?;
                            outcome.dropped += dropped;
                        }
                    }
                }
                if is_pg {
                    sqlx::query("SELECT pg_notify($1, $2)")
                        .bind(PG_NOTIFY_CHANNEL)
                        .bind(tenant)
                        .execute(&mut *tx)
                        .await?;
                }
                outcome.tenants.push((tenant.clone(), last));
                i = j;
            }
            tx.commit().await?;
        });
        Ok(outcome)
    }

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

    /// Retention: acknowledged events older than `acked_cutoff_ms` (by ack time) are deleted;
    /// unacknowledged events received before `unacked_cutoff_ms` are dropped and counted.
    ///
    /// Lock order is the one of insert and ack: one tenant at a time in id order, its tenant row
    /// first, then its events. (Deleting events first and updating the tenants after could
    /// deadlock against a group commit holding a tenant row and trimming that tenant's events.)
    pub async fn prune(
        &self,
        acked_cutoff_ms: i64,
        unacked_cutoff_ms: i64,
    ) -> Result<PruneOutcome, StorageError> {
        let tenants: Vec<String> = read_pool!(self, pool => sqlx::query_scalar(
            "SELECT id FROM tenants ORDER BY id",
        )
        .fetch_all(pool)
        .await?);
        let mut out = PruneOutcome::default();
        for tenant in tenants {
            write_pool!(self, pool => {
                let mut tx = pool.begin().await?;
                // Lock the tenant row first (a no-op update locks it on both backends).
                let exists = sqlx::query("UPDATE tenants SET last_seq = last_seq WHERE id = $1")
                    .bind(&tenant)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if exists == 0 {
                    continue;
                }
                out.acked_pruned += sqlx::query(
                    "DELETE FROM events WHERE tenant_id = $1 AND acked_at IS NOT NULL AND acked_at < $2",
                )
                .bind(&tenant)
                .bind(acked_cutoff_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                // Count what this DELETE removed (not a prior SELECT), so two relay instances
                // pruning at once never count an event twice.
                let expired = sqlx::query(
                    "DELETE FROM events WHERE tenant_id = $1 AND received_at < $2 AND acked_at IS NULL",
                )
                .bind(&tenant)
                .bind(unacked_cutoff_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if expired > 0 {
                    sqlx::query("UPDATE tenants SET dropped_total = dropped_total + $1 WHERE id = $2")
                        .bind(expired as i64)
                        .bind(&tenant)
                        .execute(&mut *tx)
                        .await?;
                    out.unacked_expired += expired;
                }
                // Acknowledged events past the unacked retention go too (whatever their ack time).
                out.acked_pruned += sqlx::query(
                    "DELETE FROM events WHERE tenant_id = $1 AND received_at < $2",
                )
                .bind(&tenant)
                .bind(unacked_cutoff_ms)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                tx.commit().await?;
            });
        }
        Ok(out)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HashColumn {
    Ingress,
    Device,
    Verify,
}

impl HashColumn {
    fn as_str(self) -> &'static str {
        match self {
            HashColumn::Ingress => "ingress_hash",
            HashColumn::Device => "device_hash",
            HashColumn::Verify => "verify_hash",
        }
    }
}
