//! Recordatorios: notices scheduled for a time ("el 3/12 a las 10") or relative to an event ("24 h
//! antes del turno"). They are rows, not timers, so they survive restarts; the job is created only
//! when a notice is due, by [`Scheduler`]. A notice found overdue at start is sent if still within
//! its validity, otherwise marked `missed` — "no enviado: la app estaba cerrada" — and never sent
//! late. Sending and marking `sent` happen in one transaction: a notice fires once. A notice can be
//! one of the seed notices ([`ScheduledSeed`]: a turno, a trabajo, a recordatorio de pago): it goes
//! out as its approved template on WhatsApp — outside the 24 h window too — and as its text by SMS
//! or e-mail; one without a seed goes as its plain text.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::Queue;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;
use tracing::Instrument;

use super::seed::{fill_seed, seed_notice};
use super::{send_notice_in, NewNotice, NotifyError, SeedNotice};
use crate::org::OrgId;
use crate::store::timestamp;
use crate::store::{Store, StoreError};
use crate::templates::TemplateContext;

/// When a scheduled notice goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum When {
    At {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        at: DateTime<Utc>,
    },
    /// `before_secs` before the event (24 h = 86400).
    Before {
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        event_at: DateTime<Utc>,
        before_secs: u32,
    },
}

impl When {
    pub fn send_at(&self) -> DateTime<Utc> {
        match *self {
            When::At { at } => at,
            When::Before {
                event_at,
                before_secs,
            } => event_at - chrono::Duration::seconds(i64::from(before_secs)),
        }
    }
}

/// Which seed notice a scheduled one is, and what fills its variables (the customer's and the
/// business's names are added when it is sent).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScheduledSeed {
    /// The suggested template's name: `turno_confirmado`, `trabajo_agendado`,
    /// `recordatorio_de_pago`…
    pub template: String,
    /// The values its variables map to (the turno's date and time…).
    pub context: TemplateContext,
}

/// A notice to schedule.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NewScheduled {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub customer_id: i64,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub when: When,
    /// How late it may still go out (default: 2 h; never past a relative reminder's event).
    pub valid_for_secs: Option<u32>,
    /// The seed notice it is: its kind, subject and text then come from the seed (`kind`,
    /// `subject` and `body` may be left empty). `None`: plain text.
    #[serde(default)]
    pub seed: Option<ScheduledSeed>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum ScheduledState {
    Scheduled,
    Sent,
    Cancelled,
    Missed,
}

impl ScheduledState {
    fn parse(s: &str) -> ScheduledState {
        match s {
            "sent" => ScheduledState::Sent,
            "cancelled" => ScheduledState::Cancelled,
            "missed" => ScheduledState::Missed,
            _ => ScheduledState::Scheduled,
        }
    }
}

/// A row of the Recordatorios page.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ScheduledNotice {
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub id: i64,
    #[cfg_attr(feature = "ts", ts(type = "number"))]
    pub customer_id: i64,
    pub customer_name: Option<String>,
    pub kind: String,
    pub subject: String,
    pub body: String,
    pub send_at: String,
    pub valid_until: String,
    pub event_at: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub before_secs: Option<i64>,
    pub state: ScheduledState,
    /// Spanish: why it was not sent, or which channel took it.
    pub state_reason: Option<String>,
    #[cfg_attr(feature = "ts", ts(type = "number | null"))]
    pub notice_id: Option<i64>,
    /// The seed notice it is (`None`: plain text).
    pub seed: Option<ScheduledSeed>,
}

#[derive(Debug, thiserror::Error)]
pub enum ScheduleError {
    #[error("La fecha de envío ya pasó: elegí un momento futuro.")]
    InPast,
    #[error("El recordatorio no tiene texto.")]
    Empty,
    #[error("No existe ese cliente.")]
    UnknownCustomer,
    #[error("Ese recordatorio ya no se puede cambiar (se envió, se canceló o venció).")]
    NotEditable,
    #[error("No existe ese recordatorio.")]
    NotFound,
    /// The seed notice is not one of the suggested ones, or its text lacks a field.
    #[error(transparent)]
    Seed(NotifyError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<sqlx::Error> for ScheduleError {
    fn from(e: sqlx::Error) -> Self {
        ScheduleError::Store(StoreError::Sqlx(e))
    }
}

const DEFAULT_VALID_FOR: u32 = 2 * 3600;

fn validity(s: &NewScheduled) -> (DateTime<Utc>, DateTime<Utc>) {
    let send_at = s.when.send_at();
    let mut until = send_at
        + chrono::Duration::seconds(i64::from(s.valid_for_secs.unwrap_or(DEFAULT_VALID_FOR)));
    if let When::Before { event_at, .. } = s.when {
        // A reminder after its event is noise.
        until = until.min(event_at);
    }
    (send_at, until)
}

fn check(s: &NewScheduled, now: DateTime<Utc>) -> Result<(), ScheduleError> {
    if s.seed.is_none() && s.body.trim().is_empty() {
        return Err(ScheduleError::Empty);
    }
    if validity(s).1 <= now {
        return Err(ScheduleError::InPast);
    }
    Ok(())
}

/// What a scheduled notice stores: a seed's kind, title and filled text (for the list; it is
/// filled again when sent), or the notice as typed.
struct Resolved {
    kind: String,
    subject: String,
    body: String,
    seed: Option<String>,
    context: Option<String>,
}

async fn resolve(store: &Store, org: OrgId, s: &NewScheduled) -> Result<Resolved, ScheduleError> {
    let exists: Option<i64> =
        sqlx::query_scalar("SELECT id FROM customers WHERE id = ? AND org_id = ?")
            .bind(s.customer_id)
            .bind(org.to_string())
            .fetch_optional(store.reader())
            .await?;
    if exists.is_none() {
        return Err(ScheduleError::UnknownCustomer);
    }
    let Some(seed) = &s.seed else {
        return Ok(Resolved {
            kind: s.kind.clone(),
            subject: s.subject.clone(),
            body: s.body.clone(),
            seed: None,
            context: None,
        });
    };
    let filled = fill_seed(store, org, s.customer_id, &seed.template, &seed.context)
        .await
        .map_err(|e| match e {
            NotifyError::Store(e) => ScheduleError::Store(e),
            NotifyError::Sqlx(e) => ScheduleError::Store(StoreError::Sqlx(e)),
            NotifyError::UnknownCustomer => ScheduleError::UnknownCustomer,
            other => ScheduleError::Seed(other),
        })?;
    Ok(Resolved {
        kind: filled.seed.notice_kind.into(),
        // The e-mail's subject when it is sent.
        subject: filled.seed.title.into(),
        body: filled.body,
        seed: Some(seed.template.clone()),
        context: Some(serde_json::to_string(&seed.context).expect("context serializes")),
    })
}

/// Schedules a notice; returns its id. `now` is the scheduler's clock.
pub async fn schedule(
    store: &Store,
    org: OrgId,
    s: &NewScheduled,
    now: DateTime<Utc>,
) -> Result<i64, ScheduleError> {
    check(s, now)?;
    let r = resolve(store, org, s).await?;
    let (send_at, until) = validity(s);
    let (event_at, before) = match s.when {
        When::Before {
            event_at,
            before_secs,
        } => (
            Some(timestamp::to_text(event_at)),
            Some(i64::from(before_secs)),
        ),
        When::At { .. } => (None, None),
    };
    let t = timestamp::to_text(now);
    Ok(sqlx::query_scalar(
        "INSERT INTO scheduled_notices (org_id, customer_id, kind, subject, body, send_at, valid_until,
                                        event_at, before_secs, created_at, updated_at, seed, context)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?10, ?11, ?12) RETURNING id",
    )
    .bind(org.to_string())
    .bind(s.customer_id)
    .bind(&r.kind)
    .bind(&r.subject)
    .bind(&r.body)
    .bind(timestamp::to_text(send_at))
    .bind(timestamp::to_text(until))
    .bind(event_at)
    .bind(before)
    .bind(t)
    .bind(r.seed)
    .bind(r.context)
    .fetch_one(store.writer())
    .await?)
}

/// Changes a notice still scheduled.
pub async fn edit(
    store: &Store,
    org: OrgId,
    id: i64,
    s: &NewScheduled,
    now: DateTime<Utc>,
) -> Result<(), ScheduleError> {
    check(s, now)?;
    let r = resolve(store, org, s).await?;
    let (send_at, until) = validity(s);
    let (event_at, before) = match s.when {
        When::Before {
            event_at,
            before_secs,
        } => (
            Some(timestamp::to_text(event_at)),
            Some(i64::from(before_secs)),
        ),
        When::At { .. } => (None, None),
    };
    let done = sqlx::query(
        "UPDATE scheduled_notices SET customer_id = ?, kind = ?, subject = ?, body = ?, send_at = ?,
                valid_until = ?, event_at = ?, before_secs = ?, updated_at = ?, seed = ?, context = ?
         WHERE id = ? AND org_id = ? AND state = 'scheduled'",
    )
    .bind(s.customer_id)
    .bind(&r.kind)
    .bind(&r.subject)
    .bind(&r.body)
    .bind(timestamp::to_text(send_at))
    .bind(timestamp::to_text(until))
    .bind(event_at)
    .bind(before)
    .bind(timestamp::to_text(now))
    .bind(r.seed)
    .bind(r.context)
    .bind(id)
    .bind(org.to_string())
    .execute(store.writer())
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_editable(store, org, id).await);
    }
    Ok(())
}

async fn not_editable(store: &Store, org: OrgId, id: i64) -> ScheduleError {
    match sqlx::query_scalar::<_, i64>(
        "SELECT id FROM scheduled_notices WHERE id = ? AND org_id = ?",
    )
    .bind(id)
    .bind(org.to_string())
    .fetch_optional(store.reader())
    .await
    {
        Ok(Some(_)) => ScheduleError::NotEditable,
        Ok(None) => ScheduleError::NotFound,
        Err(e) => e.into(),
    }
}

pub async fn cancel(store: &Store, org: OrgId, id: i64) -> Result<(), ScheduleError> {
    let done = sqlx::query(
        "UPDATE scheduled_notices SET state = 'cancelled', state_reason = 'cancelado', updated_at = ?
         WHERE id = ? AND org_id = ? AND state = 'scheduled'",
    )
    .bind(crate::conversations::ts_now())
    .bind(id)
    .bind(org.to_string())
    .execute(store.writer())
    .await?;
    if done.rows_affected() == 0 {
        return Err(not_editable(store, org, id).await);
    }
    Ok(())
}

type Row = (
    i64,
    i64,
    Option<String>,
    String,
    String,
    String,
    String,
    String,
    Option<String>,
    Option<i64>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
);

/// A stored seed and its context (written by [`schedule`]; unreadable context reads as empty, and
/// the send then names the missing field).
fn stored_seed(id: i64, seed: Option<String>, context: Option<String>) -> Option<ScheduledSeed> {
    let template = seed?;
    let context = context
        .and_then(|c| {
            serde_json::from_str(&c)
                .map_err(|e| tracing::error!(scheduled_id = id, error = %e, "unreadable context"))
                .ok()
        })
        .unwrap_or_default();
    Some(ScheduledSeed { template, context })
}

/// Every scheduled notice of the organization, soonest first.
pub async fn list(store: &Store, org: OrgId) -> Result<Vec<ScheduledNotice>, StoreError> {
    let rows: Vec<Row> = sqlx::query_as(
        "SELECT s.id, s.customer_id, c.name, s.kind, s.subject, s.body, s.send_at, s.valid_until,
                s.event_at, s.before_secs, s.state, s.state_reason, s.notice_id, s.seed, s.context
         FROM scheduled_notices s JOIN customers c ON c.id = s.customer_id
         WHERE s.org_id = ? ORDER BY s.send_at, s.id",
    )
    .bind(org.to_string())
    .fetch_all(store.reader())
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| ScheduledNotice {
            id: r.0,
            customer_id: r.1,
            customer_name: r.2,
            kind: r.3,
            subject: r.4,
            body: r.5,
            send_at: r.6,
            valid_until: r.7,
            event_at: r.8,
            before_secs: r.9,
            state: ScheduledState::parse(&r.10),
            state_reason: r.11,
            notice_id: r.12,
            seed: stored_seed(r.0, r.13, r.14),
        })
        .collect())
}

/// What one pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Pass {
    pub sent: u32,
    pub missed: u32,
    pub failed: u32,
}

/// Sends what is due and still valid, marks what is past its validity. Each notice in its own
/// transaction: its job, its notice and its `sent` mark commit together.
pub async fn run_due(store: &Store, queue: &Queue) -> Result<Pass, StoreError> {
    let now = queue.now();
    let now_text = timestamp::to_text(now);
    let mut pass = Pass::default();
    let missed = sqlx::query(
        "UPDATE scheduled_notices SET state = 'missed',
                state_reason = 'no enviado: la app estaba cerrada', updated_at = ?1
         WHERE state = 'scheduled' AND valid_until < ?1",
    )
    .bind(&now_text)
    .execute(store.writer())
    .await?;
    pass.missed = missed.rows_affected() as u32;
    type Due = (
        i64,
        String,
        i64,
        String,
        String,
        String,
        Option<String>,
        Option<String>,
    );
    let due: Vec<Due> = sqlx::query_as(
        "SELECT id, org_id, customer_id, kind, subject, body, seed, context FROM scheduled_notices
         WHERE state = 'scheduled' AND send_at <= ?1 AND valid_until >= ?1 ORDER BY send_at, id",
    )
    .bind(&now_text)
    .fetch_all(store.reader())
    .await?;
    for (id, org, customer_id, kind, subject, body, seed, context) in due {
        let Ok(org) = org.parse::<uuid::Uuid>().map(OrgId) else {
            continue;
        };
        // A seed's template is prepared before the write transaction (it only reads); its
        // failures (a missing field) mark the notice like a send failure does.
        let notice = match stored_seed(id, seed, context) {
            None => Ok(NewNotice {
                customer_id,
                kind,
                subject,
                body,
                ..Default::default()
            }),
            Some(seed) => {
                seed_notice(
                    store,
                    org,
                    &SeedNotice {
                        customer_id,
                        template: seed.template,
                        context: seed.context,
                        // Once per scheduled notice, whatever happens to the pass.
                        idempotency_key: format!("scheduled:{id}"),
                        ..Default::default()
                    },
                )
                .await
            }
        };
        let mut tx = store.begin_immediate().await?;
        // Re-checked inside the write transaction: another pass may have taken it.
        let still: Option<i64> = sqlx::query_scalar(
            "SELECT id FROM scheduled_notices WHERE id = ? AND state = 'scheduled'",
        )
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?;
        if still.is_none() {
            continue;
        }
        let sent = match notice {
            Ok(n) => send_notice_in(&mut tx, queue, org, &n).await,
            Err(e) => Err(e),
        };
        let (state, reason, notice_id, wake) = match sent {
            Ok((nid, started)) => (
                "sent",
                format!("enviado por {}", started.channel.display_es()),
                Some(nid),
                Some(started.wake),
            ),
            Err(NotifyError::Sqlx(e)) => return Err(StoreError::Sqlx(e)),
            Err(NotifyError::Store(e)) => return Err(e),
            Err(e) => ("missed", format!("no enviado: {e}"), None, None),
        };
        sqlx::query(
            "UPDATE scheduled_notices SET state = ?, state_reason = ?, notice_id = ?, updated_at = ?
             WHERE id = ?",
        )
        .bind(state)
        .bind(&reason)
        .bind(notice_id)
        .bind(&now_text)
        .bind(id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        if let Some(w) = wake {
            w.after_commit();
            pass.sent += 1;
        } else {
            pass.failed += 1;
        }
        tracing::info!(scheduled_id = id, state, "scheduled notice handled");
    }
    Ok(pass)
}

/// The scheduler loop: a pass at start (what came due while the app was closed), then at the next
/// due time, whenever [`Scheduler::changed`] is called (a notice was scheduled or edited), and at
/// least every `tick`.
pub struct Scheduler {
    wake: Arc<Notify>,
    stop: watch::Sender<bool>,
    passes: watch::Receiver<u64>,
    task: tokio::sync::Mutex<Option<JoinHandle<()>>>,
}

impl Scheduler {
    /// `fallback`: its [`crate::outbound::Fallback::sweep`] runs on every pass (notices stuck behind
    /// panic mode or an open breaker move on).
    pub fn start(
        store: Store,
        queue: Queue,
        fallback: Option<Arc<crate::outbound::Fallback>>,
        tick: Duration,
    ) -> Scheduler {
        let wake = Arc::new(Notify::new());
        let (stop, mut stop_rx) = watch::channel(false);
        let (passes_tx, passes) = watch::channel(0u64);
        let w = wake.clone();
        let task = tokio::spawn(
            async move {
                let mut n = 0u64;
                loop {
                    match run_due(&store, &queue).await {
                        Ok(p) if p != Pass::default() => {
                            tracing::info!(
                                sent = p.sent,
                                missed = p.missed,
                                failed = p.failed,
                                "scheduled notices pass"
                            )
                        }
                        Ok(_) => {}
                        Err(e) => tracing::error!(error = %e, "scheduled notices pass failed"),
                    }
                    if let Some(f) = &fallback {
                        match f.sweep().await {
                            Ok(0) => {}
                            Ok(moved) => {
                                tracing::info!(moved, "notices moved past a stopped channel")
                            }
                            Err(e) => tracing::error!(error = %e, "fallback sweep failed"),
                        }
                    }
                    n += 1;
                    passes_tx.send_replace(n);
                    let next: Option<String> = sqlx::query_scalar(
                        "SELECT min(send_at) FROM scheduled_notices WHERE state = 'scheduled'",
                    )
                    .fetch_one(store.reader())
                    .await
                    .unwrap_or(None);
                    let wait = next
                        .and_then(|t| DateTime::parse_from_rfc3339(&t).ok())
                        .map(|t| {
                            (t.with_timezone(&Utc) - queue.now())
                                .to_std()
                                .unwrap_or(Duration::ZERO)
                        })
                        .map_or(tick, |d| d.min(tick));
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = w.notified() => {}
                        _ = stop_rx.wait_for(|s| *s) => return,
                    }
                }
            }
            .instrument(tracing::info_span!("notice_scheduler")),
        );
        Scheduler {
            wake,
            stop,
            passes,
            task: tokio::sync::Mutex::new(Some(task)),
        }
    }

    /// A notice was scheduled, edited or cancelled: look again now.
    pub fn changed(&self) {
        self.wake.notify_one();
    }

    /// Passes done so far (tests wait on it instead of sleeping).
    pub fn passes(&self) -> watch::Receiver<u64> {
        self.passes.clone()
    }

    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.task.lock().await.take() {
            let _ = t.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_reminders_end_at_their_event() {
        let event = DateTime::parse_from_rfc3339("2026-12-03T13:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = NewScheduled {
            customer_id: 1,
            kind: "turno".into(),
            subject: "Turno".into(),
            body: "Mañana a las 10".into(),
            when: When::Before {
                event_at: event,
                before_secs: 24 * 3600,
            },
            valid_for_secs: Some(48 * 3600),
            seed: None,
        };
        let (send_at, until) = validity(&s);
        assert_eq!(send_at, event - chrono::Duration::hours(24));
        assert_eq!(until, event);
        assert!(matches!(check(&s, event), Err(ScheduleError::InPast)));
        assert!(check(&s, send_at).is_ok());
    }
}
