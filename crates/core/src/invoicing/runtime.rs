//! Invoicing as an app runs it on one store (the app's own database, or the demo's): the AFIP
//! set-ups loaded from Ajustes → AFIP, the two ticket caches (WSFE and padrón) shared by every
//! submission and lookup, the `afip.submit` handler for the outbound engine, and the channel on
//! which every invoice state change is announced (the window listens; it never polls).

use std::sync::Arc;
use std::time::Duration;

use mostrador_queue::{Clock, Queue};
use tokio::sync::broadcast;

use super::certificate::{AfipSetup as CertificateSetup, CertError};
use super::model::InvoiceEvent;
use super::padron::PadronLookup;
use super::session::{AfipSetups, Tickets};
use super::submit::SubmitHandler;
use super::Invoicing;
use crate::activity::ActivityGate;
use crate::org::{self, OrgId};
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

    /// At start-up: every business's connection, so invoices queued before a restart go out.
    pub async fn refresh_all(&self) {
        let orgs = match org::list(&self.inner.store).await {
            Ok(list) => list,
            Err(e) => {
                tracing::warn!(error = %e, "cannot list businesses for AFIP");
                return;
            }
        };
        for o in orgs {
            if let Err(e) = self.refresh(o.id).await {
                tracing::warn!(error = %e, org_id = %o.id, "AFIP set-up not loaded");
            }
        }
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
