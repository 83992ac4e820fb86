//! Per-tenant token bucket for the public ingress. In memory (per relay instance); it resets on
//! restart, which is acceptable for a flood guard.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct RateLimiter {
    /// Tokens per second; 0 disables the limiter.
    rate: f64,
    burst: f64,
    buckets: Arc<Mutex<HashMap<Arc<str>, Bucket>>>,
}

struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    pub fn new(rate_per_sec: f64, burst: u32) -> RateLimiter {
        RateLimiter {
            rate: rate_per_sec.max(0.0),
            burst: f64::from(burst.max(1)),
            buckets: Arc::default(),
        }
    }

    /// `Ok(())` if the request may proceed, else how long until it would.
    pub fn check(&self, tenant: &Arc<str>) -> Result<(), Duration> {
        if self.rate == 0.0 {
            return Ok(());
        }
        let now = Instant::now();
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        let b = buckets.entry(tenant.clone()).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.duration_since(b.at).as_secs_f64();
        b.tokens = (b.tokens + elapsed * self.rate).min(self.burst);
        b.at = now;
        if b.tokens >= 1.0 {
            b.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - b.tokens) / self.rate))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn burst_then_limited() {
        let rl = RateLimiter::new(1.0, 3);
        let t: Arc<str> = Arc::from("t");
        for _ in 0..3 {
            assert!(rl.check(&t).is_ok());
        }
        let wait = rl.check(&t).unwrap_err();
        assert!(wait > Duration::ZERO && wait <= Duration::from_secs(1));
        // Another tenant has its own bucket.
        assert!(rl.check(&Arc::from("u")).is_ok());
        assert!(RateLimiter::new(0.0, 1).check(&t).is_ok());
    }
}
