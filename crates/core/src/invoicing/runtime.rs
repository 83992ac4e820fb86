//! Invoicing as an app runs it on one store (the app's own database, or the demo's): the AFIP
//! set-ups loaded from Ajustes → AFIP, the two ticket caches (WSFE and padrón) shared by every
//! submission and lookup, the `afip.submit` and `afip.caea` handlers for the outbound engine
//! ([`AfipRuntime::register`]), the CAEA contingency, and the channel on which every invoice state
//! change is announced (the window listens; it never polls).

use std::sync::Arc;
use std::time::Duration;

use super::submit::SubmitPayload;
use mostrador_queue::{Clock, Queue};
use tokio::sync::broadcast;

use super::caea::issue::Trigger;
use super::caea::job::{self as caea_job, CaeaHandler};
use super::caea::Contingency;
use super::certificate::{AfipSetup as CertificateSetup, CertError};
use super::model::InvoiceEvent;
use super::padron::PadronLookup;
use super::session::{AfipSetups, Tickets};
use super::submit::SubmitHandler;
use super::Invoicing;
use crate::activity::ActivityGate;
use crate::org::{self, OrgId};
use crate::outbound::{BoxFuture, FailureKind, Handled, Handlers, JobHandler, JobRun};
use crate::secrets::SecretStore;
use crate::store::Store;

/// Timeout of each WSFE call (WSAA gets at least `session::WSAA_MIN_TIMEOUT`).
pub const CALL_TIMEOUT: Duration = Duration::from_secs(20);
/// A padrón lookup never holds the sale longer than about twice this.
pub const PADRON_TIMEOUT: Duration = mostrador_afip::padron::DEFAULT_PADRON_TIMEOUT;

struct Inner {
    store: Store,
    secrets: SecretStore,
    /// A simulator's base URL (`…/afip`), or `None` for AFIP's own URLs.
    base: Option<String>,
    setups: AfipSetups,
    tickets: Arc<Tickets>,
    padron_tickets: Arc<Tickets>,
    clock: Arc<dyn Clock>,
    events: broadcast::Sender<InvoiceEvent>,
}

/// Cheap to clone; one per store.
#[derive(Clone)]
pub struct AfipRuntime {
    inner: Arc<Inner>,
}

impl AfipRuntime {
    pub fn new(
        store: Store,
        secrets: SecretStore,
        base: Option<String>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        AfipRuntime {
            inner: Arc::new(Inner {
                tickets: Arc::new(Tickets::new(secrets.clone())),
                padron_tickets: Arc::new(Tickets::padron(secrets.clone())),
                store,
                secrets,
                base,
                setups: AfipSetups::default(),
                clock,
                events: broadcast::channel(256).0,
            }),
        }
    }

    pub fn store(&self) -> &Store {
        &self.inner.store
    }

    pub fn setups(&self) -> &AfipSetups {
        &self.inner.setups
    }

    pub fn tickets(&self) -> &Arc<Tickets> {
        &self.inner.tickets
    }

    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.inner.clock
    }

    /// Every invoice state change from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<InvoiceEvent> {
        self.inner.events.subscribe()
    }

    /// The set-up service of Ajustes → AFIP on this store.
    pub fn certificate(&self) -> CertificateSetup {
        CertificateSetup::new(self.inner.store.clone(), self.inner.secrets.clone())
    }

    /// Reloads `org`'s connection from Ajustes → AFIP (environment, certificate, key, point of
    /// sale). Returns whether the business can submit now. Call it after the set-up changes and
    /// before queuing; submissions already running keep the connection they started with.
    pub async fn refresh(&self, org: OrgId) -> Result<bool, CertError> {
        match self
            .certificate()
            .connection(org, self.inner.base.as_deref(), CALL_TIMEOUT)
            .await?
        {
            Some(setup) => {
                self.inner.setups.set(org, setup);
                Ok(true)
            }
            None => {
                self.inner.setups.remove(org);
                Ok(false)
            }
        }
    }

    /// At start-up: every business's connection, so invoices queued before a restart go out, and
    /// each business's first `afip.caea` pass (CAEA ahead of time, contingency invoices informed).
    pub async fn refresh_all(&self) {
        let orgs = match org::list(&self.inner.store).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list businesses for AFIP");
                return;
            }
        };
        let queue = Queue::new(self.inner.store.writer().clone());
        let now = self.inner.clock.now();
        for o in orgs {
            if let Err(e) = self.refresh(o.id).await {
                tracing::warn!(error = %e, org_id = %o.id, "AFIP set-up not loaded");
            }
            let enqueued = match caea_job::job(o.id, now) {
                Ok(job) => queue.enqueue(&job).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = enqueued {
                tracing::warn!(error = %e, org_id = %o.id, "CAEA pass not scheduled");
            }
        }
    }

    /// The CAEA contingency on this store (Ajustes → AFIP → "Contingencia (CAEA)").
    pub fn contingency(&self) -> Contingency {
        Contingency::new(
            self.inner.store.clone(),
            self.inner.setups.clone(),
            self.inner.tickets.clone(),
            self.inner.clock.clone(),
        )
        .with_events(self.inner.events.clone())
    }

    /// Registers `afip.submit` (issuing with the CAEA on its own when AFIP is unreachable and the
    /// contingency is automatic) and `afip.caea` with this store's engine.
    pub fn register(&self, handlers: Handlers, gate: ActivityGate) -> Handlers {
        let submit = ContingentSubmit {
            submit: self.handler(gate),
            contingency: self.contingency(),
        };
        handlers
            .with(super::KIND, submit)
            .with(caea_job::KIND, CaeaHandler::new(self.contingency()))
    }

    /// The `afip.submit` handler to register with this store's outbound engine.
    pub fn handler(&self, gate: ActivityGate) -> SubmitHandler {
        SubmitHandler::new(
            self.inner.store.clone(),
            self.inner.setups.clone(),
            self.inner.tickets.clone(),
            gate,
            self.inner.clock.clone(),
        )
        .with_events(self.inner.events.clone())
    }

    /// The façade on this store, queuing into `queue` (the same engine's).
    pub fn invoicing(&self, queue: Queue) -> Invoicing {
        Invoicing::new(
            self.inner.store.clone(),
            queue,
            self.inner.setups.clone(),
            self.inner.clock.clone(),
        )
        .with_events(self.inner.events.clone())
    }

    pub fn padron(&self) -> PadronLookup {
        PadronLookup::new(
            self.inner.store.clone(),
            self.inner.setups.clone(),
            self.inner.padron_tickets.clone(),
            self.inner.clock.clone(),
            PADRON_TIMEOUT,
        )
    }
}

/// `afip.submit`, and when a run ends with AFIP unreachable on an invoice that has no number yet
/// and the contingency is automatic: the invoice is issued with the CAEA and the job is done.
struct ContingentSubmit {
    submit: SubmitHandler,
    contingency: Contingency,
}

impl JobHandler for ContingentSubmit {
    fn handle<'a>(&'a self, run: &'a mut JobRun) -> BoxFuture<'a, Handled> {
        Box::pin(async move {
            let handled = self.submit.handle(run).await;
            let Handled::Failed { failure, .. } = &handled else {
                return handled;
            };
            if failure.kind != FailureKind::Transient || failure.code != "afip_pending" {
                return handled;
            }
            let org = OrgId(run.job.org_id);
            let Ok(payload) = serde_json::from_str::<SubmitPayload>(&run.job.payload) else {
                return handled;
            };
            match self.contingency.automatic(org).await {
                Ok(true) => {}
                Ok(false) => return handled,
                Err(e) => {
                    tracing::warn!(error = %e, "CAEA setting unreadable");
                    return handled;
                }
            }
            let started = std::time::Instant::now();
            let own = self
                .contingency
                .issue_queued(org, payload.invoice_id, Trigger::Automatic)
                .await;
            // The ones queued behind it on its sequence (it may be in doubt, holding the line).
            if let Err(e) = self
                .contingency
                .issue_queued_behind(org, payload.invoice_id)
                .await
            {
                tracing::info!(error = %e, "invoices queued behind not issued with CAEA");
            }
            match own {
                Ok(_) => Handled::Done {
                    provider_id: None,
                    latency: started.elapsed(),
                },
                Err(e) => {
                    // Numbered under the CAE, no CAEA for its date…: it stays queued.
                    tracing::info!(error = %e, invoice_id = payload.invoice_id, "not issued with CAEA");
                    handled
                }
            }
        })
    }
}
