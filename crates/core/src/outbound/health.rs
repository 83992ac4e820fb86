//! Health per integration for the Estado page: a serializable snapshot built from the guards
//! (breaker, panic mode, latencies, last success/error) and the queue (depth, oldest waiting job).

use chrono::{DateTime, Utc};
use mostrador_queue::{JobState, Queue, QueueError};
use serde::Serialize;

use super::breaker::BreakerState;
use super::guards::Guards;
use super::integration::Integration;
use crate::org::OrgId;

/// How long a waiting job may wait before the integration counts as degraded.
const SLOW_QUEUE_SECS: i64 = 5 * 60;
/// A failure this recent (with no success after it) makes the integration degraded.
const RECENT_ERROR_SECS: i64 = 5 * 60;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum HealthLevel {
    Healthy,
    Degraded,
    Unhealthy,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LastError {
    pub code: String,
    /// What happened and what to do, in Spanish.
    pub message_es: String,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PanicInfo {
    pub reason_code: String,
    /// The red banner's text.
    pub reason_es: String,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub triggered_at: Option<DateTime<Utc>>,
    /// When one probe goes through by itself.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub resume_at: Option<DateTime<Utc>>,
}

/// One card of the Estado page.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct IntegrationHealth {
    pub integration: Integration,
    pub level: HealthLevel,
    /// Recent provider latency (last 256 attempts of this run), milliseconds.
    pub latency_p50_ms: Option<u32>,
    pub latency_p95_ms: Option<u32>,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_error: Option<LastError>,
    pub breaker: BreakerState,
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub breaker_open_until: Option<DateTime<Utc>>,
    pub panic: Option<PanicInfo>,
    /// Jobs waiting to be sent (scheduled, available, retryable) plus running.
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub queue_depth: u64,
    /// Age of the longest-waiting due job, seconds.
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub oldest_waiting_secs: Option<i64>,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub in_doubt: u64,
    /// Discarded jobs (the dead letter).
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub dead_letter: u64,
}

fn percentile(sorted: &[u32], p: usize) -> Option<u32> {
    if sorted.is_empty() {
        return None;
    }
    let idx = ((sorted.len() * p).div_ceil(100)).saturating_sub(1);
    sorted.get(idx.min(sorted.len() - 1)).copied()
}

/// Health of every integration the organization uses (WhatsApp always).
pub async fn health(
    guards: &Guards,
    queue: &Queue,
    org: OrgId,
) -> Result<Vec<IntegrationHealth>, QueueError> {
    let now = guards.now();
    let counts = queue.counts().await?;
    let oldest = queue.oldest_waiting().await?;
    let known = guards.keys().await;
    let mut out = Vec::new();
    for i in Integration::ALL {
        let mine = |lane: &str, o: uuid::Uuid| o == org.0 && lane == i.as_str();
        let count = |states: &[JobState]| -> u64 {
            counts
                .iter()
                .filter(|d| mine(&d.lane, d.org_id) && states.contains(&d.state))
                .map(|d| d.count)
                .sum()
        };
        let depth = count(&[
            JobState::Scheduled,
            JobState::Available,
            JobState::Retryable,
            JobState::Running,
        ]);
        let in_doubt = count(&[JobState::InDoubt]);
        let dead_letter = count(&[JobState::Discarded]);
        let uses = i == Integration::WhatsApp
            || known.contains(&(org, i))
            || counts.iter().any(|d| mine(&d.lane, d.org_id));
        if !uses {
            continue;
        }
        let oldest_waiting_secs = oldest
            .iter()
            .find(|o| mine(&o.lane, o.org_id))
            .map(|o| o.age.num_seconds());
        let e = guards.entry(org, i).await;
        let mut lat: Vec<u32> = e
            .stats
            .latencies
            .iter()
            .map(|d| d.as_millis().min(u32::MAX as u128) as u32)
            .collect();
        lat.sort_unstable();
        let last_error = match (
            &e.stats.last_error_code,
            &e.stats.last_error_es,
            e.stats.last_error_at,
        ) {
            (Some(code), Some(msg), Some(at)) => Some(LastError {
                code: code.clone(),
                message_es: msg.clone(),
                at,
            }),
            _ => None,
        };
        let panic = e.panic.active.then(|| PanicInfo {
            reason_code: e.panic.reason_code.clone().unwrap_or_default(),
            reason_es: e.panic.reason_es.clone().unwrap_or_default(),
            triggered_at: e.panic.triggered_at,
            resume_at: e.panic.resume_at,
        });
        let recent_error = e.stats.last_error_at.is_some_and(|err| {
            (now - err).num_seconds() < RECENT_ERROR_SECS
                && e.stats.last_success_at.is_none_or(|ok| ok < err)
        });
        let level = if panic.is_some() || e.breaker.state == BreakerState::Open {
            HealthLevel::Unhealthy
        } else if e.breaker.state == BreakerState::HalfOpen
            || e.breaker.failures > 0
            || recent_error
            || oldest_waiting_secs.is_some_and(|s| s > SLOW_QUEUE_SECS)
        {
            HealthLevel::Degraded
        } else {
            HealthLevel::Healthy
        };
        out.push(IntegrationHealth {
            integration: i,
            level,
            latency_p50_ms: percentile(&lat, 50),
            latency_p95_ms: percentile(&lat, 95),
            last_success_at: e.stats.last_success_at,
            last_error,
            breaker: e.breaker.state,
            breaker_open_until: (e.breaker.state == BreakerState::Open)
                .then_some(e.breaker.open_until)
                .flatten(),
            panic,
            queue_depth: depth,
            oldest_waiting_secs,
            in_doubt,
            dead_letter,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::percentile;

    #[test]
    fn percentiles_of_small_samples() {
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(percentile(&[7], 95), Some(7));
        let v: Vec<u32> = (1..=100).collect();
        assert_eq!(percentile(&v, 50), Some(50));
        assert_eq!(percentile(&v, 95), Some(95));
    }
}
