use crate::org::OrgId;
use chrono::{DateTime, Utc};
use serde::Serialize;

/// What the UI shows about an organization's relay connection.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Started, no answer from the relay yet.
    Connecting,
    /// The last poll succeeded.
    Connected {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        since: DateTime<Utc>,
    },
    /// Polls fail since `since`; retrying with backoff. `last_error` never contains a token.
    Reconnecting {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        since: DateTime<Utc>,
        last_error: String,
        attempts: u32,
    },
    /// The relay answered 401: the device token is wrong or was rotated. Retried slowly; the user
    /// must paste the new token.
    RejectedToken {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        since: DateTime<Utc>,
    },
    /// The relay tenant of this token already feeds another business (one tenant, one business):
    /// not polling. The user must give this business its own relay tenant and device token.
    TenantInUse { tenant_id: String, other_org: OrgId },
    /// The loop ended (shutdown).
    Stopped,
}
