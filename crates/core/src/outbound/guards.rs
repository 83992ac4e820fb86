//! The breakers, panic modes and recent outcomes of every (organization, integration), in memory
//! for the hot path and persisted as rows on every transition (so they survive restarts), with a
//! broadcast of each change for the shell to turn into UI events.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::Clock;
use serde::Serialize;
use sqlx::Row;
use tokio::sync::{broadcast, Mutex};

use super::breaker::{Admission, Breaker, BreakerConfig, BreakerState, Health, Transition};
use super::failure::{Failure, FailureKind};
use super::integration::Integration;
use super::panic::{Panic, PanicConfig, PanicEvent};
use super::ts;
use crate::org::OrgId;
use crate::store::{Store, StoreError};

/// How often at most the last success time is written (it changes on every send).
const LAST_SUCCESS_WRITE_EVERY: Duration = Duration::from_secs(10);
/// Latencies kept for p50/p95.
const LATENCY_SAMPLES: usize = 256;

/// A change the UI should hear about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HealthChange {
    pub org_id: OrgId,
    pub integration: Integration,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Change {
    Breaker {
        from: BreakerState,
        to: BreakerState,
    },
    PanicTriggered {
        code: String,
        reason_es: String,
    },
    PanicProbeFailed {
        code: String,
        reason_es: String,
    },
    PanicResolved {
        by_owner: bool,
    },
    /// A failure with a different code than the last one.
    LastError {
        code: String,
        message_es: String,
    },
    /// The first success after a failure.
    Recovered,
}

/// What an attempt produced, for the guards.
#[derive(Debug, Clone, Copy)]
pub enum Outcome<'a> {
    Sent {
        latency: Duration,
    },
    Failed {
        latency: Duration,
        failure: &'a Failure,
    },
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Stats {
    pub latencies: VecDeque<Duration>,
    pub last_success_at: Option<DateTime<Utc>>,
    pub last_success_written: Option<DateTime<Utc>>,
    pub last_error_at: Option<DateTime<Utc>>,
    pub last_error_code: Option<String>,
    pub last_error_es: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Entry {
    pub breaker: Breaker,
    pub panic: Panic,
    pub stats: Stats,
}

/// Thresholds, overridable (tests shorten them; the app may read them from settings).
#[derive(Debug, Clone, Default)]
pub struct GuardConfig {
    pub panic: PanicConfig,
    pub breakers: HashMap<Integration, BreakerConfig>,
}

impl GuardConfig {
    pub fn breaker(&self, i: Integration) -> BreakerConfig {
        self.breakers
            .get(&i)
            .copied()
            .unwrap_or_else(|| i.breaker_config())
    }
}

type Key = (OrgId, Integration);

pub struct Guards {
    store: Store,
    clock: Arc<dyn Clock>,
    cfg: GuardConfig,
    map: Mutex<HashMap<Key, Entry>>,
    events: broadcast::Sender<HealthChange>,
}

fn parse_opt(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
        .map(|t| t.with_timezone(&Utc))
}

fn health_of(outcome: &Outcome<'_>) -> Health {
    match outcome {
        Outcome::Sent { .. } => Health::Healthy,
        Outcome::Failed { failure, .. } => match failure.kind {
            FailureKind::RateLimited(_) | FailureKind::NotConfigured => Health::Neutral,
            _ if failure.provider_health => Health::Unhealthy,
            _ => Health::Healthy,
        },
    }
}

impl Guards {
    /// Loads every persisted breaker, panic mode and last success/error.
    pub async fn load(
        store: Store,
        clock: Arc<dyn Clock>,
        cfg: GuardConfig,
    ) -> Result<Guards, StoreError> {
        let mut map: HashMap<Key, Entry> = HashMap::new();
        let key = |org: String, integ: String| -> Option<Key> {
            Some((org.parse().ok()?, integ.parse().ok()?))
        };
        for r in sqlx::query(
            "SELECT org_id, integration, state, failures, successes, opened_at, open_until
             FROM outbound_breakers",
        )
        .fetch_all(store.reader())
        .await?
        {
            let Some(k) = key(r.try_get("org_id")?, r.try_get("integration")?) else {
                continue;
            };
            let b = &mut map.entry(k).or_default().breaker;
            b.state = BreakerState::parse(&r.try_get::<String, _>("state")?)
                .unwrap_or(BreakerState::Closed);
            b.failures = r.try_get::<i64, _>("failures")? as u32;
            b.successes = r.try_get::<i64, _>("successes")? as u32;
            b.opened_at = parse_opt(r.try_get("opened_at")?);
            b.open_until = parse_opt(r.try_get("open_until")?);
        }
        for r in sqlx::query(
            "SELECT org_id, integration, reason_code, reason_es, triggered_at, resume_at
             FROM outbound_panic",
        )
        .fetch_all(store.reader())
        .await?
        {
            let Some(k) = key(r.try_get("org_id")?, r.try_get("integration")?) else {
                continue;
            };
            map.entry(k).or_default().panic = Panic::restored(
                r.try_get("reason_code")?,
                r.try_get("reason_es")?,
                parse_opt(r.try_get("triggered_at")?),
                parse_opt(r.try_get("resume_at")?),
            );
        }
        for r in sqlx::query(
            "SELECT org_id, integration, last_success_at, last_error_at, last_error_code,
                    last_error_es FROM outbound_health",
        )
        .fetch_all(store.reader())
        .await?
        {
            let Some(k) = key(r.try_get("org_id")?, r.try_get("integration")?) else {
                continue;
            };
            let s = &mut map.entry(k).or_default().stats;
            s.last_success_at = parse_opt(r.try_get("last_success_at")?);
            s.last_success_written = s.last_success_at;
            s.last_error_at = parse_opt(r.try_get("last_error_at")?);
            s.last_error_code = r.try_get("last_error_code")?;
            s.last_error_es = r.try_get("last_error_es")?;
        }
        let (events, _) = broadcast::channel(256);
        Ok(Guards {
            store,
            clock,
            cfg,
            map: Mutex::new(map),
            events,
        })
    }

    pub fn config(&self) -> &GuardConfig {
        &self.cfg
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// Changes of breakers, panic modes and last errors, for the shell to forward to the UI.
    pub fn subscribe(&self) -> broadcast::Receiver<HealthChange> {
        self.events.subscribe()
    }

    /// What the breaker and panic mode let through now. An open breaker or panic whose time is
    /// up offers one probe (see [`Guards::probe_started`]).
    pub async fn admission(&self, org: OrgId, i: Integration) -> Result<Admission, StoreError> {
        let now = self.clock.now();
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        let panic = e.panic.admission(now);
        let (breaker, t) = e.breaker.admission(now);
        if let Some(t) = t {
            self.save_breaker(org, i, &e.breaker, now).await?;
            self.announce(
                org,
                i,
                Change::Breaker {
                    from: t.from,
                    to: t.to,
                },
            );
        }
        Ok(match (panic, breaker) {
            (Admission::None { until }, _) => Admission::None { until },
            (Admission::Probe, Admission::None { until }) => Admission::None { until },
            (Admission::Probe, _) | (_, Admission::Probe) => Admission::Probe,
            (Admission::All, b) => b,
        })
    }

    /// The probe offered by [`Guards::admission`] was claimed: no other until it answers.
    pub async fn probe_started(&self, org: OrgId, i: Integration) {
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        e.breaker.probe_started();
        e.panic.probe_started();
    }

    /// A probe was claimed but never reached the provider (released, expired, bad payload).
    pub async fn probe_abandoned(&self, org: OrgId, i: Integration) {
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        e.breaker.probe_out = false;
        e.panic.probe_out = false;
    }

    /// Records one attempt: breaker, panic mode, latency, last success/error.
    pub async fn record(
        &self,
        org: OrgId,
        i: Integration,
        outcome: Outcome<'_>,
    ) -> Result<(), StoreError> {
        let now = self.clock.now();
        let health = health_of(&outcome);
        let bcfg = self.cfg.breaker(i);
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        let (latency, failure) = match outcome {
            Outcome::Sent { latency } => (latency, None),
            Outcome::Failed { latency, failure } => (latency, Some(failure)),
        };
        if e.stats.latencies.len() == LATENCY_SAMPLES {
            e.stats.latencies.pop_front();
        }
        e.stats.latencies.push_back(latency);

        let before = (e.breaker.state, e.breaker.failures, e.breaker.successes);
        let breaker_t: Option<Transition> = e.breaker.record(health, &bcfg, now);
        let breaker_dirty = before != (e.breaker.state, e.breaker.failures, e.breaker.successes);
        let panic_e = e.panic.record(i, health, failure, &self.cfg.panic, now);

        let mut health_dirty = false;
        let mut changes = Vec::new();
        match failure {
            None => {
                let recovered = e
                    .stats
                    .last_error_at
                    .is_some_and(|err| e.stats.last_success_at.is_none_or(|ok| ok < err));
                e.stats.last_success_at = Some(now);
                let due = e.stats.last_success_written.is_none_or(|w| {
                    now - w >= chrono::Duration::from_std(LAST_SUCCESS_WRITE_EVERY).unwrap()
                });
                if due || recovered {
                    e.stats.last_success_written = Some(now);
                    health_dirty = true;
                }
                if recovered {
                    changes.push(Change::Recovered);
                }
            }
            Some(f) => {
                if e.stats.last_error_code.as_deref() != Some(f.code.as_str()) {
                    changes.push(Change::LastError {
                        code: f.code.clone(),
                        message_es: f.message_es.clone(),
                    });
                }
                e.stats.last_error_at = Some(now);
                e.stats.last_error_code = Some(f.code.clone());
                e.stats.last_error_es = Some(f.message_es.clone());
                health_dirty = true;
            }
        }
        // Failure counts of a closed breaker are persisted too (they change only on failures and
        // on the first success after them).
        if breaker_dirty {
            self.save_breaker(org, i, &e.breaker, now).await?;
        }
        if let Some(t) = breaker_t {
            changes.push(Change::Breaker {
                from: t.from,
                to: t.to,
            });
        }
        if health_dirty {
            self.save_health(org, i, &e.stats).await?;
        }
        if let Some(pe) = panic_e {
            self.save_panic(org, i, &e.panic, &pe, now).await?;
            changes.push(panic_change(pe));
        }
        drop(map);
        for c in changes {
            self.announce(org, i, c);
        }
        Ok(())
    }

    /// Pauses an integration for a reason found outside an attempt (a missing token). Does
    /// nothing when it is already paused.
    pub async fn pause(
        &self,
        org: OrgId,
        i: Integration,
        code: &str,
        reason_es: &str,
    ) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        if e.panic.active {
            // A probe found it still broken: wait the full timeout again.
            if e.panic.probe_out {
                e.panic.probe_out = false;
                let pe = PanicEvent::ProbeFailed {
                    code: code.to_owned(),
                    reason_es: reason_es.to_owned(),
                };
                e.panic.reason_code = Some(code.to_owned());
                e.panic.reason_es = Some(reason_es.to_owned());
                e.panic.resume_at = Some(
                    now + chrono::Duration::from_std(self.cfg.panic.timeout).unwrap_or_default(),
                );
                self.save_panic(org, i, &e.panic, &pe, now).await?;
                drop(map);
                self.announce(org, i, panic_change(pe));
            }
            return Ok(false);
        }
        let pe = e.panic.trigger(code, reason_es, &self.cfg.panic, now);
        self.save_panic(org, i, &e.panic, &pe, now).await?;
        drop(map);
        self.announce(org, i, panic_change(pe));
        Ok(true)
    }

    /// The owner resumes sends ("Reanudar envíos"): panic mode off, breaker closed.
    pub async fn resume(&self, org: OrgId, i: Integration) -> Result<bool, StoreError> {
        let now = self.clock.now();
        let mut map = self.map.lock().await;
        let e = map.entry((org, i)).or_default();
        let pe = e.panic.resolve_by_owner();
        let bt = e.breaker.reset();
        if let Some(pe) = &pe {
            self.save_panic(org, i, &e.panic, pe, now).await?;
        }
        if bt.is_some() {
            self.save_breaker(org, i, &e.breaker, now).await?;
        }
        drop(map);
        if let Some(t) = bt {
            self.announce(
                org,
                i,
                Change::Breaker {
                    from: t.from,
                    to: t.to,
                },
            );
        }
        let resumed = pe.is_some();
        if let Some(pe) = pe {
            self.announce(org, i, panic_change(pe));
        }
        Ok(resumed)
    }

    pub(crate) async fn entry(&self, org: OrgId, i: Integration) -> Entry {
        self.map
            .lock()
            .await
            .get(&(org, i))
            .cloned()
            .unwrap_or_default()
    }

    /// Every (org, integration) the guards know of.
    pub(crate) async fn keys(&self) -> Vec<(OrgId, Integration)> {
        self.map.lock().await.keys().copied().collect()
    }

    fn announce(&self, org_id: OrgId, integration: Integration, change: Change) {
        tracing::info!(%org_id, %integration, ?change, "outbound health changed");
        // No receiver is fine: nobody is watching.
        let _ = self.events.send(HealthChange {
            org_id,
            integration,
            change,
        });
    }

    async fn save_breaker(
        &self,
        org: OrgId,
        i: Integration,
        b: &Breaker,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbound_breakers
                 (org_id, integration, state, failures, successes, opened_at, open_until, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, integration) DO UPDATE SET
                 state = excluded.state, failures = excluded.failures,
                 successes = excluded.successes, opened_at = excluded.opened_at,
                 open_until = excluded.open_until, updated_at = excluded.updated_at",
        )
        .bind(org.to_string())
        .bind(i.as_str())
        .bind(b.state.as_str())
        .bind(b.failures as i64)
        .bind(b.successes as i64)
        .bind(b.opened_at.map(ts))
        .bind(b.open_until.map(ts))
        .bind(ts(now))
        .execute(self.store.writer())
        .await?;
        Ok(())
    }

    async fn save_health(&self, org: OrgId, i: Integration, s: &Stats) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO outbound_health
                 (org_id, integration, last_success_at, last_error_at, last_error_code, last_error_es)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (org_id, integration) DO UPDATE SET
                 last_success_at = excluded.last_success_at, last_error_at = excluded.last_error_at,
                 last_error_code = excluded.last_error_code, last_error_es = excluded.last_error_es",
        )
        .bind(org.to_string())
        .bind(i.as_str())
        .bind(s.last_success_at.map(ts))
        .bind(s.last_error_at.map(ts))
        .bind(&s.last_error_code)
        .bind(&s.last_error_es)
        .execute(self.store.writer())
        .await?;
        Ok(())
    }

    /// The panic row and one history entry, in one transaction.
    async fn save_panic(
        &self,
        org: OrgId,
        i: Integration,
        p: &Panic,
        event: &PanicEvent,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let mut tx = self.store.begin_immediate().await?;
        if p.active {
            sqlx::query(
                "INSERT INTO outbound_panic
                     (org_id, integration, reason_code, reason_es, triggered_at, resume_at)
                 VALUES (?, ?, ?, ?, ?, ?)
                 ON CONFLICT (org_id, integration) DO UPDATE SET
                     reason_code = excluded.reason_code, reason_es = excluded.reason_es,
                     triggered_at = excluded.triggered_at, resume_at = excluded.resume_at",
            )
            .bind(org.to_string())
            .bind(i.as_str())
            .bind(p.reason_code.as_deref().unwrap_or_default())
            .bind(p.reason_es.as_deref().unwrap_or_default())
            .bind(ts(p.triggered_at.unwrap_or(now)))
            .bind(ts(p.resume_at.unwrap_or(now)))
            .execute(&mut *tx)
            .await?;
        } else {
            sqlx::query("DELETE FROM outbound_panic WHERE org_id = ? AND integration = ?")
                .bind(org.to_string())
                .bind(i.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let (kind, code, es, actor) = match event {
            PanicEvent::Triggered { code, reason_es } => (
                "triggered",
                Some(code.as_str()),
                Some(reason_es.as_str()),
                None,
            ),
            PanicEvent::ProbeFailed { code, reason_es } => (
                "probe_failed",
                Some(code.as_str()),
                Some(reason_es.as_str()),
                None,
            ),
            PanicEvent::Resolved { by } => ("resolved", None, None, Some(by.as_str())),
        };
        sqlx::query(
            "INSERT INTO outbound_panic_history
                 (org_id, integration, event, reason_code, reason_es, actor, at)
             VALUES (?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(org.to_string())
        .bind(i.as_str())
        .bind(kind)
        .bind(code)
        .bind(es)
        .bind(actor)
        .bind(ts(now))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn panic_change(e: PanicEvent) -> Change {
    match e {
        PanicEvent::Triggered { code, reason_es } => Change::PanicTriggered { code, reason_es },
        PanicEvent::ProbeFailed { code, reason_es } => Change::PanicProbeFailed { code, reason_es },
        PanicEvent::Resolved { by } => Change::PanicResolved {
            by_owner: by == super::panic::Actor::Owner,
        },
    }
}

/// One row of the panic history, for the UI.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PanicHistoryEntry {
    pub integration: Integration,
    /// `triggered`, `probe_failed` or `resolved`.
    pub event: String,
    pub reason_code: Option<String>,
    pub reason_es: Option<String>,
    /// `auto` or `owner` (resolutions).
    pub actor: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub at: DateTime<Utc>,
}

/// The panic history of an organization, newest first.
pub async fn panic_history(
    store: &Store,
    org: OrgId,
    limit: u32,
) -> Result<Vec<PanicHistoryEntry>, StoreError> {
    let rows = sqlx::query(
        "SELECT integration, event, reason_code, reason_es, actor, at
         FROM outbound_panic_history WHERE org_id = ? ORDER BY id DESC LIMIT ?",
    )
    .bind(org.to_string())
    .bind(limit as i64)
    .fetch_all(store.reader())
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for r in rows {
        let Ok(integration) = r.try_get::<String, _>("integration")?.parse() else {
            continue;
        };
        out.push(PanicHistoryEntry {
            integration,
            event: r.try_get("event")?,
            reason_code: r.try_get("reason_code")?,
            reason_es: r.try_get("reason_es")?,
            actor: r.try_get("actor")?,
            at: parse_opt(Some(r.try_get("at")?)).unwrap_or_default(),
        });
    }
    Ok(out)
}
