//! What to do with a job after a failed attempt: retry later, wait without burning an attempt,
//! put it in doubt, or give up (the dead letter). Only the [`Failure`]'s class decides.

use std::time::Duration;

use rand::Rng;

use super::failure::{Failure, FailureKind};

/// Exponential backoff `min(cap, base·2^(n-1))` with equal jitter (a delay in `[d/2, d]`), so a
/// burst of failures does not retry in lockstep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    pub base: Duration,
    pub cap: Duration,
    /// Used when the provider gives no hint for a rate limit.
    pub rate_limit_default: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            base: Duration::from_secs(5),
            cap: Duration::from_secs(10 * 60),
            rate_limit_default: Duration::from_secs(2),
        }
    }
}

/// The decision for one failed attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// Try again after `after`; the attempt counts.
    Retry { after: Duration },
    /// Wait `after` without counting the attempt (rate limits, a paused integration).
    Snooze { after: Duration },
    /// The request may have been sent: hold it until evidence (or the owner) decides.
    InDoubt,
    /// Never retry: the dead letter (`discarded`, with every attempt's error).
    Discard,
}

impl RetryPolicy {
    /// The un-jittered delay before attempt `n + 1` after `n` failed attempts (`n ≥ 1`).
    pub fn backoff(&self, n: u32) -> Duration {
        let exp = n.saturating_sub(1).min(30);
        self.base
            .checked_mul(1u32 << exp)
            .unwrap_or(self.cap)
            .min(self.cap)
    }

    /// [`RetryPolicy::backoff`] with equal jitter: uniform in `[d/2, d]`.
    pub fn jittered(&self, n: u32, rng: &mut impl Rng) -> Duration {
        let d = self.backoff(n);
        let half = d / 2;
        half + Duration::from_nanos(rng.random_range(0..=half.as_nanos() as u64))
    }

    /// Decides after attempt `attempt` (1-based) of at most `max_attempts` failed with `f`.
    /// A provider hint (`Retry-After`) wins over the computed backoff for retryable classes; it
    /// is only ever lengthened (by up to 10 %) so many jobs told the same do not stampede.
    pub fn decide(
        &self,
        f: &Failure,
        attempt: u32,
        max_attempts: u32,
        rng: &mut impl Rng,
    ) -> Decision {
        let spread = |d: Duration, rng: &mut dyn rand::RngCore| {
            let extra = d.as_nanos() as u64 / 10;
            d + Duration::from_nanos(if extra == 0 {
                0
            } else {
                rng.random_range(0..=extra)
            })
        };
        match f.kind {
            FailureKind::MaybeSent => Decision::InDoubt,
            FailureKind::Permanent => Decision::Discard,
            FailureKind::RateLimited(_) => Decision::Snooze {
                after: spread(f.retry_after.unwrap_or(self.rate_limit_default), rng),
            },
            // The integration is paused (panic mode / missing token): the job just waits; the
            // pause decides when sends resume.
            FailureKind::PausesIntegration | FailureKind::NotConfigured => {
                Decision::Snooze { after: self.base }
            }
            FailureKind::Transient if attempt >= max_attempts => Decision::Discard,
            FailureKind::Transient => Decision::Retry {
                after: match f.retry_after {
                    Some(hint) => spread(hint, rng),
                    None => self.jittered(attempt, rng),
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outbound::failure::{ProviderError, RateScope};
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn failure(kind: FailureKind, hint: Option<u64>) -> Failure {
        let mut f = Failure::new(kind, "x", "x");
        f.retry_after = hint.map(Duration::from_secs);
        f
    }

    #[test]
    fn backoff_doubles_up_to_the_cap_and_jitter_stays_within_bounds() {
        let p = RetryPolicy {
            base: Duration::from_secs(2),
            cap: Duration::from_secs(60),
            ..Default::default()
        };
        let secs: Vec<u64> = (1..=7).map(|n| p.backoff(n).as_secs()).collect();
        assert_eq!(secs, [2, 4, 8, 16, 32, 60, 60]);
        assert_eq!(p.backoff(1000), Duration::from_secs(60));
        let mut rng = StdRng::seed_from_u64(7);
        for n in 1..=12 {
            let d = p.backoff(n);
            for _ in 0..200 {
                let j = p.jittered(n, &mut rng);
                assert!(
                    j >= d / 2 && j <= d,
                    "n={n} {j:?} outside [{:?}, {d:?}]",
                    d / 2
                );
            }
        }
    }

    #[test]
    fn only_what_the_class_allows_is_retried() {
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(
            p.decide(&failure(FailureKind::Permanent, None), 1, 5, &mut rng),
            Decision::Discard
        );
        assert_eq!(
            p.decide(&failure(FailureKind::MaybeSent, None), 1, 5, &mut rng),
            Decision::InDoubt
        );
        assert!(matches!(
            p.decide(&failure(FailureKind::Transient, None), 1, 5, &mut rng),
            Decision::Retry { .. }
        ));
        assert_eq!(
            p.decide(&failure(FailureKind::Transient, None), 5, 5, &mut rng),
            Decision::Discard
        );
        // Provider hint wins, lengthened by at most 10 %.
        for _ in 0..100 {
            let Decision::Retry { after } =
                p.decide(&failure(FailureKind::Transient, Some(30)), 1, 5, &mut rng)
            else {
                panic!("not a retry")
            };
            assert!(after >= Duration::from_secs(30) && after <= Duration::from_secs(33));
            let Decision::Snooze { after } = p.decide(
                &failure(FailureKind::RateLimited(RateScope::Integration), Some(4)),
                9,
                5,
                &mut rng,
            ) else {
                panic!("not a snooze")
            };
            assert!(after >= Duration::from_secs(4) && after <= Duration::from_millis(4400));
        }
    }

    #[test]
    fn whatsapp_window_closed_is_not_retried_and_throughput_is() {
        use mostrador_whatsapp::{Error, GraphError};
        let p = RetryPolicy::default();
        let mut rng = StdRng::seed_from_u64(3);
        let g = |code, retry| {
            Error::Graph(Box::new(GraphError {
                http_status: 400,
                code,
                subcode: None,
                kind: None,
                message: String::new(),
                details: None,
                fbtrace_id: None,
                retry_after_header: retry,
            }))
            .to_failure()
        };
        assert_eq!(
            p.decide(&g(131047, None), 1, 5, &mut rng),
            Decision::Discard
        );
        assert_eq!(
            p.decide(&g(131026, None), 1, 5, &mut rng),
            Decision::Discard
        );
        assert!(matches!(
            p.decide(&g(130429, Some(Duration::from_secs(9))), 1, 5, &mut rng),
            Decision::Snooze { after } if after >= Duration::from_secs(9)
        ));
    }
}
