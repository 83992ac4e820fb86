//! Throughput (per number, 130429) and pair rate (per recipient, 131056) as token buckets.

use std::time::Instant;

use serde::{Deserialize, Serialize};

/// Configurable limits. Meta: 80 messages/s per number; about 1 message per 6 s to the same
/// recipient with bursts up to 45.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct RateLimits {
    pub throughput_per_sec: f64,
    pub pair_burst: f64,
    pub pair_refill_secs: f64,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            throughput_per_sec: 80.0,
            pair_burst: 45.0,
            pair_refill_secs: 6.0,
        }
    }
}

/// A token bucket.
#[derive(Debug, Clone)]
pub struct Bucket {
    capacity: f64,
    tokens: f64,
    per_sec: f64,
    last: Instant,
}

impl Bucket {
    pub fn new(capacity: f64, per_sec: f64) -> Self {
        Bucket {
            capacity,
            tokens: capacity,
            per_sec,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn try_take(&mut self) -> bool {
        let now = Instant::now();
        let elapsed = now.duration_since(self.last).as_secs_f64();
        self.last = now;
        self.tokens = (self.tokens + elapsed * self.per_sec).min(self.capacity);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_allows_burst_then_refuses() {
        let mut b = Bucket::new(3.0, 0.001);
        assert!(b.try_take() && b.try_take() && b.try_take());
        assert!(!b.try_take());
    }
}
