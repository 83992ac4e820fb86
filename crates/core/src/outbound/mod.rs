//! The outbound engine around the durable queue (`mostrador-queue`, design §5): a dispatcher with
//! one handler per job kind, rate limits asked before claiming, a retry policy by error class,
//! circuit breakers and panic mode per (organization, integration) as rows, in-doubt resolution by
//! evidence, and a health snapshot per integration.
//!
//! ```text
//! UI → command → domain row + job (one transaction, Queue::enqueue_in) → Notify
//!   dispatcher: guards.admission → rates.take → queue.claim(≤ allowed) → handler
//!     handler: payload → client → pair rate → mark_send_started (fenced) → provider
//!     finalize: complete + evidence | retry_at | snooze | in_doubt | discard; guards.record
//! ```
//!
//! The façade is [`Outbound`]: the shell starts it, keeps it, and forwards
//! [`Outbound::subscribe_health`] and [`Outbound::status`] to the UI as events.

pub mod breaker;
mod commit;
pub mod dispatcher;
mod evidence;
pub mod failure;
pub mod fallback;
pub mod guards;
pub mod handler;
pub mod health;
pub mod in_doubt;
pub mod integration;
pub mod panic;
pub mod rate;
pub mod retry;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use mostrador_queue::{Clock, JobId, Queue, QueueConfig, QueueError, SystemClock};
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;

pub use breaker::{BreakerConfig, BreakerState};
pub use dispatcher::{DispatcherStatus, FallbackHook, Handlers};
pub use failure::{Failure, FailureKind, ProviderError};
pub use fallback::{Fallback, FallbackEvidence};
pub use guards::{Change, GuardConfig, HealthChange, PanicHistoryEntry};
pub use handler::{BoxFuture, Handled, JobHandler, JobRun};
pub use health::{HealthLevel, IntegrationHealth};
pub use in_doubt::{CallbackEvidence, InDoubtJob, Resolution};
pub use integration::Integration;
pub use panic::PanicConfig;
pub use rate::{RateConfig, RateLimits};
pub use retry::RetryPolicy;

use crate::activity::ActivityGate;
use crate::error::{AppError, ErrorCode};
use crate::org::OrgId;
use crate::secrets::SecretStore;
use crate::store::{Store, StoreError};

/// Timestamps in this module's tables: the queue's stored form (RFC 3339 UTC, milliseconds, `Z`),
/// fixed width so text order is time order.
pub(crate) fn ts(t: DateTime<Utc>) -> String {
    crate::store::timestamp::to_text(t)
}

/// The engine's settings; the defaults are the seeds'.
#[derive(Debug, Clone)]
pub struct OutboundConfig {
    /// Sends in flight at most.
    pub concurrency: usize,
    pub retry: RetryPolicy,
    pub rates: RateConfig,
    pub guards: GuardConfig,
    pub queue: QueueConfig,
    /// How long an in-doubt job waits for evidence before the owner is asked.
    pub in_doubt_wait: Duration,
    /// Rescue of expired leases, expiry, pruning, evidence, limiter cleanup.
    pub maintenance_every: Duration,
}

impl Default for OutboundConfig {
    fn default() -> Self {
        OutboundConfig {
            concurrency: 32,
            retry: RetryPolicy::default(),
            rates: RateConfig::default(),
            guards: GuardConfig::default(),
            queue: QueueConfig::default(),
            in_doubt_wait: Duration::from_secs(10 * 60),
            maintenance_every: Duration::from_secs(30),
        }
    }
}

/// Everything that can fail in the façade.
#[derive(Debug, thiserror::Error)]
pub enum OutboundError {
    #[error(transparent)]
    Queue(#[from] QueueError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<OutboundError> for AppError {
    fn from(e: OutboundError) -> Self {
        match e {
            OutboundError::Store(s) => s.into(),
            OutboundError::Queue(QueueError::NotFound { job_id }) => AppError::new(
                ErrorCode::JobNotFound,
                "Ese envío ya no existe (puede haberse borrado por antigüedad).",
            )
            .with_details(serde_json::json!({ "job_id": job_id.0 })),
            OutboundError::Queue(QueueError::InvalidState { job_id, state, .. }) => AppError::new(
                ErrorCode::JobStateConflict,
                "Ese envío cambió de estado mientras tanto: actualizá la lista.",
            )
            .with_details(serde_json::json!({ "job_id": job_id.0, "state": state.as_str() })),
            OutboundError::Queue(q) => {
                tracing::error!(error = %q, "queue error");
                dispatcher::stop_error(&commit::Fatal::from(&q))
            }
        }
    }
}

/// The running engine. Cheap to share behind an `Arc`; [`Outbound::shutdown`] stops it.
pub struct Outbound {
    store: Store,
    queue: Queue,
    guards: Arc<guards::Guards>,
    rates: Arc<RateLimits>,
    cfg: OutboundConfig,
    status: watch::Receiver<DispatcherStatus>,
    stop: watch::Sender<bool>,
    dispatcher: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    maintenance: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    shared: Arc<dispatcher::Shared>,
}

/// What [`Outbound::start`] needs besides the store.
pub struct Wiring {
    pub secrets: SecretStore,
    pub gate: ActivityGate,
    pub clock: Arc<dyn Clock>,
    /// Extra handlers (other channels); `whatsapp.send` is always registered, `sms.send` unless
    /// given here.
    pub handlers: Handlers,
    pub fallback: Option<Arc<dyn FallbackHook>>,
    /// Where message rows' status changes (sent, failed) are announced; `None`: nobody listens.
    pub events: Option<crate::events::EventBus>,
}

impl Wiring {
    pub fn new(secrets: SecretStore, gate: ActivityGate) -> Self {
        Wiring {
            secrets,
            gate,
            clock: Arc::new(SystemClock),
            handlers: Handlers::new(),
            fallback: None,
            events: None,
        }
    }
}

impl Outbound {
    /// Rescues what a previous run left `running` (in doubt if its send had started), loads the
    /// breakers and panic modes, resolves in-doubt jobs with stored evidence, and starts sending.
    pub async fn start(
        store: Store,
        wiring: Wiring,
        cfg: OutboundConfig,
    ) -> Result<Outbound, OutboundError> {
        let queue = Queue::builder(store.writer().clone())
            .reader(store.reader().clone())
            .clock(wiring.clock.clone())
            .config(cfg.queue.clone())
            .build();
        // Start-up phases are timed: the engine's start decides when sends resume after a launch.
        let started = std::time::Instant::now();
        let rescued = queue.rescue().await?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound start: rescued"
        );
        if !rescued.in_doubt.is_empty() || !rescued.retryable.is_empty() {
            tracing::warn!(
                in_doubt = rescued.in_doubt.len(),
                retryable = rescued.retryable.len(),
                "jobs interrupted by the last shutdown were rescued"
            );
        }
        in_doubt::apply_all_evidence(&queue, &store).await?;
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound start: evidence applied"
        );
        let guards = Arc::new(
            guards::Guards::load(store.clone(), wiring.clock.clone(), cfg.guards.clone()).await?,
        );
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound start: guards loaded"
        );
        let rates = Arc::new(RateLimits::new(cfg.rates));
        let whatsapp = crate::channels::whatsapp::SendHandler::new(
            store.clone(),
            wiring.secrets.clone(),
            rates.clone(),
        );
        let mut handlers = wiring
            .handlers
            .with(crate::channels::whatsapp::KIND, whatsapp);
        let events = wiring.events.unwrap_or_default();
        if !handlers.has(crate::channels::sms::KIND) {
            let sms = crate::channels::sms::SendHandler::new(store.clone(), wiring.secrets.clone());
            handlers = handlers.with(crate::channels::sms::KIND, sms);
        }
        if !handlers.has(crate::channels::email::KIND) {
            let email =
                crate::channels::email::SendHandler::new(store.clone(), wiring.secrets.clone());
            handlers = handlers.with(crate::channels::email::KIND, email);
        }
        let (status_tx, status) = watch::channel(DispatcherStatus::Running);
        let (stop, stop_rx) = watch::channel(false);
        let shared = Arc::new(dispatcher::Shared {
            store: store.clone(),
            queue: queue.clone(),
            guards: guards.clone(),
            rates: rates.clone(),
            retry: cfg.retry,
            gate: wiring.gate,
            handlers,
            fallback: wiring.fallback,
            clock: wiring.clock,
            status: status_tx,
            concurrency: cfg.concurrency.max(1),
            committer: commit::Committer::start(store.clone(), queue.clone(), events.clone()),
            events,
        });
        tracing::debug!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound start: wired"
        );
        dispatcher::expire(&shared).await?;
        let task = tokio::spawn(dispatcher::run(shared.clone(), stop_rx.clone()));
        let maintenance = tokio::spawn(maintain_loop(
            shared.clone(),
            cfg.maintenance_every,
            stop_rx,
        ));
        tracing::info!(
            boot_id = %queue.boot_id(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "outbound engine started"
        );
        Ok(Outbound {
            store,
            queue,
            guards,
            rates,
            cfg,
            status,
            stop,
            dispatcher: tokio::sync::Mutex::new(Some(task)),
            maintenance: tokio::sync::Mutex::new(Some(maintenance)),
            shared,
        })
    }

    /// A business's credentials changed in Ajustes (token rotated, disconnected, SMS settings
    /// saved): handlers drop their cached clients at once instead of after their TTL.
    pub fn credentials_changed(&self, org: crate::org::OrgId) {
        self.shared.handlers.credentials_changed(org);
    }

    /// The queue, to enqueue jobs (in the caller's transaction with `enqueue_in`).
    pub fn queue(&self) -> &Queue {
        &self.queue
    }

    pub fn rates(&self) -> &RateLimits {
        &self.rates
    }

    /// Running, stopped, or failed with a visible error (full disk, read-only database).
    pub fn status(&self) -> watch::Receiver<DispatcherStatus> {
        self.status.clone()
    }

    /// Breaker, panic and last-error changes, for the shell to turn into UI events.
    pub fn subscribe_health(&self) -> broadcast::Receiver<HealthChange> {
        self.guards.subscribe()
    }

    /// One card per integration the organization uses.
    pub async fn health(&self, org: OrgId) -> Result<Vec<IntegrationHealth>, OutboundError> {
        Ok(health::health(&self.guards, &self.queue, org).await?)
    }

    /// Panic mode history of an organization, newest first.
    pub async fn panic_history(
        &self,
        org: OrgId,
        limit: u32,
    ) -> Result<Vec<PanicHistoryEntry>, OutboundError> {
        Ok(guards::panic_history(&self.store, org, limit).await?)
    }

    /// "Reanudar envíos": the owner ends panic mode (and closes the breaker). Also what saving a
    /// missing token should call. Returns whether panic mode was on.
    pub async fn resume(
        &self,
        org: OrgId,
        integration: Integration,
    ) -> Result<bool, OutboundError> {
        let r = self.guards.resume(org, integration).await?;
        self.queue.notify();
        Ok(r)
    }

    /// A status webhook named `job_id` in its callback data (called by the inbound processor).
    pub async fn resolve_by_callback(
        &self,
        org: OrgId,
        job_id: JobId,
        evidence: &CallbackEvidence,
    ) -> Result<Resolution, OutboundError> {
        Ok(in_doubt::resolve_by_callback(&self.queue, &self.store, org, job_id, evidence).await?)
    }

    /// In-doubt jobs with no evidence after the configured wait: the owner decides.
    pub async fn in_doubt_for_owner(&self, org: OrgId) -> Result<Vec<InDoubtJob>, OutboundError> {
        Ok(in_doubt::awaiting_owner(&self.queue, &self.store, org, self.cfg.in_doubt_wait).await?)
    }

    /// "Reenviar" an in-doubt job (the owner accepts the risk of a double message).
    pub async fn resend_in_doubt(&self, job_id: JobId) -> Result<(), OutboundError> {
        Ok(in_doubt::resend(&self.queue, job_id, Duration::from_secs(24 * 3600)).await?)
    }

    /// "Descartar" an in-doubt job.
    pub async fn discard_in_doubt(&self, job_id: JobId) -> Result<(), OutboundError> {
        in_doubt::discard(&self.queue, job_id).await?;
        if let Some(job) = self.queue.get(job_id).await? {
            dispatcher::message_failed(
                &self.shared,
                OrgId(job.org_id),
                job_id,
                None,
                "Descartaste este envío: puede que no haya llegado.",
            )
            .await?;
        }
        Ok(())
    }

    /// Runs the maintenance tick now (tests; the app runs it every `maintenance_every`).
    pub async fn maintain(&self) -> Result<(), OutboundError> {
        Ok(maintain(&self.shared).await?)
    }

    /// Stops claiming, lets sends in flight finish and finalize, and returns.
    pub async fn shutdown(&self) {
        let _ = self.stop.send(true);
        if let Some(t) = self.dispatcher.lock().await.take() {
            let _ = t.await;
        }
        if let Some(t) = self.maintenance.lock().await.take() {
            let _ = t.await;
        }
        tracing::info!("outbound engine stopped");
    }
}

async fn maintain(shared: &dispatcher::Shared) -> Result<(), QueueError> {
    shared.queue.rescue().await?;
    dispatcher::expire(shared).await?;
    in_doubt::apply_all_evidence(&shared.queue, &shared.store).await?;
    shared.queue.prune().await?;
    sqlx::query("DELETE FROM outbound_evidence WHERE at < ?")
        .bind(ts(shared.clock.now() - chrono::Duration::days(30)))
        .execute(shared.store.writer())
        .await?;
    shared.rates.shrink();
    Ok(())
}

async fn maintain_loop(
    shared: Arc<dispatcher::Shared>,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.changed() => return,
        }
        if *stop.borrow() {
            return;
        }
        if let Err(e) = maintain(&shared).await {
            tracing::error!(error = %e, "outbound maintenance failed");
        }
    }
}
