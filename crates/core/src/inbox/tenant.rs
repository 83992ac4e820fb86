//! One relay tenant feeds one business. Two businesses given the same device token would each
//! fetch and acknowledge part of the other's events, so each organization records the tenant id
//! the relay reports (`/v1/status`), and a second organization is refused that tenant.

use super::batch::now;
use super::InboxError;
use crate::org::OrgId;
use crate::store::Store;
use mostrador_relay::RelayClient;
use uuid::Uuid;

/// Asks the relay which tenant `client`'s token belongs to and binds `org` to it. Refused with
/// [`InboxError::TenantAlreadyBound`] when another organization is bound to that tenant. Binding
/// an organization to another tenant than before restarts its cursor (a new stream).
pub async fn bind_tenant(
    store: &Store,
    org: OrgId,
    client: &RelayClient,
) -> Result<String, InboxError> {
    let status = client.status().await?;
    if status.tenant_id.is_empty() {
        return Err(InboxError::TenantUnknown);
    }
    record_tenant(store, org, &status.tenant_id).await?;
    Ok(status.tenant_id)
}

/// Binds `org` to relay tenant `tenant_id` (see [`bind_tenant`]).
pub async fn record_tenant(store: &Store, org: OrgId, tenant_id: &str) -> Result<(), InboxError> {
    let org_id = org.to_string();
    let mut tx = store.begin_immediate().await?;
    let other: Option<String> = sqlx::query_scalar(
        "SELECT org_id FROM relay_cursors WHERE relay_tenant_id = ? AND org_id <> ?",
    )
    .bind(tenant_id)
    .bind(&org_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(other) = other {
        let other_org =
            Uuid::parse_str(&other)
                .map(OrgId)
                .map_err(|_| InboxError::InvalidEvent {
                    seq: 0,
                    reason: "relay_cursors holds an invalid organization id".into(),
                })?;
        return Err(InboxError::TenantAlreadyBound {
            tenant_id: tenant_id.to_owned(),
            other_org,
        });
    }
    let now = now();
    sqlx::query(
        "INSERT INTO relay_cursors (org_id, updated_at) VALUES (?, ?) ON CONFLICT (org_id) DO NOTHING",
    )
    .bind(&org_id)
    .bind(&now)
    .execute(&mut *tx)
    .await?;
    // Another tenant than before is another stream: start it from 0 in a new epoch.
    sqlx::query(
        "UPDATE relay_cursors
         SET epoch = epoch + 1, committed_seq = 0, committed_event_id = NULL,
             acked_seq = 0, acked_event_id = NULL
         WHERE org_id = ? AND relay_tenant_id IS NOT NULL AND relay_tenant_id <> ?",
    )
    .bind(&org_id)
    .bind(tenant_id)
    .execute(&mut *tx)
    .await?;
    sqlx::query("UPDATE relay_cursors SET relay_tenant_id = ?, updated_at = ? WHERE org_id = ?")
        .bind(tenant_id)
        .bind(&now)
        .bind(&org_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
