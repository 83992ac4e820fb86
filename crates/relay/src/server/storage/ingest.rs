//! Storing ingested events: one transaction per group commit, seqs assigned under the tenant
//! row lock, the per-tenant cap enforced in the same transaction.

use super::{Storage, StorageError, PG_NOTIFY_CHANNEL};
use crate::protocol::{Header, Provider};

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

impl Storage {
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
}
