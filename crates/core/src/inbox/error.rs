use crate::org::OrgId;
use crate::secrets::SecretError;
use crate::settings::SettingsError;
use crate::store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum InboxError {
    #[error("the relay is not configured for this organization (missing {0})")]
    NotConfigured(&'static str),
    #[error(transparent)]
    Relay(#[from] mostrador_relay::ClientError),
    #[error("the relay sent an invalid event (seq {seq}): {reason}")]
    InvalidEvent { seq: i64, reason: String },
    /// The cursor was reset (the relay's stream changed) while this batch was in flight: nothing
    /// was stored; the loop polls again from the new position.
    #[error(
        "the relay cursor moved to epoch {current} while a batch of epoch {epoch} was in flight"
    )]
    StaleEpoch { epoch: i64, current: i64 },
    /// Another business already receives this relay tenant's events. One tenant feeds one
    /// business: create a tenant for this business on the relay (`mostrador-relay tenant create`)
    /// and use its device token.
    #[error("relay tenant {tenant_id} already belongs to business {other_org}; create a separate relay tenant for this business and use its device token")]
    TenantAlreadyBound { tenant_id: String, other_org: OrgId },
    /// The relay does not report its tenant id (a relay older than protocol v1.1): update it.
    #[error("the relay does not report its tenant id; update the relay server")]
    TenantUnknown,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error(transparent)]
    Secret(#[from] SecretError),
}

impl From<sqlx::Error> for InboxError {
    fn from(e: sqlx::Error) -> Self {
        InboxError::Store(StoreError::Sqlx(e))
    }
}
