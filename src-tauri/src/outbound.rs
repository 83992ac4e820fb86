//! The outbound engine inside the app: started once the store is open, stopped gracefully when
//! the app exits; the Estado page's commands (one core call each) and its events. Health is
//! pushed to the window: every breaker/panic/error change at once, and a fresh snapshot whenever
//! it differs from the last one sent (queue depth, ages), so the page never polls.

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_core::activity::ActivityGate;
use mostrador_core::channels::whatsapp::{media_download, MediaDownloadHandler};
use mostrador_core::org::{self, OrgId};
use mostrador_core::outbound::{
    HealthChange, InDoubtJob, Integration, IntegrationHealth, Outbound, OutboundConfig,
    PanicHistoryEntry, Wiring,
};
use mostrador_core::secrets::SecretStore;
use mostrador_core::store::Store;
use mostrador_core::AppError;
use mostrador_queue::{Job, JobId, JobState, ListQuery};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, Manager, RunEvent, State};
use tokio::sync::broadcast::error::RecvError;

use crate::ipc::command;

crate::event! {
    /// A breaker, panic mode or last error of an integration changed (sent as it happens).
    pub OUTBOUND_HEALTH_CHANGED: "outbound-health-changed" => HealthChange
}

crate::event! {
    /// An organization's health cards changed (queue depth, ages, levels): the whole snapshot.
    pub OUTBOUND_HEALTH: "outbound-health" => HealthSnapshot
}

/// How often the health snapshot is recomputed to notice queue changes (one cheap count query
/// per business); it is sent only when it changed.
const SNAPSHOT_EVERY: Duration = Duration::from_secs(1);
/// How long the exit waits for sends in flight to finish and be recorded.
const SHUTDOWN_WAIT: Duration = Duration::from_secs(15);
/// Dead-letter page size.
const DEAD_LETTER_PAGE: u32 = 20;
/// Panic history entries shown.
const PANIC_HISTORY: u32 = 50;
/// A job retried from the dead letter gets a fresh deadline (its old one has usually passed).
const RETRY_FRESH_FOR: chrono::Duration = chrono::Duration::hours(24);

/// The running engine, once started (`None` before, or if it could not start).
#[derive(Default)]
pub struct Engine {
    running: OnceLock<Arc<Outbound>>,
    /// The demo shop's engine (on the demo's database) while the window shows the demo: every
    /// command then reaches it instead of the app's own.
    demo: std::sync::RwLock<Option<Arc<Outbound>>>,
}

impl Engine {
    /// The engine's queue, for commands that enqueue a send with its domain row.
    pub fn queue(&self) -> Result<mostrador_queue::Queue, AppError> {
        Ok(self.get()?.queue().clone())
    }

    pub(crate) fn get(&self) -> Result<Arc<Outbound>, AppError> {
        if let Some(demo) = self.demo.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(demo);
        }
        self.running
            .get()
            .cloned()
            .ok_or_else(AppError::outbound_not_running)
    }

    /// A business's credentials changed in Ajustes: every engine drops its cached clients.
    pub(crate) fn credentials_changed(&self, org: mostrador_core::org::OrgId) {
        if let Some(e) = self.running.get() {
            e.credentials_changed(org);
        }
        if let Some(e) = self.demo.read().unwrap_or_else(|p| p.into_inner()).as_ref() {
            e.credentials_changed(org);
        }
    }

    /// Entering (`Some`) or leaving (`None`) the demo.
    pub(crate) fn set_demo(&self, engine: Option<Arc<Outbound>>) {
        *self.demo.write().unwrap_or_else(|p| p.into_inner()) = engine;
    }
}

/// Starts the engine on the open store and forwards its health to the window in the background.
/// Call once, when the store has opened. Returns the engine (`None` if it could not start), for
/// the intake's in-doubt evidence.
pub async fn start(app: &AppHandle, store: Store) -> Option<Arc<Outbound>> {
    let gate = app.state::<ActivityGate>().inner().clone();
    let mut wiring = Wiring::new(SecretStore::default(), gate.clone());
    wiring.events = Some(app.state::<crate::intake::Intakes>().bus());
    // Customers' media: downloaded by the engine as jobs, into the data dir's media folder.
    let data_dir = app.state::<crate::boot::Boot>().dirs().data.clone();
    let media = MediaDownloadHandler::new(store.clone(), SecretStore::default(), data_dir)
        .with_events(app.state::<crate::intake::Intakes>().bus());
    wiring.handlers = wiring.handlers.with(media_download::KIND, media);
    // Facturas: submissions to AFIP with each business's set-up from Ajustes → AFIP.
    wiring.handlers = crate::invoices::real_handlers(
        app,
        store.clone(),
        gate,
        std::mem::take(&mut wiring.handlers),
    );
    // Cobros: preferences, payment fetches, refunds and the "pago recibido" notices.
    wiring.handlers = mostrador_core::payments::handlers(
        wiring.handlers,
        store.clone(),
        SecretStore::default(),
        app.state::<crate::intake::Intakes>().bus(),
        app.state::<crate::payments::Payments>().bus(),
    );
    // Notices move to the next channel (SMS, e-mail) in the engine's own transactions.
    wiring.fallback = Some(
        app.state::<crate::notifications::Notifications>()
            .fallback(&store),
    );
    tracing::debug!("outbound handlers wired; starting the engine");
    match Outbound::start(store.clone(), wiring, OutboundConfig::default()).await {
        Ok(engine) => {
            let engine = Arc::new(engine);
            if app.state::<Engine>().running.set(engine.clone()).is_err() {
                tracing::error!("outbound engine started twice; stopping the second one");
                engine.shutdown().await;
                return None;
            }
            tauri::async_runtime::spawn(forward_health(app.clone(), store, engine.clone()));
            Some(engine)
        }
        Err(e) => {
            tracing::error!(error = %e, "the outbound engine could not start");
            None
        }
    }
}

/// On exit: stop claiming, let sends in flight finish and be recorded (bounded wait).
pub fn on_run_event(app: &AppHandle, event: &RunEvent) {
    if let RunEvent::Exit = event {
        if let Some(engine) = app.state::<Engine>().running.get().cloned() {
            tauri::async_runtime::block_on(async move {
                if tokio::time::timeout(SHUTDOWN_WAIT, engine.shutdown())
                    .await
                    .is_err()
                {
                    tracing::warn!("sends still in flight at exit; they are rescued next start");
                }
            });
        }
    }
}

/// One organization's health cards, as pushed by [`OUTBOUND_HEALTH`].
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct HealthSnapshot {
    pub org_id: OrgId,
    pub integrations: Vec<IntegrationHealth>,
}

async fn forward_health(app: AppHandle, store: Store, engine: Arc<Outbound>) {
    let mut changes = engine.subscribe_health();
    let mut tick = tokio::time::interval(SNAPSHOT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut sent: HashMap<OrgId, Vec<IntegrationHealth>> = HashMap::new();
    loop {
        let orgs = tokio::select! {
            change = changes.recv() => match change {
                Ok(change) => {
                    let org = change.org_id;
                    let _ = OUTBOUND_HEALTH_CHANGED.emit(&app, change);
                    vec![org]
                }
                Err(RecvError::Lagged(_)) => all_orgs(&store).await,
                Err(RecvError::Closed) => return,
            },
            _ = tick.tick() => all_orgs(&store).await,
        };
        for org_id in orgs {
            let integrations = match engine.health(org_id).await {
                Ok(h) => h,
                Err(e) => {
                    tracing::warn!(error = %e, %org_id, "health snapshot failed");
                    continue;
                }
            };
            if sent.get(&org_id) == Some(&integrations) {
                continue;
            }
            sent.insert(org_id, integrations.clone());
            let _ = OUTBOUND_HEALTH.emit(
                &app,
                HealthSnapshot {
                    org_id,
                    integrations,
                },
            );
        }
    }
}

async fn all_orgs(store: &Store) -> Vec<OrgId> {
    match org::list(store).await {
        Ok(list) => list.into_iter().map(|o| o.id).collect(),
        Err(e) => {
            tracing::warn!(error = %e, "cannot list businesses for the health snapshot");
            Vec::new()
        }
    }
}

/// A job's number, as the window sends it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ts_rs::TS)]
#[serde(transparent)]
pub struct JobNumber(#[ts(type = "number")] pub i64);

/// One failed attempt of a job.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct AttemptError {
    pub attempt: u32,
    #[ts(type = "string")]
    pub at: DateTime<Utc>,
    /// The retry class (`permanent`, `transient`, `rate_limited`, `maybe_sent`, `expired`…).
    pub class: String,
    /// The provider's or our code (`131047`, `http_503`).
    pub code: Option<String>,
    /// What happened, in Spanish.
    pub message: String,
}

/// A job in the dead letter (given up on), with every attempt's error.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DeadLetterJob {
    pub job_id: JobNumber,
    pub kind: String,
    pub integration: Option<Integration>,
    /// Who it was for (the payload's `to`), when it says.
    pub to: Option<String>,
    #[ts(type = "string")]
    pub created_at: DateTime<Utc>,
    #[ts(type = "string | null")]
    pub finished_at: Option<DateTime<Utc>>,
    pub errors: Vec<AttemptError>,
}

/// A page of the dead letter, newest first.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
pub struct DeadLetterPage {
    pub jobs: Vec<DeadLetterJob>,
    /// Pass as `before` for the next page; `null` on the last one.
    pub next: Option<JobNumber>,
}

impl From<Job> for DeadLetterJob {
    fn from(j: Job) -> Self {
        let to = serde_json::from_str::<serde_json::Value>(&j.payload)
            .ok()
            .and_then(|p| p.get("to").and_then(|t| t.as_str()).map(str::to_owned));
        DeadLetterJob {
            job_id: JobNumber(j.id.0),
            integration: Integration::of_kind(&j.kind),
            kind: j.kind,
            to,
            created_at: j.created_at,
            finished_at: j.finished_at,
            errors: j
                .errors
                .into_iter()
                .map(|e| AttemptError {
                    attempt: e.attempt,
                    at: e.at,
                    class: e.class,
                    code: e.code,
                    message: e.message,
                })
                .collect(),
        }
    }
}

/// Health of every integration the business uses (one card each).
#[command]
pub async fn outbound_health(
    engine: State<'_, Engine>,
    org_id: OrgId,
) -> Result<Vec<IntegrationHealth>, AppError> {
    Ok(engine.get()?.health(org_id).await?)
}

/// Panic mode history of the business, newest first.
#[command]
pub async fn outbound_panic_history(
    engine: State<'_, Engine>,
    org_id: OrgId,
) -> Result<Vec<PanicHistoryEntry>, AppError> {
    Ok(engine.get()?.panic_history(org_id, PANIC_HISTORY).await?)
}

/// "Reanudar envíos": ends panic mode and closes the breaker. Resolves with whether panic mode
/// was on.
#[command]
pub async fn outbound_resume(
    engine: State<'_, Engine>,
    org_id: OrgId,
    integration: Integration,
) -> Result<bool, AppError> {
    Ok(engine.get()?.resume(org_id, integration).await?)
}

/// The dead letter of the business: jobs given up on, with each attempt's error.
#[command]
pub async fn outbound_dead_letter(
    engine: State<'_, Engine>,
    org_id: OrgId,
    before: Option<JobNumber>,
) -> Result<DeadLetterPage, AppError> {
    let page = engine
        .get()?
        .queue()
        .list(&ListQuery {
            state: JobState::Discarded,
            org_id: Some(org_id.0),
            before: before.map(|b| JobId(b.0)),
            limit: DEAD_LETTER_PAGE,
        })
        .await
        .map_err(outbound_error)?;
    Ok(DeadLetterPage {
        jobs: page.jobs.into_iter().map(DeadLetterJob::from).collect(),
        next: page.next.map(|n| JobNumber(n.0)),
    })
}

/// "Reintentar" a dead-letter job: it is sent again now, with a fresh deadline.
#[command]
pub async fn outbound_retry_dead(
    engine: State<'_, Engine>,
    job_id: JobNumber,
) -> Result<(), AppError> {
    let queue = engine.queue()?;
    queue
        .retry_dead(JobId(job_id.0), Some(queue.now() + RETRY_FRESH_FOR))
        .await
        .map_err(outbound_error)
}

/// "Cancelar" a dead-letter job: it leaves the list and is never sent.
#[command]
pub async fn outbound_cancel_dead(
    engine: State<'_, Engine>,
    job_id: JobNumber,
) -> Result<(), AppError> {
    engine
        .get()?
        .queue()
        .cancel(JobId(job_id.0))
        .await
        .map_err(outbound_error)
}

/// Sends with no answer and no evidence: the owner decides ("reenviar" / "descartar").
#[command]
pub async fn outbound_in_doubt(
    engine: State<'_, Engine>,
    org_id: OrgId,
) -> Result<Vec<InDoubtJob>, AppError> {
    Ok(engine.get()?.in_doubt_for_owner(org_id).await?)
}

/// "Reenviar" an in-doubt job: the owner accepts it may arrive twice.
#[command]
pub async fn outbound_resend_in_doubt(
    engine: State<'_, Engine>,
    job_id: JobNumber,
) -> Result<(), AppError> {
    Ok(engine.get()?.resend_in_doubt(JobId(job_id.0)).await?)
}

/// "Descartar" an in-doubt job: it is not sent again.
#[command]
pub async fn outbound_discard_in_doubt(
    engine: State<'_, Engine>,
    job_id: JobNumber,
) -> Result<(), AppError> {
    Ok(engine.get()?.discard_in_doubt(JobId(job_id.0)).await?)
}

/// Queue errors get the same codes and Spanish messages as the engine's own.
fn outbound_error(e: mostrador_queue::QueueError) -> AppError {
    mostrador_core::outbound::OutboundError::from(e).into()
}
