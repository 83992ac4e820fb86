//! Circuit breaker per (organization, integration). Pure transitions take `now` (an injected
//! clock); [`super::state::Guards`] persists each transition as a row so a restart keeps it.
//!
//! ```text
//! closed --(failure_threshold consecutive provider-health failures)--> open
//! open   --(open_for elapsed; the claim lets ONE probe through)------> half_open
//! half_open --(probe ok; success_threshold in a row)--> closed
//! half_open --(probe fails)--> open (again for open_for)
//! ```
//! Only provider-health failures count (5xx, timeouts, auth suddenly failing); an answer about
//! one message or recipient (131047, 131026…) proves the provider is up and counts as healthy.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub success_threshold: u32,
    pub open_for: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

impl BreakerState {
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "closed" => Some(BreakerState::Closed),
            "open" => Some(BreakerState::Open),
            "half_open" => Some(BreakerState::HalfOpen),
            _ => None,
        }
    }
}

/// How an attempt looked from the provider-health point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Health {
    /// The provider answered properly (success, or an error about this message only).
    Healthy,
    /// 5xx, timeout, connection failure, auth suddenly failing.
    Unhealthy,
    /// Says nothing about health (rate limited, not configured).
    Neutral,
}

/// What the breaker lets through now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    /// Closed: as many as the rate limits allow.
    All,
    /// Half-open: exactly one probe.
    Probe,
    /// Open (or a probe is already out): nothing until `until` (if known).
    None { until: Option<DateTime<Utc>> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Breaker {
    pub state: BreakerState,
    /// Consecutive provider-health failures while closed.
    pub failures: u32,
    /// Consecutive successful probes while half-open.
    pub successes: u32,
    pub opened_at: Option<DateTime<Utc>>,
    pub open_until: Option<DateTime<Utc>>,
    /// Half-open: a probe is out (kept in memory only; a restart rescues the probe job).
    pub probe_out: bool,
}

impl Default for Breaker {
    fn default() -> Self {
        Breaker {
            state: BreakerState::Closed,
            failures: 0,
            successes: 0,
            opened_at: None,
            open_until: None,
            probe_out: false,
        }
    }
}

/// A state change worth persisting and announcing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub from: BreakerState,
    pub to: BreakerState,
}

fn add(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Breaker {
    /// What may go through now. An open breaker whose time is up becomes half-open here.
    pub fn admission(&mut self, now: DateTime<Utc>) -> (Admission, Option<Transition>) {
        let mut t = None;
        if self.state == BreakerState::Open && self.open_until.is_none_or(|u| now >= u) {
            t = Some(self.go(BreakerState::HalfOpen));
            self.successes = 0;
            self.probe_out = false;
        }
        let a = match self.state {
            BreakerState::Closed => Admission::All,
            BreakerState::HalfOpen if !self.probe_out => Admission::Probe,
            BreakerState::HalfOpen => Admission::None { until: None },
            BreakerState::Open => Admission::None {
                until: self.open_until,
            },
        };
        (a, t)
    }

    /// The half-open probe was claimed.
    pub fn probe_started(&mut self) {
        if self.state == BreakerState::HalfOpen {
            self.probe_out = true;
        }
    }

    /// Records an attempt's outcome; returns the transition, if any.
    pub fn record(
        &mut self,
        health: Health,
        cfg: &BreakerConfig,
        now: DateTime<Utc>,
    ) -> Option<Transition> {
        match (self.state, health) {
            (_, Health::Neutral) => {
                // A probe that was rate limited proved nothing: let another one go.
                self.probe_out = false;
                None
            }
            (BreakerState::Closed, Health::Healthy) => {
                self.failures = 0;
                None
            }
            (BreakerState::Closed, Health::Unhealthy) => {
                self.failures += 1;
                (self.failures >= cfg.failure_threshold).then(|| self.open(cfg, now))
            }
            (BreakerState::HalfOpen, Health::Healthy) => {
                self.probe_out = false;
                self.successes += 1;
                (self.successes >= cfg.success_threshold).then(|| {
                    self.failures = 0;
                    self.successes = 0;
                    self.opened_at = None;
                    self.open_until = None;
                    self.go(BreakerState::Closed)
                })
            }
            (BreakerState::HalfOpen, Health::Unhealthy) => Some(self.open(cfg, now)),
            // Answers of sends that were already out when it opened change nothing.
            (BreakerState::Open, _) => None,
        }
    }

    /// Closes it by hand (the owner resumed sends).
    pub fn reset(&mut self) -> Option<Transition> {
        let from = self.state;
        *self = Breaker::default();
        (from != BreakerState::Closed).then_some(Transition {
            from,
            to: BreakerState::Closed,
        })
    }

    fn open(&mut self, cfg: &BreakerConfig, now: DateTime<Utc>) -> Transition {
        self.opened_at = Some(now);
        self.open_until = Some(add(now, cfg.open_for));
        self.successes = 0;
        self.probe_out = false;
        self.go(BreakerState::Open)
    }

    fn go(&mut self, to: BreakerState) -> Transition {
        let from = self.state;
        self.state = to;
        Transition { from, to }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 5,
            success_threshold: 2,
            open_for: Duration::from_secs(30),
        }
    }

    #[test]
    fn opens_after_threshold_then_half_opens_with_one_probe_then_closes() {
        let c = cfg();
        let t0 = Utc::now();
        let mut b = Breaker::default();
        for _ in 0..4 {
            assert_eq!(b.record(Health::Unhealthy, &c, t0), None);
        }
        // A healthy answer in between resets the count.
        b.record(Health::Healthy, &c, t0);
        for _ in 0..4 {
            assert_eq!(b.record(Health::Unhealthy, &c, t0), None);
        }
        // Per-recipient errors or rate limits never count.
        assert_eq!(b.record(Health::Neutral, &c, t0), None);
        let t = b.record(Health::Unhealthy, &c, t0).unwrap();
        assert_eq!((t.from, t.to), (BreakerState::Closed, BreakerState::Open));
        assert_eq!(
            b.admission(t0 + chrono::Duration::seconds(29)).0,
            Admission::None {
                until: Some(t0 + chrono::Duration::seconds(30))
            }
        );

        let t1 = t0 + chrono::Duration::seconds(30);
        let (a, t) = b.admission(t1);
        assert_eq!(a, Admission::Probe);
        assert_eq!(t.unwrap().to, BreakerState::HalfOpen);
        b.probe_started();
        assert_eq!(b.admission(t1).0, Admission::None { until: None });
        assert_eq!(b.record(Health::Healthy, &c, t1), None);
        assert_eq!(b.admission(t1).0, Admission::Probe);
        b.probe_started();
        let t = b.record(Health::Healthy, &c, t1).unwrap();
        assert_eq!(t.to, BreakerState::Closed);
        assert_eq!(b.admission(t1).0, Admission::All);
    }

    #[test]
    fn a_failed_probe_reopens_for_the_full_period() {
        let c = cfg();
        let t0 = Utc::now();
        let mut b = Breaker::default();
        for _ in 0..5 {
            b.record(Health::Unhealthy, &c, t0);
        }
        let t1 = t0 + chrono::Duration::seconds(31);
        assert_eq!(b.admission(t1).0, Admission::Probe);
        b.probe_started();
        let t = b.record(Health::Unhealthy, &c, t1).unwrap();
        assert_eq!((t.from, t.to), (BreakerState::HalfOpen, BreakerState::Open));
        assert_eq!(b.open_until, Some(t1 + chrono::Duration::seconds(30)));
        assert!(matches!(
            b.admission(t1 + chrono::Duration::seconds(10)).0,
            Admission::None { .. }
        ));
    }

    #[test]
    fn afip_closes_after_one_success() {
        let c = crate::outbound::Integration::Afip.breaker_config();
        let t0 = Utc::now();
        let mut b = Breaker::default();
        for _ in 0..3 {
            b.record(Health::Unhealthy, &c, t0);
        }
        assert_eq!(b.state, BreakerState::Open);
        let t1 = t0 + chrono::Duration::seconds(120);
        assert_eq!(b.admission(t1).0, Admission::Probe);
        b.probe_started();
        assert_eq!(
            b.record(Health::Healthy, &c, t1).unwrap().to,
            BreakerState::Closed
        );
    }
}
