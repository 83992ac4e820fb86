//! One organization's intake at run time: its relay loop (into `inbox_raw`) and the processor
//! woken by it, started together and stopped together. The app calls [`start_configured`] once the
//! store is open; the processor hands status evidence to the outbound engine.

use std::sync::Arc;

use tokio::sync::watch;

use super::{JobEvidence, Processor, ProcessorHandle, Report};
use crate::events::EventBus;
use crate::inbox::{self, ConnectionState, InboxError, InboxHandle, PollerOptions};
use crate::org::{self, OrgId};
use crate::secrets::SecretStore;
use crate::store::Store;

/// What every organization's intake shares.
#[derive(Clone)]
pub struct IntakeWiring {
    pub store: Store,
    pub secrets: SecretStore,
    pub events: EventBus,
    /// The outbound engine, so statuses naming a job resolve it (`None`: statuses are only stored).
    pub evidence: Option<Arc<dyn JobEvidence>>,
    pub poller: PollerOptions,
}

/// A running relay loop and processor of one organization.
pub struct IntakeHandle {
    org: OrgId,
    inbox: InboxHandle,
    processor: ProcessorHandle,
}

impl IntakeHandle {
    pub fn org(&self) -> OrgId {
        self.org
    }

    /// The relay connection state, for the status bar.
    pub fn connection(&self) -> watch::Receiver<ConnectionState> {
        self.inbox.state()
    }

    /// The processor's totals so far.
    pub fn report(&self) -> watch::Receiver<Report> {
        self.processor.report()
    }

    /// Stops the relay loop first (nothing new arrives), then the processor (a batch in flight
    /// commits or rolls back as a whole; what is left is processed next start).
    pub async fn stop(self) {
        self.inbox.stop().await;
        self.processor.stop().await;
    }
}

/// Starts `org`'s relay loop (from its `relay_url` setting and keychain device token) and its
/// processor. [`InboxError::NotConfigured`] when the organization has no relay.
pub async fn start_for_org(w: &IntakeWiring, org: OrgId) -> Result<IntakeHandle, InboxError> {
    let inbox = inbox::spawn_for_org(&w.store, &w.secrets, org, w.poller.clone()).await?;
    let mut processor = Processor::new(
        w.store.clone(),
        Arc::new(w.secrets.clone()),
        w.events.clone(),
    );
    if let Some(e) = &w.evidence {
        processor = processor.with_evidence(e.clone());
    }
    let processor = processor.spawn(org, inbox.committed());
    tracing::info!(%org, "intake started");
    Ok(IntakeHandle {
        org,
        inbox,
        processor,
    })
}

/// Starts the intake of every organization that has a relay configured; the others are skipped,
/// and one organization's error (logged) does not keep the others from starting.
pub async fn start_configured(w: &IntakeWiring) -> Result<Vec<IntakeHandle>, org::OrgError> {
    let mut running = Vec::new();
    for o in org::list(&w.store).await? {
        match start_for_org(w, o.id).await {
            Ok(h) => running.push(h),
            Err(InboxError::NotConfigured(what)) => {
                tracing::debug!(org = %o.id, missing = what, "no relay configured; intake not started");
            }
            Err(e) => tracing::warn!(org = %o.id, error = %e, "intake could not start"),
        }
    }
    Ok(running)
}
