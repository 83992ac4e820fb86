//! In-memory index of tenants by token hash, refreshed from storage periodically. Ingress and
//! device-token checks use it, so an unknown ingress token is answered 404 without touching
//! storage. Tenants created, rotated or deleted with the CLI take effect within one refresh interval.

use super::storage::{Storage, StorageError, TenantRow};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

#[derive(Debug, Clone)]
pub struct Tenant {
    pub id: Arc<str>,
    pub verify_hash: String,
}

#[derive(Default)]
struct Index {
    by_ingress: HashMap<String, Tenant>,
    by_device: HashMap<String, Tenant>,
}

#[derive(Clone, Default)]
pub struct TenantIndex {
    inner: Arc<RwLock<Index>>,
}

impl TenantIndex {
    pub async fn refresh(&self, storage: &Storage) -> Result<usize, StorageError> {
        let rows = storage.tenants().await?;
        let n = rows.len();
        self.replace(rows);
        Ok(n)
    }

    fn replace(&self, rows: Vec<TenantRow>) {
        let mut index = Index::default();
        for r in rows {
            let t = Tenant {
                id: Arc::from(r.id.as_str()),
                verify_hash: r.verify_hash,
            };
            index.by_ingress.insert(r.ingress_hash, t.clone());
            index.by_device.insert(r.device_hash, t);
        }
        *self.inner.write().unwrap_or_else(|e| e.into_inner()) = index;
    }

    /// Looks a tenant up by the SHA-256 of its ingress token.
    pub fn by_ingress_hash(&self, hash: &str) -> Option<Tenant> {
        let index = self.inner.read().unwrap_or_else(|e| e.into_inner());
        index.by_ingress.get(hash).cloned()
    }

    pub fn by_device_hash(&self, hash: &str) -> Option<Tenant> {
        let index = self.inner.read().unwrap_or_else(|e| e.into_inner());
        index.by_device.get(hash).cloned()
    }
}
