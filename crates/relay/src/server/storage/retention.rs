//! Retention: pruning acknowledged events and expiring unacknowledged ones.

use super::{Storage, StorageError};

#[derive(Debug, Default, Clone, Copy)]
pub struct PruneOutcome {
    pub acked_pruned: u64,
    pub unacked_expired: u64,
}

impl Storage {
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
