//! Tenant administration behind `mostrador-relay tenant …`. Tokens are generated here, returned
//! once to be printed, and only their hashes are stored.

use super::storage::{HashColumn, Storage, StorageError, TenantRow, TenantSummary};
use super::tokens;
use crate::protocol::Provider;
use serde::Serialize;
use std::collections::BTreeMap;

/// Everything the operator must copy once: provider URLs, the Meta verify token, the device token.
#[derive(Debug, Clone, Serialize)]
pub struct NewTenantSecrets {
    pub id: String,
    pub name: String,
    /// Provider name → the URL to configure at that provider.
    pub ingress_urls: BTreeMap<String, String>,
    pub meta_verify_token: String,
    pub device_token: String,
}

pub fn ingress_urls(public_base: &str, ingress_token: &str) -> BTreeMap<String, String> {
    Provider::ALL
        .iter()
        .map(|p| {
            (
                p.to_string(),
                format!("{public_base}/in/{ingress_token}/{p}"),
            )
        })
        .collect()
}

pub async fn create(
    storage: &Storage,
    public_base: &str,
    name: &str,
    now_ms: i64,
) -> Result<NewTenantSecrets, StorageError> {
    let ingress = tokens::generate();
    let device = tokens::generate();
    let verify = tokens::generate();
    let row = TenantRow {
        id: uuid::Uuid::new_v4().to_string(),
        name: name.to_owned(),
        ingress_hash: tokens::hash(&ingress),
        device_hash: tokens::hash(&device),
        verify_hash: tokens::hash(&verify),
    };
    storage.create_tenant(&row, now_ms).await?;
    Ok(NewTenantSecrets {
        id: row.id,
        name: row.name,
        ingress_urls: ingress_urls(public_base, &ingress),
        meta_verify_token: verify,
        device_token: device,
    })
}

pub async fn list(storage: &Storage) -> Result<Vec<TenantSummary>, StorageError> {
    storage.tenant_summaries().await
}

/// Which token `rotate-token` replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum TokenKind {
    /// The desktop's bearer token (the old one stops working).
    Device,
    /// The secret part of the provider URLs (reconfigure every provider afterwards).
    Ingress,
    /// The Meta verify token used by the GET handshake.
    Verify,
}

/// Rotated token (and, for `ingress`, the new provider URLs).
#[derive(Debug, Clone, Serialize)]
pub struct RotatedToken {
    pub name: String,
    pub token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ingress_urls: Option<BTreeMap<String, String>>,
}

pub async fn rotate(
    storage: &Storage,
    public_base: &str,
    name: &str,
    kind: TokenKind,
) -> Result<RotatedToken, StorageError> {
    let token = tokens::generate();
    let column = match kind {
        TokenKind::Device => HashColumn::Device,
        TokenKind::Ingress => HashColumn::Ingress,
        TokenKind::Verify => HashColumn::Verify,
    };
    storage
        .set_tenant_hash(name, column, &tokens::hash(&token))
        .await?;
    Ok(RotatedToken {
        name: name.to_owned(),
        ingress_urls: (kind == TokenKind::Ingress).then(|| ingress_urls(public_base, &token)),
        token,
    })
}

pub async fn delete(storage: &Storage, name: &str) -> Result<(), StorageError> {
    storage.delete_tenant(name).await
}
