//! Tenant rows: creation, listing with counters, token hashes, deletion.

use super::{Storage, StorageError};
use sqlx::Row;

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

impl Storage {
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
}
