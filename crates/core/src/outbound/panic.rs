//! Panic mode per (organization, integration): every send of that integration stops until the
//! provider looks healthy again or the owner resumes. Pure transitions take `now`;
//! [`super::state::Guards`] persists the row and appends every trigger and resolution, with its
//! reason, to the history table.
//!
//! Triggers: a failure rate above `failure_rate` over `window` with at least `min_sample`
//! attempts; `rate_limit_repeats` rate-limit answers within `window`; at once on auth failures
//! and account blocks. After `timeout` ONE probe goes through: success resolves it, failure
//! re-arms the timeout.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::breaker::{Admission, Health};
use super::failure::{Failure, PanicSignal};
use super::integration::Integration;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PanicConfig {
    pub failure_rate: f64,
    pub window: Duration,
    pub min_sample: u32,
    pub rate_limit_repeats: u32,
    pub timeout: Duration,
}

impl Default for PanicConfig {
    fn default() -> Self {
        PanicConfig {
            failure_rate: 0.30,
            window: Duration::from_secs(5 * 60),
            min_sample: 10,
            rate_limit_repeats: 10,
            timeout: Duration::from_secs(60 * 60),
        }
    }
}

/// Who resolved it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    /// The probe after the timeout succeeded.
    Auto,
    /// The owner pressed "Reanudar envíos" (or saved a missing token).
    Owner,
}

impl Actor {
    pub fn as_str(self) -> &'static str {
        match self {
            Actor::Auto => "auto",
            Actor::Owner => "owner",
        }
    }
}

/// A change to persist (row + history) and announce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PanicEvent {
    Triggered {
        code: String,
        reason_es: String,
    },
    /// The probe after the timeout failed: paused again for the full timeout.
    ProbeFailed {
        code: String,
        reason_es: String,
    },
    Resolved {
        by: Actor,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sample {
    Ok,
    Failed,
    RateLimited,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Panic {
    pub active: bool,
    pub reason_code: Option<String>,
    pub reason_es: Option<String>,
    pub triggered_at: Option<DateTime<Utc>>,
    pub resume_at: Option<DateTime<Utc>>,
    /// A probe is out (memory only: a restart rescues the probe job and another goes).
    pub probe_out: bool,
    window: VecDeque<(DateTime<Utc>, Sample)>,
}

fn add(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Panic {
    /// A row read back from the database.
    pub fn restored(
        reason_code: Option<String>,
        reason_es: Option<String>,
        triggered_at: Option<DateTime<Utc>>,
        resume_at: Option<DateTime<Utc>>,
    ) -> Self {
        Panic {
            active: true,
            reason_code,
            reason_es,
            triggered_at,
            resume_at,
            ..Default::default()
        }
    }

    pub fn admission(&self, now: DateTime<Utc>) -> Admission {
        if !self.active {
            Admission::All
        } else if self.resume_at.is_some_and(|r| now >= r) && !self.probe_out {
            Admission::Probe
        } else {
            Admission::None {
                until: self.resume_at,
            }
        }
    }

    pub fn probe_started(&mut self) {
        if self.active {
            self.probe_out = true;
        }
    }

    /// Records one attempt's outcome (`failure` is `None` on success).
    pub fn record(
        &mut self,
        integration: Integration,
        health: Health,
        failure: Option<&Failure>,
        cfg: &PanicConfig,
        now: DateTime<Utc>,
    ) -> Option<PanicEvent> {
        let rate_limited = failure.is_some_and(|f| f.panic == Some(PanicSignal::RateLimit));
        let sample = if rate_limited {
            Some(Sample::RateLimited)
        } else {
            match health {
                Health::Healthy => Some(Sample::Ok),
                Health::Unhealthy => Some(Sample::Failed),
                Health::Neutral => None,
            }
        };
        if let Some(s) = sample {
            self.window.push_back((now, s));
        }
        let horizon = now - chrono::Duration::from_std(cfg.window).unwrap_or_default();
        while self.window.front().is_some_and(|(at, _)| *at < horizon) {
            self.window.pop_front();
        }

        let immediate = failure.filter(|f| f.panic == Some(PanicSignal::Immediate));
        if self.active {
            if !self.probe_out {
                // Answers of sends that were already out when it triggered change nothing.
                return None;
            }
            self.probe_out = false;
            return match (immediate, health) {
                (Some(f), _) => Some(self.rearm(&f.code, &f.message_es, cfg, now)),
                (None, Health::Unhealthy) => {
                    let f = failure.expect("unhealthy means failed");
                    Some(self.rearm(&f.code, &f.message_es, cfg, now))
                }
                (None, Health::Healthy) if !rate_limited => {
                    self.clear();
                    Some(PanicEvent::Resolved { by: Actor::Auto })
                }
                // Rate limited or not configured: proves nothing, another probe may go.
                _ => None,
            };
        }

        if let Some(f) = immediate {
            return Some(self.trigger(&f.code, &f.message_es, cfg, now));
        }
        let minutes = cfg.window.as_secs().div_ceil(60);
        let limited = self
            .window
            .iter()
            .filter(|(_, s)| *s == Sample::RateLimited)
            .count() as u32;
        if rate_limited && limited >= cfg.rate_limit_repeats {
            let es = format!(
                "{} está limitando los envíos ({limited} avisos de límite en {minutes} min): se pausaron.",
                integration.display_es()
            );
            return Some(self.trigger("rate_limited", &es, cfg, now));
        }
        let total = self
            .window
            .iter()
            .filter(|(_, s)| *s != Sample::RateLimited)
            .count() as u32;
        let failed = self
            .window
            .iter()
            .filter(|(_, s)| *s == Sample::Failed)
            .count() as u32;
        if health == Health::Unhealthy
            && total >= cfg.min_sample
            && f64::from(failed) > cfg.failure_rate * f64::from(total)
        {
            let es = format!(
                "Fallaron {failed} de los últimos {total} envíos a {} ({} %) en {minutes} min: se pausaron.",
                integration.display_es(),
                failed * 100 / total
            );
            return Some(self.trigger("failure_rate", &es, cfg, now));
        }
        None
    }

    /// Triggers by hand or for a reason found outside an attempt (a missing token).
    pub fn trigger(
        &mut self,
        code: &str,
        reason_es: &str,
        cfg: &PanicConfig,
        now: DateTime<Utc>,
    ) -> PanicEvent {
        self.active = true;
        self.reason_code = Some(code.to_owned());
        self.reason_es = Some(reason_es.to_owned());
        self.triggered_at = Some(now);
        self.resume_at = Some(add(now, cfg.timeout));
        self.probe_out = false;
        PanicEvent::Triggered {
            code: code.to_owned(),
            reason_es: reason_es.to_owned(),
        }
    }

    /// The owner resumed sends.
    pub fn resolve_by_owner(&mut self) -> Option<PanicEvent> {
        if !self.active {
            return None;
        }
        self.clear();
        Some(PanicEvent::Resolved { by: Actor::Owner })
    }

    fn rearm(
        &mut self,
        code: &str,
        reason_es: &str,
        cfg: &PanicConfig,
        now: DateTime<Utc>,
    ) -> PanicEvent {
        self.reason_code = Some(code.to_owned());
        self.reason_es = Some(reason_es.to_owned());
        self.resume_at = Some(add(now, cfg.timeout));
        self.probe_out = false;
        PanicEvent::ProbeFailed {
            code: code.to_owned(),
            reason_es: reason_es.to_owned(),
        }
    }

    fn clear(&mut self) {
        *self = Panic::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::failure::{FailureKind, RateScope};

    fn cfg() -> PanicConfig {
        PanicConfig {
            failure_rate: 0.30,
            window: Duration::from_secs(300),
            min_sample: 10,
            rate_limit_repeats: 3,
            timeout: Duration::from_secs(3600),
        }
    }

    fn server_error() -> Failure {
        let mut f = Failure::new(FailureKind::Transient, "http_503", "WhatsApp falló");
        f.provider_health = true;
        f
    }

    #[test]
    fn failure_rate_needs_a_minimum_sample_then_triggers_above_30_percent() {
        let c = cfg();
        let t0 = Utc::now();
        let mut p = Panic::default();
        let w = Integration::WhatsApp;
        // 3 failures alone: below the minimum sample.
        for _ in 0..3 {
            assert_eq!(
                p.record(w, Health::Unhealthy, Some(&server_error()), &c, t0),
                None
            );
        }
        for _ in 0..7 {
            assert_eq!(p.record(w, Health::Healthy, None, &c, t0), None);
        }
        // 3 of 10 = 30 %: not above.
        assert!(!p.active);
        let e = p
            .record(w, Health::Unhealthy, Some(&server_error()), &c, t0)
            .unwrap();
        assert!(matches!(e, PanicEvent::Triggered { ref code, .. } if code == "failure_rate"));
        assert!(p
            .reason_es
            .as_deref()
            .unwrap()
            .contains("4 de los últimos 11"));
        assert!(matches!(p.admission(t0), Admission::None { .. }));
    }

    #[test]
    fn old_samples_leave_the_window() {
        let c = cfg();
        let t0 = Utc::now();
        let mut p = Panic::default();
        let w = Integration::WhatsApp;
        for _ in 0..9 {
            p.record(w, Health::Unhealthy, Some(&server_error()), &c, t0);
        }
        let later = t0 + chrono::Duration::seconds(301);
        assert_eq!(
            p.record(w, Health::Unhealthy, Some(&server_error()), &c, later),
            None
        );
        assert!(!p.active);
    }

    #[test]
    fn auth_triggers_at_once_and_repeated_rate_limits_trigger() {
        let c = cfg();
        let t0 = Utc::now();
        let w = Integration::WhatsApp;
        let mut auth = Failure::new(FailureKind::PausesIntegration, "190", "token vencido");
        auth.panic = Some(PanicSignal::Immediate);
        let mut p = Panic::default();
        assert!(matches!(
            p.record(w, Health::Unhealthy, Some(&auth), &c, t0),
            Some(PanicEvent::Triggered { ref code, .. }) if code == "190"
        ));

        let mut limited = Failure::new(
            FailureKind::RateLimited(RateScope::Integration),
            "130429",
            "límite",
        );
        limited.panic = Some(PanicSignal::RateLimit);
        let mut p = Panic::default();
        assert_eq!(p.record(w, Health::Neutral, Some(&limited), &c, t0), None);
        assert_eq!(p.record(w, Health::Neutral, Some(&limited), &c, t0), None);
        assert!(matches!(
            p.record(w, Health::Neutral, Some(&limited), &c, t0),
            Some(PanicEvent::Triggered { ref code, .. }) if code == "rate_limited"
        ));
    }

    #[test]
    fn after_the_timeout_one_probe_resolves_or_rearms() {
        let c = cfg();
        let t0 = Utc::now();
        let w = Integration::WhatsApp;
        let mut p = Panic::default();
        p.trigger("190", "token", &c, t0);
        assert!(matches!(
            p.admission(t0 + chrono::Duration::seconds(3599)),
            Admission::None { .. }
        ));
        let t1 = t0 + chrono::Duration::seconds(3600);
        assert_eq!(p.admission(t1), Admission::Probe);
        p.probe_started();
        assert!(matches!(p.admission(t1), Admission::None { .. }));
        // The probe fails: paused for another full timeout.
        let e = p
            .record(w, Health::Unhealthy, Some(&server_error()), &c, t1)
            .unwrap();
        assert!(matches!(e, PanicEvent::ProbeFailed { .. }));
        assert_eq!(p.resume_at, Some(t1 + chrono::Duration::seconds(3600)));
        let t2 = t1 + chrono::Duration::seconds(3600);
        assert_eq!(p.admission(t2), Admission::Probe);
        p.probe_started();
        assert_eq!(
            p.record(w, Health::Healthy, None, &c, t2),
            Some(PanicEvent::Resolved { by: Actor::Auto })
        );
        assert_eq!(p.admission(t2), Admission::All);
        // Manual resolution.
        p.trigger("368", "bloqueo", &c, t2);
        assert_eq!(
            p.resolve_by_owner(),
            Some(PanicEvent::Resolved { by: Actor::Owner })
        );
        assert!(!p.active);
    }
}
