//! The dispatcher: asks the breakers, panic modes and rate limiters what may go out now, claims at
//! most that (one statement), runs each job's handler under the activity guard, and finalizes the
//! job by the retry policy. Wakes on the queue's `Notify` (after every enqueue commit), on a
//! finished send, when a limiter or breaker said "come back at T", and on the backstop poll.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::{
    ClaimFilter, Claimed, Clock, Job, JobError, Queue, QueueError, RetryOutcome,
};
use serde::Serialize;
use sqlx::SqliteConnection;
use tokio::sync::watch;
use tokio::task::JoinSet;

use super::breaker::Admission;
use super::commit::{Committer, Fatal, Written};
use super::failure::{Failure, FailureKind, RateScope};
use super::guards::{Guards, Outcome};
use super::handler::{BoxFuture, Handled, JobHandler, JobRun};
use super::in_doubt;
use super::integration::Integration;
use super::rate::RateLimits;
use super::retry::{Decision, RetryPolicy};
use crate::activity::{ActivityGate, ActivityKind};
use crate::error::{AppError, ErrorCode};
use crate::org::OrgId;
use crate::store::Store;

/// Handlers by job kind.
#[derive(Clone, Default)]
pub struct Handlers {
    map: HashMap<String, Arc<dyn JobHandler>>,
}

impl Handlers {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn with(mut self, kind: &str, handler: impl JobHandler) -> Self {
        self.map.insert(kind.to_owned(), Arc::new(handler));
        self
    }

    pub fn has(&self, kind: &str) -> bool {
        self.map.contains_key(kind)
    }

    /// Tells every handler that a business's credentials changed.
    pub(crate) fn credentials_changed(&self, org: crate::org::OrgId) {
        for h in self.map.values() {
            h.credentials_changed(org);
        }
    }

    pub fn with_arc(mut self, kind: &str, handler: Arc<dyn JobHandler>) -> Self {
        self.map.insert(kind.to_owned(), handler);
        self
    }

    /// The (lane, integration) pairs there are handlers for.
    fn lanes(&self) -> Vec<(String, Integration)> {
        let mut v: Vec<(String, Integration)> = self
            .map
            .keys()
            .filter_map(|k| {
                let lane = mostrador_queue::lane_of(k);
                Some((lane.to_owned(), Integration::of_kind(k)?))
            })
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Where expired jobs go: the fallback channel (SMS, e-mail) once a later issue adds it. Runs in
/// the transaction that discards the job, so a child job and the discard commit together.
pub trait FallbackHook: Send + Sync + 'static {
    fn on_expired<'a>(
        &'a self,
        conn: &'a mut SqliteConnection,
        job: &'a Job,
    ) -> BoxFuture<'a, Result<(), QueueError>>;

    /// The job failed for good (a permanent refusal, or out of attempts); runs in the
    /// transaction that discards it when the refusal was permanent.
    fn on_discarded<'a>(
        &'a self,
        _conn: &'a mut SqliteConnection,
        _job: &'a Job,
        _reason_es: &'a str,
    ) -> BoxFuture<'a, Result<(), QueueError>> {
        Box::pin(async { Ok(()) })
    }
}

/// Whether the dispatcher is sending.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum DispatcherStatus {
    Running,
    /// Stopped by a shutdown.
    Stopped,
    /// Stopped because the database cannot be written (full disk, read-only file): nothing
    /// queued is lost; sends resume after a restart once it is fixed.
    Failed {
        error: AppError,
    },
}

pub(crate) struct Shared {
    pub store: Store,
    pub queue: Queue,
    pub guards: Arc<Guards>,
    pub rates: Arc<RateLimits>,
    pub retry: RetryPolicy,
    pub gate: ActivityGate,
    pub handlers: Handlers,
    pub fallback: Option<Arc<dyn FallbackHook>>,
    pub clock: Arc<dyn Clock>,
    pub status: watch::Sender<DispatcherStatus>,
    pub concurrency: usize,
    pub committer: Committer,
    pub events: crate::events::EventBus,
}

/// A job that ended without sending, inside the transaction that ended it: the fallback hook
/// queues the next channel, and its message row (if it is one) shows ⚠ with the reason. Returns
/// the events to emit once the transaction commits.
async fn job_ended(
    shared: &Shared,
    conn: &mut SqliteConnection,
    org: OrgId,
    job: &Job,
    failure: &Failure,
) -> Result<Vec<crate::events::ConversationEvent>, QueueError> {
    if let Some(hook) = &shared.fallback {
        hook.on_discarded(conn, job, &failure.message_es).await?;
    }
    let mut out = Vec::new();
    crate::conversations::jobs::job_failed(
        conn,
        org,
        job.id.0,
        Some(&failure.code),
        &failure.message_es,
        &mut out,
    )
    .await?;
    Ok(out)
}

/// A job ended outside the dispatcher ("Descartar" on an in-doubt send): its message row shows ⚠.
pub(crate) async fn message_failed(
    shared: &Shared,
    org: OrgId,
    job: mostrador_queue::JobId,
    code: Option<&str>,
    message_es: &str,
) -> Result<(), QueueError> {
    let mut tx = shared
        .store
        .begin_immediate()
        .await
        .map_err(store_to_queue)?;
    let mut out = Vec::new();
    crate::conversations::jobs::job_failed(&mut tx, org, job.0, code, message_es, &mut out).await?;
    tx.commit().await?;
    shared.events.emit_all(out);
    Ok(())
}

fn add(now: DateTime<Utc>, d: Duration) -> DateTime<Utc> {
    now + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

fn until(now: DateTime<Utc>, t: DateTime<Utc>) -> Duration {
    (t - now).to_std().unwrap_or(Duration::ZERO)
}

fn earliest(a: Option<Duration>, b: Duration) -> Option<Duration> {
    Some(a.map_or(b, |a| a.min(b)))
}

/// The visible error of a stopped dispatcher.
pub(crate) fn stop_error(e: &Fatal) -> AppError {
    if e.storage.is_some() {
        AppError::new(
            ErrorCode::DatabaseReadOnly,
            "Los envíos se detuvieron: no se puede escribir la base de datos (¿disco lleno o protegido?). Lo que estaba en cola no se perdió: liberá espacio y reiniciá Mostrador.",
        )
    } else {
        AppError::new(
            ErrorCode::DatabaseError,
            "Los envíos se detuvieron por un error de la base de datos. Lo que estaba en cola no se perdió: reiniciá Mostrador.",
        )
    }
    .with_details(serde_json::json!({ "detail": e.detail }))
}

fn class_of(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::Transient => "transient",
        FailureKind::RateLimited(_) => "rate_limited",
        FailureKind::MaybeSent => "maybe_sent",
        FailureKind::Permanent => "permanent",
        FailureKind::PausesIntegration => "paused",
        FailureKind::NotConfigured => "not_configured",
    }
}

fn job_error(f: &Failure) -> JobError {
    JobError::new(class_of(f.kind), Some(f.code.clone()), f.message_es.clone())
}

async fn org_ids(store: &Store) -> Result<Vec<OrgId>, QueueError> {
    let ids: Vec<String> = sqlx::query_scalar("SELECT id FROM organizations ORDER BY id")
        .fetch_all(store.reader())
        .await?;
    Ok(ids.iter().filter_map(|s| s.parse().ok()).collect())
}

/// The dispatcher loop; returns when `stop` flips or the database fails.
pub(crate) async fn run(shared: Arc<Shared>, mut stop: watch::Receiver<bool>) {
    let lanes = shared.handlers.lanes();
    let mut tasks: JoinSet<Result<(), Fatal>> = JoinSet::new();
    let fatal = |shared: &Shared, e: &Fatal| {
        tracing::error!(detail = %e.detail, "outbound dispatcher stops: database failure");
        shared.status.send_replace(DispatcherStatus::Failed {
            error: stop_error(e),
        });
    };
    loop {
        if *stop.borrow() {
            break;
        }
        // Collect what finished; a database failure in a task stops everything.
        while let Some(done) = tasks.try_join_next() {
            if let Ok(Err(e)) = done {
                fatal(&shared, &e);
                return drain(tasks).await;
            }
        }
        let free = shared.concurrency.saturating_sub(tasks.len()) as u32;
        let mut wake_in: Option<Duration> = None;
        let mut claimed = Vec::new();
        if free > 0 {
            match plan_and_claim(&shared, &lanes, free, &mut wake_in).await {
                Ok(c) => claimed = c,
                Err(e) => {
                    fatal(&shared, &Fatal::from(&e));
                    return drain(tasks).await;
                }
            }
        }
        let got = claimed.len();
        for (c, probe) in claimed {
            let shared = shared.clone();
            tasks.spawn(async move { run_one(&shared, c, probe).await });
        }
        if got > 0 && tasks.len() < shared.concurrency {
            // There may be more right away.
            continue;
        }
        let sleep = wake_in.unwrap_or(Duration::from_secs(3600));
        tokio::select! {
            _ = shared.queue.wait_for_work() => {}
            _ = tokio::time::sleep(sleep) => {}
            Some(done) = tasks.join_next(), if !tasks.is_empty() => {
                if let Ok(Err(e)) = done {
                    fatal(&shared, &e);
                    return drain(tasks).await;
                }
            }
            _ = stop.changed() => {}
        }
    }
    drain(tasks).await;
    shared.status.send_if_modified(|s| {
        if *s == DispatcherStatus::Running {
            *s = DispatcherStatus::Stopped;
            true
        } else {
            false
        }
    });
}

/// Lets sends in flight finish (each has its own HTTP timeout) and finalize their rows.
async fn drain(mut tasks: JoinSet<Result<(), Fatal>>) {
    while let Some(done) = tasks.join_next().await {
        if let Ok(Err(e)) = done {
            tracing::error!(detail = %e.detail, "finalizing a job failed during shutdown");
        }
    }
}

/// Decides per (org, lane) how many may go now, and claims them.
async fn plan_and_claim(
    shared: &Shared,
    lanes: &[(String, Integration)],
    free: u32,
    wake_in: &mut Option<Duration>,
) -> Result<Vec<(Claimed, bool)>, QueueError> {
    // While an update is being installed nothing new starts (the jobs stay queued). The guard
    // is held through the claim: a hold taken between the check and the claim would otherwise
    // find jobs leased behind its back.
    let _guard = match shared.gate.begin(ActivityKind::OutboundSend) {
        Ok(g) => g,
        Err(_) => {
            *wake_in = earliest(*wake_in, Duration::from_secs(1));
            return Ok(Vec::new());
        }
    };
    let now = shared.clock.now();
    let mut filter = ClaimFilter::new(free);
    let mut everything = ClaimFilter::new(free);
    let mut probes = Vec::new();
    let mut any = false;
    for org in org_ids(&shared.store).await? {
        for (lane, integration) in lanes {
            everything = everything.group(org.0, lane.clone(), None);
            let ready = shared.queue.claimable(org.0, lane, free).await?;
            if ready == 0 {
                continue;
            }
            let want = match shared
                .guards
                .admission(org, *integration)
                .await
                .map_err(store_to_queue)?
            {
                Admission::None { until: t } => {
                    // Half-open with a probe out has no time: the probe's answer wakes us.
                    if let Some(t) = t {
                        *wake_in = earliest(*wake_in, until(now, t));
                    }
                    continue;
                }
                Admission::Probe => {
                    probes.push((org, *integration));
                    1
                }
                Admission::All => ready,
            };
            let allowed = shared.rates.take(org, *integration, want);
            if let Some(r) = allowed.retry_in {
                *wake_in = earliest(*wake_in, r);
            }
            if allowed.n > 0 {
                filter = filter.group(org.0, lane.clone(), Some(allowed.n));
                any = true;
            }
        }
    }
    if !any {
        // Sleep until the next scheduled job is due (or a notify), not a fixed poll.
        if let Some(t) = shared.queue.next_run_at(&everything).await? {
            *wake_in = earliest(*wake_in, until(now, t));
        }
        return Ok(Vec::new());
    }
    let claimed = shared.queue.claim(&filter).await?;
    let mut out = Vec::with_capacity(claimed.len());
    for c in claimed {
        let org = OrgId(c.job.org_id);
        let integration = Integration::of_kind(&c.job.kind);
        let probe = integration.is_some_and(|i| probes.contains(&(org, i)));
        if probe {
            if let Some(i) = integration {
                shared.guards.probe_started(org, i).await;
                tracing::info!(job_id = %c.job.id, %org, integration = %i, "probe claimed");
            }
        }
        out.push((c, probe));
    }
    Ok(out)
}

fn store_to_queue(e: crate::store::StoreError) -> QueueError {
    match e {
        crate::store::StoreError::Sqlx(s) => QueueError::Sqlx(s),
        other => QueueError::Sqlx(sqlx::Error::Protocol(other.to_string())),
    }
}

/// Runs one claimed job and finalizes it. `Err` only for database failures (the dispatcher stops).
async fn run_one(shared: &Shared, c: Claimed, probe: bool) -> Result<(), Fatal> {
    run_one_inner(shared, c, probe).await.map_err(|e| match e {
        Stop::Queue(q) => Fatal::from(&q),
        Stop::Fatal(f) => f,
    })
}

enum Stop {
    Queue(QueueError),
    Fatal(Fatal),
}

impl From<QueueError> for Stop {
    fn from(e: QueueError) -> Self {
        Stop::Queue(e)
    }
}

async fn run_one_inner(shared: &Shared, c: Claimed, probe: bool) -> Result<(), Stop> {
    let Claimed { job, lease } = c;
    let org = OrgId(job.org_id);
    let integration = Integration::of_kind(&job.kind);
    let now = shared.clock.now();
    let abandon_probe = || async {
        if let (true, Some(i)) = (probe, integration) {
            shared.guards.probe_abandoned(org, i).await;
        }
    };
    // The guard is held until the job row is finalized; the updater waits for it.
    let _guard = match shared.gate.begin(ActivityKind::OutboundSend) {
        Ok(g) => g,
        Err(_) => {
            abandon_probe().await;
            return Ok(ignore_lost(
                shared
                    .queue
                    .snooze(&lease, add(now, Duration::from_secs(1)))
                    .await,
            )?);
        }
    };
    let Some(handler) = shared.handlers.map.get(&job.kind).cloned() else {
        abandon_probe().await;
        let err = JobError::new(
            "permanent",
            Some("unknown_kind".into()),
            format!("Esta versión de Mostrador no sabe ejecutar «{}».", job.kind),
        );
        return Ok(ignore_lost(shared.queue.discard(&lease, &err).await)?);
    };
    let mut run = JobRun {
        job,
        lease,
        committer: shared.committer.clone(),
        send_started: false,
    };
    let handled = handler.handle(&mut run).await;
    let JobRun {
        job,
        lease,
        send_started,
        ..
    } = run;
    let now = shared.clock.now();
    match handled {
        Handled::Done {
            provider_id,
            latency,
        } => {
            match shared
                .committer
                .complete(lease, job.id, org, provider_id.clone())
                .await
                .map_err(Stop::Fatal)?
            {
                Written::Done => {}
                // Rescued meanwhile (in doubt): the evidence committed with it resolves it.
                Written::LeaseLost => {
                    tracing::warn!(job_id = %job.id, "sent, but the lease was lost; evidence kept");
                    in_doubt::apply_evidence(&shared.queue, &shared.store, job.id).await?;
                }
            }
            if let Some(i) = integration {
                shared
                    .guards
                    .record(org, i, Outcome::Sent { latency })
                    .await
                    .map_err(store_to_queue)?;
            }
            tracing::debug!(job_id = %job.id, provider_id = provider_id.as_deref(), "sent");
            Ok(())
        }
        Handled::Failed { failure, latency } => {
            tracing::info!(job_id = %job.id, code = %failure.code, kind = ?failure.kind, detail = %failure.detail, "attempt failed");
            if let Some(i) = integration {
                let reached = latency.is_some() || failure.kind == FailureKind::MaybeSent;
                if reached {
                    let outcome = Outcome::Failed {
                        latency: latency.unwrap_or_default(),
                        failure: &failure,
                    };
                    shared
                        .guards
                        .record(org, i, outcome)
                        .await
                        .map_err(store_to_queue)?;
                } else if probe {
                    shared.guards.probe_abandoned(org, i).await;
                }
                if failure.kind == FailureKind::NotConfigured {
                    shared
                        .guards
                        .pause(org, i, &failure.code, &failure.message_es)
                        .await
                        .map_err(store_to_queue)?;
                }
                if failure.kind == FailureKind::RateLimited(RateScope::Integration) {
                    shared.rates.throttle(
                        org,
                        i,
                        failure
                            .retry_after
                            .unwrap_or(shared.retry.rate_limit_default),
                    );
                }
            }
            let decision =
                shared
                    .retry
                    .decide(&failure, job.attempts, job.max_attempts, &mut rand::rng());
            let err = job_error(&failure);
            // A job that ends here (discarded, or out of attempts) hands over to the next channel
            // (design §5) and marks its message row failed, in one transaction.
            let mut exhausted = false;
            let result = match decision {
                Decision::Retry { after } => {
                    let r = shared.queue.retry_at(&lease, add(now, after), &err).await;
                    if r.as_ref().is_ok_and(|o| *o == RetryOutcome::Exhausted) {
                        tracing::warn!(job_id = %job.id, "out of attempts: dead letter");
                        exhausted = true;
                    }
                    r.map(|_| ())
                }
                Decision::Snooze { after } if !send_started => {
                    shared.queue.snooze(&lease, add(now, after)).await
                }
                // The provider answered "not now" after the send started: nothing went out.
                Decision::Snooze { after } => {
                    shared
                        .queue
                        .snooze_refused(&lease, add(now, after), &err)
                        .await
                }
                Decision::InDoubt => {
                    let r = shared.queue.in_doubt(&lease, &err).await;
                    if r.is_ok() {
                        // A status webhook may already have arrived.
                        in_doubt::apply_evidence(&shared.queue, &shared.store, job.id).await?;
                    }
                    r
                }
                Decision::Discard => {
                    let mut tx = shared
                        .store
                        .begin_immediate()
                        .await
                        .map_err(store_to_queue)?;
                    match shared.queue.discard_in(&mut tx, &lease, &err).await {
                        Ok(()) => {
                            let out = job_ended(shared, &mut tx, org, &job, &failure).await?;
                            tx.commit().await.map_err(QueueError::Sqlx)?;
                            shared.queue.notify();
                            shared.events.emit_all(out);
                            Ok(())
                        }
                        Err(e) => Err(e),
                    }
                }
            };
            ignore_lost(result)?;
            if exhausted {
                // The dead-letter row is committed; the hand-over follows it.
                let mut tx = shared
                    .store
                    .begin_immediate()
                    .await
                    .map_err(store_to_queue)?;
                let out = job_ended(shared, &mut tx, org, &job, &failure).await?;
                tx.commit().await.map_err(QueueError::Sqlx)?;
                shared.queue.notify();
                shared.events.emit_all(out);
            }
            Ok(())
        }
        Handled::NotNow { after } => {
            abandon_probe().await;
            Ok(ignore_lost(
                shared.queue.snooze(&lease, add(now, after)).await,
            )?)
        }
        Handled::LeaseLost => {
            abandon_probe().await;
            tracing::warn!(job_id = %job.id, "lease lost during the run");
            Ok(())
        }
        Handled::Store(e) => {
            abandon_probe().await;
            Err(Stop::Fatal(e))
        }
    }
}

fn ignore_lost(r: Result<(), QueueError>) -> Result<(), QueueError> {
    match r {
        Err(QueueError::LeaseLost { job_id }) => {
            tracing::warn!(%job_id, "lease lost before finalizing; the job is someone else's");
            Ok(())
        }
        Err(QueueError::InvalidState {
            job_id,
            state,
            action,
        }) => {
            tracing::warn!(%job_id, %state, action, "could not finalize");
            Ok(())
        }
        other => other,
    }
}

/// Expired jobs: discarded (never sent late) and handed to the fallback hook, in one transaction.
pub(crate) async fn expire(shared: &Shared) -> Result<usize, QueueError> {
    let mut total = 0;
    loop {
        let mut tx = shared
            .store
            .begin_immediate()
            .await
            .map_err(store_to_queue)?;
        let jobs = shared.queue.expire_in(&mut tx, 200).await?;
        let mut out = Vec::new();
        for j in &jobs {
            crate::conversations::jobs::job_failed(
                &mut tx,
                OrgId(j.org_id),
                j.id.0,
                Some("expired"),
                "No se envió a tiempo (estuvo demasiado en espera): revisá la conexión y reintentá.",
                &mut out,
            )
            .await?;
        }
        if let Some(hook) = &shared.fallback {
            for j in &jobs {
                hook.on_expired(&mut tx, j).await?;
            }
        }
        tx.commit().await?;
        shared.events.emit_all(out);
        total += jobs.len();
        if jobs.len() < 200 {
            break;
        }
    }
    if total > 0 {
        tracing::info!(count = total, "expired jobs discarded (not sent late)");
        shared.queue.notify();
    }
    Ok(total)
}
