//! The simulator's injectable clock: real time, optionally frozen or shifted.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, Default)]
pub struct SimClock {
    frozen: Option<DateTime<Utc>>,
    offset: Duration,
}

impl SimClock {
    pub fn now(&self) -> DateTime<Utc> {
        self.frozen.unwrap_or_else(Utc::now) + self.offset
    }

    /// Freezes the clock at `at`.
    pub fn set(&mut self, at: DateTime<Utc>) {
        self.frozen = Some(at);
        self.offset = Duration::zero();
    }

    /// Moves the clock (frozen or not) by `by`.
    pub fn advance(&mut self, by: Duration) {
        self.offset += by;
    }

    /// Back to real time.
    pub fn reset(&mut self) {
        *self = SimClock::default();
    }
}
