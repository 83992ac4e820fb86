//! Rate limits asked BEFORE claiming (design §5): per (organization, channel) — 50 a minute by
//! default — and per WhatsApp number (Meta's 80 messages/s), so the dispatcher claims at most what
//! may go out now and never holds a lease while it waits. The per-recipient pair rate (131056)
//! needs the recipient, which only the payload knows: the handler asks it after the claim and
//! snoozes the job (lease released at once, no attempt burnt) when it says "not yet".
//!
//! GCRA limiters from `governor`, keyed. They live in memory: a restart starts with full buckets,
//! so up to one burst more may go out right after a restart; the provider's own throttle answers
//! (130429 with `Retry-After`) then pause the lane via [`RateLimits::throttle`].

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use governor::clock::{Clock as _, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use super::integration::Integration;
use crate::org::OrgId;

/// The limits. Defaults are the seeds' and Meta's.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateConfig {
    /// Sends per minute per (organization, channel).
    pub per_org_per_minute: u32,
    /// Sends per second per WhatsApp number (one number per organization).
    pub per_number_per_second: u32,
    /// Pair rate: burst to one recipient…
    pub pair_burst: u32,
    /// …then one every this long.
    pub pair_every: Duration,
}

impl Default for RateConfig {
    fn default() -> Self {
        RateConfig {
            per_org_per_minute: 50,
            per_number_per_second: 80,
            pair_burst: 45,
            pair_every: Duration::from_secs(6),
        }
    }
}

impl RateConfig {
    /// Limits high enough never to bind (benchmarks, the crash storm).
    pub fn unlimited() -> Self {
        RateConfig {
            per_org_per_minute: 10_000_000,
            per_number_per_second: 1_000_000,
            pair_burst: 1_000_000,
            pair_every: Duration::from_micros(1),
        }
    }
}

type Lane = (OrgId, Integration);

fn nz(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).expect("max(1)")
}

pub struct RateLimits {
    cfg: RateConfig,
    org: DefaultKeyedRateLimiter<Lane>,
    number: DefaultKeyedRateLimiter<Lane>,
    pair: DefaultKeyedRateLimiter<(OrgId, String)>,
    /// The provider said "slow down" for the whole lane until then.
    throttled: Mutex<HashMap<Lane, Instant>>,
}

/// What the limiter allows now for one lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Allowance {
    pub n: u32,
    /// When 0 (or fewer than wanted) were allowed: when to ask again.
    pub retry_in: Option<Duration>,
}

impl RateLimits {
    pub fn new(cfg: RateConfig) -> Self {
        let per_min = Quota::per_minute(nz(cfg.per_org_per_minute));
        let per_sec = Quota::per_second(nz(cfg.per_number_per_second));
        let pair = Quota::with_period(cfg.pair_every)
            .unwrap_or(Quota::per_second(nz(1)))
            .allow_burst(nz(cfg.pair_burst));
        RateLimits {
            cfg,
            org: RateLimiter::dashmap(per_min),
            number: RateLimiter::dashmap(per_sec),
            pair: RateLimiter::dashmap(pair),
            throttled: Mutex::new(HashMap::new()),
        }
    }

    pub fn config(&self) -> &RateConfig {
        &self.cfg
    }

    /// Takes up to `want` sends for `(org, integration)` and says how many were granted. Granted
    /// sends are spent: claim at most that many. (GCRA cannot give a cell back: a grant not used
    /// by the claim is lost, which only ever errs on the slow side.)
    pub fn take(&self, org: OrgId, i: Integration, want: u32) -> Allowance {
        let lane = (org, i);
        let now = Instant::now();
        if let Some(until) = self.throttled.lock().unwrap().get(&lane).copied() {
            if until > now {
                return Allowance {
                    n: 0,
                    retry_in: Some(until - now),
                };
            }
        }
        let clock = DefaultClock::default();
        let mut n = 0;
        let mut retry_in = None;
        while n < want {
            // The per-second bucket first: a cell wasted there refills in milliseconds.
            if i == Integration::WhatsApp {
                if let Err(not_until) = self.number.check_key(&lane) {
                    retry_in = Some(not_until.wait_time_from(clock.now()));
                    break;
                }
            }
            if let Err(not_until) = self.org.check_key(&lane) {
                retry_in = Some(not_until.wait_time_from(clock.now()));
                break;
            }
            n += 1;
        }
        Allowance { n, retry_in }
    }

    /// One send to `recipient`: `Ok` or how long to wait (WhatsApp's pair rate, 131056).
    pub fn take_recipient(&self, org: OrgId, recipient: &str) -> Result<(), Duration> {
        let clock = DefaultClock::default();
        self.pair
            .check_key(&(org, recipient.to_owned()))
            .map_err(|n| n.wait_time_from(clock.now()))
    }

    /// The provider asked the whole lane to wait (130429 / 80007 with a hint).
    pub fn throttle(&self, org: OrgId, i: Integration, for_: Duration) {
        let until = Instant::now() + for_;
        let mut t = self.throttled.lock().unwrap();
        let e = t.entry((org, i)).or_insert(until);
        if *e < until {
            *e = until;
        }
    }

    /// Forgets idle keys (called by the maintenance tick).
    pub fn shrink(&self) {
        self.org.retain_recent();
        self.number.retain_recent();
        self.pair.retain_recent();
        let now = Instant::now();
        self.throttled
            .lock()
            .unwrap()
            .retain(|_, until| *until > now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grants_at_most_the_per_minute_budget_and_says_when_to_come_back() {
        let r = RateLimits::new(RateConfig::default());
        let org = OrgId::new();
        let a = r.take(org, Integration::WhatsApp, 80);
        assert_eq!(a.n, 50);
        let wait = a.retry_in.unwrap();
        // 50/min: one cell every 1.2 s.
        assert!(wait > Duration::from_millis(1000) && wait <= Duration::from_millis(1200));
        assert_eq!(r.take(org, Integration::WhatsApp, 1).n, 0);
        // Another org has its own budget.
        assert_eq!(r.take(OrgId::new(), Integration::WhatsApp, 3).n, 3);
    }

    #[test]
    fn the_number_throughput_binds_when_the_org_budget_is_raised() {
        let r = RateLimits::new(RateConfig {
            per_org_per_minute: 1_000_000,
            per_number_per_second: 80,
            ..RateConfig::default()
        });
        let org = OrgId::new();
        assert_eq!(r.take(org, Integration::WhatsApp, 500).n, 80);
    }

    #[test]
    fn pair_rate_allows_the_burst_then_one_per_period() {
        let r = RateLimits::new(RateConfig {
            pair_burst: 3,
            ..RateConfig::default()
        });
        let org = OrgId::new();
        for _ in 0..3 {
            r.take_recipient(org, "5491100000001").unwrap();
        }
        let wait = r.take_recipient(org, "5491100000001").unwrap_err();
        assert!(wait > Duration::from_secs(5) && wait <= Duration::from_secs(6));
        r.take_recipient(org, "5491100000002").unwrap();
    }

    #[test]
    fn a_provider_throttle_stops_the_lane_until_it_passes() {
        let r = RateLimits::new(RateConfig::unlimited());
        let org = OrgId::new();
        r.throttle(org, Integration::WhatsApp, Duration::from_secs(3));
        let a = r.take(org, Integration::WhatsApp, 10);
        assert_eq!(a.n, 0);
        assert!(a.retry_in.unwrap() > Duration::from_secs(2));
        assert_eq!(r.take(OrgId::new(), Integration::WhatsApp, 10).n, 10);
    }
}
