//! What the intake noticed that the user must hear about, beside the connection state: holes in
//! the relay's sequence (events it dropped before we fetched them) and events stored quarantined.
//! The loop keeps going in both cases; these stay on record in `relay_gaps` and `inbox_raw`.

use super::InboxError;
use crate::org::OrgId;
use crate::store::Store;
use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::Row as _;

/// Events the relay dropped (tenant cap or unacknowledged retention) before we fetched them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelayGap {
    /// First missing seq.
    pub from_seq: i64,
    /// Last missing seq (inclusive).
    pub to_seq: i64,
    /// The relay's count of dropped unacknowledged events when the gap was seen.
    pub dropped_total: i64,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub detected_at: DateTime<Utc>,
}

/// An event stored quarantined: its body, digest or timestamp could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuarantinedEvent {
    pub seq: i64,
    pub event_id: String,
    /// Why (never contains the body).
    pub reason: String,
}

/// The intake's alerts for the UI (a sibling of [`super::ConnectionState`]): totals since the
/// organization started using the relay, and the latest of each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntakeAlerts {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub gaps: u64,
    pub last_gap: Option<RelayGap>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub quarantined: u64,
    pub last_quarantined: Option<QuarantinedEvent>,
}

impl IntakeAlerts {
    pub fn is_clear(&self) -> bool {
        self.gaps == 0 && self.quarantined == 0
    }
}

/// The alerts on record for an organization.
pub async fn load_alerts(store: &Store, org: OrgId) -> Result<IntakeAlerts, InboxError> {
    let org_id = org.to_string();
    let gaps: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM relay_gaps WHERE org_id = ?")
        .bind(&org_id)
        .fetch_one(store.reader())
        .await?;
    let last_gap = sqlx::query(
        "SELECT from_seq, to_seq, dropped_total, detected_at FROM relay_gaps
         WHERE org_id = ? ORDER BY id DESC LIMIT 1",
    )
    .bind(&org_id)
    .fetch_optional(store.reader())
    .await?
    .map(|r| -> Result<RelayGap, sqlx::Error> {
        let at: String = r.try_get("detected_at")?;
        Ok(RelayGap {
            from_seq: r.try_get("from_seq")?,
            to_seq: r.try_get("to_seq")?,
            dropped_total: r.try_get("dropped_total")?,
            detected_at: DateTime::parse_from_rfc3339(&at)
                .map(|t| t.with_timezone(&Utc))
                .unwrap_or_default(),
        })
    })
    .transpose()?;
    let quarantined: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM inbox_raw WHERE org_id = ? AND status = 'quarantined'",
    )
    .bind(&org_id)
    .fetch_one(store.reader())
    .await?;
    let last_quarantined = sqlx::query(
        "SELECT relay_seq, event_id, status_reason FROM inbox_raw
         WHERE org_id = ? AND status = 'quarantined' ORDER BY fetched_at DESC, relay_seq DESC LIMIT 1",
    )
    .bind(&org_id)
    .fetch_optional(store.reader())
    .await?
    .map(|r| -> Result<QuarantinedEvent, sqlx::Error> {
        Ok(QuarantinedEvent {
            seq: r.try_get("relay_seq")?,
            event_id: r.try_get("event_id")?,
            reason: r
                .try_get::<Option<String>, _>("status_reason")?
                .unwrap_or_default(),
        })
    })
    .transpose()?;
    Ok(IntakeAlerts {
        gaps: gaps as u64,
        last_gap,
        quarantined: quarantined as u64,
        last_quarantined,
    })
}
