//! Where "now" comes from: the system clock in the app, a hand-moved clock in tests.

use std::fmt;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, SecondsFormat, Utc};

/// A source of the current time. Every timestamp the queue writes or compares comes from here, so
/// tests can move time instead of sleeping.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    fn now(&self) -> DateTime<Utc>;
}

/// The real clock.
#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that only moves when told to (tests of expiry, retries, pruning, breakers).
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    pub fn new(start: DateTime<Utc>) -> Self {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    pub fn set(&self, now: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = now;
    }

    pub fn advance(&self, by: chrono::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The stored form of a timestamp: RFC 3339 UTC, milliseconds, `Z` — fixed width, so comparing the
/// text compares the times (the claim relies on it).
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

pub(crate) fn parse_ts(column: &'static str, s: &str) -> Result<DateTime<Utc>, crate::QueueError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| crate::QueueError::Decode {
            column,
            detail: format!("{s:?} is not an RFC 3339 timestamp: {e}"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_form_sorts_like_time() {
        let a = DateTime::parse_from_rfc3339("2026-01-02T03:04:05.9Z")
            .unwrap()
            .to_utc();
        let b = a + chrono::Duration::milliseconds(200);
        let c = a + chrono::Duration::days(400);
        assert_eq!(ts(a), "2026-01-02T03:04:05.900Z");
        assert!(ts(a) < ts(b) && ts(b) < ts(c));
        assert_eq!(ts(a).len(), ts(c).len());
        assert_eq!(parse_ts("x", &ts(b)).unwrap(), b);
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let start = Utc::now();
        let c = ManualClock::new(start);
        assert_eq!(c.now(), start);
        c.advance(chrono::Duration::seconds(5));
        assert_eq!(c.now(), start + chrono::Duration::seconds(5));
    }
}
